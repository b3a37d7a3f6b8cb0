/*
 * msgfile.c -- stored messages for "warden scan".
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msgfile.h"
#include "snapshot.h"
#include "spool.h"
#include "txn.h"

/* Body bytes converted to CRLF at a time (memory per message). */
#define BODY_SLICE	65536
/*
 * A regular file larger than this is mapped, a smaller one read: for
 * the common small message a read costs less than setting up and tearing
 * down a mapping, and a large one costs no memory of its size.
 */
#define MAP_MIN		(1024 * 1024)

/* Length of the line at p (without its end) and of its end (0-2). */
static size_t
line_len(const char *p, const char *end, size_t *eol)
{
	const char *q = p;

	while (q < end && *q != '\n')
		q++;
	*eol = q < end ? 1 : 0;
	if (q > p && q[-1] == '\r' && *eol) {
		*eol = 2;
		return (size_t)(q - p) - 1;
	}
	return (size_t)(q - p);
}

size_t
msgfile_split(const char *data, size_t len, struct strlist *names,
    struct strlist *values)
{
	const char *p = data, *end = data + len;
	size_t n, eol;

	if (len >= 5 && memcmp(p, "From ", 5) == 0) {
		n = line_len(p, end, &eol);
		p += n + eol;
	}
	while (p < end) {
		const char *colon;
		struct buf v;

		n = line_len(p, end, &eol);
		if (n == 0)		/* the blank line: body follows */
			return (size_t)(p + eol - data);
		colon = memchr(p, ':', n);
		if (colon == NULL || colon == p || isspace((unsigned char)*p)) {
			/* Not a header field: the body starts here. */
			return (size_t)(p - data);
		}
		{
			/* Field names have no white space before the colon. */
			const char *k = colon;
			while (k > p && (k[-1] == ' ' || k[-1] == '\t'))
				k--;
			strlist_add_owned(names, xstrndup(p, (size_t)(k - p)));
		}
		buf_init(&v, 0);
		{
			const char *vs = colon + 1;
			const char *le = p + n;

			while (vs < le && (*vs == ' ' || *vs == '\t'))
				vs++;
			buf_append(&v, vs, (size_t)(le - vs));
		}
		p += n + eol;
		/* Continuation lines. */
		while (p < end && (*p == ' ' || *p == '\t')) {
			n = line_len(p, end, &eol);
			buf_putc(&v, '\n');
			buf_append(&v, p, n);
			p += n + eol;
		}
		strlist_add_owned(values, buf_steal(&v));
	}
	return len;
}

void
msgfile_body_crlf(const char *body, size_t len, struct buf *out)
{
	const char *p = body, *end = body + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL) {
			buf_append(out, p, (size_t)(end - p));
			return;
		}
		if (nl > p && nl[-1] == '\r')
			buf_append(out, p, (size_t)(nl - p) + 1);
		else {
			buf_append(out, p, (size_t)(nl - p));
			buf_append(out, "\r\n", 2);
		}
		p = nl + 1;
	}
}

void
msgfile_addrs(const char *value, struct strlist *out)
{
	const char *p = value;

	while (*p) {
		const char *start, *lt = NULL, *gt = NULL;
		int quoted = 0, depth = 0;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		start = p;
		for (; *p; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				continue;
			}
			if (*p == '"')
				quoted = !quoted;
			else if (quoted)
				continue;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && depth)
				depth--;
			else if (depth)
				continue;
			else if (*p == '<' && lt == NULL)
				lt = p;
			else if (*p == '>' && lt != NULL && gt == NULL)
				gt = p;
			else if (*p == ',' || *p == ';')
				break;
		}
		if (lt != NULL && gt != NULL && gt > lt + 1)
			strlist_add_owned(out, xstrndup(lt + 1, (size_t)(gt - lt - 1)));
		else if (lt == NULL) {
			/* A bare addr-spec, maybe with a (comment). */
			const char *s = start, *e = p;
			char *a;

			while (s < e && isspace((unsigned char)*s))
				s++;
			a = xstrndup(s, (size_t)(e - s));
			/* Drop (comments), which may come before or after. */
			char *w = a;
			int nest = 0;
			for (char *r = a; *r; r++) {
				if (*r == '(')
					nest++;
				else if (*r == ')' && nest)
					nest--;
				else if (!nest)
					*w++ = *r;
			}
			*w = '\0';
			char *t = str_trim(a);
			if (strchr(t, '@') != NULL && strchr(t, ' ') == NULL)
				strlist_add(out, t);
			free(a);
		}
		if (*p)
			p++;
	}
}

char *
msgfile_read(const char *path, size_t *len)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	struct buf b;
	char chunk[65536];
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf_init(&b, 0);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (buf_append(&b, chunk, (size_t)n) < 0) {
			errno = ENOMEM;
			goto fail;
		}
	}
	if (fd != 0)
		close(fd);
	*len = b.len;
	return buf_steal(&b);
fail:
	{
		int e = errno;

		if (fd != 0)
			close(fd);
		buf_free(&b);
		errno = e;
	}
	return NULL;
}

/* Read fd into mf->mem up to max bytes; count and drop the rest. */
static int
msgfile_read_bounded(struct msgfile *mf, int fd, size_t max)
{
	struct buf b;
	char chunk[65536];
	ssize_t n;

	buf_init(&b, 0);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		size_t keep;

		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			buf_free(&b);
			errno = e;
			return -1;
		}
		mf->size += (size_t)n;
		keep = b.len < max ? max - b.len : 0;
		if (keep > (size_t)n)
			keep = (size_t)n;
		if (keep > 0 && buf_append(&b, chunk, keep) < 0) {
			buf_free(&b);
			errno = ENOMEM;
			return -1;
		}
	}
	mf->len = b.len;
	mf->mem = buf_steal(&b);
	mf->data = mf->mem;
	return 0;
}

int
msgfile_open(struct msgfile *mf, const char *path, size_t max)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int rc = -1, e;

	memset(mf, 0, sizeof(*mf));
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto out;
	}
	/*
	 * A large regular file is read in place (MAP_MIN).  One that says
	 * it is empty may not be (/proc): it is read like a pipe.
	 */
	if (S_ISREG(st.st_mode) && st.st_size > MAP_MIN &&
	    (uintmax_t)st.st_size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ,
		    MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			mf->map = m;
			mf->map_len = (size_t)st.st_size;
			mf->data = m;
			mf->len = mf->size = mf->map_len;
			rc = 0;
			goto out;
		}
	}
	/* A small regular file is kept whole, as a mapped one is. */
	rc = msgfile_read_bounded(mf, fd, S_ISREG(st.st_mode) &&
	    st.st_size > 0 ? MAP_MIN : max);
out:
	e = errno;
	if (!is_stdin)
		close(fd);
	errno = e;
	return rc;
}

void
msgfile_close(struct msgfile *mf)
{
	if (mf->map != NULL)
		munmap(mf->map, mf->map_len);
	free(mf->mem);
	memset(mf, 0, sizeof(*mf));
}

/*
 * Give t the body with CRLF line ends, a slice at a time so that memory
 * stays bounded whatever the size.  A slice ends just after a line end
 * when it can, and never between a CR and its LF.  0, or -1 when the
 * spool failed (recorded in t->res).
 */
static int
msgfile_feed_body(struct txn *t, const char *body, size_t len)
{
	struct buf b;
	size_t off = 0;
	int rc = 0;

	buf_init(&b, 0);
	while (off < len && rc == 0) {
		size_t n = len - off;

		if (n > BODY_SLICE) {
			const char *nl = memrchr(body + off, '\n', BODY_SLICE);

			if (nl != NULL)
				n = (size_t)(nl - (body + off)) + 1;
			else {
				n = BODY_SLICE;
				if (body[off + n - 1] == '\r')
					n--;
			}
		}
		buf_reset(&b);
		msgfile_body_crlf(body + off, n, &b);
		rc = txn_body(t, b.p ? b.p : "", b.len);
		off += n;
	}
	buf_free(&b);
	return rc;
}

/* The first address in the first header of that name, or NULL. */
static char *
msgfile_header_addr(const struct strlist *names, const struct strlist *values,
    const char *name)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcasecmp(names->v[i], name) == 0) {
			struct strlist a = { 0 };
			char *r = NULL;

			msgfile_addrs(values->v[i], &a);
			if (a.n)
				r = xstrdup(a.v[0]);
			else if (strcasecmp(name, "Return-Path") == 0)
				r = xstrdup("");	/* <>: the null sender */
			strlist_free(&a);
			return r;
		}
	return NULL;
}

/* The header fields and the body, as the MTA would give them; a
 * failure is recorded once in t->res (and decided at EOM).  With c, the
 * end of the headers starts the relays' lookups as the milter's does. */
static void
msgfile_feed(struct conn *c, struct txn *t, const struct strlist *names,
    const struct strlist *values, const char *body, size_t len,
    size_t unread)
{
	for (size_t i = 0; i < names->n; i++)
		txn_header(t, names->v[i], values->v[i]);
	txn_eoh(t);
	if (c != NULL)
		scan_eoh(c, t);
	if (msgfile_feed_body(t, body, len) == 0)
		spool_skip(t->spool, unread);
}

int
msgfile_tokens(struct snapshot *snap, const char *data, size_t len,
    struct stats_tok *tk)
{
	struct strlist names = { 0 }, values = { 0 };
	size_t max = snap->cfg->max_scan_size;
	struct conn *c;
	struct txn *t;
	size_t off;
	int rc;

	snapshot_ref(snap);
	c = conn_new(snap);
	conn_set_client(c, "unknown", "127.0.0.1", NULL);
	off = msgfile_split(data, len < max ? len : max, &names, &values);
	t = txn_begin(c, "");
	spool_free(t->spool);
	t->spool = spool_new(NULL, 0, max);
	msgfile_feed(NULL, t, &names, &values, data + off, len - off, 0);
	rc = scan_tokens(c, t, tk);
	strlist_free(&names);
	strlist_free(&values);
	conn_free(c);
	return rc;
}

/*
 * Every stage for data[0..len), followed by "unread" bytes of the
 * message that were never read (counted as cut).
 */
static void
msgfile_run(struct snapshot *snap, const struct msgfile_envelope *env,
    const char *data, size_t len, size_t unread, struct msgfile_outcome *out)
{
	struct strlist names = { 0 }, values = { 0 }, rcpts = { 0 };
	struct stage_decision *d = &out->d;
	size_t max = snap->cfg->max_scan_size;
	struct txn *t = NULL;
	struct conn *c;
	char *from;
	size_t off;

	memset(out, 0, sizeof(*out));
	snapshot_ref(snap);
	c = out->conn = conn_new(snap);
	conn_set_client(c, "unknown", env->client ? env->client : "127.0.0.1",
	    NULL);
	c->explain = env->explain;
	/*
	 * Header fields past max_scan_size would not be kept anyway; not
	 * looking for them bounds the copies made here by that size too.
	 * What follows is given as body, and dropped by the spool.
	 */
	off = msgfile_split(data, len < max ? len : max, &names, &values);

	if (env->from != NULL)
		from = xstrdup(env->from);
	else if ((from = msgfile_header_addr(&names, &values,
	    "Return-Path")) == NULL)
		from = msgfile_header_addr(&names, &values, "From");
	if (env->rcpts != NULL && env->rcpts->n > 0)
		for (size_t i = 0; i < env->rcpts->n; i++)
			strlist_add(&rcpts, env->rcpts->v[i]);
	else
		for (size_t i = 0; i < names.n; i++)
			if (strcasecmp(names.v[i], "To") == 0 ||
			    strcasecmp(names.v[i], "Cc") == 0)
				msgfile_addrs(values.v[i], &rcpts);

	scan_connect(c, d);
	if (d->action == ACT_NONE && env->helo != NULL) {
		conn_set_helo(c, env->helo);
		stage_decision_free(d);
		scan_helo(c, d);
	}
	if (d->action == ACT_NONE) {
		stage_decision_free(d);
		t = txn_begin(c, from ? from : "");
		/* A stored message needs no spool file: keep it in memory. */
		spool_free(t->spool);
		t->spool = spool_new(NULL, 0, max);
		if (env->auth != NULL && env->auth[0] != '\0')
			t->auth_authen = xstrdup(env->auth);
		scan_envfrom(c, t, d);
	}
	if (d->action == ACT_NONE) {
		struct stage_decision rd = { 0 };
		size_t refused = 0;

		for (size_t i = 0; i < rcpts.n && d->action == ACT_NONE; i++) {
			stage_decision_free(&rd);
			scan_envrcpt(c, t, rcpts.v[i], &rd);
			if (rd.action == ACT_REJECT || rd.action == ACT_TEMPFAIL)
				refused++;
			else if (rd.action != ACT_NONE) {
				*d = rd;
				memset(&rd, 0, sizeof(rd));
			}
		}
		if (d->action == ACT_NONE && rcpts.n > 0 && refused == rcpts.n) {
			*d = rd;
			memset(&rd, 0, sizeof(rd));
		}
		stage_decision_free(&rd);
	}
	if (d->action == ACT_NONE) {
		msgfile_feed(c, t, &names, &values, data + off, len - off, unread);
		scan_eom(c, t, &out->v);
		out->reached_eom = true;
		out->action = out->v.action;
		scan_log_verdict(c, t, &out->v, now_ms() - t->start_ms);
	} else
		out->action = d->action;
	out->res = t != NULL ? &t->res : &c->res;
	strlist_free(&names);
	strlist_free(&values);
	strlist_free(&rcpts);
	free(from);
}

void
msgfile_scan(struct snapshot *snap, const struct msgfile_envelope *env,
    const char *data, size_t len, struct msgfile_outcome *out)
{
	msgfile_run(snap, env, data, len, 0, out);
}

void
msgfile_scan_file(struct snapshot *snap, const struct msgfile_envelope *env,
    const struct msgfile *mf, struct msgfile_outcome *out)
{
	msgfile_run(snap, env, mf->data != NULL ? mf->data : "", mf->len,
	    mf->size - mf->len, out);
}

void
msgfile_outcome_free(struct msgfile_outcome *out)
{
	verdict_free(&out->v);
	stage_decision_free(&out->d);
	conn_free(out->conn);
	memset(out, 0, sizeof(*out));
}
