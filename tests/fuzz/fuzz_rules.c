/*
 * fuzz_rules -- the rule-file parser on arbitrary text: each input is
 * read as Warden's own .rules file, and as a SpamAssassin .cf file with
 * a resolver configured (never asked), so that the network tests'
 * lines (check_rbl, urirhssub, askdns, ...) are parsed too.
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

static char path[2][64];
static struct config *cfg[2];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const ext[2] = { "rules", "cf" };
	static const char *const more[2] = { "",
	    "dns_resolver = 127.0.0.1:9\n" };

	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	for (int i = 0; i < 2; i++) {
		struct diag d;
		char *text;
		int fd;

		snprintf(path[i], sizeof(path[i]), "/tmp/warden-fuzz-rules-%ld.%s",
		    (long)getpid(), ext[i]);
		if ((fd = open(path[i], O_CREAT | O_WRONLY | O_TRUNC, 0600)) < 0)
			abort();
		close(fd);
		text = xasprintf("spool_directory = /tmp\nclamav = off\n"
		    "rules = %s\n%s", path[i], more[i]);
		diag_init(&d);
		cfg[i] = config_load_string("fuzz.conf", text, &d);
		free(text);
		diag_free(&d);
		if (cfg[i] == NULL)
			abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int i = 0; i < 2; i++) {
		FILE *fp = fopen(path[i], "wb");
		struct ruleset *rs;
		struct diag d;

		if (fp == NULL)
			abort();
		fwrite(data, 1, size, fp);
		fclose(fp);
		diag_init(&d);
		rs = rules_load(cfg[i], &d);
		/* Either a ruleset or at least one error. */
		if (rs == NULL && diag_nerrors(&d) == 0)
			abort();
		if (rs != NULL) {
			rules_summary(rs, &d);
			rules_free(rs);
		}
		diag_free(&d);
	}
	return 0;
}
