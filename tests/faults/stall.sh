#!/bin/sh
# Fault: an MTA connection that stalls in the middle of a packet.  With
# mta_timeout = 2s, a connection that sends half a packet and stops must
# be closed by Warden within a few seconds (libmilter's default would
# hold it, and its thread, for two hours), and the daemon must go on
# judging mail.  (Between packets a session waits in libmilter's worker
# pool, holding a descriptor but no thread; libmilter closes it once it
# has waited mta_timeout, looking every ten minutes -- too long for this
# suite; measured once: closed after 601 s with mta_timeout = 2s.)
. "$srcdir/tests/faults/lib.sh"

faults_msgs "$tmp/msgs" 20
faults_conf "mta_timeout = 2s"
faults_start

python3 - "$sock" <<'PY' || fail "a stalled connection was not closed in time"
import socket, struct, sys, time
def stalled(first):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(first)
    s.settimeout(30)
    t = time.time()
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        print("not closed after 30 s")
        return False
    took = time.time() - t
    print("closed after %.1f s" % took)
    return 1.5 <= took <= 10
# A packet header announcing 100 bytes, and 10 of them.
ok = stalled(struct.pack(">I", 100) + b"O" + b"x" * 9)
sys.exit(0 if ok else 1)
PY
echo "ok: stalled connections closed after mta_timeout"
out=$("$WDLOAD" -s "unix:$sock" -c 2 -n 20 -m 5 -j "$tmp/msgs")
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors afterwards: $out"
echo "ok: mail judged afterwards: $out"
faults_stop
echo "ok: the daemon stopped cleanly"
