#!/usr/bin/env python3
"""spf_suite.py -- the RFC 7208 test suite (the openspf.org YAML that
Debian ships with python3-spf) as lines that tests/auth/spf_suite.c reads.

    python3 spf_suite.py rfc7208-tests.yml.gz > suite.txt

Output, one record a line, fields separated by one TAB; in each field every
byte outside '!'..'~', and the backslash, is written as \\xHH:

    group   DESCRIPTION
    zone    NAME    TYPE    VALUE       (after its group's "group" line)
    test    ID      HOST    MAILFROM    HELO    RESULTS    EXPLANATION

NAME is lower case.  TYPE is A, AAAA, TXT, MX, PTR, CNAME, SPF or TIMEOUT
(VALUE empty: the whole name times out unless a record of the asked type
comes before it; VALUE a type: that type times out).  A TXT or SPF value
is its strings joined; an MX value is the exchange's name.  RESULTS is the
acceptable results separated by commas, EXPLANATION is "" when the test
does not give one and "=" followed by the text when it does.

Records of type SPF are turned into TXT records for names that have no TXT
record at all, and a TXT record "NONE" means "no TXT record", as pyspf's
own runner (testspf.py, getrdata()) does: the suite's zones are written for
drivers that query both types.
"""

import gzip
import sys

try:
    import yaml
except ImportError:
    sys.stderr.write("spf_suite.py: python3-yaml is not installed\n")
    sys.exit(2)


def esc(s):
    """One field: bytes outside the visible ASCII range as \\xHH."""
    if isinstance(s, bytes):
        b = s
    else:
        b = str(s).encode("utf-8")
    out = []
    for c in b:
        if 0x21 <= c <= 0x7e and c != 0x5c:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


def line(*fields):
    sys.stdout.write("\t".join(esc(f) for f in fields) + "\n")


def records(name, entries):
    """(type, value) pairs of one name, as testspf.py's getrdata()."""
    gen = True
    txt = []
    out = []
    for m in entries or []:
        if not isinstance(m, dict):
            if m == "TIMEOUT":
                out.append(("TIMEOUT", ""))
            else:
                sys.stderr.write("spf_suite.py: %s: unknown entry %r\n"
                                 % (name, m))
            continue
        for t, v in m.items():
            if t in ("TXT", "SPF") and isinstance(v, str):
                v = [v]
            if t == "TXT":
                gen = False
            elif t == "SPF" and gen:
                txt.append(v)
            if v == ["NONE"]:
                continue
            if v == "TIMEOUT":
                out.append(("TIMEOUT", t))
            elif t in ("TXT", "SPF"):
                out.append((t, "".join(v)))
            elif t == "MX":
                out.append((t, v[1]))
            else:
                out.append((t, v))
    if gen:
        for v in txt:
            out.append(("TXT", "".join(v)))
    return out


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: spf_suite.py SUITE.yml[.gz]\n")
        return 2
    path = sys.argv[1]
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        docs = list(yaml.safe_load_all(f))
    for doc in docs:
        if not doc:
            continue
        line("group", doc.get("description", ""))
        for name, entries in (doc.get("zonedata") or {}).items():
            for t, v in records(name, entries):
                line("zone", name.lower(), t, v)
        for tid, t in (doc.get("tests") or {}).items():
            res = t["result"]
            if isinstance(res, str):
                res = [res]
            exp = t.get("explanation")
            line("test", tid, t["host"], t.get("mailfrom", ""),
                 t.get("helo", ""), ",".join(res),
                 "" if exp is None else "=" + exp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
