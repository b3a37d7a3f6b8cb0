/*
 * spf_suite.c -- the RFC 7208 test suite against Warden's SPF checks.
 *
 *   spf_suite [-v] SUITE.txt [TEST-ID...]
 *
 * SUITE.txt is what tests/auth/spf_suite.py makes of the suite's YAML:
 * "group", "zone" and "test" lines (see that script).  Each group's zone
 * answers the lookups (tests/auth/zone.h, TIMEOUT as an unanswered
 * lookup); each test runs spf_check_mailfrom() with its client address,
 * MAIL FROM and HELO name, and passes when the result is one of the
 * results the suite accepts and, when the suite gives an explanation,
 * the explanation is that text ("DEFAULT": no exp= explanation, as the
 * suite's own driver sets it).  Prints PASS or FAIL per test, then
 * "rfc7208: N passed of M"; exits 0 only when every test passed.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "util.h"
#include "zone.h"

#define MAX_FIELDS	8

static int verbose;

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Undo spf_suite.py's \xHH escapes in place; returns the length. */
static size_t
unescape(char *s)
{
	size_t o = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
		    hexval(s[i + 3]) >= 0) {
			s[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
			i += 3;
		} else
			s[o++] = s[i];
	}
	s[o] = '\0';
	return o;
}

/* Whether id was asked for on the command line (none: every test). */
static bool
wanted(char **ids, int nids, const char *id)
{
	if (nids == 0)
		return true;
	for (int i = 0; i < nids; i++)
		if (strcmp(ids[i], id) == 0)
			return true;
	return false;
}

/* Whether result is one of the comma-separated list. */
static bool
result_ok(const char *list, const char *result)
{
	size_t n = strlen(result);

	for (const char *p = list; *p; ) {
		size_t l = strcspn(p, ",");

		if (l == n && strncmp(p, result, n) == 0)
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}

/* One test: f[1] id, f[2] host, f[3] mailfrom, f[4] helo, f[5] results,
 * f[6] "" or "=explanation".  True when it passed. */
static bool
run_test(struct zone *z, char **f)
{
	struct spf_request rq = { f[2], f[3], f[4], "unknown" };
	struct auth_dns dns;
	struct spf_outcome o;
	const char *got, *exp;
	bool ok;

	zone_dns(z, &dns);
	spf_check_mailfrom(&rq, &dns, &o);
	got = spf_result_name(o.result);
	exp = o.explanation != NULL ? o.explanation : "DEFAULT";
	ok = result_ok(f[5], got) && (f[6][0] != '=' || strcmp(f[6] + 1,
	    exp) == 0);
	if (ok)
		printf("PASS %s: %s%s%s\n", f[1], got,
		    verbose ? " -- " : "", verbose ? o.why : "");
	else
		printf("FAIL %s: %s, want %s%s%s%s -- %s (%u lookups)\n",
		    f[1], got, f[5], f[6][0] == '=' ? "; explanation \"" : "",
		    f[6][0] == '=' ? exp : "", f[6][0] == '=' ? "\"" : "",
		    o.why, o.lookups);
	spf_outcome_free(&o);
	return ok;
}

int
main(int argc, char **argv)
{
	struct zone z = { 0 };
	char line[65536];
	unsigned passed = 0, total = 0;
	int a = 1;
	FILE *fp;

	if (a < argc && strcmp(argv[a], "-v") == 0) {
		verbose = 1;
		a++;
	}
	if (a >= argc) {
		fprintf(stderr, "usage: spf_suite [-v] SUITE.txt [TEST-ID...]\n");
		return 2;
	}
	if ((fp = fopen(argv[a], "r")) == NULL) {
		perror(argv[a]);
		return 2;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *f[MAX_FIELDS] = { 0 };
		size_t len[MAX_FIELDS] = { 0 };
		int nf = 0;
		char *save = NULL;

		line[strcspn(line, "\n")] = '\0';
		for (char *p = line; p != NULL && nf < MAX_FIELDS; nf++) {
			f[nf] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		(void)save;
		for (int i = 0; i < nf; i++)
			len[i] = unescape(f[i]);
		if (nf >= 1 && strcmp(f[0], "group") == 0)
			zone_clear(&z);
		else if (nf == 4 && strcmp(f[0], "zone") == 0) {
			int type = zone_type(f[2]);

			if (type == 0) {
				fprintf(stderr, "spf_suite: %s: type %s?\n",
				    f[1], f[2]);
				continue;
			}
			zone_add(&z, f[1], type, f[3], len[3]);
		} else if (nf == 7 && strcmp(f[0], "test") == 0) {
			if (!wanted(argv + a + 1, argc - a - 1, f[1]))
				continue;
			total++;
			if (run_test(&z, f))
				passed++;
		} else if (nf > 0 && f[0][0] != '\0') {
			fprintf(stderr, "spf_suite: bad line: %s\n", f[0]);
			fclose(fp);
			return 2;
		}
	}
	fclose(fp);
	zone_clear(&z);
	printf("rfc7208: %u passed of %u\n", passed, total);
	return total > 0 && passed == total ? 0 : 1;
}
