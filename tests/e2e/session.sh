#!/bin/sh
# Several messages in one SMTP session: clean, GTUBE, clean, clean.  Each
# accepted one gets its own queue id and is delivered with one
# X-Spam-Status; GTUBE is refused at the end of its DATA and the session
# goes on; Warden logs one verdict line per message, each starting with
# that message's queue id (the MTA passes macro i for every transaction,
# not only the session's first).
#
# With Sendmail, the instance's milter macro lists leave i out: Warden asks
# for its macros itself (smfi_setsymlist), so an administrator needs no
# confMILTER_MACROS_* lines for it.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init session
if [ "$E2E_MTA" = sendmail ]; then
	e2e_sendmail_conf <<'EOF'
define(`confMILTER_MACROS_CONNECT', `j')dnl
define(`confMILTER_MACROS_HELO', `j')dnl
define(`confMILTER_MACROS_ENVFROM', `{mail_addr}')dnl
define(`confMILTER_MACROS_ENVRCPT', `{rcpt_addr}')dnl
define(`confMILTER_MACROS_EOM', `{msg_id}')dnl
EOF
fi
e2e_start

tok=e2e-session-$$
for n in 1 3 4; do
	e2e_msg "$E2E_DIR/m$n.eml" "session $n $tok-$n"
done
e2e_msg "$E2E_DIR/m2.eml" "session 2 $tok-2" "$E2E_GTUBE"

# One session, four transactions; each end-of-DATA reply goes to
# out/session-N.txt in swaks's form ("<-  250 ..."), for e2e_queue_id.
$PYTHON - "$E2E_SMTP_PORT" "$E2E_DIR" <<'PY' >"$E2E_DIR/out/session.txt" 2>&1
import smtplib, sys
port, d = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP('127.0.0.1', port, 'client.e2e.test', timeout=60)
s.ehlo('client.e2e.test')
for n in (1, 2, 3, 4):
    with open('%s/m%d.eml' % (d, n), 'rb') as f:
        msg = f.read()
    code, text = s.mail('sender@origin.example')
    print('MAIL %d: %d %s' % (n, code, text.decode()))
    code, text = s.rcpt('rcpt@dest.example')
    print('RCPT %d: %d %s' % (n, code, text.decode()))
    code, text = s.data(msg)
    print('DATA %d: %d %s' % (n, code, text.decode()))
    with open('%s/out/session-%d.txt' % (d, n), 'w') as f:
        f.write('<-  %d %s\n' % (code, text.decode().replace('\n', ' ')))
    if code != 250:
        s.rset()
s.quit()
PY
sed 's/^/# /' "$E2E_DIR/out/session.txt"

# one_status FILE: exactly one X-Spam-Status, Warden's "No, score=...".
one_status() {
	[ "$(e2e_count_header "$1" X-Spam-Status)" = 1 ] &&
	    e2e_match "$(e2e_header "$1" X-Spam-Status)" '^No, score='
}

ids=
for n in 1 3 4; do
	e2e_check "message $n: accepted" e2e_accepted session-$n
	id=$(e2e_queue_id session-$n)
	ids="$ids $id"
	f=$(e2e_wait_delivered "$tok-$n" 30)
	e2e_check "message $n: delivered" [ -n "$f" ]
	[ -n "$f" ] && e2e_check "message $n: one X-Spam-Status: No, ..." \
	    one_status "$f"
done
e2e_check "GTUBE in the same session: 550 5.7.1 at the end of its DATA" \
    e2e_reply_has session-2 '^550 5\.7\.1 '
# shellcheck disable=SC2086 # one id a line
e2e_check "the three accepted messages have three different queue ids ($ids )" \
    [ "$(printf '%s\n' $ids | sort -u | grep -c .)" = 3 ]
for id in $ids; do
	e2e_check "Warden's verdict line for $id starts with that id" \
	    grep -q "^warden: info: $id: client=.* action=accept " "$E2E_WLOG"
done
gid=$(sed -n 's/^warden: info: \([0-9A-Za-z]*\): client=.* action=reject .*/\1/p' \
    "$E2E_WLOG")
e2e_check "Warden logged one reject verdict, with a queue id ($gid)" \
    e2e_match "$gid" '^[0-9A-Za-z]+$'
e2e_check "... not one of the accepted messages' ids" \
    e2e_not e2e_match "$ids " " $gid "
e2e_check "GTUBE was not delivered" e2e_not e2e_delivered "$tok-2"
e2e_done
