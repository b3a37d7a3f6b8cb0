/*
 * test_dkim_sign.c -- DKIM signing (dkim_sign.c): keys read from their
 * files (RSA PEM, Ed25519 PEM and dkimpy's base64 seed) or refused with
 * the file named, signatures made and then verified by Warden's own
 * verifier (dkim_verify, over a stub key lookup): RSA, Ed25519, both at
 * once, a parent domain's keys, oversigning, the h= list, the folding.
 * tests/auth/dkim_sign_interop.sh has dkimpy and OpenDKIM verify them.
 */
#include "autoconfig.h"

#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "dkim.h"
#include "dkim_sign.h"
#include "util.h"
#include "unit.h"

static char *dir;
static char *f_rsa, *f_ed, *f_seed, *f_short;
static struct strlist records;	/* "name\trecord" */

static char *
write_key(const char *name, EVP_PKEY *pk)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(p, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(fp);
	return p;
}

static void
setup(void)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *ed2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *rsa1k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	unsigned char seed[32];
	char b64[64];
	size_t sl = sizeof(seed);
	FILE *fp;

	ck_assert(rsa && ed && ed2 && rsa1k);
	dir = unit_tmpdir();
	f_rsa = write_key("rsa.pem", rsa);
	f_ed = write_key("ed.pem", ed);
	f_short = write_key("short.pem", rsa1k);
	/* dkimpy's dknewkey --ktype ed25519: the seed in base64 */
	ck_assert_int_eq(EVP_PKEY_get_raw_private_key(ed2, seed, &sl), 1);
	EVP_EncodeBlock((unsigned char *)b64, seed, 32);
	f_seed = xasprintf("%s/seed.key", dir);
	fp = fopen(f_seed, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "%s\n", b64);
	fclose(fp);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(ed2);
	EVP_PKEY_free(rsa1k);
}

static void
teardown(void)
{
	unlink(f_rsa);
	unlink(f_ed);
	unlink(f_seed);
	unlink(f_short);
	rmdir(dir);
	free(f_rsa);
	free(f_ed);
	free(f_seed);
	free(f_short);
	free(dir);
	strlist_free(&records);
}

/* The key records, as published. */
static enum dns_status
stub(void *arg, const char *name, int type, struct strlist *out)
{
	size_t n = strlen(name);

	(void)arg;
	(void)type;
	for (size_t i = 0; i < records.n; i++)
		if (strncmp(records.v[i], name, n) == 0 &&
		    records.v[i][n] == '\t') {
			strlist_add(out, records.v[i] + n + 1);
			return DNS_OK;
		}
	return DNS_NXDOMAIN;
}

static struct dkim_signer *
load(const char *const *doms, const char *const *hdrs)
{
	struct strlist d = { 0 }, h = { 0 };
	struct dkim_signer *s = NULL;
	struct diag dg;

	for (; *doms; doms++)
		strlist_add(&d, *doms);
	for (; hdrs && *hdrs; hdrs++)
		strlist_add(&h, *hdrs);
	diag_init(&dg);
	ck_assert_msg(dkim_signer_load(&d, &h, "w.conf", 3, &s, &dg) == 0,
	    "%s", dg.errors.n ? dg.errors.v[0] : "?");
	ck_assert_ptr_nonnull(s);
	strlist_free(&records);
	for (size_t i = 0; i < s->nkeys; i++) {
		char *rec = dkim_sign_key_record(&s->keys[i]);

		strlist_add_owned(&records, xasprintf("%s._domainkey.%s\t%s",
		    s->keys[i].selector, s->keys[i].domain, rec));
		free(rec);
	}
	strlist_free(&d);
	strlist_free(&h);
	diag_free(&dg);
	return s;
}

static const char MSG[] =
    "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "From: Alice <alice@mail.example.com>\r\n"
    "To: Bob <bob@example.org>,\r\n"
    "  Carol <carol@example.org>\r\n"
    "Subject:   Hello\r\n"
    "\tthere\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Message-ID: <1@mail.example.com>\r\n"
    "Received: from c by d; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "\r\n"
    "Hello  Bob, \r\n"
    "\r\n"
    "bye\r\n"
    "\r\n\r\n";

/* msg with the signatures of out on top; the caller frees it. */
static char *
signed_msg(const struct strlist *sigs, const char *msg)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < sigs->n; i++) {
		buf_puts(&b, "DKIM-Signature: ");
		for (const char *p = sigs->v[i]; *p; p++) {
			if (*p == '\n')
				buf_putc(&b, '\r');
			buf_putc(&b, *p);
		}
		buf_puts(&b, "\r\n");
	}
	buf_puts(&b, msg);
	return buf_steal(&b);
}

static void
verify(const char *m, struct dkim_results *r)
{
	struct auth_dns dns = { .lookup = stub };

	memset(r, 0, sizeof(*r));
	dkim_verify(m, strlen(m), &dns, r);
}

/* Tag name of value v, white space removed. */
static char *
tagval(const char *v, const char *name)
{
	struct dkim_tags t;
	const struct dkim_tag *tg;
	const char *why;
	struct buf b;

	ck_assert_int_eq(dkim_tags_parse(v, strlen(v), &t, &why), 0);
	tg = dkim_tag_get(&t, name);
	ck_assert_ptr_nonnull(tg);
	buf_init(&b, 0);
	for (size_t i = 0; i < tg->vlen; i++)
		if (tg->val[i] != ' ' && tg->val[i] != '\t' &&
		    tg->val[i] != '\r' && tg->val[i] != '\n')
			buf_putc(&b, tg->val[i]);
	if (b.p == NULL)
		buf_puts(&b, "");
	return buf_steal(&b);
}

START_TEST(test_rsa_ed25519_dual)
{
	char d0[256], d1[256];
	const char *dv[3] = { d0, d1, NULL };
	struct strlist sigs = { 0 };
	struct dkim_signer *s;
	struct dkim_results r;
	const char *why = NULL;
	char *m, *v;

	snprintf(d0, sizeof(d0), "example.com:rsa:%s", f_rsa);
	snprintf(d1, sizeof(d1), "Example.COM:ed:%s", f_ed);
	s = load(dv, NULL);
	ck_assert_uint_eq(s->nkeys, 2);
	ck_assert(!s->keys[0].ed25519);
	ck_assert_uint_eq(s->keys[0].bits, 2048);
	ck_assert(s->keys[1].ed25519);
	/* the From domain's parent signs; another domain does not */
	ck_assert_str_eq(dkim_signer_domain(s, "mail.example.com"),
	    "example.com");
	ck_assert_ptr_null(dkim_signer_domain(s, "example.org"));
	ck_assert_ptr_null(dkim_signer_domain(s, "xexample.com"));
	ck_assert_int_eq(dkim_sign(s, "example.org", MSG, strlen(MSG), 0,
	    &sigs, &why), 0);
	ck_assert_int_eq(dkim_sign(s, "mail.example.com", MSG, strlen(MSG),
	    time(NULL), &sigs, &why), 2);
	m = signed_msg(&sigs, MSG);
	verify(m, &r);
	ck_assert_uint_eq(r.n, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_msg(r.v[i].status == DKIM_PASS, "%zu: %s: %s", i,
		    dkim_status_name(r.v[i].status), r.v[i].why);
		ck_assert_str_eq(r.v[i].d, "example.com");
	}
	ck_assert_str_eq(r.v[0].a, "rsa-sha256");
	ck_assert_str_eq(r.v[0].s, "rsa");
	ck_assert_uint_eq(r.v[0].key_bits, 2048);
	ck_assert_str_eq(r.v[1].a, "ed25519-sha256");
	dkim_results_free(&r);
	free(m);
	/* the tags */
	v = tagval(sigs.v[0], "c");
	ck_assert_str_eq(v, "relaxed/relaxed");
	free(v);
	v = tagval(sigs.v[0], "v");
	ck_assert_str_eq(v, "1");
	free(v);
	/* h=: each present field once, From, To and Subject once more */
	v = tagval(sigs.v[0], "h");
	ck_assert_str_eq(v, "From:From:Subject:Subject:Date:To:To:Message-ID");
	free(v);
	/* lines of 78 characters at most, "DKIM-Signature: " included */
	for (size_t i = 0; i < sigs.n; i++) {
		size_t col = strlen("DKIM-Signature: ");

		for (const char *p = sigs.v[i]; *p; p++) {
			if (*p == '\n') {
				ck_assert_uint_le(col, 78);
				col = 0;
			} else
				col++;
		}
		ck_assert_uint_le(col, 78);
		ck_assert_ptr_null(strchr(sigs.v[i], '\r'));
	}
	strlist_free(&sigs);
	dkim_signer_free(s);
}
END_TEST

START_TEST(test_oversign_and_tamper)
{
	char d0[256];
	const char *dv[2] = { d0, NULL };
	struct strlist sigs = { 0 };
	struct dkim_signer *s;
	struct dkim_results r;
	const char *why = NULL;
	char *m, *m2;
	struct buf b;

	snprintf(d0, sizeof(d0), "mail.example.com:seed:%s", f_seed);
	s = load(dv, NULL);
	ck_assert(s->keys[0].ed25519);
	ck_assert_int_eq(dkim_sign(s, "mail.example.com", MSG, strlen(MSG),
	    time(NULL), &sigs, &why), 1);
	m = signed_msg(&sigs, MSG);
	verify(m, &r);
	ck_assert_msg(r.n == 1 && r.v[0].status == DKIM_PASS, "%s",
	    r.n ? r.v[0].why : "none");
	dkim_results_free(&r);
	/* a From, To or Subject added on the way breaks it */
	for (int i = 0; i < 3; i++) {
		static const char *const add[] = { "From: m@evil.example\r\n",
		    "Cc: x@evil.example\r\nTo: x@evil.example\r\n",
		    "Subject: other\r\n" };

		buf_init(&b, 0);
		buf_puts(&b, add[i]);
		buf_puts(&b, m);
		verify(b.p, &r);
		ck_assert_int_eq(r.v[0].status, DKIM_FAIL);
		ck_assert(!r.v[0].body_mismatch);
		dkim_results_free(&r);
		buf_free(&b);
	}
	/* ... a Received field (not signed) does not */
	m2 = xasprintf("Received: from e by f\r\n%s", m);
	verify(m2, &r);
	ck_assert_int_eq(r.v[0].status, DKIM_PASS);
	dkim_results_free(&r);
	free(m2);
	/* the body changed */
	m2 = xstrdup(m);
	*strstr(m2, "bye") = 'B';
	verify(m2, &r);
	ck_assert_int_eq(r.v[0].status, DKIM_FAIL);
	ck_assert(r.v[0].body_mismatch);
	dkim_results_free(&r);
	free(m2);
	free(m);
	strlist_free(&sigs);
	dkim_signer_free(s);
}
END_TEST

/* A message with LF line ends signs as the same message with CRLF. */
START_TEST(test_lf_and_headers)
{
	char d0[256];
	const char *dv[2] = { d0, NULL };
	const char *const hdrs[] = { "from", "+Cc", "Subject", NULL };
	struct strlist sigs = { 0 };
	struct dkim_signer *s;
	struct dkim_results r;
	const char *why = NULL;
	struct buf lf;
	char *m, *v;

	snprintf(d0, sizeof(d0), "example.com:rsa:%s", f_rsa);
	s = load(dv, hdrs);
	buf_init(&lf, 0);
	for (const char *p = MSG; *p; p++)
		if (*p != '\r')
			buf_putc(&lf, *p);
	ck_assert_int_eq(dkim_sign(s, "example.com", lf.p, lf.len, time(NULL),
	    &sigs, &why), 1);
	v = tagval(sigs.v[0], "h");
	ck_assert_str_eq(v, "from:Cc:Subject");
	free(v);
	m = signed_msg(&sigs, MSG);
	verify(m, &r);
	ck_assert_msg(r.n == 1 && r.v[0].status == DKIM_PASS, "%s",
	    r.n ? r.v[0].why : "none");
	dkim_results_free(&r);
	free(m);
	buf_free(&lf);
	strlist_free(&sigs);
	dkim_signer_free(s);
}
END_TEST

/* Every key that cannot be used is an error naming its file. */
START_TEST(test_load_errors)
{
	struct strlist d = { 0 }, h = { 0 };
	struct dkim_signer *s = (void *)1;
	struct diag dg;
	char *missing = xasprintf("%s/missing.pem", dir);

	strlist_add_owned(&d, xasprintf("example.com:a:%s", missing));
	strlist_add_owned(&d, xasprintf("example.com:b:%s", f_short));
	strlist_add(&d, "example.com:nofile");
	strlist_add_owned(&d, xasprintf("example.com:c:%s", dir));
	diag_init(&dg);
	ck_assert_int_eq(dkim_signer_load(&d, &h, "w.conf", 7, &s, &dg), -1);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(dg.errors.n, 4);
	ck_assert(unit_list_has(&dg.errors, "w.conf:7: "));
	ck_assert(unit_list_has(&dg.errors, missing));
	ck_assert(unit_list_has(&dg.errors, "No such file or directory"));
	ck_assert(unit_list_has(&dg.errors, f_short));
	ck_assert(unit_list_has(&dg.errors, "under 2048 bits"));
	ck_assert(unit_list_has(&dg.errors, "expected DOMAIN:SELECTOR:KEYFILE"));
	diag_free(&dg);
	/* From must be signed */
	strlist_free(&d);
	strlist_add_owned(&d, xasprintf("example.com:a:%s", f_ed));
	strlist_add(&h, "Subject");
	diag_init(&dg);
	ck_assert_int_eq(dkim_signer_load(&d, &h, "w.conf", 7, &s, &dg), -1);
	ck_assert(unit_list_has(&dg.errors, "must list From"));
	diag_free(&dg);
	/* none configured: no signer, no error */
	strlist_free(&d);
	diag_init(&dg);
	ck_assert_int_eq(dkim_signer_load(&d, &h, "w.conf", 0, &s, &dg), 0);
	ck_assert_ptr_null(s);
	ck_assert_uint_eq(dg.errors.n, 0);
	diag_free(&dg);
	strlist_free(&h);
	free(missing);
}
END_TEST

static Suite *
dkim_sign_suite(void)
{
	Suite *s = suite_create("dkim_sign");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rsa_ed25519_dual);
	tcase_add_test(tc, test_oversign_and_tamper);
	tcase_add_test(tc, test_lf_and_headers);
	tcase_add_test(tc, test_load_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(dkim_sign_suite());
}
