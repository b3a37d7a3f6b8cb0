# tests/faults/lib.sh -- shared by the fault and soak tests (sourced).
#
# Runs from the build directory (as "make check" does); srcdir is set by
# the test harness.  Gives a temporary directory $tmp (removed at exit
# unless WARDEN_TEST_KEEP=1), a generated message set, and a daemon:
#
#	faults_conf [KEY = VALUE ...]	write $tmp/warden.conf (socket,
#					spool, antivirus off, shipped rules,
#					plus the lines given)
#	faults_start			start "warden milter -f", wait until
#					it is ready; $dpid, log in
#					$tmp/warden.log
#	faults_wait_exit SECONDS MSG	wait for the daemon to end, exit 0
#	faults_stop			SIGTERM, wait; fails if it does not
#					stop cleanly or a sanitizer reported
#	faults_rss			the daemon's VmRSS in kB
#	daemon_alive, daemon_reload, ...	see tests/daemon.sh
#	faults_msgs DIR [COUNT]		generate the varied message set
#	json_get JSON KEY		a number from wdload's JSON line
#	fail MESSAGE			print, show the log tail, exit 1
#
# $sanitized is "yes" in a sanitizer build (the tests then use fewer
# messages and skip the resident-memory comparisons, which the
# sanitizer's own allocator makes meaningless; LeakSanitizer checks the
# daemon at exit instead).

srcdir=${srcdir:-.}
# shellcheck source=tests/daemon.sh
. "$srcdir/tests/daemon.sh"
WARDEN=${WARDEN:-./warden}
WDLOAD=${WDLOAD:-./tests/load/wdload}
sanitized=no
if [ -n "${WARDEN_SANITIZERS:-}" ] ||
    grep -q "enable-sanitizers" config.log 2>/dev/null; then
	sanitized=yes
fi
for p in "$WARDEN" "$WDLOAD"; do
	if [ ! -x "$p" ]; then
		echo "ERROR: $p is not built" >&2
		exit 99
	fi
done
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/warden-faults.XXXXXX") || exit 99
sock=$tmp/w.sock
spool=$tmp/spool
mkdir -p "$spool"
dpid=
faults_mounts=

faults_cleanup() {
	daemon_cleanup
	for m in $faults_mounts; do
		umount "$m" 2>/dev/null
	done
	if [ "${WARDEN_TEST_KEEP:-0}" = 1 ]; then
		echo "kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
daemon_trap faults_cleanup 99

fail() {
	echo "FAIL: $*"
	if [ -f "$tmp/warden.log" ]; then
		echo "--- Warden's log (tail):"
		tail -n 40 "$tmp/warden.log"
	fi
	exit 1
}

faults_conf() {
	{
		echo "socket = unix:$sock"
		echo "spool_directory = $spool"
		echo "clamav = off"
		echo "run_as_root = yes"
		echo "spool_memory_limit = 256k"
		echo "shutdown_timeout = 30s"
		echo "rules = $tmp/rules/*.rules"
		for l in "$@"; do
			echo "$l"
		done
	} >"$tmp/warden.conf"
	if [ ! -d "$tmp/rules" ]; then
		mkdir -p "$tmp/rules"
		cp "$srcdir"/rules/*.rules "$tmp/rules/"
	fi
}

# (daemon_start shows the end of the log when it fails.)
faults_start() {
	daemon_start "$tmp/warden.conf" "$tmp/warden.log" ||
	    { echo "FAIL: the daemon did not start: $DAEMON_ERROR"; exit 1; }
	dpid=$DAEMON_PID
}

# faults_wait_exit SECONDS MESSAGE: wait for the daemon to end (failing
# with MESSAGE after SECONDS); it must exit with 0.
faults_wait_exit() {
	daemon_wait -t "$1" "$dpid"
	case $? in
	2) fail "$2" ;;
	1) fail "the daemon exited with status $DAEMON_STATUS" ;;
	esac
	dpid=
}

faults_stop() {
	daemon_alive "$dpid" || fail "the daemon is not running"
	daemon_stop -t 60 "$dpid"
	case $? in
	2) fail "the daemon did not stop within 60 s of SIGTERM" ;;
	1) fail "the daemon exited with status $DAEMON_STATUS" ;;
	esac
	dpid=
	daemon_sanitizer_report "$tmp/warden.log" &&
	    fail "sanitizer report from the daemon"
	left=$(ls -A "$spool" 2>/dev/null)
	[ -z "$left" ] || fail "the spool directory is not empty: $left"
}

faults_rss() {
	rss=$(daemon_mem VmRSS "$dpid")
	echo "${rss:-0}"
}

faults_msgs() {
	python3 "$srcdir/tests/soak/gen.py" "$1" "${2:-200}" ||
	    fail "cannot generate messages"
}

json_get() {
	printf '%s\n' "$1" | python3 -c '
import json, sys
print(json.loads(sys.stdin.read().strip().splitlines()[-1]).get(sys.argv[1], 0))' "$2"
}
