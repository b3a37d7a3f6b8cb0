#!/bin/sh
# milter.sh -- every clamav-testfiles file, attached as base64, through the
# running daemon with the load client playing the MTA: each infected
# message is refused, each harmless twin accepted, no protocol error; and
# one of each through miltertest for what the MTA sees: the virus reply
# "554 5.7.1 Message rejected: virus found (NAME)", and X-Virus-Scanned /
# X-Virus-Status: Clean on the clean one.
# shellcheck source=tests/av/common.sh
. "${srcdir:-.}/tests/av/common.sh"
need_libclamav
need_testfiles
[ -x "$WARDEN" ] || skip "warden not built"
WDLOAD=$BUILD/tests/load/wdload
[ -x "$WDLOAD" ] || skip "tests/load/wdload not built"
MILTERTEST=${MILTERTEST:-miltertest}
command -v "$MILTERTEST" > /dev/null 2>&1 ||
    skip "miltertest not installed (apt-get install miltertest)"

make_db "$T/db"
mkdir -p "$T/bad" "$T/good" "$T/spool"
for f in "$TESTFILES"/*; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	make_msg "$f" "$T/bad/$b.eml"
	harmless "$f" "$T/harmless.$b"
	make_msg "$T/harmless.$b" "$T/good/$b.eml" "$b"
done
nbad=$(ls "$T/bad" | wc -l)
cat > "$T/w.conf" <<EOT
socket = unix:$T/w.sock
spool_directory = $T/spool
rules =
clamav_database = $T/db
clamav_check_interval = 0
clamav_max_recursion = 18
EOT
[ "$(id -u)" = 0 ] && echo "run_as_root = yes" >> "$T/w.conf"
daemon_start "$T/w.conf" "$T/w.log" ||
    { bad "warden milter did not start: $DAEMON_ERROR"; exit 1; }

# count JSON KEY
count() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\\([0-9]*\\).*/\\1/p"; }

out=$("$WDLOAD" -s "unix:$T/w.sock" -c 4 -m 5 -n "$nbad" -j "$T/bad")
if [ "$(count "$out" reject)" = "$nbad" ] && [ "$(count "$out" errors)" = 0 ]; then
	pass "milter: all $nbad infected messages refused"
else
	bad "milter, infected: $out"
fi
out=$("$WDLOAD" -s "unix:$T/w.sock" -c 4 -m 5 -n "$nbad" -j "$T/good")
if [ "$(count "$out" accept)" = "$nbad" ] && [ "$(count "$out" errors)" = 0 ]; then
	pass "milter: all $nbad harmless twins accepted"
else
	bad "milter, harmless: $out"
fi

# What the MTA is told, for one of each.
for kind in bad good; do
	sed '1,/^\r$/d' "$T/$kind/clam.exe.eml" > "$T/$kind.body"
	"$MILTERTEST" -D "sock=unix:$T/w.sock" -D "body=$T/$kind.body" \
	    -D "kind=$kind" -s "${srcdir:-.}/tests/av/milter.lua" > "$T/mt.$kind" 2>&1
	if grep -q '^ok' "$T/mt.$kind"; then
		pass "miltertest ($kind): $(grep '^ok' "$T/mt.$kind")"
	else
		bad "miltertest ($kind): $(cat "$T/mt.$kind")"
	fi
done

daemon_stop || bad "$DAEMON_ERROR"
if daemon_sanitizer_report "$T/w.log"; then
	bad "sanitizer report:"
	cat "$T/w.log"
fi
[ -z "$(ls "$T/spool")" ] || bad "spool not empty: $(ls "$T/spool")"
exit $fail
