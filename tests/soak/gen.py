#!/usr/bin/env python3
"""Generate a varied set of ordinary messages for Warden's soak and fault
tests (tests/soak/, tests/faults/): plain and HTML mail, multipart with
attachments, forwarded messages, other charsets, a few spam (GTUBE) and
some large enough to go to the spool file.  Deterministic.

    gen.py OUTDIR [COUNT]     (COUNT defaults to 200)

Files are named by kind (ham-, html-, attach-, fwd-, latin1-, big-, gtube-)
so that a test can count what verdicts to expect.
"""
import base64
import os
import random
import sys

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
WORDS = ("meeting project report budget review draft please attached thanks "
         "schedule team update quarter figures customer invoice order "
         "delivery friday monday question answer idea plan").split()


def words(rnd, n):
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def head(rnd, i, subject, extra=""):
    return (f"Received: from mail{i % 7}.example.org (mail{i % 7}.example.org "
            f"[198.51.100.{i % 250 + 1}]) by mx.example.com; "
            "Sun, 22 Nov 2026 10:00:00 +0000\r\n"
            f"From: Sender {i} <sender{i}@example.org>\r\n"
            f"To: rcpt{i % 13}@example.com\r\n"
            f"Subject: {subject}\r\n"
            "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <soak{i}@example.org>\r\n" + extra)


def text_body(rnd, paras):
    return "\r\n\r\n".join(words(rnd, rnd.randint(8, 60)) for _ in range(paras)) + "\r\n"


def b64(data):
    return base64.encodebytes(data).decode().replace("\n", "\r\n")


def make(rnd, i, kind):
    if kind == "ham":
        return head(rnd, i, words(rnd, 4)) + "\r\n" + text_body(rnd, rnd.randint(1, 8))
    if kind == "html":
        links = "".join(f'<p><a href="https://news{k}.example.net/a/{i}">{words(rnd, 5)}</a></p>'
                        for k in range(rnd.randint(1, 30)))
        return (head(rnd, i, "Newsletter " + words(rnd, 2),
                     "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n")
                + "\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                + text_body(rnd, 3)
                + "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>"
                + links + "</body></html>\r\n--alt--\r\n")
    if kind == "attach":
        name = rnd.choice(["report.pdf", "photo.jpg", "table.xlsx", "setup.exe", "notes.txt"])
        data = rnd.randbytes(rnd.randint(1000, 40000))
        return (head(rnd, i, "Files: " + name,
                     "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n")
                + "\r\n--mix\r\nContent-Type: text/plain\r\n\r\n" + text_body(rnd, 2)
                + f"--mix\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n"
                f"Content-Disposition: attachment; filename=\"{name}\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n" + b64(data) + "--mix--\r\n")
    if kind == "fwd":
        inner = head(rnd, i + 100000, "Original " + words(rnd, 2)) + "\r\n" + text_body(rnd, 2)
        return (head(rnd, i, "Fwd: " + words(rnd, 3),
                     "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"fw\"\r\n")
                + "\r\n--fw\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
                + "--fw\r\nContent-Type: message/rfc822\r\n\r\n" + inner + "--fw--\r\n")
    if kind == "latin1":
        body = ("Gr\xfc\xdfe aus K\xf6ln, " + words(rnd, 20) + "\r\n").encode("latin-1")
        return (head(rnd, i, "=?iso-8859-1?Q?Gr=FC=DFe?=",
                     "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                     "Content-Transfer-Encoding: 8bit\r\n").encode() + b"\r\n" + body)
    if kind == "big":
        return head(rnd, i, "Big " + words(rnd, 2)) + "\r\n" + text_body(rnd, 3000)
    if kind == "gtube":
        return head(rnd, i, "Offer " + words(rnd, 2)) + "\r\n" + text_body(rnd, 2) + GTUBE + "\r\n"
    raise ValueError(kind)


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    rnd = random.Random(7)
    kinds = (["ham"] * 6 + ["html"] * 4 + ["attach"] * 3 + ["fwd"] * 2 +
             ["latin1"] * 2 + ["big"] * 1 + ["gtube"] * 2)
    os.makedirs(out, exist_ok=True)
    for i in range(count):
        kind = kinds[i % len(kinds)]
        m = make(rnd, i, kind)
        if isinstance(m, str):
            m = m.encode()
        with open(os.path.join(out, f"{kind}-{i:05d}.eml"), "wb") as f:
            f.write(m)


if __name__ == "__main__":
    main()
