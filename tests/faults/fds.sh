#!/bin/sh
# Fault: descriptors and connections.  The daemon raises its soft
# descriptor limit to the hard one; with few descriptors it says so and
# bounds the connections below them; connections past max_connections
# get a tempfail at connect (logged once a minute, not once each) and
# mail is judged again once they close; libclamav's leftover scan
# directories in the spool are removed at start.
. "$srcdir/tests/faults/lib.sh"

faults_msgs "$tmp/msgs" 20
real=$(cd "$(dirname "$WARDEN")" && pwd)/$(basename "$WARDEN")
# with_limit ULIMIT-ARGS: the daemon started under that ulimit.
with_limit() {
	printf '#!/bin/sh\nulimit %s || exit 99\nexec "%s" "$@"\n' "$1" \
	    "$real" >"$tmp/warden-lim"
	chmod +x "$tmp/warden-lim"
	WARDEN=$tmp/warden-lim faults_start
}

# 1. Soft limit 256 under a higher hard limit: raised at start.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -gt 512 ]; then
	mkdir -p "$spool/20260101_000000-scantemp.abc/mail-tmp.x"
	echo leftover >"$spool/20260101_000000-scantemp.abc/mail-tmp.x/p.tmp"
	faults_conf
	with_limit "-Sn 256"
	soft=$(awk '/^Max open files/ { print $4 }' "/proc/$dpid/limits")
	[ "$soft" = "$hard" ] ||
	    fail "soft descriptor limit $soft, not raised to $hard"
	echo "ok: soft descriptor limit raised from 256 to $hard"
	[ ! -e "$spool/20260101_000000-scantemp.abc" ] ||
	    fail "libclamav's leftover directory still in the spool"
	grep -q "removed 1 temporary directory libclamav left" \
	    "$tmp/warden.log" || fail "the leftover's removal is not logged"
	echo "ok: libclamav's leftovers removed at start, and logged"
	faults_stop
else
	echo "note: hard descriptor limit $hard: raise case skipped"
fi

# 2. Only 256 descriptors in all: said, and connections bounded.
: >"$tmp/warden.log"
faults_conf
with_limit "-n 256"
grep -q "only 256 file descriptors: at most 96 connections" \
    "$tmp/warden.log" || fail "no warning about 256 descriptors"
echo "ok: 256 descriptors: warned, at most 96 connections"
faults_stop

# 3. max_connections = 20: 30 held open, 20 get in; the rest, and new
# mail, get a tempfail at connect; once they close, mail is judged.
: >"$tmp/warden.log"
faults_conf "max_connections = 20"
faults_start
mkfifo "$tmp/hold"
"$WDLOAD" -s "unix:$sock" -I 30 -t 0 <"$tmp/hold" >"$tmp/idle.out" &
ipid=$!
exec 3>"$tmp/hold"
i=0
while ! grep -q "^idle" "$tmp/idle.out"; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "the idle connections did not open"
	sleep 0.1
done
grep -q "^idle 20 open (some failed)" "$tmp/idle.out" ||
    fail "not 20 of 30 connections let in: $(cat "$tmp/idle.out")"
echo "ok: $(cat "$tmp/idle.out") of 30 with max_connections = 20"
out=$("$WDLOAD" -s "unix:$sock" -c 2 -n 10 -m 1 -j "$tmp/msgs")
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors: $out"
[ "$(json_get "$out" tempfail_early)" = 10 ] ||
    fail "new connections past max_connections not tempfailed: $out"
echo "ok: new connections past max_connections tempfailed at connect"
n=$(grep -c "connections open (max_connections): tempfail" "$tmp/warden.log")
[ "$n" = 1 ] || fail "$n log lines for the refused connections, not one"
echo "ok: one log line for 20 refused connections"
exec 3>&-
wait $ipid
out=$("$WDLOAD" -s "unix:$sock" -c 2 -n 10 -m 1 -j "$tmp/msgs")
[ "$(json_get "$out" tempfail_early)" = 0 ] ||
    fail "mail still refused once the connections closed: $out"
echo "ok: mail judged again once the connections closed"
faults_stop
echo "ok: the daemon stopped cleanly"

# 4. 256 descriptors, 300 connections held open without a packet: all
# descriptors taken.  libmilter's listener would spin a core on accept()
# and leave new connections unanswered; Warden closes them at once.
: >"$tmp/warden.log"
faults_conf
with_limit "-n 256"
python3 - "$sock" "$dpid" <<'PY' || fail "descriptors exhausted: see above"
import socket, struct, sys, time
sock, pid = sys.argv[1], sys.argv[2]
def cpu():
    f = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / 100.0
held = []
for i in range(300):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    held.append(s)
time.sleep(1)
c0 = cpu()
time.sleep(4)
used = cpu() - c0
print("daemon CPU over 4 s with 300 connections held: %.2f s" % used)
ok = used < 1.0
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
t = time.time()
try:
    s.connect(sock)
    s.sendall(struct.pack(">I", 13) + b"O" + struct.pack(">III", 6, 0x1ff, 0))
    got = s.recv(4096)
    what = "closed" if got == b"" else "answered (%d bytes)" % len(got)
except (ConnectionResetError, BrokenPipeError):
    what = "closed"
except socket.timeout:
    what = "no answer"
took = time.time() - t
print("a new connection: %s after %.1f s" % (what, took))
ok = ok and what == "closed" and took < 5
for s in held:
    s.close()
sys.exit(0 if ok else 1)
PY
echo "ok: no spin on accept(), new connections closed at once"
n=$(grep -c "out of file descriptors (limit 256): closing new connections" \
    "$tmp/warden.log")
[ "$n" = 1 ] || fail "$n log lines for the closed connections, not one"
echo "ok: one log line for the connections closed"
i=0
while :; do
	out=$("$WDLOAD" -s "unix:$sock" -c 2 -n 10 -m 1 -j "$tmp/msgs")
	[ "$(json_get "$out" errors)" = 0 ] &&
	    [ "$(json_get "$out" tempfail_early)" = 0 ] && break
	i=$((i + 1))
	[ $i -gt 20 ] && fail "mail not judged after the connections went: $out"
	sleep 0.5
done
echo "ok: mail judged again once the connections went"
faults_stop
echo "ok: the daemon stopped cleanly"
