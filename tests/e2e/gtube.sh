#!/bin/sh
# GTUBE (shipped rules/10_gtube.rules, score 1000) is refused at the end of
# DATA with 550 5.7.1 and the configured reject_reply; nothing is delivered.
# A clean message in the same instance still goes through.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init gtube
e2e_conf <<EOF
reject_reply = 550 5.7.1 E2E refused as spam, contact e2e-postmaster
EOF
e2e_start

tok=e2e-gtube-$$
e2e_msg "$E2E_DIR/gtube.eml" "gtube $tok" "$E2E_GTUBE"
e2e_send gtube --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/gtube.eml"
rc=$?
e2e_check "swaks says the server refused the message after DATA (exit 26)" \
    [ $rc = 26 ]
e2e_check "the client sees 550 5.7.1 and the configured reject_reply text" \
    e2e_reply_has gtube '^550 5\.7\.1 E2E refused as spam, contact e2e-postmaster$'
e2e_check "the refusal comes at the end of DATA (DATA itself got 354)" \
    e2e_reply_has gtube '^354 '
e2e_check "Warden logged action=reject with GTUBE" \
    grep -q "action=reject .*tests=.*GTUBE" "$E2E_WLOG"

# Clean mail still flows (and gives the refused one time to show up).
tok2=e2e-gtube-clean-$$
e2e_msg "$E2E_DIR/clean.eml" "clean $tok2"
e2e_send clean --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/clean.eml"
e2e_check "a clean message in the same instance is delivered" \
    e2e_wait_delivered "$tok2" 30
e2e_check "the GTUBE message was not delivered" \
    e2e_not e2e_delivered "$tok"
e2e_done
