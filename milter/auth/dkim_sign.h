/*
 * dkim_sign.h -- DKIM signatures made (RFC 6376, RFC 8301, RFC 8463)
 * for the mail Warden's users send out: rsa-sha256 and ed25519-sha256,
 * relaxed/relaxed, with the keys of dkim_sign_domains loaded once, when
 * the configuration is (a reload reads them again: rotated keys are
 * picked up).
 *
 * Keys: PEM files (RSA in PKCS#1 or PKCS#8, Ed25519 in PKCS#8, not
 * encrypted), or an Ed25519 seed as dkimpy's "dknewkey --ktype ed25519"
 * writes it (32 bytes in base64, alone in the file).  RSA keys of fewer
 * than DKIM_SIGN_MIN_RSA_BITS or more than DKIM_MAX_RSA_BITS bits are
 * refused at load, as every key that cannot be read.
 *
 * The header fields signed are those of dkim_sign_headers that the
 * message has (each occurrence, from the bottom up as RFC 6376 5.4.2
 * says); a name written "+Name" is oversigned: listed once more than
 * the message has it, so that no such field can be added on the way
 * without breaking the signature.  From must be in the list.
 *
 * The message is given as received (header section, blank line, body;
 * lines ending in CRLF or LF).  The signature's value is folded with
 * "\n\t" (as a milter hands a header to the MTA) in lines of at most
 * DKIM_SIGN_WIDTH characters, b= last.
 *
 * Threads: a loaded signer is read-only and shared by the threads that
 * judge mail.  Ownership: dkim_signer_free().
 */
#ifndef WARDEN_DKIM_SIGN_H
#define WARDEN_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "diag.h"
#include "util.h"

#define DKIM_SIGN_MIN_RSA_BITS	2048
#define DKIM_SIGN_WIDTH		78
#define DKIM_SIGN_MAX_KEYS	64

struct evp_pkey_st;

struct dkim_sign_key {
	char   *domain;		/* lower case */
	char   *selector;
	char   *file;
	struct evp_pkey_st *pkey;
	bool    ed25519;	/* else RSA */
	unsigned bits;		/* RSA modulus bits (0: Ed25519) */
};

/* The header list when dkim_sign_headers is empty ("+Name": oversigned),
 * ending in NULL. */
extern const char *const dkim_sign_default_headers[];

struct dkim_signer {
	struct dkim_sign_key *keys;	/* in the order of dkim_sign_domains */
	size_t  nkeys;
	char  **hdrs;			/* dkim_sign_headers, without '+' */
	bool   *over;			/* oversigned */
	size_t  nhdrs;
};

/*
 * Load the keys of domains ("DOMAIN:SELECTOR:KEYFILE" each) and the
 * header list headers.  0 with *out NULL when domains is empty, 0 with
 * *out set, or -1 with every problem added to d as errors against
 * cfile:line (the config file and the line of dkim_sign_domains), each
 * naming the key file it is about.  Each key loaded adds a note with
 * the TXT record to publish.
 */
int dkim_signer_load(const struct strlist *domains,
    const struct strlist *headers, const char *cfile, int line,
    struct dkim_signer **out, struct diag *d);
void dkim_signer_free(struct dkim_signer *s);

/* The domain of s that signs for domain (itself, or its nearest parent
 * in dkim_sign_domains; compared without case), or NULL. */
const char *dkim_signer_domain(const struct dkim_signer *s,
    const char *domain);

/* The key record to publish at SELECTOR._domainkey.DOMAIN for k
 * ("v=DKIM1; k=...; p=..."); the caller frees it. */
char *dkim_sign_key_record(const struct dkim_sign_key *k);

/*
 * Sign msg[0..len) with every key of the domain that signs for domain
 * (the From domain), at time now (t=).  Each signature's value (without
 * "DKIM-Signature:") is added to out.  Returns how many were made (0:
 * no key for the domain), or -1 with *why (a static string) when the
 * message cannot be signed.
 */
int dkim_sign(const struct dkim_signer *s, const char *domain,
    const char *msg, size_t len, time_t now, struct strlist *out,
    const char **why);

#endif
