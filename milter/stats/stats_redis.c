/*
 * stats_redis.c -- the statistical filter's store in Redis, for a fleet
 * of gateways that learn together (statistics_backend = redis).
 *
 * Three hashes:
 *   warden:tokens  field: the token (8 bytes)  value: "SPAM HAM"
 *   warden:seen    field: a message's digest   value: "s" or "h"
 *   warden:meta    nspam, nham
 * A message is learned, moved or forgotten by one Lua script, so that
 * two gateways learning at once never count a message twice or half.
 * Judging reads the message's tokens with one HMGET.
 *
 * Connections: hiredis contexts are not shared between threads; a small
 * pool of them is (taken and given back under a lock), each with a
 * timeout.  A Redis that cannot be reached makes the call fail (the
 * filter then abstains for that message); for five seconds after a
 * failed connect calls fail at once, then one connects again.
 */
#include "autoconfig.h"

#include <errno.h>
#include <hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_int.h"

#define POOL_MAX	16
#define TIMEOUT_MS	1000
#define RETRY_MS	5000	/* after a failed connect, answer "down" */

struct stats_redis {
	char   *host;		/* a host, or a unix socket's path */
	int     port;		/* 0: unix socket */
	pthread_mutex_t lock;
	redisContext *pool[POOL_MAX];
	unsigned npool;
	double  down_until;	/* now_ms() before which no connect is tried */
	char    down_why[256];	/* why the last connect failed */
};

static const char learn_lua[] =
"local prev = redis.call('HGET', KEYS[2], ARGV[1])\n"
"local cls = ARGV[2]\n"
"if cls == 'f' and not prev then return 'unknown' end\n"
"if prev == cls then return 'known' end\n"
"local function count(c, delta)\n"
"  for i = 3, #ARGV do\n"
"    local v = redis.call('HGET', KEYS[1], ARGV[i])\n"
"    local s, h = 0, 0\n"
"    if v then s, h = string.match(v, '(%d+) (%d+)') ;"
"      s = tonumber(s) ; h = tonumber(h) end\n"
"    if c == 's' then s = s + delta else h = h + delta end\n"
"    if s < 0 then s = 0 end\n"
"    if h < 0 then h = 0 end\n"
"    if s == 0 and h == 0 then redis.call('HDEL', KEYS[1], ARGV[i])\n"
"    else redis.call('HSET', KEYS[1], ARGV[i], s .. ' ' .. h) end\n"
"  end\n"
"  local f = c == 's' and 'nspam' or 'nham'\n"
"  local n = redis.call('HINCRBY', KEYS[3], f, delta)\n"
"  if n < 0 then redis.call('HSET', KEYS[3], f, 0) end\n"
"end\n"
"if prev then count(prev, -1) end\n"
"if cls == 'f' then redis.call('HDEL', KEYS[2], ARGV[1]) ;"
" return 'forgotten' end\n"
"count(cls, 1)\n"
"redis.call('HSET', KEYS[2], ARGV[1], cls)\n"
"if prev then return 'moved' end\n"
"return 'learned'\n";

struct stats_redis *
rds_open(const char *addr, struct buf *err)
{
	struct stats_redis *r = xcalloc(1, sizeof(*r));
	const char *colon = strrchr(addr, ':');

	if (addr[0] == '/') {
		r->host = xstrdup(addr);
	} else if (colon != NULL && strchr(addr, ':') == colon) {
		r->host = xstrndup(addr, (size_t)(colon - addr));
		r->port = atoi(colon + 1);
	} else {
		r->host = xstrdup(addr);
		r->port = 6379;
	}
	if (r->host[0] != '/' && (r->port <= 0 || r->port > 65535)) {
		buf_printf(err, "statistics_redis %s: not ADDR[:PORT] or a "
		    "socket path", addr);
		goto fail;
	}
	/* Not connected yet: a Redis that is down now may be up by the
	 * first message (each call connects when it has to). */
	pthread_mutex_init(&r->lock, NULL);
	return r;
fail:
	free(r->host);
	free(r);
	return NULL;
}

void
rds_close(struct stats_redis *r)
{
	if (r == NULL)
		return;
	for (unsigned i = 0; i < r->npool; i++)
		redisFree(r->pool[i]);
	pthread_mutex_destroy(&r->lock);
	free(r->host);
	free(r);
}

redisContext *
rds_get(struct stats_redis *r, struct buf *err, bool *pooled)
{
	struct timeval tv = { TIMEOUT_MS / 1000, (TIMEOUT_MS % 1000) * 1000 };
	redisContext *c = NULL;

	char why[256];
	bool down;

	pthread_mutex_lock(&r->lock);
	if (r->npool > 0)
		c = r->pool[--r->npool];
	/* Down a moment ago: say so at once rather than make every
	 * message wait for a connect that fails. */
	down = c == NULL && now_ms() < r->down_until;
	if (down)
		snprintf(why, sizeof(why), "%s", r->down_why);
	pthread_mutex_unlock(&r->lock);
	*pooled = c != NULL;
	if (c != NULL)
		return c;
	if (down) {
		buf_puts(err, why);
		return NULL;
	}
	c = r->port == 0 ? redisConnectUnixWithTimeout(r->host, tv) :
	    redisConnectWithTimeout(r->host, r->port, tv);
	if (c == NULL || c->err) {
		if (r->port == 0)
			snprintf(why, sizeof(why), "statistics store redis "
			    "%s: %s", r->host, c ? c->errstr : "out of memory");
		else
			snprintf(why, sizeof(why), "statistics store redis "
			    "%s:%d: %s", r->host, r->port, c ? c->errstr :
			    "out of memory");
		buf_puts(err, why);
		if (c != NULL)
			redisFree(c);
		pthread_mutex_lock(&r->lock);
		r->down_until = now_ms() + RETRY_MS;
		snprintf(r->down_why, sizeof(r->down_why), "%s", why);
		pthread_mutex_unlock(&r->lock);
		return NULL;
	}
	redisSetTimeout(c, tv);
	return c;
}

void
rds_put(struct stats_redis *r, redisContext *c, bool ok)
{
	if (!ok || c->err) {
		redisFree(c);
		return;
	}
	pthread_mutex_lock(&r->lock);
	if (r->npool < POOL_MAX) {
		r->pool[r->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	if (c != NULL)
		redisFree(c);
}

/* A failed reply (or none) into err; true when the reply is usable. */
static bool
reply_ok(struct stats_redis *r, redisContext *c, redisReply *rep,
    struct buf *err)
{
	if (rep != NULL && rep->type != REDIS_REPLY_ERROR)
		return true;
	buf_printf(err, "statistics store redis %s%s%.0d: %s", r->host,
	    r->port ? ":" : "", r->port, rep != NULL ? rep->str :
	    c->errstr[0] ? c->errstr : "no reply");
	return false;
}

static uint64_t
reply_u64(const redisReply *rep)
{
	if (rep == NULL)
		return 0;
	if (rep->type == REDIS_REPLY_INTEGER)
		return rep->integer > 0 ? (uint64_t)rep->integer : 0;
	if (rep->type == REDIS_REPLY_STRING)
		return strtoull(rep->str, NULL, 10);
	return 0;
}

/* What one call sends and gets back (lookup or learn). */
struct call {
	const uint64_t *tok;
	size_t  n;
	uint32_t (*counts)[2];		/* lookup */
	struct stats_totals *t;
	const uint8_t *digest;		/* learn */
	enum stats_class cls;
	enum stats_done *done;
};

static int lookup_once(struct stats_redis *r, redisContext *c,
    const struct call *a, struct buf *err);

typedef int (*call_fn)(struct stats_redis *r, redisContext *c,
    const struct call *a, struct buf *err);

/*
 * fn with a connection; when a connection from the pool fails (Redis
 * restarted since it was made), once more with a new one.  A learn
 * tried again is safe: the script counts a message once.
 */
static int
with_conn(struct stats_redis *r, call_fn fn, const struct call *a,
    struct buf *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		bool pooled;
		redisContext *c = rds_get(r, err, &pooled);
		int rc;

		if (c == NULL)
			return -1;
		rc = fn(r, c, a, err);
		if (rc == 0 || !pooled)
			return rc;
		buf_reset(err);
	}
	return -1;
}

int
rds_lookup(struct stats_redis *r, const uint64_t *tok, size_t n,
    uint32_t (*counts)[2], struct stats_totals *t, struct buf *err)
{
	struct call a = { .tok = tok, .n = n, .counts = counts, .t = t };

	return with_conn(r, lookup_once, &a, err);
}

static int
lookup_once(struct stats_redis *r, redisContext *c, const struct call *a,
    struct buf *err)
{
	const uint64_t *tok = a->tok;
	size_t n = a->n;
	uint32_t (*counts)[2] = a->counts;
	struct stats_totals *t = a->t;
	unsigned char *keys = xcalloc(n + 1, 8);
	redisReply *meta = NULL, *len = NULL, *vals = NULL;
	const char **argv;
	size_t *argl;
	bool ok = false;

	memset(t, 0, sizeof(*t));
	argv = xcalloc(n + 2, sizeof(*argv));
	argl = xcalloc(n + 2, sizeof(*argl));
	argv[0] = "HMGET";
	argl[0] = 5;
	argv[1] = "warden:tokens";
	argl[1] = 13;
	for (size_t i = 0; i < n; i++) {
		tok_key(tok[i], keys + 8 * i);
		argv[i + 2] = (const char *)keys + 8 * i;
		argl[i + 2] = 8;
	}
	redisAppendCommand(c, "HMGET warden:meta nspam nham");
	redisAppendCommand(c, "HLEN warden:tokens");
	if (n > 0)
		redisAppendCommandArgv(c, (int)n + 2, argv, argl);
	if (redisGetReply(c, (void **)&meta) != REDIS_OK ||
	    !reply_ok(r, c, meta, err) || redisGetReply(c,
	    (void **)&len) != REDIS_OK || !reply_ok(r, c, len, err) ||
	    (n > 0 && (redisGetReply(c, (void **)&vals) != REDIS_OK ||
	    !reply_ok(r, c, vals, err))))
		goto done;
	if (meta->type == REDIS_REPLY_ARRAY && meta->elements == 2) {
		t->nspam = reply_u64(meta->element[0]);
		t->nham = reply_u64(meta->element[1]);
	}
	t->ntokens = reply_u64(len);
	for (size_t i = 0; i < n; i++) {
		const redisReply *v = vals != NULL &&
		    vals->type == REDIS_REPLY_ARRAY && i < vals->elements ?
		    vals->element[i] : NULL;
		unsigned long s = 0, h = 0;

		counts[i][0] = counts[i][1] = 0;
		if (v != NULL && v->type == REDIS_REPLY_STRING &&
		    sscanf(v->str, "%lu %lu", &s, &h) == 2) {
			counts[i][0] = s > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)s;
			counts[i][1] = h > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)h;
		}
	}
	ok = true;
done:
	if (meta != NULL)
		freeReplyObject(meta);
	if (len != NULL)
		freeReplyObject(len);
	if (vals != NULL)
		freeReplyObject(vals);
	free(argv);
	free(argl);
	free(keys);
	rds_put(r, c, ok);
	return ok ? 0 : -1;
}

int
rds_totals(struct stats_redis *r, struct stats_totals *t, struct buf *err)
{
	return rds_lookup(r, NULL, 0, NULL, t, err);
}

static int learn_once(struct stats_redis *r, redisContext *c,
    const struct call *a, struct buf *err);

int
rds_learn(struct stats_redis *r, const uint8_t *digest, const uint64_t *tok,
    size_t n, enum stats_class cls, enum stats_done *done, struct buf *err)
{
	struct call a = { .tok = tok, .n = n, .digest = digest, .cls = cls,
	    .done = done };

	return with_conn(r, learn_once, &a, err);
}

static int
learn_once(struct stats_redis *r, redisContext *c, const struct call *a,
    struct buf *err)
{
	const uint64_t *tok = a->tok;
	size_t n = a->n;
	enum stats_class cls = a->cls;
	enum stats_done *done = a->done;
	const uint8_t *digest = a->digest;
	unsigned char *keys = xcalloc(n + 1, 8);
	redisReply *rep = NULL;
	const char **argv;
	size_t *argl, k = 0;
	bool ok = false;

	argv = xcalloc(n + 9, sizeof(*argv));
	argl = xcalloc(n + 9, sizeof(*argl));
#define ARG(s, l) (argv[k] = (s), argl[k] = (l), k++)
	ARG("EVAL", 4);
	ARG(learn_lua, sizeof(learn_lua) - 1);
	ARG("3", 1);
	ARG("warden:tokens", 13);
	ARG("warden:seen", 11);
	ARG("warden:meta", 11);
	ARG((const char *)digest, STATS_DIGEST_LEN);
	ARG(cls == STATS_SPAM ? "s" : cls == STATS_HAM ? "h" : "f", 1);
	for (size_t i = 0; i < n; i++) {
		tok_key(tok[i], keys + 8 * i);
		ARG((const char *)keys + 8 * i, 8);
	}
#undef ARG
	rep = redisCommandArgv(c, (int)k, argv, argl);
	if (!reply_ok(r, c, rep, err))
		goto done;
	if (rep->type != REDIS_REPLY_STRING && rep->type !=
	    REDIS_REPLY_STATUS) {
		buf_printf(err, "statistics store redis: unexpected reply");
		goto done;
	}
	if (strcmp(rep->str, "learned") == 0)
		*done = STATS_LEARNED;
	else if (strcmp(rep->str, "known") == 0)
		*done = STATS_KNOWN;
	else if (strcmp(rep->str, "moved") == 0)
		*done = STATS_MOVED;
	else if (strcmp(rep->str, "forgotten") == 0)
		*done = STATS_FORGOTTEN;
	else
		*done = STATS_UNKNOWN;
	ok = true;
done:
	if (rep != NULL)
		freeReplyObject(rep);
	free(argv);
	free(argl);
	free(keys);
	rds_put(r, c, ok);
	return ok ? 0 : -1;
}
