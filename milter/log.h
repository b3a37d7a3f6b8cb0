/*
 * log.h -- one place for every log line: syslog, or stderr in the
 * foreground.  Safe to call from any thread.
 */
#ifndef WARDEN_LOG_H
#define WARDEN_LOG_H

#include <syslog.h>
#include "util.h"

/* Until log_open() is called, lines go to stderr. */
void log_open(const char *ident, bool to_stderr, int facility);
void log_close(void);
void log_msg(int prio, const char *fmt, ...) WARDEN_PRINTF(2, 3);
/* Minimum priority that is written (default LOG_INFO). */
void log_set_level(int prio);
/* Facility name ("mail", "local0", ...) to its value; -1 if unknown. */
int  log_facility(const char *name);

#endif
