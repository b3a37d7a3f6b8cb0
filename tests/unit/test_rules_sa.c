/*
 * test_rules_sa.c -- SpamAssassin .cf input: if/ifplugin conditions,
 * the leniency of .cf files (later definition wins, absent meta operands
 * are 0, regexes PCRE2 rejects are skipped) against the strictness of
 * .rules files, byte-mode regexes, the replace_tag macros and the
 * regexes they make too large for PCRE2 (shared or split), the
 * pseudo-headers (MESSAGEID, EnvelopeFrom, ToCc, X-Spam-Relays-*), the
 * mimeheader rules of SpamAssassin's MIMEHeader plugin, the
 * originating_ip_headers hops as RelayEval sees them, and the stock
 * ruleset when it is installed.
 */
#include "autoconfig.h"

#include <glob.h>

#include "rules_int.h"
#include "unit.h"
#include "unit_rules.h"

static struct config *cfg;

static void
setup(void)
{
	cfg = unit_rules_config("");
}

static void
teardown(void)
{
	config_free(cfg);
	cfg = NULL;
}

static struct ruleset *
load_cf(const char *name, const char *text, struct diag *d)
{
	diag_init(d);
	return rules_load_text(cfg, name, text, d);
}

static bool
defined(const struct ruleset *rs, const char *name)
{
	return g_hash_table_lookup(rs->byname, name) != NULL;
}

/* Run the EOM rules on msg; true when rule name hit. */
static bool
hits(const struct ruleset *rs, const char *msg, const char *envfrom,
    const char *name)
{
	return unit_eom_hit(rs, cfg, msg, envfrom, name);
}

/* ---- Conditions ---- */

static const struct {
	const char *kw, *expr;
	int want;
} conds[] = {
	{ "ifplugin", "Mail::SpamAssassin::Plugin::ReplaceTags", 1 },
	/* Plugins whose every stock test rules_eval.c has. */
	{ "ifplugin", "Mail::SpamAssassin::Plugin::HeaderEval", 1 },
	{ "ifplugin", "Mail::SpamAssassin::Plugin::RelayEval", 1 },
	{ "ifplugin", "Mail::SpamAssassin::Plugin::MIMEEval", 1 },
	{ "ifplugin", "Mail::SpamAssassin::Plugin::BodyEval", 1 },
	{ "ifplugin", "Mail::SpamAssassin::Plugin::FreeMail", 1 },
	/* Its HTML analysis is not there: not present. */
	{ "ifplugin", "Mail::SpamAssassin::Plugin::DKIM", 0 },
	{ "ifplugin", "Mail::SpamAssassin::Plugin::DNSEval", 0 },
	{ "ifplugin", "Mail::SpamAssassin::Plugin::DKIM # {", 0 },
	/* mimeheader rules (rules.c). */
	{ "ifplugin", "Mail::SpamAssassin::Plugin::MIMEHeader # {", 1 },
	{ "if", "(version >= 3.004000)", 1 },
	{ "if", "(version >= 4.000001)", 1 },
	{ "if", "(version >= 4.001000)", 0 },
	{ "if", "(version < 4.000000)", 0 },
	{ "if", "version == 4.000001", 1 },
	{ "if", "!((version >= 3.004000))", 0 },
	{ "if", "!plugin(Mail::SpamAssassin::Plugin::MIMEHeader)", 0 },
	{ "if", "!plugin(Mail::SpamAssassin::Plugin::DKIM)", 1 },
	{ "if", "!plugin(Mail::SpamAssassin::Plugin::ReplaceTags)", 0 },
	{ "if", "plugin(Mail::SpamAssassin::Plugin::ReplaceTags)", 1 },
	{ "if", "can(Mail::SpamAssassin::Conf::feature_bug6558_free)", 1 },
	{ "if", "!(can(Mail::SpamAssassin::Conf::feature_bug6558_free))", 0 },
	{ "if", "can(Mail::SpamAssassin::Conf::feature_capture_rules)", 0 },
	{ "if", "can(Mail::SpamAssassin::Conf::feature_originating_ip_"
	    "headers)", 1 },
	{ "if", "can(Mail::SpamAssassin::Plugin::MIMEHeader::has_tflags_"
	    "range)", 1 },
	{ "if", "can(Mail::SpamAssassin::Plugin::MIMEHeader::has_capture_"
	    "rules)", 0 },
	{ "if", "can(Mail::SpamAssassin::Conf::feature_registryboundaries)",
	    0 },
	{ "if", "can(Mail::SpamAssassin::Plugin::BodyEval::has_check_body_"
	    "length)", 1 },
	{ "if", "!(can(Mail::SpamAssassin::Plugin::BodyEval::has_check_body_"
	    "length))", 0 },
	{ "if", "can(Mail::SpamAssassin::Plugin::MIMEEval::has_check_for_"
	    "ascii_text_illegal)", 1 },
	{ "if", "can(Mail::SpamAssassin::Plugin::URIDNSBL::has_tflags_"
	    "domains_only)", 0 },
	{ "if", "(version >= 3.004) && plugin(Mail::SpamAssassin::Plugin::"
	    "ReplaceTags)", 1 },
	{ "if", "plugin(Mail::SpamAssassin::Plugin::DKIM) || 0", 0 },
	{ "if", "1 && !0", 1 },
	/* syntax errors */
	{ "if", "(version >= ", -1 },
	{ "if", "(version >= 3", -1 },
	{ "if", "perl_version > 5", -1 },
	{ "if", "version >= 3 junk", -1 },
	{ "if", "can Mail::X", -1 },
	{ "if", "", -1 },
	{ "ifplugin", "", -1 },
	{ "ifplugin", "A::B C", -1 },
};

START_TEST(test_cond)
{
	const char *why;
	int v = rules_sa_cond(conds[_i].kw, conds[_i].expr, false, &why);

	ck_assert_msg(v == conds[_i].want, "%s %s: got %d", conds[_i].kw,
	    conds[_i].expr, v);
	if (v < 0)
		ck_assert_ptr_nonnull(why);
}
END_TEST

static const char cond_text[] =
    "ifplugin Mail::SpamAssassin::Plugin::DKIM\n"
    "  header EV eval:check_for_shifted_date()\n"
    "  body IN_ABSENT /absent/\n"
    "  if (version >= 3.000000)\n"
    "    body NESTED_IN_ABSENT /nested/\n"
    "  endif\n"
    "else\n"
    "  body IN_ELSE /else/\n"
    "endif\n"
    "if (version >= 3.004000)\n"
    "  body IN_VERSION /version/\n"
    "  if !plugin(Mail::SpamAssassin::Plugin::DKIM)\n"
    "    body IN_NOT_PLUGIN /notplugin/\n"
    "  else\n"
    "    body IN_NOT_PLUGIN_ELSE /x/\n"
    "  endif\n"
    "  ifplugin Mail::SpamAssassin::Plugin::ReplaceTags\n"
    "    body IN_REPLACE /replace/\n"
    "  endif\n"
    "endif\n"
    "if(version < 4)\n"
    "  body OLD /old/\n"
    "endif\n"
    "ifplugin Mail::SpamAssassin::Plugin::DKIM\n"
    "  score IN_VERSION 2.5\n"
    "  score IN_ELSE 3.5\n"
    "endif\n"
    "score IN_ELSE 1.5\n"
    "meta M_ABSENT IN_ABSENT || NESTED_IN_ABSENT || EV || OLD\n"
    "meta M_PRESENT IN_VERSION && IN_ELSE\n";

START_TEST(test_cond_blocks)
{
	struct diag d;
	struct ruleset *rs = load_cf("t.cf", cond_text, &d);
	const char *msg = "Subject: s\n\nversion else absent nested old\n";

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert(!defined(rs, "EV"));
	ck_assert(!defined(rs, "IN_ABSENT"));
	ck_assert(!defined(rs, "NESTED_IN_ABSENT"));
	ck_assert(!defined(rs, "OLD"));
	ck_assert(!defined(rs, "IN_NOT_PLUGIN_ELSE"));
	ck_assert(defined(rs, "IN_ELSE"));
	ck_assert(defined(rs, "IN_VERSION"));
	ck_assert(defined(rs, "IN_NOT_PLUGIN"));
	ck_assert(defined(rs, "IN_REPLACE"));
	/* A score in a block not loaded, for a rule that is: kept unless a
	 * loaded line scores the rule. */
	ck_assert(((struct rule *)g_hash_table_lookup(rs->byname,
	    "IN_VERSION"))->score == 2.5);
	ck_assert(((struct rule *)g_hash_table_lookup(rs->byname,
	    "IN_ELSE"))->score == 1.5);
	/* Rules of blocks not loaded are not hit: no warning either. */
	ck_assert_uint_eq(d.warnings.n, 0);
	ck_assert(!hits(rs, msg, NULL, "M_ABSENT"));
	ck_assert(hits(rs, msg, NULL, "M_PRESENT"));
	rules_summary(rs, &d);
	ck_assert(unit_list_has(&d.notes, "skipped 4 if/ifplugin blocks"));
	ck_assert(unit_list_has(&d.notes, "skipped 1 eval: rules"));
	ck_assert(unit_list_has(&d.notes, "skipped 4 rules inside if/ifplugin"));
	rules_free(rs);
	diag_free(&d);

	/* The same text in a Warden .rules file loads the same way. */
	rs = load_cf("t.rules", cond_text, &d);
	ck_assert(rs != NULL);
	ck_assert(defined(rs, "IN_REPLACE") && !defined(rs, "IN_ABSENT"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

static const struct {
	const char *text;
	const char *msg;	/* for .rules: the error; .cf: the warning */
} cond_bad[] = {
	{ "endif\n", "t.X:1: endif without if" },
	{ "else\n", "t.X:1: else without if" },
	{ "if (version >= 3\nbody A /a/\nendif\n", "t.X:1: bad condition: "
	    "missing ')'" },
	{ "ifplugin A::B\nbody A /a/\n", "t.X:2: if/ifplugin without endif" },
};

START_TEST(test_cond_errors)
{
	struct diag d;
	struct ruleset *rs;
	char want[128];

	/* A Warden rule file: errors. */
	rs = load_cf("t.rules", cond_bad[_i].text, &d);
	ck_assert_ptr_null(rs);
	snprintf(want, sizeof(want), "t.rules%s", cond_bad[_i].msg + 3);
	ck_assert_msg(unit_list_has(&d.errors, want), "want %s", want);
	diag_free(&d);
	/* A .cf file: warnings, and the rest loads. */
	rs = load_cf("t.cf", cond_bad[_i].text, &d);
	ck_assert_ptr_nonnull(rs);
	snprintf(want, sizeof(want), "t.cf%s", cond_bad[_i].msg + 3);
	ck_assert_msg(unit_list_has(&d.warnings, want), "want %s", want);
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* ---- .cf leniency ---- */

static const char lenient_text[] =
    "body DUP /first/\n"
    "body DUP /second/\n"
    "header DUPH Subject =~ /one/\n"
    "body DUPH /two/\n"
    "body GONE /x/\n"
    "body GONE eval:check_foo()\n"
    "body BADRE /(unclosed/\n"
    "meta M_UNKNOWN __NOT_DEFINED_ANYWHERE || DUP\n"
    "meta M_BAD BADRE || GONE\n"
    "bogus_setting 1\n"
    "tflags DUP publish net learn nice\n";

START_TEST(test_cf_lenient)
{
	struct diag d;
	struct ruleset *rs = load_cf("t.cf", lenient_text, &d);

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert(unit_list_has(&d.warnings, "t.cf:2: DUP: redefined (earlier "
	    "definition at t.cf:1 replaced)"));
	ck_assert(unit_list_has(&d.warnings, "t.cf:4: DUPH: redefined"));
	ck_assert(unit_list_has(&d.warnings, "t.cf:7: BADRE: bad regex: missing "
	    "closing parenthesis"));
	ck_assert(unit_list_has(&d.warnings, "meta M_UNKNOWN: unknown rule "
	    "__NOT_DEFINED_ANYWHERE (counted as not hit)"));
	ck_assert(unit_list_has(&d.warnings, "t.cf:10: unknown keyword "
	    "'bogus_setting'"));
	ck_assert(!unit_list_has(&d.warnings, "publish"));
	ck_assert(!defined(rs, "GONE"));
	ck_assert(!defined(rs, "BADRE"));
	ck_assert(hits(rs, "Subject: s\n\nsecond\n", NULL, "DUP"));
	ck_assert(!hits(rs, "Subject: s\n\nfirst\n", NULL, "DUP"));
	ck_assert(hits(rs, "Subject: one\n\ntwo\n", NULL, "DUPH"));
	ck_assert(!hits(rs, "Subject: one\n\nnone\n", NULL, "DUPH"));
	ck_assert(hits(rs, "Subject: s\n\nsecond\n", NULL, "M_UNKNOWN"));
	ck_assert(!hits(rs, "Subject: s\n\nx (unclosed\n", NULL, "M_BAD"));
	rules_summary(rs, &d);
	ck_assert(unit_list_has(&d.notes, "skipped 1 rules whose regex PCRE2 "
	    "will not compile"));
	rules_free(rs);
	diag_free(&d);

	/* Warden's own files stay strict. */
	rs = load_cf("t.rules", lenient_text, &d);
	ck_assert_ptr_null(rs);
	ck_assert(unit_list_has(&d.errors, "t.rules:2: DUP: duplicate definition"));
	ck_assert(unit_list_has(&d.errors, "t.rules:7: BADRE: bad regex"));
	ck_assert(unit_list_has(&d.errors, "t.rules:10: unknown keyword"));
	diag_free(&d);
}
END_TEST

START_TEST(test_cf_bytes)
{
	struct diag d;
	/* In .cf input, \xc3\xa9 is two bytes (UTF-8 é), "." one byte. */
	struct ruleset *rs = load_cf("t.cf", "body E_BYTES /caf\\xc3\\xa9/\n"
	    "body E_DOT /^caf..$/\nbody E_W /caf\\w/\n"
	    "body __SA_COMMENT /a\\#b/ # a comment\n"
	    "meta SA_COMMENT __SA_COMMENT\n", &d);
	const char *msg = "Subject: s\nContent-Type: text/plain; "
	    "charset=utf-8\n\ncaf\xc3\xa9\n";

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert(hits(rs, msg, NULL, "E_BYTES"));
	ck_assert(hits(rs, msg, NULL, "E_DOT"));
	ck_assert(!hits(rs, msg, NULL, "E_W"));	/* \w is ASCII */
	ck_assert(hits(rs, "Subject: s\n\na#b\n", NULL, "SA_COMMENT"));
	rules_free(rs);
	diag_free(&d);

	/* A Warden file: the same escape is the character U+00C3. */
	rs = load_cf("t.rules", "body E_BYTES /caf\\xc3\\xa9/\n", &d);
	ck_assert(rs != NULL);
	ck_assert(!hits(rs, msg, NULL, "E_BYTES"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* ---- replace_tag ---- */

static const char replace_text[] =
    "replace_tag A [aA4]\n"
    "replace_tag B [bB8]\n"
    "replace_tag AB <A><B>\n"
    "replace_tag SP [\\s_]\n"
    "replace_inter W1 \\W?\n"
    "replace_pre P1 x\n"
    "replace_post P2 {1,2}\n"
    "body R_PLAIN /<A><B>/\n"
    "body R_INTER /foo<inter W1><A><B>/\n"
    "body R_LEAD /<inter W1><A><B>/\n"
    "body R_PRE /<pre P1>q<A>/\n"
    "body R_POST /<post P2><A>z/\n"
    "body R_NESTED /<AB>/\n"
    "body R_UNKNOWN /<A><NOPE>/\n"
    "body R_NOT_LISTED /<A>/\n"
    "header R_HDR Subject =~ /<A><SP><B>/i\n"
    "replace_rules R_PLAIN R_INTER R_LEAD R_PRE\n"
    "replace_rules R_POST R_NESTED R_UNKNOWN R_HDR\n";

static const struct {
	const char *rule, *pat;
} replaced[] = {
	{ "R_PLAIN", "[aA4][bB8]" },
	{ "R_INTER", "foo[aA4]\\W?[bB8]" },
	{ "R_LEAD", "\\W?[aA4]\\W?[bB8]" },
	{ "R_PRE", "qx[aA4]" },
	{ "R_POST", "[aA4]{1,2}z" },
	{ "R_NESTED", "[aA4][bB8]" },
	{ "R_UNKNOWN", "[aA4]<NOPE>" },
	{ "R_NOT_LISTED", "<A>" },
	{ "R_HDR", "[aA4][\\s_][bB8]" },
};

START_TEST(test_replace)
{
	struct diag d;
	struct ruleset *rs = load_cf("25_replace.cf", replace_text, &d);
	struct rule *r;

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	r = g_hash_table_lookup(rs->byname, replaced[_i].rule);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->pat, replaced[_i].pat);
	if (_i == 0) {
		ck_assert(hits(rs, "Subject: s\n\nxx 48 yy\n", NULL,
		    "R_PLAIN"));
		ck_assert(hits(rs, "Subject: A_b\n\nnone\n", NULL, "R_HDR"));
		ck_assert(!hits(rs, "Subject: s\n\nab\n", NULL,
		    "R_NOT_LISTED"));
		rules_summary(rs, &d);
		ck_assert(unit_list_has(&d.notes, "rules: 8 rules with replace_tag "
		    "macros expanded"));
	}
	rules_free(rs);
	diag_free(&d);
}
END_TEST

START_TEST(test_replace_delims)
{
	struct diag d;
	struct ruleset *rs = load_cf("t.cf", "replace_start {\n"
	    "replace_end }\nreplace_tag V [vV]\nbody R /{V}iagra<V>/\n"
	    "replace_rules R\n", &d);
	struct rule *r;

	ck_assert(rs != NULL);
	r = g_hash_table_lookup(rs->byname, "R");
	ck_assert_str_eq(r->pat, "[vV]iagra<V>");
	rules_free(rs);
	diag_free(&d);

	/* An expansion PCRE2 rejects: skipped in .cf, an error in .rules. */
	rs = load_cf("t.cf", "replace_tag X (\nbody R /<X>/\nreplace_rules R\n",
	    &d);
	ck_assert(rs != NULL);
	ck_assert(unit_list_has(&d.warnings, "t.cf:2: R: bad regex after "
	    "replace_tag expansion"));
	ck_assert(!defined(rs, "R"));
	rules_free(rs);
	diag_free(&d);
	rs = load_cf("t.rules", "replace_tag X (\nbody R /<X>/\n"
	    "replace_rules R\n", &d);
	ck_assert_ptr_null(rs);
	ck_assert(unit_list_has(&d.errors, "t.rules:2: R: bad regex after "
	    "replace_tag expansion"));
	diag_free(&d);
}
END_TEST

/* ---- Regexes too large for PCRE2 after replace_tag expansion ---- */

/*
 * One letter with its look-alikes, as 25_replace.cf writes them: PCRE2
 * compiles each use to some 190 bytes, so that a few hundred uses pass
 * its limit (64 KiB of compiled code with Debian's link size).
 */
#define BIG_TAG "replace_tag A (?:[aA4\\xc0-\\xc5]|[\\xc3][\\x80-\\x85]|" \
	"&\\#(?:19[2-7]|x(?:c[0-5]));)\n"

/* n alternatives "zqIx" + fmt, fmt being the same for all (caller frees). */
static char *
big_alternation(unsigned n, const char *tail)
{
	struct buf b;

	buf_init(&b, 0);
	for (unsigned i = 0; i < n; i++)
		buf_printf(&b, "%szq%ux%s", i ? "|" : "", i, tail);
	return b.p;
}

/*
 * The shape of the stock extortion rules (__MY_MALWARE, __PAY_ME...),
 * "(?:^|\s)(?:ALTERNATIVES)[\s\.,]", with alternatives that are too many
 * for PCRE2 once expanded: "zqIx<A>" (the tag, a group, repeated in
 * each), or with distinct=true "zqIx<C1><C2>", two character classes (no
 * group twice: only a split makes it fit).  tail is appended to the rule
 * file.
 */
static struct ruleset *
load_big(bool distinct, const char *tail, struct diag *d)
{
	char *alts = distinct ? big_alternation(1300, "<C1><C2>") :
	    big_alternation(600, "<A>");
	char *text = xasprintf(BIG_TAG
	    "replace_tag C1 [a4\\xc0-\\xc5]\n"
	    "replace_tag C2 [b8]\n"
	    "replace_tag END [\\s\\.,]\n"
	    "body BIG /(?:^|\\s)(?:%s)<END>/i\n"
	    "replace_rules BIG\n"
	    "score BIG 2.5\n"
	    "describe BIG Too large for PCRE2 in one piece\n"
	    "body OTHER /other/\n"
	    "meta ON_BIG BIG && !__NEVER\n"
	    "body __NEVER /never ever/\n"
	    "meta BIG_PLUS_OTHER (BIG + OTHER) == 2\n"
	    "%s", alts, tail);
	struct ruleset *rs = load_cf("72_active.cf", text, d);

	free(alts);
	free(text);
	return rs;
}

/* The names in the test list of msg's verdict (caller frees). */
static char *
test_list(const struct ruleset *rs, const char *msg)
{
	struct rules_input in;
	struct results res;
	struct buf b;

	memset(&in, 0, sizeof(in));
	in.stage = STAGE_EOM;
	in.cfg = cfg;
	in.msg = msg;
	in.msglen = strlen(msg);
	results_init(&res);
	ck_assert_int_eq(rules_run(rs, &in, &res), 0);
	buf_init(&b, 0);
	results_tests(&res, &b, ",");
	results_free(&res);
	return b.p;
}

/*
 * What holds whichever way BIG was made to fit: it hits a message that
 * only a late alternative matches and not one that none matches (near
 * misses on both sides), metas over it see 1 for a hit, and it keeps
 * its name, score and description.
 */
static void
check_big(const struct ruleset *rs, const struct diag *d, bool distinct)
{
	const char *late = distinct ?
	    "Subject: s\n\nPay now, zq1297x48.\n" :
	    "Subject: s\n\nPay now, zq597x\xc3\x84.\n";
	const char *none = distinct ?
	    "Subject: s\n\nzq1300xab zq1297xac zq129xab1\n" :
	    "Subject: s\n\nzq600xa zq597xb zq59xa1\n";
	const char *with_other = distinct ?
	    "Subject: s\n\nzq1297xab other\n" :
	    "Subject: s\n\nzq597xa other\n";
	struct rule *r;
	char *tests;

	ck_assert_msg(rs != NULL, "%s", d->errors.n ? d->errors.v[0] : "");
	ck_assert_msg(!unit_list_has(&d->warnings, "BIG: bad regex"), "%s",
	    d->warnings.n ? d->warnings.v[0] : "");
	ck_assert_msg(defined(rs, "BIG"), "BIG not loaded");
	ck_assert(hits(rs, late, NULL, "BIG"));
	ck_assert(!hits(rs, none, NULL, "BIG"));
	ck_assert(hits(rs, distinct ? "Subject: s\n\nzq0x48 first\n" :
	    "Subject: s\n\nzq0x4 first\n", NULL, "BIG"));
	ck_assert(hits(rs, late, NULL, "ON_BIG"));
	ck_assert(!hits(rs, none, NULL, "ON_BIG"));
	ck_assert(!hits(rs, late, NULL, "BIG_PLUS_OTHER"));
	ck_assert(hits(rs, with_other, NULL, "BIG_PLUS_OTHER"));
	r = g_hash_table_lookup(rs->byname, "BIG");
	ck_assert_double_eq(r->score, 2.5);
	ck_assert_str_eq(r->describe, "Too large for PCRE2 in one piece");
	tests = test_list(rs, with_other);
	ck_assert_str_eq(tests, "BIG,BIG_PLUS_OTHER,ON_BIG,OTHER");
	free(tests);
}

/*
 * Repeated groups (here the tag <A>, 600 times) compiled once: the rule
 * stays what it was, one regex that means the same, so that even its
 * matches can be counted.
 */
START_TEST(test_big_shared)
{
	struct diag d;
	struct ruleset *rs = load_big(false, "tflags BIG multiple\n"
	    "meta BIG_TWICE BIG == 2\n", &d);
	struct rule *r;

	check_big(rs, &d, false);
	r = g_hash_table_lookup(rs->byname, "BIG");
	ck_assert_int_eq(r->kind, RK_BODY);
	ck_assert_ptr_nonnull(strstr(r->pat, "(?&_wd"));
	ck_assert(unit_list_has(&d.notes, "rules: BIG (72_active.cf:5): "
	    "repeated groups of its regex compiled once"));
	ck_assert(hits(rs, "Subject: s\n\nzq1xa. zq597x4,\n", NULL,
	    "BIG_TWICE"));
	ck_assert(!hits(rs, "Subject: s\n\nzq1xa. zq597xz,\n", NULL,
	    "BIG_TWICE"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/*
 * No group to share: the alternation is split, each piece a hidden
 * sub-rule, and BIG the meta over them.
 */
START_TEST(test_big_split)
{
	struct diag d;
	struct ruleset *rs = load_big(true, "", &d);
	struct rule *r;

	check_big(rs, &d, true);
	r = g_hash_table_lookup(rs->byname, "BIG");
	ck_assert_int_eq(r->kind, RK_META);
	ck_assert(defined(rs, "__BIG_SPLIT_1"));
	ck_assert(defined(rs, "__BIG_SPLIT_2"));
	ck_assert(unit_list_has(&d.notes, "rules: BIG (72_active.cf:5) split "
	    "into "));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/*
 * A rule whose matches are counted cannot be split exactly (a match may
 * be in either piece's territory, or in both), nor can a !~ rule: when
 * sharing is not enough it is skipped as before, with its warning, and
 * metas see it as not hit.
 */
START_TEST(test_big_split_refused)
{
	struct diag d;
	struct ruleset *rs = load_big(true, "tflags BIG multiple\n", &d);

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert(unit_list_has(&d.warnings, "BIG: bad regex after "
	    "replace_tag expansion: regular expression is too large at "
	    "offset 0 (not split: tflags multiple counts its matches)"));
	ck_assert(!defined(rs, "BIG"));
	ck_assert(!defined(rs, "__BIG_SPLIT_1"));
	ck_assert(!hits(rs, "Subject: s\n\nzq1297xab.\n", NULL, "ON_BIG"));
	rules_free(rs);
	diag_free(&d);

	rs = load_big(true, "tflags BIG maxhits=2\n", &d);
	ck_assert(rs != NULL);
	ck_assert(!defined(rs, "BIG"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/*
 * The shape of __FILL_THIS_FORM_LONG1/2: a group repeated {5}, of which
 * PCRE2 takes one copy but not five.
 */
START_TEST(test_big_repeat)
{
	struct diag d;
	char *alts = big_alternation(250, "<C1><C2>");
	char *text = xasprintf("replace_tag C1 [a4\\xc0-\\xc5]\n"
	    "replace_tag C2 [b8]\n"
	    "replace_tag SEP [\\s,]+\n"
	    "body __FORM /(?:(?:%s)<SEP>){5}/i\n"
	    "replace_rules __FORM\n"
	    "meta FORM __FORM\n", alts);
	struct ruleset *rs = load_cf("72_active.cf", text, &d);

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert_msg(defined(rs, "__FORM"), "%s", d.warnings.n ?
	    d.warnings.v[0] : "");
	ck_assert(hits(rs, "Subject: s\n\nzq3xab zq149xab, zq7x48 zq100xab "
	    "zq0xab and more\n", NULL, "FORM"));
	ck_assert(!hits(rs, "Subject: s\n\nzq3xab zq149xab, zq7x48 zq100xab "
	    "zq250xab and more\n", NULL, "FORM"));
	rules_free(rs);
	diag_free(&d);
	free(alts);
	free(text);
}
END_TEST

/*
 * Sharing on small patterns: which groups are named and called, and
 * what is left alone.  NULL: nothing to share, or refused.
 */
static const struct {
	const char *pat;
	uint32_t opts;
	const char *want;
} shares[] = {
	{ "(?:abcdefghijklmn)x(?:abcdefghijklmn)", 0,
	  "(?<_wd1>abcdefghijklmn)x(?&_wd1)" },
	/* A quantifier stays with each occurrence. */
	{ "(?:abcdefghijklmn)+x(?:abcdefghijklmn)?", 0,
	  "(?<_wd1>abcdefghijklmn)+x(?&_wd1)?" },
	/* Nested: the outer group's later copy calls it, inner and all. */
	{ "(?:a(?:bcdefghijklmnopq)r)s(?:a(?:bcdefghijklmnopq)r)"
	  "(?:bcdefghijklmnopq)", 0,
	  "(?<_wd1>a(?<_wd2>bcdefghijklmnopq)r)s(?&_wd1)(?&_wd2)" },
	/* A counted repeat: one copy, then calls. */
	{ "(?:abcdefghijklmn){5}", 0, "(?<_wd1>abcdefghijklmn)(?&_wd1){4,4}" },
	{ "(?:abcdefghijklmn){2,3}?x", 0,
	  "(?<_wd1>abcdefghijklmn)(?&_wd1){1,2}?x" },
	{ "(?:abcdefghijklmn){3}(?:abcdefghijklmn)", 0,
	  "(?<_wd1>abcdefghijklmn)(?&_wd1){2,2}(?&_wd1)" },
	{ "(x)(?:(?:abcdefg|hijklmn){2}efghijkl){5}", 0,
	  "(x)(?<_wd1>(?<_wd2>abcdefg|hijklmn)(?&_wd2){1,1}efghijkl)"
	  "(?&_wd1){4,4}" },
	/* Extended mode: comments and white space are part of the text. */
	{ "(?:abc def # (\n ghijkl) (?:abc def # (\n ghijkl)", PCRE2_EXTENDED,
	  "(?<_wd1>abc def # (\n ghijkl) (?&_wd1)" },
	{ "(?:ab|cd){0,3}(?:ab|cd){2,}(?:ab|cd){3}+", 0, NULL },
	{ "(?:ab)x(?:ab)", 0, NULL },			/* too short */
	{ "(abcdefghijklmnop)(abcdefghijklmnop)", 0, NULL },
	{ "(?=(?:abcdefghijklmn))(?:abcdefghijklmn)", 0, NULL },
	{ "(?>(?:abcdefghijklmn))(?:abcdefghijklmn)", 0, NULL },
	/* A call takes the options of the group it calls: refused. */
	{ "(?i:x)(?:abcdefghijklmn)(?:abcdefghijklmn)", 0, NULL },
	{ "(?:abcdefghijklmn)(?:abcdefghijklmn)(?i)", 0, NULL },
	{ "(?:abcdefghijklmn)(?:abcdefghijklmn)\\1", 0, NULL },
	{ "(?<_wd1>a)(?:abcdefghijklmn)(?:abcdefghijklmn)", 0, NULL },
};

START_TEST(test_share)
{
	const char *why = NULL;
	char *got = rules_sa_share(shares[_i].pat, shares[_i].opts, &why);

	if (shares[_i].want == NULL) {
		ck_assert_msg(got == NULL, "%s: shared as %s", shares[_i].pat,
		    got);
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert_msg(got != NULL, "%s: %s", shares[_i].pat, why);
	ck_assert_str_eq(got, shares[_i].want);
	free(got);
}
END_TEST

/*
 * One split, on small patterns: where PCRE2 reads a '|' or a group
 * (escapes, classes, \Q...\E, comments and extended mode decide), which
 * alternation is cut, and what is refused (NULL).
 */
static const struct {
	const char *pat;
	uint32_t opts;
	const char *a, *b;
} split_steps[] = {
	{ "a|b", 0, "a", "b" },
	{ "ab|cd|ef", 0, "ab", "cd|ef" },
	{ "aaaa|b|c", 0, "aaaa", "b|c" },
	/* A group: its branches, with what is around it in each piece. */
	{ "x(?:a|b)y", 0, "x(?:a)y", "x(?:b)y" },
	{ "(?:^|\\s)(?:long one|long two)[\\s.,]", 0,
	  "(?:^|\\s)(?:long one)[\\s.,]", "(?:^|\\s)(?:long two)[\\s.,]" },
	{ "x(?:a|b)(?:cccccccc|dddddddd)", 0, "x(?:a|b)(?:cccccccc)",
	  "x(?:a|b)(?:dddddddd)" },
	{ "(?:a|bb(?:cccc|dddd)ee)", 0, "(?:a|bb(?:cccc)ee)",
	  "(?:a|bb(?:dddd)ee)" },
	{ "(?:a|b)?c", 0, "(?:a)?c", "(?:b)?c" },
	{ "(?:a|b)??c", 0, "(?:a)??c", "(?:b)??c" },
	{ "(ab|cd)e", 0, "(ab)e", "(cd)e" },
	{ "(?<n>ab|cd)e", 0, "(?<n>ab)e", "(?<n>cd)e" },
	{ "(?P<n>ab|cd)e", 0, "(?P<n>ab)e", "(?P<n>cd)e" },
	{ "(?'n'ab|cd)e", 0, "(?'n'ab)e", "(?'n'cd)e" },
	{ "(?i:ab|cd)e", 0, "(?i:ab)e", "(?i:cd)e" },
	/* '|' that is not an alternation. */
	{ "[|(]a|b", 0, "[|(]a", "b" },
	{ "[]|]a|b", 0, "[]|]a", "b" },
	{ "[^]|)]a|b", 0, "[^]|)]a", "b" },
	{ "[[:alpha:]|]x|y", 0, "[[:alpha:]|]x", "y" },
	{ "[\\]|]x|y", 0, "[\\]|]x", "y" },
	{ "\\|a|b", 0, "\\|a", "b" },
	{ "\\Q|(\\Ea|b", 0, "\\Q|(\\Ea", "b" },
	{ "[\\Q]|\\E]a|b", 0, "[\\Q]|\\E]a", "b" },
	{ "(?#|)a|b", 0, "(?#|)a", "b" },
	{ "\\c|a|b", 0, "\\c|a", "b" },
	{ "a\\x{7c}|b", 0, "a\\x{7c}", "b" },
	{ "a # | (\n|b", PCRE2_EXTENDED, "a # | (\n", "b" },
	{ "(?x: a # | (\n)|b", 0, "(?x: a # | (\n)", "b" },
	{ "a#|b", 0, "a#", "b" },
	/* In extended mode a quantifier may follow white space or a
	 * comment: the group is repeated, not one to choose from. */
	{ "(?:a|b) # c\n *", PCRE2_EXTENDED, NULL, NULL },
	{ "(?:a|b)(?#c)+", 0, NULL, NULL },
	/* Groups repeated or examined as a whole cannot be cut. */
	{ "(?:a|b)*c", 0, NULL, NULL },
	{ "(?:a|b)+c", 0, NULL, NULL },
	{ "(?:a|b)?+c", 0, NULL, NULL },
	{ "(?:x(?:a|b))*", 0, NULL, NULL },
	{ "(?>a|ab)c", 0, NULL, NULL },
	{ "(?=a|b)c", 0, NULL, NULL },
	{ "(?<!a|b)c", 0, NULL, NULL },
	{ "(?|(a)|(b))c", 0, NULL, NULL },
	/* What would change meaning in pieces: refused. */
	{ "(a|b)\\1", 0, NULL, NULL },
	{ "(?<n>a|b)\\k<n>", 0, NULL, NULL },
	{ "(a|b)\\g{-1}", 0, NULL, NULL },
	{ "(a|b)(?1)", 0, NULL, NULL },
	{ "(?i)a|b", 0, NULL, NULL },
	{ "a(?i)b|c", 0, NULL, NULL },
	{ "(*COMMIT)a|b", 0, NULL, NULL },
	{ "(?(1)a|b)", 0, NULL, NULL },
	{ "(?Ca)a|b", 0, NULL, NULL },
	{ "a)|b", 0, NULL, NULL },
	{ "(a|b", 0, NULL, NULL },
	{ "[a|b", 0, NULL, NULL },
	{ "abc", 0, NULL, NULL },
	{ "(?:ab|cd){3}", 0, NULL, NULL },
};

START_TEST(test_split_step)
{
	char *a, *b;
	const char *why = NULL;
	bool ok = rules_sa_split_step(split_steps[_i].pat, split_steps[_i].opts,
	    &a, &b, &why);

	if (split_steps[_i].a == NULL) {
		ck_assert_msg(!ok, "%s: split as %s and %s", split_steps[_i].pat,
		    a, b);
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert_msg(ok, "%s: %s", split_steps[_i].pat, why);
	ck_assert_str_eq(a, split_steps[_i].a);
	ck_assert_str_eq(b, split_steps[_i].b);
	free(a);
	free(b);
}
END_TEST

/* ---- Pseudo-headers ---- */

static const char pseudo_msg[] =
    "Return-Path: <bounce@sender.example>\n"
    "Received: from out.sender.example (out.sender.example [203.0.113.20])"
    "\n\tby mx.warden.test (Postfix) with ESMTP id A1\n"
    "Received: from gw (gw [192.168.1.1]) by out.sender.example with "
    "ESMTP id B2\n"
    "From: a@sender.example\n"
    "To: one@warden.test\n"
    "Cc: two@warden.test\n"
    "Message-Id: <abc@sender.example>\n"
    "X-Message-Id: <xyz@other.example>\n"
    "Subject: hello\n"
    "\n"
    "body\n";

static const char pseudo_rules[] =
    "header MID_BOTH MESSAGEID =~ /^<xyz\\@other\\.example>\\n"
    "<abc\\@sender\\.example>$/\n"
    "header MID_ANY MESSAGEID =~ /abc\\@sender/\n"
    "header ENV EnvelopeFrom =~ /^bounce\\@sender\\.example$/\n"
    "header TOCC ToCc =~ /one\\@warden\\.test.*two\\@warden\\.test/\n"
    "header UNTR X-Spam-Relays-Untrusted =~ /^\\[ ip=203\\.0\\.113\\.20 "
    "rdns=out\\.sender\\.example helo=out\\.sender\\.example "
    "by=mx\\.warden\\.test ident= envfrom= intl=0 id=A1 auth= msa=0 \\] "
    "\\[ ip=192\\.168\\.1\\.1 /\n"
    "header EXT X-Spam-Relays-External =~ /ip=203\\.0\\.113\\.20/\n"
    "header TRU X-Spam-Relays-Trusted =~ /./\n"
    "header INT_EMPTY X-Spam-Relays-Internal =~ /^$/\n"
    "header NORDNS X-Spam-Relays-Untrusted =~ /^[^\\]]+ rdns= /\n";

START_TEST(test_pseudo_headers)
{
	struct diag d;
	struct ruleset *rs = load_cf("t.cf", pseudo_rules, &d);
	static const char *const want[] = { "MID_BOTH", "MID_ANY", "ENV",
		"TOCC", "UNTR", "EXT", "INT_EMPTY", NULL };

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	for (const char *const *w = want; *w; w++)
		ck_assert_msg(hits(rs, pseudo_msg, NULL, *w), "%s", *w);
	ck_assert(!hits(rs, pseudo_msg, NULL, "TRU"));
	ck_assert(!hits(rs, pseudo_msg, NULL, "NORDNS"));
	/* Without an envelope header, the MAIL FROM. */
	ck_assert(hits(rs, "From: x@y\n\nb\n", "<bounce@sender.example>",
	    "ENV"));
	ck_assert(!hits(rs, "From: x@y\n\nb\n", NULL, "ENV"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/*
 * ALL-TRUSTED and friends: the headers down to (up from) the Received
 * header of the first hop out of trust.  Hits and misses checked
 * against SpamAssassin 4.0.1.
 */
static const char all_msg[] =
    "Return-Path: <bounce@sender.example>\n"
    "Received: from gw (gw [192.168.1.1]) by mx.warden.test (Postfix) "
    "with ESMTP id A1\n"
    "Received: from out.sender.example (out.sender.example [203.0.113.20])"
    " by gw with ESMTP id B2\n"
    "From: a@sender.example\n"
    "Subject: hello\n"
    "\n"
    "body\n";

static const char all_rules[] =
    "header ALLT ALL-TRUSTED =~ /\\AReturn-Path: [^\\n]*\\nReceived: "
    "from gw [^\\n]*\\nReceived: from out[^\\n]*\\n\\z/\n"
    "header ALLI ALL-INTERNAL =~ /\\AReturn-Path: [^\\n]*\\nReceived: "
    "from gw [^\\n]*\\nReceived: from out[^\\n]*\\n\\z/\n"
    "header ALLE ALL-EXTERNAL =~ /\\AReceived: from out[^\\n]*\\nFrom: "
    "a\\@sender\\.example\\n/\n"
    "header ALLU ALL-UNTRUSTED =~ /\\AReceived: from out/\n"
    "header ALLE_NOT ALL-EXTERNAL =~ /Return-Path|from gw/\n"
    "header ALLT_NOT ALL-TRUSTED =~ /Subject/\n";

START_TEST(test_pseudo_all_parts)
{
	struct diag d;
	struct ruleset *rs = load_cf("t.cf", all_rules, &d);

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert(hits(rs, all_msg, NULL, "ALLT"));
	ck_assert(hits(rs, all_msg, NULL, "ALLI"));
	ck_assert(hits(rs, all_msg, NULL, "ALLE"));
	ck_assert(hits(rs, all_msg, NULL, "ALLU"));
	ck_assert(!hits(rs, all_msg, NULL, "ALLE_NOT"));
	ck_assert(!hits(rs, all_msg, NULL, "ALLT_NOT"));
	/* The newest hop untrusted: every header from the first Received
	 * on is external, the older "from gw" one included. */
	ck_assert(hits(rs, pseudo_msg, NULL, "ALLE_NOT"));
	ck_assert(!hits(rs, pseudo_msg, NULL, "ALLI"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

START_TEST(test_pseudo_client)
{
	struct diag d;
	struct ruleset *rs = load_cf("t.cf", pseudo_rules, &d);
	struct rules_input in;
	struct results res;
	bool nordns = false;

	ck_assert(rs != NULL);
	/* The MTA's client is the newest hop, with no reverse name. */
	memset(&in, 0, sizeof(in));
	in.stage = STAGE_EOM;
	in.cfg = cfg;
	in.msg = pseudo_msg;
	in.msglen = strlen(pseudo_msg);
	in.client_addr = "198.51.100.9";
	in.client_name = "unknown";
	in.helo = "x.example";
	results_init(&res);
	ck_assert_int_eq(rules_run(rs, &in, &res), 0);
	for (size_t i = 0; i < res.nhits; i++)
		if (strcmp(res.hits[i].name, "NORDNS") == 0)
			nordns = true;
	ck_assert(nordns);
	results_free(&res);
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* ---- URIs as SpamAssassin canonicalizes them ---- */

START_TEST(test_uri_canon)
{
	struct diag d;
	struct ruleset *rs = load_cf("t.cf",
	    "uri U_ESCAPED m{^http://%77%77%77\\.}\n"
	    "uri U_DECODED m{^http://www\\.example\\.com/}\n"
	    "uri U_DWORD m{^http://192\\.168\\.1\\.1/x}\n"
	    "uri U_HEX m{^http://10\\.0\\.0\\.1/}\n"
	    "uri U_NUMBER m{^http://3232235777/}\n"
	    "uri U_MAILTO /^mailto:remove-me\\@list\\.example\\.org$/\n"
	    "uri U_SHORT m{^http://1\\.2\\.3\\.4}\n", &d);
	const char *msg = "Subject: s\nContent-Type: text/html\n\n"
	    "<a href=\"http://%77%77%77.example.com/\">a</a>\n"
	    "<a href=\"http://3232235777/x\">b</a>\n"
	    "<a href=\"http://0x0a000001/\">c</a>\n"
	    "<a href=\"http://1234/\">d</a>\n"
	    "<p>Write to remove-me@list.example.org to leave.</p>\n";

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert(hits(rs, msg, NULL, "U_ESCAPED"));	/* original kept */
	ck_assert(hits(rs, msg, NULL, "U_DECODED"));
	ck_assert(hits(rs, msg, NULL, "U_DWORD"));
	ck_assert(hits(rs, msg, NULL, "U_HEX"));
	ck_assert(hits(rs, msg, NULL, "U_NUMBER"));
	ck_assert(hits(rs, msg, NULL, "U_MAILTO"));
	ck_assert(!hits(rs, msg, NULL, "U_SHORT"));	/* too small */
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* ---- mimeheader (SpamAssassin's MIMEHeader plugin) ---- */

static const char mh_msg[] =
    "From: top@example.com\n"
    "Subject: test\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed;\n"
    "\tboundary=\"BB\"\n"
    "\n"
    "preamble\n"
    "--BB\n"
    "Content-Type: text/plain; charset=\"iso-8859-2\"\n"
    "\n"
    "hello\n"
    "--BB\n"
    "Content-Type: image/gif;\n"
    "        name=\"pic.gif\"\n"
    "Content-ID: <00aabbccddee$11223344$55667788@Example>\n"
    "Content-Transfer-Encoding: base64\n"
    "Content-Disposition: attachment;\n"
    " filename=\"=?utf-8?q?lotto=5Fwin?=.gif\"\n"
    "\n"
    "R0lGODlhAQABAAAAACw=\n"
    "--BB\n"
    "Content-Type: application/octet-stream; name=\"notes.txt\"\n"
    "\n"
    "abc\n"
    "--BB\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: inner@example.org\n"
    "Subject: inner\n"
    "\n"
    "inner body\n"
    "--BB--\n";

/* Rule, and whether it hits mh_msg. */
static const struct {
	const char *rule;
	bool    hit;
} mh_rules[] = {
	/* Matched in every part; the message itself is part 1. */
	{ "mimeheader R Content-Type =~ /^image\\/gif\\b/i", true },
	{ "mimeheader R Content-Type =~ /^multipart\\/mixed; boundary=/", true },
	{ "mimeheader R content-type =~ /^video\\//", false },
	/* Decoded: each fold is one space, "\n" ends the value. */
	{ "mimeheader R Content-Type =~ /^image\\/gif; name=\"pic\\.gif\"$/",
	  true },
	{ "mimeheader R Content-Type =~ /^image\\/gif;\\n/", false },
	{ "mimeheader R Content-Type =~ /^image\\/gif; name=\"pic\\.gif\"\\n\\z/",
	  true },
	/* :raw keeps the folding; a part's value starts after the colon's
	 * white space, the message's does not (as SpamAssassin splits). */
	{ "mimeheader R Content-Type:raw =~ /^image\\/gif;\\n {8}name=\\\".+?\\\"$/s",
	  true },
	{ "mimeheader R Content-Type:raw =~ /^ multipart\\/mixed;\\n\\tboundary/",
	  true },
	{ "mimeheader R Content-Type:raw =~ /^multipart/", false },
	/* RFC 2047 words are decoded, not in :raw. */
	{ "mimeheader R Content-Disposition =~ /filename=\"lotto_win\\.gif\"/",
	  true },
	{ "mimeheader R Content-Disposition:raw =~ /lotto_win/", false },
	/* A bare ':' after the name is dropped. */
	{ "mimeheader R Content-ID: =~ /^<00aabb/", true },
	/* Negation: no part's value matches. */
	{ "mimeheader R Content-Type !~ /video\\//", true },
	{ "mimeheader R Content-Type !~ /image\\//", false },
	/* A missing field: [if-unset: ...], else "". */
	{ "mimeheader R X-None =~ /^dflt$/ [if-unset: dflt]", true },
	{ "mimeheader R X-None =~ /^$/", true },
	{ "mimeheader R X-None =~ /./", false },
	{ "mimeheader R X-None:raw =~ /^dflt$/ [if-unset: dflt]", false },
	/* The message carried in message/rfc822 is a part of its own, with
	 * its whole header. */
	{ "mimeheader R From =~ /^inner\\@example\\.org$/", true },
	{ "mimeheader R From:raw =~ /^ inner\\@/", true },
	/* ALL: "Name: value\n" for every field of a part. */
	{ "mimeheader R ALL =~ /^Content-ID: <00aabb[^\\n]*\\nContent-Transfer/m",
	  true },
	{ "mimeheader R ALL =~ /^From: top\\@example\\.com\\nSubject: test$/m",
	  true },
	{ "mimeheader R ALL:raw =~ /^Content-Type: image\\/gif; name=/m",
	  true },
	{ "mimeheader R ALL:raw =~ /^Subject:  test$/m", true },
	{ "mimeheader R ALL =~ /^Subject:  test$/m", false },
	/* Stock rules. */
	{ "mimeheader R Content-Type =~ m,\\bapplication/octet-stream\\b.+"
	  "\\.txt\\b,i", true },
	{ "mimeheader R Content-ID =~ /^<00[a-f0-9]{10}\\$[a-f0-9]{8}\\$"
	  "[a-f0-9]{8}\\@[A-Za-z]+>$/", true },
	{ "mimeheader R Content-Transfer-Encoding =~ /\\bbas64\\b/i", false },
	/* tflags range=: parts counted from the message, 1. */
	{ "mimeheader R Subject =~ /test/\ntflags R range=1", true },
	{ "mimeheader R Subject =~ /test/\ntflags R range=2-", false },
	{ "mimeheader R Subject =~ /inner/\ntflags R range=2-", true },
	{ "mimeheader R Content-Type =~ /image/\ntflags R range=-2", false },
	{ "mimeheader R Content-Type =~ /image/\ntflags R range=3", true },
	{ "mimeheader R Content-Type =~ /image/\ntflags R range=4-5", false },
	/* tflags concat: the values joined, each ending in "\n". */
	{ "mimeheader R Content-Type =~ /plain.*\\n.*image/\ntflags R concat",
	  true },
	{ "mimeheader R Content-Type =~ /plain.*\\n.*image/", false },
	{ "mimeheader R Content-Type =~ /^multipart.*\\n\\n/\n"
	  "tflags R concat range=1-2", false },
	/* In a Warden .rules file too (the same language). */
};

START_TEST(test_mimeheader)
{
	struct diag d;
	struct ruleset *rs = load_cf("t.cf", mh_rules[_i].rule, &d);

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert_msg(defined(rs, "R"), "%s: not defined", mh_rules[_i].rule);
	ck_assert_uint_eq(d.warnings.n, 0);
	ck_assert_msg(hits(rs, mh_msg, NULL, "R") == mh_rules[_i].hit,
	    "%s: want %s", mh_rules[_i].rule, mh_rules[_i].hit ? "a hit" :
	    "no hit");
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* Hits counted as SpamAssassin counts them: in the first part that
 * matches, up to maxhits. */
START_TEST(test_mimeheader_multiple)
{
	struct diag d;
	struct ruleset *rs = load_cf("t.cf",
	    "mimeheader M2 Content-Type =~ /-[82]/\n"
	    "tflags M2 multiple\n"
	    "meta M2_TWICE M2 == 2\n"
	    "mimeheader M1 Content-Type =~ /-[82]/\n"
	    "meta M1_ONCE M1 == 1\n"
	    "mimeheader MX Content-Type =~ /[a-z]+\\//\n"
	    "tflags MX maxhits=3\n"
	    "meta MX_THREE MX == 3\n", &d);

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert(hits(rs, mh_msg, NULL, "M2_TWICE"));
	ck_assert(hits(rs, mh_msg, NULL, "M1_ONCE"));
	/* One "type/" in each of the first parts: the first gives one. */
	ck_assert(!hits(rs, mh_msg, NULL, "MX_THREE"));
	ck_assert(hits(rs, mh_msg, NULL, "MX"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

START_TEST(test_mimeheader_parse)
{
	struct diag d;
	struct ruleset *rs;

	/* Lint counts the kind. */
	rs = load_cf("t.cf", "mimeheader A Content-Type =~ /x/\n"
	    "mimeheader B Content-Id:raw !~ m{y}i\n"
	    "header C Content-Type =~ /x/\n", &d);
	ck_assert(rs != NULL);
	ck_assert_uint_eq(rs->nkind[RK_MIMEHEADER], 2);
	ck_assert_uint_eq(rs->nkind[RK_HEADER], 1);
	rules_summary(rs, &d);
	ck_assert(unit_list_has(&d.notes, "mimeheader 2"));
	ck_assert(((struct rule *)g_hash_table_lookup(rs->byname,
	    "B"))->negate);
	rules_free(rs);
	diag_free(&d);

	/* Bad ones: skipped with a warning in .cf input... */
	rs = load_cf("t.cf", "mimeheader A Content-Type:addr =~ /x/\n"
	    "mimeheader B Content-Type\n"
	    "mimeheader C Content-Type =~ /(/\n"
	    "mimeheader D Content-Type =~ /x/ junk\n"
	    "mimeheader E Content-Type =~ /x/\n"
	    "tflags E range=2-x\n", &d);
	ck_assert(rs != NULL);
	ck_assert(!defined(rs, "A") && !defined(rs, "B") &&
	    !defined(rs, "C") && !defined(rs, "D"));
	ck_assert(defined(rs, "E"));
	ck_assert_uint_eq(d.warnings.n, 5);
	rules_free(rs);
	diag_free(&d);
	/* ...errors in Warden's own rule files, where it works the same. */
	rs = load_cf("t.rules", "mimeheader A Content-Type:addr =~ /x/\n", &d);
	ck_assert(rs == NULL);
	diag_free(&d);
	rs = load_cf("t.rules", "mimeheader GIF Content-Type =~ "
	    "/^image\\/gif\\b/\n", &d);
	ck_assert(rs != NULL);
	ck_assert(hits(rs, mh_msg, NULL, "GIF"));
	ck_assert(!hits(rs, "Subject: x\n\nplain\n", NULL, "GIF"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* ---- originating_ip_headers, as RelayEval sees them ---- */

START_TEST(test_originating_relayeval)
{
	struct diag d;
	/* The stock setting, in its stock block. */
	struct ruleset *rs = load_cf("t.cf",
	    "if can(Mail::SpamAssassin::Conf::feature_originating_ip_headers)\n"
	    "clear_originating_ip_headers\n"
	    "originating_ip_headers X-Yahoo-Post-IP X-Originating-IP "
	    "X-Apparently-From\n"
	    "originating_ip_headers X-SenderIP X-AOL-IP\n"
	    "endif\n"
	    "ifplugin Mail::SpamAssassin::Plugin::RelayEval\n"
	    "header NO_RDNS_DOTCOM_HELO eval:check_for_no_rdns_dotcom_helo()\n"
	    "endif\n", &d);
	const char *rcvd = "Received: from mail.yahoo.com (unknown "
	    "[203.0.113.5]) by mx.warden.test (Postfix) with ESMTP id A1\n";
	char *with, *without;

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert_uint_eq(rs->orig_hdrs.n, 5);
	without = xasprintf("%sSubject: s\n\nb\n", rcvd);
	with = xasprintf("%sX-Originating-IP: [198.51.100.7]\nSubject: s\n"
	    "\nb\n", rcvd);
	/* A dotcom HELO with no reverse name... */
	ck_assert(hits(rs, without, NULL, "NO_RDNS_DOTCOM_HELO"));
	/* ...is not the last untrusted hop once the originating address
	 * is one, as in SpamAssassin. */
	ck_assert(!hits(rs, with, NULL, "NO_RDNS_DOTCOM_HELO"));
	free(with);
	free(without);
	rules_free(rs);
	diag_free(&d);

	/* Bad settings: warnings in .cf input. */
	rs = load_cf("t.cf", "originating_ip_headers\n"
	    "clear_originating_ip_headers X-Foo\n", &d);
	ck_assert(rs != NULL);
	ck_assert_uint_eq(d.warnings.n, 2);
	ck_assert_uint_eq(rs->orig_hdrs.n, 0);
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* ---- The stock ruleset, when installed ---- */

START_TEST(test_stock_ruleset)
{
	struct diag d;
	struct config *c;
	struct ruleset *rs;
	glob_t g;

	if (glob("/usr/share/spamassassin/*.cf", 0, NULL, &g) != 0) {
		fprintf(stderr, "test_stock_ruleset: no SpamAssassin rules "
		    "installed; skipped\n");
		return;
	}
	globfree(&g);
	diag_init(&d);
	c = config_load_string("sa.conf", "rules = /usr/share/spamassassin/"
	    "*.cf\n", &d);
	ck_assert(c != NULL);
	rs = rules_load(c, &d);
	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert_uint_eq(d.errors.n, 0);
	ck_assert_uint_gt(rules_count(rs), 1500);
	ck_assert_uint_gt(rs->nreplaced, 50);
	ck_assert(!unit_list_has(&d.warnings, "unknown keyword"));
	/* The MIMEHeader blocks and the originating_ip_headers block load. */
	ck_assert_uint_gt(rs->nkind[RK_MIMEHEADER], 50);
	ck_assert(g_hash_table_lookup(rs->byname, "CTYPE_8SPACE_GIF") != NULL);
	ck_assert(g_hash_table_lookup(rs->byname, "__PART_STOCK_CID") != NULL);
	ck_assert_uint_ge(rs->orig_hdrs.n, 6);
	ck_assert(unit_list_has(&rs->orig_hdrs, "X-Originating-IP"));
	/* The regexes replace_tag makes too large for PCRE2 load too. */
	ck_assert(!unit_list_has(&d.warnings, "after replace_tag expansion"));
	ck_assert(g_hash_table_lookup(rs->byname, "__MY_MALWARE") != NULL);
	ck_assert(g_hash_table_lookup(rs->byname, "__FILL_THIS_FORM_LONG1") !=
	    NULL);
	rules_free(rs);
	config_free(c);
	diag_free(&d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rules_sa");
	TCase *tc = tcase_create("sa");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* The stock ruleset, with the plugin blocks Warden now loads,
	 * takes most of a minute to compile under the sanitizers on a
	 * busy machine: room to spare. */
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_cond, 0,
	    (int)(sizeof(conds) / sizeof(conds[0])));
	tcase_add_test(tc, test_cond_blocks);
	tcase_add_loop_test(tc, test_cond_errors, 0,
	    (int)(sizeof(cond_bad) / sizeof(cond_bad[0])));
	tcase_add_test(tc, test_cf_lenient);
	tcase_add_test(tc, test_cf_bytes);
	tcase_add_loop_test(tc, test_replace, 0,
	    (int)(sizeof(replaced) / sizeof(replaced[0])));
	tcase_add_test(tc, test_replace_delims);
	tcase_add_test(tc, test_big_shared);
	tcase_add_test(tc, test_big_split);
	tcase_add_test(tc, test_big_split_refused);
	tcase_add_test(tc, test_big_repeat);
	tcase_add_loop_test(tc, test_share, 0,
	    (int)(sizeof(shares) / sizeof(shares[0])));
	tcase_add_loop_test(tc, test_split_step, 0,
	    (int)(sizeof(split_steps) / sizeof(split_steps[0])));
	tcase_add_test(tc, test_pseudo_headers);
	tcase_add_test(tc, test_pseudo_all_parts);
	tcase_add_test(tc, test_pseudo_client);
	tcase_add_test(tc, test_uri_canon);
	tcase_add_loop_test(tc, test_mimeheader, 0,
	    (int)(sizeof(mh_rules) / sizeof(mh_rules[0])));
	tcase_add_test(tc, test_mimeheader_multiple);
	tcase_add_test(tc, test_mimeheader_parse);
	tcase_add_test(tc, test_originating_relayeval);
	tcase_add_test(tc, test_stock_ruleset);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
