/*
 * av_int.h -- the antivirus backends as av.c sees them.  Not for use
 * outside av*.c.
 *
 * Each backend has one handle type, opened from a config and closed by
 * the av handle that owns it (av.c), from the thread that closes the
 * snapshot.  A backend's scan function is called from any number of
 * threads at once and fills res->av, res->virus and res->av_version
 * (both owned by res, freed by results_free()).
 */
#ifndef WARDEN_AV_INT_H
#define WARDEN_AV_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "results.h"

/* The name a config's problems are reported under ("file: message"). */
#define AV_CFG_NAME(cfg) ((cfg)->path != NULL ? (cfg)->path : "config")

/* Map a ClamAV result name to AV_VIRUS or AV_HEURISTIC. */
enum av_status av_classify(const char *virname);
/* Set a finding in res (copies name and version; either may be NULL). */
void av_result(struct results *res, enum av_status st, const char *name,
    const char *version);
/*
 * A scan that could not be done: AV_ERROR, with the reason kept in
 * res->error for the log.  Not results_set_error(): that marks Warden's
 * own trouble (on_internal_error), while this is on_av_error's.
 */
void av_error(struct results *res, const char *version, const char *fmt,
    ...) WARDEN_PRINTF(3, 4);

#ifdef HAVE_LIBCLAMAV
/* In-process libclamav (av_clamav.c). */
struct av_clamav;

/*
 * Load the database named by cfg, or share prev's engine when prev was
 * opened with the same database and settings and the database has not
 * changed since.  Returns NULL with the reason in d.  The handle starts
 * its own database watcher when cfg->clamav_check_interval > 0.
 */
struct av_clamav *av_clamav_open(const struct config *cfg,
    const struct av_clamav *prev, struct diag *d);
/* Stops the watcher (joins it) and drops the engine reference. */
void av_clamav_close(struct av_clamav *h);
void av_clamav_scan(struct av_clamav *h, const char *msg, size_t len, int fd,
    struct results *res);
void av_clamav_summary(const struct av_clamav *h, struct diag *d);
/*
 * The calling thread's watch on write(2) (av_clamav.c defines write()
 * so that libclamav's writes come through it): while on, the first
 * failed write's errno is kept for av_io_errno(); turning it on clears
 * that.  Thread-local.
 */
void av_io_watch(bool on);
int  av_io_errno(void);
#endif

/* clamd over sockets (av_clamd.c). */
struct av_clamd;

/*
 * Parse cfg->clamd_socket.  Returns NULL with the reason in d when an
 * address is malformed.  A clamd that does not answer now is a warning
 * in d, not an error: it may start after Warden.
 */
struct av_clamd *av_clamd_open(const struct config *cfg, struct diag *d);
void av_clamd_close(struct av_clamd *h);
void av_clamd_scan(struct av_clamd *h, const char *msg, size_t len, int fd,
    struct results *res);
void av_clamd_summary(const struct av_clamd *h, struct diag *d);

#endif
