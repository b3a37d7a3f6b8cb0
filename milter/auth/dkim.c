/*
 * dkim.c -- DKIM signatures verified (RFC 6376, RFC 8301, RFC 8463);
 * see dkim.h for what each status means.
 *
 * dkim_verify_at() reads the header section once into a table of
 * fields (offsets into the message, the lower-case hash of each name),
 * parses the first DKIM_MAX_SIGS DKIM-Signature fields, looks up the
 * key of each that parses, then reads the body once, feeding every
 * signature still standing (struct dkim_body streams: no copy of the
 * body is made), and last hashes each signature's header fields and
 * verifies it.  Every loop is bounded by the message's length, the
 * number of signatures, tags and h= names.
 *
 * Hostile input is the normal case: tag values are bounded, base64 is
 * decoded strictly, names are checked before a lookup is made, and the
 * strings handed back hold no white space or control bytes.
 *
 * Threads: no state outside a call; OpenSSL's contexts are made and
 * freed within it (its error queue, per thread, is left empty).
 * Ownership: struct dkim_results and its strings are the caller's.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "auth_dns.h"
#include "dkim.h"
#include "util.h"

#define BODY_CHUNK	65536	/* bytes of body given to the hashes at once */
#define MAX_NAME	253	/* a DNS name */

enum alg { A_RSA_SHA256, A_RSA_SHA1, A_ED25519_SHA256 };

struct hname {
	const char *p;
	size_t  n;
	uint32_t hash;
	unsigned first;		/* index of the first h= name equal to it */
};

/* One signature being verified. */
struct vsig {
	struct dkim_sig *r;
	const struct dkim_field *f;
	bool    live;		/* nothing decided yet */
	enum alg alg;
	const EVP_MD *md;
	enum dkim_canon hc, bc;
	uint64_t l;		/* UINT64_MAX: no l= */
	struct hname h[DKIM_MAX_H];
	unsigned nh;
	unsigned char *b, *bh;
	size_t  blen, bhlen;
	EVP_PKEY *pkey;
	/* the body */
	int     share;		/* -1, or the signature whose body hash
				 * this one uses */
	EVP_MD_CTX *bctx;
	struct dkim_body body;
	unsigned char bdig[EVP_MAX_MD_SIZE];
	unsigned bdlen;
};

/* ---------------------------------------------------------------- */
/* Small helpers */

static bool
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static bool
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static uint32_t
name_hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (uint32_t)tolower((unsigned char)p[i]);
		h *= 16777619u;
	}
	return h;
}

bool
dkim_word_is(const char *val, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(val, w, n) == 0;
}

char *
dkim_copy_nows(const char *p, size_t n, bool lower)
{
	char *s = xmalloc(n + 1), *q = s;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c == 0x7f || c == ';')
			continue;
		*q++ = lower ? (char)tolower(c) : (char)c;
	}
	*q = '\0';
	return s;
}

/*
 * Whether item w (case-insensitive) is one of the colon-separated
 * items of list[0..n), white space around items ignored.
 */
static bool
list_has(const char *list, size_t n, const char *w)
{
	size_t i = 0;

	while (i <= n) {
		size_t s = i, e;

		while (i < n && list[i] != ':')
			i++;
		e = i;
		while (s < e && is_fws((unsigned char)list[s]))
			s++;
		while (e > s && is_fws((unsigned char)list[e - 1]))
			e--;
		if (dkim_word_is(list + s, e - s, w))
			return true;
		i++;
	}
	return false;
}

static int
b64_value(int c)
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

/*
 * Decode base64 s[0..n), FWS anywhere ignored, padding optional but
 * only at the end.  The result (malloc'd, *out) may be empty.  -1 on
 * a bad character or length.
 */
static int
b64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
	unsigned char *o = xmalloc(n / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t k = 0, len = 0, pad = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], v;

		if (is_fws(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64_value(c);
		if (v < 0 || pad > 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		if (++k % 4 == 0) {
			o[len++] = (unsigned char)(acc >> 16);
			o[len++] = (unsigned char)(acc >> 8);
			o[len++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (k % 4 == 1 || pad > 2 || (pad > 0 && (k + pad) % 4 != 0))
		goto bad;
	if (k % 4 == 2)
		o[len++] = (unsigned char)(acc >> 4);
	else if (k % 4 == 3) {
		o[len++] = (unsigned char)(acc >> 10);
		o[len++] = (unsigned char)(acc >> 2);
	}
	*out = o;
	*outlen = len;
	return 0;
bad:
	free(o);
	*out = NULL;
	*outlen = 0;
	return -1;
}

/* Parse a decimal number of at most 18 digits. */
static int
parse_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* A domain name or selector: labels of letters, digits, '-' and '_',
 * separated by dots, MAX_NAME bytes at most. */
static bool
name_ok(const char *s, size_t n)
{
	size_t lab = 0;

	if (n == 0 || n > MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (lab == 0)
				return false;
			lab = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++lab > 63)
				return false;
		} else
			return false;
	}
	return lab > 0;
}

/* ---------------------------------------------------------------- */
/* Tag lists */

static size_t
skip_fws(const char *s, size_t n, size_t i)
{
	while (i < n && is_fws((unsigned char)s[i]))
		i++;
	return i;
}

int
dkim_tags_parse(const char *s, size_t n, struct dkim_tags *t,
    const char **why)
{
	size_t i = 0;

	t->n = 0;
	for (;;) {
		size_t ns, ne, vs, ve;

		i = skip_fws(s, n, i);
		if (i == n)
			return 0;	/* the end, or a final ';' */
		ns = i;
		if (!isalpha((unsigned char)s[i])) {
			*why = "bad tag name";
			return -1;
		}
		while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_'))
			i++;
		ne = i;
		i = skip_fws(s, n, i);
		if (i == n || s[i] != '=') {
			*why = "tag without '='";
			return -1;
		}
		vs = i = skip_fws(s, n, i + 1);
		while (i < n && s[i] != ';') {
			unsigned char c = (unsigned char)s[i];

			if ((c < 0x20 && !is_fws(c)) || c == 0x7f) {
				*why = "control byte in a tag value";
				return -1;
			}
			i++;
		}
		ve = i;
		while (ve > vs && is_fws((unsigned char)s[ve - 1]))
			ve--;
		if (ve - vs > DKIM_MAX_TAGLEN) {
			*why = "tag value too long";
			return -1;
		}
		for (size_t k = 0; k < t->n; k++)
			if (t->t[k].nlen == ne - ns &&
			    memcmp(t->t[k].name, s + ns, ne - ns) == 0) {
				*why = "duplicate tag";
				return -1;
			}
		if (t->n == DKIM_MAX_TAGS) {
			*why = "too many tags";
			return -1;
		}
		t->t[t->n].name = s + ns;
		t->t[t->n].nlen = ne - ns;
		t->t[t->n].val = s + vs;
		t->t[t->n].vlen = ve - vs;
		t->n++;
		if (i < n)
			i++;	/* the ';' */
	}
}

const struct dkim_tag *
dkim_tag_get(const struct dkim_tags *t, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < t->n; i++)
		if (t->t[i].nlen == n && memcmp(t->t[i].name, name, n) == 0)
			return &t->t[i];
	return NULL;
}

/* ---------------------------------------------------------------- */
/* Key records */

static void
key_flags(const struct dkim_tag *tg, struct dkim_key *k)
{
	if (tg == NULL)
		return;
	k->testing = list_has(tg->val, tg->vlen, "y");
	k->strict = list_has(tg->val, tg->vlen, "s");
}

int
dkim_key_parse(const char *rec, size_t n, struct dkim_key *k,
    const char **why)
{
	struct dkim_tags t;
	const struct dkim_tag *tg;

	memset(k, 0, sizeof(*k));
	k->hashes = DKIM_H_SHA1 | DKIM_H_SHA256;
	k->email = true;
	if (dkim_tags_parse(rec, n, &t, why) < 0)
		return -1;
	if ((tg = dkim_tag_get(&t, "v")) != NULL &&
	    (tg != &t.t[0] || !dkim_word_is(tg->val, tg->vlen, "DKIM1"))) {
		*why = "key record: v= not DKIM1 or not first";
		return -1;
	}
	if ((tg = dkim_tag_get(&t, "k")) != NULL)
		k->k = dkim_word_is(tg->val, tg->vlen, "rsa") ? DKIM_K_RSA :
		    dkim_word_is(tg->val, tg->vlen, "ed25519") ? DKIM_K_ED25519 :
		    DKIM_K_OTHER;
	if ((tg = dkim_tag_get(&t, "h")) != NULL)
		k->hashes = (list_has(tg->val, tg->vlen, "sha1") ?
		    DKIM_H_SHA1 : 0) | (list_has(tg->val, tg->vlen,
		    "sha256") ? DKIM_H_SHA256 : 0);
	if ((tg = dkim_tag_get(&t, "s")) != NULL)
		k->email = list_has(tg->val, tg->vlen, "email") ||
		    list_has(tg->val, tg->vlen, "*");
	key_flags(dkim_tag_get(&t, "t"), k);
	if ((tg = dkim_tag_get(&t, "p")) == NULL) {
		*why = "key record without p=";
		return -1;
	}
	if (b64_decode(tg->val, tg->vlen, &k->p, &k->plen) < 0) {
		*why = "key record: bad base64 in p=";
		return -1;
	}
	if (k->plen == 0) {
		free(k->p);
		k->p = NULL;
		k->revoked = true;
	}
	return 0;
}

void
dkim_key_free(struct dkim_key *k)
{
	free(k->p);
	k->p = NULL;
}

/* ---------------------------------------------------------------- */
/* Canonicalization */

static int
canon_header_relaxed(const char *f, size_t n, struct buf *out)
{
	size_t i = 0, ne;
	bool wsp = false, any = false;

	while (i < n && f[i] != ':')
		i++;
	ne = i;
	while (ne > 0 && is_fws((unsigned char)f[ne - 1]))
		ne--;
	for (size_t k = 0; k < ne; k++)
		if (buf_putc(out, tolower((unsigned char)f[k])) < 0)
			return -1;
	if (buf_putc(out, ':') < 0)
		return -1;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)f[i];

		if (c == '\n' || (c == '\r' && i + 1 < n && f[i + 1] == '\n')
		    || (c == '\r' && i + 1 == n))
			continue;	/* unfolded */
		if (is_wsp(c)) {
			wsp = true;
			continue;
		}
		if (wsp && any && buf_putc(out, ' ') < 0)
			return -1;
		if (buf_putc(out, c) < 0)
			return -1;
		wsp = false;
		any = true;
	}
	return buf_append(out, "\r\n", 2);
}

static int
canon_header_simple(const char *f, size_t n, struct buf *out)
{
	size_t s = 0;

	for (size_t i = 0; i < n; i++) {
		if (f[i] != '\n')
			continue;
		/* f[s..i) is a line; without its CR, if any */
		size_t e = i > s && f[i - 1] == '\r' ? i - 1 : i;

		if (buf_append(out, f + s, e - s) < 0 ||
		    buf_append(out, "\r\n", 2) < 0)
			return -1;
		s = i + 1;
	}
	if (s < n) {
		size_t e = f[n - 1] == '\r' ? n - 1 : n;

		if (buf_append(out, f + s, e - s) < 0 ||
		    buf_append(out, "\r\n", 2) < 0)
			return -1;
	}
	return 0;
}

int
dkim_canon_header(enum dkim_canon c, const char *f, size_t n,
    struct buf *out)
{
	if (c == DKIM_CANON_RELAXED)
		return canon_header_relaxed(f, n, out);
	return canon_header_simple(f, n, out);
}

static void
body_flush(struct dkim_body *b)
{
	if (b->nout > 0)
		b->sink(b->arg, b->out, b->nout);
	b->nout = 0;
}

static void
body_emit(struct dkim_body *b, const void *p, size_t n)
{
	uint64_t room = b->limit - (b->total < b->limit ? b->total :
	    b->limit);
	size_t take = room < n ? (size_t)room : n;

	b->total += n;
	if (take == 0)
		return;
	if (take > sizeof(b->out) - b->nout) {
		body_flush(b);
		if (take >= sizeof(b->out)) {
			b->sink(b->arg, p, take);
			return;
		}
	}
	memcpy(b->out + b->nout, p, take);
	b->nout += take;
}

void
dkim_body_init(struct dkim_body *b, enum dkim_canon c, uint64_t limit,
    void (*sink)(void *arg, const void *p, size_t n), void *arg)
{
	memset(b, 0, sizeof(*b));
	b->canon = c;
	b->limit = limit;
	b->bol = true;
	b->sink = sink;
	b->arg = arg;
}

/* Content of a line (no CR or LF; in relaxed, no white space). */
static void
body_content(struct dkim_body *b, const unsigned char *p, size_t n)
{
	if (b->bol) {
		for (; b->blank > 0; b->blank--)
			body_emit(b, "\r\n", 2);
		b->bol = false;
	}
	if (b->wsp) {
		body_emit(b, " ", 1);
		b->wsp = false;
	}
	body_emit(b, p, n);
}

static void
body_eol(struct dkim_body *b)
{
	b->wsp = false;
	if (b->bol)
		b->blank++;
	else {
		body_emit(b, "\r\n", 2);
		b->bol = true;
	}
}

static bool
body_special(const struct dkim_body *b, unsigned char c)
{
	return c == '\r' || c == '\n' ||
	    (b->canon == DKIM_CANON_RELAXED && is_wsp(c));
}

void
dkim_body_update(struct dkim_body *b, const void *data, size_t n)
{
	const unsigned char *p = data, *end = p + n;

	while (p < end) {
		const unsigned char *q = p;

		if (b->cr) {
			b->cr = false;
			if (*p == '\n') {
				body_eol(b);
				p++;
				continue;
			}
			body_content(b, (const unsigned char *)"\r", 1);
		}
		while (q < end && !body_special(b, *q))
			q++;
		if (q > p) {
			body_content(b, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (*p == '\r')
			b->cr = true;
		else if (*p == '\n')
			body_eol(b);
		else
			b->wsp = true;
		p++;
	}
}

void
dkim_body_final(struct dkim_body *b)
{
	if (b->cr) {
		b->cr = false;
		body_content(b, (const unsigned char *)"\r", 1);
	}
	if (!b->bol)
		body_eol(b);
	/* Trailing empty lines are dropped: b->blank is never emitted. */
	if (b->canon == DKIM_CANON_SIMPLE && b->total == 0)
		body_emit(b, "\r\n", 2);
	body_flush(b);
}

/* ---------------------------------------------------------------- */
/* The header section */

size_t
dkim_split_header(const char *msg, size_t len, struct dkim_field **fv,
    size_t *nf)
{
	size_t pos = 0, cap = 0, n = 0;
	struct dkim_field *v = NULL;

	while (pos < len) {
		const char *nl = memchr(msg + pos, '\n', len - pos);
		size_t e = nl ? (size_t)(nl - msg) : len;
		size_t next = nl ? e + 1 : len;
		size_t ce = e > pos && msg[e - 1] == '\r' ? e - 1 : e;

		if (ce == pos) {
			pos = next;	/* the empty line */
			break;
		}
		if (n > 0 && is_wsp((unsigned char)msg[pos]))
			v[n - 1].len = next - v[n - 1].off;
		else {
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				v = xrealloc(v, cap * sizeof(*v));
			}
			v[n].off = pos;
			v[n].len = next - pos;
			n++;
		}
		pos = next;
	}
	for (size_t i = 0; i < n; i++) {
		const char *f = msg + v[i].off;
		const char *c = memchr(f, ':', v[i].len);
		size_t nl = c ? (size_t)(c - f) : 0;

		v[i].voff = c ? (size_t)(c - f) + 1 : v[i].len;
		while (nl > 0 && is_wsp((unsigned char)f[nl - 1]))
			nl--;
		v[i].nlen = nl;
		v[i].hash = name_hash(f, nl);
	}
	*fv = v;
	*nf = n;
	return pos;
}

static bool
field_is(const char *msg, const struct dkim_field *f, const char *name,
    size_t n, uint32_t hash)
{
	return f->nlen == n && f->hash == hash &&
	    strncasecmp(msg + f->off, name, n) == 0;
}

/* ---------------------------------------------------------------- */
/* Signatures */

static void
sig_set(struct vsig *v, enum dkim_status st, char *why)
{
	v->r->status = st;
	free(v->r->why);
	v->r->why = why;
	v->live = false;
}

static void
sig_err(struct vsig *v, enum dkim_status st, const char *why)
{
	sig_set(v, st, xstrdup(why));
}

static int
parse_alg(struct vsig *v, const struct dkim_tag *a)
{
	if (dkim_word_is(a->val, a->vlen, "rsa-sha256")) {
		v->alg = A_RSA_SHA256;
		v->md = EVP_sha256();
	} else if (dkim_word_is(a->val, a->vlen, "rsa-sha1")) {
		v->alg = A_RSA_SHA1;
		v->md = EVP_sha1();
		v->r->sha1 = true;
	} else if (dkim_word_is(a->val, a->vlen, "ed25519-sha256")) {
		v->alg = A_ED25519_SHA256;
		v->md = EVP_sha256();
	} else
		return -1;
	return 0;
}

int
dkim_canon_parse(const char *val, size_t n, enum dkim_canon *hc,
    enum dkim_canon *bc)
{
	const char *slash;
	size_t hn, bn;

	*hc = *bc = DKIM_CANON_SIMPLE;
	if (val == NULL)
		return 0;
	slash = memchr(val, '/', n);
	hn = slash ? (size_t)(slash - val) : n;
	bn = slash ? n - hn - 1 : 0;
	if (dkim_word_is(val, hn, "relaxed"))
		*hc = DKIM_CANON_RELAXED;
	else if (!dkim_word_is(val, hn, "simple"))
		return -1;
	if (slash == NULL)
		return 0;
	if (dkim_word_is(slash + 1, bn, "relaxed"))
		*bc = DKIM_CANON_RELAXED;
	else if (!dkim_word_is(slash + 1, bn, "simple"))
		return -1;
	return 0;
}

static int
parse_canon(struct vsig *v, const struct dkim_tag *c)
{
	return dkim_canon_parse(c ? c->val : NULL, c ? c->vlen : 0, &v->hc,
	    &v->bc);
}

/* h=: names split at ':'; -1 on an empty or bad name, or too many. */
static int
parse_h(struct vsig *v, const struct dkim_tag *h)
{
	size_t i = 0, n = h->vlen;
	const char *s = h->val;

	v->nh = 0;
	while (i <= n) {
		size_t b = i, e;

		while (i < n && s[i] != ':')
			i++;
		e = i++;
		while (b < e && is_fws((unsigned char)s[b]))
			b++;
		while (e > b && is_fws((unsigned char)s[e - 1]))
			e--;
		if (e == b || v->nh == DKIM_MAX_H)
			return -1;
		for (size_t k = b; k < e; k++)
			if ((unsigned char)s[k] <= ' ' ||
			    (unsigned char)s[k] >= 0x7f)
				return -1;
		v->h[v->nh].p = s + b;
		v->h[v->nh].n = e - b;
		v->h[v->nh].hash = name_hash(s + b, e - b);
		v->h[v->nh].first = v->nh;
		for (unsigned k = 0; k < v->nh; k++)
			if (v->h[k].n == e - b &&
			    strncasecmp(v->h[k].p, s + b, e - b) == 0) {
				v->h[v->nh].first = k;
				break;
			}
		v->nh++;
	}
	return 0;
}

static bool
h_has_from(const struct vsig *v)
{
	for (unsigned k = 0; k < v->nh; k++)
		if (dkim_word_is(v->h[k].p, v->h[k].n, "from"))
			return true;
	return false;
}

/* Whether domain dom (of i=) is d or a subdomain of it. */
static bool
within(const char *dom, const char *d, bool exact)
{
	size_t n = strlen(dom), m = strlen(d);

	if (n == m)
		return strcasecmp(dom, d) == 0;
	if (exact || n < m + 1)
		return false;
	return dom[n - m - 1] == '.' && strcasecmp(dom + n - m, d) == 0;
}

static const char *
i_domain(const char *i)
{
	const char *at = strrchr(i, '@');

	return at ? at + 1 : NULL;
}

/* The required tags, present and well formed; -1: neutral. */
static int
sig_required(struct vsig *v, const struct dkim_tags *t, const char **why)
{
	static const char *const req[] = { "v", "a", "b", "bh", "d", "h",
	    "s" };
	const struct dkim_tag *tg;
	bool ok;

	for (size_t k = 0; k < sizeof(req) / sizeof(req[0]); k++)
		if (dkim_tag_get(t, req[k]) == NULL) {
			*why = "required tag missing";
			return -1;
		}
	tg = dkim_tag_get(t, "v");
	if (!dkim_word_is(tg->val, tg->vlen, "1")) {
		*why = "v= is not 1";
		return -1;
	}
	if (parse_alg(v, dkim_tag_get(t, "a")) < 0) {
		*why = "unknown algorithm";
		return -1;
	}
	if (parse_canon(v, dkim_tag_get(t, "c")) < 0) {
		*why = "unknown canonicalization";
		return -1;
	}
	if ((tg = dkim_tag_get(t, "q")) != NULL &&
	    !list_has(tg->val, tg->vlen, "dns/txt") &&
	    !list_has(tg->val, tg->vlen, "dns")) {
		*why = "unknown query method";
		return -1;
	}
	tg = dkim_tag_get(t, "d");
	ok = name_ok(tg->val, tg->vlen);
	tg = dkim_tag_get(t, "s");
	if (!ok || !name_ok(tg->val, tg->vlen)) {
		*why = "bad d= or s=";
		return -1;
	}
	if (parse_h(v, dkim_tag_get(t, "h")) < 0) {
		*why = "bad h=";
		return -1;
	}
	tg = dkim_tag_get(t, "b");
	if (b64_decode(tg->val, tg->vlen, &v->b, &v->blen) < 0 ||
	    v->blen == 0) {
		*why = "bad b=";
		return -1;
	}
	tg = dkim_tag_get(t, "bh");
	if (b64_decode(tg->val, tg->vlen, &v->bh, &v->bhlen) < 0) {
		*why = "bad bh=";
		return -1;
	}
	return 0;
}

/* l=, t=, x=: numbers; -1 and *why (neutral) if not. */
static int
sig_numbers(struct vsig *v, const struct dkim_tags *t, uint64_t *ts,
    uint64_t *xs, const char **why)
{
	const struct dkim_tag *tg;

	v->l = UINT64_MAX;
	*ts = *xs = 0;
	if ((tg = dkim_tag_get(t, "l")) != NULL &&
	    parse_u64(tg->val, tg->vlen, &v->l) < 0) {
		*why = "bad l=";
		return -1;
	}
	if ((tg = dkim_tag_get(t, "t")) != NULL &&
	    parse_u64(tg->val, tg->vlen, ts) < 0) {
		*why = "bad t=";
		return -1;
	}
	if ((tg = dkim_tag_get(t, "x")) != NULL &&
	    (parse_u64(tg->val, tg->vlen, xs) < 0 ||
	    (dkim_tag_get(t, "t") != NULL && *xs < *ts))) {
		*why = "bad x=";
		return -1;
	}
	return 0;
}

/* The result's strings, from what the tags give. */
static void
sig_strings(struct vsig *v, const struct dkim_tags *t)
{
	const struct dkim_tag *tg;
	struct dkim_sig *r = v->r;

	free(r->d);
	free(r->s);
	free(r->a);
	free(r->b12);
	tg = dkim_tag_get(t, "d");
	r->d = tg ? dkim_copy_nows(tg->val, tg->vlen, true) : xstrdup("");
	tg = dkim_tag_get(t, "s");
	r->s = tg ? dkim_copy_nows(tg->val, tg->vlen, false) : xstrdup("");
	tg = dkim_tag_get(t, "a");
	r->a = tg ? dkim_copy_nows(tg->val, tg->vlen, false) : xstrdup("");
	tg = dkim_tag_get(t, "i");
	r->i = tg ? dkim_copy_nows(tg->val, tg->vlen, false) : NULL;
	tg = dkim_tag_get(t, "b");
	r->b12 = tg ? dkim_copy_nows(tg->val, tg->vlen, false) : xstrdup("");
	if (strlen(r->b12) > 12)
		r->b12[12] = '\0';
}

/* Parse the signature of field f; on an error, v is decided. */
static void
sig_parse(struct vsig *v, const char *msg, time_t now)
{
	const char *f = msg + v->f->off;
	const char *val = f + v->f->nlen;
	size_t vn = v->f->len - v->f->nlen;
	struct dkim_tags t;
	const char *why = NULL;
	uint64_t ts, xs;

	/* past the name, the white space and the colon */
	while (vn > 0 && *val != ':')
		val++, vn--;
	if (vn > 0)
		val++, vn--;
	if (dkim_tags_parse(val, vn, &t, &why) < 0) {
		sig_strings(v, &t);
		sig_err(v, DKIM_NEUTRAL, why);
		return;
	}
	sig_strings(v, &t);
	if (sig_required(v, &t, &why) < 0 ||
	    sig_numbers(v, &t, &ts, &xs, &why) < 0) {
		sig_err(v, DKIM_NEUTRAL, why);
		return;
	}
	if (!h_has_from(v)) {
		sig_err(v, DKIM_PERMERROR, "h= does not sign From");
		return;
	}
	if (v->r->i != NULL && (i_domain(v->r->i) == NULL ||
	    !within(i_domain(v->r->i), v->r->d, false))) {
		sig_err(v, DKIM_PERMERROR, "i= not within d=");
		return;
	}
	if (dkim_tag_get(&t, "x") != NULL && now >= 0 &&
	    (uint64_t)now > xs) {
		sig_err(v, DKIM_PERMERROR, "signature expired (x=)");
		return;
	}
	v->live = true;
}

/* ---------------------------------------------------------------- */
/* Keys */

static EVP_PKEY *
key_rsa(const unsigned char *p, size_t n)
{
	const unsigned char *q = p;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &q, (long)n);

	if (k == NULL) {
		/* some publish the bare RSAPublicKey (PKCS#1) */
		q = p;
		k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)n);
	}
	if (k != NULL && EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

static int
key_err(struct vsig *v, const char *why)
{
	sig_err(v, DKIM_PERMERROR, why);
	return -1;
}

/* The key record against the signature; the key made; -1: decided. */
static int
key_check(struct vsig *v, const struct dkim_key *k)
{
	bool ed = v->alg == A_ED25519_SHA256;
	unsigned need = v->alg == A_RSA_SHA1 ? DKIM_H_SHA1 : DKIM_H_SHA256;

	v->r->testing = k->testing;
	if (k->revoked)
		return key_err(v, "key revoked (p= empty)");
	if (k->k != (ed ? DKIM_K_ED25519 : DKIM_K_RSA))
		return key_err(v, "key k= does not match a=");
	if (!(k->hashes & need))
		return key_err(v, "key h= refuses the hash");
	if (!k->email)
		return key_err(v, "key s= is not email");
	if (k->strict && v->r->i != NULL &&
	    !within(i_domain(v->r->i), v->r->d, true))
		return key_err(v, "key t=s and i= in a subdomain of d=");
	if (ed) {
		if (k->plen == 32)
			v->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
			    NULL, k->p, k->plen);
	} else
		v->pkey = key_rsa(k->p, k->plen);
	ERR_clear_error();
	if (v->pkey == NULL)
		return key_err(v, "key p= does not decode");
	if (!ed) {
		v->r->key_bits = (unsigned)EVP_PKEY_get_bits(v->pkey);
		if (v->r->key_bits > DKIM_MAX_RSA_BITS)
			return key_err(v, "rsa key too long");
	}
	return 0;
}

static void
sig_key(struct vsig *v, struct auth_dns *dns)
{
	struct strlist out = { 0 };
	struct dkim_key k;
	const char *why = NULL;
	char *name = xasprintf("%s._domainkey.%s", v->r->s, v->r->d);
	enum dns_status st;

	if (strlen(name) > MAX_NAME) {
		free(name);
		sig_err(v, DKIM_PERMERROR, "key name too long");
		return;
	}
	st = auth_dns_lookup(dns, name, DNS_T_TXT, &out);
	free(name);
	if (st == DNS_ERROR || st == DNS_PENDING)
		sig_err(v, DKIM_TEMPERROR, st == DNS_ERROR ?
		    "key lookup failed" : "key lookup timed out");
	else if (st != DNS_OK || out.n == 0)
		sig_err(v, DKIM_PERMERROR, "no key record");
	else if (dkim_key_parse(out.v[0], strlen(out.v[0]), &k, &why) < 0) {
		dkim_key_free(&k);
		sig_err(v, DKIM_PERMERROR, why);
	} else {
		key_check(v, &k);
		dkim_key_free(&k);
	}
	strlist_free(&out);
}

/* ---------------------------------------------------------------- */
/* The body */

static void
md_sink(void *arg, const void *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

static void
body_start(struct vsig *sv, size_t nsv)
{
	for (size_t i = 0; i < nsv; i++) {
		struct vsig *v = &sv[i];

		v->share = -1;
		if (!v->live)
			continue;
		for (size_t j = 0; j < i && v->share < 0; j++)
			if (sv[j].bctx != NULL && sv[j].bc == v->bc &&
			    sv[j].l == v->l && sv[j].md == v->md)
				v->share = (int)j;
		if (v->share >= 0)
			continue;
		v->bctx = EVP_MD_CTX_new();
		if (v->bctx == NULL || !EVP_DigestInit_ex(v->bctx, v->md,
		    NULL)) {
			EVP_MD_CTX_free(v->bctx);
			v->bctx = NULL;
			sig_err(v, DKIM_TEMPERROR, "out of memory");
			continue;
		}
		dkim_body_init(&v->body, v->bc, v->l, md_sink, v->bctx);
	}
}

static void
body_pass(struct vsig *sv, size_t nsv, const char *body, size_t n)
{
	for (size_t off = 0; off < n; off += BODY_CHUNK) {
		size_t k = n - off < BODY_CHUNK ? n - off : BODY_CHUNK;

		for (size_t i = 0; i < nsv; i++)
			if (sv[i].bctx != NULL)
				dkim_body_update(&sv[i].body, body + off, k);
	}
	for (size_t i = 0; i < nsv; i++)
		if (sv[i].bctx != NULL) {
			dkim_body_final(&sv[i].body);
			EVP_DigestFinal_ex(sv[i].bctx, sv[i].bdig,
			    &sv[i].bdlen);
		}
}

/* Whether the body hash of v matches; why says how not. */
static bool
body_ok(const struct vsig *sv, const struct vsig *v, char **why)
{
	const struct vsig *o = v->share >= 0 ? &sv[v->share] : v;

	*why = NULL;
	if (v->l != UINT64_MAX && o->body.total < v->l) {
		*why = xasprintf("l=%llu beyond the body (%llu bytes)",
		    (unsigned long long)v->l,
		    (unsigned long long)o->body.total);
		return false;
	}
	if (v->bhlen != o->bdlen || memcmp(v->bh, o->bdig, o->bdlen) != 0) {
		*why = xstrdup("body hash mismatch");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- */
/* The header hash and the signature */

void
dkim_strip_b(const char *f, size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n && f[i] != ':')
		i++;
	/* find the tag named b: after ':' or ';', FWS, "b", FWS, '=' */
	while (i < n) {
		size_t j = skip_fws(f, n, i + 1);

		if (j < n && f[j] == 'b') {
			size_t k = skip_fws(f, n, j + 1);

			if (k < n && f[k] == '=') {
				size_t e = k + 1;

				while (e < n && f[e] != ';')
					e++;
				buf_append(out, f, k + 1);
				buf_append(out, f + e, n - e);
				return;
			}
		}
		while (++i < n && f[i] != ';')
			;
	}
	buf_append(out, f, n);
}

/* The signature's own field with b='s value removed. */
static void
sig_field_stripped(const struct vsig *v, const char *msg, struct buf *out)
{
	dkim_strip_b(msg + v->f->off, v->f->len, out);
}

static int
header_hash(const struct vsig *v, const char *msg, const struct dkim_field *fv,
    size_t nf, unsigned char *dig, unsigned *dlen)
{
	size_t cur[DKIM_MAX_H];
	struct buf raw, canon;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int rc = -1;

	buf_init(&raw, 0);
	buf_init(&canon, 0);
	if (c == NULL || !EVP_DigestInit_ex(c, v->md, NULL))
		goto out;
	for (unsigned k = 0; k < v->nh; k++)
		cur[k] = nf;
	for (unsigned k = 0; k < v->nh; k++) {
		const struct hname *h = &v->h[k];
		size_t *cp = &cur[h->first];

		while (*cp > 0 && !field_is(msg, &fv[*cp - 1], h->p, h->n,
		    h->hash))
			(*cp)--;
		if (*cp == 0)
			continue;	/* absent: the null string */
		(*cp)--;
		buf_reset(&canon);
		if (dkim_canon_header(v->hc, msg + fv[*cp].off, fv[*cp].len,
		    &canon) < 0)
			goto out;
		EVP_DigestUpdate(c, canon.p, canon.len);
	}
	sig_field_stripped(v, msg, &raw);
	buf_reset(&canon);
	if (dkim_canon_header(v->hc, raw.p, raw.len, &canon) < 0)
		goto out;
	EVP_DigestUpdate(c, canon.p, canon.len - 2);	/* no CRLF */
	if (EVP_DigestFinal_ex(c, dig, dlen))
		rc = 0;
out:
	EVP_MD_CTX_free(c);
	buf_free(&raw);
	buf_free(&canon);
	return rc;
}

static bool
sig_verify(const struct vsig *v, const unsigned char *dig, unsigned dlen)
{
	bool ok = false;

	if (v->alg == A_ED25519_SHA256) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		ok = c != NULL && EVP_DigestVerifyInit(c, NULL, NULL, NULL,
		    v->pkey) == 1 && EVP_DigestVerify(c, v->b, v->blen, dig,
		    dlen) == 1;
		EVP_MD_CTX_free(c);
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(v->pkey, NULL);

		ok = c != NULL && EVP_PKEY_verify_init(c) == 1 &&
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_CTX_set_signature_md(c, v->md) == 1 &&
		    EVP_PKEY_verify(c, v->b, v->blen, dig, dlen) == 1;
		EVP_PKEY_CTX_free(c);
	}
	ERR_clear_error();
	return ok;
}

static void
sig_finish(struct vsig *sv, struct vsig *v, const char *msg,
    const struct dkim_field *fv, size_t nf)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char *bwhy;
	bool bok = body_ok(sv, v, &bwhy), sok;

	if (header_hash(v, msg, fv, nf, dig, &dlen) < 0) {
		free(bwhy);
		sig_err(v, DKIM_TEMPERROR, "out of memory");
		return;
	}
	sok = sig_verify(v, dig, dlen);
	if (!bok) {
		v->r->body_mismatch = true;
		sig_set(v, DKIM_FAIL, xasprintf("%s%s", bwhy, sok ?
		    " (the header signature verifies)" :
		    " (the header signature fails too)"));
		free(bwhy);
	} else if (!sok)
		sig_err(v, DKIM_FAIL, "signature does not verify");
	else if (v->r->key_bits != 0 && v->r->key_bits < 1024)
		sig_set(v, DKIM_POLICY, xasprintf("rsa key of %u bits "
		    "(under 1024)", v->r->key_bits));
	else
		sig_err(v, DKIM_PASS, v->r->testing ?
		    "verified (testing key)" : "verified");
}

/* ---------------------------------------------------------------- */

static void
vsig_free(struct vsig *v)
{
	free(v->b);
	free(v->bh);
	EVP_PKEY_free(v->pkey);
	EVP_MD_CTX_free(v->bctx);
}

void
dkim_verify_at(const char *msg, size_t len, struct auth_dns *dns,
    time_t now, struct dkim_results *out)
{
	struct dkim_field *fv = NULL;
	size_t nf = 0, body, nsv = 0;
	struct vsig sv[DKIM_MAX_SIGS];
	static const char dk[] = "dkim-signature";
	uint32_t dkh = name_hash(dk, sizeof(dk) - 1);

	memset(out, 0, sizeof(*out));
	memset(sv, 0, sizeof(sv));
	body = dkim_split_header(msg, len, &fv, &nf);
	for (size_t i = 0; i < nf; i++) {
		if (!field_is(msg, &fv[i], dk, sizeof(dk) - 1, dkh))
			continue;
		if (nsv == DKIM_MAX_SIGS) {
			out->unchecked++;
			continue;
		}
		sv[nsv++].f = &fv[i];
	}
	if (nsv > 0)
		out->v = xcalloc(nsv, sizeof(*out->v));
	out->n = nsv;
	for (size_t i = 0; i < nsv; i++) {
		sv[i].r = &out->v[i];
		sig_parse(&sv[i], msg, now);
		if (sv[i].live)
			sig_key(&sv[i], dns);
	}
	body_start(sv, nsv);
	body_pass(sv, nsv, msg + body, len - body);
	for (size_t i = 0; i < nsv; i++)
		if (sv[i].live)
			sig_finish(sv, &sv[i], msg, fv, nf);
	for (size_t i = 0; i < nsv; i++)
		vsig_free(&sv[i]);
	free(fv);
}

void
dkim_verify(const char *msg, size_t len, struct auth_dns *dns,
    struct dkim_results *out)
{
	dkim_verify_at(msg, len, dns, time(NULL), out);
}

/* ---------------------------------------------------------------- */
/* Pieces for ARC (arc.c) */

int
dkim_b64_decode(const char *s, size_t n, unsigned char **out,
    size_t *outlen)
{
	return b64_decode(s, n, out, outlen);
}

enum dkim_status
dkim_verify_digest(struct auth_dns *dns, const char *alg, const char *d,
    const char *s, const unsigned char *dig, unsigned dlen,
    const unsigned char *sig, size_t slen, char **why)
{
	struct vsig v;
	struct dkim_sig r;
	struct dkim_tag a;

	memset(&v, 0, sizeof(v));
	memset(&r, 0, sizeof(r));
	v.r = &r;
	a.name = "a";
	a.nlen = 1;
	a.val = alg;
	a.vlen = strlen(alg);
	if (!name_ok(d, strlen(d)) || !name_ok(s, strlen(s)))
		sig_err(&v, DKIM_NEUTRAL, "bad d= or s=");
	else if (parse_alg(&v, &a) < 0)
		sig_err(&v, DKIM_NEUTRAL, "unknown algorithm");
	else if (slen == 0)
		sig_err(&v, DKIM_NEUTRAL, "bad b=");
	else {
		r.d = xstrdup(d);
		r.s = xstrdup(s);
		v.live = true;
		sig_key(&v, dns);
	}
	if (v.live) {
		v.b = xmalloc(slen);
		memcpy(v.b, sig, slen);
		v.blen = slen;
		if (!sig_verify(&v, dig, dlen))
			sig_err(&v, DKIM_FAIL, "signature does not verify");
		else if (r.key_bits != 0 && r.key_bits < 1024)
			sig_set(&v, DKIM_POLICY, xasprintf("rsa key of %u "
			    "bits (under 1024)", r.key_bits));
		else
			sig_err(&v, DKIM_PASS, r.testing ?
			    "verified (testing key)" : "verified");
	}
	vsig_free(&v);
	free(r.d);
	free(r.s);
	if (why != NULL)
		*why = r.why;
	else
		free(r.why);
	return r.status;
}

void
dkim_results_free(struct dkim_results *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct dkim_sig *s = &r->v[i];

		free(s->d);
		free(s->s);
		free(s->a);
		free(s->i);
		free(s->b12);
		free(s->why);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
	r->unchecked = 0;
}

const char *
dkim_status_name(enum dkim_status s)
{
	switch (s) {
	case DKIM_NONE: return "none";
	case DKIM_PASS: return "pass";
	case DKIM_FAIL: return "fail";
	case DKIM_NEUTRAL: return "neutral";
	case DKIM_POLICY: return "policy";
	case DKIM_TEMPERROR: return "temperror";
	case DKIM_PERMERROR: return "permerror";
	}
	return "unknown";
}
