-- arc_lib.lua -- for arc.lua and arc_untrusted.lua: send arc_sealed.eml
-- (a p=reject origin's message, changed and sealed by lists.example)
-- from the list's server, and return its end-of-message reply.
function send_sealed(want)
	local f = io.open(libdir .. "/arc_sealed.eml", "rb")
	W.check(f ~= nil, "cannot read arc_sealed.eml")
	local text = f:read("*a")
	f:close()
	local sep = string.find(text, "\r\n\r\n", 1, true)
	W.check(sep ~= nil, "arc_sealed.eml has no body")
	local head, body = string.sub(text, 1, sep + 1), string.sub(text, sep + 4)
	local headers = {}
	for line in string.gmatch(head, "(.-)\r\n") do
		if string.match(line, "^[ \t]") then
			-- a folded line: part of the field before (as an MTA
			-- passes it, LF before the white space)
			local h = headers[#headers]
			h[2] = h[2] .. "\n" .. line
		else
			local name, value = string.match(line, "^([^:]+):[ \t]?(.*)$")
			W.check(name ~= nil, "bad header line: " .. line)
			headers[#headers + 1] = { name, value }
		end
	end
	local conn = W.connect()
	W.client(conn, "mail.lists.example", "192.0.2.10")
	W.envelope(conn, "<bounce@lists.example>", { "<bob@example.org>" })
	W.headers(conn, headers)
	W.ok(mt.eoh(conn), "eoh")
	W.reply(conn, SMFIR_CONTINUE, "eoh")
	W.ok(mt.bodystring(conn, body), "body")
	W.reply(conn, SMFIR_CONTINUE, "body")
	W.eom(conn, want)
	return conn
end
