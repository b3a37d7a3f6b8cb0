#!/bin/sh
# Soak: wdload sends 20,000 varied messages (tests/soak/gen.py, or the
# corpus in $WARDEN_SOAK_CORPUS: a directory of messages) over 32
# concurrent connections, 10 messages per connection, while the daemon
# reloads (SIGUSR1) every 2 seconds.  There must be no protocol error,
# every message must be judged, and the daemon's resident memory after
# the run is compared with what it was after the first 1,000 messages
# (target: within 10%, enforced with WARDEN_SOAK_STRICT=1; by default
# only a leak-sized doubling fails).  Prints the memory curve.
#
# A sanitizer build sends 4,000 and only prints the curve (the
# sanitizer's allocator keeps freed memory in quarantine); LeakSanitizer
# checks the daemon at exit instead.  WARDEN_SOAK_MESSAGES overrides the
# count.
. "$srcdir/tests/faults/lib.sh"

n=20000
[ "$sanitized" = yes ] && n=4000
n=${WARDEN_SOAK_MESSAGES:-$n}
corpus=${WARDEN_SOAK_CORPUS:-}
if [ -z "$corpus" ]; then
	faults_msgs "$tmp/msgs" 400
	corpus=$tmp/msgs
fi
faults_conf
faults_start

judged() {	# $1 = wdload JSON: messages with a verdict
	j=0
	for k in accept tag quarantine reject tempfail discard reject_early \
	    tempfail_early accept_early; do
		j=$((j + $(json_get "$1" $k)))
	done
	echo $j
}

# The first 1,000, under the same regime (reloads included): the baseline.
"$WDLOAD" -s "unix:$sock" -c 32 -m 10 -n 1000 -j "$corpus" >"$tmp/load.out" &
lpid=$!
while kill -0 $lpid 2>/dev/null; do
	sleep 0.5
	kill -USR1 "$dpid"
done
wait $lpid
out=$(cat "$tmp/load.out")
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors: $out"
sleep 2	# idle: the daemon gives freed memory back within a second
base=$(faults_rss)
echo "memory curve (VmRSS kB):"
echo "  after 1000 messages: $base"

rest=$((n - 1000))
start=$(date +%s)
"$WDLOAD" -s "unix:$sock" -c 32 -m 10 -n $rest -j "$corpus" >"$tmp/load.out" &
lpid=$!
t=0
while kill -0 $lpid 2>/dev/null; do
	sleep 1
	t=$((t + 1))
	echo "  t=${t}s: $(faults_rss)"
	[ $((t % 2)) = 0 ] && kill -USR1 "$dpid"
	[ $t -gt 600 ] && fail "the load did not finish in 10 minutes"
done
wait $lpid
out=$(cat "$tmp/load.out")
echo "load: $out"
# After the run: the lowest of five samples a second apart, once the
# daemon is idle and has given freed memory back (it trims within a
# second of going idle, and after each reload).
final=
for i in 1 2 3 4 5; do
	sleep 1
	r=$(faults_rss)
	[ -z "$final" ] || [ "$r" -lt "$final" ] && final=$r
done
echo "  after $n messages: $final"
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors"
[ "$(json_get "$out" messages)" = $rest ] || fail "messages missing"
[ "$(judged "$out")" = $rest ] || fail "not every message was judged"
reloads=$(grep -c "reload: configuration [0-9]* installed" "$tmp/warden.log")
echo "reloads installed during the run: $reloads"
[ "$reloads" -ge 1 ] || fail "no reload took place"
daemon_alive "$dpid" || fail "the daemon died"
if [ "$sanitized" = no ]; then
	# The target is 10% (plus 1 MB for pages a busy machine leaves
	# touched in thread stacks and malloc pools).  On a shared, loaded
	# machine (CI runs tests in parallel) the heap's fragmentation varies
	# more than that, so by default only a leak-sized growth (2x) fails
	# and the figure is reported; WARDEN_SOAK_STRICT=1 holds the target.
	if [ "${WARDEN_SOAK_STRICT:-0}" = 1 ]; then
		max=$((base + base / 10 + 1024))
	else
		max=$((base * 2))
	fi
	[ "$final" -le "$max" ] ||
	    fail "resident memory grew from $base kB to $final kB (bound $max kB)"
	echo "ok: resident memory $final kB after the run, $base kB after the" \
	    "first 1000 ($(( (final - base) * 100 / base ))% change, bound $max kB)"
fi
faults_stop
echo "ok: soak of $n messages in $(( $(date +%s) - start + 1 ))s, no error, every message judged"
