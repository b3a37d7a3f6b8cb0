-- close.lua -- a connection may close without connect (no private data
-- in Warden yet): right after negotiation, or with no negotiation at all,
-- politely or abruptly.  Warden keeps serving: a message afterwards is
-- judged normally.  A close in the middle of a message frees it.
-- config: spool_memory_limit = 16k
-- expect-log-count: 1 action=accept
dofile(libdir .. "/lib.lua")

-- Negotiate, then quit.
local conn = W.connect()
W.ok(mt.negotiate(conn, nil, nil, nil), "negotiate")
mt.disconnect(conn)

-- Negotiate, then drop the connection.
conn = W.connect()
W.ok(mt.negotiate(conn, nil, nil, nil), "negotiate")
mt.disconnect(conn, false)

-- Connect to the socket and leave at once.
conn = W.connect()
mt.disconnect(conn, false)

-- Drop the connection in the middle of a body on disk.
conn = W.connect()
W.client(conn)
W.envelope(conn)
W.ok(mt.eoh(conn), "eoh")
W.body(conn, 100000)
W.check(W.spool_files() == 1, "the body is not in a spool file")
mt.disconnect(conn, false)
W.check(W.spool_files_become(0) == 0,
    "the spool file is still open after close")

-- Warden still works.
conn = W.connect()
W.client(conn)
W.message(conn)
W.clean_status(conn)
mt.disconnect(conn)
