-- dnsbl_wait.lua -- the end of the message waits, up to dns_timeout,
-- for the client's lookups that were started at connect: a SpamAssassin
-- network rule (check_rbl, dnsbl_wait.rules) on a list that answers
-- 0.5 s late hits on a message sent right after the connect, and the
-- verdict line has no dns= trouble.
-- dnsd: @libdir@/dnsbl_late.zone
-- config: dns_resolver = 127.0.0.1:@dnsd_port@
-- config: dns_timeout = 4s
-- config: rules = @libdir@/dnsbl_wait.rules
-- expect-log: client=[^ ]*\[192\.0\.2\.2\] from=<sender@example\.com> .* tests=W_HALF_RBL 
-- forbid-log: dns=
dofile(libdir .. "/lib.lua")

local conn = W.connect()
local t0 = W.now()
W.ok(mt.conninfo(conn, "[192.0.2.2]", "192.0.2.2"), "conninfo")
W.reply(conn, SMFIR_CONTINUE, "connect from 192.0.2.2")
W.ok(mt.helo(conn, "mail.example.com"), "helo")
W.reply(conn, SMFIR_CONTINUE, "helo")
W.message(conn, { from = "<sender@example.com>", want = SMFIR_ACCEPT })
local dt = W.now() - t0
local st = mt.getheader(conn, "X-Spam-Status", 0)
mt.disconnect(conn)
W.check(st ~= nil, "no X-Spam-Status added")
W.check(string.find(st, "tests=W_HALF_RBL ", 1, true) ~= nil,
    string.format("X-Spam-Status is \"%s\" after %.2f s: want " ..
    "tests=W_HALF_RBL (the list answers 0.5 s late, dns_timeout is 4 s)",
    st, dt))
W.check(dt < 4 + 1.5, string.format("the session took %.2f s", dt))
print(string.format("ok: W_HALF_RBL hits at the end of the message, " ..
    "%.2f s after the connect", dt))
