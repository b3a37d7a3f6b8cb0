#!/usr/bin/env python3
"""Hostile messages through both front doors of Warden.

    run.py WARDEN WDLOAD SRCDIR [--small]

Generates the hostile messages (gen.py), then for each one:
  * "warden scan --json" must exit 0 with one JSON verdict, within the
    message's time bound and peak-memory bound (BOUNDS below);
  * the same message through the milter daemon (the load client plays the
    MTA) must get a verdict with no protocol error, within the time bound.
The limit each reaches (X-Spam-Status ... limit=NAME, and the daemon's
verdict line) must be the one expected (LIMITS below), and the honest
25 MB message with 200 attachments must reach none.  The rules are the
shipped ones plus hostile.rules (every kind, some built to backtrack).
At the end the daemon must still be running, its peak resident memory
under the bound, and its spool directory empty.  Prints a table of
message, verdict, limit, time and peak memory with their bounds; exits 1
on any failure.
"""
import re
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

warden, wdload, srcdir = sys.argv[1:4]
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(srcdir, "tests"))
import daemon  # noqa: E402
small = "--small" in sys.argv
# Bounds per message: (seconds, peak resident MB) for "warden scan" in a
# plain build; the time bound also holds for the milter.  The times leave
# room for a loaded CI machine (about ten times what an idle one needs).  Sanitizer builds
# (--small: the largest messages are a quarter of the size) are slower
# and larger: SAN_TIME and SAN_MEM scale the bounds.  HOSTILE_TIME_S and
# HOSTILE_MEM_MB, when set, replace every bound.
DEFAULT_BOUND = (10.0, 64.0)
BOUNDS = {
    "attachment-40mb": (30.0, 256.0),
    "gtube-padded-30mb": (30.0, 256.0),
    "honest-25mb-200-attachments": (30.0, 256.0),
    "body-line-10mb": (30.0, 160.0),
    "headers-100k": (30.0, 160.0),
    "attachments-10k": (20.0, 96.0),
    "received-10k": (20.0, 64.0),
}
SAN_TIME, SAN_MEM = 6.0, 4.0
MEM_MB = float(os.environ.get("HOSTILE_MEM_MB", "1024"))  # the daemon's peak


def bound(name):
    t, m = BOUNDS.get(name, DEFAULT_BOUND)
    if small:
        t, m = t * SAN_TIME, m * SAN_MEM
    if "HOSTILE_TIME_S" in os.environ:
        t = float(os.environ["HOSTILE_TIME_S"])
    if "HOSTILE_MEM_MB" in os.environ:
        m = float(os.environ["HOSTILE_MEM_MB"])
    return t, m


# The limit each message must reach (None: none at all); messages not
# named may reach any.  --small shrinks some below their limit.
LIMITS = {
    "honest-25mb-200-attachments": None,
    "multipart-nested-1000": "mime_depth",
    "rfc822-nested-200": "mime_depth",
    "header-line-1mb": "header_length",
    "headers-100k": "header_count",
    "received-10k": "header_count",
    "attachments-10k": "mime_parts",
    "uris-100k": "uris",
    "empty": None,
    "headers-only": None,
}
if not small:
    LIMITS["body-line-10mb"] = "part_decoded_size"

# Expected actions where the message decides them; others must merely
# get a defined verdict.
EXPECT = {"gtube-padded-30mb": "reject"}
DEFINED = {"accept", "tag", "quarantine", "reject", "tempfail", "discard"}

tmp = tempfile.mkdtemp(prefix="warden-hostile-")
failures = []
try:
    msgdir = os.path.join(tmp, "msgs")
    subprocess.check_call([sys.executable, os.path.join(srcdir, "tests/hostile/gen.py"), msgdir]
                          + (["--small"] if small else []))
    spool = os.path.join(tmp, "spool")
    os.mkdir(spool)
    sock = os.path.join(tmp, "w.sock")
    conf = os.path.join(tmp, "w.conf")
    with open(conf, "w") as f:
        f.write(f"socket = unix:{sock}\nspool_directory = {spool}\nclamav = off\n"
                f"run_as_root = yes\nspool_memory_limit = 256k\n"
                f"rules = {srcdir}/rules/*.rules {srcdir}/tests/hostile/hostile.rules\n"
                f"regex_prefilter_cache = {tmp}\n")
    # The regex prefilter compiled once, as at a site's first start: the
    # scans below read it back instead of each compiling it (whose
    # transient memory is not the message's).
    subprocess.run([warden, "lint", "-c", conf], capture_output=True)
    rows = []
    for name in sorted(os.listdir(msgdir)):
        path = os.path.join(msgdir, name)
        t0 = time.monotonic()
        with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
            p = subprocess.Popen([warden, "scan", "-c", conf, "--json", path],
                                 stdout=fo, stderr=fe)
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            elapsed = time.monotonic() - t0
            fo.seek(0)
            fe.seek(0)
            out, err = fo.read(), fe.read()
        peak_mb = ru.ru_maxrss / 1024.0
        verdict = "?"
        limit = "-"
        ok = p.returncode == 0
        base = name[:-4]
        tb, mb = bound(base)
        why = ""
        try:
            obj = json.loads(out.decode().strip().splitlines()[-1])
            verdict = obj["action"]
            ok = ok and verdict in DEFINED
            if base in EXPECT and verdict != EXPECT[base]:
                ok = False
            st = [v for k, v in obj["headers"] if k == "X-Spam-Status"]
            m = re.search(r" limit=(\S+)", st[0]) if st else None
            limit = m.group(1) if m else "-"
            if base in LIMITS and limit != (LIMITS[base] or "-") and st:
                ok = False
                why = f"limit {limit}, expected {LIMITS[base] or 'none'}"
        except Exception:
            ok = False
        if elapsed > tb or peak_mb > mb:
            ok = False
            why = f"bounds {tb:.0f}s {mb:.0f}MB"
        rows.append((name, verdict, limit, elapsed, peak_mb, ok))
        if not ok:
            failures.append(f"scan {name}: rc={p.returncode} verdict={verdict} "
                            f"{elapsed:.2f}s {peak_mb:.0f}MB {why} "
                            f"{err.decode(errors='replace')[-500:]}")

    # The milter: one daemon for every message.
    logpath = os.path.join(tmp, "warden.log")
    mrows = {}
    try:
        d = daemon.start(conf, logpath, warden)
    except daemon.DaemonError as e:
        d = None
        failures.append(f"milter: {e}")
    for name in (sorted(os.listdir(msgdir)) if d else []):
        t0 = time.monotonic()
        logpos = os.path.getsize(logpath)
        r = subprocess.run([wdload, "-s", f"unix:{sock}", "-c", "1", "-n", "1", "-j",
                            os.path.join(msgdir, name)], capture_output=True, text=True)
        elapsed = time.monotonic() - t0
        v = "?"
        try:
            obj = json.loads(r.stdout.strip().splitlines()[-1])
            v = [k for k in ("accept", "tag", "quarantine", "reject", "tempfail", "discard")
                 if obj.get(k)][0]
            if obj["errors"]:
                raise ValueError("protocol errors")
        except Exception:
            failures.append(f"milter {name}: {r.stdout.strip()} {r.stderr.strip()}")
        # The daemon's verdict line for it: its limit, if any.
        ml = "?"
        for _ in range(50):
            with open(logpath, errors="replace") as f:
                f.seek(logpos)
                lines = [x for x in f.read().splitlines() if " action=" in x]
            if lines:
                m = re.search(r" limit=(\S+)", lines[-1])
                ml = m.group(1) if m else "-"
                break
            time.sleep(0.02)
        base = name[:-4]
        tb, _ = bound(base)
        if elapsed > tb:
            failures.append(f"milter {name}: {elapsed:.2f}s > {tb:.0f}s")
        if base in LIMITS and v in ("accept", "tag", "quarantine") and \
                ml != (LIMITS[base] or "-"):
            failures.append(f"milter {name}: limit {ml}, expected "
                            f"{LIMITS[base] or 'none'}")
        mrows[name] = (v, ml, elapsed)
        if not d.alive():
            failures.append(f"milter: the daemon died on {name}")
            break
    hwm = d.mem_kb("VmHWM") / 1024.0 if d else 0.0
    if d:
        status = d.stop(60)
        if d.killed:
            failures.append("milter: the daemon did not stop within 60 s of SIGTERM")
        elif status != 0:
            failures.append(f"milter: the daemon exited with status {status} after SIGTERM")
    if hwm > MEM_MB:
        failures.append(f"milter: peak resident memory {hwm:.0f} MB > {MEM_MB:.0f} MB")
    left = os.listdir(spool)
    if left:
        failures.append(f"spool directory not empty: {left}")
    if daemon.sanitizer_report(logpath):
        with open(logpath, errors="replace") as f:
            failures.append("sanitizer report from the daemon:\n" + f.read()[-3000:])

    print(f"{'message':28} {'scan':>8} {'limit':>17} {'time s':>7} {'peak MB':>8}"
          f" {'milter':>8} {'limit':>17} {'time s':>7} {'bound s':>7} {'bound MB':>8}")
    for name, verdict, limit, el, mb, ok in rows:
        mv, ml, me = mrows.get(name, ("-", "-", 0.0))
        tb, mbb = bound(name[:-4])
        print(f"{name[:-4]:28} {verdict:>8} {limit:>17} {el:7.2f} {mb:8.1f}"
              f" {mv:>8} {ml:>17} {me:7.2f} {tb:7.0f} {mbb:8.0f}{'' if ok else '  FAIL'}")
    print(f"daemon peak resident memory: {hwm:.1f} MB (bound {MEM_MB:.0f} MB)"
          f"{'; sanitizer build, small messages' if small else ''}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
