-- auth.lua -- with skip_authenticated = yes (the default), a sender with
-- {auth_authen} set is accepted at MAIL FROM, unscanned; the next message
-- on the connection, without authentication, is scanned.
-- expect-log: from=<alice@example\.com> client=.*: accept \(authenticated\)
-- expect-log-count: 1 action=accept
-- forbid-log: from=<alice@example\.com> nrcpt
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.client(conn)
mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "alice", "i", "AUTH1")
W.ok(mt.mailfrom(conn, "<alice@example.com>"), "mailfrom")
W.reply(conn, SMFIR_ACCEPT, "authenticated MAIL FROM")

-- The MAIL macros are replaced: no {auth_authen} now.
mt.macro(conn, SMFIC_MAIL, "i", "PLAIN1")
W.message(conn, { from = "<bob@example.com>" })
W.clean_status(conn)
mt.disconnect(conn)
