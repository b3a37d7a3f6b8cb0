#!/usr/bin/env python3
"""gen_eval_rules.py -- the fuzz targets' rules for every eval: test.

Warden implements SpamAssassin's eval: tests natively; their table
(struct eval_def entries, { "name", K_..., min, max, ... }) is in
milter/rules/eval_*.c.  A test no rule calls is never run by a fuzzer, so
this script writes two SpamAssassin-style rule files for the fuzz
targets:

  tests/fuzz/eval_head.cf  HeaderEval and RelayEval tests, a header rule
                           on every pseudo-header (X-Spam-Relays-*,
                           ALL-TRUSTED and its kin, MESSAGEID,
                           EnvelopeFrom) and originating_ip_headers;
                           fuzz_message loads it
  tests/fuzz/eval_mime.cf  every other test (MIMEEval, BodyEval,
                           FreeMail, HTMLEval, ...), mimeheader rules and
                           the FreeMail settings; fuzz_message and
                           fuzz_mime_eval load it
  tests/fuzz/eval.dict     the tokens of mime.dict, html.dict and
                           received.dict plus DICT below, for
                           fuzz_message and fuzz_mime_eval (libFuzzer
                           takes one dictionary)

Each test is called as SpamAssassin's stock rules call it (every distinct
call in --sa-dir, /usr/share/spamassassin by default: install the
"spamassassin" package), plus the calls in EXTRA below, which reach the
keywords and argument forms the stock rules leave out.  A test with no
arguments that neither names is called once without.

    tests/fuzz/gen_eval_rules.py            write both files
    tests/fuzz/gen_eval_rules.py --check    (make check) fail when a test
                                            of the table has no rule in
                                            the files, or a rule there
                                            would not load (unknown test,
                                            wrong rule kind, argument
                                            count out of range)

When a test is added to the table, run the script and commit its
output; --check fails until then.  Generating needs no build; nor does
--check, nor SpamAssassin."""

import argparse
import glob
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

HEAD_FILE = "eval_head.cf"
DICT_FILE = "eval.dict"
DICT_PARTS = ("mime.dict", "html.dict", "received.dict")
MIME_FILE = "eval_mime.cf"
# Plugins whose tests read headers and the relay chain only.
HEAD_PLUGINS = ("HeaderEval", "RelayEval")

KINDS = {
    "K_HEAD": {"header"},
    "K_BODY": {"body", "rawbody", "full"},
    "K_ANY": {"header", "body", "rawbody", "full", "uri"},
}

# Calls beyond the stock rules': (rule kind, "test(args)").
EXTRA = {
    "check_rbl_from_host": [
        ("header", "check_rbl_from_host('fh', 'dbl.example.')"),
    ],
    "check_rbl_from_domain": [
        ("header", "check_rbl_from_domain('fd', 'dbl.example.', "
         "'127.0.1.2')"),
    ],
    "check_rbl_envfrom": [
        ("header", "check_rbl_envfrom('ef', 'dbl.example.')"),
    ],
    "received_within_months": [
        ("header", "received_within_months('6','undef')"),
        ("header", "received_within_months('0','1')"),
        ("header", "received_within_months('12')"),
    ],
    "check_for_from_domain_in_received_headers": [
        ("header", "check_for_from_domain_in_received_headers("
         "'aol.com', 'true')"),
        ("header", "check_for_from_domain_in_received_headers("
         "'example.com', 'false')"),
    ],
    "similar_recipients": [
        ("header", "similar_recipients('0','0.5')"),
    ],
    "check_illegal_chars": [
        ("header", "check_illegal_chars('Received','0','0')"),
        ("header", "check_illegal_chars('Subject:raw','0.5','1')"),
    ],
    "check_header_count_range": [
        ("header", "check_header_count_range('Received','0','3')"),
        ("header", "check_header_count_range('X-Foo','1','1')"),
    ],
    "check_for_shifted_date": [
        ("header", "check_for_shifted_date('undef', '-96')"),
        ("header", "check_for_shifted_date('96', 'undef')"),
    ],
    "check_for_to_in_subject": [
        ("header", "check_for_to_in_subject('address')"),
        ("header", "check_for_to_in_subject('user')"),
    ],
    "check_for_mime": [
        ("rawbody", "check_for_mime('%s')" % k) for k in (
            "mime_base64_count", "mime_base64_encoded_text",
            "mime_body_html_count", "mime_body_text_count",
            "mime_missing_boundary", "mime_multipart_alternative",
            "mime_multipart_ratio", "mime_qp_count", "mime_qp_long_line",
            "mime_qp_ratio", "mime_ascii_text_illegal",
            "mime_text_unicode_ratio", "mime_bad_iso_charset",
            "mime_attachment", "mime_faraway_charset",
            "mimepart_limit_exceeded")
    ],
    "check_msg_parse_flags": [
        ("body", "check_msg_parse_flags('%s')" % k) for k in (
            "missing_head_body_separator",
            "missing_mime_head_body_separator", "mime_epilogue_exists",
            "missing_mime_headers", "truncated_header",
            "mimepart_limit_exceeded")
    ],
    "check_abundant_unicode_ratio": [
        ("body", "check_abundant_unicode_ratio('0.5')"),
        ("body", "check_abundant_unicode_ratio('x')"),
    ],
    "check_for_uppercase": [
        ("body", "check_for_uppercase('0', '100')"),
    ],
    "check_qp_ratio": [
        ("rawbody", "check_qp_ratio('0.2')"),
        ("rawbody", "check_qp_ratio('0')"),
    ],
    "check_base64_length": [
        ("body", "check_base64_length('0','76')"),
    ],
    "check_mime_multipart_ratio": [
        ("body", "check_mime_multipart_ratio('0.5','2')"),
    ],
    "multipart_alternative_difference": [
        ("body", "multipart_alternative_difference('0', '50')"),
    ],
    "multipart_alternative_difference_count": [
        ("body", "multipart_alternative_difference_count('1', '0')"),
    ],
    "check_body_length": [
        ("body", "check_body_length('0')"),
    ],
    "check_blank_line_ratio": [
        ("body", "check_blank_line_ratio('0','50')"),
        ("rawbody", "check_blank_line_ratio('10','100','1')"),
    ],
    "tvd_vertical_words": [
        ("body", "tvd_vertical_words('10','100')"),
    ],
    "check_stock_info": [
        ("body", "check_stock_info('0')"),
    ],
    "plaintext_body_length": [
        ("body", "plaintext_body_length('0','40')"),
        ("body", "plaintext_body_length('1000')"),
    ],
    "plaintext_sig_length": [
        ("body", "plaintext_sig_length('0','4')"),
        ("body", "plaintext_sig_length('100')"),
    ],
    "plaintext_body_sig_ratio": [
        ("body", "plaintext_body_sig_ratio('0','1')"),
        ("body", "plaintext_body_sig_ratio('2')"),
    ],
    "check_freemail_from": [
        ("header", "check_freemail_from('\\d@')"),
        ("header", "check_freemail_from('(')"),
    ],
    "check_freemail_header": [
        ("header", "check_freemail_header('From')"),
        ("header", "check_freemail_header('EnvelopeFrom')"),
        ("header", "check_freemail_header('From', '^[a-z]+\\d+@')"),
    ],
    "check_freemail_replyto": [
        ("header", "check_freemail_replyto()"),
    ],
    "check_freemail_body": [
        ("body", "check_freemail_body()"),
        ("body", "check_freemail_body('\\d@')"),
    ],
    "html_test": [
        ("body", "html_test('%s')" % k) for k in (
            "html", "font_low_contrast", "font_invalid_color",
            "font_face_bad", "form_action_mailto", "embeds",
            "uri_truncated", "no_such_key")
    ],
    "html_range": [
        ("body", "html_range('%s', '0', 'inf')" % k) for k in (
            "length", "html_length", "non_space_len", "image_area",
            "min_size", "max_size", "closed_extra_ratio", "bad_tag_ratio",
            "non_element_ratio", "obfuscation_ratio")
    ] + [
        ("body", "html_range('length', '10')"),
        ("body", "html_range('max_size', 'x', '3')"),
    ],
    "html_eval": [
        ("body", "html_eval('%s', '%s')" % (k, e)) for k, e in (
            ("html_length", "> 100"), ("non_space_len", ">= 1"),
            ("image_area", "<= 100"), ("min_size", "== 0"),
            ("max_size", "!= 3"), ("length", "= 3"))
    ],
    "html_tag_balance": [
        ("body", "html_tag_balance('%s', '%s')" % (t, e)) for t, e in (
            ("html", "> 0"), ("table", "< 0"), ("font", "== 0"),
            ("a", ">= 1"), ("div", "<= -1"), ("b:x", "!= 0"))
    ],
    "html_tag_exists": [
        ("body", "html_tag_exists('%s')" % t) for t in (
            "html", "head", "title", "a", "img", "form", "iframe", "script",
            "style", "table", "blink", "marquee")
    ],
    "html_image_only": [
        ("body", "html_image_only('0','100000')"),
    ],
    "html_image_ratio": [
        ("body", "html_image_ratio('0','1')"),
    ],
    "html_text_match": [
        ("body", "html_text_match('%s', '%s')" % (k, r)) for k, r in (
            ("title", "\\S"), ("script", "(?i)document\\.write"),
            ("anchor", "^\\s*$"), ("comment", "["), ("nosuchlist", "x"))
    ],
    "html_text_not_match": [
        ("body", "html_text_not_match('%s', '%s')" % (k, r)) for k, r in (
            ("title", "^\\s*$"), ("script", "eval"), ("anchor", "\\w"),
            ("comment", "^<!--"))
    ],
    "html_title_subject_ratio": [
        ("body", "html_title_subject_ratio('0')"),
        ("body", "html_title_subject_ratio('1.0')"),
    ],
}

# Tokens the eval: tests look for, beyond the other dictionaries'.
DICT = [
    "multipart/related", "multipart/signed", "application/rtf",
    "image/gif", "image/jpeg", "application/pdf", "message/partial",
    "Content-Disposition: attachment", "Content-Disposition: inline",
    "Content-ID: <", "Content-Description: ", r'charset=\"iso-8859-1\"',
    "charset=utf-8", "charset=koi8-r", "charset=windows-1251",
    "charset=gb2312", "charset=us-ascii", "7bit", "8bit", "binary",
    "=3D", "=\\x0a", "=20", "\\x0a-- \\x0a", "\\x0a\\x0a\\x0a",
    "Subject: ", "From: ", "To: ", "Cc: ", "Reply-To: ", "Return-Path: <",
    "X-Envelope-From: ", "Envelope-Sender: ", "Date: ", "Message-ID: <",
    "X-Message-Id: ", "Resent-Message-Id: ", "X-Originating-IP: [",
    "X-Apparently-From: ", "X-Mailer: ", "X-MSMail-Priority: ",
    "X-Yahoo-Post-IP: ", "@gmail.com", "@hotmail.com", "@yahoo.co.uk",
    "@mail.ru", "@aol.com", "friend@gmail.com",
    "Mon, 1 Jan 2024 00:00:00 +0000",
    "Thu, 31 Dec 1998 23:59:60 -1200", " GMT", " (EST)", "+0000", "-0800",
    "Jan", "Feb", "Dec", "Trade Date:", "Company Name:", "Symbol:",
    "Expected:", "Current Price:", "%%SUBJECT%%", "%TO_NAME%", "{{",
    "<title>", "<iframe src=", "<bgsound", r'<form action=\"mailto:',
    r'<font color=\"#ffffff\">', "<!-- saved from url=(0022)",
    "document.write(",
]

# Header rules on every pseudo-header, kept in eval_head.cf.
PSEUDO_RULES = r"""
# The relay chain (relays.c) as SpamAssassin's pseudo-headers.
header   FZP_RELAYS_T        X-Spam-Relays-Trusted =~ /\bip=\S/
header   FZP_RELAYS_T_AUTH   X-Spam-Relays-Trusted =~ / auth=[^ \]]/
header   FZP_RELAYS_T_NONE   X-Spam-Relays-Trusted !~ /\S/
header   FZP_RELAYS_U        X-Spam-Relays-Untrusted =~ /^\[ ip=\S+ rdns= /
header   FZP_RELAYS_U_HELO   X-Spam-Relays-Untrusted =~ / helo=!?\d+\.\d+\.\d+\.\d+!? /
header   FZP_RELAYS_U_IDENT  X-Spam-Relays-Untrusted =~ / ident=\S+ envfrom=\S+ /
header   FZP_RELAYS_U_2      X-Spam-Relays-Untrusted =~ /\] \[.*\] \[/
header   FZP_RELAYS_I        X-Spam-Relays-Internal =~ / intl=1 /
header   FZP_RELAYS_I_ID     X-Spam-Relays-Internal =~ / id=\S+ /
header   FZP_RELAYS_E        X-Spam-Relays-External =~ / intl=0 /
header   FZP_RELAYS_E_V6     X-Spam-Relays-External =~ /ip=[0-9a-f]*:[0-9a-f:.]*/i
header   FZP_RELAYS_E_BY     X-Spam-Relays-External =~ / by=\S+\.\S+ /
header   FZP_RELAYS_E_RAW    X-Spam-Relays-External:raw =~ /rdns=\S+/
header   FZP_RELAYS_T_EXISTS exists:X-Spam-Relays-Trusted
header   FZP_RELAYS_E_EXISTS exists:X-Spam-Relays-External
# The headers on either side of the trust boundary.
header   FZP_ALL_T           ALL-TRUSTED =~ /^Received: /m
header   FZP_ALL_T_RAW       ALL-TRUSTED:raw =~ /=\?/
header   FZP_ALL_I           ALL-INTERNAL =~ /^X-/m
header   FZP_ALL_U           ALL-UNTRUSTED =~ /^Received: from \S+ \(/m
header   FZP_ALL_U_RAW       ALL-UNTRUSTED:raw =~ /^Subject: .{3}/m
header   FZP_ALL_E           ALL-EXTERNAL =~ /^(?:Message-ID|From): /mi
header   FZP_ALL_E_EXISTS    exists:ALL-EXTERNAL
# The other pseudo-headers.
header   FZP_MESSAGEID       MESSAGEID =~ /^<[^@>]+@[^>]+>$/m
header   FZP_MESSAGEID_NONE  MESSAGEID =~ /^UNSET$/ [if-unset: UNSET]
header   FZP_ENVFROM         EnvelopeFrom =~ /\@\S+\.\S/
header   FZP_ENVFROM_ADDR    EnvelopeFrom:addr =~ /^[^@]+$/
header   FZP_ENVFROM_EXISTS  exists:EnvelopeFrom
meta     FZP_META            (FZP_RELAYS_T || FZP_RELAYS_U) && !FZP_ALL_E_EXISTS
# Hops made of these headers' first address, after the Received ones.
originating_ip_headers X-Originating-IP X-Apparently-From
originating_ip_headers X-Yahoo-Post-IP X-Sender-IP
"""

# MIMEHeader rules and the FreeMail settings, kept in eval_mime.cf.
MIME_RULES = r"""
# The MIMEHeader plugin: one header of every MIME part.
mimeheader FZM_CTYPE         Content-Type =~ /^(?:application|image)\//i
mimeheader FZM_NAME          Content-Type =~ /\bname=["']?[^"']*\.(?:exe|zip|pdf)\b/i
mimeheader FZM_CTYPE_RAW     Content-Type:raw =~ /=\?/
mimeheader FZM_DISP          Content-Disposition =~ /attachment/i
mimeheader FZM_CTE           Content-Transfer-Encoding !~ /^(?:7bit|8bit|base64|quoted-printable)$/i
mimeheader FZM_ALL           ALL =~ /^Content-ID: /m
mimeheader FZM_UNSET         Content-Description =~ /^none$/ [if-unset: none]
tflags     FZM_CTYPE         multiple maxhits=20
# FreeMail's lists (with wildcards) and its welcomelist.
freemail_domains gmail.com googlemail.com hotmail.* yahoo.co.?? yahoo.com
freemail_domains mail.ru *.freemail.example aol.com
freemail_welcomelist friend@gmail.com
"""


def eval_tables(top):
    """[(name, kinds set, min, max, plugin)] from every eval_def table,
    the tables in the order milter/rules/eval.c lists them."""
    tables = []
    for path in sorted(glob.glob(os.path.join(top, "milter", "*.c")) +
                       glob.glob(os.path.join(top, "milter", "*", "*.c"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            src = f.read()
        for m in re.finditer(r"struct eval_def\s+(\w+)\[\]\s*=\s*\{", src):
            out = []
            tables.append((m.group(1), out))
            end = src.find("{ NULL", m.end())
            body = src[m.end():end if end >= 0 else len(src)]
            plugin = os.path.basename(path)
            for e in re.finditer(
                    r'/\*\s*([A-Za-z]\w*)|\{\s*"(\w+)",\s*([A-Z_ |]+?),\s*'
                    r'(\d+),\s*(\d+),', body):
                if e.group(1):
                    plugin = e.group(1)
                    continue
                kinds = set()
                for k in e.group(3).split("|"):
                    kinds |= KINDS.get(k.strip(), set())
                out.append((e.group(2), kinds, int(e.group(4)),
                            int(e.group(5)), plugin))
    with open(os.path.join(top, "milter", "rules", "eval.c"),
              encoding="utf-8", errors="replace") as f:
        listed = f.read()
    tables.sort(key=lambda t: listed.find("{ %s," % t[0]))
    out = [e for _, entries in tables for e in entries]
    if not out:
        sys.exit("gen_eval_rules: no eval_def table in %s/milter" % top)
    return out


def parse_call(call):
    """(name, [args]) as rules/eval.c's parse_call() reads it, or None."""
    m = re.match(r"\s*(\w+)\s*(.*)$", call)
    if not m:
        return None
    name, p = m.group(1), m.group(2)
    if p == "" or p.startswith("#"):
        return name, []
    if not p.startswith("("):
        return None
    p = p[1:]
    args = []
    while True:
        p = p.lstrip(" \t")
        if p.startswith(")") and not args:
            p = p[1:]
            break
        if p[:1] in ("'", '"'):
            q = p[0]
            e = p.find(q, 1)
            if e < 0:
                return None
            args.append(p[1:e])
            p = p[e + 1:]
        else:
            a = re.match(r"[^,) \t]+", p)
            if not a:
                return None
            args.append(a.group(0))
            p = p[a.end():]
        p = p.lstrip(" \t")
        if p.startswith(","):
            p = p[1:]
            continue
        if not p.startswith(")"):
            return None
        p = p[1:]
        break
    p = p.strip(" \t")
    if p and not p.startswith("#"):
        return None
    return name, args


def stock_calls(sa_dir):
    """{test: [(kind, call)]} of every eval: rule in sa_dir/*.cf."""
    calls = {}
    rx = re.compile(r"\s*(header|body|rawbody|full|uri)\s+\S+\s+eval:(.*)$")
    for path in sorted(glob.glob(os.path.join(sa_dir, "*.cf"))):
        with open(path, encoding="latin-1") as f:
            for line in f:
                m = rx.match(line)
                if not m:
                    continue
                call = re.sub(r"(?<!\\)#.*", "", m.group(2)).strip()
                pc = parse_call(call)
                if pc is None:
                    continue
                calls.setdefault(pc[0], []).append((m.group(1), call))
    return calls


def rule_name(test, i):
    return "FZE_%s_%d" % (test.upper(), i)


def generate(top, sa_dir, fuzzdir):
    table = eval_tables(top)
    stock = stock_calls(sa_dir) if os.path.isdir(sa_dir) else {}
    if not stock:
        sys.exit("gen_eval_rules: no stock rules in %s (install the "
                 "spamassassin package, or give --sa-dir)" % sa_dir)
    files = {HEAD_FILE: [], MIME_FILE: []}
    missing = []
    for name, kinds, lo, hi, plugin in table:
        seen, calls = set(), []
        for kind, call in stock.get(name, []) + EXTRA.get(name, []):
            pc = parse_call(call)
            key = (kind, pc[0], tuple(pc[1])) if pc else None
            if key is None or key in seen:
                continue
            seen.add(key)
            calls.append((kind, call))
        if not calls and lo == 0:
            calls = [("header" if "header" in kinds else "body",
                      name + "()")]
        if not calls:
            missing.append(name)
            continue
        out = files[HEAD_FILE if plugin in HEAD_PLUGINS else MIME_FILE]
        out.append("# %s (%s)" % (name, plugin))
        for i, (kind, call) in enumerate(calls, 1):
            out.append("%-7s  %-40s eval:%s" % (kind, rule_name(name, i),
                                               call))
    if missing:
        sys.exit("gen_eval_rules: no call known for %s: add one to EXTRA"
                 % ", ".join(missing))
    intro = ("# Generated by tests/fuzz/gen_eval_rules.py from the eval: "
             "tables in\n# milter/ and SpamAssassin's stock rules: do not "
             "edit, run the script.\n")
    texts = {
        HEAD_FILE: intro + "# The HeaderEval and RelayEval tests, and the "
        "pseudo-headers, for fuzz_message.\n\n" +
        "\n".join(files[HEAD_FILE]) + "\n" + PSEUDO_RULES,
        MIME_FILE: intro + "# Every other eval: test, and MIMEHeader rules, "
        "for fuzz_message and\n# fuzz_mime_eval.\n\n" +
        "\n".join(files[MIME_FILE]) + "\n" + MIME_RULES,
    }
    texts[DICT_FILE] = dictionary(fuzzdir)
    for fn, text in texts.items():
        with open(os.path.join(fuzzdir, fn), "w", encoding="utf-8") as f:
            f.write(text)
        print("gen_eval_rules: wrote tests/fuzz/%s" % fn)


def dictionary(fuzzdir):
    """The text of eval.dict: every token of DICT_PARTS and DICT, once."""
    seen, out = set(), []
    for fn in DICT_PARTS:
        with open(os.path.join(fuzzdir, fn), encoding="latin-1") as f:
            for line in f:
                line = line.strip()
                if line.startswith('"') and line not in seen:
                    seen.add(line)
                    out.append(line)
    for tok in DICT:
        line = '"%s"' % tok
        if line not in seen:
            seen.add(line)
            out.append(line)
    return ("# Generated by tests/fuzz/gen_eval_rules.py: %s and its own "
            "tokens,\n# for fuzz_message and fuzz_mime_eval.\n" %
            ", ".join(DICT_PARTS) + "\n".join(out) + "\n")


def check(top, fuzzdir):
    """Every test of the table called, every eval rule loadable."""
    table = {t[0]: t for t in eval_tables(top)}
    called, bad = set(), []
    rx = re.compile(r"(header|body|rawbody|full|uri)\s+(\w+)\s+eval:(.*)$")
    for fn in (HEAD_FILE, MIME_FILE):
        path = os.path.join(fuzzdir, fn)
        if not os.path.exists(path):
            bad.append("%s: missing" % path)
            continue
        with open(path, encoding="utf-8") as f:
            for ln, line in enumerate(f, 1):
                m = rx.match(line.strip())
                if not m:
                    continue
                where = "%s:%d: %s" % (fn, ln, m.group(2))
                call = re.sub(r"(?<!\\)#.*", "", m.group(3)).strip()
                pc = parse_call(call)
                if pc is None:
                    bad.append("%s: cannot read the call" % where)
                    continue
                t = table.get(pc[0])
                if t is None:
                    bad.append("%s: no test %s in the table" %
                               (where, pc[0]))
                    continue
                if m.group(1) not in t[1]:
                    bad.append("%s: %s is no %s test" %
                               (where, pc[0], m.group(1)))
                elif not t[2] <= len(pc[1]) <= t[3]:
                    bad.append("%s: %s takes %d to %d arguments, not %d" %
                               (where, pc[0], t[2], t[3], len(pc[1])))
                else:
                    called.add(pc[0])
    for name in table:
        if name not in called:
            bad.append("eval test %s (%s) has no rule in tests/fuzz/%s or "
                       "%s" % (name, table[name][4], HEAD_FILE, MIME_FILE))
    for b in bad:
        print("gen_eval_rules: " + b, file=sys.stderr)
    if bad:
        print("gen_eval_rules: run tests/fuzz/gen_eval_rules.py and commit "
              "its output", file=sys.stderr)
        return 1
    print("gen_eval_rules: all %d eval tests have a fuzz rule" % len(table))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="check the committed files, write nothing")
    ap.add_argument("--srcdir", default=TOP,
                    help="the source tree (default: this script's)")
    ap.add_argument("--sa-dir", default="/usr/share/spamassassin",
                    help="SpamAssassin's stock rules")
    a = ap.parse_args()
    if a.check:
        return check(a.srcdir, os.path.join(a.srcdir, "tests", "fuzz"))
    fuzzdir = os.path.join(a.srcdir, "tests", "fuzz")
    generate(a.srcdir, a.sa_dir, fuzzdir)
    return check(a.srcdir, fuzzdir)


if __name__ == "__main__":
    sys.exit(main())
