/*
 * spf.h -- SPF (RFC 7208): check_host() for the MAIL FROM and HELO
 * identities, every mechanism and modifier, macros, the limits (10
 * lookups that count, 2 void lookups, 10 MX or PTR names each), exp=.
 *
 * Lookups go through struct auth_dns (auth_dns.h): synchronous, each
 * bounded by its source's deadline; an unanswered lookup is a temporary
 * error.  Every record and macro expansion is bounded (a record of at
 * most 4096 bytes, an expansion of at most 253 bytes of name, 10
 * include/redirect levels).
 *
 * Threads: no state outside the call; any number of threads may check
 * at once.  Ownership: the strings of struct spf_outcome are the
 * caller's (spf_outcome_free()).
 */
#ifndef WARDEN_SPF_H
#define WARDEN_SPF_H

#include <stdbool.h>

#include "auth_dns.h"

/* RFC 7208 section 2.6, and RFC 8601's words for them (spf_result_name):
 * none, neutral, pass, fail, softfail, temperror, permerror. */
enum spf_result { SPF_NONE = 0, SPF_NEUTRAL, SPF_PASS, SPF_FAIL,
	SPF_SOFTFAIL, SPF_TEMPERROR, SPF_PERMERROR };

struct spf_request {
	const char *ip;		/* the client's address (IPv4 or IPv6 text) */
	const char *sender;	/* MAIL FROM's address; "" or NULL: the null
				 * sender, whose identity is postmaster@HELO */
	const char *helo;	/* HELO/EHLO name; may be NULL */
	const char *receiver;	/* this host's name, for %{r} */
};

struct spf_outcome {
	enum spf_result result;
	char   *domain;		/* the identity's domain checked */
	char   *explanation;	/* fail with exp=: the expanded text */
	char   *why;		/* a short reason, for logs and --explain:
				 * the mechanism that matched, or the
				 * error ("too many DNS lookups") */
	unsigned lookups;	/* DNS lookups made */
};

/*
 * check_host() for the MAIL FROM identity (sender's domain; the HELO
 * name for the null sender), as RFC 7208 section 2.4 says.
 */
void spf_check_mailfrom(const struct spf_request *rq, struct auth_dns *dns,
    struct spf_outcome *out);
/* check_host() for the HELO identity (section 2.3); SPF_NONE when the
 * HELO name is not a domain name. */
void spf_check_helo(const struct spf_request *rq, struct auth_dns *dns,
    struct spf_outcome *out);
/* check_host(ip, domain, sender) itself. */
void spf_check_host(const char *ip, const char *domain, const char *sender,
    const char *helo, const char *receiver, struct auth_dns *dns,
    struct spf_outcome *out);

void spf_outcome_free(struct spf_outcome *o);
const char *spf_result_name(enum spf_result r);

#endif
