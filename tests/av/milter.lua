-- milter.lua -- one message through the daemon (run by tests/av/milter.sh):
-- "bad" must be refused with the virus reply, "good" accepted with the
-- X-Virus-* headers.  Prints "ok ..." or "FAIL ...".
local function step(rc, what)
	if rc ~= nil then
		print("FAIL " .. what .. ": " .. tostring(rc))
		os.exit(1)
	end
end
local conn = mt.connect(sock, 50, 0.1)
if conn == nil then
	print("FAIL connect")
	os.exit(1)
end
step(mt.conninfo(conn, "client.example", "198.51.100.7"), "conninfo")
step(mt.helo(conn, "client.example"), "helo")
step(mt.mailfrom(conn, "<sender@example.com>"), "mailfrom")
step(mt.rcptto(conn, "<rcpt@example.org>"), "rcptto")
step(mt.header(conn, "From", "Sender <sender@example.com>"), "header")
step(mt.header(conn, "To", "<rcpt@example.org>"), "header")
step(mt.header(conn, "Subject", "attachment"), "header")
step(mt.header(conn, "MIME-Version", "1.0"), "header")
step(mt.header(conn, "Content-Type", "multipart/mixed; boundary=\"=_b1\""), "header")
step(mt.eoh(conn), "eoh")
local f = io.open(body, "rb")
local b = f:read("*a")
f:close()
step(mt.bodystring(conn, b), "body")
step(mt.eom(conn), "eom")
local r = mt.getreply(conn)
if kind == "bad" then
	if r ~= SMFIR_REPLYCODE or not mt.eom_check(conn, MT_SMTPREPLY, "554",
	    "5.7.1", "Message rejected: virus found (Warden.Test.ClamExe.UNOFFICIAL)") then
		print("FAIL infected: reply " .. tostring(r))
		os.exit(1)
	end
	print("ok refused with 554 5.7.1 Message rejected: virus found (Warden.Test.ClamExe.UNOFFICIAL)")
else
	local scanned = mt.getheader(conn, "X-Virus-Scanned", 0)
	local status = mt.getheader(conn, "X-Virus-Status", 0)
	if r ~= SMFIR_ACCEPT or status ~= "Clean" or scanned == nil or
	    not string.find(scanned, "^Warden .* %(ClamAV ") then
		print("FAIL clean: reply " .. tostring(r) .. " status " ..
		    tostring(status) .. " scanned " .. tostring(scanned))
		os.exit(1)
	end
	print("ok accepted with X-Virus-Status: Clean, X-Virus-Scanned: " .. scanned)
end
mt.disconnect(conn)
