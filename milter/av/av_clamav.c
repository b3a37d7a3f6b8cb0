/*
 * av_clamav.c -- the in-process antivirus: libclamav's engine, loaded
 * once per database and shared read-only by every connection.
 *
 * Three layers, each with its own lifetime:
 *
 *  struct engine    one compiled database (a cl_engine plus its version
 *                   text).  Reference counted (atomic): the database
 *                   state holds one reference for as long as the engine
 *                   is current, and every scan holds one from start to
 *                   end.  The last release, from whichever thread that
 *                   is, calls cl_engine_free().  So a scan always
 *                   finishes on the engine it started with, and an old
 *                   engine is freed as soon as the last scan on it ends.
 *
 *  struct dbstate   one database directory with one set of engine
 *                   settings: the current engine, the cl_stat used to
 *                   notice changes, and the watcher thread that checks
 *                   the directory every clamav_check_interval seconds
 *                   and swaps in a new engine (started by the first
 *                   scan, so that it lives in the process that serves
 *                   mail, after the daemon's fork).  Reference counted: each
 *                   av_clamav handle holds one.  When a reload (SIGUSR1)
 *                   builds a new snapshot with the same database and
 *                   settings, the new handle shares the old handle's
 *                   dbstate, so there is one engine (and one watcher) in
 *                   memory however many snapshots are alive.  The last
 *                   release (av_clamav_close(), called by whichever
 *                   thread frees the last snapshot using it) stops and
 *                   joins the watcher, then drops the current engine.
 *
 *  struct av_clamav the handle av.c owns (one per snapshot): a dbstate
 *                   reference and the per-scan options.
 *
 * Who frees what, on which thread:
 *  - a scan (any milter thread) takes an engine reference in
 *    db_acquire() and drops it at the end of av_clamav_scan(); if the
 *    engine was swapped out meanwhile, that drop frees it, on that
 *    thread.
 *  - a reload (the watcher thread, or the thread building a snapshot on
 *    SIGUSR1) swaps dbstate.cur and drops the state's reference on the
 *    old engine: freed there unless scans still hold it.
 *  - av_clamav_close() (the thread releasing the last snapshot that uses
 *    the handle) drops the dbstate reference; the last one sets
 *    stopping, joins the watcher -- waiting for a load it may have under
 *    way -- and drops the current engine.  The watcher never frees the
 *    dbstate itself.
 *  - prev, in av_clamav_open(), is only read; sharing its dbstate takes a
 *    reference, so prev may be closed at any time afterwards.
 *
 * Locks: dbstate.lock guards cur, reloading, stopping and generation and
 * is held only for pointer swaps and reference taking -- never while
 * loading or scanning.  dbstate.reload_lock serialises reloads (watcher
 * versus SIGUSR1) and guards st, st_ok, fp and last_error (generation is
 * only written with both held).  Lock order: reload_lock, then lock.
 *
 * Change detection: cl_statchkdir() on the cl_stat taken before the last
 * load, plus a fingerprint of the directory (dir_fingerprint()) for the
 * changes cl_statchkdir() cannot see.  A load that fails re-takes both,
 * so a broken database is tried (and logged) once per change, not once
 * per check.
 *
 * Reload modes: concurrent (default) builds the new engine while the old
 * one still serves scans, then swaps: two engines in memory for the time
 * of the load, scans never wait.  blocking drops the current engine
 * first, so at most one engine plus whatever in-flight scans still hold
 * is in memory; scans that arrive meanwhile wait up to
 * clamav_reload_wait seconds and then fail (on_av_error).  The price of
 * blocking: if the new database does not load, there is no old engine to
 * keep, and scans fail until the directory changes again and loads.
 * A SIGUSR1 reload that changes the database settings (limits, PUA,
 * phishing, directory, reload policy) builds a new dbstate beside the
 * old one whatever the mode: the old snapshot still scans with its
 * engine until it is released.
 */
#include "autoconfig.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#ifdef __linux__
#include <sys/vfs.h>
#include <linux/magic.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <clamav.h>

#include "av.h"
#include "av_int.h"
#include "log.h"

/* Everything that decides what an engine is and how it is kept fresh. */
struct db_settings {
	char     *dir;
	char     *tmpdir;		/* may be NULL: libclamav's default */
	unsigned  dbopts;
	long long max_scansize;
	long long max_filesize;
	long long max_recursion;
	long long max_files;
	long long max_scantime;		/* milliseconds */
	unsigned  check_interval;	/* seconds; 0: no watcher */
	enum av_reload_mode reload;
	unsigned  reload_wait;		/* seconds */
};

struct engine {
	atomic_ulong      refs;
	struct cl_engine *cl;		/* owned: cl_engine_free() at last ref */
	unsigned          sigs;
	unsigned          dbversion;
	char             *version;	/* owned: "ClamAV 1.4.6/27000" */
	time_t            loaded;
};

struct dbstate {
	atomic_ulong       refs;
	struct db_settings set;		/* owned, immutable after creation */

	pthread_mutex_t    lock;
	pthread_cond_t     cond;	/* cur, reloading or stopping changed */
	struct engine     *cur;		/* one reference; NULL: none usable */
	bool               reloading;	/* a blocking reload is under way */
	bool               stopping;
	unsigned long      generation;	/* engines loaded so far */

	pthread_mutex_t    reload_lock;
	struct cl_stat     st;		/* the directory as last loaded */
	bool               st_ok;
	uint64_t           fp;		/* dir_fingerprint() as last loaded */
	char              *last_error;	/* owned: last load error logged */

	pthread_t          watcher;	/* started by the first scan */
	bool               have_watcher;	/* guarded by lock */
	atomic_bool        watcher_tried;
};

struct av_clamav {
	struct dbstate        *db;	/* one reference */
	struct cl_scan_options opts;
};

static pthread_once_t clamav_once = PTHREAD_ONCE_INIT;
static cl_error_t clamav_init_status = CL_SUCCESS;
/*
 * libclamav's messages while this thread loads a database or scans go
 * here (to be put in the load error, or logged after the scan);
 * otherwise they are logged as they come.
 */
static _Thread_local struct buf *clamav_capture;
/* An error-level message came while capturing. */
static _Thread_local bool clamav_capture_error;

/*
 * A scan's writes.  libclamav writes the parts it extracts from a mail
 * with write(2) and, when a write fails (a full spool: ENOSPC, a quota:
 * EDQUOT), goes on, scans what it has and answers "clean" without a word
 * -- measured: a virus in an attachment passed as clean with the spool
 * full.  So Warden defines write() itself: the executable's definition is
 * the one libclamav's calls bind to (ELF symbol interposition), and while
 * this thread scans, the first failed write's errno is kept here and the
 * scan is an antivirus error whatever libclamav answers.  For every other
 * caller and thread, write() is the system call, unchanged.
 */
static _Thread_local bool scan_io_watch;
static _Thread_local int scan_io_errno;

ssize_t
write(int fd, const void *buf, size_t n)
{
	long r = syscall(SYS_write, fd, buf, n);

	if (r < 0 && scan_io_watch && scan_io_errno == 0)
		scan_io_errno = errno;
	return (ssize_t)r;
}

void
av_io_watch(bool on)
{
	scan_io_watch = on;
	if (on)
		scan_io_errno = 0;
}

int
av_io_errno(void)
{
	return scan_io_errno;
}

static void
clamav_msg(enum cl_msg severity, const char *fullmsg, const char *msg,
    void *context)
{
	size_t n;

	(void)fullmsg;
	(void)context;
	if (msg == NULL)
		return;
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	if (clamav_capture != NULL && severity != CL_MSG_INFO_VERBOSE) {
		if (severity == CL_MSG_ERROR)
			clamav_capture_error = true;
		if (clamav_capture->len > 0)
			buf_puts(clamav_capture, "; ");
		buf_append(clamav_capture, msg, n);
		return;
	}
	log_msg(severity == CL_MSG_ERROR ? LOG_ERR :
	    severity == CL_MSG_WARN ? LOG_WARNING : LOG_DEBUG,
	    "libclamav: %.*s", (int)n, msg);
}

static void
clamav_init(void)
{
	cl_set_clcb_msg(clamav_msg);
	clamav_init_status = cl_init(CL_INIT_DEFAULT);
}

/* Engines. */

static void
engine_release(struct engine *e)
{
	if (e == NULL || atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	cl_engine_free(e->cl);
	free(e->version);
	free(e);
}

/*
 * What a first user with no ClamAV database can do about it, said where
 * the problem is reported (lint, scan, the daemon's start-up).
 */
#define NO_DATABASE_HINT "; to get ClamAV's database, install " \
	"clamav-freshclam; to scan without one, set clamav = optional or " \
	"clamav = off in warden.conf"

/*
 * Load and compile the database.  Returns an engine with one reference,
 * or NULL with the reason in err.
 */
/*
 * Whether the database directory can be read now: an open that fails
 * for want of descriptors (EMFILE, ENFILE) or memory is not an empty
 * directory.  false with the reason in err.
 */
static bool
dir_readable(const char *dir, struct buf *err)
{
	DIR *dp = opendir(dir);

	if (dp == NULL) {
		buf_printf(err, "cannot read the database directory: %s",
		    strerror(errno));
		return false;
	}
	closedir(dp);
	return true;
}

static struct engine *
engine_load(const struct db_settings *s, struct buf *err)
{
	struct cl_engine *cl;
	struct engine *e = NULL;
	struct buf msgs;
	unsigned sigs = 0;
	cl_error_t ret;
	int gerr = 0;
	long long dbv;
	struct stat sb;

	buf_init(&msgs, 4096);
	cl = cl_engine_new();
	if (cl == NULL) {
		buf_puts(err, "cannot create the engine (out of memory?)");
		goto done;
	}
	if (cl_engine_set_num(cl, CL_ENGINE_MAX_SCANSIZE, s->max_scansize) ||
	    cl_engine_set_num(cl, CL_ENGINE_MAX_FILESIZE, s->max_filesize) ||
	    cl_engine_set_num(cl, CL_ENGINE_MAX_RECURSION, s->max_recursion) ||
	    cl_engine_set_num(cl, CL_ENGINE_MAX_FILES, s->max_files) ||
	    cl_engine_set_num(cl, CL_ENGINE_MAX_SCANTIME, s->max_scantime) ||
	    /* No cache of clean results: a scan that could not write the
	     * parts it extracts must not teach libclamav that the message
	     * is clean (its cache would answer so until the database
	     * changes), and the cache cannot be told which scans failed.
	     * Mail rarely repeats byte for byte, so little is lost. */
	    cl_engine_set_num(cl, CL_ENGINE_DISABLE_CACHE, 1) ||
	    (s->tmpdir != NULL &&
	    cl_engine_set_str(cl, CL_ENGINE_TMPDIR, s->tmpdir))) {
		buf_puts(err, "cannot set the engine limits");
		goto done;
	}
	if (stat(s->dir, &sb) < 0) {
		int serr = errno;

		buf_printf(err, "cannot open the database directory: %s%s",
		    strerror(serr), serr == ENOENT ? NO_DATABASE_HINT : "");
		goto done;
	}
	clamav_capture = &msgs;
	ret = cl_load(s->dir, cl, &sigs, s->dbopts);
	if (ret == CL_SUCCESS && sigs > 0)
		ret = cl_engine_compile(cl);
	clamav_capture = NULL;
	if (ret == CL_EOPEN && S_ISDIR(sb.st_mode) &&
	    strstr(msgs.p, "No supported database files") != NULL &&
	    dir_readable(s->dir, err))
		sigs = 0;
	else if (ret == CL_EOPEN && err->len > 0)
		goto done;	/* dir_readable() said why */
	else if (ret != CL_SUCCESS) {
		buf_printf(err, "cannot load the database: %s", cl_strerror(ret));
		if (msgs.len > 0)
			buf_printf(err, " (%s)", msgs.p);
		goto done;
	}
	if (sigs == 0) {
		buf_puts(err, "no signatures: the directory holds no "
		    "database files (.cvd .cld .hdb .hsb .ndb .ldb .yar ...)"
		    NO_DATABASE_HINT);
		goto done;
	}
	e = xcalloc(1, sizeof(*e));
	atomic_init(&e->refs, 1);
	e->cl = cl;
	cl = NULL;
	e->sigs = sigs;
	dbv = cl_engine_get_num(e->cl, CL_ENGINE_DB_VERSION, &gerr);
	e->dbversion = gerr == 0 && dbv > 0 ? (unsigned)dbv : 0;
	e->version = xasprintf("ClamAV %s/%u", cl_retver(), e->dbversion);
	e->loaded = time(NULL);
done:
	clamav_capture = NULL;
	if (cl != NULL)
		cl_engine_free(cl);
	buf_free(&msgs);
	return e;
}

/* Database states. */

static void
settings_from_config(struct db_settings *s, const struct config *cfg)
{
	memset(s, 0, sizeof(*s));
	s->dir = xstrdup(cfg->clamav_database);
	/* libclamav's extracted files go to Warden's private spool when it
	 * is usable, else to libclamav's default ($TMPDIR, /tmp).  Whether
	 * that is a tmpfs decides much of what a scan costs: lint says
	 * (tmpdir_summary()). */
	s->tmpdir = cfg->spool_directory != NULL && *cfg->spool_directory &&
	    access(cfg->spool_directory, W_OK | X_OK) == 0 ?
	    xstrdup(cfg->spool_directory) : NULL;
	s->dbopts = CL_DB_STDOPT;
	if (!cfg->clamav_phishing)
		s->dbopts &= ~(unsigned)(CL_DB_PHISHING | CL_DB_PHISHING_URLS);
	if (cfg->clamav_detect_pua)
		s->dbopts |= CL_DB_PUA;
	s->max_scansize = (long long)cfg->clamav_max_scan_size;
	s->max_filesize = (long long)cfg->clamav_max_file_size;
	s->max_recursion = cfg->clamav_max_recursion;
	s->max_files = cfg->clamav_max_files;
	s->max_scantime = cfg->clamav_max_scan_time;
	s->check_interval = cfg->clamav_check_interval;
	s->reload = cfg->clamav_reload;
	s->reload_wait = cfg->clamav_reload_wait;
}

static void
settings_free(struct db_settings *s)
{
	free(s->dir);
	free(s->tmpdir);
}

static bool
streq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
settings_equal(const struct db_settings *a, const struct db_settings *b)
{
	return strcmp(a->dir, b->dir) == 0 &&
	    streq_null(a->tmpdir, b->tmpdir) &&
	    a->dbopts == b->dbopts &&
	    a->max_scansize == b->max_scansize &&
	    a->max_filesize == b->max_filesize &&
	    a->max_recursion == b->max_recursion &&
	    a->max_files == b->max_files &&
	    a->max_scantime == b->max_scantime &&
	    a->check_interval == b->check_interval &&
	    a->reload == b->reload &&
	    a->reload_wait == b->reload_wait;
}

static void
deadline_in(struct timespec *ts, unsigned seconds)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += seconds;
}

static struct dbstate *
db_new(const struct config *cfg)
{
	struct dbstate *db;
	pthread_condattr_t ca;

	db = xcalloc(1, sizeof(*db));
	atomic_init(&db->refs, 1);
	atomic_init(&db->watcher_tried, false);
	settings_from_config(&db->set, cfg);
	pthread_mutex_init(&db->lock, NULL);
	pthread_mutex_init(&db->reload_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&db->cond, &ca);
	pthread_condattr_destroy(&ca);
	return db;
}

/* Only after the watcher has been joined (or never started). */
static void
db_destroy(struct dbstate *db)
{
	engine_release(db->cur);
	if (db->st_ok)
		cl_statfree(&db->st);
	free(db->last_error);
	pthread_cond_destroy(&db->cond);
	pthread_mutex_destroy(&db->lock);
	pthread_mutex_destroy(&db->reload_lock);
	settings_free(&db->set);
	free(db);
}

static void
db_release(struct dbstate *db)
{
	bool join;

	if (atomic_fetch_sub(&db->refs, 1) != 1)
		return;
	/* No scan can start a watcher any more: this was the last
	 * reference. */
	pthread_mutex_lock(&db->lock);
	db->stopping = true;
	join = db->have_watcher;
	pthread_cond_broadcast(&db->cond);
	pthread_mutex_unlock(&db->lock);
	/* Waits for a load the watcher may have under way. */
	if (join)
		pthread_join(db->watcher, NULL);
	db_destroy(db);
}

/*
 * A hash of the directory's files (name, inode, size, change times to the
 * nanosecond).  cl_statchkdir() compares whole-second mtimes by inode and
 * misses removed files, so a file replaced within the same second by one
 * that reuses the inode, or a file deleted, would go unnoticed; this
 * catches both.  Hidden files and subdirectories (freshclam's temporary
 * ones) are left out.
 */
static uint64_t
dir_fingerprint(const char *dir, bool *ok)
{
	DIR *dp;
	struct dirent *de;
	struct stat sb;
	uint64_t sum = 0, h;
	char *path;
	const unsigned char *c;
	uint64_t v[6];
	size_t i;

	*ok = true;
	if ((dp = opendir(dir)) == NULL) {
		/* No descriptor left, say: not a change of the database. */
		*ok = errno == ENOENT || errno == ENOTDIR;
		return 0;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
			h = 1469598103934665603ULL;	/* FNV-1a */
			for (c = (const unsigned char *)de->d_name; *c; c++)
				h = (h ^ *c) * 1099511628211ULL;
			v[0] = (uint64_t)sb.st_ino;
			v[1] = (uint64_t)sb.st_size;
			v[2] = (uint64_t)sb.st_mtim.tv_sec;
			v[3] = (uint64_t)sb.st_mtim.tv_nsec;
			v[4] = (uint64_t)sb.st_ctim.tv_sec;
			v[5] = (uint64_t)sb.st_ctim.tv_nsec;
			for (i = 0; i < 6; i++)
				h = (h ^ v[i]) * 1099511628211ULL;
			sum += h;	/* order-independent */
		}
		free(path);
	}
	closedir(dp);
	return sum;
}

/*
 * Reload when the directory changed since the last load (or always with
 * force).  Returns 0 when nothing changed, 1 when a new engine is
 * current, -1 when the load failed (with the reason in err, and, with
 * log, logged unless it is the same failure as last time; without, the
 * caller reports it).  Any thread; one at a
 * time per database.
 */
static int
db_refresh(struct dbstate *db, bool force, bool log, struct buf *err)
{
	struct cl_stat nst;
	struct buf quiet;
	uint64_t nfp;
	struct engine *e, *old = NULL;
	bool nst_ok;
	int status = 0;

	pthread_mutex_lock(&db->reload_lock);
	if (!force) {
		bool fp_ok;
		uint64_t fp = dir_fingerprint(db->set.dir, &fp_ok);

		/* A directory that cannot be read now (descriptors short)
		 * has not changed: look again at the next check. */
		if (!fp_ok || (db->st_ok && cl_statchkdir(&db->st) == 0 &&
		    fp == db->fp))
			goto done;
	}
	/* Take the directory's picture first: a change during the load
	 * is then noticed at the next check. */
	memset(&nst, 0, sizeof(nst));
	buf_init(&quiet, 1024);
	clamav_capture = &quiet;	/* engine_load() says it better */
	nst_ok = cl_statinidir(db->set.dir, &nst) == CL_SUCCESS;
	clamav_capture = NULL;
	{
		bool fp_ok;

		nfp = dir_fingerprint(db->set.dir, &fp_ok);
	}
	buf_free(&quiet);
	if (db->set.reload == AV_RELOAD_BLOCKING) {
		pthread_mutex_lock(&db->lock);
		old = db->cur;
		db->cur = NULL;
		db->reloading = true;
		pthread_mutex_unlock(&db->lock);
		/* Freed now unless scans in flight still hold it. */
		engine_release(old);
		old = NULL;
	}
	e = engine_load(&db->set, err);
	pthread_mutex_lock(&db->lock);
	if (e != NULL) {
		old = db->cur;
		db->cur = e;
		db->generation++;
	}
	db->reloading = false;
	pthread_cond_broadcast(&db->cond);
	pthread_mutex_unlock(&db->lock);
	engine_release(old);
	if (db->st_ok)
		cl_statfree(&db->st);
	db->st = nst;
	db->st_ok = nst_ok;
	db->fp = nfp;
	if (e != NULL) {
		status = 1;
		free(db->last_error);
		db->last_error = NULL;
		if (db->generation > 1)		/* a reload, not the start */
			log_msg(LOG_INFO, "antivirus: database %s reloaded: "
			    "%u signatures, %s", db->set.dir, e->sigs,
			    e->version);
	} else {
		status = -1;
		if (log && (db->last_error == NULL ||
		    strcmp(db->last_error, err->p) != 0))
			log_msg(LOG_ERR, "antivirus: %s: %s; %s", db->set.dir,
			    err->p, db->set.reload == AV_RELOAD_BLOCKING ?
			    "no engine until the database loads "
			    "(clamav_reload = blocking)" :
			    "keeping the engine loaded before");
		free(db->last_error);
		db->last_error = xstrdup(err->p);
	}
done:
	pthread_mutex_unlock(&db->reload_lock);
	return status;
}

static void *
db_watch(void *arg)
{
	struct dbstate *db = arg;
	struct timespec until;
	struct buf err;

	buf_init(&err, 0);
	pthread_mutex_lock(&db->lock);
	while (!db->stopping) {
		deadline_in(&until, db->set.check_interval);
		while (!db->stopping && pthread_cond_timedwait(&db->cond,
		    &db->lock, &until) != ETIMEDOUT)
			;
		if (db->stopping)
			break;
		pthread_mutex_unlock(&db->lock);
		buf_reset(&err);
		(void)db_refresh(db, false, true, &err);
		pthread_mutex_lock(&db->lock);
	}
	pthread_mutex_unlock(&db->lock);
	buf_free(&err);
	return NULL;
}

/*
 * Start the watcher, once, from the first scan.  Not at open: the daemon
 * builds its first snapshot before it forks into the background and
 * drops privileges, and a thread does not survive fork().  The watcher
 * takes no signals (the milter's signal handling expects every thread
 * but its own to block them).
 */
static void
db_start_watcher(struct dbstate *db)
{
	sigset_t all, old;
	int rc = 0;

	pthread_mutex_lock(&db->lock);
	if (!atomic_load(&db->watcher_tried) && !db->stopping) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = pthread_create(&db->watcher, NULL, db_watch, db);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		db->have_watcher = rc == 0;
		atomic_store(&db->watcher_tried, true);
	}
	pthread_mutex_unlock(&db->lock);
	if (rc != 0)
		log_msg(LOG_ERR, "antivirus: %s: cannot start the database "
		    "watcher: %s; the directory is checked on SIGUSR1 only",
		    db->set.dir, strerror(rc));
}

/*
 * The engine to scan with, with a reference for the caller, or NULL
 * (none loaded, or a blocking reload outlasted clamav_reload_wait).
 */
static struct engine *
db_acquire(struct dbstate *db)
{
	struct engine *e;
	struct timespec until;

	pthread_mutex_lock(&db->lock);
	if (db->cur == NULL && db->reloading) {
		deadline_in(&until, db->set.reload_wait);
		while (db->cur == NULL && db->reloading &&
		    pthread_cond_timedwait(&db->cond, &db->lock, &until) !=
		    ETIMEDOUT)
			;
	}
	e = db->cur;
	if (e != NULL)
		atomic_fetch_add(&e->refs, 1);
	pthread_mutex_unlock(&db->lock);
	return e;
}

/* Handles. */

struct av_clamav *
av_clamav_open(const struct config *cfg, const struct av_clamav *prev,
    struct diag *d)
{
	struct av_clamav *h = NULL;
	struct dbstate *db = NULL;
	struct db_settings want;
	struct buf err;
	struct cl_scan_options *o;
	bool have;

	buf_init(&err, 0);
	pthread_once(&clamav_once, clamav_init);
	if (clamav_init_status != CL_SUCCESS) {
		diag_error(d, AV_CFG_NAME(cfg), 0, "libclamav: cannot "
		    "initialise: %s", cl_strerror(clamav_init_status));
		goto done;
	}
	settings_from_config(&want, cfg);
	if (prev != NULL && settings_equal(&want, &prev->db->set)) {
		/* Same database, same settings: share the engine, loading
		 * again only if the directory changed. */
		db = prev->db;
		atomic_fetch_add(&db->refs, 1);
		settings_free(&want);
		/* With no engine (a blocking reload that failed), try again
		 * even if nothing changed: a snapshot needs one. */
		pthread_mutex_lock(&db->lock);
		have = db->cur != NULL;
		pthread_mutex_unlock(&db->lock);
		if (db_refresh(db, !have, false, &err) < 0) {
			diag_error(d, db->set.dir, 0, "%s", err.p);
			goto done;
		}
	} else {
		settings_free(&want);
		db = db_new(cfg);
		if (db_refresh(db, true, false, &err) < 0) {
			diag_error(d, db->set.dir, 0, "%s", err.p);
			goto done;
		}
	}
	h = xcalloc(1, sizeof(*h));
	h->db = db;
	db = NULL;
	o = &h->opts;
	o->parse = ~(uint32_t)0;
	if (cfg->clamav_heuristics || cfg->clamav_phishing)
		o->general |= CL_SCAN_GENERAL_HEURISTICS;
	if (cfg->clamav_heuristics)
		o->heuristic |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
		    CL_SCAN_HEURISTIC_ENCRYPTED_DOC |
		    CL_SCAN_HEURISTIC_BROKEN |
		    CL_SCAN_HEURISTIC_EXCEEDS_MAX;
done:
	if (db != NULL)
		db_release(db);
	buf_free(&err);
	return h;
}

void
av_clamav_close(struct av_clamav *h)
{
	if (h == NULL)
		return;
	db_release(h->db);
	free(h);
}

/*
 * Before a scan: room for libclamav's temporary files (the parts of a
 * message decoded take about its size; twice that and 1 MiB more are
 * asked for) and descriptors to spare (it opens one per nested file).
 * Returns 0, or -1 with the reason in why.
 */
#define SCAN_SPARE_FDS	32

static int
scan_room(const char *tmpdir, size_t len, char *why, size_t whylen)
{
	struct statvfs sv;
	struct rlimit rl;
	int fd;

	if (tmpdir != NULL && statvfs(tmpdir, &sv) == 0) {
		unsigned long long avail = (unsigned long long)sv.f_bavail *
		    sv.f_frsize;
		unsigned long long need = 2ULL * len + (1ULL << 20);

		if (avail < need || (sv.f_files > 0 && sv.f_favail < 16)) {
			snprintf(why, whylen, "the spool %s has %llu bytes and "
			    "%llu inodes free, under the %llu bytes and 16 "
			    "inodes a scan of this message needs", tmpdir,
			    avail, (unsigned long long)sv.f_favail, need);
			return -1;
		}
	}
	/* Descriptors are handed out lowest first: the lowest free one
	 * tells how many are in use. */
	fd = fcntl(0, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		snprintf(why, whylen, "no file descriptor left (%s)",
		    strerror(errno));
		return -1;
	}
	if (fd >= 0) {
		close(fd);
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY &&
		    (rlim_t)fd + SCAN_SPARE_FDS > rl.rlim_cur) {
			snprintf(why, whylen, "%d of %llu file descriptors in "
			    "use, fewer than %d to spare", fd,
			    (unsigned long long)rl.rlim_cur, SCAN_SPARE_FDS);
			return -1;
		}
	}
	return 0;
}

void
av_clamav_scan(struct av_clamav *h, const char *msg, size_t len, int fd,
    struct results *res)
{
	char why[512];
	int io_errno;
	bool msg_error;
	struct engine *e;
	struct cl_scan_options opts;
	cl_fmap_t *map;
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_error_t ret;
	struct buf msgs;

	if (h->db->set.check_interval > 0 &&
	    !atomic_load(&h->db->watcher_tried))
		db_start_watcher(h->db);
	e = db_acquire(h->db);
	if (e == NULL) {
		av_error(res, NULL, "antivirus: no engine loaded "
		    "(database %s)", h->db->set.dir);
		return;
	}
	if (scan_room(h->db->set.tmpdir, len, why, sizeof(why)) < 0) {
		av_error(res, e->version, "antivirus: not scanned: %s", why);
		engine_release(e);
		return;
	}
	opts = h->opts;		/* libclamav wants it writable */
	buf_init(&msgs, 4096);
	clamav_capture = &msgs;
	clamav_capture_error = false;
	av_io_watch(true);
	/* The spool's view (memory, or its file already mapped) is
	 * scanned in place; the descriptor only when there is no view. */
	if (msg == NULL && fd >= 0) {
		ret = cl_scandesc_callback(fd, "message", &virname, &scanned,
		    e->cl, &opts, NULL);
	} else {
		map = cl_fmap_open_memory(msg != NULL ? msg : "",
		    msg != NULL ? len : 0);
		if (map == NULL) {
			ret = CL_EMEM;
		} else {
			ret = cl_scanmap_callback(map, "message", &virname,
			    &scanned, e->cl, &opts, NULL);
			cl_fmap_close(map);
		}
	}
	av_io_watch(false);
	clamav_capture = NULL;
	io_errno = av_io_errno();
	msg_error = clamav_capture_error;
	if (msgs.len > 0)
		log_msg(LOG_WARNING, "libclamav: %s", msgs.p);
	/*
	 * "Clean" is believed only from a scan that wrote everything it
	 * meant to and reported no error: libclamav 1.4 answers "clean"
	 * when it cannot make its temporary directory or write a part it
	 * extracted, without having looked into it.
	 */
	if (ret == CL_CLEAN && io_errno != 0) {
		av_error(res, e->version, "antivirus: scan failed: cannot "
		    "write the parts it extracts to %s: %s",
		    h->db->set.tmpdir ? h->db->set.tmpdir : "the temporary "
		    "directory", strerror(io_errno));
		buf_free(&msgs);
		engine_release(e);
		return;
	}
	if (ret == CL_CLEAN && msg_error) {
		av_error(res, e->version, "antivirus: scan failed: libclamav "
		    "reported an error: %s", msgs.p);
		buf_free(&msgs);
		engine_release(e);
		return;
	}
	buf_free(&msgs);
	switch (ret) {
	case CL_CLEAN:
		av_result(res, AV_CLEAN, NULL, e->version);
		break;
	case CL_VIRUS:
		av_result(res, av_classify(virname), virname, e->version);
		break;
	default:
		av_error(res, e->version, "antivirus: scan failed: %s",
		    cl_strerror(ret));
		break;
	}
	engine_release(e);
}

/*
 * Where libclamav's temporary files go, for lint.  libclamav makes a
 * directory there for every scan and, for a mail, another one into which
 * it writes each MIME part before scanning it, then removes them all: on
 * a disk filesystem that is most of the time a scan of a message takes
 * (measured on ext4: 3 to 5 ms a message, against under 1 ms on a tmpfs,
 * the thread mostly waiting on the filesystem).  A tmpfs makes it a
 * memory copy.
 */
static void
tmpdir_summary(const char *tmpdir, struct diag *d)
{
	const char *dir = tmpdir;
#ifdef __linux__
	struct statfs sf;
#endif

	if (dir == NULL) {
		/* libclamav's own choice when the spool is not usable. */
		dir = getenv("TMPDIR");
		if (dir == NULL || *dir == '\0')
			dir = "/tmp";
	}
#ifdef __linux__
	if (statfs(dir, &sf) == 0) {
		if (sf.f_type == TMPFS_MAGIC)
			diag_note(d, "antivirus: libclamav's temporary files "
			    "in %s (a tmpfs)", dir);
		else
			diag_note(d, "antivirus: libclamav's temporary files "
			    "in %s, not a tmpfs: each scan of a mail makes and "
			    "removes directories and files there; scans are "
			    "cheaper with spool_directory on a tmpfs", dir);
		return;
	}
#endif
	diag_note(d, "antivirus: libclamav's temporary files in %s", dir);
}

void
av_clamav_summary(const struct av_clamav *h, struct diag *d)
{
	struct engine *e;
	const struct db_settings *s = &h->db->set;
	char when[32];
	struct tm tm;

	e = db_acquire(h->db);
	if (e == NULL) {
		diag_note(d, "antivirus: libclamav %s, database %s: no engine "
		    "loaded", cl_retver(), s->dir);
		return;
	}
	localtime_r(&e->loaded, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	diag_note(d, "antivirus: libclamav in-process, %s, database %s: "
	    "%u signatures, loaded %s", e->version, s->dir, e->sigs, when);
	if (s->check_interval > 0)
		snprintf(when, sizeof(when), "every %u s", s->check_interval);
	else
		snprintf(when, sizeof(when), "never (SIGUSR1 only)");
	diag_note(d, "antivirus: heuristics %s, phishing %s, PUA %s; "
	    "reload %s, directory checked %s",
	    h->opts.heuristic != 0 ? "on" : "off",
	    (s->dbopts & CL_DB_PHISHING) ? "on" : "off",
	    (s->dbopts & CL_DB_PUA) ? "on" : "off",
	    s->reload == AV_RELOAD_BLOCKING ? "blocking" : "concurrent", when);
	tmpdir_summary(s->tmpdir, d);
	engine_release(e);
}
