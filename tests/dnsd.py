#!/usr/bin/env python3
"""tests/dnsd.py -- a small authoritative DNS server for Warden's tests.

Warden's DNS tests (blocklist lookups, the resolver's time-outs, its
fall-back to TCP, ...) point the resolver at this server on the loopback
interface, never at the Internet: it answers from zone files written for
the tests (tests/data/dns/*.zone) and can be told to misbehave, one name
or one zone at a time, the way real servers and real lists do.  It needs
Python 3 and dnslib (Debian: apt-get install python3-dnslib).

Usage:

    dnsd.py --zone FILE [--zone FILE...] [--address 127.0.0.1]
            [--port N] [--port-file F] [--pid-file F] [--log F]
    dnsd.py --check --zone FILE...      parse the zone files and exit

It listens on UDP and TCP on the same port of --address (127.0.0.1
unless told).  --port 0 (the default) picks a free port; --port-file F
receives it, as one line, once both sockets listen (written to F.tmp and
renamed, so a reader never sees half of it).  --log F appends one line
per query received, before any delay, drop or failure applies to it:

    PROTO QNAME QTYPE           udp 2.0.0.127.zen.spamhaus.org A
                                tcp sender.example MX

QNAME in lower case without its final dot, QTYPE by name (TYPE65534 for
a type dnslib does not name).  A packet that is not a DNS query is
logged as "PROTO - MALFORMED" and otherwise ignored.  One query is never
logged: ready.dnsd.invalid TXT, which tests/dnsd.sh and tests/dnsd_lib.py
send to see that the server answers; it gets TXT "ready".

SIGTERM or SIGINT: the server stops listening, removes its port and pid
files and exits with status 0.  A zone file that cannot be read: a
message "FILE:LINE: what is wrong" and exit status 2.

The zone files
--------------
One record a line, fields separated by blanks; "#" starts a comment
(outside quotes); blank lines are ignored:

    NAME TTL TYPE DATA

NAME is fully qualified (no $ORIGIN; a final dot is optional; case does
not matter).  "[ADDRESS].SUFFIX" is a shorthand for an address's
reverse name under SUFFIX: [192.0.2.2].zen.spamhaus.org is
2.2.0.192.zen.spamhaus.org, [2001:db8::2].zen.spamhaus.org is the 32
nibbles of 2001:db8::2 in reverse order then zen.spamhaus.org.
"*.SUFFIX" is a wildcard, used as DNS uses one: for a name under SUFFIX
that does not exist, when no nearer existing ancestor stands between.
TYPE and DATA:

    A      192.0.2.1
    AAAA   2001:db8::1
    TXT    "one string" ["another string" ...]   (each at most 255 bytes;
           shell-like quoting: \\" is a quote inside a string)
    NS     ns1.example.com
    MX     10 mx.example.com
    CNAME  target.example.com      (followed within these zones)
    PTR    host.example.com
    SOA    MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM

A name with an SOA record is a zone apex; a negative answer carries the
SOA of the nearest apex above the name asked (a name under no apex gets
the server's own ". SOA ns.dnsd.invalid. ..." with a minimum of 60 s).

Behaviour lines start with "@" and apply to a PATTERN, in any zone file,
whatever the records say:

    @delay PATTERN SECONDS  answer (or fail, ...) after SECONDS (a
                            decimal); other queries are answered
                            meanwhile, over UDP and over TCP
    @servfail PATTERN       answer SERVFAIL
    @refused PATTERN        answer REFUSED
    @drop PATTERN           never answer (a dead list)
    @truncate PATTERN       over UDP: TC=1 and no records, so the client
                            must ask again over TCP; over TCP: the answer

PATTERN is NAME (that name and every name under it), *.NAME (only the
names under it) or =NAME (that name only).  When several patterns of one
kind match, the longest name wins (and =NAME over NAME over *.NAME).
@drop applies first, then @delay, then @refused, @servfail, @truncate.

Answers
-------
Authoritative (AA set) for every name.  A name in no zone: NXDOMAIN; a
name that exists (or has names under it) without the type asked:
NOERROR with no answer (NODATA); both with the SOA in the authority
section.  RA mirrors RD, so that a resolver can use the server as a
forwarder as well as a stub.  A query with EDNS gets EDNS back (version
0, a UDP size of 1232); a UDP answer larger than the client's size (512
bytes without EDNS, at most 1232) is sent truncated (TC=1, no records).
Over TCP, a connection may carry many queries, answered as each is ready
(a delayed answer does not hold back the next one).  A class other than
IN: REFUSED.  Another opcode than QUERY: NOTIMP.
"""
import argparse
import ipaddress
import os
import shlex
import signal
import socket
import socketserver
import struct
import sys
import threading
import traceback

try:
    from dnslib import (
        AAAA, CNAME, EDNS0, MX, NS, PTR, QTYPE, RCODE, RR, SOA, TXT, A,
        DNSHeader, DNSRecord,
    )
except ImportError:
    sys.stderr.write("dnsd: the Python module dnslib is missing "
                     "(Debian: apt-get install python3-dnslib)\n")
    sys.exit(2)

PROBE_NAME = "ready.dnsd.invalid"
EDNS_SIZE = 1232
TCP_IDLE = 30          # seconds a TCP connection may stay silent
DEFAULT_SOA = SOA("ns.dnsd.invalid.", "hostmaster.dnsd.invalid.",
                  (1, 3600, 600, 86400, 60))

TYPES = ("A", "AAAA", "TXT", "NS", "MX", "CNAME", "PTR", "SOA")
BEHAVIOURS = ("delay", "servfail", "refused", "drop", "truncate")


class ZoneError(Exception):
    pass


def norm(name):
    """A name as the tables hold it: lower case, no final dot."""
    name = name.lower()
    if name.endswith(".") and name != ".":
        name = name[:-1]
    return name


def parent(name):
    """The name one label up; None above the top label."""
    if "." not in name:
        return None
    return name.split(".", 1)[1]


def reverse_name(addr, suffix):
    """[ADDRESS].SUFFIX: the address's reverse name under SUFFIX."""
    ip = ipaddress.ip_address(addr)
    if ip.version == 4:
        labels = str(ip).split(".")[::-1]
    else:
        labels = list(ip.exploded.replace(":", ""))[::-1]
    return ".".join(labels) + "." + suffix


def qtype_name(qtype):
    name = QTYPE.get(qtype)
    return name if isinstance(name, str) else "TYPE%d" % qtype


class Zones:
    """The records and behaviours of every zone file read."""

    def __init__(self):
        self.records = {}       # name -> [(type name, ttl, rdata)]
        self.apexes = {}        # name -> (ttl, SOA rdata)
        self.exists = set()     # names with records or names under them
        self.rules = {k: [] for k in BEHAVIOURS}  # kind -> [(form, name, arg)]

    # --- reading ---------------------------------------------------------

    def load(self, path):
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.readlines()
        except (OSError, UnicodeDecodeError) as e:
            raise ZoneError(f"{path}: {e}")
        for n, line in enumerate(lines, 1):
            where = f"{path}:{n}"
            try:
                fields = shlex.split(line, comments=True, posix=True)
            except ValueError as e:
                raise ZoneError(f"{where}: {e}")
            if not fields:
                continue
            try:
                if fields[0].startswith("@"):
                    self._behaviour(fields)
                else:
                    self._record(fields)
            except ZoneError as e:
                raise ZoneError(f"{where}: {e}")
            except ValueError as e:
                raise ZoneError(f"{where}: {e}")

    def finish(self):
        """The names that exist: those with records, and every name
        between them and the apex above them (empty non-terminals)."""
        for name in self.records:
            while name is not None and name not in self.exists:
                self.exists.add(name)
                if name in self.apexes:
                    break
                name = parent(name)

    @staticmethod
    def _name(text):
        if text.startswith("["):
            end = text.find("]")
            if end < 0 or text[end + 1:end + 2] != ".":
                raise ZoneError(f"{text!r}: [ADDRESS].SUFFIX expected")
            try:
                text = reverse_name(text[1:end], text[end + 2:])
            except ValueError as e:
                raise ZoneError(str(e))
        name = norm(text)
        if not name or name == "." or ".." in name or name.startswith("."):
            raise ZoneError(f"{text!r} is not a domain name")
        labels = name.split(".")
        if any(len(label.encode()) > 63 for label in labels) or len(name) > 253:
            raise ZoneError(f"{text!r}: a label or the name is too long")
        if "*" in name and (labels[0] != "*" or "*" in labels[1:]):
            raise ZoneError(f"{text!r}: a wildcard is a leading \"*.\" only")
        return name

    def _record(self, f):
        if len(f) < 4:
            raise ZoneError("NAME TTL TYPE DATA expected")
        name = self._name(f[0])
        if not f[1].isdigit() or int(f[1]) > 0x7FFFFFFF:
            raise ZoneError(f"{f[1]!r} is not a TTL (seconds)")
        ttl = int(f[1])
        rtype = f[2].upper()
        data = f[3:]
        if rtype not in TYPES:
            raise ZoneError(f"type {f[2]!r} is not one of {' '.join(TYPES)}")

        def count(n):
            if len(data) != n:
                raise ZoneError(f"{rtype} takes {n} field(s), not {len(data)}")

        if rtype == "A":
            count(1)
            rdata = A(str(ipaddress.IPv4Address(data[0])))
        elif rtype == "AAAA":
            count(1)
            rdata = AAAA(str(ipaddress.IPv6Address(data[0])))
        elif rtype == "TXT":
            strings = [s.encode() for s in data]
            if any(len(s) > 255 for s in strings):
                raise ZoneError("a TXT string is longer than 255 bytes")
            rdata = TXT(strings)
        elif rtype in ("NS", "CNAME", "PTR"):
            count(1)
            rdata = {"NS": NS, "CNAME": CNAME, "PTR": PTR}[rtype](
                self._name(data[0]) + ".")
        elif rtype == "MX":
            count(2)
            if not data[0].isdigit() or int(data[0]) > 65535:
                raise ZoneError(f"{data[0]!r} is not an MX preference")
            rdata = MX(self._name(data[1]) + ".", int(data[0]))
        else:  # SOA
            count(7)
            if not all(x.isdigit() and int(x) <= 0xFFFFFFFF for x in data[2:]):
                raise ZoneError("SOA: SERIAL REFRESH RETRY EXPIRE MINIMUM are numbers")
            rdata = SOA(self._name(data[0]) + ".", self._name(data[1]) + ".",
                        tuple(int(x) for x in data[2:]))
            if name in self.apexes:
                raise ZoneError(f"a second SOA for {name}")
            self.apexes[name] = (ttl, rdata)
        have = self.records.setdefault(name, [])
        if rtype == "CNAME" and have or any(t == "CNAME" for t, _, _ in have):
            raise ZoneError(f"{name}: a CNAME and other records")
        have.append((rtype, ttl, rdata))

    def _behaviour(self, f):
        kind = f[0][1:].lower()
        if kind not in BEHAVIOURS:
            raise ZoneError(f"unknown behaviour {f[0]!r} (@{' @'.join(BEHAVIOURS)})")
        want = 3 if kind == "delay" else 2
        if len(f) != want:
            raise ZoneError(f"@{kind} PATTERN{' SECONDS' if want == 3 else ''} expected")
        pat = f[1]
        if pat.startswith("="):
            form, name = "exact", self._name(pat[1:])
        elif pat.startswith("*."):
            form, name = "under", self._name(pat[2:])
        else:
            form, name = "subtree", self._name(pat)
        arg = None
        if kind == "delay":
            try:
                arg = float(f[2])
            except ValueError:
                arg = -1
            if not 0 <= arg <= 3600:
                raise ZoneError(f"{f[2]!r} is not a delay in seconds (0 to 3600)")
        self.rules[kind].append((form, name, arg))

    # --- answering -------------------------------------------------------

    def behaviour(self, kind, qname):
        """The rule of this kind for qname: (matched, argument)."""
        best = None
        rank = {"exact": 2, "subtree": 1, "under": 0}
        for form, name, arg in self.rules[kind]:
            if form == "exact":
                ok = qname == name
            else:
                ok = qname.endswith("." + name) or (form == "subtree" and qname == name)
            if ok:
                key = (len(name), rank[form])
                if best is None or key > best[0]:
                    best = (key, arg)
        return (True, best[1]) if best else (False, None)

    def find(self, name):
        """The records for name: a list (maybe empty: the name exists
        without records), or None when the name does not exist."""
        if name in self.records:
            return self.records[name]
        if name in self.exists:
            return []
        anc = parent(name)
        while anc is not None:
            wild = self.records.get("*." + anc)
            if wild is not None:
                return wild
            if anc in self.exists:
                return None
            anc = parent(anc)
        return None

    def soa_for(self, name):
        """The (owner, ttl, SOA) of the nearest apex at or above name."""
        while name is not None:
            if name in self.apexes:
                ttl, soa = self.apexes[name]
                return name + ".", min(ttl, soa.times[4]), soa
            name = parent(name)
        return ".", 60, DEFAULT_SOA

    def in_zone(self, name):
        while name is not None:
            if name in self.apexes or name in self.exists:
                return True
            name = parent(name)
        return False

    def answer(self, qname_asked, qtype, reply):
        """Fill reply's answer and authority sections and rcode."""
        owner = qname_asked
        name = norm(str(qname_asked))
        seen = set()
        found = False
        while True:
            recs = self.find(name)
            if recs is None:
                reply.header.rcode = RCODE.NXDOMAIN
                break
            cname = [r for r in recs if r[0] == "CNAME"]
            if cname and qtype != QTYPE.CNAME:
                _, ttl, rdata = cname[0]
                reply.add_answer(RR(owner, QTYPE.CNAME, ttl=ttl, rdata=rdata))
                target = norm(str(rdata.label))
                if target in seen or len(seen) > 8 or not self.in_zone(target):
                    return
                seen.add(name)
                name, owner = target, rdata.label
                continue
            for rtype, ttl, rdata in recs:
                if qtype == QTYPE.ANY or getattr(QTYPE, rtype) == qtype:
                    reply.add_answer(RR(owner, getattr(QTYPE, rtype), ttl=ttl, rdata=rdata))
                    found = True
            break
        if not found:
            apex, ttl, soa = self.soa_for(name)
            reply.add_auth(RR(apex, QTYPE.SOA, ttl=ttl, rdata=soa))


# --- the server -----------------------------------------------------------

class Server:
    def __init__(self, zones, log_path=None):
        self.zones = zones
        self.log_lock = threading.Lock()
        self.log = open(log_path, "a", buffering=1, encoding="utf-8") if log_path else None

    def note(self, proto, qname, qtype):
        if self.log:
            with self.log_lock:
                self.log.write(f"{proto} {qname} {qtype}\n")

    def handle(self, data, proto, send):
        """One query: parse, log, apply the behaviours, answer with
        send(bytes) (or not at all)."""
        try:
            request = DNSRecord.parse(data)
            if request.header.qr or len(request.questions) != 1:
                raise ValueError("not a query with one question")
            q = request.q
            qname = norm(str(q.qname))
        except Exception:
            self.note(proto, "-", "MALFORMED")
            return
        if qname == PROBE_NAME and q.qtype == QTYPE.TXT:
            reply = self.skeleton(request)
            reply.add_answer(RR(q.qname, QTYPE.TXT, ttl=0, rdata=TXT(b"ready")))
            try:
                send(self.pack(request, reply, proto))
            except OSError:
                pass
            return
        self.note(proto, qname, qtype_name(q.qtype))
        try:
            reply = self.respond(request, qname, proto)
            if reply is not None:
                send(self.pack(request, reply, proto))
        except OSError:
            pass            # the client went away
        except Exception:
            sys.stderr.write(f"dnsd: error answering {qname} {qtype_name(q.qtype)}:\n")
            traceback.print_exc()

    def skeleton(self, request):
        h = request.header
        return DNSRecord(DNSHeader(id=h.id, qr=1, aa=1, rd=h.rd, ra=h.rd,
                                   opcode=h.opcode), q=request.q)

    def respond(self, request, qname, proto):
        z = self.zones
        if z.behaviour("drop", qname)[0]:
            return None
        matched, seconds = z.behaviour("delay", qname)
        if matched and seconds:
            threading.Event().wait(seconds)
        reply = self.skeleton(request)
        if request.header.opcode != 0:
            reply.header.aa = 0
            reply.header.rcode = RCODE.NOTIMP
        elif request.q.qclass != 1:
            reply.header.aa = 0
            reply.header.rcode = RCODE.REFUSED
        elif z.behaviour("refused", qname)[0]:
            reply.header.aa = 0
            reply.header.rcode = RCODE.REFUSED
        elif z.behaviour("servfail", qname)[0]:
            reply.header.aa = 0
            reply.header.rcode = RCODE.SERVFAIL
        elif proto == "udp" and z.behaviour("truncate", qname)[0]:
            reply.header.tc = 1
        else:
            z.answer(request.q.qname, request.q.qtype, reply)
        return reply

    @staticmethod
    def pack(request, reply, proto):
        opt = [r for r in request.ar if r.rtype == QTYPE.OPT]
        limit = 512
        if opt:
            reply.add_ar(EDNS0(udp_len=EDNS_SIZE))
            limit = min(max(opt[0].rclass, 512), EDNS_SIZE)
        data = reply.pack()
        if proto == "udp" and len(data) > limit:
            short = DNSRecord(reply.header, q=request.q)
            short.header.tc = 1
            if opt:
                short.add_ar(EDNS0(udp_len=EDNS_SIZE))
            data = short.pack()
        return data


class UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        self.server.dns.handle(data, "udp", lambda out: sock.sendto(out, self.client_address))


class TCPHandler(socketserver.BaseRequestHandler):
    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def handle(self):
        lock = threading.Lock()
        conn = self.request
        conn.settimeout(TCP_IDLE)

        def send(out):
            with lock:
                conn.sendall(struct.pack("!H", len(out)) + out)

        workers = []
        try:
            while True:
                head = self._read(2)
                if head is None:
                    break
                data = self._read(struct.unpack("!H", head)[0])
                if data is None:
                    break
                t = threading.Thread(target=self.server.dns.handle,
                                     args=(data, "tcp", send), daemon=True)
                t.start()
                workers.append(t)
                workers = [w for w in workers if w.is_alive()]
        except OSError:
            pass
        # The client may have sent its last query and half-closed: its
        # answers are still due.
        for w in workers:
            w.join(TCP_IDLE)


class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True
    allow_reuse_address = False     # no other socket may share the port


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True      # a port in TIME_WAIT only
    request_queue_size = 64


def bind(address, port):
    """A UDP and a TCP server on the same port; port 0: any free one."""
    for cls in (UDPServer, TCPServer):
        cls.address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
    tries = 100 if port == 0 else 1
    for attempt in range(tries):
        udp = UDPServer((address, port), UDPHandler)
        try:
            tcp = TCPServer((address, udp.server_address[1]), TCPHandler)
        except OSError:
            udp.server_close()
            if attempt == tries - 1:
                raise
            continue
        return udp, tcp
    raise OSError("no port free for both UDP and TCP")


def write_file(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def zones_with_behaviours(zones):
    return any(zones.rules[k] for k in BEHAVIOURS)


def rdata_text(rtype, rdata):
    """A record's data in zone-file form."""
    if rtype == "TXT":
        out = []
        for b in rdata.data:
            t = "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else
                        ("\\" + chr(c) if c in (34, 92) else "\\%03d" % c) for c in b)
            out.append('"' + t + '"')
        return " ".join(out)
    return str(rdata)


def write_unbound(zones, d, address, port):
    """The same records as zone files of unbound's auth-zone: one file a
    zone apex (each name in the file of the nearest apex above it) and
    one for the root, which holds the names under no apex and answers
    NXDOMAIN with this server's default SOA for the rest, as dnsd does.
    The readiness name (ready.dnsd.invalid TXT "ready") is in the root."""
    os.makedirs(d, exist_ok=True)
    files = {".": []}
    for apex in zones.apexes:
        files[apex] = []

    def apex_of(name):
        n = name[2:] if name.startswith("*.") else name
        while n is not None:
            if n in zones.apexes:
                return n
            n = parent(n)
        return "."

    files["."].append(". 60 IN SOA " + str(DEFAULT_SOA))
    files["."].append(". 60 IN NS ns.dnsd.invalid.")
    files["."].append('ready.dnsd.invalid. 0 IN TXT "ready"')
    for name, recs in sorted(zones.records.items()):
        a = apex_of(name)
        for rtype, ttl, rdata in recs:
            files[a].append(f"{name}. {ttl} IN {rtype} {rdata_text(rtype, rdata)}")
    for apex in zones.apexes:
        if not any(f.split()[0] == apex + "." and f.split()[3] == "NS" for f in files[apex]):
            files[apex].append(f"{apex}. 300 IN NS ns.dnsd.invalid.")
    conf = [
        "# Written by tests/dnsd.py --unbound: the zones of dnsd, served by unbound.",
        "server:",
        f"  interface: {address}@{port}",
        f"  port: {port}",
        "  do-daemonize: no",
        '  username: ""',
        '  chroot: ""',
        f'  directory: "{d}"',
        '  pidfile: ""',
        '  logfile: ""',
        "  use-syslog: no",
        "  verbosity: 0",
        "  num-threads: 1",
        "  do-ip6: no",
        "  access-control: 127.0.0.0/8 allow",
        '  module-config: "iterator"',
        "  qname-minimisation: no",
    ]
    # unbound's built-in local zones (RFC 6303: the documentation
    # networks' reverse zones, "invalid", "test", ...) would answer
    # before the auth-zones: off for every name the zones hold.
    conf += [f'  local-zone: "{z}." nodefault' for z in
             sorted(set(zones.apexes) | {"invalid", "test", "localhost"})]
    conf += [
        "remote-control:",
        "  control-enable: yes",
        f'  control-interface: "{d}/control.sock"',
        "  control-use-cert: no",
    ]
    for i, (apex, lines) in enumerate(sorted(files.items())):
        fname = "root.zone" if apex == "." else f"z{i}.zone"
        with open(os.path.join(d, fname), "w") as f:
            f.write("\n".join(lines) + "\n")
        conf += ["auth-zone:", f'  name: "{apex if apex == "." else apex + "."}"',
                 f'  zonefile: "{os.path.join(d, fname)}"',
                 "  for-downstream: yes", "  for-upstream: no", "  fallback-enabled: no"]
    write_file(os.path.join(d, "unbound.conf"), "\n".join(conf) + "\n")


def main():
    ap = argparse.ArgumentParser(description="A small authoritative DNS server for Warden's tests.")
    ap.add_argument("--zone", action="append", default=[], metavar="FILE", required=True)
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", metavar="F")
    ap.add_argument("--pid-file", metavar="F")
    ap.add_argument("--log", metavar="F")
    ap.add_argument("--check", action="store_true", help="parse the zone files and exit")
    ap.add_argument("--unbound", metavar="DIR",
                    help="write DIR/unbound.conf and zone files serving the same records "
                         "from unbound on --port (its auth-zone), and exit")
    args = ap.parse_args()

    zones = Zones()
    try:
        for path in args.zone:
            zones.load(path)
    except ZoneError as e:
        sys.stderr.write(f"dnsd: {e}\n")
        return 2
    zones.finish()
    if args.check:
        print(f"dnsd: {len(args.zone)} file(s), {len(zones.apexes)} zone(s), "
              f"{len(zones.records)} name(s): ok")
        return 0
    if args.unbound:
        if zones_with_behaviours(zones):
            sys.stderr.write("dnsd: --unbound: the @ behaviour lines (delays, failures) "
                             "are left out: unbound answers those names plainly\n")
        write_unbound(zones, args.unbound, args.address, args.port)
        return 0

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    try:
        udp, tcp = bind(args.address, args.port)
    except OSError as e:
        sys.stderr.write(f"dnsd: cannot listen on {args.address} port {args.port}: {e}\n")
        return 2
    dns = Server(zones, args.log)
    udp.dns = tcp.dns = dns
    port = udp.server_address[1]
    threads = [threading.Thread(target=s.serve_forever, args=(0.2,), daemon=True)
               for s in (udp, tcp)]
    for t in threads:
        t.start()
    if args.pid_file:
        write_file(args.pid_file, f"{os.getpid()}\n")
    if args.port_file:
        write_file(args.port_file, f"{port}\n")
    sys.stderr.write(f"dnsd: pid {os.getpid()} answers on {args.address} port {port} "
                     f"(UDP and TCP): {len(zones.apexes)} zone(s), "
                     f"{len(zones.records)} name(s)\n")
    sys.stderr.flush()

    while not stop.wait(0.5):
        pass
    for s in (udp, tcp):
        s.shutdown()
        s.server_close()
    for path in (args.port_file, args.pid_file):
        if path:
            try:
                os.unlink(path)
            except OSError:
                pass
    sys.stderr.write("dnsd: stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
