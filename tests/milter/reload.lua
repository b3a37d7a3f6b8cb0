-- reload.lua -- SIGUSR1 reloads the configuration: a complete new
-- snapshot is swapped in for new connections while an open connection
-- keeps the one it started with, and a broken file keeps the running
-- configuration and logs every problem as file:line.
-- expect-log: reload: configuration 2 installed
-- expect-log: warden\.conf:[0-9]+: unknown key "no_such_key"
-- expect-log: warden\.conf:[0-9]+: bad value for tag_score
-- expect-log: reload failed with 2 error\(s\)
-- expect-log-count: 2 client=old\.example\[192\.0\.2\.10\] .*action=accept
dofile(libdir .. "/lib.lua")

local conf = tmpdir .. "/warden.conf"

local function append(text)
	local f = io.open(conf, "a")
	W.check(f ~= nil, "cannot write " .. conf)
	f:write(text)
	f:close()
end

local function reload()
	W.check(os.execute("kill -USR1 " .. warden_pid), "kill -USR1 failed")
end

-- A connection from 192.0.2.10, not trusted yet: scanned.
local old = W.connect()
W.client(old, "old.example", "192.0.2.10")
W.message(old)
W.clean_status(old)

-- Trust 192.0.2.0/24 and reload.
append("trusted_networks = 192.0.2.0/24\n")
reload()
W.wait_log("reload: configuration 2 installed", 1)

-- New connections see the new configuration ...
local conn = W.connect()
W.ok(mt.conninfo(conn, "new.example", "192.0.2.10"), "conninfo")
W.reply(conn, SMFIR_ACCEPT, "connect from 192.0.2.10 after the reload")
mt.disconnect(conn)

-- ... while the open one keeps its own: its next message is scanned.
W.message(old)
W.clean_status(old)
mt.disconnect(old)

-- A broken file: every problem logged, the running configuration kept.
append("no_such_key = 1\ntag_score = lots\n")
reload()
W.wait_log("reload failed", 1)
conn = W.connect()
W.ok(mt.conninfo(conn, "new.example", "192.0.2.11"), "conninfo")
W.reply(conn, SMFIR_ACCEPT, "connect from 192.0.2.11 after a failed reload")
mt.disconnect(conn)
conn = W.connect()
W.client(conn, "other.example", "198.51.100.7")
W.message(conn)
W.clean_status(conn)
mt.disconnect(conn)
