/*
 * txn.h -- the message in progress on a connection (struct txn; the
 * connection itself is conn.h's).
 *
 * A txn lives from MAIL FROM to end of message or abort; several follow
 * each other on one conn.  It owns every string it holds: the milter
 * layer copies what libmilter lends it.
 */
#ifndef WARDEN_TXN_H
#define WARDEN_TXN_H

#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "results.h"
#include "util.h"

struct spool;

struct header {
	char   *name;
	char   *value;		/* as received, without the final line end */
};

/*
 * A name of Warden's own (X-Spam-*, X-Virus-*) that the sender used, and
 * how many times: all of them are removed before Warden adds its own,
 * with one smfi_chgheader(name, i, NULL) per occurrence i (the MTA
 * counts occurrences per name, case-insensitively).
 */
struct our_name {
	char    *name;		/* owned; as first received */
	unsigned count;
};

struct txn {
	char   *queue_id;	/* macro i, or "NOQUEUE" */
	char   *envfrom;	/* address without <> */
	char   *auth_authen;	/* SASL login name, or NULL */
	struct strlist rcpts;	/* accepted recipients */
	struct header *hdrs;
	size_t  nhdrs;
	size_t  hdrs_cap;
	size_t  hdr_bytes;	/* header bytes kept ... */
	size_t  hdr_limit;	/* ... up to this (max_scan_size) */
	unsigned max_hdrs;	/* header fields kept (max_header_count) */
	size_t  max_hdr_len;	/* bytes of a value kept (max_header_length) */
	/*
	 * The sender's names of ours, each once, whatever the header limits
	 * did with the fields themselves: up to max_header_count names of
	 * max_header_length bytes in all.  A name beyond that is "lost": it
	 * could not be removed, so the message must not be passed on.
	 */
	struct our_name *ours;
	size_t  nours;
	size_t  ours_cap;
	size_t  ours_bytes;	/* bytes of the names in ours */
	size_t *ours_slot;	/* hash of ours: index + 1, 0 for free */
	size_t  ours_nslots;	/* a power of two, over twice nours */
	bool    ours_lost;	/* a name of ours could not be kept */
	enum action ours_refuse;	/* then: reject, tempfail or discard */
	bool    hdrs_truncated;	/* headers beyond max_scan_size dropped */
	bool    in_body;	/* eoh seen */
	struct spool *spool;
	struct results res;	/* hits so far: the conn's plus this message's */
	double  start_ms;
	bool    skip;		/* authenticated: not scanned */
	bool    sign;		/* DKIM-signed at the end (dkim_sign_domains):
				 * a trusted, internal or authenticated client */
	char   *dkim_signed;	/* the domain that signed it, for the log */
	struct dns_set *dns;	/* this message's lookups (txn_dns()) */
	/*
	 * Authentication-Results fields the sender set that claim our
	 * authserv-id (authentication on): their numbers among the
	 * message's Authentication-Results fields, from 1, ascending; the
	 * milter removes them.  authserv_id is borrowed from the config.
	 */
	const char *authserv_id;
	unsigned ar_seen;
	unsigned *ar_forged;
	size_t  nar_forged;
};

/*
 * Start a message: frees any earlier one, copies the conn's hits into the
 * new message's results.  Returns NULL if the spool could not be made
 * (the caller takes on_internal_error).
 */
struct txn *txn_begin(struct conn *c, const char *envfrom);
void txn_end(struct conn *c);		/* free the message, keep the conn */
void txn_add_rcpt(struct txn *t, const char *rcpt);
/*
 * One header as received: kept for the rules (up to max_header_count
 * fields of max_header_length bytes each; beyond, the limit is recorded
 * in t->res), written whole to the spool as "Name: value\r\n".  A name
 * of ours is also counted in t->ours; one that cannot be (see struct
 * txn) sets t->ours_lost, records the limit and decides t->ours_refuse
 * in t->res.  -1 on a spool failure (recorded in t->res).
 */
int  txn_header(struct txn *t, const char *name, const char *value);
int  txn_eoh(struct txn *t);
int  txn_body(struct txn *t, const void *data, size_t n);
/* The first header of that name (case-insensitive), or NULL. */
const struct header *txn_find_header(const struct txn *t, const char *name);

/* Strip "<" ">" and white space from a MAIL FROM / RCPT TO argument. */
char *addr_unbracket(const char *arg);
/* True for headers a sender must not be able to set (X-Spam-*, X-Virus-*). */
bool header_is_ours(const char *name);

#endif
