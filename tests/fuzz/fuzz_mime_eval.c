/*
 * fuzz_mime_eval -- the eval: tests that walk the message: MIMEEval
 * (parts, encodings, charsets, attachments, parse flags), BodyEval,
 * FreeMail's body scan, HTMLEval on every HTML part, and MIMEHeader
 * rules, as the rule engine runs them at end of message
 * (rules_run(STAGE_EOM)) on the input taken as a whole message.  The
 * ruleset is eval_mime.cf alone (gen_eval_rules.py writes it: every
 * such test, called as SpamAssassin's stock rules call it and more), so
 * no regex rule of other kinds takes the time.
 *
 * Invariants: every rule of the file loads (none skipped, no warning);
 * a run never fails; every hit is a rule of the file; the message judged
 * twice gives the same hits, with the same counts, in the same order
 * (nothing of one message leaks into the next).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "results.h"
#include "rules.h"
#include "rules_int.h"
#include "util.h"

/*
 * The network tests (no dns_resolver here: every lookup would leave the
 * fuzzer) and the sender-authentication tests are skipped by design;
 * their parsers have targets of their own (fuzz_dns, fuzz_spf,
 * fuzz_dkim, fuzz_dmarc).  Any other skipped construct is a failure.
 */
static unsigned
fuzz_skips(const struct ruleset *r)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->nskips; i++)
		if (strncmp(r->skips[i].what, "network tests", 13) != 0 &&
		    strncmp(r->skips[i].what, "sender authentication", 21) != 0)
			n++;
	return n;
}

static struct config *cfg;
static struct ruleset *rs;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag d;
	char *text;

	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	text = xasprintf("hostname = mx.fuzz.example\n"
	    "rules = %s/tests/fuzz/eval_mime.cf\n"
	    "regex_prefilter = no\nregex_prefilter_cache =\n", fuzz_srcdir());
	diag_init(&d);
	if ((cfg = config_load_string("fuzz_mime_eval", text, &d)) == NULL ||
	    (rs = rules_load(cfg, &d)) == NULL || d.warnings.n > 0 ||
	    fuzz_skips(rs) > 0 || rs->neval == 0) {
		for (size_t i = 0; i < d.errors.n; i++)
			fprintf(stderr, "%s\n", d.errors.v[i]);
		for (size_t i = 0; i < d.warnings.n; i++)
			fprintf(stderr, "%s\n", d.warnings.v[i]);
		for (size_t i = 0; rs != NULL && i < rs->nskips; i++)
			fprintf(stderr, "fuzz_mime_eval: skipped %u %s\n",
			    rs->skips[i].n, rs->skips[i].what);
		abort();
	}
	diag_free(&d);
	free(text);
	return 0;
}

static void
run(const uint8_t *data, size_t size, struct results *res)
{
	struct rules_input in;

	memset(&in, 0, sizeof(in));
	in.stage = STAGE_EOM;
	in.cfg = cfg;
	in.client_addr = "192.0.2.1";
	in.client_name = "fuzz.example";
	in.helo = "fuzz.example";
	in.msg = (const char *)data;
	in.msglen = size;
	results_init(res);
	if (rules_run(rs, &in, res) != 0 || res->internal_error)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct results a, b;

	run(data, size, &a);
	run(data, size, &b);
	if (a.nhits != b.nhits)
		abort();
	for (size_t i = 0; i < a.nhits; i++) {
		if (strncmp(a.hits[i].name, "FZ", 2) != 0 ||
		    a.hits[i].count == 0)
			abort();
		if (strcmp(a.hits[i].name, b.hits[i].name) != 0 ||
		    a.hits[i].count != b.hits[i].count)
			abort();
	}
	results_free(&a);
	results_free(&b);
	return 0;
}
