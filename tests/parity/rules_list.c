/*
 * rules_list.c -- print the rules Warden loads from a configuration, one
 * "NAME KIND full|partial" per line, for the parity script
 * (tests/parity/parity.py): parity is measured only on the rules Warden
 * implements.  "partial" is a meta that refers, directly or through other
 * metas, to a rule Warden skipped (an eval: test, a plugin's rule): it
 * runs, but cannot agree with SpamAssassin where the skipped rule hits.
 *
 * usage: rules_list CONFIG
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>

#include "rules_int.h"

/* Whether meta r depends on a skipped rule.  mark: 0 new, 1 busy, 2/3. */
static bool
partial(const struct ruleset *rs, const struct rule *r, char *mark)
{
	bool p = false;

	if (r->kind != RK_META)
		return false;
	if (mark[r->index] >= 2)
		return mark[r->index] == 3;
	if (mark[r->index] == 1)
		return false;
	mark[r->index] = 1;
	for (size_t i = 0; i < r->nmnodes && !p; i++)
		if (r->mnodes[i].op == MO_RULE)
			p = r->mnodes[i].rule < 0 ||
			    partial(rs, rs->rules[r->mnodes[i].rule], mark);
	mark[r->index] = p ? 3 : 2;
	return p;
}

int
main(int argc, char **argv)
{
	struct diag d;
	struct config *cfg;
	struct ruleset *rs;
	char *mark;

	if (argc != 2) {
		fprintf(stderr, "usage: rules_list CONFIG\n");
		return 2;
	}
	diag_init(&d);
	if ((cfg = config_load(argv[1], &d)) == NULL ||
	    (rs = rules_load(cfg, &d)) == NULL) {
		for (size_t i = 0; i < d.errors.n; i++)
			fprintf(stderr, "%s\n", d.errors.v[i]);
		diag_free(&d);
		config_free(cfg);
		return 1;
	}
	mark = calloc(rs->n + 1, 1);
	for (size_t i = 0; i < rs->n; i++)
		printf("%s %s %s\n", rs->rules[i]->name,
		    rules_kind_names[rs->rules[i]->kind],
		    partial(rs, rs->rules[i], mark) ? "partial" : "full");
	free(mark);
	rules_free(rs);
	config_free(cfg);
	diag_free(&d);
	return 0;
}
