/*
 * test_arc.c -- ARC (RFC 8617): chains sealed here (Ed25519 keys, the
 * lookups answered from a table) and verified: none, pass at one and
 * two instances with header.oldest-pass, and each way a chain fails
 * (the body or a sealed field changed, a seal tampered with, cv= out of
 * place, an instance missing, doubled or over 50, a key missing or its
 * lookup failing, h= naming ARC-Seal); what an ARC-Authentication-
 * Results says for DMARC's override (arc_aar_vouches()).
 * tests/auth/arc_interop.sh has chains sealed by dkimpy.
 */
#include "autoconfig.h"

#include <string.h>

#include <openssl/evp.h>

#include "arc.h"
#include "dkim.h"
#include "util.h"
#include "unit.h"

static EVP_PKEY *key;
static char *key_rec;

/* sel._domainkey.DOMAIN: the key; a domain starting "nokey" has none,
 * "tmp" fails (SERVFAIL). */
static enum dns_status
stub(void *arg, const char *name, int type, struct strlist *out)
{
	(void)arg;
	ck_assert_int_eq(type, DNS_T_TXT);
	if (strstr(name, "._domainkey.nokey") != NULL)
		return DNS_NXDOMAIN;
	if (strstr(name, "._domainkey.tmp") != NULL)
		return DNS_ERROR;
	if (strncmp(name, "sel._domainkey.", 15) != 0)
		return DNS_NXDOMAIN;
	strlist_add(out, key_rec);
	return DNS_OK;
}

static void
verify(const char *msg, struct arc_results *r)
{
	struct auth_dns dns = { .lookup = stub };

	arc_verify(msg, strlen(msg), &dns, r);
	ck_assert_ptr_nonnull(r->why);
}

/* ---- A sealer ---- */

struct chain {
	char   *f[ARC_MAX_SETS + 2][3];	/* AAR, AMS, AS of each instance */
	unsigned n;
	char   *msg;
};

static char *
b64(const unsigned char *p, size_t n)
{
	char *s = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

static char *
sign(struct buf *data)
{
	unsigned char hash[32], sig[64];
	size_t slen = sizeof(sig);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	ck_assert(EVP_Digest(data->p, data->len, hash, NULL, EVP_sha256(),
	    NULL));
	ck_assert(EVP_DigestSignInit(c, NULL, NULL, NULL, key) == 1);
	ck_assert(EVP_DigestSign(c, sig, &slen, hash, sizeof(hash)) == 1);
	EVP_MD_CTX_free(c);
	return b64(sig, slen);
}

static void
sink(void *arg, const void *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

/* The last field of msg named name ("From"), with its CRLF. */
static void
last_field(const char *msg, const char *name, struct buf *out)
{
	const char *p = msg, *found = NULL;
	size_t n = strlen(name);

	while (*p && !(p[0] == '\r' && p[1] == '\n')) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			found = p;
		p = strstr(p, "\r\n") + 2;
	}
	if (found != NULL)
		dkim_canon_header(DKIM_CANON_RELAXED, found,
		    (size_t)(strstr(found, "\r\n") + 2 - found), out);
}

/* Seal ch->msg as instance ch->n + 1 by domain d with cv= cv and the
 * AMS's h= h (from:subject unless given). */
static void
seal_h(struct chain *ch, const char *d, const char *cv, const char *h)
{
	unsigned i = ch->n + 1;
	const char *body = strstr(ch->msg, "\r\n\r\n") + 4;
	unsigned char bh[32];
	unsigned bl;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	struct dkim_body *cb = xmalloc(sizeof(*cb));
	struct buf data;
	char *bhs, *ams, *as, *sig, *aar, *nm;
	char hcopy[128], *save = NULL;

	EVP_DigestInit_ex(mc, EVP_sha256(), NULL);
	dkim_body_init(cb, DKIM_CANON_RELAXED, UINT64_MAX, sink, mc);
	dkim_body_update(cb, body, strlen(body));
	dkim_body_final(cb);
	EVP_DigestFinal_ex(mc, bh, &bl);
	EVP_MD_CTX_free(mc);
	free(cb);
	bhs = b64(bh, 32);
	aar = xasprintf("ARC-Authentication-Results: i=%u; mx.%s; "
	    "spf=fail smtp.mailfrom=a@origin.example; dkim=pass "
	    "header.d=origin.example; dmarc=pass header.from=origin.example"
	    "\r\n", i, d);
	/* the AMS */
	ams = xasprintf("ARC-Message-Signature: i=%u; a=ed25519-sha256; "
	    "c=relaxed/relaxed; d=%s; s=sel; h=%s;\r\n\tbh=%s; b=", i, d,
	    h != NULL ? h : "from:subject", bhs);
	buf_init(&data, 0);
	snprintf(hcopy, sizeof(hcopy), "%s", h != NULL ? h : "from:subject");
	for (char *t = strtok_r(hcopy, ":", &save); t != NULL;
	    t = strtok_r(NULL, ":", &save))
		last_field(ch->msg, t, &data);
	dkim_canon_header(DKIM_CANON_RELAXED, ams, strlen(ams), &data);
	data.len -= 2;
	sig = sign(&data);
	nm = xasprintf("%s%s\r\n", ams, sig);
	free(ams);
	free(sig);
	ams = nm;
	/* the seal */
	as = xasprintf("ARC-Seal: i=%u; a=ed25519-sha256; cv=%s; d=%s; "
	    "s=sel; b=", i, cv, d);
	buf_reset(&data);
	for (unsigned j = 1; j < i; j++)
		for (int k = 0; k < 3; k++)
			dkim_canon_header(DKIM_CANON_RELAXED, ch->f[j][k],
			    strlen(ch->f[j][k]), &data);
	dkim_canon_header(DKIM_CANON_RELAXED, aar, strlen(aar), &data);
	dkim_canon_header(DKIM_CANON_RELAXED, ams, strlen(ams), &data);
	dkim_canon_header(DKIM_CANON_RELAXED, as, strlen(as), &data);
	data.len -= 2;
	sig = sign(&data);
	nm = xasprintf("%s%s\r\n", as, sig);
	free(as);
	free(sig);
	as = nm;
	ch->f[i][0] = aar;
	ch->f[i][1] = ams;
	ch->f[i][2] = as;
	ch->n = i;
	nm = xasprintf("%s%s%s%s", as, ams, aar, ch->msg);
	free(ch->msg);
	ch->msg = nm;
	free(bhs);
	buf_free(&data);
}

static void
seal(struct chain *ch, const char *d, const char *cv)
{
	seal_h(ch, d, cv, NULL);
}

static void
chain_init(struct chain *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->msg = xstrdup("From: Alice <a@origin.example>\r\n"
	    "To: list@lists.example\r\nSubject: hello\r\n\r\n"
	    "Hello  there\r\n\r\n");
}

static void
chain_free(struct chain *ch)
{
	for (unsigned i = 1; i <= ch->n; i++)
		for (int k = 0; k < 3; k++)
			free(ch->f[i][k]);
	free(ch->msg);
}

/* msg with the first occurrence of from replaced by to */
static char *
replace(const char *msg, const char *from, const char *to)
{
	const char *p = strstr(msg, from);

	ck_assert_ptr_nonnull(p);
	return xasprintf("%.*s%s%s", (int)(p - msg), msg, to,
	    p + strlen(from));
}

/* ---- The tests ---- */

START_TEST(test_none)
{
	struct arc_results r;

	verify("From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n", &r);
	ck_assert_int_eq(r.result, ARC_NONE);
	ck_assert(!r.present);
	ck_assert_ptr_null(arc_sealer(&r));
	arc_results_free(&r);
	verify("", &r);
	ck_assert_int_eq(r.result, ARC_NONE);
	arc_results_free(&r);
	ck_assert_str_eq(arc_result_name(ARC_PASS), "pass");
	ck_assert_str_eq(arc_result_name(ARC_FAIL), "fail");
	ck_assert_str_eq(arc_result_name(ARC_NONE), "none");
}
END_TEST

START_TEST(test_pass)
{
	struct chain ch;
	struct arc_results r;
	struct buf lf;
	char *m;

	chain_init(&ch);
	seal(&ch, "lists.example", "none");
	verify(ch.msg, &r);
	ck_assert_msg(r.result == ARC_PASS, "%s", r.why);
	ck_assert(r.present);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.oldest_pass, 0);
	ck_assert_str_eq(arc_sealer(&r), "lists.example");
	ck_assert_str_eq(r.sets[0].cv, "none");
	ck_assert_str_eq(r.sets[0].ams_d, "lists.example");
	ck_assert_int_eq(r.sets[0].as, DKIM_PASS);
	ck_assert_ptr_nonnull(strstr(r.sets[0].aar, "dmarc=pass"));
	ck_assert_ptr_null(strchr(r.why, '('));
	arc_results_free(&r);
	/* LF line ends */
	buf_init(&lf, 0);
	for (const char *p = ch.msg; *p; p++)
		if (*p != '\r')
			buf_putc(&lf, *p);
	verify(lf.p, &r);
	ck_assert_msg(r.result == ARC_PASS, "%s", r.why);
	arc_results_free(&r);
	buf_free(&lf);
	/* a second seal, nothing changed between: oldest-pass 0 */
	seal(&ch, "relay.example", "pass");
	verify(ch.msg, &r);
	ck_assert_msg(r.result == ARC_PASS, "%s", r.why);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.oldest_pass, 0);
	ck_assert_str_eq(arc_sealer(&r), "relay.example");
	arc_results_free(&r);
	/* new header fields on top (a Received) change nothing */
	m = xasprintf("Received: from x by y; Thu, 1 Jan 2026\r\n%s", ch.msg);
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_PASS);
	arc_results_free(&r);
	free(m);
	chain_free(&ch);
}
END_TEST

START_TEST(test_pass_modified_between)
{
	struct chain ch;
	struct arc_results r;
	char *m;

	chain_init(&ch);
	seal(&ch, "origin-relay.example", "none");
	/* the list tags the subject and adds a footer, then seals */
	m = replace(ch.msg, "Subject: hello", "Subject: [list] hello");
	free(ch.msg);
	ch.msg = xasprintf("%s-- \r\nthe list\r\n", m);
	free(m);
	seal(&ch, "lists.example", "pass");
	verify(ch.msg, &r);
	ck_assert_msg(r.result == ARC_PASS, "%s", r.why);
	ck_assert_uint_eq(r.oldest_pass, 2);
	ck_assert_int_eq(r.sets[0].ams, DKIM_FAIL);
	ck_assert_int_eq(r.sets[1].ams, DKIM_PASS);
	arc_results_free(&r);
	chain_free(&ch);
}
END_TEST

START_TEST(test_fail_changed)
{
	struct chain ch;
	struct arc_results r;
	char *m;

	chain_init(&ch);
	seal(&ch, "lists.example", "none");
	seal(&ch, "relay.example", "pass");
	/* the body after the last seal */
	m = xasprintf("%sP.S.\r\n", ch.msg);
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_ptr_nonnull(strstr(r.why, "body hash"));
	ck_assert_int_eq(r.sets[1].ams, DKIM_FAIL);
	ck_assert_ptr_null(arc_sealer(&r));
	arc_results_free(&r);
	free(m);
	/* a signed header field */
	m = replace(ch.msg, "Subject: hello", "Subject: Hello");
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	arc_results_free(&r);
	free(m);
	/* white space in a sealed field is not a change (relaxed) */
	m = replace(ch.msg, "i=1; mx.lists.example;", "i=1;  mx.lists.example;");
	verify(m, &r);
	ck_assert_msg(r.result == ARC_PASS, "%s", r.why);
	arc_results_free(&r);
	free(m);
	/* the first set's AAR changed: the seals fail (i=2 first) */
	m = replace(ch.msg, "i=1; mx.lists.example; spf=fail",
	    "i=1; mx.lists.example; spf=pass");
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_ptr_nonnull(strstr(r.why, "ARC-Seal i=2"));
	arc_results_free(&r);
	free(m);
	/* a seal's signature tampered with */
	m = replace(ch.msg, "cv=pass; d=relay.example; s=sel; b=",
	    "cv=pass; d=relay.example; s=sel; b=AAAA");
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_int_eq(r.sets[1].as, DKIM_FAIL);
	arc_results_free(&r);
	free(m);
	chain_free(&ch);
}
END_TEST

START_TEST(test_fail_structure)
{
	struct chain ch;
	struct arc_results r;
	char *m;

	chain_init(&ch);
	seal(&ch, "lists.example", "none");
	seal(&ch, "relay.example", "pass");
	/* an instance's AMS missing */
	m = replace(ch.msg, ch.f[1][1], "");
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert(r.present);
	ck_assert_str_eq(r.why, "no ARC-Message-Signature of i=1");
	arc_results_free(&r);
	free(m);
	/* a whole set missing: instances not from 1 */
	m = replace(ch.msg, ch.f[1][0], "");
	{
		char *m2 = replace(m, ch.f[1][1], ""), *m3;

		m3 = replace(m2, ch.f[1][2], "");
		verify(m3, &r);
		ck_assert_int_eq(r.result, ARC_FAIL);
		arc_results_free(&r);
		free(m2);
		free(m3);
	}
	free(m);
	/* a field doubled */
	m = xasprintf("%s%s", ch.f[1][0], ch.msg);
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_str_eq(r.why, "two ARC-Authentication-Results of i=1");
	arc_results_free(&r);
	free(m);
	/* i= missing, bad, over 50 */
	m = xasprintf("ARC-Seal: a=b\r\n%s", ch.msg);
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	arc_results_free(&r);
	free(m);
	m = xasprintf("ARC-Authentication-Results: i=51; x; none\r\n%s",
	    ch.msg);
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	arc_results_free(&r);
	free(m);
	m = xasprintf("ARC-Seal: i=1; i=1\r\n%s", ch.msg);
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_ptr_nonnull(strstr(r.why, "bad tag list"));
	arc_results_free(&r);
	free(m);
	chain_free(&ch);
}
END_TEST

START_TEST(test_fail_cv)
{
	struct chain ch;
	struct arc_results r;

	/* cv=fail sealed validly */
	chain_init(&ch);
	seal(&ch, "lists.example", "none");
	seal(&ch, "relay.example", "fail");
	verify(ch.msg, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_str_eq(r.why, "cv=fail at i=2");
	arc_results_free(&r);
	chain_free(&ch);
	/* cv=pass at i=1 */
	chain_init(&ch);
	seal(&ch, "lists.example", "pass");
	verify(ch.msg, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_str_eq(r.why, "cv=pass at i=1, not none");
	arc_results_free(&r);
	chain_free(&ch);
	/* cv=none at i=2 */
	chain_init(&ch);
	seal(&ch, "lists.example", "none");
	seal(&ch, "relay.example", "none");
	verify(ch.msg, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	arc_results_free(&r);
	chain_free(&ch);
}
END_TEST

START_TEST(test_fail_keys)
{
	struct chain ch;
	struct arc_results r;
	char *m;

	chain_init(&ch);
	seal(&ch, "nokey.example", "none");
	verify(ch.msg, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_int_eq(r.sets[0].ams, DKIM_PERMERROR);
	arc_results_free(&r);
	chain_free(&ch);
	chain_init(&ch);
	seal(&ch, "tmp.example", "none");
	verify(ch.msg, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_int_eq(r.sets[0].ams, DKIM_TEMPERROR);
	arc_results_free(&r);
	chain_free(&ch);
	/* h= naming ARC-Seal */
	chain_init(&ch);
	seal_h(&ch, "lists.example", "none", "from:arc-seal");
	verify(ch.msg, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_ptr_nonnull(strstr(r.why, "names ARC-Seal"));
	arc_results_free(&r);
	chain_free(&ch);
	/* rsa-sha1 refused */
	chain_init(&ch);
	seal(&ch, "lists.example", "none");
	m = replace(ch.msg, "ARC-Seal: i=1; a=ed25519-sha256",
	    "ARC-Seal: i=1; a=rsa-sha1");
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	arc_results_free(&r);
	free(m);
	/* h= in a seal */
	m = replace(ch.msg, "ARC-Seal: i=1;", "ARC-Seal: i=1; h=from;");
	verify(m, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	ck_assert_ptr_nonnull(strstr(r.why, "h= in an ARC-Seal"));
	arc_results_free(&r);
	free(m);
	chain_free(&ch);
}
END_TEST

START_TEST(test_bound)
{
	struct buf m;
	struct arc_results r;

	buf_init(&m, 0);
	for (int i = 0; i < 3 * ARC_MAX_SETS + 1; i++)
		buf_printf(&m, "ARC-Seal: i=%d; cv=none\r\n", i % 50 + 1);
	buf_puts(&m, "From: a@example.com\r\n\r\nx\r\n");
	verify(m.p, &r);
	ck_assert_int_eq(r.result, ARC_FAIL);
	arc_results_free(&r);
	buf_free(&m);
}
END_TEST

START_TEST(test_aar_vouches)
{
	const char *f = "origin.example";

	ck_assert(arc_aar_vouches("mx.l.example; dmarc=pass "
	    "header.from=origin.example", f));
	ck_assert(arc_aar_vouches("mx.l.example; dmarc = pass (p=reject)", f));
	ck_assert(!arc_aar_vouches("mx.l.example; dmarc=pass "
	    "header.from=other.example", f));
	ck_assert(!arc_aar_vouches("mx.l.example; dmarc=fail "
	    "header.from=origin.example", f));
	/* DKIM aligned (relaxed), SPF aligned */
	ck_assert(arc_aar_vouches("mx; spf=fail smtp.mailfrom=x@y.example;"
	    " dkim=pass header.d=mail.origin.example", f));
	ck_assert(arc_aar_vouches("mx; dkim=pass (good) header.i="
	    "\"@origin.example\"", f));
	ck_assert(arc_aar_vouches("mx; spf=pass smtp.mailfrom="
	    "bounce@origin.example", f));
	ck_assert(!arc_aar_vouches("mx; spf=pass smtp.mailfrom="
	    "bounce@lists.example; dkim=pass header.d=lists.example", f));
	/* the authserv-id is not a result; comments are ignored */
	ck_assert(!arc_aar_vouches("dmarc=pass; none", f));
	ck_assert(!arc_aar_vouches("mx; (dmarc=pass) dkim=fail "
	    "header.d=origin.example", f));
	ck_assert(!arc_aar_vouches("", f));
	ck_assert(!arc_aar_vouches(NULL, f));
	ck_assert(!arc_aar_vouches("mx; dmarc=pass", NULL));
}
END_TEST

static Suite *
arc_suite(void)
{
	Suite *s = suite_create("arc");
	TCase *tc = tcase_create("core");
	unsigned char pub[32];
	size_t plen = sizeof(pub);
	char *p;

	/* outside a test: no ck_assert */
	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (key == NULL || EVP_PKEY_get_raw_public_key(key, pub, &plen) != 1)
		abort();
	p = b64(pub, plen);
	key_rec = xasprintf("v=DKIM1; k=ed25519; p=%s", p);
	free(p);
	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_pass);
	tcase_add_test(tc, test_pass_modified_between);
	tcase_add_test(tc, test_fail_changed);
	tcase_add_test(tc, test_fail_structure);
	tcase_add_test(tc, test_fail_cv);
	tcase_add_test(tc, test_fail_keys);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_aar_vouches);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc = unit_run(arc_suite());

	EVP_PKEY_free(key);
	free(key_rec);
	return rc;
}
