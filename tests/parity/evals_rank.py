#!/usr/bin/env python3
"""evals_rank.py -- which of SpamAssassin's eval: tests carry the most
weight on a corpus, and whether Warden runs them natively.

SpamAssassin judges the corpus (tests/parity/sa_check.pl: local tests
only, no Bayes, private site config and state).  For every rule defined
as "eval:..." in the .cf files: its score (set 0, as Warden uses; 1.0
when no score line gives one, as SpamAssassin does), its hits in spam and
in ham, and its contribution = score x spam hits; then whether
"warden lint" loads it (native) or skips it, with the plugin block it is
in.  Run on demand, not in make check:

    tests/parity/evals_rank.py --build _build/plain \\
        --corpus ../shared/corpus/dev --ham 2500 --spam 500 --top 40

Exits 77 when SpamAssassin or the corpus is missing."""

import argparse
import collections
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

KINDS = ("header", "body", "rawbody", "full", "uri")


def cf_evals(cf_dir):
    """({name: (call, plugin block)}, {name: score set 0})."""
    rules, scores, stack = {}, {}, []
    for path in sorted(glob.glob(os.path.join(cf_dir, "*.cf"))):
        with open(path, encoding="latin-1") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                w = line.split("#", 1)[0].split()
                if not w:
                    continue
                if w[0] in ("ifplugin", "if"):
                    stack.append(" ".join(w[1:]))
                elif w[0] == "else" and stack:
                    stack[-1] = "not " + stack[-1]
                elif w[0] == "endif" and stack:
                    stack.pop()
                elif w[0] in KINDS and len(w) > 2 and w[2].startswith("eval:"):
                    plug = [s.replace("Mail::SpamAssassin::Plugin::", "")
                            for s in stack]
                    rules[w[1]] = (" ".join(w[2:]), "/".join(plug))
                elif w[0] == "score" and len(w) > 2:
                    try:
                        scores[w[1]] = float(w[2])
                    except ValueError:
                        pass
    return rules, scores


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_args(ap)
    ap.add_argument("--top", type=int, default=40)
    a = ap.parse_args()

    if not common.have_spamassassin():
        common.skip("spamassassin (Mail::SpamAssassin) is not installed")
    if not os.path.isdir(a.cf_dir):
        common.skip("no rules in " + a.cf_dir)
    labelled = common.corpus_files(a.corpus, a.ham, a.spam)
    if not labelled:
        common.skip("no corpus at " + a.corpus)
    build = common.find_build(a.build)
    evals, scores = cf_evals(a.cf_dir)
    priv = common.Private(a.cf_dir)
    try:
        conf = priv.warden_conf("cf.conf", [os.path.join(a.cf_dir, "*.cf")])
        native = common.warden_rules(build, conf)
        sa, _ = common.run_sa(priv, [f for f, _ in labelled], a.sa_cache)
    finally:
        priv.cleanup()

    spam, ham = collections.Counter(), collections.Counter()
    for f, kind in labelled:
        for t in sa.get(f, {}).get("tests", []):
            (spam if kind == "spam" else ham)[t] += 1
    rows = []
    for name, (call, plug) in evals.items():
        s = scores.get(name, 0.0 if name.startswith("__") else 1.0)
        rows.append((s * spam[name], name, s, spam[name], ham[name],
                     "yes" if name in native else "no", plug or "-", call))
    rows.sort(key=lambda r: (-abs(r[0]), r[1]))
    print("%4s %-32s %6s %5s %5s %8s %-6s %-24s %s" % (
        "#", "rule", "score", "spam", "ham", "contrib", "native", "plugin",
        "eval"))
    for i, r in enumerate(rows[:a.top], 1):
        print("%4d %-32s %6.3f %5d %5d %8.1f %-6s %-24s %s" % (
            (i, r[1], r[2], r[3], r[4], r[0], r[5], r[6][:24], r[7])))
    top = rows[:25]
    print("native among the top 25 by contribution: %d" %
          sum(1 for r in top if r[5] == "yes"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
