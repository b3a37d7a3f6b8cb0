/*
 * spool.h -- the bytes of one message as received (header lines, the
 * blank line, the body), kept in memory up to a limit and then in an
 * unlinked temporary file.  The file has no name from the moment it is
 * created, so it is gone when the spool is freed or the process dies.
 *
 * Only the first max_scan bytes are kept; spool_total() still counts
 * everything written, so the verdict can say the scan was partial.
 * spool_truncated() means exactly that: bytes were dropped at max_scan.
 * A write that fails (the file cannot be made or written) is an error
 * of its own, never counted as truncation.
 *
 * Ownership: the spool owns its memory, file and mapping.  spool_data()
 * lends a view that stays valid until the next spool_write() or
 * spool_free().
 */
#ifndef WARDEN_SPOOL_H
#define WARDEN_SPOOL_H

#include <stdbool.h>
#include <stddef.h>

struct spool;

/*
 * dir NULL: a spool that never makes a file and keeps up to max_scan
 * bytes in memory whatever mem_limit says (a stored message, which
 * needs no spool directory).
 */
struct spool *spool_new(const char *dir, size_t mem_limit, size_t max_scan);
void   spool_free(struct spool *sp);
/*
 * 0, or -1 with errno set (the file could not be created or written).
 * After a failure every later write fails too, with the same errno: the
 * spool no longer holds the message as received.
 */
int    spool_write(struct spool *sp, const void *data, size_t n);
/*
 * Count n more bytes of the message that were never offered to
 * spool_write() (a caller that stopped reading its input): they make the
 * spool truncated exactly as bytes dropped at max_scan do.
 */
void   spool_skip(struct spool *sp, size_t n);
/* The kept bytes as one contiguous view (memory, or the file mapped). */
const char *spool_data(struct spool *sp, size_t *len);
size_t spool_total(const struct spool *sp);
/* Whether bytes were dropped at max_scan (or skipped); not after a failure. */
bool   spool_truncated(const struct spool *sp);
bool   spool_on_disk(const struct spool *sp);
/* The file descriptor when on disk, else -1 (for scanners that read fds). */
int    spool_fd(const struct spool *sp);

#endif
