#!/usr/bin/env python3
"""Hostile messages through both front doors of Warden.

    run.py WARDEN WDLOAD SRCDIR [--small] [--table]

Generates the hostile messages (gen.py), then for each one:
  * "warden scan --json" must exit 0 with one JSON verdict, within the
    time bound and the peak-memory bound;
  * the same message through the milter daemon (the load client plays the
    MTA) must get a verdict with no protocol error.
At the end the daemon must still be running, its peak resident memory
under the bound, and its spool directory empty.  Prints a table of
message, verdict, time and peak memory; exits 1 on any failure.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

warden, wdload, srcdir = sys.argv[1:4]
small = "--small" in sys.argv
# Bounds: generous for sanitizer builds, which are slower and larger.
TIME_S = float(os.environ.get("HOSTILE_TIME_S", "30"))
MEM_MB = float(os.environ.get("HOSTILE_MEM_MB", "1024"))

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
                f"rules = {srcdir}/rules/*.rules\n")
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
        ok = p.returncode == 0
        try:
            obj = json.loads(out.decode().strip().splitlines()[-1])
            verdict = obj["action"]
            ok = ok and verdict in DEFINED
            if name[:-4] in EXPECT and verdict != EXPECT[name[:-4]]:
                ok = False
        except Exception:
            ok = False
        if elapsed > TIME_S or peak_mb > MEM_MB:
            ok = False
        rows.append((name, verdict, elapsed, peak_mb, ok))
        if not ok:
            failures.append(f"scan {name}: rc={p.returncode} verdict={verdict} "
                            f"{elapsed:.2f}s {peak_mb:.0f}MB {err.decode(errors='replace')[-500:]}")

    # The milter: one daemon for every message.
    log = open(os.path.join(tmp, "warden.log"), "w")
    d = subprocess.Popen([warden, "milter", "-c", conf, "-f"], stderr=log)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    mrows = {}
    for name in sorted(os.listdir(msgdir)):
        t0 = time.monotonic()
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
        mrows[name] = (v, elapsed)
        if d.poll() is not None:
            failures.append(f"milter: the daemon died on {name}")
            break
    hwm = 0.0
    try:
        with open(f"/proc/{d.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    if d.poll() is None:
        d.send_signal(signal.SIGTERM)
        d.wait(timeout=60)
    log.close()
    if hwm > MEM_MB:
        failures.append(f"milter: peak resident memory {hwm:.0f} MB > {MEM_MB:.0f} MB")
    left = os.listdir(spool)
    if left:
        failures.append(f"spool directory not empty: {left}")
    with open(os.path.join(tmp, "warden.log")) as f:
        text = f.read()
        if "Sanitizer" in text or "runtime error" in text:
            failures.append("sanitizer report from the daemon:\n" + text[-3000:])

    print(f"{'message':28} {'scan':>10} {'time s':>7} {'peak MB':>8} {'milter':>10} {'time s':>7}")
    for name, verdict, el, mb, ok in rows:
        mv, me = mrows.get(name, ("-", 0.0))
        print(f"{name[:-4]:28} {verdict:>10} {el:7.2f} {mb:8.1f} {mv:>10} {me:7.2f}{'' if ok else '  FAIL'}")
    print(f"daemon peak resident memory: {hwm:.1f} MB (bound {MEM_MB:.0f} MB); "
          f"time bound {TIME_S:.0f} s per message")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
