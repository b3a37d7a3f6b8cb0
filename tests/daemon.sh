# shellcheck shell=sh
# tests/daemon.sh -- start, wait for, reload and stop a Warden daemon
# (sourced by the test scripts, not run; tests/daemon.py is the same for
# Python).
#
#	. "$srcdir/tests/daemon.sh"
#	daemon_trap [FUNCTION [STATUS]]	at exit: FUNCTION, then daemon_cleanup
#	daemon_start [-b] [-t SECONDS] CONF LOG
#					start "$WARDEN milter -f -c CONF", its
#					output appended to LOG, and wait until
#					it is ready; sets DAEMON_PID
#	daemon_reload [-t SECONDS]	SIGUSR1, and wait for the log to say
#					how the reload ended
#	daemon_wait [-t SECONDS] [PID]	wait for the daemon to end by itself
#	daemon_stop [-t SECONDS] [PID...]
#					SIGTERM, wait, SIGKILL if need be
#	daemon_alive [PID]		it runs (a zombie does not count)
#	daemon_mem KEY [PID]		a /proc/PID/status field in kB
#					(VmRSS, VmHWM)
#	daemon_sanitizer_report LOG	the log holds a sanitizer report
#	daemon_cleanup			SIGKILL every daemon started here that
#					still runs
#
# Ready means: the socket named by CONF's last "socket =" line is
# listening (seen in /proc/net, with no test connection that would show
# in the daemon's log or counters), and the daemon has logged "Warden
# VERSION ready on" since this start (it does so once its signal
# handling is in place, so a SIGUSR1 right after daemon_start is safe;
# not waited for when CONF's log_level hides it).  With -b the daemon is
# started without -f, so it forks and logs to syslog as a site runs it:
# CONF must name a pid_file, and ready then means the socket and the pid
# file; LOG gets what the daemon writes before it forks.
#
# Every timeout is a whole number of seconds, 30 unless -t says.  The
# functions do not exit; they return non-zero and set DAEMON_ERROR to a
# one-line reason:
#
#	daemon_start	1: not started (it prints the reason and the tail
#			of LOG first)
#	daemon_reload	1: the reload failed (the running configuration is
#			kept); 2: no answer in time, or the daemon died
#	daemon_wait	1: it exited with a non-zero status; 2: still
#			running after the timeout
#	daemon_stop	1: it exited with a non-zero status; 2: still
#			running after the timeout, so it was killed
#
# DAEMON_STATUS holds the exit status that daemon_wait and daemon_stop
# saw (128 + the signal for a killed daemon; empty for a daemon started
# with -b, which is not a child of this shell).  Variables: WARDEN (the
# binary, default ./warden), and after daemon_start DAEMON_PID,
# DAEMON_CONF, DAEMON_LOG and DAEMON_SOCK describe the last daemon
# started; DAEMON_PIDS lists every daemon not yet stopped.

DAEMON_PID=
DAEMON_PIDS=
DAEMON_CONF=
DAEMON_LOG=
DAEMON_SOCK=
DAEMON_STATUS=
DAEMON_ERROR=
_daemon_hook=
_daemon_bg_pids=

# _daemon_conf CONF: the values of CONF's last socket, log_level and
# pid_file lines in _daemon_socket, _daemon_log_level and
# _daemon_pid_file.  Read with builtins only: on a busy machine every
# process started costs.
_daemon_conf() {
	_daemon_socket=
	_daemon_log_level=
	_daemon_pid_file=
	while IFS= read -r _dc_line || [ -n "$_dc_line" ]; do
		case $_dc_line in
		[[:space:]]* | "#"*) ;;
		*=*)
			_dc_key=${_dc_line%%=*}
			_dc_val=${_dc_line#*=}
			while :; do
				case $_dc_key in
				*[[:space:]]) _dc_key=${_dc_key%?} ;;
				*) break ;;
				esac
			done
			while :; do
				case $_dc_val in
				[[:space:]]*) _dc_val=${_dc_val#?} ;;
				*[[:space:]]) _dc_val=${_dc_val%?} ;;
				*) break ;;
				esac
			done
			case $_dc_key in
			socket) _daemon_socket=$_dc_val ;;
			log_level) _daemon_log_level=$_dc_val ;;
			pid_file) _daemon_pid_file=$_dc_val ;;
			esac
			;;
		esac
		_dc_line=
	done <"$1"
}

# _daemon_timeout "$@": the value of a leading "-t SECONDS" as tenths
# of a second in _daemon_tenths (default 30 s); _daemon_shift is how
# many arguments it took.
_daemon_timeout() {
	_daemon_tenths=300
	_daemon_shift=0
	if [ "${1:-}" = -t ]; then
		_daemon_tenths=$(($2 * 10))
		_daemon_shift=2
	fi
}

# _daemon_listening SOCKET: something listens on the milter socket.
_daemon_listening() {
	case $1 in
	unix:* | local:*)
		_dl_path=${1#*:}
		[ -S "$_dl_path" ] || return 1
		[ -r /proc/net/unix ] || return 0
		# Flags 00010000: a listening socket.
		awk -v p="$_dl_path" '$4 == "00010000" &&
		    substr($0, length($0) - length(p)) == " " p { f = 1 }
		    END { exit !f }' /proc/net/unix
		;;
	inet:* | inet6:*)
		_dl_port=${1#*:}
		_dl_port=$(printf '%04X' "${_dl_port%%@*}")
		# State 0A: LISTEN.
		cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		    awk -v p=":$_dl_port" '$4 == "0A" &&
			substr($2, length($2) - 4) == p { f = 1 }
			END { exit !f }'
		;;
	*)
		return 0
		;;
	esac
}

_daemon_forget() {
	_df_left=
	for _df_p in $DAEMON_PIDS; do
		[ "$_df_p" = "$1" ] || _df_left="$_df_left $_df_p"
	done
	DAEMON_PIDS=$_df_left
}

# Was PID started with -b (not a child of this shell)?
_daemon_is_bg() {
	case " $_daemon_bg_pids " in *" $1 "*) return 0 ;; esac
	return 1
}

# _daemon_stat PID: the fields of /proc/PID/stat after the command
# name in _daemon_stat ($1 of them is the state, ${20} the start time).
# No process is forked: the start-up wait calls this ten times a second.
_daemon_stat() {
	_daemon_stat=
	read -r _daemon_stat 2>/dev/null <"/proc/$1/stat" || return 1
	_daemon_stat=${_daemon_stat##*) }
}

# Alive: not a zombie (a dead child stays one until this shell waits for
# it), and the process started as PID by daemon_start, not a later one
# given the same pid: the shell may reap a dead daemon while it waits for
# another command, and on a busy machine its pid comes round again.
daemon_alive() {
	_da_p=${1:-$DAEMON_PID}
	[ -n "$_da_p" ] && _daemon_stat "$_da_p" || return 1
	eval "_da_start=\${_daemon_start_$_da_p:-}"
	# shellcheck disable=SC2086 # split into fields
	set -- $_daemon_stat
	case $1 in
	Z | X | x) return 1 ;;
	esac
	[ -z "$_da_start" ] || [ "${20}" = "$_da_start" ]
}

# _daemon_add PID: a daemon started here.
_daemon_add() {
	DAEMON_PIDS="$DAEMON_PIDS $1"
	_daemon_stat "$1"
	# shellcheck disable=SC2086 # split into fields
	set -- "$1" $_daemon_stat
	eval "_daemon_start_$1=\${21:-}"
}

daemon_mem() {
	sed -n "s/^$1:[[:space:]]*\\([0-9]*\\) kB/\\1/p" \
	    "/proc/${2:-$DAEMON_PID}/status" 2>/dev/null
}

daemon_sanitizer_report() {
	grep -E -q 'Sanitizer|runtime error:' "$1" 2>/dev/null
}

# _daemon_start_failed REASON: say why, with the end of the log.
_daemon_start_failed() {
	DAEMON_ERROR=$1
	echo "daemon: $DAEMON_ERROR"
	if [ -s "$DAEMON_LOG" ]; then
		echo "daemon: the end of $DAEMON_LOG:"
		tail -n 40 "$DAEMON_LOG"
		echo "daemon: (end)"
	fi
	return 1
}

daemon_start() {
	_ds_bg=no
	if [ "${1:-}" = -b ]; then
		_ds_bg=yes
		shift
	fi
	_daemon_timeout "$@"
	shift $_daemon_shift
	DAEMON_CONF=$1
	DAEMON_LOG=$2
	DAEMON_ERROR=
	DAEMON_STATUS=
	WARDEN=${WARDEN:-./warden}
	_daemon_conf "$DAEMON_CONF"
	DAEMON_SOCK=${_daemon_socket:-unix:/run/warden/warden.sock}
	_ds_what="warden milter -c $DAEMON_CONF"
	_ds_readyline=yes
	case $_daemon_log_level in
	error | warning) _ds_readyline=no ;;
	esac
	_ds_before=0
	[ -s "$DAEMON_LOG" ] &&
	    _ds_before=$(grep -c ' ready on ' "$DAEMON_LOG")
	if [ $_ds_bg = yes ]; then
		_ds_pidfile=$_daemon_pid_file
		[ -n "$_ds_pidfile" ] ||
		    _daemon_start_failed "$DAEMON_CONF names no pid_file (daemon_start -b)" ||
		    return 1
		rm -f "$_ds_pidfile"
		_ds_readyline=no
		if ! "$WARDEN" milter -c "$DAEMON_CONF" >>"$DAEMON_LOG" 2>&1; then
			_daemon_start_failed "$_ds_what exited with status $? at start-up"
			return 1
		fi
		DAEMON_PID=
	else
		"$WARDEN" milter -f -c "$DAEMON_CONF" >>"$DAEMON_LOG" 2>&1 &
		DAEMON_PID=$!
		_daemon_add "$DAEMON_PID"
	fi
	_ds_i=0
	while :; do
		if [ $_ds_bg = yes ]; then
			if [ -z "$DAEMON_PID" ] && [ -s "$_ds_pidfile" ]; then
				DAEMON_PID=$(cat "$_ds_pidfile")
				_daemon_add "$DAEMON_PID"
				_daemon_bg_pids="$_daemon_bg_pids $DAEMON_PID"
			fi
			if [ -n "$DAEMON_PID" ] && ! daemon_alive; then
				_daemon_forget "$DAEMON_PID"
				_daemon_start_failed "$_ds_what (pid $DAEMON_PID) died at start-up"
				return 1
			fi
		elif ! daemon_alive; then
			wait "$DAEMON_PID"
			DAEMON_STATUS=$?
			_daemon_forget "$DAEMON_PID"
			_daemon_start_failed "$_ds_what exited with status $DAEMON_STATUS at start-up"
			return 1
		fi
		if [ -n "$DAEMON_PID" ] && _daemon_listening "$DAEMON_SOCK"; then
			[ $_ds_readyline = no ] && return 0
			_ds_n=$(grep -c ' ready on ' "$DAEMON_LOG" 2>/dev/null)
			[ "${_ds_n:-0}" -gt "$_ds_before" ] && return 0
		fi
		_ds_i=$((_ds_i + 1))
		if [ $_ds_i -gt $_daemon_tenths ]; then
			_ds_why="no listening socket $DAEMON_SOCK"
			if [ -z "$DAEMON_PID" ]; then
				_ds_why="no pid in $_ds_pidfile"
			elif _daemon_listening "$DAEMON_SOCK"; then
				_ds_why="no \"ready on\" line in $DAEMON_LOG"
			fi
			_daemon_start_failed "$_ds_what (pid ${DAEMON_PID:-?}) not ready within $((_daemon_tenths / 10)) s: $_ds_why"
			return 1
		fi
		sleep 0.1
	done
}

daemon_reload() {
	_daemon_timeout "$@"
	DAEMON_ERROR=
	_dr_re='reload failed with|reload: configuration [0-9]* installed'
	_dr_before=$(grep -E -c "$_dr_re" "$DAEMON_LOG" 2>/dev/null)
	_dr_before=${_dr_before:-0}
	if ! daemon_alive || ! kill -USR1 "$DAEMON_PID" 2>/dev/null; then
		DAEMON_ERROR="the daemon (${DAEMON_PID:-none}) is not running"
		return 2
	fi
	_dr_i=0
	while :; do
		_dr_n=$(grep -E -c "$_dr_re" "$DAEMON_LOG" 2>/dev/null)
		if [ "${_dr_n:-0}" -gt "$_dr_before" ]; then
			grep -E "$_dr_re" "$DAEMON_LOG" | tail -n 1 |
			    grep -q installed && return 0
			DAEMON_ERROR="the reload failed: $(grep 'reload failed' "$DAEMON_LOG" | tail -n 1)"
			return 1
		fi
		if ! daemon_alive; then
			DAEMON_ERROR="the daemon died on SIGUSR1"
			return 2
		fi
		_dr_i=$((_dr_i + 1))
		if [ $_dr_i -gt $_daemon_tenths ]; then
			DAEMON_ERROR="reload not done within $((_daemon_tenths / 10)) s of SIGUSR1"
			return 2
		fi
		sleep 0.1
	done
}

# _daemon_reap PID: its exit status in DAEMON_STATUS (empty for -b).
_daemon_reap() {
	DAEMON_STATUS=
	if ! _daemon_is_bg "$1"; then
		wait "$1"
		DAEMON_STATUS=$?
	fi
	_daemon_forget "$1"
}

daemon_wait() {
	_daemon_timeout "$@"
	shift $_daemon_shift
	_dw_p=${1:-$DAEMON_PID}
	DAEMON_ERROR=
	_dw_i=0
	while daemon_alive "$_dw_p"; do
		_dw_i=$((_dw_i + 1))
		if [ $_dw_i -gt $_daemon_tenths ]; then
			DAEMON_ERROR="the daemon ($_dw_p) still runs after $((_daemon_tenths / 10)) s"
			return 2
		fi
		sleep 0.1
	done
	_daemon_reap "$_dw_p"
	if [ -n "$DAEMON_STATUS" ] && [ "$DAEMON_STATUS" != 0 ]; then
		DAEMON_ERROR="the daemon ($_dw_p) exited with status $DAEMON_STATUS"
		return 1
	fi
	return 0
}

daemon_stop() {
	_daemon_timeout "$@"
	shift $_daemon_shift
	_dst_pids=$*
	[ -n "$_dst_pids" ] || _dst_pids=$DAEMON_PID
	DAEMON_ERROR=
	DAEMON_STATUS=
	for _dst_p in $_dst_pids; do
		daemon_alive "$_dst_p" && kill -TERM "$_dst_p" 2>/dev/null
	done
	# One bound for all of them: they wind down side by side.  Once seen
	# gone, a pid is not signalled again (it may be another process's).
	_dst_i=0
	while :; do
		_dst_alive=
		for _dst_p in $_dst_pids; do
			daemon_alive "$_dst_p" && _dst_alive="$_dst_alive $_dst_p"
		done
		[ -z "$_dst_alive" ] && break
		_dst_i=$((_dst_i + 1))
		[ $_dst_i -gt $_daemon_tenths ] && break
		sleep 0.1
	done
	_dst_rc=0
	_dst_err=
	for _dst_p in $_dst_pids; do
		case " $_dst_alive " in
		*" $_dst_p "*)
			kill -KILL "$_dst_p" 2>/dev/null
			_dst_rc=2
			_dst_err="the daemon ($_dst_p) did not stop within $((_daemon_tenths / 10)) s of SIGTERM: killed"
			_dst_i=0
			while daemon_alive "$_dst_p" && [ $_dst_i -lt 50 ]; do
				sleep 0.1
				_dst_i=$((_dst_i + 1))
			done
			;;
		esac
		_daemon_reap "$_dst_p"
		if [ $_dst_rc = 0 ] && [ -n "$DAEMON_STATUS" ] &&
		    [ "$DAEMON_STATUS" != 0 ]; then
			_dst_rc=1
			_dst_err="the daemon ($_dst_p) exited with status $DAEMON_STATUS after SIGTERM"
		fi
	done
	DAEMON_ERROR=$_dst_err
	return $_dst_rc
}

daemon_cleanup() {
	for _dc_p in $DAEMON_PIDS; do
		daemon_alive "$_dc_p" && kill -KILL "$_dc_p" 2>/dev/null
		_daemon_is_bg "$_dc_p" || wait "$_dc_p" 2>/dev/null
	done
	DAEMON_PIDS=
}

# daemon_trap [FUNCTION [STATUS]]: at exit, FUNCTION (the script's own
# clean-up: it sees the exit status in $?, may stop the daemon
# gracefully or call daemon_cleanup before removing its files, and may
# exit with another status, after which nothing else runs: so it calls
# daemon_cleanup first), then daemon_cleanup.  HUP, INT and TERM
# exit with STATUS (default 99, "hard error" for automake).
daemon_trap() {
	_daemon_hook=${1:-}
	trap _daemon_exit EXIT
	# shellcheck disable=SC2064 # the status is fixed now
	trap "exit ${2:-99}" HUP INT TERM
}

# _daemon_status N: return N (so that the hook sees it in $?).
_daemon_status() {
	return "$1"
}

# shellcheck disable=SC2317 # called by the trap
_daemon_exit() {
	_de_rc=$?
	trap - EXIT
	if [ -n "$_daemon_hook" ]; then
		_daemon_status $_de_rc
		$_daemon_hook
	fi
	daemon_cleanup
	exit $_de_rc
}
