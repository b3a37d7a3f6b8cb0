/*
 * mtree.c -- the one MIME tree of a message, split as SpamAssassin's
 * Message.pm splits it (see mtree.h).  The splitting follows
 * Message.pm's parse queue: the message's header, then each multipart
 * split at its boundary (_parse_multipart), each message/rfc822 or
 * message/global part decoded and parsed as a message of its own, its
 * parts taken into the same queue (parse_body); Util.pm's
 * parse_content_type() and Node.pm's effective_type() and decode().
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtree.h"
#include "rx.h"
#include "util.h"

enum { MX_BOUNDARY, MX_CHARSET, NMX };

static const struct rx_builtin mx_src[NMX] = {
	[MX_BOUNDARY] = { "MX_BOUNDARY", "(?i)\\bboundary\\s*=\\s*"
	    "(\"[^\"]+|[^\\s\";]+(?=[\\s;]|$))", 0 },
	[MX_CHARSET] = { "MX_CHARSET",
	    "(?i)\\bcharset\\s*=\\s*[\"']?(.*?)[\"']?(?:;|$)", 0 },
};

static pcre2_code *mx_code[NMX];

/* mtree_decoded()'s cache of one part. */
struct mtree_dec {
	struct buf b;
	bool    done;
	bool    complete;
};
const struct rx_set mtree_rx = { "mtree", mx_src, NMX, mx_code };

/* Capture 1 of built-in id in s, as a new string; NULL when none. */
static char *
mx_cap1(int id, const char *s)
{
	size_t ov[4];

	if (rx_search(rx_builtin(&mtree_rx, (size_t)id), mx_src[id].name, s,
	    strlen(s), 0, 0, ov, 2) <= 0 || ov[2] == (size_t)-1)
		return NULL;
	return xstrndup(s + ov[2], ov[3] - ov[2]);
}

static char *
lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

static void
note_limit(struct mtree *t, const char *name)
{
	if (t->limit == NULL)
		t->limit = name;
}

/* ---- Lines ---- */

static void
add_line(struct mtree *t, const char *p, size_t n, bool nl)
{
	if (t->nlines >= MTREE_MAX_LINES) {
		note_limit(t, "decoded_size");
		return;
	}
	if (t->nlines == t->lcap) {
		t->lcap = t->lcap ? t->lcap * 2 : 256;
		t->lines = xrealloc(t->lines, t->lcap * sizeof(*t->lines));
	}
	t->lines[t->nlines].p = p;
	t->lines[t->nlines].n = n;
	t->lines[t->nlines].nl = nl;
	t->nlines++;
}

/*
 * A copy of s[0..n) with CR before LF dropped, NUL-terminated; its
 * length in *outlen.  Its lines go to t.
 */
static char *
take_text(struct mtree *t, const char *s, size_t n, size_t *outlen)
{
	char *text = xmalloc(n + 1), *w = text;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		*w++ = s[i];
	}
	*w = '\0';
	*outlen = (size_t)(w - text);
	for (const char *p = text, *end = w; p < end; ) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);

		add_line(t, p, k, nl != NULL);
		p += k + (nl != NULL);
	}
	return text;
}

/* /^[\x21-\x39\x3b-\x7e]+:/, or with [ \t]* before the colon (ws). */
static bool
is_field(const struct mtree_line *l, bool ws)
{
	size_t k = 0;

	while (k < l->n && (unsigned char)l->p[k] >= 0x21 &&
	    (unsigned char)l->p[k] <= 0x7e && l->p[k] != ':')
		k++;
	if (k == 0)
		return false;
	if (ws)
		while (k < l->n && (l->p[k] == ' ' || l->p[k] == '\t'))
			k++;
	return k < l->n && l->p[k] == ':';
}

static bool
is_cont(const struct mtree_line *l)
{
	return l->n > 0 && (l->p[0] == ' ' || l->p[0] == '\t');
}

/* ---- Part headers ---- */

/* The fields a part's type comes from, as written (unfolded). */
struct phdr {
	char   *ctype, *cte, *cd;	/* last of each (owned) */
};

static void
phdr_free(struct phdr *h)
{
	free(h->ctype);
	free(h->cte);
	free(h->cd);
	memset(h, 0, sizeof(*h));
}

static void
squash_ws(char *s)
{
	char *w = s, *p = s;
	bool sp = false;

	for (; *p; p++) {
		if (isspace((unsigned char)*p)) {
			if (!sp)
				*w++ = ' ';
			sp = true;
		} else {
			*w++ = *p;
			sp = false;
		}
	}
	*w = '\0';
	/* trim */
	p = s;
	while (*p == ' ')
		p++;
	w = p + strlen(p);
	while (w > p && w[-1] == ' ')
		*--w = '\0';
	if (p != s)
		memmove(s, p, strlen(p) + 1);
}

/* Take one complete header field "Name: value" (folding kept). */
static void
phdr_take(struct phdr *h, const char *f, size_t n)
{
	const char *colon = memchr(f, ':', n);
	char **dst = NULL, *v;
	size_t kl;

	if (colon == NULL)
		return;
	kl = (size_t)(colon - f);
	while (kl > 0 && (f[kl - 1] == ' ' || f[kl - 1] == '\t'))
		kl--;
	if (kl == 12 && strncasecmp(f, "Content-Type", 12) == 0)
		dst = &h->ctype;
	else if (kl == 25 &&
	    strncasecmp(f, "Content-Transfer-Encoding", 25) == 0)
		dst = &h->cte;
	else if (kl == 19 && strncasecmp(f, "Content-Disposition", 19) == 0)
		dst = &h->cd;
	if (dst == NULL)
		return;
	v = xstrndup(colon + 1, n - (size_t)(colon + 1 - f));
	squash_ws(v);
	free(*dst);
	*dst = v;
}

/*
 * Util.pm's parse_content_type(): the type (text/plain when missing or
 * an unknown text type), the boundary and the charset (NULL when none).
 */
static char *
parse_ctype(const char *ct, char **boundary, char **charset)
{
	const char *v = ct != NULL && *ct ? ct : "text/plain; charset=us-ascii";
	char *t, *b, *sl;
	size_t n;

	if (boundary != NULL) {
		*boundary = NULL;
		if ((b = mx_cap1(MX_BOUNDARY, v)) != NULL) {
			char *w = b;

			for (char *p = b; *p; p++)
				if (*p != '"')
					*w++ = *p;
			*w = '\0';
			*boundary = b;
		}
	}
	if (charset != NULL)
		*charset = mx_cap1(MX_CHARSET, v);
	while (isspace((unsigned char)*v))
		v++;
	n = strcspn(v, ";");
	t = xstrndup(v, n);
	/* Only "something/something" up to white space or a second /. */
	sl = strchr(t, '/');
	if (sl != NULL)
		sl[1 + strcspn(sl + 1, "/ \t\r\n")] = '\0';
	if (sl == NULL || sl == t)
		t[strcspn(t, "/")] = '\0';
	lower(t);
	if (t[0] == '\0' || (strncmp(t, "text", 4) == 0 &&
	    (t[4] == '\0' || t[4] == '/' || !isalnum((unsigned char)t[4])) &&
	    strcmp(t, "text/x-vcard") != 0 && strcmp(t, "text/calendar") != 0 &&
	    strcmp(t, "text/html") != 0)) {
		/* Unknown text types are read as text/plain; so is a
		 * Content-Type with no type. */
		free(t);
		t = xstrdup("text/plain");
	}
	/* tr/\000-\040\177-\377\042\050\051\054\072-\077\100\133-\135//d */
	{
		char *w = t;

		for (char *q = t; *q; q++) {
			unsigned char c = (unsigned char)*q;

			if (c <= 0x20 || c >= 0x7f || c == '"' || c == '(' ||
			    c == ')' || c == ',' || (c >= ':' && c <= '?') ||
			    c == '@' || (c >= '[' && c <= ']'))
				continue;
			*w++ = *q;
		}
		*w = '\0';
	}
	return t;
}

/*
 * Node.pm's effective_type(): a part whose name (Content-Disposition's
 * /name=\s*"?([^";]+)"?/i, else Content-Type's name parameter) ends in
 * .htm, .html, .shtm or .shtml is HTML whatever its type.
 */
static bool
html_name(const struct phdr *h)
{
	const char *v = NULL, *p, *e;
	size_t n = 0;

	if (h->cd != NULL && (p = strcasestr(h->cd, "name=")) != NULL) {
		v = p + 5;
		while (isspace((unsigned char)*v))
			v++;
		if (*v == '"')
			v++;
		n = strcspn(v, "\";");
		if (n == 0)
			v = NULL;
	}
	if (v == NULL && h->ctype != NULL) {
		for (p = h->ctype; (p = strcasestr(p, "name")) != NULL; p++) {
			if (p > h->ctype && (isalnum((unsigned char)p[-1]) ||
			    p[-1] == '_'))
				continue;
			e = p + 4;
			while (isspace((unsigned char)*e))
				e++;
			if (*e != '=')
				continue;
			e++;
			while (isspace((unsigned char)*e))
				e++;
			if (*e == '"' || *e == '\'')
				e++;
			v = e;
			break;
		}
		if (v == NULL)
			return false;
		n = strcspn(v, "\"';");
	} else if (v == NULL)
		return false;
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	for (const char *const *x = (const char *const[]){ ".htm", ".html",
	    ".shtm", ".shtml", NULL }; *x; x++) {
		size_t el = strlen(*x);

		if (n >= el && strncasecmp(v + n - el, *x, el) == 0)
			return true;
	}
	return false;
}

/* Append a part made of header h; its index.  Takes h's strings. */
static size_t
add_part(struct mtree *t, struct phdr *h, int parent, unsigned depth,
    char **boundary)
{
	struct mtree_part *p;
	char *cs = NULL;

	t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(*t->parts));
	p = &t->parts[t->nparts];
	memset(p, 0, sizeof(*p));
	p->type = parse_ctype(h->ctype, boundary, &cs);
	p->charset = cs != NULL ? lower(cs) : xstrdup("");
	p->cte = lower(xstrdup(h->cte ? h->cte : ""));
	p->cd = lower(xstrdup(h->cd ? h->cd : ""));
	p->html = strcmp(p->type, "text/html") == 0 || html_name(h);
	p->ct_raw = h->ctype;
	p->cd_raw = h->cd;
	h->ctype = h->cd = NULL;
	phdr_free(h);
	p->parent = parent;
	p->depth = depth;
	return t->nparts++;
}

/* ---- The parse queue ---- */

struct pqueue {
	size_t  part;
	char   *boundary;
	size_t  first, last;	/* its body's lines */
};

struct split {
	struct mtree *t;
	struct mime_limits lim;
	struct pqueue *q;
	size_t  nq, qcap;
};

static void
queue(struct split *s, size_t part, char *boundary, size_t first,
    size_t last)
{
	if (s->nq == s->qcap) {
		s->qcap = s->qcap ? s->qcap * 2 : 16;
		s->q = xrealloc(s->q, s->qcap * sizeof(*s->q));
	}
	s->q[s->nq].part = part;
	s->q[s->nq].boundary = boundary;
	s->q[s->nq].first = first;
	s->q[s->nq].last = last < first ? first : last;
	s->nq++;
}

static bool
parts_full(struct split *s)
{
	if (s->t->nparts < s->lim.parts)
		return false;
	s->t->part_limit = true;
	note_limit(s->t, "mime_parts");
	return true;
}

/*
 * Message.pm's _parse_multipart(): split lines [first, last) of part pi
 * at boundary, queueing the subparts.  Returns its boundary state: 0
 * when every opened boundary was closed.
 */
static int
parse_multipart(struct split *s, size_t pi, const char *boundary,
    size_t first, size_t last)
{
	struct mtree *t = s->t;
	size_t line, blen = boundary ? strlen(boundary) : 0;
	size_t pstart = 0, hfirst = first;
	struct phdr h;
	bool in_body = false, nested = false, have_part = false;
	const char *hstart = NULL;
	size_t hlen = 0, hend = first;
	unsigned depth = t->parts[pi].depth + 1;
	int state = 0;

	/* Ignore the preamble up to the opening boundary. */
	if (boundary != NULL) {
		for (line = first; line < last; line++) {
			const struct mtree_line *l = &t->lines[line];
			size_t k;

			if (l->n < 2 + blen || l->p[0] != '-' || l->p[1] != '-' ||
			    memcmp(l->p + 2, boundary, blen) != 0)
				continue;
			for (k = 2 + blen; k < l->n &&
			    isspace((unsigned char)l->p[k]); k++)
				;
			if (k != l->n)
				continue;
			state = 1;
			if (line + 1 < last &&
			    !is_field(&t->lines[line + 1], false))
				t->missing_mime_headers = true;
			break;
		}
		if (line < last)
			first = line + 1;
	}
	hfirst = hend = first;
	memset(&h, 0, sizeof(h));
	for (line = first; line < last; line++) {
		const struct mtree_line *l = &t->lines[line];
		bool end = false, last_end = false;
		size_t remaining = last - line - 1;

		if (boundary != NULL && l->n >= 2 + blen && l->p[0] == '-' &&
		    l->p[1] == '-' && memcmp(l->p + 2, boundary, blen) == 0) {
			size_t k = 2 + blen;

			if (l->n >= k + 2 && l->p[k] == '-' &&
			    l->p[k + 1] == '-') {
				last_end = true;
				k += 2;
			}
			for (; k < l->n && isspace((unsigned char)l->p[k]); k++)
				;
			end = k == l->n;
			if (!end)
				last_end = false;
		}
		if (end && nested) {
			end = false;
			if (last_end)
				nested = false;
			last_end = false;
		}
		if (remaining == 0 || end) {
			size_t pend = end ? line : line + 1, ci;
			char *cb = NULL;

			if (hstart != NULL && !in_body) {
				phdr_take(&h, hstart, hlen);
				hstart = NULL;
				hend = line + 1;
			}
			if (!have_part)
				pstart = pend;
			/* The line end before a boundary belongs to it: a
			 * blank last line is dropped. */
			if (end && pend > pstart && t->lines[pend - 1].n == 0)
				pend--;
			ci = add_part(t, &h, (int)pi, depth, &cb);
			t->parts[ci].hfirst = hfirst;
			t->parts[ci].hlast = hend;
			if (cb == NULL && boundary != NULL)
				cb = xstrdup(boundary);
			queue(s, ci, cb, pstart, pend);
			if (boundary != NULL) {
				if (last_end) {
					state--;
					line++;
					break;
				} else if (remaining > 0 &&
				    !is_field(&t->lines[line + 1], false))
					t->missing_mime_headers = true;
			}
			if (parts_full(s))
				return state;
			in_body = false;
			have_part = false;
			hfirst = hend = line + 1;
			continue;
		}
		if (!in_body) {
			if (is_field(l, true)) {
				if (hstart != NULL)
					phdr_take(&h, hstart, hlen);
				hstart = l->p;
				hlen = l->n;
				hend = line + 1;
				continue;
			}
			if (is_cont(l) && hstart != NULL) {
				/* A continuation: the lines are contiguous in
				 * the text, so the field grows in place. */
				hlen = (size_t)(l->p + l->n - hstart);
				hend = line + 1;
				continue;
			}
			if (hstart != NULL) {
				phdr_take(&h, hstart, hlen);
				if (boundary != NULL && h.ctype != NULL) {
					char *nb = NULL, *ty;

					ty = parse_ctype(h.ctype, &nb, NULL);
					if (nb != NULL && strcmp(nb, boundary) == 0)
						nested = true;
					free(nb);
					free(ty);
				}
				hstart = NULL;
			}
			in_body = true;
			if (l->n == 0) {
				pstart = line + 1;
				have_part = true;
				continue;
			}
			t->missing_mime_hb_sep = true;
			pstart = line;
			have_part = true;
		}
	}
	phdr_free(&h);
	/* An epilogue: anything but white space and dots after the end. */
	for (; line < last; line++)
		for (size_t k = 0; k < t->lines[line].n; k++) {
			char c = t->lines[line].p[k];

			if (!isspace((unsigned char)c) && c != '.') {
				t->epilogue = true;
				return state;
			}
		}
	return state;
}

/*
 * A message's header in lines [first, last), as Message.pm's new()
 * reads it: into h; its end in *hlast; returns the line its body starts
 * at.  The flags are the message's own: set in t only for the top one.
 */
static size_t
parse_header(struct mtree *t, size_t first, size_t last, struct phdr *h,
    size_t *hlast, bool top)
{
	const char *hstart = NULL;
	size_t hlen = 0, i;
	unsigned errors = 0;
	bool sep = false, missing = false, truncated = false;

	memset(h, 0, sizeof(*h));
	for (i = first; i < last; i++) {
		const struct mtree_line *l = &t->lines[i];

		if (is_cont(l)) {
			if (hstart == NULL) {
				hstart = l->p;
				hlen = 0;
			}
			hlen = (size_t)(l->p + l->n - hstart);
			continue;
		}
		if (hstart != NULL) {
			const char *colon = memchr(hstart, ':', hlen);

			if (colon != NULL) {
				if ((size_t)(colon - hstart) > 256 ||
				    hlen - (size_t)(colon - hstart) - 1 > 8192)
					truncated = true;
				phdr_take(h, hstart, hlen);
			}
			hstart = NULL;
		}
		if (l->n == 0) {
			sep = true;
			break;
		}
		if (l->n >= 2 && l->p[0] == '-' && l->p[1] == '-') {
			missing = true;
			break;
		}
		if (!is_field(l, true) && ++errors > 3) {
			missing = true;
			break;
		}
		hstart = l->p;
		hlen = l->n;
	}
	if (hstart != NULL)
		phdr_take(h, hstart, hlen);
	*hlast = i;
	/* The header ran to the end of the message. */
	if (!sep && i >= last)
		missing = true;
	if (top) {
		t->missing_hb_sep = missing;
		t->truncated_header = truncated;
	}
	return sep ? i + 1 : i;
}

/* Start the message in lines [first, last) as part of parent. */
static void
start_message(struct split *s, size_t first, size_t last, int parent,
    unsigned depth)
{
	struct mtree *t = s->t;
	struct phdr h;
	size_t hlast, body, root;
	char *b = NULL;

	body = parse_header(t, first, last, &h, &hlast, parent < 0);
	root = add_part(t, &h, parent, depth, &b);
	t->parts[root].message = true;
	t->parts[root].hfirst = first;
	t->parts[root].hlast = hlast;
	queue(s, root, b, body, last);
}

/*
 * parse_body()'s message/rfc822 (and message/global) case: the part
 * decoded and parsed as a message whose parts join the queue.
 */
static void
sub_message(struct split *s, size_t pi)
{
	struct mtree *t = s->t;
	const struct mtree_part *p = &t->parts[pi];
	unsigned depth = p->depth + 1;
	size_t room = s->lim.text > t->subbytes ? s->lim.text - t->subbytes : 0;
	size_t len, first;
	struct buf d;
	char *text;

	if (room == 0) {
		note_limit(t, "decoded_size");
		return;
	}
	buf_init(&d, room);
	if (!mtree_decode(t, p, &d))
		note_limit(t, "decoded_size");
	if (d.len == 0) {
		buf_free(&d);
		return;
	}
	first = t->nlines;
	text = take_text(t, d.p, d.len, &len);
	buf_free(&d);
	t->sub = xrealloc(t->sub, (t->nsub + 1) * sizeof(*t->sub));
	t->sub[t->nsub++] = text;
	t->subbytes += len;
	t->parts[pi].leaf = false;
	start_message(s, first, t->nlines, (int)pi, depth);
}

/* parts in find_parts() order: depth first, each before its parts. */
static void
make_order(struct mtree *t)
{
	size_t *child = xmalloc((t->nparts + 1) * sizeof(*child));
	size_t *next = xmalloc((t->nparts + 1) * sizeof(*next));
	size_t *last = xmalloc((t->nparts + 1) * sizeof(*last));
	size_t *stack = xmalloc((t->nparts + 1) * sizeof(*stack));
	size_t none = (size_t)-1, top = 0;

	for (size_t i = 0; i < t->nparts; i++)
		child[i] = next[i] = last[i] = none;
	/* Children in index order: the order they were found in. */
	for (size_t i = 1; i < t->nparts; i++) {
		size_t pa = (size_t)t->parts[i].parent;

		if (last[pa] == none)
			child[pa] = i;
		else
			next[last[pa]] = i;
		last[pa] = i;
	}
	t->order = xmalloc((t->nparts + 1) * sizeof(*t->order));
	t->norder = 0;
	if (t->nparts > 0)
		stack[top++] = 0;
	while (top > 0) {
		size_t i = stack[--top], k = 0, c, j;

		t->order[t->norder++] = i;
		/* Push the children last first, so the first pops first. */
		for (c = child[i]; c != none; c = next[c])
			k++;
		top += k;
		j = top;
		for (c = child[i]; c != none; c = next[c])
			stack[--j] = c;
	}
	free(child);
	free(next);
	free(last);
	free(stack);
}

static unsigned long parses;

unsigned long
mtree_parses(void)
{
	return __atomic_load_n(&parses, __ATOMIC_RELAXED);
}

void
mtree_parse(struct mtree *t, const char *msg, size_t len,
    const struct mime_limits *lim)
{
	struct split s;
	size_t qi;

	__atomic_add_fetch(&parses, 1, __ATOMIC_RELAXED);
	memset(t, 0, sizeof(*t));
	memset(&s, 0, sizeof(s));
	s.t = t;
	if (lim != NULL)
		s.lim = *lim;
	if (s.lim.depth == 0)
		s.lim.depth = MTREE_DEF_DEPTH;
	if (s.lim.parts == 0)
		s.lim.parts = MTREE_DEF_PARTS;
	if (s.lim.text == 0)
		s.lim.text = MTREE_DEF_TEXT;
	t->part_text = s.lim.part_text ? s.lim.part_text : MTREE_DEF_PART_TEXT;
	t->text = take_text(t, msg != NULL ? msg : "", msg != NULL ? len : 0,
	    &t->textlen);
	start_message(&s, 0, t->nlines, -1, 0);
	/* The tree, breadth first as Message.pm's parse queue. */
	for (qi = 0; qi < s.nq; qi++) {
		struct pqueue *e = &s.q[qi];
		struct mtree_part *p = &t->parts[e->part];

		if (s.lim.deadline_ms > 0 && now_ms() > s.lim.deadline_ms) {
			t->expired = true;
			break;
		}
		if (strncmp(p->type, "multipart/", 10) == 0 &&
		    t->nparts < s.lim.parts) {
			if (p->depth >= s.lim.depth) {
				note_limit(t, "mime_depth");
				p->leaf = true;
				p->first = e->first;
				p->last = e->last;
				continue;
			}
			if (parse_multipart(&s, e->part, e->boundary, e->first,
			    e->last) != 0)
				t->missing_boundary = true;
			continue;
		}
		p->leaf = true;
		p->first = e->first;
		p->last = e->last;
		if ((strcmp(p->type, "message/rfc822") == 0 ||
		    strcmp(p->type, "message/global") == 0) &&
		    t->nparts < s.lim.parts) {
			if (p->depth >= s.lim.depth)
				note_limit(t, "mime_depth");
			else
				sub_message(&s, e->part);
		}
	}
	/* Parts the deadline left in the queue have no body. */
	for (; qi < s.nq; qi++) {
		t->parts[s.q[qi].part].leaf = true;
		t->parts[s.q[qi].part].first = t->parts[s.q[qi].part].last = 0;
	}
	for (qi = 0; qi < s.nq; qi++)
		free(s.q[qi].boundary);
	free(s.q);
	make_order(t);
	t->dec = xcalloc(t->nparts + 1, sizeof(*t->dec));
}

void
mtree_free(struct mtree *t)
{
	for (size_t i = 0; i < t->nparts; i++) {
		free(t->parts[i].type);
		free(t->parts[i].charset);
		free(t->parts[i].cte);
		free(t->parts[i].cd);
		free(t->parts[i].ct_raw);
		free(t->parts[i].cd_raw);
	}
	free(t->parts);
	free(t->lines);
	free(t->text);
	for (size_t i = 0; i < t->nsub; i++)
		free(t->sub[i]);
	free(t->sub);
	free(t->order);
	for (size_t i = 0; t->dec != NULL && i < t->nparts; i++)
		buf_free(&t->dec[i].b);
	free(t->dec);
	memset(t, 0, sizeof(*t));
}

/* ---- Decoding ---- */

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append s[0..n) to out, or as much as out->max leaves room for (-1). */
static int
put_some(struct buf *out, const char *s, size_t n)
{
	if (out->max > 0 && out->len + n > out->max) {
		if (out->len < out->max)
			buf_append(out, s, out->max - out->len);
		return -1;
	}
	return buf_append(out, s, n);
}

bool
mtree_decode(const struct mtree *t, const struct mtree_part *p,
    struct buf *out)
{
	bool b64 = strcmp(p->cte, "base64") == 0;
	bool qp = strcmp(p->cte, "quoted-printable") == 0;
	unsigned acc = 0;
	int bits = 0, rc = 0;
	char tmp[256];
	size_t nt = 0;

	/* Bytes go through tmp, appended 256 at a time. */
#define PUT(c) do { tmp[nt++] = (char)(c); if (nt == sizeof(tmp)) { \
		rc |= put_some(out, tmp, nt); nt = 0; } } while (0)
	for (size_t li = p->first; li < p->last && rc == 0; li++) {
		const char *s = t->lines[li].p;
		size_t n = t->lines[li].n;

		if (b64) {
			for (size_t k = 0; k < n; k++) {
				int v = b64val((unsigned char)s[k]);

				if (v < 0)
					continue;
				acc = (acc << 6) | (unsigned)v;
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					PUT((acc >> bits) & 0xff);
				}
			}
		} else if (qp) {
			bool soft = false;

			while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
			for (size_t k = 0; k < n; k++) {
				if (s[k] == '=' && k + 1 == n) {
					soft = true;
					break;
				}
				if (s[k] == '=' && k + 2 < n &&
				    hexval((unsigned char)s[k + 1]) >= 0 &&
				    hexval((unsigned char)s[k + 2]) >= 0) {
					PUT(hexval((unsigned char)s[k + 1]) * 16 +
					    hexval((unsigned char)s[k + 2]));
					k += 2;
					continue;
				}
				PUT(s[k]);
			}
			if (!soft)
				PUT('\n');
		} else {
			if (nt > 0) {
				rc |= put_some(out, tmp, nt);
				nt = 0;
			}
			rc |= put_some(out, s, n);
			PUT('\n');
		}
	}
	if (nt > 0 && rc == 0)
		rc |= put_some(out, tmp, nt);
#undef PUT
	return rc == 0;
}

const struct buf *
mtree_decoded(const struct mtree *t, size_t i, bool *complete)
{
	struct mtree_dec *d = &t->dec[i];

	if (!d->done) {
		d->done = true;
		buf_init(&d->b, t->part_text);
		d->complete = mtree_decode(t, &t->parts[i], &d->b);
		if (d->b.p == NULL)
			buf_puts(&d->b, "");
	}
	if (complete != NULL)
		*complete = d->complete;
	return &d->b;
}

/* ---- Header fields ---- */

void
mtree_fields(const struct mtree *t, const struct mtree_part *p,
    mtree_field_fn fn, void *arg)
{
	size_t i = p->hfirst;

	while (i < p->hlast) {
		const struct mtree_line *l = &t->lines[i], *e;
		const char *colon;
		size_t j, nl;

		if (!is_field(l, true)) {
			i++;
			continue;
		}
		for (j = i + 1; j < p->hlast && is_cont(&t->lines[j]); j++)
			;
		e = &t->lines[j - 1];
		colon = memchr(l->p, ':', l->n);
		nl = (size_t)(colon - l->p);
		while (nl > 0 && (l->p[nl - 1] == ' ' || l->p[nl - 1] == '\t'))
			nl--;
		if (!fn(arg, l->p, nl, colon + 1,
		    (size_t)(e->p + e->n + (e->nl ? 1 : 0) - (colon + 1))))
			return;
		i = j;
	}
}
