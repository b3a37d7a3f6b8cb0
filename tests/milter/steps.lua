-- steps.lua -- what Warden agrees with an MTA holds for that connection
-- only: two MTAs (or Postfix's smtpd and cleanup) may offer different
-- protocol steps, and one connection's negotiation must not change how
-- Warden answers on another.  Observable with SMFIP_SKIP: Warden asks to
-- skip the rest of a body past max_scan_size only on a connection whose
-- MTA offered SMFIR_SKIP.
-- config: spool_memory_limit = 16k
-- config: max_scan_size = 100k
-- expect-log-count: 2 action=accept .* scan=partial
dofile(libdir .. "/lib.lua")

-- The steps Warden asks for, without SMFIP_SKIP.  (miltertest's
-- mt.negotiate takes the steps before the actions, whatever its manual
-- says.)
local NOSKIP = SMFIP_NOUNKNOWN + SMFIP_NODATA + SMFIP_NR_HDR

local function negotiate(steps, what)
	local conn = W.connect()
	W.ok(mt.negotiate(conn, 6, steps, nil), "negotiate " .. what)
	W.check(mt.test_action(conn, SMFIF_CHGHDRS), what .. ": negotiation")
	return conn
end

-- A message with a body of 20 x 57 kB, three times max_scan_size; the
-- body replies: "skip" when Warden asked to skip (then the body stops),
-- else every one must be "continue".
local function big_message(conn, what)
	W.client(conn)
	W.envelope(conn)
	W.headers(conn, { { "Subject", "padded" } })
	W.ok(mt.eoh(conn), "eoh")
	W.reply(conn, SMFIR_CONTINUE, what .. ": eoh")
	local chunk = string.rep(string.rep("p", 62) .. "\r\n", 900)
	local skipped = false
	for i = 1, 20 do
		W.ok(mt.bodystring(conn, chunk), "body")
		local r = mt.getreply(conn)
		if r == SMFIR_SKIP then
			skipped = true
			break
		end
		W.check(r == SMFIR_CONTINUE, what .. ": body reply " ..
		    tostring(r))
	end
	W.eom(conn, SMFIR_ACCEPT)
	return skipped
end

-- A cannot take SMFIR_SKIP; B, negotiated after it, can.
local a = negotiate(NOSKIP, "without SMFIP_SKIP")
W.check(not mt.test_option(a, SMFIP_SKIP), "SMFIP_SKIP agreed, not offered")
local b = negotiate(NOSKIP + SMFIP_SKIP, "with SMFIP_SKIP")
W.check(mt.test_option(b, SMFIP_SKIP), "SMFIP_SKIP offered, not agreed")
W.check(not big_message(a, "without SMFIP_SKIP"),
    "Warden sent SMFIR_SKIP to an MTA that did not offer it")

-- C, negotiated after B, cannot take SMFIR_SKIP: B still can.
local c = negotiate(NOSKIP, "without SMFIP_SKIP, later")
W.check(big_message(b, "with SMFIP_SKIP"),
    "Warden did not ask to skip on the connection that offered SMFIP_SKIP")
mt.disconnect(a)
mt.disconnect(b)
mt.disconnect(c)
