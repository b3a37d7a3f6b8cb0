#!/bin/sh
# skip_authenticated = yes: a sender who authenticated (SASL) is not
# scanned: Postfix passes {auth_authen} with MAIL FROM and Warden accepts
# there.  GTUBE sent after AUTH is delivered without Warden's headers; the
# same GTUBE without AUTH, in the same instance, is refused.
#
# The private Postfix authenticates with Cyrus SASL against its own sasldb
# (Debian packages sasl2-bin for saslpasswd2, libsasl2-modules for PLAIN
# and libsasl2-modules-db for sasldb); without them the test is skipped.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init auth
command -v saslpasswd2 >/dev/null 2>&1 ||
    e2e_skip "saslpasswd2 not found: SASL authentication needs Cyrus SASL" \
	"(Debian: apt-get install sasl2-bin libsasl2-modules)"
postconf -A 2>/dev/null | grep -qx cyrus ||
    e2e_skip "this Postfix has no Cyrus SASL support (postconf -A)"
have_sasl_plugin() {
	for _f in /usr/lib/*/sasl2/lib$1.so* /usr/lib/sasl2/lib$1.so*; do
		[ -f "$_f" ] && return 0
	done
	return 1
}
have_sasl_plugin plain ||
    e2e_skip "the Cyrus SASL PLAIN mechanism is not installed" \
	"(Debian: apt-get install libsasl2-modules)"
have_sasl_plugin sasldb ||
    e2e_skip "the Cyrus SASL sasldb plugin is not installed" \
	"(Debian: apt-get install libsasl2-modules-db)"

# Debian's Postfix reads $config_directory/sasl/smtpd.conf whatever
# cyrus_sasl_config_path says: keep both pointing at the same place.
sasl=$E2E_PF/sasl
mkdir -p "$sasl"
cat >"$sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $sasl/sasldb2
EOF
echo e2e-secret | saslpasswd2 -p -c -f "$sasl/sasldb2" -u e2e.test e2euser ||
    e2e_bail "saslpasswd2 could not create $sasl/sasldb2"
chgrp postfix "$sasl/sasldb2" && chmod 640 "$sasl/sasldb2"
chmod 755 "$sasl"
e2e_postfix_conf <<EOF
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $sasl
smtpd_sasl_local_domain = e2e.test
smtpd_sasl_security_options = noanonymous
EOF
echo "skip_authenticated = yes" | e2e_conf
e2e_start

tok=e2e-auth-$$
e2e_msg "$E2E_DIR/auth.eml" "auth $tok" "$E2E_GTUBE"
e2e_send auth --auth PLAIN --auth-user e2euser@e2e.test \
    --auth-password e2e-secret --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/auth.eml"
e2e_check "AUTH PLAIN succeeds (235)" e2e_reply_has auth '^235 '
e2e_check "authenticated: GTUBE is accepted (250 queued)" \
    e2e_accepted auth
f=$(e2e_wait_delivered "$tok" 30)
e2e_check "authenticated: GTUBE is delivered" [ -n "$f" ]
[ -n "$f" ] && e2e_check "authenticated: not scanned (no X-Spam-Status)" \
    [ "$(e2e_count_header "$f" X-Spam-Status)" = 0 ]
e2e_check "Postfix saw the login (sasl_username=e2euser@e2e.test)" \
    e2e_wait_log "$E2E_MAILLOG" "sasl_method=PLAIN, sasl_username=e2euser@e2e\\.test"
e2e_check "Warden logged: from=<sender@origin.example> ...: accept (authenticated)" \
    grep -q "from=<sender@origin.example> .*: accept (authenticated)" "$E2E_WLOG"

tok2=e2e-noauth-$$
e2e_msg "$E2E_DIR/noauth.eml" "noauth $tok2" "$E2E_GTUBE"
e2e_send noauth --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/noauth.eml"
e2e_check "not authenticated: GTUBE is refused with 550 5.7.1" \
    e2e_reply_has noauth '^550 5\.7\.1 '

tok3=e2e-badpw-$$
e2e_msg "$E2E_DIR/badpw.eml" "badpw $tok3" "$E2E_GTUBE"
e2e_send badpw --auth PLAIN --auth-user e2euser@e2e.test \
    --auth-password wrong --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/badpw.eml"
e2e_check "a wrong password is refused (535)" e2e_reply_has badpw '^535 '
sleep 1
for t in $tok2 $tok3; do
	e2e_check "$t: not delivered" e2e_not e2e_delivered "$t"
done
e2e_done
