/*
 * dns.c -- the engine's asynchronous resolver over libunbound, and the
 * lookups of one connection or message (dns.h).
 *
 * libunbound runs in its threaded mode (ub_ctx_async(ctx, 1)): its own
 * worker thread resolves, and answers come back through a pipe that our
 * one reader thread (dns_thread) drains with ub_process(), which calls
 * answered() for each.  answered() fills the query under d->mu and wakes
 * the thread waiting for it, if any (q->waiter).  A connection's
 * thread waits on a condition of its own for its own queries only, up
 * to its deadline, and is woken by those answers alone: sixteen
 * connections waiting do not all wake for every answer.
 *
 * In front of libunbound, a cache of answers (struct cache, under
 * d->mu) answers a lookup asked again within its TTL at once, on the
 * asking thread: a list asked about the same name by every message, or
 * a domain in many messages, costs a hash lookup, not a round trip
 * through libunbound's thread and pipes.  What it keeps: answers with
 * data, NXDOMAIN and NODATA, for their TTL (the SOA's for negative
 * ones: libunbound reports it), at most a day (an hour when negative);
 * never errors.  Bounded by dns_cache_size bytes, least recently used
 * dropped first.
 *
 * A query has two references while it is sent and unanswered: its set's
 * and the callback's.  Freeing a set cancels what is unanswered
 * (ub_cancel): when that succeeds libunbound never calls back, and the
 * set drops the callback's reference itself; when it fails the answer
 * is being delivered and answered() drops it.  Unanswered queries are
 * also on d->live, so that dns_free() can drop the callbacks'
 * references of a context deleted with queries in flight.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <unbound.h>

#include "config.h"
#include "dns.h"
#include "log.h"
#include "util.h"

#define MAX_RR		64	/* records kept of one answer */
#define MAX_NOTES	8	/* rule names kept per query */
#define MAX_TXT		4096	/* bytes kept of one TXT record */
#define LOG_EVERY_MS	60000.0	/* failures logged at most this often */
#define LIST_LOG_EVERY_MS 600000.0	/* a list's error codes, per list */

enum mode { M_SYSTEM, M_RECURSIVE, M_FORWARD };

struct waiter {
	pthread_cond_t cv;
};

struct dns_query {
	struct dns *d;
	struct waiter *waiter;	/* the thread waiting for it; under d->mu */
	char   *name;
	int     type;
	int     refs;		/* under d->mu */
	int     id;		/* libunbound's */
	bool    live;		/* sent, unanswered, not cancelled */
	struct dns_answer ans;	/* status DNS_PENDING until answered */
	double  t0;
	struct dns_query *lnext, *lprev;	/* d->live */
	const char *notes[MAX_NOTES];	/* rules that read it (borrowed) */
	unsigned nnotes;
};

/* One cached answer. */
struct cache_ent {
	struct cache_ent *hnext;	/* bucket chain */
	struct cache_ent *newer, *older;	/* recency list */
	uint32_t hash;
	int     type;
	enum dns_status status;
	double  expires;	/* now_ms() */
	size_t  bytes;		/* counted against the bound */
	char  **rr;
	size_t  nrr;
	char    name[];		/* lower case, no trailing dot */
};

struct cache {
	struct cache_ent **b;
	size_t  nb, n, bytes, max;
	struct cache_ent *newest, *oldest;
};

struct list_log {
	char   *zone;
	double  last;
};

struct dns {
	pthread_mutex_t mu;
	enum mode mode;
	struct strlist fwd;	/* M_FORWARD: "addr@port" */
	size_t  cache_size;
	unsigned rto_ms;	/* first wait before asking again */
	char   *desc;
	/* started on the first lookup */
	struct ub_ctx *ub;
	bool    started;
	char   *failed;		/* why the context could not start */
	pthread_t thr;
	int     stop[2];
	unsigned inflight;
	struct dns_query *live;
	struct cache cache;
	unsigned long lookups, cached;	/* counters */
	/* rate-limited logging */
	double  last_log;
	unsigned suppressed;
	struct list_log *lists;
	size_t  nlists;
};

struct dns_set {
	struct dns *d;
	struct dns_set *parent;
	struct dns_query **q;
	size_t  n, cap;
	unsigned max;
	bool    limited;
};

/* ---- Configuration ---- */

/* "ADDR[:PORT]", "[V6]:PORT" or "V6" to libunbound's "addr@port". */
static char *
fwd_addr(const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char tmp[sizeof(struct in6_addr)];
	const char *port = NULL, *end;
	size_t hn;
	char *e;
	unsigned long p = 53;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return NULL;
		hn = (size_t)(end - s - 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return NULL;
		s++;
	} else if ((end = strchr(s, ':')) != NULL &&
	    strchr(end + 1, ':') == NULL) {
		hn = (size_t)(end - s);
		port = end + 1;
	} else
		hn = strlen(s);
	if (hn == 0 || hn >= sizeof(host))
		return NULL;
	memcpy(host, s, hn);
	host[hn] = '\0';
	if (inet_pton(AF_INET, host, tmp) != 1 &&
	    inet_pton(AF_INET6, host, tmp) != 1)
		return NULL;
	if (port != NULL) {
		if (!isdigit((unsigned char)*port))
			return NULL;
		errno = 0;
		p = strtoul(port, &e, 10);
		if (errno || *e != '\0' || p == 0 || p > 65535)
			return NULL;
	}
	return xasprintf("%s@%lu", host, p);
}

struct dns *
dns_new(const struct config *cfg, struct buf *err)
{
	const struct strlist *l = &cfg->dns_resolver;
	struct dns *d;
	struct buf desc;

	if (l->n == 0)
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->cache_size = cfg->dns_cache_size;
	d->cache.max = cfg->dns_cache_size;
	/*
	 * libunbound asks again after 376 ms and drops the answers to the
	 * queries it gave up on, so a list slower than a second or two was
	 * never read, whatever dns_timeout; and it does not back off while
	 * the server keeps answering just too late.  Wait half of
	 * dns_timeout (at least libunbound's 376 ms, at most 3 s) before
	 * asking again: a list that answers within that is read, and a
	 * lost packet is asked for once more within the deadline.
	 */
	d->rto_ms = cfg->dns_timeout * 1000 / 2;
	if (d->rto_ms < 376)
		d->rto_ms = 376;
	if (d->rto_ms > 3000)
		d->rto_ms = 3000;
	d->stop[0] = d->stop[1] = -1;
	buf_init(&desc, 0);
	if (l->n == 1 && strcmp(l->v[0], "system") == 0)
		d->mode = M_SYSTEM;
	else if (l->n == 1 && strcmp(l->v[0], "recursive") == 0)
		d->mode = M_RECURSIVE;
	else {
		d->mode = M_FORWARD;
		for (size_t i = 0; i < l->n; i++) {
			char *a = fwd_addr(l->v[i]);

			if (a == NULL) {
				buf_printf(err, "dns_resolver: '%s' is not "
				    "an address (expected system, recursive, "
				    "or addresses as ADDR[:PORT] or "
				    "[IPV6]:PORT)", l->v[i]);
				strlist_free(&d->fwd);
				buf_free(&desc);
				free(d);
				return NULL;
			}
			strlist_add_owned(&d->fwd, a);
		}
	}
	for (size_t i = 0; i < l->n; i++)
		buf_printf(&desc, "%s%s", i ? ", " : "", l->v[i]);
	d->desc = buf_steal(&desc);
	pthread_mutex_init(&d->mu, NULL);
	return d;
}

const char *
dns_describe(const struct dns *d)
{
	return d ? d->desc : "off";
}

void
dns_counts(struct dns *d, unsigned long *lookups, unsigned long *cached)
{
	*lookups = *cached = 0;
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	*lookups = d->lookups;
	*cached = d->cached;
	pthread_mutex_unlock(&d->mu);
}

/* ---- The context and its reader thread ---- */

static void *
dns_thread(void *arg)
{
	struct dns *d = arg;
	struct pollfd p[2];

	p[0].fd = ub_fd(d->ub);
	p[0].events = POLLIN;
	p[1].fd = d->stop[0];
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_ERR, "DNS: poll: %m; the resolver stops");
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents && ub_process(d->ub) != 0)
			log_msg(LOG_ERR, "DNS: cannot read the resolver's "
			    "answers");
	}
	return NULL;
}

static int
set_opt(struct dns *d, const char *opt, const char *val)
{
	int r = ub_ctx_set_option(d->ub, opt, val);

	if (r != 0)
		d->failed = xasprintf("resolver option %s %s: %s", opt, val,
		    ub_strerror(r));
	return r;
}

/* Make the context and start the reader thread; under d->mu. */
static bool
dns_start(struct dns *d)
{
	char sz[32], rto[32];
	int r;

	if (d->started)
		return d->failed == NULL;
	d->started = true;
	if ((d->ub = ub_ctx_create()) == NULL) {
		d->failed = xstrdup("cannot make a resolver context");
		goto fail;
	}
	if ((r = ub_ctx_async(d->ub, 1)) != 0) {
		d->failed = xasprintf("resolver: %s", ub_strerror(r));
		goto fail;
	}
	snprintf(sz, sizeof(sz), "%zu", d->cache_size);
	snprintf(rto, sizeof(rto), "%u", d->rto_ms);
	/* A resolver on this machine (127.0.0.1, a local cache) is the
	 * common case; keep asking a server that timed out rather than
	 * failing every lookup while it is marked down. */
	if (set_opt(d, "do-not-query-localhost:", "no") ||
	    set_opt(d, "infra-keep-probing:", "yes") ||
	    set_opt(d, "unknown-server-time-limit:", rto) ||
	    set_opt(d, "infra-cache-min-rtt:", rto) ||
	    set_opt(d, "msg-cache-size:", sz) ||
	    set_opt(d, "rrset-cache-size:", sz))
		goto fail;
	switch (d->mode) {
	case M_SYSTEM:
		if ((r = ub_ctx_resolvconf(d->ub, NULL)) != 0) {
			d->failed = xasprintf("dns_resolver system: cannot "
			    "read /etc/resolv.conf: %s", ub_strerror(r));
			goto fail;
		}
		break;
	case M_RECURSIVE:
		break;
	case M_FORWARD:
		for (size_t i = 0; i < d->fwd.n; i++)
			if ((r = ub_ctx_set_fwd(d->ub, d->fwd.v[i])) != 0) {
				d->failed = xasprintf("dns_resolver %s: %s",
				    d->fwd.v[i], ub_strerror(r));
				goto fail;
			}
		break;
	}
	if (pipe(d->stop) < 0) {
		d->failed = xasprintf("resolver: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((r = pthread_create(&d->thr, NULL, dns_thread, d)) != 0) {
		d->failed = xasprintf("resolver: cannot start its thread: %s",
		    strerror(r));
		close(d->stop[0]);
		close(d->stop[1]);
		d->stop[0] = d->stop[1] = -1;
		goto fail;
	}
	log_msg(LOG_INFO, "DNS: resolver started (%s)", d->desc);
	return true;
fail:
	log_msg(LOG_ERR, "DNS: %s; lookups count as unanswered",
	    d->failed);
	if (d->ub != NULL)
		ub_ctx_delete(d->ub);
	d->ub = NULL;
	return false;
}

/* ---- The cache of answers (under d->mu) ---- */

#define CACHE_MAX_TTL	86400	/* seconds, an answer with data */
#define CACHE_MAX_NEG_TTL 3600	/* seconds, NXDOMAIN and NODATA */

static uint32_t
name_hash(const char *name, int type)
{
	uint32_t h = 2166136261u ^ (uint32_t)type;

	for (; *name; name++) {
		h ^= (uint32_t)tolower((unsigned char)*name);
		h *= 16777619u;
	}
	return h;
}

static void
cache_unlink_recent(struct cache *c, struct cache_ent *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
cache_push_recent(struct cache *c, struct cache_ent *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

static void
cache_drop(struct cache *c, struct cache_ent *e)
{
	struct cache_ent **pp = &c->b[e->hash & (c->nb - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	cache_unlink_recent(c, e);
	c->n--;
	c->bytes -= e->bytes;
	for (size_t i = 0; i < e->nrr; i++)
		free(e->rr[i]);
	free(e->rr);
	free(e);
}

static void
cache_free(struct cache *c)
{
	while (c->oldest != NULL)
		cache_drop(c, c->oldest);
	free(c->b);
	c->b = NULL;
	c->nb = 0;
}

static char **
rr_copy(char *const *rr, size_t n)
{
	char **v;

	if (n == 0)
		return NULL;
	v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(rr[i]);
	return v;
}

/* A fresh cached answer of name and type into a (records copied), or
 * false; a stale one is dropped. */
static struct cache_ent *
cache_find(const struct cache *c, const char *name, int type, uint32_t h)
{
	if (c->nb == 0)
		return NULL;
	for (struct cache_ent *e = c->b[h & (c->nb - 1)]; e != NULL;
	    e = e->hnext)
		if (e->hash == h && e->type == type &&
		    strcasecmp(e->name, name) == 0)
			return e;
	return NULL;
}

static bool
cache_get(struct cache *c, const char *name, int type, struct dns_answer *a)
{
	struct cache_ent *e = cache_find(c, name, type, name_hash(name, type));

	if (e == NULL)
		return false;
	if (now_ms() >= e->expires) {
		cache_drop(c, e);
		return false;
	}
	cache_unlink_recent(c, e);
	cache_push_recent(c, e);
	memset(a, 0, sizeof(*a));
	a->status = e->status;
	a->rr = rr_copy(e->rr, e->nrr);
	a->nrr = e->nrr;
	a->cached = true;
	return true;
}

static void
cache_grow(struct cache *c)
{
	size_t nb = c->nb ? 2 * c->nb : 256;
	struct cache_ent **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < c->nb; i++)
		for (struct cache_ent *e = c->b[i], *next; e != NULL;
		    e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	free(c->b);
	c->b = b;
	c->nb = nb;
}

/* Keep answer a of name and type for ttl seconds (replacing what is
 * kept of it), dropping the least recently used beyond the bound. */
static void
cache_put(struct cache *c, const char *name, int type,
    const struct dns_answer *a, long ttl)
{
	size_t nl = strlen(name), bytes;
	uint32_t h = name_hash(name, type);
	struct cache_ent *e;

	if (a->status != DNS_OK && a->status != DNS_NXDOMAIN &&
	    a->status != DNS_NODATA)
		return;
	if (ttl > (a->status == DNS_OK ? CACHE_MAX_TTL : CACHE_MAX_NEG_TTL))
		ttl = a->status == DNS_OK ? CACHE_MAX_TTL : CACHE_MAX_NEG_TTL;
	if (ttl <= 0)
		return;
	bytes = sizeof(*e) + nl + 1 + a->nrr * sizeof(char *);
	for (size_t i = 0; i < a->nrr; i++)
		bytes += strlen(a->rr[i]) + 1 + 16;
	if (bytes > c->max / 4)
		return;
	if ((e = cache_find(c, name, type, h)) != NULL)
		cache_drop(c, e);	/* two asked at once: the newer stays */
	while (c->oldest != NULL && c->bytes + bytes > c->max)
		cache_drop(c, c->oldest);
	if (c->n >= c->nb)
		cache_grow(c);
	e = xcalloc(1, sizeof(*e) + nl + 1);
	for (size_t i = 0; i < nl; i++)
		e->name[i] = (char)tolower((unsigned char)name[i]);
	e->hash = h;
	e->type = type;
	e->status = a->status;
	e->expires = now_ms() + (double)ttl * 1000.0;
	e->bytes = bytes;
	e->rr = rr_copy(a->rr, a->nrr);
	e->nrr = a->nrr;
	e->hnext = c->b[h & (c->nb - 1)];
	c->b[h & (c->nb - 1)] = e;
	cache_push_recent(c, e);
	c->n++;
	c->bytes += bytes;
}

static void
query_unref(struct dns_query *q)
{
	if (--q->refs > 0)
		return;
	for (size_t i = 0; i < q->ans.nrr; i++)
		free(q->ans.rr[i]);
	free(q->ans.rr);
	free(q->name);
	free(q);
}

static void
live_unlink(struct dns *d, struct dns_query *q)
{
	if (!q->live)
		return;
	q->live = false;
	if (q->lprev)
		q->lprev->lnext = q->lnext;
	else
		d->live = q->lnext;
	if (q->lnext)
		q->lnext->lprev = q->lprev;
	q->lnext = q->lprev = NULL;
	d->inflight--;
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	if (d->lookups > 0)
		log_msg(LOG_INFO, "DNS: %lu lookups, %lu of them answered "
		    "from the cache (%lu answers kept, %zu KB)", d->lookups,
		    d->cached, (unsigned long)d->cache.n, d->cache.bytes / 1024);
	if (d->ub != NULL) {
		if (write(d->stop[1], "x", 1) < 0)
			log_msg(LOG_ERR, "DNS: cannot stop the resolver's "
			    "thread: %m");
		else
			pthread_join(d->thr, NULL);
		ub_ctx_delete(d->ub);	/* no callback after this */
		close(d->stop[0]);
		close(d->stop[1]);
	}
	while (d->live != NULL) {
		struct dns_query *q = d->live;

		live_unlink(d, q);
		query_unref(q);
	}
	cache_free(&d->cache);
	for (size_t i = 0; i < d->nlists; i++)
		free(d->lists[i].zone);
	free(d->lists);
	strlist_free(&d->fwd);
	free(d->failed);
	free(d->desc);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/* Log a failure once per LOG_EVERY_MS, counting the others; under mu. */
static void
log_failure(struct dns *d, const char *name, int type, const char *why)
{
	double now = now_ms();

	if (d->last_log != 0 && now - d->last_log < LOG_EVERY_MS) {
		d->suppressed++;
		return;
	}
	if (d->suppressed)
		log_msg(LOG_WARNING, "DNS: lookup of %s %s failed: %s "
		    "(%u more failures in the last minute, not logged)",
		    name, dns_type_name(type), why, d->suppressed);
	else
		log_msg(LOG_WARNING, "DNS: lookup of %s %s failed: %s "
		    "(logged at most once a minute)", name,
		    dns_type_name(type), why);
	d->last_log = now;
	d->suppressed = 0;
}

/* ---- Answers ---- */

/* A name in wire form (uncompressed, as libunbound gives it) as text. */
static char *
wire_name(const unsigned char *p, size_t n)
{
	struct buf b;
	size_t i = 0;

	buf_init(&b, 1024);
	while (i < n && p[i] != 0) {
		size_t l = p[i++];

		if (l > 63 || i + l > n)
			break;
		if (b.len)
			buf_putc(&b, '.');
		for (size_t j = 0; j < l; j++) {
			int c = p[i + j];

			buf_putc(&b, c > 32 && c < 127 && c != '.' ?
			    tolower(c) : '?');
		}
		i += l;
	}
	return buf_steal(&b);
}

static char *
rr_text(int type, const unsigned char *p, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	struct buf b;

	switch (type) {
	case DNS_T_A:
		if (n != 4 || inet_ntop(AF_INET, p, a, sizeof(a)) == NULL)
			return NULL;
		return xstrdup(a);
	case DNS_T_AAAA:
		if (n != 16 || inet_ntop(AF_INET6, p, a, sizeof(a)) == NULL)
			return NULL;
		return xstrdup(a);
	case DNS_T_TXT:
		buf_init(&b, MAX_TXT);
		for (size_t i = 0; i < n; ) {
			size_t l = p[i++];

			if (i + l > n)
				l = n - i;
			for (size_t j = 0; j < l; j++)
				if (buf_putc(&b, p[i + j] ? p[i + j] : '?') < 0)
					break;
			i += l;
		}
		return buf_steal(&b);
	case DNS_T_MX:
		return n > 2 ? wire_name(p + 2, n - 2) : NULL;
	case DNS_T_NS: case DNS_T_PTR: case DNS_T_CNAME:
		return wire_name(p, n);
	default:
		return NULL;
	}
}

/* libunbound's callback, on the reader thread. */
static void
answered(void *arg, int err, struct ub_result *res)
{
	struct dns_query *q = arg;
	struct dns *d = q->d;
	struct dns_answer a;
	long ttl = 0;

	memset(&a, 0, sizeof(a));
	a.ms = now_ms() - q->t0;
	if (err != 0 || res == NULL) {
		a.status = DNS_ERROR;
		a.error = err ? ub_strerror(err) : "no answer";
	} else if (res->rcode == 3 || res->nxdomain)
		a.status = DNS_NXDOMAIN;
	else if (res->rcode != 0) {
		a.status = DNS_ERROR;
		a.error = res->rcode == 2 ? "SERVFAIL" : res->rcode == 5 ?
		    "REFUSED" : "error answer";
	} else if (!res->havedata)
		a.status = DNS_NODATA;
	else {
		a.status = DNS_OK;
		for (size_t i = 0; res->data[i] != NULL && a.nrr < MAX_RR;
		    i++) {
			char *t = rr_text(q->type, (unsigned char *)res->data[i],
			    (size_t)res->len[i]);

			if (t == NULL)
				continue;
			a.rr = xrealloc(a.rr, (a.nrr + 1) * sizeof(*a.rr));
			a.rr[a.nrr++] = t;
		}
		if (a.nrr == 0)
			a.status = DNS_NODATA;
	}
	if (res != NULL) {
		/* libunbound's TTL: the records' least, or the SOA's
		 * (bounded by its minimum) for a negative answer; 0 when
		 * the answer had neither. */
		ttl = res->ttl;
		ub_resolve_free(res);
	}
	pthread_mutex_lock(&d->mu);
	if (a.status == DNS_ERROR)
		log_failure(d, q->name, q->type, a.error);
	else
		cache_put(&d->cache, q->name, q->type, &a, ttl);
	q->ans = a;
	if (q->waiter != NULL)
		pthread_cond_signal(&q->waiter->cv);
	live_unlink(d, q);
	query_unref(q);
	pthread_mutex_unlock(&d->mu);
}

/* ---- Sets ---- */

struct dns_set *
dns_set_new(struct dns *d, struct dns_set *parent, unsigned max_queries)
{
	struct dns_set *s = xcalloc(1, sizeof(*s));

	s->d = d;
	s->parent = parent;
	s->max = max_queries;
	return s;
}

bool
dns_set_limited(const struct dns_set *s)
{
	return s != NULL && s->limited;
}

void
dns_set_free(struct dns_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct dns_query *q = s->q[i];
		struct dns *d = s->d;
		int id = -1;

		pthread_mutex_lock(&d->mu);
		if (q->live)
			id = q->id;
		pthread_mutex_unlock(&d->mu);
		if (id >= 0 && ub_cancel(d->ub, id) == 0) {
			/* Never called back: drop the callback's part. */
			pthread_mutex_lock(&d->mu);
			live_unlink(d, q);
			query_unref(q);
			pthread_mutex_unlock(&d->mu);
		}
		pthread_mutex_lock(&d->mu);
		query_unref(q);
		pthread_mutex_unlock(&d->mu);
	}
	free(s->q);
	free(s);
}

static struct dns_query *
find_in(struct dns_set *s, const char *name, int type)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->q[i]->type == type &&
		    strcasecmp(s->q[i]->name, name) == 0)
			return s->q[i];
	return NULL;
}

struct dns_query *
dns_find(struct dns_set *s, const char *name, int type)
{
	for (; s != NULL; s = s->parent) {
		struct dns_query *q = find_in(s, name, type);

		if (q != NULL)
			return q;
	}
	return NULL;
}

struct dns_query *
dns_lookup(struct dns_set *s, const char *name, int type)
{
	struct dns_query *q;
	struct dns *d;
	size_t n;
	int r, id;

	if (s == NULL || (d = s->d) == NULL || name == NULL)
		return NULL;
	if ((q = dns_find(s, name, type)) != NULL)
		return q;
	if (s->max && s->n >= s->max) {
		s->limited = true;
		return NULL;
	}
	n = strlen(name);
	while (n > 0 && name[n - 1] == '.')
		n--;
	q = xcalloc(1, sizeof(*q));
	q->d = d;
	q->name = xstrndup(name, n);
	q->type = type;
	q->refs = 1;
	q->t0 = now_ms();
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->q = xrealloc(s->q, s->cap * sizeof(*s->q));
	}
	s->q[s->n++] = q;

	pthread_mutex_lock(&d->mu);
	if (n == 0 || n > 253) {
		q->ans.status = DNS_ERROR;
		q->ans.error = "not a valid name";
		pthread_mutex_unlock(&d->mu);
		return q;
	}
	d->lookups++;
	if (cache_get(&d->cache, q->name, type, &q->ans)) {
		d->cached++;
		pthread_mutex_unlock(&d->mu);
		return q;
	}
	if (!dns_start(d)) {
		q->ans.status = DNS_ERROR;
		q->ans.error = "the resolver did not start";
		pthread_mutex_unlock(&d->mu);
		return q;
	}
	if (d->inflight >= DNS_MAX_INFLIGHT) {
		q->ans.status = DNS_ERROR;
		q->ans.error = "too many lookups in flight";
		log_failure(d, q->name, type, q->ans.error);
		pthread_mutex_unlock(&d->mu);
		return q;
	}
	/* The callback's reference and the live list before the query
	 * is sent: the answer may come before ub_resolve_async returns. */
	q->refs++;
	q->live = true;
	q->lnext = d->live;
	if (d->live)
		d->live->lprev = q;
	d->live = q;
	d->inflight++;
	pthread_mutex_unlock(&d->mu);

	r = ub_resolve_async(d->ub, q->name, type, 1, q, answered, &id);
	pthread_mutex_lock(&d->mu);
	if (r != 0) {
		q->ans.status = DNS_ERROR;
		q->ans.error = ub_strerror(r);
		log_failure(d, q->name, type, q->ans.error);
		live_unlink(d, q);
		query_unref(q);
	} else
		q->id = id;
	pthread_mutex_unlock(&d->mu);
	return q;
}

static void
waiter_init(struct waiter *w)
{
	pthread_condattr_t at;

	pthread_condattr_init(&at);
	pthread_condattr_setclock(&at, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &at);
	pthread_condattr_destroy(&at);
}

/*
 * Whether to wait more: true when the clock has not reached deadline
 * and w's condition was waited on until then (or until an answer to a
 * query whose waiter is w); under d->mu.
 */
static bool
wait_until(struct dns *d, struct waiter *w, double deadline_ms)
{
	double left = deadline_ms - now_ms(), at;
	struct timespec ts;

	if (left <= 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	at = (double)ts.tv_nsec + left * 1e6;
	ts.tv_sec += (time_t)(at / 1e9);
	ts.tv_nsec = (long)(at - (double)(long long)(at / 1e9) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&w->cv, &d->mu, &ts);
	return true;
}

/*
 * The unanswered queries of s and its parents, made w's (set) or no
 * longer w's (w NULL: only those that are w's are cleared, so a query
 * that another waiter took is left to it); under d->mu.  One set
 * belongs to one thread at a time (dns.h), so a query has at most one
 * waiter.
 */
static unsigned
mark_pending(const struct dns_set *s, struct waiter *w, struct waiter *mine)
{
	unsigned left = 0;

	for (const struct dns_set *p = s; p != NULL; p = p->parent)
		for (size_t i = 0; i < p->n; i++) {
			struct dns_query *q = p->q[i];

			if (w != NULL && q->ans.status == DNS_PENDING) {
				q->waiter = w;
				left++;
			} else if (w == NULL && q->waiter == mine)
				q->waiter = NULL;
		}
	return left;
}

unsigned
dns_wait(struct dns_set *s, double deadline_ms)
{
	struct waiter w;
	unsigned left = 0;

	if (s == NULL || s->d == NULL)
		return 0;
	waiter_init(&w);
	pthread_mutex_lock(&s->d->mu);
	while ((left = mark_pending(s, &w, NULL)) > 0 &&
	    wait_until(s->d, &w, deadline_ms))
		;
	mark_pending(s, NULL, &w);
	pthread_mutex_unlock(&s->d->mu);
	pthread_cond_destroy(&w.cv);
	return left;
}

bool
dns_wait_one(struct dns_query *q, double deadline_ms)
{
	struct waiter w;
	bool done;

	if (q == NULL)
		return false;
	waiter_init(&w);
	pthread_mutex_lock(&q->d->mu);
	q->waiter = &w;
	while (!(done = q->ans.status != DNS_PENDING) &&
	    wait_until(q->d, &w, deadline_ms))
		;
	if (q->waiter == &w)
		q->waiter = NULL;
	pthread_mutex_unlock(&q->d->mu);
	pthread_cond_destroy(&w.cv);
	return done;
}

void
dns_answer(struct dns_query *q, struct dns_answer *out)
{
	memset(out, 0, sizeof(*out));
	if (q == NULL) {
		out->status = DNS_ERROR;
		out->error = "not asked";
		return;
	}
	pthread_mutex_lock(&q->d->mu);
	*out = q->ans;		/* once answered, never written again */
	if (out->status == DNS_PENDING)
		out->ms = now_ms() - q->t0;
	pthread_mutex_unlock(&q->d->mu);
}

void
dns_query_note(struct dns_query *q, const char *rule)
{
	for (unsigned i = 0; i < q->nnotes; i++)
		if (strcmp(q->notes[i], rule) == 0)
			return;
	if (q->nnotes < MAX_NOTES)
		q->notes[q->nnotes++] = rule;
}

bool
dns_query_noted(const struct dns_query *q)
{
	return q->nnotes > 0;
}

void
dns_query_notes(const struct dns_query *q, struct buf *out, const char *sep)
{
	for (unsigned i = 0; i < q->nnotes; i++)
		buf_printf(out, "%s%s", i ? sep : "", q->notes[i]);
}

const char *
dns_query_name(const struct dns_query *q)
{
	return q->name;
}

int
dns_query_type(const struct dns_query *q)
{
	return q->type;
}

const char *
dns_type_name(int type)
{
	switch (type) {
	case DNS_T_A: return "A";
	case DNS_T_NS: return "NS";
	case DNS_T_CNAME: return "CNAME";
	case DNS_T_PTR: return "PTR";
	case DNS_T_MX: return "MX";
	case DNS_T_TXT: return "TXT";
	case DNS_T_AAAA: return "AAAA";
	default: return "?";
	}
}

static void
each_rec(struct dns_set *s, void (*fn)(void *, struct dns_query *),
    void *arg)
{
	if (s == NULL)
		return;
	each_rec(s->parent, fn, arg);
	for (size_t i = 0; i < s->n; i++)
		fn(arg, s->q[i]);
}

void
dns_set_each(struct dns_set *s, void (*fn)(void *, struct dns_query *),
    void *arg)
{
	each_rec(s, fn, arg);
}

/* ---- Names and filters ---- */

int
dns_reverse(const char *ip, char *out, size_t size)
{
	unsigned char a[16];
	static const char hex[] = "0123456789abcdef";
	int n;

	if (size < 73)
		return -1;
	if (inet_pton(AF_INET, ip, a) == 1)
		return snprintf(out, size, "%u.%u.%u.%u", a[3], a[2], a[1],
		    a[0]);
	if (inet_pton(AF_INET6, ip, a) != 1)
		return -1;
	n = 0;
	for (int i = 15; i >= 0; i--) {
		out[n++] = hex[a[i] & 15];
		out[n++] = '.';
		out[n++] = hex[a[i] >> 4];
		out[n++] = '.';
	}
	out[--n] = '\0';
	return n;
}

static int
octet_num(const char **p, unsigned *v)
{
	unsigned x = 0;
	int digits = 0;

	while (isdigit((unsigned char)**p) && digits < 4) {
		x = x * 10 + (unsigned)(**p - '0');
		(*p)++;
		digits++;
	}
	if (digits == 0 || x > 255)
		return -1;
	*v = x;
	return 0;
}

static void
octet_set(uint8_t *bits, unsigned lo, unsigned hi)
{
	for (unsigned i = lo; i <= hi; i++)
		bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

int
dns_filter_parse(const char *spec, struct dns_filter *f, struct buf *err)
{
	const char *p;
	unsigned v;

	memset(f, 0, sizeof(*f));
	if (spec == NULL || *spec == '\0') {
		f->any = true;
		return 0;
	}
	if (spec[0] == '&') {
		unsigned char a[4];
		char *e;
		unsigned long m;

		if (inet_pton(AF_INET, spec + 1, a) == 1)
			f->mask = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
			    (uint32_t)a[2] << 8 | a[3];
		else if (isdigit((unsigned char)spec[1]) &&
		    (errno = 0, m = strtoul(spec + 1, &e, 10), *e == '\0') &&
		    errno == 0 && m <= 0xffffffffUL)
			f->mask = (uint32_t)m;
		if (f->mask == 0) {
			buf_printf(err, "bad bit mask '%s' (expected &N or "
			    "&0.0.0.N, not zero)", spec + 1);
			return -1;
		}
		return 0;
	}
	if (spec[0] != '=')
		goto bad;
	p = spec + 1;
	for (int o = 0; o < 4; o++) {
		if (o > 0 && *p++ != '.')
			goto bad;
		if (*p == '[') {
			p++;
			for (;;) {
				unsigned hi;

				if (octet_num(&p, &v) < 0)
					goto bad;
				hi = v;
				if (p[0] == '.' && p[1] == '.') {
					p += 2;
					if (octet_num(&p, &hi) < 0 || hi < v)
						goto bad;
				}
				octet_set(f->octet[o], v, hi);
				if (*p == ';')
					p++;
				else if (*p == ']') {
					p++;
					break;
				} else
					goto bad;
			}
		} else {
			if (octet_num(&p, &v) < 0)
				goto bad;
			octet_set(f->octet[o], v, v);
		}
	}
	if (*p == '\0')
		return 0;
bad:
	buf_printf(err, "bad return-code filter '%s' (expected "
	    "=127.0.0.2, =127.0.0.[2..11;20] or &0.0.0.4)", spec);
	return -1;
}

bool
dns_filter_match(const struct dns_filter *f, const char *a)
{
	unsigned char b[4];

	if (inet_pton(AF_INET, a, b) != 1 || b[0] != 127)
		return false;
	if (f->any)
		return true;
	if (f->mask)
		return ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3]) & f->mask;
	for (int o = 0; o < 4; o++)
		if (!(f->octet[o][b[o] / 8] & (1u << (b[o] % 8))))
			return false;
	return true;
}

bool
dns_answer_is_error_code(const char *a)
{
	return strncmp(a, "127.255.255.", 12) == 0;
}

void
dns_log_list_error(struct dns *d, const char *zone, const char *a)
{
	struct list_log *l = NULL;
	double now = now_ms();
	const char *why = strcmp(a, "127.255.255.252") == 0 ?
	    "a typing error in the list's name or query" :
	    strcmp(a, "127.255.255.254") == 0 ?
	    "queries through a public or open resolver are refused: use "
	    "dns_resolver = recursive or a resolver of your own" :
	    strcmp(a, "127.255.255.255") == 0 ?
	    "over the list's query quota" : "an error code of the list";

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	for (size_t i = 0; i < d->nlists; i++)
		if (strcasecmp(d->lists[i].zone, zone) == 0)
			l = &d->lists[i];
	if (l == NULL && d->nlists < 256) {
		d->lists = xrealloc(d->lists, (d->nlists + 1) *
		    sizeof(*d->lists));
		l = &d->lists[d->nlists++];
		l->zone = xstrdup(zone);
		l->last = 0;
	}
	if (l != NULL && (l->last == 0 || now - l->last >= LIST_LOG_EVERY_MS)) {
		l->last = now;
		log_msg(LOG_WARNING, "DNS: list %s answered %s: %s; its "
		    "answers count as no listing (logged at most every ten "
		    "minutes per list)", zone, a, why);
	}
	pthread_mutex_unlock(&d->mu);
}
