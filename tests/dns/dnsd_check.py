"""tests/dns/dnsd_check.py -- the checks of tests/dns/dnsd.sh: what
tests/dnsd.py answers, asked with dnslib as a client.

    python3 tests/dns/dnsd_check.py PORT QUERY-LOG ZONE...

PORT is a tests/dnsd.py already serving tests/data/dns/blocklists.zone
and the test zone that tests/dns/dnsd.sh writes (ZONE... are those
files), QUERY-LOG its --log.  One line per check, "ok: ..." or
"FAIL: ..."; exit status 0 when every check passed, 1 otherwise.  The
last checks start and stop servers of their own with tests/dnsd_lib.py.
"""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import dnsd_lib  # noqa: E402
from dnsd_lib import addresses, rcode, texts  # noqa: E402
from dnslib import QTYPE, DNSRecord  # noqa: E402

PORT = int(sys.argv[1])
LOG = sys.argv[2]
ZONES = sys.argv[3:]
failed = 0


def check(cond, what, detail=""):
    global failed
    if cond:
        print(f"ok: {what}")
    else:
        failed = 1
        print(f"FAIL: {what}" + (f" ({detail})" if detail else ""))


def q(name, qtype="A", tcp=False, timeout=5.0, edns=True):
    return dnsd_lib.query(PORT, name, qtype, tcp=tcp, timeout=timeout, edns=edns)


def desc(r):
    if r is None:
        return "no answer"
    return (f"{rcode(r)} aa={r.header.aa} tc={r.header.tc} answer="
            f"{[str(rr.rdata) for rr in r.rr]} authority={[str(rr.rname) for rr in r.auth]}")


def answer_is(name, qtype, want, tcp=False, what=None):
    r = q(name, qtype, tcp=tcp)
    got = None
    if r is not None:
        got = texts(r) if qtype == "TXT" else [str(rr.rdata) for rr in r.rr]
    check(r is not None and rcode(r) == "NOERROR" and r.header.aa == 1
          and sorted(got) == sorted(want),
          what or f"{name} {qtype}{' over TCP' if tcp else ''}: {', '.join(want)}", desc(r))
    return r


def negative(name, qtype, code, soa, what):
    r = q(name, qtype)
    check(r is not None and rcode(r) == code and r.header.aa == 1 and not r.rr
          and [str(rr.rname) for rr in r.auth] == [soa]
          and all(rr.rtype == QTYPE.SOA for rr in r.auth),
          what, desc(r))


# --- answers over UDP ---------------------------------------------------------
answer_is("2.0.0.127.zen.spamhaus.org", "A", ["127.0.0.2", "127.0.0.4", "127.0.0.10"],
          what="zen's test point 127.0.0.2: 127.0.0.2, .4, .10 over UDP, AA set")
answer_is("2.2.0.192.zen.spamhaus.org", "A", ["127.0.0.2"])
answer_is("2.2.0.192.zen.spamhaus.org", "TXT", ["https://www.spamhaus.org/query/ip/192.0.2.2"])
answer_is("20.2.0.192.zen.spamhaus.org", "A", ["127.0.0.2", "127.0.0.4", "127.0.0.11"],
          what="192.0.2.20 in zen three times (SBL, XBL, PBL)")
answer_is("254.2.0.192.zen.spamhaus.org", "A", ["127.255.255.254"])
answer_is("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org",
          "A", ["127.0.0.2"], what="2001:db8::2 in zen in reverse nibble form")
answer_is("2.2.0.192.ZEN.Spamhaus.ORG", "A", ["127.0.0.2"],
          what="names are case-insensitive")
answer_is("2.2.0.192.bl.spamcop.net", "TXT",
          ["Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.2"])
answer_is("spam-domain.example.dbl.spamhaus.org", "A", ["127.0.1.2"])
answer_is("spam-domain.example.multi.uribl.com", "A", ["127.0.0.2"])
answer_is("phish-domain.example.multi.surbl.org", "A", ["127.0.0.8"])
answer_is("30.100.51.198.list.dnswl.org", "A", ["127.0.15.2"])
answer_is("spam-domain.example", "NS", ["ns1.spam-ns.example."])
answer_is("53.113.0.203.zen.spamhaus.org", "A", ["127.0.0.2"],
          what="ns1.spam-ns.example's address 203.0.113.53 is in zen")
answer_is("example.com", "MX", ["10 mail.example.com."])
answer_is("1.2.0.192.in-addr.arpa", "PTR", ["mail.example.com."])
r = answer_is("www.example.com", "A", ["example.com.", "192.0.2.1"],
              what="a CNAME is followed: www.example.com CNAME example.com, A 192.0.2.1")
check(r is not None and [rr.rtype for rr in r.rr] == [QTYPE.CNAME, QTYPE.A],
      "the CNAME comes first", desc(r))
r = q("example.com", "SOA")
check(r is not None and len(r.rr) == 1 and r.rr[0].rtype == QTYPE.SOA, "example.com SOA", desc(r))

# --- negative answers ---------------------------------------------------------
negative("1.2.0.192.zen.spamhaus.org", "A", "NXDOMAIN", "zen.spamhaus.org.",
         "an unlisted address: NXDOMAIN, AA, zen's SOA in authority")
negative("nothing.invalid", "A", "NXDOMAIN", ".",
         "a name in no zone: NXDOMAIN with the server's own SOA")
negative("mail.example.com", "TXT", "NOERROR", "example.com.",
         "a name without the type asked: NODATA, the SOA in authority")
negative("0.0.127.zen.spamhaus.org", "A", "NOERROR", "zen.spamhaus.org.",
         "a name with names under it only (empty non-terminal): NODATA")

# --- wildcards ----------------------------------------------------------------
answer_is("77.113.0.203.bl.test-dnsbl.example", "A", ["127.0.0.4"],
          what="a wildcard answers for a name that does not exist")
answer_is("a.b.wild-spam.example.dbl.test-dnsbl.example", "A", ["127.0.1.2"],
          what="a wildcard answers several labels down")
negative("b.w.dnsd-test.example", "A", "NOERROR", "dnsd-test.example.",
         "a wildcard does not answer for a name that exists (NODATA)")
negative("c.b.w.dnsd-test.example", "A", "NXDOMAIN", "dnsd-test.example.",
         "nor under a name that exists (the closest encloser)")
answer_is("x.w.dnsd-test.example", "A", ["192.0.2.7"], what="the test zone's wildcard")

# --- size, EDNS and TCP -------------------------------------------------------
r = q("big.dnsd-test.example", "TXT", edns=False)
check(r is not None and r.header.tc == 1 and not r.rr,
      "an answer over 512 bytes to a query without EDNS: TC=1, no records", desc(r))
r = q("big.dnsd-test.example", "TXT", edns=True)
check(r is not None and r.header.tc == 0 and len(r.rr) == 8
      and any(rr.rtype == QTYPE.OPT for rr in r.ar),
      "the same with EDNS: the whole answer, and EDNS in the reply", desc(r))
r = q("2.2.0.192.tcp.test-dnsbl.example", "A")
check(r is not None and r.header.tc == 1 and not r.rr and rcode(r) == "NOERROR",
      "@truncate: over UDP TC=1 and no records", desc(r))
answer_is("2.2.0.192.tcp.test-dnsbl.example", "A", ["127.0.0.2"], tcp=True,
          what="@truncate: over TCP the listing")
r = q("2.2.0.192.tcp.test-dnsbl.example", "TXT", tcp=True)
size = len(r.pack()) if r is not None else 0
check(r is not None and len(texts(r)) == 30 and size > 1232,
      f"@truncate: over TCP 30 TXT records, {size} bytes (more than UDP may carry)", desc(r))
answer_is("2.0.0.127.zen.spamhaus.org", "A", ["127.0.0.2", "127.0.0.4", "127.0.0.10"],
          tcp=True)


# Several queries on one TCP connection, as a resolver sends them.
def tcp_exchange(names, timeout=8.0):
    """Send every query on one connection; (name, seconds) per answer,
    in the order the answers came."""
    out = []
    with socket.create_connection(("127.0.0.1", PORT), timeout) as s:
        ids = {}
        start = time.monotonic()
        for name in names:
            m = DNSRecord.question(name, "A")
            ids[m.header.id] = name
            data = m.pack()
            s.sendall(struct.pack("!H", len(data)) + data)
        buf = b""
        while len(out) < len(names):
            while len(buf) < 2 or len(buf) - 2 < struct.unpack("!H", buf[:2])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    return out
                buf += chunk
            n = struct.unpack("!H", buf[:2])[0]
            r = DNSRecord.parse(buf[2:2 + n])
            buf = buf[2 + n:]
            out.append((ids.get(r.header.id, "?"), time.monotonic() - start))
    return out


try:
    got = tcp_exchange(["2.2.0.192.zen.spamhaus.org", "4.2.0.192.zen.spamhaus.org"])
    check([n for n, _ in got] == ["2.2.0.192.zen.spamhaus.org", "4.2.0.192.zen.spamhaus.org"],
          "two queries on one TCP connection: two answers", str(got))
except OSError as e:
    check(False, "two queries on one TCP connection", str(e))

# --- @delay -------------------------------------------------------------------
result = {}


def slow(tcp):
    t0 = time.monotonic()
    result[tcp] = (q("2.2.0.192.slow.test-dnsbl.example", tcp=tcp, timeout=10),
                   time.monotonic() - t0)


threads = [threading.Thread(target=slow, args=(tcp,)) for tcp in (False, True)]
for t in threads:
    t.start()
time.sleep(0.3)
t0 = time.monotonic()
r = q("3.2.0.192.zen.spamhaus.org")
fast = time.monotonic() - t0
check(r is not None and addresses(r) == ["127.0.0.3"] and fast < 1.0,
      f"a query during two delayed ones is answered at once ({fast:.2f} s)", desc(r))
for t in threads:
    t.join()
for tcp in (False, True):
    r, took = result[tcp]
    check(r is not None and addresses(r) == ["127.0.0.2"] and 2.9 <= took < 6,
          f"@delay 3: answered after {took:.2f} s over {'TCP' if tcp else 'UDP'}", desc(r))
t0 = time.monotonic()
negative("9.9.9.9.slow.test-dnsbl.example", "A", "NXDOMAIN", "slow.test-dnsbl.example.",
         "@delay: a negative answer is delayed as well")
took = time.monotonic() - t0
check(took >= 2.9, f"... after {took:.2f} s")
try:
    got = tcp_exchange(["2.0.0.127.slow.test-dnsbl.example", "2.2.0.192.zen.spamhaus.org"])
    check([n for n, _ in got] == ["2.2.0.192.zen.spamhaus.org", "2.0.0.127.slow.test-dnsbl.example"]
          and got[0][1] < 1.0 and got[1][1] >= 2.9,
          "on one TCP connection a delayed answer does not hold back the next one",
          str(got))
except OSError as e:
    check(False, "a delayed and a quick query on one TCP connection", str(e))

# --- failures -----------------------------------------------------------------
for tcp in (False, True):
    how = " over TCP" if tcp else ""
    r = q("2.0.0.127.servfail.test-dnsbl.example", tcp=tcp)
    check(r is not None and rcode(r) == "SERVFAIL" and not r.rr, f"@servfail: SERVFAIL{how}", desc(r))
    r = q("servfail.test-dnsbl.example", "SOA", tcp=tcp)
    check(r is not None and rcode(r) == "SERVFAIL", f"@servfail: at the zone's apex too{how}", desc(r))
    r = q("2.0.0.127.refused.test-dnsbl.example", tcp=tcp)
    check(r is not None and rcode(r) == "REFUSED" and not r.rr, f"@refused: REFUSED{how}", desc(r))
    t0 = time.monotonic()
    r = q("2.0.0.127.dead.test-dnsbl.example", tcp=tcp, timeout=2)
    check(r is None and time.monotonic() - t0 >= 1.9, f"@drop: no answer in 2 s{how}", desc(r))
r = q("x.under.dnsd-test.example")
check(r is not None and rcode(r) == "SERVFAIL", "@servfail *.NAME: a name under NAME fails", desc(r))
r = q("under.dnsd-test.example")
check(r is not None and rcode(r) == "NOERROR" and addresses(r) == ["192.0.2.8"],
      "@servfail *.NAME: NAME itself answers", desc(r))
r = q("exact.dnsd-test.example")
check(r is not None and rcode(r) == "REFUSED", "@refused =NAME: NAME is refused", desc(r))
r = q("a.exact.dnsd-test.example")
check(r is not None and rcode(r) == "NXDOMAIN", "@refused =NAME: a name under it answers", desc(r))

# --- garbage ------------------------------------------------------------------
garbage = [b"", b"\x00", b"\x12\x34\x01\x00\x00\x01", b"\xff" * 40,
           DNSRecord.question("a.example").reply().pack(),         # a response
           b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3fabc"]  # a cut name
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    for g in garbage:
        s.sendto(g, ("127.0.0.1", PORT))
    s.settimeout(1)
    try:
        s.recvfrom(65535)
        replied = True
    except socket.timeout:
        replied = False
check(not replied, "malformed UDP packets get no answer")
try:
    with socket.create_connection(("127.0.0.1", PORT), 5) as s:
        s.sendall(struct.pack("!H", 6) + b"\x00\x01\x02\x03\x04\x05")
        m = DNSRecord.question("2.2.0.192.zen.spamhaus.org").pack()
        s.sendall(struct.pack("!H", len(m)) + m)
        head = s.recv(2)
        body = b""
        while len(head) == 2 and len(body) < struct.unpack("!H", head)[0]:
            body += s.recv(65536)
        r = DNSRecord.parse(body) if body else None
    check(r is not None and addresses(r) == ["127.0.0.2"],
          "over TCP a malformed query is skipped, the next one answered", desc(r))
except OSError as e:
    check(False, "a malformed query then a good one over TCP", str(e))
with socket.create_connection(("127.0.0.1", PORT), 5) as s:
    s.sendall(b"\x00")          # half a length, then gone
answer_is("2.2.0.192.zen.spamhaus.org", "A", ["127.0.0.2"],
          what="the server still answers after the garbage")

# --- the query log ------------------------------------------------------------
with open(LOG) as f:
    log = f.read().splitlines()
for line in ("udp 2.2.0.192.zen.spamhaus.org A",
             "udp 2.2.0.192.zen.spamhaus.org TXT",
             "udp 2.2.0.192.tcp.test-dnsbl.example A",
             "tcp 2.2.0.192.tcp.test-dnsbl.example A",
             "tcp 2.2.0.192.tcp.test-dnsbl.example TXT",
             "udp 2.0.0.127.dead.test-dnsbl.example A",
             "tcp 2.0.0.127.dead.test-dnsbl.example A",
             "udp 2.0.0.127.servfail.test-dnsbl.example A",
             "udp example.com MX"):
    check(line in log, f"logged: {line}")
check(log.count("udp 2.2.0.192.slow.test-dnsbl.example A") == 1,
      "logged once: udp 2.2.0.192.slow.test-dnsbl.example A")
check("udp - MALFORMED" in log and "tcp - MALFORMED" in log, "malformed queries logged as such")
check(not any("ZEN" in line or "Spamhaus" in line for line in log), "names are logged in lower case")
check(not any("ready.dnsd.invalid" in line for line in log), "the readiness probe is not logged")
check(all(len(line.split()) == 3 for line in log), "every log line has three fields")

# --- tests/dnsd_lib.py: a server of its own -----------------------------------
try:
    srv = dnsd_lib.start(ZONES, timeout=30)
    check(srv.port != PORT and srv.alive(), f"dnsd_lib.start: a second server on port {srv.port}")
    r = srv.query("2.2.0.192.zen.spamhaus.org", tcp=True)
    check(r is not None and addresses(r) == ["127.0.0.2"], "dnsd_lib: query over TCP", desc(r))
    check(srv.queries(r"^tcp 2\.2\.0\.192\.zen\.spamhaus\.org A$") ==
          ["tcp 2.2.0.192.zen.spamhaus.org A"] and len(srv.queries()) == 1,
          "dnsd_lib: queries() reads its log", str(srv.queries()))
    pending = threading.Thread(target=srv.query, args=("1.slow.test-dnsbl.example",),
                               kwargs={"timeout": 5})
    pending.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    d = srv.dir
    status = srv.stop()
    took = time.monotonic() - t0
    pending.join()
    check(status == 0 and took < 2, f"SIGTERM with a query pending: exit 0 in {took:.2f} s",
          f"status {status}")
    check(not os.path.exists(d), "dnsd_lib: stop() removes its directory")
except dnsd_lib.DnsdError as e:
    check(False, "dnsd_lib.start", str(e))

bad = os.path.join(os.path.dirname(os.path.abspath(ZONES[-1])), "bad.zone")
with open(bad, "w") as f:
    f.write("# a bad zone\nbad.example 300 A 192.0.2.300\n")
try:
    dnsd_lib.start([bad], timeout=10)
    check(False, "a bad zone file stops the server at start-up")
except dnsd_lib.DnsdError as e:
    check("exited with status 2" in str(e) and f"{bad}:2:" in str(e),
          "a bad zone file: exit 2 at start-up, FILE:LINE said", str(e))

sys.exit(failed)
