/*
 * test_verdict.c -- Warden's verdict function with synthetic results:
 * scores against the thresholds, the order of precedence (virus >
 * internal error or timeout > rule decision > antivirus error /
 * heuristic / limit > score), broken invariants, the replies, the headers added (none on reject), the
 * X-Spam-Status text, the Subject tag and the virus name in the reply.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "results.h"
#include "log.h"
#include "verdict.h"
#include "unit.h"

#define VERSION_TAIL " version=Warden-" PACKAGE_VERSION

static struct config *
cfg_load(const char *text)
{
	struct diag d;
	struct config *c;

	diag_init(&d);
	c = config_load_string("verdict.conf", text, &d);
	ck_assert_msg(c != NULL, "%s", d.errors.n ? d.errors.v[0] : "?");
	diag_free(&d);
	return c;
}

/* The value of header name in v, or NULL. */
static const char *
hdr(const struct verdict *v, const char *name)
{
	for (size_t i = 0; i < v->hdr_names.n; i++)
		if (strcmp(v->hdr_names.v[i], name) == 0)
			return v->hdr_values.v[i];
	return NULL;
}

/* Decide with a score and nothing else. */
static enum action
by_score(const struct config *c, double score)
{
	struct results r;
	struct verdict v;
	enum action a;

	results_init(&r);
	r.score = score;
	verdict_decide(c, &r, NULL, &v);
	a = v.action;
	verdict_free(&v);
	results_free(&r);
	return a;
}

/* The thresholds: tag at 5, quarantine at 10, reject at 15 (defaults). */
START_TEST(test_thresholds)
{
	struct config *c = cfg_load("");

	ck_assert_int_eq(by_score(c, -3.0), ACT_ACCEPT);
	ck_assert_int_eq(by_score(c, 0.0), ACT_ACCEPT);
	ck_assert_int_eq(by_score(c, 4.99), ACT_ACCEPT);
	ck_assert_int_eq(by_score(c, 5.0), ACT_TAG);
	ck_assert_int_eq(by_score(c, 9.9), ACT_TAG);
	ck_assert_int_eq(by_score(c, 10.0), ACT_QUARANTINE);
	ck_assert_int_eq(by_score(c, 14.9), ACT_QUARANTINE);
	ck_assert_int_eq(by_score(c, 15.0), ACT_REJECT);
	ck_assert_int_eq(by_score(c, 1000.0), ACT_REJECT);
	config_free(c);

	c = cfg_load("tag_score = 2\nquarantine_score = 3\nreject_score = 4\n");
	ck_assert_int_eq(by_score(c, 1.9), ACT_ACCEPT);
	ck_assert_int_eq(by_score(c, 2.0), ACT_TAG);
	ck_assert_int_eq(by_score(c, 3.5), ACT_QUARANTINE);
	ck_assert_int_eq(by_score(c, 4.0), ACT_REJECT);
	config_free(c);
}
END_TEST

/* A clean message: accepted with "No, score=0.0 required=5.0 tests=none". */
START_TEST(test_clean_headers)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;

	results_init(&r);
	verdict_decide(c, &r, "Hello", &v);
	ck_assert_int_eq(v.action, ACT_ACCEPT);
	ck_assert_str_eq(v.status,
	    "No, score=0.0 required=5.0 tests=none" VERSION_TAIL);
	ck_assert_uint_eq(v.hdr_names.n, 1);
	ck_assert_uint_eq(v.hdr_values.n, 1);
	ck_assert_str_eq(v.hdr_names.v[0], "X-Spam-Status");
	ck_assert_str_eq(v.hdr_values.v[0], v.status);
	ck_assert_ptr_null(hdr(&v, "X-Spam-Flag"));
	ck_assert_ptr_null(hdr(&v, "X-Virus-Scanned"));
	ck_assert_ptr_null(v.new_subject);
	ck_assert_ptr_null(v.reply.text);
	ck_assert_ptr_null(v.quarantine_reason);
	ck_assert_str_eq(v.why, "score");
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* Tagged: the flag, the hit names sorted, "__" sub-rules left out. */
START_TEST(test_tag_headers)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;

	results_init(&r);
	results_add_hit(&r, "RULE_B", "body", NULL, 4.0, "x", 1);
	results_add_hit(&r, "__SUB", "body", NULL, 0.0, NULL, 0);
	results_add_hit(&r, "RULE_A", "header", NULL, 3.2, NULL, 0);
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_TAG);
	ck_assert_str_eq(v.status,
	    "Yes, score=7.2 required=5.0 tests=RULE_A,RULE_B" VERSION_TAIL);
	ck_assert_str_eq(hdr(&v, "X-Spam-Flag"), "YES");
	ck_assert_str_eq(hdr(&v, "X-Spam-Status"), v.status);
	ck_assert_ptr_null(v.new_subject);	/* no subject_tag configured */
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* Quarantine: headers, and a reason that says why and the score. */
START_TEST(test_quarantine)
{
	struct config *c = cfg_load("quarantine_reason = held for review\n");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.score = 12.0;
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_QUARANTINE);
	ck_assert_str_eq(v.quarantine_reason,
	    "held for review (score, score=12.0)");
	ck_assert_str_eq(hdr(&v, "X-Spam-Flag"), "YES");
	ck_assert_ptr_nonnull(hdr(&v, "X-Spam-Status"));
	ck_assert_ptr_null(v.reply.text);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* Reject: the configured reply, and no headers at all. */
START_TEST(test_reject_no_headers)
{
	struct config *c = cfg_load("reject_reply = 554 5.7.1 Not here\n");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.score = 20.0;
	r.av = AV_CLEAN;
	verdict_decide(c, &r, "Subject", &v);
	ck_assert_int_eq(v.action, ACT_REJECT);
	ck_assert_str_eq(v.reply.code, "554");
	ck_assert_str_eq(v.reply.xcode, "5.7.1");
	ck_assert_str_eq(v.reply.text, "Not here");
	ck_assert_uint_eq(v.hdr_names.n, 0);
	ck_assert_uint_eq(v.hdr_values.n, 0);
	ck_assert_ptr_null(v.new_subject);
	/* The status is still computed, for the log and warden scan. */
	ck_assert(strncmp(v.status, "Yes, score=20.0 required=5.0", 28) == 0);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* An internal error beats a rule's accept and any score. */
START_TEST(test_internal_error_first)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.score = 100.0;
	results_decide(&r, ACT_ACCEPT, NULL, "WHITELIST");
	results_set_error(&r, "spool write failed: %s", "disk full");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_TEMPFAIL);
	ck_assert_str_eq(v.reply.code, "451");
	ck_assert_str_eq(v.reply.xcode, "4.7.1");
	ck_assert_str_eq(v.why, "internal error");
	ck_assert_uint_eq(v.hdr_names.n, 0);
	verdict_free(&v);
	config_free(c);

	/* ... and follows on_internal_error. */
	c = cfg_load("on_internal_error = accept\n");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_ACCEPT);
	ck_assert_ptr_nonnull(hdr(&v, "X-Spam-Status"));
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* A scan timeout takes on_timeout, ahead of a rule and the score. */
START_TEST(test_timeout)
{
	struct config *c = cfg_load("on_timeout = discard\n");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.timed_out = true;
	r.score = 100.0;
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_DISCARD);
	ck_assert_str_eq(v.why, "scan timeout");
	ck_assert_uint_eq(v.hdr_names.n, 0);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/*
 * A virus already found always wins over a later timeout or internal
 * error, whatever on_timeout and on_internal_error say: with "accept"
 * there, the virus would otherwise be delivered.
 */
START_TEST(test_virus_over_trouble)
{
	static const char *const confs[] = {
		"on_timeout = accept\non_internal_error = accept\n",
		"on_timeout = tempfail\non_internal_error = tempfail\n",
		"virus_action = quarantine\non_timeout = accept\n"
		    "on_internal_error = accept\n",
	};

	for (size_t i = 0; i < ARRAY_LEN(confs); i++)
		for (int trouble = 0; trouble < 3; trouble++) {
			struct config *c = cfg_load(confs[i]);
			struct results r;
			struct verdict v;

			results_init(&r);
			r.av = AV_VIRUS;
			r.virus = xstrdup("Eicar-Signature");
			if (trouble != 1)
				r.timed_out = true;
			if (trouble != 0)
				results_set_error(&r, "scan failed");
			verdict_decide(c, &r, NULL, &v);
			ck_assert_int_eq(v.action, c->virus_action);
			ck_assert_str_eq(v.why, "virus");
			if (v.action == ACT_REJECT)
				ck_assert_ptr_nonnull(strstr(v.reply.text,
				    "Eicar-Signature"));
			verdict_free(&v);
			results_free(&r);
			config_free(c);
		}
}
END_TEST

/*
 * Actions that validation keeps out of the verdict ("scan", "none") are
 * a broken invariant: logged as a panic and answered with tempfail, never
 * accepted.
 */
START_TEST(test_broken_invariant_tempfails)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;
	unsigned before;

	/* A rule's decision that cannot be one. */
	results_init(&r);
	r.decided.action = ACT_SCAN;
	r.decided.source = xstrdup("BROKEN");
	before = log_panic_count();
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_TEMPFAIL);
	ck_assert_str_eq(v.reply.code, "451");
	ck_assert_uint_eq(log_panic_count(), before + 1);
	verdict_free(&v);
	results_free(&r);

	/* An internal-error action that validation would refuse. */
	c->on_internal_error = ACT_NONE;
	results_init(&r);
	results_set_error(&r, "scan failed");
	before = log_panic_count();
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_TEMPFAIL);
	ck_assert_uint_eq(log_panic_count(), before + 1);
	verdict_free(&v);
	results_free(&r);

	/* A limit action of "none" or out of range. */
	c->on_internal_error = ACT_TEMPFAIL;
	c->on_limit_exceeded = (enum action)99;
	results_init(&r);
	results_set_limit(&r, "mime_parts");
	before = log_panic_count();
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_TEMPFAIL);
	ck_assert_uint_eq(log_panic_count(), before + 1);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* A virus beats a rule's accept; the reply names the virus. */
START_TEST(test_virus_over_rule)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;

	results_init(&r);
	results_decide(&r, ACT_ACCEPT, NULL, "WHITELIST");
	r.av = AV_VIRUS;
	r.virus = xstrdup("Eicar-Signature");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_REJECT);
	ck_assert_str_eq(v.why, "virus");
	ck_assert_str_eq(v.reply.code, "554");
	ck_assert_str_eq(v.reply.xcode, "5.7.1");
	ck_assert_str_eq(v.reply.text,
	    "Message rejected: virus found (Eicar-Signature)");
	ck_assert_uint_eq(v.hdr_names.n, 0);
	verdict_free(&v);
	/* The configured reply keeps its text around the name. */
	free(r.virus);
	r.virus = NULL;		/* unnamed */
	config_free(c);
	c = cfg_load("virus_reply = 550 5.7.0 Infected: %s, go away\n");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_str_eq(v.reply.code, "550");
	ck_assert_str_eq(v.reply.text, "Infected: unknown, go away");
	verdict_free(&v);
	config_free(c);
	/* A reply without %s is used as it is. */
	c = cfg_load("virus_reply = 554 Virus found\n");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_str_eq(v.reply.text, "Virus found");
	ck_assert_str_eq(v.reply.xcode, "");
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* virus_action = quarantine: held, with the infected status header. */
START_TEST(test_virus_quarantine)
{
	struct config *c = cfg_load("virus_action = quarantine\n");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.av = AV_VIRUS;
	r.virus = xstrdup("Win.Test.EICAR_HDB-1");
	r.av_version = xstrdup("ClamAV 1.0.0/27000");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_QUARANTINE);
	ck_assert_str_eq(hdr(&v, "X-Virus-Status"),
	    "Infected (Win.Test.EICAR_HDB-1)");
	ck_assert_str_eq(hdr(&v, "X-Virus-Scanned"),
	    "Warden " PACKAGE_VERSION " (ClamAV 1.0.0/27000)");
	ck_assert_ptr_nonnull(strstr(v.quarantine_reason, "virus"));
	ck_assert_ptr_null(v.reply.text);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* A rule's decision beats the score and the antivirus trouble. */
START_TEST(test_rule_decision)
{
	struct config *c = cfg_load("");
	struct results r;
	struct reply rep;
	struct verdict v;
	const char *why;

	/* A rule's accept over a reject score and an antivirus error. */
	results_init(&r);
	r.score = 50.0;
	r.av = AV_ERROR;
	results_decide(&r, ACT_ACCEPT, NULL, "WHITELIST_FROM");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_ACCEPT);
	ck_assert_str_eq(v.why, "WHITELIST_FROM");
	verdict_free(&v);
	results_free(&r);

	/* A rule's reject with its own reply, over a clean score. */
	results_init(&r);
	ck_assert_int_eq(reply_parse("550 5.7.1 Executables are not accepted",
	    5, &rep, &why), 0);
	results_decide(&r, ACT_REJECT, &rep, "EXE_ATTACHMENT");
	reply_free(&rep);
	/* A second decision does not replace the first. */
	results_decide(&r, ACT_ACCEPT, NULL, "LATER");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_REJECT);
	ck_assert_str_eq(v.reply.text, "Executables are not accepted");
	ck_assert_str_eq(v.why, "EXE_ATTACHMENT");
	verdict_free(&v);
	results_free(&r);

	/* A rule's reject without a reply uses reject_reply. */
	results_init(&r);
	results_decide(&r, ACT_REJECT, NULL, "R");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_str_eq(v.reply.text, c->reject_reply.text);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* An antivirus error takes on_av_error unless the score is more severe. */
START_TEST(test_av_error)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.av = AV_ERROR;
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_TEMPFAIL);
	ck_assert_str_eq(v.why, "antivirus error");
	ck_assert_str_eq(v.reply.code, "451");
	verdict_free(&v);
	r.score = 20.0;
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_REJECT);	/* more severe */
	verdict_free(&v);
	config_free(c);

	c = cfg_load("on_av_error = accept\n");
	r.score = 6.0;
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_TAG);
	ck_assert_str_eq(hdr(&v, "X-Virus-Status"), "Unscanned (error)");
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* A heuristic detection takes heuristic_action, not virus_action. */
START_TEST(test_heuristic)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.av = AV_HEURISTIC;
	r.virus = xstrdup("Heuristics.Phishing.Email");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_TAG);
	ck_assert_str_eq(v.why, "antivirus heuristic");
	ck_assert_str_eq(hdr(&v, "X-Spam-Flag"), "YES");
	ck_assert_str_eq(hdr(&v, "X-Virus-Status"),
	    "Infected (Heuristics.Phishing.Email)");
	/* The score itself is still below tag_score: status says No. */
	ck_assert(strncmp(v.status, "No, ", 4) == 0);
	verdict_free(&v);
	config_free(c);

	c = cfg_load("heuristic_action = reject\n");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_REJECT);
	ck_assert_str_eq(v.reply.text, c->reject_reply.text);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* A limit: "scan" lets the score decide, anything else is a candidate. */
START_TEST(test_limit)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;

	results_init(&r);
	results_set_limit(&r, "header_count");
	results_set_limit(&r, "second");	/* the first one is kept */
	r.partial = true;
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_ACCEPT);
	ck_assert_str_eq(v.status, "No, score=0.0 required=5.0 tests=none "
	    "scan=partial limit=header_count" VERSION_TAIL);
	verdict_free(&v);
	config_free(c);

	c = cfg_load("on_limit_exceeded = quarantine\n");
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_QUARANTINE);
	ck_assert_str_eq(v.why, "limit exceeded");
	verdict_free(&v);
	r.score = 16.0;			/* reject is more severe */
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_REJECT);
	ck_assert_str_eq(v.why, "score");
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* A clean scan adds the virus header pair. */
START_TEST(test_av_clean_headers)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.av = AV_CLEAN;
	verdict_decide(c, &r, NULL, &v);
	ck_assert_int_eq(v.action, ACT_ACCEPT);
	ck_assert_str_eq(hdr(&v, "X-Virus-Scanned"), "Warden " PACKAGE_VERSION);
	ck_assert_str_eq(hdr(&v, "X-Virus-Status"), "Clean");
	ck_assert_uint_eq(v.hdr_names.n, 3);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* subject_tag goes in front of the Subject once, only when tagged. */
START_TEST(test_subject_tag)
{
	struct config *c = cfg_load("subject_tag = [SPAM]\n");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.score = 6.0;
	verdict_decide(c, &r, "Cheap pills", &v);
	ck_assert_str_eq(v.new_subject, "[SPAM] Cheap pills");
	verdict_free(&v);
	verdict_decide(c, &r, "  [SPAM] Cheap pills", &v);
	ck_assert_ptr_null(v.new_subject);	/* already tagged */
	verdict_free(&v);
	verdict_decide(c, &r, NULL, &v);
	ck_assert_str_eq(v.new_subject, "[SPAM] ");
	verdict_free(&v);
	r.score = 20.0;				/* rejected: nothing to tag */
	verdict_decide(c, &r, "Cheap pills", &v);
	ck_assert_ptr_null(v.new_subject);
	verdict_free(&v);
	r.score = 1.0;				/* clean */
	verdict_decide(c, &r, "Hello", &v);
	ck_assert_ptr_null(v.new_subject);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

/* verdict_free leaves an empty verdict that can be freed again. */
START_TEST(test_free_twice)
{
	struct config *c = cfg_load("");
	struct results r;
	struct verdict v;

	results_init(&r);
	r.score = 12.0;
	verdict_decide(c, &r, "x", &v);
	verdict_free(&v);
	ck_assert_ptr_null(v.status);
	ck_assert_uint_eq(v.hdr_names.n, 0);
	verdict_free(&v);
	results_free(&r);
	config_free(c);
}
END_TEST

static Suite *
verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_thresholds);
	tcase_add_test(tc, test_clean_headers);
	tcase_add_test(tc, test_tag_headers);
	tcase_add_test(tc, test_quarantine);
	tcase_add_test(tc, test_reject_no_headers);
	tcase_add_test(tc, test_internal_error_first);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_virus_over_trouble);
	tcase_add_test(tc, test_broken_invariant_tempfails);
	tcase_add_test(tc, test_virus_over_rule);
	tcase_add_test(tc, test_virus_quarantine);
	tcase_add_test(tc, test_rule_decision);
	tcase_add_test(tc, test_av_error);
	tcase_add_test(tc, test_heuristic);
	tcase_add_test(tc, test_limit);
	tcase_add_test(tc, test_av_clean_headers);
	tcase_add_test(tc, test_subject_tag);
	tcase_add_test(tc, test_free_twice);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(verdict_suite());
}
