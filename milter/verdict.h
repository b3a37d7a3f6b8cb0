/*
 * verdict.h -- pure policy: (results, config) -> one action, its reply and
 * the headers to add.  No I/O, no globals: unit-tested with synthetic
 * scores.
 *
 * Order of precedence:
 *   1. a virus -> virus_action (it overrides a timeout, an internal error
 *      and a rule's "accept": a virus found is never delivered);
 *   2. an internal error -> on_internal_error; a scan timeout -> on_timeout;
 *   3. a decision already taken by a rule with an action;
 *   4. an antivirus error -> on_av_error; a heuristic -> heuristic_action;
 *   5. a limit reached -> on_limit_exceeded, unless that is "scan";
 *   6. the score against reject_score, quarantine_score, tag_score.
 * When several of 4-6 apply, the most severe action wins.  An action that
 * cannot end a message ("none", "scan" outside on_limit_exceeded, out of
 * range) is a broken invariant: log_panic() and tempfail.
 */
#ifndef WARDEN_VERDICT_H
#define WARDEN_VERDICT_H

#include "config.h"
#include "results.h"

struct verdict {
	enum action  action;	/* ACCEPT, TAG, QUARANTINE, REJECT, TEMPFAIL, DISCARD */
	struct reply reply;	/* owned; for REJECT and TEMPFAIL */
	char        *quarantine_reason;	/* owned; for QUARANTINE */
	struct strlist hdr_names;	/* owned; headers to add ... */
	struct strlist hdr_values;	/* ... with their values */
	char        *new_subject;	/* owned; Subject with the tag, or NULL */
	char        *status;	/* owned; the X-Spam-Status value */
	char        *why;	/* owned; what decided, for logs and --explain */
};

/*
 * subject is the message's Subject as received (NULL if none).
 * av_enabled says whether X-Virus-* headers belong on the message.
 */
void verdict_decide(const struct config *cfg, const struct results *r,
    const char *subject, struct verdict *v);
void verdict_free(struct verdict *v);

#endif
