-- dnsbl_slow.lua -- a list that answers late does not hold the SMTP
-- stage past dns_timeout: slow.test-dnsbl.example answers 3 s late, the
-- resolver waits 1 s (dns_timeout), so the connect stage answers within
-- 2.5 s; the unanswered lookup counts as not listed (on_dns_error =
-- scan, the default), while a list that did answer in time still refuses.
-- The message's verdict line says dns=timeout.
-- dnsd: @libdir@/../data/dns/blocklists.zone
-- config: dns_resolver = 127.0.0.1:@dnsd_port@
-- config: dns_timeout = 1s
-- config: rules = @libdir@/dnsbl_slow.rules
-- expect-log: connect from [^ ]*\[192\.0\.2\.2\]: reject \(.*DNSBL_ZEN.*\) reply="554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.2\] blocked using zen\.spamhaus\.org"$
-- expect-log: client=[^ ]*\[192\.0\.2\.99\] from=<sender@example\.com> .*action=accept .* dns=timeout
-- forbid-log: 192\.0\.2\.99\].*: reject
dofile(libdir .. "/lib.lua")

local LIMIT = 1 + 1.5	-- dns_timeout, and room for a busy machine

-- Listed nowhere; the slow list's NXDOMAIN comes 3 s late.
local conn = W.connect()
local t0 = W.now()
W.ok(mt.conninfo(conn, "[192.0.2.99]", "192.0.2.99"), "conninfo 192.0.2.99")
W.reply(conn, SMFIR_CONTINUE, "connect from 192.0.2.99")
local dt = W.now() - t0
-- (The resolver may ask again before the answer comes.)
W.check(W.dnsd_queries("udp 99.2.0.192.slow.test-dnsbl.example A") >= 1,
    "the slow list was not asked about 192.0.2.99")
W.check(dt < LIMIT, string.format("the connect stage took %.2f s with " ..
    "dns_timeout = 1s, want < %.1f s", dt, LIMIT))
print(string.format("ok: connect from 192.0.2.99 answered in %.2f s " ..
    "(slow list 3 s late, dns_timeout 1 s)", dt))

-- The message goes through, its verdict line saying dns=timeout.
W.ok(mt.helo(conn, "mail.example.com"), "helo")
W.reply(conn, SMFIR_CONTINUE, "helo")
t0 = W.now()
W.message(conn, { from = "<sender@example.com>", want = SMFIR_ACCEPT })
dt = W.now() - t0
W.check(dt < LIMIT, string.format("the message took %.2f s, want < %.1f s",
    dt, LIMIT))
mt.disconnect(conn)
W.wait_log("dns=timeout", 1)
print(string.format("ok: the message is accepted in %.2f s, dns=timeout " ..
    "in its verdict line", dt))

-- Listed in zen (answered at once) and in the slow list (late): refused
-- with zen's reply, after at most dns_timeout.
conn = W.connect()
t0 = W.now()
W.ok(mt.conninfo(conn, "[192.0.2.2]", "192.0.2.2"), "conninfo 192.0.2.2")
W.reply(conn, SMFIR_REPLYCODE, "connect from 192.0.2.2 (zen)")
dt = W.now() - t0
mt.disconnect(conn)
W.check(dt < LIMIT, string.format("the connect stage took %.2f s, want " ..
    "< %.1f s", dt, LIMIT))
print(string.format("ok: 192.0.2.2 refused at connect in %.2f s", dt))
