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
 * (auth_dns.h): TXT at SELECTOR._domainkey.DOMAIN, the first record
 * of the answer.
 *
 * Bounds: at most DKIM_MAX_SIGS signatures verified (the others are
 * reported as not checked), at most DKIM_MAX_TAGS tags of a signature
 * or key record and DKIM_MAX_TAGLEN bytes each, h= at most DKIM_MAX_H
 * names, RSA keys of DKIM_MAX_RSA_BITS at most.  The header section is
 * read once, the body once for every signature together (signatures
 * with the same body canonicalization, l= and hash share one hash), in
 * time linear in its length.  OpenSSL's libcrypto does the hashing and
 * the public-key operations.
 *
 * What each status means here (RFC 8601's words, dkim_status_name()):
 *   pass       the body hash and the signature verify.  rsa-sha1
 *              signatures that verify are a pass with sha1 set, a key
 *              record's t=y a pass with testing set: the caller decides
 *              (RFC 8301 says rsa-sha1 must not count as valid; DMARC
 *              and welcomelists must ignore a pass with sha1 set).
 *   fail       the body hash differs (body_mismatch set), l= is longer
 *              than the body (body_mismatch set), or the signature does
 *              not verify over the signed header fields.
 *   neutral    the signature cannot be checked: tag-list syntax,
 *              duplicate tags, required tags missing, v= not 1, an
 *              unknown a=, c= or q=, bad base64, bad numbers.
 *   policy     an RSA key under 1024 bits whose signature verifies
 *              (RFC 8301: not valid); key_bits says how short.
 *   temperror  the key lookup timed out or failed (SERVFAIL).
 *   permerror  the signature is well formed but can never pass: h=
 *              without From, i= outside d=, x= in the past (expired),
 *              no key record (NXDOMAIN, NODATA), a key record that does
 *              not parse, revoked (p= empty), of another k= than a=,
 *              whose h= refuses the hash, whose s= is not email or *,
 *              t=s with i= in a subdomain of d=, a key that does not
 *              decode or is over DKIM_MAX_RSA_BITS.
 *
 * Threads: no state outside the call.  Ownership: the results are the
 * caller's (dkim_results_free()).
 *
 * The canonicalization (dkim_canon_header(), struct dkim_body), the
 * tag-list parser and the key-record parser are exposed for a signer
 * and for the tests.
 */
#ifndef WARDEN_DKIM_H
#define WARDEN_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth_dns.h"
#include "util.h"

#define DKIM_MAX_SIGS	8
#define DKIM_MAX_TAGS	64
#define DKIM_MAX_TAGLEN	8192
#define DKIM_MAX_H	64
#define DKIM_MAX_RSA_BITS 8192

/* RFC 8601's words (dkim_status_name): none, pass, fail, neutral (a
 * signature that cannot be checked: syntax, unknown algorithm),
 * policy (a key too short), temperror, permerror (key record missing,
 * revoked, unusable; see above). */
enum dkim_status { DKIM_NONE = 0, DKIM_PASS, DKIM_FAIL, DKIM_NEUTRAL,
	DKIM_POLICY, DKIM_TEMPERROR, DKIM_PERMERROR };

struct dkim_sig {
	enum dkim_status status;
	char   *d;		/* signing domain (lower case); "" if absent */
	char   *s;		/* selector; "" if absent */
	char   *a;		/* algorithm as written: "rsa-sha256", ...;
				 * "" if absent */
	char   *i;		/* agent or user identifier (AUID), or NULL */
	char   *b12;		/* the first 12 characters of b=, for
				 * Authentication-Results' header.b ("" if
				 * absent) */
	unsigned key_bits;	/* RSA modulus bits (0: Ed25519 / none) */
	bool    body_mismatch;	/* fail: the body hash did not match */
	bool    sha1;		/* rsa-sha1: never counts as a pass for
				 * policy (DMARC, welcomelists) */
	bool    testing;	/* the key record's t=y */
	char   *why;		/* a short reason, for logs and --explain
				 * (never NULL) */
};
/* The strings of struct dkim_sig hold no white space, control or ';'
 * bytes (taken from tag values, white space removed). */

struct dkim_results {
	struct dkim_sig *v;	/* in the order of the header fields */
	size_t  n;
	size_t  unchecked;	/* signatures beyond DKIM_MAX_SIGS */
};

/*
 * Verify every DKIM-Signature of msg[0..len).  out is filled (never
 * NULL entries); n 0: the message is not signed.  dkim_verify_at()
 * takes the time against which t= and x= are judged (dkim_verify():
 * now).
 */
void dkim_verify(const char *msg, size_t len, struct auth_dns *dns,
    struct dkim_results *out);
void dkim_verify_at(const char *msg, size_t len, struct auth_dns *dns,
    time_t now, struct dkim_results *out);
void dkim_results_free(struct dkim_results *r);
const char *dkim_status_name(enum dkim_status s);

/* ---- Tag lists (RFC 6376 3.2) ---- */

struct dkim_tag {
	const char *name;	/* into the parsed text */
	size_t  nlen;
	const char *val;	/* into the parsed text, FWS around it
				 * removed (FWS inside is kept) */
	size_t  vlen;
};
struct dkim_tags {
	struct dkim_tag t[DKIM_MAX_TAGS];
	size_t  n;
};

/* Parse s[0..n) as a tag list.  0, or -1 with *why set (a static
 * string): a bad tag name, no '=', a control byte in a value, a
 * duplicate tag, too many tags, a value over DKIM_MAX_TAGLEN. */
int dkim_tags_parse(const char *s, size_t n, struct dkim_tags *t,
    const char **why);
/* The tag named name, or NULL. */
const struct dkim_tag *dkim_tag_get(const struct dkim_tags *t,
    const char *name);

/* ---- Key records (RFC 6376 3.6.1, RFC 8463) ---- */

enum dkim_ktype { DKIM_K_RSA, DKIM_K_ED25519, DKIM_K_OTHER };
#define DKIM_H_SHA1	1u
#define DKIM_H_SHA256	2u

struct dkim_key {
	enum dkim_ktype k;	/* k= (rsa if absent) */
	unsigned hashes;	/* h=: DKIM_H_* allowed (all if absent) */
	bool    email;		/* s= absent, or lists "email" or "*" */
	bool    testing;	/* t= has y */
	bool    strict;		/* t= has s */
	bool    revoked;	/* p= empty */
	unsigned char *p;	/* p= decoded (NULL if revoked) */
	size_t  plen;
};

/* Parse a key record (the strings of one TXT record, joined).  0, or
 * -1 with *why set (a static string).  dkim_key_free() in both cases. */
int dkim_key_parse(const char *rec, size_t n, struct dkim_key *k,
    const char **why);
void dkim_key_free(struct dkim_key *k);

/* ---- Canonicalization (RFC 6376 3.4) ---- */

enum dkim_canon { DKIM_CANON_SIMPLE = 0, DKIM_CANON_RELAXED };

/* Append header field f[0..n) ("Name: value", folded lines ending in
 * LF or CRLF, with or without the last line end) to out in canon c,
 * ending in CRLF.  -1 if out is full. */
int dkim_canon_header(enum dkim_canon c, const char *f, size_t n,
    struct buf *out);

/*
 * A body canonicalized as it streams: dkim_body_init(), then
 * dkim_body_update() with the body in pieces of any size (line ends LF
 * or CRLF), then dkim_body_final().  sink receives the canonical body,
 * its first limit bytes only (UINT64_MAX: all of it), in pieces;
 * total counts every canonical byte, beyond limit too.  Trailing empty
 * lines are held back (a counter) until a line with content follows.
 */
struct dkim_body {
	enum dkim_canon canon;
	uint64_t limit;
	uint64_t total;
	uint64_t blank;		/* empty lines held back */
	bool    bol;		/* at the start of a line */
	bool    cr;		/* a CR waits for its LF */
	bool    wsp;		/* relaxed: white space waits */
	void  (*sink)(void *arg, const void *p, size_t n);
	void   *arg;
	size_t  nout;
	unsigned char out[4096];
};
void dkim_body_init(struct dkim_body *b, enum dkim_canon c, uint64_t limit,
    void (*sink)(void *arg, const void *p, size_t n), void *arg);
void dkim_body_update(struct dkim_body *b, const void *p, size_t n);
void dkim_body_final(struct dkim_body *b);

/* ---- Pieces for ARC (arc.c) ---- */

/* Base64 s[0..n) decoded as b= and bh= are (FWS ignored, padding only
 * at the end): 0 with *out (the caller frees it; may be empty) and
 * *outlen, or -1. */
int dkim_b64_decode(const char *s, size_t n, unsigned char **out,
    size_t *outlen);

/* Header field f[0..n) with the value of its b= tag removed, as a
 * signature's own field is hashed, appended to out. */
void dkim_strip_b(const char *f, size_t n, struct buf *out);

/*
 * A signature sig[0..slen) over the digest dig[0..dlen) (of the hash of
 * alg: "rsa-sha256", "rsa-sha1", "ed25519-sha256") verified with the
 * key at S._domainkey.D, looked up and checked as a DKIM signature's
 * (k=, h=, s=, revocation, size).  Returns pass, fail (does not
 * verify), policy (an RSA key under 1024 bits), neutral (bad d=, s=
 * or an unknown alg), temperror or permerror as dkim.h says; *why (if
 * why is not NULL) a reason the caller frees.
 */
enum dkim_status dkim_verify_digest(struct auth_dns *dns, const char *alg,
    const char *d, const char *s, const unsigned char *dig, unsigned dlen,
    const unsigned char *sig, size_t slen, char **why);

/* ---- Pieces shared with ARC (arc.c) and the signer (dkim_sign.c) ---- */

/* One header field of a message. */
struct dkim_field {
	size_t  off;		/* into the message */
	size_t  len;		/* the whole field, with its line ends */
	size_t  nlen;		/* its name's length (0: no colon) */
	size_t  voff;		/* its value, from the field's start, past
				 * the colon (len when there is none) */
	uint32_t hash;		/* of the lower-case name */
};

/*
 * The header fields of msg[0..len) (lines ending in LF or CRLF, folded
 * lines joined to their field) into *fv (malloc'd, the caller frees),
 * *nf of them; returns where the body starts.
 */
size_t dkim_split_header(const char *msg, size_t len, struct dkim_field **fv,
    size_t *nf);
/* Whether val[0..n) is the word w (without case). */
bool dkim_word_is(const char *val, size_t n, const char *w);
/* A copy of p[0..n) without white space, ';' or control bytes, lower
 * case if lower (the caller frees it). */
char *dkim_copy_nows(const char *p, size_t n, bool lower);
/* A c= value: "header[/body]", each simple or relaxed (body simple when
 * absent, both simple when val is NULL); 0, or -1 when it is neither. */
int dkim_canon_parse(const char *val, size_t n, enum dkim_canon *hc,
    enum dkim_canon *bc);

#endif
