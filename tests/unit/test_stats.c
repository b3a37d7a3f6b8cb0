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
#include <unistd.h>

#include "stats.h"
#include "stats_db.h"
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

/*
 * The tokens past the bound are counted once each, however often they
 * come: a text tokenized twice drops no more than once.
 */
START_TEST(test_dropped)
{
	struct stats_tok tk;
	char text[4096];
	size_t n = 0, total;

	for (unsigned i = 0; i < 300; i++)	/* letters: no numbers */
		n += (size_t)snprintf(text + n, sizeof(text) - n, "w%c%c%c ",
		    'a' + i / 26 / 26 % 26, 'a' + i / 26 % 26, 'a' + i % 26);
	stats_tok_init(&tk, 100000, false);
	stats_tok_body(&tk, text, n);
	total = tk.n;
	ck_assert(total > 400 && tk.dropped == 0 && !tk.dropped_more);
	stats_tok_free(&tk);

	stats_tok_init(&tk, 400, false);
	stats_tok_body(&tk, text, n);
	ck_assert_uint_eq(tk.n, 400);
	ck_assert_uint_eq(tk.dropped, total - 400);
	stats_tok_body(&tk, text, n);
	ck_assert_uint_eq(tk.n, 400);
	ck_assert_uint_eq(tk.dropped, total - 400);
	ck_assert(!tk.dropped_more);
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
	/* Past the bound, those the set holds are counted, and that
	 * there were more is said. */
	ck_assert(tk.dropped >= 50 && tk.dropped_more);
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

/* n tokens base, base+1, ... (never 0). */
static void
toks(uint64_t *v, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n; i++)
		v[i] = base + i;
}

static void
rmstore(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
}

/* Learning, learning again, moving, forgetting: each undoes exactly. */
START_TEST(test_learn_forget)
{
	char *dir = unit_tmpdir(), *store = xasprintf("%s/s", dir);
	struct stats_db *db;
	struct stats_totals t;
	struct buf err;
	enum stats_done done;
	uint64_t a[40], b[40], all[80];
	uint32_t before[80][2], after[80][2];
	uint8_t da[STATS_DIGEST_LEN], db_[STATS_DIGEST_LEN];

	buf_init(&err, 0);
	ck_assert_ptr_null(stats_db_open(store, false, 0, &err));
	ck_assert(strstr(err.p, "none yet") != NULL);
	buf_reset(&err);
	db = stats_db_open(store, true, 0, &err);
	ck_assert_msg(db != NULL, "%s", err.p);
	toks(a, 40, 1000);
	toks(b, 40, 1020);		/* 20 tokens shared with a */
	memcpy(all, a, sizeof(a));
	memcpy(all + 40, b, sizeof(b));
	stats_digest(a, 40, da);
	stats_digest(b, 40, db_);

	ck_assert_int_eq(stats_db_learn(db, db_, b, 40, STATS_HAM, &done,
	    &err), 0);
	ck_assert_int_eq(done, STATS_LEARNED);
	ck_assert_int_eq(stats_db_commit(db, NULL, &err), 0);
	ck_assert_int_eq(stats_db_lookup(db, all, 80, before, &t, &err), 0);
	ck_assert(t.nspam == 0 && t.nham == 1 && t.ntokens == 40);

	/* a as spam; again (counts once); as ham (moves); forgotten. */
	ck_assert_int_eq(stats_db_learn(db, da, a, 40, STATS_SPAM, &done,
	    &err), 0);
	ck_assert_int_eq(done, STATS_LEARNED);
	ck_assert_int_eq(stats_db_learn(db, da, a, 40, STATS_SPAM, &done,
	    &err), 0);
	ck_assert_int_eq(done, STATS_KNOWN);
	ck_assert_int_eq(stats_db_commit(db, NULL, &err), 0);
	ck_assert_int_eq(stats_db_lookup(db, all, 80, after, &t, &err), 0);
	ck_assert(t.nspam == 1 && t.nham == 1 && t.ntokens == 60);
	ck_assert(after[0][0] == 1 && after[0][1] == 0);	/* a only */
	ck_assert(after[25][0] == 1 && after[25][1] == 1);	/* both */
	ck_assert(after[79][0] == 0 && after[79][1] == 1);	/* b only */
	ck_assert_int_eq(stats_db_learn(db, da, a, 40, STATS_HAM, &done,
	    &err), 0);
	ck_assert_int_eq(done, STATS_MOVED);
	ck_assert_int_eq(stats_db_lookup(db, all, 80, after, &t, &err), 0);
	/* not committed: a reader still sees the spam */
	ck_assert(t.nspam == 1 && after[0][0] == 1);
	ck_assert_int_eq(stats_db_commit(db, NULL, &err), 0);
	ck_assert_int_eq(stats_db_lookup(db, all, 80, after, &t, &err), 0);
	ck_assert(t.nspam == 0 && t.nham == 2);
	ck_assert(after[25][0] == 0 && after[25][1] == 2);
	ck_assert_int_eq(stats_db_learn(db, da, a, 40, STATS_FORGET, &done,
	    &err), 0);
	ck_assert_int_eq(done, STATS_FORGOTTEN);
	ck_assert_int_eq(stats_db_learn(db, da, a, 40, STATS_FORGET, &done,
	    &err), 0);
	ck_assert_int_eq(done, STATS_UNKNOWN);
	ck_assert_int_eq(stats_db_commit(db, NULL, &err), 0);
	ck_assert_int_eq(stats_db_lookup(db, all, 80, after, &t, &err), 0);
	ck_assert(memcmp(before, after, sizeof(before)) == 0);
	ck_assert(t.nspam == 0 && t.nham == 1 && t.ntokens == 40);

	/* A reader of its own, while the writer writes. */
	{
		struct stats_db *r = stats_db_open(store, false, 0, &err);
		struct stats_totals rt;

		ck_assert_msg(r != NULL, "%s", err.p);
		ck_assert_int_eq(stats_db_learn(db, da, a, 40, STATS_SPAM,
		    &done, &err), 0);
		ck_assert_int_eq(stats_db_totals(r, &rt, &err), 0);
		ck_assert(rt.nspam == 0);
		ck_assert_int_eq(stats_db_commit(db, NULL, &err), 0);
		ck_assert_int_eq(stats_db_totals(r, &rt, &err), 0);
		ck_assert(rt.nspam == 1);
		ck_assert(stats_db_size(r) > 0);
		stats_db_close(r);
	}
	/* Forget both: nothing left. */
	ck_assert_int_eq(stats_db_learn(db, da, a, 40, STATS_FORGET, &done,
	    &err), 0);
	ck_assert_int_eq(stats_db_learn(db, db_, b, 40, STATS_FORGET, &done,
	    &err), 0);
	ck_assert_int_eq(stats_db_commit(db, NULL, &err), 0);
	ck_assert_int_eq(stats_db_totals(db, &t, &err), 0);
	ck_assert(t.nspam == 0 && t.nham == 0 && t.ntokens == 0);
	stats_db_close(db);
	buf_free(&err);
	free(store);
	rmstore(dir);
}
END_TEST

/* The digest does not depend on the order of the tokens. */
START_TEST(test_digest)
{
	uint64_t x[3] = { 5, 9, 7 }, y[3] = { 9, 7, 5 }, z[3] = { 9, 7, 6 };
	uint8_t dx[STATS_DIGEST_LEN], dy[STATS_DIGEST_LEN],
	    dz[STATS_DIGEST_LEN];

	stats_digest(x, 3, dx);
	stats_digest(y, 3, dy);
	stats_digest(z, 3, dz);
	ck_assert(memcmp(dx, dy, sizeof(dx)) == 0);
	ck_assert(memcmp(dx, dz, sizeof(dx)) != 0);
	ck_assert(x[0] == 5 && x[1] == 9);	/* not sorted in place */
}
END_TEST

/* Past statistics_max_tokens, a commit drops the weakest tokens. */
START_TEST(test_expiry)
{
	char *dir = unit_tmpdir(), *store = xasprintf("%s/s", dir);
	struct stats_db *db;
	struct stats_totals t;
	struct buf err;
	enum stats_done done;
	uint64_t v[30], common[5];
	uint32_t c[5][2];
	unsigned long expired = 0;

	buf_init(&err, 0);
	db = stats_db_open(store, true, 100, &err);
	ck_assert_msg(db != NULL, "%s", err.p);
	toks(common, 5, 1);
	for (unsigned m = 0; m < 10; m++) {
		uint8_t d[STATS_DIGEST_LEN];

		toks(v, 30, 1000 + 100 * m);
		memcpy(v, common, sizeof(common));	/* in every message */
		stats_digest(v, 30, d);
		ck_assert_int_eq(stats_db_learn(db, d, v, 30, m % 2 ?
		    STATS_SPAM : STATS_HAM, &done, &err), 0);
	}
	ck_assert_int_eq(stats_db_commit(db, &expired, &err), 0);
	ck_assert_int_eq(stats_db_totals(db, &t, &err), 0);
	ck_assert_uint_eq(expired, 250);	/* each seen once */
	ck_assert(t.ntokens == 5 && t.nspam == 5 && t.nham == 5);
	ck_assert_int_eq(stats_db_lookup(db, common, 5, c, &t, &err), 0);
	ck_assert(c[0][0] == 5 && c[0][1] == 5);
	stats_db_close(db);
	buf_free(&err);
	free(store);
	rmstore(dir);
}
END_TEST

/* The learned messages are remembered up to a quarter of the token
 * bound (1,000 at least): past it, some are forgotten at a commit. */
START_TEST(test_seen_bound)
{
	char *dir = unit_tmpdir(), *store = xasprintf("%s/s", dir);
	struct stats_db *db;
	struct buf err;
	enum stats_done done;
	unsigned known = 0;

	buf_init(&err, 0);
	db = stats_db_open(store, STATS_WRITE, 4000, &err);
	ck_assert_msg(db != NULL, "%s", err.p);
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t m = 0; m < 1100; m++) {
			uint64_t v[1] = { 7 + m % 3 };
			uint8_t d[STATS_DIGEST_LEN];
			uint64_t id[2] = { m + 1, 0 };

			stats_digest(id, 1, d);
			ck_assert_int_eq(stats_db_learn(db, d, v, 1, STATS_SPAM,
			    &done, &err), 0);
			if (pass == 1 && done == STATS_KNOWN)
				known++;
		}
		ck_assert_int_eq(stats_db_commit(db, NULL, &err), 0);
	}
	/* 1,100 learned, cut to 750 at the first commit. */
	ck_assert_msg(known >= 700 && known <= 1000, "%u known", known);
	stats_db_close(db);
	buf_free(&err);
	free(store);
	rmstore(dir);
}
END_TEST

/* The model: strong evidence either way, and abstaining. */
START_TEST(test_model)
{
	enum { N = 60 };
	uint64_t v[N];
	uint32_t c[N][2];
	struct stats_totals t = { 300, 300, 10000 };
	struct stats_result *r = malloc(sizeof(*r));

	ck_assert_ptr_nonnull(r);
	toks(v, N, 1);
	for (size_t i = 0; i < N; i++) {
		c[i][0] = 40;
		c[i][1] = i < 5 ? 30 : 1;	/* mostly spammy */
	}
	stats_classify(v, (const uint32_t (*)[2])c, N, &t, 200, r);
	ck_assert(!r->abstain && r->prob > 0.99);
	ck_assert_uint_eq(r->nknown, N);
	ck_assert_uint_eq(r->nused, N - 5);	/* the 30/40 are too weak */
	ck_assert(r->used[0].prob >= r->used[r->nused - 1].prob);
	for (size_t i = 0; i < N; i++) {
		c[i][0] = 1;
		c[i][1] = 40;
	}
	stats_classify(v, (const uint32_t (*)[2])c, N, &t, 200, r);
	ck_assert(!r->abstain && r->prob < 0.01);

	/* Unknown tokens: no evidence, no verdict (not 0.5). */
	memset(c, 0, sizeof(c));
	c[0][0] = 40;
	stats_classify(v, (const uint32_t (*)[2])c, N, &t, 200, r);
	ck_assert(r->abstain && r->nknown == 1);
	ck_assert(strstr(r->why, "evidence") != NULL);
	/* Too few learned. */
	t.nham = 199;
	stats_classify(v, (const uint32_t (*)[2])c, N, &t, 200, r);
	ck_assert(r->abstain && strstr(r->why, "learned") != NULL);
	free(r);
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
	tcase_add_test(tc, test_dropped);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_test(tc, test_learn_forget);
	tcase_add_test(tc, test_digest);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_seen_bound);
	tcase_add_test(tc, test_model);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(stats_suite());
}
