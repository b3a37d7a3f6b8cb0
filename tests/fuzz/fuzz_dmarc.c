/*
 * fuzz_dmarc -- the sender-authentication text Warden reads besides SPF
 * and DKIM: DMARC records (dmarc_record_parse()), organizational domains
 * (dmarc_org_domain(), libpsl), the From field a DMARC check takes its
 * domain from (auth_from_domain()) and Authentication-Results fields
 * whose authserv-id is compared with ours (auth_header_claims()).
 *
 * The input is lines; each is tried as each of those.
 *
 * Invariants: a record that parses has policies in range and pct <= 100;
 * a From domain is lower case, non-empty, at most 253 bytes, of name
 * characters only, and comes from a value that contains '@'; an
 * organizational domain is a suffix of its lower-cased domain.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "dmarc.h"
#include "fuzz.h"
#include "log.h"
#include "util.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	return 0;
}

static void
one(const char *s)
{
	struct dmarc_record r;
	char *d, *o;

	if (dmarc_record_parse(s, &r) == 0 &&
	    (r.p < DP_NONE || r.p > DP_REJECT || r.sp > DP_REJECT ||
	    r.np > DP_REJECT || r.pct > 100))
		abort();
	if ((d = auth_from_domain(s)) != NULL) {
		size_t n = strlen(d);

		if (n == 0 || n > 253 || strchr(s, '@') == NULL)
			abort();
		for (const char *p = d; *p; p++)
			if (isupper((unsigned char)*p) ||
			    (!isalnum((unsigned char)*p) && *p != '.' &&
			    *p != '-' && *p != '_'))
				abort();
		if ((o = dmarc_org_domain(d)) != NULL) {
			size_t m = strlen(o);

			if (m > n || strcmp(d + n - m, o) != 0)
				abort();
			free(o);
		}
		free(d);
	}
	(void)auth_header_claims(s, "mx.example.com");
	(void)auth_header_claims(s, "");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xstrndup((const char *)data, size > 65536 ? 65536 : size);
	char *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save))
		one(l);
	free(copy);
	return 0;
}
