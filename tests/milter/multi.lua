-- multi.lua -- several messages on one connection: each is judged on its
-- own, gets its own X-Spam-Status and log line, and the connection's
-- client stays known.
-- expect-log-count: 3 client=client\.example\[198\.51\.100\.7\] from=<sender[123]@example\.com> nrcpt=[123] .*action=accept score=0\.0
-- expect-log: Q1: client=.* from=<sender1@example.com> nrcpt=1
-- expect-log: Q3: client=.* from=<sender3@example.com> nrcpt=3
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.client(conn)
for i = 1, 3 do
	local rcpts = {}
	for j = 1, i do
		rcpts[j] = "<rcpt" .. j .. "@example.org>"
	end
	mt.macro(conn, SMFIC_MAIL, "i", "Q" .. i)
	W.message(conn, { from = "<sender" .. i .. "@example.com>",
	    rcpts = rcpts, subject = "message " .. i, body = 1000 * i })
	W.clean_status(conn)
	W.check(not mt.eom_check(conn, MT_HDRDELETE),
	    "a header was removed from message " .. i)
end
mt.disconnect(conn)
