/*
 * dmarc.h -- DMARC (RFC 7489, with RFC 9091's np=): the policy record
 * of the RFC5322.From domain, found at _dmarc.DOMAIN or at its
 * organizational domain's (the Public Suffix List through libpsl),
 * identifier alignment of SPF and DKIM, strict or relaxed, and the
 * disposition the record asks for (p=, sp=, np=, pct=).
 *
 * Lookups go through struct auth_dns (auth_dns.h).  Records are parsed
 * within their first 4096 bytes, tag by tag.
 *
 * Threads: the organizational-domain list is loaded once for the
 * process (thread-safe); nothing else is shared.  Ownership: the
 * strings of struct dmarc_outcome are the caller's
 * (dmarc_outcome_free()).
 */
#ifndef WARDEN_DMARC_H
#define WARDEN_DMARC_H

#include <stdbool.h>

#include "auth_dns.h"
#include "dkim.h"
#include "spf.h"

/* RFC 8601's words (dmarc_result_name). */
enum dmarc_result { DMARC_NONE = 0, DMARC_PASS, DMARC_FAIL,
	DMARC_TEMPERROR, DMARC_PERMERROR };

/* A record's requested policies; DP_UNSET: the tag is absent. */
enum dmarc_policy { DP_UNSET = 0, DP_NONE, DP_QUARANTINE, DP_REJECT };

struct dmarc_record {
	enum dmarc_policy p, sp, np;
	bool    adkim_strict, aspf_strict;
	unsigned pct;			/* 0-100, 100 when absent */
};

/*
 * Parse a TXT record: 0 when it is a DMARC record (starts with
 * v=DMARC1), with its tags in r; -1 when it is not one.  A record
 * whose p= is missing or not a policy is taken with p=none when it
 * names a report address (RFC 7489 section 6.6.3), else -1.
 */
int dmarc_record_parse(const char *txt, struct dmarc_record *r);

/* The organizational domain of domain (lower case, no trailing dot):
 * a new string, or NULL when domain is itself a public suffix or not
 * a name. */
char *dmarc_org_domain(const char *domain);

struct dmarc_input {
	const char *from_domain;	/* the RFC5322.From domain (NULL: none
					 * or more than one: not checked) */
	const char *spf_domain;		/* the SPF identity's domain */
	enum spf_result spf;		/* its result (MAIL FROM's) */
	const struct dkim_results *dkim;	/* may be NULL */
};

struct dmarc_outcome {
	enum dmarc_result result;
	char   *domain;			/* the From domain */
	char   *record_domain;		/* where the record was found */
	enum dmarc_policy policy;	/* p=, sp= or np= as applies */
	enum dmarc_policy disposition;	/* what to do, after pct= */
	bool    spf_aligned, dkim_aligned;
	char   *why;			/* for logs and --explain */
};

void dmarc_check(const struct dmarc_input *in, struct auth_dns *dns,
    struct dmarc_outcome *out);
void dmarc_outcome_free(struct dmarc_outcome *o);
const char *dmarc_result_name(enum dmarc_result r);
const char *dmarc_policy_name(enum dmarc_policy p);

#endif
