#!/usr/bin/env python3
"""Generate Warden's hostile messages into a directory.

Each message is built to stress one parser or limit.  Large ones are made
here at test time instead of being kept in the tree.  Usage:

    gen.py OUTDIR [--small]

--small scales the largest messages down (for sanitizer builds).
"""
import base64
import io
import os
import sys
import zipfile

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
HDR = ("From: Mallory <mallory@example.net>\r\nTo: victim@example.com\r\n"
       "Subject: hostile\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
       "Message-ID: <hostile@example.net>\r\n")


def msg(headers, body):
    return (HDR + headers + "\r\n" + body).encode("utf-8", "surrogateescape")


def nested_multipart(depth):
    parts = []
    for i in range(depth):
        parts.append(f"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n")
    inner = "Content-Type: text/plain\r\n\r\ndeep\r\n"
    tail = "".join(f"\r\n--b{i}--\r\n" for i in reversed(range(depth)))
    return "".join(parts) + inner + tail


def nested_rfc822(depth):
    s = "Subject: innermost\r\n\r\nbody\r\n"
    for i in range(depth):
        s = f"Content-Type: message/rfc822\r\n\r\nSubject: level {i}\r\n" + s
    return s


def zip_bomb(small):
    # Nested zips of zeros: a few KB on the wire, ~1 GB unpacked.
    size = (16 if small else 64) * 1024 * 1024
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", b"\0" * size)
    data = buf.getvalue()
    for level in range(2 if small else 4):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for k in range(4):
                z.writestr(f"l{level}_{k}.zip", data)
        data = buf.getvalue()
    return data


def attach(name, ctype, data):
    b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return (f"--B\r\nContent-Type: {ctype}; name=\"{name}\"\r\n"
            f"Content-Disposition: attachment; filename=\"{name}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n{b64}")


def honest(small):
    """An honest big message: 25 MB on the wire, 200 attachments of the
    kinds people send (documents, images, archives, spreadsheets as CSV,
    HTML pages, text), a multipart/alternative body with links.  It must
    reach none of Warden's limits."""
    import random
    rnd = random.Random(25)
    target = (25 << 20) // (4 if small else 1)
    n = 200
    kinds = [("report{}.pdf", "application/pdf", "bin"),
             ("photo{}.jpg", "image/jpeg", "bin"),
             ("archive{}.zip", "application/zip", "bin"),
             ("letter{}.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "bin"),
             ("table{}.csv", "text/csv", "csv"),
             ("page{}.html", "text/html", "html"),
             ("notes{}.txt", "text/plain", "txt")]
    words = ("the quarterly figures for the northern region are attached "
             "please review the draft before our meeting on thursday and "
             "send comments to the team").split()
    # base64 grows by 4/3 plus line ends: size the raw parts to fit.
    per = int(target * 0.72 / n)
    body = ("--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hello,\r\n\r\nhere are the files from the project share, see "
            "https://intranet.example.com/projects/q3 for the index.\r\n\r\n"
            "Regards,\r\nAlice\r\n"
            "--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            "<html><body><p>Hello,</p><p>here are the files, see "
            "<a href=\"https://intranet.example.com/projects/q3\">the index</a>."
            "</p><p>Regards,<br>Alice</p></body></html>\r\n--A--\r\n")
    parts = ["--B\r\nContent-Type: multipart/alternative; boundary=\"A\"\r\n\r\n" + body]
    for i in range(n):
        name, ctype, how = kinds[i % len(kinds)]
        name = name.format(i)
        if how == "bin":
            data = rnd.randbytes(per)
        elif how == "csv":
            rows = ["date,region,amount,comment"]
            while sum(len(r) + 2 for r in rows) < per:
                rows.append(f"2026-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d},"
                            f"north,{rnd.randint(1, 99999)}.{rnd.randint(0, 99):02d},"
                            + " ".join(rnd.choice(words) for _ in range(6)))
            data = "\r\n".join(rows).encode()
        elif how == "html":
            cells = []
            while sum(len(c) for c in cells) < per:
                k = len(cells)
                cells.append(f"<tr><td>{k}</td><td><a href=\"https://docs.example.com/item/{i}/{k % 40}\">"
                             + " ".join(rnd.choice(words) for _ in range(8)) + "</a></td></tr>\r\n")
            data = ("<html><body><table>\r\n" + "".join(cells) + "</table></body></html>\r\n").encode()
        else:
            lines = []
            while sum(len(x) + 2 for x in lines) < per:
                lines.append(" ".join(rnd.choice(words) for _ in range(12)))
            data = "\r\n".join(lines).encode()
        parts.append(attach(name, ctype, data))
    mp = ("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n")
    out = msg(mp, "".join(parts) + "--B--\r\n")
    return out


def main():
    out = sys.argv[1]
    small = "--small" in sys.argv
    k = 4 if small else 1
    os.makedirs(out, exist_ok=True)
    m = {}
    mp = "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n"
    m["nul-bytes"] = msg("X-Nul: a\0b\r\n", "body\0with\0nuls\r\n" * 100)
    m["bare-cr-lf-mix"] = msg("X-Mix: a\rb\r\n", "a\rb\nc\r\nd\n\r" * 1000)
    m["header-line-1mb"] = msg("X-Long: " + "a" * (1 << 20) + "\r\n", "body\r\n")
    m["headers-100k"] = msg("".join(f"X-H{i}: v\r\n" for i in range(100000 // k)), "body\r\n")
    m["received-10k"] = msg("".join(f"Received: from h{i}.example ([192.0.2.{i % 250}]) by mx.example; Sun, 22 Nov 2026 10:00:00 +0000\r\n" for i in range(10000 // k)), "body\r\n")
    # The outermost Content-Type is a header of the message itself.
    m["multipart-nested-1000"] = (HDR + "MIME-Version: 1.0\r\n" + nested_multipart(1000)).encode()
    m["rfc822-nested-200"] = (HDR + "MIME-Version: 1.0\r\n" + nested_rfc822(200)).encode()
    m["broken-base64-qp"] = msg(mp, "--B\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!====AAAA*&^%\r\nQUJD\r\n=\r\n--B\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=0=\r\nabc=\r\n=4\r\n--B--\r\n")
    m["unterminated-boundary"] = msg(mp, "--B\r\nContent-Type: text/plain\r\n\r\nnever closed\r\n" * 100)
    m["unused-boundary"] = msg("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"NEVER\"\r\n", "just text\r\n")
    bnd = "x" * 5000
    m["boundary-5000"] = msg(f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{bnd}\"\r\n", f"--{bnd}\r\n\r\nhi\r\n--{bnd}--\r\n")
    m["rfc2231-flood"] = msg(mp, "--B\r\nContent-Disposition: attachment;" + "".join(f" filename*{i}*=utf-8''a%41;" for i in range(20000 // k)) + "\r\n\r\nx\r\n--B--\r\n")
    m["ctype-params-10k"] = msg("MIME-Version: 1.0\r\nContent-Type: text/plain;" + "".join(f" p{i}=v{i};" for i in range(10000)) + "\r\n", "body\r\n")
    m["bad-charsets"] = msg(mp, "--B\r\nContent-Type: text/plain; charset=\"x-\xff\xfe-bogus\"\r\n\r\nabc\r\n--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\udcff\udcfe<p>bad utf8</p>\r\n--B--\r\n")
    m["encoded-word-invalid-utf8"] = msg("X-EW: =?utf-8?B?" + base64.b64encode(b"\xff\xfe\xc3\x28").decode() + "?= =?utf-8?Q?=C3=28?=\r\n", "body\r\n")
    m["encoded-words-100k"] = msg("Subject2: " + " ".join("=?utf-8?Q?a?=" for _ in range(100000 // k)) + "\r\n", "body\r\n")
    m["attachments-10k"] = msg(mp, "".join(f"--B\r\nContent-Type: application/octet-stream; name=\"f{i}.bin\"\r\n\r\nx\r\n" for i in range(10000 // k)) + "--B--\r\n")
    m["html-nested-300k"] = msg("MIME-Version: 1.0\r\nContent-Type: text/html\r\n", "<div>" * (300000 // k) + "deep" + "</div>" * (300000 // k))
    m["uris-100k"] = msg("", " ".join(f"http://u{i}.example/p" for i in range(100000 // k)) + "\r\n")
    m["backtracking"] = msg("Subject: " + "a" * 30000 + "!\r\n", ("a" * 50000 + "!\r\n") * 4 + ("<" * 20000) + "\r\n")
    m["empty"] = b""
    m["headers-only"] = HDR.encode()
    m["body-line-10mb"] = msg("", "a" * ((10 << 20) // k) + "\r\n")
    m["attachment-40mb"] = msg(mp, attach("big.bin", "application/octet-stream", os.urandom(1 << 20) * (40 // k)) + "--B--\r\n")
    m["zip-bomb"] = msg(mp, attach("bomb.zip", "application/zip", zip_bomb(small)) + "--B--\r\n")
    pad = "padding " * ((30 << 20) // 8 // k)
    m["gtube-padded-30mb"] = msg("", GTUBE + "\r\n" + pad + "\r\n")
    m["honest-25mb-200-attachments"] = honest(small)
    for name, data in m.items():
        with open(os.path.join(out, name + ".eml"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
