#!/bin/sh
# stats_daemon.sh -- the statistical filter inside the daemon:
#
#  - Autolearn (statistics_autolearn = yes): the generated spam, which
#    rules score 13 points (6 from a header rule, 7 from a body rule),
#    and the ham, which scores 0, are sent through the daemon; it learns
#    them by itself (autolearn=spam / autolearn=ham in its verdict
#    lines), and then judges a new spam with BAYES_99.
#  - The LMDB store under load: while 8 connections send mail, "warden
#    learn" learns, forgets and learns again into the store the daemon
#    reads: no protocol error, no tempfail, and the 99th percentile of
#    the verdicts' latency rises by less than 10 ms over the same load
#    without learning (readers never wait for the writer).
#  - A corrupted store file: the daemon starts, abstains (no BAYES_*),
#    judges mail, and says why; lint says it too.
set -u

: "${srcdir:=$(dirname "$0")/../..}"
BUILD=$(pwd)
WARDEN=$BUILD/warden
WDLOAD=$BUILD/tests/load/wdload
[ -x "$WARDEN" ] || { echo "ERROR: $WARDEN is not built"; exit 99; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }
# shellcheck source=tests/daemon.sh
. "$srcdir/tests/daemon.sh"
sanitized=no
grep -q "enable-sanitizers" config.log 2>/dev/null && sanitized=yes

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-statsd-test.XXXXXX") || exit 99
daemon_trap 'rm -rf "$T"' 99

fail=0
pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
json_get() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\([-0-9.]*\).*/\1/p"; }

python3 "$srcdir/tests/cli/gen_mail.py" "$T" || exit 99
cat >"$T/guard.rules" <<'EOF'
header  GEN_SUBJ  Subject =~ /You won/
score   GEN_SUBJ  6
body    GEN_BODY  /lottery|prize|casino/
score   GEN_BODY  7
EOF
mkdir -p "$T/spool" "$T/ham" "$T/one"
python3 - "$T" <<'PY'
import mailbox, sys
t = sys.argv[1]
for i, m in enumerate(mailbox.mbox(t + "/ham.mbox")):
    open("%s/ham/%03d.eml" % (t, i), "wb").write(m.as_bytes())
PY
cp "$T/new-spam.eml" "$T/one/"
conf() {	# STORE AUTOLEARN
	cat <<EOF
socket = unix:$T/w.sock
spool_directory = $T/spool
run_as_root = yes
clamav = off
regex_prefilter = no
rules = $T/bayes.cf $T/guard.rules
statistics = yes
statistics_directory = $T/$1
statistics_autolearn = $2
EOF
}
conf auto yes >"$T/auto.conf"
daemon_start "$T/auto.conf" "$T/auto.log" || exit 1
out=$("$WDLOAD" -s "unix:$T/w.sock" -c 4 -n 400 -j "$T/spam" "$T/ham")
[ "$(json_get "$out" errors)" = 0 ] || bad "autolearn load: $out"
daemon_stop || bad "the daemon did not stop cleanly"
s=$(grep -c "autolearn=spam" "$T/auto.log")
h=$(grep -c "autolearn=ham" "$T/auto.log")
stats=$("$WARDEN" learn -c "$T/auto.conf" --stats)
ns=$(echo "$stats" | sed -n 's/^spam learned: //p')
nh=$(echo "$stats" | sed -n 's/^ham learned: //p')
if [ "$s" -ge 200 ] && [ "$h" -ge 100 ] && [ "$ns" = "$s" ] && [ "$nh" = "$h" ]; then
	pass "autolearn: $s spam and $h ham learned by the daemon, all in the store"
else
	bad "autolearn: log $s spam / $h ham; store: $stats"
fi
"$WARDEN" learn -c "$T/auto.conf" --ham "$T/Maildir" >/dev/null
daemon_start "$T/auto.conf" "$T/auto2.log" || exit 1
"$WDLOAD" -s "unix:$T/w.sock" -c 1 -n 1 "$T/one" >/dev/null
daemon_stop || bad "the daemon did not stop cleanly"
grep " action=" "$T/auto2.log" | grep -q "BAYES_99" &&
    pass "after autolearn a new spam hits BAYES_99" ||
    bad "after autolearn: $(grep ' action=' "$T/auto2.log")"

# The store under load while warden learn writes it.
conf lmdb no >"$T/l.conf"
"$WARDEN" learn -c "$T/l.conf" --spam "$T/spam" >/dev/null
"$WARDEN" learn -c "$T/l.conf" --ham "$T/ham" "$T/Maildir" >/dev/null
daemon_start "$T/l.conf" "$T/l.log" || exit 1
n=10000
[ "$sanitized" = yes ] && n=1000
base=$("$WDLOAD" -s "unix:$T/w.sock" -c 8 -n $n -j "$T/spam" "$T/ham")
(
	i=0
	while [ $i -lt 20 ]; do
		nice -n 19 "$WARDEN" learn -c "$T/l.conf" --forget "$T/spam" >/dev/null
		nice -n 19 "$WARDEN" learn -c "$T/l.conf" --spam "$T/spam" >/dev/null
		i=$((i + 1))
	done
) &
lpid=$!
during=$("$WDLOAD" -s "unix:$T/w.sock" -c 8 -n $n -j "$T/spam" "$T/ham")
kill $lpid 2>/dev/null
wait $lpid 2>/dev/null
echo "without learning: $base"
echo "while learning:   $during"
if [ "$(json_get "$during" errors)" = 0 ] &&
    [ "$(json_get "$during" tempfail)" = 0 ]; then
	pass "load while learning: no error, no tempfail"
else
	bad "load while learning: $during"
fi
if [ "$sanitized" = no ]; then
	p0=$(json_get "$base" p99_ms)
	p1=$(json_get "$during" p99_ms)
	if awk -v a="$p0" -v b="$p1" 'BEGIN { exit !(b - a < 10) }'; then
		pass "p99 latency $p0 ms without learning, $p1 ms while learning"
	else
		bad "p99 latency rose from $p0 to $p1 ms while learning"
	fi
fi
daemon_stop || bad "the daemon did not stop cleanly"

# A corrupted store: the daemon abstains and says why.
conf bad no >"$T/bad.conf"
cp -r "$T/lmdb" "$T/bad"
dd if=/dev/urandom of="$T/bad/data.mdb" bs=4096 count=4 conv=notrunc 2>/dev/null
daemon_start "$T/bad.conf" "$T/bad.log" || exit 1
out=$("$WDLOAD" -s "unix:$T/w.sock" -c 1 -n 5 -j "$T/one")
daemon_stop || bad "the daemon did not stop cleanly"
if [ "$(json_get "$out" errors)" = 0 ] && [ "$(json_get "$out" tempfail)" = 0 ] &&
    ! grep " action=" "$T/bad.log" | grep -q BAYES_ &&
    grep -q "statistics store $T/bad" "$T/bad.log"; then
	pass "a corrupted store: mail judged without BAYES_*, the reason logged"
else
	bad "corrupted store: $out; $(grep -i statist "$T/bad.log")"
fi
"$WARDEN" lint -c "$T/bad.conf" | grep -q "statistics store $T/bad" &&
    pass "lint names the corrupted store" || bad "lint: $("$WARDEN" lint -c "$T/bad.conf")"
exit $fail
