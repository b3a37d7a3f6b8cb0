/*
 * fuzz_dkim -- DKIM verification (dkim.c) of hostile messages and key
 * records.
 *
 * The input is a message; if it starts with "K:", its first line (after
 * "K:") is the key record that every lookup answers, otherwise a fixed
 * Ed25519 record.  A selector containing "nx", "sf" or "to" is answered
 * NXDOMAIN, SERVFAIL or a timeout.
 *
 * Invariants: at most DKIM_MAX_SIGS results, each with a status other
 * than none, a reason, d, s, a, b12 present and free of white space,
 * control bytes and ';', b12 at most 12 bytes; body_mismatch only with
 * fail; sha1 only with a=rsa-sha1.  The same message with LF line ends
 * (when it has no CR but in CRLF) gets the same statuses.  The body
 * canonicalized in two pieces is the body canonicalized at once, in
 * both canonicalizations, with and without a length limit.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"
#include "fuzz.h"
#include "util.h"

#define MAX_INPUT	(1 << 20)

static const char *key_record;
static const char default_key[] =
    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static enum dns_status
stub(void *arg, const char *name, int type, struct strlist *out)
{
	(void)arg;
	if (type != DNS_T_TXT)
		abort();
	if (strstr(name, "nx") != NULL)
		return DNS_NXDOMAIN;
	if (strstr(name, "sf") != NULL)
		return DNS_ERROR;
	if (strstr(name, "to") != NULL)
		return DNS_PENDING;
	strlist_add(out, key_record);
	return DNS_OK;
}

static void
clean(const char *s)
{
	if (s == NULL)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == ';' || *s == 0x7f)
			abort();
}

static void
check(const struct dkim_results *r)
{
	if (r->n > DKIM_MAX_SIGS || (r->unchecked > 0 &&
	    r->n != DKIM_MAX_SIGS))
		abort();
	for (size_t i = 0; i < r->n; i++) {
		const struct dkim_sig *s = &r->v[i];

		if (s->status <= DKIM_NONE || s->status > DKIM_PERMERROR ||
		    s->why == NULL)
			abort();
		clean(s->d);
		clean(s->s);
		clean(s->a);
		clean(s->b12);
		if (s->i != NULL)
			clean(s->i);
		if (strlen(s->b12) > 12)
			abort();
		if (s->body_mismatch && s->status != DKIM_FAIL)
			abort();
		if (s->sha1 && strcasecmp(s->a, "rsa-sha1") != 0)
			abort();
		if (strcmp(dkim_status_name(s->status), "unknown") == 0)
			abort();
	}
}

/* The canonical body folded into a hash. */
static void
fold(void *arg, const void *p, size_t n)
{
	unsigned long long *h = arg;
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ c[i]) * 1099511628211ull;
}

static unsigned long long
canon_body(enum dkim_canon c, uint64_t limit, const char *b, size_t n,
    size_t cut, uint64_t *total)
{
	static struct dkim_body body;	/* 4 kB: not on the stack */
	unsigned long long h = 14695981039346656037ull;

	dkim_body_init(&body, c, limit, fold, &h);
	dkim_body_update(&body, b, cut);
	dkim_body_update(&body, b + cut, n - cut);
	dkim_body_final(&body);
	*total = body.total;
	return h;
}

static void
check_pieces(const char *b, size_t n)
{
	size_t cut = n > 0 ? (b[0] * 131u + n) % (n + 1) : 0;

	for (int c = 0; c <= 1; c++)
		for (int l = 0; l <= 1; l++) {
			uint64_t lim = l ? n / 2 : UINT64_MAX, t1, t2;

			if (canon_body(c, lim, b, n, 0, &t1) !=
			    canon_body(c, lim, b, n, cut, &t2) || t1 != t2)
				abort();
		}
}

/* The message with CRLF made LF, if every CR is in a CRLF. */
static char *
lf_only(const char *m, size_t n, size_t *out)
{
	char *p = xmalloc(n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (m[i] == '\r') {
			if (i + 1 >= n || m[i + 1] != '\n') {
				free(p);
				return NULL;
			}
			continue;
		}
		p[k++] = m[i];
	}
	*out = k;
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;
	size_t len = size > MAX_INPUT ? MAX_INPUT : size, lfn;
	struct auth_dns dns = { .lookup = stub };
	struct dkim_results r, r2;
	char *rec = NULL, *lf;

	key_record = default_key;
	if (len >= 2 && memcmp(msg, "K:", 2) == 0) {
		const char *nl = memchr(msg, '\n', len);
		size_t rl = nl ? (size_t)(nl - msg) : len;

		rec = xstrndup(msg + 2, rl - 2);
		key_record = rec;
		msg += nl ? rl + 1 : rl;
		len -= nl ? rl + 1 : rl;
	}
	/* a private copy, so that reads past the end are caught */
	char *copy = xmalloc(len ? len : 1);

	memcpy(copy, msg, len);
	dkim_verify_at(copy, len, &dns, 1700000000, &r);
	check(&r);
	if ((lf = lf_only(copy, len, &lfn)) != NULL) {
		dkim_verify_at(lf, lfn, &dns, 1700000000, &r2);
		check(&r2);
		if (r2.n != r.n)
			abort();
		for (size_t i = 0; i < r.n; i++)
			if (r.v[i].status != r2.v[i].status ||
			    r.v[i].body_mismatch != r2.v[i].body_mismatch)
				abort();
		dkim_results_free(&r2);
		free(lf);
	}
	dkim_results_free(&r);
	check_pieces(copy, len > 65536 ? 65536 : len);
	free(copy);
	free(rec);
	return 0;
}
