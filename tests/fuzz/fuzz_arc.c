/*
 * fuzz_arc -- ARC verification (arc.c) of hostile messages and key
 * records, and the reading of ARC-Authentication-Results
 * (arc_aar_vouches()).
 *
 * The input is a message; if it starts with "K:", its first line (after
 * "K:") is the key record that every lookup answers, otherwise a fixed
 * Ed25519 record.  A selector or domain containing "nx", "sf" or "to"
 * is answered NXDOMAIN, SERVFAIL or a timeout.
 *
 * Invariants: the result is none, pass or fail; none exactly when no
 * ARC header field is present; a reason free of '(', ')' and control
 * bytes; pass only with sets for every instance 1..n (n at most
 * ARC_MAX_SETS), cv=none at i=1 and cv=pass above, every seal and the
 * newest AMS passed, a sealer named, and oldest_pass 0 or in 2..n; the
 * strings of each set free of control bytes (aar) or of white space
 * (d=, s=, cv=).  At most 2 * n + 2 key lookups.  The same message
 * with LF line ends (when it has no CR but in CRLF) gets the same
 * result.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc.h"
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
nows(const char *s)
{
	if (s == NULL)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == ';' || *s == 0x7f)
			abort();
}

static void
check(const struct arc_results *r, unsigned nlookups)
{
	if (r->why == NULL || strcmp(arc_result_name(r->result),
	    "unknown") == 0)
		abort();
	for (const char *p = r->why; *p; p++)
		if (*p == '(' || *p == ')' || (unsigned char)*p < ' ')
			abort();
	if ((r->result == ARC_NONE) == r->present)
		abort();
	if (r->n > ARC_MAX_SETS || nlookups > 2 * r->n + 2)
		abort();
	for (size_t i = 0; r->sets != NULL && i < r->n; i++) {
		const struct arc_set *s = &r->sets[i];

		if (s->i != i + 1 || s->aar == NULL)
			abort();
		for (const char *p = s->aar; *p; p++)
			if ((unsigned char)*p < ' ')
				abort();
		nows(s->ams_d);
		nows(s->ams_s);
		nows(s->as_d);
		nows(s->as_s);
		nows(s->cv);
	}
	if (r->result != ARC_PASS) {
		if (arc_sealer(r) != NULL)
			abort();
		return;
	}
	if (r->sets == NULL || r->n == 0 || arc_sealer(r) == NULL ||
	    r->sets[r->n - 1].ams != DKIM_PASS ||
	    (r->oldest_pass != 0 && (r->oldest_pass < 2 ||
	    r->oldest_pass > r->n)))
		abort();
	for (size_t i = 0; i < r->n; i++)
		if (r->sets[i].as != DKIM_PASS ||
		    strcmp(r->sets[i].cv, i == 0 ? "none" : "pass") != 0)
			abort();
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
	struct arc_results r, r2;
	char *rec = NULL, *lf, *copy;

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
	copy = xmalloc(len ? len : 1);
	memcpy(copy, msg, len);
	dns.nlookups = 0;
	arc_verify(copy, len, &dns, &r);
	check(&r, dns.nlookups);
	if ((lf = lf_only(copy, len, &lfn)) != NULL) {
		dns.nlookups = 0;
		arc_verify(lf, lfn, &dns, &r2);
		check(&r2, dns.nlookups);
		if (r2.result != r.result)
			abort();
		arc_results_free(&r2);
		free(lf);
	}
	/* what each set's AAR says, against a From domain of the input */
	for (size_t i = 0; r.sets != NULL && i < r.n; i++) {
		(void)arc_aar_vouches(r.sets[i].aar, "origin.example");
		(void)arc_aar_vouches(r.sets[i].aar, r.sets[i].as_d);
	}
	arc_results_free(&r);
	/* the whole input as an AAR value, NUL-terminated */
	{
		char *s = xstrndup(copy, len > 4096 ? 4096 : len);

		(void)arc_aar_vouches(s, "example.com");
		free(s);
	}
	free(copy);
	free(rec);
	return 0;
}
