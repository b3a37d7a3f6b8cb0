-- arc.lua -- ARC through the milter protocol: a p=reject origin's
-- message, changed by a mailing list (its DKIM signature broken) and
-- sealed by it (arc_sealed.eml, keys in arc.zone), comes from the list's
-- server; with the list in arc_trusted_sealers it is accepted, and the
-- Authentication-Results Warden inserts says arc=pass and that the
-- sealer's verdict overrode DMARC's p=reject.  (arc_untrusted.lua: the
-- same message refused without the trust.)
-- dnsd: @libdir@/arc.zone
-- config: dns_resolver = 127.0.0.1:@dnsd_port@
-- config: dns_timeout = 3s
-- config: authentication = yes
-- config: authserv_id = mx.warden.test
-- config: dmarc_policy = enforce
-- config: arc_trusted_sealers = lists.example
-- expect-log: from=<bounce@lists\.example> .*action=accept .* dmarc=fail arc=pass
dofile(libdir .. "/lib.lua")
dofile(libdir .. "/arc_lib.lua")

local conn = send_sealed(SMFIR_ACCEPT)
W.check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"),
    "no Authentication-Results inserted")
local ar = mt.getheader(conn, "Authentication-Results", 0)
W.check(ar ~= nil and string.find(ar, "arc=pass", 1, true) ~= nil,
    "no arc=pass in \"" .. tostring(ar) .. "\"")
W.check(string.find(ar, "dmarc=fail (p=reject dis=none arc override by " ..
    "lists.example)", 1, true) ~= nil,
    "no override said in \"" .. tostring(ar) .. "\"")
print("ok: accepted through the trusted sealer: " .. ar)
mt.disconnect(conn)
