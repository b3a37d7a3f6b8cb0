#!/bin/sh
# daemon.sh -- the antivirus in the running daemon (warden milter, in the
# background, so after its fork), driven with miltertest while a stream
# of messages flows: a signature file added to the database directory is
# found after the check interval, and, with the watcher off, after
# SIGUSR1; no message is tempfailed on the way.
# shellcheck source=tests/av/common.sh
. "${srcdir:-.}/tests/av/common.sh"
need_libclamav
need_testfiles
[ -x "$WARDEN" ] || skip "warden not built"
MILTERTEST=${MILTERTEST:-miltertest}
command -v "$MILTERTEST" > /dev/null 2>&1 ||
    skip "miltertest not installed (apt-get install miltertest)"

make_msg "$TESTFILES/clam.exe" "$T/clam.eml"
sed '1,/^\r$/d' "$T/clam.eml" > "$T/clam.body"
harmless "$TESTFILES/clam.exe" "$T/harmless.bin"
make_msg "$T/harmless.bin" "$T/clean.eml" clam.exe
sed '1,/^\r$/d' "$T/clean.eml" > "$T/clean.body"
LUA=${srcdir:-.}/tests/av/daemon.lua

# send BODYFILE: one message to the daemon $D; prints
# "verdict NAME X-Virus-Status".
send() {
	"$MILTERTEST" -D "sock=unix:$T/$D.sock" -D "body=$1" -s "$LUA" 2>&1 |
	    grep '^verdict' || echo "verdict error miltertest"
}

# start NAME INTERVAL: a daemon with its own socket and database
# directory $T/NAME.db, started as a site starts it (it forks); sets D
# and wpid.  Both daemons are stopped at the end (Warden takes a few
# seconds to wind down, so they run side by side).
start() {
	D=$1
	mkdir -p "$T/$D.spool"
	cat > "$T/$D.conf" <<EOT
socket = unix:$T/$D.sock
pid_file = $T/$D.pid
spool_directory = $T/$D.spool
rules =
log_level = info
clamav_database = $T/$D.db
clamav_check_interval = $2
EOT
	[ "$(id -u)" = 0 ] && echo "run_as_root = yes" >> "$T/$D.conf"
	daemon_start -b "$T/$D.conf" "$T/$D.out" ||
	    { bad "warden milter did not start: $DAEMON_ERROR"; exit 1; }
	wpid=$DAEMON_PID
}

stop_all() {
	# shellcheck disable=SC2086 # a list of pids
	daemon_stop -t 15 $DAEMON_PIDS ||
	    bad "a daemon did not stop within 15 s: $DAEMON_ERROR"
}

# stream SECONDS: clam.eml and clean.eml in turn until clam.eml is
# refused; fails on any tempfail or error.
stream() {
	n=0 t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt "$1" ]; do
		c=$(send "$T/clean.body")
		case $c in
		"verdict accept Clean") ;;
		*) bad "clean message: $c"; return 1 ;;
		esac
		v=$(send "$T/clam.body")
		n=$((n + 2))
		case $v in
		"verdict replycode "*) echo "$n messages, then refused"; return 0 ;;
		"verdict accept Clean") ;;
		*) bad "clam.exe message: $v"; return 1 ;;
		esac
	done
	bad "not refused after $1 s ($n messages)"
	return 1
}

mkdir "$T/a.db" "$T/b.db"
printf '%s' "$EICAR" > "$T/eicar.com"
hdb_line "$T/eicar.com" Warden.Test.EICAR > "$T/a.db/test.hdb"
cp "$T/a.db/test.hdb" "$T/b.db/"
hdb_line "$TESTFILES/clam.exe" Warden.Test.ClamExe > "$T/clam.hdb"

# The check interval, in the forked daemon.
start a 1s
v=$(send "$T/clam.body")
[ "$v" = "verdict accept Clean" ] || bad "before the new signature: $v"
cp "$T/clam.hdb" "$T/a.db/"
if r=$(stream 20); then
	pass "check interval: $r, no tempfail"
fi

# SIGUSR1 with the watcher off.
start b 0
v=$(send "$T/clam.body")
[ "$v" = "verdict accept Clean" ] || bad "before SIGUSR1: $v"
cp "$T/clam.hdb" "$T/b.db/"
sleep 1.5
v=$(send "$T/clam.body")
[ "$v" = "verdict accept Clean" ] || bad "watcher off, yet found: $v"
kill -USR1 "$wpid"
if r=$(stream 20); then
	pass "SIGUSR1: $r, no tempfail"
fi
stop_all
exit $fail
