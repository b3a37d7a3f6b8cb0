/*
 * spool.c -- message bytes in memory, then in an unlinked temp file.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"

struct spool {
	char   *dir;		/* where the temp file goes; NULL: none */
	size_t  mem_limit;	/* bytes kept in memory before the file */
	size_t  max_scan;	/* bytes kept at all */
	char   *mem;		/* memory copy, until the file exists */
	size_t  mem_cap;
	size_t  kept;		/* bytes in mem or in the file */
	size_t  total;		/* bytes offered */
	bool    cut;		/* bytes dropped at max_scan, or skipped */
	int     err;		/* errno of the write that failed, or 0 */
	int     fd;		/* -1 until spilled */
	void   *map;		/* mapping of the file (spool_data) */
	size_t  map_len;
};

struct spool *
spool_new(const char *dir, size_t mem_limit, size_t max_scan)
{
	struct spool *sp = xcalloc(1, sizeof(*sp));

	/* No directory: everything that is kept stays in memory. */
	sp->dir = dir != NULL ? xstrdup(dir) : NULL;
	sp->mem_limit = dir != NULL ? mem_limit : max_scan;
	sp->max_scan = max_scan;
	sp->fd = -1;
	return sp;
}

static void
spool_unmap(struct spool *sp)
{
	if (sp->map != NULL) {
		munmap(sp->map, sp->map_len);
		sp->map = NULL;
		sp->map_len = 0;
	}
}

void
spool_free(struct spool *sp)
{
	if (sp == NULL)
		return;
	spool_unmap(sp);
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp->mem);
	free(sp->dir);
	free(sp);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Move the memory copy into a new unlinked file. */
static int
spool_spill(struct spool *sp)
{
	int fd;

#ifdef O_TMPFILE
	fd = open(sp->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -1;
	if (fd < 0)
#endif
	{
		char *path = xasprintf("%s/warden.XXXXXX", sp->dir);

		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
		free(path);
		if (fd < 0)
			return -1;
	}
	if (write_all(fd, sp->mem, sp->kept) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	sp->fd = fd;
	free(sp->mem);
	sp->mem = NULL;
	sp->mem_cap = 0;
	return 0;
}

/* Remember the first failure: the spool no longer holds the message. */
static int
spool_fail(struct spool *sp)
{
	sp->err = errno != 0 ? errno : EIO;
	return -1;
}

int
spool_write(struct spool *sp, const void *data, size_t n)
{
	size_t room = sp->max_scan - sp->kept;

	if (sp->err != 0) {
		errno = sp->err;
		return -1;
	}
	sp->total += n;
	if (n > room) {
		n = room;
		sp->cut = true;
	}
	if (n == 0)
		return 0;
	spool_unmap(sp);
	if (sp->fd < 0 && sp->dir != NULL && sp->kept + n > sp->mem_limit) {
		if (spool_spill(sp) < 0)
			return spool_fail(sp);
	}
	if (sp->fd >= 0) {
		/*
		 * XXX A short write leaves part of n in the file that kept
		 * does not count; harmless, as the spool is failed for good
		 * and its data is never read again.
		 */
		if (write_all(sp->fd, data, n) < 0)
			return spool_fail(sp);
	} else {
		if (sp->kept + n > sp->mem_cap) {
			size_t cap = sp->mem_cap ? sp->mem_cap : 16384;
			char *p;

			while (cap < sp->kept + n)
				cap *= 2;
			if (cap > sp->mem_limit)
				cap = sp->mem_limit;
			if ((p = realloc(sp->mem, cap)) == NULL) {
				errno = ENOMEM;
				return spool_fail(sp);
			}
			sp->mem = p;
			sp->mem_cap = cap;
		}
		memcpy(sp->mem + sp->kept, data, n);
	}
	sp->kept += n;
	return 0;
}

const char *
spool_data(struct spool *sp, size_t *len)
{
	*len = sp->kept;
	if (sp->fd < 0)
		return sp->mem != NULL ? sp->mem : "";
	if (sp->kept == 0)
		return "";
	if (sp->map == NULL) {
		void *m = mmap(NULL, sp->kept, PROT_READ, MAP_PRIVATE, sp->fd, 0);

		if (m == MAP_FAILED) {
			*len = 0;
			return NULL;
		}
		sp->map = m;
		sp->map_len = sp->kept;
	}
	return sp->map;
}

size_t
spool_total(const struct spool *sp)
{
	return sp->total;
}

void
spool_skip(struct spool *sp, size_t n)
{
	sp->total += n;
	if (n > 0)
		sp->cut = true;
}

/*
 * Not total > kept: a failed write counts its bytes in total without
 * keeping them, and that is an error, not a message cut at max_scan.
 */
bool
spool_truncated(const struct spool *sp)
{
	return sp->cut && sp->err == 0;
}

bool
spool_on_disk(const struct spool *sp)
{
	return sp->fd >= 0;
}

int
spool_fd(const struct spool *sp)
{
	return sp->fd;
}
