#!/bin/sh
# bench/competitors.sh -- private instances of the filters sites run today,
# for measuring them beside Warden with the same client (tests/load/wdload).
#
#   bench/competitors.sh start [DIR]    start every installed one under DIR
#   bench/competitors.sh stop  [DIR]    stop them (by the pids recorded in DIR)
#   bench/competitors.sh status [DIR]
#
# DIR defaults to /tmp/warden-competitors.  Nothing outside DIR is written and
# no system service is touched: every daemon gets its own config file,
# sockets, pid file, database and log under DIR, runs in the foreground of
# a background job, and is stopped by its recorded pid.
#
#   spamass   spamass-milter + spamd     (packages spamass-milter, spamd)
#             SpamAssassin's stock rules, local tests only (-L), no Bayes,
#             no auto-learn, no user configs; spamd with 2 children per core.
#   rspamd    rspamd's proxy worker in milter mode, self-scan (package rspamd)
#             Debian's stock config with a private LOCAL_CONFDIR: no normal
#             or controller worker, no redis, modules that query the network
#             disabled, DNS pointed at a closed local port so that any
#             remaining lookup fails at once.  One proxy process per core.
#   clamav    clamav-milter + clamd      (packages clamav-milter, clamav-daemon)
#             a one-line database: the EICAR md5 as a .hdb signature.
#
# For each one that started, DIR/sockets gets "NAME=SOCKET" and DIR/pids
# "NAME=PID ..." (the daemons whose memory counts: bench/run sums VmHWM over
# them and their children).  A filter whose package is missing is skipped
# with a line on stderr saying which package would bring it.
set -u
cmd=${1:-}
D=${2:-/tmp/warden-competitors}
ncpu=$(nproc 2>/dev/null || echo 2)

note() { echo "competitors: $*" >&2; }

wait_sock() {	# path pid seconds
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		[ -S "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

start_spamass() {
	if ! command -v spamd >/dev/null || ! command -v spamass-milter >/dev/null; then
		note "spamass: skipped (apt-get install spamd spamass-milter)"
		return
	fi
	mkdir -p "$D/sa/site" "$D/sa/home"
	chmod 755 "$D" "$D/sa"
	cat > "$D/sa/site/local.cf" <<'EOF'
# Private benchmark config: no network tests, no Bayes, no learning.
use_bayes 0
bayes_auto_learn 0
skip_rbl_checks 1
use_razor2 0
use_pyzor 0
dns_available no
EOF
	# The stock rules: sa-update's copy when there is one, else the package's.
	rules=/usr/share/spamassassin
	for v in /var/lib/spamassassin/[0-9]*; do
		[ -d "$v/updates_spamassassin_org" ] && rules=$v/updates_spamassassin_org
	done
	cp /etc/spamassassin/*.pre "$D/sa/site/" 2>/dev/null
	chown -R debian-spamd "$D/sa" 2>/dev/null || chown -R nobody "$D/sa"
	user=debian-spamd; id $user >/dev/null 2>&1 || user=nobody
	spamd -L -x -u $user -C "$rules" --siteconfigpath="$D/sa/site" \
	    -H "$D/sa/home" --socketpath="$D/sa/spamd.sock" --socketmode=0666 \
	    --max-children=$((ncpu * 2)) --min-children=$((ncpu * 2)) \
	    -s "$D/sa/spamd.log" -r "$D/sa/spamd.pid" >/dev/null 2>&1 &
	sp=$!
	if ! wait_sock "$D/sa/spamd.sock" $sp 120; then
		note "spamass: spamd did not start; see $D/sa/spamd.log"
		kill $sp 2>/dev/null
		return
	fi
	# spamass-milter stays in the foreground without -f; -m: headers only.
	spamass-milter -p "$D/sa/milter.sock" -P "$D/sa/milter.pid" -m \
	    -- -U "$D/sa/spamd.sock" >/dev/null 2>"$D/sa/milter.log" &
	mp=$!
	if ! wait_sock "$D/sa/milter.sock" $mp 20; then
		note "spamass: spamass-milter did not start; see $D/sa/milter.log"
		kill $mp $sp 2>/dev/null
		return
	fi
	# spamd's children run as $user: they must reach DIR, and GTUBE must be spam.
	rc=1
	if command -v spamc >/dev/null; then
		printf 'Subject: t\n\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n' |
		    spamc -U "$D/sa/spamd.sock" -c >/dev/null 2>&1
		rc=$?		# spamc -c: 1 when spam
	fi
	if [ $rc -ne 1 ]; then
		note "spamass: spamd does not judge GTUBE as spam (can $user read $D?); see $D/sa/spamd.log"
		kill $mp $sp 2>/dev/null
		return
	fi
	echo "spamass=unix:$D/sa/milter.sock" >> "$D/sockets"
	echo "spamass=$mp $sp" >> "$D/pids"
	note "spamass: unix:$D/sa/milter.sock (spamd $sp, spamass-milter $mp)"
}

start_rspamd() {
	if ! command -v rspamd >/dev/null; then
		note "rspamd: skipped (apt-get install rspamd)"
		return
	fi
	L=$D/rspamd/local
	mkdir -p "$L/local.d" "$L/override.d" "$D/rspamd/db" "$D/rspamd/run" "$D/rspamd/log"
	cat > "$L/override.d/worker-proxy.inc" <<EOF
bind_socket = "$D/rspamd/proxy.sock mode=0666";
milter = yes;
timeout = 120s;
upstream "local" { default = yes; self_scan = yes; }
count = $ncpu;
EOF
	printf 'bind_socket = "%s/rspamd/normal.sock";\ncount = -1;\n' "$D" > "$L/override.d/worker-normal.inc"
	printf 'bind_socket = "%s/rspamd/controller.sock";\ncount = -1;\n' "$D" > "$L/override.d/worker-controller.inc"
	cat > "$L/override.d/options.inc" <<'EOF'
dns { nameserver = ["127.0.0.1:1"]; timeout = 0.1s; retransmits = 1; }
check_all_filters = false;
EOF
	printf 'level = "error";\n' > "$L/override.d/logging.inc"
	# Modules that ask the network (DNS lists, fuzzy storage, remote maps).
	for m in rbl surbl fuzzy_check spf dkim dmarc arc asn emails phishing \
	    url_redirector rspamd_update dcc mx_check hfilter whitelist \
	    multimap external_services antivirus clickhouse elastic metadata_exporter \
	    neural ratelimit greylist replies history_redis dynamic_conf \
	    reputation url_reputation maillist dkim_signing; do
		printf 'enabled = false;\n' > "$L/override.d/$m.conf"
	done
	rspamd -f -u root -g root -i -c /etc/rspamd/rspamd.conf \
	    --var=LOCAL_CONFDIR="$L" --var=DBDIR="$D/rspamd/db" \
	    --var=RUNDIR="$D/rspamd/run" --var=LOGDIR="$D/rspamd/log" \
	    >"$D/rspamd/stdout.log" 2>&1 &
	rp=$!
	if ! wait_sock "$D/rspamd/proxy.sock" $rp 120; then
		note "rspamd: did not start; see $D/rspamd/log/rspamd.log and stdout.log"
		kill $rp 2>/dev/null
		return
	fi
	echo "rspamd=unix:$D/rspamd/proxy.sock" >> "$D/sockets"
	echo "rspamd=$rp" >> "$D/pids"
	note "rspamd: unix:$D/rspamd/proxy.sock (main $rp)"
}

start_clamav() {
	if ! command -v clamd >/dev/null || ! command -v clamav-milter >/dev/null; then
		note "clamav: skipped (apt-get install clamav-daemon clamav-milter)"
		return
	fi
	C=$D/clamav
	mkdir -p "$C/db"
	# EICAR's md5 and length as a one-line hash signature (no official databases).
	eicar='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
	printf '%s:%s:Eicar-Test-Signature\n' \
	    "$(printf '%s' "$eicar" | md5sum | cut -d' ' -f1)" ${#eicar} > "$C/db/test.hdb"
	cat > "$C/clamd.conf" <<EOF
LocalSocket $C/clamd.sock
LocalSocketMode 666
DatabaseDirectory $C/db
PidFile $C/clamd.pid
LogFile $C/clamd.log
Foreground yes
MaxThreads $((ncpu * 4))
SelfCheck 3600
EOF
	cat > "$C/clamav-milter.conf" <<EOF
MilterSocket unix:$C/milter.sock
MilterSocketMode 666
ClamdSocket unix:$C/clamd.sock
PidFile $C/milter.pid
LogFile $C/milter.log
Foreground yes
OnInfected Reject
AddHeader Replace
MaxThreads $((ncpu * 8))
EOF
	clamd -c "$C/clamd.conf" >/dev/null 2>&1 &
	cp=$!
	if ! wait_sock "$C/clamd.sock" $cp 120; then
		note "clamav: clamd did not start; see $C/clamd.log"
		kill $cp 2>/dev/null
		return
	fi
	clamav-milter -c "$C/clamav-milter.conf" >/dev/null 2>&1 &
	mp=$!
	if ! wait_sock "$C/milter.sock" $mp 30; then
		note "clamav: clamav-milter did not start; see $C/milter.log"
		kill $mp $cp 2>/dev/null
		return
	fi
	echo "clamav=unix:$C/milter.sock" >> "$D/sockets"
	echo "clamav=$mp $cp" >> "$D/pids"
	note "clamav: unix:$C/milter.sock (clamd $cp, clamav-milter $mp)"
}

stop_all() {
	[ -f "$D/pids" ] || return 0
	pids=$(cut -d= -f2 "$D/pids")
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	i=0
	while [ $i -lt 100 ]; do
		alive=
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
		[ -z "$alive" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in ${alive:-}; do note "pid $p ignored TERM: KILL"; kill -KILL "$p" 2>/dev/null; done
	rm -f "$D/pids" "$D/sockets"
}

case "$cmd" in
start)
	mkdir -p "$D"
	stop_all
	: > "$D/sockets"; : > "$D/pids"
	for f in ${COMPETITORS:-spamass rspamd clamav}; do "start_$f"; done
	cat "$D/sockets"
	;;
stop)
	stop_all
	;;
status)
	[ -f "$D/sockets" ] && cat "$D/sockets"
	;;
*)
	echo "usage: $0 start|stop|status [DIR]" >&2
	exit 2
	;;
esac
