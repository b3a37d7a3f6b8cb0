/*
 * fuzz_rules -- the rule-file parser on arbitrary text (Warden's own
 * .rules syntax and SpamAssassin .cf input alike).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "rules.h"

static char path[64];
static struct config *cfg;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag d;
	char *text;
	int fd;

	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	snprintf(path, sizeof(path), "/tmp/warden-fuzz-rules-%ld.rules",
	    (long)getpid());
	if ((fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600)) < 0)
		abort();
	close(fd);
	text = xasprintf("spool_directory = /tmp\nclamav = off\nrules = %s\n",
	    path);
	diag_init(&d);
	cfg = config_load_string("fuzz.conf", text, &d);
	free(text);
	diag_free(&d);
	if (cfg == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *fp = fopen(path, "wb");
	struct ruleset *rs;
	struct diag d;

	if (fp == NULL)
		abort();
	fwrite(data, 1, size, fp);
	fclose(fp);
	diag_init(&d);
	rs = rules_load(cfg, &d);
	/* Either a ruleset or at least one error. */
	if (rs == NULL && diag_nerrors(&d) == 0)
		abort();
	if (rs != NULL) {
		rules_summary(rs, &d);
		rules_free(rs);
	}
	diag_free(&d);
	return 0;
}
