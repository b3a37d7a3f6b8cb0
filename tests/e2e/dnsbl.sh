#!/bin/sh
# DNS lists through a real Postfix (rules: tests/e2e/dnsbl.rules plus
# SpamAssassin's stock rules, resolver: the private DNS server
# tests/dnsd.py on tests/data/dns/blocklists.zone).  The instance's
# clients are on 127.0.0.1, which is never looked up, so each session
# names its client with XCLIENT (smtpd_authorized_xclient_hosts =
# 127.0.0.0/8; swaks --xclient-addr):
#  - a client in zen.spamhaus.org (192.0.2.2) is refused at connect:
#    Postfix answers the XCLIENT command with its own "554 mx.e2e.test
#    ESMTP not accepting connections" (as it answers a milter's reject at
#    connect without XCLIENT) and logs Warden's reply, which names the
#    list in Postfix's words: "554 5.7.1 Service unavailable; Client host
#    [192.0.2.2] blocked using zen.spamhaus.org"; nothing is queued or
#    delivered;
#  - a client listed nowhere (192.0.2.99) is delivered, with no list hit
#    and no dns= in Warden's verdict line;
#  - a client listed only in psbl.surriel.com (198.51.100.3) is delivered
#    with SpamAssassin's RCVD_IN_PSBL (score set 1: 2.7) and the list rule
#    of dnsbl.rules (0.5) in X-Spam-Status: its score is the same
#    message's from an unlisted client (198.51.100.1) plus 3.2;
#  - the resolver down (dns_resolver reloaded to a closed port): the
#    listed client's message is delivered and Warden's verdict line says
#    dns=timeout or dns=error.
# Sendmail has no XCLIENT: with E2E_MTA=sendmail the test is skipped.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
[ "$E2E_MTA" = postfix ] ||
    e2e_skip "dnsbl.sh names its clients with Postfix's XCLIENT, which" \
	"$E2E_MTA_NAME does not have"
SA=/usr/share/spamassassin
if ! [ -r "$SA/50_scores.cf" ] || ! [ -r "$SA/72_active.cf" ]; then
	e2e_skip "SpamAssassin's rules are not in $SA (Debian: apt-get" \
	    "install spamassassin)"
fi
e2e_init dnsbl
e2e_dnsd
e2e_rules dnsbl.rules "$SA/*.cf"
# The prefilter gives the same verdicts; without it SpamAssassin's rules
# load in seconds, not a minute of a small test machine's CPU.
e2e_conf <<EOF
dns_resolver = 127.0.0.1:$DNSD_PORT
dns_timeout = 2s
regex_prefilter = no
EOF
# The clients named by XCLIENT relay as the loopback ones do.
e2e_postfix_conf <<'EOF'
smtpd_authorized_xclient_hosts = 127.0.0.0/8
mynetworks = 127.0.0.0/8, 192.0.2.0/24, 198.51.100.0/24
EOF
e2e_start

# send TAG ADDR [swaks options]: a session whose client is ADDR.
send() {
	_t=$1
	_a=$2
	shift 2
	e2e_msg "$E2E_DIR/$_t.eml" "dnsbl $_t e2e-dnsbl-$_t-$$"
	e2e_send "$_t" --xclient-addr "$_a" --xclient-name unknown \
	    --from sender@origin.example --to rcpt@dest.example \
	    --data "@$E2E_DIR/$_t.eml" "$@"
}

# The X-Spam-Status score of a delivered message.
score_of() {
	e2e_header "$1" X-Spam-Status | sed -n 's/.* score=\(-*[0-9.]*\) .*/\1/p'
}

# --- A listed client --------------------------------------------------------
send listed 192.0.2.2
rc=$?
e2e_transcript listed
# Postfix answers XCLIENT with its greeting for the new client: a
# milter's reject at connect makes it "554 <myhostname> ESMTP not
# accepting connections"; swaks gives up (XCLIENT failed: exit 33).
e2e_check "listed: XCLIENT refused (swaks exit 33, got $rc)" [ $rc = 33 ]
e2e_check "listed: the client sees 554 mx.e2e.test ESMTP not accepting connections" \
    e2e_reply_has listed '^554 mx\.e2e\.test ESMTP not accepting connections$'
e2e_check "listed: no MAIL FROM was sent" \
    e2e_not grep -q '^ *-> MAIL FROM' "$E2E_DIR/out/listed.txt"
e2e_check "listed: nothing queued" [ -z "$(e2e_queue_id listed)" ]
e2e_check "listed: the DNS server was asked 2.2.0.192.zen.spamhaus.org" \
    [ "$(dnsd_queries '^udp 2\.2\.0\.192\.zen\.spamhaus\.org A$')" -ge 1 ]
e2e_check "listed: Warden logged the reject at connect" \
    grep -q 'connect from [^ ]*\[192\.0\.2\.2\]: reject (rule E2E_DNSBL_ZEN)' "$E2E_WLOG"
e2e_check "listed: Postfix logged Warden's reply naming the list" \
    e2e_wait_log "$E2E_MAILLOG" 'milter-reject: XCLIENT from unknown\[192\.0\.2\.2\]: 554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.2\] blocked using zen\.spamhaus\.org'

# --- A client listed nowhere ------------------------------------------------
send clean 192.0.2.99
e2e_check "clean: accepted (250 queued)" e2e_accepted clean
f=$(e2e_wait_delivered "e2e-dnsbl-clean-$$" 30)
e2e_check "clean: delivered" [ -n "$f" ]
if [ -n "$f" ]; then
	st=$(e2e_header "$f" X-Spam-Status)
	e2e_log "clean: X-Spam-Status: $st"
	e2e_check "clean: no list hit in X-Spam-Status" \
	    e2e_not e2e_match "$st" 'RCVD_IN_|E2E_DNSBL_'
fi
e2e_check "clean: 99.2.0.192.zen.spamhaus.org was asked" \
    [ "$(dnsd_queries '^udp 99\.2\.0\.192\.zen\.spamhaus\.org A$')" -ge 1 ]
v=$(grep -E 'client=[^ ]*\[192\.0\.2\.99\] .*action=' "$E2E_WLOG")
e2e_log "clean: $v"
e2e_check "clean: Warden's verdict line is accept, without dns=" \
    e2e_match "$v" '^[^ ]* *.*action=accept [^=]*=.*$'
e2e_check "clean: ... without dns=" e2e_not e2e_match "$v" ' dns='

# --- SpamAssassin's RCVD_IN_PSBL, score set 1 -------------------------------
send psbl-no 198.51.100.1
send psbl 198.51.100.3
f0=$(e2e_wait_delivered "e2e-dnsbl-psbl-no-$$" 30)
f1=$(e2e_wait_delivered "e2e-dnsbl-psbl-$$" 30)
e2e_check "psbl: the message from 198.51.100.1 is delivered" [ -n "$f0" ]
e2e_check "psbl: the message from 198.51.100.3 is delivered" [ -n "$f1" ]
if [ -n "$f0" ] && [ -n "$f1" ]; then
	st0=$(e2e_header "$f0" X-Spam-Status)
	st1=$(e2e_header "$f1" X-Spam-Status)
	e2e_log "psbl: from 198.51.100.1: X-Spam-Status: $st0"
	e2e_log "psbl: from 198.51.100.3: X-Spam-Status: $st1"
	e2e_check "psbl: 198.51.100.3 hits RCVD_IN_PSBL" \
	    e2e_match "$st1" 'tests=(.*,)?RCVD_IN_PSBL([, ]|$)'
	e2e_check "psbl: ... and E2E_DNSBL_PSBL" \
	    e2e_match "$st1" 'tests=(.*,)?E2E_DNSBL_PSBL([, ]|$)'
	e2e_check "psbl: 198.51.100.1 hits neither" e2e_not e2e_match "$st0" 'PSBL'
	s0=$(score_of "$f0")
	s1=$(score_of "$f1")
	d=$(awk -v a="$s1" -v b="$s0" 'BEGIN { printf "%.1f", a - b }')
	e2e_check "psbl: the score rises by 2.7 (RCVD_IN_PSBL, set 1) + 0.5: $s0 -> $s1" \
	    [ "$d" = 3.2 ]
fi

# --- The resolver down --------------------------------------------------------
closed=$($PYTHON -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
e2e_conf <<EOF
dns_resolver = 127.0.0.1:$closed
EOF
e2e_write_warden_conf
e2e_check "down: Warden reloads with dns_resolver = 127.0.0.1:$closed" \
    e2e_reload_warden
send down 192.0.2.2
e2e_check "down: accepted (250 queued)" e2e_accepted down
f=$(e2e_wait_delivered "e2e-dnsbl-down-$$" 30)
e2e_check "down: delivered" [ -n "$f" ]
[ -n "$f" ] && e2e_log "down: X-Spam-Status: $(e2e_header "$f" X-Spam-Status)"
v=$(grep -E 'client=[^ ]*\[192\.0\.2\.2\] .*action=' "$E2E_WLOG")
e2e_log "down: $v"
e2e_check "down: Warden's verdict line says dns=timeout or dns=error" \
    e2e_match "$v" ' dns=(timeout|error) '

# Nothing of the listed client's session arrived.
e2e_check "listed: the message was not delivered" \
    e2e_not e2e_delivered "e2e-dnsbl-listed-$$"
e2e_done
