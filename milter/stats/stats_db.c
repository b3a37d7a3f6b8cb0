/*
 * stats_db.c -- the statistical filter's store in LMDB (stats_db.h).
 *
 * One LMDB environment in the statistics directory, three databases:
 *   tokens  key: the token (8 bytes, native order)
 *           value: struct tokrec (spam and ham counts)
 *   seen    key: a message's digest (STATS_DIGEST_LEN bytes)
 *           value: one byte, the class it was learned as
 *   meta    "nspam", "nham" (uint64), "version" (uint32)
 * Readers take no lock (MDB_NOTLS: a read transaction is not tied to a
 * thread, so libmilter's short-lived threads do not use up the reader
 * table); the one writer batches messages between commits.
 */
#include "autoconfig.h"

#include <errno.h>
#include <glib.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "stats_db.h"
#include "stats_int.h"

#define STORE_VERSION	1
#define MAX_READERS	4096

struct tokrec {
	uint32_t spam, ham;
};

struct job {
	struct job *next;
	uint8_t  digest[STATS_DIGEST_LEN];
	uint64_t *tok;
	size_t   n;
	enum stats_class cls;
};

#define QUEUE_MAX	1000	/* messages waiting to be learned */
#define BATCH_WAIT_MS	200	/* a batch gathers for this long */

struct stats_db {
	struct stats_db *next;	/* the process's open stores */
	unsigned refs;		/* guarded by open_lock */
	bool    write;		/* may learn (STATS_WRITE, or STATS_DAEMON
				 * with a store it may write) */
	int     mode;		/* STATS_READ, STATS_WRITE, STATS_DAEMON */
	dev_t   dev;		/* the directory, when it exists */
	ino_t   ino;
	bool    have_id;
	pthread_mutex_t envlock;	/* the environment is opened once, by
					 * the first user (env_get()) */
	bool    env_ready;
	struct stats_redis *rds;	/* the Redis backend, or NULL */
	struct rds_batch *rbatch;	/* the writer's batch in flight to
					 * Redis (stats_db_learn_send) */
	int     failing;	/* lookups fail now (said once; atomic) */
	/* Autolearn: messages queued for the learner thread. */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct job *qhead, *qtail;
	unsigned qlen;
	bool    qthread, qstop;
	pthread_t learner;
	unsigned long qdropped, qfailed;
	time_t  qlogged;
	MDB_env *env;
	MDB_dbi tokens, seen, meta;
	MDB_txn *w;		/* the batch being written, or NULL */
	unsigned long max_tokens;
	char   *dir;
};

static void
dberr(struct buf *err, const char *what, const char *dir, int rc)
{
	buf_printf(err, "statistics store %s: %s: %s", dir, what,
	    mdb_strerror(rc));
}

static int
meta_get(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t *v)
{
	MDB_val k = { strlen(key), (void *)key }, d;
	int rc = mdb_get(txn, dbi, &k, &d);

	*v = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (d.mv_size == sizeof(*v))
		memcpy(v, d.mv_data, sizeof(*v));
	return 0;
}

static int
meta_put(MDB_txn *txn, MDB_dbi dbi, const char *key, uint64_t v)
{
	MDB_val k = { strlen(key), (void *)key }, d = { sizeof(v), &v };

	return mdb_put(txn, dbi, &k, &d, 0);
}

static void db_free(struct stats_db *db);

/* Messages remembered as learned, at most (see expire_seen()): a
 * quarter of statistics_max_tokens, 1,000 at least; 0: no bound. */
static unsigned long
seen_max(const struct stats_db *db)
{
	unsigned long m = db->max_tokens / 4;

	if (db->max_tokens == 0)
		return 0;
	return m < 1000 ? 1000 : m;
}

/*
 * Open the environment of db (once; any thread).  The store is made
 * when db may write and it does not exist.  A daemon's store is opened
 * writable when its files allow, read-only otherwise.  LMDB's
 * environment is opened by the process that uses it: a daemon that
 * forks opens it after the fork, at its first message.
 */
static int
env_get(struct stats_db *db, struct buf *err)
{
	MDB_txn *txn = NULL;
	unsigned flags;
	size_t mapsize;
	uint64_t version;
	bool write = db->mode != STATS_READ;
	int rc;

	pthread_mutex_lock(&db->envlock);
	if (db->env_ready) {
		pthread_mutex_unlock(&db->envlock);
		return 0;
	}
	if (write && mkdir(db->dir, 0750) < 0 && errno != EEXIST) {
		if (db->mode == STATS_DAEMON && (errno == EACCES ||
		    errno == EROFS))
			write = false;
		else {
			buf_printf(err, "statistics store %s: cannot make the "
			    "directory: %s", db->dir, strerror(errno));
			goto fail;
		}
	}
again:
	flags = MDB_NOTLS | (write ? 0 : MDB_RDONLY);
	if ((rc = mdb_env_create(&db->env)) != 0) {
		dberr(err, "cannot create", db->dir, rc);
		goto fail;
	}
	/* Room: the bound's tokens and learned messages with LMDB's
	 * overhead, twice over for the copy-on-write pages of a batch;
	 * 64 MiB at least.  A map is address space, not memory or disk. */
	mapsize = ((size_t)(db->max_tokens > 0 ? db->max_tokens : 4000000) +
	    (seen_max(db) > 0 ? seen_max(db) : 1000000)) * 128 +
	    ((size_t)64 << 20);
	mdb_env_set_mapsize(db->env, mapsize);
	mdb_env_set_maxdbs(db->env, 4);
	mdb_env_set_maxreaders(db->env, MAX_READERS);
	if ((rc = mdb_env_open(db->env, db->dir, flags, 0640)) != 0) {
		mdb_env_close(db->env);
		db->env = NULL;
		if (write && db->mode == STATS_DAEMON && (rc == EACCES ||
		    rc == EROFS)) {
			write = false;	/* the daemon reads what it may */
			goto again;
		}
		if (rc == ENOENT)
			buf_printf(err, "statistics store %s: none yet (learn "
			    "mail with warden learn --spam and --ham)", db->dir);
		else
			dberr(err, "cannot open", db->dir, rc);
		goto fail;
	}
	if ((rc = mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY,
	    &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "tokens", write ? MDB_CREATE : 0,
	    &db->tokens)) != 0 ||
	    (rc = mdb_dbi_open(txn, "seen", write ? MDB_CREATE : 0,
	    &db->seen)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", write ? MDB_CREATE : 0,
	    &db->meta)) != 0 ||
	    (rc = meta_get(txn, db->meta, "version", &version)) != 0) {
		if (rc == MDB_NOTFOUND)
			buf_printf(err, "statistics store %s: none yet (learn "
			    "mail with warden learn --spam and --ham)", db->dir);
		else
			dberr(err, "cannot read", db->dir, rc);
		goto fail;
	}
	if (version != 0 && version != STORE_VERSION) {
		buf_printf(err, "statistics store %s: made by another version "
		    "of Warden (store version %llu, this one reads %d): learn "
		    "again into a new directory", db->dir,
		    (unsigned long long)version, STORE_VERSION);
		goto fail;
	}
	if (write && version == 0 &&
	    (rc = meta_put(txn, db->meta, "version", STORE_VERSION)) != 0) {
		dberr(err, "cannot write", db->dir, rc);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		dberr(err, "cannot read", db->dir, rc);
		goto fail;
	}
	db->write = write;
	db->env_ready = true;
	pthread_mutex_unlock(&db->envlock);
	return 0;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (db->env != NULL)
		mdb_env_close(db->env);
	db->env = NULL;
	pthread_mutex_unlock(&db->envlock);
	return -1;
}

static struct stats_db *
db_new(const char *dir, int mode, unsigned long max_tokens)
{
	struct stats_db *db = xcalloc(1, sizeof(*db));
	struct stat sb;

	db->dir = xstrdup(dir);
	db->max_tokens = max_tokens;
	db->mode = mode;
	db->write = mode != STATS_READ;
	if (stat(dir, &sb) == 0) {
		db->dev = sb.st_dev;
		db->ino = sb.st_ino;
		db->have_id = true;
	}
	pthread_mutex_init(&db->qlock, NULL);
	pthread_cond_init(&db->qcond, NULL);
	pthread_mutex_init(&db->envlock, NULL);
	return db;
}

/*
 * A store to be opened: checked now (opened and closed, so that a
 * missing or broken store is said at once), opened for use by its first
 * user.  A daemon's store that does not exist yet is not an error when
 * it learns by itself: its first autolearn makes it.
 */
static struct stats_db *
db_open(const char *dir, int mode, unsigned long max_tokens,
    struct buf *err)
{
	struct stats_db *db = db_new(dir, mode, max_tokens);
	struct stat sb;

	if (mode == STATS_DAEMON && stat(dir, &sb) < 0 && errno == ENOENT)
		return db;
	if (mode == STATS_DAEMON) {
		/* Checked read-only: nothing is made or written here,
		 * before the daemon takes its user. */
		db->mode = STATS_READ;
		if (env_get(db, err) < 0 && strstr(err->p, "none yet") ==
		    NULL) {
			db_free(db);
			return NULL;
		}
		buf_reset(err);
		db->mode = STATS_DAEMON;
	} else if (env_get(db, err) < 0) {
		db_free(db);
		return NULL;
	}
	/* Opened again by its first user (a daemon after its fork). */
	if (db->env != NULL)
		mdb_env_close(db->env);
	db->env = NULL;
	db->env_ready = false;
	if (stat(dir, &sb) == 0) {
		db->dev = sb.st_dev;
		db->ino = sb.st_ino;
		db->have_id = true;
	}
	return db;
}

/*
 * LMDB allows one environment per file per process (a second one's
 * close would drop the first one's locks): the process's open stores
 * are shared by directory, counted, and closed with their last user.
 * A writable one serves readers too.
 */
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats_db *opened;

/* A Redis store, named "redis:ADDR" in the list of open stores. */
static struct stats_db *
rds_db_open(const char *name, struct buf *err)
{
	struct stats_redis *r = rds_open(name + 6, err);
	struct stats_db *db;

	if (r == NULL)
		return NULL;
	db = db_new(name, STATS_WRITE, 0);
	db->rds = r;
	return db;
}

static struct stats_db *
open_shared(const char *name, int mode, unsigned long max_tokens,
    struct buf *err)
{
	struct stats_db *db;

	struct stat sb;
	bool have_id = strncmp(name, "redis:", 6) != 0 && stat(name, &sb) == 0;

	pthread_mutex_lock(&open_lock);
	/* The same directory under another name (a trailing slash, a
	 * symbolic link) is the same store. */
	for (db = opened; db != NULL; db = db->next)
		if (strcmp(db->dir, name) == 0 || (have_id && db->have_id &&
		    db->dev == sb.st_dev && db->ino == sb.st_ino))
			break;
	if (db != NULL && mode != STATS_READ && db->mode == STATS_READ) {
		buf_printf(err, "statistics store %s: already open read-only "
		    "in this process", name);
		db = NULL;
	} else if (db != NULL)
		db->refs++;
	else if ((db = strncmp(name, "redis:", 6) == 0 ?
	    rds_db_open(name, err) : db_open(name, mode, max_tokens,
	    err)) != NULL) {
		db->refs = 1;
		db->next = opened;
		opened = db;
	}
	pthread_mutex_unlock(&open_lock);
	return db;
}

struct stats_db *
stats_db_open(const char *dir, int mode, unsigned long max_tokens,
    struct buf *err)
{
	if (strncmp(dir, "redis:", 6) == 0) {
		buf_printf(err, "statistics store %s: a directory may not "
		    "start with \"redis:\"", dir);
		return NULL;
	}
	return open_shared(dir, mode, max_tokens, err);
}

struct stats_db *
stats_db_open_config(const struct config *cfg, int mode, struct buf *err)
{
	char *name;
	struct stats_db *db;

	if (cfg->statistics_backend != STATS_BACKEND_REDIS)
		return stats_db_open(cfg->statistics_directory, mode,
		    cfg->statistics_max_tokens, err);
	if (cfg->statistics_redis == NULL || *cfg->statistics_redis == '\0') {
		buf_puts(err, "statistics_backend = redis needs "
		    "statistics_redis = ADDR[:PORT]");
		return NULL;
	}
	name = xasprintf("redis:%s", cfg->statistics_redis);
	db = open_shared(name, mode, 0, err);
	free(name);
	return db;
}

void
stats_db_close(struct stats_db *db)
{
	struct stats_db **pp;

	if (db == NULL)
		return;
	pthread_mutex_lock(&open_lock);
	if (--db->refs > 0) {
		pthread_mutex_unlock(&open_lock);
		return;
	}
	for (pp = &opened; *pp != NULL; pp = &(*pp)->next)
		if (*pp == db) {
			*pp = db->next;
			break;
		}
	pthread_mutex_unlock(&open_lock);
	db_free(db);
}

static void learner_stop(struct stats_db *db);

static void
db_free(struct stats_db *db)
{
	learner_stop(db);
	if (db->rbatch != NULL) {
		struct buf err;

		buf_init(&err, 0);
		(void)rds_learn_wait(db->rds, db->rbatch, &err);
		buf_free(&err);
	}
	pthread_mutex_destroy(&db->qlock);
	pthread_cond_destroy(&db->qcond);
	pthread_mutex_destroy(&db->envlock);
	rds_close(db->rds);
	if (db->w != NULL)
		mdb_txn_abort(db->w);
	if (db->env != NULL)
		mdb_env_close(db->env);
	free(db->dir);
	free(db);
}

static int
totals_in(struct stats_db *db, MDB_txn *txn, struct stats_totals *t)
{
	MDB_stat st;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = meta_get(txn, db->meta, "nspam", &t->nspam)) != 0 ||
	    (rc = meta_get(txn, db->meta, "nham", &t->nham)) != 0 ||
	    (rc = mdb_stat(txn, db->tokens, &st)) != 0)
		return rc;
	t->ntokens = st.ms_entries;
	return 0;
}

int
stats_db_totals(struct stats_db *db, struct stats_totals *t, struct buf *err)
{
	MDB_txn *txn;
	int rc;

	if (db->rds != NULL)
		return rds_totals(db->rds, t, err);
	if (env_get(db, err) < 0)
		return -1;
	if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0) {
		dberr(err, "cannot read", db->dir, rc);
		return -1;
	}
	rc = totals_in(db, txn, t);
	mdb_txn_abort(txn);
	if (rc != 0) {
		dberr(err, "cannot read", db->dir, rc);
		return -1;
	}
	return 0;
}

static int
lmdb_lookup(struct stats_db *db, const uint64_t *tok, size_t n,
    uint32_t (*counts)[2], struct stats_totals *t, struct buf *err)
{
	MDB_txn *txn;
	int rc;

	if (env_get(db, err) < 0)
		return -1;
	if ((rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn)) != 0) {
		dberr(err, "cannot read", db->dir, rc);
		return -1;
	}
	rc = totals_in(db, txn, t);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		unsigned char key[8];
		MDB_val k = { sizeof(key), key }, d;
		struct tokrec tr;

		tok_key(tok[i], key);
		counts[i][0] = counts[i][1] = 0;
		rc = mdb_get(txn, db->tokens, &k, &d);
		if (rc == MDB_NOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc == 0 && d.mv_size == sizeof(tr)) {
			memcpy(&tr, d.mv_data, sizeof(tr));
			counts[i][0] = tr.spam;
			counts[i][1] = tr.ham;
		}
	}
	mdb_txn_abort(txn);
	if (rc != 0) {
		dberr(err, "cannot read", db->dir, rc);
		return -1;
	}
	return 0;
}

int
stats_db_lookup(struct stats_db *db, const uint64_t *tok, size_t n,
    uint32_t (*counts)[2], struct stats_totals *t, struct buf *err)
{
	int rc = db->rds != NULL ? rds_lookup(db->rds, tok, n, counts, t, err) :
	    lmdb_lookup(db, tok, n, counts, t, err);
	/* The name without "redis:" (a Redis store's list name). */
	const char *name = db->dir + (db->rds != NULL ? 6 : 0);

	/* A store that stops answering is logged once, and once when it
	 * answers again: the filter abstains meanwhile. */
	if (rc < 0 && !__atomic_exchange_n(&db->failing, 1, __ATOMIC_ACQ_REL))
		log_msg(LOG_ERR, "%s: the statistical filter abstains until "
		    "it answers", err->p);
	else if (rc == 0 && __atomic_load_n(&db->failing, __ATOMIC_ACQUIRE) &&
	    __atomic_exchange_n(&db->failing, 0, __ATOMIC_ACQ_REL))
		log_msg(LOG_INFO, "statistics store %s answers again", name);
	return rc;
}

int
stats_db_begin(struct stats_db *db, struct buf *err)
{
	int rc;

	if (db->w != NULL || db->rds != NULL)
		return 0;
	if (env_get(db, err) < 0)
		return -1;
	if (!db->write) {
		buf_printf(err, "statistics store %s: read-only here",
		    db->dir);
		return -1;
	}
	if ((rc = mdb_txn_begin(db->env, NULL, 0, &db->w)) != 0) {
		db->w = NULL;
		dberr(err, "cannot write", db->dir, rc);
		return -1;
	}
	return 0;
}

void
stats_db_abort(struct stats_db *db)
{
	if (db->w != NULL)
		mdb_txn_abort(db->w);
	db->w = NULL;
}

/* Adds delta (+1 or -1) to the class counts of n tokens. */
static int
count_tokens(struct stats_db *db, const uint64_t *tok, size_t n,
    enum stats_class cls, int delta)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char key[8];
		MDB_val k = { sizeof(key), key }, d;
		struct tokrec tr = { 0, 0 };
		uint32_t *c;
		int rc;

		tok_key(tok[i], key);
		rc = mdb_get(db->w, db->tokens, &k, &d);

		if (rc == 0 && d.mv_size == sizeof(tr))
			memcpy(&tr, d.mv_data, sizeof(tr));
		else if (rc != 0 && rc != MDB_NOTFOUND)
			return rc;
		c = cls == STATS_SPAM ? &tr.spam : &tr.ham;
		if (delta > 0) {
			if (*c < UINT32_MAX)
				(*c)++;
		} else if (*c > 0)
			(*c)--;
		if (tr.spam == 0 && tr.ham == 0)
			rc = rc == MDB_NOTFOUND ? 0 :
			    mdb_del(db->w, db->tokens, &k, NULL);
		else {
			d.mv_size = sizeof(tr);
			d.mv_data = &tr;
			rc = mdb_put(db->w, db->tokens, &k, &d, 0);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
count_message(struct stats_db *db, enum stats_class cls, int delta)
{
	const char *key = cls == STATS_SPAM ? "nspam" : "nham";
	uint64_t v;
	int rc = meta_get(db->w, db->meta, key, &v);

	if (rc != 0)
		return rc;
	if (delta > 0)
		v++;
	else if (v > 0)
		v--;
	return meta_put(db->w, db->meta, key, v);
}

int
stats_db_learn(struct stats_db *db, const uint8_t *digest,
    const uint64_t *tok, size_t n, enum stats_class cls,
    enum stats_done *done, struct buf *err)
{
	MDB_val k = { STATS_DIGEST_LEN, (void *)digest }, d;
	enum stats_class prev = STATS_FORGET;
	unsigned char c;
	int rc;

	if (db->rds != NULL)
		return rds_learn(db->rds, digest, tok, n, cls, done, err);
	if (db->w == NULL && stats_db_begin(db, err) < 0)
		return -1;
	rc = mdb_get(db->w, db->seen, &k, &d);
	if (rc == 0 && d.mv_size == 1)
		prev = ((const unsigned char *)d.mv_data)[0] == 's' ?
		    STATS_SPAM : STATS_HAM;
	else if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	rc = 0;
	if (cls == prev) {
		*done = cls == STATS_FORGET ? STATS_UNKNOWN : STATS_KNOWN;
		return 0;
	}
	if (prev != STATS_FORGET &&
	    ((rc = count_tokens(db, tok, n, prev, -1)) != 0 ||
	    (rc = count_message(db, prev, -1)) != 0))
		goto fail;
	if (cls == STATS_FORGET) {
		if ((rc = mdb_del(db->w, db->seen, &k, NULL)) != 0)
			goto fail;
		*done = STATS_FORGOTTEN;
		return 0;
	}
	if ((rc = count_tokens(db, tok, n, cls, +1)) != 0 ||
	    (rc = count_message(db, cls, +1)) != 0)
		goto fail;
	c = cls == STATS_SPAM ? 's' : 'h';
	d.mv_size = 1;
	d.mv_data = &c;
	if ((rc = mdb_put(db->w, db->seen, &k, &d, 0)) != 0)
		goto fail;
	*done = prev == STATS_FORGET ? STATS_LEARNED : STATS_MOVED;
	return 0;
fail:
	dberr(err, "cannot write", db->dir, rc);
	stats_db_abort(db);
	return -1;
}

int
stats_db_learn_send(struct stats_db *db, struct stats_learn *m, size_t n,
    struct buf *err)
{
	for (size_t i = 0; i < n; i++)
		m[i].ok = false;
	if (db->rds != NULL) {
		if (db->rbatch != NULL) {
			buf_printf(err, "statistics store %s: a batch is "
			    "being learned", db->dir + 6);
			return -1;
		}
		db->rbatch = rds_learn_send(db->rds, m, n, err);
		return db->rbatch != NULL ? 0 : -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (stats_db_learn(db, m[i].digest, m[i].tok, m[i].n,
		    m[i].cls, &m[i].done, err) < 0) {
			/* The transaction is aborted: none of them is. */
			for (size_t j = 0; j < i; j++)
				m[j].ok = false;
			return -1;
		}
		m[i].ok = true;
	}
	return 0;
}

int
stats_db_learn_wait(struct stats_db *db, struct buf *err)
{
	struct rds_batch *b = db->rbatch;

	if (b == NULL)
		return 0;	/* LMDB's send did it all */
	db->rbatch = NULL;
	return rds_learn_wait(db->rds, b, err);
}

/*
 * The learned messages are remembered (so that one learned twice counts
 * once) up to seen_max(); past it, a quarter of them are forgotten --
 * those first in digest order, which is no order at all.  A message
 * forgotten so may later count twice, or not be undone by --forget: a
 * small price for a store that does not grow without end.
 */
static int
expire_seen(struct stats_db *db)
{
	MDB_stat st;
	MDB_cursor *cur;
	MDB_val k, d;
	unsigned long drop;
	uint8_t (*keys)[STATS_DIGEST_LEN];
	size_t nk = 0;
	int rc;

	if (seen_max(db) == 0 || (rc = mdb_stat(db->w, db->seen, &st)) != 0)
		return 0;
	if (st.ms_entries <= seen_max(db))
		return 0;
	drop = st.ms_entries - seen_max(db) / 4 * 3;
	if ((rc = mdb_cursor_open(db->w, db->seen, &cur)) != 0)
		return rc;
	keys = xcalloc(drop, sizeof(*keys));
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 && nk < drop;
	    rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT))
		if (k.mv_size == STATS_DIGEST_LEN)
			memcpy(keys[nk++], k.mv_data, STATS_DIGEST_LEN);
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	for (size_t i = 0; rc == 0 && i < nk; i++) {
		k.mv_size = STATS_DIGEST_LEN;
		k.mv_data = keys[i];
		rc = mdb_del(db->w, db->seen, &k, NULL);
	}
	free(keys);
	return rc;
}

/*
 * Past the bound: drop the tokens with the fewest messages behind them
 * (those learned from one message first), down to 90% of the bound.
 */
static int
expire(struct stats_db *db, unsigned long *expired)
{
	enum { NB = 64 };
	unsigned long hist[NB] = { 0 }, keep, drop = 0;
	MDB_cursor *cur;
	MDB_val k, d;
	MDB_stat st;
	unsigned thr;
	int rc;

	*expired = 0;
	if ((rc = expire_seen(db)) != 0)
		return rc;
	if (db->max_tokens == 0 ||
	    (rc = mdb_stat(db->w, db->tokens, &st)) != 0)
		return 0;
	if (st.ms_entries <= db->max_tokens)
		return 0;
	if ((rc = mdb_cursor_open(db->w, db->tokens, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
		struct tokrec tr;

		memcpy(&tr, d.mv_data, sizeof(tr));
		hist[tr.spam + tr.ham < NB ? tr.spam + tr.ham : NB - 1]++;
	}
	keep = db->max_tokens / 10 * 9;
	for (thr = 0; thr < NB - 1 && st.ms_entries - drop > keep; thr++)
		drop += hist[thr];
	/* Drop every token seen in fewer than thr messages: their keys
	 * first, then each (deleting under a moving cursor is fragile). */
	{
		uint64_t *keys = xcalloc(drop > 0 ? drop : 1, sizeof(*keys));
		size_t nk = 0;

		for (rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST); rc == 0 &&
		    nk < drop; rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT)) {
			struct tokrec tr;

			memcpy(&tr, d.mv_data, sizeof(tr));
			if (tr.spam + tr.ham < thr)
				memcpy(&keys[nk++], k.mv_data, sizeof(*keys));
		}
		mdb_cursor_close(cur);
		cur = NULL;
		if (rc == MDB_NOTFOUND)
			rc = 0;
		for (size_t i = 0; rc == 0 && i < nk; i++) {
			k.mv_size = sizeof(keys[i]);
			k.mv_data = &keys[i];
			rc = mdb_del(db->w, db->tokens, &k, NULL);
			if (rc == 0)
				(*expired)++;
		}
		free(keys);
	}
	return rc;
}

int
stats_db_commit(struct stats_db *db, unsigned long *expired,
    struct buf *err)
{
	unsigned long ex = 0;
	int rc;

	if (db->w == NULL)
		return 0;
	if ((rc = expire(db, &ex)) != 0) {
		dberr(err, "cannot expire tokens", db->dir, rc);
		stats_db_abort(db);
		return -1;
	}
	rc = mdb_txn_commit(db->w);
	db->w = NULL;
	if (rc != 0) {
		dberr(err, "cannot write", db->dir, rc);
		return -1;
	}
	if (expired != NULL)
		*expired = ex;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
stats_digest(const uint64_t *tok, size_t n, uint8_t digest[STATS_DIGEST_LEN])
{
	uint64_t *s = xcalloc(n > 0 ? n : 1, sizeof(*s));
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	uint8_t full[32];
	gsize len = sizeof(full);

	if (n > 0)
		memcpy(s, tok, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u64);
	g_checksum_update(ck, (const guchar *)s, (gssize)(n * sizeof(*s)));
	g_checksum_get_digest(ck, full, &len);
	g_checksum_free(ck);
	memcpy(digest, full, STATS_DIGEST_LEN);
	free(s);
}

unsigned long long
stats_db_size(struct stats_db *db)
{
	MDB_envinfo info;
	MDB_stat st;

	struct buf err;
	int rc;

	if (db->rds != NULL)
		return 0;	/* Redis's own (INFO memory) */
	buf_init(&err, 0);
	rc = env_get(db, &err);
	buf_free(&err);
	if (rc < 0)
		return 0;
	if (mdb_env_info(db->env, &info) != 0 || mdb_env_stat(db->env, &st))
		return 0;
	return (unsigned long long)(info.me_last_pgno + 1) * st.ms_psize;
}

/* ---- Autolearn: one learner thread per store, batching ---- */

static void
job_free(struct job *j)
{
	free(j->tok);
	free(j);
}

/* Failures and drops, said at most once a minute (qlock held). */
static void
learner_say(struct stats_db *db, const char *err)
{
	time_t now = time(NULL);

	if (now - db->qlogged < 60)
		return;
	db->qlogged = now;
	if (err != NULL)
		log_msg(LOG_ERR, "autolearn: %s (%lu messages not learned "
		    "since the last such line)", err, db->qfailed);
	else
		log_msg(LOG_WARNING, "autolearn: %lu messages not learned: "
		    "more than %d waiting", db->qdropped, QUEUE_MAX);
	db->qfailed = db->qdropped = 0;
}

static void
batch_free(struct job *j)
{
	while (j != NULL) {
		struct job *next = j->next;

		job_free(j);
		j = next;
	}
}

/* A batch into Redis, PIPE messages per round trip (each learned by
 * itself); the number not learned. */
static unsigned long
learn_rds(struct stats_db *db, struct job *j, struct buf *err)
{
	enum { PIPE = 64 };
	struct stats_learn m[PIPE];
	unsigned long failed = 0;
	struct buf e;

	buf_init(&e, 0);
	while (j != NULL) {
		struct rds_batch *b;
		size_t n = 0;

		for (; j != NULL && n < PIPE; j = j->next, n++) {
			memset(&m[n], 0, sizeof(m[n]));
			m[n].digest = j->digest;
			m[n].tok = j->tok;
			m[n].n = j->n;
			m[n].cls = j->cls;
		}
		buf_reset(&e);
		if ((b = rds_learn_send(db->rds, m, n, &e)) == NULL ||
		    rds_learn_wait(db->rds, b, &e) < 0) {
			if (err->len == 0)	/* the first failure says */
				buf_puts(err, e.p);
		}
		for (size_t i = 0; i < n; i++)
			failed += !m[i].ok;
	}
	buf_free(&e);
	return failed;
}

static void *
learner_main(void *arg)
{
	struct stats_db *db = arg;
	struct buf err;

	buf_init(&err, 0);
	pthread_mutex_lock(&db->qlock);
	for (;;) {
		struct job *batch;
		struct timespec ts;
		unsigned long failed = 0;
		enum stats_done done;

		while (db->qhead == NULL && !db->qstop)
			pthread_cond_wait(&db->qcond, &db->qlock);
		if (db->qhead == NULL && db->qstop)
			break;
		/* Let a batch gather: one commit (one sync) for many. */
		if (!db->qstop) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += BATCH_WAIT_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&db->qcond, &db->qlock, &ts);
		}
		batch = db->qhead;
		db->qhead = db->qtail = NULL;
		db->qlen = 0;
		pthread_mutex_unlock(&db->qlock);

		buf_reset(&err);
		if (db->rds != NULL) {
			/* Each message by itself. */
			failed = learn_rds(db, batch, &err);
		} else {
			/* A failed learn loses its batch so far (LMDB's
			 * transaction is aborted); the rest go on in a new
			 * one. */
			unsigned long pending = 0;

			for (struct job *j = batch; j != NULL; j = j->next) {
				pending++;
				if (stats_db_learn(db, j->digest, j->tok, j->n,
				    j->cls, &done, &err) < 0) {
					failed += pending;
					pending = 0;
				}
			}
			if (stats_db_commit(db, NULL, &err) < 0)
				failed += pending;
		}
		batch_free(batch);
		pthread_mutex_lock(&db->qlock);
		if (failed > 0) {
			db->qfailed += failed;
			learner_say(db, err.p);
		}
	}
	pthread_mutex_unlock(&db->qlock);
	buf_free(&err);
	return NULL;
}

void
stats_db_autolearn(struct stats_db *db, const uint64_t *tok, size_t n,
    enum stats_class cls)
{
	struct job *j;

	if (!db->write)
		return;
	j = xcalloc(1, sizeof(*j));
	j->tok = xcalloc(n + 1, sizeof(*j->tok));
	memcpy(j->tok, tok, n * sizeof(*tok));
	j->n = n;
	j->cls = cls;
	stats_digest(tok, n, j->digest);
	pthread_mutex_lock(&db->qlock);
	if (!db->qthread && !db->qstop) {
		if (pthread_create(&db->learner, NULL, learner_main, db) == 0)
			db->qthread = true;
		else
			log_msg(LOG_ERR, "autolearn: cannot start its thread");
	}
	if (!db->qthread || db->qstop || db->qlen >= QUEUE_MAX) {
		db->qdropped++;
		learner_say(db, NULL);
		pthread_mutex_unlock(&db->qlock);
		job_free(j);
		return;
	}
	if (db->qtail != NULL)
		db->qtail->next = j;
	else
		db->qhead = j;
	db->qtail = j;
	db->qlen++;
	pthread_cond_signal(&db->qcond);
	pthread_mutex_unlock(&db->qlock);
}

/* What is queued is learned; then the thread ends. */
static void
learner_stop(struct stats_db *db)
{
	bool joined;

	pthread_mutex_lock(&db->qlock);
	db->qstop = true;
	joined = db->qthread;
	pthread_cond_broadcast(&db->qcond);
	pthread_mutex_unlock(&db->qlock);
	if (joined)
		pthread_join(db->learner, NULL);
}
