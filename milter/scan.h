/*
 * scan.h -- the engine behind both front doors.  mlfi.c (the milter) and
 * cli.c (warden scan) build a conn and txn the same way and call these
 * functions at the same stages, so the daemon and the command line can
 * never disagree.
 *
 * Each stage function runs the rules that can be decided there and
 * returns a decision: ACT_NONE to go on, or the action to take now with
 * its reply in *out (owned by the caller: decision_free()).
 */
#ifndef WARDEN_SCAN_H
#define WARDEN_SCAN_H

#include "results.h"
#include "txn.h"
#include "verdict.h"

struct stage_decision {
	enum action  action;	/* ACT_NONE: continue */
	struct reply reply;	/* owned: the reply for REJECT / TEMPFAIL */
	char        *why;	/* owned: for the log */
};

void stage_decision_free(struct stage_decision *d);

void scan_connect(struct conn *c, struct stage_decision *out);
void scan_helo(struct conn *c, struct stage_decision *out);
void scan_envfrom(struct conn *c, struct txn *t, struct stage_decision *out);
/* A REJECT / TEMPFAIL here refuses this recipient only. */
void scan_envrcpt(struct conn *c, struct txn *t, const char *rcpt,
    struct stage_decision *out);
/* End of headers: start the lookups of the relays the headers name
 * (answered, in the common case, while the body comes). */
void scan_eoh(struct conn *c, struct txn *t);
/* End of message: rules, antivirus, then the verdict. */
void scan_eom(struct conn *c, struct txn *t, struct verdict *v);
/*
 * The statistical filter's tokens of t's message (stats.h), read as the
 * end of message reads it: what "warden learn" learns.  -1 when the
 * message could not be read.
 */
struct stats_tok;
int scan_tokens(struct conn *c, struct txn *t, struct stats_tok *tk);
/* The one log line per message. */
void scan_log_verdict(const struct conn *c, const struct txn *t,
    const struct verdict *v, double elapsed_ms);

#endif
