/*
 * av.c -- the antivirus interface: picks the backend the config names
 * (av_clamav.c, libclamav in-process; av_clamd.c, clamd over sockets) and
 * applies the clamav = on / optional / off policy around it.
 *
 * Ownership:
 *  - av_open() returns a handle owned by the caller (the snapshot), which
 *    frees it with av_close() once no connection can scan with it any
 *    more.  The handle owns its backend handle.  prev is only read (and
 *    may lend its engine to the new handle through a reference count:
 *    closing prev afterwards is always safe).
 *  - av_scan() is called from any thread; everything it puts in res
 *    (virus, av_version) is owned by res.
 *  - Problems go to the caller's diag; nothing is printed here.
 */
#include "autoconfig.h"

#include <sys/stat.h>

#include <dirent.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "av.h"
#include "av_int.h"
#include "util.h"

struct av {
	enum av_mode         mode;
	enum av_backend_kind kind;
	bool                 enabled;	/* a backend handle is open */
#ifdef HAVE_LIBCLAMAV
	struct av_clamav    *clamav;
#endif
	struct av_clamd     *clamd;
	char                *why_off;	/* owned: why scans do not happen */
};

enum av_status
av_classify(const char *virname)
{
	if (virname != NULL && strncmp(virname, "Heuristics.", 11) == 0)
		return AV_HEURISTIC;
	return AV_VIRUS;
}

void
av_result(struct results *res, enum av_status st, const char *name,
    const char *version)
{
	res->av = st;
	free(res->virus);
	res->virus = name != NULL ? xstrdup(name) : NULL;
	free(res->av_version);
	res->av_version = version != NULL ? xstrdup(version) : NULL;
}

void
av_error(struct results *res, const char *version, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	av_result(res, AV_ERROR, NULL, version);
	if (res->error != NULL)
		return;
	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	res->error = buf_steal(&b);
}

/*
 * Hand a backend's problems on to the caller: with clamav = optional a
 * backend that cannot be used is a warning, not an error.
 */
static void
av_diag_merge(struct diag *d, struct diag *tmp, bool errors_are_fatal)
{
	size_t i;

	for (i = 0; i < tmp->errors.n; i++)
		strlist_add(errors_are_fatal ? &d->errors : &d->warnings,
		    tmp->errors.v[i]);
	for (i = 0; i < tmp->warnings.n; i++)
		strlist_add(&d->warnings, tmp->warnings.v[i]);
	for (i = 0; i < tmp->notes.n; i++)
		strlist_add(&d->notes, tmp->notes.v[i]);
}

struct av *
av_open(const struct config *cfg, const struct av *prev, struct diag *d)
{
	struct av *av;
	struct diag tmp;
	bool fatal;

	av = xcalloc(1, sizeof(*av));
	av->mode = cfg->clamav;
	av->kind = cfg->av_backend;
	if (cfg->clamav == AV_MODE_OFF) {
		av->why_off = xstrdup("clamav = off");
		return av;
	}
	fatal = cfg->clamav == AV_MODE_ON;
	diag_init(&tmp);
	switch (cfg->av_backend) {
	case AV_BACKEND_CLAMD:
		av->clamd = av_clamd_open(cfg, &tmp);
		av->enabled = av->clamd != NULL;
		break;
	case AV_BACKEND_LIBCLAMAV:
#ifdef HAVE_LIBCLAMAV
		av->clamav = av_clamav_open(cfg,
		    prev != NULL && prev->kind == AV_BACKEND_LIBCLAMAV ?
		    prev->clamav : NULL, &tmp);
		av->enabled = av->clamav != NULL;
#else
		(void)prev;
		diag_error(&tmp, AV_CFG_NAME(cfg), 0, "av_backend = libclamav: "
		    "the in-process engine is not built in (built with "
		    "--without-clamav); use av_backend = clamd or "
		    "clamav = off");
#endif
		break;
	}
	if (!av->enabled && tmp.errors.n == 0)
		diag_error(&tmp, AV_CFG_NAME(cfg), 0,
		    "antivirus backend could not be opened");
	av_diag_merge(d, &tmp, fatal);
	if (!av->enabled) {
		if (fatal) {
			diag_free(&tmp);
			free(av);
			return NULL;
		}
		/* Reported through d as a warning, like every load problem. */
		av->why_off = xasprintf("clamav = optional and the backend "
		    "is unusable: %s", tmp.errors.v[0]);
	}
	diag_free(&tmp);
	return av;
}

void
av_close(struct av *av)
{
	if (av == NULL)
		return;
#ifdef HAVE_LIBCLAMAV
	if (av->clamav != NULL)
		av_clamav_close(av->clamav);
#endif
	if (av->clamd != NULL)
		av_clamd_close(av->clamd);
	free(av->why_off);
	free(av);
}

void
av_scan(struct av *av, const char *msg, size_t len, int fd,
    struct results *res)
{
	if (!av_enabled(av)) {
		res->av = AV_NOT_SCANNED;
		return;
	}
#ifdef HAVE_LIBCLAMAV
	if (av->clamav != NULL) {
		av_clamav_scan(av->clamav, msg, len, fd, res);
		return;
	}
#endif
	av_clamd_scan(av->clamd, msg, len, fd, res);
}

int
av_enabled(const struct av *av)
{
	return av != NULL && av->enabled;
}

void
av_summary(const struct av *av, struct diag *d)
{
#ifndef HAVE_LIBCLAMAV
	diag_note(d, "antivirus: the in-process engine (libclamav) is not "
	    "built in; av_backend = clamd works");
#endif
	if (av == NULL)
		return;
	if (!av->enabled) {
		diag_note(d, "antivirus: off (%s)", av->why_off);
		return;
	}
#ifdef HAVE_LIBCLAMAV
	if (av->clamav != NULL)
		av_clamav_summary(av->clamav, d);
#endif
	if (av->clamd != NULL)
		av_clamd_summary(av->clamd, d);
}

static int
sweep_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	remove(path);
	return 0;
}

unsigned
av_sweep(const char *dir, unsigned min_age)
{
	DIR *dp;
	struct dirent *de;
	struct stat sb;
	time_t now = time(NULL);
	unsigned n = 0;

	if (dir == NULL || *dir == '\0' || (dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		char *path;

		if (strstr(de->d_name, "-scantemp.") == NULL)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    now - sb.st_mtime >= (time_t)min_age) {
			nftw(path, sweep_one, 8, FTW_DEPTH | FTW_PHYS);
			if (lstat(path, &sb) < 0)
				n++;
		}
		free(path);
	}
	closedir(dp);
	return n;
}
