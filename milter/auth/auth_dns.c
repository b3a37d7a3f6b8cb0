/*
 * auth_dns.c -- the authentication checks' lookups over the engine's
 * DNS sets (auth_dns.h).
 */
#include "autoconfig.h"

#include <string.h>

#include "auth_dns.h"

static enum dns_status
set_lookup(void *arg, const char *name, int type, struct strlist *out)
{
	struct auth_dns_set *s = arg;
	struct dns_query *q = dns_lookup(s->set, name, type);
	struct dns_answer a;

	if (q == NULL)
		return DNS_ERROR;	/* over dns_max_queries, or no resolver */
	dns_wait_one(q, s->deadline_ms);
	dns_answer(q, &a);
	for (size_t i = 0; a.status == DNS_OK && i < a.nrr; i++)
		strlist_add(out, a.rr[i]);
	return a.status;
}

void
auth_dns_over_set(struct auth_dns *a, struct auth_dns_set *s,
    struct dns_set *set, double deadline_ms)
{
	memset(a, 0, sizeof(*a));
	s->set = set;
	s->deadline_ms = deadline_ms;
	a->lookup = set_lookup;
	a->arg = s;
}

enum dns_status
auth_dns_lookup(struct auth_dns *a, const char *name, int type,
    struct strlist *out)
{
	a->nlookups++;
	return a->lookup(a->arg, name, type, out);
}
