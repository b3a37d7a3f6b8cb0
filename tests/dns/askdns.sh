#!/bin/sh
# askdns.sh -- SpamAssassin's AskDNS rules ("askdns NAME TEMPLATE [TYPE
# [SUBTEST]]"), through "warden scan" asking a private tests/dnsd.py:
#
#  - the tags: _AUTHORDOMAIN_ (each From address's domain: two From
#    addresses ask twice), _SENDERDOMAIN_ (the envelope sender's),
#    _LASTEXTERNALHELO_ (the MTA's client's HELO), _DKIMDOMAIN_ (the
#    domains of valid DKIM signatures: only with authentication = yes);
#  - the subtests: none (any record of the type), a regex, an exact
#    address, a range, a bit mask, a quoted string (a TXT record's
#    strings joined), a list of DNS status codes ([NXDOMAIN],
#    [SERVFAIL,REFUSED]);
#  - a tag Warden has no value for and a type it does not ask are
#    skipped with a warning naming the file and line; without a
#    resolver the rules are skipped as network tests;
#  - lint counts the AskDNS tests; --explain shows each lookup and the
#    rules it fed.
#
# Skips (77) without a python3 with dnslib; the _DKIMDOMAIN_ checks
# also need dkimpy's dknewkey and dkimsign (python3-dkim).
set -u

: "${srcdir:=$(dirname "$0")/../..}"
BUILD=$(pwd)
WARDEN=$BUILD/warden
[ -x "$WARDEN" ] || { echo "ERROR: $WARDEN is not built"; exit 99; }
. "$srcdir/tests/dnsd.sh"
dnsd_python || { echo "SKIP: $DNSD_ERROR"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-dns-askdns.XXXXXX") || exit 99
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
hits() {	# the rules hit, one a line, sorted
	tr ',[]"' '\n\n\n\n' < "$T/out" | grep -x 'T_[A-Z0-9_]*' | sort -u | tr '\n' ' '
}
is() {		# EXPECTED: the T_ rules hit, exactly
	_got=$(hits)
	[ "$_got" = "$1" ] || { echo "   hit: '$_got', expected '$1'"; return 1; }
}

cat > "$T/ask.zone" <<'EOF'
fresh.fmb.la 300 SOA ns.dnsd.invalid. hostmaster.fmb.la. 1 3600 600 86400 60
newdom.example.fresh.fmb.la 300 A 127.2.0.2
other.example.fresh.fmb.la 300 A 127.2.0.14
@servfail =broken.example.fresh.fmb.la
spfall.example 300 SOA ns.dnsd.invalid. hostmaster.spfall.example. 1 3600 600 86400 60
spfall.example 300 TXT "v=spf1 +all"
split.example 300 SOA ns.dnsd.invalid. hostmaster.split.example. 1 3600 600 86400 60
split.example 300 TXT "v=spf1 " "+all"
strict.example 300 SOA ns.dnsd.invalid. hostmaster.strict.example. 1 3600 600 86400 60
strict.example 300 TXT "v=spf1 -all"
helo.example 300 SOA ns.dnsd.invalid. hostmaster.helo.example. 1 3600 600 86400 60
mail.helo.example 300 A 192.0.2.25
lookup.dkimwl.org 300 SOA ns.dnsd.invalid. hostmaster.dkimwl.org. 1 3600 600 86400 60
signed.example.lookup.dkimwl.org 300 A 127.0.3.5
EOF

# DKIM keys for _DKIMDOMAIN_, when dkimpy is here.
dkim=no
if command -v dknewkey >/dev/null 2>&1 && command -v dkimsign >/dev/null 2>&1 &&
    (cd "$T" && dknewkey --ktype rsa rsa >/dev/null 2>&1); then
	dkim=yes
	{
		echo "signed.example 300 SOA ns.dnsd.invalid. hostmaster.signed.example. 1 3600 600 86400 60"
		printf 'rsa._domainkey.signed.example 300 TXT'
		v=$(cat "$T/rsa.dns")
		while [ -n "$v" ]; do
			printf ' "%s"' "$(printf '%s' "$v" | cut -c1-250)"
			v=$(printf '%s' "$v" | cut -c251-)
		done
		echo
	} >> "$T/ask.zone"
fi
dnsd_start "$T/ask.zone" || exit 99

cat > "$T/ask.cf" <<'EOF'
ifplugin Mail::SpamAssassin::Plugin::AskDNS
askdns  T_NEW     _AUTHORDOMAIN_.fresh.fmb.la. A /^127\.2\.0\.2$/
askdns  T_NEW14   _AUTHORDOMAIN_.fresh.fmb.la A 127.2.0.14
askdns  T_RANGE   _AUTHORDOMAIN_.fresh.fmb.la A 127.2.0.0-127.2.0.10
askdns  T_MASK    _AUTHORDOMAIN_.fresh.fmb.la A 0x0c
askdns  T_ANY     _AUTHORDOMAIN_.fresh.fmb.la
askdns  T_NX      _AUTHORDOMAIN_.fresh.fmb.la A [NXDOMAIN]
askdns  T_SF      _AUTHORDOMAIN_.fresh.fmb.la A [ServFail,5]
askdns  T_SPFALL  _SENDERDOMAIN_ TXT "v=spf1 +all"
askdns  T_SPFRE   _SENDERDOMAIN_ TXT /^v=spf1 \+all$/
askdns  T_HELO    _LASTEXTERNALHELO_ A /./
askdns  T_DKIM    _DKIMDOMAIN_.lookup.dkimwl.org A /^127\.\d+\.\d+\.5$/
askdns  T_BADTAG  _NOSUCHTAG_.fresh.fmb.la A
askdns  T_BADTYPE _AUTHORDOMAIN_.fresh.fmb.la SRV
endif
EOF
for r in T_NEW T_NEW14 T_RANGE T_MASK T_ANY T_NX T_SF T_SPFALL T_SPFRE T_HELO T_DKIM; do
	echo "score $r 1.0" >> "$T/ask.cf"
done

conf() {	# extra lines
	{
		echo "clamav = off"
		echo "regex_prefilter = no"
		echo "spool_directory = $T"
		echo "rules = $T/ask.cf"
		echo "dns_resolver = 127.0.0.1:$DNSD_PORT"
		echo "dns_timeout = 2s"
		for l in "$@"; do echo "$l"; done
	} > "$T/w.conf"
}
msg() {		# FILE FROM-ADDRESSES
	cat > "$1" <<EOF
From: $2
To: b@example.com
Subject: askdns
Message-ID: <askdns-$$-$(date +%s%N)@warden.test>
Date: Thu, 03 Dec 2026 10:00:00 +0000

A message.
EOF
}
scan() {	# FILE [args]: stdout and stderr in $T/out
	_f=$1
	shift
	"$WARDEN" scan -c "$T/w.conf" --client 198.51.100.40 --json "$@" "$_f" > "$T/out" 2>&1
	if grep -q -e 'Sanitizer' -e 'runtime error' "$T/out"; then
		bad "sanitizer report scanning $_f"
		cat "$T/out"
	fi
}

conf
"$WARDEN" lint -c "$T/w.conf" > "$T/out" 2>&1
check "lint: a tag Warden has no value for is skipped, with its file and line" \
    has "ask.cf:13: askdns T_BADTAG: tag _NOSUCHTAG_ has no value in Warden (rule skipped)"
check "lint: a type Warden does not ask is skipped, with its file and line" \
    has "ask.cf:14: askdns T_BADTYPE: type SRV: Warden asks A, AAAA, TXT, MX, NS, PTR or CNAME (rule skipped)"
check "lint counts the AskDNS tests" has "11 AskDNS tests"

msg "$T/new.eml" "New <a@newdom.example>"
scan "$T/new.eml" --from x@strict.example --helo unknown.helo.example
check "_AUTHORDOMAIN_: regex, range and any-record subtests hit; exact, mask, rcode do not" \
    is "T_ANY T_NEW T_RANGE "

msg "$T/two.eml" "A <a@other.example>, B <b@NewDom.Example>"
scan "$T/two.eml"
check "two From domains: each asked (the address 127.2.0.14 and the mask 0x0c too)" \
    is "T_ANY T_MASK T_NEW T_NEW14 T_RANGE "

msg "$T/nx.eml" "C <c@nowhere.example>"
scan "$T/nx.eml" --from x@nowhere.example
check "[NXDOMAIN] hits a domain the list does not hold, nothing else does" is "T_NX "

msg "$T/sf.eml" "D <d@broken.example>"
scan "$T/sf.eml"
check "[ServFail,5] hits a SERVFAIL" is "T_SF "

msg "$T/spf.eml" "E <e@nowhere.example>"
scan "$T/spf.eml" --from x@spfall.example
check "_SENDERDOMAIN_ TXT: the quoted string and the regex hit" is "T_NX T_SPFALL T_SPFRE "
scan "$T/spf.eml" --from x@split.example
check "a TXT record in two strings is read joined" is "T_NX T_SPFALL T_SPFRE "
scan "$T/spf.eml" --from '<>'
check "the null sender: no _SENDERDOMAIN_, no query" is "T_NX "

scan "$T/spf.eml" --helo mail.helo.example
check "_LASTEXTERNALHELO_: the client's HELO name resolves" is "T_HELO T_NX "

scan "$T/new.eml" --explain
check "--explain: the lookup, its answer and the rules it fed" \
    has "newdom.example.fresh.fmb.la A: 127.2.0.2 (.*) for T_NEW"

if [ $dkim = yes ]; then
	msg "$T/d.eml" "News <news@signed.example>"
	dkimsign --hcanon relaxed --bcanon simple rsa signed.example "$T/rsa.key" \
	    < "$T/d.eml" > "$T/d-signed.eml" 2>"$T/sign.err" ||
	    { cat "$T/sign.err"; exit 99; }
	scan "$T/d-signed.eml"
	check "_DKIMDOMAIN_ without authentication: no value, no query" is "T_NX "
	conf "authentication = yes" "authserv_id = mx.warden.test"
	scan "$T/d-signed.eml"
	check "_DKIMDOMAIN_: the valid signature's domain is asked" is "T_DKIM T_NX "
	sed 's/^A message\.$/A changed message./' "$T/d-signed.eml" > "$T/d-bad.eml"
	scan "$T/d-bad.eml"
	check "_DKIMDOMAIN_: a signature that fails gives no value" is "T_NX "
else
	echo "skipped: the _DKIMDOMAIN_ checks (no dknewkey/dkimsign: python3-dkim)"
fi

# Without a resolver the AskDNS rules are network tests, skipped.
{
	echo "clamav = off"
	echo "regex_prefilter = no"
	echo "spool_directory = $T"
	echo "rules = $T/ask.cf"
} > "$T/w.conf"
"$WARDEN" lint -c "$T/w.conf" > "$T/out" 2>&1
check "no resolver: the AskDNS rules are skipped as network tests" \
    sh -c "grep -q 'network tests: off' '$T/out' && ! grep -q 'T_BADTAG' '$T/out'"

exit $fail
