/*
 * diag.h -- a list of problems found while loading configuration, rules or
 * databases, each as "file:line: message" (or "file: message" when there
 * is no line).  Loaders add to a list the caller owns; nothing is printed
 * here, so lint, start-up and reload each decide where the lines go.
 */
#ifndef WARDEN_DIAG_H
#define WARDEN_DIAG_H

#include "util.h"

struct diag {
	struct strlist errors;		/* fatal for the load */
	struct strlist warnings;	/* reported by lint, not fatal */
	struct strlist notes;		/* summaries (e.g. skipped rule kinds) */
};

void diag_init(struct diag *d);
void diag_free(struct diag *d);
void diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
    WARDEN_PRINTF(4, 5);
void diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
    WARDEN_PRINTF(4, 5);
void diag_note(struct diag *d, const char *fmt, ...) WARDEN_PRINTF(2, 3);
size_t diag_nerrors(const struct diag *d);
/* Log every error and warning at the given priorities. */
void diag_log(const struct diag *d, const char *context);

#endif
