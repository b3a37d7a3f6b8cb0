#!/bin/sh
# Fault: the spool directory is full, then unwritable, then gone.  A
# message too large for memory must get on_internal_error (tempfail) from
# the milter, with no protocol error and no crash, and the log must name
# the spool failure, never max_scan_size; small messages, which stay in
# memory, are still judged as usual.  "warden scan", which needs no spool
# for a stored message, judges the large one all the same.
#
# "Full" and "read-only" need a small tmpfs mounted on the spool
# directory (root); without it only the "gone" case runs.
. "$srcdir/tests/faults/lib.sh"

faults_msgs "$tmp/msgs" 60
mkdir "$tmp/big" "$tmp/small"
cp "$tmp"/msgs/big-* "$tmp/big/"
cp "$tmp"/msgs/ham-* "$tmp/small/"
faults_conf
faults_start

# Every big message tempfailed, every small one judged, no errors.
check() {	# $1 = what
	out=$("$WDLOAD" -s "unix:$sock" -c 4 -n 20 -m 5 -j "$tmp/big")
	[ "$(json_get "$out" errors)" = 0 ] || fail "$1: protocol errors: $out"
	[ "$(json_get "$out" tempfail)" = 20 ] ||
	    fail "$1: big messages not all tempfailed: $out"
	echo "ok: $1: 20 big messages tempfailed: $out"
	out=$("$WDLOAD" -s "unix:$sock" -c 4 -n 20 -m 5 -j "$tmp/small")
	[ "$(json_get "$out" errors)" = 0 ] || fail "$1: protocol errors: $out"
	[ "$(json_get "$out" tempfail)" = 0 ] ||
	    fail "$1: small messages tempfailed: $out"
	echo "ok: $1: 20 small messages judged: $out"
	big=$(ls "$tmp"/big/* | head -n 1)
	"$WARDEN" scan -c "$tmp/warden.conf" --json "$big" >"$tmp/scan.out" 2>&1
	grep -q '"action":"tempfail"' "$tmp/scan.out" &&
	    fail "$1: warden scan tempfailed: $(cat "$tmp/scan.out")"
	grep -q '"action":' "$tmp/scan.out" ||
	    fail "$1: warden scan judged nothing: $(cat "$tmp/scan.out")"
	echo "ok: $1: warden scan, which needs no spool, judges it"
	grep -q "larger than max_scan_size" "$tmp/warden.log" &&
	    fail "$1: a spool failure logged as a message past max_scan_size"
	kill -0 "$dpid" 2>/dev/null || fail "$1: the daemon died"
}

if [ "$(id -u)" = 0 ] &&
    mount -t tmpfs -o size=64k,mode=0700 warden-spool "$spool" 2>/dev/null; then
	faults_mounts=$spool
	check "spool full (64k tmpfs)"
	grep -q "spool write failed: No space left" "$tmp/warden.log" ||
	    fail "no log line for the full spool"
	mount -o remount,ro "$spool" || fail "cannot remount the spool read-only"
	check "spool read-only"
	grep -q "spool write failed: Read-only file system" "$tmp/warden.log" ||
	    fail "no log line for the read-only spool"
	umount "$spool" || fail "cannot unmount the spool"
	faults_mounts=
else
	echo "note: cannot mount a tmpfs (not root?): full and read-only cases skipped"
fi
rmdir "$spool"
check "spool directory gone"
grep -q "spool write failed: No such file" "$tmp/warden.log" ||
    fail "no log line for the missing spool directory"
mkdir "$spool"
faults_stop
echo "ok: the daemon stopped cleanly"
