#!/usr/bin/env python3
"""stats_cv.py -- how well a learning (Bayes-like) filter does on a
labelled corpus (DIR/ham, DIR/spam): SpamAssassin with its Bayes filter
and without it, and Warden with its statistical filter and without it,
side by side, on the very same folds.

    tests/parity/stats_cv.py --corpus ../shared/corpus/dev \\
        [--build /work/build] [--jobs 2] [--json out.json]

Two experiments, both with deterministic folds drawn from --seed:

1. Cross-validation (--folds, 5 by default), stratified: the ham and the
   spam are each shuffled and dealt round-robin into the folds.  Each
   fold is judged by filters that learned from the other folds only.

2. Shift test, approximating kinds of mail the filter never saw: every
   message gets a source, and the folds are made of whole sources
   (grouped K-fold), so the judged fold's ham comes from sources absent
   from training.  A ham's source is its mailing list (List-Id, else the
   address in List-Post, Mailing-List or X-Mailing-List), else the domain
   of Sender, else the domain of From.  Spam is grouped by the domain of
   From too (--shift-spam grouped, the default): spam's List-* headers
   name the list it was sent through, not who sent it, and grouping by
   sender keeps a campaign's copies on one side, so the judged spam is
   new as well; spam From domains are mostly one-offs, so this deals
   almost like a random split except for the campaigns and the big
   free-mail domains, which is the point.  --shift-spam random deals
   spam as in the cross-validation instead.  Domains are cut to their
   last two labels (three under a two-letter country code with a short
   second level, as co.uk), so a list's hosts count as one source.
   Groups are dealt largest first to the fold with the fewest messages,
   ties broken by the seed; with a corpus where one source holds a
   quarter of the ham, the folds are uneven, and the table says so.
   Reported besides the catch rates: the ham whose Bayes probability is
   uncertain, 0.4-0.6 (SpamAssassin's BAYES_50), and the wider 0.2-0.8
   (BAYES_40, BAYES_50, BAYES_60; BAYES_40 is 0.20-0.40 and BAYES_60
   0.60-0.80 in SpamAssassin 4.0's 23_bayes.cf), with the median and the
   90th percentile of the total score that ham gets.

SpamAssassin, for each fold: a private Bayes database in a temporary
directory, trained with "sa-learn --dbpath DIR --spam FILES" and
"--ham FILES" (private site configuration: the system's .pre files and a
local.cf with use_bayes 1, bayes_auto_learn 0 and bayes_path in the
temporary directory; every other bayes_* setting at its default, so
bayes_min_ham_num and bayes_min_spam_num are 200; -L, local tests only),
then the held-out fold is judged by one Perl process using
Mail::SpamAssassin as "spamassassin -L -t" does (score set 2: Bayes, no
network tests).  The spamassassin command itself costs about a second
of start-up per message (measured: 1.0 s against 0.04 s a message in
one process), and spamd/spamc would only add a socket round trip to the
same engine, so one process per fold it is.  Without Bayes (score set 0,
as accuracy.py) a message's result does not depend on the training, so
every message is judged once and the result used in every fold.  Per
message: the score, the tests, which BAYES_* band hit (BAYES_999 wins
over BAYES_99) and the Bayes probability, and the CPU time of the check
(start-up apart).  SpamAssassin's results are kept in --cache, one JSON
file per fold keyed by the fold's composition (the messages' contents,
not their names), SpamAssassin's version, its rules and the site
configuration, so that re-running the script for a new Warden build
costs only Warden's time.

Warden (--build DIR, DIR/warden): each fold gets a config with the
.cf rules (plus --shipped rules with --with-shipped), clamav = off,
statistics = yes, statistics_directory in a temporary directory and
statistics_min_learned = --min-learned (default 200, SpamAssassin's
bayes_min_*_num); "warden learn -c CONF --spam FILES", "--ham FILES",
"--stats", then "warden scan -c CONF --json FILES" on the held-out fold;
and once, all messages with statistics = no.  When the build has no
"warden learn" (its --help fails), the Warden columns are left out with
a note; without a build at all likewise.

Timing: learn rate (messages per second, wall and CPU of the learning
processes), scan CPU per message with and without the statistical
filter (SpamAssassin: measured inside the process around each check;
Warden: the scan process's CPU less that of a one-message scan, i.e.
start-up excluded), the start-up CPU, and the size on disk of the
stores after learning.  With --jobs 2 two folds run at once: the CPU
figures stay right, the wall-clock ones are for a shared machine.

Output: Markdown tables on stdout; --json FILE writes the folds, the
per-fold figures and the per-message results.  Exits 77 when
SpamAssassin (spamassassin, sa-learn, Mail::SpamAssassin) or the corpus
is missing.  Not part of make check."""

import argparse
import concurrent.futures
import email.parser
import email.policy
import glob
import hashlib
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
SKIP = 77
THRESHOLD = 5.0
BANDS = ["BAYES_00", "BAYES_05", "BAYES_20", "BAYES_40", "BAYES_50",
         "BAYES_60", "BAYES_80", "BAYES_95", "BAYES_99", "BAYES_999"]
UNCERTAIN = ("BAYES_50",)                          # probability 0.4-0.6
WIDE = ("BAYES_40", "BAYES_50", "BAYES_60")        # probability 0.2-0.8
CACHE_VERSION = 1

# Judges messages read from stdin (one path a line) with Mail::SpamAssassin
# as "spamassassin -L -t" does.  The site directory decides Bayes (its
# local.cf); user state stays in the private state directory.  The first
# line of output describes the process, then one JSON object a message.
SCORER = r'''
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time clock_gettime CLOCK_PROCESS_CPUTIME_ID);
use Mail::SpamAssassin;

my ($rules, $site, $state) = @ARGV;
die "usage: scorer RULESDIR SITEDIR STATEDIR\n" unless defined $state;
my $c0 = clock_gettime(CLOCK_PROCESS_CPUTIME_ID);
my $sa = Mail::SpamAssassin->new({
	rules_filename       => $rules,
	site_rules_filename  => $site,
	userprefs_filename   => "$state/user_prefs",
	userstate_dir        => $state,
	home_dir_for_helpers => $state,
	local_tests_only     => 1,
	dont_copy_prefs      => 1,
	post_config_text     => "bayes_auto_learn 0\nuse_auto_whitelist 0\n" .
	    "use_txrep 0\nskip_rbl_checks 1\n",
});
$sa->compile_now(0, 1);
my $json = JSON::PP->new->canonical;
$| = 1;
print $json->encode({
	start_cpu => clock_gettime(CLOCK_PROCESS_CPUTIME_ID) - $c0,
	score_set => $sa->{conf}->get_score_set() + 0,
	version => Mail::SpamAssassin::Version(),
}), "\n";
while (my $file = <STDIN>) {
	chomp $file;
	next unless length $file;
	open(my $fh, '<', $file) or do { warn "$file: $!\n"; next; };
	my $text = do { local $/; <$fh> };
	close $fh;
	my ($w0, $c1) = (time, clock_gettime(CLOCK_PROCESS_CPUTIME_ID));
	my $msg = $sa->parse($text);
	my $st = $sa->check($msg);
	my @tests = grep { length } split(/,/, $st->get_names_of_tests_hit());
	my $bayes = $st->get_tag('BAYES');
	my $out = {
		file => $file,
		score => $st->get_score() + 0,
		tests => \@tests,
		bayes => (defined $bayes && $bayes =~ /^[0-9.]+$/) ? $bayes + 0
		    : undef,
		cpu => clock_gettime(CLOCK_PROCESS_CPUTIME_ID) - $c1,
		wall => time - $w0,
	};
	$st->finish();
	$msg->finish();
	print $json->encode($out), "\n";
}
'''

_print_lock = threading.Lock()


def log(msg):
    with _print_lock:
        print("stats_cv: " + msg, file=sys.stderr, flush=True)


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


# ---------------------------------------------------------------- helpers

def run_measured(cmd, stdin_text=None, env=None, cwd=None):
    """Run cmd; return (rc, stdout, stderr, wall s, CPU s of the process
    and the children it waited for).  os.wait4 gives this process's own
    figures, right even when other folds run in other threads."""
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
            tempfile.TemporaryFile() as ferr:
        if stdin_text is not None:
            fin.write(stdin_text.encode())
            fin.seek(0)
        t0 = time.time()
        p = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=ferr,
                             env=env, cwd=cwd)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.time() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fout.seek(0)
        ferr.seek(0)
        return (p.returncode, fout.read().decode("utf-8", "replace"),
                ferr.read().decode("utf-8", "replace"), wall,
                ru.ru_utime + ru.ru_stime)


def batches(paths, limit=500000):
    """Split a list of paths so that no command line passes limit bytes."""
    out, cur, size = [], [], 0
    for p in paths:
        if cur and size + len(p) + 1 > limit:
            out.append(cur)
            cur, size = [], 0
        cur.append(p)
        size += len(p) + 1
    if cur:
        out.append(cur)
    return out


def disk_usage(d):
    """(apparent bytes, allocated bytes) of everything under d."""
    app = alloc = 0
    for root, _, files in os.walk(d):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except OSError:
                continue
            app += st.st_size
            alloc += st.st_blocks * 512
    return app, alloc


def band(tests):
    hit = [b for b in BANDS if b in tests]
    return hit[-1] if hit else "none"


def pct(xs, p):
    """Nearest-rank percentile (p in 0..1); None for no values."""
    if not xs:
        return None
    xs = sorted(xs)
    return xs[max(0, math.ceil(p * len(xs)) - 1)]


def sha1(data):
    return hashlib.sha1(data).hexdigest()


# ---------------------------------------------------------------- corpus

def reg_domain(addr):
    """The domain of the first address in addr, cut to the part an
    organisation registers (no public-suffix list: last two labels, or
    three as in example.co.uk)."""
    m = re.search(r"@\[?([A-Za-z0-9.-]+)", addr or "")
    if not m:
        return None
    labels = [l for l in m.group(1).lower().split(".") if l]
    if not labels:
        return None
    if len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def message_source(path, kind):
    """Where a message comes from, for the shift test (see the top)."""
    with open(path, "rb") as f:
        h = email.parser.BytesHeaderParser(
            policy=email.policy.compat32).parse(f)

    def get(name):
        v = h.get(name)
        return str(v) if v is not None else None

    if kind == "ham":
        v = get("List-Id")
        if v:
            m = re.search(r"<([^>]+)>", v)
            return "list:" + (m.group(1) if m else v).strip().lower()
        for name in ("List-Post", "Mailing-List", "X-Mailing-List"):
            v = get(name)
            m = re.search(r"([A-Za-z0-9._+=-]+@[A-Za-z0-9.-]+)", v or "")
            if m:
                return "list:" + m.group(1).lower()
        d = reg_domain(get("Sender"))
        if d:
            return "sender:" + d
    return "from:" + (reg_domain(get("From")) or "?")


class Corpus:
    def __init__(self, root, nham, nspam):
        self.root = os.path.abspath(root)
        self.msgs = []          # dicts: rel, path, kind, hash, source
        for kind, n in (("ham", nham), ("spam", nspam)):
            files = sorted(f for f in glob.glob(
                os.path.join(self.root, kind, "*")) if os.path.isfile(f))
            if n is not None and n >= 0:
                files = files[:n]
            for f in files:
                with open(f, "rb") as fh:
                    h = sha1(fh.read())
                self.msgs.append(dict(rel=os.path.relpath(f, self.root),
                                      path=f, kind=kind, hash=h,
                                      source=message_source(f, kind)))
        self.by_rel = {m["rel"]: m for m in self.msgs}

    def of(self, kind):
        return [m for m in self.msgs if m["kind"] == kind]


def cv_folds(corpus, k, seed):
    """[fold] = list of rel names: stratified, shuffled by the seed."""
    folds = [[] for _ in range(k)]
    for kind in ("ham", "spam"):
        ms = sorted(m["rel"] for m in corpus.of(kind))
        random.Random("%s:cv:%s" % (seed, kind)).shuffle(ms)
        for i, rel in enumerate(ms):
            folds[i % k].append(rel)
    return folds


def grouped_folds(corpus, k, seed, spam_mode):
    """[fold] = list of rel names: whole sources per fold (see the top)."""
    folds = [[] for _ in range(k)]
    for kind in ("ham", "spam"):
        ms = corpus.of(kind)
        if kind == "spam" and spam_mode == "random":
            rels = sorted(m["rel"] for m in ms)
            random.Random("%s:shift:spam" % seed).shuffle(rels)
            for i, rel in enumerate(rels):
                folds[i % k].append(rel)
            continue
        groups = {}
        for m in ms:
            groups.setdefault(m["source"], []).append(m["rel"])
        names = sorted(groups)
        random.Random("%s:shift:%s" % (seed, kind)).shuffle(names)
        names.sort(key=lambda g: -len(groups[g]))   # stable: seed breaks ties
        count = [0] * k
        for g in names:
            i = min(range(k), key=lambda j: (count[j], j))
            folds[i] += sorted(groups[g])
            count[i] += len(groups[g])
    return folds


# ---------------------------------------------------------------- SpamAssassin

class SpamAssassin:
    def __init__(self, cfdir, tmp):
        self.cfdir = cfdir
        self.tmp = tmp
        self.scorer = os.path.join(tmp, "scorer.pl")
        with open(self.scorer, "w") as f:
            f.write(SCORER)
        self.version = subprocess.run(
            ["spamassassin", "--version"], capture_output=True,
            text=True).stdout.strip()
        self.pre = {}
        for pre in sorted(glob.glob("/etc/spamassassin/*.pre")):
            with open(pre, "rb") as f:
                self.pre[os.path.basename(pre)] = f.read()

    def local_cf(self, bayes_path):
        if bayes_path is None:
            return "use_bayes 0\nbayes_auto_learn 0\n"
        return ("use_bayes 1\nbayes_auto_learn 0\nbayes_path %s\n" %
                bayes_path)

    def stamp(self):
        """What SpamAssassin's results depend on besides the messages."""
        s = [self.version, "cache %d" % CACHE_VERSION, SCORER,
             self.local_cf("BAYES_PATH")]
        for f in sorted(glob.glob(os.path.join(self.cfdir, "*.cf"))):
            st = os.stat(f)
            s.append("%s:%d:%d" % (os.path.basename(f), st.st_size,
                                   int(st.st_mtime)))
        for name, data in self.pre.items():
            s.append("%s:%s" % (name, sha1(data)))
        return "\n".join(s)

    def private(self, name, bayes):
        d = tempfile.mkdtemp(prefix=name + ".", dir=self.tmp)
        site, state = os.path.join(d, "site"), os.path.join(d, "state")
        os.mkdir(site)
        os.mkdir(state)
        for pre, data in self.pre.items():
            with open(os.path.join(site, pre), "wb") as f:
                f.write(data)
        db = os.path.join(d, "db") if bayes else None
        if db:
            os.mkdir(db)
        with open(os.path.join(site, "local.cf"), "w") as f:
            f.write(self.local_cf(os.path.join(db, "bayes") if db else None))
        open(os.path.join(state, "user_prefs"), "w").close()
        env = dict(os.environ, HOME=state)
        return d, site, state, db, env

    def sa_learn(self, site, state, db, env, args):
        return run_measured(["sa-learn", "-C", self.cfdir,
                             "--siteconfigpath", site,
                             "-p", os.path.join(state, "user_prefs"),
                             "-L", "--dbpath", db] + args, env=env)

    def magic(self, site, state, db, env):
        rc, out, _, _, _ = self.sa_learn(site, state, db, env,
                                         ["--dump", "magic"])
        m = {}
        for line in out.splitlines():
            x = re.match(r"\s*\S+\s+\S+\s+(\d+)\s+\S+\s+non-token data: (.*)",
                         line)
            if x:
                m[x.group(2).strip()] = int(x.group(1))
        return m

    def score(self, site, state, env, paths):
        """({path: result}, meta, wall, process CPU)."""
        rc, out, err, wall, cpu = run_measured(
            ["perl", self.scorer, self.cfdir, site, state],
            stdin_text="".join(p + "\n" for p in paths), env=env)
        lines = out.splitlines()
        if rc != 0 or not lines:
            sys.exit("SpamAssassin's scorer failed (%d): %s" %
                     (rc, err[-2000:]))
        meta = json.loads(lines[0])
        res = {}
        for line in lines[1:]:
            o = json.loads(line)
            o["band"] = band(o["tests"])
            if o["band"] == "none":
                o["bayes"] = None
            res[o["file"]] = o
        missing = [p for p in paths if p not in res]
        if missing:
            sys.exit("SpamAssassin judged %d of %d messages (%s...): %s" %
                     (len(res), len(paths), missing[0], err[-2000:]))
        return res, meta, wall, cpu

    def learn_and_score(self, name, train_ham, train_spam, test):
        """One fold with Bayes; paths in, a cache record out."""
        d, site, state, db, env = self.private(name, True)
        try:
            learn = []
            for kind, paths in (("spam", train_spam), ("ham", train_ham)):
                for b in batches(paths):
                    rc, out, err, wall, cpu = self.sa_learn(
                        site, state, db, env, ["--" + kind] + b)
                    if rc != 0:
                        sys.exit("sa-learn --%s failed (%d): %s" %
                                 (kind, rc, err[-2000:]))
                    m = re.search(r"Learned tokens from (\d+) message\(s\) "
                                  r"\((\d+) message\(s\) examined", out)
                    learn.append(dict(kind=kind, examined=len(b),
                                      learned=int(m.group(1)) if m else None,
                                      wall=wall, cpu=cpu))
            magic_before = self.magic(site, state, db, env)
            size = disk_usage(db)
            res, meta, wall, cpu = self.score(site, state, env, test)
            magic_after = self.magic(site, state, db, env)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        return dict(learn=learn, magic=magic_before,
                    magic_after_scan=magic_after, db_bytes=size[0],
                    db_alloc=size[1], scan=dict(meta=meta, wall=wall,
                                                cpu=cpu), results=res)

    def score_plain(self, paths):
        d, site, state, _, env = self.private("nobayes", False)
        try:
            res, meta, wall, cpu = self.score(site, state, env, paths)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        return dict(scan=dict(meta=meta, wall=wall, cpu=cpu), results=res)


class Cache:
    def __init__(self, d, stamp):
        self.dir = d
        self.stamp = stamp
        os.makedirs(d, exist_ok=True)

    def key(self, what):
        return sha1(json.dumps([self.stamp, what], sort_keys=True).encode())

    def path(self, label, key):
        return os.path.join(self.dir, "sa-%s-%s.json" % (label, key[:16]))

    def get(self, label, key):
        p = self.path(label, key)
        try:
            with open(p) as f:
                c = json.load(f)
        except (OSError, ValueError):
            return None
        return c if c.get("key") == key else None

    def put(self, label, key, rec):
        rec = dict(rec, key=key, label=label, created=time.strftime(
            "%Y-%m-%d %H:%M:%S"), stamp=self.stamp.splitlines()[0])
        p = self.path(label, key)
        with open(p + ".tmp", "w") as f:
            json.dump(rec, f)
        os.replace(p + ".tmp", p)


# ---------------------------------------------------------------- Warden

class Warden:
    def __init__(self, build, cfdir, shipped, min_learned, tmp):
        self.bin = os.path.join(build, "warden")
        self.cfdir = cfdir
        self.rules = [os.path.join(cfdir, "*.cf")]
        if shipped:
            self.rules.append(os.path.join(shipped, "*.rules"))
        self.min_learned = min_learned
        self.tmp = tmp
        self.prefilter = os.path.join(tmp, "prefilter")
        os.makedirs(self.prefilter, exist_ok=True)
        self.startup = {}
        self.lock = threading.Lock()

    def conf(self, path, stats_dir):
        with open(path, "w") as f:
            f.write("rules = %s\n" % " ".join(self.rules))
            f.write("clamav = off\n")
            f.write("tag_score = 5\n")
            f.write("regex_prefilter_cache = %s\n" % self.prefilter)
            if stats_dir:
                f.write("statistics = yes\n")
                f.write("statistics_directory = %s\n" % stats_dir)
                f.write("statistics_min_learned = %d\n" % self.min_learned)
            else:
                f.write("statistics = no\n")
        return path

    def scan(self, conf, paths):
        """({path: result}, wall, CPU) for paths, in as few processes as
        the command line allows."""
        res, wall, cpu = {}, 0.0, 0.0
        for b in batches(paths):
            rc, out, err, w, c = run_measured(
                [self.bin, "scan", "-c", conf, "--json"] + b)
            if rc not in (0, 1) and not out:
                sys.exit("warden scan failed (%d): %s" % (rc, err[-2000:]))
            wall += w
            cpu += c
            for line in out.splitlines():
                o = json.loads(line)
                t = o.get("tests") or []
                if isinstance(t, str):
                    t = [x for x in t.split(",") if x]
                o["tests"] = t
                o["band"] = band(t)
                res[o["file"]] = o
        missing = [p for p in paths if p not in res]
        if missing:
            sys.exit("warden scan judged %d of %d messages (%s...)" %
                     (len(res), len(paths), missing[0]))
        return res, wall, cpu

    def startup_cpu(self, conf, kind, probe):
        """The CPU of a one-message scan (least of three): start-up."""
        with self.lock:
            if kind not in self.startup:
                self.startup[kind] = min(
                    run_measured([self.bin, "scan", "-c", conf, probe])[4]
                    for _ in range(3))
            return self.startup[kind]

    def warm(self, conf):
        """Compile the regex prefilter once, as a site's first start."""
        run_measured([self.bin, "lint", "-c", conf])

    def learn_and_scan(self, name, train_ham, train_spam, test, probe):
        d = tempfile.mkdtemp(prefix="warden-" + name + ".", dir=self.tmp)
        try:
            stats = os.path.join(d, "stats")
            os.mkdir(stats)
            conf = self.conf(os.path.join(d, "warden.conf"), stats)
            learn = []
            for kind, paths in (("spam", train_spam), ("ham", train_ham)):
                for b in batches(paths):
                    rc, out, err, wall, cpu = run_measured(
                        [self.bin, "learn", "-c", conf, "--" + kind] + b)
                    if rc != 0:
                        sys.exit("warden learn --%s failed (%d): %s" %
                                 (kind, rc, err[-2000:]))
                    learn.append(dict(kind=kind, examined=len(b), wall=wall,
                                      cpu=cpu))
            rc, out, err, _, _ = run_measured(
                [self.bin, "learn", "-c", conf, "--stats"])
            store = disk_usage(stats)
            res, wall, cpu = self.scan(conf, test)
            start = self.startup_cpu(conf, "stats", probe)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        return dict(learn=learn, stats_output=(out if rc == 0 else err),
                    store_bytes=store[0], store_alloc=store[1],
                    scan=dict(wall=wall, cpu=cpu, startup_cpu=start,
                              n=len(test)), results=res)

    def scan_plain(self, paths, probe):
        d = tempfile.mkdtemp(prefix="warden-plain.", dir=self.tmp)
        try:
            conf = self.conf(os.path.join(d, "warden.conf"), None)
            res, wall, cpu = self.scan(conf, paths)
            start = self.startup_cpu(conf, "plain", probe)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        return dict(scan=dict(wall=wall, cpu=cpu, startup_cpu=start,
                              n=len(paths)), results=res)


def warden_learner(build):
    """(Warden-or-None-able build path, note)."""
    if not build:
        return None, "no Warden build given (--build DIR): Warden left out"
    exe = os.path.join(build, "warden")
    if not os.access(exe, os.X_OK):
        return None, "no executable %s: Warden left out" % exe
    p = subprocess.run([exe, "learn", "--help"], capture_output=True,
                       text=True)
    text = (p.stdout + p.stderr).strip()
    if p.returncode != 0 or "learn" not in text:
        first = text.splitlines()[0] if text else "no output"
        return None, ("this Warden build has no 'warden learn' ('warden "
                      "learn --help' exits %d: %s): Warden columns left out"
                      % (p.returncode, first))
    return os.path.abspath(build), None


# ---------------------------------------------------------------- figures

def fold_figures(msgs, res):
    """Counts for one fold and one filter: msgs are corpus dicts, res maps
    rel name to a result with score, band."""
    f = dict(ham=0, spam=0, caught=0, flagged=0,
             bands={"ham": {b: 0 for b in BANDS + ["none"]},
                    "spam": {b: 0 for b in BANDS + ["none"]}},
             uncertain={}, judged=0)
    scores = {"ham": {"u": [], "w": []}, "spam": {"u": [], "w": []}}
    for m in msgs:
        r = res.get(m["rel"])
        if r is None:
            continue
        k = m["kind"]
        f["judged"] += 1
        f[k] += 1
        hit = r["score"] >= THRESHOLD
        if k == "spam" and hit:
            f["caught"] += 1
        if k == "ham" and hit:
            f["flagged"] += 1
        b = r.get("band", "none")
        f["bands"][k][b] += 1
        if b in UNCERTAIN:
            scores[k]["u"].append(r["score"])
        if b in WIDE:
            scores[k]["w"].append(r["score"])
    for k in ("ham", "spam"):
        for w in ("u", "w"):
            xs = scores[k][w]
            f["uncertain"]["%s_%s" % (k, w)] = dict(
                n=len(xs), scores=xs,
                median=statistics.median(xs) if xs else None,
                p90=pct(xs, 0.9))
    return f


def total_figures(figs):
    t = dict(ham=0, spam=0, caught=0, flagged=0, judged=0,
             bands={"ham": {b: 0 for b in BANDS + ["none"]},
                    "spam": {b: 0 for b in BANDS + ["none"]}},
             uncertain={})
    for f in figs:
        for k in ("ham", "spam", "caught", "flagged", "judged"):
            t[k] += f[k]
        for c in ("ham", "spam"):
            for b, n in f["bands"][c].items():
                t["bands"][c][b] += n
    for key in figs[0]["uncertain"] if figs else ():
        xs = [s for f in figs for s in f["uncertain"][key]["scores"]]
        t["uncertain"][key] = dict(
            n=len(xs), scores=xs,
            median=statistics.median(xs) if xs else None, p90=pct(xs, 0.9))
    return t


def rate(n, d):
    return "%d (%.1f%%)" % (n, 100.0 * n / d) if d else "-"


def num(x, fmt="%.1f"):
    return "-" if x is None else fmt % x


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i == 0 else "---:"
                          for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", help="Warden build directory (DIR/warden); "
                    "default $WARDEN_BUILD")
    ap.add_argument("--corpus", default=os.path.join(
        SRCDIR, "..", "shared", "corpus", "dev"),
        help="labelled corpus: DIR/ham, DIR/spam (default: %(default)s)")
    ap.add_argument("--ham", type=int, default=-1,
                    help="use the first N ham (sorted); all by default")
    ap.add_argument("--spam", type=int, default=-1,
                    help="use the first N spam (sorted); all by default")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--shift-spam", choices=("grouped", "random"),
                    default="grouped")
    ap.add_argument("--only", choices=("cv", "shift"),
                    help="run one experiment only")
    ap.add_argument("--cf-dir", default="/usr/share/spamassassin")
    ap.add_argument("--with-shipped", action="store_true",
                    help="Warden also loads its shipped rules (--shipped)")
    ap.add_argument("--shipped", default=os.path.join(SRCDIR, "rules"))
    ap.add_argument("--min-learned", type=int, default=200,
                    help="Warden's statistics_min_learned")
    ap.add_argument("--cache", default=os.path.join(SRCDIR, "_build",
                                                    "stats-cv-cache"),
                    help="directory for SpamAssassin's per-fold results")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--jobs", type=int, default=1,
                    help="folds run at once (SpamAssassin and Warden)")
    ap.add_argument("--json", metavar="FILE",
                    help="write folds, figures and per-message results")
    a = ap.parse_args()

    if not (os.path.isdir(os.path.join(a.corpus, "ham")) and
            os.path.isdir(os.path.join(a.corpus, "spam"))):
        skip("no ham/ and spam/ under " + a.corpus)
    for tool in ("spamassassin", "sa-learn", "perl"):
        if shutil.which(tool) is None:
            skip(tool + " is not installed")
    if subprocess.run(["perl", "-MMail::SpamAssassin", "-MJSON::PP",
                       "-MTime::HiRes", "-e", "1"],
                      stderr=subprocess.DEVNULL).returncode != 0:
        skip("Mail::SpamAssassin (or JSON::PP) is not installed")
    if not os.path.isdir(a.cf_dir):
        skip("no SpamAssassin rules in " + a.cf_dir)

    corpus = Corpus(a.corpus, a.ham, a.spam)
    nham, nspam = len(corpus.of("ham")), len(corpus.of("spam"))
    if nham < a.folds or nspam < a.folds:
        skip("too few messages for %d folds" % a.folds)
    build, wnote = warden_learner(a.build or os.environ.get("WARDEN_BUILD"))

    experiments = []
    if a.only in (None, "cv"):
        experiments.append(("cv", cv_folds(corpus, a.folds, a.seed)))
    if a.only in (None, "shift"):
        experiments.append(("shift", grouped_folds(corpus, a.folds, a.seed,
                                                   a.shift_spam)))

    tmp = tempfile.mkdtemp(prefix="warden-stats-cv.")
    try:
        sa = SpamAssassin(a.cf_dir, tmp)
        cache = None if a.no_cache else Cache(a.cache, sa.stamp())
        wd = (Warden(build, a.cf_dir, a.shipped if a.with_shipped else None,
                     a.min_learned, tmp) if build else None)
        report = run_all(a, corpus, experiments, sa, cache, wd)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    report["warden_note"] = wnote
    print_report(a, corpus, report, wnote)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
    return 0


def run_all(a, corpus, experiments, sa, cache, wd):
    all_rel = [m["rel"] for m in corpus.msgs]
    path = {m["rel"]: m["path"] for m in corpus.msgs}
    rel_of = {m["path"]: m["rel"] for m in corpus.msgs}
    hashes = {m["rel"]: m["hash"] for m in corpus.msgs}

    def by_rel(res):
        return {rel_of.get(p, p): r for p, r in res.items()}

    def cached(label, what, compute):
        key = cache.key(what) if cache else None
        if cache:
            rec = cache.get(label, key)
            if rec:
                rec["from_cache"] = True
                log("SpamAssassin %s: from the cache (%s)" %
                    (label, rec.get("created")))
                return rec
        rec = compute()
        rec["results"] = by_rel(rec["results"])
        if cache:
            cache.put(label, key, rec)
        rec["from_cache"] = False
        return rec

    # SpamAssassin without Bayes: every message once.
    def plain_sa():
        log("SpamAssassin without Bayes: %d messages" % len(all_rel))
        parts = [all_rel[i::max(1, a.jobs)] for i in range(max(1, a.jobs))]
        with concurrent.futures.ThreadPoolExecutor(len(parts)) as ex:
            recs = list(ex.map(lambda p: sa.score_plain(
                [path[r] for r in p]), parts))
        res = {}
        for r in recs:
            res.update(r["results"])
        return dict(results=res, scan=dict(
            meta=recs[0]["scan"]["meta"],
            wall=sum(r["scan"]["wall"] for r in recs),
            cpu=sum(r["scan"]["cpu"] for r in recs),
            start_cpu=[r["scan"]["meta"]["start_cpu"] for r in recs]))

    sa_plain = cached("nobayes", ["nobayes", sorted(hashes[r]
                                                    for r in all_rel)],
                      plain_sa)

    tasks = []
    for exp, folds in experiments:
        for i, test in enumerate(folds):
            train = [r for j, f in enumerate(folds) if j != i for r in f]
            tasks.append((exp, i, sorted(test), sorted(train)))

    def sa_fold(t):
        exp, i, test, train = t
        th = [r for r in train if corpus.by_rel[r]["kind"] == "ham"]
        ts = [r for r in train if corpus.by_rel[r]["kind"] == "spam"]
        what = ["bayes", sorted(hashes[r] for r in th),
                sorted(hashes[r] for r in ts), sorted(hashes[r] for r in test)]

        def compute():
            log("SpamAssassin + Bayes, %s fold %d: learning %d ham + %d "
                "spam, judging %d" % (exp, i + 1, len(th), len(ts),
                                      len(test)))
            return sa.learn_and_score("%s%d" % (exp, i),
                                      [path[r] for r in th],
                                      [path[r] for r in ts],
                                      [path[r] for r in test])
        return cached("bayes-%s%d" % (exp, i + 1), what, compute)

    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        sa_recs = list(ex.map(sa_fold, tasks))

    wd_plain, wd_recs = None, [None] * len(tasks)
    if wd:
        probe = min(all_rel, key=lambda r: os.path.getsize(path[r]))
        wd.warm(wd.conf(os.path.join(wd.tmp, "warm.conf"), None))
        log("Warden without statistics: %d messages" % len(all_rel))
        wd_plain = wd.scan_plain([path[r] for r in all_rel], path[probe])
        wd_plain["results"] = by_rel(wd_plain["results"])

        def wd_fold(t):
            exp, i, test, train = t
            th = [path[r] for r in train if corpus.by_rel[r]["kind"] == "ham"]
            ts = [path[r] for r in train
                  if corpus.by_rel[r]["kind"] == "spam"]
            log("Warden + statistics, %s fold %d: learning %d ham + %d "
                "spam, judging %d" % (exp, i + 1, len(th), len(ts),
                                      len(test)))
            rec = wd.learn_and_scan("%s%d" % (exp, i), th, ts,
                                    [path[r] for r in test], path[probe])
            rec["results"] = by_rel(rec["results"])
            return rec

        with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
            wd_recs = list(ex.map(wd_fold, tasks))

    # Figures.
    systems = [("sa", "SpamAssassin"), ("sa_bayes", "SpamAssassin + Bayes")]
    if wd:
        systems += [("warden", "Warden"),
                    ("warden_stats", "Warden + statistics")]
    report = dict(corpus=corpus.root, ham=len(corpus.of("ham")),
                  spam=len(corpus.of("spam")), folds=a.folds, seed=a.seed,
                  shift_spam=a.shift_spam, threshold=THRESHOLD,
                  sa_version=sa.version, systems=dict(systems),
                  experiments={}, timing={})
    for exp, folds in experiments:
        rows = []
        for t, srec, wrec in zip(tasks, sa_recs, wd_recs):
            if t[0] != exp:
                continue
            _, i, test, train = t
            msgs = [corpus.by_rel[r] for r in test]
            train_src = {corpus.by_rel[r]["source"] for r in train
                         if corpus.by_rel[r]["kind"] == "ham"}
            test_src = {m["source"] for m in msgs if m["kind"] == "ham"}
            fig = {"sa": fold_figures(msgs, sa_plain["results"]),
                   "sa_bayes": fold_figures(msgs, srec["results"])}
            if wd:
                fig["warden"] = fold_figures(msgs, wd_plain["results"])
                fig["warden_stats"] = fold_figures(msgs, wrec["results"])
            rows.append(dict(
                fold=i + 1, test=test, ham_sources=len(test_src),
                ham_sources_seen=len(test_src & train_src),
                sa_score_set=srec["scan"]["meta"].get("score_set"),
                sa_magic=srec.get("magic"), figures=fig,
                messages={r: {k: {"score": res[r]["score"],
                                  "band": res[r].get("band"),
                                  "bayes": res[r].get("bayes")}
                              for k, res in
                              (("sa", sa_plain["results"]),
                               ("sa_bayes", srec["results"])) +
                              ((("warden", wd_plain["results"]),
                                ("warden_stats", wrec["results"]))
                               if wd else ())
                              if r in res}
                          for r in test}))
        total = {k: total_figures([r["figures"][k] for r in rows])
                 for k, _ in systems}
        report["experiments"][exp] = dict(folds=rows, total=total)

    # Timing.
    tm = report["timing"]
    learned = sum(x["examined"] for r in sa_recs for x in r["learn"])
    tm["sa_learn"] = dict(
        messages=learned,
        wall=sum(x["wall"] for r in sa_recs for x in r["learn"]),
        cpu=sum(x["cpu"] for r in sa_recs for x in r["learn"]))
    pb = [m for r in sa_recs for m in r["results"].values()]
    pp = list(sa_plain["results"].values())
    tm["sa_scan_cpu_bayes"] = sum(m["cpu"] for m in pb) / max(1, len(pb))
    tm["sa_scan_cpu_plain"] = sum(m["cpu"] for m in pp) / max(1, len(pp))
    tm["sa_startup_cpu_bayes"] = statistics.mean(
        r["scan"]["meta"]["start_cpu"] for r in sa_recs)
    tm["sa_startup_cpu_plain"] = statistics.mean(
        [r for r in sa_plain["scan"].get("start_cpu") or
         [sa_plain["scan"]["meta"]["start_cpu"]]])
    tm["sa_db_bytes"] = statistics.mean(r["db_bytes"] for r in sa_recs)
    tm["sa_db_alloc"] = statistics.mean(r["db_alloc"] for r in sa_recs)
    tm["sa_from_cache"] = sum(1 for r in sa_recs if r["from_cache"]) + \
        (1 if sa_plain["from_cache"] else 0)
    tm["sa_runs"] = len(sa_recs) + 1
    if wd:
        learned = sum(x["examined"] for r in wd_recs for x in r["learn"])
        tm["warden_learn"] = dict(
            messages=learned,
            wall=sum(x["wall"] for r in wd_recs for x in r["learn"]),
            cpu=sum(x["cpu"] for r in wd_recs for x in r["learn"]))

        def per_msg(scans):
            n = sum(s["n"] for s in scans)
            cpu = sum(s["cpu"] - s["startup_cpu"] for s in scans)
            return max(0.0, cpu) / max(1, n - len(scans))
        tm["warden_scan_cpu_stats"] = per_msg([r["scan"] for r in wd_recs])
        tm["warden_scan_cpu_plain"] = per_msg([wd_plain["scan"]])
        tm["warden_startup_cpu_stats"] = wd.startup.get("stats")
        tm["warden_startup_cpu_plain"] = wd.startup.get("plain")
        tm["warden_store_bytes"] = statistics.mean(r["store_bytes"]
                                                   for r in wd_recs)
        tm["warden_store_alloc"] = statistics.mean(r["store_alloc"]
                                                   for r in wd_recs)
        tm["warden_stats_output"] = [r["stats_output"] for r in wd_recs]
    return report


def print_report(a, corpus, rep, wnote):
    systems = list(rep["systems"].items())
    bayes_systems = [(k, n) for k, n in systems if k in ("sa_bayes",
                                                        "warden_stats")]
    print("# Statistical filter: cross-validation and shift test\n")
    print("Corpus %s: %d ham + %d spam; %d folds, seed %s; threshold %.1f; "
          "%s." % (rep["corpus"], rep["ham"], rep["spam"], rep["folds"],
                   rep["seed"], rep["threshold"],
                   rep["sa_version"].splitlines()[0]))
    if wnote:
        print("\nWarden: %s." % wnote)
    titles = {"cv": "Cross-validation (stratified, %d folds)" % rep["folds"],
              "shift": "Shift test (grouped by source, %d folds; spam %s)" %
              (rep["folds"], rep["shift_spam"])}
    for exp, data in rep["experiments"].items():
        print("\n## %s\n" % titles[exp])
        head = ["fold", "ham", "spam"]
        if exp == "shift":
            head += ["ham sources (seen in training)"]
        for _, n in systems:
            head += ["%s: spam caught" % n, "%s: ham flagged" % n]
        rows = []
        for r in data["folds"] + [None]:
            figs = r["figures"] if r else data["total"]
            first = figs["sa"]
            row = [str(r["fold"]) if r else "**total**", first["ham"],
                   first["spam"]]
            if exp == "shift":
                row.append("%d (%d)" % (r["ham_sources"],
                                        r["ham_sources_seen"]) if r else "")
            for k, _ in systems:
                f = figs[k]
                row += [rate(f["caught"], f["spam"]),
                        rate(f["flagged"], f["ham"])]
            rows.append(row)
        print(md_table(head, rows))
        sets = sorted({r["sa_score_set"] for r in data["folds"]})
        print("\nSpamAssassin + Bayes used score set %s; without Bayes "
              "score set 0." % ", ".join(str(s) for s in sets))
        mg = [r["sa_magic"] or {} for r in data["folds"]]
        print("SpamAssassin's Bayes databases after learning, per fold: "
              "%s (ham learned / spam learned / tokens); expiry ran in %d "
              "of them." % (", ".join("%s/%s/%s" % (
                  m.get("nham"), m.get("nspam"), m.get("ntokens"))
                  for m in mg), sum(1 for m in mg
                                    if m.get("last expiry atime"))))

        for k, n in bayes_systems:
            print("\n%s, Bayes bands (messages per band; BAYES_99 counts "
                  "only those without BAYES_999):\n" % n)
            head = ["fold", "class"] + [b.replace("BAYES_", "")
                                        for b in BANDS] + ["none"]
            rows = []
            for r in data["folds"] + [None]:
                f = (r["figures"] if r else data["total"])[k]
                for c in ("ham", "spam"):
                    rows.append([str(r["fold"]) if r else "**total**", c] +
                                [f["bands"][c][b] for b in BANDS + ["none"]])
            print(md_table(head, rows))

        if exp == "shift" and bayes_systems:
            print("\nShift test, uncertain ham: probability 0.4-0.6 "
                  "(BAYES_50) and 0.2-0.8 (BAYES_40..BAYES_60), with the "
                  "total score that ham gets (median, p90):\n")
            head = ["fold"]
            for _, n in bayes_systems:
                head += ["%s: ham 0.4-0.6" % n, "score med / p90",
                         "ham 0.2-0.8", "score med / p90"]
            rows = []
            for r in data["folds"] + [None]:
                figs = r["figures"] if r else data["total"]
                row = [str(r["fold"]) if r else "**total**"]
                for k, _ in bayes_systems:
                    f = figs[k]
                    for w in ("u", "w"):
                        u = f["uncertain"]["ham_" + w]
                        row += [rate(u["n"], f["ham"]),
                                "%s / %s" % (num(u["median"]),
                                             num(u["p90"]))]
                rows.append(row)
            print(md_table(head, rows))

    tm = rep["timing"]
    print("\n## Timing\n")
    head = ["", "SpamAssassin"] + (["Warden"] if "warden_learn" in tm
                                   else [])

    def lr(x):
        return "%.0f msg/s wall, %.0f msg/s CPU (%d messages)" % (
            x["messages"] / max(x["wall"], 1e-9),
            x["messages"] / max(x["cpu"], 1e-9), x["messages"])
    rows = [["learn rate", lr(tm["sa_learn"])],
            ["scan CPU / message, without the statistical filter",
             "%.1f ms" % (1000 * tm["sa_scan_cpu_plain"])],
            ["scan CPU / message, with it",
             "%.1f ms" % (1000 * tm["sa_scan_cpu_bayes"])],
            ["start-up CPU without / with",
             "%.2f s / %.2f s" % (tm["sa_startup_cpu_plain"],
                                  tm["sa_startup_cpu_bayes"])],
            ["store on disk after learning (mean of folds)",
             "%.1f MB (%.1f MB allocated)" % (tm["sa_db_bytes"] / 1e6,
                                              tm["sa_db_alloc"] / 1e6)]]
    if "warden_learn" in tm:
        rows[0].append(lr(tm["warden_learn"]))
        rows[1].append("%.1f ms" % (1000 * tm["warden_scan_cpu_plain"]))
        rows[2].append("%.1f ms" % (1000 * tm["warden_scan_cpu_stats"]))
        rows[3].append("%.2f s / %.2f s" % (
            tm["warden_startup_cpu_plain"] or 0,
            tm["warden_startup_cpu_stats"] or 0))
        rows[4].append("%.1f MB (%.1f MB allocated)" % (
            tm["warden_store_bytes"] / 1e6, tm["warden_store_alloc"] / 1e6))
    print(md_table(head, rows))
    print("\nSpamAssassin: %d of %d runs taken from the cache (%s); its "
          "timings are those of the run that filled it.  Scan CPU excludes "
          "start-up; SpamAssassin's is measured around each check, "
          "Warden's is the process's less a one-message scan." %
          (tm["sa_from_cache"], tm["sa_runs"],
           a.cache if not a.no_cache else "off"))


if __name__ == "__main__":
    sys.exit(main())
