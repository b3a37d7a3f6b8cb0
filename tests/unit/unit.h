/*
 * unit.h -- what every Warden unit test shares: running one Check suite,
 * a scratch directory helper, and a search in a string list.
 */
#ifndef WARDEN_TEST_UNIT_H
#define WARDEN_TEST_UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Run the suite; the exit status tells automake's harness the result. */
static inline int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the name. */
static inline char *
unit_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	p = malloc(strlen(base) + 32);
	ck_assert_ptr_nonnull(p);
	sprintf(p, "%s/warden-unit.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(p));
	return p;
}

/* Whether some string of l contains want. */
static inline bool
unit_list_has(const struct strlist *l, const char *want)
{
	for (size_t i = 0; i < l->n; i++)
		if (strstr(l->v[i], want) != NULL)
			return true;
	return false;
}

#endif
