#!/bin/sh
# ARC through a real Postfix (authentication = yes, dmarc_policy =
# enforce, the private DNS server on a zone made here; clients named with
# XCLIENT, as dnsbl.sh does): a message of a p=reject origin, changed by
# a mailing list (subject tag, footer: the origin's DKIM signature fails)
# and sealed by it with dkimpy's arcsign, comes from the list's server:
#  - with lists.example in arc_trusted_sealers it is delivered, with
#    "arc=pass" and "dmarc=fail (p=reject dis=none arc override by
#    lists.example)" in Warden's Authentication-Results;
#  - without it (a reload later) the same message is refused with "550
#    5.7.1 Email from origin.example rejected per its DMARC policy".
# Sendmail has no XCLIENT: with E2E_MTA=sendmail the test is skipped.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
[ "$E2E_MTA" = postfix ] ||
    e2e_skip "arc.sh names its clients with Postfix's XCLIENT, which" \
	"$E2E_MTA_NAME does not have"
for t in dkimsign arcsign dknewkey; do
	command -v $t >/dev/null 2>&1 ||
	    e2e_skip "$t is missing (Debian: apt-get install python3-dkim)"
done
e2e_init arc
(cd "$E2E_DIR" && dknewkey --ktype rsa o >/dev/null 2>&1 &&
    dknewkey --ktype rsa l >/dev/null 2>&1) ||
    e2e_bail "dknewkey could not make keys"
txt() {		# NAME VALUE: a TXT line, VALUE cut into 250-byte strings
	printf '%s 300 TXT' "$1"
	v=$2
	while [ -n "$v" ]; do
		printf ' "%s"' "$(printf '%s' "$v" | cut -c1-250)"
		v=$(printf '%s' "$v" | cut -c251-)
	done
	echo
}
{
	echo "origin.example 300 SOA ns.dnsd.invalid. hostmaster.dnsd.invalid. 1 3600 600 86400 60"
	echo 'origin.example 300 TXT "v=spf1 ip4:198.51.100.0/24 -all"'
	echo '_dmarc.origin.example 300 TXT "v=DMARC1; p=reject"'
	echo "lists.example 300 SOA ns.dnsd.invalid. hostmaster.dnsd.invalid. 1 3600 600 86400 60"
	echo 'lists.example 300 TXT "v=spf1 ip4:192.0.2.0/24 -all"'
	txt o._domainkey.origin.example "$(cat "$E2E_DIR/o.dns")"
	txt l._domainkey.lists.example "$(cat "$E2E_DIR/l.dns")"
} > "$E2E_DIR/arc.zone"
e2e_dnsd "$E2E_DIR/arc.zone"

# The origin's message, signed; the list records what it saw, changes
# the message and seals it.
tag="e2e-arc-$$"
printf 'From: Alice <alice@origin.example>\r\nTo: list@lists.example\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@origin.example>\r\n\r\nShall we meet on Thursday?\r\n' \
    "$tag" "$(LC_ALL=C date -R)" "$tag" > "$E2E_DIR/m0.eml"
dkimsign o origin.example "$E2E_DIR/o.key" < "$E2E_DIR/m0.eml" \
    > "$E2E_DIR/m1.eml" 2>"$E2E_DIR/sign.err" ||
    e2e_bail "dkimsign failed: $(cat "$E2E_DIR/sign.err")"
{
	printf 'Authentication-Results: lists.example; spf=pass smtp.mailfrom=alice@origin.example; dkim=pass header.d=origin.example; dmarc=pass header.from=origin.example\r\n'
	sed -e "s/^Subject: $tag/Subject: [list] $tag/" "$E2E_DIR/m1.eml"
	printf -- '-- \r\nThe list: https://lists.example/\r\n'
} > "$E2E_DIR/changed.eml"
arcsign l lists.example "$E2E_DIR/l.key" lists.example \
    < "$E2E_DIR/changed.eml" > "$E2E_DIR/sealed.eml" 2>"$E2E_DIR/seal.err" ||
    e2e_bail "arcsign failed: $(cat "$E2E_DIR/seal.err")"
grep -q '^ARC-Seal:' "$E2E_DIR/sealed.eml" || e2e_bail "arcsign did not seal"

e2e_conf <<WCONF
dns_resolver = 127.0.0.1:$DNSD_PORT
dns_timeout = 2s
authentication = yes
authserv_id = mx.e2e.test
dmarc_policy = enforce
arc_trusted_sealers = lists.example
regex_prefilter = no
WCONF
e2e_postfix_conf <<'PCONF'
smtpd_authorized_xclient_hosts = 127.0.0.0/8
mynetworks = 127.0.0.0/8, 192.0.2.0/24
PCONF
e2e_start

send() {	# NAME
	e2e_send "$1" --xclient-addr 192.0.2.10 --xclient-name unknown \
	    --helo mail.lists.example --from bounce@lists.example \
	    --to rcpt@dest.example --data "@$E2E_DIR/sealed.eml"
}

# --- A trusted sealer ----------------------------------------------------
send trusted
e2e_check "trusted: accepted (250 queued)" e2e_accepted trusted
f=$(e2e_wait_delivered "$tag" 30)
e2e_check "trusted: delivered" [ -n "$f" ]
if [ -n "$f" ]; then
	ars=$(e2e_header "$f" Authentication-Results | grep '^mx\.e2e\.test')
	e2e_log "trusted: Authentication-Results: $ars"
	e2e_check "trusted: the origin's signature failed (the list changed it)" \
	    e2e_match "$ars" 'dkim=fail .*header\.d=origin\.example'
	e2e_check "trusted: arc=pass by lists.example" \
	    e2e_match "$ars" 'arc=pass \(i=1 d=lists\.example\)'
	e2e_check "trusted: DMARC's failure spared by the trusted sealer" \
	    e2e_match "$ars" 'dmarc=fail \(p=reject dis=none arc override by lists\.example\) header\.from=origin\.example'
fi

# --- Not trusted ---------------------------------------------------------
e2e_conf <<WCONF
arc_trusted_sealers =
WCONF
e2e_write_warden_conf
e2e_check "Warden reloads without arc_trusted_sealers" e2e_reload_warden
send untrusted
e2e_transcript untrusted
e2e_check "untrusted: refused with 550 5.7.1 by origin.example's policy" \
    e2e_reply_has untrusted '^550 5\.7\.1 Email from origin\.example rejected per its DMARC policy'
e2e_done
