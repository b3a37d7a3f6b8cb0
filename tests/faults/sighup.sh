#!/bin/sh
# Fault: SIGHUP, which administrators and log rotation scripts send to
# reload.  It must reload as SIGUSR1 does and never stop Warden: under
# load (8 connections), five SIGHUPs each followed by a reload in the
# log, then a burst of 20, with the daemon running throughout and no
# message cut off or refused; then SIGINT must stop it as SIGTERM does
# (messages in flight finish, exit status 0).
. "$srcdir/tests/faults/lib.sh"

n=20000
[ "$sanitized" = yes ] && n=8000
faults_msgs "$tmp/msgs" 100
faults_conf
faults_start

"$WDLOAD" -s "unix:$sock" -c 8 -m 50 -n $n -j "$tmp/msgs" >"$tmp/load.out" &
lpid=$!
i=0
while [ "$(grep -c " action=" "$tmp/warden.log")" -lt 100 ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && fail "no progress in 60 s"
	sleep 0.1
done

installed() {
	grep -c "reload: configuration [0-9]* installed" "$tmp/warden.log"
}
for k in 1 2 3 4 5; do
	before=$(installed)
	kill -HUP "$dpid"
	i=0
	while [ "$(installed)" -le "$before" ]; do
		i=$((i + 1))
		daemon_alive "$dpid" || fail "SIGHUP $k stopped the daemon"
		[ $i -gt 300 ] && fail "SIGHUP $k: no reload in 30 s"
		sleep 0.1
	done
done
kill -0 $lpid 2>/dev/null || fail "the load ended before the SIGHUPs did; raise n"
echo "ok: five SIGHUPs under load, five reloads"
grep -q "SIGHUP: reloading" "$tmp/warden.log" || fail "SIGHUP not logged"

before=$(installed)
for k in $(seq 20); do
	kill -HUP "$dpid"
done
i=0
while [ "$(installed)" -le "$before" ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "a burst of SIGHUPs: no reload in 30 s"
	sleep 0.1
done
daemon_alive "$dpid" || fail "a burst of SIGHUPs stopped the daemon"
echo "ok: a burst of 20 SIGHUPs: still running, reloaded"

wait $lpid
out=$(cat "$tmp/load.out")
echo "load: $out"
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors during the reloads"
[ "$(json_get "$out" messages)" = $n ] || fail "not every message was judged"
for k in tempfail tempfail_early aborted disconnected; do
	[ "$(json_get "$out" $k)" = 0 ] || fail "messages $k during the reloads"
done
echo "ok: every message judged during the reloads"

# SIGINT drains as SIGTERM does.
"$WDLOAD" -s "unix:$sock" -c 4 -m 1000000 -n 20000 -j "$tmp/msgs" \
    >"$tmp/load2.out" &
lpid=$!
sleep 1
kill -INT "$dpid"
wait $lpid
out=$(cat "$tmp/load2.out")
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors after SIGINT"
[ "$(json_get "$out" tempfail)" = 0 ] || fail "messages cut off by SIGINT"
faults_wait_exit 40 "the daemon did not stop after SIGINT"
grep -q "SIGINT: stopping" "$tmp/warden.log" || fail "SIGINT did not drain"
echo "ok: SIGINT drains and stops with status 0"
