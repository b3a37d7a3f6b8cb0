/*
 * fuzz_dns -- what the DNS layer reads from mail and configuration: URI
 * hosts reduced to their registered domains (SpamAssassin's registry
 * boundaries, with a sample of util_rb_tld/2tld/3tld), the list rules'
 * "dnsbl:ZONE=CODES" specs and return-code filters, and the reversed
 * names of addresses.
 *
 * The input is lines; each is tried as a URI, a filter, a dnsbl: spec
 * and an address.
 *
 * Invariants: a host is lower case, has no '/', '?', '#', '@' or ':'
 * (for a name) and is at most its buffer; the domain is a suffix of the
 * host, at a label boundary; a filter that parses is matched against a
 * few answers without trouble; a reversed name is at most 72 bytes.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "dns.h"
#include "eval_int.h"
#include "fuzz.h"
#include "log.h"
#include "util.h"

static struct ruleset *rs;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag d;

	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	diag_init(&d);
	rs = rules_load_text(NULL, "tlds.cf",
	    "util_rb_tld com net org uk au de us example\n"
	    "util_rb_2tld co.uk com.au ac.uk\n"
	    "util_rb_3tld act.edu.au\n", &d);
	if (rs == NULL)
		abort();
	diag_free(&d);
	return 0;
}

static void
one(const char *s)
{
	char host[256], rev[80];
	char *dom = NULL;
	struct dns_filter f;
	struct buf err;
	struct rule r;

	if (eval_dns_uri_domain(rs, s, host, sizeof(host), &dom)) {
		size_t hl = strlen(host), dl = strlen(dom);

		if (hl >= sizeof(host) || dl > hl ||
		    strcmp(host + hl - dl, dom) != 0 ||
		    (dl < hl && host[hl - dl - 1] != '.'))
			abort();
		for (const char *p = host; *p; p++)
			if (isupper((unsigned char)*p) || strchr("/?#@", *p))
				abort();
		free(dom);
	}
	buf_init(&err, 0);
	if (dns_filter_parse(s, &f, &err) == 0) {
		(void)dns_filter_match(&f, "127.0.0.2");
		(void)dns_filter_match(&f, "127.255.255.254");
		(void)dns_filter_match(&f, s);
	}
	buf_free(&err);
	memset(&r, 0, sizeof(r));
	buf_init(&err, 0);
	if (rules_dnsbl_parse(&r, s, &err) == 0 && r.dnsbl == NULL)
		abort();
	rules_dnsbl_clear(&r);
	buf_free(&err);
	if (dns_reverse(s, rev, sizeof(rev)) > 72)
		abort();
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
