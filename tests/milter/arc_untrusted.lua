-- arc_untrusted.lua -- the message of arc.lua (a p=reject origin's,
-- changed and sealed by lists.example) with no arc_trusted_sealers: its
-- chain passes, but no trusted sealer vouches, so DMARC's p=reject is
-- applied: 550 5.7.1 at the end of the message.
-- dnsd: @libdir@/arc.zone
-- config: dns_resolver = 127.0.0.1:@dnsd_port@
-- config: dns_timeout = 3s
-- config: authentication = yes
-- config: authserv_id = mx.warden.test
-- config: dmarc_policy = enforce
-- expect-log: from=<bounce@lists\.example> .*action=reject .* dmarc=fail arc=pass
dofile(libdir .. "/lib.lua")
dofile(libdir .. "/arc_lib.lua")

local conn = send_sealed(SMFIR_REPLYCODE)
print("ok: refused without a trusted sealer")
mt.disconnect(conn)
