#!/bin/sh
# clamd.sh -- the clamd backend against a real clamd (Debian's
# clamav-daemon), started here in the foreground with a private config,
# private sockets and the test signatures: the same verdicts as the
# in-process engine, over a unix socket and over TCP, with failover past
# a dead address; clamd stopped gives AV_ERROR (and on_av_error through
# warden scan).
# shellcheck source=tests/av/common.sh
. "${srcdir:-.}/tests/av/common.sh"
need_probe
need_testfiles
CLAMD=$(command -v clamd || ls /usr/sbin/clamd 2> /dev/null) ||
    skip "clamd not installed (apt-get install clamav-daemon)"

make_db "$T/db"
mkdir "$T/tmp" "$T/msg"
port=$((20000 + $$ % 20000))
cat > "$T/clamd.conf" <<EOT
LocalSocket $T/clamd.sock
TCPSocket $port
TCPAddr 127.0.0.1
Foreground yes
DatabaseDirectory $T/db
TemporaryDirectory $T/tmp
PidFile $T/clamd.pid
LogFile $T/clamd.log
LogTime yes
# What clamav_heuristics = yes turns on in the in-process engine; with
# the clamd backend these are clamd.conf's business.
HeuristicAlerts yes
AlertEncrypted yes
AlertEncryptedDoc yes
AlertBrokenExecutables yes
AlertExceedsMax yes
StreamMaxLength 100M
MaxThreads 4
SelfCheck 3600
EOT
"$CLAMD" --config-file="$T/clamd.conf" > "$T/clamd.out" 2>&1 &
clamd_pid=$!
CLEANUP='kill $clamd_pid 2> /dev/null; wait $clamd_pid 2> /dev/null'
i=0
while [ ! -S "$T/clamd.sock" ]; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 $clamd_pid 2> /dev/null; then
		cat "$T/clamd.out" "$T/clamd.log" 2> /dev/null
		bad "clamd did not start"
		exit 1
	fi
	sleep 0.1
done
# The TCP listener may come a moment after the unix one.
sleep 0.5

for f in "$TESTFILES"/*; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	make_msg "$f" "$T/msg/$b.bad.eml"
	harmless "$f" "$T/harmless.$b"
	make_msg "$T/harmless.$b" "$T/msg/$b.good.eml" "$b"
done
make_msg "$T/eicar.com" "$T/msg/eicar.bad.eml"
(cd "$T" && command -v zip > /dev/null 2>&1 &&
    printf 'figures\n' > fig.txt && zip -q -P secret enc.zip fig.txt &&
    make_msg "$T/enc.zip" "$T/msg/enc.zip.eml")

# The verdicts to match: the in-process engine's when it is built in,
# else the expected ones.
if "$PROBE" -B; then
	write_conf "$T/lib.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 0
EOT
	"$PROBE" -c "$T/lib.conf" "$T"/msg/*.eml 2> /dev/null | cut -f1-3 > "$T/lib.out"
	against=libclamav
else
	for m in "$T"/msg/*.eml; do
		printf '%s\t%s\n' "$m" "$(expect "$m" | tr ' ' '\t')"
	done > "$T/lib.out"
	against="the expected verdicts"
fi

for sockets in "unix:$T/clamd.sock" "inet:$port@127.0.0.1" \
    "unix:$T/nothing.sock, inet:$port@127.0.0.1, unix:$T/clamd.sock"; do
	write_conf "$T/clamd.w.conf" <<EOT
av_backend = clamd
clamd_socket = $sockets
clamd_timeout = 10s
EOT
	"$PROBE" -c "$T/clamd.w.conf" "$T"/msg/*.eml > "$T/probe.out" 2> "$T/probe.err"
	if cut -f1-3 "$T/probe.out" | cmp -s - "$T/lib.out"; then
		pass "clamd at $sockets: same verdicts as $against ($(wc -l < "$T/lib.out") messages)"
	else
		bad "clamd at $sockets differs from $against:"
		cut -f1-3 "$T/probe.out" | diff "$T/lib.out" - | head -20
	fi
	v=$(head -1 "$T/probe.out" | cut -f4)
	case $v in
	"ClamAV "*/*) echo "   version text from clamd: $v" ;;
	*) bad "clamd version text '$v'" ;;
	esac
	grep -q "	ERROR" "$T/probe.out" && bad "errors with $sockets"
done
# The spool on disk: streamed from the file descriptor.
"$PROBE" -c "$T/clamd.w.conf" -f "$T"/msg/*.eml 2> /dev/null | cut -f1-3 > "$T/probe.fd"
if cmp -s "$T/probe.fd" "$T/lib.out"; then
	pass "clamd, message read from a file descriptor: same verdicts"
else
	bad "clamd from a file descriptor differs:"
	diff "$T/lib.out" "$T/probe.fd" | head -10
fi
grep -q 'enc.zip.eml	HEURISTIC	Heuristics.Encrypted.Zip' "$T/probe.out" &&
    pass "encrypted zip through clamd: Heuristics.Encrypted.Zip"

# Through warden scan, when it is built: the same action and virus.
if [ -x "$WARDEN" ]; then
	out=$("$WARDEN" scan -c "$T/clamd.w.conf" --json "$T/msg/clam.exe.bad.eml" 2> /dev/null)
	a=$(field "$out" action) v=$(field "$out" virus)
	if [ "$a" = reject ] && [ "$v" = Warden.Test.ClamExe.UNOFFICIAL ]; then
		pass "warden scan via clamd: $a, virus $v"
	else
		bad "warden scan via clamd: $out"
	fi
fi

# clamd stopped: every scan is an error, and warden scan tempfails.
kill $clamd_pid
wait $clamd_pid 2> /dev/null
CLEANUP=
"$PROBE" -c "$T/clamd.w.conf" "$T/msg/clam.exe.bad.eml" "$T/msg/clam.exe.good.eml" \
    > "$T/down.out" 2> /dev/null
if [ "$(cut -f2 "$T/down.out" | sort -u)" = ERROR ]; then
	pass "clamd stopped: ERROR ($(cut -f5 "$T/down.out" | head -1 | cut -c1-60)...)"
else
	bad "clamd stopped:"; cat "$T/down.out"
fi
if [ -x "$WARDEN" ]; then
	out=$("$WARDEN" scan -c "$T/clamd.w.conf" --json "$T/msg/clam.exe.good.eml" 2> /dev/null)
	a=$(field "$out" action)
	if [ "$a" = tempfail ]; then
		pass "warden scan, clamd stopped: tempfail (on_av_error)"
	else
		bad "warden scan, clamd stopped: $out"
	fi
	# It is on_av_error that decides, not on_internal_error.
	printf 'on_av_error = accept\non_internal_error = reject\n' >> "$T/clamd.w.conf"
	out=$("$WARDEN" scan -c "$T/clamd.w.conf" --json "$T/msg/clam.exe.good.eml" 2> /dev/null)
	a=$(field "$out" action)
	case $a:$out in
	accept:*'"X-Virus-Status","Unscanned (error)"'*)
		pass "clamd stopped, on_av_error = accept: accept, X-Virus-Status: Unscanned (error)" ;;
	*) bad "clamd stopped, on_av_error = accept: $out" ;;
	esac
fi
exit $fail
