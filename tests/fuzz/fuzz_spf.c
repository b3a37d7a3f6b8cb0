/*
 * fuzz_spf -- Warden's SPF checks (spf.h) on records written to hurt:
 * the evaluator runs over a zone taken from the input, with no network.
 *
 * The input is lines.  "NAME TYPE VALUE" adds a record (TYPE: A, AAAA,
 * TXT, MX, PTR, CNAME, TIMEOUT; VALUE the rest of the line, "\0" a NUL
 * byte); "? IP SENDER HELO" is a request (any number; none: 192.0.2.3,
 * user@example.com, mx.example.com).  Each request is checked for its
 * MAIL FROM and its HELO identity, then once more from an IPv6 and an
 * IPv4-mapped client.
 *
 * Invariants: the result is one of enum spf_result; the outcome has its
 * domain and reason; an explanation comes only with fail and is at most
 * 1024 bytes; at most 256 lookups, as counted by struct auth_dns; every
 * name asked is one DNS can carry (1..253 bytes, labels of 1..63); the
 * same check twice gives the same result after the same lookups.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "spf.h"
#include "util.h"
#include "../auth/zone.h"

#define MAX_RECORDS	256
#define MAX_REQUESTS	4

static struct zone z;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	return 0;
}

/* The zone's answers, each name checked first. */
static enum dns_status
checked_lookup(void *arg, const char *name, int type, struct strlist *out)
{
	struct auth_dns *inner = arg;
	size_t n = strlen(name), label = 0;

	if (n == 0 || n > 253)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (name[i] != '.') {
			if (++label > 63)
				abort();
		} else if (label == 0)
			abort();
		else
			label = 0;
	}
	if (label == 0)
		abort();
	return inner->lookup(inner->arg, name, type, out);
}

static void
check_outcome(const struct spf_outcome *o, unsigned counted)
{
	if ((int)o->result < SPF_NONE || o->result > SPF_PERMERROR)
		abort();
	if (o->domain == NULL || o->why == NULL)
		abort();
	if (o->explanation != NULL && (o->result != SPF_FAIL ||
	    strlen(o->explanation) > 1024))
		abort();
	if (o->lookups > 256 || o->lookups != counted)
		abort();
}

/* One identity of rq, twice. */
static void
run(const struct spf_request *rq, bool helo)
{
	struct auth_dns inner, dns;
	struct spf_outcome o[2];

	zone_dns(&z, &inner);
	for (int i = 0; i < 2; i++) {
		memset(&dns, 0, sizeof(dns));
		dns.lookup = checked_lookup;
		dns.arg = &inner;
		if (helo)
			spf_check_helo(rq, &dns, &o[i]);
		else
			spf_check_mailfrom(rq, &dns, &o[i]);
		check_outcome(&o[i], dns.nlookups);
	}
	if (o[0].result != o[1].result || o[0].lookups != o[1].lookups)
		abort();
	spf_outcome_free(&o[0]);
	spf_outcome_free(&o[1]);
}

static void
run_all(const struct spf_request *rq)
{
	static const char *ips[] = { NULL, "2001:db8::cb01",
	    "::ffff:192.0.2.3" };

	for (size_t i = 0; i < ARRAY_LEN(ips); i++) {
		struct spf_request r = *rq;

		if (ips[i] != NULL)
			r.ip = ips[i];
		run(&r, false);
		run(&r, true);
	}
}

/* "\0" in a value as a NUL byte, in place; the length. */
static size_t
value_bytes(char *v)
{
	size_t o = 0;

	for (size_t i = 0; v[i]; i++) {
		if (v[i] == '\\' && v[i + 1] == '0') {
			v[o++] = '\0';
			i++;
		} else
			v[o++] = v[i];
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xstrndup((const char *)data, size > 65536 ? 65536 : size);
	struct spf_request rq[MAX_REQUESTS];
	size_t nrq = 0;
	char *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { 0 };
		char *p = l;
		int nf = 0;

		for (; nf < 3 && p != NULL; nf++) {
			f[nf] = p;
			if ((p = strchr(p, ' ')) != NULL)
				*p++ = '\0';
		}
		f[3] = p;
		if (strcmp(f[0], "?") == 0) {
			if (nrq < MAX_REQUESTS) {
				rq[nrq].ip = f[1] ? f[1] : "192.0.2.3";
				rq[nrq].sender = f[2] ? f[2] : "";
				rq[nrq].helo = f[3];
				rq[nrq].receiver = "mx.example.net";
				nrq++;
			}
			continue;
		}
		if (nf < 2 || zone_type(f[1]) == 0 || z.n >= MAX_RECORDS)
			continue;
		if (f[2] != NULL && f[3] != NULL)
			f[3][-1] = ' ';		/* the value is the rest */
		zone_add(&z, f[0], zone_type(f[1]), f[2] ? f[2] : "",
		    f[2] ? value_bytes(f[2]) : 0);
	}
	if (nrq == 0) {
		rq[0].ip = "192.0.2.3";
		rq[0].sender = "user@example.com";
		rq[0].helo = "mx.example.com";
		rq[0].receiver = "mx.example.net";
		nrq = 1;
	}
	for (size_t i = 0; i < nrq; i++)
		run_all(&rq[i]);
	zone_clear(&z);
	free(copy);
	return 0;
}
