# shellcheck shell=sh disable=SC2034
# lib.sh -- the end-to-end harness: a private Postfix instance on loopback
# whose smtpd hands every session to a Warden started here, relaying what
# it accepts to a capture SMTP sink.  Sourced by tests/e2e/*.sh.
#
#   . "$(dirname "$0")/lib.sh"
#   e2e_init NAME            # checks (skip 77), temp dir, trap, ports
#   e2e_conf <<EOF ... EOF   # Warden config lines added to the base config
#   e2e_rules FILE...        # rule files loaded after the shipped rules/
#   e2e_av_db                # test signatures (then "clamav = on")
#   e2e_postfix_conf / e2e_master_conf   # extra main.cf / master.cf lines
#   e2e_dnsd [ZONEFILE...]   # the private DNS server (tests/dnsd.py)
#   e2e_start                # sink, Warden, Postfix; waits until each is up
#   e2e_send TAG [swaks options...]      # exit status = swaks's
#   e2e_check "what" COMMAND...          # one "ok - " / "not ok - " line
#   e2e_reply_has TAG ERE, e2e_wait_delivered TOKEN, e2e_header FILE NAME,
#   e2e_in_queue ID hold, e2e_wait_log FILE ERE, e2e_stop_warden, ...
#   e2e_done                 # exit 0 if every check passed, else 1
#
# The Warden base config: unix socket in $E2E_DIR/w (mode 0666; Postfix's
# smtpd runs as postfix), run_as_root = yes, the shipped rules/*.rules,
# clamav = off unless the test turns it on.  The Postfix instance:
# inet_interfaces = 127.0.0.1, smtpd on a free port, mydestination empty,
# relayhost = the sink, smtpd_milters = Warden's socket,
# milter_default_action = tempfail, milter_protocol = 6, milter_mail_macros
# with i and {auth_authen}, maillog_file in $E2E_DIR (no syslog needed).
#
# Everything lives in one directory $E2E_DIR (under ${TMPDIR:-/tmp}, short
# enough for a unix socket path): Postfix's config, queue and data
# directories and its maillog, Warden's config, socket, spool, test
# signature database and log, the sink's captured messages, and each swaks
# transcript.  The trap stops everything this script started, by pid or by
# "postfix -c OURDIR", and never touches the system's own Postfix.  The
# directory is removed afterwards unless E2E_KEEP=1; on failure the tails of
# the logs go to stdout first, so they end up in the test's .log file.
#
# Warden is started, reloaded and stopped with tests/daemon.sh (its
# daemon_* functions are there for the tests too).
#
# Needs: root, Postfix (postfix, postconf, postqueue, postsuper), swaks and
# python3 (the sink).  Without them a test exits 77 (skipped) and says why.
#
# E2E_MTA=sendmail (set before sourcing; the wrappers in sendmail/ do) puts
# a private Sendmail in Postfix's place: tests/e2e/sendmail.sh, sourced at
# the end, redefines the MTA's functions (e2e_mta_*, e2e_accepted,
# e2e_queue_id, e2e_held, e2e_release_all, ...).  The tests then say
# "case $E2E_MTA" only where the two MTAs answer differently.

E2E_MTA=${E2E_MTA:-postfix}
E2E_MTA_NAME=Postfix	# for messages
# A wrapper in a subdirectory sets E2E_SRC to this directory.
E2E_SRC=${E2E_SRC:-$(cd "$(dirname "$0")" && pwd)}
E2E_TOP_SRC=$(cd "$E2E_SRC/../.." && pwd)
# shellcheck source=tests/daemon.sh
. "$E2E_TOP_SRC/tests/daemon.sh"
E2E_FAILED=0
E2E_CHECKS=0
E2E_PIDS=
E2E_PF_STARTED=
E2E_WARDEN_PID=

e2e_log() { echo "# $*"; }

e2e_skip() {
	echo "SKIP: $*"
	exit 77
}

# e2e_ok MESSAGE / e2e_notok MESSAGE: one check's outcome (TAP-like lines).
e2e_ok() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	echo "ok - $*"
}

e2e_notok() {
	E2E_CHECKS=$((E2E_CHECKS + 1))
	E2E_FAILED=1
	echo "not ok - $*"
}

# e2e_check MESSAGE COMMAND...: ok if the command succeeds.
e2e_check() {
	_m=$1
	shift
	if "$@" >/dev/null; then e2e_ok "$_m"; else e2e_notok "$_m"; fi
}

# e2e_match STRING ERE: the string matches the extended regex.
e2e_match() {
	printf '%s\n' "$1" | grep -Eq -- "$2"
}

# e2e_not COMMAND...: the command fails.
e2e_not() {
	! "$@"
}

# Fatal trouble in the harness itself (not a test verdict): fail now.
e2e_bail() {
	echo "not ok - harness: $*"
	E2E_FAILED=1
	exit 1
}

# --- Finding the programs ------------------------------------------------

e2e_find_warden() {
	if [ -n "${WARDEN:-}" ]; then
		:
	elif [ -n "${abs_top_builddir:-}" ] && [ -x "$abs_top_builddir/warden" ]; then
		WARDEN=$abs_top_builddir/warden
	elif [ -x "$PWD/warden" ]; then
		WARDEN=$PWD/warden		# make check runs in the build dir
	elif [ -x "$E2E_TOP_SRC/warden" ]; then
		WARDEN=$E2E_TOP_SRC/warden	# an in-tree build
	else
		echo "not ok - harness: no warden binary: build it, or set WARDEN=" \
		    "(looked in \$abs_top_builddir, $PWD, $E2E_TOP_SRC)"
		exit 1
	fi
	case $WARDEN in /*) ;; *) WARDEN=$PWD/$WARDEN ;; esac
	[ -x "$WARDEN" ] || e2e_bail "WARDEN=$WARDEN is not executable"
}

e2e_require() {
	[ "$(id -u)" = 0 ] ||
	    e2e_skip "the e2e tests start a private $E2E_MTA instance and must" \
		"run as root (they leave the system's own MTA alone)"
	PATH=$PATH:/usr/sbin:/sbin
	command -v swaks >/dev/null 2>&1 ||
	    e2e_skip "swaks is not installed (Debian: apt-get install swaks)"
	if [ -x /usr/bin/python3 ]; then
		PYTHON=/usr/bin/python3
	else
		PYTHON=$(command -v python3) ||
		    e2e_skip "python3 is not installed (needed by the capture sink)"
	fi
	e2e_mta_require
}

# e2e_mta_require: the MTA's programs are there (skip 77 if not).
e2e_mta_require() {
	for _p in postfix postconf postqueue postsuper; do
		command -v $_p >/dev/null 2>&1 ||
		    e2e_skip "Postfix is not installed ($_p not found;" \
			"Debian: apt-get install postfix)"
	done
	E2E_PF_DAEMON_DIR=$(postconf -dh daemon_directory)
	[ -x "$E2E_PF_DAEMON_DIR/smtpd" ] ||
	    e2e_skip "Postfix daemons not found in $E2E_PF_DAEMON_DIR"
	id postfix >/dev/null 2>&1 ||
	    e2e_skip "there is no postfix user (is Postfix installed properly?)"
}

# A TCP port on 127.0.0.1 nobody listens on, below the usual ephemeral
# range (so an outgoing connection does not take it before we bind it) and
# picked at random (so tests running in parallel do not pick the same one).
e2e_free_port() {
	$PYTHON - "$@" <<'PY'
import random, socket, sys
taken = set(int(a) for a in sys.argv[1:])
for _ in range(500):
    p = random.randint(20000, 32000)
    if p in taken:
        continue
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
sys.exit(1)
PY
}

# e2e_wait_banner PORT TEXT [SECONDS [PID]]: wait until the SMTP server on
# the port greets with a 220 line containing TEXT (so a test never talks
# to another test's server that took the port first); give up early if
# process PID (the server) is gone.
e2e_wait_banner() {
	$PYTHON - "$1" "$2" "${3:-30}" "${4:-0}" <<'PY'
import os, socket, sys, time
port, text, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
pid = int(sys.argv[4])
end = time.time() + limit
line = ''
while time.time() < end:
    if pid:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print('the server (pid %d) exited' % pid)
            sys.exit(1)
    try:
        s = socket.create_connection(('127.0.0.1', port), 2)
        s.settimeout(5)
        line = s.makefile('rb').readline().decode('latin-1').strip()
        try:
            s.sendall(b'QUIT\r\n')
        except OSError:
            pass
        s.close()
        if line.startswith('220') and text in line:
            sys.exit(0)
        if line:
            break
    except OSError:
        pass
    time.sleep(0.1)
print('port %d: greeting %r, expected 220 ... %s' % (port, line, text))
sys.exit(1)
PY
}

# --- Set-up ----------------------------------------------------------------

# e2e_init NAME: checks, the test directory, ports, the trap.
e2e_init() {
	E2E_NAME=$1
	[ "$E2E_MTA" = postfix ] || E2E_NAME=$E2E_MTA-$1
	e2e_require
	e2e_find_warden
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/warden-e2e-$E2E_NAME.XXXXXX") ||
	    e2e_bail "mktemp failed"
	chmod 755 "$E2E_DIR"	# Postfix's smtpd (user postfix) reaches the socket
	daemon_trap e2e_cleanup 1
	mkdir -p "$E2E_DIR/pf" "$E2E_DIR/w/spool" \
	    "$E2E_DIR/w/db" "$E2E_DIR/sink" "$E2E_DIR/out" || e2e_bail "mkdir"
	chmod 755 "$E2E_DIR/w"
	e2e_mta_init
	E2E_SMTP_PORT=$(e2e_free_port) || e2e_bail "no free port"
	E2E_SINK_PORT=$(e2e_free_port "$E2E_SMTP_PORT") || e2e_bail "no free port"
	E2E_SOCK=$E2E_DIR/w/warden.sock
	E2E_WCONF=$E2E_DIR/w/warden.conf
	E2E_WLOG=$E2E_DIR/w/warden.log
	E2E_MAILLOG=$E2E_DIR/maillog
	E2E_PF=$E2E_DIR/pf
	E2E_BANNER=e2e-$E2E_NAME-$$
	E2E_RULES_EXTRA=
	: >"$E2E_WCONF.extra"
	e2e_log "test $E2E_NAME in $E2E_DIR: $E2E_MTA 127.0.0.1:$E2E_SMTP_PORT," \
	    "sink 127.0.0.1:$E2E_SINK_PORT, warden $WARDEN"
}

# e2e_mta_init: the MTA's part of the test directory.
e2e_mta_init() {
	mkdir -p "$E2E_DIR/queue" "$E2E_DIR/data" || e2e_bail "mkdir"
	chown postfix "$E2E_DIR/data"
	if command -v setpriv >/dev/null 2>&1; then
		setpriv --reuid=postfix --regid=postfix --clear-groups \
		    test -x "$E2E_DIR/w" ||
		    e2e_bail "the postfix user cannot reach $E2E_DIR (set TMPDIR" \
			"to a directory every user can traverse)"
	fi
}

# e2e_conf: Warden config lines (stdin) appended to the base config; a
# later key overrides an earlier one, as in main.cf.
e2e_conf() {
	cat >>"$E2E_WCONF.extra"
}

# e2e_rules FILE...: rule files loaded after the shipped rules/*.rules.
e2e_rules() {
	for _f in "$@"; do
		case $_f in /*) ;; *) _f=$E2E_SRC/$_f ;; esac
		E2E_RULES_EXTRA="$E2E_RULES_EXTRA $_f"
	done
}

# The EICAR test string, assembled so that no file in the tree carries it.
e2e_eicar() {
	printf '%s%s%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$' \
	    'EICAR-STANDARD-ANTIVIRUS-' 'TEST-FILE!$H+H*'
}

# e2e_av_db: a test signature database (never ClamAV's real one, which
# takes long to load): the EICAR string anywhere in a file (.ndb, so plain
# text bodies are caught too), the EICAR file and clam.exe by hash (.hdb).
# Sets E2E_CLAM_EXE (empty without Debian's clamav-testfiles).
e2e_av_db() {
	_db=$E2E_DIR/w/db
	e2e_eicar >"$E2E_DIR/eicar.com"
	{
		printf 'E2E.Test.EICAR.Body:0:*:'
		od -An -v -tx1 "$E2E_DIR/eicar.com" | tr -d ' \n'
		echo
	} >"$_db/e2e.ndb"
	echo "$(md5sum <"$E2E_DIR/eicar.com" | cut -d' ' -f1):$(wc -c <"$E2E_DIR/eicar.com" | tr -d ' '):E2E.Test.EICAR" \
	    >"$_db/e2e.hdb"
	E2E_CLAM_EXE=
	_c=/usr/share/clamav-testfiles/clam.exe
	if [ -f "$_c" ]; then
		E2E_CLAM_EXE=$_c
		echo "$(md5sum <"$_c" | cut -d' ' -f1):$(wc -c <"$_c" | tr -d ' '):E2E.Test.ClamExe" \
		    >>"$_db/e2e.hdb"
	fi
}

e2e_write_warden_conf() {
	_rules=
	for _f in "$E2E_TOP_SRC"/rules/*.rules; do
		[ -f "$_f" ] && _rules="$_rules $_f"
	done
	cat >"$E2E_WCONF" <<EOF
# Written by tests/e2e/lib.sh for test $E2E_NAME.
socket = unix:$E2E_SOCK
socket_mode = 0666
run_as_root = yes
log_level = info
shutdown_timeout = 5s
pid_file = $E2E_DIR/w/warden.pid
spool_directory = $E2E_DIR/w/spool
rules = $_rules $E2E_RULES_EXTRA
clamav = off
clamav_database = $E2E_DIR/w/db
clamav_check_interval = 1s
EOF
	cat "$E2E_WCONF.extra" >>"$E2E_WCONF"
}

e2e_write_postfix_conf() {
	cat >"$E2E_PF/main.cf" <<EOF
# Private Postfix instance of Warden's e2e test $E2E_NAME.
compatibility_level = 3.6
queue_directory = $E2E_DIR/queue
data_directory = $E2E_DIR/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.e2e.test
mydomain = e2e.test
myorigin = \$myhostname
mydestination =
relay_domains =
local_recipient_maps =
local_transport = error:5.1.1 no local delivery in the e2e instance
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$E2E_SINK_PORT
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,
    reject_unauth_destination
smtpd_milters = unix:$E2E_SOCK
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr}
    {mail_host} {mail_mailer}
maillog_file = $E2E_MAILLOG
maillog_file_prefixes = $E2E_DIR
smtputf8_enable = no
biff = no
notify_classes =
smtpd_banner = \$myhostname ESMTP $E2E_BANNER
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
in_flow_delay = 0
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtp_dns_support_level = disabled
EOF
	cat "$E2E_PF/main.cf.extra" >>"$E2E_PF/main.cf" 2>/dev/null
	cat >"$E2E_PF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$E2E_SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	cat "$E2E_PF/master.cf.extra" >>"$E2E_PF/master.cf" 2>/dev/null
}

# e2e_postfix_conf: main.cf lines (stdin) added to the private instance.
e2e_postfix_conf() {
	cat >>"$E2E_PF/main.cf.extra"
}

# e2e_master_conf: master.cf lines (stdin) added to the private instance.
e2e_master_conf() {
	cat >>"$E2E_PF/master.cf.extra"
}

# e2e_dnsd [ZONEFILE...]: start the private DNS server of the DNS tests
# (tests/dnsd.sh; default zone tests/data/dns/blocklists.zone) on a free
# port of 127.0.0.1, for "dns_resolver = 127.0.0.1:$DNSD_PORT"; its query
# log is $DNSD_LOG (dnsd_queries ERE counts lines).  Skip (77) without
# python3's dnslib.  The trap stops it.
e2e_dnsd() {
	srcdir=$E2E_TOP_SRC
	# shellcheck source=tests/dnsd.sh
	. "$E2E_TOP_SRC/tests/dnsd.sh"
	dnsd_python || e2e_skip "$DNSD_ERROR"
	E2E_DNSD=1
	[ $# -gt 0 ] || set -- "$E2E_TOP_SRC/tests/data/dns/blocklists.zone"
	dnsd_start "$@" || e2e_bail "the DNS server did not start: $DNSD_ERROR"
	e2e_log "dnsd on 127.0.0.1:$DNSD_PORT (pid $DNSD_PID)"
}

e2e_start_sink() {
	$PYTHON "$E2E_SRC/sink.py" "$E2E_SINK_PORT" "$E2E_DIR/sink" \
	    "$E2E_BANNER" >"$E2E_DIR/sink.log" 2>&1 &
	E2E_SINK_PID=$!
	E2E_PIDS="$E2E_PIDS $E2E_SINK_PID"
	e2e_wait_banner "$E2E_SINK_PORT" "e2e sink $E2E_BANNER" 15 "$E2E_SINK_PID" ||
	    { cat "$E2E_DIR/sink.log"
	      e2e_bail "the capture sink did not start (log above)"; }
}

# e2e_start_warden: start Warden in the foreground (logging to its file)
# and wait until it is ready (daemon_start shows the end of its log when
# it is not).
e2e_start_warden() {
	if ! daemon_start "$E2E_WCONF" "$E2E_WLOG"; then
		E2E_WARDEN_PID=
		e2e_bail "warden did not start: $DAEMON_ERROR (log above)"
	fi
	E2E_WARDEN_PID=$DAEMON_PID
}

# e2e_stop_warden: SIGTERM, wait for it (shutdown_timeout is 5 s here).
e2e_stop_warden() {
	[ -n "$E2E_WARDEN_PID" ] || return 0
	daemon_stop -t 10 "$E2E_WARDEN_PID"
	[ $? = 2 ] &&
	    e2e_notok "warden $E2E_WARDEN_PID stops within 10 s of SIGTERM" \
		"(shutdown_timeout = 5s): sent SIGKILL"
	E2E_WARDEN_PID=
	# A crash, or a sanitizer report (ASan/UBSan/LSan builds), fails the test.
	[ "$DAEMON_STATUS" = 0 ] ||
	    e2e_notok "warden exited with status $DAEMON_STATUS after SIGTERM"
	if daemon_sanitizer_report "$E2E_WLOG"; then
		e2e_notok "warden's log has a sanitizer report:"
		grep -E -A30 'Sanitizer|runtime error:' "$E2E_WLOG" |
		    head -60 | sed 's/^/#   /'
	fi
	return 0
}

# e2e_reload_warden: SIGUSR1, then wait for the log to say the new
# configuration is installed (returns non-zero if it says the reload
# failed, or nothing within 30 s).
e2e_reload_warden() {
	daemon_reload -t 30
}

e2e_postfix() {
	postfix -c "$E2E_PF" "$@"
}

e2e_start_postfix() {
	e2e_write_postfix_conf
	# "postfix start" checks the instance and creates its queue
	# directories with the right owners.  Not "postfix set-permissions":
	# that also resets the modes of the system's own Postfix files
	# (postfix-files), which this harness leaves alone.
	E2E_PF_STARTED=1
	e2e_postfix start >"$E2E_DIR/postfix.out" 2>&1 ||
	    { cat "$E2E_DIR/postfix.out"; tail -20 "$E2E_MAILLOG" 2>/dev/null
	      e2e_bail "postfix start failed"; }
	e2e_wait_banner "$E2E_SMTP_PORT" "ESMTP $E2E_BANNER" 30 ||
	    { tail -20 "$E2E_MAILLOG" 2>/dev/null
	      e2e_bail "Postfix's smtpd does not answer on 127.0.0.1:$E2E_SMTP_PORT"; }
}

e2e_stop_postfix() {
	[ -n "$E2E_PF_STARTED" ] || return 0
	_pidf=$E2E_DIR/queue/pid/master.pid
	_mpid=$(tr -d ' ' <"$_pidf" 2>/dev/null)
	# SIGTERM to our master is what "postfix stop" sends, minus the
	# postfix-script start-up that takes seconds on a busy machine.
	if [ -n "$_mpid" ]; then
		kill -TERM "$_mpid" 2>/dev/null
	else
		e2e_postfix stop >/dev/null 2>&1
	fi
	_i=0
	while [ -n "$_mpid" ] && kill -0 "$_mpid" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if [ -n "$_mpid" ] && kill -0 "$_mpid" 2>/dev/null; then
		e2e_postfix abort >/dev/null 2>&1
		sleep 0.5
		kill -KILL "$_mpid" 2>/dev/null
	fi
	E2E_PF_STARTED=
}

e2e_start_mta() { e2e_start_postfix; }
e2e_stop_mta() { e2e_stop_postfix; }

# e2e_start: everything, in the order mail flows backwards.
e2e_start() {
	e2e_write_warden_conf
	e2e_start_sink
	e2e_start_warden
	e2e_start_mta
}

e2e_cleanup() {
	_rc=$?
	e2e_stop_mta
	e2e_stop_warden
	daemon_cleanup
	[ -z "${E2E_DNSD:-}" ] || dnsd_cleanup
	for _p in $E2E_PIDS; do
		kill "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	[ $E2E_FAILED = 0 ] || [ $_rc = 77 ] || _rc=1
	if [ $_rc != 0 ] && [ $_rc != 77 ] && [ -d "${E2E_DIR:-}" ]; then
		echo "---- $E2E_WLOG (last 40 lines)"
		tail -40 "$E2E_WLOG" 2>/dev/null
		echo "---- $E2E_MAILLOG (last 40 lines)"
		tail -40 "$E2E_MAILLOG" 2>/dev/null
		echo "---- $E2E_DIR/sink.log"
		tail -10 "$E2E_DIR/sink.log" 2>/dev/null
	fi
	if [ -d "${E2E_DIR:-}" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			echo "# kept $E2E_DIR (E2E_KEEP=1)"
		else
			rm -rf "$E2E_DIR"
		fi
	fi
	exit $_rc
}

e2e_done() {
	if [ $E2E_FAILED = 0 ]; then
		echo "# $E2E_NAME: all $E2E_CHECKS checks passed"
		exit 0
	fi
	echo "# $E2E_NAME: FAILED"
	exit 1
}

# --- Sending and checking -------------------------------------------------

# e2e_send TAG [swaks options]: one SMTP session to the private smtpd;
# the transcript is in $E2E_DIR/out/TAG.txt; returns swaks's exit status.
e2e_send() {
	_tag=$1
	shift
	swaks --server "127.0.0.1:$E2E_SMTP_PORT" --helo client.e2e.test \
	    --timeout 60 "$@" >"$E2E_DIR/out/$_tag.txt" 2>&1
	_rc=$?
	e2e_log "sent $_tag: swaks exit $_rc, last reply:" \
	    "$(grep -E '^<(-|\*\*|~) ' "$E2E_DIR/out/$_tag.txt" | grep -v ' 221 ' | tail -1)"
	return $_rc
}

# e2e_transcript TAG: the swaks transcript (for messages).
e2e_transcript() {
	sed 's/^/#   /' "$E2E_DIR/out/$1.txt"
}

# e2e_reply_has TAG REGEX: some server reply line in the transcript
# (lines starting with "<-" or "<**", plus continuation lines) matches.
e2e_reply_has() {
	grep -E '^<(-|\*\*|~) ' "$E2E_DIR/out/$1.txt" | sed -E 's/^<(-|\*\*|~) +//' |
	    grep -Eq -- "$2"
}

# e2e_wait_log FILE ERE [SECONDS]: wait until a line of the log matches
# (Postfix's maillog is written by postlogd, a moment after the event).
e2e_wait_log() {
	_i=0
	_lim=$(( ${3:-5} * 10 ))
	while [ $_i -lt $_lim ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# e2e_accepted TAG: the MTA took a message of the session (its 250 at
# the end of DATA).
e2e_accepted() {
	e2e_reply_has "$1" '^250 .*queued as'
}

# e2e_queue_id TAG: the queue id from "250 ... queued as ID" (empty if
# no message was accepted).
e2e_queue_id() {
	sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$E2E_DIR/out/$1.txt" | tail -1
}

# e2e_delivered TOKEN: the captured message files containing TOKEN.
e2e_delivered() {
	grep -lF -- "$1" "$E2E_DIR"/sink/*.eml 2>/dev/null
}

# e2e_wait_delivered TOKEN [SECONDS]: wait for a message carrying TOKEN to
# reach the sink; prints its file name.  Returns 1 on timeout.
e2e_wait_delivered() {
	_i=0
	_lim=$(( ${2:-30} * 10 ))
	while [ $_i -lt $_lim ]; do
		_f=$(e2e_delivered "$1" | head -1)
		if [ -n "$_f" ]; then
			echo "$_f"
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# e2e_header FILE NAME: the values of every NAME header (unfolded), one
# per line, from a captured message.
e2e_header() {
	awk -v want="$2" '
	function flush() {
		if (cur != "") {
			n = index(cur, ":")
			name = tolower(substr(cur, 1, n - 1))
			if (name == tolower(want)) {
				v = substr(cur, n + 1)
				gsub(/[ \t]+/, " ", v)
				sub(/^ /, "", v)
				sub(/ $/, "", v)
				print v
			}
		}
		cur = ""
	}
	{ sub(/\r$/, "") }
	/^$/ { flush(); exit }
	/^[ \t]/ { cur = cur " " $0; next }
	{ flush(); cur = $0 }
	END { flush() }' "$1"
}

# e2e_count_header FILE NAME: how many NAME headers the message has.
e2e_count_header() {
	e2e_header "$1" "$2" | wc -l | tr -d ' '
}

# e2e_queue_json: Postfix's queue as JSON lines (postqueue -j).
e2e_queue_json() {
	postqueue -c "$E2E_PF" -j 2>/dev/null
}

# e2e_in_queue ID QUEUE: the message ID is in the named queue.
e2e_in_queue() {
	e2e_queue_json | grep -F "\"queue_id\": \"$1\"" |
	    grep -qF "\"queue_name\": \"$2\""
}

# Quarantine, whatever the MTA: e2e_held ID (it is quarantined: Postfix's
# hold queue), e2e_queue_show (the queue, for the log), e2e_flush (try
# the queue now), e2e_release_all (release what is held and deliver it),
# e2e_queue_empty.
e2e_held() { e2e_in_queue "$1" hold; }
e2e_queue_show() { e2e_queue_json; }
e2e_flush() { postqueue -c "$E2E_PF" -f 2>/dev/null; }
e2e_release_all() {
	postsuper -c "$E2E_PF" -H ALL 2>&1 | sed 's/^/# /'
	e2e_flush	# released mail goes to deferred
}
e2e_queue_empty() { [ -z "$(e2e_queue_json)" ]; }

# e2e_msg FILE [SUBJECT [BODY]]: write a plain RFC 5322 message (CRLF).
e2e_msg() {
	{
		printf 'From: Sender <sender@origin.example>\r\n'
		printf 'To: Rcpt <rcpt@dest.example>\r\n'
		printf 'Subject: %s\r\n' "${2:-e2e test}"
		printf 'Date: %s\r\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <%s.%s@origin.example>\r\n' "$$" "$(date +%s%N)"
		printf 'MIME-Version: 1.0\r\n'
		printf 'Content-Type: text/plain; charset=us-ascii\r\n'
		printf '\r\n'
		printf '%s\r\n' "${3:-Hello from the Warden end-to-end tests.}"
	} >"$1"
}

# e2e_msg_attach FILE SUBJECT ATTACHMENT NAME: a message with one base64
# attachment.
e2e_msg_attach() {
	{
		printf 'From: Sender <sender@origin.example>\r\n'
		printf 'To: Rcpt <rcpt@dest.example>\r\n'
		printf 'Subject: %s\r\n' "$2"
		printf 'Date: %s\r\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <%s.%s@origin.example>\r\n' "$$" "$(date +%s%N)"
		printf 'MIME-Version: 1.0\r\n'
		printf 'Content-Type: multipart/mixed; boundary="e2e-boundary"\r\n'
		printf '\r\n'
		printf -- '--e2e-boundary\r\n'
		printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\n'
		printf 'See the attachment.\r\n'
		printf -- '--e2e-boundary\r\n'
		printf 'Content-Type: application/octet-stream; name="%s"\r\n' "$4"
		printf 'Content-Transfer-Encoding: base64\r\n'
		printf 'Content-Disposition: attachment; filename="%s"\r\n\r\n' "$4"
		base64 "$3" | sed 's/$/\r/'
		printf -- '--e2e-boundary--\r\n'
	} >"$1"
}

# The GTUBE string (SpamAssassin's spam test line).
E2E_GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

# The Sendmail variant replaces the MTA's functions above.
if [ "$E2E_MTA" = sendmail ]; then
	E2E_MTA_NAME=Sendmail
	# shellcheck source=tests/e2e/sendmail.sh
	. "$E2E_SRC/sendmail.sh"
elif [ "$E2E_MTA" != postfix ]; then
	echo "not ok - harness: E2E_MTA=$E2E_MTA: postfix or sendmail"
	exit 1
fi
