-- dkim_sign.lua -- DKIM signing through the milter protocol: a sender
-- authenticated by SMTP AUTH ({auth_authen}) with signing on
-- (dkim_sign_domains, an Ed25519 test key, dkim_sign.pem) goes on to the
-- end of the message unscanned and gets a DKIM-Signature inserted on
-- top, for origin.example, which dkimpy verifies on the message as sent
-- with that field added (the key record given to it directly); the next
-- message on the connection, not authenticated, is scanned and not
-- signed.
-- config: dkim_sign_domains = origin.example:mt:@libdir@/dkim_sign.pem
-- expect-log: from=<alice@origin\.example> .*dkim_signed=origin\.example
dofile(libdir .. "/lib.lua")

local KEY = "v=DKIM1; k=ed25519; p=pxvdYaZVGr1xKYBwRvGu+MkResgq3CeTEFDh5oqkufI="
local headers = {
	{ "From", "Alice <alice@origin.example>" },
	{ "To", "bob@example.org" },
	{ "Subject", "signed on its way out" },
	{ "Date", "Thu, 03 Dec 2026 10:00:00 +0000" },
	{ "Message-ID", "<dkim-sign-mt@origin.example>" } }
local body = "Hello Bob,\r\n\r\nthe figures are attached.\r\n"

local conn = W.connect()
W.client(conn, "laptop.origin.example", "198.51.100.9")
mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "alice", "i", "SIGN1")
W.ok(mt.mailfrom(conn, "<alice@origin.example>"), "mailfrom")
W.reply(conn, SMFIR_CONTINUE, "authenticated MAIL FROM, to be signed")
W.ok(mt.rcptto(conn, "<bob@example.org>"), "rcptto")
W.reply(conn, SMFIR_CONTINUE, "rcptto")
W.headers(conn, headers)
W.ok(mt.eoh(conn), "eoh")
W.reply(conn, SMFIR_CONTINUE, "eoh")
W.ok(mt.bodystring(conn, body), "body")
W.reply(conn, SMFIR_CONTINUE, "body")
W.eom(conn, SMFIR_ACCEPT)
W.check(mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature"),
    "no DKIM-Signature inserted")
local sig = mt.getheader(conn, "DKIM-Signature", 0)
W.check(sig ~= nil and string.find(sig, "d=origin.example", 1, true) ~= nil
    and string.find(sig, "s=mt", 1, true) ~= nil
    and string.find(sig, "a=ed25519-sha256", 1, true) ~= nil,
    "the DKIM-Signature is \"" .. tostring(sig) .. "\"")
W.check(not mt.eom_check(conn, MT_HDRINSERT, "X-Spam-Status") and
    not mt.eom_check(conn, MT_HDRADD, "X-Spam-Status"),
    "the authenticated message was scanned")

-- The message as it leaves, the signature on top, verified by dkimpy.
local dir = os.getenv("TMPDIR") or "/tmp"
local path = dir .. "/warden-dkim-sign-mt-" .. W.run("echo $$"):gsub("%s", "") .. ".eml"
local f = io.open(path, "wb")
W.check(f ~= nil, "cannot write " .. path)
f:write("DKIM-Signature: " .. sig .. "\r\n")
for _, h in ipairs(headers) do
	f:write(h[1] .. ": " .. h[2] .. "\r\n")
end
f:write("\r\n" .. body)
f:close()
local out = W.run("/usr/bin/python3 -c '\n" ..
    "import sys, dkim\n" ..
    "m = open(sys.argv[1], \"rb\").read()\n" ..
    "ok = dkim.verify(m, dnsfunc=lambda n, timeout=5: sys.argv[2].encode())\n" ..
    "print(\"verified\" if ok else \"not verified\")' " .. path ..
    " '" .. KEY .. "' 2>&1; rm -f " .. path)
W.check(string.find(out, "verified", 1, true) == 1,
    "dkimpy on the signed message: " .. tostring(out))
print("ok: signed for origin.example, and dkimpy verifies it")

-- Not authenticated: scanned, not signed.
mt.macro(conn, SMFIC_MAIL, "i", "PLAIN2")
W.message(conn, { from = "<carol@origin.example>" })
W.check(not mt.eom_check(conn, MT_HDRINSERT, "DKIM-Signature"),
    "a message not authenticated was signed")
W.clean_status(conn)
print("ok: the next message, not authenticated, is scanned and not signed")
mt.disconnect(conn)
