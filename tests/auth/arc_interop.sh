#!/bin/sh
# arc_interop.sh -- ARC (RFC 8617) chains sealed by dkimpy's arcsign,
# judged through "warden scan" (authentication = yes) with the resolver
# pointed at tests/dnsd.py only, serving a zone made here (the keys of
# an origin, a mailing list and a relay; the origin's SPF and p=reject
# DMARC record).
#
# A message is signed by its origin (dkimsign), received by a list that
# records its Authentication-Results and seals it (arcsign, i=1), then
# sealed again by a relay (i=2).  Cases, each with the result expected
# in Warden's Authentication-Results (arc=) and, as a cross-check,
# dkimpy's own verdict on the same message (arc_interop.py verify):
#
#   no ARC header fields                          none
#   sealed once (i=1), sealed twice (i=2)          pass
#   the list changed the message (subject tag,
#     footer: the origin's DKIM fails) and sealed  pass
#   the body changed after the last seal           fail
#   a seal tampered with (t= of ARC-Seal i=1)      fail
#   the relay's cv=fail                            fail
#   an instance's ARC-Message-Signature removed    fail
#
# and the DMARC override: the p=reject origin's message changed by the
# list that sealed it, from the list's bounce address, with dmarc_policy
# = enforce: refused without arc_trusted_sealers; with the list in it,
# not refused, "dmarc=fail (p=reject dis=none arc override by
# lists.example)"; a trusted list whose ARC-Authentication-Results does
# not vouch for the origin is refused still.  SpamAssassin's ARC_SIGNED
# and ARC_VALID with its stock rules.
set -u

: "${srcdir:=$(dirname "$0")/../..}"
BUILD=$(pwd)
WARDEN=$BUILD/warden
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$WARDEN" ] || { echo "ERROR: $WARDEN is not built"; exit 99; }
. "$srcdir/tests/dnsd.sh"
dnsd_python || { echo "SKIP: $DNSD_ERROR"; exit 77; }
for t in dkimsign arcsign dknewkey; do
	command -v $t >/dev/null 2>&1 ||
	    { echo "SKIP: $t is missing (Debian: apt-get install python3-dkim)"; exit 77; }
done
"$PYTHON" -c 'import dkim, authres' 2>/dev/null ||
    { echo "SKIP: $PYTHON lacks dkim or authres"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-arc.XXXXXX") || exit 99
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

# --- Keys and the zone ---
(cd "$T" && dknewkey --ktype rsa o >/dev/null 2>&1 &&
    dknewkey --ktype rsa l >/dev/null 2>&1 &&
    dknewkey --ktype rsa r >/dev/null 2>&1) ||
    { echo "ERROR: dknewkey could not make keys"; exit 99; }
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
	echo "relay.example 300 SOA ns.dnsd.invalid. hostmaster.dnsd.invalid. 1 3600 600 86400 60"
	txt o._domainkey.origin.example "$(cat "$T/o.dns")"
	txt l._domainkey.lists.example "$(cat "$T/l.dns")"
	txt r._domainkey.relay.example "$(cat "$T/r.dns")"
} > "$T/arc.zone"
dnsd_start "$T/arc.zone" || exit 99

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
# The list delivers from its own address and bounce address.
scan() {	# FILE [args]
	_m=$1
	shift
	"$WARDEN" scan -c "$T/w.conf" --client 192.0.2.10 \
	    --helo mail.lists.example --from bounce@lists.example --json \
	    "$@" "$_m" > "$T/out" 2>&1
	if grep -q -e 'Sanitizer' -e 'runtime error' "$T/out"; then
		bad "sanitizer report scanning $_m"
		cat "$T/out"
	fi
}
dkimpy() {	# FILE: dkimpy's verdict's first word
	"$PYTHON" "$srcdir/tests/auth/arc_interop.py" verify "$T/arc.zone" "$1" |
	    cut -d' ' -f1
}
# CASE FILE WANT: Warden's arc= and dkimpy's verdict both WANT
chain() {
	scan "$2"
	check "$1: arc=$3" has "arc=$3"
	_d=$(dkimpy "$2")
	check "$1: dkimpy says $3 too (said $_d)" test "$_d" = "$3"
}
seal() {	# SELECTOR DOMAIN SRV_ID IN OUT
	arcsign "$1" "$2" "$T/$1.key" "$3" < "$4" > "$5" 2>"$T/seal.err" ||
	    { cat "$T/seal.err"; exit 99; }
	grep -q "^ARC-Seal:" "$5" ||
	    { echo "ERROR: arcsign did not seal $4"; cat "$T/seal.err"; exit 99; }
}
ar() {		# IN OUT RESULTS: an Authentication-Results on top
	{ printf 'Authentication-Results: %s\r\n' "$3"; cat "$1"; } > "$2"
}

# --- The origin's message (CRLF, as dkimpy's sealer wants), signed ---
sed 's/$/\r/' > "$T/m0.eml" <<EOF
From: Alice <alice@origin.example>
To: list@lists.example
Subject: the meeting
Date: Thu, 03 Dec 2026 10:00:00 +0000
Message-ID: <arc-$$@origin.example>

Shall we meet on Thursday?
EOF
dkimsign o origin.example "$T/o.key" < "$T/m0.eml" > "$T/m1.eml" \
    2>"$T/sign.err" || { cat "$T/sign.err"; exit 99; }

OK_AR='lists.example; spf=pass smtp.mailfrom=alice@origin.example; dkim=pass header.d=origin.example; dmarc=pass header.from=origin.example'

# i=1: the list seals what it received
ar "$T/m1.eml" "$T/l-in.eml" "$OK_AR"
seal l lists.example lists.example "$T/l-in.eml" "$T/c1.eml"
# i=2: the relay seals the list's mail
ar "$T/c1.eml" "$T/r-in.eml" "relay.example; arc=pass; dkim=pass header.d=lists.example"
seal r relay.example relay.example "$T/r-in.eml" "$T/c2.eml"

conf
chain "no ARC header fields" "$T/m1.eml" none
chain "sealed once" "$T/c1.eml" pass
check "... with the sealer and header.oldest-pass" \
    has 'arc=pass (i=1 d=lists.example) header.oldest-pass=0'
chain "sealed twice" "$T/c2.eml" pass
check "... the newest sealer named" has 'arc=pass (i=2 d=relay.example)'

# the list changes the message, then seals it
sed -e 's/^Subject: the meeting/Subject: [list] the meeting/' "$T/l-in.eml" > "$T/lm.eml"
printf -- '-- \r\nThe list: https://lists.example/\r\n' >> "$T/lm.eml"
seal l lists.example lists.example "$T/lm.eml" "$T/c1m.eml"
chain "changed by the list, then sealed" "$T/c1m.eml" pass
check "... the origin's DKIM fails" has 'dkim=fail'

# after the last seal
cp "$T/c2.eml" "$T/body.eml"
printf 'P.S. changed\r\n' >> "$T/body.eml"
chain "the body changed after the last seal" "$T/body.eml" fail
check "... said as the newest AMS's body hash" has 'arc=fail (ARC-Message-Signature i=2 fail: body hash mismatch)'
"$PYTHON" "$srcdir/tests/auth/arc_interop.py" tamper-seal 1 "$T/c2.eml" > "$T/seal.eml" || exit 99
chain "a seal tampered with" "$T/seal.eml" fail
check "... said as the newest seal (which seals the first)" \
    has 'arc=fail (ARC-Seal i=2 fail: signature does not verify)'
ar "$T/c1.eml" "$T/rf-in.eml" "relay.example; arc=fail"
seal r relay.example relay.example "$T/rf-in.eml" "$T/cvfail.eml"
check "the relay sealed cv=fail" grep -q '^ARC-Seal: i=2; cv=fail' "$T/cvfail.eml"
chain "cv=fail" "$T/cvfail.eml" fail
"$PYTHON" "$srcdir/tests/auth/arc_interop.py" drop ARC-Message-Signature 1 "$T/c2.eml" > "$T/miss.eml" || exit 99
chain "an instance's AMS missing" "$T/miss.eml" fail
check "... said so" has 'arc=fail (no ARC-Message-Signature of i=1)'

# --- DMARC's override by a trusted sealer ---
conf "dmarc_policy = enforce"
scan "$T/c1m.eml"
check "not trusted: the list's change makes DMARC refuse" has '"action":"reject"'
check "... by its DMARC policy" \
    has '"reply":"550 5.7.1 Email from origin.example rejected per its DMARC policy"'
conf "dmarc_policy = enforce" "arc_trusted_sealers = lists.example"
scan "$T/c1m.eml"
check "trusted: not refused" sh -c "! grep -q '\"action\":\"reject\"' '$T/out'"
check "... dmarc=fail with the override said" \
    has 'dmarc=fail (p=reject dis=none arc override by lists.example) header.from=origin.example'
conf "dmarc_policy = enforce" "arc_trusted_sealers = example.net, other.example"
scan "$T/c1m.eml"
check "another sealer trusted: refused" has '"action":"reject"'
# a trusted list whose own results do not vouch for the origin
ar "$T/m1.eml" "$T/nv-in.eml" 'lists.example; spf=fail smtp.mailfrom=alice@origin.example; dkim=fail header.d=origin.example; dmarc=fail header.from=origin.example'
sed -e 's/^Subject: the meeting/Subject: [list] the meeting/' "$T/nv-in.eml" > "$T/nvm.eml"
seal l lists.example lists.example "$T/nvm.eml" "$T/nv.eml"
conf "dmarc_policy = enforce" "arc_trusted_sealers = lists.example"
scan "$T/nv.eml"
check "trusted, but its results say dmarc=fail: refused" has '"action":"reject"'
# the chain broken after the trusted seal
cp "$T/c1m.eml" "$T/c1mb.eml"
printf 'added later\r\n' >> "$T/c1mb.eml"
scan "$T/c1mb.eml"
check "trusted, chain broken after the seal: refused" has '"action":"reject"'

# --- SpamAssassin's names ---
SA=/usr/share/spamassassin
if [ -f "$SA/25_dkim.cf" ]; then
	conf "rules = $SA/*.cf"
	scan "$T/c2.eml"
	check "ARC_SIGNED" has '"ARC_SIGNED"'
	check "ARC_VALID" has '"ARC_VALID"'
	scan "$T/body.eml"
	check "ARC_SIGNED without ARC_VALID" sh -c "grep -q '\"ARC_SIGNED\"' '$T/out' && ! grep -q '\"ARC_VALID\"' '$T/out'"
	scan "$T/m1.eml"
	check "neither on an unsealed message" sh -c "! grep -q '\"ARC_SIGNED\"' '$T/out'"
else
	echo "note: SpamAssassin's rules not installed: its names not checked"
fi

exit $fail
