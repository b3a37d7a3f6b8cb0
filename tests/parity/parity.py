#!/usr/bin/env python3
"""parity.py -- SpamAssassin and Warden, same .cf files, same messages:
per rule and overall, how many (message, rule) hits both report, only
SpamAssassin, only Warden -- counting only the rules Warden implements
(loads as regex or meta rules; eval: tests and plugin rules are out).

SpamAssassin runs as "spamassassin -L -t" would (tests/parity/sa_check.pl:
local tests only, no Bayes, no auto-learning, private site config and
state).  Run on demand, not in make check:

    tests/parity/parity.py --build /work/build-sa \\
        --corpus ../shared/corpus/dev --ham 200 --spam 100

Exits 77 when SpamAssassin or the corpus is missing."""

import argparse
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_args(ap)
    ap.add_argument("--top", type=int, default=25,
                    help="rules with most disagreements to list")
    ap.add_argument("--json", help="write the per-rule table here")
    a = ap.parse_args()

    if not common.have_spamassassin():
        common.skip("spamassassin (Mail::SpamAssassin) is not installed")
    if not os.path.isdir(a.cf_dir):
        common.skip("no rules in " + a.cf_dir)
    files = [f for f, _ in common.corpus_files(a.corpus, a.ham, a.spam)]
    if not files:
        common.skip("no corpus at " + a.corpus)
    build = common.find_build(a.build)
    priv = common.Private(a.cf_dir)
    try:
        conf = priv.warden_conf("cf.conf", [os.path.join(a.cf_dir, "*.cf")])
        impl = common.warden_rules(build, conf)
        sa, sa_wall = common.run_sa(priv, files, a.sa_cache)
        wd, wd_wall = common.run_warden(build, conf, files)
    finally:
        priv.cleanup()

    per = collections.defaultdict(lambda: [0, 0, 0])  # both, sa, warden
    examples = collections.defaultdict(list)
    sa_unimpl = collections.Counter()
    for f in files:
        s = set(sa.get(f, {}).get("tests", []))
        w = set(wd.get(f, {}).get("tests", []))
        for r in s - set(impl):
            sa_unimpl[r] += 1
        for r in (s | w) & set(impl):
            k = 0 if (r in s and r in w) else (1 if r in s else 2)
            per[r][k] += 1
            if k and len(examples[r]) < 3:
                examples[r].append(os.path.basename(f))

    print("messages: %d (SpamAssassin %d judged, Warden %d judged)" %
          (len(files), len(sa), len(wd)))
    nfull = sum(1 for v in impl.values() if v == "full")
    print("rules Warden implements (scored, from %s): %d; %d of them "
          "fully (%d metas over rules Warden skips)" %
          (a.cf_dir, len(impl), nfull, len(impl) - nfull))
    summary = {}
    for label, names in (("all implemented", set(impl)),
                         ("fully implemented",
                          {r for r, v in impl.items() if v == "full"})):
        both = sum(per[r][0] for r in names if r in per)
        only_sa = sum(per[r][1] for r in names if r in per)
        only_w = sum(per[r][2] for r in names if r in per)
        pairs = len(files) * len(names)
        hits = both + only_sa + only_w
        summary[label] = dict(both=both, only_sa=only_sa, only_warden=only_w,
                              pairs=pairs)
        print("%s rules: hits both %d, only SpamAssassin %d, only Warden "
              "%d; agreement on (message, rule) pairs %.3f%% of %d; on "
              "hits %.2f%% (both / either)" %
              (label, both, only_sa, only_w,
               100.0 * (pairs - only_sa - only_w) / max(pairs, 1), pairs,
               100.0 * both / max(hits, 1)))
    print("rules disagreeing at least once: %d of %d that hit" %
          (sum(1 for v in per.values() if v[1] or v[2]), len(per)))
    print("\n%-32s %6s %6s %6s  examples" % ("rule", "both", "onlySA",
                                            "onlyW"))
    worst = sorted(per.items(), key=lambda kv: -(kv[1][1] + kv[1][2]))
    for r, v in worst[:a.top]:
        if not (v[1] or v[2]):
            break
        print("%-32s %6d %6d %6d  %s" % (r + ("*" if impl[r] == "partial"
                                               else ""), v[0], v[1], v[2],
                                         " ".join(examples[r])))
    print("(* a meta over rules Warden skips)")
    print("\nSpamAssassin hits on rules Warden does not implement "
          "(top %d of %d rules, eval: tests and plugins):" %
          (min(a.top, len(sa_unimpl)), len(sa_unimpl)))
    for r, n in sa_unimpl.most_common(a.top):
        print("  %-32s %d" % (r, n))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rules": per, "kinds": impl, "summary": summary,
                       "sa_unimplemented": sa_unimpl}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
