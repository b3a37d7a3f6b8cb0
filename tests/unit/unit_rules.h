/*
 * unit_rules.h -- for the rule engine's unit tests: run a ruleset's
 * end-of-message rules on a message and ask whether a rule hit.
 */
#ifndef WARDEN_UNIT_RULES_H
#define WARDEN_UNIT_RULES_H

#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "rules_int.h"

/* Whether rule name hits msg at end of data (cfg and envfrom may be
 * NULL). */
static inline bool
unit_eom_hit(const struct ruleset *rs, const struct config *cfg,
    const char *msg, const char *envfrom, const char *name)
{
	struct rules_input in;
	struct results res;
	bool hit = false;

	memset(&in, 0, sizeof(in));
	in.stage = STAGE_EOM;
	in.cfg = cfg;
	in.msg = msg;
	in.msglen = strlen(msg);
	in.envfrom = envfrom;
	results_init(&res);
	ck_assert_int_eq(rules_run(rs, &in, &res), 0);
	for (size_t i = 0; i < res.nhits; i++)
		if (strcmp(res.hits[i].name, name) == 0)
			hit = true;
	results_free(&res);
	return hit;
}

#endif
