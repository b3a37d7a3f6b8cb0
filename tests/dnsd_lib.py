"""tests/dnsd_lib.py -- start, query and stop tests/dnsd.py from Python.

The Python twin of tests/dnsd.sh, in the manner of tests/daemon.py (put
tests/ on sys.path).  It needs dnslib in the Python that imports it
(Debian: apt-get install python3-dnslib; /usr/bin/python3 has it when
a python3 earlier in PATH does not):

    import dnsd_lib
    srv = dnsd_lib.start(["tests/data/dns/blocklists.zone"])
    srv.port, srv.pid, srv.log          # the query log, a file in srv.dir
    r = srv.query("2.0.0.127.zen.spamhaus.org", "A")       # UDP
    r = srv.query("sender.example", "MX", tcp=True, timeout=5)
    dnsd_lib.addresses(r)               # ["127.0.0.2", ...] (A records)
    dnsd_lib.rcode(r)                   # "NOERROR", "NXDOMAIN", ...
    srv.queries(r"^udp 2\\.0\\.0\\.127\\.zen")    # log lines matching a regex
    status = srv.stop()                 # SIGTERM; 0 when it exited cleanly

start(zones, timeout=30, python=None, port=0): the server runs under
python (default: this interpreter) with its port file, pid file, query
log and output (srv.out) in a new temporary directory, removed by stop().
Ready means the port file exists and the server answered a probe
(ready.dnsd.invalid TXT, which it does not log).  A server not ready in
time raises DnsdError with the reason and the end of its output.

query() returns the parsed DNSRecord, or None when no answer came within
timeout seconds.  Every server started here and still running is killed
at exit.

Run as a script, it is a small client (dig is not always installed):

    python3 tests/dnsd_lib.py PORT NAME [TYPE] [--tcp] [--timeout S]

prints the answer as dig would and exits 0, or 1 when none came.
"""
import atexit
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from dnslib import EDNS0, QTYPE, RCODE, DNSRecord

HERE = os.path.dirname(os.path.abspath(__file__))
DNSD = os.path.join(HERE, "dnsd.py")
PROBE = "ready.dnsd.invalid"

_running = []


class DnsdError(Exception):
    pass


def query(port, name, qtype="A", tcp=False, timeout=5.0, address="127.0.0.1", edns=True):
    """Ask the server at address:port; the reply, or None after timeout."""
    q = DNSRecord.question(name, qtype)
    if edns:
        q.add_ar(EDNS0(udp_len=1232))
    data = q.pack()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    end = time.monotonic() + timeout
    try:
        if tcp:
            with socket.create_connection((address, port), timeout) as s:
                s.sendall(struct.pack("!H", len(data)) + data)
                buf = b""
                while True:
                    if len(buf) >= 2 and len(buf) - 2 >= struct.unpack("!H", buf[:2])[0]:
                        break
                    s.settimeout(max(end - time.monotonic(), 0.01))
                    chunk = s.recv(65536)
                    if not chunk:
                        return None
                    buf += chunk
                return DNSRecord.parse(buf[2:2 + struct.unpack("!H", buf[:2])[0]])
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.sendto(data, (address, port))
            while True:
                s.settimeout(max(end - time.monotonic(), 0.01))
                reply, _ = s.recvfrom(65535)
                r = DNSRecord.parse(reply)
                if r.header.id == q.header.id:
                    return r
    except (socket.timeout, ConnectionError):
        return None


def addresses(reply):
    """The addresses of the A and AAAA records of a reply's answer."""
    return [str(rr.rdata) for rr in reply.rr if rr.rtype in (QTYPE.A, QTYPE.AAAA)]


def texts(reply):
    """The TXT records of a reply's answer, each as one str."""
    return ["".join(s.decode(errors="replace") for s in rr.rdata.data)
            for rr in reply.rr if rr.rtype == QTYPE.TXT]


def rcode(reply):
    return RCODE.get(reply.header.rcode)


def _tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


class Dnsd:
    def __init__(self, zones, python=None, port=0):
        self.zones = list(zones)
        self.python = python or sys.executable
        self.want_port = port
        self.dir = None
        self.proc = None
        self.pid = None
        self.port = None
        self.status = None

    def _fail(self, why):
        tail = _tail(self.out)
        msg = f"dnsd: {why}"
        if tail:
            msg += f"\ndnsd: the end of {self.out}:\n{tail}dnsd: (end)"
        self.stop()
        raise DnsdError(msg)

    def start(self, timeout=30):
        self.dir = tempfile.mkdtemp(prefix="warden-dnsd.")
        self.log = os.path.join(self.dir, "queries.log")
        self.out = os.path.join(self.dir, "dnsd.out")
        self.port_file = os.path.join(self.dir, "port")
        argv = [self.python, DNSD, "--port", str(self.want_port),
                "--port-file", self.port_file,
                "--pid-file", os.path.join(self.dir, "pid"), "--log", self.log]
        for z in self.zones:
            argv += ["--zone", z]
        with open(self.out, "a") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        _running.append(self)
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                self.status = self.proc.returncode
                self._fail(f"tests/dnsd.py exited with status {self.status} at start-up")
            if self.port is None:
                try:
                    with open(self.port_file) as f:
                        self.port = int(f.read())
                except (OSError, ValueError):
                    pass
            if self.port is not None:
                r = query(self.port, PROBE, "TXT", timeout=0.5)
                if r is not None and texts(r) == ["ready"]:
                    return self
            if time.monotonic() > end:
                why = "no port file" if self.port is None else f"no answer on port {self.port}"
                self._fail(f"tests/dnsd.py (pid {self.pid}) not ready within {timeout:g} s: {why}")
            time.sleep(0.05)

    def query(self, name, qtype="A", tcp=False, timeout=5.0):
        return query(self.port, name, qtype, tcp=tcp, timeout=timeout)

    def queries(self, pattern=""):
        """The lines of the query log that match the regular expression."""
        rx = re.compile(pattern)
        try:
            with open(self.log, errors="replace") as f:
                return [line.rstrip("\n") for line in f if rx.search(line)]
        except OSError:
            return []

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, wait, SIGKILL if need be; the exit status as
        subprocess gives it.  The temporary directory is removed."""
        if self.proc is not None:
            if self.alive():
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.status = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.status = self.proc.wait()
        if self in _running:
            _running.remove(self)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None
        return self.status


def start(zones, timeout=30, python=None, port=0):
    """tests/dnsd.py serving the zone files, ready."""
    return Dnsd(zones, python, port).start(timeout)


def cleanup():
    for d in list(_running):
        if d.alive():
            d.proc.kill()
        d.stop()


atexit.register(cleanup)


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Ask tests/dnsd.py (or any server on 127.0.0.1).")
    ap.add_argument("port", type=int)
    ap.add_argument("name")
    ap.add_argument("qtype", nargs="?", default="A")
    ap.add_argument("--tcp", action="store_true")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--address", default="127.0.0.1")
    args = ap.parse_args(argv)
    r = query(args.port, args.name, args.qtype.upper(), tcp=args.tcp,
              timeout=args.timeout, address=args.address)
    if r is None:
        print(f";; no answer within {args.timeout:g} s")
        return 1
    print(r)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
