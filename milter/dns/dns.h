/*
 * dns.h -- the engine's asynchronous resolver (libunbound) and the
 * lookups of one connection or message.
 *
 * A struct dns is one resolver: one libunbound context with its cache,
 * made from the configuration (dns_resolver, dns_cache_size) and owned
 * by the snapshot.  Its context and its one thread (which reads
 * libunbound's answers and hands them to the waiting lookups) start on
 * the first lookup, so a daemon that forks after loading its
 * configuration starts them in the process that uses them.
 *
 * A struct dns_set holds the lookups of one SMTP connection or one
 * message.  dns_lookup() starts a query (or finds the one already
 * started for that name and type in the set or its parent: a message's
 * set has its connection's as parent, so what was asked at connect is
 * not asked again) and returns at once; dns_wait() waits, up to a
 * deadline, for the set's queries that are still unanswered; the
 * answer is then read with dns_answer().  A query not answered by the
 * deadline stays unanswered for its readers (DNS_PENDING: "unknown");
 * a late answer is kept for a later reader.
 *
 * Answers are kept for their TTL in a cache of dns_cache_size bytes in
 * front of libunbound's own: a lookup found there is answered at once.
 *
 * Bounds: at most max_queries queries per set (dns_set_new(); the next
 * dns_lookup() returns NULL and the set records that it was limited)
 * and at most DNS_MAX_INFLIGHT unanswered queries per resolver (beyond,
 * a query is not sent: DNS_ERROR, logged once a minute).  A set that is
 * freed cancels its unanswered queries.
 *
 * Threads: a struct dns is shared by every thread; dns_lookup(),
 * dns_wait() and dns_answer() on different sets may run at once.  One
 * set belongs to one thread at a time (libmilter's thread of its
 * connection).  Ownership: the snapshot owns the resolver (dns_free()
 * after every set made from it is freed); a set owns its queries; what
 * dns_answer() returns is borrowed from the query and stays valid until
 * its set is freed.
 */
#ifndef WARDEN_DNS_H
#define WARDEN_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct buf;

/* RR types Warden asks for. */
#define DNS_T_A		1
#define DNS_T_NS	2
#define DNS_T_CNAME	5
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28

/* Unanswered queries per resolver at most. */
#define DNS_MAX_INFLIGHT	4096

enum dns_status {
	DNS_PENDING = 0,	/* not answered (yet, or by the deadline) */
	DNS_OK,			/* answered with data */
	DNS_NXDOMAIN,		/* no such name */
	DNS_NODATA,		/* the name exists, not with this type */
	DNS_ERROR		/* SERVFAIL, REFUSED, not sent, ... */
};

/* An answer: the records of the asked type, as text.  A: dotted quad;
 * AAAA: RFC 5952 text; TXT: the strings of one record joined; NS, PTR,
 * CNAME, MX: the name (MX without its preference), lower case, no
 * trailing dot. */
struct dns_answer {
	enum dns_status status;
	char  **rr;
	size_t  nrr;
	const char *error;	/* DNS_ERROR: why, e.g. "SERVFAIL" */
	double  ms;		/* from the start to the answer */
	bool    cached;		/* answered from the cache of answers */
};

struct dns;
struct dns_set;
struct dns_query;

/*
 * The resolver for cfg (NULL and no error when cfg has no
 * dns_resolver: network tests off).  A bad dns_resolver value is an
 * error in err ("dns_resolver: ..."), NULL returned.
 */
struct dns *dns_new(const struct config *cfg, struct buf *err);
void dns_free(struct dns *d);
/* A one-line description for the log: "127.0.0.1@5353", "system". */
const char *dns_describe(const struct dns *d);
/* Lookups started so far, and how many of them the cache of answers
 * answered (a repeat within its set is not counted). */
void dns_counts(struct dns *d, unsigned long *lookups,
    unsigned long *cached);

/* A set of lookups (parent may be NULL).  d may be NULL: every lookup
 * then returns NULL. */
struct dns_set *dns_set_new(struct dns *d, struct dns_set *parent,
    unsigned max_queries);
void dns_set_free(struct dns_set *s);
/* True once dns_lookup() refused a query because of max_queries. */
bool dns_set_limited(const struct dns_set *s);

/*
 * Start the lookup of name (no trailing dot needed) for type, or find
 * it in s or its parents.  NULL when s is NULL, has no resolver, or is
 * full (dns_set_limited()).  The query belongs to the set it was
 * started in.
 */
struct dns_query *dns_lookup(struct dns_set *s, const char *name, int type);
/* The query of name and type already in s or its parents, or NULL. */
struct dns_query *dns_find(struct dns_set *s, const char *name, int type);
/*
 * Wait until every query of s and of its parents is answered (what the
 * connection asked at connect is read at the end of the message too),
 * or until now_ms() reaches deadline_ms.  Returns the number still
 * unanswered.
 */
unsigned dns_wait(struct dns_set *s, double deadline_ms);
/* Wait for one query, as dns_wait(). */
bool dns_wait_one(struct dns_query *q, double deadline_ms);
/* q's answer so far (status DNS_PENDING while unanswered). */
void dns_answer(struct dns_query *q, struct dns_answer *out);
/*
 * Note that rule (borrowed: a rule name of the snapshot) read q, for
 * --explain and for the troubles a verdict reports; only the thread
 * that owns q's set calls these.
 */
void dns_query_note(struct dns_query *q, const char *rule);
bool dns_query_noted(const struct dns_query *q);
/* The rules that read q, joined by sep, into out. */
void dns_query_notes(const struct dns_query *q, struct buf *out,
    const char *sep);
const char *dns_query_name(const struct dns_query *q);
int dns_query_type(const struct dns_query *q);
const char *dns_type_name(int type);

/*
 * Every query of s and its parents, oldest first, for --explain: calls
 * fn(arg, q) for each.
 */
void dns_set_each(struct dns_set *s, void (*fn)(void *, struct dns_query *),
    void *arg);

/* ---- Names ---- */

/*
 * The reversed form of an address for a DNS list, without the zone:
 * "2.0.0.127" for 127.0.0.2, 32 nibbles for an IPv6 address.  Returns
 * the length written to out (size at least 73), or -1 when ip is no
 * address.
 */
int dns_reverse(const char *ip, char *out, size_t size);

/*
 * The return-code filter of a list: Postfix's "=127.0.0.[2..11;20]"
 * forms (each of the four octets a number, or a bracketed list of
 * numbers and ranges) and "&0.0.0.4" or "&4" bit masks.
 */
struct dns_filter {
	bool    any;		/* no filter: any 127.0.0.0/8 answer */
	uint32_t mask;		/* bit mask: non-zero */
	/* octet sets: per octet, 256 bits */
	uint8_t octet[4][32];
};

/* Parse spec (the text after '=' or '&', with that character first);
 * NULL or "" is "any".  0, or -1 with why in err. */
int dns_filter_parse(const char *spec, struct dns_filter *f, struct buf *err);
/* Whether answer a (dotted quad) passes f. */
bool dns_filter_match(const struct dns_filter *f, const char *a);
/* Whether a is one of the error answers that lists give in
 * 127.255.255.0/24 (Spamhaus: 252 typing error, 254 a public resolver,
 * 255 over quota). */
bool dns_answer_is_error_code(const char *a);
/* Log that list zone answered with error code a: once per list every
 * ten minutes (a public resolver, over quota, a typing error in the
 * configuration all last). */
void dns_log_list_error(struct dns *d, const char *zone, const char *a);

#endif
