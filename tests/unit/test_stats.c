/*
 * test_stats.c -- the statistical filter's tokenizer: what becomes a
 * token, what is left out (the site's own delivery headers), and the
 * bounds.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "unit.h"

/* Whether the tokenizer kept the token "prefix:word" (by its text). */
static bool
has(const struct stats_tok *tk, const char *text)
{
	for (size_t i = 0; i < tk->n; i++)
		if (strcmp(tk->text[i], text) == 0)
			return true;
	return false;
}

/* The hash of a kept token is stats_hash() of its prefix and word. */
static bool
has_hash(const struct stats_tok *tk, uint64_t h)
{
	for (size_t i = 0; i < tk->n; i++)
		if (tk->v[i] == h)
			return true;
	return false;
}

START_TEST(test_body_words)
{
	struct stats_tok tk;
	static const char text[] =
	    "Buy CHEAP pills now, buy cheap pills!  Call 555-1234 or "
	    "12345678.  It's a na\xc3\xafve caf\xc3\xa9 -- ok.  "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa end";

	stats_tok_init(&tk, 0, true);
	stats_tok_body(&tk, text, strlen(text));
	ck_assert(has(&tk, "b:buy"));
	ck_assert(has(&tk, "b:cheap"));
	ck_assert(has(&tk, "b:pills"));
	ck_assert(has(&tk, "2:buy cheap"));	/* neighbours */
	ck_assert(has(&tk, "2:cheap pills"));
	ck_assert(has(&tk, "b:it's"));
	ck_assert(has(&tk, "b:na\xc3\xafve"));	/* UTF-8 kept whole */
	ck_assert(has(&tk, "b:caf\xc3\xa9"));
	ck_assert(has(&tk, "num:8"));		/* numbers by shape */
	ck_assert(has(&tk, "num:8") && !has(&tk, "b:12345678"));
	ck_assert(has(&tk, "sk:aaaaaaa~40"));	/* a long run */
	ck_assert(!has(&tk, "b:ok") && !has(&tk, "b:a"));	/* too short */
	ck_assert(has_hash(&tk, stats_hash("b", "cheap", 5)));
	/* Each distinct token once: "buy" twice, "cheap" twice. */
	for (size_t i = 0; i < tk.n; i++)
		for (size_t j = i + 1; j < tk.n; j++)
			ck_assert(tk.v[i] != tk.v[j]);
	stats_tok_free(&tk);
}
END_TEST

/* Only the sender's own fields; the delivery's are left out. */
START_TEST(test_headers)
{
	struct stats_tok tk;
	static const struct {
		const char *name, *value;
		bool used;
	} h[] = {
		{ "Subject", " Cheap watches for you", true },
		{ "From", " \"Shop\" <deals@mail.shop.example>", true },
		{ "Message-ID", " <abc.123@mx.shop.example>", true },
		{ "X-Mailer", " Mass Mailer 2.0", true },
		{ "Received", " from x by mx.site.example", false },
		{ "Delivered-To", " alice@site.example", false },
		{ "X-Original-To", " alice@site.example", false },
		{ "Return-Path", " <bounce@shop.example>", false },
		{ "Authentication-Results", " mx.site.example; spf=pass", false },
		{ "X-Spam-Status", " No, score=0", false },
		{ "To", " alice@site.example", false },
		{ "Date", " Thu, 3 Dec 2026 10:00:00 +0000", false },
	};

	stats_tok_init(&tk, 0, true);
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		ck_assert_msg(stats_tok_header(&tk, h[i].name,
		    strlen(h[i].name), h[i].value, strlen(h[i].value)) ==
		    h[i].used, "%s", h[i].name);
	ck_assert(has(&tk, "s:cheap"));
	ck_assert(has(&tk, "s:watches"));
	ck_assert(!has(&tk, "b:cheap"));	/* prefixed by where */
	ck_assert(has(&tk, "f:shop"));
	ck_assert(has(&tk, "fd:mail.shop.example"));
	ck_assert(has(&tk, "fd:shop.example"));
	ck_assert(!has(&tk, "fd:example"));	/* two labels at least */
	ck_assert(has(&tk, "md:mx.shop.example"));
	ck_assert(has(&tk, "x:mailer"));
	for (size_t i = 0; i < tk.n; i++)
		ck_assert_msg(strstr(tk.text[i], "site") == NULL, "%s",
		    tk.text[i]);
	/* Header names in any case. */
	ck_assert(stats_tok_header(&tk, "SUBJECT", 7, " x", 2));
	stats_tok_free(&tk);
}
END_TEST

START_TEST(test_uris_relays_parts)
{
	struct stats_tok tk;
	static const char u1[] = "http://user@Www.Shop.Example.com:8080/x?y";
	static const char u2[] = "mailto:sales@offers.example.net";
	static const char u3[] = "https://localhost/";

	stats_tok_init(&tk, 0, true);
	stats_tok_uri(&tk, u1, strlen(u1));
	stats_tok_uri(&tk, u2, strlen(u2));
	stats_tok_uri(&tk, u3, strlen(u3));
	ck_assert(has(&tk, "u:www.shop.example.com"));
	ck_assert(has(&tk, "u:shop.example.com"));
	ck_assert(has(&tk, "u:example.com"));
	ck_assert(!has(&tk, "u:com"));
	ck_assert(has(&tk, "ud:offers.example.net"));
	ck_assert(has(&tk, "u:localhost"));
	stats_tok_relay(&tk, "192.0.2.77", "", "PC-1234");
	ck_assert(has(&tk, "rn:none"));
	ck_assert(has(&tk, "rh:pc-1234"));
	ck_assert(has(&tk, "ri:192.0"));
	ck_assert(has(&tk, "ri:192.0.2"));
	stats_tok_relay(&tk, "2001:db8::1", "mx.sender.example", NULL);
	ck_assert(has(&tk, "rd:mx.sender.example"));
	ck_assert(has(&tk, "rd:sender.example"));
	stats_tok_attachment(&tk, "application/zip", "Invoice.ZIP");
	ck_assert(has(&tk, "at:application/zip"));
	ck_assert(has(&tk, "ae:zip"));
	stats_tok_attachment(&tk, "image/png", NULL);
	ck_assert(has(&tk, "at:image/png"));
	stats_tok_fact(&tk, "html-only");
	ck_assert(has(&tk, "sf:html-only"));
	stats_tok_free(&tk);
}
END_TEST

/* At most max distinct tokens; the rest counted, nothing kept past it. */
START_TEST(test_bounds)
{
	struct stats_tok tk;
	char *text = malloc(STATS_MAX_TEXT * 2);
	size_t n = 0;

	ck_assert_ptr_nonnull(text);
	for (unsigned i = 0; n + 16 < STATS_MAX_TEXT * 2; i++)
		n += (size_t)sprintf(text + n, "w%07u ", i);
	stats_tok_init(&tk, 100, false);
	stats_tok_body(&tk, text, n);
	ck_assert_uint_eq(tk.n, 100);
	ck_assert(tk.dropped > 1000);
	stats_tok_free(&tk);

	/* Only STATS_MAX_TEXT bytes of one text are read. */
	stats_tok_init(&tk, 1000000, false);
	stats_tok_body(&tk, text, n);
	/* words of 9 bytes + a space; each gives a word and a pair */
	ck_assert(tk.n <= 2 * (STATS_MAX_TEXT / 9 + 1));
	ck_assert(tk.n >= 2 * (STATS_MAX_TEXT / 10) - 2);
	stats_tok_free(&tk);

	/* Empty and hostile inputs. */
	stats_tok_init(&tk, 0, false);
	stats_tok_body(&tk, "", 0);
	stats_tok_body(&tk, "\xff\xfe\x00\x01---...@@@", 13);
	stats_tok_uri(&tk, "", 0);
	stats_tok_uri(&tk, "http://", 7);
	stats_tok_uri(&tk, "mailto:", 7);
	stats_tok_header(&tk, "From", 4, "@", 1);
	stats_tok_attachment(&tk, NULL, ".");
	ck_assert(tk.n <= 2);
	stats_tok_free(&tk);
	free(text);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("tokenizer");

	tcase_add_test(tc, test_body_words);
	tcase_add_test(tc, test_headers);
	tcase_add_test(tc, test_uris_relays_parts);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(stats_suite());
}
