/*
 * test_rules_hs.c -- the regex prefilter changes nothing but speed: the
 * same rules, loaded with regex_prefilter = yes and = no, give the same
 * hits with the same counts on every message of the test corpora (the
 * fuzzing seeds included), for patterns chosen where Hyperscan and PCRE2
 * could disagree.  Also: lint's summary says whether it is on, rules
 * Hyperscan cannot take still run, and the database cache is written,
 * read back, and survives a corrupted file.
 */
#include "autoconfig.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules_int.h"
#include "unit.h"

/*
 * Rules where a careless prefilter would miss matches: back-references
 * and look-arounds (widened by Hyperscan), anchors with and without /m,
 * \b, caseless matching, "." over UTF-8 in UTF mode, /x, an empty
 * match, large repeats (kept out), negated and if-unset header rules,
 * several rules on one header, multiple hits.
 */
static const char tricky[] =
	"body     T_BACKREF     /\\b(\\w+) \\1\\b/\n"
	"body     T_LOOKAHEAD   /free(?! trial)\\s+\\w+/i\n"
	"body     T_LOOKBEHIND  /(?<=\\$)\\d{3,}/\n"
	"body     T_ANCHOR_M    /^dear\\b/mi\n"
	"body     T_ANCHOR      /^Subject|\\.$/\n"
	"body     T_UTF8_DOT    /caf.\\b/\n"
	"body     T_UTF8_CLASS  /r[^a-z]sum/\n"
	"body     T_EXTENDED    / c l i c k \\s+ here /xi\n"
	"body     T_START_A     /\\Adear\\b/i\n"
	"body     T_END_Z       /here\\z/\n"
	"body     T_FLAG_OFF    /(?i)free(?-i) money/\n"
	"body     T_LINE_END    /offer\\W*$/\n"
	"body     T_EMPTY       /x*/\n"
	"body     T_BIGREPEAT   /a.{0,500}b/s\n"
	"body     T_MULTI       /the/i\n"
	"tflags   T_MULTI       multiple\n"
	"rawbody  T_RAW_HTML    /<\\s*a\\s+href/i\n"
	"rawbody  T_RAW_CASE    /CONTENT/\n"
	"uri      T_URI_HTTP    /^https?:\\/\\/[^\\/]*\\.example\\b/i\n"
	"uri      T_URI_IP      /\\/\\/\\d+\\.\\d+\\.\\d+\\.\\d+/\n"
	"full     T_FULL_B64    /^Content-Transfer-Encoding:\\s*base64/mi\n"
	"full     T_FULL_NUL    /\\x00/\n"
	"filename T_FN_EXE      /\\.(?:exe|scr|com)$/i\n"
	"mimetype T_MT_HTML     /^text\\/html$/\n"
	"header   T_SUBJ_A      Subject =~ /free/i\n"
	"header   T_SUBJ_B      Subject =~ /\\b(?:win|won)\\b/i\n"
	"header   T_SUBJ_C      Subject =~ /^\\s*$/\n"
	"header   T_SUBJ_NEG    Subject !~ /e/\n"
	"header   T_SUBJ_UNSET  Subject =~ /^UNSET$/ [if-unset: UNSET]\n"
	"header   T_FROM_A      From:addr =~ /\\@example\\.com$/i\n"
	"header   T_FROM_B      From:name =~ /^\\w+$/\n"
	"header   T_ALL_A       ALL =~ /^Received: from \\S+/m\n"
	"header   T_ALL_B       ALL =~ /^X-Mailer:/mi\n"
	"header   T_TOCC        ToCc =~ /,.*,/\n"
	"header   T_EXISTS      exists:X-Mailer\n";

static struct config *cfg_on, *cfg_off;
static char *cachedir;

static const char *
srcdir(void)
{
	const char *s = getenv("srcdir");

	return s ? s : ".";
}

static struct config *
conf(bool on, const char *cache)
{
	struct diag d;
	struct config *c;
	char *text = xasprintf("regex_prefilter = %s\n"
	    "regex_prefilter_cache = %s\n", on ? "yes" : "no", cache);

	diag_init(&d);
	c = config_load_string("test.conf", text, &d);
	ck_assert_msg(c != NULL, "config: %s", d.errors.n ? d.errors.v[0] :
	    "?");
	diag_free(&d);
	free(text);
	return c;
}

static void
setup(void)
{
	cachedir = unit_tmpdir();
	cfg_on = conf(true, "");
	cfg_off = conf(false, "");
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", cachedir);

	config_free(cfg_on);
	config_free(cfg_off);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(cachedir);
	cachedir = NULL;
}

static struct ruleset *
load(const struct config *c, const char *name, const char *text)
{
	struct diag d;
	struct ruleset *rs;

	diag_init(&d);
	rs = rules_load_text(c, name, text, &d);
	ck_assert_msg(rs != NULL, "rules: %s", d.errors.n ? d.errors.v[0] :
	    "?");
	diag_free(&d);
	return rs;
}

/* "NAME*COUNT ..." in the order of the hits, for comparing. */
static char *
hits_of(const struct ruleset *rs, const char *msg, size_t len)
{
	struct rules_input in;
	struct results res;
	struct buf b;

	memset(&in, 0, sizeof(in));
	in.stage = STAGE_EOM;
	in.msg = msg;
	in.msglen = len;
	in.client_addr = "192.0.2.1";
	in.envfrom = "<a@example.com>";
	results_init(&res);
	ck_assert_int_eq(rules_run(rs, &in, &res), 0);
	buf_init(&b, 0);
	for (size_t i = 0; i < res.nhits; i++)
		buf_printf(&b, "%s*%u ", res.hits[i].name, res.hits[i].count);
	results_free(&res);
	if (b.p == NULL)
		buf_puts(&b, "");
	return b.p;
}

/* Compare on and off over one message; count the messages with hits. */
static void
compare(const struct ruleset *on, const struct ruleset *off,
    const char *label, const char *msg, size_t len, unsigned *nhit)
{
	char *a = hits_of(on, msg, len), *b = hits_of(off, msg, len);

	ck_assert_msg(strcmp(a, b) == 0, "%s: prefilter on: [%s], off: [%s]",
	    label, a, b);
	if (a[0] != '\0')
		(*nhit)++;
	free(a);
	free(b);
}

static const char *const handmade[] = {
	"Subject: free prize\nFrom: Bob <bob@example.com>\nTo: a, b, c\n\n"
	"Dear friend, the the offer: free money $12345.\nClick  here\n",
	"Subject: you won\nFrom: alice@example.org\nX-Mailer: x\n"
	"Received: from mx.example.net\n\n"
	"Caf\xc3\xa9 r\xc3\xa9sum\xc3\xa9 free trial http://1.2.3.4/ "
	"https://www.example.com/x\n",
	"Subject: \nContent-Type: text/html\n\n<a href=\"http://x.example/\">"
	"CONTENT</a> aaaa bbbb\n",
	"From: nobody\n\nno subject, no dot",
	"Subject: tiny\nMIME-Version: 1.0\nContent-Type: multipart/mixed; "
	"boundary=b\n\n--b\nContent-Type: application/octet-stream; "
	"name=run.exe\nContent-Transfer-Encoding: base64\n\nTVqQAAMA\n--b--\n",
	"",
};

/* Every message of a directory, recursively. */
static void
compare_dir(const struct ruleset *on, const struct ruleset *off,
    const char *dir, unsigned *nmsg, unsigned *nhit)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	if (dp == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		char *path, *data = NULL;
		gsize len = 0;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (g_file_test(path, G_FILE_TEST_IS_DIR))
			compare_dir(on, off, path, nmsg, nhit);
		else if (g_file_get_contents(path, &data, &len, NULL)) {
			compare(on, off, path, data, len, nhit);
			(*nmsg)++;
			g_free(data);
		}
		free(path);
	}
	closedir(dp);
}

START_TEST(test_same_hits)
{
	struct ruleset *on = load(cfg_on, "tricky.rules", tricky);
	struct ruleset *off = load(cfg_off, "tricky.rules", tricky);
	unsigned nmsg = 0, nhit = 0;
	char *dir;

	for (size_t i = 0; i < sizeof(handmade) / sizeof(handmade[0]); i++)
		compare(on, off, "handmade", handmade[i], strlen(handmade[i]),
		    &nhit);
	ck_assert_uint_ge(nhit, 4);
	dir = xasprintf("%s/tests/fuzz/corpus/message", srcdir());
	compare_dir(on, off, dir, &nmsg, &nhit);
	free(dir);
	dir = xasprintf("%s/tests/data", srcdir());
	compare_dir(on, off, dir, &nmsg, &nhit);
	free(dir);
	ck_assert_uint_ge(nmsg, 50);
	rules_free(on);
	rules_free(off);
}
END_TEST

/* The shipped ruleset over the same messages. */
START_TEST(test_same_hits_shipped)
{
	struct ruleset *on, *off;
	struct diag d;
	unsigned nmsg = 0, nhit = 0;
	char *text = NULL, *dir;
	const char *files[] = { "10_gtube", "20_attachments", "30_helo",
		"40_headers", "50_body" };
	struct buf all;

	buf_init(&all, 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = xasprintf("%s/rules/%s.rules", srcdir(), files[i]);
		gsize len;

		ck_assert_msg(g_file_get_contents(p, &text, &len, NULL), "%s",
		    p);
		buf_append(&all, text, len);
		buf_putc(&all, '\n');
		g_free(text);
		free(p);
	}
	diag_init(&d);
	on = load(cfg_on, "shipped.rules", all.p);
	off = load(cfg_off, "shipped.rules", all.p);
	diag_free(&d);
	dir = xasprintf("%s/tests/data", srcdir());
	compare_dir(on, off, dir, &nmsg, &nhit);
	free(dir);
	dir = xasprintf("%s/tests/fuzz/corpus/message", srcdir());
	compare_dir(on, off, dir, &nmsg, &nhit);
	free(dir);
	ck_assert_uint_ge(nhit, 10);
	rules_free(on);
	rules_free(off);
	buf_free(&all);
}
END_TEST

START_TEST(test_summary)
{
	struct ruleset *on = load(cfg_on, "tricky.rules", tricky);
	struct ruleset *off = load(cfg_off, "tricky.rules", tricky);
	struct diag d;
	bool seen_on = false, seen_off = false;

	diag_init(&d);
	rules_summary(on, &d);
	rules_summary(off, &d);
	for (size_t i = 0; i < d.notes.n; i++) {
#ifdef HAVE_HYPERSCAN
		unsigned in = 0, out = 0;

		if (sscanf(d.notes.v[i], "rules: regex prefilter on: %u rules "
		    "prefiltered, %u always run", &in, &out) == 2) {
			/* T_BIGREPEAT stays out; nearly all others are in. */
			ck_assert_uint_ge(in, 20);
			ck_assert_uint_ge(out, 1);
			seen_on = true;
		}
#else
		if (strstr(d.notes.v[i], "built without Hyperscan"))
			seen_on = true;
#endif
		if (strstr(d.notes.v[i], "regex prefilter off: "
		    "regex_prefilter = no"))
			seen_off = true;
	}
	ck_assert(seen_on);
	ck_assert(seen_off);
	diag_free(&d);
	rules_free(on);
	rules_free(off);
}
END_TEST

#ifdef HAVE_HYPERSCAN
/*
 * The daemon's way: the databases are built in a background thread;
 * until they are published every rule runs, and the hits are the same
 * before and after.  A ruleset freed while its build runs is fine.
 */
START_TEST(test_background)
{
	struct ruleset *bg, *off = load(cfg_off, "t", tricky), *gone;
	unsigned nhit = 0;
	int waited = 0;

	rules_hs_background(true);
	gone = load(cfg_on, "t", tricky);
	rules_free(gone);
	bg = load(cfg_on, "t", tricky);
	rules_hs_background(false);
	for (size_t i = 0; i < sizeof(handmade) / sizeof(handmade[0]); i++)
		compare(bg, off, "building", handmade[i], strlen(handmade[i]),
		    &nhit);
	while (rules_hs_state(bg) == NULL && waited < 300000) {
		usleep(10000);
		waited += 10;
	}
	ck_assert_msg(rules_hs_state(bg) != NULL, "not built in 300 s");
	for (size_t i = 0; i < sizeof(handmade) / sizeof(handmade[0]); i++)
		compare(bg, off, "built", handmade[i], strlen(handmade[i]),
		    &nhit);
	rules_free(bg);
	rules_free(off);
}
END_TEST

static size_t
count_cache(void)
{
	DIR *dp = opendir(cachedir);
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(dp);
	while ((de = readdir(dp)) != NULL)
		if (strstr(de->d_name, ".hsdb") != NULL &&
		    strstr(de->d_name, ".tmp") == NULL)
			n++;
	closedir(dp);
	return n;
}

START_TEST(test_cache)
{
	struct config *c = conf(true, cachedir);
	struct ruleset *first, *again, *off = load(cfg_off, "t", tricky);
	DIR *dp;
	struct dirent *de;
	size_t n;
	unsigned nhit = 0;

	first = load(c, "t", tricky);
	n = count_cache();
	ck_assert_uint_ge(n, 3);	/* body, rawbody, uri, header groups */
	again = load(c, "t", tricky);
	ck_assert_uint_eq(count_cache(), n);
	for (size_t i = 0; i < sizeof(handmade) / sizeof(handmade[0]); i++) {
		compare(first, off, "first", handmade[i], strlen(handmade[i]),
		    &nhit);
		compare(again, off, "cached", handmade[i], strlen(handmade[i]),
		    &nhit);
	}
	rules_free(again);

	/* Corrupt every cached file: they are compiled again. */
	dp = opendir(cachedir);
	while ((de = readdir(dp)) != NULL) {
		char *p;

		if (strstr(de->d_name, ".hsdb") == NULL)
			continue;
		p = xasprintf("%s/%s", cachedir, de->d_name);
		ck_assert(g_file_set_contents(p, "WHS1garbage", 11, NULL));
		free(p);
	}
	closedir(dp);
	again = load(c, "t", tricky);
	for (size_t i = 0; i < sizeof(handmade) / sizeof(handmade[0]); i++)
		compare(again, off, "recompiled", handmade[i],
		    strlen(handmade[i]), &nhit);
	ck_assert_uint_eq(count_cache(), n);

	/* A directory that does not exist only costs the compile. */
	config_free(c);
	c = conf(true, "/nonexistent/warden-cache");
	rules_free(again);
	again = load(c, "t", tricky);
	for (size_t i = 0; i < sizeof(handmade) / sizeof(handmade[0]); i++)
		compare(again, off, "no cache", handmade[i],
		    strlen(handmade[i]), &nhit);
	rules_free(first);
	rules_free(again);
	rules_free(off);
	config_free(c);
}
END_TEST
#endif

static Suite *
suite(void)
{
	Suite *s = suite_create("rules_hs");
	TCase *tc = tcase_create("prefilter");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_same_hits);
	tcase_add_test(tc, test_same_hits_shipped);
	tcase_add_test(tc, test_summary);
#ifdef HAVE_HYPERSCAN
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_background);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(suite());
}
