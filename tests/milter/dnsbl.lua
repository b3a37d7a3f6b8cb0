-- dnsbl.lua -- Warden's list rules of the SMTP stages (dnsbl.rules),
-- answered by the private DNS server from tests/data/dns/blocklists.zone:
-- a client listed in zen.spamhaus.org is refused at connect, a HELO name
-- listed in dbl.test-dnsbl.example at HELO, a sender's domain listed in
-- dbl.spamhaus.org at MAIL FROM, each with Postfix's reply naming the
-- list; an unlisted client, a list's error code (127.255.255.254) and an
-- answer the rule's filter leaves out let the mail go on, and a message
-- from an unlisted client is accepted with no dns= trouble.  miltertest
-- keeps reply texts only at the end of message: the replies of the
-- refusals are checked in Warden's log, which carries them.
-- dnsd: @libdir@/../data/dns/blocklists.zone
-- config: dns_resolver = 127.0.0.1:@dnsd_port@
-- config: dns_timeout = 2s
-- config: rules = @libdir@/dnsbl.rules
-- expect-log: connect from [^ ]*\[192\.0\.2\.2\]: reject \(.*DNSBL_ZEN.*\) reply="554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.2\] blocked using zen\.spamhaus\.org"$
-- expect-log: helo from [^ ]*\[192\.0\.2\.99\] spam-domain\.example: reject \(.*DNSBL_HELO.*\) reply="554 5\.7\.1 Service unavailable; Helo command \[spam-domain\.example\] blocked using dbl\.test-dnsbl\.example"$
-- expect-log: from=<sender@spam-domain\.example> client=[^ ]*\[192\.0\.2\.99\]: reject \(.*DNSBL_FROM.*\) reply="554 5\.7\.1 Service unavailable; Sender address \[spam-domain\.example\] blocked using dbl\.spamhaus\.org"$
-- expect-log: client=[^ ]*\[192\.0\.2\.99\] from=<sender@example\.com> .*action=accept
-- expect-log-count: 3 : reject \(
-- forbid-log: 192\.0\.2\.254\].*reject
-- forbid-log: 203\.0\.113\.7\].*reject
-- forbid-log: dbl-blocked\.example.*reject
-- forbid-log: dns=
dofile(libdir .. "/lib.lua")

local function listed(name, what)
	W.check(W.dnsd_queries("udp " .. name .. " A") >= 1,
	    what .. ": the server was not asked for " .. name)
end

-- A listed client: refused at connect with the rule's reply.
local conn = W.connect()
W.ok(mt.conninfo(conn, "[192.0.2.2]", "192.0.2.2"), "conninfo 192.0.2.2")
W.reply(conn, SMFIR_REPLYCODE, "connect from 192.0.2.2 (in zen)")
mt.disconnect(conn)
listed("2.2.0.192.zen.spamhaus.org", "connect from 192.0.2.2")
print("ok: 192.0.2.2 (zen 127.0.0.2) is refused at connect")

-- Spamhaus's "query via a public resolver" code is no listing.
conn = W.connect()
W.ok(mt.conninfo(conn, "[192.0.2.254]", "192.0.2.254"), "conninfo 192.0.2.254")
W.reply(conn, SMFIR_CONTINUE, "connect from 192.0.2.254 (zen 127.255.255.254)")
mt.disconnect(conn)
listed("254.2.0.192.zen.spamhaus.org", "connect from 192.0.2.254")
print("ok: 192.0.2.254 (zen's error code 127.255.255.254) goes on")

-- Listed in bl.test-dnsbl.example as 127.0.0.4, which the rule's
-- filter (=127.0.0.3) leaves out.
conn = W.connect()
W.ok(mt.conninfo(conn, "[203.0.113.7]", "203.0.113.7"), "conninfo 203.0.113.7")
W.reply(conn, SMFIR_CONTINUE, "connect from 203.0.113.7 (127.0.0.4, filter =127.0.0.3)")
mt.disconnect(conn)
listed("7.113.0.203.bl.test-dnsbl.example", "connect from 203.0.113.7")
print("ok: 203.0.113.7 (127.0.0.4 under a =127.0.0.3 filter) goes on")

-- A listed HELO name, from an unlisted client.
conn = W.connect()
W.ok(mt.conninfo(conn, "[192.0.2.99]", "192.0.2.99"), "conninfo 192.0.2.99")
W.reply(conn, SMFIR_CONTINUE, "connect from 192.0.2.99 (listed nowhere)")
W.ok(mt.helo(conn, "spam-domain.example"), "helo")
W.reply(conn, SMFIR_REPLYCODE, "HELO spam-domain.example (in dbl.test-dnsbl)")
mt.disconnect(conn)
listed("99.2.0.192.zen.spamhaus.org", "connect from 192.0.2.99")
listed("spam-domain.example.dbl.test-dnsbl.example", "HELO spam-domain.example")
print("ok: 192.0.2.99 goes on at connect; HELO spam-domain.example is refused")

-- A listed sender's domain; then, on the same connection, one whose
-- answer is the DBL's error code 127.255.255.254 (no listing), and a
-- whole message from an unlisted sender, accepted.
conn = W.connect()
W.ok(mt.conninfo(conn, "[192.0.2.99]", "192.0.2.99"), "conninfo 192.0.2.99")
W.reply(conn, SMFIR_CONTINUE, "connect from 192.0.2.99")
W.ok(mt.helo(conn, "mail.example.com"), "helo")
W.reply(conn, SMFIR_CONTINUE, "HELO mail.example.com (listed nowhere)")
W.ok(mt.mailfrom(conn, "<sender@spam-domain.example>"), "mailfrom")
W.reply(conn, SMFIR_REPLYCODE, "MAIL FROM sender@spam-domain.example (in the DBL)")
listed("spam-domain.example.dbl.spamhaus.org", "MAIL FROM sender@spam-domain.example")
print("ok: MAIL FROM <sender@spam-domain.example> is refused")

W.ok(mt.mailfrom(conn, "<sender@dbl-blocked.example>"), "mailfrom")
W.reply(conn, SMFIR_CONTINUE, "MAIL FROM sender@dbl-blocked.example (DBL 127.255.255.254)")
listed("dbl-blocked.example.dbl.spamhaus.org", "MAIL FROM sender@dbl-blocked.example")
W.ok(mt.abort(conn), "abort")
print("ok: MAIL FROM <sender@dbl-blocked.example> (the DBL's error code) goes on")

W.message(conn, { from = "<sender@example.com>", want = SMFIR_ACCEPT })
W.clean_status(conn)
listed("example.com.dbl.spamhaus.org", "MAIL FROM sender@example.com")
mt.disconnect(conn)
print("ok: a message from 192.0.2.99, sender@example.com, is accepted, clean")

