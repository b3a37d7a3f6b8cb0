#!/bin/sh
# trusted_networks: a client in them is accepted at connect and its mail is
# not scanned at all: GTUBE from 127.0.0.1 is delivered, without Warden's
# headers.  A client outside them (127.0.0.2, same instance) gets GTUBE
# refused, which shows the rules are live.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init trusted
e2e_conf <<EOF
trusted_networks = 127.0.0.1/32, ::1
EOF
e2e_start

tok=e2e-trusted-$$
e2e_msg "$E2E_DIR/trusted.eml" "trusted $tok" "$E2E_GTUBE"
e2e_send trusted --local-interface 127.0.0.1 --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/trusted.eml"
e2e_check "trusted client: GTUBE is accepted (250 queued)" \
    e2e_accepted trusted
f=$(e2e_wait_delivered "$tok" 30)
e2e_check "trusted client: GTUBE is delivered" [ -n "$f" ]
[ -n "$f" ] && e2e_check "trusted client: not scanned (no X-Spam-Status)" \
    [ "$(e2e_count_header "$f" X-Spam-Status)" = 0 ]
e2e_check "Warden logged: connect from ...[127.0.0.1]: accept (trusted network)" \
    grep -q "connect from .*\[127\.0\.0\.1\]: accept (trusted network)" "$E2E_WLOG"

tok2=e2e-untrusted-$$
e2e_msg "$E2E_DIR/untrusted.eml" "untrusted $tok2" "$E2E_GTUBE"
e2e_send untrusted --local-interface 127.0.0.2 --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/untrusted.eml"
e2e_check "untrusted client 127.0.0.2: GTUBE is refused with 550 5.7.1" \
    e2e_reply_has untrusted '^550 5\.7\.1 '
sleep 1
e2e_check "untrusted client 127.0.0.2: GTUBE is not delivered" \
    e2e_not e2e_delivered "$tok2"
e2e_done
