/*
 * html_dump.c -- print Warden's HTML results for HTML files, one JSON
 * line per file, for the HTML parity script (tests/parity/html_parity.py).
 * Each file is one decoded text/html part, as SpamAssassin gave it to its
 * HTML parser (html_sa.pl writes them), read whole and handed to
 * html_analyze() unchanged.
 *
 * usage: html_dump FILE...
 * prints {"path": FILE, "results": {...}} per file, or
 * {"path": FILE, "error": "..."} when it cannot be read (and exits 1 at
 * the end), so that every file given has its line.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "msgfile.h"
#include "util.h"

int
main(int argc, char **argv)
{
	struct buf out;
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: html_dump FILE...\n");
		return 2;
	}
	buf_init(&out, 0);
	for (int i = 1; i < argc; i++) {
		struct html *h;
		size_t len;
		char *data;

		buf_reset(&out);
		buf_puts(&out, "{\"path\": ");
		json_string(&out, argv[i]);
		if ((data = msgfile_read(argv[i], &len)) == NULL) {
			buf_puts(&out, ", \"error\": ");
			json_string(&out, strerror(errno));
			rc = 1;
		} else {
			h = html_analyze(data, len);
			buf_puts(&out, ", \"results\": ");
			html_json(h, &out);
			html_free(h);
			free(data);
		}
		buf_puts(&out, "}\n");
		/* One line per file as it is done: a crash on some input
		 * still leaves the lines before it to the caller. */
		fwrite(out.p, 1, out.len, stdout);
		fflush(stdout);
	}
	buf_free(&out);
	return rc;
}
