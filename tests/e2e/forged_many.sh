#!/bin/sh
# A client that sends many distinct X-Spam-* names (junk, 64 and more)
# and then a forged "X-Spam-Status: No" does not get the forgery
# delivered: the message reaches the sink with Warden's own X-Spam-Status
# only, and with none of the client's X-Spam-* headers.  A message with
# more distinct names than max_header_count is refused with 4xx instead.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init forged_many
echo "max_header_count = 300" | e2e_conf
e2e_start

# e2e_flood FILE TOKEN NJUNK: a plain message whose header carries NJUNK
# distinct X-Spam-Junk-N names, then a forged X-Spam-Status (twice,
# spelled differently) and X-Spam-Flag.
e2e_flood() {
	{
		printf 'From: Sender <sender@origin.example>\r\n'
		printf 'To: Rcpt <rcpt@dest.example>\r\n'
		printf 'Subject: flood %s\r\n' "$2"
		printf 'Date: %s\r\n' "$(LC_ALL=C date -R)"
		printf 'Message-ID: <%s.%s@origin.example>\r\n' "$$" "$(date +%s%N)"
		_i=1
		while [ $_i -le "$3" ]; do
			printf 'X-Spam-Junk-%d: junk %d\r\n' $_i $_i
			_i=$((_i + 1))
		done
		printf 'X-Spam-Status: No, score=-100.0 forged-by-client\r\n'
		printf 'x-spam-status: No, forged-by-client again\r\n'
		printf 'X-Spam-Flag: NO\r\n'
		printf '\r\n'
		printf 'Hello from the Warden end-to-end tests.\r\n'
	} >"$1"
}

# e2e_has_other LINES ERE: some line does not match.
e2e_has_other() {
	printf '%s\n' "$1" | grep -Evq -- "$2"
}

for n in 64 200; do
	tok=e2e-forged-$n-$$
	e2e_flood "$E2E_DIR/flood$n.eml" "$tok" $n
	e2e_send flood$n --from sender@origin.example --to rcpt@dest.example \
	    --data "@$E2E_DIR/flood$n.eml"
	e2e_check "$n junk names: accepted (250 queued)" \
	    e2e_accepted flood$n
	f=$(e2e_wait_delivered "$tok" 30)
	if [ -z "$f" ]; then
		e2e_notok "$n junk names: the message reaches the sink"
		continue
	fi
	e2e_ok "$n junk names: the message reaches the sink"
	status=$(e2e_header "$f" X-Spam-Status)
	e2e_log "X-Spam-Status: $status"
	e2e_check "$n junk names: exactly one X-Spam-Status" \
	    [ "$(e2e_count_header "$f" X-Spam-Status)" = 1 ]
	e2e_check "$n junk names: every X-Spam-Status is Warden's" \
	    e2e_not e2e_has_other "$status" \
	    '^No, score=-?[0-9.]+ required=[0-9.]+ tests=.* version=Warden-'
	e2e_check "$n junk names: the forged headers are gone" \
	    e2e_not grep -q forged-by-client "$f"
	e2e_check "$n junk names: no X-Spam-Junk-* header is left" \
	    e2e_not grep -qi '^X-Spam-Junk-' "$f"
	e2e_check "$n junk names: no X-Spam-Flag is left" \
	    [ "$(e2e_count_header "$f" X-Spam-Flag)" = 0 ]
done

# Beyond max_header_count distinct names: refused, never delivered.
tok=e2e-forged-400-$$
e2e_flood "$E2E_DIR/flood400.eml" "$tok" 400
e2e_send flood400 --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/flood400.eml"
e2e_check "400 junk names (max_header_count = 300): 451 at end of DATA" \
    e2e_reply_has flood400 '^451 4\.7\.1 '
sleep 1
e2e_check "400 junk names: nothing reaches the sink" \
    e2e_not e2e_delivered "$tok"
e2e_check "Warden logged the refusal (action=tempfail limit=header_count)" \
    grep -q "action=tempfail .*limit=header_count" "$E2E_WLOG"
e2e_done
