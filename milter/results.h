/*
 * results.h -- what the engine has found so far for one message: rule
 * hits and their total, the antivirus result, any decision already taken,
 * and the troubles met on the way (limits, errors).  verdict.c turns this
 * into one action.
 *
 * Ownership: a results struct owns its hits' matched text, virus name and
 * reply text.  Hit names, kinds and descriptions are borrowed from the
 * ruleset, which the pinned snapshot keeps alive for longer than any
 * message.
 */
#ifndef WARDEN_RESULTS_H
#define WARDEN_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct auth_results;

struct hit {
	const char *name;	/* borrowed from the ruleset */
	const char *kind;	/* "body", "header", ... borrowed */
	const char *describe;	/* borrowed, may be NULL */
	double      score;	/* score added (per hit times count) */
	unsigned    count;
	char       *matched;	/* owned, first match (may be NULL) */
};

/* A decision taken before the end (a rule with an action, a virus). */
struct decision {
	enum action  action;	/* ACT_NONE: not decided */
	struct reply reply;	/* owned; code[0] == 0: use the configured one */
	char        *source;	/* owned: rule name, "virus", ... for logs */
};

enum av_status { AV_NOT_SCANNED = 0, AV_CLEAN, AV_VIRUS, AV_HEURISTIC,
	AV_ERROR };

struct results {
	double      score;
	struct hit *hits;
	size_t      nhits;
	size_t      cap;
	struct decision decided;
	enum av_status av;
	char       *virus;	/* owned: signature name */
	char       *av_version;	/* owned: for X-Virus-Scanned */
	char       *limit;	/* owned: name of the first limit reached */
	bool        partial;	/* message larger than max_scan_size */
	bool        timed_out;
	bool        internal_error;
	char       *error;	/* owned: first internal error, for the log */
	/* The worst trouble of the DNS lookups the rules waited for:
	 * static "timeout" (unanswered by the deadline) or "error"
	 * (SERVFAIL, the resolver down); NULL when none. */
	const char *dns;
	/* Sender authentication (auth.h), when it ran: owned. */
	struct auth_results *auth;
	/* The statistical filter, when a rule asked it (check_bayes). */
	struct {
		bool    ran;
		bool    abstained;
		double  prob;		/* the spam probability (not abstained) */
		unsigned ntokens, nknown, nused;
		char   *why;		/* owned: why it abstained */
		char   *evidence;	/* owned: for --explain, lines: the
					 * tokens past the bound, its
					 * strongest tokens (NULL: none) */
		uint64_t *tokens;	/* owned: the message's tokens, kept
					 * for autolearn (NULL: not kept) */
		size_t  ntok;
		const char *autolearn;	/* static: "spam", "ham", or NULL */
	} stats;
};

void results_init(struct results *r);
void results_free(struct results *r);
/* Copy every hit and flag of src into dst (dst is reset first). */
void results_copy(struct results *dst, const struct results *src);
/*
 * Add a hit.  A rule already present gets its count raised instead (and
 * the score added again only when the caller says so).  matched is
 * copied.  Returns the hit.
 */
struct hit *results_add_hit(struct results *r, const char *name,
    const char *kind, const char *describe, double score,
    const char *matched, size_t matched_len);
bool results_has_hit(const struct results *r, const char *name);
/* Take a decision unless one is already taken.  reply may be NULL. */
void results_decide(struct results *r, enum action a, const struct reply *reply,
    const char *source);
void results_set_limit(struct results *r, const char *name);
/* Note a DNS trouble ("timeout" or "error"; "error" is kept over
 * "timeout"). */
void results_dns_trouble(struct results *r, const char *what);
void results_set_error(struct results *r, const char *fmt, ...)
    WARDEN_PRINTF(2, 3);
/* The scored hits' names, sorted, "__" sub-rules left out; "none" if none. */
void results_tests(const struct results *r, struct buf *out, const char *sep);

#endif
