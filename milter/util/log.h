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
/*
 * A broken invariant: something validation or the code's own logic
 * should have made impossible (Postfix's msg_panic).  Logged at LOG_CRIT
 * with "panic:" and counted; unlike msg_panic it returns, because a
 * milter that aborts takes every connection in flight with it: the
 * caller answers tempfail instead.
 */
void log_panic(const char *fmt, ...) WARDEN_PRINTF(1, 2);
/* How many panics were logged since start (for tests and metrics). */
unsigned log_panic_count(void);
/* Minimum priority that is written (default LOG_INFO). */
void log_set_level(int prio);
/* Facility name ("mail", "local0", ...) to its value; -1 if unknown. */
int  log_facility(const char *name);

#endif
