/*
 * test_mime.c -- golden tests for the MIME walker: each
 * tests/data/mime/NAME.eml is walked and its dump (body lines, raw body,
 * URIs, file names, types) compared with NAME.expected; plus unit tests
 * of HTML parts as body rules see them and of header decoding.
 *
 * "test_mime FILE.eml" prints the dump of one message instead (used to
 * write a new .expected, which is then checked by eye).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "mtree.h"

static const char *const golden[] = { "base64", "qp", "nested", "rfc822",
	"html_only", "names", "unknown_charset", "broken_base64", "crlf",
	"plain_no_mime", "deep" };

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char tmp[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 0);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	if (b.p == NULL)
		buf_puts(&b, "");
	*len = b.len;
	return buf_steal(&b);
}

static char *
dump_file(const char *path)
{
	struct mime_text mt;
	struct buf out;
	size_t len;
	char *msg = slurp(path, &len);

	if (msg == NULL)
		return NULL;
	mime_prepare(&mt, msg, len, MIME_ALL, NULL);
	buf_init(&out, 0);
	mime_dump(&mt, &out);
	mime_text_free(&mt);
	free(msg);
	return buf_steal(&out);
}

static const char *
srcdir(void)
{
	const char *s = getenv("srcdir");

	return s ? s : ".";
}

START_TEST(test_golden)
{
	const char *name = golden[_i];
	char *eml = xasprintf("%s/tests/data/mime/%s.eml", srcdir(), name);
	char *exp = xasprintf("%s/tests/data/mime/%s.expected", srcdir(), name);
	size_t len;
	char *want = slurp(exp, &len);
	char *got = dump_file(eml);

	ck_assert_msg(got != NULL, "cannot read %s", eml);
	ck_assert_msg(want != NULL, "cannot read %s", exp);
	ck_assert_msg(strcmp(got, want) == 0, "%s: dump differs:\n--- got\n%s"
	    "--- expected\n%s", name, got, want);
	free(got);
	free(want);
	free(eml);
	free(exp);
}
END_TEST

/* Walk an HTML-only message with the body text; "" when there is none. */
static void
walk_html(const char *html, struct mime_text *mt)
{
	char *m = xasprintf("Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: text/html; charset=utf-8\n\n%s\n", html);

	mime_prepare(mt, m, strlen(m), MIME_ALL, NULL);
	free(m);
}

/* The body paragraphs after the Subject, joined by "|". */
static char *
body_of(const struct mime_text *mt)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 1; i < mt->body.n; i++)
		buf_printf(&b, "%s%s", i > 1 ? "|" : "", mt->body.v[i]);
	if (b.p == NULL)
		buf_puts(&b, "");
	return buf_steal(&b);
}

/*
 * HTML parts reach the body rules rendered as SpamAssassin renders them
 * (html.c): every named entity, script and style dropped, block
 * elements ending paragraphs; URIs from the elements SpamAssassin reads
 * them from, and from the rendered text.
 */
START_TEST(test_html_body)
{
	struct mime_text mt;
	char *s;

	/* The whole entity table, not a few dozen of it. */
	walk_html("<p>I &hearts; it &Omega;</p>", &mt);
	s = body_of(&mt);
	ck_assert_str_eq(s, "I \xe2\x99\xa5 it \xce\xa9");
	free(s);
	mime_text_free(&mt);

	walk_html("x<script>alert('<p>')</script>y<style>p{}</style>z", &mt);
	s = body_of(&mt);
	ck_assert_str_eq(s, "xyz");
	free(s);
	mime_text_free(&mt);

	walk_html("1 &lt; 2 &amp;&amp; &#65;&#x42; &bogus; & x", &mt);
	s = body_of(&mt);
	ck_assert_str_eq(s, "1 < 2 && AB &bogus; & x");
	free(s);
	mime_text_free(&mt);

	walk_html("<p>one</p><p>two</p>", &mt);
	s = body_of(&mt);
	ck_assert_str_eq(s, "one|two");
	free(s);
	mime_text_free(&mt);

	walk_html("<a href='HTTP://x.example/'>t</a><a href=mailto:a@b.c>m</a>"
	    "<a href=\"javascript:void(0)\">j</a><img src=' http://i.example/p"
	    ".gif '> see www.text.example/", &mt);
	ck_assert_uint_eq(mt.uris.n, 4);
	ck_assert_str_eq(mt.uris.v[0], "HTTP://x.example/");
	ck_assert_str_eq(mt.uris.v[1], "mailto:a@b.c");
	ck_assert_str_eq(mt.uris.v[2], "http://i.example/p.gif");
	ck_assert_str_eq(mt.uris.v[3], "http://www.text.example/");
	mime_text_free(&mt);
}
END_TEST

START_TEST(test_header_decode)
{
	char *s;

	s = mime_header_decode("=?UTF-8?B?Q2Fmw6k=?= au\r\n\tlait");
	ck_assert_str_eq(s, "Café au\tlait");
	free(s);
	s = mime_header_decode("  plain  ");
	ck_assert_str_eq(s, "plain");
	free(s);
	s = mime_header_decode("caf\xe9");	/* raw Latin-1: made UTF-8 */
	ck_assert_str_eq(s, "café");
	free(s);
	s = mime_header_addr("\"Bob, Jr\" <bob@example.net>, x@y.z");
	ck_assert_str_eq(s, "bob@example.net");
	free(s);
	s = mime_header_name("=?ISO-8859-1?Q?Ren=E9?= <r@example.net>");
	ck_assert_str_eq(s, "René");
	free(s);
	s = mime_header_addr("undisclosed-recipients:;");
	ck_assert_str_eq(s, "");
	free(s);
	s = mime_header_addr("<just@addr.example>");
	ck_assert_str_eq(s, "just@addr.example");
	free(s);
	s = mime_header_name("just@addr.example");
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_limits)
{
	struct mime_limits lim = { 0 };
	struct mime_text mt;
	struct buf m;

	/* 300 nested multiparts: the walk stops at the depth bound. */
	buf_init(&m, 0);
	buf_puts(&m, "Subject: deep\nMIME-Version: 1.0\n");
	for (int i = 0; i < 300; i++)
		buf_printf(&m, "Content-Type: multipart/mixed; boundary=b%d\n\n"
		    "--b%d\n", i, i);
	buf_puts(&m, "Content-Type: text/plain\n\nbottom\n");
	lim.depth = 10;
	mime_prepare(&mt, m.p, m.len, MIME_ALL, &lim);
	ck_assert(mt.truncated);
	ck_assert_uint_le(mt.types.n, 11);
	mime_text_free(&mt);

	/* Part count bound. */
	buf_reset(&m);
	buf_puts(&m, "Subject: many\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=z\n\n");
	for (int i = 0; i < 50; i++)
		buf_printf(&m, "--z\nContent-Type: text/plain; name=f%d.txt\n\n"
		    "part %d\n", i, i);
	buf_puts(&m, "--z--\n");
	memset(&lim, 0, sizeof(lim));
	lim.parts = 10;
	mime_prepare(&mt, m.p, m.len, MIME_ALL, &lim);
	ck_assert(mt.truncated);
	ck_assert_uint_eq(mt.types.n, 10);
	ck_assert_uint_eq(mt.filenames.n, 9);
	mime_text_free(&mt);

	/* Text bound. */
	memset(&lim, 0, sizeof(lim));
	lim.text = 40;
	mime_prepare(&mt, m.p, m.len, MIME_BODY, &lim);
	ck_assert(mt.truncated);
	ck_assert_uint_lt(mt.body.n, 10);
	mime_text_free(&mt);

	/* Only what is asked for is built. */
	mime_prepare(&mt, m.p, m.len, MIME_TYPE, NULL);
	ck_assert_uint_eq(mt.body.n, 0);
	ck_assert_uint_eq(mt.rawbody.n, 0);
	ck_assert_uint_eq(mt.filenames.n, 0);
	ck_assert_uint_eq(mt.types.n, 51);
	mime_text_free(&mt);

	/* Empty and garbage input never fail. */
	mime_prepare(&mt, "", 0, MIME_ALL, NULL);
	mime_text_free(&mt);
	mime_prepare(&mt, "\0\0\xff\xfe", 4, MIME_ALL, NULL);
	mime_text_free(&mt);
	buf_free(&m);
}
END_TEST

/*
 * The tree: message/rfc822 parts split as messages, their own header
 * flags kept to themselves, the depth and part bounds named, and the
 * parts in find_parts() order.
 */
START_TEST(test_tree)
{
	struct mime_limits lim = { 0 };
	struct mtree t;
	struct buf m;
	static const char *const order[] = { "multipart/mixed", "text/plain",
	    "message/rfc822", "multipart/alternative", "text/plain",
	    "text/html", "application/zip" };

	static const char msg[] = "Subject: s\nContent-Type: multipart/mixed; "
	    "boundary=o\n\n--o\n\nfirst\n--o\n"
	    "Content-Type: message/rfc822\n\n"
	    "this inner header is broken\nContent-Type: multipart/alternative;"
	    " boundary=i\n\n--i\n\nplain\n--i\n"
	    "Content-Type: text/html\n\n<b>x</b>\n--i--\n--o\n"
	    "Content-Type: application/zip\n\nPK\n--o--\n";

	mtree_parse(&t, msg, sizeof(msg) - 1, NULL);
	ck_assert_uint_eq(t.norder, ARRAY_LEN(order));
	for (size_t i = 0; i < t.norder; i++)
		ck_assert_str_eq(t.parts[t.order[i]].type, order[i]);
	ck_assert(t.parts[t.order[3]].message);
	ck_assert(!t.parts[t.order[2]].leaf);
	ck_assert(!t.missing_hb_sep);
	ck_assert(t.limit == NULL);
	mtree_free(&t);

	/* 30 messages, each carried in the one before. */
	buf_init(&m, 0);
	for (int i = 0; i < 30; i++)
		buf_puts(&m, "Subject: x\nContent-Type: message/rfc822\n\n");
	buf_puts(&m, "Subject: bottom\n\nbottom\n");
	lim.depth = 5;
	mtree_parse(&t, m.p, m.len, &lim);
	ck_assert_str_eq(t.limit, "mime_depth");
	ck_assert_uint_le(t.nparts, 6);
	mtree_free(&t);

	/* The decoded messages are bounded too. */
	memset(&lim, 0, sizeof(lim));
	lim.text = 100;
	mtree_parse(&t, m.p, m.len, &lim);
	ck_assert_str_eq(t.limit, "decoded_size");
	mtree_free(&t);
	buf_free(&m);
}
END_TEST

/* Every address of an address header: groups opened, bounded. */
START_TEST(test_header_addrs)
{
	struct strlist l = { 0 };

	mime_header_addrs("A <a@x.example>, b@y.example,\n c: c@z.example, "
	    "d@z.example;", &l, 100);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.v[0], "a@x.example");
	ck_assert_str_eq(l.v[3], "d@z.example");
	strlist_free(&l);
	mime_header_addrs("a@x.example, b@x.example, c@x.example", &l, 2);
	ck_assert_uint_eq(l.n, 2);
	strlist_free(&l);
	mime_header_addrs("", &l, 10);
	ck_assert_uint_eq(l.n, 0);
	strlist_free(&l);
}
END_TEST

/* Charsets as SpamAssassin normalizes them: ISO-8859-1 is read as
 * Windows-1252, valid UTF-8 is UTF-8 whatever the label, the rest is
 * converted from the label. */
START_TEST(test_to_utf8)
{
	static const struct {
		const char *cs, *in, *out;
	} cases[] = {
		{ "iso-8859-1", "\x93q\x94 caf\xe9", "\xe2\x80\x9cq\xe2\x80\x9d caf\xc3\xa9" },
		{ "ISO-8859-1", "\x92", "\xe2\x80\x99" },
		{ "koi8-r", "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "koi8-r", "\xf0\xd2", "\xd0\x9f\xd1\x80" },
		{ "iso-8859-2", "\xb1", "\xc4\x85" },
		/* 7-bit, so not taken as UTF-8: the charset decodes it */
		{ "iso-2022-jp", "\x1b$B$\"\x1b(B", "\xe3\x81\x82" },
		{ NULL, "caf\xe9", "caf\xc3\xa9" },
		{ "utf-8", "a\xff" "b", "a\xc3\xbf" "b" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;

		buf_init(&b, 0);
		mime_to_utf8(cases[i].cs, cases[i].in, strlen(cases[i].in), &b);
		ck_assert_msg(b.p != NULL && strcmp(b.p, cases[i].out) == 0,
		    "case %zu: %s", i, b.p ? b.p : "(null)");
		buf_free(&b);
	}
}
END_TEST

int
main(int argc, char **argv)
{
	Suite *s;
	TCase *tc;
	SRunner *sr;
	int failed;

	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			char *d = dump_file(argv[i]);

			if (d == NULL) {
				perror(argv[i]);
				return 1;
			}
			fputs(d, stdout);
			free(d);
		}
		return 0;
	}
	s = suite_create("mime");
	tc = tcase_create("golden");
	tcase_add_loop_test(tc, test_golden, 0, (int)ARRAY_LEN(golden));
	suite_add_tcase(s, tc);
	tc = tcase_create("units");
	tcase_add_test(tc, test_html_body);
	tcase_add_test(tc, test_header_decode);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_tree);
	tcase_add_test(tc, test_header_addrs);
	tcase_add_test(tc, test_to_utf8);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
