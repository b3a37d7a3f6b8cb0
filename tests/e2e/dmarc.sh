#!/bin/sh
# Sender authentication through a real Postfix (authentication = yes,
# dmarc_policy = enforce, the private DNS server on
# tests/data/dns/auth.zone; clients named with XCLIENT, as dnsbl.sh does):
#  - an aligned message (SPF pass for spf-pass.example from 198.51.100.7)
#    is delivered with one Authentication-Results of ours, on top:
#    spf=pass smtp.mailfrom=..., dmarc=pass; the sender's own field
#    claiming our authserv-id is gone, another server's is kept;
#  - a forged From of a p=reject domain from 203.0.113.9 is refused at
#    the end of DATA with "550 5.7.1 Email from forged.example rejected
#    per its DMARC policy", and nothing is delivered.
# Sendmail has no XCLIENT: with E2E_MTA=sendmail the test is skipped.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
[ "$E2E_MTA" = postfix ] ||
    e2e_skip "dmarc.sh names its clients with Postfix's XCLIENT, which" \
	"$E2E_MTA_NAME does not have"
e2e_init dmarc
e2e_dnsd "$E2E_TOP_SRC/tests/data/dns/auth.zone"
e2e_conf <<WCONF
dns_resolver = 127.0.0.1:$DNSD_PORT
dns_timeout = 2s
authentication = yes
authserv_id = mx.e2e.test
dmarc_policy = enforce
regex_prefilter = no
WCONF
e2e_postfix_conf <<'PCONF'
smtpd_authorized_xclient_hosts = 127.0.0.0/8
mynetworks = 127.0.0.0/8, 198.51.100.0/24, 203.0.113.0/24
PCONF
e2e_start

# msg FILE FROM TAG [extra header lines]
msg() {
	_f=$1 _from=$2 _tag=$3
	shift 3
	{
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf 'From: Someone <%s>\r\n' "$_from"
		printf 'To: Rcpt <rcpt@dest.example>\r\n'
		printf 'Subject: %s\r\n' "$_tag"
		printf 'Date: %s\r\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <%s.%s@e2e.test>\r\n' "$$" "$(date +%s%N)"
		printf '\r\n'
		printf 'Sender authentication, end to end.\r\n'
	} > "$_f"
}

# --- An aligned message -------------------------------------------------
msg "$E2E_DIR/aligned.eml" a@spf-pass.example "e2e-dmarc-aligned-$$" \
    'Authentication-Results: mx.e2e.test; spf=pass smtp.mailfrom=forged@x.example' \
    'Authentication-Results: other.example; dkim=pass header.d=other.example'
e2e_send aligned --xclient-addr 198.51.100.7 --xclient-name unknown \
    --helo mail.spf-pass.example --from a@spf-pass.example \
    --to rcpt@dest.example --data "@$E2E_DIR/aligned.eml"
e2e_check "aligned: accepted (250 queued)" e2e_accepted aligned
f=$(e2e_wait_delivered "e2e-dmarc-aligned-$$" 30)
e2e_check "aligned: delivered" [ -n "$f" ]
if [ -n "$f" ]; then
	ars=$(e2e_header "$f" Authentication-Results)
	e2e_log "aligned: Authentication-Results: $ars"
	n=$(printf '%s\n' "$ars" | grep -c '^mx\.e2e\.test')
	e2e_check "aligned: one Authentication-Results of ours (got $n)" [ "$n" = 1 ]
	e2e_check "aligned: spf=pass smtp.mailfrom=a@spf-pass.example" \
	    e2e_match "$ars" 'mx\.e2e\.test; spf=pass smtp\.mailfrom=a@spf-pass\.example'
	e2e_check "aligned: dmarc=pass header.from=spf-pass.example" \
	    e2e_match "$ars" 'dmarc=pass \(p=reject dis=none\) header\.from=spf-pass\.example'
	e2e_check "aligned: the forged field of ours is gone" \
	    e2e_not e2e_match "$ars" 'forged@x\.example'
	e2e_check "aligned: another server's field is kept" \
	    e2e_match "$ars" '^other\.example; dkim=pass'
	first=$(awk 'tolower($0) ~ /^authentication-results:/ { print; exit }' "$f")
	e2e_check "aligned: ours is the topmost" e2e_match "$first" 'mx\.e2e\.test'
fi

# --- A forgery of a p=reject domain -----------------------------------------
msg "$E2E_DIR/forged.eml" ceo@forged.example "e2e-dmarc-forged-$$"
e2e_send forged --xclient-addr 203.0.113.9 --xclient-name unknown \
    --helo mail.x.example --from bounce@x.example \
    --to rcpt@dest.example --data "@$E2E_DIR/forged.eml"
e2e_transcript forged
e2e_check "forged: refused with 550 5.7.1 naming the domain" \
    e2e_reply_has forged '^550 5\.7\.1 Email from forged\.example rejected per its DMARC policy'
sleep 1
e2e_check "forged: not delivered" e2e_not e2e_delivered "e2e-dmarc-forged-$$"
v=$(grep -E 'from=<bounce@x\.example> .*action=' "$E2E_WLOG")
e2e_log "forged: $v"
e2e_check "forged: Warden's verdict line says dmarc=fail" e2e_match "$v" ' dmarc=fail '
e2e_done
