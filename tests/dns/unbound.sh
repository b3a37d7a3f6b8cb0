#!/bin/sh
# unbound.sh -- tests/dnsd.py --unbound: the benchmark's DNS rows ask
# unbound (the resolver sites run) serving the test zones, so that the
# lists' server costs what a real one does; this checks that it answers
# as tests/dnsd.py does.  Both serve tests/data/dns/blocklists.zone and
# auth.zone; every name of the zones (those under @ behaviour lines
# aside: delays and failures are dnsd's alone), with every type the
# zones use, names that do not exist under each zone and under none,
# and wildcard matches, are asked of both: the same RCODE, the same
# records (sorted), and for negative answers the same SOA owner.
#
# Skips (77) without a python3 with dnslib or without unbound (Debian:
# apt-get install unbound).
set -u

: "${srcdir:=$(dirname "$0")/../..}"
. "$srcdir/tests/dnsd.sh"
dnsd_python || { echo "SKIP: $DNSD_ERROR"; exit 77; }
UNBOUND=${UNBOUND:-/usr/sbin/unbound}
[ -x "$UNBOUND" ] || { echo "SKIP: $UNBOUND is not installed (Debian: apt-get install unbound)"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-dns-unbound.XXXXXX") || exit 99
ub_pid=
trap '[ -n "$ub_pid" ] && kill "$ub_pid" 2>/dev/null; dnsd_cleanup; rm -rf "$T"' EXIT
trap 'exit 99' HUP INT TERM

Z1=$srcdir/tests/data/dns/blocklists.zone
Z2=$srcdir/tests/data/dns/auth.zone
dnsd_start "$Z1" "$Z2" || exit 99

# A free port for unbound: the kernel's choice for a UDP socket.
port=$("$DNSD_PYTHON" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$DNSD_PYTHON" "$srcdir/tests/dnsd.py" --zone "$Z1" --zone "$Z2" --port "$port" \
    --unbound "$T/ub" 2>"$T/export.err" || { cat "$T/export.err"; echo "FAIL: export"; exit 1; }
grep -q "behaviour lines" "$T/export.err" ||
    { echo "FAIL: the export did not say that @ lines are left out"; exit 1; }
"$UNBOUND" -d -c "$T/ub/unbound.conf" >"$T/unbound.out" 2>&1 &
ub_pid=$!

PYTHONPATH="$srcdir/tests" "$DNSD_PYTHON" - "$srcdir" "$DNSD_PORT" "$port" "$Z1" "$Z2" <<'PY'
import sys, time
sys.dont_write_bytecode = True
srcdir, dport, uport, zfiles = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
sys.path.insert(0, srcdir + "/tests")
import dnsd
import dnsd_lib

for _ in range(100):
    r = dnsd_lib.query(uport, "ready.dnsd.invalid", "TXT", timeout=0.5)
    if r is not None and dnsd_lib.texts(r) == ["ready"]:
        break
    time.sleep(0.2)
else:
    print("FAIL: unbound does not answer"); sys.exit(1)
print("ok: unbound answers on its port")

zones = dnsd.Zones()
for f in zfiles:
    zones.load(f)
zones.finish()
held = set()
for kind in dnsd.BEHAVIOURS:
    for form, name, _ in zones.rules[kind]:
        held.add(name)

def behaved(q):
    return any(q == n or q.endswith("." + n) for n in held)

asks = set()
for name, recs in zones.records.items():
    if name.startswith("*."):
        asks.add(("wildcard-match-x." + name[2:], "A"))
        asks.add(("wildcard-match-x." + name[2:], "TXT"))
        continue
    for t in {r[0] for r in recs} | {"A", "TXT"}:
        asks.add((name, t))
for apex in zones.apexes:
    asks.add(("no-such-name-x." + apex, "A"))
    asks.add(("no-such-name-x." + apex, "TXT"))
asks |= {("nowhere.example.net", "A"), ("a.b.c.example.org", "TXT"),
         ("mail.example.com", "MX")}

def key(r):
    if r is None:
        return None
    rrs = sorted(f"{rr.rtype} {str(rr.rdata).lower()}" for rr in r.rr)
    auth = sorted(str(rr.rname).lower() for rr in r.auth if rr.rtype == 6)
    return dnsd_lib.rcode(r), rrs, auth

n = bad = 0
for name, t in sorted(asks):
    if behaved(name):
        continue
    a = key(dnsd_lib.query(dport, name, t))
    b = key(dnsd_lib.query(uport, name, t))
    n += 1
    if a != b or a is None:
        bad += 1
        if bad <= 10:
            print(f"FAIL: {name} {t}: dnsd {a}, unbound {b}")
print(f"{'ok' if not bad else 'FAIL'}: {n - bad} of {n} questions answered alike")
kinds = {dnsd_lib.rcode(dnsd_lib.query(uport, q, t)) for q, t in
         (("2.0.0.127.zen.spamhaus.org", "A"), ("nowhere.example.net", "A"))}
if kinds != {"NOERROR", "NXDOMAIN"}:
    print(f"FAIL: the answers compared include listings and NXDOMAIN: {kinds}")
    bad += 1
sys.exit(1 if bad or n < 100 else 0)
PY
rc=$?
[ $rc = 0 ] || { echo "== unbound's output:"; tail -20 "$T/unbound.out"; }
exit $rc
