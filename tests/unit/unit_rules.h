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

/* Run the end-of-data rules on msg into res, which the caller has
 * initialised and frees (cfg and envfrom may be NULL). */
static inline void
unit_eom_run(const struct ruleset *rs, const struct config *cfg,
    const char *msg, const char *envfrom, struct results *res)
{
	struct rules_input in;

	memset(&in, 0, sizeof(in));
	in.stage = STAGE_EOM;
	in.cfg = cfg;
	in.msg = msg;
	in.msglen = strlen(msg);
	in.envfrom = envfrom;
	ck_assert_int_eq(rules_run(rs, &in, res), 0);
}

/* Whether rule name hits msg at end of data (cfg and envfrom may be
 * NULL). */
static inline bool
unit_eom_hit(const struct ruleset *rs, const struct config *cfg,
    const char *msg, const char *envfrom, const char *name)
{
	struct results res;
	bool hit;

	results_init(&res);
	unit_eom_run(rs, cfg, msg, envfrom, &res);
	hit = results_has_hit(&res, name);
	results_free(&res);
	return hit;
}

/* Whether res records that a PCRE2 limit was reached. */
static inline bool
unit_pcre2_limit(const struct results *res)
{
	return res->limit != NULL && strcmp(res->limit, "pcre2") == 0;
}

#endif
