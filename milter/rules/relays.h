/*
 * relays.h -- the relay chain of a message: one hop per Received header
 * that names a sending IP address, newest first, plus the client that the
 * MTA reports (which has not written its Received header yet), with the
 * trust of each hop.  Rules read it as SpamAssassin's pseudo-headers
 * X-Spam-Relays-Trusted, -Untrusted, -Internal and -External.
 *
 * Trust: with config trusted_relays / internal_relays set, a hop is
 * trusted (internal) while its IP is in those blocks (or loopback),
 * counting from the newest hop; the first hop outside ends the trusted
 * (internal) part.  With neither set, SpamAssassin's inference applies: a
 * hop from a private or loopback address is trusted, so is an
 * authenticated hop after a trusted one; the first other hop ends it.
 * Unset internal_relays means internal = trusted, and the reverse.
 *
 * SpamAssassin's originating_ip_headers: the caller passes, after the
 * Received values, one line per such header field made by
 * relays_originating_line(); each is a hop with only its address, the
 * oldest hops of the chain, in the order of the setting.
 *
 * Ownership: struct relays owns every string in it; relays_free() frees
 * them.  Inputs are borrowed for the call only.
 *
 * Regexes (finding an address in a field, the synthetic line) run
 * through rx.c: called from rules_run(), under the message's PCRE2
 * limits, a limit reached recorded in its results and counted as no
 * address.  Safe to call from any number of threads.
 */
#ifndef WARDEN_RELAYS_H
#define WARDEN_RELAYS_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"

struct relay {
	char   *ip;
	char   *rdns;		/* "" when the MTA found no name */
	char   *helo;
	char   *by;
	char   *ident;
	char   *envfrom;
	char   *id;
	char   *auth;		/* e.g. "ESMTPSA"; "": not authenticated */
	bool    no_rdns;	/* the MTA looked the address up and found
				 * no name ("unknown [IP]", or the client
				 * the MTA reports as unknown); an empty
				 * rdns alone may only mean not written */
	bool    trusted;
	bool    internal;
};

struct relays {
	struct relay *v;
	size_t  n;
	size_t  ntrusted;	/* v[0 .. ntrusted) are trusted */
	size_t  ninternal;	/* v[0 .. ninternal) are internal */
	/*
	 * How many Received headers, newest first, were added in the
	 * trusted (internal) part of the path, those Warden cannot read
	 * included: SpamAssassin's last_trusted_relay_index + 1 (and
	 * last_internal_relay_index + 1), for the ALL-TRUSTED family.
	 */
	size_t  rcvd_trusted, rcvd_internal;
};

/*
 * Parse one Received header value (folded or not) into r.  Returns 0
 * when it names a sending IP address, -1 when it does not (a local
 * hand-over, or a form Warden cannot read); r is then left empty.
 * SpamAssassin's synthetic "from X-Originating-IP: IP" is a hop with
 * that address and every other field empty.
 */
int  relays_parse_received(const char *value, struct relay *r);

/*
 * The synthetic Received line SpamAssassin makes of an
 * originating_ip_headers field (its value, decoded): "from
 * X-Originating-IP: IP" with the first IP address in the value's first
 * 8192 bytes (SpamAssassin's IP_ADDRESS pattern), or NULL when there is
 * none.  The caller frees it.
 */
char *relays_originating_line(const char *value);

/*
 * Build the chain: client_addr (NULL or "" when there is none; loopback
 * is left out: a local hand-over is no hop) with client_name and helo,
 * then the Received values, newest first.  trusted and internal may be
 * NULL.
 */
void relays_build(struct relays *rl, const char *const *received, size_t n,
    const char *client_addr, const char *client_name, const char *helo,
    const struct cidrlist *trusted, const struct cidrlist *internal);

/*
 * SpamAssassin's text for hops [from, to): "[ ip=... rdns=... helo=...
 * by=... ident=... envfrom=... intl=0|1 id=... auth=... msa=0 ]", joined
 * by one space.  The caller frees the result.
 */
char *relays_format(const struct relays *rl, size_t from, size_t to);

void relays_free(struct relays *rl);
/* Every address (SpamAssassin's IP_ADDRESS) in the first 8192 bytes of
 * value, at most max of them, added to out ("IPv6:" taken off): what
 * DNSEval takes from originating_ip_headers. */
struct strlist;
void relays_all_ips(const char *value, struct strlist *out, size_t max);
/* Whether ip is a private, loopback or link-local address (NULL: no). */
bool relays_ip_private(const char *ip);
/* Free the strings of one hop that relays_parse_received() filled. */
void relays_relay_clear(struct relay *r);

#endif
