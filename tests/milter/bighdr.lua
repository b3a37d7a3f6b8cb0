-- bighdr.lua -- hostile headers: a header line of one megabyte, 10,000
-- headers in one message, 1,000 forged X-Spam-Status headers, and a
-- header over the protocol's packet limit.  Warden must not crash, must
-- judge each message, and its peak memory stays bounded (the runner
-- reads VmHWM before stopping it).
-- max-rss-mb: 64
-- expect-log-count: 4 action=accept
dofile(libdir .. "/lib.lua")

-- A 1 MB header line (miltertest cannot send one: mtraw does).
local out, ok = W.run(mtraw .. " " .. sockpath .. " 1000000 0 1000")
W.check(ok, "mtraw failed: " .. out)
W.check(string.find(out, "eom=a added=X-Spam-Status", 1, true),
    "1 MB header: " .. out)

-- A header larger than the packet limit ends that connection only.
out, ok = W.run(mtraw .. " " .. sockpath .. " 3000000 0 1000")
W.check(string.find(out, "closed at big header", 1, true),
    "3 MB header: " .. out)

-- 10,000 headers.
local conn = W.connect()
W.client(conn)
W.envelope(conn)
for i = 1, 10000 do
	W.ok(mt.header(conn, "X-Filler-" .. i, "value number " .. i ..
	    " of ten thousand"), "header " .. i)
end
W.ok(mt.eoh(conn), "eoh")
W.reply(conn, SMFIR_CONTINUE, "eoh")
W.body(conn, 1000)
W.eom(conn, SMFIR_ACCEPT)
W.clean_status(conn)

mt.disconnect(conn)

-- 1,000 forged X-Spam-Status headers: every one is removed.
out, ok = W.run(mtraw .. " " .. sockpath .. " 0 0 100 1000")
W.check(ok, "mtraw failed: " .. out)
W.check(string.find(out, "eom=a added=X-Spam-Status changed=1000 " ..
    "deleted=1000", 1, true), "1,000 forged headers: " .. out)

-- Still serving, with the memory of a megabyte message given back.
conn = W.connect()
W.client(conn)
W.message(conn)
W.clean_status(conn)
mt.disconnect(conn)
local rss, hwm = W.memory()
mt.echo(string.format("Warden RSS %d kB, peak %d kB", rss, hwm))
