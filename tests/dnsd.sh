# shellcheck shell=sh
# tests/dnsd.sh -- start, query and stop tests/dnsd.py, the private
# authoritative DNS server of Warden's DNS tests (sourced by the test
# scripts, not run; tests/dnsd_lib.py is the same for Python).
#
#	. "$srcdir/tests/dnsd.sh"
#	dnsd_python			find a python3 with dnslib: sets
#					DNSD_PYTHON; 1 (DNSD_ERROR says how to
#					install it) when there is none
#	dnsd_start [-t SECONDS] ZONEFILE...
#					start the server on a free port of
#					127.0.0.1 (UDP and TCP) and wait until
#					it answers; sets DNSD_PORT, DNSD_PID,
#					DNSD_LOG, DNSD_OUT, DNSD_DIR
#	dnsd_stop [-t SECONDS]		SIGTERM, wait, SIGKILL if need be
#					(the query log stays readable until
#					dnsd_cleanup or the next dnsd_start)
#	dnsd_queries PATTERN		prints how many lines of the query log
#					match PATTERN (grep -E)
#	dnsd_query [--tcp] NAME [TYPE]	ask the server, print the answer as
#					dig would; 1 when none came in 5 s
#	dnsd_alive			the server runs
#	dnsd_cleanup			SIGKILL the server if it still runs and
#					remove DNSD_DIR, its log and output
#					(for an EXIT trap, or from the hook
#					given to daemon_trap)
#
# A typical test:
#
#	. "$srcdir/tests/dnsd.sh"
#	dnsd_python || { echo "SKIP: $DNSD_ERROR"; exit 77; }
#	trap dnsd_cleanup EXIT
#	dnsd_start "$srcdir/tests/data/dns/blocklists.zone" || exit 99
#	... point the resolver at 127.0.0.1 port $DNSD_PORT ...
#	[ "$(dnsd_queries '^udp 2\.2\.0\.192\.zen\.spamhaus\.org A$')" = 1 ]
#	dnsd_stop
#
# The query log (DNSD_LOG) has one line per query the server received,
# "PROTO QNAME QTYPE": "udp 2.2.0.192.zen.spamhaus.org A", the name in
# lower case without its final dot (see tests/dnsd.py).  The readiness
# probe (ready.dnsd.invalid TXT) is not logged, so a test can assert
# that a query was not made.  DNSD_OUT holds the server's own output.
#
# Ready means: the server wrote its port file (it does once both sockets
# listen) and answered the probe over UDP.  Every timeout is a whole
# number of seconds, 30 unless -t says.  The functions do not exit; they
# return non-zero and set DNSD_ERROR to a one-line reason:
#
#	dnsd_start	1: not started (it prints the reason and the tail of
#			the server's output first); 2: no python3 with
#			dnslib (the caller may skip: exit 77)
#	dnsd_stop	1: it exited with a non-zero status; 2: still running
#			after the timeout, so it was killed
#
# Variables: srcdir (the source tree, default "."; the server is
# $srcdir/tests/dnsd.py), PYTHON (a python3 to try first).  One server
# at a time: dnsd_start stops the one before, if any.

DNSD_PYTHON=
DNSD_PORT=
DNSD_PID=
DNSD_LOG=
DNSD_OUT=
DNSD_DIR=
DNSD_STATUS=
DNSD_ERROR=

dnsd_python() {
	DNSD_ERROR=
	[ -n "$DNSD_PYTHON" ] && return 0
	for _dp_py in ${PYTHON:-} python3 /usr/bin/python3; do
		if "$_dp_py" -c 'import dnslib' >/dev/null 2>&1; then
			DNSD_PYTHON=$_dp_py
			return 0
		fi
	done
	DNSD_ERROR="no python3 with the dnslib module (Debian: apt-get install python3-dnslib)"
	return 1
}

# Alive: not a zombie (a dead child stays one until this shell waits
# for it).
dnsd_alive() {
	[ -n "$DNSD_PID" ] || return 1
	_dal_stat=
	read -r _dal_stat 2>/dev/null <"/proc/$DNSD_PID/stat" || return 1
	_dal_stat=${_dal_stat##*) }
	case $_dal_stat in
	Z* | X* | x*) return 1 ;;
	esac
	return 0
}

_dnsd_timeout() {
	_dnsd_tenths=300
	_dnsd_shift=0
	if [ "${1:-}" = -t ]; then
		_dnsd_tenths=$(($2 * 10))
		_dnsd_shift=2
	fi
}

_dnsd_failed() {
	DNSD_ERROR=$1
	echo "dnsd: $DNSD_ERROR"
	if [ -s "$DNSD_OUT" ]; then
		echo "dnsd: the end of its output ($DNSD_OUT):"
		tail -n 40 "$DNSD_OUT"
		echo "dnsd: (end)"
	fi
	return 1
}

dnsd_query() {
	_dq_tcp=
	if [ "${1:-}" = --tcp ]; then
		_dq_tcp=--tcp
		shift
	fi
	"$DNSD_PYTHON" "${srcdir:-.}/tests/dnsd_lib.py" $_dq_tcp "$DNSD_PORT" "$1" "${2:-A}"
}

dnsd_queries() {
	_dqs_n=$(grep -E -c -- "$1" "$DNSD_LOG" 2>/dev/null)
	echo "${_dqs_n:-0}"
}

dnsd_start() {
	_dnsd_timeout "$@"
	shift $_dnsd_shift
	DNSD_ERROR=
	DNSD_STATUS=
	dnsd_python || return 2
	[ -z "$DNSD_PID" ] || dnsd_stop -t 5 || :
	[ -n "$DNSD_DIR" ] && rm -rf "$DNSD_DIR"
	DNSD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/warden-dnsd.XXXXXX") || {
		DNSD_ERROR="mktemp failed"
		return 1
	}
	DNSD_LOG=$DNSD_DIR/queries.log
	DNSD_OUT=$DNSD_DIR/dnsd.out
	DNSD_PORT=
	: >"$DNSD_LOG"
	# Each zone file as "--zone FILE".
	_dst_n=$#
	while [ "$_dst_n" -gt 0 ]; do
		set -- "$@" --zone "$1"
		shift
		_dst_n=$((_dst_n - 1))
	done
	"$DNSD_PYTHON" "${srcdir:-.}/tests/dnsd.py" --port 0 \
	    --port-file "$DNSD_DIR/port" --pid-file "$DNSD_DIR/pid" \
	    --log "$DNSD_LOG" "$@" >"$DNSD_OUT" 2>&1 </dev/null &
	DNSD_PID=$!
	_dst_i=0
	_dst_next=0
	while :; do
		if ! dnsd_alive; then
			wait "$DNSD_PID"
			DNSD_STATUS=$?
			DNSD_PID=
			_dnsd_failed "tests/dnsd.py exited with status $DNSD_STATUS at start-up"
			return 1
		fi
		if [ -z "$DNSD_PORT" ] && [ -s "$DNSD_DIR/port" ]; then
			read -r DNSD_PORT <"$DNSD_DIR/port"
		fi
		# A probe once the port is known, then one a second at most:
		# each is a python3 start.
		if [ -n "$DNSD_PORT" ] && [ "$_dst_i" -ge "$_dst_next" ]; then
			dnsd_query ready.dnsd.invalid TXT 2>/dev/null |
			    grep -q '"ready"' && return 0
			_dst_next=$((_dst_i + 10))
		fi
		_dst_i=$((_dst_i + 1))
		if [ $_dst_i -gt $_dnsd_tenths ]; then
			_dst_why="no port file"
			[ -n "$DNSD_PORT" ] && _dst_why="no answer on port $DNSD_PORT"
			_dnsd_failed "tests/dnsd.py (pid $DNSD_PID) not ready within $((_dnsd_tenths / 10)) s: $_dst_why"
			kill -KILL "$DNSD_PID" 2>/dev/null
			wait "$DNSD_PID" 2>/dev/null
			DNSD_PID=
			return 1
		fi
		sleep 0.1
	done
}

dnsd_stop() {
	_dnsd_timeout "$@"
	DNSD_ERROR=
	DNSD_STATUS=
	_dsp_rc=0
	if [ -n "$DNSD_PID" ]; then
		dnsd_alive && kill -TERM "$DNSD_PID" 2>/dev/null
		_dsp_i=0
		while dnsd_alive && [ $_dsp_i -lt $_dnsd_tenths ]; do
			sleep 0.1
			_dsp_i=$((_dsp_i + 1))
		done
		if dnsd_alive; then
			kill -KILL "$DNSD_PID" 2>/dev/null
			_dsp_rc=2
			DNSD_ERROR="tests/dnsd.py ($DNSD_PID) did not stop within $((_dnsd_tenths / 10)) s of SIGTERM: killed"
		fi
		wait "$DNSD_PID"
		DNSD_STATUS=$?
		if [ $_dsp_rc = 0 ] && [ "$DNSD_STATUS" != 0 ]; then
			_dsp_rc=1
			DNSD_ERROR="tests/dnsd.py ($DNSD_PID) exited with status $DNSD_STATUS after SIGTERM"
		fi
		DNSD_PID=
	fi
	return $_dsp_rc
}

dnsd_cleanup() {
	if dnsd_alive; then
		kill -KILL "$DNSD_PID" 2>/dev/null
		wait "$DNSD_PID" 2>/dev/null
	fi
	DNSD_PID=
	[ -n "$DNSD_DIR" ] && rm -rf "$DNSD_DIR"
	DNSD_DIR=
	return 0
}
