/*
 * test_spf.c -- Warden's SPF checks (spf.h) over a table of records
 * (tests/auth/zone.h): macro expansion (every letter, transformers,
 * delimiters, URL escapes, IPv6 nibbles, the 253-byte cut), record
 * syntax at its edges, the limits, the identities, and records written
 * to hurt (long, many macros, deep includes).
 */
#include "autoconfig.h"

#include <string.h>

#include "spf.h"
#include "util.h"
#include "unit.h"
#include "../auth/zone.h"

static struct zone z;

static void
zone_reset(void)
{
	zone_clear(&z);
}

static void
rr(const char *name, const char *type, const char *value)
{
	zone_add(&z, name, zone_type(type), value, strlen(value));
}

/* check_host(ip, domain, sender) with the zone; the outcome in *o. */
static enum spf_result
check(const char *ip, const char *domain, const char *sender,
    struct spf_outcome *o)
{
	struct auth_dns dns;

	zone_dns(&z, &dns);
	spf_check_host(ip, domain, sender, "mx.example.org", "mail.example.net",
	    &dns, o);
	ck_assert_ptr_nonnull(o->why);
	ck_assert_ptr_nonnull(o->domain);
	return o->result;
}

/* The result's name for a record of example.com, client ip. */
static const char *
result_of(const char *record, const char *ip)
{
	struct spf_outcome o;
	static char name[16];

	zone_reset();
	rr("example.com", "TXT", record);
	check(ip, "example.com", "user@example.com", &o);
	snprintf(name, sizeof(name), "%s", spf_result_name(o.result));
	spf_outcome_free(&o);
	return name;
}

/*
 * The explanation of a "-all exp=" record of the sender's domain whose
 * text (at explain.example.com) is exp_text, for the sender and client
 * given: the expansion of exp_text.
 */
static char *
explained(const char *exp_text, const char *ip, const char *sender)
{
	const char *domain = strrchr(sender, '@') + 1;
	struct spf_outcome o;
	char *r;

	zone_reset();
	rr(domain, "TXT", "v=spf1 -all exp=explain.example.com");
	rr("explain.example.com", "TXT", exp_text);
	ck_assert_int_eq(check(ip, domain, sender, &o), SPF_FAIL);
	r = o.explanation ? xstrdup(o.explanation) : xstrdup("(none)");
	spf_outcome_free(&o);
	return r;
}

#define EXPLAINS(text, ip, sender, want) do {				\
	char *got_ = explained(text, ip, sender);			\
	ck_assert_str_eq(got_, want);					\
	free(got_);							\
} while (0)

/* Each macro letter, in an explanation (where all are allowed). */
START_TEST(test_macro_letters)
{
	const char *ip = "192.0.2.3", *s = "strong-bad@email.example.com";

	EXPLAINS("%{s}", ip, s, "strong-bad@email.example.com");
	EXPLAINS("%{o}", ip, s, "email.example.com");
	EXPLAINS("%{d}", ip, s, "email.example.com");
	EXPLAINS("%{l}", ip, s, "strong-bad");
	EXPLAINS("%{i}", ip, s, "192.0.2.3");
	EXPLAINS("%{c}", ip, s, "192.0.2.3");
	EXPLAINS("%{v}", ip, s, "in-addr");
	EXPLAINS("%{h}", ip, s, "mx.example.org");
	EXPLAINS("%{r}", ip, s, "mail.example.net");
	/* No local-part: postmaster. */
	EXPLAINS("%{l} %{s}", ip, "@example.com",
	    "postmaster postmaster@example.com");
	/* %%, %_, %- */
	EXPLAINS("100%% %_%-x", ip, s, "100%  %20x");
}
END_TEST

/* RFC 7208 section 7.4's examples. */
START_TEST(test_macro_rfc_examples)
{
	const char *s = "strong-bad@email.example.com";

	EXPLAINS("%{s}", "192.0.2.3", s, "strong-bad@email.example.com");
	EXPLAINS("%{o}", "192.0.2.3", s, "email.example.com");
	EXPLAINS("%{d}", "192.0.2.3", s, "email.example.com");
	EXPLAINS("%{d4}", "192.0.2.3", s, "email.example.com");
	EXPLAINS("%{d3}", "192.0.2.3", s, "email.example.com");
	EXPLAINS("%{d2}", "192.0.2.3", s, "example.com");
	EXPLAINS("%{d1}", "192.0.2.3", s, "com");
	EXPLAINS("%{dr}", "192.0.2.3", s, "com.example.email");
	EXPLAINS("%{d2r}", "192.0.2.3", s, "example.email");
	EXPLAINS("%{l}", "192.0.2.3", s, "strong-bad");
	EXPLAINS("%{l-}", "192.0.2.3", s, "strong.bad");
	EXPLAINS("%{lr}", "192.0.2.3", s, "strong-bad");
	EXPLAINS("%{lr-}", "192.0.2.3", s, "bad.strong");
	EXPLAINS("%{l1r-}", "192.0.2.3", s, "strong");
	EXPLAINS("%{ir}.%{v}._spf.%{d2}", "192.0.2.3", s,
	    "3.2.0.192.in-addr._spf.example.com");
	EXPLAINS("%{lr-}.lp._spf.%{d2}", "192.0.2.3", s,
	    "bad.strong.lp._spf.example.com");
	EXPLAINS("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "192.0.2.3", s,
	    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
	EXPLAINS("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "192.0.2.3", s,
	    "3.2.0.192.in-addr.strong.lp._spf.example.com");
	EXPLAINS("%{d2}.trusted-domains.example.net", "192.0.2.3", s,
	    "example.com.trusted-domains.example.net");
	EXPLAINS("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01", s,
	    "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2"
	    ".ip6._spf.example.com");
	EXPLAINS("%{c} %{v}", "2001:db8::cb01", s, "2001:db8::cb01 ip6");
	/* An IPv4-mapped client is an IPv4 one. */
	EXPLAINS("%{i} %{c} %{v}", "::ffff:192.0.2.3", s,
	    "192.0.2.3 192.0.2.3 in-addr");
}
END_TEST

/* Upper-case letters: URL-escaped, everything but unreserved. */
START_TEST(test_macro_escape)
{
	EXPLAINS("%{L}", "192.0.2.3", "a b&c=d~e_f.g-h/@example.com",
	    "a%20b%26c%3Dd~e_f.g-h%2F");
	EXPLAINS("%{S}", "192.0.2.3", "x@example.com", "x%40example.com");
	/* Delimiters: any of . - + , / _ =, several at once; joined by
	 * dots; more parts asked for than there are: all. */
	EXPLAINS("%{l+-}", "192.0.2.3", "a-b+c@example.com", "a.b.c");
	EXPLAINS("%{l9r+-,/_=.}", "192.0.2.3", "a=b_c/d,e@example.com",
	    "e.d.c.b.a");
	EXPLAINS("%{l2r+-}", "192.0.2.3", "foo-bar+zip+quux@example.com",
	    "bar.foo");
	/* Empty parts stay. */
	EXPLAINS("%{lr}", "192.0.2.3", "a..b@example.com", "b..a");
}
END_TEST

/* Explanations with errors are dropped, the fail stays. */
START_TEST(test_macro_explain_errors)
{
	const char *ip = "192.0.2.3", *s = "x@example.com";

	EXPLAINS("bad %{x}", ip, s, "(none)");
	EXPLAINS("bad %", ip, s, "(none)");
	EXPLAINS("bad %{d0}", ip, s, "(none)");
	EXPLAINS("bad %{d", ip, s, "(none)");
	EXPLAINS("bad %{d2r!}", ip, s, "(none)");
	EXPLAINS("bad \x01 control", ip, s, "(none)");
	/* An explanation over 1024 bytes is dropped, not cut. */
	{
		char text[1200];

		memset(text, 'x', sizeof(text) - 1);
		text[sizeof(text) - 1] = '\0';
		EXPLAINS(text, ip, s, "(none)");
	}
	/* %{t} is a number. */
	{
		char *t = explained("%{t}", ip, s);

		ck_assert(strlen(t) >= 10 && strspn(t, "0123456789") ==
		    strlen(t));
		free(t);
	}
}
END_TEST

/* Letters c, r, t are for explanations only; %{p} in a domain. */
START_TEST(test_macro_domain_letters)
{
	ck_assert_str_eq(result_of("v=spf1 a:%{c}.example.com", "192.0.2.3"),
	    "permerror");
	ck_assert_str_eq(result_of("v=spf1 exists:%{r}.example.com",
	    "192.0.2.3"), "permerror");
	ck_assert_str_eq(result_of("v=spf1 exists:%{t}.example.com",
	    "192.0.2.3"), "permerror");
	ck_assert_str_eq(result_of("v=spf1 -all exp=%{t}.example.com",
	    "192.0.2.3"), "permerror");
	ck_assert_str_eq(result_of("v=spf1 exists:%{x}.example.com",
	    "192.0.2.3"), "permerror");
	ck_assert_str_eq(result_of("v=spf1 exists:%{ir}.%{v}.%{d}.%{h}.%{l}"
	    ".%{o}.%{s}.%{p}.example.com -all", "192.0.2.3"), "fail");
}
END_TEST

/* A name longer than 253 bytes loses its left labels (7.3). */
START_TEST(test_macro_truncation)
{
	struct spf_outcome o;
	char local[256], want[300];

	zone_reset();
	/* local: 24 labels "abcdefg." -> %{l} + "." + ".e.example.com" */
	local[0] = '\0';
	for (int i = 0; i < 24; i++)
		strcat(local, i ? ".abcdefg" : "abcdefg");
	strcat(local, "@example.com");
	rr("example.com", "TXT", "v=spf1 exists:%{l}.%{l}.e.example.com -all");
	/* 2 * 191 + 1 + 14 = 397 bytes: cut to the rightmost whole labels
	 * of at most 253 bytes */
	want[0] = '\0';
	{
		const char *full = NULL;
		char buf[500];

		buf[0] = '\0';
		for (int i = 0; i < 48; i++)
			strcat(buf, "abcdefg.");
		strcat(buf, "e.example.com");
		full = buf;
		while (strlen(full) > 253)
			full = strchr(full, '.') + 1;
		snprintf(want, sizeof(want), "%s", full);
	}
	ck_assert_uint_le(strlen(want), 253);
	rr(want, "A", "127.0.0.2");
	ck_assert_int_eq(check("192.0.2.3", "example.com", local, &o),
	    SPF_PASS);
	spf_outcome_free(&o);
	/* A single label over 63 bytes from a macro: no such name. */
	zone_reset();
	rr("example.com", "TXT", "v=spf1 a:%{l}.example.com -all");
	ck_assert_int_eq(check("192.0.2.3", "example.com",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaa@example.com", &o), SPF_FAIL);
	spf_outcome_free(&o);
}
END_TEST

/* Macros multiplied: every expansion stays bounded. */
START_TEST(test_macro_bombs)
{
	struct spf_outcome o;
	struct buf rec, sender;

	buf_init(&rec, 0);
	buf_init(&sender, 0);
	for (int i = 0; i < 1000; i++)
		buf_puts(&sender, "x.");
	buf_puts(&sender, "@example.com");
	buf_puts(&rec, "v=spf1 exists:");
	while (rec.len < 4000)
		buf_puts(&rec, "%{S}");
	buf_puts(&rec, ".e.example.com -all");
	zone_reset();
	rr("example.com", "TXT", rec.p);
	check("192.0.2.3", "example.com", sender.p, &o);
	ck_assert_int_eq(o.result, SPF_FAIL);
	spf_outcome_free(&o);
	/* dotless values: the name cannot be built, no match */
	buf_reset(&sender);
	for (int i = 0; i < 1000; i++)
		buf_puts(&sender, "y");
	buf_puts(&sender, "@example.com");
	check("192.0.2.3", "example.com", sender.p, &o);
	ck_assert_int_eq(o.result, SPF_FAIL);
	spf_outcome_free(&o);
	/* a local-part over the value bound: no match either */
	buf_reset(&sender);
	for (int i = 0; i < 3000; i++)
		buf_puts(&sender, "z.");
	buf_puts(&sender, "@example.com");
	check("192.0.2.3", "example.com", sender.p, &o);
	ck_assert_int_eq(o.result, SPF_FAIL);
	spf_outcome_free(&o);
	buf_free(&rec);
	buf_free(&sender);
}
END_TEST

/* Record syntax at its edges. */
START_TEST(test_parse_edges)
{
	const char *ip = "192.0.2.3";

	ck_assert_str_eq(result_of("v=spf1", ip), "neutral");
	ck_assert_str_eq(result_of("v=spf1   ", ip), "neutral");
	ck_assert_str_eq(result_of("V=SPF1 -ALL", ip), "fail");
	ck_assert_str_eq(result_of("v=spf1 IP4:192.0.2.0/24 -all", ip),
	    "pass");
	ck_assert_str_eq(result_of("v=spf1 ip4:192.0.2.3/32", ip), "pass");
	ck_assert_str_eq(result_of("v=spf1 ?ip4:192.0.2.0/0", ip), "neutral");
	ck_assert_str_eq(result_of("v=spf1 ~ip4:192.0.2.3", ip), "softfail");
	ck_assert_str_eq(result_of("v=spf1 ip4:192.0.2.3/", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 ip4:192.0.2.03", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 ip4:192.0.2.256", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 ip4:192.0.2.3/1234", ip),
	    "permerror");
	ck_assert_str_eq(result_of("v=spf1 ip4:", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 ip6:2001:db8::/32 -all",
	    "2001:db8:1::1"), "pass");
	ck_assert_str_eq(result_of("v=spf1 ip6:2001:db8::/33 -all",
	    "2001:db8:8000::1"), "fail");
	ck_assert_str_eq(result_of("v=spf1 ip6:2001:db8::/", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 ip6:2001:db8:::1", ip),
	    "permerror");
	ck_assert_str_eq(result_of("v=spf1 +-all", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 -all\t", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 a:example.com/24//", ip),
	    "permerror");
	ck_assert_str_eq(result_of("v=spf1 a:example.com//0/24", ip),
	    "permerror");
	ck_assert_str_eq(result_of("v=spf1 mx:%{d}/24//64 -all", ip), "fail");
	ck_assert_str_eq(result_of("v=spf1 a:%{d} -all", ip), "fail");
	ck_assert_str_eq(result_of("v=spf1 a:%{d}. -all", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 exists:foo.%%", ip), "neutral");
	ck_assert_str_eq(result_of("v=spf1 exists:foo.example.com}", ip),
	    "permerror");
	ck_assert_str_eq(result_of("v=spf1 -all foo=bar=baz", ip), "fail");
	ck_assert_str_eq(result_of("v=spf1 -all foo=", ip), "fail");
	ck_assert_str_eq(result_of("v=spf1 -all +foo=bar", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 -all _foo=bar", ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 -all exp=a.b exp=a.b", ip),
	    "permerror");
	ck_assert_str_eq(result_of("v=spf1 -all REDIRECT=a.b redirect=a.b",
	    ip), "permerror");
	ck_assert_str_eq(result_of("v=spf1 include:%{d}", ip), "permerror");
	/* A record of 4096 bytes or more: the DNS layer may have cut it. */
	{
		char big[4200];

		strcpy(big, "v=spf1");
		while (strlen(big) < 4090)
			strcat(big, " ?all");
		ck_assert_str_eq(result_of(big, ip), "neutral");
		strcat(big, " ?all");
		ck_assert_str_eq(result_of(big, ip), "permerror");
	}
}
END_TEST

/* Which TXT records are SPF records. */
START_TEST(test_record_selection)
{
	struct spf_outcome o;

	zone_reset();
	rr("example.com", "TXT", "v=spf1x -all");
	rr("example.com", "TXT", "v=spf2 -all");
	rr("example.com", "TXT", "spf1 -all");
	ck_assert_int_eq(check("192.0.2.3", "example.com", "x@example.com",
	    &o), SPF_NONE);
	spf_outcome_free(&o);
	rr("example.com", "TXT", "v=spf1 -all");
	ck_assert_int_eq(check("192.0.2.3", "example.com", "x@example.com",
	    &o), SPF_FAIL);
	spf_outcome_free(&o);
	rr("example.com", "TXT", "V=Spf1 +all");
	ck_assert_int_eq(check("192.0.2.3", "example.com", "x@example.com",
	    &o), SPF_PERMERROR);
	spf_outcome_free(&o);
	/* no such domain, no TXT, a timeout */
	zone_reset();
	rr("example.com", "A", "192.0.2.3");
	rr("slow.example.com", "TIMEOUT", "");
	ck_assert_int_eq(check("192.0.2.3", "example.com", "x@example.com",
	    &o), SPF_NONE);
	spf_outcome_free(&o);
	ck_assert_int_eq(check("192.0.2.3", "nx.example.com", "", &o),
	    SPF_NONE);
	spf_outcome_free(&o);
	ck_assert_int_eq(check("192.0.2.3", "slow.example.com", "", &o),
	    SPF_TEMPERROR);
	spf_outcome_free(&o);
}
END_TEST

/* The limits: 10 terms with lookups, 2 void lookups, 10 MX names. */
START_TEST(test_limits)
{
	const char *ip = "192.0.2.3";
	struct spf_outcome o;

	zone_reset();
	rr("example.com", "TXT", "v=spf1 include:a.example.com -all");
	rr("a.example.com", "TXT", "v=spf1 include:b.example.com");
	rr("b.example.com", "TXT", "v=spf1 include:a.example.com");
	ck_assert_int_eq(check(ip, "example.com", "x@example.com", &o),
	    SPF_PERMERROR);
	ck_assert_uint_le(o.lookups, 12);
	ck_assert(strstr(o.why, "more than 10 DNS lookups") != NULL);
	spf_outcome_free(&o);
	/* redirect to itself */
	zone_reset();
	rr("example.com", "TXT", "v=spf1 redirect=example.com");
	ck_assert_int_eq(check(ip, "example.com", "x@example.com", &o),
	    SPF_PERMERROR);
	spf_outcome_free(&o);
	/* 10 a terms and an ip4 that matches: pass; 11: permerror */
	zone_reset();
	rr("example.com", "TXT", "v=spf1 a a a a a a a a a a ip4:192.0.2.3");
	rr("example.com", "A", "192.0.2.99");
	ck_assert_int_eq(check(ip, "example.com", "x@example.com", &o),
	    SPF_PASS);
	spf_outcome_free(&o);
	zone_reset();
	rr("example.com", "TXT", "v=spf1 a a a a a a a a a a a ip4:192.0.2.3");
	rr("example.com", "A", "192.0.2.99");
	ck_assert_int_eq(check(ip, "example.com", "x@example.com", &o),
	    SPF_PERMERROR);
	spf_outcome_free(&o);
	/* void lookups: two are fine, the third is a permerror */
	zone_reset();
	rr("example.com", "TXT", "v=spf1 a:n1.example.com exists:n2.example.com"
	    " ?all");
	ck_assert_int_eq(check(ip, "example.com", "x@example.com", &o),
	    SPF_NEUTRAL);
	spf_outcome_free(&o);
	zone_reset();
	rr("example.com", "TXT", "v=spf1 a:n1.example.com exists:n2.example.com"
	    " mx:n3.example.com ?all");
	ck_assert_int_eq(check(ip, "example.com", "x@example.com", &o),
	    SPF_PERMERROR);
	spf_outcome_free(&o);
	/* 11 MX names: permerror even when the first matches */
	zone_reset();
	rr("example.com", "TXT", "v=spf1 mx -all");
	for (int i = 0; i < 11; i++)
		rr("example.com", "MX", "mx.example.com");
	rr("mx.example.com", "A", "192.0.2.3");
	ck_assert_int_eq(check(ip, "example.com", "x@example.com", &o),
	    SPF_PERMERROR);
	spf_outcome_free(&o);
	/* a DNS timeout in a mechanism: temperror */
	zone_reset();
	rr("example.com", "TXT", "v=spf1 a:slow.example.com -all");
	rr("slow.example.com", "TIMEOUT", "");
	ck_assert_int_eq(check(ip, "example.com", "x@example.com", &o),
	    SPF_TEMPERROR);
	spf_outcome_free(&o);
}
END_TEST

/* ptr and %{p}: validated names only, the target's preferred. */
START_TEST(test_ptr)
{
	struct spf_outcome o;

	zone_reset();
	rr("example.com", "TXT", "v=spf1 ptr -all exp=e.example.com");
	rr("e.example.com", "TXT", "%{p}");
	rr("3.2.0.192.in-addr.arpa", "PTR", "other.example.net");
	rr("3.2.0.192.in-addr.arpa", "PTR", "mail.example.com");
	rr("3.2.0.192.in-addr.arpa", "PTR", "fake.example.com");
	rr("other.example.net", "A", "192.0.2.3");
	rr("mail.example.com", "A", "192.0.2.3");
	ck_assert_int_eq(check("192.0.2.3", "example.com", "x@example.com",
	    &o), SPF_PASS);
	spf_outcome_free(&o);
	zone_reset();
	rr("example.com", "TXT", "v=spf1 -all exp=e.example.com");
	rr("e.example.com", "TXT", "%{p}");
	rr("3.2.0.192.in-addr.arpa", "PTR", "other.example.net");
	rr("3.2.0.192.in-addr.arpa", "PTR", "mail.example.com");
	rr("other.example.net", "A", "192.0.2.3");
	rr("mail.example.com", "A", "192.0.2.3");
	ck_assert_int_eq(check("192.0.2.3", "example.com", "x@example.com",
	    &o), SPF_FAIL);
	ck_assert_str_eq(o.explanation, "mail.example.com");
	spf_outcome_free(&o);
	ck_assert_int_eq(check("192.0.2.4", "example.com", "x@example.com",
	    &o), SPF_FAIL);
	ck_assert_str_eq(o.explanation, "unknown");
	spf_outcome_free(&o);
	/* IPv6 */
	zone_reset();
	rr("example.com", "TXT", "v=spf1 ptr:example.com -all");
	rr("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	    ".ip6.arpa", "PTR", "MAIL.example.com.");
	rr("mail.example.com", "AAAA", "2001:db8::cb01");
	ck_assert_int_eq(check("2001:db8::cb01", "example.com",
	    "x@example.com", &o), SPF_PASS);
	spf_outcome_free(&o);
}
END_TEST

/* The identities: MAIL FROM, the null sender, HELO. */
START_TEST(test_identities)
{
	struct spf_request rq = { "192.0.2.3", "user@Example.COM.",
	    "helo.example.org", "mx.example.net" };
	struct auth_dns dns;
	struct spf_outcome o;

	zone_reset();
	rr("example.com", "TXT", "v=spf1 -all exp=e.example.com");
	rr("e.example.com", "TXT", "%{s} %{l} %{o} %{d} %{h} %{r}");
	rr("helo.example.org", "TXT", "v=spf1 ip4:192.0.2.3 -all");
	zone_dns(&z, &dns);
	spf_check_mailfrom(&rq, &dns, &o);
	ck_assert_int_eq(o.result, SPF_FAIL);
	ck_assert_str_eq(o.domain, "Example.COM");
	ck_assert_str_eq(o.explanation, "user@Example.COM user Example.COM "
	    "Example.COM helo.example.org mx.example.net");
	ck_assert_uint_eq(o.lookups, 2);
	spf_outcome_free(&o);
	rq.sender = "";
	spf_check_mailfrom(&rq, &dns, &o);
	ck_assert_int_eq(o.result, SPF_PASS);
	ck_assert_str_eq(o.domain, "helo.example.org");
	spf_outcome_free(&o);
	rq.sender = "<>";
	spf_check_mailfrom(&rq, &dns, &o);
	ck_assert_int_eq(o.result, SPF_PASS);
	spf_outcome_free(&o);
	spf_check_helo(&rq, &dns, &o);
	ck_assert_int_eq(o.result, SPF_PASS);
	spf_outcome_free(&o);
	/* HELO names that are no domain: none, nothing looked up */
	{
		const char *bad[] = { "[192.0.2.3]", "localhost", "a..b.com",
		    "bad name.com", "", "x.y\x01.com" };

		for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
			unsigned before = dns.nlookups;

			rq.helo = bad[i];
			spf_check_helo(&rq, &dns, &o);
			ck_assert_int_eq(o.result, SPF_NONE);
			ck_assert_uint_eq(dns.nlookups, before);
			spf_outcome_free(&o);
		}
		rq.helo = NULL;
		spf_check_helo(&rq, &dns, &o);
		ck_assert_int_eq(o.result, SPF_NONE);
		spf_outcome_free(&o);
		spf_check_mailfrom(&rq, &dns, &o);
		ck_assert_int_eq(o.result, SPF_NONE);
		spf_outcome_free(&o);
	}
	/* no client address */
	rq.ip = "not-an-address";
	rq.sender = "user@example.com";
	spf_check_mailfrom(&rq, &dns, &o);
	ck_assert_int_eq(o.result, SPF_NONE);
	spf_outcome_free(&o);
}
END_TEST

START_TEST(test_result_names)
{
	ck_assert_str_eq(spf_result_name(SPF_NONE), "none");
	ck_assert_str_eq(spf_result_name(SPF_NEUTRAL), "neutral");
	ck_assert_str_eq(spf_result_name(SPF_PASS), "pass");
	ck_assert_str_eq(spf_result_name(SPF_FAIL), "fail");
	ck_assert_str_eq(spf_result_name(SPF_SOFTFAIL), "softfail");
	ck_assert_str_eq(spf_result_name(SPF_TEMPERROR), "temperror");
	ck_assert_str_eq(spf_result_name(SPF_PERMERROR), "permerror");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spf");
	TCase *tc = tcase_create("spf");
	int r;

	tcase_add_test(tc, test_macro_letters);
	tcase_add_test(tc, test_macro_rfc_examples);
	tcase_add_test(tc, test_macro_escape);
	tcase_add_test(tc, test_macro_explain_errors);
	tcase_add_test(tc, test_macro_domain_letters);
	tcase_add_test(tc, test_macro_truncation);
	tcase_add_test(tc, test_macro_bombs);
	tcase_add_test(tc, test_parse_edges);
	tcase_add_test(tc, test_record_selection);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_ptr);
	tcase_add_test(tc, test_identities);
	tcase_add_test(tc, test_result_names);
	suite_add_tcase(s, tc);
	r = unit_run(s);
	zone_clear(&z);
	return r;
}
