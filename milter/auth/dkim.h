/*
 * dkim.h -- DKIM signatures verified (RFC 6376, RFC 8463): every
 * DKIM-Signature of a message, simple and relaxed canonicalization,
 * l=, h= with oversigned headers, rsa-sha256, rsa-sha1 (verified and
 * reported as such, never trusted), ed25519-sha256, key records (v=,
 * k=, h=, s=, t=y testing, t=s strict, p= empty: revoked), the body
 * hash and the signature each checked and told apart.
 *
 * The message is given as received (header section, blank line, body;
 * lines ending in LF or CRLF: an LF alone is taken as CRLF, as the MTA
 * would have sent it).  Keys are looked up through struct auth_dns
 * (auth_dns.h): TXT at SELECTOR._domainkey.DOMAIN.
 *
 * Bounds: at most DKIM_MAX_SIGS signatures verified (the others are
 * reported as not checked), tags of a signature or key record at most
 * 64 and 8192 bytes each, h= at most 64 names.  OpenSSL's libcrypto does
 * the hashing and the public-key operations.
 *
 * Threads: no state outside the call.  Ownership: the results are the
 * caller's (dkim_results_free()).
 */
#ifndef WARDEN_DKIM_H
#define WARDEN_DKIM_H

#include <stdbool.h>
#include <stddef.h>

#include "auth_dns.h"

#define DKIM_MAX_SIGS	8

/* RFC 8601's words (dkim_status_name): none, pass, fail, neutral (a
 * signature that cannot be checked: syntax, unknown algorithm),
 * policy (rsa-sha1 under a policy that refuses it, a key too short),
 * temperror, permerror (key record missing, revoked, unusable). */
enum dkim_status { DKIM_NONE = 0, DKIM_PASS, DKIM_FAIL, DKIM_NEUTRAL,
	DKIM_POLICY, DKIM_TEMPERROR, DKIM_PERMERROR };

struct dkim_sig {
	enum dkim_status status;
	char   *d;		/* signing domain (lower case) */
	char   *s;		/* selector */
	char   *a;		/* algorithm as written: "rsa-sha256", ... */
	char   *i;		/* agent or user identifier (AUID), or NULL */
	char   *b12;		/* the first 12 characters of b=, for
				 * Authentication-Results' header.b */
	unsigned key_bits;	/* RSA modulus bits (0: Ed25519 / none) */
	bool    body_mismatch;	/* fail: the body hash did not match */
	bool    sha1;		/* rsa-sha1: never counts as a pass for
				 * policy (DMARC, welcomelists) */
	bool    testing;	/* the key record's t=y */
	char   *why;		/* a short reason, for logs and --explain */
};

struct dkim_results {
	struct dkim_sig *v;	/* in the order of the header fields */
	size_t  n;
	size_t  unchecked;	/* signatures beyond DKIM_MAX_SIGS */
};

/*
 * Verify every DKIM-Signature of msg[0..len).  out is filled (never
 * NULL entries); n 0: the message is not signed.
 */
void dkim_verify(const char *msg, size_t len, struct auth_dns *dns,
    struct dkim_results *out);
void dkim_results_free(struct dkim_results *r);
const char *dkim_status_name(enum dkim_status s);

#endif
