#!/bin/sh
# dnsd.sh -- tests/dnsd.py, the private DNS server of Warden's DNS tests,
# and its helpers tests/dnsd.sh and tests/dnsd_lib.py:
#
#  - tests/data/dns/blocklists.zone is a valid zone file; a bad one is
#    refused with its file and line.
#  - dnsd_start serves it with a test zone on a free port, UDP and TCP;
#    tests/dns/dnsd_check.py then asks it, with dnslib as the client:
#    answers, NXDOMAIN, NODATA, wildcards, CNAMEs, EDNS and truncation,
#    @truncate's fall-back to TCP, @delay (really late, and blocking no
#    other query), @servfail, @refused, @drop, malformed packets, the
#    query log; and starts and stops servers of its own with dnsd_lib.
#  - dnsd_queries counts what was asked, dnsd_query asks from the shell,
#    and dnsd_stop ends the server cleanly (exit 0 on SIGTERM).
#
# Skips (77) without a python3 that has dnslib (python3-dnslib).
set -u

: "${srcdir:=$(dirname "$0")/../..}"
. "$srcdir/tests/dnsd.sh"
dnsd_python || { echo "SKIP: $DNSD_ERROR"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-dns-test.XXXXXX") || exit 99
trap 'dnsd_cleanup; rm -rf "$T"' EXIT
trap 'exit 99' HUP INT TERM

fail=0
pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

ZONE=$srcdir/tests/data/dns/blocklists.zone

# A zone for what blocklists.zone does not show: the pattern forms of the
# behaviours, a wildcard beside existing names, a large answer.
{
	cat <<'EOZ'
dnsd-test.example 60 SOA ns.dnsd.invalid. hostmaster.dnsd-test.example. 1 3600 600 86400 30
*.w.dnsd-test.example 60 A 192.0.2.7
b.w.dnsd-test.example 60 TXT "b exists, without an A record"
under.dnsd-test.example 60 A 192.0.2.8
@servfail *.under.dnsd-test.example
exact.dnsd-test.example 60 A 192.0.2.9
@refused =exact.dnsd-test.example
EOZ
	for i in 1 2 3 4 5 6 7 8; do
		printf 'big.dnsd-test.example 60 TXT "%s %s"\n' "$i" \
		    "eight strings of some 90 bytes each, 700 bytes in all: more than 512, less than 1232"
	done
} > "$T/test.zone"

if out=$("$DNSD_PYTHON" "$srcdir/tests/dnsd.py" --check --zone "$ZONE" 2>&1); then
	pass "blocklists.zone is valid: $out"
else
	bad "blocklists.zone: $out"
fi
printf 'ok.example 60 A 192.0.2.1\nno.example 60 MX mail.example\n' > "$T/bad.zone"
out=$("$DNSD_PYTHON" "$srcdir/tests/dnsd.py" --check --zone "$T/bad.zone" 2>&1)
rc=$?
case "$rc:$out" in
2:*"$T/bad.zone:2: MX takes 2 field(s)"*) pass "a bad zone file: status 2, FILE:LINE and why" ;;
*) bad "a bad zone file: status $rc, \"$out\"" ;;
esac

if ! dnsd_start -t 30 "$ZONE" "$T/test.zone"; then
	echo "ERROR: $DNSD_ERROR"
	exit 99
fi
case $DNSD_PORT in
'' | *[!0-9]*) bad "DNSD_PORT is \"$DNSD_PORT\"" ;;
*) pass "dnsd_start: pid $DNSD_PID, port $DNSD_PORT" ;;
esac
pidfile=$(cat "$DNSD_DIR/pid" 2>/dev/null)
if [ "$pidfile" = "$DNSD_PID" ]; then
	pass "the pid file holds $DNSD_PID"
else
	bad "the pid file holds \"$pidfile\", not $DNSD_PID"
fi
if [ "$(dnsd_queries .)" = 0 ]; then
	pass "nothing logged before the first query"
else
	bad "the log is not empty: $(cat "$DNSD_LOG")"
fi

# From the shell.
out=$(dnsd_query 2.2.0.192.zen.spamhaus.org A)
case $out in
*"status: NOERROR"*"127.0.0.2"*) pass "dnsd_query: 192.0.2.2 is in zen" ;;
*) bad "dnsd_query 2.2.0.192.zen.spamhaus.org: $out" ;;
esac
out=$(dnsd_query --tcp 1.2.0.192.zen.spamhaus.org A)
case $out in
*"status: NXDOMAIN"*) pass "dnsd_query --tcp: 192.0.2.1 is not" ;;
*) bad "dnsd_query --tcp 1.2.0.192.zen.spamhaus.org: $out" ;;
esac
if [ "$(dnsd_queries '^udp 2\.2\.0\.192\.zen\.spamhaus\.org A$')" = 1 ] &&
    [ "$(dnsd_queries '^tcp 1\.2\.0\.192\.zen\.spamhaus\.org A$')" = 1 ] &&
    [ "$(dnsd_queries 'sender\.example')" = 0 ]; then
	pass "dnsd_queries counts the queries made, and not others"
else
	bad "dnsd_queries: $(cat "$DNSD_LOG")"
fi

# With dnslib.
"$DNSD_PYTHON" "$srcdir/tests/dns/dnsd_check.py" "$DNSD_PORT" "$DNSD_LOG" \
    "$ZONE" "$T/test.zone" || fail=1

if dnsd_alive; then
	pass "the server still runs after the checks"
else
	bad "the server died: $(tail -n 20 "$DNSD_OUT")"
fi
port_file=$DNSD_DIR/port
if dnsd_stop -t 10; then
	pass "dnsd_stop: exit status 0 on SIGTERM"
else
	bad "dnsd_stop: $DNSD_ERROR: $(tail -n 20 "$DNSD_OUT")"
fi
if [ ! -e "$port_file" ]; then
	pass "the port file is removed at exit"
else
	bad "the port file is left behind"
fi
if grep -q 'Traceback' "$DNSD_OUT"; then
	bad "a traceback in the server's output: $(cat "$DNSD_OUT")"
else
	pass "no traceback in the server's output"
fi
if grep -q '^dnsd: stopped$' "$DNSD_OUT"; then
	pass "the server said it stopped"
else
	bad "no \"stopped\" in its output: $(cat "$DNSD_OUT")"
fi
if [ "$(dnsd_queries '^udp 2\.2\.0\.192\.zen\.spamhaus\.org A$')" -ge 2 ]; then
	pass "the query log stays readable after dnsd_stop"
else
	bad "the query log after dnsd_stop: $(dnsd_queries .) lines"
fi

exit $fail
