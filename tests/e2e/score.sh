#!/bin/sh
# Score thresholds through a real Postfix or Sendmail (rules: tests/e2e/score.rules):
#  - over tag_score: delivered with X-Spam-Flag: YES, X-Spam-Status: Yes
#    and the subject tag;
#  - over quarantine_score: accepted (250) into Postfix's hold queue
#    (postqueue -j: "queue_name": "hold"), not delivered; released with
#    postsuper -H it is delivered.  With Sendmail: quarantined in its queue
#    with Warden's reason (sendmail -bp -qQ), released with -qQ -Q -qIID.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init score
e2e_rules score.rules
e2e_conf <<EOF
tag_score = 5
quarantine_score = 10
reject_score = 15
subject_tag = [SPAM]
quarantine_reason = held by Warden (e2e)
EOF
e2e_start

# --- Tag ---------------------------------------------------------------
tok=e2e-tag-$$
e2e_msg "$E2E_DIR/tag.eml" "e2e-tag-me $tok"
e2e_send tag --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/tag.eml"
e2e_check "tag: accepted (250 queued)" e2e_accepted tag
f=$(e2e_wait_delivered "$tok" 30)
e2e_check "tag: delivered" [ -n "$f" ]
if [ -n "$f" ]; then
	e2e_log "tag: Subject: $(e2e_header "$f" Subject)"
	e2e_log "tag: X-Spam-Status: $(e2e_header "$f" X-Spam-Status)"
	e2e_check "tag: X-Spam-Flag: YES" \
	    [ "$(e2e_header "$f" X-Spam-Flag)" = YES ]
	e2e_check "tag: X-Spam-Status: Yes, score=6.0 ... tests=...E2E_TAG_ME" \
	    e2e_match "$(e2e_header "$f" X-Spam-Status)" \
	    '^Yes, score=6(\.0)? required=5(\.0)? tests=(.*,)?E2E_TAG_ME[, ]'
	e2e_check "tag: the Subject carries the tag: [SPAM] e2e-tag-me ..." \
	    [ "$(e2e_header "$f" Subject)" = "[SPAM] e2e-tag-me $tok" ]
	e2e_check "tag: one Subject header" \
	    [ "$(e2e_count_header "$f" Subject)" = 1 ]
fi

# --- Quarantine --------------------------------------------------------
tok=e2e-hold-$$
e2e_msg "$E2E_DIR/hold.eml" "hold $tok" "Please e2e-hold-me for review."
e2e_send hold --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/hold.eml"
e2e_check "quarantine: accepted (250 queued)" \
    e2e_accepted hold
qid=$(e2e_queue_id hold)
e2e_log "quarantine: queue id $qid"
# Postfix holds in cleanup, before the queue manager sees the message;
# Sendmail writes the quarantine reason into the queue file.
held=no
i=0
while [ $i -lt 50 ]; do
	if [ -n "$qid" ] && e2e_held "$qid"; then
		held=yes
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
case $E2E_MTA in
postfix)
	e2e_queue_show | sed 's/^/# postqueue -j: /'
	e2e_check "quarantine: postqueue -j shows it with \"queue_name\": \"hold\"" \
	    [ $held = yes ]
	e2e_check "quarantine: Postfix logged the milter hold" \
	    e2e_wait_log "$E2E_MAILLOG" "$qid: milter-hold: END-OF-MESSAGE.*milter triggers HOLD"
	release="postsuper -H ALL"
	;;
sendmail)
	e2e_queue_show | sed 's/^/# sendmail -bp: /'
	e2e_check "quarantine: sendmail -bp -qQ lists it" [ $held = yes ]
	e2e_check "quarantine: ... with Warden's reason" \
	    e2e_match "$(e2e_sendmail -bp -qQ 2>/dev/null)" \
	    'QUARANTINE: held by Warden \(e2e\)'
	e2e_check "quarantine: not in the normal queue (sendmail -bp)" \
	    e2e_not e2e_match "$(e2e_sendmail -bp 2>/dev/null)" "^$qid"
	e2e_check "quarantine: Sendmail logged the milter quarantine" \
	    e2e_wait_log "$E2E_MAILLOG" "$qid: milter=warden, quarantine=held by Warden \\(e2e\\)"
	release="sendmail -qQ -Q -qI$qid"
	;;
esac
# Flush the queue: a held message must stay put.
e2e_flush
sleep 2
e2e_check "quarantine: not delivered while held" e2e_not e2e_delivered "$tok"

e2e_release_all
f=$(e2e_wait_delivered "$tok" 30)
e2e_check "quarantine: delivered after $release" [ -n "$f" ]
if [ -n "$f" ]; then
	e2e_check "quarantine: X-Spam-Status: Yes ... tests=...E2E_HOLD_ME" \
	    e2e_match "$(e2e_header "$f" X-Spam-Status)" \
	    '^Yes, score=11(\.0)? required=5(\.0)? tests=(.*,)?E2E_HOLD_ME[, ]'
	e2e_check "quarantine: X-Spam-Flag: YES" \
	    [ "$(e2e_header "$f" X-Spam-Flag)" = YES ]
fi
e2e_check "quarantine: the queue is empty afterwards" e2e_queue_empty
e2e_done
