/*
 * auth.h -- sender authentication for one message, as the engine runs
 * it at the end of the message (authentication = yes): SPF for the MAIL
 * FROM and HELO identities, every DKIM signature, DMARC on top of them,
 * and the Authentication-Results header (RFC 8601) that says so.
 *
 * The lookups go through the message's DNS set (dns.h): SPF's and the
 * From domain's first records were asked at MAIL FROM
 * (auth_prefetch()), so the end of the message mostly finds them
 * answered; each further lookup waits until the stage's DNS deadline at
 * most.
 *
 * ARC (arc.h) is verified too; when DMARC fails, the chain passes, the
 * newest sealer (the ARC-Seal of the highest instance) is one of
 * arc_trusted_sealers (the domain or under it) and that sealer's
 * ARC-Authentication-Results says the message passed DMARC (or SPF or
 * DKIM for an aligned domain: arc_aar_vouches()), arc_override names
 * the sealer: the DMARC result stays fail, the policy is not applied
 * (RFC 7489 section 7.2's local policy override, trusted_forwarder).
 *
 * Threads: the thread judging the message.  Ownership: auth_run()
 * returns a struct the caller frees with auth_results_free(); the input
 * is borrowed for the call.
 */
#ifndef WARDEN_AUTH_H
#define WARDEN_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "arc.h"
#include "dkim.h"
#include "dmarc.h"
#include "spf.h"

struct config;
struct dns_set;
struct header;

struct auth_input {
	const struct config *cfg;
	const char *client_addr;	/* "" for a local client */
	const char *client_name;	/* "unknown" when not verified */
	const char *helo;		/* may be NULL */
	const char *envfrom;		/* without <>; "" the null sender */
	const struct header *hdrs;	/* the message's header fields */
	size_t  nhdrs;
	const char *msg;		/* the message as received (CRLF) */
	size_t  msglen;
	struct dns_set *dns;
	double  deadline_ms;
};

struct auth_results {
	bool    spf_done;		/* SPF was checked (a client address) */
	struct spf_outcome spf;		/* MAIL FROM (or the HELO name for
					 * the null sender) */
	bool    spf_helo_done;		/* the HELO name is a domain */
	struct spf_outcome spf_helo;
	struct dkim_results dkim;
	bool    dmarc_done;		/* dmarc_policy is not off */
	struct dmarc_outcome dmarc;
	char   *from_domain;		/* the single From domain, or NULL */
	bool    dmarc_exempt;		/* a forwarder of dmarc_exempt_forwarders */
	struct arc_results arc;		/* the ARC chain (RFC 8617) */
	char   *arc_override;		/* DMARC failed but a trusted sealer
					 * (arc_trusted_sealers) vouches: its
					 * domain; the policy is not applied */
	char   *header;			/* the Authentication-Results value */
};

/* Start the first lookups of the checks at MAIL FROM (the SPF records of
 * the sender's domain and of the HELO name), so that they are answered
 * by the end of the message. */
void auth_prefetch(struct dns_set *dns, const char *envfrom,
    const char *helo);

/* At the end of the headers: start the lookups of the DKIM keys the
 * DKIM-Signature fields name and, when dmarc, of the DMARC records of
 * the From domain and of its organizational domain, so that the end of
 * the message finds them answered (h: the fields as received). */
struct header;
void auth_prefetch_eoh(struct dns_set *dns, const struct header *h,
    size_t n, bool dmarc);

/* Run every check on the message. */
struct auth_results *auth_run(const struct auth_input *in);
void auth_results_free(struct auth_results *r);

/*
 * Whether an Authentication-Results value claims authserv_id (its first
 * token, before ';' or a comment, compared without case): such a header
 * from the sender is removed, as forged.
 */
bool auth_header_claims(const char *value, const char *authserv_id);

/* The domain of the single address of a From value; NULL when there is
 * none or more than one (the caller frees it). */
char *auth_from_domain(const char *value);

#endif
