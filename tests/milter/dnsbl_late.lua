-- dnsbl_late.lua -- a list that answers 2 s late is read within a
-- dns_timeout of 6 s: the client 192.0.2.2, listed in
-- late.test-dnsbl.example, is refused at connect (dnsbl_late.rules).
-- It failed while the resolver asked again after libunbound's 376 ms
-- and dropped the answers to the queries it gave up on: an answer 2 s
-- late never arrived in time.
-- dnsd: @libdir@/dnsbl_late.zone
-- config: dns_resolver = 127.0.0.1:@dnsd_port@
-- config: dns_timeout = 6s
-- config: rules = @libdir@/dnsbl_late.rules
-- expect-log: connect from [^ ]*\[192\.0\.2\.2\]: reject \(rule W_LATE\) reply="554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.2\] blocked using late\.test-dnsbl\.example"$
dofile(libdir .. "/lib.lua")

local conn = W.connect()
local t0 = W.now()
W.ok(mt.conninfo(conn, "[192.0.2.2]", "192.0.2.2"), "conninfo")
local got = mt.getreply(conn)
local dt = W.now() - t0
mt.disconnect(conn)
local n = W.dnsd_queries("udp 2.2.0.192.late.test-dnsbl.example A")
W.check(got == SMFIR_REPLYCODE, string.format("connect from 192.0.2.2 " ..
    "(late.test-dnsbl.example answers in 2 s, dns_timeout 6 s): not " ..
    "refused after %.2f s; the list was asked %d times", dt, n))
print(string.format("ok: 192.0.2.2 refused at connect after %.2f s " ..
    "(%d queries)", dt, n))
