/*
 * rules_eval.c -- SpamAssassin's eval: tests that Warden implements
 * natively, named after SpamAssassin's so that its scores apply.
 *
 * Ownership: rules_eval_define() stores in the rule a pointer to a
 * static table entry and the arguments it owns (freed with the rule).
 * rules_eval_run() reads the message through struct eval_ctx, which it
 * borrows for the one call; per-message state goes in ec->cache, freed
 * by rules_eval_done().
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

bool
rules_eval_define(struct ruleset *rs, struct rule *r, enum rule_kind kind,
    const char *call, const char **why)
{
	(void)rs;
	(void)r;
	(void)kind;
	(void)call;
	*why = "eval: rules";
	return false;
}

unsigned
rules_eval_run(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	(void)ec;
	return 0;
}

void
rules_eval_done(struct eval_ctx *ec)
{
	free(ec->cache);
	ec->cache = NULL;
}
