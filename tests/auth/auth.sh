#!/bin/sh
# auth.sh -- sender authentication through "warden scan" (authentication
# = yes) with the resolver pointed at tests/dnsd.py only, serving
# tests/data/dns/auth.zone and a zone of DKIM keys made here:
#
#  - SPF for MAIL FROM: pass and fail by the client's address, the null
#    sender checked by its HELO name (smtp.helo=); SpamAssassin's
#    SPF_PASS / SPF_FAIL with its stock rules;
#  - DKIM: a message signed by dkimpy (rsa-sha256 relaxed/simple and
#    ed25519-sha256) passes with header.d, header.s and header.b; the
#    same with its body changed fails, said as a body hash; DKIM_VALID,
#    DKIM_VALID_AU, DKIM_SIGNED;
#  - DMARC: a forged From of a p=reject domain fails; with dmarc_policy =
#    enforce it is refused with 550 5.7.1 naming the domain, with
#    report-only it is only recorded; p=quarantine is held; an aligned
#    DKIM signature passes; a subdomain gets the organizational domain's
#    sp=; dmarc_exempt_forwarders spares a list's mail;
#  - the Authentication-Results header Warden adds (in --json's
#    "headers"), with authserv_id;
#  - def_welcomelist_auth / def_welcomelist_from_dkim with SPF pass or a
#    valid author signature (SpamAssassin's USER_IN_DEF_*_WL tests), not
#    without;
#  - lint refuses authentication = yes without a resolver.
set -u

: "${srcdir:=$(dirname "$0")/../..}"
BUILD=$(pwd)
WARDEN=$BUILD/warden
[ -x "$WARDEN" ] || { echo "ERROR: $WARDEN is not built"; exit 99; }
. "$srcdir/tests/dnsd.sh"
dnsd_python || { echo "SKIP: $DNSD_ERROR"; exit 77; }
command -v dkimsign >/dev/null 2>&1 ||
    { echo "SKIP: dkimsign is missing (Debian: apt-get install python3-dkim)"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-auth.XXXXXX") || exit 99
trap 'dnsd_cleanup; rm -rf "$T"' EXIT
trap 'exit 99' HUP INT TERM

fail=0
pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
check() {
	_n=$1
	shift
	if "$@"; then pass "$_n"; else bad "$_n"; fi
}
has() { grep -q -e "$1" "$T/out"; }
hasnt() { ! grep -q -e "$1" "$T/out"; }

# --- DKIM keys, published in a zone of their own ---
(cd "$T" && dknewkey --ktype rsa rsa >/dev/null 2>&1 &&
    dknewkey --ktype ed25519 ed >/dev/null 2>&1) ||
    { echo "ERROR: dknewkey could not make keys"; exit 99; }
txt() {		# NAME VALUE: a TXT line, VALUE cut into 255-byte strings
	printf '%s 300 TXT' "$1"
	v=$2
	while [ -n "$v" ]; do
		printf ' "%s"' "$(printf '%s' "$v" | cut -c1-250)"
		v=$(printf '%s' "$v" | cut -c251-)
	done
	echo
}
{
	txt rsa._domainkey.signed.example "$(cat "$T/rsa.dns")"
	txt ed._domainkey.signed.example "$(cat "$T/ed.dns")"
} > "$T/keys.zone"
dnsd_start "$srcdir/tests/data/dns/auth.zone" "$T/keys.zone" || exit 99

conf() {	# extra lines
	{
		echo "clamav = off"
		echo "regex_prefilter = no"
		echo "dns_resolver = 127.0.0.1:$DNSD_PORT"
		echo "dns_timeout = 2s"
		echo "authentication = yes"
		echo "authserv_id = mx.warden.test"
		echo "hostname = mx.warden.test"
		for l in "$@"; do echo "$l"; done
	} > "$T/w.conf"
}
msg() {		# FROM FILE
	cat > "$2" <<EOF
From: Someone <$1>
To: b@example.com
Subject: auth
Message-ID: <auth-$$-$(date +%s%N)@warden.test>
Date: Thu, 03 Dec 2026 10:00:00 +0000

A message whose sender we want to know.
EOF
}
scan() {	# CLIENT HELO FROM FILE [args]
	_c=$1 _h=$2 _f=$3 _m=$4
	shift 4
	"$WARDEN" scan -c "$T/w.conf" --client "$_c" --helo "$_h" \
	    --from "$_f" --json "$@" "$_m" > "$T/out" 2>&1
	if grep -q -e 'Sanitizer' -e 'runtime error' "$T/out"; then
		bad "sanitizer report scanning $_m"
		cat "$T/out"
	fi
}

# --- SPF ---
conf
msg a@spf-pass.example "$T/m1.eml"
scan 198.51.100.7 mail.spf-pass.example a@spf-pass.example "$T/m1.eml"
check "SPF pass for MAIL FROM, in Authentication-Results" \
    has '"Authentication-Results","mx.warden.test; spf=pass smtp.mailfrom=a@spf-pass.example'
scan 203.0.113.7 mail.spf-pass.example a@spf-pass.example "$T/m1.eml"
check "SPF fail from an address outside the record" has 'spf=fail smtp.mailfrom=a@spf-pass.example'
check "... and DMARC fails: no DKIM, SPF not passing" has 'dmarc=fail (p=reject dis=reject) header.from=spf-pass.example'
scan 198.51.100.7 helo.example '<>' "$T/m1.eml"
check "the null sender: the HELO identity (smtp.helo=)" has 'spf=pass smtp.helo=helo.example'
scan 203.0.113.7 mail.x.example a@spf-soft.example "$T/m1.eml"
check "softfail" has 'spf=softfail smtp.mailfrom=a@spf-soft.example'

# --- DMARC's policy ---
msg ceo@forged.example "$T/forged.eml"
conf "dmarc_policy = enforce"
scan 203.0.113.9 mail.x.example bounce@x.example "$T/forged.eml"
check "enforce: a p=reject forgery is refused with 550 5.7.1" \
    has '"action":"reject".*"reply":"550 5.7.1 Email from forged.example rejected per its DMARC policy"'
conf "dmarc_policy = report-only"
scan 203.0.113.9 mail.x.example bounce@x.example "$T/forged.eml"
check "report-only: recorded, not refused" \
    sh -c "! grep -q '\"action\":\"reject\"' '$T/out' && grep -q 'dmarc=fail' '$T/out'"
conf "dmarc_policy = enforce" "dmarc_exempt_forwarders = lists.x.example"
scan 203.0.113.9 lists.x.example bounce@lists.x.example "$T/forged.eml"
check "an exempt forwarder's mail is not refused" \
    sh -c "! grep -q '\"action\":\"reject\"' '$T/out' && grep -q 'dmarc=fail' '$T/out'"
conf "dmarc_policy = enforce"
msg a@quar.example "$T/q.eml"
scan 203.0.113.9 mail.x.example a@quar.example "$T/q.eml"
check "p=quarantine is held" has '"action":"quarantine"'
msg a@sub.org-policy.example "$T/s.eml"
scan 203.0.113.9 mail.x.example a@sub.org-policy.example "$T/s.eml"
check "a subdomain without a record: the organizational domain's sp=" \
    has 'dmarc=fail (p=quarantine dis=quarantine) header.from=sub.org-policy.example'
msg a@spf-pass.example "$T/al.eml"
scan 198.51.100.7 mail.spf-pass.example bounce@spf-pass.example "$T/al.eml"
check "aligned SPF passes DMARC" has 'dmarc=pass (p=reject dis=none) header.from=spf-pass.example'

# --- DKIM, signed by dkimpy ---
msg news@signed.example "$T/d.eml"
# dkimsign writes the whole message, its signature first.
dkimsign --hcanon relaxed --bcanon simple rsa signed.example "$T/rsa.key" \
    < "$T/d.eml" > "$T/d-signed.eml" 2>"$T/sign.err" ||
    { cat "$T/sign.err"; exit 99; }
conf "dmarc_policy = enforce"
scan 203.0.113.9 mail.x.example bounce@x.example "$T/d-signed.eml"
check "dkimpy's rsa-sha256 signature passes" \
    has 'dkim=pass header.d=signed.example header.s=rsa header.b='
check "... and aligns: DMARC passes though SPF does not" \
    has 'dmarc=pass (p=reject dis=none) header.from=signed.example'
sed 's/^A message whose sender/A message whose forger/' "$T/d-signed.eml" > "$T/d-bad.eml"
conf "dmarc_policy = report-only"
scan 203.0.113.9 mail.x.example bounce@x.example "$T/d-bad.eml"
check "the body changed: fail, said as a body hash" \
    has 'dkim=fail (body hash did not verify) header.d=signed.example'
conf "dmarc_policy = enforce"
scan 203.0.113.9 mail.x.example bounce@x.example "$T/d-bad.eml"
check "... and the p=reject domain's DMARC refuses it" has '"action":"reject"'
dkimsign --signalg ed25519-sha256 ed signed.example "$T/ed.key" \
    < "$T/d.eml" > "$T/e-signed.eml" 2>"$T/sign.err" ||
    { cat "$T/sign.err"; exit 99; }
scan 203.0.113.9 mail.x.example bounce@x.example "$T/e-signed.eml"
check "dkimpy's ed25519-sha256 signature passes" \
    has 'dkim=pass header.d=signed.example header.s=ed'

# --- SpamAssassin's names ---
SA=/usr/share/spamassassin
if [ -f "$SA/25_spf.cf" ] && [ -f "$SA/25_dkim.cf" ]; then
	conf "rules = $SA/*.cf"
	scan 198.51.100.7 mail.spf-pass.example a@spf-pass.example "$T/m1.eml"
	check "SPF_PASS" has '"SPF_PASS"'
	scan 203.0.113.7 mail.spf-pass.example a@spf-pass.example "$T/m1.eml"
	check "SPF_FAIL" has '"SPF_FAIL"'
	scan 203.0.113.9 mail.x.example bounce@x.example "$T/d-signed.eml"
	for r in DKIM_SIGNED DKIM_VALID DKIM_VALID_AU; do
		check "$r" has "\"$r\""
	done
	scan 203.0.113.9 mail.x.example bounce@x.example "$T/forged.eml"
	check "DMARC_REJECT" has '"DMARC_REJECT"'
else
	echo "note: SpamAssassin's rules not installed: its names not checked"
fi

# --- Authenticated welcomelists (SpamAssassin's SPF and DKIM plugins) ---
cat > "$T/wl.cf" <<'WL'
def_welcomelist_auth       *@spf-pass.example
def_welcomelist_from_dkim  *@signed.example
header T_DEF_SPF_WL   eval:check_for_def_spf_welcomelist_from()
header T_DEF_DKIM_WL  eval:check_for_def_dkim_welcomelist_from()
header T_SPF_WL       eval:check_for_spf_welcomelist_from()
WL
conf "rules = $T/wl.cf"
scan 198.51.100.7 mail.spf-pass.example a@spf-pass.example "$T/m1.eml"
check "def_welcomelist_auth with SPF pass: check_for_def_spf_welcomelist_from" has '"T_DEF_SPF_WL"'
check "... not the other list" hasnt '"T_SPF_WL"'
scan 203.0.113.7 mail.spf-pass.example a@spf-pass.example "$T/m1.eml"
check "the same sender with SPF fail is not welcomed" hasnt '"T_DEF_SPF_WL"'
scan 203.0.113.9 mail.x.example bounce@x.example "$T/d-signed.eml"
check "def_welcomelist_from_dkim with a valid author signature" has '"T_DEF_DKIM_WL"'
scan 203.0.113.9 mail.x.example bounce@x.example "$T/d-bad.eml"
check "... not with the signature broken" hasnt '"T_DEF_DKIM_WL"'

# --- Configuration ---
{
	echo "clamav = off"
	echo "authentication = yes"
} > "$T/bad.conf"
"$WARDEN" lint -c "$T/bad.conf" > "$T/lint" 2>&1
check "lint: authentication = yes needs a resolver" \
    grep -q 'authentication = yes needs a resolver' "$T/lint"

exit $fail
