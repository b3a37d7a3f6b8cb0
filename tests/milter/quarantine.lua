-- quarantine.lua -- a quarantine verdict the MTA cannot carry out (it
-- did not offer SMFIF_QUARANTINE, so libmilter refuses smfi_quarantine)
-- takes on_internal_error, with its reply, and the verdict line says
-- what was done, not "quarantine".  An MTA that offers quarantine gets
-- the message held as before.
-- config: rules = @libdir@/verdicts.rules
-- config: on_internal_error = reject
-- config: reject_reply = 550 5.7.1 Refused by the Warden tests
-- expect-log: the MTA refused to quarantine the message
-- expect-log-count: 1 action=reject .*tests=WT_QUAR .*why="quarantine refused
-- expect-log-count: 1 action=quarantine .*tests=WT_QUAR
-- expect-log-count: 1 action=accept
dofile(libdir .. "/lib.lua")

-- Adding and changing headers, no quarantine.  (miltertest's
-- mt.negotiate takes the steps before the actions, whatever its manual
-- says.)
local conn = W.connect()
W.ok(mt.negotiate(conn, 6, nil, SMFIF_ADDHDRS + SMFIF_CHGHDRS),
    "negotiate without quarantine")
W.check(mt.test_action(conn, SMFIF_CHGHDRS), "SMFIF_CHGHDRS not requested")
W.check(not mt.test_action(conn, SMFIF_QUARANTINE),
    "SMFIF_QUARANTINE requested, not offered")
W.client(conn)

-- A message for the hold queue: on_internal_error = reject instead.
W.message(conn, { subject = "quarantine-me", want = SMFIR_REPLYCODE })
W.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
    "Refused by the Warden tests"),
    "the refusal is not on_internal_error's reply")
W.check(not mt.eom_check(conn, MT_QUARANTINE), "quarantined anyway")
W.check(not mt.eom_check(conn, MT_HDRADD), "headers added to refused mail")

-- Other mail on that connection goes through as usual.
W.message(conn)
W.clean_status(conn)
mt.disconnect(conn)

-- An MTA that offers quarantine gets the message held.
conn = W.connect()
W.client(conn)
W.message(conn, { subject = "quarantine-me", want = SMFIR_ACCEPT })
W.check(mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
mt.disconnect(conn)
