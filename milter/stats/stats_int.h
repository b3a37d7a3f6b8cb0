/*
 * stats_int.h -- inside the statistical filter's store: the Redis
 * backend (stats_redis.c) that stats_db.c hands calls to when
 * statistics_backend = redis.  Nothing outside milter/stats/ includes
 * this.  The functions behave as their stats_db_* namesakes; any
 * thread may call them (the connections are pooled under a lock).
 */
#ifndef WARDEN_STATS_INT_H
#define WARDEN_STATS_INT_H

#include <hiredis.h>

#include "stats_db.h"

struct stats_redis;

/* Tokens are keys of 8 bytes, most significant first (the machine's byte order does not
 * matter: LMDB compares them as bytes, and a fleet shares Redis's). */
static inline void
tok_key(uint64_t t, unsigned char k[8])
{
	for (int i = 7; i >= 0; i--) {
		k[i] = (unsigned char)(t & 0xff);
		t >>= 8;
	}
}


/* addr: HOST[:PORT] (6379 by default) or a unix socket's path.  NULL,
 * with the reason in err, when addr is not one; no connection is made
 * yet (calls connect as they need). */
struct stats_redis *rds_open(const char *addr, struct buf *err);
void rds_close(struct stats_redis *r);
int  rds_totals(struct stats_redis *r, struct stats_totals *t,
    struct buf *err);
int  rds_lookup(struct stats_redis *r, const uint64_t *tok, size_t n,
    uint32_t (*counts)[2], struct stats_totals *t, struct buf *err);
int  rds_learn(struct stats_redis *r, const uint8_t *digest,
    const uint64_t *tok, size_t n, enum stats_class cls,
    enum stats_done *done, struct buf *err);
/* stats_db_learn_send()'s and _wait()'s: the send gives the batch in
 * flight (NULL on failure), which the wait ends and frees.  A batch
 * holds a connection of its own until then; any number of threads may
 * each have one. */
struct rds_batch;
struct rds_batch *rds_learn_send(struct stats_redis *r,
    struct stats_learn *m, size_t n, struct buf *err);
int  rds_learn_wait(struct stats_redis *r, struct rds_batch *b,
    struct buf *err);
/* A connection from the pool (*pooled) or a new one; given back with ok
 * false when it failed, and then closed. */
redisContext *rds_get(struct stats_redis *r, struct buf *err, bool *pooled);
void rds_put(struct stats_redis *r, redisContext *c, bool ok);

#endif
