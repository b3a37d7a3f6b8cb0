-- startup.lua -- a daemon that cannot start everything it needs stops at
-- once with the reason in its log and a non-zero exit status, and
-- leaves no socket or pid file behind.  Here the SIGUSR1 (reload) thread
-- cannot be created: a second Warden, on its own socket, starts with a
-- stack limit of a terabyte, which glibc takes as the size of every
-- thread's stack, so pthread_create fails.
dofile(libdir .. "/lib.lua")

local exe = W.run("readlink /proc/" .. warden_pid .. "/exe")
exe = string.gsub(exe, "%s+$", "")
W.check(exe ~= "", "cannot find Warden's binary")
local dir = tmpdir .. "/startup"
W.check(os.execute("mkdir -p " .. dir .. "/spool"), "mkdir " .. dir)
local f = io.open(dir .. "/w.conf", "w")
f:write("socket = unix:" .. dir .. "/w.sock\n",
    "spool_directory = " .. dir .. "/spool\n",
    "pid_file = " .. dir .. "/w.pid\n",
    "clamav = off\n",
    "run_as_root = yes\n")
f:close()

local out, ok = W.run("ulimit -s 1000000000 && timeout 30 " .. exe ..
    " milter -c " .. dir .. "/w.conf -f 2>" .. dir .. "/w.err; " ..
    "echo status=$?")
local status = tonumber(string.match(out, "status=(%d+)"))
local log = W.run("cat " .. dir .. "/w.err")
mt.echo("second Warden: " .. out .. log)
W.check(status ~= nil, "no exit status: " .. out)
W.check(status ~= 124, "Warden started without its reload thread")
-- 1 or 2, not a signal (128 + N from the shell) nor a crash.
W.check(status > 0 and status < 128,
    "exit status " .. status .. ", want a failure of Warden's own")
W.check(string.find(log, "cannot start the reload thread", 1, true),
    "the log does not say why Warden stopped")
W.check(not string.find(log, " ready on ", 1, true),
    "Warden said it was ready")
W.check(not string.find(log, "Sanitizer", 1, true) and
    not string.find(log, "runtime error", 1, true),
    "sanitizer report in the second Warden's log")
W.check(not W.run("ls " .. dir):find("w.sock", 1, true),
    "the socket is left behind")
W.check(not W.run("ls " .. dir):find("w.pid", 1, true),
    "the pid file is left behind")
