-- partial.lua -- a message larger than max_scan_size is scanned up to the
-- limit and said to be so (X-Spam-Status "scan=partial"), never skipped
-- in silence; Warden may ask the MTA to skip the rest of the body.
-- config: spool_memory_limit = 16k
-- config: max_scan_size = 100k
-- expect-log: size=[0-9]+ action=accept .* scan=partial
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.client(conn)
W.envelope(conn)
W.headers(conn, { { "Subject", "padded" } })
W.ok(mt.eoh(conn), "eoh")
local chunk = string.rep(string.rep("p", 62) .. "\r\n", 900)
local skipped = false
for i = 1, 20 do
	W.ok(mt.bodystring(conn, chunk), "body")
	local r = mt.getreply(conn)
	if r == SMFIR_SKIP then
		skipped = true
		break
	end
	W.check(r == SMFIR_CONTINUE, "body reply " .. tostring(r))
end
W.check(skipped, "Warden did not ask to skip the rest of the body")
W.eom(conn, SMFIR_ACCEPT)
local v = mt.getheader(conn, "X-Spam-Status", 0)
W.check(v ~= nil and string.find(v, " scan=partial", 1, true),
    "X-Spam-Status does not say scan=partial: " .. tostring(v))
mt.disconnect(conn)
