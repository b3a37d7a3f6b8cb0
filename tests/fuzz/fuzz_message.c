/*
 * fuzz_message -- the whole pipeline on one stored message, as
 * "warden scan" runs it: header split, every stage, the MIME walk, text
 * preparation, every rule kind (the shipped rules plus fuzz.rules, which
 * has at least one rule of each kind), meta rules and the verdict.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"
#include "msgfile.h"
#include "snapshot.h"

static struct snapshot *snap;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char conf[] = "/tmp/warden-fuzz-XXXXXX";
	int fd = mkstemp(conf);
	struct diag d;
	FILE *fp;

	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	fprintf(fp, "spool_directory = /tmp\nclamav = off\n"
	    "spool_memory_limit = 64k\nsubject_tag = [SPAM]\n"
	    "rules = %s/rules/*.rules %s/tests/fuzz/fuzz.rules\n",
	    fuzz_srcdir(), fuzz_srcdir());
	fclose(fp);
	diag_init(&d);
	snap = snapshot_build(conf, NULL, &d);
	unlink(conf);
	if (snap == NULL) {
		for (size_t i = 0; i < d.errors.n; i++)
			fprintf(stderr, "%s\n", d.errors.v[i]);
		abort();
	}
	diag_free(&d);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msgfile_envelope env = { NULL, NULL, "192.0.2.1", "fuzz.example" };
	struct msgfile_outcome oc;

	msgfile_scan(snap, &env, (const char *)data, size, &oc);
	/* Every message gets a defined verdict. */
	if (oc.action == ACT_NONE || oc.action == ACT_SCAN)
		abort();
	msgfile_outcome_free(&oc);
	return 0;
}
