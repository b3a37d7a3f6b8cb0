/*
 * test_rx.c -- the regex module (rx.c): every built-in regex compiles,
 * a broken one is reported by name, matches obey the limits of the
 * thread's scope (or the defaults outside one) and record reaching
 * them, and per-thread state goes away with its thread.
 */
#include "autoconfig.h"

#include <pthread.h>

#include "results.h"
#include "rx.h"
#include "unit.h"

/* 2^30 paths before '^(a+)+$' gives up on 30 a's and a b. */
#define SLOW_RE		"^(a+)+$"
#define SLOW_TEXT	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"

static pcre2_code *
compile(const char *pat)
{
	char err[256];
	pcre2_code *re = rx_compile(pat, PCRE2_ZERO_TERMINATED, 0, true, err,
	    sizeof(err));

	ck_assert_msg(re != NULL, "%s: %s", pat, err);
	return re;
}

START_TEST(test_builtins_compile)
{
	char err[512] = "";

	ck_assert_msg(rx_builtin_init(err, sizeof(err)) == 0, "%s", err);
	/* Every slot of every set is filled. */
	ck_assert_uint_gt(rules_eval_rx.n, 0);
	for (size_t i = 0; i < rules_eval_rx.n; i++)
		ck_assert_msg(rx_builtin(&rules_eval_rx, i) != NULL,
		    "rules_eval %zu", i);
	for (size_t i = 0; i < relays_rx.n; i++)
		ck_assert_ptr_nonnull(rx_builtin(&relays_rx, i));
	for (size_t i = 0; i < html_rx.n; i++)
		ck_assert_ptr_nonnull(rx_builtin(&html_rx, i));
	ck_assert_ptr_null(rx_builtin(&html_rx, html_rx.n));
}
END_TEST

/* A pattern that does not compile is named, with PCRE2's reason. */
START_TEST(test_builtin_broken)
{
	static const struct rx_builtin v[] = {
		{ "GOOD", "a+", 0 },
		{ "UNCLOSED", "(a", 0 },
		{ "MISSING", NULL, 0 },
	};
	pcre2_code *code[3] = { NULL, NULL, NULL };
	const struct rx_set set = { "test", v, 3, code };
	char err[512] = "";

	ck_assert_uint_eq(rx_set_compile(&set, err, sizeof(err)), 2);
	ck_assert_msg(strstr(err, "built-in regex test UNCLOSED does not "
	    "compile: missing closing parenthesis at offset 2") != NULL,
	    "%s", err);
	ck_assert_ptr_nonnull(code[0]);
	ck_assert_ptr_null(code[1]);
	ck_assert_ptr_null(code[2]);
	pcre2_code_free(code[0]);
}
END_TEST

/* Captures: pairs as asked, groups that took no part as (size_t)-1. */
START_TEST(test_search_captures)
{
	pcre2_code *re = compile("(a)|(b)");
	size_t ov[6];

	ck_assert_int_eq(rx_search(re, "t", "xb", 2, 0, 0, ov, 3), 1);
	ck_assert_uint_eq(ov[0], 1);
	ck_assert_uint_eq(ov[1], 2);
	ck_assert_uint_eq(ov[2], (size_t)-1);
	ck_assert_uint_eq(ov[4], 1);
	ck_assert_uint_eq(ov[5], 2);
	ck_assert_int_eq(rx_search(re, "t", "xb", 2, 2, 0, ov, 1), 0);
	ck_assert_int_eq(rx_search(re, "t", "xb", 2, 3, 0, ov, 1), 0);
	ck_assert_int_eq(rx_search(re, "t", "xb", 2, 0, PCRE2_ANCHORED, ov,
	    1), 0);
	ck_assert_int_eq(rx_search(NULL, "t", "xb", 2, 0, 0, ov, 1), 0);
	pcre2_code_free(re);
}
END_TEST

/* The scope's limits apply, a limit is recorded once, nesting works. */
START_TEST(test_scope_limits)
{
	/* Some 600 steps before the second branch matches 8 a's. */
	pcre2_code *re = compile(SLOW_RE), *mid = compile("^(?:(a+)+z|a)");
	struct rx_scope outer, inner;
	struct results res, res2;
	size_t n = strlen(SLOW_TEXT);

	results_init(&res);
	results_init(&res2);
	ck_assert_int_eq(rx_scope_enter(&outer, 5000, 0, &res), 0);
	ck_assert_uint_eq(outer.depth_limit, RX_DEPTH_LIMIT);
	outer.rule = "SLOW";
	ck_assert_int_eq(rx_search(re, NULL, SLOW_TEXT, n, 0, 0, NULL, 0), -1);
	ck_assert_ptr_nonnull(res.limit);
	ck_assert_str_eq(res.limit, "pcre2");
	ck_assert(outer.logged);
	ck_assert_int_eq(rx_search(mid, NULL, "aaaaaaaa@", 9, 0, 0, NULL, 0),
	    1);

	/* An inner scope has its own limits and results... */
	ck_assert_int_eq(rx_scope_enter(&inner, 100, 0, &res2), 0);
	ck_assert_int_eq(rx_search(mid, NULL, "aaaaaaaa@", 9, 0, 0, NULL, 0),
	    -1);
	ck_assert_ptr_nonnull(res2.limit);
	rx_scope_leave(&inner);
	/* ...and leaving it brings back the outer ones. */
	ck_assert_int_eq(rx_search(mid, NULL, "aaaaaaaa@", 9, 0, 0, NULL, 0),
	    1);
	rx_scope_leave(&outer);

	/* Results that already record the limit are not logged again
	 * (one line per message over its stages). */
	ck_assert_int_eq(rx_scope_enter(&outer, 5000, 0, &res), 0);
	ck_assert_int_eq(rx_search(re, NULL, SLOW_TEXT, n, 0, 0, NULL, 0), -1);
	ck_assert(!outer.logged);
	rx_scope_leave(&outer);

	results_free(&res);
	results_free(&res2);
	pcre2_code_free(re);
	pcre2_code_free(mid);
}
END_TEST

/* Outside any scope the configuration's defaults apply, not PCRE2's. */
START_TEST(test_no_scope_defaults)
{
	/* Some 2^20 steps: within PCRE2's own default (10 million), past
	 * pcre2_match_limit's default (100000). */
	pcre2_code *re = compile("^(?:(a+)+z|a)");

	ck_assert_int_eq(rx_search(re, "test", "aaaaaaaaaaaaaaaaaaaa@", 21, 0,
	    0, NULL, 0), -1);
	ck_assert_int_eq(rx_search(re, "test", "aaaaaaaa@", 9, 0, 0, NULL, 0),
	    1);
	pcre2_code_free(re);
}
END_TEST

/* A substitution runs under the limits too. */
START_TEST(test_substitute)
{
	pcre2_code *re = compile("(a+)+$"), *b = compile("b");
	struct rx_scope sc;
	struct results res;
	char out[64];
	size_t outlen = sizeof(out);

	ck_assert_int_eq(rx_substitute(b, "b", "abab", 4,
	    PCRE2_SUBSTITUTE_GLOBAL, "-", 1, out, &outlen), 2);
	ck_assert_uint_eq(outlen, 4);
	ck_assert(memcmp(out, "a-a-", 4) == 0);
	results_init(&res);
	ck_assert_int_eq(rx_scope_enter(&sc, 5000, 0, &res), 0);
	outlen = sizeof(out);
	ck_assert_int_lt(rx_substitute(re, "slow", SLOW_TEXT,
	    strlen(SLOW_TEXT), 0, "-", 1, out, &outlen), 0);
	ck_assert_ptr_nonnull(res.limit);
	rx_scope_leave(&sc);
	results_free(&res);
	pcre2_code_free(re);
	pcre2_code_free(b);
}
END_TEST

static void *
matcher(void *arg)
{
	const pcre2_code *re = arg;
	struct rx_scope sc;
	bool ok;

	if (rx_scope_enter(&sc, 0, 0, NULL) != 0)
		return NULL;
	ok = rx_search(re, NULL, "xxa", 3, 0, 0, NULL, 0) == 1;
	rx_scope_leave(&sc);
	return ok ? arg : NULL;
}

/* Each thread has its state, and takes it with it when it ends. */
START_TEST(test_threads)
{
	pcre2_code *re = compile("a");
	pthread_t t[8];
	unsigned before;

	/* This thread's own state, made before counting. */
	ck_assert_int_eq(rx_search(re, NULL, "a", 1, 0, 0, NULL, 0), 1);
	before = rx_threads();
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, matcher, re), 0);
	for (int i = 0; i < 8; i++) {
		void *r;

		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_ptr_eq(r, re);
	}
	ck_assert_uint_eq(rx_threads(), before);
	pcre2_code_free(re);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rx");
	TCase *tc = tcase_create("rx");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_builtins_compile);
	tcase_add_test(tc, test_builtin_broken);
	tcase_add_test(tc, test_search_captures);
	tcase_add_test(tc, test_scope_limits);
	tcase_add_test(tc, test_no_scope_defaults);
	tcase_add_test(tc, test_substitute);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
