"""Shared by parity.py and accuracy.py: find the tools, build private
configurations, run SpamAssassin (sa_check.pl) and Warden over a list of
messages, and read their per-message results."""

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def have_spamassassin():
    if shutil.which("spamassassin") is None:
        return False
    return subprocess.run(["perl", "-MMail::SpamAssassin", "-MJSON::PP",
                           "-e", "1"], stderr=subprocess.DEVNULL).returncode == 0


def find_build(arg):
    """The build directory: --build, $WARDEN_BUILD, or the current one."""
    for d in (arg, os.environ.get("WARDEN_BUILD"), os.getcwd()):
        if d and os.access(os.path.join(d, "warden"), os.X_OK):
            return os.path.abspath(d)
    skip("no built warden (give --build DIR)")


def add_args(ap):
    """The options every parity script takes: the build, the corpus and
    how much of it, and SpamAssassin's rule directory."""
    ap.add_argument("--build", help="Warden build directory")
    ap.add_argument("--corpus", default=os.path.join(
        SRCDIR, "..", "shared", "corpus", "dev"))
    ap.add_argument("--ham", type=int, default=200)
    ap.add_argument("--spam", type=int, default=100)
    ap.add_argument("--cf-dir", default="/usr/share/spamassassin")
    ap.add_argument("--sa-cache", metavar="FILE",
                    help="keep SpamAssassin's results here and reuse them "
                    "for the messages already in it (its rules and "
                    "version are part of the key)")


def corpus_files(corpus, nham, nspam):
    """The first nham ham and nspam spam files (sorted), or one flat dir."""
    out = []
    for kind, n in (("ham", nham), ("spam", nspam)):
        d = os.path.join(corpus, kind)
        if os.path.isdir(d):
            files = sorted(f for f in glob.glob(os.path.join(d, "*"))
                           if os.path.isfile(f))
            out += [(f, kind) for f in files[:n]]
    if not out and os.path.isdir(corpus):
        files = sorted(f for f in glob.glob(os.path.join(corpus, "*"))
                       if os.path.isfile(f))
        out = [(f, None) for f in files]
    return out


class Private:
    """A private directory: SpamAssassin site config and state, Warden
    configs.  Nothing on the system is touched."""

    def __init__(self, cfdir):
        self.dir = tempfile.mkdtemp(prefix="warden-parity.")
        self.cfdir = cfdir
        self.site = os.path.join(self.dir, "site")
        self.state = os.path.join(self.dir, "state")
        os.mkdir(self.site)
        os.mkdir(self.state)
        # The plugin list SpamAssassin would load (its .pre files), and
        # an empty local.cf: the same rules, nothing of the site's own.
        for pre in glob.glob("/etc/spamassassin/*.pre"):
            shutil.copy(pre, self.site)
        with open(os.path.join(self.site, "local.cf"), "w") as f:
            f.write("use_bayes 0\nbayes_auto_learn 0\n")

    def warden_conf(self, name, rules):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("rules = %s\n" % " ".join(rules))
            f.write("clamav = off\n")
            f.write("tag_score = 5\n")
            # The regex prefilter's databases, compiled once (by
            # warm_warden) and read back by every scan after.
            f.write("regex_prefilter_cache = %s\n" % self.dir)
        return path

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def sa_key(priv):
    """What SpamAssassin's results depend on: its version and rules."""
    v = subprocess.run(["spamassassin", "--version"], capture_output=True,
                       text=True).stdout.strip()
    stamp = [v]
    for f in sorted(glob.glob(os.path.join(priv.cfdir, "*.cf"))):
        st = os.stat(f)
        stamp.append("%s:%d:%d" % (f, st.st_size, int(st.st_mtime)))
    for f in sorted(glob.glob(os.path.join(priv.site, "*"))):
        with open(f, "rb") as fh:
            stamp.append("%s:%s" % (os.path.basename(f),
                                    hashlib.sha1(fh.read()).hexdigest()))
    return "\n".join(stamp)


def run_sa(priv, files, cache=None):
    """{file: {"score", "tests"}}, wall seconds.  With cache (a file),
    messages already judged with the same SpamAssassin and rules are
    taken from it and the wall time is scaled from when they were
    judged; the rest are judged and added."""
    key = sa_key(priv) if cache else None
    old = {}
    if cache and os.path.exists(cache):
        with open(cache) as f:
            c = json.load(f)
        if c.get("key") == key:
            old = c.get("results", {})
    todo = [f for f in files if f not in old]
    res = {f: old[f] for f in files if f in old}
    t0 = time.time()
    if todo:
        p = subprocess.run(["perl", os.path.join(HERE, "sa_check.pl"),
                            priv.cfdir, priv.site, priv.state],
                           input="".join(f + "\n" for f in todo),
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("sa_check.pl failed: " + p.stderr[-2000:])
        for line in p.stdout.splitlines():
            o = json.loads(line)
            o["wall_share"] = (time.time() - t0) / max(1, len(todo))
            res[o["file"]] = o
    wall = time.time() - t0
    if todo:
        for f in todo:
            if f in res:
                res[f]["wall_share"] = wall / len(todo)
    else:
        wall = sum(r.get("wall_share", 0) for r in res.values())
    if cache:
        old.update(res)
        with open(cache, "w") as f:
            json.dump({"key": key, "results": old}, f)
    return res, wall


def warm_warden(build, conf):
    """Load the rules once ("warden lint"), which compiles the regex
    prefilter into the config's cache, as a site's first start does;
    returns the wall seconds it took."""
    t0 = time.time()
    subprocess.run([os.path.join(build, "warden"), "lint", "-c", conf],
                   capture_output=True, text=True)
    return time.time() - t0


def run_warden(build, conf, files):
    """{file: {"score", "tests"}}, wall seconds: one "warden scan" for
    all the files, as SpamAssassin judges them in one process (split only
    when the argument list would pass 1 MB), the prefilter cache warm
    (see warm_warden)."""
    res = {}
    warm_warden(build, conf)
    batches, cur, size = [], [], 0
    for f in files:
        if cur and size + len(f) + 1 > 1000000:
            batches.append(cur)
            cur, size = [], 0
        cur.append(f)
        size += len(f) + 1
    if cur:
        batches.append(cur)
    t0 = time.time()
    for batch in batches:
        p = subprocess.run([os.path.join(build, "warden"), "scan", "-c", conf,
                            "--json"] + batch,
                           capture_output=True, text=True)
        if p.returncode not in (0, 1) and not p.stdout:
            sys.exit("warden scan failed: " + p.stderr[-2000:])
        for line in p.stdout.splitlines():
            o = json.loads(line)
            res[o["file"]] = o
    return res, time.time() - t0


def warden_rules(build, conf):
    """{name: "full"|"partial"} for the scored rules Warden loads (no __
    sub-rules); partial: a meta over a rule Warden skips."""
    prog = os.path.join(build, "tests", "parity", "rules_list")
    if not os.access(prog, os.X_OK):
        sys.exit("%s missing: run 'make check' (or make "
                 "tests/parity/rules_list) first" % prog)
    p = subprocess.run([prog, conf], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("rules_list failed: " + p.stderr)
    return {l.split()[0]: l.split()[2] for l in p.stdout.splitlines()
            if not l.startswith("__")}
