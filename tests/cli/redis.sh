#!/bin/sh
# redis.sh -- the statistical filter's Redis backend, shared by two
# daemons, against a real redis-server on loopback started here:
#
#  - Before anything is learned both daemons judge the new spam without
#    a BAYES_* rule (the filter abstains: too few learned).
#  - "warden learn" with daemon A's configuration teaches the shared
#    store; daemon B's next verdict on the same message has BAYES_99,
#    and A's too; the learned counts are those LMDB would hold.
#  - Learning again, moving and forgetting say and do the same as with
#    LMDB, also after Redis forgot the learning script.
#  - Redis stops: mail still flows through B (no tempfail, no BAYES_*),
#    and B logs the outage once for several messages; Redis back: B
#    says so once.
set -u

: "${srcdir:=$(dirname "$0")/../..}"
BUILD=$(pwd)
WARDEN=$BUILD/warden
WDLOAD=$BUILD/tests/load/wdload
[ -x "$WARDEN" ] || { echo "ERROR: $WARDEN is not built"; exit 99; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
PATH=$PATH:/usr/sbin:/usr/bin
REDIS=$(command -v redis-server) ||
    { echo "SKIP: redis-server is not installed (apt-get install redis-server)"; exit 77; }
# shellcheck source=tests/daemon.sh
. "$srcdir/tests/daemon.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-redis-test.XXXXXX") || exit 99
rpid=
cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	rm -rf "$T"
}
daemon_trap cleanup 99

fail=0
pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

python3 "$srcdir/tests/cli/gen_mail.py" "$T" || exit 99
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_redis() {
	"$REDIS" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
	    --dir "$T" --logfile "$T/redis.log" &
	rpid=$!
	i=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "ERROR: redis-server did not start"; cat "$T/redis.log"; exit 99; }
		sleep 0.1
	done
}
start_redis

conf() {	# NAME
	cat <<EOF
socket = unix:$T/$1.sock
spool_directory = $T/spool-$1
run_as_root = yes
clamav = off
regex_prefilter = no
rules = $T/bayes.cf
statistics = yes
statistics_backend = redis
statistics_redis = 127.0.0.1:$port
statistics_min_learned = 200
EOF
}
mkdir -p "$T/spool-a" "$T/spool-b"
conf a >"$T/a.conf"
conf b >"$T/b.conf"
daemon_start "$T/a.conf" "$T/a.log" || exit 1
APID=$DAEMON_PID
daemon_start "$T/b.conf" "$T/b.log" || exit 1
BPID=$DAEMON_PID
mkdir -p "$T/one"
cp "$T/new-spam.eml" "$T/one/"

# send NAME: the new spam through daemon NAME; its verdict line.
send() {
	"$WDLOAD" -s "unix:$T/$1.sock" -c 1 -n 1 "$T/one" >"$T/wd.out" 2>&1 ||
	    { bad "wdload to $1: $(cat "$T/wd.out")"; return 1; }
	sleep 0.2
	grep " action=" "$T/$1.log" | tail -1
}

line=$(send b)
case $line in
*BAYES_*) bad "nothing learned yet, yet B hit: $line" ;;
*action=*) pass "nothing learned: B judges without BAYES_* ($line)" ;;
*) bad "no verdict from B: $line" ;;
esac

"$WARDEN" learn -c "$T/a.conf" --spam "$T/spam" >/dev/null &&
    "$WARDEN" learn -c "$T/a.conf" --ham "$T/ham.mbox" "$T/Maildir" >/dev/null ||
    bad "learning through A's configuration failed"
line=$(send b)
case $line in
*BAYES_99*) pass "learned through A's store: B's verdict has BAYES_99" ;;
*) bad "B after learning: $line" ;;
esac
line=$(send a)
case $line in
*BAYES_99*) pass "and A's too" ;;
*) bad "A after learning: $line" ;;
esac
# The same counts as LMDB's store of the same mail.
printf 'statistics = yes\nstatistics_directory = %s/lmdb\n' "$T" >"$T/l.conf"
"$WARDEN" learn -c "$T/l.conf" --spam "$T/spam" >/dev/null
"$WARDEN" learn -c "$T/l.conf" --ham "$T/ham.mbox" "$T/Maildir" >/dev/null
r=$("$WARDEN" learn -c "$T/b.conf" --stats | grep -E "^(spam|ham) learned|^tokens" | sed 's/ (.*//')
l=$("$WARDEN" learn -c "$T/l.conf" --stats | grep -E "^(spam|ham) learned|^tokens" | sed 's/ (.*//')
[ "$r" = "$l" ] && pass "Redis and LMDB hold the same counts: $(echo $r)" ||
    bad "Redis: $r; LMDB: $l"

# Learning again, moving, forgetting (Redis's calls go in batches):
# what each store says it did, and what it holds after, are the same.
# Redis forgets its scripts first (SCRIPT FLUSH): they are sent again.
python3 -c "import socket; s = socket.create_connection(('127.0.0.1', $port), 2); s.sendall(b'SCRIPT FLUSH\r\n'); assert s.recv(64).startswith(b'+OK')" ||
    bad "SCRIPT FLUSH failed"
both() {	# WHAT EXPECTED ARGS...
	what=$1 want=$2
	shift 2
	r=$("$WARDEN" learn -c "$T/a.conf" "$@" | head -1)
	l=$("$WARDEN" learn -c "$T/l.conf" "$@" | head -1)
	rs=$("$WARDEN" learn -c "$T/b.conf" --stats | grep -E "^(spam|ham) learned|^tokens" | sed 's/ (.*//')
	ls=$("$WARDEN" learn -c "$T/l.conf" --stats | grep -E "^(spam|ham) learned|^tokens" | sed 's/ (.*//')
	case $r in
	"$want"*) [ "$r" = "$l" ] && [ "$rs" = "$ls" ] &&
	    pass "$what: $r; the same as LMDB's: $(echo $rs)" ||
	    bad "$what: Redis: $r, $(echo $rs); LMDB: $l, $(echo $ls)" ;;
	*) bad "$what: $r" ;;
	esac
}
both "spam again" "250 messages as spam: 0 learned, 250 already known, 0 moved" --spam "$T/spam"
both "10 spam as ham" "10 messages as ham: 0 learned, 0 already known, 10 moved" --ham "$T"/spam/00?.eml
both "all spam as spam" "250 messages as spam: 0 learned, 240 already known, 10 moved" --spam "$T/spam"
both "spam forgotten" "250 messages: 250 forgotten, 0 never" --forget "$T/spam"
both "forgotten again" "250 messages: 0 forgotten, 250 never" --forget "$T/spam"
both "spam learned anew" "250 messages as spam: 250 learned" --spam "$T/spam"

# Redis goes away: mail flows, the outage is said once.
kill "$rpid"
wait "$rpid" 2>/dev/null
rpid=
for i in 1 2 3; do
	line=$(send b)
	case $line in
	*action=tempfail*|*BAYES_*|"") bad "Redis down, message $i: $line" ;;
	*) ;;
	esac
done
n=$(grep -c "the statistical filter abstains until it answers" "$T/b.log")
[ "$n" = 1 ] && pass "Redis down: mail judged, the outage logged once" ||
    bad "Redis down: $n log lines"
start_redis
sleep 5.5		# past the retry pause after a failed connect
send b >/dev/null
grep -q "statistics store 127.0.0.1:$port answers again" "$T/b.log" &&
    pass "Redis back: said once" || bad "no line when Redis came back"
daemon_stop "$APID" "$BPID" || bad "the daemons did not stop cleanly"
exit $fail
