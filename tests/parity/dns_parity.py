#!/usr/bin/env python3
"""dns_parity.py -- Warden's network rules against SpamAssassin's, both
asking the same private DNS server (tests/dnsd.py with
tests/data/dns/blocklists.zone).

Each message in tests/parity/dns/ is a relay chain (or a set of links)
that exercises one choice DNSEval or URIDNSBL makes: which hop a
"-lastexternal", "-firsttrusted" or untrusted set looks up, a private
hop, a hop in trusted_relays, IPv6, X-Originating-IP, the lists' error
answers, bit masks and TXT regexes, past num_check_received, the URI
lists.  SpamAssassin 4 (tests/parity/dns_sa.pl, network tests on, one
process) and "warden scan" judge every message, and the network rules
they hit are compared: the rules defined by check_rbl, check_rbl_txt,
check_rbl_sub, check_uridnsbl (urirhssub, urirhsbl, uridnsbl,
uridnssub) and askdns, and the metas named RCVD_IN_* or URIBL_* over
them; only rules with a score appear in SpamAssassin's list, so only
those are compared.

Warden judges each message twice:

  headers  the whole message, no --client: Warden reads the chain from
           the Received headers as SpamAssassin does;
  client   without its newest Received header, with --client and
           --helo from it, as the milter sees a message from the MTA.

Both must agree with SpamAssassin, except the disagreements listed in
KNOWN below, each with its cause; a new disagreement fails (exit 1), a
known one that no longer happens is reported (remove it from KNOWN).
The trust configuration of both:

  trusted_networks / trusted_relays   10.0.0.0/8 192.0.2.53 198.51.100.2
  internal_networks / internal_relays 10.0.0.0/8 192.0.2.53

(198.51.100.2 is a third party's backup MX: trusted, not internal.)
SpamAssassin's dns_block_rule state (a blocked answer stops the zone's
queries for dns_block_time) is cleared before each message, so that each
is judged on its own, as Warden does.

usage: dns_parity.py [--build DIR] [--keep] [-v]
Skips (77) without spamassassin, without a python3 with dnslib, or
without a built warden.  Nothing leaves the machine: both resolvers ask
only tests/dnsd.py, and the query log is checked for that.
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
TESTS = os.path.join(SRCDIR, "tests")
MSGDIR = os.path.join(HERE, "dns")
ZONE = os.path.join(TESTS, "data", "dns", "blocklists.zone")
CFDIR = "/usr/share/spamassassin"
SKIP = 77

TRUSTED = "10.0.0.0/8 192.0.2.53 198.51.100.2"
INTERNAL = "10.0.0.0/8 192.0.2.53"
# Plugins that talk to other servers than the DNS resolver, or whose
# lookups no compared rule uses: not loaded.
NO_PLUGINS = ("Razor2", "Pyzor", "DCC", "SPF", "DKIM", "DMARC", "HashBL")

# What each message exercises.
CASES = {
    "01_xbl_lastexternal": "internal relay, then last external 192.0.2.4 "
        "(XBL), older 192.0.2.10 (PBL)",
    "02_sbl_further_back": "clean client 198.51.100.1, older hop 192.0.2.2 "
        "(SBL, spamcop, psbl)",
    "03_dnswl_firsttrusted": "first untrusted 198.51.100.30 (dnswl MED), "
        "older 198.51.100.31 (dnswl HI)",
    "04_private_between": "client 192.0.2.1, a private 172.16.9.9 hop "
        "outside our networks, then 192.0.2.20 (SBL+XBL+PBL)",
    "05_trusted_external_css": "client 198.51.100.2 trusted, not internal "
        "(spamcop-listed), older 192.0.2.3 (CSS)",
    "06_trusted_external_xbl": "client 198.51.100.2 trusted, not internal, "
        "older 192.0.2.4 (XBL): the last external hop is the trusted one",
    "07_ipv6_sbl": "client 2001:db8::2 (SBL)",
    "08_zen_blocked_opendns": "client 192.0.2.254: zen 127.255.255.254",
    "09_zen_blocked": "client 192.0.2.255: zen 127.255.255.255",
    "10_spamcop_txt": "internal relay, then 192.0.2.2 (SBL, spamcop TXT, "
        "psbl)",
    "11_mailspike_l5": "client 198.51.100.10 (mailspike bl 127.0.0.2 + "
        "127.0.0.10)",
    "12_mailspike_h5": "client 198.51.100.20 (mailspike wl 127.0.0.20)",
    "13_mailspike_l2_h2": "client 198.51.100.13 (L2), older 198.51.100.17 "
        "(H2, not the first untrusted)",
    "14_x_originating_ip": "clean client, X-Originating-IP: [192.0.2.2]",
    "15_x_originating_only_external": "internal hops only; "
        "X-Originating-IP 192.0.2.4 (XBL) the only external address",
    "16_x_originating_two_ips": "X-Originating-IP: 198.51.100.1, "
        "192.0.2.2 (the second SBL)",
    "17_dnswl_blocked": "client 198.51.100.255: dnswl 127.0.0.255",
    "18_psbl_senderscore": "client 198.51.100.3 (psbl), older "
        "198.51.100.40 (senderscore)",
    "19_senderscore_lastexternal": "client 198.51.100.40 (senderscore "
        "127.0.4.12)",
    "20_all_trusted": "every hop trusted and internal: nothing looked up",
    "21_many_hops": "11 untrusted hops, 192.0.2.2 (SBL) the second newest",
    "22_dnswl_none_pbl": "client 198.51.100.32 (dnswl NONE), older "
        "192.0.2.11 (PBL)",
    "23_clean": "clean client 192.0.2.1",
    "24_test_point": "client 127.0.0.2 (loopback: trusted, private)",
    "25_auth_client": "client 192.0.2.2 (SBL) authenticated (ESMTPSA): "
        "a trusted hop",
    "26_two_xorig_headers": "two X-Originating-IP headers: 192.0.2.2 (SBL) "
        "then 198.51.100.30 (dnswl)",
    "30_uri_spam": "www.spam-domain.example, grey-domain.example, "
        "red-domain.example",
    "31_uri_phish_malware": "phish-, malware-, botnet-domain.example, "
        "cracked-site.example",
    "32_uri_abuse_test_points": "abused-redirector.example and the lists' "
        "test points",
    "33_uri_blocked": "dbl-, uribl-, surbl-blocked.example",
    "34_uri_ns_ip": "spam-domain.example's name server in zen; a link by "
        "IP 192.0.2.2",
    "35_uri_clean": "example.com and sender.example only",
}

# Known disagreements, by class: what differs and SpamAssassin's code
# that decides it.  KNOWN: {message: {rule: class}}; a rule listed there
# may be hit by one side only, in either variant.
CLASSES = {
    "auth-client": "warden scan has no way to say that the client it is "
        "given authenticated (the milter does not scan such mail: "
        "skip_authenticated), so the message without its newest "
        "Received header, whose hop was authenticated (ESMTPSA), is "
        "judged with an unauthenticated client, which SpamAssassin's "
        "Received.pm would have kept trusted.  From the headers alone "
        "both agree.",
    "uribl-ns-a": "SpamAssassin 4.0.1's URIDNSBL complete_ns_lookup() "
        "looks up each name server's A with [keys %$areviprules] (the "
        "tflags 'a' rules), so a name server address in zen hits "
        "URIBL_SBL_A and never URIBL_SBL; Warden gives the name "
        "server's address to the NS rules (URIBL_SBL), as the rules' "
        "descriptions say.",
}
# Classes whose disagreement depends on timing: not reported when absent.
RACY = set()
KNOWN = {
    "25_auth_client": {"RCVD_IN_SBL": "auth-client",
                       "RCVD_IN_BL_SPAMCOP_NET": "auth-client",
                       "RCVD_IN_PSBL": "auth-client"},
    "30_uri_spam": {"URIBL_SBL": "uribl-ns-a", "URIBL_SBL_A": "uribl-ns-a"},
    "34_uri_ns_ip": {"URIBL_SBL": "uribl-ns-a", "URIBL_SBL_A": "uribl-ns-a"},
}


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def dnslib_python():
    """Run under a python3 that has dnslib (tests/dnsd_lib.py needs it):
    this one, or re-executed under /usr/bin/python3."""
    try:
        import dnslib  # noqa: F401
        return
    except ImportError:
        pass
    for py in ("/usr/bin/python3", shutil.which("python3")):
        if py and os.path.realpath(py) != os.path.realpath(sys.executable) \
                and subprocess.run([py, "-c", "import dnslib"],
                                   stderr=subprocess.DEVNULL).returncode == 0:
            os.execv(py, [py] + sys.argv)
    skip("no python3 with the dnslib module "
         "(Debian: apt-get install python3-dnslib)")


def find_build(arg):
    for d in (arg, os.environ.get("WARDEN_BUILD"), os.getcwd()):
        if d and os.access(os.path.join(d, "warden"), os.X_OK):
            return os.path.abspath(d)
    skip("no built warden (give --build DIR)")


def network_rules(cfdir):
    """The names of the network rules in the .cf files: the DNSEval,
    URIDNSBL and AskDNS rules, and the RCVD_IN_* and URIBL_* metas."""
    names = set()
    metas = {}
    ev = re.compile(r"^\s*(?:header|body)\s+(\S+)\s+eval:(check_rbl\w*|"
                    r"check_uridnsbl)\(")
    kw = re.compile(r"^\s*(?:urirhssub|urirhsbl|uridnsbl|uridnssub|askdns)"
                    r"\s+(\S+)")
    meta = re.compile(r"^\s*meta\s+((?:RCVD_IN_|URIBL_|__RCVD_IN_|FROM_FMBLA_)\S*)\s+(.*)")
    for f in sorted(glob.glob(os.path.join(cfdir, "*.cf"))):
        with open(f, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                m = ev.match(line) or kw.match(line)
                if m:
                    names.add(m.group(1))
                    continue
                m = meta.match(line)
                if m:
                    metas[m.group(1)] = set(re.findall(r"\b\w+\b",
                                                       m.group(2)))
    grew = True
    while grew:
        grew = False
        for name, deps in metas.items():
            if name not in names and deps & names:
                names.add(name)
                grew = True
    return names


def site_config(priv, port):
    """SpamAssassin's site directory: the installed plugin list without
    NO_PLUGINS, and the settings both sides share."""
    site = os.path.join(priv, "site")
    os.mkdir(site)
    drop = re.compile(r"^\s*loadplugin\s+Mail::SpamAssassin::Plugin::(%s)\b"
                      % "|".join(NO_PLUGINS))
    for pre in glob.glob("/etc/spamassassin/*.pre"):
        with open(pre) as f, \
                open(os.path.join(site, os.path.basename(pre)), "w") as o:
            for line in f:
                o.write("# " + line if drop.match(line) else line)
    return site


SHARED_CF = """# Both sides: the test zone's .example names are registry domains.
util_rb_tld example
"""


def sa_conf(port):
    return "\n".join([
        "dns_server 127.0.0.1:%d" % port,
        "rbl_timeout 3",
        "trusted_networks " + TRUSTED,
        "internal_networks " + INTERNAL,
    ])


def run_sa(priv, site, port, files):
    state = os.path.join(priv, "sa-state")
    os.mkdir(state)
    p = subprocess.run(["perl", os.path.join(HERE, "dns_sa.pl"), CFDIR,
                        site, state, sa_conf(port)],
                       input="".join(f + "\n" for f in files),
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("dns_sa.pl failed: " + p.stderr[-3000:])
    res = {}
    for line in p.stdout.splitlines():
        o = json.loads(line)
        res[o["file"]] = o
    return res, p.stderr


def warden_conf(priv, port):
    extra = os.path.join(priv, "shared.cf")
    with open(extra, "w") as f:
        f.write(SHARED_CF)
    path = os.path.join(priv, "warden.conf")
    with open(path, "w") as f:
        f.write("rules = %s/*.cf %s\n" % (CFDIR, extra))
        f.write("clamav = off\n")
        f.write("regex_prefilter = no\n")
        f.write("dns_resolver = 127.0.0.1:%d\n" % port)
        f.write("dns_timeout = 2s\n")
        f.write("trusted_relays = %s\n" % TRUSTED)
        f.write("internal_relays = %s\n" % INTERNAL)
    return path


RCVD_TOP = re.compile(r"\AReceived:[ \t]*from[ \t]+(\S+)[ \t]+\((\S+)[ \t]+"
                      r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]\)[^\n]*\n"
                      r"(?:[ \t][^\n]*\n)*", re.S)


def strip_top(src, dst):
    """The message without its newest Received header, and that hop's
    client address and HELO name."""
    with open(src) as f:
        text = f.read()
    m = RCVD_TOP.match(text)
    if not m:
        sys.exit("%s: the first header is not a Received header of the "
                 "usual form" % src)
    with open(dst, "w") as f:
        f.write(text[m.end():])
    return m.group(3), m.group(1)


def run_warden(build, conf, args, file):
    p = subprocess.run([os.path.join(build, "warden"), "scan", "-c", conf,
                        "--json"] + args + [file],
                       capture_output=True, text=True)
    for line in p.stdout.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if "tests" in o:
            return o, p.stderr
    sys.exit("warden scan %s failed (%d): %s" % (file, p.returncode,
                                                   p.stderr[-2000:]))


def fmt(rules):
    return ",".join(sorted(rules)) or "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", help="Warden build directory")
    ap.add_argument("--keep", action="store_true",
                    help="keep the private directory (printed)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every rule each side hit, and the queries")
    ap.add_argument("messages", nargs="*", help="only these (names or "
                    "files); default: every tests/parity/dns/*.eml")
    a = ap.parse_args()

    if shutil.which("spamassassin") is None or subprocess.run(
            ["perl", "-MMail::SpamAssassin", "-MJSON::PP", "-e", "1"],
            stderr=subprocess.DEVNULL).returncode != 0:
        skip("spamassassin (Mail::SpamAssassin) is not installed")
    if not glob.glob(os.path.join(CFDIR, "*.cf")):
        skip("no SpamAssassin rules in " + CFDIR)
    if not glob.glob("/etc/spamassassin/*.pre"):
        skip("no /etc/spamassassin/*.pre (SpamAssassin's plugin list)")
    build = find_build(a.build)
    dnslib_python()
    sys.path.insert(0, TESTS)
    import dnsd_lib

    files = sorted(glob.glob(os.path.join(MSGDIR, "*.eml")))
    if a.messages:
        want = {os.path.basename(m).replace(".eml", "") for m in a.messages}
        files = [f for f in files
                 if os.path.basename(f)[:-4] in want]
    net = network_rules(CFDIR)
    priv = tempfile.mkdtemp(prefix="warden-dns-parity.")
    srv = None
    try:
        srv = dnsd_lib.start([ZONE])
        site = site_config(priv, srv.port)
        conf = warden_conf(priv, srv.port)
        with open(os.path.join(site, "local.cf"), "w") as f:
            f.write(SHARED_CF)
        sa, sa_err = run_sa(priv, site, srv.port, files)
        rows = []
        for f in files:
            name = os.path.basename(f)[:-4]
            if f not in sa:
                sys.exit("SpamAssassin did not judge %s: %s"
                         % (f, sa_err[-2000:]))
            s = set(sa[f]["tests"]) & net
            wh, _ = run_warden(build, conf, [], f)
            stripped = os.path.join(priv, name + ".client.eml")
            ip, helo = strip_top(f, stripped)
            wc, _ = run_warden(build, conf, ["--client", ip, "--helo", helo],
                               stripped)
            w1 = set(wh["tests"]) & net
            w2 = set(wc["tests"]) & net
            rows.append((name, s, w1, w2, sa[f], wh, wc))
        status = report(rows, a.verbose)
        with open(srv.log) as lf:
            queries = lf.read().splitlines()
        if a.verbose:
            print("\n%d queries:" % len(queries))
            for q in queries:
                print("  " + q)
        srv_status = srv.stop()
        srv = None
        if srv_status != 0:
            print("FAIL: tests/dnsd.py exited with status %s" % srv_status)
            status = 1
        if not queries:
            print("FAIL: tests/dnsd.py got no query: the resolvers did not "
                  "ask it")
            status = 1
        return status
    finally:
        if srv is not None:
            srv.stop()
        if a.keep:
            print("kept " + priv)
        else:
            shutil.rmtree(priv, ignore_errors=True)


def report(rows, verbose):
    w = max(len(r[0]) for r in rows)
    print("%-*s  %-4s  %s" % (w, "message", "ok?", "hits (SpamAssassin | "
                              "Warden from headers | Warden with --client)"))
    fails, known_seen, stale = [], {}, []
    for name, s, w1, w2, sar, wh, wc in rows:
        diffs = (s ^ w1) | (s ^ w2)
        known = KNOWN.get(name, {})
        new = {r for r in diffs if r not in known}
        agree = "yes" if not diffs else ("KNOWN" if not new else "NO")
        print("%-*s  %-5s SA: %s" % (w, name, agree, fmt(s)))
        if w1 != s or w2 != s or verbose:
            print("%-*s         Warden/headers: %s" % (w, "", fmt(w1)))
            print("%-*s         Warden/client:  %s" % (w, "", fmt(w2)))
        for r in sorted(diffs):
            who = []
            if r in s:
                who.append("SpamAssassin")
            if r in w1:
                who.append("Warden/headers")
            if r in w2:
                who.append("Warden/client")
            tag = known.get(r, "NEW")
            print("%-*s         %s: hit by %s only [%s]"
                  % (w, "", r, " and ".join(who), tag))
            if r in known:
                known_seen.setdefault(known[r], []).append((name, r))
            else:
                fails.append((name, r))
        for r in sorted(set(known) - diffs):
            if known[r] not in RACY:
                stale.append((name, r))
        if verbose:
            print("%-*s         (all: SA %s; W %s)" % (
                w, "", ",".join(sar["tests"]), ",".join(wh["tests"])))
    print()
    print("%d messages, %d agree on every network rule"
          % (len(rows), sum(1 for r in rows
                             if r[1] == r[2] and r[1] == r[3])))
    for cls, items in sorted(known_seen.items()):
        print("known [%s]: %s\n    %s" % (cls, ", ".join(
            "%s %s" % i for i in items), CLASSES.get(cls, "")))
    for name, r in stale:
        print("note: %s %s is listed in KNOWN but both agree now: remove "
              "it" % (name, r))
    for name, r in fails:
        print("FAIL: %s: %s: a disagreement not in KNOWN" % (name, r))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
