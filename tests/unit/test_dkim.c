/*
 * test_dkim.c -- DKIM's pieces: tag lists (RFC 6376 3.2), key records
 * (3.6.1, RFC 8463), header and body canonicalization (3.4, with the
 * example of 3.4.6), and dkim_verify() on what needs no real signer
 * (tests/auth/dkim_interop.sh has the signed messages): unsigned
 * messages, broken signatures, the bound on signatures, the key
 * lookup's answers, and an Ed25519 signature made here.
 */
#include "autoconfig.h"

#include <string.h>

#include <openssl/evp.h>

#include "dkim.h"
#include "util.h"
#include "unit.h"

static const char *
tag(const struct dkim_tags *t, const char *name, char *out, size_t n)
{
	const struct dkim_tag *tg = dkim_tag_get(t, name);

	if (tg == NULL)
		return NULL;
	ck_assert_uint_lt(tg->vlen, n);
	memcpy(out, tg->val, tg->vlen);
	out[tg->vlen] = '\0';
	return out;
}

static int
parse(const char *s, struct dkim_tags *t, const char **why)
{
	return dkim_tags_parse(s, strlen(s), t, why);
}

START_TEST(test_tags)
{
	struct dkim_tags t;
	const char *why = NULL;
	char v[256];

	ck_assert_int_eq(parse("v=1; a=rsa-sha256;d=example.com", &t, &why),
	    0);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_str_eq(tag(&t, "a", v, sizeof(v)), "rsa-sha256");
	ck_assert_str_eq(tag(&t, "d", v, sizeof(v)), "example.com");
	ck_assert_ptr_null(dkim_tag_get(&t, "b"));
	/* FWS around names, '=' and values; a final ';'; empty values */
	ck_assert_int_eq(parse(" v =\r\n\t1 ;\r\n h= From : To ;x=;", &t,
	    &why), 0);
	ck_assert_uint_eq(t.n, 3);
	ck_assert_str_eq(tag(&t, "v", v, sizeof(v)), "1");
	ck_assert_str_eq(tag(&t, "h", v, sizeof(v)), "From : To");
	ck_assert_str_eq(tag(&t, "x", v, sizeof(v)), "");
	/* an empty list */
	ck_assert_int_eq(parse("  ", &t, &why), 0);
	ck_assert_uint_eq(t.n, 0);
	/* names are case-sensitive: v and V are two tags */
	ck_assert_int_eq(parse("v=1; V=2", &t, &why), 0);
	ck_assert_uint_eq(t.n, 2);
}
END_TEST

START_TEST(test_tags_bad)
{
	struct dkim_tags t;
	const char *why = NULL;
	struct buf b;

	ck_assert_int_eq(parse("v=1; v=1", &t, &why), -1);
	ck_assert_str_eq(why, "duplicate tag");
	ck_assert_int_eq(parse("v=1;; a=b", &t, &why), -1);
	ck_assert_int_eq(parse("1v=1", &t, &why), -1);
	ck_assert_int_eq(parse("v 1", &t, &why), -1);
	ck_assert_int_eq(parse("v=1; a", &t, &why), -1);
	ck_assert_int_eq(parse("v=a\001b", &t, &why), -1);
	ck_assert_int_eq(parse("a-b=1", &t, &why), -1);
	/* too many tags */
	buf_init(&b, 0);
	for (int i = 0; i <= DKIM_MAX_TAGS; i++)
		buf_printf(&b, "t%d=%d;", i, i);
	ck_assert_int_eq(dkim_tags_parse(b.p, b.len, &t, &why), -1);
	ck_assert_str_eq(why, "too many tags");
	/* a value too long */
	buf_reset(&b);
	buf_puts(&b, "b=");
	for (int i = 0; i <= DKIM_MAX_TAGLEN; i++)
		buf_putc(&b, 'A');
	ck_assert_int_eq(dkim_tags_parse(b.p, b.len, &t, &why), -1);
	ck_assert_str_eq(why, "tag value too long");
	buf_free(&b);
}
END_TEST

static int
key(const char *rec, struct dkim_key *k, const char **why)
{
	return dkim_key_parse(rec, strlen(rec), k, why);
}

START_TEST(test_key)
{
	struct dkim_key k;
	const char *why = NULL;

	/* defaults: rsa, every hash, email */
	ck_assert_int_eq(key("p=AAEC", &k, &why), 0);
	ck_assert_int_eq(k.k, DKIM_K_RSA);
	ck_assert_uint_eq(k.hashes, DKIM_H_SHA1 | DKIM_H_SHA256);
	ck_assert(k.email && !k.testing && !k.strict && !k.revoked);
	ck_assert_uint_eq(k.plen, 3);
	ck_assert(k.p[0] == 0 && k.p[1] == 1 && k.p[2] == 2);
	dkim_key_free(&k);
	/* every tag, FWS inside p= */
	ck_assert_int_eq(key("v=DKIM1; k=ed25519; h=sha256; s=email:tlsrpt;"
	    " t=y:s; n=a note; p=AA EC\r\n\tAw==", &k, &why), 0);
	ck_assert_int_eq(k.k, DKIM_K_ED25519);
	ck_assert_uint_eq(k.hashes, DKIM_H_SHA256);
	ck_assert(k.email && k.testing && k.strict);
	ck_assert_uint_eq(k.plen, 4);
	dkim_key_free(&k);
	ck_assert_int_eq(key("k=rsa; h=sha1; s=*; t=s; p=AAEC", &k, &why), 0);
	ck_assert_uint_eq(k.hashes, DKIM_H_SHA1);
	ck_assert(k.email && !k.testing && k.strict);
	dkim_key_free(&k);
	/* unknown k=, hashes and services */
	ck_assert_int_eq(key("k=dsa; h=md5; s=tlsrpt; p=AAEC", &k, &why), 0);
	ck_assert_int_eq(k.k, DKIM_K_OTHER);
	ck_assert_uint_eq(k.hashes, 0);
	ck_assert(!k.email);
	dkim_key_free(&k);
	/* revoked */
	ck_assert_int_eq(key("v=DKIM1; p=", &k, &why), 0);
	ck_assert(k.revoked);
	ck_assert_ptr_null(k.p);
	dkim_key_free(&k);
}
END_TEST

START_TEST(test_key_bad)
{
	struct dkim_key k;
	const char *why = NULL;

	/* v= must come first and be DKIM1 */
	ck_assert_int_eq(key("k=rsa; v=DKIM1; p=AAEC", &k, &why), -1);
	dkim_key_free(&k);
	ck_assert_int_eq(key("v=DKIM2; p=AAEC", &k, &why), -1);
	dkim_key_free(&k);
	ck_assert_int_eq(key("v=DKIM1: g=*; p=AAEC", &k, &why), -1);
	dkim_key_free(&k);
	ck_assert_int_eq(key("v=DKIM1; k=rsa", &k, &why), -1);
	ck_assert_str_eq(why, "key record without p=");
	dkim_key_free(&k);
	ck_assert_int_eq(key("p=AA!C", &k, &why), -1);
	dkim_key_free(&k);
	ck_assert_int_eq(key("p=AAE", &k, &why), 0);	/* no padding */
	dkim_key_free(&k);
	ck_assert_int_eq(key("p=A", &k, &why), -1);	/* 6 bits */
	dkim_key_free(&k);
	ck_assert_int_eq(key("p=AA=C", &k, &why), -1);	/* '=' inside */
	dkim_key_free(&k);
	ck_assert_int_eq(key("p=AAEC; p=AAEC", &k, &why), -1);
	dkim_key_free(&k);
}
END_TEST

static char *
hcanon(enum dkim_canon c, const char *f)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(dkim_canon_header(c, f, strlen(f), &b), 0);
	buf_putc(&b, '\0');
	return b.p;
}

/* The sink of the body tests: appends to a struct buf. */
static void
to_buf(void *arg, const void *p, size_t n)
{
	buf_append(arg, p, n);
}

/* The body canonicalized, fed step bytes at a time (0: at once). */
static char *
bcanon(enum dkim_canon c, const char *body, uint64_t limit, size_t step,
    uint64_t *total)
{
	struct dkim_body *b = malloc(sizeof(*b));
	struct buf out;
	size_t n = strlen(body);

	buf_init(&out, 0);
	buf_puts(&out, "");
	dkim_body_init(b, c, limit, to_buf, &out);
	if (step == 0)
		dkim_body_update(b, body, n);
	else
		for (size_t i = 0; i < n; i += step)
			dkim_body_update(b, body + i, n - i < step ? n - i :
			    step);
	dkim_body_final(b);
	if (total != NULL)
		*total = b->total;
	free(b);
	return out.p;
}

static void
body_is(enum dkim_canon c, const char *body, const char *want)
{
	for (size_t step = 0; step <= 3; step++) {
		char *got = bcanon(c, body, UINT64_MAX, step, NULL);

		ck_assert_msg(strcmp(got, want) == 0, "canon %d step %zu: "
		    "\"%s\" gave \"%s\"", c, step, body, got);
		free(got);
	}
}

/* RFC 6376 3.4.6's example. */
START_TEST(test_canon_rfc)
{
	char *s;

	s = hcanon(DKIM_CANON_RELAXED, "A: X\r\n");
	ck_assert_str_eq(s, "a:X\r\n");
	free(s);
	s = hcanon(DKIM_CANON_RELAXED, "B : Y\t\r\n\tZ  \r\n");
	ck_assert_str_eq(s, "b:Y Z\r\n");
	free(s);
	s = hcanon(DKIM_CANON_SIMPLE, "B : Y\t\r\n\tZ  \r\n");
	ck_assert_str_eq(s, "B : Y\t\r\n\tZ  \r\n");
	free(s);
	body_is(DKIM_CANON_RELAXED, " C \r\nD \t E\r\n\r\n\r\n",
	    " C\r\nD E\r\n");
	body_is(DKIM_CANON_SIMPLE, " C \r\nD \t E\r\n\r\n\r\n",
	    " C \r\nD \t E\r\n");
}
END_TEST

START_TEST(test_canon_header)
{
	char *s;

	/* LF line ends are CRLF; a missing last line end is added */
	s = hcanon(DKIM_CANON_SIMPLE, "Subject: a\n b\n");
	ck_assert_str_eq(s, "Subject: a\r\n b\r\n");
	free(s);
	s = hcanon(DKIM_CANON_SIMPLE, "Subject: a");
	ck_assert_str_eq(s, "Subject: a\r\n");
	free(s);
	s = hcanon(DKIM_CANON_RELAXED, "SUBJECT \t:\t  a \t b\n\t c \n");
	ck_assert_str_eq(s, "subject:a b c\r\n");
	free(s);
	s = hcanon(DKIM_CANON_RELAXED, "X-Empty:   \r\n");
	ck_assert_str_eq(s, "x-empty:\r\n");
	free(s);
	/* a CR alone is kept */
	s = hcanon(DKIM_CANON_RELAXED, "X: a\rb\r\n");
	ck_assert_str_eq(s, "x:a\rb\r\n");
	free(s);
}
END_TEST

START_TEST(test_canon_body)
{
	uint64_t total;
	char *s;

	/* the empty body: CRLF in simple, nothing in relaxed */
	body_is(DKIM_CANON_SIMPLE, "", "\r\n");
	body_is(DKIM_CANON_SIMPLE, "\r\n\r\n", "\r\n");
	body_is(DKIM_CANON_RELAXED, "", "");
	body_is(DKIM_CANON_RELAXED, " \r\n\t\r\n", "");
	/* no last line end */
	body_is(DKIM_CANON_SIMPLE, "a", "a\r\n");
	body_is(DKIM_CANON_RELAXED, "a  ", "a\r\n");
	/* LF alone, mixed */
	body_is(DKIM_CANON_SIMPLE, "a\nb\r\n\n\nc\n\n", "a\r\nb\r\n\r\n\r\nc\r\n");
	body_is(DKIM_CANON_RELAXED, "a \n\n b\t\n", "a\r\n\r\n b\r\n");
	/* empty lines inside are kept, at the end dropped */
	body_is(DKIM_CANON_RELAXED, "a\r\n  \r\n\r\nb\r\n \r\n",
	    "a\r\n\r\n\r\nb\r\n");
	/* a CR alone is content; a final CR too */
	body_is(DKIM_CANON_SIMPLE, "a\rb\r\n", "a\rb\r\n");
	body_is(DKIM_CANON_SIMPLE, "a\r", "a\r\r\n");
	body_is(DKIM_CANON_RELAXED, "a \r b\r\n", "a \r b\r\n");
	/* l=: the first bytes only; total counts them all */
	s = bcanon(DKIM_CANON_SIMPLE, "abc\r\ndef\r\n", 4, 1, &total);
	ck_assert_str_eq(s, "abc\r");
	ck_assert_uint_eq(total, 10);
	free(s);
	s = bcanon(DKIM_CANON_SIMPLE, "abc\r\ndef\r\n", 0, 0, &total);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/* A large body in pieces of every size gives the same canonical body. */
START_TEST(test_canon_body_pieces)
{
	struct buf in;
	char *whole, *piece;

	buf_init(&in, 0);
	for (int i = 0; i < 3000; i++)
		buf_puts(&in, i % 7 == 0 ? "\r\n" : i % 5 == 0 ? " \t x\n" :
		    i % 3 == 0 ? "y  \r" : "zz\t\r\n");
	for (int c = 0; c <= 1; c++) {
		whole = bcanon(c, in.p, UINT64_MAX, 0, NULL);
		for (size_t step = 1; step < 9000; step = step * 3 + 1) {
			piece = bcanon(c, in.p, UINT64_MAX, step, NULL);
			ck_assert_str_eq(whole, piece);
			free(piece);
		}
		free(whole);
	}
	buf_free(&in);
}
END_TEST

/* ---- dkim_verify ---- */

static const char *stub_txt;
static enum dns_status stub_status = DNS_OK;

static enum dns_status
stub(void *arg, const char *name, int type, struct strlist *out)
{
	(void)arg;
	(void)name;
	ck_assert_int_eq(type, DNS_T_TXT);
	if (stub_status == DNS_OK)
		strlist_add(out, stub_txt);
	return stub_status;
}

static void
verify(const char *msg, struct dkim_results *r)
{
	struct auth_dns dns = { .lookup = stub };

	dkim_verify(msg, strlen(msg), &dns, r);
}

START_TEST(test_verify_unsigned)
{
	struct dkim_results r;

	verify("From: a@example.com\r\n\r\nbody\r\n", &r);
	ck_assert_uint_eq(r.n, 0);
	dkim_results_free(&r);
	verify("", &r);
	ck_assert_uint_eq(r.n, 0);
	dkim_results_free(&r);
	verify("\r\n\r\nDKIM-Signature: v=1\r\n", &r);	/* in the body */
	ck_assert_uint_eq(r.n, 0);
	dkim_results_free(&r);
}
END_TEST

#define SIG_OK "v=1; a=rsa-sha256; d=Example.COM; s=sel; h=from:to;" \
	" bh=AAAA; b=QUJDREVGR0hJSktMTU5PUFFSU1RVVg=="

static enum dkim_status
one(const char *sig, char **why)
{
	struct dkim_results r;
	char *msg = xasprintf("DKIM-Signature: %s\r\nFrom: a@example.com\r\n"
	    "\r\nbody\r\n", sig);
	enum dkim_status st;

	verify(msg, &r);
	ck_assert_uint_eq(r.n, 1);
	st = r.v[0].status;
	ck_assert_ptr_nonnull(r.v[0].why);
	if (why != NULL)
		*why = xstrdup(r.v[0].why);
	dkim_results_free(&r);
	free(msg);
	return st;
}

START_TEST(test_verify_broken)
{
	stub_txt = "v=DKIM1; p=";
	stub_status = DNS_OK;
	/* syntax: neutral */
	ck_assert_int_eq(one("v=1; v=1", NULL), DKIM_NEUTRAL);
	ck_assert_int_eq(one("v=1; a=rsa-sha256; d=example.com; s=sel", NULL),
	    DKIM_NEUTRAL);
	ck_assert_int_eq(one(SIG_OK "; c=fancy", NULL), DKIM_NEUTRAL);
	ck_assert_int_eq(one(SIG_OK "; q=http", NULL), DKIM_NEUTRAL);
	ck_assert_int_eq(one(SIG_OK "; l=12x", NULL), DKIM_NEUTRAL);
	ck_assert_int_eq(one(SIG_OK "; t=20; x=10", NULL), DKIM_NEUTRAL);
	/* semantics: permerror */
	ck_assert_int_eq(one(SIG_OK "; i=a@example.org", NULL),
	    DKIM_PERMERROR);
	ck_assert_int_eq(one(SIG_OK "; i=a@badexample.com", NULL),
	    DKIM_PERMERROR);
	ck_assert_int_eq(one(SIG_OK "; x=1000", NULL), DKIM_PERMERROR);
	/* the key: revoked, none, lookups failing */
	ck_assert_int_eq(one(SIG_OK "; i=@sub.example.com", NULL),
	    DKIM_PERMERROR);
	stub_status = DNS_NXDOMAIN;
	ck_assert_int_eq(one(SIG_OK, NULL), DKIM_PERMERROR);
	stub_status = DNS_NODATA;
	ck_assert_int_eq(one(SIG_OK, NULL), DKIM_PERMERROR);
	stub_status = DNS_ERROR;
	ck_assert_int_eq(one(SIG_OK, NULL), DKIM_TEMPERROR);
	stub_status = DNS_PENDING;
	ck_assert_int_eq(one(SIG_OK, NULL), DKIM_TEMPERROR);
	stub_status = DNS_OK;
	stub_txt = "v=DKIM1; k=rsa; p=AAEC";
	ck_assert_int_eq(one(SIG_OK, NULL), DKIM_PERMERROR); /* no key */
}
END_TEST

START_TEST(test_verify_fields)
{
	struct dkim_results r;

	stub_txt = "p=";
	stub_status = DNS_OK;
	verify("DKIM-Signature: " SIG_OK "; i=\r\n  Who@Example.COM\r\n"
	    "From: a@example.com\r\n\r\n", &r);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.v[0].d, "example.com");
	ck_assert_str_eq(r.v[0].s, "sel");
	ck_assert_str_eq(r.v[0].a, "rsa-sha256");
	ck_assert_str_eq(r.v[0].i, "Who@Example.COM");
	ck_assert_str_eq(r.v[0].b12, "QUJDREVGR0hJ");
	dkim_results_free(&r);
	/* absent tags: "" and NULL */
	verify("DKIM-Signature: x=1\r\n\r\n", &r);
	ck_assert_str_eq(r.v[0].d, "");
	ck_assert_str_eq(r.v[0].b12, "");
	ck_assert_ptr_null(r.v[0].i);
	dkim_results_free(&r);
	ck_assert_str_eq(dkim_status_name(DKIM_PASS), "pass");
	ck_assert_str_eq(dkim_status_name(DKIM_POLICY), "policy");
	ck_assert_str_eq(dkim_status_name(DKIM_PERMERROR), "permerror");
}
END_TEST

START_TEST(test_verify_bound)
{
	struct dkim_results r;
	struct buf m;

	buf_init(&m, 0);
	for (int i = 0; i < DKIM_MAX_SIGS + 3; i++)
		buf_puts(&m, "DKIM-Signature: v=1\r\n");
	buf_puts(&m, "From: a@example.com\r\n\r\nbody\r\n");
	verify(m.p, &r);
	ck_assert_uint_eq(r.n, DKIM_MAX_SIGS);
	ck_assert_uint_eq(r.unchecked, 3);
	dkim_results_free(&r);
	buf_free(&m);
}
END_TEST

/* An Ed25519 signature made here over a relaxed/relaxed message, then
 * the message changed in the body and in a signed header. */
static char *
ed_signed(EVP_PKEY *k, const char *bhv)
{
	static const char head[] = "From: Alice <a@example.com>\r\n"
	    "Subject:  Hi \r\n";
	char *sigf = xasprintf("DKIM-Signature: v=1; a=ed25519-sha256; "
	    "c=relaxed/relaxed; d=example.com; s=ed; h=from:subject:from; "
	    "bh=%s; b=", bhv);
	unsigned char hash[32], sig[64];
	size_t slen = sizeof(sig);
	struct buf data;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	char *b64, *out;

	buf_init(&data, 0);
	dkim_canon_header(DKIM_CANON_RELAXED, "From: Alice <a@example.com>\r\n",
	    29, &data);
	dkim_canon_header(DKIM_CANON_RELAXED, "Subject:  Hi \r\n", 15, &data);
	dkim_canon_header(DKIM_CANON_RELAXED, sigf, strlen(sigf), &data);
	data.len -= 2;
	ck_assert(EVP_Digest(data.p, data.len, hash, NULL, EVP_sha256(),
	    NULL));
	ck_assert(EVP_DigestSignInit(c, NULL, NULL, NULL, k) == 1);
	ck_assert(EVP_DigestSign(c, sig, &slen, hash, sizeof(hash)) == 1);
	EVP_MD_CTX_free(c);
	b64 = xmalloc(100);
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)slen);
	out = xasprintf("%s%s\r\n%s\r\nHello  there \r\n\r\n", sigf, b64,
	    head);
	free(b64);
	free(sigf);
	buf_free(&data);
	return out;
}

START_TEST(test_verify_ed25519)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	unsigned char pub[32], bh[32];
	size_t plen = sizeof(pub);
	char pb64[64], bhb64[64], *rec, *msg, *bad;
	struct dkim_results r;
	struct buf body;

	ck_assert_ptr_nonnull(k);
	ck_assert(EVP_PKEY_get_raw_public_key(k, pub, &plen) == 1);
	EVP_EncodeBlock((unsigned char *)pb64, pub, 32);
	rec = xasprintf("v=DKIM1; k=ed25519; p=%s", pb64);
	stub_txt = rec;
	stub_status = DNS_OK;
	/* the relaxed body of "Hello  there \r\n\r\n" */
	ck_assert(EVP_Digest("Hello there\r\n", 13, bh, NULL, EVP_sha256(),
	    NULL));
	EVP_EncodeBlock((unsigned char *)bhb64, bh, 32);
	msg = ed_signed(k, bhb64);
	verify(msg, &r);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_msg(r.v[0].status == DKIM_PASS, "%s", r.v[0].why);
	ck_assert_uint_eq(r.v[0].key_bits, 0);
	dkim_results_free(&r);
	/* LF line ends */
	buf_init(&body, 0);
	for (const char *p = msg; *p; p++)
		if (*p != '\r')
			buf_putc(&body, *p);
	verify(body.p, &r);
	ck_assert_int_eq(r.v[0].status, DKIM_PASS);
	dkim_results_free(&r);
	buf_free(&body);
	/* the body changed */
	bad = xasprintf("%sP.S.\r\n", msg);
	verify(bad, &r);
	ck_assert_int_eq(r.v[0].status, DKIM_FAIL);
	ck_assert(r.v[0].body_mismatch);
	ck_assert_ptr_nonnull(strstr(r.v[0].why, "header signature verifies"));
	dkim_results_free(&r);
	free(bad);
	/* a signed header changed; white space alone is not a change */
	bad = xstrdup(msg);
	strstr(bad, "Subject:  Hi")[10] = 'h';
	verify(bad, &r);
	ck_assert_int_eq(r.v[0].status, DKIM_FAIL);
	ck_assert(!r.v[0].body_mismatch);
	dkim_results_free(&r);
	strstr(bad, "Subject:  hi")[10] = 'H';
	strstr(bad, "Subject:  Hi")[8] = '\t';
	verify(bad, &r);
	ck_assert_int_eq(r.v[0].status, DKIM_PASS);
	dkim_results_free(&r);
	free(bad);
	/* from is oversigned: a second From breaks it */
	bad = xasprintf("From: b@example.org\r\n%s", msg);
	verify(bad, &r);
	ck_assert_int_eq(r.v[0].status, DKIM_FAIL);
	ck_assert(!r.v[0].body_mismatch);
	dkim_results_free(&r);
	free(bad);
	/* the key of another type */
	free(rec);
	rec = xasprintf("v=DKIM1; k=rsa; p=%s", pb64);
	stub_txt = rec;
	verify(msg, &r);
	ck_assert_int_eq(r.v[0].status, DKIM_PERMERROR);
	dkim_results_free(&r);
	free(rec);
	free(msg);
	EVP_PKEY_free(k);
}
END_TEST

static Suite *
dkim_suite(void)
{
	Suite *s = suite_create("dkim");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_tags);
	tcase_add_test(tc, test_tags_bad);
	tcase_add_test(tc, test_key);
	tcase_add_test(tc, test_key_bad);
	tcase_add_test(tc, test_canon_rfc);
	tcase_add_test(tc, test_canon_header);
	tcase_add_test(tc, test_canon_body);
	tcase_add_test(tc, test_canon_body_pieces);
	tcase_add_test(tc, test_verify_unsigned);
	tcase_add_test(tc, test_verify_broken);
	tcase_add_test(tc, test_verify_fields);
	tcase_add_test(tc, test_verify_bound);
	tcase_add_test(tc, test_verify_ed25519);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(dkim_suite());
}
