/*
 * log.c -- syslog or stderr.  Each line is written with one call so that
 * lines from several threads never interleave.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static bool use_stderr = true;
static int min_prio = LOG_INFO;
static const char *log_ident = "warden";
static unsigned panics;

void
log_open(const char *ident, bool to_stderr, int facility)
{
	log_ident = ident;
	use_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void
log_close(void)
{
	if (!use_stderr)
		closelog();
}

void
log_set_level(int prio)
{
	min_prio = prio;
}

static const char *
prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: return "fatal";
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: case LOG_INFO: return "info";
	default: return "debug";
	}
}

void
log_msg(int prio, const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	if (prio > min_prio)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (use_stderr)
		fprintf(stderr, "%s: %s: %s\n", log_ident, prio_name(prio), line);
	else
		syslog(prio, "%s", line);
}

void
log_panic(const char *fmt, ...)
{
	char line[4000];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	__atomic_add_fetch(&panics, 1, __ATOMIC_RELAXED);
	if (use_stderr)
		fprintf(stderr, "%s: panic: %s\n", log_ident, line);
	else
		syslog(LOG_CRIT, "panic: %s", line);
}

unsigned
log_panic_count(void)
{
	return __atomic_load_n(&panics, __ATOMIC_RELAXED);
}

int
log_facility(const char *name)
{
	static const struct { const char *n; int v; } tab[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON },
		{ "user", LOG_USER }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
		{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 },
	};

	for (size_t i = 0; i < ARRAY_LEN(tab); i++)
		if (strcasecmp(tab[i].n, name) == 0)
			return tab[i].v;
	return -1;
}
