#!/bin/sh
# Fault: malformed milter packets from whatever can write to the socket.
# A macro packet with an odd number of strings (a name without its
# value), followed by a connect, made libmilter read past its macro list
# (a crash in 2 of 3 starts).  Sent 50 times, then other broken packets:
# the daemon must close each such session, log it, stay up and go on
# judging mail.  Also libmilter's mi_rd_cmd() calls reach Warden's (the
# check before libmilter's parsing).
. "$srcdir/tests/faults/lib.sh"

faults_msgs "$tmp/msgs" 20
faults_conf
LD_DEBUG=bindings LD_DEBUG_OUTPUT=$tmp/ld faults_start

# The symbol must be in the executable's dynamic table for libmilter's
# calls to bind to it.
nm -D "$WARDEN" 2>/dev/null | grep -q " T mi_rd_cmd$" ||
    fail "the executable does not define mi_rd_cmd for libmilter"
echo "ok: Warden's mi_rd_cmd is in its dynamic symbol table"

python3 - "$sock" <<'PY' || fail "the packets could not be sent"
import socket, struct, sys

def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data

def session(packets):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.settimeout(10)
    s.sendall(pkt(b"O", struct.pack(">III", 6, 0x1ff, 0)))
    s.recv(4096)
    try:
        for p in packets:
            s.sendall(p)
        while s.recv(4096):
            pass
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        pass
    s.close()

connect = pkt(b"C", b"client.example\0" + b"4" + struct.pack(">H", 25) +
              b"192.0.2.1\0")
for i in range(50):
    # {j} with no value, then a connect that looks macros up.
    session([pkt(b"D", b"Cj\0"), connect])
# A name/value/name; a last string with no NUL; a macro packet that is
# nothing but its command byte.
session([pkt(b"D", b"C{daemon_name}\0smtpd\0j\0"), connect])
session([pkt(b"D", b"Cj\0host"), connect])
session([pkt(b"D"), connect])
PY
echo "ok: 53 sessions with malformed macro packets sent"
cat "$tmp"/ld.* 2>/dev/null | grep -q \
    "binding file [^ ]*libmilter[^ ]* .* to [^ ]*warden .*symbol .mi_rd_cmd'" ||
    fail "libmilter's calls to mi_rd_cmd do not bind to Warden's"
rm -f "$tmp"/ld.*
echo "ok: libmilter's mi_rd_cmd() calls reach Warden's"
daemon_alive "$dpid" || fail "the daemon died"
n=$(grep -c "a malformed macro packet from the MTA" "$tmp/warden.log")
[ "$n" = 53 ] || fail "$n malformed packets logged, not 53"
echo "ok: the daemon is up and logged each malformed packet"
out=$("$WDLOAD" -s "unix:$sock" -c 2 -n 20 -m 5 -j "$tmp/msgs")
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors afterwards: $out"
echo "ok: mail judged afterwards"
faults_stop
echo "ok: the daemon stopped cleanly"
