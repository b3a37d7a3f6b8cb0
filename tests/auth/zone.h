/*
 * zone.h -- a table of DNS records that answers struct auth_dns lookups,
 * for the tests of the sender-authentication checks (the RFC 7208
 * suite's zones, the unit tests, the fuzz targets): no network.
 *
 * Answers are given as the engine's DNS layer gives them (dns.h): A and
 * AAAA as inet_ntop() text, TXT at most 4096 bytes with NUL bytes as
 * '?', MX/PTR/CNAME names lower case without the trailing dot.  Names
 * are matched without regard to case; a CNAME is followed (8 hops; a
 * loop is DNS_ERROR).  As the RFC 7208 suite's own driver (pyspf's
 * testspf.py): a TIMEOUT entry makes the lookups of its name unanswered
 * (DNS_PENDING) unless a record of the asked type comes before it, a
 * name with a label over 63 bytes is DNS_ERROR, empty labels are
 * dropped, and an unknown name under "error." is unanswered.
 *
 * Ownership: the zone owns its copies of names and values.  Threads: one
 * zone, one thread.
 */
#ifndef WARDEN_TEST_ZONE_H
#define WARDEN_TEST_ZONE_H

#include <stddef.h>

#include "auth_dns.h"

#define ZONE_T_SPF	99	/* type SPF: kept, never asked for */
#define ZONE_T_TIMEOUT	(-1)	/* the whole name times out */

struct zone_rr {
	char   *name;		/* lower case, no trailing dot */
	int     type;		/* DNS_T_*, ZONE_T_SPF, ZONE_T_TIMEOUT */
	int     timeout_type;	/* ZONE_T_TIMEOUT entry for one type, or 0 */
	char   *value;
};

struct zone {
	struct zone_rr *v;
	size_t  n, cap;
};

/* "A", "AAAA", "TXT", "MX", "PTR", "CNAME", "SPF", "NS", "TIMEOUT": the
 * type number; 0 for anything else. */
int  zone_type(const char *s);
/* Add a record: value[0..len) (NUL bytes as the DNS layer gives them).
 * For ZONE_T_TIMEOUT, value may name a type that alone times out. */
void zone_add(struct zone *z, const char *name, int type, const char *value,
    size_t len);
void zone_clear(struct zone *z);
/* Lookups from z through a (a->nlookups counts them). */
void zone_dns(struct zone *z, struct auth_dns *a);

#endif
