-- forged_many.lua -- a sender who floods the message with distinct
-- X-Spam-* names before a forged "X-Spam-Status: No" must not get the
-- forgery delivered: every header of Warden's names is removed, however
-- many there are, and a message with more distinct names than Warden
-- keeps (max_header_count) is refused rather than passed on with some
-- of them left in place.
-- config: rules = @libdir@/forged_many.rules
-- expect-log-count: 2 action=accept
-- expect-log-count: 2 action=tempfail .*limit=header_count
-- forbid-log: action=(accept|tag|quarantine) .*limit=header_count
dofile(libdir .. "/lib.lua")

-- Headers: From, njunk distinct "X-Spam-Junk-N" names, then a forged
-- X-Spam-Status (twice: the second gets index 2) and X-Virus-Status.
local function flood(conn, njunk, rcpts)
	W.envelope(conn, nil, rcpts)
	W.headers(conn, { { "From", "sender@example.com" },
	    { "Subject", "flooded" } })
	for i = 1, njunk do
		W.ok(mt.header(conn, "X-Spam-Junk-" .. i, "junk " .. i),
		    "junk header " .. i)
	end
	W.headers(conn, {
		{ "X-Spam-Status", "No, score=-100.0 tests=FORGED" },
		{ "x-spam-status", "No, FORGED again" },
		{ "X-Virus-Status", "Clean (FORGED)" },
	})
	W.ok(mt.eoh(conn), "eoh")
	W.reply(conn, SMFIR_CONTINUE, "eoh")
	W.body(conn, 100)
end

local conn = W.connect()
W.client(conn)

-- 64 junk names (what Warden used to track) and 200: every forged
-- header is removed, and the status Warden adds is its own.
for _, njunk in ipairs({ 64, 200 }) do
	flood(conn, njunk)
	W.eom(conn, SMFIR_ACCEPT)
	for _, h in ipairs({ "X-Spam-Status", "X-Virus-Status",
	    "X-Spam-Junk-1", "X-Spam-Junk-" .. njunk }) do
		W.check(mt.eom_check(conn, MT_HDRDELETE, h),
		    njunk .. " junk names: forged " .. h .. " not removed")
	end
	local v = W.clean_status(conn)
	W.check(not string.find(v, "FORGED", 1, true),
	    njunk .. " junk names: the forged status survived")
end

-- More distinct names than max_header_count (1000 by default): not all
-- can be removed, so the message is not delivered.
flood(conn, 1000)
W.eom(conn, SMFIR_REPLYCODE)
W.check(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1",
    "Message cannot be accepted now, try again later"),
    "1000 junk names: not the configured tempfail reply")
W.check(not mt.eom_check(conn, MT_HDRADD), "headers added to refused mail")

-- The same when a recipient rule decided to hold the message before the
-- headers came: a held message is released later, forgery included.
flood(conn, 1000, { "<hold@example.org>" })
W.eom(conn, SMFIR_REPLYCODE)
W.check(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1",
    "Message cannot be accepted now, try again later"),
    "1000 junk names, held: not the configured tempfail reply")
W.check(not mt.eom_check(conn, MT_QUARANTINE), "held with forged headers")
mt.disconnect(conn)
