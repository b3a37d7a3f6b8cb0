#!/bin/sh
# Fault: a storm of reloads with SpamAssassin's rules and no prefilter
# cache, where each snapshot starts a background Hyperscan build of
# several seconds.  SIGUSR1 every 50 ms for 5 s must not leave builds
# running for replaced rules: they run one at a time, one whose rules
# were replaced stops (logged), and within 150 s of the storm only the
# last rules' build has completed, the daemon has as many threads as
# before the storm, and mail is judged throughout.
. "$srcdir/tests/faults/lib.sh"

[ -r /usr/share/spamassassin/50_scores.cf ] ||
    { echo "SKIP: SpamAssassin's rules are not installed"; exit 77; }
[ "$sanitized" = yes ] &&
    { echo "SKIP: measured in the plain build (minutes under sanitizers)"; exit 77; }

faults_msgs "$tmp/msgs" 50
faults_conf "regex_prefilter_cache = "
sed -i "s|^rules = .*|rules = /usr/share/spamassassin/*.cf $tmp/rules/*.rules|" \
    "$tmp/warden.conf"
faults_start
ready() { grep -c "regex prefilter ready" "$tmp/warden.log"; }
i=0
while [ "$(ready)" -lt 1 ]; do
	i=$((i + 1))
	[ $i -gt 1200 ] && fail "the first prefilter was not ready in 120 s"
	sleep 0.1
done
threads0=$(ls "/proc/$dpid/task" | wc -l)
echo "ok: started, prefilter ready, $threads0 threads"

"$WDLOAD" -s "unix:$sock" -c 1 -m 10 -n 1000000 -j "$tmp/msgs" \
    >"$tmp/load.out" &
lpid=$!
end=$(($(date +%s) + 5))
maxthr=0
while [ "$(date +%s)" -lt $end ]; do
	kill -USR1 "$dpid"
	t=$(ls "/proc/$dpid/task" | wc -l)
	[ "$t" -gt $maxthr ] && maxthr=$t
	sleep 0.05
done
installed=$(grep -c "reload: configuration [0-9]* installed" "$tmp/warden.log")
echo "ok: storm over: $installed reloads installed, at most $maxthr threads"
[ "$installed" -ge 2 ] || fail "fewer than two reloads in the storm"

# Settle: the last reload finishes, its build completes, the rest stop.
i=0
while :; do
	i=$((i + 1))
	[ $i -gt 1500 ] && fail "builds still running 150 s after the storm: \
$(ls "/proc/$dpid/task" | wc -l) threads, $(ready) prefilters ready"
	last=$(grep -n "reload: configuration [0-9]* installed" \
	    "$tmp/warden.log" | tail -n 1 | cut -d: -f1)
	lastready=$(grep -n "regex prefilter ready" "$tmp/warden.log" |
	    tail -n 1 | cut -d: -f1)
	t=$(ls "/proc/$dpid/task" | wc -l)
	if [ -n "$lastready" ] && [ "$lastready" -gt "$last" ] &&
	    [ "$t" -le "$threads0" ]; then
		break
	fi
	sleep 0.1
done
echo "ok: the last rules' prefilter is ready, $t threads again"
stopped=$(grep -c "regex prefilter: build stopped" "$tmp/warden.log")
completed=$(ready)
echo "ok: $completed builds completed, $stopped stopped for replaced rules"
[ "$stopped" -ge 1 ] || fail "no build for replaced rules was stopped"
[ "$completed" -lt $((installed + 1)) ] ||
    fail "every one of the $installed builds ran to the end"

kill $lpid 2>/dev/null
wait $lpid 2>/dev/null
out=$("$WDLOAD" -s "unix:$sock" -c 2 -n 20 -m 5 -j "$tmp/msgs")
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors: $out"
[ "$(json_get "$out" tempfail)" = 0 ] || fail "mail tempfailed: $out"
echo "ok: mail judged after the storm"
faults_stop
echo "ok: the daemon stopped cleanly"
