-- authres.lua -- sender authentication through the milter protocol
-- (authentication = yes, dmarc_policy = enforce, the private DNS
-- server with tests/data/dns/auth.zone):
--  - an aligned message (SPF pass for spf-pass.example) is accepted with
--    an Authentication-Results field inserted on top, naming our
--    authserv-id, spf=pass and dmarc=pass;
--  - the sender's Authentication-Results fields that claim our
--    authserv-id (any case, with a comment) are removed, another
--    server's is kept;
--  - a forged From of a p=reject domain is refused at the end of the
--    message with 550 5.7.1 naming the domain;
--  - the DMARC records (of the From domain and of its organizational
--    domain) and the DKIM key a DKIM-Signature names are asked at the
--    end of the headers, before the body comes.
-- dnsd: @libdir@/../data/dns/auth.zone
-- config: dns_resolver = 127.0.0.1:@dnsd_port@
-- config: dns_timeout = 3s
-- config: authentication = yes
-- config: authserv_id = mx.warden.test
-- config: dmarc_policy = enforce
-- expect-log: from=<a@spf-pass\.example> .*action=accept .* spf=pass dkim=none dmarc=pass
-- expect-log: from=<bounce@x\.example> .*action=reject .* dmarc=fail .*why="DMARC policy reject of forged\.example"
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.ok(mt.conninfo(conn, "mail.spf-pass.example", "198.51.100.7"), "conninfo")
W.reply(conn, SMFIR_CONTINUE, "connect")
W.ok(mt.helo(conn, "mail.spf-pass.example"), "helo")
W.reply(conn, SMFIR_CONTINUE, "helo")
W.message(conn, { from = "<a@spf-pass.example>", headers = {
	{ "Authentication-Results",
	    "mx.warden.test; spf=pass smtp.mailfrom=someone@forged.example" },
	{ "From", "A <a@spf-pass.example>" },
	{ "To", "rcpt@example.org" },
	{ "Authentication-Results", "other.example; dkim=pass header.d=x" },
	{ "Authentication-Results", "MX.Warden.Test (forged); dmarc=pass" },
	{ "Subject", "aligned" } } })
W.check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"),
    "no Authentication-Results inserted")
local ar = mt.getheader(conn, "Authentication-Results", 0)
W.check(ar ~= nil, "cannot read the inserted Authentication-Results")
W.check(string.find(ar, "mx.warden.test; spf=pass " ..
    "smtp.mailfrom=a@spf-pass.example", 1, true) ~= nil,
    "Authentication-Results is \"" .. tostring(ar) .. "\"")
W.check(string.find(ar, "dmarc=pass", 1, true) ~= nil,
    "no dmarc=pass in \"" .. tostring(ar) .. "\"")
W.check(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results") or
    mt.eom_check(conn, MT_HDRCHANGE, "Authentication-Results", ""),
    "the forged Authentication-Results were not removed")
print("ok: aligned message accepted, Authentication-Results: " .. ar)

-- A forgery of a p=reject domain, refused at the end of the message.
W.message(conn, { from = "<bounce@x.example>", headers = {
	{ "From", "CEO <ceo@forged.example>" },
	{ "To", "rcpt@example.org" },
	{ "Subject", "urgent wire transfer" } }, want = SMFIR_REPLYCODE })
print("ok: the p=reject forgery was refused")

-- Lookups started at the end of the headers.
W.envelope(conn, "<bounce@x.example>")
W.headers(conn, {
	{ "DKIM-Signature", "v=1; a=rsa-sha256; d=forged.example; " ..
	    "s=early; h=from; bh=AAAA; b=AAAA" },
	{ "From", "CEO <ceo@news.forged.example>" },
	{ "To", "rcpt@example.org" },
	{ "Subject", "early lookups" } })
W.ok(mt.eoh(conn), "eoh")
W.reply(conn, SMFIR_CONTINUE, "eoh")
local seen = W.dnsd_asked({ "_dmarc.news.forged.example TXT",
    "_dmarc.forged.example TXT", "early._domainkey.forged.example TXT" }, 5)
W.check(seen, "the DMARC records and the DKIM key were not asked " ..
    "at the end of the headers")
W.body(conn, 100)
W.eom(conn, SMFIR_REPLYCODE)
print("ok: DMARC records and the DKIM key asked before the body, " ..
    "the forgery refused")
mt.disconnect(conn)
