/*
 * stats_db.h -- the statistical filter's store and model.
 *
 * The store keeps, for each token (a 64-bit hash, stats.h), how many
 * spam and how many ham messages learned contained it, how many messages of each class were learned, and which
 * messages were (by a digest of their tokens) with their class, so that
 * a message learned twice counts once and forgetting or re-learning it
 * as the other class undoes exactly what learning it did.
 *
 * Backends: LMDB in a directory (statistics_directory): readers (the
 * daemon's threads, warden scan) take no lock and never wait for the
 * writer (warden learn, autolearn), which sees a consistent store
 * between its commits.  Bounded: statistics_max_tokens; past it a
 * commit expires the tokens with the fewest messages behind them.  Or
 * Redis (statistics_backend = redis, stats_redis.c), shared by a fleet:
 * each message is learned at once (begin and commit do nothing), and
 * its size is bounded by Redis's own maxmemory.
 *
 * Threads: a struct stats_db may be shared by any number of threads for
 * reading (stats_db_lookup, stats_db_totals); writing (begin, learn,
 * commit) is for one thread at a time, and the store takes one writer
 * at a time across processes.
 */
#ifndef WARDEN_STATS_DB_H
#define WARDEN_STATS_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define STATS_DIGEST_LEN	20

struct stats_db;

struct stats_totals {
	uint64_t nspam, nham;	/* messages learned, by class */
	uint64_t ntokens;	/* tokens in the store */
};

enum stats_class { STATS_FORGET, STATS_SPAM, STATS_HAM };

/* What a learn call did with its message. */
enum stats_done {
	STATS_LEARNED,		/* new: its tokens counted */
	STATS_KNOWN,		/* already learned as that class: nothing */
	STATS_MOVED,		/* learned as the other class: moved */
	STATS_FORGOTTEN,	/* forgotten */
	STATS_UNKNOWN,		/* forget of a message never learned */
};

/*
 * Open the store in dir (made, with the directory, for STATS_WRITE when
 * it does not exist).  max_tokens bounds the tokens kept (0: no
 * bound).  NULL with the reason in err.  Opening a directory this
 * process has open already gives the same store (counted; a writable
 * one serves reading too); stats_db_close() closes it with its last
 * user.  Any thread.
 */
/* How a store is opened: to read, to learn into (made when missing), or
 * by the daemon (checked at once without writing; opened at its first
 * use, writable when its files allow, so autolearn can write it). */
enum { STATS_READ = 0, STATS_WRITE = 1, STATS_DAEMON = 2 };
struct stats_db *stats_db_open(const char *dir, int mode,
    unsigned long max_tokens, struct buf *err);
/* The store the configuration names: statistics_directory (LMDB), or
 * with statistics_backend = redis the Redis at statistics_redis. */
struct config;
struct stats_db *stats_db_open_config(const struct config *cfg, int mode,
    struct buf *err);
void stats_db_close(struct stats_db *db);

/* The counts of messages and tokens; -1 with err on failure. */
int stats_db_totals(struct stats_db *db, struct stats_totals *t,
    struct buf *err);
/*
 * The counts of n tokens (counts[i][0] spam, [1] ham; 0 when unknown)
 * and the totals, read in one consistent view.  -1 with err on failure.
 */
int stats_db_lookup(struct stats_db *db, const uint64_t *tok, size_t n,
    uint32_t (*counts)[2], struct stats_totals *t, struct buf *err);

/*
 * Writing: stats_db_begin(), any number of stats_db_learn(), then
 * stats_db_commit() (which expires tokens past the bound) or
 * stats_db_abort().  Batches make learning fast: a commit syncs the
 * store to disk.  Each returns -1 with err on failure (the batch is
 * then aborted).
 */
int stats_db_begin(struct stats_db *db, struct buf *err);
int stats_db_learn(struct stats_db *db, const uint8_t *digest,
    const uint64_t *tok, size_t n, enum stats_class cls,
    enum stats_done *done, struct buf *err);
/*
 * Many messages at once, as that many stats_db_learn() calls in order
 * would (same batch, same rules).  LMDB learns them in the send.  Redis
 * sends them all in one go (pipelined; each message is still learned
 * by itself, atomically) and stats_db_learn_wait() takes the answers,
 * so that the caller may read its next messages meanwhile.  m[] and
 * the tokens it points to stay the caller's, unchanged until the wait
 * returns; each m[i].ok says whether it was learned, and m[i].done
 * what was done then.  One batch at a time, by the one writer: a send
 * that returns 0 is followed by its wait before anything else is
 * written.  Each returns -1 with err on failure, which ends the batch:
 * the messages with ok set were learned, the others perhaps not (with
 * LMDB, the store's batch since the last commit is then aborted).
 */
struct stats_learn {
	const uint8_t *digest;	/* STATS_DIGEST_LEN bytes */
	const uint64_t *tok;
	size_t  n;
	enum stats_class cls;
	enum stats_done done;	/* when ok: what was done (after the wait) */
	bool    ok;
};
int stats_db_learn_send(struct stats_db *db, struct stats_learn *m,
    size_t n, struct buf *err);
int stats_db_learn_wait(struct stats_db *db, struct buf *err);
int stats_db_commit(struct stats_db *db, unsigned long *expired,
    struct buf *err);
void stats_db_abort(struct stats_db *db);

/*
 * Autolearn: learn a message as cls later, in a batch, on the store's
 * own learner thread (started on first use, stopped -- after learning
 * what waits -- by the last stats_db_close()).  Never waits for the
 * store: past 1,000 waiting messages the new one is dropped.  Failures
 * and drops are logged at most once a minute.  Any thread; a store
 * opened read-only ignores it.
 */
void stats_db_autolearn(struct stats_db *db, const uint64_t *tok, size_t n,
    enum stats_class cls);

/* The digest that identifies a message: of its distinct tokens, in
 * any order (sorted here; tok is not changed). */
void stats_digest(const uint64_t *tok, size_t n,
    uint8_t digest[STATS_DIGEST_LEN]);

/* Bytes the store takes on disk; 0 when unknown. */
unsigned long long stats_db_size(struct stats_db *db);

/* ---- The model ---- */

#define STATS_MAX_USED	150	/* strongest tokens combined */

struct stats_used {
	uint64_t tok;
	double   prob;		/* its spam probability */
	uint32_t spam, ham;
};

struct stats_result {
	bool     abstain;
	const char *why;	/* static: why it abstained, or NULL */
	double   prob;		/* the message's spam probability */
	unsigned ntokens;	/* tokens of the message */
	unsigned nknown;	/* of them, seen in learning */
	unsigned nused;		/* of them, strong enough to count */
	struct stats_used used[STATS_MAX_USED];	/* strongest first */
};

/*
 * Judge a message from its tokens' counts and the totals.  Abstains
 * (no probability) when fewer than min_learned messages of either class
 * were learned, or when the message gives too little known evidence.
 */
void stats_classify(const uint64_t *tok, const uint32_t (*counts)[2],
    size_t n, const struct stats_totals *t, unsigned long min_learned,
    struct stats_result *r);

#endif
