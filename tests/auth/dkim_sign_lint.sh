#!/bin/sh
# dkim_sign_lint.sh -- warden lint refuses dkim_sign_domains keys that
# cannot sign, each error as "file:line:" of the config naming the key
# file: a missing file, an RSA key under 2048 bits, a file that holds no
# key, an entry that is not DOMAIN:SELECTOR:KEYFILE; and dkim_sign_headers
# without From.  Needs openssl(1) for the short key (else 77).
command -v openssl >/dev/null 2>&1 || { echo "skip: no openssl"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dkim_sign_lint.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $*"; }
notok() { echo "FAIL: $*"; fail=1; }

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
    -out "$tmp/short.pem" 2>/dev/null || exit 99
openssl genpkey -algorithm ed25519 -out "$tmp/ed.pem" 2>/dev/null || exit 99
echo "not a key" >"$tmp/junk.key"
cat >"$tmp/w.conf" <<CONF
clamav = off
regex_prefilter = no
# the keys
dkim_sign_domains = example.com:s1:$tmp/missing.pem,
    example.com:s2:$tmp/short.pem example.org:s3:$tmp/junk.key
    example.net:s4
CONF
./warden lint -c "$tmp/w.conf" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ $rc = 1 ] && ok "lint exits 1" || notok "lint exits $rc"
grep -q "^$tmp/w.conf:4: dkim_sign_domains: key file $tmp/missing.pem (example.com, selector s1): No such file or directory" "$tmp/out" &&
    ok "a missing key file is an error naming it" ||
    notok "no error naming $tmp/missing.pem"
grep -q "^$tmp/w.conf:4: .*key file $tmp/short.pem .*under 2048 bits" "$tmp/out" &&
    ok "an RSA key of 1024 bits is an error" || notok "the short key passed"
grep -q "^$tmp/w.conf:4: .*key file $tmp/junk.key .*neither a PEM" "$tmp/out" &&
    ok "a file without a key is an error" || notok "the junk key passed"
grep -q "^$tmp/w.conf:4: .*\"example.net:s4\": expected DOMAIN:SELECTOR:KEYFILE" "$tmp/out" &&
    ok "a malformed entry is an error" || notok "the malformed entry passed"
grep -q "error(s)" "$tmp/out" && ! grep -q "rules:" "$tmp/out" ||
    notok "lint went on as if the configuration loaded"

cat >"$tmp/w2.conf" <<CONF
clamav = off
regex_prefilter = no
dkim_sign_domains = example.com:ed:$tmp/ed.pem
dkim_sign_headers = Subject, Date
CONF
./warden lint -c "$tmp/w2.conf" >"$tmp/out" 2>&1
[ $? = 1 ] && grep -q "w2.conf:3: dkim_sign_headers must list From" "$tmp/out" &&
    ok "dkim_sign_headers without From is an error" ||
    { notok "dkim_sign_headers without From:"; cat "$tmp/out"; }
# the same key, readable: ok
sed -i '/dkim_sign_headers/d' "$tmp/w2.conf"
./warden lint -c "$tmp/w2.conf" >"$tmp/out" 2>&1 &&
    ok "an Ed25519 PEM key loads" || { notok "ed.pem:"; cat "$tmp/out"; }
exit $fail
