/*
 * arc.h -- the Authenticated Received Chain verified (RFC 8617): the
 * ARC sets of a message (ARC-Authentication-Results, ARC-Message-
 * Signature, ARC-Seal, each with its instance i=), their structure, the
 * newest ARC-Message-Signature and every ARC-Seal.
 *
 * The chain's validation (RFC 8617 section 5.2):
 *   none   the message has no ARC header field.
 *   fail   the sets are not well formed: an instance outside 1..50,
 *          instances not contiguous from 1, an instance without one of
 *          the three fields or with two of one, an i= missing or bad;
 *          a cv= other than none at i=1 or other than pass above it, a
 *          cv=fail anywhere; the newest ARC-Message-Signature does not
 *          verify (its body hash or its signature, as a DKIM signature
 *          would, h= naming ARC-Seal refused); an ARC-Seal does not
 *          verify, from the newest to the first, each over the sets up
 *          to its own instance in the RFC's order (for i = 1 .. its
 *          instance: ARC-Authentication-Results, ARC-Message-Signature,
 *          ARC-Seal, relaxed header canonicalization, its own b= value
 *          removed), or has an h= tag; a key that cannot be had (a
 *          lookup that failed or timed out counts as a failure too: the
 *          chain is not known to pass).
 *   pass   every check above held.
 * On a pass, oldest_pass is RFC 8617's header.oldest-pass: the oldest
 * instance whose ARC-Message-Signature still verifies with those of
 * every newer instance (0 when all of them do).
 *
 * The message is given as received (header section, blank line, body;
 * LF or CRLF line ends).  Keys are at SELECTOR._domainkey.DOMAIN,
 * looked up through struct auth_dns and checked as DKIM's (dkim.h);
 * the algorithms are DKIM's, rsa-sha1 refused (RFC 8617 allows only
 * rsa-sha256).
 *
 * Bounds: ARC_MAX_SETS instances (the RFC's limit), 3 * ARC_MAX_SETS
 * ARC header fields (more: fail), the tag limits of dkim.h, and at
 * most ARC_MAX_BODIES body hashes for a message (the newest AMS's
 * first; older ones sharing a canonicalization, l= and hash reuse it).
 * The checks stop at the first failure.
 *
 * Threads: no state outside the call.  Ownership: the results are the
 * caller's (arc_results_free()).
 */
#ifndef WARDEN_ARC_H
#define WARDEN_ARC_H

#include <stdbool.h>
#include <stddef.h>

#include "auth_dns.h"
#include "dkim.h"

#define ARC_MAX_SETS	50
#define ARC_MAX_BODIES	4

/* RFC 8617's words (arc_result_name): none, pass, fail. */
enum arc_result { ARC_NONE = 0, ARC_PASS, ARC_FAIL };

struct arc_set {
	unsigned i;		/* the instance */
	char   *aar;		/* the ARC-Authentication-Results value
				 * after "i=N;" (authserv-id; results),
				 * control bytes made spaces */
	char   *ams_d, *ams_s;	/* the AMS's d= and s= ("" if absent) */
	char   *as_d, *as_s;	/* the ARC-Seal's d= and s= */
	char   *cv;		/* the ARC-Seal's cv= ("" if absent) */
	enum dkim_status ams;	/* DKIM_NONE: not checked */
	enum dkim_status as;	/* DKIM_NONE: not checked */
};

struct arc_results {
	enum arc_result result;
	bool    present;	/* any ARC header field (SpamAssassin's
				 * ARC_SIGNED) */
	struct arc_set *sets;	/* sets[k] is instance k + 1, when the
				 * structure was read (else NULL) */
	size_t  n;		/* the instances, N */
	unsigned oldest_pass;	/* pass: see above */
	char   *why;		/* a short reason (never NULL); no '(',
				 * ')' or control bytes */
};

void arc_verify(const char *msg, size_t len, struct auth_dns *dns,
    struct arc_results *out);
void arc_results_free(struct arc_results *r);
const char *arc_result_name(enum arc_result r);

/* The newest sealer (the d= of the ARC-Seal of the highest instance)
 * of a chain that passed, else NULL. */
const char *arc_sealer(const struct arc_results *r);

/*
 * Whether an ARC-Authentication-Results value (struct arc_set's aar)
 * says the message authenticated for from_domain: dmarc=pass (its
 * header.from, when given, from_domain), or dkim=pass with a header.d
 * (or header.i's domain), or spf=pass with an smtp.mailfrom (or
 * smtp.helo) domain, of from_domain's organizational domain (DMARC's
 * relaxed alignment).  Comments are ignored.
 */
bool arc_aar_vouches(const char *aar, const char *from_domain);

#endif
