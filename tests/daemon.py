"""tests/daemon.py -- start, wait for, reload and stop a Warden daemon.

The Python twin of tests/daemon.sh, for tests/hostile/run.py and the
benchmarks (bench/ puts tests/ on sys.path):

    import daemon
    d = daemon.start(conf, log, warden)     # "WARDEN milter -f -c CONF"
    d.reload()                              # SIGUSR1; True: installed
    status = d.stop()                       # SIGTERM, wait, SIGKILL

    daemon.start_program(argv, sock, log)   # any milter (the no-op filter)
    d.alive(), d.wait(timeout), d.mem_kb("VmHWM"), d.pid
    daemon.listening(sock), daemon.conf_value(conf, key),
    daemon.sanitizer_report(log), daemon.cleanup()

Ready means what it means in tests/daemon.sh: the socket named by the
config's last "socket =" line is listening (seen in /proc/net: no test
connection), and Warden has logged "Warden VERSION ready on" since this
start (once its signal handling is in place; not waited for when the
config's log_level hides it).  The daemon's stdout and stderr are
appended to the log.  A daemon that is not ready in time (default 30 s)
raises DaemonError, whose text gives the reason and the tail of the log.

stop() returns the exit status as subprocess does (negative: the signal
that ended it) and sets .killed when the daemon was still running after
the timeout and got SIGKILL.  Every daemon started here and still
running is killed at exit (atexit), and after SIGTERM or SIGHUP to the
script, which then exits with 128 + the signal.
"""
import atexit
import os
import re
import signal
import subprocess
import time

READY = " ready on "
RELOAD = re.compile(r"reload failed with|reload: configuration [0-9]* installed")
SANITIZER = re.compile(r"Sanitizer|runtime error:")

_running = []


class DaemonError(Exception):
    pass


def conf_value(conf, key):
    """The value of the config's last "KEY = VALUE" line, or None."""
    val = None
    pat = re.compile(re.escape(key) + r"\s*=\s*(.*?)\s*$")
    with open(conf, errors="replace") as f:
        for line in f:
            m = pat.match(line)
            if m:
                val = m.group(1)
    return val


def listening(sock):
    """Something listens on the milter socket (unix:, local:, inet:,
    inet6:), as /proc/net shows it."""
    kind, _, rest = sock.partition(":")
    if kind in ("unix", "local"):
        if not os.path.exists(rest):
            return False
        try:
            with open("/proc/net/unix") as f:
                for line in f:
                    v = line.split(None, 7)
                    # Flags 00010000: a listening socket.
                    if len(v) == 8 and v[3] == "00010000" and v[7].rstrip("\n") == rest:
                        return True
        except OSError:
            return True
        return False
    if kind in ("inet", "inet6"):
        port = ":%04X" % int(rest.split("@")[0])
        for name in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(name) as f:
                    for line in f:
                        v = line.split()
                        # State 0A: LISTEN.
                        if len(v) > 3 and v[3] == "0A" and v[1].endswith(port):
                            return True
            except OSError:
                pass
        return False
    return True


def sanitizer_report(log):
    """The lines of a sanitizer report in the log, or "" if none."""
    try:
        with open(log, errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    m = SANITIZER.search(text)
    return text[m.start():] if m else ""


def _tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


class Daemon:
    def __init__(self, argv, sock, log, ready_line=True):
        self.argv = argv
        self.sock = sock
        self.log = log
        self.ready_line = ready_line
        self.proc = None
        self.pid = None
        self.status = None
        self.killed = False

    def _fail(self, why):
        tail = _tail(self.log)
        msg = f"daemon: {why}"
        if tail:
            msg += f"\ndaemon: the end of {self.log}:\n{tail}daemon: (end)"
        raise DaemonError(msg)

    def start(self, timeout=30):
        what = " ".join(self.argv)
        try:
            pos = os.path.getsize(self.log)
        except OSError:
            pos = 0
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self.status = None
        self.killed = False
        _running.append(self)
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.status = self.proc.returncode
                _running.remove(self)
                self._fail(f"{what} exited with status {self.status} at start-up")
            if listening(self.sock):
                if not self.ready_line:
                    return self
                with open(self.log, errors="replace") as f:
                    f.seek(pos)
                    if READY in f.read():
                        return self
            if time.monotonic() > end:
                why = f"no listening socket {self.sock}"
                if listening(self.sock):
                    why = f'no "ready on" line in {self.log}'
                self._fail(f"{what} (pid {self.pid}) not ready within {timeout:g} s: {why}")
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def reload(self, timeout=30):
        """SIGUSR1; True when the log says the new configuration is
        installed, False when it says the reload failed; DaemonError when
        it says nothing in time or the daemon dies."""
        pos = os.path.getsize(self.log)
        self.proc.send_signal(signal.SIGUSR1)
        end = time.monotonic() + timeout
        while True:
            with open(self.log, errors="replace") as f:
                f.seek(pos)
                found = RELOAD.findall(f.read())
            if found:
                return "installed" in found[-1]
            if not self.alive():
                raise DaemonError("daemon: the daemon died on SIGUSR1")
            if time.monotonic() > end:
                raise DaemonError(f"daemon: reload not done within {timeout:g} s of SIGUSR1")
            time.sleep(0.05)

    def wait(self, timeout=30):
        """Wait for the daemon to end by itself; its exit status, or None
        if it still runs after the timeout."""
        try:
            self.status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        if self in _running:
            _running.remove(self)
        return self.status

    def stop(self, timeout=30):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        if self.wait(timeout) is None:
            self.killed = True
            self.proc.kill()
            self.wait(None)
        return self.status

    def mem_kb(self, key="VmHWM"):
        """A field of /proc/PID/status in kB (VmRSS, VmHWM); 0 if gone."""
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0


def start(conf, log, warden="./warden", timeout=30):
    """"WARDEN milter -f -c CONF", ready."""
    ready_line = (conf_value(conf, "log_level") or "info") not in ("error", "warning")
    sock = conf_value(conf, "socket") or "unix:/run/warden/warden.sock"
    return Daemon([warden, "milter", "-f", "-c", conf], sock, log, ready_line).start(timeout)


def start_program(argv, sock, log, timeout=30):
    """Any milter program that listens on sock: ready once it does."""
    return Daemon(argv, sock, log, ready_line=False).start(timeout)


def cleanup():
    """Kill every daemon started here that still runs."""
    for d in list(_running):
        if d.alive():
            d.proc.kill()
        d.proc.wait()
        _running.remove(d)


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)


atexit.register(cleanup)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_sig) == signal.SIG_DFL:
        signal.signal(_sig, _on_signal)
