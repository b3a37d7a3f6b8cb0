#!/usr/bin/env python3
"""html_parity.py -- Warden's html_analyze() against SpamAssassin's
HTML.pm, part by part, on a corpus.

SpamAssassin (html_sa.pl) parses each message and renders its body; the
text of every HTML part it gave its HTML parser is written to a file, with
the part's results.  Warden (BUILD/tests/parity/html_dump) analyses the
same files.  The two are compared key by key: numbers within 1e-6
relative, flags (absent is 0), lists as lists, "inside" as a dict,
charsets as strings, the URIs as sets, the rendered texts as strings.

This measures; it does not gate: it exits 0 after its report, 77 when
SpamAssassin is missing.

With --generate N it compares on N generated messages instead: each
one text/html part of random "token soup" (tags, attributes, entities,
comments, literal elements, colours, styles, stray '<', unterminated
markup; --seed makes it repeatable), which reaches the tokenizer's corner
cases the corpus rarely does.

usage: html_parity.py [--build DIR] [--corpus DIR] [--ham N] [--spam N]
                      [--generate N [--seed S]]
                      [--keep DIR] [--key K[,K...]] [--examples N]
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

NUMBERS = ["length", "html_length", "non_space_len", "image_area",
           "min_size", "max_size", "closed_extra_ratio", "bad_tag_ratio",
           "non_element_ratio", "obfuscation_ratio"]
FLAGS = ["font_low_contrast", "font_invalid_color", "font_face_bad",
         "form_action_mailto", "embeds", "uri_truncated", "iframe_src"]
LISTS = ["comment", "title", "anchor", "script"]
OTHERS = ["charsets", "inside", "uris", "rendered", "visible"]
KEYS = NUMBERS + FLAGS + LISTS + OTHERS

# Where Warden's JSON may name a result differently from SpamAssassin
# (the struct's field names): tried after SpamAssassin's own key.
ALIASES = {"rendered": ["text"], "inside": ["tags"]}
MISSING = object()	# a dict key absent, in describe()

TRUNC = 160


def norm(key, v):
    """A value normalised for comparison: None when undefined, 0 for a
    flag not set, [] for an empty list, {} for no tags."""
    if key in FLAGS:
        return 1 if v else 0
    if key in LISTS:
        return v if v is not None else []
    if key == "uris":
        return sorted(set(v or []))
    if key == "inside":
        return v or {}
    return v


def warden_key(res, key):
    """The name Warden's results give key, or None."""
    for k in [key] + ALIASES.get(key, []):
        if k in res:
            return k
    return None


def warden_value(res, key):
    """Warden's value of key, normalised as SpamAssassin's: Warden leaves
    out what is undefined, unset or empty."""
    k = warden_key(res, key)
    v = res[k] if k is not None else None
    if key == "inside" and isinstance(v, list):
        # A list of {"name", "inside"} rather than a dict.
        v = {t.get("name"): t.get("inside") for t in v
             if isinstance(t, dict)}
    return norm(key, v)


def num_equal(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool) or \
            not isinstance(a, (int, float)) or \
            not isinstance(b, (int, float)):
        return False
    return a == b or abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def equal(key, a, b):
    if key in NUMBERS:
        return num_equal(a, b)
    if key == "inside":
        return isinstance(b, dict) and \
            {str(k): v for k, v in a.items()} == \
            {str(k): v for k, v in b.items()}
    return a == b


def trunc(v):
    s = json.dumps(v, ensure_ascii=False, sort_keys=True)
    return s if len(s) <= TRUNC else s[:TRUNC] + "... (%d chars)" % len(s)


def first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def describe(key, a, b):
    """The two values, cut down to where they differ."""
    if isinstance(a, str) and isinstance(b, str) and \
            max(len(a), len(b)) > TRUNC:
        i = first_diff(a, b)
        lo = max(0, i - 40)
        return ["len %d, at %d: %s" % (len(a), i, trunc(a[lo:lo + 120])),
                "len %d, at %d: %s" % (len(b), i, trunc(b[lo:lo + 120]))]
    if isinstance(a, list) and isinstance(b, list) and \
            len(json.dumps(a)) + len(json.dumps(b)) > 2 * TRUNC:
        i = first_diff(a, b)
        pa = trunc(a[i]) if i < len(a) else "(end)"
        pb = trunc(b[i]) if i < len(b) else "(end)"
        return ["%d items, [%d]: %s" % (len(a), i, pa),
                "%d items, [%d]: %s" % (len(b), i, pb)]
    if isinstance(a, dict) and isinstance(b, dict):
        ks = sorted(set(a) | set(b), key=str)
        d = [k for k in ks if a.get(k, MISSING) != b.get(k, MISSING)]
        return [trunc({k: a.get(k, "(absent)") for k in d}),
                trunc({k: b.get(k, "(absent)") for k in d})]
    return [trunc(a), trunc(b)]


def run_sa(priv, files, outdir):
    """SpamAssassin's parts (a list of dicts) and its skip reports."""
    p = subprocess.run(["perl", os.path.join(common.HERE, "html_sa.pl"),
                        priv.cfdir, priv.site, priv.state, outdir],
                       input="".join(f + "\n" for f in files).encode(),
                       capture_output=True)
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode != 0:
        sys.exit("html_sa.pl failed: " + err[-2000:])
    parts = [json.loads(l) for l in p.stdout.decode("utf-8").splitlines()
             if l.strip()]
    skips = [l[6:] for l in err.splitlines() if l.startswith("skip: ")]
    return parts, skips


def run_warden(prog, paths):
    """{path: results} and {path: why} for the inputs Warden failed on
    (unreadable, or html_dump died on it: the rest are run again)."""
    res, failed = {}, {}
    todo = list(paths)
    while todo:
        batch = todo[:500]
        try:
            p = subprocess.run([prog] + batch, capture_output=True,
                               timeout=600)
            out, err, rc = p.stdout, p.stderr, "exited %d" % p.returncode
        except subprocess.TimeoutExpired as e:
            # A loop on some input: what was printed before still counts.
            out, err, rc = e.stdout or b"", b"", "timed out"
        done = set()
        for l in out.decode("utf-8", "replace").splitlines():
            try:
                o = json.loads(l)
            except ValueError:
                continue
            done.add(o["path"])
            if "results" in o:
                res[o["path"]] = o["results"]
            else:
                failed[o["path"]] = o.get("error", "?")
        rest = [f for f in batch if f not in done]
        if rest:
            # Lines come out one file at a time: the first without one
            # is the file html_dump died on.
            failed[rest[0]] = "html_dump %s: %s" % (
                rc, err.decode("utf-8", "replace")[-300:])
            rest = rest[1:]
        todo = rest + todo[500:]
    return res, failed


SOUP = [
    '<b>', '</b>', '<font color=red>', '<font color="#fff">',
    '<font color=white>', '</font>', '<p>', '</p>', '<br>', '<br/>',
    '<div style="display:none">', '<div style="Display:none">', '</div>',
    '<span style="color: #ffffff; background-color: rgb(255,255,254)">',
    '</span>', '<td>', '<tr>', '<table bgcolor=white>', '</table>',
    '<body text="#eeeeee">', '</body>', '<a href="http://x">', '</a>',
    '<img src=a width=100 height="50%">', '<img width=0 height=x>',
    '<title>', '</title>', '<!-- c -->', '<!x>', '<!DOCTYPE html>',
    '<![CDATA[q]]>', '<script>v<b>', '</script>', '<style>p{}', '</style>',
    '&amp;', '&nbsp;', '&nbsp', '&copyx', '&#65;', '&#x2014;', '&hellip;',
    '&hellip', '<', '>', '< b', '<1', '<>', '</>', '</ x>', 'word', 'wo',
    'rd', ' ', '  ', '\n', '\t', 'x', '\u00e9', '\u00fc\u20ac', '<o:p>',
    '</o:p>', '<st1:place>', '<font size=+2>', '<font size=7>',
    '<font size="-1">', '<big>', '<small>', '<basefont size=5>',
    '<font face="Arial, Helvetica">', '<font face="1bad">',
    '<iframe src="x">', '<iframe src=" ">', '<embed>', '<object>',
    '<form action="mailto:a@b">', '<textarea>&lt;</textarea>',
    '<xmp>&amp;</xmp>', '<p style="color:transparent">',
    '<p style="background: url(x) #000000">',
    '<td style="background-color: transparent">', '<font color="">',
    '<font color="#">', '<font color="#12">',
    '<font color="rgb(10%, 20%, 30%)">', '<font color="fff">',
    '<a href=x><img src=y></a>', '<unknowntag>', '</unknowntag>', '</i>',
    '<i>', '<span style="visibility:hidden">', '<p style="font-size: 1px">',
    '<font size=1>', '"', "'", '=', '<a b="x>y">', "<a title='q'>",
    '<center>', '</center>', '<bgsound src=x>', '<listing>', '<plaintext>',
]


def generate(n, seed, outdir):
    """n messages of token soup in outdir; their paths."""
    rnd = random.Random(seed)
    d = os.path.join(outdir, "generated")
    os.makedirs(d, exist_ok=True)
    files = []
    for i in range(n):
        body = "".join(rnd.choice(SOUP)
                       for _ in range(rnd.randint(1, 60)))
        path = os.path.join(d, "%06d.eml" % i)
        with open(path, "w", encoding="utf-8") as f:
            f.write("Subject: generated %d\nMIME-Version: 1.0\n"
                    "Content-Type: text/html; charset=utf-8\n"
                    "Content-Transfer-Encoding: 8bit\n\n%s\n" % (i, body))
        files.append(path)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.add_args(ap)
    ap.add_argument("--keep", metavar="DIR",
                    help="keep the HTML inputs and both results in DIR")
    ap.add_argument("--key", action="append", default=[],
                    help="report only these keys (repeat or comma-separate)")
    ap.add_argument("--examples", type=int, default=5,
                    help="disagreements shown per key")
    ap.add_argument("--generate", type=int, metavar="N",
                    help="compare on N generated messages, not the corpus")
    ap.add_argument("--seed", type=int, default=1,
                    help="the generator's seed (default 1)")
    args = ap.parse_args()

    keys = [k for ks in args.key for k in ks.split(",") if k] or KEYS
    bad = [k for k in keys if k not in KEYS]
    if bad:
        sys.exit("unknown key %s; keys: %s" % (", ".join(bad),
                                               " ".join(KEYS)))
    if not common.have_spamassassin():
        common.skip("SpamAssassin (perl Mail::SpamAssassin, JSON::PP) "
                    "not installed")
    build = common.find_build(args.build)
    prog = os.path.join(build, "tests", "parity", "html_dump")
    if not os.access(prog, os.X_OK):
        sys.exit("%s missing: run 'make check' (or make "
                 "tests/parity/html_dump) first" % prog)
    if args.keep:
        outdir = os.path.abspath(args.keep)
        os.makedirs(outdir, exist_ok=True)
    else:
        outdir = tempfile.mkdtemp(prefix="warden-html.")
    if args.generate:
        files = generate(args.generate, args.seed, outdir)
        args.corpus = os.path.join(outdir, "generated")
    else:
        files = [f for f, _ in common.corpus_files(args.corpus, args.ham,
                                                    args.spam)]
    if not files:
        shutil.rmtree(outdir, ignore_errors=True)
        common.skip("no messages in " + args.corpus)

    priv = common.Private(args.cf_dir)
    try:
        parts, skips = run_sa(priv, files, outdir)
        wres, wfail = run_warden(prog, [p["input"] for p in parts])
        if args.keep:
            with open(os.path.join(outdir, "spamassassin.jsonl"), "w") as f:
                for p in parts:
                    f.write(json.dumps(p, sort_keys=True) + "\n")
            with open(os.path.join(outdir, "warden.jsonl"), "w") as f:
                for p in parts:
                    f.write(json.dumps({"path": p["input"], "results":
                                        wres.get(p["input"])},
                                       sort_keys=True) + "\n")
    finally:
        priv.cleanup()
        if not args.keep:
            shutil.rmtree(outdir, ignore_errors=True)

    report(args, keys, files, parts, skips, wres, wfail)
    return 0


def short(path, corpus):
    r = os.path.relpath(path, corpus)
    return path if r.startswith("..") else r


def report(args, keys, files, parts, skips, wres, wfail):
    msgs = len({p["file"] for p in parts})
    print("HTML parity: %d messages, %d with HTML, %d HTML parts" %
          (len(files), msgs, len(parts)))
    if skips:
        print("SpamAssassin parts not matched with their results "
              "(messages left out): %d" % len(skips))
        for s in skips[:args.examples]:
            print("  " + s)
    if wfail:
        print("Warden failed on %d inputs:" % len(wfail))
        for path, why in list(wfail.items())[:args.examples]:
            print("  %s: %s" % (path, why.strip()))
    if not args.keep:
        print("(the HTML inputs named below are removed: --keep DIR "
              "keeps them)")
    compared = [p for p in parts if p["input"] in wres]
    if not compared:
        print("nothing to compare")
        return
    extra = set()
    for p in compared:
        extra |= set(wres[p["input"]])
    # "html": the part is HTML, as SpamAssassin's html_start() says.
    known = set(KEYS) | {"html"}
    known |= {a for v in ALIASES.values() for a in v}
    extra -= known
    if extra:
        print("Warden results not compared: " + " ".join(sorted(extra)))

    agree = {k: 0 for k in keys}
    examples = {k: [] for k in keys}
    fails = []
    for p in compared:
        sa, wd = p["results"], wres[p["input"]]
        bad = set()
        for k in keys:
            a, b = norm(k, sa.get(k)), warden_value(wd, k)
            if equal(k, a, b):
                agree[k] += 1
                continue
            bad.add(k)
            if len(examples[k]) < args.examples:
                examples[k].append((p, describe(k, a, b)))
        fails.append(bad)
    # A key Warden's results never carry, where SpamAssassin's do, is
    # one Warden does not report yet rather than one it gets wrong: said
    # so, and left out of the every-key count.
    absent = {k for k in keys if agree[k] < len(compared) and
              not any(warden_key(wres[p["input"]], k) for p in compared)}
    all_agree = sum(1 for bad in fails if not bad - absent)

    n = len(compared)
    print()
    print("%-20s %11s" % ("key", "agree/parts"))
    for k in keys:
        print("%-20s %5d/%-5d %6.1f%%%s" % (
            k, agree[k], n, 100.0 * agree[k] / n,
            "  (not in Warden's results)" if k in absent else ""))
    print("%-20s %5d/%-5d %6.1f%%" % ("(every key)", all_agree, n,
                                      100.0 * all_agree / n))
    if absent:
        print("  (every key but those not in Warden's results: %s)" %
              " ".join(k for k in keys if k in absent))
    for k in keys:
        if not examples[k] or k in absent:
            continue
        print()
        print("== %s: %d of %d parts disagree" % (k, n - agree[k], n))
        for p, (a, b) in examples[k]:
            print("  %s part %d  %s" % (short(p["file"], args.corpus),
                                        p["part"], p["input"]))
            print("    SpamAssassin: " + a)
            print("    Warden:       " + b)


if __name__ == "__main__":
    sys.exit(main())
