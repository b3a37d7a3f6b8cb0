/*
 * spf.h -- SPF (RFC 7208): check_host() for the MAIL FROM and HELO
 * identities, every mechanism and modifier, macros, the limits (10
 * lookups that count, 2 void lookups, 10 MX or PTR names each), exp=.
 *
 * Lookups go through struct auth_dns (auth_dns.h): synchronous, each
 * bounded by its source's deadline; an unanswered lookup is a temporary
 * error.  Only TXT records are read (RFC 7208 dropped type SPF).
 *
 * Every record and macro expansion is bounded: a record of 4096 bytes or
 * more is a permerror (the DNS layer keeps 4096 bytes of a TXT record,
 * so such a record may have been cut); a macro's value is at most 1024
 * bytes and a name built from macros at most 253 (cut from the left, as
 * RFC 7208 7.3 says; one that cannot be cut to a name matches nothing);
 * an explanation at most 1024 bytes (longer: none); include and redirect
 * nest 11 levels at most (the 10-lookup limit stops them first); a check
 * makes 256 lookups at most whatever its records say.
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
	char   *domain;		/* the identity's domain checked (never
				 * NULL; no trailing dot) */
	char   *explanation;	/* fail with exp=: the expanded text (ASCII,
				 * at most 1024 bytes); NULL otherwise */
	char   *why;		/* a short reason, for logs and --explain,
				 * never NULL: "example.com: -all matched",
				 * "example.com: more than 10 DNS lookups
				 * (at include:...)", "example.com: no SPF
				 * record"; printable ASCII */
	unsigned lookups;	/* DNS lookups made (auth_dns_lookup()) */
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
/*
 * check_host(ip, domain, sender) itself.  sender is the MAIL FROM
 * address (angle brackets allowed), NULL or "" for postmaster@domain;
 * a sender without local-part is postmaster@ its domain.  helo and
 * receiver feed %{h} and %{r} only (NULL: "unknown").  An ip that is no
 * address, or a domain that is no multi-label domain name (4.3), is
 * SPF_NONE without a lookup.  An IPv4-mapped IPv6 ip is an IPv4 one.
 */
void spf_check_host(const char *ip, const char *domain, const char *sender,
    const char *helo, const char *receiver, struct auth_dns *dns,
    struct spf_outcome *out);

/* Free o's strings (o is zeroed). */
void spf_outcome_free(struct spf_outcome *o);
/* "none", "neutral", "pass", "fail", "softfail", "temperror",
 * "permerror": the words of RFC 8601 and of the scripts that read
 * Warden's results. */
const char *spf_result_name(enum spf_result r);

#endif
