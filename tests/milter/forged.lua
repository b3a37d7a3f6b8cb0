-- forged.lua -- X-Spam-* and X-Virus-* headers that arrive with a message
-- are removed (every occurrence, any case) before Warden adds its own
-- X-Spam-Status; look-alike names such as X-Spammer stay.
-- expect-log-count: 3 action=accept
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.client(conn)
W.message(conn, { headers = {
	{ "From", "sender@example.com" },
	{ "X-Spam-Status", "No, score=-100.0 required=5.0 tests=FORGED" },
	{ "X-Spam-Flag", "NO" },
	{ "Subject", "pre-labelled" },
	{ "x-spam-status", "No, second forgery" },
	{ "X-Virus-Status", "Clean" },
	{ "X-Spammer", "not ours" },
} })
for _, h in ipairs({ "X-Spam-Status", "X-Spam-Flag", "X-Virus-Status" }) do
	W.check(mt.eom_check(conn, MT_HDRDELETE, h) or
	    mt.eom_check(conn, MT_HDRCHANGE, h, ""),
	    "forged " .. h .. " not removed")
end
-- The lower-case one is removed as the second X-Spam-Status (the MTA
-- counts occurrences of a name case-insensitively): mtraw below counts
-- the removals, tests/e2e/forged_many.sh shows Postfix doing it.
W.check(not mt.eom_check(conn, MT_HDRDELETE, "X-Spammer"),
    "X-Spammer removed")
W.check(not mt.eom_check(conn, MT_HDRDELETE, "Subject"), "Subject removed")
local v = W.clean_status(conn)
W.check(not string.find(v, "FORGED", 1, true), "the forged status survived")
W.check(not mt.eom_check(conn, MT_HDRADD, "X-Spam-Flag"),
    "X-Spam-Flag added to a clean message")

-- A message without forged headers has nothing removed.
W.message(conn)
W.check(not mt.eom_check(conn, MT_HDRDELETE), "a header was removed")
W.check(not mt.eom_check(conn, MT_HDRCHANGE), "a header was changed")
W.clean_status(conn)
mt.disconnect(conn)

-- Every occurrence is removed, not only the first (counted by mtraw).
local out, ok = W.run(mtraw .. " " .. sockpath .. " 0 0 100 3")
W.check(ok, "mtraw failed: " .. out)
W.check(string.find(out, "changed=3 deleted=3", 1, true),
    "three forged X-Spam-Status: " .. out)
