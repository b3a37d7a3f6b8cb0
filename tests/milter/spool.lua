-- spool.lua -- a body larger than spool_memory_limit goes to a spool file
-- (seen among Warden's open files while the message is on), which is
-- gone the moment the message ends; a small body never touches the disk.
-- The runner checks that the spool directory is empty at the end.
-- config: spool_memory_limit = 64k
-- expect-log: nrcpt=1 size=1048[0-9]{3} action=accept
-- expect-log-count: 2 action=accept
-- forbid-log: scan=partial
dofile(libdir .. "/lib.lua")

local conn = W.connect()
W.client(conn)
W.envelope(conn)
W.headers(conn, { { "Subject", "a megabyte" } })
W.ok(mt.eoh(conn), "eoh")
W.check(W.spool_files() == 0, "a spool file before the body")
W.body(conn, 60000)
W.check(W.spool_files() == 0, "a spool file below spool_memory_limit")
W.body(conn, 1048576 - 60000)
W.check(W.spool_files() == 1, "no spool file above spool_memory_limit")
W.eom(conn, SMFIR_ACCEPT)
W.clean_status(conn)
W.check(W.spool_files() == 0, "the spool file is still open after eom")

-- A small message stays in memory.
W.envelope(conn)
W.ok(mt.eoh(conn), "eoh")
W.body(conn, 20000)
W.check(W.spool_files() == 0, "a spool file for a small body")
W.eom(conn, SMFIR_ACCEPT)
W.clean_status(conn)
mt.disconnect(conn)
