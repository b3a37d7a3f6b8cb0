/*
 * eval_mime.c -- the MIME structure as SpamAssassin's Message.pm
 * splits it (the parts, their headers and lines, the parse flags) and
 * the MIMEEval tests that read it.  It owns the cache's mime part,
 * which BodyEval, FreeMail and HTMLEval read too (eval_mime_work(),
 * eval_part_decode()), and its table of tests.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval_int.h"
#include "mime.h"
#include "rx.h"
#include "util.h"

#define MAX_PARTS	1000	/* SpamAssassin's own mimepart limit */
#define MAX_LINES	(1024 * 1024)

/* ---- The MIME structure, as SpamAssassin's Message.pm splits it ---- */

#define MAX_BODY_LINE	2048	/* SpamAssassin splits longer lines */

static void
add_line(struct eval_mime_cache *m, const char *p, size_t n)
{
	if (m->nlines >= MAX_LINES)
		return;
	if (m->nlines == m->lcap) {
		m->lcap = m->lcap ? m->lcap * 2 : 256;
		m->lines = xrealloc(m->lines, m->lcap * sizeof(*m->lines));
	}
	m->lines[m->nlines].p = p;
	m->lines[m->nlines].n = n;
	m->nlines++;
}

static bool
line_is(const struct eval_mime_cache *m, size_t i, int id)
{
	return eval_rx_exec(id, m->lines[i].p, m->lines[i].n, 0, NULL, 0);
}

/* A header being collected: name and unfolded value. */
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
	for (char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	eval_squash_ws(v);
	eval_trim(v);
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
	char *t, *b;
	size_t n;

	if (boundary != NULL) {
		*boundary = NULL;
		if ((b = eval_rx_cap1(RX_BOUNDARY, v)) != NULL) {
			char *w = b;

			for (char *p = b; *p; p++)
				if (*p != '"')
					*w++ = *p;
			*w = '\0';
			*boundary = b;
		}
	}
	if (charset != NULL)
		*charset = eval_rx_cap1(RX_CHARSET, v);
	while (isspace((unsigned char)*v))
		v++;
	n = strcspn(v, ";");
	t = xstrndup(v, n);
	/* Only "something/something" up to white space or a second /. */
	{
		char *sl = strchr(t, '/');

		if (sl != NULL) {
			size_t k = strcspn(sl + 1, "/ \t\r\n");

			sl[1 + k] = '\0';
		}
		if (sl == NULL || sl == t) {
			char *e = t + strcspn(t, "/");

			*e = '\0';
		}
	}
	eval_lower(t);
	if (t[0] == '\0' || (strncmp(t, "text", 4) == 0 &&
	    (t[4] == '\0' || t[4] == '/' || !isalnum((unsigned char)t[4])) &&
	    strcmp(t, "text/x-vcard") != 0 && strcmp(t, "text/calendar") != 0 &&
	    strcmp(t, "text/html") != 0)) {
		free(t);
		t = xstrdup("text/plain");
	}
	/* tr/\000-\040\177-\377\042\050\051\054\072-\077\100\133-\135//d */
	{
		char *w = t;

		for (char *p = t; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (c <= 0x20 || c >= 0x7f || c == '"' || c == '(' ||
			    c == ')' || c == ',' || (c >= ':' && c <= '?') ||
			    c == '@' || (c >= '[' && c <= ']'))
				continue;
			*w++ = *p;
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
	size_t n;

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

static int
add_part(struct eval_mime_cache *m, const struct phdr *h, int parent,
    char **boundary)
{
	struct sapart *p;
	char *cs = NULL;

	m->parts = xrealloc(m->parts, (m->nparts + 1) * sizeof(*m->parts));
	p = &m->parts[m->nparts];
	memset(p, 0, sizeof(*p));
	p->type = parse_ctype(h->ctype, boundary, &cs);
	p->charset = cs != NULL ? eval_lower(cs) : xstrdup("");
	p->cte = eval_lower(xstrdup(h->cte ? h->cte : ""));
	p->cd = eval_lower(xstrdup(h->cd ? h->cd : ""));
	p->parent = parent;
	p->html = strcmp(p->type, "text/html") == 0 || html_name(h);
	return (int)m->nparts++;
}

/* Whether the part's Content-Type had a charset parameter at all. */
static bool
has_charset(const struct sapart *p)
{
	return p->charset[0] != '\0';
}

struct pqueue {
	int     part;
	char   *boundary;
	size_t  first, last;
};

/*
 * Message.pm's _parse_multipart(): split lines [first, last) of part pi
 * at boundary, queueing the subparts.  Flags go to m.
 */
static void
parse_multipart(struct eval_mime_cache *m, int pi, const char *boundary,
    size_t first, size_t last, struct pqueue **q, size_t *nq, size_t *qcap,
    int *state)
{
	size_t line, blen = boundary ? strlen(boundary) : 0;
	size_t pstart = 0;
	struct phdr h;
	bool in_body = false, nested = false, have_part = false;
	const char *hstart = NULL;
	size_t hlen = 0;
	unsigned partcnt = 0;

	/* Ignore the preamble up to the opening boundary. */
	if (boundary != NULL) {
		for (line = first; line < last; line++) {
			const struct line *l = &m->lines[line];
			size_t k;

			if (l->n < 2 + blen || l->p[0] != '-' || l->p[1] != '-' ||
			    memcmp(l->p + 2, boundary, blen) != 0)
				continue;
			for (k = 2 + blen; k < l->n &&
			    isspace((unsigned char)l->p[k]); k++)
				;
			if (k != l->n)
				continue;
			*state = 1;
			if (line + 1 < last &&
			    !line_is(m, line + 1, RX_HDR_FIELD))
				m->missing_mime_headers = true;
			break;
		}
		if (line < last)
			first = line + 1;
	}
	memset(&h, 0, sizeof(h));
	for (line = first; line < last; line++) {
		const struct line *l = &m->lines[line];
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
			size_t pend = end ? line : line + 1;
			int ci;
			char *cb = NULL;

			if (hstart != NULL && !in_body) {
				phdr_take(&h, hstart, hlen);
				hstart = NULL;
			}
			if (!have_part)
				pstart = pend;
			/* The line end before a boundary belongs to it: a
			 * blank last line is dropped. */
			if (end && pend > pstart && m->lines[pend - 1].n == 0)
				pend--;
			ci = add_part(m, &h, pi, &cb);
			if (cb == NULL && boundary != NULL)
				cb = xstrdup(boundary);
			if (*nq == *qcap) {
				*qcap = *qcap ? *qcap * 2 : 16;
				*q = xrealloc(*q, *qcap * sizeof(**q));
			}
			(*q)[*nq].part = ci;
			(*q)[*nq].boundary = cb;
			(*q)[*nq].first = pstart;
			(*q)[*nq].last = pend < pstart ? pstart : pend;
			(*nq)++;
			phdr_free(&h);
			if (boundary != NULL) {
				if (last_end) {
					(*state)--;
					line++;
					break;
				} else if (remaining > 0 &&
				    !line_is(m, line + 1, RX_HDR_FIELD))
					m->missing_mime_headers = true;
			}
			if (++partcnt == MAX_PARTS || m->nparts >= MAX_PARTS) {
				m->part_limit = true;
				return;
			}
			in_body = false;
			have_part = false;
			continue;
		}
		if (!in_body) {
			if (line_is(m, line, RX_HDR_FIELD_WS)) {
				if (hstart != NULL)
					phdr_take(&h, hstart, hlen);
				hstart = l->p;
				hlen = l->n;
				continue;
			}
			if ((l->n > 0 && (l->p[0] == ' ' || l->p[0] == '\t')) &&
			    hstart != NULL) {
				/* A continuation: the lines are contiguous in
				 * the text, so the field grows in place. */
				hlen = (size_t)(l->p + l->n - hstart);
				continue;
			}
			if (hstart != NULL) {
				phdr_take(&h, hstart, hlen);
				if (boundary != NULL && h.ctype != NULL) {
					char *nb = NULL, *t;

					t = parse_ctype(h.ctype, &nb, NULL);
					if (nb != NULL && strcmp(nb, boundary) == 0)
						nested = true;
					free(nb);
					free(t);
				}
				hstart = NULL;
			}
			in_body = true;
			if (l->n == 0) {
				pstart = line + 1;
				have_part = true;
				continue;
			}
			m->missing_mime_hb_sep = true;
			pstart = line;
			have_part = true;
		}
	}
	phdr_free(&h);
	/* An epilogue: anything but white space and dots after the end. */
	for (; line < last; line++)
		for (size_t k = 0; k < m->lines[line].n; k++) {
			char c = m->lines[line].p[k];

			if (!isspace((unsigned char)c) && c != '.') {
				m->epilogue = true;
				return;
			}
		}
}

void
eval_mime_work(struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;
	const char *src = ec->msg;
	size_t len = ec->msglen, body, i;
	struct phdr h;
	const char *hstart = NULL;
	size_t hlen = 0;
	unsigned hdr_errors = 0;
	bool sep = false;
	struct pqueue *q = NULL;
	size_t nq = 0, qcap = 0, qi;
	int states[MAX_PARTS];
	size_t nstates = 0;
	char *w;

	if (m->done)
		return;
	m->done = true;
	/* The text with CR dropped before LF; lines over 2048 bytes split
	 * as SpamAssassin splits them. */
	m->text = w = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (src[i] == '\r' && i + 1 < len && src[i + 1] == '\n')
			continue;
		*w++ = src[i];
	}
	*w = '\0';
	m->textlen = (size_t)(w - m->text);
	{
		const char *p = m->text, *end = w;

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

			add_line(m, p, n);
			p += n + (nl != NULL);
		}
	}
	/* The message header. */
	memset(&h, 0, sizeof(h));
	for (i = 0; i < m->nlines; i++) {
		const struct line *l = &m->lines[i];

		if (l->n > 0 && (l->p[0] == ' ' || l->p[0] == '\t')) {
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
					m->truncated_header = true;
				phdr_take(&h, hstart, hlen);
			}
			hstart = NULL;
		}
		if (l->n == 0) {
			sep = true;
			i++;
			break;
		}
		if (l->n >= 2 && l->p[0] == '-' && l->p[1] == '-') {
			m->missing_hb_sep = true;
			break;
		}
		if (!line_is(m, i, RX_HDR_FIELD_WS) && ++hdr_errors > 3) {
			m->missing_hb_sep = true;
			break;
		}
		hstart = l->p;
		hlen = l->n;
	}
	if (hstart != NULL) {
		phdr_take(&h, hstart, hlen);
		hstart = NULL;
	}
	/* The header ran to the end of the message. */
	if (!sep && i >= m->nlines)
		m->missing_hb_sep = true;
	body = i > m->nlines ? m->nlines : i;
	/* The tree, breadth first as Message.pm's parse queue. */
	{
		char *b = NULL;
		int root = add_part(m, &h, -1, &b);

		phdr_free(&h);
		qcap = 16;
		q = xmalloc(qcap * sizeof(*q));
		q[0].part = root;
		q[0].boundary = b;
		q[0].first = body;
		q[0].last = m->nlines;
		nq = 1;
	}
	for (qi = 0; qi < nq; qi++) {
		struct sapart *p = &m->parts[q[qi].part];

		if (strncmp(p->type, "multipart/", 10) == 0 &&
		    m->nparts < MAX_PARTS) {
			int st = 0;

			parse_multipart(m, q[qi].part, q[qi].boundary,
			    q[qi].first, q[qi].last, &q, &nq, &qcap, &st);
			if (nstates < MAX_PARTS)
				states[nstates++] = st;
			m->parts[q[qi].part].leaf = false;
		} else {
			p->leaf = true;
			p->first = q[qi].first;
			p->last = q[qi].last;
		}
	}
	for (i = 0; i < nstates; i++)
		if (states[i] != 0)
			m->missing_boundary = true;
	for (qi = 0; qi < nq; qi++)
		free(q[qi].boundary);
	free(q);
}

/* The parts in SpamAssassin's find_parts() order: depth first. */
static void
part_order(const struct eval_mime_cache *m, int pi, int *out, size_t *n)
{
	out[(*n)++] = pi;
	for (size_t i = 0; i < m->nparts && *n < m->nparts; i++)
		if (m->parts[i].parent == pi)
			part_order(m, (int)i, out, n);
}

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

/* A leaf part's body, decoded from its transfer encoding, into out. */
void
eval_part_decode(const struct eval_mime_cache *m, const struct sapart *p,
    struct buf *out)
{
	bool b64 = strcmp(p->cte, "base64") == 0;
	bool qp = strcmp(p->cte, "quoted-printable") == 0;
	unsigned acc = 0;
	int bits = 0;

	for (size_t li = p->first; li < p->last; li++) {
		const char *s = m->lines[li].p;
		size_t n = m->lines[li].n;

		if (b64) {
			for (size_t k = 0; k < n; k++) {
				int v = b64val((unsigned char)s[k]);

				if (v < 0)
					continue;
				acc = (acc << 6) | (unsigned)v;
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					buf_putc(out, (int)((acc >> bits) & 0xff));
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
					buf_putc(out, hexval((unsigned char)s[k + 1])
					    * 16 + hexval((unsigned char)s[k + 2]));
					k += 2;
					continue;
				}
				buf_putc(out, (unsigned char)s[k]);
			}
			if (!soft)
				buf_putc(out, '\n');
		} else {
			buf_append(out, s, n);
			buf_putc(out, '\n');
		}
		if (out->max > 0 && out->len >= out->max)
			break;
	}
}

/* ---- MIMEEval ---- */

static void
attachments_work(struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;
	size_t qp_bytes = 0, normal = 0, nord = 0;
	double qp_count = 0;
	unsigned unicode = 0;
	int *order, part = -1;
	size_t *part_bytes;
	bool *part_counted;
	const char **part_type;
	struct buf cs;

	eval_mime_work(ec);
	if (m->att_done)
		return;
	m->att_done = true;
	m->multipart_ratio = 1.0;
	order = xcalloc(m->nparts + 1, sizeof(*order));
	part_bytes = xcalloc(m->nparts + 1, sizeof(*part_bytes));
	part_counted = xcalloc(m->nparts + 1, sizeof(*part_counted));
	part_type = xcalloc(m->nparts + 1, sizeof(*part_type));
	if (m->nparts > 0)
		part_order(m, 0, order, &nord);
	buf_init(&cs, 64 * 1024);
	for (size_t oi = 0; oi < nord; oi++) {
		const struct sapart *p = &m->parts[order[oi]];
		bool att = strstr(p->cd, "attachment") != NULL;

		if (strcmp(p->type, "multipart/alternative") == 0)
			m->multipart_alternative = true;
		/* _check_mime_header */
		if (strcmp(p->type, "text/html") == 0)
			m->html_count++;
		else if (strncmp(p->type, "text", 4) == 0)
			m->text_count++;
		if (strstr(p->cte, "base64") != NULL)
			m->base64_count++;
		else if (strstr(p->cte, "quoted-printable") != NULL)
			m->qp_count++;
		if (att)
			m->attachments++;
		if (strncmp(p->type, "text", 4) == 0 &&
		    strstr(p->cte, "base64") != NULL &&
		    (p->charset[0] == '\0' ||
		    eval_rx_match(RX_B64_CHARSET, p->charset)) &&
		    !(strncmp(p->cd, "attachment", 10) == 0 ||
		    strncmp(p->cd, "inline", 6) == 0))
			m->base64_text = true;
		if (eval_rx_match(RX_ISO_BAD, p->charset) &&
		    !eval_rx_match(RX_ISO_OK, p->charset))
			m->bad_iso_charset = true;
		{
			bool letter = false;

			for (const char *s = p->charset; *s; s++)
				if (isalpha((unsigned char)*s))
					letter = true;
			if (letter) {
				if (cs.len > 0)
					buf_putc(&cs, ' ');
				buf_puts(&cs, p->charset);
			}
		}
		if (!p->leaf)
			continue;
		part++;
		part_type[part] = p->type;
		part_counted[part] = !att;
		for (size_t li = p->first; li < p->last; li++) {
			const struct line *l = &m->lines[li];
			/* Perl's lines keep their "\n" (the last may not). */
			size_t len = l->n + (l->p + l->n < m->text +
			    m->textlen ? 1 : 0);

			if (m->multipart_alternative && !att &&
			    (strcmp(p->type, "text/plain") == 0 ||
			    strcmp(p->type, "text/html") == 0))
				part_bytes[part] += len;
			if (strcmp(p->cte, "quoted-printable") == 0 &&
			    !(l->n >= 6 && memcmp(l->p, "SPAM: ", 6) == 0)) {
				if (len > 79)
					m->qp_long_line = true;
				qp_bytes += len;
				if (memchr(l->p, '=', l->n) != NULL) {
					unsigned k = eval_rx_count(RX_QP_ESC,
					    l->p, l->n);

					if (k > 0) {
						size_t ov[4];

						qp_count += k;
						if (eval_rx_exec(RX_QP_TRAIL,
						    l->p, l->n, 0, ov, 2) &&
						    ov[2] != (size_t)-1)
							qp_count -= (double)
							    (ov[3] - ov[2]) / 3;
					}
				}
			}
			if (strcmp(p->type, "text/plain") == 0 &&
			    (!has_charset(p) ||
			    strcmp(p->charset, "us-ascii") == 0)) {
				for (size_t k = 0; k < l->n; k++) {
					unsigned char ch = (unsigned char)l->p[k];

					if (ch == 0 || ch == '\r' || ch >= 0x80) {
						m->ascii_illegal++;
						break;
					}
				}
			}
			if (strcmp(p->type, "text/plain") == 0 &&
			    (p->cte[0] == '\0' || strcmp(p->cte, "7bit") == 0 ||
			    strcmp(p->cte, "8bit") == 0)) {
				unsigned k = eval_rx_count(RX_UNICODE_ENT, l->p,
				    l->n);

				unicode += k;
				normal += len - 8 * (size_t)k;
			}
		}
	}
	if (qp_bytes > 0) {
		m->qp_ratio = qp_count / (double)qp_bytes;
		m->qp_count = (unsigned)qp_count;
	}
	if (normal > 0)
		m->unicode_ratio = (double)unicode / (double)normal;
	if (m->multipart_alternative) {
		bool ht = false, tt = false;
		size_t hb = 0, tb = 0;

		for (int i = part; i >= 0; i--) {
			if (!part_counted[i])
				continue;
			if (!ht && strcmp(part_type[i], "text/html") == 0) {
				hb = part_bytes[i];
				ht = true;
			} else if (!tt &&
			    strcmp(part_type[i], "text/plain") == 0) {
				tb = part_bytes[i];
				tt = true;
			}
			if (ht && tt)
				break;
		}
		if (ht && tt && hb > 0)
			m->multipart_ratio = (double)tb / (double)hb;
	}
	m->html_charsets = cs.p != NULL ? buf_steal(&cs) : xstrdup("");
	buf_free(&cs);
	free(order);
	free(part_bytes);
	free(part_counted);
	free(part_type);
}

static unsigned
ev_check_for_mime(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;
	const char *t = r->eargs[r->neargs - 1];

	attachments_work(ec);
	if (strcmp(t, "mime_base64_count") == 0)
		return m->base64_count > 0;
	if (strcmp(t, "mime_base64_encoded_text") == 0)
		return m->base64_text;
	if (strcmp(t, "mime_body_html_count") == 0)
		return m->html_count > 0;
	if (strcmp(t, "mime_body_text_count") == 0)
		return m->text_count > 0;
	if (strcmp(t, "mime_missing_boundary") == 0)
		return m->missing_boundary;
	if (strcmp(t, "mime_multipart_alternative") == 0)
		return m->multipart_alternative;
	if (strcmp(t, "mime_multipart_ratio") == 0)
		return m->multipart_ratio != 0;
	if (strcmp(t, "mime_qp_count") == 0)
		return m->qp_count > 0;
	if (strcmp(t, "mime_qp_long_line") == 0)
		return m->qp_long_line;
	if (strcmp(t, "mime_qp_ratio") == 0)
		return m->qp_ratio != 0;
	if (strcmp(t, "mime_ascii_text_illegal") == 0)
		return m->ascii_illegal > 0;
	if (strcmp(t, "mime_text_unicode_ratio") == 0)
		return m->unicode_ratio != 0;
	if (strcmp(t, "mime_bad_iso_charset") == 0)
		return m->bad_iso_charset;
	if (strcmp(t, "mime_attachment") == 0)
		return m->attachments > 0;
	/* mime_faraway_charset: never with ok_locales "all";
	 * mimepart_limit_exceeded and others: not kept where this test
	 * looks, in SpamAssassin either. */
	return 0;
}

/* The message's Content-Type starts with text/html. */
static bool
top_is_html(struct eval_ctx *ec)
{
	char *ct = eval_hget(ec, "Content-Type", 0, NULL);
	bool r = strncasecmp(ct, "text/html", 9) == 0;

	free(ct);
	return r;
}

static unsigned
ev_mime_html(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	if (top_is_html(ec))
		return 1;
	attachments_work(ec);
	return eval_cache_get(ec)->mime.html_count > 0;
}

static unsigned
ev_mime_html_only(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;

	(void)r;
	if (top_is_html(ec))
		return 1;
	attachments_work(ec);
	return m->html_count > 0 && m->text_count == 0;
}

static unsigned
ev_multipart_ratio(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;
	double min, max;

	attachments_work(ec);
	if (!eval_arg_num(r->eargs[r->neargs - 2], &min) ||
	    !eval_arg_num(r->eargs[r->neargs - 1], &max))
		return 0;
	return m->multipart_ratio >= min && m->multipart_ratio < max;
}

static unsigned
ev_parse_flags(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;
	const char *t = r->eargs[r->neargs - 1];

	eval_mime_work(ec);
	if (strcmp(t, "missing_head_body_separator") == 0)
		return m->missing_hb_sep;
	if (strcmp(t, "missing_mime_head_body_separator") == 0)
		return m->missing_mime_hb_sep;
	if (strcmp(t, "mime_epilogue_exists") == 0)
		return m->epilogue;
	if (strcmp(t, "missing_mime_headers") == 0)
		return m->missing_mime_headers;
	if (strcmp(t, "truncated_header") == 0)
		return m->truncated_header;
	if (strcmp(t, "mimepart_limit_exceeded") == 0)
		return m->part_limit;
	return 0;
}

static unsigned
ev_ascii_text_illegal(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	attachments_work(ec);
	return eval_cache_get(ec)->mime.ascii_illegal > 0;
}

static unsigned
ev_unicode_ratio(const struct rule *r, struct eval_ctx *ec)
{
	const char *a = r->eargs[r->neargs - 1];
	double ratio;
	size_t i = 0, dot;

	/* ^\d{0,3}\.\d{1,3}$ */
	while (isdigit((unsigned char)a[i]))
		i++;
	dot = i;
	if (dot > 3 || a[i] != '.')
		return 0;
	for (i++; isdigit((unsigned char)a[i]); i++)
		;
	if (a[i] != '\0' || i - dot - 1 < 1 || i - dot - 1 > 3)
		return 0;
	ratio = strtod(a, NULL);
	attachments_work(ec);
	return eval_cache_get(ec)->mime.unicode_ratio >= ratio;
}

static unsigned
ev_base64_length(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;
	double min, max;
	bool have_max;

	eval_mime_work(ec);
	if (!m->base64_len_done) {
		m->base64_len_done = true;
		for (size_t i = 0; i < m->nparts; i++) {
			const struct sapart *p = &m->parts[i];

			if (!p->leaf || strcmp(p->type, "application/ics") == 0 ||
			    strcmp(p->cte, "base64") != 0)
				continue;
			for (size_t li = p->first; li < p->last; li++) {
				size_t n = m->lines[li].n + 1;

				if (n > m->base64_len)
					m->base64_len = n;
			}
		}
	}
	if (!eval_arg_num(r->eargs[0], &min))
		return 0;
	have_max = r->neargs > 1 && eval_arg_num(r->eargs[1], &max);
	if (have_max && (double)m->base64_len > max)
		return 0;
	return (double)m->base64_len >= min;
}

static unsigned
ev_qp_ratio(const struct rule *r, struct eval_ctx *ec)
{
	double min;

	if (!eval_arg_num(r->eargs[0], &min))
		return 0;
	attachments_work(ec);
	return eval_cache_get(ec)->mime.qp_ratio >= min;
}

static unsigned
ev_ma_non_text(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;

	(void)r;
	eval_mime_work(ec);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct sapart *p = &m->parts[i];
		const struct sapart *pp;

		if (!p->leaf || p->parent < 0)
			continue;
		pp = &m->parts[p->parent];
		if (strcmp(pp->type, "multipart/alternative") != 0)
			continue;
		if (strcmp(p->type, "multipart/related") == 0 ||
		    strcmp(p->type, "application/rtf") == 0 ||
		    strncmp(p->type, "text/", 5) == 0)
			continue;
		return 1;
	}
	return 0;
}

/* MIMEEval's body_charset_is_likely_to_fp(). */
static bool
charset_likely_fp(struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;
	char *ct = eval_hget(ec, "Content-Type", 0, NULL), *cs;
	char *save = NULL, *all;
	bool r = false;

	attachments_work(ec);
	cs = eval_rx_cap1(RX_CHARSET, ct);
	if (cs != NULL) {
		char *e = cs + strcspn(cs, " \t\n\"'");

		*e = '\0';
		r = eval_rx_match(RX_CAPS_FP, cs);
		free(cs);
	}
	free(ct);
	if (r)
		return true;
	all = xstrdup(m->html_charsets ? m->html_charsets : "");
	for (char *t = strtok_r(all, " ", &save); t != NULL && !r;
	    t = strtok_r(NULL, " ", &save))
		r = eval_rx_match(RX_CAPS_FP, t);
	free(all);
	return r;
}

static unsigned
ev_uppercase(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;
	double min, max;

	if (!eval_arg_num(r->eargs[r->neargs - 2], &min) ||
	    !eval_arg_num(r->eargs[r->neargs - 1], &max))
		return 0;
	if (!m->uppercase_done) {
		const struct strlist *b = &ec->mt->body;
		size_t len = 0, lo = 0, up = 0;

		m->uppercase_done = true;
		m->uppercase = 0;
		if (charset_likely_fp(ec))
			return 0;
		for (size_t i = 0; i < b->n; i++) {
			const char *l = b->v[i];
			size_t n = strlen(l), ov[2];

			/* \S\s+\S */
			{
				bool ok = false;

				for (size_t k = 1; k + 1 < n && !ok; k++)
					if (isspace((unsigned char)l[k]) &&
					    !isspace((unsigned char)l[k - 1])) {
						size_t e = k;

						while (e < n && isspace(
						    (unsigned char)l[e]))
							e++;
						ok = e < n;
					}
				if (!ok)
					continue;
			}
			if (eval_rx_exec(RX_UPPER_B64, l, n, 0, NULL, 0))
				continue;
			if (eval_rx_exec(RX_JIS, l, n, 0, ov, 1))
				n -= ov[1] - ov[0];
			len += n;
			for (const char *p = l; *p; p++) {
				if ((*p >= 'a' && *p <= 'z') ||
				    (*p >= '0' && *p <= '9'))
					lo++;
				else if (*p >= 'A' && *p <= 'Z')
					up++;
			}
		}
		if (len >= 200 && up + lo > 0)
			m->uppercase = (double)up / (double)(up + lo) * 100;
	}
	return m->uppercase > min && m->uppercase <= max;
}

/* ---- The table ---- */

const struct eval_def eval_mime_tests[] = {
	/* MIMEEval */
	{ "check_for_mime", K_ANY, 1, 1, 0, ev_check_for_mime },
	{ "check_for_mime_html", K_ANY, 0, 0, 0, ev_mime_html },
	{ "check_for_mime_html_only", K_ANY, 0, 0, 0, ev_mime_html_only },
	{ "check_mime_multipart_ratio", K_ANY, 2, 2, 0, ev_multipart_ratio },
	{ "check_msg_parse_flags", K_ANY, 1, 1, 0, ev_parse_flags },
	{ "check_for_ascii_text_illegal", K_ANY, 0, 0, 0,
	  ev_ascii_text_illegal },
	{ "check_abundant_unicode_ratio", K_ANY, 1, 1, 0, ev_unicode_ratio },
	{ "check_for_faraway_charset", K_ANY, 0, 0, 0, eval_never },
	{ "check_for_uppercase", K_BODY, 2, 2, MIME_BODY, ev_uppercase },
	{ "check_ma_non_text", K_ANY, 0, 0, 0, ev_ma_non_text },
	{ "check_qp_ratio", K_ANY, 1, 1, 0, ev_qp_ratio },
	{ "check_base64_length", K_ANY, 1, 2, 0, ev_base64_length },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

void
eval_mime_free(struct cache *c)
{
	for (size_t i = 0; i < c->mime.nparts; i++) {
		free(c->mime.parts[i].type);
		free(c->mime.parts[i].charset);
		free(c->mime.parts[i].cte);
		free(c->mime.parts[i].cd);
	}
	free(c->mime.parts);
	free(c->mime.lines);
	free(c->mime.text);
	free(c->mime.html_charsets);
}
