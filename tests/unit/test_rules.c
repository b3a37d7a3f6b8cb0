/*
 * test_rules.c -- the rule language and engine: every parser error,
 * warnings and skipped constructs, meta evaluation, header modifiers,
 * tflags, default scores, stage rules and actions, PCRE2 limits, every
 * EOM kind, and the shipped ruleset against one message per rule
 * (tests/data/rules/NAME.eml).
 */
#include "autoconfig.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "mime.h"
#include "relays.h"
#include "rules_int.h"
#include "unit.h"
#include "unit_rules.h"

static struct config *cfg;

static void
setup(void)
{
	cfg = unit_rules_config("pcre2_match_limit = 5000\n");
}

static void
teardown(void)
{
	config_free(cfg);
	cfg = NULL;
}

static const char *
srcdir(void)
{
	const char *s = getenv("srcdir");

	return s ? s : ".";
}

/* Load text; returns the ruleset (NULL on errors) and keeps d. */
static struct ruleset *
load(const char *text, struct diag *d)
{
	diag_init(d);
	return rules_load_text(cfg, "t.rules", text, d);
}

static struct ruleset *
load_ok(const char *text)
{
	struct diag d;
	struct ruleset *rs = load(text, &d);

	ck_assert_msg(rs != NULL, "unexpected error: %s", d.errors.n ?
	    d.errors.v[0] : "?");
	diag_free(&d);
	return rs;
}

static void
dump_list(const struct strlist *l, struct buf *b)
{
	for (size_t i = 0; i < l->n; i++)
		buf_printf(b, "  %s\n", l->v[i]);
}

static void run_eom(const struct ruleset *, const char *, struct results *);

/* ---- Parser errors ---- */

static const struct {
	const char *text;
	const char *error;
} bad[] = {
	{ "bogus FOO /x/", "t.rules:1: unknown keyword 'bogus'" },
	{ "\n\nbody", "t.rules:3: body: no rule name" },
	{ "body FOO", "t.rules:1: body FOO: nothing to test" },
	{ "body FOO # just a comment", "body FOO: nothing to test" },
	{ "body FOO bar", "t.rules:1: FOO: expected a regex" },
	{ "body FOO /abc", "FOO: unterminated regex (no closing '/')" },
	{ "body FOO m{abc", "FOO: unterminated regex (no closing '}')" },
	{ "body FOO /a/q", "FOO: unknown regex flag 'q'" },
	{ "body FOO /a(/", "t.rules:1: FOO: bad regex: missing closing "
	    "parenthesis at offset 2" },
	{ "uri FOO /a/ trailing", "FOO: unexpected text after the regex: "
	    "'trailing'" },
	{ "body FOO /a/\n# c\nrawbody FOO /b/", "t.rules:3: FOO: duplicate "
	    "definition (first defined at t.rules:1)" },
	{ "meta FOO 1\nmeta FOO 2", "t.rules:2: FOO: duplicate definition" },
	{ "body F-O /a/", "bad rule name 'F-O'" },
	{ "header FOO Subject /x/", "FOO: expected =~ or !~ after the header "
	    "name" },
	{ "header FOO =~ /x/", "FOO: expected 'HeaderName =~ /regex/'" },
	{ "header FOO Subject:bogus =~ /x/", "FOO: unknown header modifier "
	    "':bogus'" },
	{ "header FOO From:addr:name =~ /x/", "FOO: :addr and :name exclude "
	    "each other" },
	{ "header FOO exists:", "FOO: expected exists:HeaderName" },
	{ "header FOO Subject =~ /x/ [if-unset: y", "FOO: unterminated "
	    "[if-unset: ...]" },
	{ "header FOO Subject =~ /x/ junk", "FOO: unexpected text after the "
	    "regex: 'junk'" },
	{ "connect FOO 10.0.0.0/33", "FOO: bad address block '10.0.0.0/33'" },
	{ "connect FOO # x", "connect FOO: nothing to test" },
	{ "body A /a/\nmeta FOO A &&", "t.rules:2: meta FOO: expected a rule "
	    "name or number at the end of the expression" },
	{ "body A /a/\nmeta FOO (A", "meta FOO: missing ')' at the end" },
	{ "body A /a/\nmeta FOO A B", "meta FOO: syntax error at 'B'" },
	{ "body A /a/\nmeta FOO A % 2", "meta FOO: syntax error at '% 2'" },
	{ "body A /a/\nmeta FOO A = 2", "meta FOO: syntax error at '= 2'" },
	{ "meta FOO NOPE && 1", "t.rules:1: meta FOO: unknown rule NOPE" },
	{ "meta A B\nmeta B A", "refers to itself" },
	{ "meta A A", "t.rules:1: meta A: refers to itself" },
	{ "meta FOO ((((((((((((((((((((((((((((((((((((((((((((((((((((((("
	    "((((((((((((((((1))))))))))))))))))))))))))))))))))))))))))))))))"
	    "))))))))))))))))))))))))", "expression nested too deeply" },
	{ "score FOO abc", "t.rules:1: score FOO: bad number 'abc'" },
	{ "score FOO", "score FOO: give one score, or four" },
	{ "body FOO /a/\ntflags FOO maxhits=0", "tflags FOO: bad maxhits '0'" },
	{ "body FOO /a/\naction FOO explode", "action FOO: unknown action "
	    "'explode'" },
	{ "body FOO /a/\naction FOO accept \"550 5.7.1 x\"", "action FOO: a "
	    "reply goes only with reject or tempfail" },
	{ "body FOO /a/\naction FOO reject \"450 4.7.1 x\"", "action FOO: bad "
	    "reply: the reply code must be 5xx" },
	{ "body FOO /a/\naction FOO tempfail \"550 5.7.1 x\"", "the reply "
	    "code must be 4xx" },
	{ "body FOO /a/\naction FOO reject \"550 5.7.1 x", "action FOO: "
	    "unterminated reply string" },
	{ "body FOO /a/\naction FOO reject \"550 4.7.1 x\"", "bad enhanced "
	    "status code" },
	{ "action NOPE reject", "t.rules:1: action for undefined rule NOPE" },
	{ "include", "t.rules:1: include: no file name" },
	{ "include /nonexistent/x.rules", "/nonexistent/x.rules: cannot open" },
	{ "endif", "t.rules:1: endif without if" },
	{ "else", "t.rules:1: else without if" },
	{ "body A /a/\nbody A /a/i", "t.rules:2: A: duplicate definition" },
	{ "body A /a/\nrawbody A /a/", "t.rules:2: A: duplicate definition" },
	{ "ifplugin Mail::X\nbody A /a/", "t.rules:2: if/ifplugin without "
	    "endif" },
	{ "body BAD /(/\nmeta M BAD", "BAD: bad regex" },
};

START_TEST(test_parse_errors)
{
	struct diag d;
	struct ruleset *rs = load(bad[_i].text, &d);
	struct buf b;

	buf_init(&b, 0);
	dump_list(&d.errors, &b);
	ck_assert_msg(rs == NULL, "no error for: %s", bad[_i].text);
	ck_assert_msg(unit_list_has(&d.errors, bad[_i].error),
	    "for %s\nwanted: %s\ngot:\n%s", bad[_i].text, bad[_i].error,
	    b.p ? b.p : "(nothing)");
	/* A failed definition does not cascade into more errors. */
	ck_assert_msg(d.errors.n == 1, "more than one error for %s:\n%s",
	    bad[_i].text, b.p);
	buf_free(&b);
	diag_free(&d);
}
END_TEST

START_TEST(test_parse_ok)
{
	struct ruleset *rs = load_ok(
	    "# comment\n"
	    "   \n"
	    "body     A  /a/i   # trailing comment\n"
	    "rawbody  B  m{b{1,2}}x\n"
	    "uri      C  m!^https?://!\n"
	    "full     D  m#^X-Foo:#m\n"
	    "filename E  m(\\.exe$)\n"
	    "mimetype F  m[^text/]\n"
	    "helo     G  /^\\[/\n"
	    "envfrom  H  /@bad\\.example$/i\n"
	    "envrcpt  I  /^trap@/\n"
	    "connect  J  10.0.0.0/8 192.0.2.1 2001:db8::/32\n"
	    "connect  K  /\\.dyn\\.example$/\n"
	    "header   L  Subject =~ /x/ [if-unset: none]\n"
	    "header   M  exists:X-Foo\n"
	    "meta     N  (A || B) && !C + 2 * D >= 1\n"
	    "score    A  2.5 2.6 2.7 2.8\n"
	    "describe A  The letter A\n"
	    "describe A  The letter A, later\n"
	    "score    A  3\n"
	    "tflags   B  multiple maxhits=3\n"
	    "action   H  reject \"550 5.7.1 Go away\"\n"
	    "action   I  tempfail\n"
	    "score    LATER  4\n"
	    "body     LATER  /later/\n");
	struct rule *r;

	ck_assert_uint_eq(rules_count(rs), 15);
	r = g_hash_table_lookup(rs->byname, "A");
	ck_assert(r != NULL);
	ck_assert(r->score == 3.0);
	ck_assert_str_eq(r->describe, "The letter A, later");
	r = g_hash_table_lookup(rs->byname, "B");
	ck_assert_uint_eq(r->maxhits, 3);
	ck_assert(r->tflags & TF_MULTIPLE);
	r = g_hash_table_lookup(rs->byname, "H");
	ck_assert_int_eq(r->action, ACT_REJECT);
	ck_assert_str_eq(r->reply.code, "550");
	ck_assert_str_eq(r->reply.xcode, "5.7.1");
	ck_assert_str_eq(r->reply.text, "Go away");
	r = g_hash_table_lookup(rs->byname, "J");
	ck_assert_uint_eq(r->cidrs.n, 3);
	r = g_hash_table_lookup(rs->byname, "L");
	ck_assert_str_eq(r->if_unset, "none");
	r = g_hash_table_lookup(rs->byname, "LATER");
	ck_assert(r->score == 4.0);
	rules_free(rs);
	rules_free(NULL);
}
END_TEST

/* SpamAssassin's score sets: one number is every set's; four give one
 * per set, and the ruleset's set picks; two or three are an error. */
START_TEST(test_score_sets)
{
	static const char text[] =
	    "body  ONE   /one/\n"
	    "score ONE   1.5\n"
	    "body  FOUR  /four/\n"
	    "score FOUR  0.1 0.2 0.3 0.4  # a comment\n";
	static const double want[4] = { 0.1, 0.2, 0.3, 0.4 };
	struct diag d;

	for (unsigned set = 0; set < 4; set++) {
		struct ruleset *rs = rules_new(cfg);
		struct rule *r;

		rs->scoreset = set;
		diag_init(&d);
		rules_parse_text(rs, "sets.rules", text, 0, &d);
		rules_finish(rs, &d);
		ck_assert_uint_eq(d.errors.n, 0);
		r = g_hash_table_lookup(rs->byname, "ONE");
		ck_assert(r != NULL && r->score == 1.5);
		r = g_hash_table_lookup(rs->byname, "FOUR");
		ck_assert(r != NULL && r->score == want[set]);
		diag_free(&d);
		rules_free(rs);
	}
	diag_init(&d);
	ck_assert_ptr_null(rules_load_text(cfg, "bad.rules",
	    "body TWO /two/\nscore TWO 1 2\n", &d));
	ck_assert(unit_list_has(&d.errors, "one per score set"));
	diag_free(&d);
}
END_TEST

START_TEST(test_warnings_and_skips)
{
	struct diag d;
	struct ruleset *rs = load(
	    "body A /a/\n"
	    "tflags A nice bogus publish\n"
	    "score A -1\n"
	    "body B /b/\n"
	    "score B -2\n"
	    "score NOPE 3\n"
	    "header EV1 eval:check_for_shifted_date('-96')\n"
	    "body EV2 eval:check_stock_info()\n"
	    "header NET rbleval:check_rbl('x', 'y.')\n"
	    "header FIRST Received:first =~ /x/\n"
	    "score EV1 2.0\n"
	    "describe EV2 skipped but described\n"
	    "lang de describe A Der Buchstabe A\n"
	    "loadplugin Mail::SpamAssassin::Plugin::Foo\n"
	    "ifplugin Mail::SpamAssassin::Plugin::Foo\n"
	    "  body IN_PLUGIN eval:foo()\n"
	    "  if (version >= 3.004)\n"
	    "    body NESTED /x/\n"
	    "  endif\n"
	    "else\n"
	    "endif\n"
	    "score LATER_IN_BLOCK 2\n"
	    "ifplugin Mail::SpamAssassin::Plugin::Bar\n"
	    "body LATER_IN_BLOCK /x/\n"
	    "endif\n"
	    "meta M EV1 || EV2 || NET || FIRST || A || IN_PLUGIN || NESTED ||"
	    " LATER_IN_BLOCK\n"
	    "bayes_ignore_header X-Foo\n"
	    "askdns ASKED _AUTHORDOMAIN_ A\n"
	    "meta M2 ASKED\n"
	    "header __HAS_FROM exists:From\n"
	    "header __HAS_FROM exists:From\n"
	    "meta M3 __HAS_FROM\n", &d);

	ck_assert_msg(rs != NULL, "error: %s", d.errors.n ? d.errors.v[0] :
	    "");
	ck_assert(unit_list_has(&d.warnings, "t.rules:2: tflags A: unknown flag "
	    "'bogus' ignored"));
	ck_assert(unit_list_has(&d.warnings, "tflags A: unknown flag 'publish'"));
	ck_assert(unit_list_has(&d.warnings, "t.rules:4: B: negative score "
	    "without tflags nice"));
	ck_assert(!unit_list_has(&d.warnings, "A: negative score"));
	ck_assert(unit_list_has(&d.warnings, "t.rules:6: NOPE: score, describe or "
	    "tflags for an undefined rule"));
	ck_assert(!unit_list_has(&d.warnings, "EV1"));
	ck_assert(!unit_list_has(&d.warnings, "EV2"));
	ck_assert_uint_eq(d.warnings.n, 4);
	ck_assert_uint_eq(rules_count(rs), 6);	/* A, B, M, M2, __HAS_FROM, M3 */
	rules_summary(rs, &d);
	ck_assert(unit_list_has(&d.notes, "rules: 6 loaded (header 1, body 2, "
	    "meta 3)"));
	ck_assert(unit_list_has(&d.notes, "rules: skipped 1 'bayes_ignore_header' "
	    "lines"));
	/* askdns without a resolver: a network test, skipped. */
	ck_assert(unit_list_has(&d.notes, "rules: skipped 1 network tests "
	    "(no dns_resolver)"));
	/* Two at top level, one inside a block that is not loaded. */
	ck_assert(unit_list_has(&d.notes, "rules: skipped 3 eval: rules"));
	ck_assert(unit_list_has(&d.notes, "rules: skipped 2 rules inside "
	    "if/ifplugin blocks"));
	ck_assert(unit_list_has(&d.notes, "rules: skipped 1 network tests"));
	ck_assert(unit_list_has(&d.notes, "rules: skipped 1 header modifiers"));
	ck_assert(unit_list_has(&d.notes, "rules: skipped 1 'lang' lines"));
	ck_assert(unit_list_has(&d.notes, "rules: skipped 1 'loadplugin' lines"));
	ck_assert(unit_list_has(&d.notes, "rules: skipped 2 if/ifplugin blocks"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

START_TEST(test_latin1_regex)
{
	/* A rule file in Latin-1: the regex matches bytes. */
	struct ruleset *rs = load_ok("full L1 /caf\xe9/\nbody U8 /café/i\n"
	    "body U8DOT /^caf.$/\n");
	struct results res;

	results_init(&res);
	run_eom(rs, "Subject: x\nContent-Type: text/plain; charset=utf-8\n\n"
	    "CAFÉ\n\nnot latin1 here\n", &res);
	ck_assert(!results_has_hit(&res, "L1"));
	ck_assert(results_has_hit(&res, "U8"));	/* caseless beyond ASCII */
	results_free(&res);
	results_init(&res);
	/* Declared UTF-8 with one stray Latin-1 byte: still one character. */
	run_eom(rs, "Subject: x\nContent-Type: text/plain; charset=utf-8\n\n"
	    "raw caf\xe9\n\ncafé\n", &res);
	ck_assert(results_has_hit(&res, "L1"));	/* raw bytes in full */
	ck_assert(results_has_hit(&res, "U8DOT"));	/* one character */
	results_free(&res);
	rules_free(rs);
}
END_TEST

START_TEST(test_include)
{
	char *dir = xasprintf("%s/tests/data/rules", srcdir());
	char *text = xasprintf("include %s/include_a.rules\n", dir);
	struct diag d;
	struct ruleset *rs = load(text, &d);

	ck_assert_msg(rs != NULL, "error: %s", d.errors.n ? d.errors.v[0] :
	    "");
	/* include_a.rules includes include_b.rules relative to itself. */
	ck_assert(g_hash_table_lookup(rs->byname, "INC_A") != NULL);
	ck_assert(g_hash_table_lookup(rs->byname, "INC_B") != NULL);
	rules_free(rs);
	diag_free(&d);
	free(text);

	/* An include loop is reported, not followed for ever. */
	text = xasprintf("include %s/include_loop.rules\n", dir);
	rs = load(text, &d);
	ck_assert(rs == NULL);
	ck_assert(unit_list_has(&d.errors, "nested too deeply"));
	diag_free(&d);
	free(text);

	/* Errors in an included file carry its own name and line. */
	text = xasprintf("include %s/include_bad.rules\n", dir);
	rs = load(text, &d);
	ck_assert(rs == NULL);
	ck_assert(unit_list_has(&d.errors, "include_bad.rules:3: BAD_REGEX: bad "
	    "regex"));
	diag_free(&d);
	free(text);
	free(dir);
}
END_TEST

START_TEST(test_load_files)
{
	struct diag d;
	struct config *c;
	struct ruleset *rs;
	char *text = xasprintf("rules = %s/tests/data/rules/include_*.rules "
	    "%s/tests/data/rules/nomatch*.rules\n", srcdir(), srcdir());

	diag_init(&d);
	c = config_load_string("t.conf", text, &d);
	ck_assert(c != NULL);
	/* include_bad and include_loop are among them: errors. */
	rs = rules_load(c, &d);
	ck_assert(rs == NULL);
	ck_assert(unit_list_has(&d.warnings, "no rule files match"));
	config_free(c);
	diag_free(&d);
	free(text);

	/* No rules at all: an empty ruleset. */
	diag_init(&d);
	c = config_load_string("t.conf", "", &d);
	rs = rules_load(c, &d);
	ck_assert(rs != NULL);
	ck_assert_uint_eq(rules_count(rs), 0);
	rules_free(rs);
	config_free(c);
	diag_free(&d);
}
END_TEST

/* ---- Running ---- */

static void
run_eom(const struct ruleset *rs, const char *msg, struct results *res)
{
	struct rules_input in;

	memset(&in, 0, sizeof(in));
	in.stage = STAGE_EOM;
	in.cfg = cfg;
	in.msg = msg;
	in.msglen = strlen(msg);
	ck_assert_int_eq(rules_run(rs, &in, res), 0);
}

static const struct hit *
find_hit(const struct results *res, const char *name)
{
	for (size_t i = 0; i < res->nhits; i++)
		if (strcmp(res->hits[i].name, name) == 0)
			return &res->hits[i];
	return NULL;
}

static const struct {
	const char *expr;
	unsigned a, b, c;
	bool hit;
} metas[] = {
	{ "A || B && C", 1, 0, 0, true },
	{ "A || B && C", 0, 1, 0, false },
	{ "A || B && C", 0, 1, 1, true },
	{ "(A || B) && C", 1, 0, 0, false },
	{ "!A && B", 0, 1, 0, true },
	{ "!A && B", 1, 1, 0, false },
	{ "! (A || B)", 0, 0, 0, true },
	{ "A + B + C >= 2", 1, 0, 1, true },
	{ "(A + B + C) / 3 > 0.5", 1, 0, 1, true },	/* SpamAssassin's / */
	{ "(A + B + C) / 3 > 0.5", 1, 0, 0, false },
	{ "A / (B - B) == 0", 1, 0, 0, true },	/* no division by 0 */
	{ "A + B + C >= 2", 1, 0, 0, false },
	{ "A+B+C>2", 1, 1, 1, true },
	{ "C * 2 - 1 > 2", 0, 0, 2, true },
	{ "C * 2 - 1 > 2", 0, 0, 1, false },
	{ "C == 3", 0, 0, 3, true },
	{ "C != 3", 0, 0, 3, false },
	{ "C <= 1", 0, 0, 1, true },
	{ "C < 1", 0, 0, 1, false },
	{ "A - B < 0", 0, 1, 0, true },
	{ "-A + 1", 1, 0, 0, false },
	{ "-A + 1", 0, 0, 0, true },
	{ "1 + 2 * 3 == 7", 0, 0, 0, true },
	{ "(1 + 2) * 3 == 9", 0, 0, 0, true },
	{ "10 - 2 - 3 == 5", 0, 0, 0, true },
	{ "!!C", 0, 0, 2, true },
	{ "A <= B", 0, 0, 0, true },
	{ "0", 1, 1, 1, false },
	{ "C", 0, 0, 5, true },
	{ "SKIPPED || A", 0, 0, 0, false },
	{ "!SKIPPED && !A", 0, 0, 0, true },
	{ "SUB && B", 0, 1, 0, false },
	{ "SUB && B", 1, 1, 0, true },
	{ "__SUBMETA", 0, 0, 3, true },
};

START_TEST(test_meta_eval)
{
	char *text = xasprintf(
	    "body A /\\bwordA\\b/\n"
	    "body B /\\bwordB\\b/\n"
	    "body C /\\bwordC\\b/\n"
	    "tflags C multiple\n"
	    "header SKIPPED eval:check_nothing()\n"
	    "meta SUB A\n"
	    "meta __SUBMETA C > 2\n"
	    "meta M %s\n", metas[_i].expr);
	struct ruleset *rs = load_ok(text);
	struct results res;

	results_init(&res);
	/* Hits from earlier stages count as much as EOM ones. */
	for (unsigned i = 0; i < metas[_i].a; i++)
		results_add_hit(&res, "A", "body", NULL, 1, NULL, 0);
	for (unsigned i = 0; i < metas[_i].b; i++)
		results_add_hit(&res, "B", "body", NULL, 1, NULL, 0);
	for (unsigned i = 0; i < metas[_i].c; i++)
		results_add_hit(&res, "C", "body", NULL, 0, NULL, 0);
	run_eom(rs, "Subject: nothing\n\nnothing here\n", &res);
	ck_assert_msg(results_has_hit(&res, "M") == metas[_i].hit,
	    "meta %s with A=%u B=%u C=%u", metas[_i].expr, metas[_i].a,
	    metas[_i].b, metas[_i].c);
	results_free(&res);
	rules_free(rs);
	free(text);
}
END_TEST

START_TEST(test_meta_from_message)
{
	struct ruleset *rs = load_ok(
	    "body __A /apple/\n"
	    "body __B /banana/\n"
	    "tflags __B multiple\n"
	    "meta __AB __A && __B\n"
	    "meta FRUIT __AB && __B >= 2\n"
	    "score FRUIT 2.5\n"
	    "describe FRUIT Fruity\n"
	    "meta NOFRUIT !__A\n"
	    "score NOFRUIT 0\n");
	struct results res;
	const struct hit *h;

	results_init(&res);
	run_eom(rs, "Subject: apple\n\nbanana banana\n", &res);
	h = find_hit(&res, "FRUIT");
	ck_assert(h != NULL);
	ck_assert(h->score == 2.5);
	ck_assert_str_eq(h->kind, "meta");
	ck_assert_str_eq(h->describe, "Fruity");
	ck_assert(find_hit(&res, "__B")->count == 2);
	ck_assert(find_hit(&res, "__B")->score == 0);
	ck_assert(res.score == 2.5);
	ck_assert(!results_has_hit(&res, "NOFRUIT"));
	results_free(&res);

	/* A score of 0 turns a meta off. */
	results_init(&res);
	run_eom(rs, "Subject: x\n\nnothing\n", &res);
	ck_assert(!results_has_hit(&res, "NOFRUIT"));
	ck_assert(res.score == 0);
	results_free(&res);
	rules_free(rs);
}
END_TEST

static const char hdr_msg[] =
    "From: \"Alice Example\" <alice@example.org>\n"
    "To: bob@example.net\n"
    "Cc: Carol <carol@example.com>\n"
    "Subject: =?UTF-8?B?Q2Fmw6k=?= special\n"
    " folded\n"
    "X-Multi: one\n"
    "x-multi: two\n"
    "Reply-To: =?ISO-8859-1?Q?Ren=E9?= <rene@example.net>\n"
    "\n"
    "body\n";

static const struct {
	const char *rule;
	bool hit;
	const char *matched;
} hdr_cases[] = {
	{ "Subject =~ /^Café special folded$/", true, "Café special folded" },
	{ "Subject:raw =~ /^=\\?UTF-8\\?B\\?/", true, "=?UTF-8?B?" },
	{ "Subject:raw =~ /special\\n folded$/", true, NULL },
	{ "Subject =~ /\\n/", false, NULL },
	{ "From:addr =~ /^alice@example\\.org$/", true, "alice@example.org" },
	{ "From:name =~ /^Alice Example$/", true, "Alice Example" },
	{ "From:addr =~ /Alice/", false, NULL },
	{ "Reply-To:name =~ /^René$/", true, NULL },
	{ "Reply-To:name:raw =~ /^René$/", true, NULL },
	{ "Reply-To =~ /^René <rene@example\\.net>$/", true, NULL },
	{ "Reply-To:raw =~ /^=\\?ISO/", true, NULL },
	{ "ALL =~ /^x-multi: two$/m", true, "x-multi: two" },
	{ "ALL =~ /^Subject: Café/m", true, NULL },
	{ "ALL:raw =~ /^Subject: =\\?UTF-8/m", true, NULL },
	{ "ToCc =~ /^bob@example\\.net, Carol <carol@example\\.com>$/", true,
	    NULL },
	{ "ToCc:addr =~ /^bob@example\\.net, carol@example\\.com$/", true,
	    NULL },
	{ "X-Multi =~ /^one\\ntwo$/", true, NULL },
	{ "x-MULTI =~ /one/", true, NULL },
	{ "Subject !~ /viagra/", true, NULL },
	{ "Subject !~ /Café/", false, NULL },
	{ "X-Nope !~ /x/", true, NULL },
	{ "X-Nope =~ /^$/", true, NULL },
	{ "X-Nope =~ /^fallback$/ [if-unset: fallback]", true, "fallback" },
	{ "Subject =~ /^fallback$/ [if-unset: fallback]", false, NULL },
	{ "exists:X-Multi", true, "X-Multi" },
	{ "exists:x-nope", false, NULL },
};

START_TEST(test_header_modifiers)
{
	char *text = xasprintf("header H %s\n", hdr_cases[_i].rule);
	struct ruleset *rs = load_ok(text);
	struct results res;
	const struct hit *h;

	results_init(&res);
	run_eom(rs, hdr_msg, &res);
	h = find_hit(&res, "H");
	ck_assert_msg((h != NULL) == hdr_cases[_i].hit, "header %s",
	    hdr_cases[_i].rule);
	if (h != NULL && hdr_cases[_i].matched != NULL)
		ck_assert_str_eq(h->matched, hdr_cases[_i].matched);
	if (h != NULL)
		ck_assert_str_eq(h->kind, "header");
	results_free(&res);

	/* The same from parsed headers, as the milter hands them over. */
	{
		struct header hv[] = {
			{ "From", "\"Alice Example\" <alice@example.org>" },
			{ "To", "bob@example.net" },
			{ "Cc", "Carol <carol@example.com>" },
			{ "Subject", "=?UTF-8?B?Q2Fmw6k=?= special\r\n folded" },
			{ "X-Multi", " one" },
			{ "x-multi", "two" },
			{ "Reply-To", "=?ISO-8859-1?Q?Ren=E9?= "
			    "<rene@example.net>" },
		};
		struct rules_input in;

		memset(&in, 0, sizeof(in));
		in.stage = STAGE_EOM;
		in.hdrs = hv;
		in.nhdrs = ARRAY_LEN(hv);
		in.msg = "";
		results_init(&res);
		ck_assert_int_eq(rules_run(rs, &in, &res), 0);
		/* Only the :raw fold differs: CRLF against LF. */
		if (strstr(hdr_cases[_i].rule, "\\n folded") == NULL)
			ck_assert_msg(results_has_hit(&res, "H") ==
			    hdr_cases[_i].hit, "parsed: header %s",
			    hdr_cases[_i].rule);
		results_free(&res);
	}
	rules_free(rs);
	free(text);
}
END_TEST

START_TEST(test_tflags)
{
	struct ruleset *rs = load_ok(
	    "body MULTI /foo/\n"
	    "tflags MULTI multiple\n"
	    "score MULTI 2\n"
	    "body MAX /foo/\n"
	    "tflags MAX maxhits=2\n"
	    "body ONCE /foo/\n"
	    "body NOSUBJ /subjword/\n"
	    "tflags NOSUBJ nosubject\n"
	    "body SUBJ /subjword/\n"
	    "body NICE /foo/\n"
	    "tflags NICE nice\n"
	    "score NICE -1.5\n"
	    "body __SUB /foo/\n"
	    "score __SUB 5\n"
	    "body T_TEST /foo/\n"
	    "body OFF /foo/\n"
	    "score OFF 0\n"
	    "uri MURI /example/\n"
	    "tflags MURI multiple\n"
	    "header MHDR Received =~ /relay/\n"
	    "tflags MHDR multiple\n"
	    "full MFULL /foo/\n"
	    "tflags MFULL multiple maxhits=4\n");
	struct results res;

	results_init(&res);
	run_eom(rs, "Received: from relay1\nReceived: from relay2\n"
	    "Subject: subjword\n\nfoo foo\n\nfoo http://a.example/ "
	    "http://b.example/\n", &res);
	ck_assert_uint_eq(find_hit(&res, "MULTI")->count, 3);
	ck_assert(find_hit(&res, "MULTI")->score == 2);	/* once */
	ck_assert_uint_eq(find_hit(&res, "MAX")->count, 2);
	ck_assert_uint_eq(find_hit(&res, "ONCE")->count, 1);
	ck_assert(!results_has_hit(&res, "NOSUBJ"));
	ck_assert(results_has_hit(&res, "SUBJ"));
	ck_assert(find_hit(&res, "NICE")->score == -1.5);
	ck_assert(find_hit(&res, "__SUB")->score == 0);
	ck_assert(find_hit(&res, "T_TEST")->score == 0.01);
	ck_assert(find_hit(&res, "ONCE")->score == 1.0);
	ck_assert(!results_has_hit(&res, "OFF"));
	ck_assert_uint_eq(find_hit(&res, "MURI")->count, 2);
	ck_assert_uint_eq(find_hit(&res, "MHDR")->count, 2);
	ck_assert_uint_eq(find_hit(&res, "MFULL")->count, 3);
	results_free(&res);
	rules_free(rs);
}
END_TEST

START_TEST(test_stages)
{
	struct ruleset *rs = load_ok(
	    "connect NET 10.0.0.0/8 2001:db8::/32\n"
	    "connect PTR /\\.dyn\\.example$/\n"
	    "helo OWN /^%{hostname}$/i\n"
	    "helo LIT /^\\[?\\d+\\.\\d+\\.\\d+\\.\\d+\\]?$/\n"
	    "envfrom BADFROM /@bad\\.example$/i\n"
	    "action BADFROM tempfail\n"
	    "envrcpt TRAP /^trap@/\n"
	    "action TRAP reject \"550 5.1.1 No such user here\"\n"
	    "body LATE /x/\n");
	struct rules_input in;
	struct results res;

	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.client_addr = "10.1.2.3";
	in.client_name = "host-1.dyn.example";
	results_init(&res);
	in.stage = STAGE_CONNECT;
	ck_assert_int_eq(rules_run(rs, &in, &res), 0);
	ck_assert(results_has_hit(&res, "NET"));
	ck_assert_str_eq(find_hit(&res, "NET")->matched, "10.1.2.3");
	ck_assert(results_has_hit(&res, "PTR"));
	ck_assert_str_eq(find_hit(&res, "PTR")->kind, "connect");
	ck_assert(!results_has_hit(&res, "OWN"));

	in.stage = STAGE_HELO;
	in.helo = "MX.warden.test";
	rules_run(rs, &in, &res);
	ck_assert(results_has_hit(&res, "OWN"));
	ck_assert(!results_has_hit(&res, "LIT"));
	ck_assert_int_eq(res.decided.action, ACT_NONE);

	in.stage = STAGE_ENVFROM;
	in.envfrom = "";		/* the null sender */
	rules_run(rs, &in, &res);
	ck_assert(!results_has_hit(&res, "BADFROM"));
	in.envfrom = "x@BAD.example";
	rules_run(rs, &in, &res);
	ck_assert(results_has_hit(&res, "BADFROM"));
	ck_assert_int_eq(res.decided.action, ACT_TEMPFAIL);
	ck_assert_str_eq(res.decided.reply.code, "");
	ck_assert_str_eq(res.decided.source, "BADFROM");
	results_free(&res);

	/* RCPT: one recipient's scratch results. */
	results_init(&res);
	in.stage = STAGE_ENVRCPT;
	in.rcpt = "user@example.org";
	rules_run(rs, &in, &res);
	ck_assert_int_eq(res.decided.action, ACT_NONE);
	in.rcpt = "trap@example.org";
	rules_run(rs, &in, &res);
	ck_assert_int_eq(res.decided.action, ACT_REJECT);
	ck_assert_str_eq(res.decided.reply.code, "550");
	ck_assert_str_eq(res.decided.reply.xcode, "5.1.1");
	ck_assert_str_eq(res.decided.reply.text, "No such user here");
	ck_assert(!results_has_hit(&res, "LATE"));
	results_free(&res);

	/* IPv6 and unknown clients; a stage with no input is a no-op. */
	results_init(&res);
	memset(&in, 0, sizeof(in));
	in.stage = STAGE_CONNECT;
	in.client_addr = "2001:db8::1";
	in.client_name = "unknown";
	rules_run(rs, &in, &res);
	ck_assert(results_has_hit(&res, "NET"));
	in.client_addr = "";
	in.stage = STAGE_HELO;		/* helo NULL */
	rules_run(rs, &in, &res);
	ck_assert_uint_eq(res.nhits, 1);
	results_free(&res);
	rules_free(rs);
}
END_TEST

/*
 * A client with no verified PTR name, as each MTA passes it: Postfix
 * "unknown"; Sendmail the bracketed address, and {client_resolve}.
 * Connect rules on the name and the relay chain (rdns=, read by
 * SpamAssassin's RDNS_NONE) see the same "unknown" whatever the MTA.
 * Sendmail's local submission ({client_addr} "0") is the local host.
 */
START_TEST(test_client_forms)
{
	struct ruleset *rs = load_ok(
	    "connect NOPTR /^unknown$/\n"
	    "connect DYN /\\.dyn\\.example$/\n");
	static const struct {
		const char *name, *addr, *resolve, *want_name, *want_addr;
	} cases[] = {
		{ "unknown", "192.0.2.7", NULL, "unknown", "192.0.2.7" },
		{ "[192.0.2.7]", "192.0.2.7", NULL, "unknown", "192.0.2.7" },
		{ "[192.0.2.7]", "192.0.2.7", "FAIL", "unknown", "192.0.2.7" },
		{ "[IPv6:2001:db8::7]", "2001:db8::7", "FAIL", "unknown",
		  "2001:db8::7" },
		{ "h.dyn.example", "192.0.2.7", "FORGED", "unknown",
		  "192.0.2.7" },
		{ "h.dyn.example", "192.0.2.7", "TEMP", "unknown", "192.0.2.7" },
		{ "h.dyn.example", "192.0.2.7", "OK", "h.dyn.example",
		  "192.0.2.7" },
		{ "h.dyn.example", "192.0.2.7", NULL, "h.dyn.example",
		  "192.0.2.7" },
		{ "", "192.0.2.7", NULL, "unknown", "192.0.2.7" },
		{ "localhost", "0", NULL, "localhost", "127.0.0.1" },
		{ "localhost", "127.0.0.1", NULL, "localhost", "127.0.0.1" },
	};
	static const char *rcvd[] = { NULL };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn *c = conn_new(NULL);
		struct rules_input in;
		struct results res;
		struct relays rl;
		bool noptr = strcmp(cases[i].want_name, "unknown") == 0;

		conn_set_client(c, cases[i].name, cases[i].addr,
		    cases[i].resolve);
		ck_assert_msg(strcmp(c->client_name, cases[i].want_name) == 0,
		    "case %zu: name %s", i, c->client_name);
		ck_assert_msg(strcmp(c->client_addr, cases[i].want_addr) == 0,
		    "case %zu: addr %s", i, c->client_addr);
		memset(&in, 0, sizeof(in));
		in.cfg = cfg;
		in.stage = STAGE_CONNECT;
		in.client_addr = c->client_addr;
		in.client_name = c->client_name;
		results_init(&res);
		rules_run(rs, &in, &res);
		ck_assert_msg(results_has_hit(&res, "NOPTR") == noptr,
		    "case %zu", i);
		ck_assert_msg(!results_has_hit(&res, "DYN") ||
		    strcmp(cases[i].want_name, "h.dyn.example") == 0,
		    "case %zu", i);
		results_free(&res);
		relays_build(&rl, rcvd, 0, c->client_addr, c->client_name,
		    "helo.example", NULL, NULL);
		if (strcmp(c->client_addr, "127.0.0.1") != 0) {
			ck_assert_uint_eq(rl.n, 1);
			ck_assert_msg(strcmp(rl.v[0].rdns, noptr ? "" :
			    cases[i].want_name) == 0, "case %zu: rdns=%s", i,
			    rl.v[0].rdns);
		} else
			ck_assert_uint_eq(rl.n, 0);	/* local: no hop */
		relays_free(&rl);
		conn_free(c);
	}
	rules_free(rs);
}
END_TEST

START_TEST(test_connect_words)
{
	struct diag d;
	struct config *c;
	struct ruleset *rs;
	struct rules_input in;
	static const struct {
		const char *addr;
		bool local, trusted, internal;
	} cases[] = {
		{ "", true, false, false },
		{ "127.0.0.1", true, false, false },
		{ "127.9.9.9", true, false, false },
		{ "::1", true, false, false },
		{ "::ffff:127.0.0.1", true, false, false },
		{ "192.0.2.9", false, true, false },
		{ "198.51.100.1", false, false, true },
		{ "203.0.113.5", false, false, false },
		{ "2001:db8::5", false, false, false },
	};

	diag_init(&d);
	c = config_load_string("t.conf", "trusted_networks = 192.0.2.0/24\n"
	    "internal_relays = 198.51.100.0/24\n", &d);
	ck_assert(c != NULL);
	rs = rules_load_text(c, "t.rules",
	    "connect LOCAL local\n"
	    "connect TRUSTED trusted\n"
	    "connect INTERNAL internal\n"
	    "connect MIXED local 203.0.113.0/24\n", &d);
	ck_assert(rs != NULL);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct results res;

		memset(&in, 0, sizeof(in));
		in.stage = STAGE_CONNECT;
		in.cfg = c;
		in.client_addr = cases[i].addr;
		in.client_name = "unknown";
		results_init(&res);
		rules_run(rs, &in, &res);
		ck_assert_msg(results_has_hit(&res, "LOCAL") == cases[i].local,
		    "local %s", cases[i].addr);
		ck_assert_msg(results_has_hit(&res, "TRUSTED") ==
		    cases[i].trusted, "trusted %s", cases[i].addr);
		ck_assert_msg(results_has_hit(&res, "INTERNAL") ==
		    cases[i].internal, "internal %s", cases[i].addr);
		ck_assert(results_has_hit(&res, "MIXED") == (cases[i].local ||
		    strcmp(cases[i].addr, "203.0.113.5") == 0));
		results_free(&res);
	}
	rules_free(rs);
	config_free(c);
	diag_free(&d);
}
END_TEST

START_TEST(test_eom_kinds)
{
	struct ruleset *rs = load_ok(
	    "full FULL /^X-Mailer: BadMailer/m\n"
	    "rawbody RAW /<b>bold/\n"
	    "body BODYHTML /^Hello bold world\\.$/\n"
	    "body BODYRAW /<b>/\n"
	    "uri URI /^https:\\/\\/evil\\.example\\//\n"
	    "uri WWW /^http:\\/\\/www\\.plain\\.example/\n"
	    "filename FN /\\.exe$/i\n"
	    "action FN reject \"550 5.7.1 No programs\"\n"
	    "mimetype MT /^application\\/x-msdownload$/\n"
	    "mimetype MTHTML /^text\\/html$/\n"
	    "meta BOTH FN && MT\n");
	struct results res;
	const char *msg =
	    "From: a@example.org\n"
	    "X-Mailer: BadMailer 1.0\n"
	    "Subject: Hello\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=zz\n"
	    "\n"
	    "--zz\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "<p>Hello <b>bold</b> world.</p><a href=\"https://evil.example/x\">"
	    "x</a> www.plain.example\n"
	    "--zz\n"
	    "Content-Type: application/x-msdownload; name=\"SETUP.EXE\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "TVo=\n"
	    "--zz--\n";

	results_init(&res);
	run_eom(rs, msg, &res);
	ck_assert(results_has_hit(&res, "FULL"));
	ck_assert_str_eq(find_hit(&res, "FULL")->matched, "X-Mailer: BadMailer");
	ck_assert(results_has_hit(&res, "RAW"));
	ck_assert(results_has_hit(&res, "BODYHTML"));
	ck_assert(!results_has_hit(&res, "BODYRAW"));
	ck_assert(results_has_hit(&res, "URI"));
	ck_assert(results_has_hit(&res, "WWW"));
	ck_assert(results_has_hit(&res, "FN"));
	ck_assert_str_eq(find_hit(&res, "FN")->matched, ".EXE");
	ck_assert(results_has_hit(&res, "MT"));
	ck_assert(results_has_hit(&res, "MTHTML"));
	ck_assert(results_has_hit(&res, "BOTH"));
	ck_assert_int_eq(res.decided.action, ACT_REJECT);
	ck_assert_str_eq(res.decided.reply.text, "No programs");
	results_free(&res);
	rules_free(rs);
}
END_TEST

START_TEST(test_match_limit)
{
	struct ruleset *rs = load_ok(
	    "body SLOW /^(a+)+$/\n"
	    "body FAST /aaaa/\n");
	struct results res;
	struct buf m;

	buf_init(&m, 0);
	buf_puts(&m, "Subject: x\n\n");
	for (int i = 0; i < 40; i++)
		buf_putc(&m, 'a');
	buf_puts(&m, "b\n");
	results_init(&res);
	run_eom(rs, m.p, &res);		/* returns quickly: limit 5000 */
	ck_assert(!results_has_hit(&res, "SLOW"));
	ck_assert(results_has_hit(&res, "FAST"));
	ck_assert(!res.internal_error);
	results_free(&res);
	buf_free(&m);
	rules_free(rs);
}
END_TEST

START_TEST(test_empty_and_null)
{
	struct ruleset *rs = load_ok("body A /a/\nheader H Subject =~ /a/\n");
	struct results res;
	struct rules_input in;

	results_init(&res);
	memset(&in, 0, sizeof(in));
	in.stage = STAGE_EOM;
	ck_assert_int_eq(rules_run(rs, &in, &res), 0);	/* no message */
	ck_assert_int_eq(rules_run(NULL, &in, &res), 0);
	ck_assert_uint_eq(res.nhits, 0);
	results_free(&res);
	rules_free(rs);
}
END_TEST

/* ---- The shipped ruleset ---- */

static struct ruleset *
load_shipped(struct diag *d)
{
	char *text = xasprintf("hostname = mx.warden.test\nrules = "
	    "%s/rules/*.rules\n", srcdir());
	struct config *c;
	struct ruleset *rs;

	diag_init(d);
	c = config_load_string("t.conf", text, d);
	ck_assert(c != NULL);
	rs = rules_load(c, d);
	config_free(c);
	free(text);
	return rs;
}

START_TEST(test_shipped_lint)
{
	struct diag d;
	struct ruleset *rs = load_shipped(&d);
	struct buf b;

	buf_init(&b, 0);
	dump_list(&d.errors, &b);
	dump_list(&d.warnings, &b);
	ck_assert_msg(rs != NULL && d.errors.n == 0 && d.warnings.n == 0,
	    "shipped rules not clean:\n%s", b.p ? b.p : "");
	ck_assert_uint_ge(rules_count(rs), 20);
	/* Every rule that is scored says what it is about. */
	for (size_t i = 0; i < rs->n; i++)
		if (strncmp(rs->rules[i]->name, "__", 2) != 0)
			ck_assert_msg(rs->rules[i]->describe != NULL,
			    "%s has no describe", rs->rules[i]->name);
	buf_free(&b);
	rules_free(rs);
	diag_free(&d);
}
END_TEST

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[4096];
	size_t n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	buf_init(&b, 0);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	if (b.p == NULL)
		buf_puts(&b, "");
	return buf_steal(&b);
}

/* The value of a test control header "X-Warden-Test-NAME:", or NULL. */
static char *
control(const char *msg, const char *name)
{
	char *key = xasprintf("\nX-Warden-Test-%s:", name);
	const char *p, *e;
	char *v;

	if (strncmp(msg, key + 1, strlen(key + 1)) == 0)
		p = msg + strlen(key + 1);
	else if ((p = strstr(msg, key)) != NULL)
		p += strlen(key);
	else {
		free(key);
		return NULL;
	}
	e = strchr(p, '\n');
	while (*p == ' ' || *p == '\t')
		p++;
	v = e ? xstrndup(p, (size_t)(e - p)) : xstrdup(p);
	free(key);
	for (size_t n = strlen(v); n > 0 && (v[n - 1] == '\r' ||
	    v[n - 1] == ' '); n--)
		v[n - 1] = '\0';
	return v;
}

/*
 * Every .eml in tests/data/rules names the shipped rule it must hit (its
 * file name; ham*.eml must hit nothing scored).  Control headers give the
 * SMTP stages: X-Warden-Test-Client (address), X-Warden-Test-Helo, and
 * X-Warden-Test-Not (rules that must not hit).
 */
START_TEST(test_shipped_messages)
{
	struct diag d;
	struct ruleset *rs = load_shipped(&d);
	char *dir = xasprintf("%s/tests/data/rules", srcdir());
	DIR *dp = opendir(dir);
	struct dirent *de;
	struct strlist tested = { 0 };

	ck_assert(rs != NULL);
	ck_assert(dp != NULL);
	while ((de = readdir(dp)) != NULL) {
		size_t n = strlen(de->d_name);
		char *path, *msg, *name, *client, *helo, *not;
		struct rules_input in;
		struct results res;
		struct buf tests;

		if (n < 5 || strcmp(de->d_name + n - 4, ".eml") != 0)
			continue;
		name = xstrndup(de->d_name, n - 4);
		path = xasprintf("%s/%s", dir, de->d_name);
		msg = slurp(path);
		client = control(msg, "Client");
		helo = control(msg, "Helo");
		not = control(msg, "Not");

		memset(&in, 0, sizeof(in));
		in.cfg = cfg;
		in.client_addr = client ? client : "192.0.2.10";
		in.client_name = "unknown";
		in.helo = helo;
		in.envfrom = "sender@example.org";
		in.rcpt = "rcpt@example.net";
		in.msg = msg;
		in.msglen = strlen(msg);
		results_init(&res);
		for (int st = STAGE_CONNECT; st <= STAGE_EOM; st++) {
			in.stage = (enum stage)st;
			ck_assert_int_eq(rules_run(rs, &in, &res), 0);
		}
		buf_init(&tests, 0);
		results_tests(&res, &tests, ",");
		if (strncmp(name, "ham", 3) == 0)
			ck_assert_msg(strcmp(tests.p, "none") == 0,
			    "%s hit %s", de->d_name, tests.p);
		else {
			ck_assert_msg(results_has_hit(&res, name),
			    "%s did not hit %s (hits: %s)", de->d_name, name,
			    tests.p);
			strlist_add(&tested, name);
		}
		for (char *t = not ? strtok(not, " ,") : NULL; t != NULL;
		    t = strtok(NULL, " ,"))
			ck_assert_msg(!results_has_hit(&res, t), "%s hit %s",
			    de->d_name, t);
		buf_free(&tests);
		results_free(&res);
		free(client);
		free(helo);
		free(not);
		free(msg);
		free(path);
		free(name);
	}
	closedir(dp);
	/* Every scored shipped rule has its message. */
	for (size_t i = 0; i < rs->n; i++)
		if (strncmp(rs->rules[i]->name, "__", 2) != 0)
			ck_assert_msg(strlist_contains(&tested,
			    rs->rules[i]->name), "no test message for %s",
			    rs->rules[i]->name);
	strlist_free(&tested);
	free(dir);
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* The message's deadline stops the end-of-message rules: already past,
 * no rule runs and the result says timed out; none, every rule runs. */
START_TEST(test_deadline)
{
	struct ruleset *rs = load_ok(
	    "body DL_A /hello/\n"
	    "header DL_B Subject =~ /hi/\n");
	static const char msg[] = "Subject: hi\r\n\r\nhello\r\n";
	struct rules_input in;
	struct results res;

	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.stage = STAGE_EOM;
	in.client_addr = "192.0.2.1";
	in.client_name = "unknown";
	in.msg = msg;
	in.msglen = sizeof(msg) - 1;
	in.deadline_ms = now_ms() - 1;
	results_init(&res);
	ck_assert_int_eq(rules_run(rs, &in, &res), 0);
	ck_assert(res.timed_out);
	ck_assert(!results_has_hit(&res, "DL_A"));
	ck_assert(!results_has_hit(&res, "DL_B"));
	results_free(&res);

	in.deadline_ms = 0;
	results_init(&res);
	ck_assert_int_eq(rules_run(rs, &in, &res), 0);
	ck_assert(!res.timed_out);
	ck_assert(results_has_hit(&res, "DL_A"));
	ck_assert(results_has_hit(&res, "DL_B"));
	results_free(&res);
	rules_free(rs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rules");
	TCase *tc;
	SRunner *sr;
	int failed;

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_parse_errors, 0, (int)ARRAY_LEN(bad));
	tcase_add_test(tc, test_parse_ok);
	tcase_add_test(tc, test_warnings_and_skips);
	tcase_add_test(tc, test_include);
	tcase_add_test(tc, test_latin1_regex);
	tcase_add_test(tc, test_load_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("run");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_meta_eval, 0, (int)ARRAY_LEN(metas));
	tcase_add_test(tc, test_meta_from_message);
	tcase_add_loop_test(tc, test_header_modifiers, 0,
	    (int)ARRAY_LEN(hdr_cases));
	tcase_add_test(tc, test_tflags);
	tcase_add_test(tc, test_stages);
	tcase_add_test(tc, test_score_sets);
	tcase_add_test(tc, test_client_forms);
	tcase_add_test(tc, test_connect_words);
	tcase_add_test(tc, test_eom_kinds);
	tcase_add_test(tc, test_match_limit);
	tcase_add_test(tc, test_empty_and_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("shipped");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shipped_lint);
	tcase_add_test(tc, test_shipped_messages);
	tcase_add_test(tc, test_deadline);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
