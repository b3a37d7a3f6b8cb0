#!/bin/sh
# Fault: SIGTERM under load.  wdload keeps 8 connections open (one each,
# opened before the signal) and sends varied messages; once 200 are
# judged, the daemon gets SIGTERM.  The daemon must let every message in
# flight finish with its verdict and refuse new ones with a tempfail at
# MAIL FROM (the client tries again later): wdload must see no protocol
# error and every message either judged or tempfailed at MAIL FROM, never
# cut off; the daemon must log that every message in flight finished,
# exit 0, and leave an empty spool directory (nothing half-written).
. "$srcdir/tests/faults/lib.sh"

n=20000
[ "$sanitized" = yes ] && n=1500
faults_msgs "$tmp/msgs" 200
faults_conf
faults_start

# -m larger than -n: each worker keeps the one connection it opened.
"$WDLOAD" -s "unix:$sock" -c 8 -m 1000000 -n $n -j "$tmp/msgs" >"$tmp/load.out" &
lpid=$!
# Signal once some messages are judged: the load is then in full swing.
i=0
while [ "$(grep -c " action=" "$tmp/warden.log")" -lt 200 ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && fail "no progress in 60 s"
	sleep 0.1
done
kill -0 $lpid 2>/dev/null || fail "the load ended before the signal; raise n"
kill -TERM "$dpid"
echo "SIGTERM sent with the load running"
wait $lpid
out=$(cat "$tmp/load.out")
echo "load: $out"
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors after SIGTERM"
[ "$(json_get "$out" messages)" = $n ] || fail "not every message was judged"
judged=0
for k in accept tag quarantine reject discard tempfail_early; do
	judged=$((judged + $(json_get "$out" $k)))
done
[ $judged = $n ] || fail "messages neither judged nor refused at MAIL FROM"
[ "$(json_get "$out" tempfail)" = 0 ] || fail "messages tempfailed at the end"
faults_wait_exit 40 "the daemon did not stop after its connections closed"
grep -q "Warden stopped" "$tmp/warden.log" || fail "no clean stop in the log"
grep -q "every message in flight has finished" "$tmp/warden.log" ||
    fail "the daemon did not wait for the messages in flight"
grep "SIGTERM: stopping" "$tmp/warden.log"
daemon_sanitizer_report "$tmp/warden.log" &&
    fail "sanitizer report from the daemon"
left=$(ls -A "$spool")
[ -z "$left" ] || fail "spool files left behind: $left"
echo "ok: SIGTERM under load: in-flight connections finished, clean stop"
