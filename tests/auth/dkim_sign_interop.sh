#!/bin/sh
# dkim_sign_interop.sh -- signatures made by warden scan (dkim_sign_domains)
# verified by dkimpy and by OpenDKIM's libopendkim
# (tests/auth/dkim_sign_verify.py): RSA 2048 keys from opendkim-genkey
# (PKCS#1) and dknewkey (PKCS#8), Ed25519 from dknewkey (its base64 seed)
# and from OpenSSL (PEM), one domain signed twice (RSA and Ed25519), a
# parent domain's keys, mail of a trusted client and of an authenticated
# one, LF and CRLF messages, folded headers, a multipart.  Also that mail
# of another client or domain is not signed.  Skips (77) without
# python3-dkim, opendkim-tools or libopendkim.
srcdir=${srcdir:-.}
PYTHON=${PYTHON:-/usr/bin/python3}
PATH=$PATH:/usr/sbin
export PATH
if ! "$PYTHON" -c 'import dkim, cryptography, ctypes;
ctypes.CDLL("libopendkim.so.11")' 2>/dev/null ||
    ! command -v opendkim-genkey >/dev/null 2>&1 ||
    ! command -v dknewkey >/dev/null 2>&1; then
	echo "skip: python3-dkim, opendkim-tools or libopendkim missing"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dkim_sign.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $*"; }
notok() { echo "FAIL: $*"; fail=1; }

# --- keys, and their records as the tools that made them write them ------
( cd "$tmp" &&
  opendkim-genkey -b 2048 -d example.com -s rsa1 -D "$tmp" &&
  dknewkey --ktype ed25519 ed1 >/dev/null 2>&1 &&
  dknewkey --ktype rsa rsa2 >/dev/null 2>&1 &&
  openssl genpkey -algorithm ed25519 -out ed2.pem 2>/dev/null ) || exit 99
{
	printf 'rsa1._domainkey.example.com %s\n' \
	    "$(sed -n 's/[^"]*"\([^"]*\)"[^"]*/\1/gp' "$tmp/rsa1.txt" | tr -d '\n')"
	printf 'ed1._domainkey.example.com %s\n' "$(cat "$tmp/ed1.dns")"
	printf 'rsa2._domainkey.example.net %s\n' "$(cat "$tmp/rsa2.dns")"
	printf 'ed2._domainkey.example.org v=DKIM1; k=ed25519; p=%s\n' \
	    "$("$PYTHON" -c '
import base64, sys
from cryptography.hazmat.primitives import serialization as s
k = s.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
print(base64.b64encode(k.public_key().public_bytes(s.Encoding.Raw,
    s.PublicFormat.Raw)).decode())' "$tmp/ed2.pem")"
} >"$tmp/records"
grep -c . "$tmp/records" | grep -qx 4 || { cat "$tmp/records"; exit 99; }

cat >"$tmp/w.conf" <<CONF
clamav = off
regex_prefilter = no
trusted_networks = 127.0.0.1
dkim_sign_domains = example.com:rsa1:$tmp/rsa1.private,
    example.com:ed1:$tmp/ed1.key
    example.net:rsa2:$tmp/rsa2.key, example.org:ed2:$tmp/ed2.pem
CONF
if ./warden lint -c "$tmp/w.conf" >"$tmp/lint" 2>&1; then
	ok "warden lint takes the four keys"
else
	notok "warden lint:"; cat "$tmp/lint"
fi
grep -q 'publish TXT "v=DKIM1; k=ed25519; p=' "$tmp/lint" &&
    ok "lint names the key records to publish" ||
    notok "lint does not name the key records"

# --- messages ----------------------------------------------------------
crlf() { sed 's/$/\r/'; }
cat >"$tmp/plain.eml" <<'M'
From: Alice <alice@example.com>
To: Bob <bob@example.org>
Subject: plain
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <plain@example.com>

Hello Bob.
M
crlf <<'M' >"$tmp/folded.eml"
Received: from a.example.com by b.example.com; Mon, 1 Jan 2024 00:00:00 +0000
From:   "Alice  A."
	<alice@mail.example.com>
To: Bob <bob@example.org>,
  Carol <carol@example.org>
Cc: dave@example.org
Subject: a folded   subject
  with trailing white space   
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <folded@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain

Text  with  spaces   	
and trailing empty lines

--b1
Content-Type: text/html

<p>html</p>
--b1--



M
cat >"$tmp/net.eml" <<'M'
From: n@example.net
Subject: no To
Message-ID: <net@example.net>

body
M
cat >"$tmp/org.eml" <<'M'
From: o@example.org
To: x@example.com
Subject: ed25519 PEM

body
M

# check LABEL MSG N [warden scan options]: signed N times, each verifying
check() {
	_l=$1 _m=$2 _n=$3
	shift 3
	./warden scan -c "$tmp/w.conf" --json "$@" "$tmp/$_m" >"$tmp/out.json" ||
	    { notok "$_l: warden scan failed"; return; }
	if "$PYTHON" "$srcdir/tests/auth/dkim_sign_verify.py" --opendkim \
	    --scan "$tmp/out.json" "$tmp/records" "$tmp/$_m" "$_n" \
	    >"$tmp/v" 2>&1; then
		ok "$_l: $(grep -c '^ok' "$tmp/v") verifications"
	else
		notok "$_l:"
		cat "$tmp/v" "$tmp/out.json"
	fi
}
check "trusted client, example.com: RSA 2048 (PKCS#1) + Ed25519 (seed)" \
    plain.eml 2
check "authenticated sender, mail.example.com signed by example.com" \
    folded.eml 2 --client 192.0.2.1 --auth alice
check "example.net: RSA 2048 (PKCS#8), To oversigned though absent" \
    net.eml 1
check "example.org: Ed25519 (PEM)" org.eml 1
grep -q 'h=From:From:Subject:Subject:To' "$tmp/out.json" &&
    ok "h= oversigns From, To and Subject" || notok "h= is not as expected"

# --- not signed ---------------------------------------------------------
./warden scan -c "$tmp/w.conf" --json --client 192.0.2.1 "$tmp/plain.eml" \
    >"$tmp/out.json"
grep -q DKIM-Signature "$tmp/out.json" &&
    notok "a client neither trusted nor authenticated got a signature" ||
    ok "mail of another client is not signed (and is scanned)"
grep -q X-Spam-Status "$tmp/out.json" || notok "... nor scanned"
sed 's/alice@example.com/alice@example.edu/' "$tmp/plain.eml" >"$tmp/edu.eml"
./warden scan -c "$tmp/w.conf" --json "$tmp/edu.eml" >"$tmp/out.json"
grep -q '"headers":\[\]' "$tmp/out.json" &&
    ok "a From domain without keys: accepted unsigned, unscanned" ||
    { notok "a From domain without keys"; cat "$tmp/out.json"; }
exit $fail
