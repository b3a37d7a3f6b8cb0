# shellcheck shell=sh disable=SC2034
# sendmail.sh -- the Sendmail side of the e2e harness, sourced by lib.sh
# when E2E_MTA=sendmail: a private Sendmail 8.17 on 127.0.0.1 whose
# daemon hands every session to the Warden under test and relays what it
# accepts to the capture sink.  It redefines lib.sh's MTA functions.
#
# Sendmail is not installed (Debian's packages would remove Postfix): its
# Debian packages are fetched once with "apt-get download" and unpacked
# with "dpkg -x" into the build tree, $E2E_SM_CACHE (default
# tests/e2e/sendmail-root next to the warden binary), under a lock so
# that parallel tests fetch once.  No network: the tests are skipped.
#
# The instance, all in $E2E_DIR/sm: sendmail.cf made with m4 from the
# unpacked sendmail-cf (sendmail.mc is kept beside it), its queue
# (mqueue), aliases, status and pid files; DaemonPortOptions on
# 127.0.0.1 and a free port; SMART_HOST relay:[127.0.0.1] with the sink's
# port; INPUT_MAIL_FILTER to Warden's unix socket with F=T (tempfail while
# Warden is down); no macro lists (Warden asks for its macros with
# smfi_setsymlist).  It runs as root with -bd -q2s, started and stopped
# here (SIGTERM to its process group).  E2E_SM_MILTER_SOCKET, if set, is
# the milter socket it uses instead (e.g. inet:PORT@127.0.0.1, with a
# matching "socket =" for Warden).
#
# smshim.c, built here with cc and preloaded, gives it what this machine
# lacks: a log (syslog lines go to $E2E_MAILLOG; there is no syslog
# socket), a qualified name (else Sendmail sleeps 60 s at start), and a
# resolver that answers from $E2E_DIR/sm/hosts only, which is empty: no
# DNS query can hang, and a client on 127.0.0.1 has no PTR record, so
# Sendmail names it "[127.0.0.1]".
#
# Needs, besides lib.sh's: apt-get and dpkg (the first time, with network),
# m4, cc, and the libraries the sendmail binary links (libwrap0).

E2E_SM_STARTED=
E2E_SM_PID=

# The unpacked packages (cached in the build tree) and the shim.
E2E_SM_BIN=
E2E_SM_CFDIR=
E2E_SM_SHIM=

# e2e_sm_fetch: download and unpack Sendmail's packages into
# $E2E_SM_CACHE unless that is done; returns non-zero (with the reason in
# E2E_SM_WHY) if it cannot.
e2e_sm_fetch() {
	_c=$E2E_SM_CACHE
	[ -x "$_c/usr/libexec/sendmail/sendmail" ] && return 0
	mkdir -p "$(dirname "$_c")" || { E2E_SM_WHY="cannot create $_c"; return 1; }
	# One test fetches; the others wait for it (fd 9 holds the lock).
	exec 9>"$_c.lock"
	if command -v flock >/dev/null 2>&1; then
		flock -w 600 9 || { E2E_SM_WHY="waited 600 s for $_c.lock"
			exec 9>&-; return 1; }
	fi
	if [ ! -x "$_c/usr/libexec/sendmail/sendmail" ]; then
		_t=$_c.tmp.$$
		rm -rf "$_t"
		mkdir -p "$_t/debs" || { E2E_SM_WHY="cannot create $_t"; return 1; }
		if ! (cd "$_t/debs" && apt-get download sendmail-bin sendmail-cf \
		    sendmail-base) >"$_t.log" 2>&1; then
			E2E_SM_WHY="apt-get download sendmail-bin sendmail-cf sendmail-base failed (no network?): $(tail -1 "$_t.log")"
			rm -rf "$_t" "$_t.log"
			exec 9>&-
			return 1
		fi
		for _d in "$_t"/debs/*.deb; do
			dpkg -x "$_d" "$_t" || { E2E_SM_WHY="dpkg -x $_d failed"
				rm -rf "$_t" "$_t.log"; exec 9>&-; return 1; }
		done
		rm -rf "$_t/debs" "$_t.log"
		# Not set-group-ID: the dynamic loader would ignore LD_PRELOAD.
		chmod g-s "$_t/usr/libexec/sendmail/sendmail"
		rm -rf "$_c"
		if ! mv "$_t" "$_c"; then
			E2E_SM_WHY="cannot move $_t to $_c"
			exec 9>&-
			return 1
		fi
	fi
	exec 9>&-
	return 0
}

e2e_mta_require() {
	e2e_find_warden		# the cache is next to it
	for _p in m4 cc; do
		command -v $_p >/dev/null 2>&1 ||
		    e2e_skip "$_p is not installed (the Sendmail tests need it;" \
			"Debian: apt-get install m4 gcc)"
	done
	E2E_SM_CACHE=${E2E_SM_CACHE:-$(dirname "$WARDEN")/tests/e2e/sendmail-root}
	if [ ! -x "$E2E_SM_CACHE/usr/libexec/sendmail/sendmail" ]; then
		for _p in apt-get dpkg; do
			command -v $_p >/dev/null 2>&1 ||
			    e2e_skip "Sendmail is fetched with apt-get download" \
				"and dpkg -x, and $_p is not there"
		done
		e2e_sm_fetch || e2e_skip "cannot get Sendmail: $E2E_SM_WHY"
	fi
	E2E_SM_BIN=$E2E_SM_CACHE/usr/libexec/sendmail/sendmail
	E2E_SM_CFDIR=$E2E_SM_CACHE/usr/share/sendmail/cf
	[ -f "$E2E_SM_CFDIR/m4/cf.m4" ] ||
	    e2e_skip "$E2E_SM_CFDIR/m4/cf.m4 is missing (remove $E2E_SM_CACHE" \
		"to fetch Sendmail again)"
	_missing=$(ldd "$E2E_SM_BIN" 2>/dev/null | awk '/not found/ { print $1 }' |
	    tr '\n' ' ')
	[ -z "$_missing" ] ||
	    e2e_skip "the sendmail binary needs libraries that are not" \
		"installed: $_missing(Debian: apt-get install libwrap0)"
}

# e2e_mta_init is run by e2e_init, after e2e_find_warden: the instance's
# directory and the shim.
e2e_mta_init() {
	E2E_SM=$E2E_DIR/sm
	mkdir -p "$E2E_SM/mqueue" || e2e_bail "mkdir"
	chmod 700 "$E2E_SM/mqueue"	# Sendmail refuses a queue others can write
	E2E_SM_SHIM=$E2E_SM/smshim.so
	cc -shared -fPIC -O -o "$E2E_SM_SHIM" "$E2E_SRC/smshim.c" -ldl \
	    >"$E2E_SM/cc.out" 2>&1 ||
	    { cat "$E2E_SM/cc.out"; e2e_bail "cannot build $E2E_SRC/smshim.c"; }
	: >"$E2E_SM/sendmail.mc.extra"
}

# e2e_sendmail_conf: sendmail.mc lines (stdin) added to the instance's
# (before the MAILER lines).
e2e_sendmail_conf() {
	cat >>"$E2E_SM/sendmail.mc.extra"
}

# e2e_sendmail ARGS...: the instance's sendmail binary, with its config,
# log, name and resolver (also for -bp, -q, ...).
e2e_sendmail() {
	E2E_SYSLOG_FILE=$E2E_MAILLOG E2E_HOSTNAME=mta.e2e.example \
	    E2E_HOSTS_FILE=$E2E_SM/hosts LD_PRELOAD=$E2E_SM_SHIM \
	    "$E2E_SM_BIN" -C "$E2E_SM/sendmail.cf" "$@"
}

e2e_sm_write_conf() {
	# The resolver's only data: nothing, so no name has an address and
	# no address a name.
	echo "# e2e: no host has a name or an address here" >"$E2E_SM/hosts"
	printf 'hosts files\naliases files\n' >"$E2E_SM/service.switch"
	printf 'postmaster: root\nMAILER-DAEMON: postmaster\nroot: /dev/null\n' \
	    >"$E2E_SM/aliases"
	cat >"$E2E_SM/sendmail.mc" <<EOF
divert(-1)
# Private Sendmail instance of Warden's e2e test $E2E_NAME.
divert(0)dnl
VERSIONID(\`Warden e2e $E2E_NAME')dnl
OSTYPE(\`linux')dnl
dnl Its own name ($E2E_HOSTNAME is the same), files and resolver.
define(\`confDOMAIN_NAME', \`mta.e2e.example')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confSERVICE_SWITCH_FILE', \`$E2E_SM/service.switch')dnl
define(\`confHOSTS_FILE', \`$E2E_SM/hosts')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`ALIAS_FILE', \`$E2E_SM/aliases')dnl
define(\`STATUS_FILE', \`$E2E_SM/sendmail.st')dnl
define(\`QUEUE_DIR', \`$E2E_SM/mqueue')dnl
define(\`confPID_FILE', \`$E2E_SM/sendmail.pid')dnl
define(\`confHELP_FILE', \`$E2E_SM/helpfile')dnl
dnl \$TMPDIR (the socket's and the queue's path) is world-writable, sticky.
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
dnl Sendmail puts "ESMTP" after \$j itself.
define(\`confSMTP_LOGIN_MSG', \`\$j $E2E_BANNER')dnl
define(\`confLOG_LEVEL', \`12')dnl
define(\`confMILTER_LOG_LEVEL', \`12')dnl
dnl A busy test machine must not make it queue or refuse.
define(\`confQUEUE_LA', \`999')dnl
define(\`confREFUSE_LA', \`999')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confAUTH_MECHANISMS', \`')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $E2E_SINK_PORT')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $E2E_SINK_PORT')dnl
DAEMON_OPTIONS(\`Port=$E2E_SMTP_PORT, Addr=127.0.0.1, Family=inet, Name=MTA')dnl
INPUT_MAIL_FILTER(\`warden', \`S=${E2E_SM_MILTER_SOCKET:-unix:$E2E_SOCK}, F=T, T=C:10s;S:30s;R:60s;E:5m')dnl
EOF
	cat "$E2E_SM/sendmail.mc.extra" >>"$E2E_SM/sendmail.mc"
	cat >>"$E2E_SM/sendmail.mc" <<EOF
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
	m4 -D_CF_DIR_="$E2E_SM_CFDIR/" "$E2E_SM_CFDIR/m4/cf.m4" \
	    "$E2E_SM/sendmail.mc" >"$E2E_SM/sendmail.cf" 2>"$E2E_SM/m4.out" ||
	    { cat "$E2E_SM/m4.out"; e2e_bail "m4 could not make sendmail.cf"; }
}

e2e_start_mta() {
	e2e_sm_write_conf
	E2E_SM_STARTED=1
	rm -f "$E2E_SM/sendmail.pid"
	# -bd: it forks, the daemon leads a new process group and writes its
	# pid file.
	e2e_sendmail -bd -q2s >"$E2E_SM/start.out" 2>&1 ||
	    { cat "$E2E_SM/start.out"; tail -20 "$E2E_MAILLOG" 2>/dev/null
	      e2e_bail "sendmail -bd failed"; }
	_i=0
	while [ ! -s "$E2E_SM/sendmail.pid" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	E2E_SM_PID=$(head -1 "$E2E_SM/sendmail.pid" 2>/dev/null)
	[ -n "$E2E_SM_PID" ] ||
	    { tail -20 "$E2E_MAILLOG" 2>/dev/null
	      e2e_bail "Sendmail wrote no pid file"; }
	e2e_wait_banner "$E2E_SMTP_PORT" "ESMTP $E2E_BANNER" 30 "${E2E_SM_PID:-0}" ||
	    { tail -20 "$E2E_MAILLOG" 2>/dev/null
	      e2e_bail "Sendmail does not answer on 127.0.0.1:$E2E_SMTP_PORT"; }
}

# e2e_sm_group PGID: the processes of a process group (dash's kill takes
# no negative pid).
e2e_sm_group() {
	for _s in /proc/[0-9]*/stat; do
		read -r _l 2>/dev/null <"$_s" || continue
		# shellcheck disable=SC2086 # fields after "(comm) ": state ppid pgrp
		set -- ${_l##*) }
		[ "$3" = "$E2E_SM_PID" ] || continue
		[ "$1" != Z ] || continue	# a zombie is already gone
		_p=${_s#/proc/}
		echo "${_p%/stat}"
	done
}

e2e_stop_mta() {
	[ -n "$E2E_SM_STARTED" ] || return 0
	E2E_SM_STARTED=
	[ -n "$E2E_SM_PID" ] || return 0
	# The daemon, its SMTP sessions and queue runners: one process group.
	# shellcheck disable=SC2046 # pids
	kill -TERM $(e2e_sm_group) 2>/dev/null
	_i=0
	while [ -n "$(e2e_sm_group)" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2046 # pids
	kill -KILL $(e2e_sm_group) 2>/dev/null
	E2E_SM_PID=
	return 0
}

# "250 2.0.0 ID Message accepted for delivery"
e2e_accepted() {
	e2e_reply_has "$1" '^250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery'
}

e2e_queue_id() {
	sed -n 's/.* 250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted for delivery.*/\1/p' \
	    "$E2E_DIR/out/$1.txt" | tail -1
}

# Sendmail's quarantine: the message stays in the queue with the reason
# Warden gave; "sendmail -bp -qQ" lists such messages, "-qQ -Q -qIID"
# releases one.
e2e_held() {
	e2e_sendmail -bp -qQ 2>/dev/null | grep -q "^$1[ *X-]"
}

e2e_queue_show() {
	e2e_sendmail -bp 2>/dev/null
	e2e_sendmail -bp -qQ 2>/dev/null
}

e2e_flush() {
	e2e_sendmail -q >/dev/null 2>&1
}

e2e_release_all() {
	for _id in $(e2e_sendmail -bp -qQ 2>/dev/null |
	    awk '/^[0-9A-Za-z]+[ *X-]/ && $1 ~ /[0-9]/ { sub(/[*X-]$/, "", $1); print $1 }'); do
		e2e_sendmail -qQ -Q -qI"$_id" 2>&1 | sed 's/^/# /'
	done
	e2e_flush
}

e2e_queue_empty() {
	e2e_sendmail -bp 2>/dev/null | grep -q 'Total requests: 0$' &&
	    e2e_sendmail -bp -qQ 2>/dev/null | grep -q 'Total requests: 0$'
}
