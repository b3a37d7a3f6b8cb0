#!/usr/bin/python3
"""dkim_interop.py OUTDIR -- messages signed by reference DKIM signers,
for tests/auth/dkim_interop (Warden's verifier).

Signers: dkimpy's Python API (dkim.sign) and its command dkimsign;
OpenDKIM's library (libopendkim.so.11, through ctypes: the library of
opendkim-testmsg and the opendkim milter) and its command
opendkim-testmsg.  Keys: RSA 1024 and 2048 from opendkim-genkey (with
its TXT records), Ed25519 from OpenSSL.  Also the messages and keys of
dkimpy's own tests (dkim/tests/data).

Writes OUTDIR/keys.tsv (name, answer, record: the stub's DNS table),
OUTDIR/cases.tsv (label, message file, expected results, the time to
judge at) and the messages.  Expected results: one word per signature,
"status[:flag...]" with flags bm (body hash mismatch), sha1, t
(testing key), bits=N.
"""
import base64
import ctypes
import os
import re
import subprocess
import sys

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

OUT = sys.argv[1]
DATA = os.path.join(os.path.dirname(dkim.__file__), "tests", "data")
DOM = b"example.com"
CANONS = [(b"simple", b"simple"), (b"relaxed", b"relaxed"),
          (b"relaxed", b"simple"), (b"simple", b"relaxed")]

keys = []       # (name, answer, record)
cases = []      # (label, file, expect, now)
nfile = [0]


def key(name, record, answer="OK"):
    keys.append((name, answer, record))


def case(label, msg, expect, now=0):
    nfile[0] += 1
    fn = "m%03d.eml" % nfile[0]
    with open(os.path.join(OUT, fn), "wb") as f:
        f.write(msg)
    cases.append((label, fn, expect, now))


def data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


# ---- keys -------------------------------------------------------------

def genkey(bits, sel):
    """opendkim-genkey: the private key (PEM) and the TXT record."""
    subprocess.run(["opendkim-genkey", "-b", str(bits), "-d", "example.com",
                    "-s", sel, "-D", OUT], check=True)
    with open(os.path.join(OUT, sel + ".private"), "rb") as f:
        priv = f.read()
    with open(os.path.join(OUT, sel + ".txt")) as f:
        zone = f.read()
    record = "".join(re.findall(r'"([^"]*)"', zone))
    return priv, record


def pem_rsa(k):
    return k.private_bytes(serialization.Encoding.PEM,
                           serialization.PrivateFormat.TraditionalOpenSSL,
                           serialization.NoEncryption())


def spki_b64(pub):
    return base64.b64encode(pub.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


def name(sel, dom="example.com"):
    return "%s._domainkey.%s" % (sel, dom)


rsa1024, rec1024 = genkey(1024, "rsa1024")
rsa2048, rec2048 = genkey(2048, "rsa2048")
key(name("rsa1024"), rec1024)          # v=DKIM1; h=sha256; k=rsa; p=...
key(name("rsa2048"), rec2048)
p1024 = re.search(r"p=([A-Za-z0-9+/=]+)", rec1024).group(1)
p2048 = re.search(r"p=([A-Za-z0-9+/=]+)", rec2048).group(1)

edk = ed25519.Ed25519PrivateKey.generate()
ed_seed = base64.b64encode(edk.private_bytes(
    serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
    serialization.NoEncryption()))          # dkimpy's form
ed_pem = edk.private_bytes(serialization.Encoding.PEM,
                           serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())  # OpenDKIM's
ed_pub = base64.b64encode(edk.public_key().public_bytes(
    serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
key(name("ed"), "v=DKIM1; k=ed25519; p=" + ed_pub)

# Key records that change the outcome (the RSA 2048 key under them).
key(name("anyhash"), "v=DKIM1; k=rsa; p=" + p1024)     # no h=: sha1 ok
key(name("revoked"), "v=DKIM1; k=rsa; p=")
key(name("testing"), "v=DKIM1; k=rsa; t=y; p=" + p2048)
key(name("strict"), "v=DKIM1; k=rsa; t=s; p=" + p2048)
key(name("wrongk"), "v=DKIM1; k=ed25519; p=" + p2048)
key(name("notemail"), "v=DKIM1; k=rsa; s=tlsrpt; p=" + p2048)
key(name("badv"), "k=rsa; v=DKIM1; p=" + p2048)
key(name("servfail"), "", "SERVFAIL")
key(name("slow"), "", "TIMEOUT")
key(name("nodata"), "", "NODATA")
rsa512 = rsa.generate_private_key(public_exponent=65537, key_size=512)
key(name("rsa512"), "v=DKIM1; k=rsa; p=" + spki_b64(rsa512.public_key()))
# a bare RSAPublicKey (PKCS#1) in p=, as some publish
key(name("pkcs1"), "v=DKIM1; k=rsa; p=" + base64.b64encode(
    serialization.load_pem_private_key(rsa2048, None).public_key()
    .public_bytes(serialization.Encoding.DER,
                  serialization.PublicFormat.PKCS1)).decode())

# ---- messages ---------------------------------------------------------

BASE = (b"Received: from mx.example.org by mx.example.net; Mon, 1 Jan 2024\r\n"
        b"From: Alice <alice@example.com>\r\n"
        b"To: Bob <bob@example.net>\r\n"
        b"Subject:   A  test\t message\r\n"
        b"   folded  here  \r\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        b"Message-ID: <t1@example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"\r\n"
        b"Hello Bob,  \r\n"
        b"\r\n"
        b"Some \t spaced   text.\t\r\n"
        b"  leading white space\r\n"
        b"\r\n"
        b"-- \r\n"
        b"Alice\r\n"
        b"\r\n"
        b"\r\n")
HDRS = [b"from", b"to", b"subject", b"date", b"message-id",
        b"mime-version", b"content-type"]


def tamper_body(m):
    return m.replace(b"Hello Bob", b"Hello Eve")


def tamper_header(m):
    return m.replace(b"Subject:   A  test", b"Subject:   A  jest")


def lf(m):
    return m.replace(b"\r\n", b"\n")


def cname(c):
    return (c[0][:1] + c[1][:1]).decode()   # "ss", "rr", "rs", "sr"


ALGS = [("rsa1024", b"rsa-sha256", rsa1024, "rsa1024"),
        ("rsa2048", b"rsa-sha256", rsa2048, "rsa2048"),
        ("ed25519", b"ed25519-sha256", ed_seed, "ed")]


def py_sign(msg, sel, priv, c, alg=b"rsa-sha256", **kw):
    kw.setdefault("include_headers", HDRS)
    d = dkim.DKIM(msg, signature_algorithm=alg, minkey=512)
    d.should_not_sign.discard(b"dkim-signature")   # signing over another
    return d.sign(sel.encode(), DOM, priv, canonicalize=c, **kw) + msg


def dkimpy_cases():
    bits = {"rsa1024": ":bits=1024", "rsa2048": ":bits=2048", "ed25519": ""}
    for c in CANONS:
        for lbl, alg, priv, sel in ALGS:
            tag = "dkimpy %s %s" % (cname(c), lbl)
            m = py_sign(BASE, sel, priv, c, alg)
            case(tag + " pass", m, "pass" + bits[lbl])
            case(tag + " lf-only", lf(m), "pass" + bits[lbl])
            case(tag + " body changed", tamper_body(m),
                 "fail:bm" + bits[lbl])
            case(tag + " header changed", tamper_header(m),
                 "fail" + bits[lbl])
            m = py_sign(BASE, sel, priv, c, alg, length=True)
            assert b"l=" in m
            case(tag + " l= text appended", m + b"appended\r\n",
                 "pass" + bits[lbl])
            case(tag + " l= body cut", m[:-40], "fail:bm" + bits[lbl])
            m = py_sign(BASE, sel, priv, c, alg,
                        include_headers=[b"from", b"from"] + HDRS[1:])
            case(tag + " oversigned From", m, "pass" + bits[lbl])
            case(tag + " oversigned From, From added",
                 b"From: Mallory <m@example.org>\r\n" + m,
                 "fail" + bits[lbl])
        # the rsa-sha1 cases
        m = py_sign(BASE, "anyhash", rsa1024, c, b"rsa-sha1")
        case("dkimpy %s rsa-sha1 pass" % cname(c), m, "pass:sha1:bits=1024")
        case("dkimpy %s rsa-sha1 body changed" % cname(c), tamper_body(m),
             "fail:bm:sha1:bits=1024")
    c = (b"relaxed", b"relaxed")
    # two signatures, one message
    m = py_sign(py_sign(BASE, "ed", ed_seed, (b"simple", b"simple"),
                        b"ed25519-sha256"), "rsa2048", rsa2048, c)
    case("dkimpy rr+ss rsa2048+ed25519 two signatures", m,
         "pass:bits=2048 pass")
    case("dkimpy rr+ss two signatures, body changed", tamper_body(m),
         "fail:bm:bits=2048 fail:bm")
    # the outer signature signs the inner one
    m2 = py_sign(BASE, "rsa1024", rsa1024, c)
    m2 = py_sign(m2, "rsa2048", rsa2048, c,
                 include_headers=HDRS + [b"dkim-signature"])
    case("dkimpy rr rsa2048 signing rsa1024's", m2,
         "pass:bits=2048 pass:bits=1024")
    case("dkimpy rr rsa2048 signing rsa1024's, inner's s= changed",
         m2.replace(b"s=rsa1024", b"s=anyhash"),
         "fail:bits=2048 fail:bits=1024")
    # the inner signs the absence of DKIM-Signature: the outer added
    # later breaks it (dkimpy's verifier agrees)
    m2 = py_sign(BASE, "rsa1024", rsa1024, c,
                 include_headers=HDRS + [b"dkim-signature"])
    m2 = py_sign(m2, "rsa2048", rsa2048, c)
    case("dkimpy rr inner signs no DKIM-Signature, outer added", m2,
         "pass:bits=2048 fail:bits=1024")
    # key records
    case("dkimpy rr revoked key", py_sign(BASE, "revoked", rsa2048, c),
         "permerror")
    case("dkimpy rr testing key", py_sign(BASE, "testing", rsa2048, c),
         "pass:t:bits=2048")
    case("dkimpy rr wrong k=", py_sign(BASE, "wrongk", rsa2048, c),
         "permerror")
    case("dkimpy rr key s=tlsrpt", py_sign(BASE, "notemail", rsa2048, c),
         "permerror")
    case("dkimpy rr key v= not first", py_sign(BASE, "badv", rsa2048, c),
         "permerror")
    case("dkimpy rr rsa-sha1, key h=sha256",
         py_sign(BASE, "rsa1024", rsa1024, c, b"rsa-sha1"),
         "permerror:sha1")
    case("dkimpy rr t=s, i= in d=",
         py_sign(BASE, "strict", rsa2048, c, identity=b"a@example.com"),
         "pass:bits=2048")
    case("dkimpy rr t=s, i= in a subdomain",
         py_sign(BASE, "strict", rsa2048, c,
                 identity=b"a@mail.example.com"), "permerror")
    case("dkimpy rr i= subdomain, no t=s",
         py_sign(BASE, "rsa2048", rsa2048, c,
                 identity=b"a@mail.example.com"), "pass:bits=2048")
    m = py_sign(BASE, "rsa2048", rsa2048, c, identity=b"a@example.com")
    case("dkimpy rr i= changed outside d=",
         m.replace(b"i=a@example.com", b"i=a@example.org"), "permerror")
    case("dkimpy rr no key record (NXDOMAIN)",
         py_sign(BASE, "absent", rsa2048, c), "permerror")
    case("dkimpy rr no key record (NODATA)",
         py_sign(BASE, "nodata", rsa2048, c), "permerror")
    case("dkimpy rr key lookup SERVFAIL",
         py_sign(BASE, "servfail", rsa2048, c), "temperror")
    case("dkimpy rr key lookup timeout", py_sign(BASE, "slow", rsa2048, c),
         "temperror")
    case("dkimpy rr RSA 512 key", py_sign(BASE, "rsa512", pem_rsa(rsa512), c),
         "policy:bits=512")
    case("dkimpy rr PKCS#1 key record", py_sign(BASE, "pkcs1", rsa2048, c),
         "pass:bits=2048")
    m = py_sign(BASE, "rsa2048", rsa2048, c)
    case("dkimpy rr h= without From",
         m.replace(b"h=from", b"h=x-none").replace(b"h=From", b"h=x-none"),
         "permerror")
    case("dkimpy rr duplicate tag", m.replace(b"v=1;", b"v=1; v=1;"),
         "neutral")
    case("dkimpy rr v=2", m.replace(b"v=1;", b"v=2;"), "neutral")
    case("dkimpy rr unknown a=", m.replace(b"a=rsa-sha256", b"a=rsa-md5"),
         "neutral")
    case("dkimpy rr bh= missing", re.sub(rb"bh=[^;]*;", b"", m), "neutral")
    case("dkimpy rr x= before t=",
         m.replace(b"v=1;", b"v=1; x=1000000000;"), "neutral")
    # x= checked against a fixed time; dkimpy signs with x= (expire)
    m = dkim.DKIM(BASE, signature_algorithm=b"rsa-sha256").sign(
        b"rsa2048", DOM, rsa2048, canonicalize=c,
        include_headers=HDRS) + BASE
    tm = int(re.search(rb"t=(\d+)", m).group(1))
    mx = m.replace(b"t=%d;" % tm, b"t=%d; x=%d;" % (tm, tm + 100))
    case("dkimpy rr x= added, not expired: signature fails", mx,
         "fail:bits=2048", tm + 10)
    case("dkimpy rr x= added, expired", mx, "permerror", tm + 1000)


def dkimsign_cases():
    for c in CANONS:
        for lbl, alg, priv, sel in ALGS:
            kf = os.path.join(OUT, "cli_%s.key" % sel)
            with open(kf, "wb") as f:
                f.write(priv)
            r = subprocess.run(["dkimsign", "--hcanon", c[0].decode(),
                                "--bcanon", c[1].decode(),
                                "--signalg", alg.decode(), sel,
                                "example.com", kf], input=BASE,
                               capture_output=True, check=True)
            m = r.stdout
            assert m.startswith(b"DKIM-Signature"), r.stderr
            bits = "" if lbl == "ed25519" else ":bits=" + lbl[3:]
            tag = "dkimsign %s %s" % (cname(c), lbl)
            case(tag + " pass", m, "pass" + bits)
            case(tag + " body changed", tamper_body(m), "fail:bm" + bits)
            case(tag + " header changed", tamper_header(m), "fail" + bits)


# ---- OpenDKIM ---------------------------------------------------------

OD = ctypes.CDLL("libopendkim.so.11")
OD.dkim_init.restype = ctypes.c_void_p
OD.dkim_sign.restype = ctypes.c_void_p
OD.dkim_sign.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p,
                         ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                         ctypes.c_int, ctypes.c_int, ctypes.c_int,
                         ctypes.c_ssize_t, ctypes.POINTER(ctypes.c_int)]
OD.dkim_header.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
OD.dkim_body.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
OD.dkim_eoh.argtypes = [ctypes.c_void_p]
OD.dkim_eom.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
OD.dkim_getsighdr_d.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                                ctypes.POINTER(ctypes.c_char_p),
                                ctypes.POINTER(ctypes.c_size_t)]
OD.dkim_free.argtypes = [ctypes.c_void_p]
OD.dkim_close.argtypes = [ctypes.c_void_p]
OD.dkim_options.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                            ctypes.c_void_p, ctypes.c_size_t]
OD_CANON = {b"simple": 0, b"relaxed": 1}
OD_ALG = {b"rsa-sha1": 0, b"rsa-sha256": 1, b"ed25519-sha256": 2}
DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, DKIM_OPTS_OVERSIGNHDRS = 1, 0, 5
DKIM_OPTS_SIGNATURETTL = 11
DKIM_LIBFLAGS_SIGNLEN = 0x0004


def od_sign(msg, sel, priv, c, alg=b"rsa-sha256", length=-1, oversign=None,
            ttl=0):
    """Sign msg (CRLF) with libopendkim; the message with its signature."""
    lib = OD.dkim_init(None, None)
    assert lib
    if length >= 0:
        fl = ctypes.c_uint(DKIM_LIBFLAGS_SIGNLEN)
        assert OD.dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS,
                               ctypes.byref(fl), ctypes.sizeof(fl)) == 0
    if oversign:
        arr = (ctypes.c_char_p * (len(oversign) + 1))(*oversign, None)
        assert OD.dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
                               arr, ctypes.sizeof(ctypes.c_void_p)) == 0
    if ttl:
        t = ctypes.c_uint64(ttl)
        assert OD.dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL,
                               ctypes.byref(t), ctypes.sizeof(t)) == 0
    st = ctypes.c_int(0)
    d = OD.dkim_sign(lib, b"interop", None, priv, sel.encode(), DOM,
                     OD_CANON[c[0]], OD_CANON[c[1]], OD_ALG[alg],
                     -1, ctypes.byref(st))
    assert d and st.value == 0, st.value
    head, body = msg.split(b"\r\n\r\n", 1)
    for h in re.split(rb"\r\n(?![ \t])", head):
        assert OD.dkim_header(d, h, len(h)) == 0
    assert OD.dkim_eoh(d) == 0
    assert OD.dkim_body(d, body, len(body)) == 0
    rc = OD.dkim_eom(d, None)
    assert rc == 0, rc
    p, n = ctypes.c_char_p(), ctypes.c_size_t()
    assert OD.dkim_getsighdr_d(d, len(b"DKIM-Signature: "), ctypes.byref(p),
                               ctypes.byref(n)) == 0
    sig = p.value
    OD.dkim_free(d)
    OD.dkim_close(lib)
    return b"DKIM-Signature: " + sig + b"\r\n" + msg


def opendkim_cases():
    bits = {"rsa1024": ":bits=1024", "rsa2048": ":bits=2048", "ed25519": ""}
    algs = [("rsa1024", b"rsa-sha256", rsa1024, "rsa1024"),
            ("rsa2048", b"rsa-sha256", rsa2048, "rsa2048"),
            ("ed25519", b"ed25519-sha256", ed_pem, "ed")]
    for c in CANONS:
        for lbl, alg, priv, sel in algs:
            tag = "opendkim %s %s" % (cname(c), lbl)
            # libopendkim 2.11.0~beta2's ed25519-sha256 signatures with
            # simple header canonicalization do not verify (dkimpy's
            # verifier fails them too): expected fail, and the other
            # cases of that pair are left out.
            if lbl == "ed25519" and c[0] == b"simple":
                m = od_sign(BASE, sel, priv, c, alg)
                case(tag + " (OpenDKIM's own defect) pass", m, "fail")
                continue
            m = od_sign(BASE, sel, priv, c, alg)
            case(tag + " pass", m, "pass" + bits[lbl])
            case(tag + " lf-only", lf(m), "pass" + bits[lbl])
            case(tag + " body changed", tamper_body(m),
                 "fail:bm" + bits[lbl])
            case(tag + " header changed", tamper_header(m),
                 "fail" + bits[lbl])
            m = od_sign(BASE, sel, priv, c, alg, length=0)
            assert b"l=" in m, m
            case(tag + " l= text appended", m + b"appended\r\n",
                 "pass" + bits[lbl])
            m = od_sign(BASE, sel, priv, c, alg, oversign=[b"From"])
            case(tag + " oversigned From", m, "pass" + bits[lbl])
            case(tag + " oversigned From, From added",
                 b"From: Mallory <m@example.org>\r\n" + m,
                 "fail" + bits[lbl])
        m = od_sign(BASE, "anyhash", rsa1024, c, b"rsa-sha1")
        case("opendkim %s rsa-sha1 pass" % cname(c), m, "pass:sha1:bits=1024")
    c = (b"relaxed", b"relaxed")
    m = od_sign(od_sign(BASE, "ed", ed_pem, c, b"ed25519-sha256"),
                "rsa2048", rsa2048, c)
    case("opendkim rr rsa2048+ed25519 two signatures", m,
         "pass:bits=2048 pass")
    case("opendkim rr revoked key", od_sign(BASE, "revoked", rsa2048, c),
         "permerror")
    case("opendkim rr testing key", od_sign(BASE, "testing", rsa2048, c),
         "pass:t:bits=2048")
    case("opendkim rr wrong k=", od_sign(BASE, "wrongk", rsa2048, c),
         "permerror")
    m = od_sign(BASE, "rsa2048", rsa2048, c, ttl=100)
    tm = int(re.search(rb"t=(\d+)", m).group(1))
    case("opendkim rr x= valid", m, "pass:bits=2048", tm + 10)
    case("opendkim rr x= expired", m, "permerror", tm + 1000)
    # the command: relaxed/simple rsa-sha1, its defaults
    kf = os.path.join(OUT, "rsa1024.private")

    def testmsg(sel, msg, crlf=True):
        r = subprocess.run(["opendkim-testmsg"] + (["-C"] if crlf else []) +
                           ["-d", "example.com", "-k", kf, "-s", sel],
                           input=msg, capture_output=True, check=True)
        assert r.stdout.startswith(b"DKIM-Signature"), r.stderr
        return r.stdout
    m = testmsg("anyhash", BASE)
    case("opendkim-testmsg rs rsa1024 rsa-sha1 pass", m,
         "pass:sha1:bits=1024")
    case("opendkim-testmsg rs rsa1024 rsa-sha1 body changed",
         tamper_body(m), "fail:bm:sha1:bits=1024")
    case("opendkim-testmsg rs rsa1024 rsa-sha1 header changed",
         tamper_header(m), "fail:sha1:bits=1024")
    case("opendkim-testmsg rs rsa-sha1, key h=sha256",
         testmsg("rsa1024", BASE), "permerror:sha1")
    # without -C, on LF input, its b= ends in garbage ("...==8YDV...==")
    case("opendkim-testmsg rs LF input (b= corrupt)",
         testmsg("anyhash", lf(BASE), False), "neutral:sha1")


# ---- dkimpy's test data -------------------------------------------------

def dkimpy_data_cases():
    test_txt = data("test.txt").decode().strip()
    key(name("test"), test_txt)
    key(name("test", "example.net"),
        "v=DKIM1; k=ed25519; p=yi50DjK5O9pqbFpNHklsv9lqaS0ArSYu02qp1S0DW1Y=")
    key(name("test", "football.example.com"), test_txt)
    key(name("brisbane", "football.example.com"),
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    key(name("sed", "test.ex"), data("eximtest.dns").decode().strip())
    key(name("20120113", "gmail.com"), "k=rsa; "
        "p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Kd87/UeJjenpabgbFwh"
        "+eBCsSTrqmwIYYvywlbhbqoo2DymndFkbjOVIPIldNs/m40KF+yzMn1skyoxcTUGCQ"
        "s8g3FgD2Ap3ZB5DekAo5wMmk4wimDO+U8QzI3SD07y2+07wlNWwIt8svnxgdxGkVbb"
        "hzY8i+RQ9DpSVpPbF7ykQxtKXkv/ahW3KjViiAH+ghvvIhkx4xYSIc9oSwVmAl5Oct"
        "MEeWUwg8Istjqz8BZeTWbf41fbNhte7Y+YqZOwq1Sd0DbvYAD9NOZK9vlfuac0598H"
        "Y+vtSBczUiKERHv1yRbcaQtZFh5wtiRrN04BLUTD21MycBX5jYchHjPY/wIDAQAB")
    key(name("example", "canonical.com"), "k=rsa; s=email;"
        "p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANmBe10IgY+u7h3enWTukkqtUD5PR52T"
        "b/mPfjC0QJTocVBq6Za/PlzfV+Py92VaCak19F4WrbVTK5Gg5tW220MCAwEAAQ==")
    key(name("implicitk"), data("test2.txt").decode().strip())
    key(name("badversion"), data("badversion.txt").decode().strip())
    key(name("badk"), data("badk.txt").decode().strip())
    key(name("badkey", "football.example.com"), "k=rsa; "
        "p=MFwwDQYJKoZIhvNAQEBBQADSwAwSAJBANmBe10IgY+u7h3enWTukkqtUD5PR52T"
        "b/mPfjC0QJTocVBq6Za/PlzfV+Py92VaCak19F4WrbVTK5Gg5tW220MCAwEAAQ==")

    msg = data("test.message")
    priv = data("test.private")
    for c in CANONS:
        m = dkim.sign(msg, b"test", DOM, priv, canonicalize=c) + msg
        case("data test.message %s (test_verifies)" % cname(c), m,
             "pass:bits=1024")
        m = dkim.sign(msg, b"test", DOM, priv, canonicalize=c,
                      linesep=b"\n") + msg
        case("data test.message %s LF (test_verifies_lflinesep)" % cname(c),
             m, "pass:bits=1024")
        for sel, exp, t in (("implicitk", "pass:bits=1024", "implicit_k"),
                            ("badversion", "permerror", "bad_version"),
                            ("badk", "permerror", "unknown_k")):
            m = dkim.sign(msg, sel.encode(), DOM, priv, canonicalize=c) + msg
            case("data test.message %s (test_%s)" % (cname(c), t), m, exp)
        m = dkim.sign(msg, b"test", DOM, priv, canonicalize=c) + msg
        case("data test.message %s body + foo (test_altered_body_fails)"
             % cname(c), m + b"foo", "fail:bm:bits=1024")
    m = dkim.sign(msg, b"test", DOM, priv, length=True) + msg
    case("data test.message l= (test_add_body_length)", m, "pass:bits=1024")
    case("data test.message l= + text (test_l_verify)", m + b"added\n",
         "pass:bits=1024")
    m = dkim.sign(msg, b"test", DOM, priv) + msg
    case("data test.message no signature (test_verifies_nosig)", msg, "")
    h, b = m.split(b"\n\n", 1)
    case("data test.message X-Foo added (test_multiple_from_fails)",
         h + b"\nX-Foo: bar\n\n" + b, "pass:bits=1024")
    case("data test.message From added (test_multiple_from_fails)",
         h + b'\nFrom: "Resident Evil" <sales@spammer.com>\n\n' + b,
         "fail:bits=1024")
    case("data rfc6376.signed.msg (test_double_previous_verifies)",
         data("rfc6376.signed.msg"), "pass pass:bits=1024")
    case("data rfc6376.signed.rsa.msg", data("rfc6376.signed.rsa.msg"),
         "pass:bits=1024")
    m3 = data("rfc6376.msg")
    for c in CANONS:
        m = dkim.sign(m3, b"test", b"football.example.com", priv,
                      canonicalize=c) + m3
        case("data rfc6376.msg %s (test_double_verifies)" % cname(c), m,
             "pass:bits=1024")
        m = dkim.sign(data("rfc6376.signed.msg"), b"test",
                      b"football.example.com", priv,
                      canonicalize=c) + data("rfc6376.signed.msg")
        case("data rfc6376.signed.msg re-signed %s" % cname(c), m,
             "pass:bits=1024 pass pass:bits=1024")
        m = dkim.sign(m3, b"brisbane", b"football.example.com",
                      data("rfc8032_7_1.key"), canonicalize=c,
                      signature_algorithm=b"ed25519-sha256") + m3
        case("data rfc6376.msg rfc8032 key %s (test_rfc8032_verifies)"
             % cname(c), m, "pass")
        w = data("rfc6376.w1258.msg")
        m = dkim.sign(w, b"test", b"football.example.com", priv,
                      canonicalize=c) + w
        case("data rfc6376.w1258.msg %s (test_non_utf8)" % cname(c), m,
             "pass:bits=1024")
    case("data rfc6376.signed.rsa.msg bad key (test_catch_bad_key)",
         data("rfc6376.signed.rsa.msg").replace(b"s=test", b"s=badkey"),
         "permerror")
    case("data ed25519test2.msg exim (test_verify_third_party)",
         data("ed25519test2.msg"), "pass")
    em = data("ed25519test.msg")
    for c in CANONS:
        m = dkim.sign(em, b"test", b"example.net", data("ed25519test.key"),
                      canonicalize=c,
                      signature_algorithm=b"ed25519-sha256") + em
        case("data ed25519test.msg %s (ed25519 test_verifies)" % cname(c), m,
             "pass")
        case("data ed25519test.msg %s + foo (ed25519 altered body)"
             % cname(c), m + b"foo", "fail:bm")
    case("data test2.message gmail (test_degenerate_folding)",
         data("test2.message"), "pass:bits=2048")
    mb = data("message.mbox")
    for c in CANONS:
        d = dkim.DKIM(mb)
        d.should_not_sign.remove(b"received")
        m = d.sign(b"test", DOM, priv, canonicalize=c) + mb
        # its own kitterman.com signature has no key here
        case("data message.mbox %s (test_extra_headers)" % cname(c), m,
             "pass:bits=1024 permerror")
    # test_dkim_signature_canonicalization: the signature refolded,
    # with a tab; the key is 512 bits (dkimpy's minkey=512): policy
    sample = (b"From: mbp@canonical.com\r\nTo: scottk@example.com\r\n"
              b"Subject: this is my\r\n    test message\r\n")
    spriv = re.search(rb"-----BEGIN RSA PRIVATE KEY-----.*?-----END RSA "
                      rb"PRIVATE KEY-----\n", open(os.path.join(
                          os.path.dirname(DATA), "test_dkim.py"),
                          "rb").read(), re.S).group(0)
    for hm in (b"relaxed", b"simple"):
        h = dkim.fold(dkim.sign(sample, b"example", b"canonical.com", spriv,
                                canonicalize=(hm, b"relaxed")))
        case("data canonicalization %s refolded" % hm.decode(), h + sample,
             "policy:bits=512")
        pos = h.rindex(b"\r\n ")
        h = h[:pos] + b"\r\n\t" + h[pos + 3:]
        case("data canonicalization %s refolded, tab" % hm.decode(),
             h + sample, "policy:bits=512")


dkimpy_cases()
dkimsign_cases()
opendkim_cases()
dkimpy_data_cases()

with open(os.path.join(OUT, "keys.tsv"), "w") as f:
    for n, a, r in keys:
        f.write("%s\t%s\t%s\n" % (n, a, r))
with open(os.path.join(OUT, "cases.tsv"), "w") as f:
    for lbl, fn, exp, now in cases:
        f.write("%s\t%s\t%s\t%d\n" % (lbl, fn, exp, now))
print("%d cases, %d key records" % (len(cases), len(keys)))
