#!/usr/bin/python3
"""dkim_sign_verify.py [--opendkim] [--scan JSON] RECORDS MESSAGE N

Verifies the DKIM signatures Warden made, with reference verifiers:
dkimpy (dkim.DKIM.verify, each signature by its index) and, with
--opendkim, OpenDKIM's libopendkim (libopendkim.so.11 through ctypes,
keys from a file: DKIM_QUERY_FILE), each signature alone.

RECORDS: lines "SELECTOR._domainkey.DOMAIN RECORD" (the key records, as
published).  MESSAGE: the message; with --scan JSON (a line of
"warden scan --json" for it), the DKIM-Signature fields of its
"headers" are put on top of MESSAGE first, as the milter puts them.
Otherwise MESSAGE is taken as delivered, signatures included.  N: how
many DKIM-Signature fields there must be, each of which must verify.
Prints one line per signature and verifier; exit 0 when all pass.
"""
import ctypes
import json
import re
import sys

import dkim

args = sys.argv[1:]
use_od = False
scan = None
while args and args[0].startswith("--"):
    if args[0] == "--opendkim":
        use_od = True
        args = args[1:]
    elif args[0] == "--scan":
        scan = args[1]
        args = args[2:]
    else:
        sys.exit("unknown option " + args[0])
records_file, msg_file, want = args[0], args[1], int(args[2])

records = {}
with open(records_file) as f:
    for line in f:
        line = line.strip()
        if line:
            name, rec = line.split(None, 1)
            records[name.lower().rstrip(".")] = rec

with open(msg_file, "rb") as f:
    msg = f.read()
# As the MTA passes it on: CRLF line ends.
msg = re.sub(rb"\r?\n", b"\r\n", msg)
if msg.startswith(b"From ") and not msg.startswith(b"From: "):
    msg = msg.split(b"\r\n", 1)[1]
if scan is not None:
    with open(scan) as f:
        out = json.loads(f.readline())
    assert out["action"] == "accept", out
    sigs = [v for n, v in out["headers"] if n == "DKIM-Signature"]
    top = b"".join(b"DKIM-Signature: " +
                   v.encode().replace(b"\n", b"\r\n") + b"\r\n"
                   for v in reversed(sigs))
    msg = top + msg


def dnsfunc(name, timeout=5):
    if isinstance(name, bytes):
        name = name.decode()
    return records.get(name.lower().rstrip("."), "").encode()


head = msg.split(b"\r\n\r\n", 1)[0]
fields = re.split(rb"\r\n(?![ \t])", head)
sig_idx = [i for i, h in enumerate(fields)
           if h.lower().startswith(b"dkim-signature:")]
failed = 0
if len(sig_idx) != want:
    print("FAIL: %d DKIM-Signature fields, %d expected" % (len(sig_idx), want))
    failed += 1


def tag(field, name):
    m = re.search(rb"(?:^|;)\s*" + name + rb"\s*=\s*([^;]*)",
                  field.split(b":", 1)[1])
    return re.sub(rb"\s+", b"", m.group(1)).decode() if m else "?"


def label(i):
    f = fields[sig_idx[i]]
    return "d=%s s=%s a=%s" % (tag(f, b"d"), tag(f, b"s"), tag(f, b"a"))


# ---- dkimpy -------------------------------------------------------------
for i in range(len(sig_idx)):
    d = dkim.DKIM(msg)
    try:
        ok = d.verify(idx=i, dnsfunc=dnsfunc)
    except dkim.DKIMException as e:
        ok = False
        print("  dkimpy: %s" % e)
    print("%s: dkimpy %s" % ("ok" if ok else "FAIL", label(i)))
    failed += not ok

# ---- OpenDKIM -------------------------------------------------------------
if use_od:
    OD = ctypes.CDLL("libopendkim.so.11")
    OD.dkim_init.restype = ctypes.c_void_p
    OD.dkim_verify.restype = ctypes.c_void_p
    OD.dkim_verify.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                               ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    OD.dkim_header.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                               ctypes.c_size_t]
    OD.dkim_body.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                             ctypes.c_size_t]
    OD.dkim_eoh.argtypes = [ctypes.c_void_p]
    OD.dkim_eom.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    OD.dkim_free.argtypes = [ctypes.c_void_p]
    OD.dkim_close.argtypes = [ctypes.c_void_p]
    OD.dkim_options.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                ctypes.c_void_p, ctypes.c_size_t]
    DKIM_OP_SETOPT = 1
    DKIM_OPTS_QUERYMETHOD, DKIM_OPTS_QUERYINFO = 6, 7
    DKIM_QUERY_FILE = 1
    DKIM_STAT_OK = 0
    body = msg.split(b"\r\n\r\n", 1)[1]
    for i in range(len(sig_idx)):
        lib = OD.dkim_init(None, None)
        qm = ctypes.c_int(DKIM_QUERY_FILE)
        assert OD.dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD,
                               ctypes.byref(qm), ctypes.sizeof(qm)) == 0
        qi = ctypes.create_string_buffer(records_file.encode())
        assert OD.dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO,
                               qi, len(records_file)) == 0
        st = ctypes.c_int(0)
        d = OD.dkim_verify(lib, b"warden-sign-interop", None,
                           ctypes.byref(st))
        assert d and st.value == 0, st.value
        # this signature alone: the others are not signed by it
        for j, h in enumerate(fields):
            if j in sig_idx and j != sig_idx[i]:
                continue
            assert OD.dkim_header(d, h, len(h)) == 0
        rc = OD.dkim_eoh(d)
        if rc == 0:
            OD.dkim_body(d, body, len(body))
            rc = OD.dkim_eom(d, None)
        ok = rc == DKIM_STAT_OK
        print("%s: opendkim %s%s" % ("ok" if ok else "FAIL", label(i),
                                      "" if ok else " (DKIM_STAT %d)" % rc))
        failed += not ok
        OD.dkim_free(d)
        OD.dkim_close(lib)
sys.exit(1 if failed else 0)
