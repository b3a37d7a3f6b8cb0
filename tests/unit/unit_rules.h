/*
 * unit_rules.h -- for the rule engine's unit tests: run a ruleset's
 * end-of-message rules on a message and ask whether a rule hit.
 */
#ifndef WARDEN_UNIT_RULES_H
#define WARDEN_UNIT_RULES_H

#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "rules_int.h"
#include "util.h"

/* A config from text (the rule tests' hostname first), failing the
 * test with the first error if it does not load.  Free with
 * config_free(). */
static inline struct config *
unit_rules_config(const char *text)
{
	struct diag d;
	struct config *c;
	char *all = xasprintf("hostname = mx.warden.test\n%s", text);

	diag_init(&d);
	c = config_load_string("test.conf", all, &d);
	ck_assert_msg(c != NULL, "config: %s", d.errors.n ? d.errors.v[0] :
	    "?");
	diag_free(&d);
	free(all);
	return c;
}

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
