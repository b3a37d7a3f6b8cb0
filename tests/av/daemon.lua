-- daemon.lua -- one message through the running daemon (miltertest):
-- the headers below and the body in the file named by "body"; prints
-- "verdict NAME".  Run by tests/av/daemon.sh.
local names = {
	[SMFIR_ACCEPT] = "accept", [SMFIR_CONTINUE] = "continue",
	[SMFIR_REJECT] = "reject", [SMFIR_TEMPFAIL] = "tempfail",
	[SMFIR_DISCARD] = "discard", [SMFIR_REPLYCODE] = "replycode",
}
local function step(rc, what)
	if rc ~= nil then
		print("verdict error " .. what .. ": " .. tostring(rc))
		os.exit(1)
	end
end
local conn = mt.connect(sock, 50, 0.1)
if conn == nil then
	print("verdict error connect")
	os.exit(1)
end
step(mt.conninfo(conn, "client.example", "198.51.100.7"), "conninfo")
step(mt.helo(conn, "client.example"), "helo")
step(mt.mailfrom(conn, "<sender@example.com>"), "mailfrom")
step(mt.rcptto(conn, "<rcpt@example.org>"), "rcptto")
step(mt.header(conn, "From", "Sender <sender@example.com>"), "header")
step(mt.header(conn, "To", "<rcpt@example.org>"), "header")
step(mt.header(conn, "Subject", "daemon test"), "header")
step(mt.header(conn, "Message-ID", "<" .. tostring(os.time()) .. "@example.com>"), "header")
step(mt.header(conn, "MIME-Version", "1.0"), "header")
step(mt.header(conn, "Content-Type", "multipart/mixed; boundary=\"=_b1\""), "header")
step(mt.eoh(conn), "eoh")
local f = io.open(body, "rb")
local b = f:read("*a")
f:close()
step(mt.bodystring(conn, b), "body")
step(mt.eom(conn), "eom")
local r = mt.getreply(conn)
local v = mt.getheader(conn, "X-Virus-Status", 0)
print("verdict " .. (names[r] or tostring(r)) .. " " .. tostring(v))
mt.disconnect(conn)
