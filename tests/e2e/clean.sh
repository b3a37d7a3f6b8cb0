#!/bin/sh
# A clean message goes through Postfix and Warden to the sink, carrying
# Warden's X-Spam-Status and (antivirus on, test signatures) X-Virus-Status;
# the X-Spam-*/X-Virus-* headers the client forged are gone.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init clean
e2e_av_db
echo "clamav = on" | e2e_conf
e2e_start

tok=e2e-clean-$$
e2e_msg "$E2E_DIR/clean.eml" "clean $tok"
e2e_send clean --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/clean.eml" \
    --add-header "X-Spam-Status: No, score=-100.0 forged-by-client" \
    --add-header "X-Spam-Flag: NO" \
    --add-header "X-Virus-Status: Clean (forged-by-client)"
e2e_check "the clean message is accepted (250 queued)" \
    e2e_accepted clean
qid=$(e2e_queue_id clean)
f=$(e2e_wait_delivered "$tok" 30)
if [ -z "$f" ]; then
	e2e_notok "the clean message reaches the sink"
	e2e_done
fi
e2e_ok "the clean message reaches the sink"

status=$(e2e_header "$f" X-Spam-Status)
e2e_log "X-Spam-Status: $status"
e2e_check "exactly one X-Spam-Status" \
    [ "$(e2e_count_header "$f" X-Spam-Status)" = 1 ]
e2e_check "X-Spam-Status is Warden's: No, score=... version=Warden-..." \
    e2e_match "$status" '^No, score=-?[0-9.]+ required=[0-9.]+ tests=.* version=Warden-'
e2e_check "the forged X-Spam-Status and X-Virus-Status are gone" \
    e2e_not grep -q forged-by-client "$f"
e2e_check "the forged X-Spam-Flag is gone" \
    [ "$(e2e_count_header "$f" X-Spam-Flag)" = 0 ]
e2e_check "X-Virus-Status: Clean (one, Warden's)" \
    [ "$(e2e_header "$f" X-Virus-Status)" = Clean ]
e2e_check "X-Virus-Scanned names Warden" \
    e2e_match "$(e2e_header "$f" X-Virus-Scanned)" '^Warden '
e2e_check "the body arrived intact" \
    grep -q "Hello from the Warden end-to-end tests" "$f"
e2e_check "the sink got the envelope sender" \
    grep -q "^from <sender@origin.example>" "${f%.eml}.env"
e2e_check "Warden logged its verdict line (action=accept virus=none)" \
    grep -q "from=<sender@origin.example> .*action=accept .*virus=none" "$E2E_WLOG"
# The MTA passes the queue id (macro i: Postfix's milter_mail_macros,
# Sendmail for Warden's smfi_setsymlist): the verdict line starts with the
# id the client was given.
e2e_check "Warden's verdict line carries $E2E_MTA_NAME's queue id ($qid)" \
    grep -q "^warden: info: $qid: client=" "$E2E_WLOG"
e2e_done
