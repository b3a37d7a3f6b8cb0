-- abort.lua -- an abort in the middle of the body ends that message only:
-- the spool file it had is closed at once, no verdict is logged for it,
-- and the next message on the same connection is judged normally.
-- config: spool_memory_limit = 16k
-- expect-log-count: 2 action=accept
-- forbid-log: from=<aborted@example\.com>.*action=
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.client(conn)

-- Abort while the body is on disk.
W.envelope(conn, "<aborted@example.com>")
W.headers(conn, { { "Subject", "to be aborted" } })
W.ok(mt.eoh(conn), "eoh")
W.body(conn, 100000)
W.check(W.spool_files() == 1, "the body is not in a spool file")
W.ok(mt.abort(conn), "abort")
W.check(W.spool_files_become(0) == 0,
    "the spool file is still open after abort")

-- The next message on the connection.
W.message(conn, { from = "<next@example.com>", body = 50000 })
W.clean_status(conn)
W.check(W.spool_files() == 0, "the spool file is still open after eom")

-- Abort before any body, then a last message.
W.envelope(conn, "<aborted@example.com>")
W.ok(mt.abort(conn), "abort before the body")
W.message(conn, { from = "<last@example.com>" })
W.clean_status(conn)
mt.disconnect(conn)
