#!/usr/bin/env python3
"""milter_proto.py -- fuzz the milter protocol of a running daemon.

Each session connects to the daemon's socket and sends a sequence of
milter packets made here at random: the commands an MTA sends in roughly
the order it sends them, and then broken on purpose -- lengths that lie,
packets cut short, strings without their NUL, macro packets with a name
and no value, unknown commands, commands out of order, random bytes --
and reads whatever comes back.  Every 50 sessions a well-formed
transaction must still get its verdict, and the daemon must still run.
A crash, a hang or a sanitizer report in the daemon's log ends the run
with the session that caused it written to --artifacts.

Run it against a sanitizer build (configure --enable-sanitizers), which
turns an invalid read in the daemon into a report:

    tests/fuzz/milter_proto.py --warden ./warden --minutes 30

It starts its own daemon (shipped rules, no antivirus, a private socket)
unless --socket names one already running.  "make check" runs it for
15 seconds with a fixed seed (tests/faults/protofuzz.sh).
"""

import argparse
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

CMDS = b"ODCHMRLNBEAQKTU"


def pkt(cmd, data=b""):
    return struct.pack(">I", len(data) + 1) + cmd + data


def rstr(r, n=12):
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789.-_@<>{}[]:= \t\xff\x00"
    return bytes(r.choice(alphabet) for _ in range(r.randint(0, n)))


def macros(r):
    names = [b"j", b"{daemon_name}", b"i", b"{auth_authen}", b"{client_addr}",
             b"{client_name}", b"{mail_addr}", b"{rcpt_addr}", b"_", b"v"]
    out = [r.choice(b"CHMRTNEU").to_bytes(1, "big")]
    n = r.randint(0, 6)
    body = b""
    for _ in range(n):
        body += r.choice(names) + b"\0" + rstr(r) + b"\0"
    if r.random() < 0.3:                    # a name with no value
        body += r.choice(names) + b"\0"
    if r.random() < 0.1 and body:           # an unterminated last string
        body = body[:-1]
    return out[0] + body


def good_packet(r, cmd):
    if cmd == b"O":
        return pkt(b"O", struct.pack(">III", r.choice([2, 6, 0, 99]),
                                     r.getrandbits(9), r.getrandbits(21)))
    if cmd == b"D":
        return pkt(b"D", macros(r))
    if cmd == b"C":
        fam = r.choice(b"46LU")
        return pkt(b"C", rstr(r) + b"\0" + bytes([fam]) +
                   struct.pack(">H", r.randint(0, 65535)) + rstr(r, 20) + b"\0")
    if cmd in (b"H", b"M", b"R"):
        args = b"".join(rstr(r, 30) + b"\0" for _ in range(r.randint(0, 4)))
        return pkt(cmd, args)
    if cmd == b"L":
        return pkt(b"L", rstr(r, 20) + b"\0" + rstr(r, 200) + b"\0")
    if cmd == b"B":
        return pkt(b"B", os.urandom(r.randint(0, 2000)))
    if cmd == b"U":
        return pkt(b"U", rstr(r, 40) + b"\0")
    return pkt(cmd)


def broken(r, p):
    """Break packet p (bytes) one way or another."""
    k = r.randint(0, 6)
    if k == 0:                      # the length lies: more than sent
        return struct.pack(">I", len(p) - 4 + r.randint(1, 100)) + p[4:]
    if k == 1:                      # the length lies: less than sent
        return struct.pack(">I", max(0, len(p) - 4 - r.randint(1, 5))) + p[4:]
    if k == 2:                      # cut short
        return p[:r.randint(0, len(p))]
    if k == 3:                      # an unknown command
        return pkt(bytes([r.randint(0, 255)]), p[5:])
    if k == 4:                      # flip a few bytes
        b = bytearray(p)
        for _ in range(r.randint(1, 4)):
            i = r.randrange(len(b))
            b[i] = r.randint(0, 255)
        return bytes(b)
    if k == 5:                      # a huge length
        return struct.pack(">I", r.choice([0, 0xffffffff, 0x7fffffff,
                                           1 << 24])) + p[4:]
    return os.urandom(r.randint(1, 64))


def session_packets(r):
    seq = [b"O"] if r.random() < 0.9 else []
    order = [b"D", b"C", b"D", b"H", b"D", b"M", b"D", b"R", b"R", b"T",
             b"L", b"L", b"N", b"B", b"B", b"D", b"E"]
    if r.random() < 0.5:
        seq += order
    else:
        seq += [r.choice([bytes([c]) for c in CMDS])
                for _ in range(r.randint(1, 20))]
    if r.random() < 0.3:
        seq.append(r.choice([b"A", b"Q", b"K"]))
    out = []
    for c in seq:
        p = good_packet(r, c)
        if r.random() < 0.15:
            p = broken(r, p)
        out.append(p)
    return out


def send_session(sock, packets, timeout=2.0):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    try:
        s.connect(sock)
        for p in packets:
            s.sendall(p)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    except (OSError, socket.timeout):
        pass
    finally:
        s.close()


def read_pkt(s):
    h = b""
    while len(h) < 4:
        d = s.recv(4 - len(h))
        if not d:
            return None, b""
        h += d
    n = struct.unpack(">I", h)[0]
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            return None, b""
        b += d
    return b[:1], b[1:]


def well_formed(sock):
    """A whole transaction; True when it gets a verdict at end of body."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    try:
        s.connect(sock)
        s.sendall(pkt(b"O", struct.pack(">III", 6, 0x1ff, 0)))
        read_pkt(s)
        steps = [pkt(b"C", b"client.example\0" + b"4" + struct.pack(">H", 25)
                     + b"192.0.2.1\0"),
                 pkt(b"H", b"client.example\0"),
                 pkt(b"M", b"<a@example.org>\0"),
                 pkt(b"R", b"<b@example.net>\0"),
                 pkt(b"L", b"Subject\0hello\0"),
                 pkt(b"N"), pkt(b"B", b"hello\r\n")]
        for p in steps:
            s.sendall(p)
            c, _ = read_pkt(s)
            if c is None:
                return False
        s.sendall(pkt(b"E"))
        while True:
            c, _ = read_pkt(s)
            if c is None:
                return False
            if c in (b"a", b"c", b"r", b"t", b"d", b"y"):
                return True
    except (OSError, socket.timeout):
        return False
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--warden", default="./warden")
    ap.add_argument("--socket", help="a running daemon's unix socket")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--artifacts", default="milter-proto-artifacts")
    a = ap.parse_args()
    r = random.Random(a.seed)
    tmp = None
    daemon = None
    log = None
    sock = a.socket
    if sock is None:
        tmp = tempfile.mkdtemp(prefix="warden-proto.")
        sock = os.path.join(tmp, "w.sock")
        srcdir = os.environ.get("srcdir", os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", ".."))
        conf = os.path.join(tmp, "warden.conf")
        with open(conf, "w") as f:
            f.write("socket = unix:%s\nspool_directory = %s\nclamav = off\n"
                    "run_as_root = yes\nrules = %s/rules/*.rules\n"
                    "mta_timeout = 5s\n" % (sock, tmp, srcdir))
        log = os.path.join(tmp, "warden.log")
        daemon = subprocess.Popen([a.warden, "milter", "-f", "-c", conf],
                                  stdout=open(log, "w"),
                                  stderr=subprocess.STDOUT)
        for _ in range(300):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(0.5)
    os.makedirs(a.artifacts, exist_ok=True)
    end = time.time() + a.minutes * 60
    n = 0
    status = 0
    t0 = time.time()
    print("seed %d" % a.seed, flush=True)
    try:
        while time.time() < end:
            packets = session_packets(r)
            send_session(sock, packets)
            n += 1
            dead = daemon is not None and daemon.poll() is not None
            if n % 50 == 0 or dead:
                if dead or not well_formed(sock):
                    path = os.path.join(a.artifacts, "session-%d" % n)
                    with open(path, "wb") as f:
                        f.write(b"".join(packets))
                    print("FAIL after session %d: daemon %s; last session "
                          "in %s" % (n, "died" if dead else "stopped "
                                     "answering", path), flush=True)
                    status = 1
                    break
            if n % 5000 == 0:
                print("%d sessions, %.0f/s" % (n, n / (time.time() - t0)),
                      flush=True)
    finally:
        if daemon is not None:
            daemon.send_signal(signal.SIGTERM)
            try:
                daemon.wait(60)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
            if daemon.returncode != 0:
                print("FAIL: the daemon exited with status %d after "
                      "SIGTERM" % daemon.returncode, flush=True)
                status = 1
        if log is not None:
            text = open(log, errors="replace").read()
            print("daemon log: %d verdict lines, %d malformed macro packets "
                  "refused, %d lines in all" % (
                      text.count(" action="),
                      text.count("malformed macro packet"),
                      text.count("\n")))
            if "ERROR: AddressSanitizer" in text or "runtime error:" in text:
                print("FAIL: a sanitizer report in the daemon's log:")
                print(text[-4000:])
                status = 1
        if tmp is not None and status == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp is not None:
            print("daemon log kept in %s" % log)
    print("sessions: %d in %.0f s (%.0f/s), seed %d: %s" % (
        n, time.time() - t0, n / max(1e-9, time.time() - t0), a.seed,
        "no finding" if status == 0 else "FINDING"))
    return status


if __name__ == "__main__":
    sys.exit(main())
