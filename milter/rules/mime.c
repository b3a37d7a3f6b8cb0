/*
 * mime.c -- the text the rules read, made from the message's one MIME
 * tree (mtree.c): decoded text parts, HTML rendered to text (html.c),
 * URIs, part file names and content types, the header fields of every
 * part (for mimeheader rules); and header value decoding for header
 * rules (GMime 3, which also reads the parameters of Content-Type and
 * Content-Disposition).
 *
 * mime_prepare_tree() reads a tree the caller lends and fills the
 * caller's struct mime_text, whose strings it owns; mime_prepare() makes
 * the tree itself.  Every bound (nesting depth, part count, decoded text
 * per part and in total, URI count) is enforced by the tree or here;
 * reaching one sets mt->truncated, names the first one reached in
 * mt->limit, and the walk goes on with what it has, so a hostile message
 * costs at most the bounds (part header fields: 8192 bytes per value,
 * 1000 fields per part, 2 MiB in all).  A deadline, when given, is
 * checked before each part: once it has passed the walk stops
 * (mt->expired).
 *
 * The rule engine passes the message's bounds and deadline
 * (rules_input.mime_limits) and records what the walk reached.
 *
 * HTML is rendered the way SpamAssassin renders it for body rules
 * (html.c), once per part: the analysis is kept for the eval: tests
 * (MIME_HTML).
 *
 * Text is always valid UTF-8 on the way out: a declared charset is
 * converted with iconv, an unknown or missing one is taken as UTF-8 when
 * the bytes are valid UTF-8 and as Latin-1 otherwise, and bytes that do
 * not convert become U+FFFD.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "html.h"
#include "mime.h"

#define URI_MAX		2048	/* longest URI kept */
#define HDR_VALUE_MAX	8192	/* SpamAssassin's MAX_HEADER_VALUE_LENGTH */
#define HDR_FIELDS_MAX	1000	/* header fields kept per part */
#define HDR_TEXT	(2u << 20)	/* bytes of part header fields kept */

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;
/* Note that a bound was reached; the first one names the limit. */
static void
mime_limit(struct mime_text *mt, const char *name)
{
	mt->truncated = true;
	if (mt->limit == NULL)
		mt->limit = name;
}

static void
mime_init_once(void)
{
	g_mime_init();
}

void
mime_init(void)
{
	pthread_once(&mime_once, mime_init_once);
}

/* Trim white space in place (str_trim() returns a pointer instead). */
static void
trim_in_place(char *s)
{
	char *t = str_trim(s);

	if (t != s)
		memmove(s, t, strlen(t) + 1);
}

/* ---- UTF-8 helpers ---- */

/*
 * Append s as UTF-8: valid sequences are copied, NUL bytes dropped, and
 * other bytes become their Latin-1 character (latin1) or U+FFFD.
 */
static void
put_valid(struct buf *b, const char *s, size_t n, bool latin1)
{
	const char *end;

	if (s == NULL || n == 0)
		return;		/* an empty part may come as NULL */
	end = s + n;

	while (s < end) {
		const gchar *bad;
		size_t left = (size_t)(end - s);

		if (g_utf8_validate(s, (gssize)left, &bad)) {
			buf_append(b, s, left);
			return;
		}
		buf_append(b, s, (size_t)(bad - s));
		s = bad;
		if (*s != '\0')
			buf_putu8(b, latin1 ? (unsigned char)*s : 0xfffd);
		s++;
	}
}

static bool
charset_is_utf8(const char *cs)
{
	return cs == NULL || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0 || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "ascii") == 0;
}

static bool
has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Convert n bytes in charset cs to UTF-8, appending to out. */
static void
to_utf8(const char *cs, const char *s, size_t n, struct buf *out)
{
	iconv_t cd;
	char tmp[4096];
	bool valid = g_utf8_validate(s, (gssize)n, NULL);

	/*
	 * As SpamAssassin's normalize_charset: 8-bit text that is valid
	 * UTF-8 is UTF-8 whatever the label (7-bit text still goes through
	 * its charset: ISO-2022-JP is 7-bit), and ISO-8859-1 is read as its
	 * superset Windows-1252 (mislabelled smart quotes are the common
	 * case).
	 */
	if (charset_is_utf8(cs) || (valid && has_8bit(s, n))) {
		put_valid(out, s, n, !valid);
		return;
	}
	if (strcasecmp(cs, "iso-8859-1") == 0 ||
	    strcasecmp(cs, "iso8859-1") == 0 ||
	    strcasecmp(cs, "iso_8859-1") == 0 ||
	    strcasecmp(cs, "latin1") == 0)
		cs = "WINDOWS-1252";
	cd = g_mime_iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1) {
		/* Unknown charset: never fail, take the best guess. */
		put_valid(out, s, n, !valid);
		return;
	}
	char *in = (char *)(uintptr_t)s;
	size_t inleft = n;

	while (inleft > 0) {
		char *o = tmp;
		size_t oleft = sizeof(tmp);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		int e = errno;

		put_valid(out, tmp, sizeof(tmp) - oleft, false);
		if (r == (size_t)-1 && e != E2BIG) {
			/* EILSEQ or EINVAL: replace one byte and go on. */
			buf_putu8(out, 0xfffd);
			in++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	g_mime_iconv_close(cd);
}

void
mime_to_utf8(const char *charset, const char *s, size_t n, struct buf *out)
{
	mime_init();
	to_utf8(charset != NULL && *charset ? charset : NULL, s, n, out);
}

/* ---- Paragraphs ---- */

/*
 * Split text into paragraphs at blank lines, join each paragraph's lines
 * with one space, collapse white space runs, and add the non-empty ones.
 */
/* Add paragraph p (if any) within the text budget; false once spent. */
static bool
flush_para(struct strlist *l, struct buf *p, size_t *budget, bool *truncated)
{
	if (p->len == 0)
		return *budget > 0;
	if (p->len > *budget) {
		*truncated = true;
		buf_cut_utf8(p, *budget);
	}
	*budget -= p->len;
	if (p->len > 0)
		strlist_add_owned(l, buf_steal(p));
	buf_reset(p);
	return *budget > 0;
}

static void
add_paragraphs(struct strlist *l, const char *s, size_t n, size_t *budget,
    bool *truncated)
{
	struct buf p;
	const char *end = s + n;
	bool more = *budget > 0;

	buf_init(&p, 0);
	while (s < end && more) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		bool space = p.len > 0, blank = true;

		for (const char *q = s; q < le; q++) {
			if (isspace((unsigned char)*q)) {
				space = p.len > 0;
				continue;
			}
			if (space)
				buf_putc(&p, ' ');
			space = false;
			blank = false;
			buf_putc(&p, (unsigned char)*q);
		}
		if (blank)
			more = flush_para(l, &p, budget, truncated);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	if (more)
		flush_para(l, &p, budget, truncated);
	else if (s < end)
		*truncated = true;
	buf_free(&p);
}

/* Lines of the decoded text, without their line ends. */
static void
add_lines(struct strlist *l, const char *s, size_t n, size_t *budget,
    bool *truncated)
{
	const char *end = s + n;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);

		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len + 1 > *budget) {
			/* Keep the head of the line that does not fit. */
			*truncated = true;
			if (*budget <= 1)
				return;
			len = *budget - 1;
			while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
				len--;
			strlist_add_owned(l, xstrndup(s, len));
			*budget = 0;
			return;
		}
		*budget -= len + 1;
		strlist_add_owned(l, xstrndup(s, len));
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

/* ---- URIs ---- */

/* The URIs of one message, kept once each, up to max. */
struct uriset {
	struct strlist *l;
	GHashTable *seen;	/* keys borrowed from l, or NULL */
	unsigned max;
	bool     full;		/* a new URI found no room */
};

static void
add_uri(struct uriset *u, const char *s, size_t n)
{
	char *k;

	if (n == 0 || n > URI_MAX)
		return;
	k = xstrndup(s, n);
	if (u->seen != NULL && g_hash_table_contains(u->seen, k)) {
		free(k);
		return;
	}
	if (u->l->n >= u->max) {
		u->full = true;
		free(k);
		return;
	}
	strlist_add_owned(u->l, k);
	if (u->seen != NULL)
		g_hash_table_add(u->seen, k);
}

static bool
uri_char(int c)
{
	return c > 0x20 && c != 0x7f && strchr("<>\"'`{}|\\^", c) == NULL;
}

/* Find URIs in plain text: scheme://..., mailto:, and scheme-less www. */
static void
scan_uris(const char *s, size_t n, struct uriset *u)
{
	static const char *const schemes[] = { "http://", "https://",
	    "ftp://", "mailto:", "www." };

	for (size_t i = 0; i < n && !u->full; i++) {
		int c = (unsigned char)s[i];
		size_t k, j, start, sl = 0;

		if (c != 'h' && c != 'H' && c != 'f' && c != 'F' && c != 'm' &&
		    c != 'M' && c != 'w' && c != 'W')
			continue;
		if (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
		    s[i - 1] == '.' || s[i - 1] == '/' || s[i - 1] == '@'))
			continue;
		for (k = 0; k < ARRAY_LEN(schemes); k++) {
			sl = strlen(schemes[k]);
			if (n - i > sl && strncasecmp(s + i, schemes[k], sl) == 0)
				break;
		}
		if (k == ARRAY_LEN(schemes))
			continue;
		start = i;
		for (j = i + sl; j < n && uri_char((unsigned char)s[j]); j++)
			;
		while (j > i + sl && strchr(".,;:!?)]}", s[j - 1]) != NULL)
			j--;
		if (j == i + sl || !isalnum((unsigned char)s[i + sl]))
			continue;
		if (k == 4) {
			/* www.: needs another dot; gets the http scheme. */
			if (memchr(s + i + sl, '.', j - i - sl) == NULL)
				continue;
			char *w = xasprintf("http://%.*s", (int)(j - start),
			    s + start);

			add_uri(u, w, strlen(w));
			free(w);
		} else
			add_uri(u, s + start, j - start);
		i = j;
	}
}

/* An href/src value: keep absolute and www. forms, not relative ones. */
static void
attr_uri(const char *v, size_t n, struct uriset *us)
{
	while (n > 0 && isspace((unsigned char)*v)) {
		v++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n == 0)
		return;
	if ((n > 7 && strncasecmp(v, "http://", 7) == 0) ||
	    (n > 8 && strncasecmp(v, "https://", 8) == 0) ||
	    (n > 6 && strncasecmp(v, "ftp://", 6) == 0) ||
	    (n > 7 && strncasecmp(v, "mailto:", 7) == 0))
		add_uri(us, v, n);
	else if (n > 4 && strncasecmp(v, "www.", 4) == 0) {
		char *u = xasprintf("http://%.*s", (int)n, v);

		add_uri(us, u, strlen(u));
		free(u);
	} else if (n > 2 && v[0] == '/' && v[1] == '/') {
		char *u = xasprintf("http:%.*s", (int)n, v);

		add_uri(us, u, strlen(u));
		free(u);
	}
}

/* ---- The walk ---- */

struct walk {
	struct mime_text *mt;
	const struct mtree *t;
	unsigned want;
	struct mime_limits lim;
	size_t  budget;		/* body text bytes left */
	size_t  rawbudget;	/* raw body text bytes left */
	size_t  hdrbudget;	/* part header bytes left (MIME_PARTHDRS) */
	size_t  hdrcap;		/* room in mt->hdrs */
	struct uriset uris;
};

/* True once the deadline has passed (noted in mt). */
static bool
walk_expired(struct walk *w)
{
	if (w->mt->expired)
		return true;
	if (w->lim.deadline_ms > 0 && now_ms() > w->lim.deadline_ms)
		w->mt->expired = true;
	return w->mt->expired;
}

/* A parameter value as UTF-8, with any RFC 2047 words GMime left decoded. */
static char *
param_text(const char *v)
{
	struct buf b;

	buf_init(&b, 0);
	if (strstr(v, "=?") != NULL) {
		char *d = g_mime_utils_header_decode_text(NULL, v);

		put_valid(&b, d, strlen(d), true);
		g_free(d);
	} else
		put_valid(&b, v, strlen(v), true);
	return buf_steal(&b);
}

/*
 * The part's file name: Content-Disposition's filename parameter, else
 * Content-Type's name (RFC 2231 and RFC 2047 forms decoded); NULL when
 * it has none.
 */
static char *
part_filename(const struct mtree_part *p)
{
	const char *fn;
	char *r = NULL;

	if (p->cd_raw != NULL) {
		GMimeContentDisposition *cd =
		    g_mime_content_disposition_parse(NULL, p->cd_raw);

		if (cd != NULL) {
			fn = g_mime_content_disposition_get_parameter(cd,
			    "filename");
			if (fn != NULL && *fn != '\0')
				r = param_text(fn);
			g_object_unref(cd);
		}
	}
	if (r == NULL && p->ct_raw != NULL) {
		GMimeContentType *ct = g_mime_content_type_parse(NULL,
		    p->ct_raw);

		if (ct != NULL) {
			fn = g_mime_content_type_get_parameter(ct, "name");
			if (fn != NULL && *fn != '\0')
				r = param_text(fn);
			g_object_unref(ct);
		}
	}
	return r;
}

/*
 * A leaf part's text, as Message.pm reads it: decoded from its transfer
 * encoding, converted to UTF-8 from its charset; rendered (HTML through
 * html.c) for body rules when its effective type is text/plain or
 * text/html; as decoded for rawbody rules when it is text or message
 * (but text/calendar).
 */
static void
walk_text(struct walk *w, size_t pi)
{
	const struct mtree_part *p = &w->t->parts[pi];
	bool body = p->html || strcmp(p->type, "text/plain") == 0;
	bool raw = (p->html || strncmp(p->type, "text", 4) == 0 ||
	    strncmp(p->type, "message", 7) == 0) &&
	    strcmp(p->type, "text/calendar") != 0;
	const struct buf *d;
	struct buf text;
	bool spent = false, complete;

	if (!(body && (w->want & (MIME_BODY | MIME_URI | MIME_HTML))) &&
	    !(raw && (w->want & MIME_RAWBODY)))
		return;
	d = mtree_decoded(w->t, pi, &complete);
	if (!complete)
		mime_limit(w->mt, "part_decoded_size");
	buf_init(&text, 0);
	to_utf8(p->charset[0] ? p->charset : NULL, d->p, d->len, &text);
	if (text.p == NULL)
		buf_puts(&text, "");

	if (raw && (w->want & MIME_RAWBODY))
		add_lines(&w->mt->rawbody, text.p, text.len, &w->rawbudget,
		    &spent);
	if (body && p->html) {
		/* Rendered as SpamAssassin renders it: one analysis per
		 * part, kept for the HTML tests when asked for. */
		struct html *h = html_analyze(text.p, text.len);

		if (w->want & MIME_BODY)
			add_paragraphs(&w->mt->body, h->text.p ? h->text.p : "",
			    h->text.len, &w->budget, &spent);
		if (w->want & MIME_URI) {
			for (size_t i = 0; i < h->uris.n && !w->uris.full; i++)
				attr_uri(h->uris.v[i], strlen(h->uris.v[i]),
				    &w->uris);
			scan_uris(h->text.p ? h->text.p : "", h->text.len,
			    &w->uris);
		}
		if (w->want & MIME_HTML) {
			struct mime_text *mt = w->mt;

			mt->html = xrealloc(mt->html, (mt->nhtml + 1) *
			    sizeof(*mt->html));
			mt->html[mt->nhtml].h = h;
			mt->html[mt->nhtml].part = pi;
			mt->html[mt->nhtml].srclen = text.len;
			mt->nhtml++;
		} else
			html_free(h);
	} else if (body) {
		if (w->want & MIME_BODY)
			add_paragraphs(&w->mt->body, text.p, text.len,
			    &w->budget, &spent);
		if (w->want & MIME_URI)
			scan_uris(text.p, text.len, &w->uris);
	}
	if (spent)
		mime_limit(w->mt, "decoded_size");
	buf_free(&text);
}

/* ---- Part headers (MIME_PARTHDRS) ---- */

/* Keep one header field of the current part; false once over a bound. */
static bool
keep_field(void *arg, const char *name, size_t nn, const char *raw, size_t n)
{
	struct walk *w = arg;
	struct mime_text *mt = w->mt;
	struct mime_part_hdrs *ph = &mt->parts[mt->nparts - 1];
	struct buf v, nb;
	size_t cost;

	if (n > HDR_VALUE_MAX)
		n = HDR_VALUE_MAX;
	cost = nn + n + 2;
	if (ph->n >= HDR_FIELDS_MAX || cost > w->hdrbudget) {
		mime_limit(mt, "mime_header_size");
		return false;
	}
	w->hdrbudget -= cost;
	buf_init(&v, 0);
	put_valid(&v, raw, n, true);
	if (v.p == NULL)
		buf_puts(&v, "");
	buf_init(&nb, 0);
	put_valid(&nb, name, nn, true);
	if (nb.p == NULL)
		buf_puts(&nb, "");
	if (mt->nhdrs == w->hdrcap) {
		w->hdrcap = w->hdrcap ? w->hdrcap * 2 : 32;
		mt->hdrs = xrealloc(mt->hdrs, w->hdrcap * sizeof(*mt->hdrs));
	}
	mt->hdrs[mt->nhdrs].name = buf_steal(&nb);
	mt->hdrs[mt->nhdrs].value = buf_steal(&v);
	mt->nhdrs++;
	ph->n++;
	return true;
}

/* Start a part in mt->parts and keep its header fields. */
static void
keep_part(struct walk *w, const struct mtree_part *p)
{
	struct mime_text *mt = w->mt;

	mt->parts = xrealloc(mt->parts, (mt->nparts + 1) *
	    sizeof(*mt->parts));
	mt->parts[mt->nparts].first = mt->nhdrs;
	mt->parts[mt->nparts].n = 0;
	mt->parts[mt->nparts].message = p->message;
	mt->nparts++;
	mtree_fields(w->t, p, keep_field, w);
}

/* The message's Subject as body rules see it first: one line. */
static bool
take_subject(void *arg, const char *name, size_t nn, const char *raw,
    size_t n)
{
	char **out = arg;

	if (nn != 7 || strncasecmp(name, "Subject", 7) != 0)
		return true;
	{
		char *v = xstrndup(raw, n), *d = mime_header_decode(v);

		free(v);
		*out = d;
	}
	return false;
}

int
mime_prepare_tree(struct mime_text *mt, const struct mtree *t,
    unsigned want, const struct mime_limits *lim)
{
	struct walk w;

	mime_init();
	memset(mt, 0, sizeof(*mt));
	memset(&w, 0, sizeof(w));
	w.mt = mt;
	w.t = t;
	w.want = want;
	if (lim != NULL)
		w.lim = *lim;
	if (w.lim.text == 0)
		w.lim.text = MTREE_DEF_TEXT;
	if (w.lim.part_text == 0)
		w.lim.part_text = MTREE_DEF_PART_TEXT;
	if (w.lim.uris == 0)
		w.lim.uris = MTREE_DEF_URIS;
	w.budget = w.lim.text;
	w.rawbudget = w.lim.text;
	w.hdrbudget = HDR_TEXT;
	w.uris.l = &mt->uris;
	w.uris.seen = g_hash_table_new(g_str_hash, g_str_equal);
	w.uris.max = w.lim.uris;
	if (t->limit != NULL)
		mime_limit(mt, t->limit);
	if (t->expired)
		mt->expired = true;

	if ((want & MIME_BODY) && t->nparts > 0) {
		char *subj = NULL;
		struct buf b;
		size_t big = (size_t)-1;
		bool tr = false;
		struct strlist one = { 0 };

		mtree_fields(t, &t->parts[0], take_subject, &subj);
		buf_init(&b, 0);
		put_valid(&b, subj ? subj : "", subj ? strlen(subj) : 0, true);
		free(subj);
		/* The Subject is one line, however it was folded. */
		for (size_t i = 0; i < b.len; i++)
			if (b.p[i] == '\n' || b.p[i] == '\r')
				b.p[i] = ' ';
		add_paragraphs(&one, b.p ? b.p : "", b.len, &big, &tr);
		strlist_add(&mt->body, one.n ? one.v[0] : "");
		strlist_free(&one);
		buf_free(&b);
	}
	for (size_t oi = 0; oi < t->norder && !walk_expired(&w); oi++) {
		const struct mtree_part *p = &t->parts[t->order[oi]];

		if (want & MIME_PARTHDRS)
			keep_part(&w, p);
		if (want & MIME_TYPE)
			strlist_add(&mt->types, p->type);
		if (want & MIME_FILENAME) {
			char *fn = part_filename(p);

			if (fn != NULL)
				strlist_add_owned(&mt->filenames, fn);
		}
		if (p->leaf)
			walk_text(&w, t->order[oi]);
	}
	if (w.uris.full)
		mime_limit(mt, "uris");
	g_hash_table_destroy(w.uris.seen);
	return 0;
}

int
mime_prepare(struct mime_text *mt, const char *msg, size_t len,
    unsigned want, const struct mime_limits *lim)
{
	struct mtree t;
	int rc;

	mtree_parse(&t, msg, len, lim);
	rc = mime_prepare_tree(mt, &t, want, lim);
	mtree_free(&t);
	return rc;
}

void
mime_text_free(struct mime_text *mt)
{
	strlist_free(&mt->body);
	strlist_free(&mt->rawbody);
	strlist_free(&mt->uris);
	strlist_free(&mt->filenames);
	strlist_free(&mt->types);
	for (size_t i = 0; i < mt->nhdrs; i++) {
		free(mt->hdrs[i].name);
		free(mt->hdrs[i].value);
	}
	free(mt->hdrs);
	free(mt->parts);
	for (size_t i = 0; i < mt->nhtml; i++)
		html_free(mt->html[i].h);
	free(mt->html);
	memset(mt, 0, sizeof(*mt));
}

/* ---- Headers ---- */

/* Unfold: drop CR and LF (the white space after them stays). */
static char *
unfold(const char *raw)
{
	char *r = xmalloc(strlen(raw) + 1), *o = r;

	for (; *raw; raw++)
		if (*raw != '\r' && *raw != '\n')
			*o++ = *raw;
	*o = '\0';
	return r;
}

char *
mime_header_decode(const char *raw)
{
	char *u, *d;
	struct buf b;

	mime_init();
	u = unfold(raw);
	d = g_mime_utils_header_decode_text(NULL, u);
	buf_init(&b, 0);
	put_valid(&b, d ? d : u, strlen(d ? d : u), true);
	g_free(d);
	free(u);
	if (b.p == NULL)
		buf_puts(&b, "");
	trim_in_place(b.p);
	b.len = strlen(b.p);
	return buf_steal(&b);
}

static InternetAddressMailbox *
first_mailbox(InternetAddressList *l)
{
	int n = l ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			return INTERNET_ADDRESS_MAILBOX(a);
		if (INTERNET_ADDRESS_IS_GROUP(a)) {
			InternetAddressMailbox *mb = first_mailbox(
			    internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(a)));

			if (mb != NULL)
				return mb;
		}
	}
	return NULL;
}

static char *
addr_part(const char *raw, bool want_name)
{
	char *u = unfold(raw);
	InternetAddressList *l;
	InternetAddressMailbox *mb;
	struct buf b;

	mime_init();
	l = internet_address_list_parse(NULL, u);
	mb = first_mailbox(l);
	buf_init(&b, 0);
	if (mb != NULL) {
		const char *v = want_name ?
		    internet_address_get_name(INTERNET_ADDRESS(mb)) :
		    internet_address_mailbox_get_addr(mb);

		if (v != NULL)
			put_valid(&b, v, strlen(v), true);
	} else if (!want_name && (l == NULL ||
	    internet_address_list_length(l) == 0)) {
		/* Not parseable: what is in <>, or the whole value. */
		const char *lt = strchr(u, '<'), *gt;

		if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
			put_valid(&b, lt + 1, (size_t)(gt - lt - 1), true);
		else
			put_valid(&b, u, strlen(u), true);
	}
	if (l != NULL)
		g_object_unref(l);
	free(u);
	if (b.p == NULL)
		buf_puts(&b, "");
	trim_in_place(b.p);
	b.len = strlen(b.p);
	return buf_steal(&b);
}

/* Every mailbox of l (groups opened), up to max entries in out. */
static void
all_mailboxes(InternetAddressList *l, struct strlist *out, size_t max,
    unsigned depth)
{
	int n = l ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n && out->n < max; i++) {
		InternetAddress *a = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *v = internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(a));
			struct buf b;

			buf_init(&b, 0);
			put_valid(&b, v ? v : "", v ? strlen(v) : 0, true);
			if (b.p == NULL)
				buf_puts(&b, "");
			trim_in_place(b.p);
			strlist_add_owned(out, buf_steal(&b));
		} else if (INTERNET_ADDRESS_IS_GROUP(a) && depth < 4)
			all_mailboxes(internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(a)), out, max, depth + 1);
	}
}

void
mime_header_addrs(const char *raw, struct strlist *out, size_t max)
{
	char *u = unfold(raw);
	InternetAddressList *l;

	mime_init();
	l = internet_address_list_parse(NULL, u);
	if (l != NULL && internet_address_list_length(l) > 0)
		all_mailboxes(l, out, max, 0);
	else if (out->n < max) {
		char *a = addr_part(raw, false);

		if (a[0] != '\0')
			strlist_add_owned(out, a);
		else
			free(a);
	}
	if (l != NULL)
		g_object_unref(l);
	free(u);
}

char *
mime_header_addr(const char *raw)
{
	return addr_part(raw, false);
}

char *
mime_header_name(const char *raw)
{
	return addr_part(raw, true);
}

static void
dump_list(struct buf *out, const char *title, const struct strlist *l)
{
	buf_printf(out, "== %s\n", title);
	for (size_t i = 0; i < l->n; i++)
		buf_printf(out, "%s\n", l->v[i]);
}

void
mime_dump(const struct mime_text *mt, struct buf *out)
{
	dump_list(out, "body", &mt->body);
	dump_list(out, "rawbody", &mt->rawbody);
	dump_list(out, "uris", &mt->uris);
	dump_list(out, "filenames", &mt->filenames);
	dump_list(out, "types", &mt->types);
	if (mt->truncated)
		buf_puts(out, "== truncated\n");
}
