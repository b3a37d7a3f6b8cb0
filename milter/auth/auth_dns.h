/*
 * auth_dns.h -- the lookups of the sender-authentication checks (SPF,
 * DKIM, DMARC, ARC): one synchronous call per lookup, so that each
 * check reads as its RFC does, over any source of answers.
 *
 * In the engine the source is the message's DNS set (dns.h): the call
 * starts the lookup (or finds the one started earlier, at MAIL FROM)
 * and waits for its answer until the stage's DNS deadline, never past
 * it.  The tests give a table instead (the RFC 7208 suite's zones).
 *
 * Threads and ownership: a struct auth_dns belongs to the thread that
 * judges the message; what a lookup adds to *out is the caller's.
 */
#ifndef WARDEN_AUTH_DNS_H
#define WARDEN_AUTH_DNS_H

#include "dns.h"
#include "util.h"

struct auth_dns {
	/*
	 * The records of name (no trailing dot needed) of type (DNS_T_A,
	 * DNS_T_AAAA, DNS_T_TXT, DNS_T_MX, DNS_T_PTR, ...), as dns.h's
	 * struct dns_answer gives them (A/AAAA as text, TXT the strings of
	 * one record joined, MX/PTR/NS/CNAME the name, lower case, no
	 * trailing dot), added to out.  Returns DNS_OK (out has at least
	 * one record), DNS_NODATA, DNS_NXDOMAIN, DNS_ERROR (SERVFAIL, not
	 * asked: a temporary error) or DNS_PENDING (no answer by the
	 * deadline: a temporary error too).
	 */
	enum dns_status (*lookup)(void *arg, const char *name, int type,
	    struct strlist *out);
	void   *arg;
	/* Lookups made so far through this struct (for the limits). */
	unsigned nlookups;
};

/* Lookups through dns set s, each waiting until deadline_ms at most
 * (auth_dns_lookup() counts them). */
struct auth_dns_set {
	struct dns_set *set;
	double  deadline_ms;
};
void auth_dns_over_set(struct auth_dns *a, struct auth_dns_set *s,
    struct dns_set *set, double deadline_ms);

/* a->lookup(), counted in a->nlookups. */
enum dns_status auth_dns_lookup(struct auth_dns *a, const char *name,
    int type, struct strlist *out);

#endif
