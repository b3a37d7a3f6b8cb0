#!/usr/bin/env python3
"""accuracy.py -- on a labelled corpus (DIR/ham, DIR/spam): spam caught
(score >= 5.0) and ham wrongly flagged, for SpamAssassin (local tests, no
Bayes), Warden with the .cf files, and Warden with the .cf files plus the
shipped rules; and messages per second for each, on the same messages,
one process each, same machine, same run.

    tests/parity/accuracy.py --build /work/build-sa \\
        --corpus ../shared/corpus/dev --ham 200 --spam 100

Exits 77 when SpamAssassin or the corpus is missing."""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

THRESHOLD = 5.0


def score(res, f):
    return res.get(f, {}).get("score", 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_args(ap)
    ap.add_argument("--shipped", default=os.path.join(common.SRCDIR, "rules"))
    a = ap.parse_args()

    if not common.have_spamassassin():
        common.skip("spamassassin (Mail::SpamAssassin) is not installed")
    labelled = [(f, k) for f, k in common.corpus_files(a.corpus, a.ham,
                                                       a.spam) if k]
    if not labelled:
        common.skip("no ham/ and spam/ under " + a.corpus)
    build = common.find_build(a.build)
    files = [f for f, _ in labelled]
    priv = common.Private(a.cf_dir)
    try:
        cf = [os.path.join(a.cf_dir, "*.cf")]
        conf_cf = priv.warden_conf("cf.conf", cf)
        conf_all = priv.warden_conf("all.conf", cf + [
            os.path.join(a.shipped, "*.rules")])
        runs = [("SpamAssassin (local, no Bayes)",) +
                common.run_sa(priv, files, a.sa_cache),
                ("Warden + .cf",) + common.run_warden(build, conf_cf, files),
                ("Warden + .cf + shipped",) +
                common.run_warden(build, conf_all, files)]
    finally:
        priv.cleanup()

    nham = sum(1 for _, k in labelled if k == "ham")
    nspam = len(labelled) - nham
    print("corpus: %s, %d ham + %d spam; threshold %.1f" %
          (a.corpus, nham, nspam, THRESHOLD))
    print("%-32s %14s %14s %10s %12s" % ("", "spam caught", "ham flagged",
                                         "msg/s", "wall s"))
    for name, res, wall in runs:
        caught = sum(1 for f, k in labelled
                     if k == "spam" and score(res, f) >= THRESHOLD)
        flagged = sum(1 for f, k in labelled
                      if k == "ham" and score(res, f) >= THRESHOLD)
        print("%-32s %6d (%5.1f%%) %6d (%5.2f%%) %10.1f %12.2f" %
              (name, caught, 100.0 * caught / max(nspam, 1), flagged,
               100.0 * flagged / max(nham, 1), len(files) / wall, wall))
    sa_wall, w_wall = runs[0][2], runs[1][2]
    print("speed: Warden + .cf is %.1f times SpamAssassin's throughput "
          "(wall time, start-up included, one process each; Warden's regex "
          "prefilter compiled once before, as at a site's first start)" %
          (sa_wall / w_wall))
    return 0


if __name__ == "__main__":
    sys.exit(main())
