#!/bin/sh
# Fault: rule files broken at reload, under load.  While wdload sends a
# GTUBE message and an ordinary one in turn over 8 connections, a broken
# rule file is added and SIGUSR1 sent, then the file is removed and
# SIGUSR1 sent again, five times over.  Every broken reload must keep the
# running rules (logged), every good one install new ones, and the load
# must see no protocol error and exactly one reject per GTUBE message:
# no message is ever judged without the rules.
#
# Each signal waits for its reload to be logged before the rule files
# change again: a SIGUSR1 that arrives while a reload is being built is
# merged with it (one pending signal), and a reload must not read a file
# the test is already taking away.
. "$srcdir/tests/faults/lib.sh"

n=16000
[ "$sanitized" = yes ] && n=3000
faults_msgs "$tmp/msgs" 20
mkdir "$tmp/mix"
cp "$tmp"/msgs/gtube-00018.eml "$tmp"/msgs/ham-00000.eml "$tmp/mix/" ||
    fail "the message set changed"
faults_conf
faults_start

reloads=0
reload() {
	reloads=$((reloads + 1))
	daemon_reload -t 30
	[ $? = 2 ] && fail "SIGUSR1 number $reloads: $DAEMON_ERROR"
}

"$WDLOAD" -s "unix:$sock" -c 8 -m 20 -n $n -j "$tmp/mix" >"$tmp/load.out" &
lpid=$!
for i in 1 2 3 4 5; do
	sleep 0.1
	printf 'body BROKEN_%s /unclosed(/\nscore BROKEN_%s 1\n' "$i" "$i" \
	    >"$tmp/rules/99_broken.rules"
	reload
	sleep 0.1
	rm -f "$tmp/rules/99_broken.rules"
	reload
done
kill -0 $lpid 2>/dev/null && echo "the load was still running after the last reload"
wait $lpid
out=$(cat "$tmp/load.out")
echo "load: $out"
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors under reload"
[ "$(json_get "$out" messages)" = $n ] || fail "not every message judged"
[ "$(json_get "$out" reject)" = $((n / 2)) ] ||
    fail "expected $((n / 2)) GTUBE rejects"
[ "$(json_get "$out" tempfail)" = 0 ] || fail "tempfails under reload"
sleep 0.5
failed=$(grep -c "reload failed with" "$tmp/warden.log")
installed=$(grep -c "reload: configuration [0-9]* installed" "$tmp/warden.log")
echo "reloads: $failed failed (rules kept), $installed installed"
[ "$failed" = 5 ] || fail "$failed broken reloads refused (want 5)"
[ "$installed" = 5 ] || fail "$installed good reloads installed (want 5)"
grep -q "99_broken.rules:1:" "$tmp/warden.log" ||
    fail "the broken rule was not reported as file:line"
faults_stop
echo "ok: broken rules at reload kept the running rules under load"
