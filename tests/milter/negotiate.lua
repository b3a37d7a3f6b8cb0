-- negotiate.lua -- Warden's option negotiation: it asks for exactly the
-- actions it uses (add and change headers, quarantine), never body or
-- recipient changes, asks the MTA to skip what it never reads, and refuses
-- an MTA that cannot change headers (one without quarantine is served:
-- see quarantine.lua).  A message then goes through.
-- expect-log: the MTA does not offer the actions Warden needs
-- expect-log-count: 1 action=accept
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.ok(mt.negotiate(conn, nil, nil, nil), "negotiate")
W.check(mt.test_action(conn, SMFIF_ADDHDRS), "no SMFIF_ADDHDRS requested")
W.check(mt.test_action(conn, SMFIF_CHGHDRS), "no SMFIF_CHGHDRS requested")
W.check(mt.test_action(conn, SMFIF_QUARANTINE),
    "no SMFIF_QUARANTINE requested")
W.check(not mt.test_action(conn, SMFIF_CHGBODY), "SMFIF_CHGBODY requested")
W.check(not mt.test_action(conn, SMFIF_ADDRCPT), "SMFIF_ADDRCPT requested")
W.check(not mt.test_action(conn, SMFIF_DELRCPT), "SMFIF_DELRCPT requested")
-- Steps Warden does not need are skipped; headers need no reply.
W.check(mt.test_option(conn, SMFIP_NOUNKNOWN), "SMFIP_NOUNKNOWN not asked")
W.check(mt.test_option(conn, SMFIP_NODATA), "SMFIP_NODATA not asked")
W.check(mt.test_option(conn, SMFIP_NR_HDR), "SMFIP_NR_HDR not asked")
-- Warden needs every stage up to the end of message.
W.check(not mt.test_option(conn, SMFIP_NOCONNECT), "asked to skip connect")
W.check(not mt.test_option(conn, SMFIP_NOHELO), "asked to skip HELO")
W.check(not mt.test_option(conn, SMFIP_NOBODY), "asked to skip the body")
W.check(not mt.test_option(conn, SMFIP_NOHDRS), "asked to skip headers")

W.client(conn)
W.message(conn)
W.clean_status(conn)
mt.disconnect(conn)

-- An MTA that cannot change headers is refused.  (miltertest's
-- mt.negotiate takes the steps before the actions, whatever its manual
-- says.)
conn = W.connect()
W.check(mt.negotiate(conn, 6, nil, SMFIF_ADDHDRS + SMFIF_QUARANTINE) ~= nil,
    "negotiation without SMFIF_CHGHDRS succeeded")
