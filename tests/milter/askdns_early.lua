-- askdns_early.lua -- AskDNS lookups start at the end of the headers
-- when the headers give their tags: the From domain's and the envelope
-- sender's names under fresh.fmb.la are asked before the body comes
-- (askdns_early.rules, tests/data/dns/blocklists.zone), and the rule
-- on the From domain hits at the end of the message.
-- dnsd: @libdir@/../data/dns/blocklists.zone
-- config: dns_resolver = 127.0.0.1:@dnsd_port@
-- config: dns_timeout = 3s
-- config: rules = @libdir@/askdns_early.rules
-- expect-log: from=<bounce@sender\.example> .* tests=E_NEWDOM 
-- forbid-log: dns=
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.client(conn, "mail.example.net", "198.51.100.77")
W.envelope(conn, "<bounce@sender.example>")
W.headers(conn, {
	{ "From", "Offers <offers@new-domain.example>" },
	{ "To", "rcpt@example.org" },
	{ "Subject", "early askdns" } })
W.ok(mt.eoh(conn), "eoh")
W.reply(conn, SMFIR_CONTINUE, "eoh")
local seen = W.dnsd_asked({ "new-domain.example.fresh.fmb.la A",
    "sender.example.fresh.fmb.la A" }, 5)
W.check(seen, "the AskDNS names were not asked at the end of the headers")
W.body(conn, 100)
W.eom(conn, SMFIR_ACCEPT)
print("ok: the AskDNS names were asked before the body, E_NEWDOM hit")
mt.disconnect(conn)
