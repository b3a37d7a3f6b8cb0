/*
 * test_relays.c -- Received header dialects, the relay chain with the
 * MTA's client, trust (configured and inferred), SpamAssassin's
 * X-Spam-Relays-* text, and the hops of originating_ip_headers.
 */
#include "autoconfig.h"

#include "relays.h"
#include "rules_int.h"
#include "unit.h"
#include "unit_rules.h"

static const struct {
	const char *rcvd;
	const char *ip, *rdns, *helo, *by, *ident, *envfrom, *id, *auth;
} parse_ok[] = {
	/* Postfix */
	{ "from mail.example.com (mail.example.com [192.0.2.10])\n"
	  "\tby mx.warden.test (Postfix) with ESMTP id 4AB12C3\n"
	  "\tfor <u@warden.test>; Mon, 2 Jan 2023 10:00:00 +0000",
	  "192.0.2.10", "mail.example.com", "mail.example.com",
	  "mx.warden.test", "", "", "4AB12C3", "" },
	/* Postfix, no reverse name */
	{ "from helo.example (unknown [198.51.100.7]) by mx.warden.test "
	  "(Postfix) with SMTP id X1; Mon, 2 Jan 2023 10:00:00 +0000",
	  "198.51.100.7", "", "helo.example", "mx.warden.test", "", "", "X1",
	  "" },
	/* Postfix, authenticated submission (an address literal HELO is
	 * written as SpamAssassin writes it) */
	{ "from [10.1.2.3] (host.lan [10.1.2.3]) (Authenticated sender: "
	  "bob) by smtp.warden.test (Postfix) with ESMTPSA id Q9",
	  "10.1.2.3", "host.lan", "!10.1.2.3!", "smtp.warden.test", "", "",
	  "Q9", "ESMTPSA" },
	/* Sendmail with ident and envelope-from */
	{ "from relay.example (joe@relay.example [203.0.113.5]) by "
	  "mx.example.org (8.15.2/8.15.2) with ESMTP id 12345 "
	  "(envelope-from <joe@example.net>); Tue, 3 Jan 2023",
	  "203.0.113.5", "relay.example", "relay.example", "mx.example.org",
	  "joe", "joe@example.net", "12345", "" },
	/* Exim */
	{ "from host.example.net ([203.0.113.9] helo=fake.example)\n"
	  " by mx.example.org with esmtp (Exim 4.96) id 1pQ-000A-Bc; "
	  "Wed, 4 Jan 2023",
	  "203.0.113.9", "host.example.net", "fake.example", "mx.example.org",
	  "", "", "1pQ-000A-Bc", "" },
	/* IPv6 */
	{ "from v6.example (v6.example [IPv6:2001:db8::25]) by mx.example "
	  "(Postfix) with ESMTPS id Z",
	  "2001:db8::25", "v6.example", "v6.example", "mx.example", "", "",
	  "Z", "" },
	/* A bare address in the comment: qmail's form, where the HELO
	 * is left out when it equals the reverse name */
	{ "from pc1 (192.0.2.77) by mx.example with SMTP",
	  "192.0.2.77", "pc1", "pc1", "mx.example", "", "", "", "" },
	/* qmail with the HELO and no reverse name */
	{ "from unknown (HELO rly.example.com) (96.213.243.25) by "
	  "n9.example.org with asmtp; Aug, 25 2002 6:19:40 AM -0100",
	  "96.213.243.25", "", "rly.example.com", "n9.example.org", "", "",
	  "", "" },
	/* Exim without helo=: the name is the reverse name and the HELO */
	{ "from web1.example.com ([216.136.130.65]) by list.example.net with "
	  "smtp (Exim 3.31-VA-mm2 #1 (Debian)) id 17lzDN-0000Id-00",
	  "216.136.130.65", "web1.example.com", "web1.example.com",
	  "list.example.net", "", "", "17lzDN-0000Id-00", "" },
	/* Webmail login */
	{ "from 194.125.220.138 (SquirrelMail authenticated user bob) by "
	  "mail.example.org with HTTP; Wed, 28 Aug 2002 00:11:36 +0100",
	  "194.125.220.138", "", "", "mail.example.org", "", "", "", "HTTP" },
	/* Sendmail without a reverse name */
	{ "from yahoo.com ([61.50.141.181]) by lugh.example.org (8.9.3/8.9.3) "
	  "with ESMTP id QAA01654; Fri, 23 Aug 2002 16:11:08 +0100",
	  "61.50.141.181", "", "yahoo.com", "lugh.example.org", "", "",
	  "QAA01654", "" },
};

/* Whether the MTA said the address has no name (SpamAssassin's
 * no_reverse_dns), as opposed to writing none. */
static const struct {
	const char *rcvd;
	bool    no_rdns;
} nordns[] = {
	{ "from h.example (unknown [198.51.100.7]) by mx.example (Postfix) "
	  "with SMTP id X1", true },
	{ "from h.example (h.example [198.51.100.7]) by mx.example (Postfix) "
	  "with SMTP id X1", false },
	{ "from yahoo.com ([61.50.141.181]) by lugh.example.org (8.9.3/8.9.3) "
	  "with ESMTP id Q", true },
	{ "from unknown (HELO a.example) (96.213.243.25) by n9.example.org "
	  "with asmtp", true },
	{ "from [203.0.113.1] by web.example.com with HTTP", false },
};

START_TEST(test_no_rdns)
{
	struct relay r;

	ck_assert_int_eq(relays_parse_received(nordns[_i].rcvd, &r), 0);
	ck_assert_msg(r.no_rdns == nordns[_i].no_rdns, "%s", nordns[_i].rcvd);
	relays_relay_clear(&r);
}
END_TEST

START_TEST(test_parse)
{
	struct relay r;

	ck_assert_int_eq(relays_parse_received(parse_ok[_i].rcvd, &r), 0);
	ck_assert_str_eq(r.ip, parse_ok[_i].ip);
	ck_assert_str_eq(r.rdns, parse_ok[_i].rdns);
	ck_assert_str_eq(r.helo, parse_ok[_i].helo);
	ck_assert_str_eq(r.by, parse_ok[_i].by);
	ck_assert_str_eq(r.ident, parse_ok[_i].ident);
	ck_assert_str_eq(r.envfrom, parse_ok[_i].envfrom);
	ck_assert_str_eq(r.id, parse_ok[_i].id);
	ck_assert_str_eq(r.auth, parse_ok[_i].auth);
	relays_relay_clear(&r);
}
END_TEST

static const char *const parse_none[] = {
	"by mx.example (Postfix, from userid 1000) id 123; Mon, 2 Jan 2023",
	"from localhost by mx.example with local; Mon, 2 Jan 2023",
	"from userid 0 by host.example",
	"",
	"(qmail 1234 invoked by uid 89); 2 Jan 2023",
};

START_TEST(test_parse_none)
{
	struct relay r;

	ck_assert_int_eq(relays_parse_received(parse_none[_i], &r), -1);
	ck_assert_ptr_null(r.ip);
}
END_TEST

static const char *const chain[] = {
	/* newest first: our MX got it from a public host, which got it
	 * from a private one */
	"from out.example.net (out.example.net [203.0.113.20]) by "
	"mx.warden.test (Postfix) with ESMTP id A1",
	"from lan.example.net (lan.example.net [10.0.0.5]) by "
	"out.example.net (Postfix) with ESMTP id B2",
};

START_TEST(test_inferred_trust)
{
	struct relays rl;
	const char *rc[] = { "from gw (gw [192.168.1.1]) by mx.warden.test "
		"with ESMTP id C0", chain[0], chain[1] };
	char *s;

	/* No configuration: private hops trusted until the first public. */
	relays_build(&rl, rc, 3, NULL, NULL, NULL, NULL, NULL);
	ck_assert_uint_eq(rl.n, 3);
	ck_assert_uint_eq(rl.ntrusted, 1);
	ck_assert_uint_eq(rl.ninternal, 1);
	s = relays_format(&rl, 0, rl.ntrusted);
	ck_assert_str_eq(s, "[ ip=192.168.1.1 rdns=gw helo=gw "
	    "by=mx.warden.test ident= envfrom= intl=1 id=C0 auth= msa=0 ]");
	free(s);
	s = relays_format(&rl, rl.ntrusted, rl.n);
	ck_assert_str_eq(s, "[ ip=203.0.113.20 rdns=out.example.net "
	    "helo=out.example.net by=mx.warden.test ident= envfrom= intl=0 "
	    "id=A1 auth= msa=0 ] [ ip=10.0.0.5 rdns=lan.example.net "
	    "helo=lan.example.net by=out.example.net ident= envfrom= intl=0 "
	    "id=B2 auth= msa=0 ]");
	free(s);
	relays_free(&rl);
}
END_TEST

START_TEST(test_client_and_config)
{
	struct relays rl;
	struct cidrlist trusted = { NULL, 0 }, internal = { NULL, 0 };
	struct cidr c;
	char *s;

	/* The MTA's client is the newest hop; public, so untrusted. */
	relays_build(&rl, chain, 2, "198.51.100.1", "unknown", "evil.example",
	    NULL, NULL);
	ck_assert_uint_eq(rl.n, 3);
	ck_assert_uint_eq(rl.ntrusted, 0);
	s = relays_format(&rl, 0, 1);
	ck_assert_str_eq(s, "[ ip=198.51.100.1 rdns= helo=evil.example by= "
	    "ident= envfrom= intl=0 id= auth= msa=0 ]");
	free(s);
	relays_free(&rl);

	/* Loopback client: a local hand-over, no hop. */
	relays_build(&rl, chain, 2, "127.0.0.1", "localhost", "x", NULL, NULL);
	ck_assert_uint_eq(rl.n, 2);
	relays_free(&rl);

	/* Configured: trusted_relays covers the client and our out host;
	 * internal_relays only the client. */
	ck_assert_int_eq(cidr_parse("198.51.100.0/24", &c), 0);
	cidrlist_add(&trusted, &c);
	cidrlist_add(&internal, &c);
	ck_assert_int_eq(cidr_parse("203.0.113.20", &c), 0);
	cidrlist_add(&trusted, &c);
	relays_build(&rl, chain, 2, "198.51.100.1", "in.example", "in.example",
	    &trusted, &internal);
	ck_assert_uint_eq(rl.ntrusted, 2);
	ck_assert_uint_eq(rl.ninternal, 1);
	ck_assert(rl.v[0].internal && !rl.v[1].internal);
	ck_assert(rl.v[1].trusted && !rl.v[2].trusted);
	relays_free(&rl);

	/* Only internal_relays set: trusted follows it. */
	relays_build(&rl, chain, 2, "198.51.100.1", NULL, NULL, NULL,
	    &internal);
	ck_assert_uint_eq(rl.ntrusted, 1);
	ck_assert_uint_eq(rl.ninternal, 1);
	relays_free(&rl);
	cidrlist_free(&trusted);
	cidrlist_free(&internal);

	/* An authenticated hop after a trusted one stays trusted. */
	{
		const char *rc[] = {
			"from gw (gw [10.9.9.9]) by mx with ESMTP id 1",
			"from pc ([203.0.113.50]) by gw with ESMTPA id 2",
			chain[0] };

		relays_build(&rl, rc, 3, NULL, NULL, NULL, NULL, NULL);
		ck_assert_uint_eq(rl.n, 3);
		ck_assert_uint_eq(rl.ntrusted, 2);
		relays_free(&rl);
	}

	/* With trusted_relays and internal_relays set, an authenticated
	 * hop outside them stays trusted and internal (SpamAssassin's
	 * Received.pm); the first unauthenticated outsider ends both. */
	{
		const char *rc[] = {
			"from gw (gw [10.9.9.9]) by mx with ESMTP id 1",
			"from pc ([203.0.113.50]) by gw with ESMTPSA id 2",
			"from x ([198.51.100.9]) by pc with SMTP id 3" };

		ck_assert_int_eq(cidr_parse("10.0.0.0/8", &c), 0);
		cidrlist_add(&trusted, &c);
		cidrlist_add(&internal, &c);
		relays_build(&rl, rc, 3, NULL, NULL, NULL, &trusted,
		    &internal);
		ck_assert_uint_eq(rl.n, 3);
		ck_assert_uint_eq(rl.ntrusted, 2);
		ck_assert_uint_eq(rl.ninternal, 2);
		ck_assert(rl.v[1].trusted && rl.v[1].internal);
		ck_assert(!rl.v[2].trusted);
		relays_free(&rl);
		cidrlist_free(&trusted);
		cidrlist_free(&internal);
	}
}
END_TEST

/* ---- originating_ip_headers ---- */

static const struct {
	const char *value;
	const char *line;	/* NULL: no address, no hop */
} orig_lines[] = {
	{ "[198.51.100.7]", "from X-Originating-IP: 198.51.100.7" },
	{ "198.51.100.7", "from X-Originating-IP: 198.51.100.7" },
	/* The first address only. */
	{ "via 203.0.113.1, 10.0.0.1", "from X-Originating-IP: 203.0.113.1" },
	{ "IPv6:2001:db8::1", "from X-Originating-IP: IPv6:2001:db8::1" },
	{ "[2001:DB8:0:0:0:0:0:25]",
	  "from X-Originating-IP: 2001:DB8:0:0:0:0:0:25" },
	/* Five numbers: the first four are an address (SpamAssassin's
	 * IP_ADDRESS reads it so too). */
	{ "1.2.3.4.5", "from X-Originating-IP: 1.2.3.4" },
	/* Not addresses. */
	{ "999.1.1.1", NULL },
	{ "unknown", NULL },
	{ "", NULL },
	{ "host-198-51-100-7.example", NULL },
	{ "1.2.3", NULL },
};

START_TEST(test_originating_line)
{
	char *l = relays_originating_line(orig_lines[_i].value);

	if (orig_lines[_i].line == NULL)
		ck_assert_msg(l == NULL, "%s: got %s", orig_lines[_i].value, l);
	else {
		ck_assert_msg(l != NULL, "%s: no line", orig_lines[_i].value);
		ck_assert_str_eq(l, orig_lines[_i].line);
	}
	free(l);
}
END_TEST

/* Hostile values: huge, and an address only past what is searched. */
START_TEST(test_originating_bounded)
{
	size_t n = 1u << 20;
	char *v = xmalloc(n + 32), *l;

	ck_assert_ptr_null(relays_originating_line(NULL));
	/* A million digits and dots, no address: no hop, and quickly. */
	for (size_t i = 0; i < n; i++)
		v[i] = (i % 4 == 3) ? '.' : '9';
	v[n] = '\0';
	ck_assert_ptr_null(relays_originating_line(v));
	/* An address after 8192 bytes of filler is not looked for... */
	memset(v, 'x', n);
	strcpy(v + 9000, " 198.51.100.7");
	ck_assert_ptr_null(relays_originating_line(v));
	/* ...one within them is. */
	memcpy(v + 100, " 203.0.113.9 ", 13);
	l = relays_originating_line(v);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(l, "from X-Originating-IP: 203.0.113.9");
	free(l);
	free(v);
}
END_TEST

START_TEST(test_originating_hop)
{
	struct relay r;
	struct relays rl;
	const char *rc[3];
	char *s;

	/* The synthetic line is a hop with its address and nothing else;
	 * the MTA wrote no reverse name, which is not "no name". */
	ck_assert_int_eq(relays_parse_received(
	    "from X-Originating-IP: 198.51.100.7", &r), 0);
	ck_assert_str_eq(r.ip, "198.51.100.7");
	ck_assert_str_eq(r.rdns, "");
	ck_assert_str_eq(r.helo, "");
	ck_assert_str_eq(r.by, "");
	ck_assert_str_eq(r.id, "");
	ck_assert(!r.no_rdns);
	relays_relay_clear(&r);
	/* Cleaned up as SpamAssassin cleans it. */
	ck_assert_int_eq(relays_parse_received(
	    "from X-Originating-IP: IPv6:2001:db8::1", &r), 0);
	ck_assert_str_eq(r.ip, "2001:db8::1");
	relays_relay_clear(&r);
	ck_assert_int_eq(relays_parse_received(
	    "from X-Originating-IP: ::ffff:192.0.2.1", &r), 0);
	ck_assert_str_eq(r.ip, "192.0.2.1");
	relays_relay_clear(&r);
	/* No address: no hop. */
	ck_assert_int_eq(relays_parse_received(
	    "from X-Originating-IP: unknown", &r), -1);

	/* In the chain: after every Received hop, untrusted past a public
	 * hop. */
	rc[0] = chain[0];
	rc[1] = chain[1];
	rc[2] = "from X-Originating-IP: 198.51.100.7";
	relays_build(&rl, rc, 3, NULL, NULL, NULL, NULL, NULL);
	ck_assert_uint_eq(rl.n, 3);
	ck_assert_uint_eq(rl.ntrusted, 0);
	s = relays_format(&rl, 2, 3);
	ck_assert_str_eq(s, "[ ip=198.51.100.7 rdns= helo= by= ident= "
	    "envfrom= intl=0 id= auth= msa=0 ]");
	free(s);
	relays_free(&rl);
	/* A private originating address after private hops is trusted, as
	 * SpamAssassin infers it. */
	rc[0] = "from gw (gw [192.168.1.1]) by mx.warden.test with ESMTP id C0";
	rc[1] = "from X-Originating-IP: 10.20.30.40";
	relays_build(&rl, rc, 2, NULL, NULL, NULL, NULL, NULL);
	ck_assert_uint_eq(rl.n, 2);
	ck_assert_uint_eq(rl.ntrusted, 2);
	relays_free(&rl);
}
END_TEST

/* The setting, through a ruleset: present, absent, cleared. */
static const char orig_msg[] =
    "Received: from out.example.net (out.example.net [203.0.113.20]) by "
    "mx.warden.test (Postfix) with ESMTP id A1\n"
    "X-Originating-IP: [198.51.100.7]\n"
    "X-AOL-IP: 192.0.2.99\n"
    "X-Originating-IP: 198.51.100.8\n"
    "Subject: s\n"
    "\n"
    "b\n";

static bool
orig_hit(const char *rules, const char *msg, const char *name)
{
	struct diag d;
	struct ruleset *rs;
	bool hit;

	diag_init(&d);
	rs = rules_load_text(NULL, "t.cf", rules, &d);
	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	hit = unit_eom_hit(rs, NULL, msg, NULL, name);
	rules_free(rs);
	diag_free(&d);
	return hit;
}

#define ORIG_RULE "header ORIG X-Spam-Relays-Untrusted =~ " \
	"/^\\[ ip=203\\.0\\.113\\.20 [^\\]]+\\] " \
	"\\[ ip=198\\.51\\.100\\.8 rdns= helo= by= [^\\]]+\\] " \
	"\\[ ip=192\\.0\\.2\\.99 rdns= helo= by= [^\\]]+\\]$/\n" \
	"header ANY_ORIG X-Spam-Relays-Untrusted =~ /ip=198\\.51|ip=192\\.0/\n"

START_TEST(test_originating_setting)
{
	/* The last X-Originating-IP field, then X-AOL-IP, in the order of
	 * the setting; names in any case, each once. */
	ck_assert(orig_hit("originating_ip_headers x-originating-ip\n"
	    "originating_ip_headers X-AOL-IP X-Originating-IP\n" ORIG_RULE,
	    orig_msg, "ORIG"));
	/* Absent: the setting is empty by default. */
	ck_assert(!orig_hit(ORIG_RULE, orig_msg, "ANY_ORIG"));
	/* Cleared. */
	ck_assert(!orig_hit("originating_ip_headers X-Originating-IP X-AOL-IP\n"
	    "clear_originating_ip_headers\n" ORIG_RULE, orig_msg,
	    "ANY_ORIG"));
	ck_assert(orig_hit("clear_originating_ip_headers\n"
	    "originating_ip_headers X-AOL-IP\n" ORIG_RULE, orig_msg,
	    "ANY_ORIG"));
	/* Named but not in the message: no hop. */
	ck_assert(!orig_hit("originating_ip_headers X-SenderIP\n" ORIG_RULE,
	    orig_msg, "ANY_ORIG"));
}
END_TEST

/*
 * The search for an address in an originating_ip_headers field runs
 * under the configured PCRE2 limit and records reaching it: ' a:a'
 * repeated keeps IP_ADDRESS's IPv6 branches busy some 30 steps per
 * starting point, over the limit of 20 set here (the rule's own regex
 * needs far fewer).
 */
START_TEST(test_originating_limit)
{
	struct config *cfg = unit_rules_config("pcre2_match_limit = 20\n");
	struct diag d;
	struct ruleset *rs;
	struct results res;
	struct buf m;

	diag_init(&d);
	rs = rules_load_text(cfg, "t.cf", "originating_ip_headers "
	    "X-Originating-IP\nheader R X-Spam-Relays-Untrusted =~ /ip=/\n",
	    &d);
	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	buf_init(&m, 0);
	buf_puts(&m, "Received: from out.example.net (out.example.net "
	    "[203.0.113.20]) by mx.warden.test (Postfix) with ESMTP id A1\n"
	    "X-Originating-IP:");
	for (int i = 0; i < 2000; i++)
		buf_puts(&m, " a:a");
	buf_puts(&m, "\nSubject: s\n\nb\n");
	results_init(&res);
	unit_eom_run(rs, cfg, m.p, NULL, &res);
	ck_assert(results_has_hit(&res, "R"));
	ck_assert_msg(unit_pcre2_limit(&res), "limit: %s",
	    res.limit ? res.limit : "none");
	results_free(&res);
	buf_free(&m);
	rules_free(rs);
	diag_free(&d);
	config_free(cfg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("relays");
	TCase *tc = tcase_create("relays");

	tcase_add_loop_test(tc, test_parse, 0,
	    (int)(sizeof(parse_ok) / sizeof(parse_ok[0])));
	tcase_add_loop_test(tc, test_no_rdns, 0,
	    (int)(sizeof(nordns) / sizeof(nordns[0])));
	tcase_add_loop_test(tc, test_parse_none, 0,
	    (int)(sizeof(parse_none) / sizeof(parse_none[0])));
	tcase_add_test(tc, test_inferred_trust);
	tcase_add_test(tc, test_client_and_config);
	tcase_add_loop_test(tc, test_originating_line, 0,
	    (int)(sizeof(orig_lines) / sizeof(orig_lines[0])));
	tcase_add_test(tc, test_originating_bounded);
	tcase_add_test(tc, test_originating_hop);
	tcase_add_test(tc, test_originating_setting);
	tcase_add_test(tc, test_originating_limit);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
