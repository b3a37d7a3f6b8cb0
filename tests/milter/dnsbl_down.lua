-- dnsbl_down.lua -- the resolver is down (dns_resolver names a port of
-- 127.0.0.1 nobody listens on): with on_dns_error = scan (the default)
-- an unanswered lookup counts as not listed, so mail from a client, a
-- HELO name and a sender that dnsbl.rules would refuse still flows, each
-- stage within dns_timeout, and the verdict line says dns=timeout or
-- dns=error.
-- config: dns_resolver = 127.0.0.1:9
-- config: dns_timeout = 1s
-- config: rules = @libdir@/dnsbl.rules
-- expect-log: client=[^ ]*\[192\.0\.2\.2\] from=<sender@spam-domain\.example> .*action=accept .* dns=(timeout|error)
-- forbid-log: : reject \(
dofile(libdir .. "/lib.lua")

local LIMIT = 1 + 1.5	-- dns_timeout, and room for a busy machine

-- Nobody may answer on port 9 (discard) of 127.0.0.1, UDP or TCP.
for _, f in ipairs({ "/proc/net/udp", "/proc/net/tcp" }) do
	local h = io.open(f)
	if h ~= nil then
		for l in h:lines() do
			W.check(not string.find(l, "^%s*%d+: 0100007F:0009 ") and
			    not string.find(l, "^%s*%d+: 00000000:0009 "),
			    "something listens on port 9 (" .. f .. "): this " ..
			    "test needs it closed")
		end
		h:close()
	end
end

local function timed(what, f)
	local t0 = W.now()
	f()
	local dt = W.now() - t0
	W.check(dt < LIMIT, string.format("%s took %.2f s with dns_timeout " ..
	    "= 1s, want < %.1f s", what, dt, LIMIT))
	print(string.format("ok: %s: on, in %.2f s", what, dt))
end

local conn = W.connect()
timed("connect from 192.0.2.2 (in zen)", function()
	W.ok(mt.conninfo(conn, "[192.0.2.2]", "192.0.2.2"), "conninfo")
	W.reply(conn, SMFIR_CONTINUE, "connect from 192.0.2.2, resolver down")
end)
timed("HELO spam-domain.example", function()
	W.ok(mt.helo(conn, "spam-domain.example"), "helo")
	W.reply(conn, SMFIR_CONTINUE, "HELO spam-domain.example, resolver down")
end)
timed("MAIL FROM <sender@spam-domain.example>", function()
	W.ok(mt.mailfrom(conn, "<sender@spam-domain.example>"), "mailfrom")
	W.reply(conn, SMFIR_CONTINUE, "MAIL FROM, resolver down")
end)
W.ok(mt.rcptto(conn, "<rcpt@example.org>"), "rcptto")
W.reply(conn, SMFIR_CONTINUE, "rcptto")
W.headers(conn, {
	{ "From", "Sender <sender@spam-domain.example>" },
	{ "To", "rcpt@example.org" },
	{ "Subject", "resolver down" },
})
W.ok(mt.eoh(conn), "eoh")
W.reply(conn, SMFIR_CONTINUE, "eoh")
W.body(conn, 100)
timed("end of message", function()
	W.eom(conn, SMFIR_ACCEPT)
end)
W.check(mt.eom_check(conn, MT_HDRADD, "X-Spam-Status"), "no X-Spam-Status added")
mt.disconnect(conn)
W.wait_log("dns=", 1)
print("ok: the message is accepted, its verdict line has dns=")
