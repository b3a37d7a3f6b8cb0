#!/bin/sh
# SMTP-stage rules through a real Postfix or Sendmail (stages.rules): a
# connect rule refuses the session, a HELO rule, a MAIL FROM rule, and an
# RCPT rule that refuses one recipient of two while the other one gets the
# message.  Each refusal carries the rule's own reply text.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init stages
e2e_rules stages.rules
e2e_start

# No message of a refused session may be queued or delivered.
no_queue() {
	[ -z "$(e2e_queue_id "$1")" ]
}

# --- connect: the client 127.0.0.2 is refused -------------------------
tok=e2e-stage-connect-$$
e2e_msg "$E2E_DIR/connect.eml" "connect $tok"
e2e_send connect --local-interface 127.0.0.2 --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/connect.eml"
rc=$?
# Postfix answers a milter's reject at CONNECT with its own greeting
# "554 <myhostname> ESMTP not accepting connections", Sendmail with
# "554 <$j> ESMTP not accepting messages"; the rule's reply text only
# shows in the MTA's log.
e2e_check "connect: the session is refused at the greeting (swaks exit 21, got $rc)" \
    [ $rc = 21 ]
e2e_check "connect: the client sees 554 instead of the 220 greeting" \
    e2e_reply_has connect '^554 '
case $E2E_MTA in
postfix)
	e2e_check "connect: Postfix logged the milter reject with the rule's text" \
	    e2e_wait_log "$E2E_MAILLOG" \
	    "milter-reject: CONNECT from .*\[127\.0\.0\.2\]: 550 5\.7\.1 E2E connection refused"
	;;
sendmail)
	e2e_check "connect: ... 554 mta.e2e.example ESMTP not accepting messages" \
	    e2e_reply_has connect '^554 mta\.e2e\.example ESMTP not accepting messages$'
	e2e_check "connect: Sendmail logged the milter reject with the rule's text" \
	    e2e_wait_log "$E2E_MAILLOG" \
	    "milter=warden, action=connect, reject=550 5\.7\.1 E2E connection refused"
	e2e_check "connect: ... and that it refuses the session's commands" \
	    e2e_wait_log "$E2E_MAILLOG" \
	    "Milter: connect: host=\[127\.0\.0\.2\], addr=127\.0\.0\.2, rejecting commands"
	;;
esac
e2e_check "connect: nothing queued" no_queue connect
e2e_check "connect: Warden logged the reject at connect" \
    grep -q "connect from .*\[127\.0\.0\.2\]: reject" "$E2E_WLOG"

# --- HELO ---------------------------------------------------------------
tok=e2e-stage-helo-$$
e2e_msg "$E2E_DIR/helo.eml" "helo $tok"
e2e_send helo --helo bad.helo.example --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/helo.eml"
rc=$?
# Postfix and Sendmail accept the EHLO themselves and give a milter's
# HELO reject to every MAIL FROM of the session.
e2e_check "helo: the session's MAIL FROM is refused (swaks exit 23, got $rc)" \
    [ $rc = 23 ]
e2e_check "helo: 550 5.7.1 E2E HELO refused" \
    e2e_reply_has helo '^550 5\.7\.1 E2E HELO refused$'
e2e_check "helo: nothing queued" no_queue helo

# --- MAIL FROM ------------------------------------------------------------
tok=e2e-stage-from-$$
e2e_msg "$E2E_DIR/from.eml" "from $tok"
e2e_send from --from refused@sender.example --to rcpt@dest.example \
    --data "@$E2E_DIR/from.eml"
rc=$?
e2e_check "mail from: refused at MAIL FROM (swaks exit 23, got $rc)" [ $rc = 23 ]
# Sendmail puts the address before the milter's text.
case $E2E_MTA in
postfix) addr= ;;
sendmail) addr='<refused@sender\.example>\.\.\. ' ;;
esac
e2e_check "mail from: 550 5.7.1 ${addr:+<refused@sender.example>... }E2E sender refused" \
    e2e_reply_has from "^550 5\\.7\\.1 ${addr}E2E sender refused\$"
e2e_check "mail from: nothing queued" no_queue from

# --- RCPT TO: one of two recipients refused ---------------------------------
tok=e2e-stage-rcpt-$$
e2e_msg "$E2E_DIR/rcpt.eml" "rcpt $tok"
e2e_send rcpt --from sender@origin.example \
    --to good@dest.example,spamtrap@dest.example --data "@$E2E_DIR/rcpt.eml"
rc=$?
e2e_check "rcpt: the message is accepted for the other recipient (exit $rc)" \
    e2e_accepted rcpt
case $E2E_MTA in
postfix) addr= ;;
sendmail) addr='<spamtrap@dest\.example>\.\.\. ' ;;
esac
e2e_check "rcpt: the spamtrap gets 550 5.7.1 ${addr:+<spamtrap@dest.example>... }E2E recipient refused" \
    e2e_reply_has rcpt "^550 5\\.7\\.1 ${addr}E2E recipient refused\$"
f=$(e2e_wait_delivered "$tok" 30)
e2e_check "rcpt: the message is delivered" [ -n "$f" ]
if [ -n "$f" ]; then
	e2e_check "rcpt: ... to good@dest.example" \
	    grep -qx "rcpt <good@dest.example>" "${f%.eml}.env"
	e2e_check "rcpt: ... and not to spamtrap@dest.example" \
	    e2e_not grep -q "spamtrap" "${f%.eml}.env"
	e2e_check "rcpt: ... with Warden's X-Spam-Status" \
	    e2e_match "$(e2e_header "$f" X-Spam-Status)" '^No, score='
fi

# Every refused session's message stayed out.
for t in connect helo from; do
	e2e_check "$t: the message was not delivered" \
	    e2e_not e2e_delivered "e2e-stage-$t-$$"
done
e2e_done
