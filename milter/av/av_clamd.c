/*
 * av_clamd.c -- the antivirus through clamd: each message is streamed to
 * a clamd over a unix or TCP socket with zINSTREAM.  Several clamd_socket
 * addresses are tried round-robin, with failover to the next one when a
 * clamd cannot be reached or drops the connection before answering.
 *
 * Addresses: "unix:/run/clamav/clamd.ctl" (or a bare absolute path),
 * "inet:PORT@HOST" ("inet:PORT" is localhost; HOST may be a name, an
 * IPv4 address or a bracketed IPv6 address).  Names are resolved at each
 * connection, so a moved clamd is followed without a reload.
 *
 * Timeouts: clamd_timeout bounds the connection and every later wait for
 * clamd (each write, and the wait for the answer).  A clamd that failed
 * is tried last for the next few seconds so that a dead cluster member
 * does not cost every message a timeout.
 *
 * The X-Virus-Scanned version text comes from the clamd that answered
 * (zVERSION), asked again at most once a minute per address.
 *
 * Ownership: the handle (owned by the av handle, freed by av_clamd_close
 * once no scan can use it) owns its parsed addresses and their cached
 * version strings.  Scans run on any thread; they share the handle
 * read-only except for the round-robin counter and down marks (atomics)
 * and the version cache (its own mutex per address).
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "av.h"
#include "av_int.h"
#include "log.h"

#define CLAMD_CHUNK	(64 * 1024)
#define CLAMD_REPLY_MAX	1024
#define CLAMD_DOWN_SECS	10	/* a failed clamd is tried last this long */
#define CLAMD_VERSION_TTL 60

struct clamd_addr {
	char          *spec;		/* owned: as configured, for logs */
	bool           is_unix;
	char          *path;		/* owned: unix socket path */
	char          *host;		/* owned: inet host */
	char          *port;		/* owned: inet port */
	atomic_llong   down_until;	/* time_t: tried last until then */
	pthread_mutex_t vlock;		/* guards version, vtime */
	char          *version;		/* owned: "ClamAV 1.4.6/27000" */
	time_t         vtime;
};

struct av_clamd {
	struct clamd_addr *addrs;	/* owned */
	size_t             naddrs;
	int                timeout_ms;
	size_t             max_stream;	/* clamav_max_scan_size */
	atomic_uint        next;	/* round-robin start */
};

/* Why an exchange with one clamd failed. */
enum xfer { XFER_OK, XFER_CONNECT, XFER_IO, XFER_LOCAL };

static int
clamd_parse(struct clamd_addr *a, const char *spec, const char **why)
{
	const char *p, *at;
	char *end;
	unsigned long port;

	memset(a, 0, sizeof(*a));
	if (strncmp(spec, "unix:", 5) == 0 || spec[0] == '/') {
		p = spec[0] == '/' ? spec : spec + 5;
		if (*p != '/') {
			*why = "unix socket path must be absolute";
			return -1;
		}
		if (strlen(p) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			*why = "unix socket path too long";
			return -1;
		}
		a->is_unix = true;
		a->path = xstrdup(p);
	} else if (strncmp(spec, "inet:", 5) == 0 ||
	    strncmp(spec, "inet6:", 6) == 0) {
		p = strchr(spec, ':') + 1;
		errno = 0;
		port = strtoul(p, &end, 10);
		if (end == p || errno != 0 || port == 0 || port > 65535 ||
		    (*end != '\0' && *end != '@')) {
			*why = "expected inet:PORT@HOST with PORT 1-65535";
			return -1;
		}
		at = *end == '@' ? end + 1 : "localhost";
		if (*at == '\0') {
			*why = "empty host after @";
			return -1;
		}
		a->port = xstrndup(p, (size_t)(end - p));
		if (at[0] == '[' && at[strlen(at) - 1] == ']')
			a->host = xstrndup(at + 1, strlen(at) - 2);
		else
			a->host = xstrdup(at);
	} else {
		*why = "expected unix:/path or inet:PORT@HOST";
		return -1;
	}
	a->spec = xstrdup(spec);
	atomic_init(&a->down_until, 0);
	pthread_mutex_init(&a->vlock, NULL);
	return 0;
}

static void
clamd_addr_free(struct clamd_addr *a)
{
	free(a->spec);
	free(a->path);
	free(a->host);
	free(a->port);
	free(a->version);
	pthread_mutex_destroy(&a->vlock);
}

/* Wait for fd to be ready for events; 0, or -1 with errno (ETIMEDOUT). */
static int
clamd_wait(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	for (;;) {
		n = poll(&pfd, 1, timeout_ms);
		if (n > 0)
			return 0;
		if (n == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

static int
clamd_connect_sa(const struct sockaddr *sa, socklen_t salen, int timeout_ms)
{
	int fd, err = 0;
	socklen_t elen = sizeof(err);

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EAGAIN)
		goto fail;
	if (clamd_wait(fd, POLLOUT, timeout_ms) < 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		goto fail;
	if (err != 0) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* A connected socket, or -1 with the reason in why. */
static int
clamd_connect(const struct clamd_addr *a, int timeout_ms, struct buf *why)
{
	struct sockaddr_un sun;
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, rc;

	if (a->is_unix) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, a->path, strlen(a->path) + 1);
		fd = clamd_connect_sa((struct sockaddr *)&sun, sizeof(sun),
		    timeout_ms);
		if (fd < 0)
			buf_printf(why, "%s: connect: %s", a->spec,
			    strerror(errno));
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(a->host, a->port, &hints, &res);
	if (rc != 0) {
		buf_printf(why, "%s: %s", a->spec, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		fd = clamd_connect_sa(ai->ai_addr, ai->ai_addrlen, timeout_ms);
	if (fd < 0)
		buf_printf(why, "%s: connect: %s", a->spec, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

static int
clamd_send(int fd, const void *p, size_t n, int timeout_ms)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if (clamd_wait(fd, POLLOUT, timeout_ms) < 0)
				return -1;
			continue;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read clamd's NUL-terminated answer into out; 0, or -1 with errno. */
static int
clamd_recv(int fd, struct buf *out, int timeout_ms)
{
	char tmp[256];
	ssize_t r;

	for (;;) {
		if (clamd_wait(fd, POLLIN, timeout_ms) < 0)
			return -1;
		r = recv(fd, tmp, sizeof(tmp), 0);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		if (buf_append(out, tmp, (size_t)r) < 0 ||
		    memchr(tmp, '\0', (size_t)r) != NULL)
			break;
	}
	if (out->len == 0) {
		errno = ECONNRESET;
		return -1;
	}
	out->len = strnlen(out->p, out->len);
	out->p[out->len] = '\0';
	while (out->len > 0 && (out->p[out->len - 1] == '\n' ||
	    out->p[out->len - 1] == '\r'))
		out->p[--out->len] = '\0';
	return 0;
}

/* Send one command and read the answer. */
static enum xfer
clamd_command(const struct clamd_addr *a, const char *cmd, int timeout_ms,
    struct buf *reply, struct buf *why)
{
	int fd;
	enum xfer x = XFER_OK;

	fd = clamd_connect(a, timeout_ms, why);
	if (fd < 0)
		return XFER_CONNECT;
	if (clamd_send(fd, cmd, strlen(cmd) + 1, timeout_ms) < 0 ||
	    clamd_recv(fd, reply, timeout_ms) < 0) {
		buf_printf(why, "%s: %s", a->spec, strerror(errno));
		x = XFER_IO;
	}
	close(fd);
	return x;
}

/* Keep "ClamAV 1.4.6/27000" of "ClamAV 1.4.6/27000/Sun Nov 22 ...". */
static char *
clamd_version_text(const char *reply)
{
	const char *slash;

	slash = strchr(reply, '/');
	if (slash != NULL)
		slash = strchr(slash + 1, '/');
	if (slash != NULL)
		return xstrndup(reply, (size_t)(slash - reply));
	if (strchr(reply, '/') == NULL)
		return xasprintf("%s/0", reply);
	return xstrdup(reply);
}

/*
 * The version text of a clamd, asking it when the cached one is missing
 * or old.  Returns an owned copy, or NULL.  Only one thread asks at a
 * time; the others use what is cached.
 */
static char *
clamd_version(struct clamd_addr *a, int timeout_ms)
{
	struct buf reply, why;
	char *v = NULL;
	time_t now = time(NULL);
	bool stale;

	pthread_mutex_lock(&a->vlock);
	stale = a->version == NULL || now - a->vtime >= CLAMD_VERSION_TTL;
	if (!stale)
		v = xstrdup(a->version);
	pthread_mutex_unlock(&a->vlock);
	if (!stale)
		return v;
	buf_init(&reply, CLAMD_REPLY_MAX);
	buf_init(&why, 0);
	if (clamd_command(a, "zVERSION", timeout_ms, &reply, &why) ==
	    XFER_OK && strncmp(reply.p, "ClamAV ", 7) == 0) {
		v = clamd_version_text(reply.p);
		pthread_mutex_lock(&a->vlock);
		free(a->version);
		a->version = xstrdup(v);
		a->vtime = now;
		pthread_mutex_unlock(&a->vlock);
	} else {
		pthread_mutex_lock(&a->vlock);
		if (a->version != NULL)
			v = xstrdup(a->version);
		pthread_mutex_unlock(&a->vlock);
	}
	buf_free(&reply);
	buf_free(&why);
	return v;
}

/*
 * Stream the message to one clamd.  XFER_OK with clamd's answer in reply,
 * or why it failed.
 */
static enum xfer
clamd_instream(struct av_clamd *h, const struct clamd_addr *a,
    const char *msg, size_t len, int fd, struct buf *reply, struct buf *why)
{
	static const char cmd[] = "zINSTREAM";
	char *chunk = NULL;
	uint32_t nlen;
	size_t off = 0, n;
	ssize_t r;
	int sock, sent_ok = 1;
	enum xfer x = XFER_OK;

	sock = clamd_connect(a, h->timeout_ms, why);
	if (sock < 0)
		return XFER_CONNECT;
	if (msg == NULL && fd >= 0)
		chunk = xmalloc(CLAMD_CHUNK);
	else if (msg == NULL)
		len = 0;
	if (clamd_send(sock, cmd, sizeof(cmd), h->timeout_ms) < 0)
		sent_ok = 0;
	while (sent_ok && off < len) {
		n = len - off < CLAMD_CHUNK ? len - off : CLAMD_CHUNK;
		if (chunk != NULL) {
			r = pread(fd, chunk, n, (off_t)off);
			if (r <= 0) {
				buf_printf(why, "reading the spool: %s",
				    r < 0 ? strerror(errno) : "short file");
				x = XFER_LOCAL;	/* not clamd's fault */
				goto done;
			}
			n = (size_t)r;
		}
		nlen = htonl((uint32_t)n);
		if (clamd_send(sock, &nlen, sizeof(nlen), h->timeout_ms) < 0 ||
		    clamd_send(sock, chunk != NULL ? chunk : msg + off, n,
		    h->timeout_ms) < 0)
			sent_ok = 0;
		off += n;
	}
	nlen = 0;
	if (sent_ok && clamd_send(sock, &nlen, sizeof(nlen), h->timeout_ms) < 0)
		sent_ok = 0;
	/* clamd may have answered (a size limit, say) and closed early. */
	if (clamd_recv(sock, reply, h->timeout_ms) < 0) {
		buf_printf(why, "%s: %s", a->spec, strerror(errno));
		x = XFER_IO;
	}
done:
	free(chunk);
	close(sock);
	return x;
}

struct av_clamd *
av_clamd_open(const struct config *cfg, struct diag *d)
{
	struct av_clamd *h;
	const char *why;
	char *v;
	size_t i;
	int bad = 0;

	if (cfg->clamd_socket.n == 0) {
		diag_error(d, AV_CFG_NAME(cfg), 0, "av_backend = clamd needs "
		    "at least one clamd_socket");
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->addrs = xcalloc(cfg->clamd_socket.n, sizeof(*h->addrs));
	for (i = 0; i < cfg->clamd_socket.n; i++) {
		if (clamd_parse(&h->addrs[h->naddrs], cfg->clamd_socket.v[i],
		    &why) < 0) {
			diag_error(d, AV_CFG_NAME(cfg), 0, "clamd_socket: %s: %s",
			    cfg->clamd_socket.v[i], why);
			bad = 1;
			continue;
		}
		h->naddrs++;
	}
	h->timeout_ms = cfg->clamd_timeout > 0 && cfg->clamd_timeout < 86400 ?
	    (int)cfg->clamd_timeout * 1000 : 30000;
	h->max_stream = cfg->clamav_max_scan_size;
	atomic_init(&h->next, 0);
	if (bad) {
		av_clamd_close(h);
		return NULL;
	}
	for (i = 0; i < h->naddrs; i++) {
		v = clamd_version(&h->addrs[i], h->timeout_ms);
		if (v == NULL)
			diag_warn(d, AV_CFG_NAME(cfg), 0, "clamd_socket: %s: "
			    "clamd does not answer now", h->addrs[i].spec);
		free(v);
	}
	return h;
}

void
av_clamd_close(struct av_clamd *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->naddrs; i++)
		clamd_addr_free(&h->addrs[i]);
	free(h->addrs);
	free(h);
}

/* Map clamd's answer ("stream: OK", "stream: NAME FOUND", "... ERROR"). */
static void
clamd_result(struct results *res, const char *reply, const char *version,
    const char *spec)
{
	const char *p;
	size_t n = strlen(reply);
	char *name;

	p = strncmp(reply, "stream: ", 8) == 0 ? reply + 8 : reply;
	if (strcmp(p, "OK") == 0) {
		av_result(res, AV_CLEAN, NULL, version);
	} else if (n > 6 && strcmp(reply + n - 6, " FOUND") == 0 &&
	    p < reply + n - 6) {
		name = xstrndup(p, (size_t)(reply + n - 6 - p));
		av_result(res, av_classify(name), name, version);
		free(name);
	} else {
		av_error(res, version, "antivirus: clamd %s: %s", spec, reply);
	}
}

void
av_clamd_scan(struct av_clamd *h, const char *msg, size_t len, int fd,
    struct results *res)
{
	struct buf reply, why;
	struct clamd_addr *a;
	size_t start, i, k, pass;
	bool *tried;
	time_t now;
	char *v;
	enum xfer x;

	/* What the in-process engine would look at (clamav_max_scan_size);
	 * clamd's StreamMaxLength must be at least this, or clamd answers
	 * with an error. */
	if (len > h->max_stream && h->max_stream > 0)
		len = h->max_stream;
	buf_init(&reply, CLAMD_REPLY_MAX);
	buf_init(&why, 0);
	tried = xcalloc(h->naddrs, sizeof(*tried));
	start = atomic_fetch_add(&h->next, 1) % h->naddrs;
	/* First the clamds not marked down, then those, each once. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < h->naddrs; i++) {
			k = (start + i) % h->naddrs;
			a = &h->addrs[k];
			now = time(NULL);
			if (tried[k] || (pass == 0 &&
			    atomic_load(&a->down_until) > now))
				continue;
			tried[k] = true;
			if (why.len > 0)
				buf_puts(&why, "; ");
			buf_reset(&reply);
			x = clamd_instream(h, a, msg, len, fd, &reply, &why);
			if (x == XFER_LOCAL)
				goto failed;
			if (x != XFER_OK) {
				atomic_store(&a->down_until,
				    (long long)now + CLAMD_DOWN_SECS);
				log_msg(LOG_WARNING, "antivirus: clamd %s "
				    "failed, trying the next one", a->spec);
				continue;
			}
			atomic_store(&a->down_until, 0);
			v = clamd_version(a, h->timeout_ms);
			clamd_result(res, reply.p, v, a->spec);
			free(v);
			goto done;
		}
	}
	av_error(res, NULL, "antivirus: no clamd answered: %s", why.p);
	goto done;
failed:
	av_error(res, NULL, "antivirus: %s", why.p);
done:
	free(tried);
	buf_free(&reply);
	buf_free(&why);
}

void
av_clamd_summary(const struct av_clamd *h, struct diag *d)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < h->naddrs; i++)
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", h->addrs[i].spec);
	diag_note(d, "antivirus: clamd at %s (%s), timeout %d s", b.p,
	    h->naddrs > 1 ? "round-robin with failover" : "one server",
	    h->timeout_ms / 1000);
	buf_free(&b);
}
