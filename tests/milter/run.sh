#!/bin/sh
# run.sh -- run one miltertest script against the built Warden daemon.
#
# usage: run.sh SCRIPT.lua	(automake's LOG_COMPILER for the .lua tests)
#
# For each script: a fresh temporary directory, a config with a unix
# socket and a spool directory in it (antivirus off, plus the script's
# own keys), "warden milter -c CONF -f" started and waited for (with
# tests/daemon.sh), then miltertest running SCRIPT with these Lua
# globals:
#
#	sock		the milter socket, "unix:/.../w.sock"
#	sockpath	the same without "unix:"
#	spool		the spool directory
#	tmpdir		the test's temporary directory
#	warden_pid	the daemon's process id
#	libdir		the directory of lib.lua (and of the script)
#	mtraw		the raw protocol client (tests/milter/mtraw)
#
# Header lines of the script ask for more:
#
#	-- config: KEY = VALUE		a line added to the config ("@libdir@"
#					is the script's directory)
#	-- expect-log: REGEX		a line of Warden's log must match
#	-- expect-log-count: N REGEX	exactly N lines must match
#	-- forbid-log: REGEX		no line may match
#	-- max-rss-mb: N		Warden's peak RSS (VmHWM) stays below N MB
#					(times 4 in a sanitizer build)
#	-- dnsd: ZONEFILE		start the private DNS server
#					(tests/dnsd.sh) on ZONEFILE ("@libdir@"
#					as above) before Warden; "@dnsd_port@"
#					in the config lines is its port, and
#					the Lua globals dnsd_port and dnsd_log
#					(its query log) are set.  Skip (77)
#					without python3-dnslib.
#
# The test fails when miltertest fails, when Warden dies, does not stop
# cleanly on SIGTERM, reports a sanitizer error, or leaves anything in
# the spool directory.  Exit 77 (skip) when miltertest is not installed.
#
# Environment: WARDEN (default ./warden), MILTERTEST (default miltertest),
# MTRAW (default ./tests/milter/mtraw), WARDEN_TEST_KEEP=1 keeps the
# temporary directory.

script=$1
if [ -z "$script" ] || [ ! -f "$script" ]; then
	echo "usage: run.sh SCRIPT.lua" >&2
	exit 99
fi
WARDEN=${WARDEN:-./warden}
MILTERTEST=${MILTERTEST:-miltertest}
MTRAW=${MTRAW:-./tests/milter/mtraw}

if ! command -v "$MILTERTEST" >/dev/null 2>&1; then
	echo "SKIP: miltertest not found (install the Debian package miltertest)"
	exit 77
fi
if [ ! -x "$WARDEN" ]; then
	echo "ERROR: no Warden binary at $WARDEN" >&2
	exit 99
fi

# shellcheck source=tests/daemon.sh
. "$(dirname "$0")/../daemon.sh"
# shellcheck source=tests/dnsd.sh
. "$(dirname "$0")/../dnsd.sh"

libdir=$(cd "$(dirname "$script")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/warden-mt.XXXXXX") || exit 99
conf=$tmp/warden.conf
err=$tmp/warden.err

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	daemon_cleanup
	dnsd_cleanup
	if [ "${WARDEN_TEST_KEEP:-0}" = 1 ]; then
		echo "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
daemon_trap cleanup 99

fail() {
	echo "FAIL: $*"
	if [ -f "$err" ]; then
		echo "--- Warden's log:"
		tail -n 60 "$err"
		echo "---"
	fi
	exit 1
}

# Lines "-- NAME: VALUE" of the script's header.
directive() {
	sed -n "s/^-- $1: //p" "$script"
}

mkdir "$tmp/spool" || exit 99

# The private DNS server, when the script asks for one.
zones=$(directive dnsd | sed "s|@libdir@|$libdir|g")
if [ -n "$zones" ]; then
	# shellcheck disable=SC2034 # read by tests/dnsd.sh
	srcdir=$(cd "$(dirname "$0")/../.." && pwd)
	dnsd_python || { echo "SKIP: $DNSD_ERROR"; exit 77; }
	# shellcheck disable=SC2086 # one zone file per word
	dnsd_start $zones || { echo "FAIL: $DNSD_ERROR"; exit 1; }
	echo "dnsd on 127.0.0.1 port $DNSD_PORT (pid $DNSD_PID)"
fi

{
	echo "# Written by tests/milter/run.sh for $(basename "$script")"
	echo "socket = unix:$tmp/w.sock"
	echo "spool_directory = $tmp/spool"
	echo "clamav = off"
	echo "shutdown_timeout = 10s"
	# Tests run as whoever runs make check; as root, say so.
	[ "$(id -u)" = 0 ] && echo "run_as_root = yes"
	directive config | sed -e "s|@libdir@|$libdir|g" \
	    -e "s|@dnsd_port@|$DNSD_PORT|g"
} >"$conf"

sanitized=no
if grep -q __asan_init "$WARDEN" 2>/dev/null; then
	sanitized=yes
fi

# (daemon_start shows the end of the log when it fails.)
daemon_start "$conf" "$err" || { echo "FAIL: $DAEMON_ERROR"; exit 1; }

# miltertest does not print a script's error: a wrapper does.
cat >"$tmp/main.lua" <<'END'
local ok, e = pcall(dofile, script)
if not ok then
	io.stderr:write(tostring(e) .. "\n")
	os.exit(1)
end
END
"$MILTERTEST" -D "sock=unix:$tmp/w.sock" -D "sockpath=$tmp/w.sock" \
    -D "spool=$tmp/spool" -D "tmpdir=$tmp" -D "warden_pid=$DAEMON_PID" \
    -D "libdir=$libdir" -D "mtraw=$MTRAW" -D "script=$script" \
    -D "dnsd_port=${DNSD_PORT:-0}" -D "dnsd_log=${DNSD_LOG:-}" \
    -s "$tmp/main.lua"
rc=$?
[ $rc -eq 0 ] || fail "miltertest exited with $rc"
daemon_alive || fail "Warden died during the test"

# Peak memory, read before the daemon stops.
hwm=$(daemon_mem VmHWM)
echo "Warden's peak RSS: ${hwm:-?} kB (sanitizers: $sanitized)"
limit=$(directive max-rss-mb | head -n 1)
if [ -n "$limit" ]; then
	[ "$sanitized" = yes ] && limit=$((limit * 4))
	[ -n "$hwm" ] || fail "cannot read VmHWM of $DAEMON_PID"
	[ "$hwm" -lt $((limit * 1024)) ] ||
	    fail "peak RSS ${hwm} kB is over the bound of $limit MB"
fi

daemon_stop -t 30
[ $? = 2 ] && fail "Warden did not stop within 30 s of SIGTERM"
daemon_sanitizer_report "$err" && fail "sanitizer report in Warden's log"
[ "$DAEMON_STATUS" = 0 ] ||
    fail "Warden exited with status $DAEMON_STATUS after SIGTERM"
grep -q 'Warden stopped' "$err" || fail "no \"Warden stopped\" in the log"

left=$(ls -A "$tmp/spool")
[ -z "$left" ] || fail "files left in the spool directory: $left"

directive expect-log | while IFS= read -r re; do
	grep -E -q -e "$re" "$err" ||
	    { echo "FAIL: no log line matches: $re"; exit 1; }
done || fail "expected log line missing"
directive expect-log-count | while IFS= read -r line; do
	n=${line%% *}
	re=${line#* }
	got=$(grep -E -c -e "$re" "$err")
	[ "$got" -eq "$n" ] ||
	    { echo "FAIL: $got log lines match \"$re\", want $n"; exit 1; }
done || fail "log line count differs"
directive forbid-log | while IFS= read -r re; do
	if grep -E -q -e "$re" "$err"; then
		echo "FAIL: a log line matches: $re"
		exit 1
	fi
done || fail "forbidden log line present"

echo "--- Warden's log:"
tail -n 40 "$err"
echo "---"
echo "PASS: $(basename "$script")"
exit 0
