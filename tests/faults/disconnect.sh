#!/bin/sh
# Fault: the MTA closes the connection in the middle of a body, with no
# abort, 10,000 times (wdload -k 100).  The daemon must stay up, keep no
# spool file and no descriptor, and its resident memory must stay flat:
# after the last batch within 10% (plus 2 MB of allocator slack) of after
# the first 1,000.  Prints the memory curve.  A sanitizer build does
# 2,000 and leaves the memory to LeakSanitizer at exit.
. "$srcdir/tests/faults/lib.sh"

total=10000
[ "$sanitized" = yes ] && total=2000
faults_msgs "$tmp/msgs" 200
faults_conf
faults_start

batch() {	# $1 = messages
	out=$("$WDLOAD" -s "unix:$sock" -c 16 -m 1 -k 100 -n "$1" -j "$tmp/msgs")
	[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors: $out"
	[ "$(json_get "$out" disconnected)" = "$1" ] ||
	    fail "not every message was cut off: $out"
}

fds() {
	ls "/proc/$dpid/fd" | wc -l
}

batch 1000
sleep 0.5
rss1=$(faults_rss)
fd1=$(fds)
echo "after 1000 disconnects: VmRSS $rss1 kB, $fd1 descriptors"
done_n=1000
while [ $done_n -lt $total ]; do
	batch 1000
	done_n=$((done_n + 1000))
	echo "after $done_n disconnects: VmRSS $(faults_rss) kB"
done
sleep 0.5
rss2=$(faults_rss)
fd2=$(fds)
echo "after $total disconnects: VmRSS $rss2 kB, $fd2 descriptors"
[ "$fd2" -le "$fd1" ] || fail "descriptors grew from $fd1 to $fd2"
left=$(ls -A "$spool")
[ -z "$left" ] || fail "spool files left behind: $left"
if [ "$sanitized" = no ]; then
	max=$((rss1 + rss1 / 10 + 2048))
	[ "$rss2" -le "$max" ] ||
	    fail "resident memory grew from $rss1 kB to $rss2 kB (bound $max kB)"
	echo "ok: resident memory flat ($rss1 -> $rss2 kB, bound $max kB)"
fi

# Still judging mail.
out=$("$WDLOAD" -s "unix:$sock" -c 4 -n 100 -m 10 -j "$tmp/msgs")
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors afterwards: $out"
echo "ok: 100 messages judged afterwards"
faults_stop
echo "ok: $total disconnects in the middle of a body, the daemon stopped cleanly"
