#!/bin/sh
# A client without reverse DNS, through Sendmail: Sendmail names it by its
# address in brackets ("[192.0.2.2]", {client_resolve} FAIL), and Warden
# treats that as no PTR (the client is "unknown"), so the relay chain
# has rdns= empty and SpamAssassin's __RDNS_NONE pattern matches
# (rdns.rules).  The instance's resolver (smshim.c) knows no names, so no
# address has a PTR record.
#
# The client must not be loopback (a loopback client is no hop in the
# relay chain): the mail is sent from this machine's first non-loopback
# IPv4 address to Sendmail on 127.0.0.1, and trusted_relays names another
# address so that the hop is external.  Without such an address only the
# loopback client's name is checked.
E2E_MTA=sendmail
E2E_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$E2E_SRC/lib.sh"
e2e_init rdns
e2e_rules rdns.rules
e2e_conf <<EOF
trusted_relays = 203.0.113.1/32
internal_relays = 203.0.113.1/32
EOF
e2e_start

# --- From 127.0.0.1 -------------------------------------------------------
tok=e2e-rdns-lo-$$
e2e_msg "$E2E_DIR/lo.eml" "rdns lo $tok"
e2e_send lo --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/lo.eml"
qid=$(e2e_queue_id lo)
e2e_check "127.0.0.1: delivered" e2e_wait_delivered "$tok" 30
e2e_check "127.0.0.1: Sendmail logged relay=[127.0.0.1] (no name)" \
    e2e_wait_log "$E2E_MAILLOG" "$qid: from=.* relay=\\[127\\.0\\.0\\.1\\]\$"
e2e_check "127.0.0.1: Warden's verdict line says client=unknown[127.0.0.1]" \
    grep -q "^warden: info: $qid: client=unknown\\[127\\.0\\.0\\.1\\] " "$E2E_WLOG"

# --- From this machine's own address ---------------------------------------
ip=
for a in $(hostname -I 2>/dev/null); do
	case $a in
	127.* | *:*) ;;
	*) ip=$a; break ;;
	esac
done
if [ -z "$ip" ]; then
	e2e_log "no non-loopback IPv4 address here: the relay chain of a" \
	    "client without PTR is not checked"
	e2e_done
fi
# Sendmail lets that client relay (class R, as relay-domains would), and
# reads its configuration again (SIGHUP restarts the daemon in place).
printf 'LOCAL_CONFIG\nC{R}%s\n' "$ip" | e2e_sendmail_conf
e2e_stop_mta
e2e_start_mta
tok=e2e-rdns-ext-$$
e2e_msg "$E2E_DIR/ext.eml" "rdns ext $tok"
e2e_send ext --local-interface "$ip" --from sender@origin.example \
    --to rcpt@dest.example --data "@$E2E_DIR/ext.eml"
if ! grep -q '^<-  220 ' "$E2E_DIR/out/ext.txt"; then
	e2e_log "cannot connect from $ip to 127.0.0.1 here: the relay chain" \
	    "of a client without PTR is not checked"
	e2e_transcript ext
	e2e_done
fi
qid=$(e2e_queue_id ext)
ipre=$(printf '%s' "$ip" | sed 's/\./\\./g')
f=$(e2e_wait_delivered "$tok" 30)
e2e_check "$ip: delivered" [ -n "$f" ]
e2e_check "$ip: Sendmail logged relay=[$ip] (no name)" \
    e2e_wait_log "$E2E_MAILLOG" "$qid: from=.* relay=\\[$ipre\\]\$"
e2e_check "$ip: Warden's verdict line says client=unknown[$ip]" \
    grep -q "^warden: info: $qid: client=unknown\\[$ipre\\] " "$E2E_WLOG"
if [ -n "$f" ]; then
	status=$(e2e_header "$f" X-Spam-Status)
	e2e_log "X-Spam-Status: $status"
	e2e_check "$ip: SpamAssassin's __RDNS_NONE pattern matches (E2E_RDNS_NONE)" \
	    e2e_match "$status" 'tests=(.*,)?E2E_RDNS_NONE[, ]'
	e2e_check "$ip: ... on the client's hop: [ ip=... rdns= helo=client.e2e.test" \
	    e2e_match "$status" 'tests=(.*,)?E2E_RDNS_HOP[, ]'
	e2e_check "$ip: the hop has no reverse name (E2E_RDNS_NAMED does not match)" \
	    e2e_not e2e_match "$status" 'E2E_RDNS_NAMED'
fi
e2e_done
