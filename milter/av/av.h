/*
 * av.h -- the antivirus interface.  Backends: av_clamav.c (libclamav,
 * in-process) and av_clamd.c (clamd over a socket).
 *
 * An av handle belongs to a snapshot; the engine behind it is shared
 * read-only by every connection.  av_scan() may be called from any number
 * of threads at once.
 */
#ifndef WARDEN_AV_H
#define WARDEN_AV_H

#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "results.h"

struct av;

/*
 * Open the backend the config names.  Returns a handle, or NULL with the
 * problem in d when the antivirus is required (clamav = on) and cannot be
 * used.  With clamav = off, returns a handle whose scans do nothing.
 * prev, when not NULL, is the handle of the snapshot being replaced.
 */
struct av *av_open(const struct config *cfg, const struct av *prev,
    struct diag *d);
void av_close(struct av *av);
/*
 * Scan a whole message as received (msg/len; fd is the spool's file or
 * -1).  Sets res->av, res->virus and res->av_version.
 */
void av_scan(struct av *av, const char *msg, size_t len, int fd,
    struct results *res);
/* True when scans really happen (for the X-Virus-* headers). */
int  av_enabled(const struct av *av);
/* Add lint's lines about the antivirus to d. */
void av_summary(const struct av *av, struct diag *d);
/*
 * Remove libclamav's leftovers in dir (the spool): its per-scan
 * directories ("*-scantemp.*") last changed at least min_age seconds
 * ago, with everything in them.  libclamav removes its own when a scan
 * ends, but not when it ran out of descriptors or the process died in
 * the middle.  Returns how many were removed.  Any thread.
 */
unsigned av_sweep(const char *dir, unsigned min_age);

#endif
