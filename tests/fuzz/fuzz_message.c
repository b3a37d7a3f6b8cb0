/*
 * fuzz_message -- the whole pipeline on one stored message, as
 * "warden scan" runs it: header split, every stage, the MIME walk, text
 * preparation, every rule kind (the shipped rules plus fuzz.rules, which
 * has at least one rule of each kind), every eval: test and pseudo-header
 * (eval_head.cf and eval_mime.cf, made by gen_eval_rules.py: the relay
 * chain, dates, the MIME, body and HTML tests, FreeMail), meta rules and
 * the verdict.  Every rule of those files must load: a rule skipped or
 * warned about would silently leave its code unfuzzed.  Every message is
 * judged twice, with the regex prefilter and without it: the hits must be
 * the same (the prefilter may only save work).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"
#include "msgfile.h"
#include "rules_int.h"
#include "snapshot.h"

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

static struct snapshot *snap, *snap_off;

static struct snapshot *
build(bool prefilter)
{
	char conf[] = "/tmp/warden-fuzz-XXXXXX";
	int fd = mkstemp(conf);
	struct diag d;
	struct snapshot *s;
	FILE *fp;

	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	fprintf(fp, "spool_directory = /tmp\nclamav = off\n"
	    "spool_memory_limit = 64k\nsubject_tag = [SPAM]\n"
	    "rules = %s/rules/*.rules %s/tests/fuzz/fuzz.rules "
	    "%s/tests/fuzz/eval_head.cf %s/tests/fuzz/eval_mime.cf\n"
	    "regex_prefilter = %s\nregex_prefilter_cache =\n",
	    fuzz_srcdir(), fuzz_srcdir(), fuzz_srcdir(), fuzz_srcdir(),
	    prefilter ? "yes" : "no");
	fclose(fp);
	diag_init(&d);
	s = snapshot_build(conf, NULL, &d);
	unlink(conf);
	if (s == NULL || d.warnings.n > 0 || fuzz_skips(s->rules) > 0) {
		for (size_t i = 0; i < d.errors.n; i++)
			fprintf(stderr, "%s\n", d.errors.v[i]);
		for (size_t i = 0; i < d.warnings.n; i++)
			fprintf(stderr, "%s\n", d.warnings.v[i]);
		for (size_t i = 0; s != NULL && i < s->rules->nskips; i++)
			fprintf(stderr, "fuzz_message: skipped %u %s\n",
			    s->rules->skips[i].n, s->rules->skips[i].what);
		abort();
	}
	diag_free(&d);
	return s;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	snap = build(true);
	snap_off = build(false);
	return 0;
}

/* The same hits, with the same counts, in the same order. */
static void
same_hits(const struct results *a, const struct results *b)
{
	if (a == NULL || b == NULL) {
		if (a != b)
			abort();
		return;
	}
	if (a->nhits != b->nhits) {
		fprintf(stderr, "prefilter: %zu hits, without: %zu\n",
		    a->nhits, b->nhits);
		abort();
	}
	for (size_t i = 0; i < a->nhits; i++)
		if (strcmp(a->hits[i].name, b->hits[i].name) != 0 ||
		    a->hits[i].count != b->hits[i].count) {
			fprintf(stderr, "prefilter: hit %s*%u, without: "
			    "%s*%u\n", a->hits[i].name, a->hits[i].count,
			    b->hits[i].name, b->hits[i].count);
			abort();
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msgfile_envelope env = { NULL, NULL, "192.0.2.1", "fuzz.example" };
	struct msgfile_outcome oc, off;

	msgfile_scan(snap, &env, (const char *)data, size, &oc);
	/* Every message gets a defined verdict. */
	if (oc.action == ACT_NONE || oc.action == ACT_SCAN)
		abort();
	msgfile_scan(snap_off, &env, (const char *)data, size, &off);
	if (oc.action != off.action)
		abort();
	same_hits(oc.res, off.res);
	msgfile_outcome_free(&oc);
	msgfile_outcome_free(&off);
	return 0;
}
