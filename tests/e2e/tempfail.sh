#!/bin/sh
# With Warden stopped, Postfix (milter_default_action = tempfail) answers
# 4xx and queues nothing; once Warden is back, mail flows again and is
# scanned (X-Spam-Status).  Sendmail (INPUT_MAIL_FILTER with F=T) answers
# MAIL FROM with 451 4.3.2.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init tempfail
e2e_start

tok=e2e-before-$$
e2e_msg "$E2E_DIR/before.eml" "before $tok"
e2e_send before --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/before.eml"
e2e_check "Warden up: a message is delivered" e2e_wait_delivered "$tok" 30

e2e_stop_warden
e2e_check "Warden stopped: its socket is gone" [ ! -S "$E2E_SOCK" ]

tok=e2e-down-$$
e2e_msg "$E2E_DIR/down.eml" "down $tok"
e2e_send down --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/down.eml"
rc=$?
e2e_check "Warden stopped: swaks fails (exit $rc)" [ $rc != 0 ]
e2e_check "Warden stopped: $E2E_MTA_NAME answers 4xx (tempfail)" \
    e2e_reply_has down '^4[0-9][0-9] '
e2e_check "Warden stopped: no 5xx (a sender must retry, not bounce)" \
    e2e_not e2e_reply_has down '^5[0-9][0-9] '
e2e_check "Warden stopped: nothing queued" \
    [ -z "$(e2e_queue_id down)" ]
case $E2E_MTA in
postfix)
	e2e_check "Warden stopped: Postfix logged the milter failure" \
	    e2e_wait_log "$E2E_MAILLOG" "warning: connect to Milter service unix:$E2E_SOCK"
	;;
sendmail)
	e2e_check "Warden stopped: refused at MAIL FROM (swaks exit 23)" [ $rc = 23 ]
	e2e_check "Warden stopped: 451 4.3.2 Please try again later" \
	    e2e_reply_has down '^451 4\.3\.2 Please try again later$'
	# A missing socket is "unsafe" to Sendmail's file checks.
	e2e_check "Warden stopped: Sendmail logged the milter failure" \
	    e2e_wait_log "$E2E_MAILLOG" \
	    "Milter: initialization failed, temp failing commands"
	;;
esac

e2e_start_warden
tok2=e2e-after-$$
e2e_msg "$E2E_DIR/after.eml" "after $tok2"
e2e_send after --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/after.eml"
e2e_check "Warden back: the message is accepted" \
    e2e_accepted after
f=$(e2e_wait_delivered "$tok2" 30)
e2e_check "Warden back: it is delivered" [ -n "$f" ]
[ -n "$f" ] && e2e_check "Warden back: ... scanned (X-Spam-Status: No, ...)" \
    e2e_match "$(e2e_header "$f" X-Spam-Status)" '^No, score='
e2e_check "the message refused while Warden was down never arrives" \
    e2e_not e2e_delivered "$tok"
e2e_done
