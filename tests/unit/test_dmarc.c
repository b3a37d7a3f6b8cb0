/*
 * test_dmarc.c -- DMARC: record parsing (RFC 7489 section 6.3, 6.6.3),
 * organizational domains (the Public Suffix List), the alignment table
 * (strict and relaxed, SPF and DKIM, rsa-sha1 never counting), the
 * record found at the organizational domain, sp= and np=, several
 * records, DNS errors, and pct= sampling, over a table of answers.
 */
#include "autoconfig.h"

#include <string.h>

#include "auth.h"
#include "dmarc.h"
#include "util.h"
#include "unit.h"

START_TEST(test_records)
{
	struct dmarc_record r;

	ck_assert_int_eq(dmarc_record_parse("v=DMARC1; p=reject", &r), 0);
	ck_assert_int_eq(r.p, DP_REJECT);
	ck_assert_uint_eq(r.pct, 100);
	ck_assert(!r.adkim_strict && !r.aspf_strict);
	ck_assert_int_eq(dmarc_record_parse("v=DMARC1;p=quarantine;sp=none;"
	    "adkim=s; aspf=s; pct=25; np=reject;", &r), 0);
	ck_assert_int_eq(r.p, DP_QUARANTINE);
	ck_assert_int_eq(r.sp, DP_NONE);
	ck_assert_int_eq(r.np, DP_REJECT);
	ck_assert(r.adkim_strict && r.aspf_strict);
	ck_assert_uint_eq(r.pct, 25);
	/* v= must come first, exactly. */
	ck_assert_int_eq(dmarc_record_parse("p=reject; v=DMARC1", &r), -1);
	ck_assert_int_eq(dmarc_record_parse("v=DMARC2; p=reject", &r), -1);
	ck_assert_int_eq(dmarc_record_parse("v=spf1 -all", &r), -1);
	ck_assert_int_eq(dmarc_record_parse("", &r), -1);
	/* No valid p=: none when there is a report address, else no record. */
	ck_assert_int_eq(dmarc_record_parse("v=DMARC1; p=bogus", &r), -1);
	ck_assert_int_eq(dmarc_record_parse("v=DMARC1; rua=mailto:a@b.example",
	    &r), 0);
	ck_assert_int_eq(r.p, DP_NONE);
	/* A bad pct= is ignored. */
	ck_assert_int_eq(dmarc_record_parse("v=DMARC1; p=none; pct=200", &r),
	    0);
	ck_assert_uint_eq(r.pct, 100);
}
END_TEST

START_TEST(test_org_domains)
{
	char *o;

	o = dmarc_org_domain("mail.example.com");
	ck_assert_str_eq(o, "example.com");
	free(o);
	o = dmarc_org_domain("a.b.example.co.uk");
	ck_assert_str_eq(o, "example.co.uk");
	free(o);
	o = dmarc_org_domain("Example.COM.");
	ck_assert_str_eq(o, "example.com");
	free(o);
	ck_assert_ptr_null(dmarc_org_domain("co.uk"));
	ck_assert_ptr_null(dmarc_org_domain(""));
}
END_TEST

/* Answers from a table: "NAME TYPE VALUE", VALUE NXDOMAIN or SERVFAIL. */
static const char *const *table;

static enum dns_status
stub(void *arg, const char *name, int type, struct strlist *out)
{
	bool seen = false;

	(void)arg;
	for (const char *const *t = table; *t; t += 3) {
		if (strcasecmp(t[0], name) != 0)
			continue;
		seen = true;
		if (strcmp(t[2], "SERVFAIL") == 0)
			return DNS_ERROR;
		if (strcmp(t[1], dns_type_name(type)) == 0)
			strlist_add(out, t[2]);
	}
	return out->n ? DNS_OK : seen ? DNS_NODATA : DNS_NXDOMAIN;
}

static struct dkim_sig sig_ok = { .status = DKIM_PASS, .d = "example.com" };

static void
run(const char *from, const char *spfdom, enum spf_result spf,
    struct dkim_sig *sig, struct dmarc_outcome *o)
{
	struct auth_dns dns = { stub, NULL, 0 };
	struct dkim_results dk = { sig, sig ? 1 : 0, 0 };
	struct dmarc_input in = { from, spfdom, spf, &dk };

	dmarc_check(&in, &dns, o);
}

START_TEST(test_alignment)
{
	static const char *const zone[] = {
		"_dmarc.example.com", "TXT", "v=DMARC1; p=reject; sp=quarantine",
		"_dmarc.strict.example", "TXT",
		"v=DMARC1; p=reject; adkim=s; aspf=s",
		"_dmarc.two.example", "TXT", "v=DMARC1; p=reject",
		"_dmarc.two.example", "TXT", "v=DMARC1; p=none",
		"_dmarc.broken.example", "SERVFAIL", "SERVFAIL",
		"_dmarc.np.example", "TXT", "v=DMARC1; p=none; np=reject",
		"exists.np.example", "A", "192.0.2.1",
		NULL };
	struct dmarc_outcome o;
	struct dkim_sig s = sig_ok, sub = { .status = DKIM_PASS,
	    .d = "mail.strict.example" }, sha1 = { .status = DKIM_PASS,
	    .d = "example.com", .sha1 = true }, failed = { .status = DKIM_FAIL,
	    .d = "example.com" };

	table = zone;
	/* DKIM aligned exactly: pass. */
	run("example.com", NULL, SPF_NONE, &s, &o);
	ck_assert_int_eq(o.result, DMARC_PASS);
	ck_assert(o.dkim_aligned && !o.spf_aligned);
	dmarc_outcome_free(&o);
	/* Relaxed: a subdomain's signature aligns with the parent. */
	s.d = "mail.example.com";
	run("example.com", NULL, SPF_NONE, &s, &o);
	ck_assert_int_eq(o.result, DMARC_PASS);
	dmarc_outcome_free(&o);
	/* Strict: it does not; SPF of a subdomain does not either. */
	run("strict.example", "mail.strict.example", SPF_PASS, &sub, &o);
	ck_assert_int_eq(o.result, DMARC_FAIL);
	ck_assert_int_eq(o.disposition, DP_REJECT);
	dmarc_outcome_free(&o);
	/* SPF pass aligned (relaxed) alone passes; softfail does not. */
	run("example.com", "bounce.example.com", SPF_PASS, NULL, &o);
	ck_assert_int_eq(o.result, DMARC_PASS);
	ck_assert(o.spf_aligned);
	dmarc_outcome_free(&o);
	run("example.com", "example.com", SPF_SOFTFAIL, NULL, &o);
	ck_assert_int_eq(o.result, DMARC_FAIL);
	dmarc_outcome_free(&o);
	/* rsa-sha1 and failed signatures never align. */
	run("example.com", NULL, SPF_NONE, &sha1, &o);
	ck_assert_int_eq(o.result, DMARC_FAIL);
	dmarc_outcome_free(&o);
	run("example.com", NULL, SPF_NONE, &failed, &o);
	ck_assert_int_eq(o.result, DMARC_FAIL);
	ck_assert_int_eq(o.policy, DP_REJECT);
	dmarc_outcome_free(&o);
	/* A subdomain without a record: the organizational domain's,
	 * with its sp=. */
	run("news.example.com", "x.other.example", SPF_PASS, NULL, &o);
	ck_assert_int_eq(o.result, DMARC_FAIL);
	ck_assert_str_eq(o.record_domain, "example.com");
	ck_assert_int_eq(o.policy, DP_QUARANTINE);
	dmarc_outcome_free(&o);
	/* np= for a subdomain that does not exist, sp/p for one that does. */
	run("ghost.np.example", NULL, SPF_NONE, NULL, &o);
	ck_assert_int_eq(o.policy, DP_REJECT);
	dmarc_outcome_free(&o);
	run("exists.np.example", NULL, SPF_NONE, NULL, &o);
	ck_assert_int_eq(o.policy, DP_NONE);
	dmarc_outcome_free(&o);
	/* Two records: none; no record: none; SERVFAIL: temperror. */
	run("two.example", NULL, SPF_NONE, NULL, &o);
	ck_assert_int_eq(o.result, DMARC_NONE);
	dmarc_outcome_free(&o);
	run("nothing.example", NULL, SPF_NONE, NULL, &o);
	ck_assert_int_eq(o.result, DMARC_NONE);
	dmarc_outcome_free(&o);
	run("broken.example", NULL, SPF_NONE, NULL, &o);
	ck_assert_int_eq(o.result, DMARC_TEMPERROR);
	dmarc_outcome_free(&o);
	/* No From domain: not checked. */
	run(NULL, NULL, SPF_NONE, NULL, &o);
	ck_assert_int_eq(o.result, DMARC_NONE);
	dmarc_outcome_free(&o);
}
END_TEST

START_TEST(test_pct)
{
	static const char *const zone[] = {
		"_dmarc.half.example", "TXT", "v=DMARC1; p=reject; pct=50",
		"_dmarc.zero.example", "TXT", "v=DMARC1; p=quarantine; pct=0",
		NULL };
	struct dmarc_outcome o;
	unsigned rejected = 0;

	table = zone;
	for (int i = 0; i < 400; i++) {
		run("half.example", NULL, SPF_NONE, NULL, &o);
		ck_assert(o.disposition == DP_REJECT ||
		    o.disposition == DP_QUARANTINE);
		rejected += o.disposition == DP_REJECT;
		dmarc_outcome_free(&o);
	}
	/* About half (400 draws: far outside 100..300 is a broken sample). */
	ck_assert_uint_gt(rejected, 100);
	ck_assert_uint_lt(rejected, 300);
	run("zero.example", NULL, SPF_NONE, NULL, &o);
	ck_assert_int_eq(o.policy, DP_QUARANTINE);
	ck_assert_int_eq(o.disposition, DP_NONE);
	dmarc_outcome_free(&o);
}
END_TEST

/* The From domain DMARC takes, and the authserv-id of a field. */
START_TEST(test_from_domain)
{
	static const struct { const char *v, *want; } c[] = {
		{ "Someone <Some.One@Example.COM>", "example.com" },
		{ "\"Doe, John\" <j@b.example>", "b.example" },
		{ "plain@host.example.", "host.example" },
		{ "(comment <x@y.example>) a@z.example", "z.example" },
		{ "a@b.example, c@d.example", NULL },
		{ "undisclosed-recipients:;", NULL },
		{ "(only a comment)", NULL },
		{ "", NULL },
		{ "a@bad domain.example", NULL },
	};

	for (size_t i = 0; i < ARRAY_LEN(c); i++) {
		char *d = auth_from_domain(c[i].v);

		if (c[i].want == NULL)
			ck_assert_msg(d == NULL, "%s: got %s", c[i].v, d);
		else {
			ck_assert_msg(d != NULL, "%s: none", c[i].v);
			ck_assert_str_eq(d, c[i].want);
		}
		free(d);
	}
	ck_assert(auth_header_claims("mx.example.com; spf=pass",
	    "mx.example.com"));
	ck_assert(auth_header_claims(" MX.Example.Com (x); dkim=none",
	    "mx.example.com"));
	ck_assert(!auth_header_claims("mx.example.com.evil; spf=pass",
	    "mx.example.com"));
	ck_assert(!auth_header_claims("other.example; spf=pass",
	    "mx.example.com"));
	ck_assert(!auth_header_claims("mx.example.com; x", ""));
}
END_TEST

static Suite *
dmarc_suite(void)
{
	Suite *s = suite_create("dmarc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_records);
	tcase_add_test(tc, test_org_domains);
	tcase_add_test(tc, test_alignment);
	tcase_add_test(tc, test_pct);
	tcase_add_test(tc, test_from_domain);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(dmarc_suite());
}
