#!/usr/bin/env python3
"""arc_interop.py -- helpers of arc_interop.sh, over dkimpy.

  arc_interop.py tamper-seal I FILE    a digit of the t= of the ARC-Seal
                                       of instance I changed (its
                                       signature no longer verifies)
  arc_interop.py drop NAME I FILE      the NAME field (ARC-Seal, ...) of
                                       instance I removed
  arc_interop.py verify ZONE FILE      dkimpy's own ARC verdict (pass,
                                       fail, none), the keys read from
                                       ZONE (the test's TXT lines)

The message goes to standard output (verify: the verdict).
"""
import re
import sys


def fields(msg):
    """The header fields (each with its folded lines) and the body."""
    head, sep, body = msg.partition(b"\n\n")
    if not sep:
        head, sep, body = msg.partition(b"\r\n\r\n")
    out = []
    for line in head.splitlines(keepends=True):
        if out and line[:1] in (b" ", b"\t"):
            out[-1] += line
        else:
            out.append(line)
    return out, sep, body


def instance(f):
    m = re.search(rb"(?:^|[\s;:])i\s*=\s*(\d+)", f.split(b":", 1)[1])
    return int(m.group(1)) if m else None


def name_of(f):
    return f.split(b":", 1)[0].strip().lower()


def main():
    cmd = sys.argv[1]
    if cmd == "verify":
        import dkim
        keys = {}
        with open(sys.argv[2], "rb") as z:
            for line in z:
                parts = line.split(None, 3)
                if len(parts) == 4 and parts[2] == b"TXT":
                    txt = b"".join(re.findall(rb'"([^"]*)"', parts[3]))
                    keys[parts[0].lower().rstrip(b".")] = txt
        msg = open(sys.argv[3], "rb").read()

        def dnsfunc(name, timeout=5):
            return keys.get(name.lower().rstrip(b"."))

        cv, _, why = dkim.arc_verify(msg, dnsfunc=dnsfunc)
        print((cv or b"fail").decode(), why)
        return
    if cmd == "tamper-seal":
        inst, path = int(sys.argv[2]), sys.argv[3]
        target = b"arc-seal"
    else:
        target, inst, path = sys.argv[2].lower().encode(), \
            int(sys.argv[3]), sys.argv[4]
    msg = open(path, "rb").read()
    fv, sep, body = fields(msg)
    out = []
    done = False
    for f in fv:
        if not done and name_of(f) == target and instance(f) == inst:
            done = True
            if cmd == "drop":
                continue
            # change the first digit of t=
            m = re.search(rb"t=(\d)", f)
            d = b"1" if m.group(1) != b"1" else b"2"
            f = f[:m.start(1)] + d + f[m.end(1):]
        out.append(f)
    if not done:
        sys.exit("no such field")
    sys.stdout.buffer.write(b"".join(out) + sep + body)


if __name__ == "__main__":
    main()
