-- auth_off.lua -- with skip_authenticated = no, an authenticated sender's
-- message is scanned like any other.
-- config: skip_authenticated = no
-- expect-log-count: 1 from=<alice@example\.com> nrcpt=1 .*action=accept
-- forbid-log: \(authenticated\)
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.client(conn)
mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "alice")
W.message(conn, { from = "<alice@example.com>" })
W.clean_status(conn)
mt.disconnect(conn)
