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
#include <glib.h>
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

/*
 * The tokens' counts are read with one HMGET and written with one HSET
 * and one HDEL per CHUNK tokens (a message has at most a few thousand;
 * CHUNK keeps each call's arguments well within Lua's stack), not two
 * calls per token: Redis's time per message is mostly its calls.
 */
static const char learn_lua[] =
"local prev = redis.call('HGET', KEYS[2], ARGV[1])\n"
"local cls = ARGV[2]\n"
"if cls == 'f' and not prev then return 'unknown' end\n"
"if prev == cls then return 'known' end\n"
"local CHUNK = 1000\n"
"local function count(c, delta)\n"
"  for b = 3, #ARGV, CHUNK do\n"
"    local e = math.min(b + CHUNK - 1, #ARGV)\n"
"    local vals = redis.call('HMGET', KEYS[1], unpack(ARGV, b, e))\n"
"    local set, del = {}, {}\n"
"    for i = b, e do\n"
"      local v = vals[i - b + 1]\n"
"      local s, h = 0, 0\n"
"      if v then s, h = string.match(v, '(%d+) (%d+)') ;"
"        s = tonumber(s) or 0 ; h = tonumber(h) or 0 end\n"
"      if c == 's' then s = s + delta else h = h + delta end\n"
"      if s < 0 then s = 0 end\n"
"      if h < 0 then h = 0 end\n"
"      if s == 0 and h == 0 then\n"
"        if v then del[#del + 1] = ARGV[i] end\n"
"      else\n"
"        set[#set + 1] = ARGV[i] ; set[#set + 1] = s .. ' ' .. h\n"
"      end\n"
"    end\n"
"    if #set > 0 then redis.call('HSET', KEYS[1], unpack(set)) end\n"
"    if #del > 0 then redis.call('HDEL', KEYS[1], unpack(del)) end\n"
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

/* What one lookup sends and gets back. */
struct call {
	const uint64_t *tok;
	size_t  n;
	uint32_t (*counts)[2];
	struct stats_totals *t;
};

static int lookup_once(struct stats_redis *r, redisContext *c,
    const struct call *a, struct buf *err);

typedef int (*call_fn)(struct stats_redis *r, redisContext *c,
    const struct call *a, struct buf *err);

/*
 * fn with a connection; when a connection from the pool fails (Redis
 * restarted since it was made), once more with a new one.
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

/*
 * Learning: each message is one call of learn_lua, by its SHA1
 * (EVALSHA: the script is not sent each time); a Redis that does not
 * have it (restarted, SCRIPT FLUSH) answers NOSCRIPT, and that message
 * is sent again with the script's body, which Redis then keeps.  A
 * batch's calls are sent together and their answers read together (a
 * pipeline): one round trip, and Redis works while the caller reads
 * its next messages.
 */
enum { W_SEND, W_SENT, W_NOSCRIPT, W_DONE };	/* a message's state */

struct rds_batch {
	struct stats_learn *m;	/* the caller's */
	size_t  n;
	unsigned char *st;	/* each message's W_* */
	redisContext *c;
	bool    pooled;
};

/* The script's SHA1 in hex, computed once. */
static pthread_once_t sha_once = PTHREAD_ONCE_INIT;
static char learn_sha[41];

static void
sha_init(void)
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA1);

	g_checksum_update(ck, (const guchar *)learn_lua,
	    (gssize)(sizeof(learn_lua) - 1));
	snprintf(learn_sha, sizeof(learn_sha), "%s",
	    g_checksum_get_string(ck));
	g_checksum_free(ck);
}

/* Appends the call of every message in state from (W_SEND: by the
 * script's SHA1; W_NOSCRIPT: with its body), now W_SENT, and sends
 * them all (the answers are read by learn_read()). */
static int
learn_append(struct stats_redis *r, struct rds_batch *b, unsigned char from,
    struct buf *err)
{
	size_t maxn = 0, k;
	unsigned char *keys;
	const char **argv;
	size_t *argl;
	int wdone = 0, rc = -1;

	for (size_t i = 0; i < b->n; i++)
		if (b->st[i] == from && b->m[i].n > maxn)
			maxn = b->m[i].n;
	keys = xcalloc(maxn + 1, 8);
	argv = xcalloc(maxn + 9, sizeof(*argv));
	argl = xcalloc(maxn + 9, sizeof(*argl));
	for (size_t i = 0; i < b->n; i++) {
		const struct stats_learn *m = &b->m[i];

		if (b->st[i] != from)
			continue;
		k = 0;
#define ARG(s, l) (argv[k] = (s), argl[k] = (l), k++)
		if (from == W_NOSCRIPT) {
			ARG("EVAL", 4);
			ARG(learn_lua, sizeof(learn_lua) - 1);
		} else {
			ARG("EVALSHA", 7);
			ARG(learn_sha, 40);
		}
		ARG("3", 1);
		ARG("warden:tokens", 13);
		ARG("warden:seen", 11);
		ARG("warden:meta", 11);
		ARG((const char *)m->digest, STATS_DIGEST_LEN);
		ARG(m->cls == STATS_SPAM ? "s" : m->cls == STATS_HAM ? "h" :
		    "f", 1);
		for (size_t j = 0; j < m->n; j++) {
			tok_key(m->tok[j], keys + 8 * j);
			ARG((const char *)keys + 8 * j, 8);
		}
#undef ARG
		if (redisAppendCommandArgv(b->c, (int)k, argv, argl) !=
		    REDIS_OK)
			goto done;
		b->st[i] = W_SENT;
	}
	/* Into the socket now (blocking until the kernel has it all), so
	 * that Redis works on them while the caller goes on. */
	do
		if (redisBufferWrite(b->c, &wdone) != REDIS_OK)
			goto done;
	while (!wdone);
	rc = 0;
done:
	if (rc < 0)
		reply_ok(r, b->c, NULL, err);
	free(argv);
	free(argl);
	free(keys);
	return rc;
}

/* The answers to the messages sent.  -1 with err when one failed
 * (*lost: the connection, so that those after it are unknown). */
static int
learn_read(struct stats_redis *r, struct rds_batch *b, bool *lost,
    struct buf *err)
{
	bool failed = false;

	*lost = false;
	for (size_t i = 0; i < b->n; i++) {
		struct stats_learn *m = &b->m[i];
		redisReply *rep = NULL;

		if (b->st[i] != W_SENT)
			continue;
		if (redisGetReply(b->c, (void **)&rep) != REDIS_OK ||
		    rep == NULL) {
			if (!failed)
				reply_ok(r, b->c, NULL, err);
			*lost = true;
			return -1;
		}
		if (rep->type == REDIS_REPLY_ERROR &&
		    strncmp(rep->str, "NOSCRIPT", 8) == 0) {
			b->st[i] = W_NOSCRIPT;
		} else if (rep->type == REDIS_REPLY_ERROR) {
			if (!failed)
				reply_ok(r, b->c, rep, err);
			failed = true;	/* the others are read still */
		} else if (rep->type != REDIS_REPLY_STRING && rep->type !=
		    REDIS_REPLY_STATUS) {
			if (!failed)
				buf_printf(err, "statistics store redis: "
				    "unexpected reply");
			failed = true;
		} else {
			if (strcmp(rep->str, "learned") == 0)
				m->done = STATS_LEARNED;
			else if (strcmp(rep->str, "known") == 0)
				m->done = STATS_KNOWN;
			else if (strcmp(rep->str, "moved") == 0)
				m->done = STATS_MOVED;
			else if (strcmp(rep->str, "forgotten") == 0)
				m->done = STATS_FORGOTTEN;
			else
				m->done = STATS_UNKNOWN;
			m->ok = true;
			b->st[i] = W_DONE;
		}
		freeReplyObject(rep);
	}
	return failed ? -1 : 0;
}

static void
batch_free(struct stats_redis *r, struct rds_batch *b, bool ok)
{
	if (b->c != NULL)
		rds_put(r, b->c, ok);
	free(b->st);
	free(b);
}

struct rds_batch *
rds_learn_send(struct stats_redis *r, struct stats_learn *m, size_t n,
    struct buf *err)
{
	struct rds_batch *b = xcalloc(1, sizeof(*b));

	pthread_once(&sha_once, sha_init);
	b->m = m;
	b->n = n;
	b->st = xcalloc(n + 1, 1);
	for (size_t i = 0; i < n; i++)
		m[i].ok = false;
	/* A connection from the pool that fails (Redis restarted since
	 * it was made): once more with a new one. */
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((b->c = rds_get(r, err, &b->pooled)) == NULL)
			break;
		if (learn_append(r, b, W_SEND, err) == 0)
			return b;
		rds_put(r, b->c, false);
		b->c = NULL;
		if (!b->pooled)
			break;
		memset(b->st, W_SEND, n);
		buf_reset(err);
	}
	batch_free(r, b, false);
	return NULL;
}

int
rds_learn_wait(struct stats_redis *r, struct rds_batch *b, struct buf *err)
{
	bool retried = false;
	int rc = -1;

	/* Rounds: the answers; those NOSCRIPT sent again with the
	 * script; on a pooled connection that turns out broken, what is
	 * not answered yet, once, on a new one.  A message sent twice
	 * is safe: the script counts it once. */
	for (int round = 0; round < 5; round++) {
		bool lost, again = false;

		if (learn_read(r, b, &lost, err) == 0) {
			for (size_t i = 0; i < b->n && !again; i++)
				again = b->st[i] == W_NOSCRIPT;
			if (!again) {
				rc = 0;
				break;
			}
			if (learn_append(r, b, W_NOSCRIPT, err) < 0)
				break;
			continue;
		}
		if (!lost || !b->pooled || retried)
			break;
		retried = true;
		rds_put(r, b->c, false);
		buf_reset(err);
		if ((b->c = rds_get(r, err, &b->pooled)) == NULL)
			break;
		for (size_t i = 0; i < b->n; i++)
			if (b->st[i] != W_DONE)
				b->st[i] = W_SEND;
		if (learn_append(r, b, W_SEND, err) < 0)
			break;
	}
	if (rc < 0 && err->len == 0)
		buf_puts(err, "statistics store redis: the learning script "
		    "does not run");
	batch_free(r, b, rc == 0);
	return rc;
}

int
rds_learn(struct stats_redis *r, const uint8_t *digest, const uint64_t *tok,
    size_t n, enum stats_class cls, enum stats_done *done, struct buf *err)
{
	struct stats_learn m = { .digest = digest, .tok = tok, .n = n,
	    .cls = cls };
	struct rds_batch *b = rds_learn_send(r, &m, 1, err);

	if (b == NULL || rds_learn_wait(r, b, err) < 0)
		return -1;
	*done = m.done;
	return 0;
}
