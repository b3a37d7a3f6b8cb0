/*
 * rules.h -- the compiled, immutable rule set and matching.
 *
 * A ruleset is built once per snapshot from the files the config's
 * "rules" key names, and is then shared read-only by every thread.  All
 * per-message matching state (PCRE2 match data, hit counts, the prepared
 * text) belongs to the caller's results or lives on the stack of
 * rules_run(); nothing in the ruleset is written after rules_load().
 */
#ifndef WARDEN_RULES_H
#define WARDEN_RULES_H

#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "results.h"
#include "txn.h"

struct ruleset;
struct mime_limits;
struct stats_db;
struct dns;
struct dns_set;
struct auth_results;

enum stage { STAGE_CONNECT, STAGE_HELO, STAGE_ENVFROM, STAGE_ENVRCPT,
	STAGE_EOM };

/* What the rules of one stage may look at.  Everything is borrowed. */
struct rules_input {
	enum stage  stage;
	const struct config *cfg;
	const char *client_addr;	/* "" when unknown */
	const char *client_name;	/* PTR name, "unknown" when none */
	const char *helo;		/* may be NULL before HELO */
	const char *envfrom;		/* may be NULL before MAIL FROM */
	const char *rcpt;		/* STAGE_ENVRCPT: this recipient */
	const struct strlist *rcpts;	/* accepted recipients so far */
	const struct header *hdrs;	/* STAGE_EOM */
	size_t      nhdrs;
	const char *msg;		/* STAGE_EOM: the message as received */
	size_t      msglen;
	double      deadline_ms;	/* now_ms() after which the rules
					   stop (res->timed_out); 0: none */
	const struct mime_limits *mime_limits;	/* STAGE_EOM; NULL: defaults */
	struct stats_db *stats;		/* the statistical filter's store
					   (borrowed); NULL: off */
	bool        stats_explain;	/* keep its evidence for --explain */
	bool        stats_keep;		/* keep the tokens (for autolearn) */
	struct dns_set *dns;		/* where lookups start (the message's
					   set, or the connection's before
					   MAIL FROM); NULL: network tests
					   off */
	struct dns *resolver;		/* its resolver (lists' error codes
					   are logged through it) */
	double      dns_deadline_ms;	/* wait for answers until then */
	const struct auth_results *auth;	/* STAGE_EOM: sender
					   authentication's results, NULL
					   when off */
};

/*
 * Load every rule file named by cfg->rules (globs, sorted).  Returns a
 * ruleset (empty when there are no files) or NULL with every problem in
 * d as "file:line: message".
 */
struct ruleset *rules_load(const struct config *cfg, struct diag *d);
void   rules_free(struct ruleset *rs);
/* rules_load() from text instead of files (tests, and commands that need
 * no rules: text ""); NULL on errors. */
struct ruleset *rules_load_text(const struct config *cfg, const char *name,
    const char *text, struct diag *d);
size_t rules_count(const struct ruleset *rs);
/* Add lint's summary lines (rules per kind, skipped constructs) to d. */
void   rules_summary(const struct ruleset *rs, struct diag *d);

/*
 * Run the rules of one stage: add hits to res; a hit on a rule with an
 * action takes that decision in res (results_decide).  At STAGE_EOM this
 * also runs the meta rules over every hit so far.  Returns 0, or -1 after
 * recording an internal error in res.
 */
int rules_run(const struct ruleset *rs, const struct rules_input *in,
    struct results *res);
/*
 * Start early the lookups that the message's network tests will read,
 * so that they are answered by the end of the message: at connect
 * (in->stage STAGE_CONNECT) the client's, at the end of the headers
 * (STAGE_EOM with in->hdrs and no in->msg yet) the relays' that the
 * Received headers name.  Does nothing without in->dns.
 */
void rules_prefetch(const struct ruleset *rs, const struct rules_input *in);

/*
 * The statistical filter's tokens of the message in (STAGE_EOM), read
 * as the check_bayes test reads it, added to tk (stats.h): what
 * "warden learn" learns.  rs gives the bounds and settings.
 */
struct stats_tok;
void rules_tokens(const struct ruleset *rs, const struct rules_input *in,
    struct stats_tok *tk);
/*
 * What a hit on rule name counts for when autolearn decides: its score
 * in the score set without the statistical filter, and where it looks
 * (*where: 1 the header, 2 the body, 0 elsewhere: metas, the envelope).
 * false when it does not count (tflags noautolearn or learn, as
 * SpamAssassin's BAYES_* rules have, or no such rule).
 */
bool rules_autolearn_points(const struct ruleset *rs, const char *name,
    double *score, int *where);

/*
 * Build the regex prefilter of rule sets loaded from now on in a
 * background thread (the daemon: loading and reloading do not wait for
 * it); by default it is built before rules_load() returns.
 */
void rules_hs_background(bool on);

/*
 * The prefilter's cache directory: rules_hs_cache_check() is 0 when dir
 * can hold the compiled databases (or there is no prefilter to cache:
 * built without Hyperscan, a CPU without the instructions it needs),
 * else the errno that says why not.  rules_hs_cache_fallback() names a
 * directory (copied) to use instead when regex_prefilter_cache cannot
 * be used; only the command line sets one, once, before loading rules.
 */
int  rules_hs_cache_check(const char *dir);
void rules_hs_cache_fallback(const char *dir);

#endif
