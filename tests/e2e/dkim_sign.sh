#!/bin/sh
# DKIM signing through a real Postfix (dkim_sign_domains, with an RSA 2048
# and an Ed25519 key for origin.example, the sender domain of e2e_msg):
#  - GTUBE from the trusted loopback client (127.0.0.1, trusted_networks)
#    goes on to the end of the message unscanned (no X-Spam-Status) and is
#    delivered with two DKIM-Signature fields on top, which dkimpy and
#    OpenDKIM's libopendkim verify against the key records
#    (tests/auth/dkim_sign_verify.py); the verdict line says
#    dkim_signed=origin.example;
#  - mail of an untrusted client (127.0.0.2) is scanned and not signed;
#  - a reload (SIGUSR1) picks up a rotated key: the next message is signed
#    with the new one, which verifies against its new record only.
# Needs python3-dkim and libopendkim (else 77).
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init dkim_sign
"$PYTHON" -c 'import dkim, cryptography, ctypes;
ctypes.CDLL("libopendkim.so.11")' 2>/dev/null ||
    e2e_skip "python3-dkim (dkimpy) or libopendkim is not installed"
command -v openssl >/dev/null 2>&1 || e2e_skip "openssl is not installed"

K=$E2E_DIR/w/keys
mkdir -p "$K" || e2e_bail "mkdir"
# genkey rsa|ed FILE: a new private key (PEM)
genkey() {
	case $1 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$2" 2>/dev/null ;;
	ed) openssl genpkey -algorithm ed25519 -out "$2" 2>/dev/null ;;
	esac || e2e_bail "openssl genpkey $1 failed"
}
# record SELECTOR FILE: its key record line, made from the key by
# Python's cryptography (not by Warden)
record() {
	"$PYTHON" -c '
import base64, sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import ed25519
k = s.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
if isinstance(k, ed25519.Ed25519PrivateKey):
    kt, p = "ed25519", k.public_key().public_bytes(s.Encoding.Raw,
                                                   s.PublicFormat.Raw)
else:
    kt, p = "rsa", k.public_key().public_bytes(
        s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
print("%s._domainkey.origin.example v=DKIM1; k=%s; p=%s"
      % (sys.argv[1], kt, base64.b64encode(p).decode()))' "$1" "$2"
}
genkey rsa "$K/rsa.pem"
genkey ed "$K/ed.pem"
{ record rsa "$K/rsa.pem" && record ed "$K/ed.pem"; } >"$E2E_DIR/records" ||
    e2e_bail "key records"

printf '%s\n' "trusted_networks = 127.0.0.1/32, ::1" \
    "dkim_sign_domains = origin.example:rsa:$K/rsa.pem origin.example:ed:$K/ed.pem" |
    e2e_conf
e2e_start

# verify FILE N RECORDS: each of the N signatures verifies with both
verify() {
	"$PYTHON" "$E2E_TOP_SRC/tests/auth/dkim_sign_verify.py" --opendkim \
	    "$3" "$1" "$2" >"$E2E_DIR/verify.out" 2>&1
	_rc=$?
	sed 's/^/#   /' "$E2E_DIR/verify.out"
	return $_rc
}

# --- The trusted client: signed, not scanned ---------------------------
tok=e2e-dkim-sign-$$
e2e_msg "$E2E_DIR/trusted.eml" "trusted $tok" "$E2E_GTUBE"
e2e_send trusted --local-interface 127.0.0.1 --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/trusted.eml"
e2e_check "trusted client: accepted (250 queued)" e2e_accepted trusted
f=$(e2e_wait_delivered "$tok" 30)
e2e_check "trusted client: delivered" [ -n "$f" ]
if [ -n "$f" ]; then
	e2e_check "trusted client: not scanned (no X-Spam-Status)" \
	    [ "$(e2e_count_header "$f" X-Spam-Status)" = 0 ]
	e2e_check "two DKIM-Signature fields" \
	    [ "$(e2e_count_header "$f" DKIM-Signature)" = 2 ]
	first=$(grep -v '^Received:' "$f" | grep -v '^[ 	]' | head -1)
	e2e_log "first field after Received: $first"
	e2e_check "the signatures are on top (above the sender's fields)" \
	    e2e_match "$first" '^DKIM-Signature: v=1; a=(rsa|ed25519)-sha256; c=relaxed/relaxed; d=origin\.example;'
	long=$(awk '/^DKIM-Signature:/ { s = 1; print length($0) > "/dev/stderr" }
	    /^[^ \t]/ && !/^DKIM-Signature:/ { s = 0 }
	    s { sub(/\r$/, ""); if (length($0) > 78) print }' "$f" 2>/dev/null)
	e2e_check "the signatures' lines are 78 characters at most" [ -z "$long" ]
	e2e_check "dkimpy and OpenDKIM verify both (rsa-sha256, ed25519-sha256)" \
	    verify "$f" 2 "$E2E_DIR/records"
fi
e2e_check "the verdict line says dkim_signed=origin.example" \
    grep -q "from=<sender@origin\.example> .*action=accept .*dkim_signed=origin\.example .*why=\"trusted network\"" "$E2E_WLOG"

# --- An untrusted client: scanned, not signed ----------------------------
tok2=e2e-dkim-unsigned-$$
e2e_msg "$E2E_DIR/untrusted.eml" "untrusted $tok2"
e2e_send untrusted --local-interface 127.0.0.2 --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/untrusted.eml"
f=$(e2e_wait_delivered "$tok2" 30)
e2e_check "untrusted client: delivered" [ -n "$f" ]
if [ -n "$f" ]; then
	e2e_check "untrusted client: scanned (X-Spam-Status)" \
	    [ "$(e2e_count_header "$f" X-Spam-Status)" = 1 ]
	e2e_check "untrusted client: not signed" \
	    [ "$(e2e_count_header "$f" DKIM-Signature)" = 0 ]
fi

# --- A rotated key, picked up by a reload ---------------------------------
genkey ed "$K/ed.new"
mv "$K/ed.new" "$K/ed.pem" || e2e_bail "mv"
{ record rsa "$K/rsa.pem" && record ed "$K/ed.pem"; } \
    >"$E2E_DIR/records.new" || e2e_bail "key records"
e2e_check "reload (SIGUSR1) installs the configuration with the new key" \
    e2e_reload_warden
tok3=e2e-dkim-rotated-$$
e2e_msg "$E2E_DIR/rotated.eml" "rotated $tok3"
e2e_send rotated --local-interface 127.0.0.1 --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/rotated.eml"
f=$(e2e_wait_delivered "$tok3" 30)
e2e_check "after the reload: delivered" [ -n "$f" ]
if [ -n "$f" ]; then
	e2e_check "after the reload: both verify against the new records" \
	    verify "$f" 2 "$E2E_DIR/records.new"
	e2e_check "after the reload: the old Ed25519 record does not" \
	    e2e_not verify "$f" 2 "$E2E_DIR/records"
fi
e2e_done
