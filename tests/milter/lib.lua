-- lib.lua -- helpers shared by Warden's miltertest scripts.
--
-- run.sh defines the globals sock, spool, tmpdir, warden_pid, libdir and
-- mtraw; a script starts with dofile(libdir .. "/lib.lua").  Every check
-- raises an error whose text starts with "FAIL:", which makes miltertest
-- exit non-zero.

W = {}

-- A clean message's status: SpamAssassin's form.
W.CLEAN_STATUS = "No, score=0.0 required=5.0 tests=none"

local reply_names = {
	[SMFIR_ACCEPT] = "accept", [SMFIR_CONTINUE] = "continue",
	[SMFIR_REJECT] = "reject", [SMFIR_TEMPFAIL] = "tempfail",
	[SMFIR_DISCARD] = "discard", [SMFIR_REPLYCODE] = "replycode",
	[SMFIR_SKIP] = "skip",
}

local function rname(r)
	return reply_names[r] or tostring(r)
end

function W.fail(msg)
	error("FAIL: " .. msg, 2)
end

function W.check(cond, msg)
	if not cond then
		error("FAIL: " .. msg, 2)
	end
end

-- mt.* functions return nil on success, an error string otherwise.
function W.ok(rc, what)
	if rc ~= nil then
		error("FAIL: " .. what .. ": " .. tostring(rc), 2)
	end
end

-- The last reply must be want.
function W.reply(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		error(string.format("FAIL: %s: reply %s, want %s", what,
		    rname(got), rname(want)), 2)
	end
end

function W.connect()
	local conn = mt.connect(sock, 100, 0.1)
	W.check(conn ~= nil, "cannot connect to " .. sock)
	return conn
end

-- Connection information and HELO, both answered with "continue".
function W.client(conn, host, ip)
	W.ok(mt.conninfo(conn, host or "client.example", ip or "198.51.100.7"),
	    "conninfo")
	W.reply(conn, SMFIR_CONTINUE, "connect")
	W.ok(mt.helo(conn, host or "client.example"), "helo")
	W.reply(conn, SMFIR_CONTINUE, "helo")
end

-- MAIL FROM and RCPT TO, answered with "continue".
function W.envelope(conn, from, rcpts)
	W.ok(mt.mailfrom(conn, from or "<sender@example.com>"), "mailfrom")
	W.reply(conn, SMFIR_CONTINUE, "mailfrom")
	for _, r in ipairs(rcpts or { "<rcpt@example.org>" }) do
		W.ok(mt.rcptto(conn, r), "rcptto " .. r)
		W.reply(conn, SMFIR_CONTINUE, "rcptto " .. r)
	end
end

-- Headers as { {name, value}, ... }.  Warden asks for no reply to
-- headers, so none is checked.
function W.headers(conn, list)
	for _, h in ipairs(list) do
		W.ok(mt.header(conn, h[1], h[2]), "header " .. h[1])
	end
end

-- n bytes of text body, in chunks the milter protocol can carry.
function W.body(conn, n)
	local line = string.rep("x", 76) .. "\r\n"
	local chunk = string.rep(line, math.floor(64000 / #line))
	local sent = 0
	while sent < n do
		local part = chunk
		if n - sent < #part then
			part = string.sub(chunk, 1, n - sent)
		end
		W.ok(mt.bodystring(conn, part), "body")
		W.reply(conn, SMFIR_CONTINUE, "body")
		sent = sent + #part
	end
end

-- End of message with the expected final reply.
function W.eom(conn, want)
	W.ok(mt.eom(conn), "eom")
	W.reply(conn, want or SMFIR_ACCEPT, "eom")
end

-- A whole small message after the envelope: headers, body, end.
function W.message(conn, opts)
	opts = opts or {}
	W.envelope(conn, opts.from, opts.rcpts)
	W.headers(conn, opts.headers or {
		{ "From", "Sender <sender@example.com>" },
		{ "To", "rcpt@example.org" },
		{ "Subject", opts.subject or "Warden test" },
	})
	W.ok(mt.eoh(conn), "eoh")
	W.reply(conn, SMFIR_CONTINUE, "eoh")
	W.body(conn, opts.body or 100)
	W.eom(conn, opts.want)
end

-- The X-Spam-Status Warden added must be a clean one.
function W.clean_status(conn)
	W.check(mt.eom_check(conn, MT_HDRADD, "X-Spam-Status"),
	    "no X-Spam-Status added")
	local v = mt.getheader(conn, "X-Spam-Status", 0)
	W.check(v ~= nil, "cannot read the added X-Spam-Status")
	W.check(string.sub(v, 1, #W.CLEAN_STATUS) == W.CLEAN_STATUS,
	    "X-Spam-Status is \"" .. v .. "\", want \"" .. W.CLEAN_STATUS ..
	    " ...\"")
	return v
end

-- How many of Warden's open files are in the spool directory.  The
-- spool file has no name, but /proc still shows where it was made.
function W.spool_files()
	local p = io.popen("ls -l /proc/" .. warden_pid .. "/fd 2>/dev/null")
	local n = 0
	for line in p:lines() do
		if string.find(line, spool .. "/", 1, true) then
			n = n + 1
		end
	end
	p:close()
	return n
end

-- Wait up to five seconds for the number of spool files to become want
-- (after an abort or a close, which get no reply); the number seen last.
function W.spool_files_become(want)
	local n
	for i = 1, 50 do
		n = W.spool_files()
		if n == want then
			break
		end
		mt.sleep(0.1)
	end
	return n
end

-- Lines of Warden's log (its stderr) that contain text.
function W.log_count(text)
	local f = io.open(tmpdir .. "/warden.err")
	local n = 0
	if f == nil then
		return 0
	end
	for line in f:lines() do
		if string.find(line, text, 1, true) then
			n = n + 1
		end
	end
	f:close()
	return n
end

-- Wait up to ten seconds for the log to hold n lines containing text.
function W.wait_log(text, n)
	for i = 1, 100 do
		if W.log_count(text) >= n then
			return
		end
		mt.sleep(0.1)
	end
	W.fail("no log line \"" .. text .. "\" (" .. n .. " wanted)")
end

-- Warden's resident memory now and at its peak, in kB.
function W.memory()
	local f = io.open("/proc/" .. warden_pid .. "/status")
	W.check(f ~= nil, "cannot read /proc/" .. warden_pid .. "/status")
	local s = f:read("*a")
	f:close()
	return tonumber(string.match(s, "VmRSS:%s*(%d+)")),
	    tonumber(string.match(s, "VmHWM:%s*(%d+)"))
end

-- Run a shell command; its output, and whether it exited 0.
function W.run(cmd)
	local p = io.popen(cmd)
	local out = p:read("*a")
	local ok = p:close()
	return out, ok
end

-- The wall clock in seconds, to the nanosecond (Lua's os.time() counts
-- whole seconds only).
function W.now()
	local out = W.run("date +%s.%N")
	local t = tonumber(out)
	W.check(t ~= nil, "cannot read the clock: " .. tostring(out))
	return t
end

-- How many queries of the private DNS server (the "-- dnsd:" header line
-- of run.sh) were exactly "PROTO NAME TYPE", e.g. "udp
-- 2.2.0.192.zen.spamhaus.org A" (its query log: tests/dnsd.sh).
function W.dnsd_queries(line)
	W.check(dnsd_log ~= nil and dnsd_log ~= "",
	    "no DNS server: the script needs a \"-- dnsd:\" line")
	local f = io.open(dnsd_log)
	W.check(f ~= nil, "cannot read " .. dnsd_log)
	local n = 0
	for l in f:lines() do
		if l == line then
			n = n + 1
		end
	end
	f:close()
	return n
end

-- Wait up to secs seconds until the private DNS server has received
-- every query of want ({ "NAME TYPE", ... }, over UDP or TCP); whether
-- it did.
function W.dnsd_asked(want, secs)
	local t0 = W.now()
	repeat
		local seen = true
		for _, q in ipairs(want) do
			if W.dnsd_queries("udp " .. q) == 0 and
			    W.dnsd_queries("tcp " .. q) == 0 then
				seen = false
			end
		end
		if seen then
			return true
		end
		W.run("sleep 0.1")
	until W.now() - t0 > secs
	return false
end
