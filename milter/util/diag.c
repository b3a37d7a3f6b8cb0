/*
 * diag.c -- collected load problems in file:line form.
 */
#include "autoconfig.h"

#include <stdarg.h>

#include "diag.h"
#include "log.h"

void
diag_init(struct diag *d)
{
	d->errors = (struct strlist){ 0 };
	d->warnings = (struct strlist){ 0 };
	d->notes = (struct strlist){ 0 };
}

void
diag_free(struct diag *d)
{
	strlist_free(&d->errors);
	strlist_free(&d->warnings);
	strlist_free(&d->notes);
}

static void diag_add(struct strlist *l, const char *file, int line,
    const char *fmt, va_list ap) WARDEN_PRINTF(4, 0);

static void
diag_add(struct strlist *l, const char *file, int line, const char *fmt,
    va_list ap)
{
	struct buf b;

	buf_init(&b, 0);
	if (file != NULL && line > 0)
		buf_printf(&b, "%s:%d: ", file, line);
	else if (file != NULL)
		buf_printf(&b, "%s: ", file);
	buf_vprintf(&b, fmt, ap);
	strlist_add_owned(l, buf_steal(&b));
}

void
diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(&d->errors, file, line, fmt, ap);
	va_end(ap);
}

void
diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(&d->warnings, file, line, fmt, ap);
	va_end(ap);
}

void
diag_note(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_add(&d->notes, NULL, 0, fmt, ap);
	va_end(ap);
}

size_t
diag_nerrors(const struct diag *d)
{
	return d->errors.n;
}

void
diag_log(const struct diag *d, const char *context)
{
	for (size_t i = 0; i < d->errors.n; i++)
		log_msg(LOG_ERR, "%s%s", context ? context : "", d->errors.v[i]);
	for (size_t i = 0; i < d->warnings.n; i++)
		log_msg(LOG_WARNING, "%s%s", context ? context : "",
		    d->warnings.v[i]);
}
