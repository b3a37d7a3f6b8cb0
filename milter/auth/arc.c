/*
 * arc.c -- the Authenticated Received Chain verified (RFC 8617); see
 * arc.h for what each result means.
 *
 * arc_verify() reads the header section once into a table of fields,
 * takes the ARC fields' instances (at most 3 * ARC_MAX_SETS fields;
 * each ARC-Message-Signature and ARC-Seal parsed as a DKIM tag list,
 * each ARC-Authentication-Results by its leading "i=N;"), checks the
 * sets' structure and cv= values, then verifies the newest
 * ARC-Message-Signature (its body hash, then its signature) and the
 * ARC-Seals from the newest down, stopping at the first failure.  The
 * tag lists, the canonicalization, base64 and the keys are dkim.c's.
 *
 * Hostile input is the normal case: instances are bounded before they
 * index anything, every loop is bounded by the fields, the sets, the
 * tags and the body, and the strings handed back are cleaned.
 *
 * Threads: no state outside a call.  Ownership: struct arc_results and
 * its strings are the caller's.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "arc.h"
#include "auth_dns.h"
#include "dkim.h"
#include "dmarc.h"
#include "util.h"

#define MAX_FIELDS	(3 * ARC_MAX_SETS)
#define BODY_CHUNK	65536

enum kind { K_AAR = 0, K_AMS, K_AS, K_OTHER };

struct body_hash {
	enum dkim_canon c;
	uint64_t l;
	const EVP_MD *md;
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen;
	uint64_t total;
};

struct ctx {
	const char *msg;
	size_t  len;
	size_t  body;		/* where the body starts */
	struct dkim_field *fv;
	size_t  nf;
	/* the ARC fields of each instance: index into fv, or -1 */
	long    set[ARC_MAX_SETS + 1][3];
	struct auth_dns *dns;
	struct body_hash bodies[ARC_MAX_BODIES];
	size_t  nbodies;
};

/* ---------------------------------------------------------------- */
/* Small helpers */

static bool
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The reason, without parentheses or control bytes (it goes into a
 * header comment). */
static void set_why(struct arc_results *r, const char *fmt, ...)
    WARDEN_PRINTF(2, 3);

static void
set_why(struct arc_results *r, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(r->why);
	r->why = buf_steal(&b);
	for (char *p = r->why; *p; p++)
		if (*p == '(' || *p == ')' || (unsigned char)*p < ' ' ||
		    *p == 0x7f || *p == '\\')
			*p = ' ';
}

#define FAIL(r, ...) do { \
	(r)->result = ARC_FAIL; \
	set_why((r), __VA_ARGS__); \
} while (0)

/* ---------------------------------------------------------------- */
/* The header section */

static enum kind
field_kind(const char *msg, const struct dkim_field *f)
{
	const char *p = msg + f->off;

	if (dkim_word_is(p, f->nlen, "ARC-Authentication-Results"))
		return K_AAR;
	if (dkim_word_is(p, f->nlen, "ARC-Message-Signature"))
		return K_AMS;
	if (dkim_word_is(p, f->nlen, "ARC-Seal"))
		return K_AS;
	return K_OTHER;
}

static const char *
fval(const struct ctx *c, const struct dkim_field *f, size_t *n)
{
	*n = f->len - f->voff;
	return c->msg + f->off + f->voff;
}

/* An instance number: 1..ARC_MAX_SETS, digits only; 0 if not. */
static unsigned
instance(const char *s, size_t n)
{
	unsigned v = 0;

	if (n == 0 || n > 3)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v >= 1 && v <= ARC_MAX_SETS ? v : 0;
}

/* The instance of an ARC-Authentication-Results value ("i=N;" first),
 * and where its text starts (*rest). */
static unsigned
aar_instance(const char *s, size_t n, size_t *rest)
{
	size_t i = 0, d;
	unsigned v;

	while (i < n && is_fws((unsigned char)s[i]))
		i++;
	if (i == n || s[i] != 'i')
		return 0;
	i++;
	while (i < n && is_fws((unsigned char)s[i]))
		i++;
	if (i == n || s[i] != '=')
		return 0;
	i++;
	while (i < n && is_fws((unsigned char)s[i]))
		i++;
	d = i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	v = instance(s + d, i - d);
	while (i < n && is_fws((unsigned char)s[i]))
		i++;
	if (v == 0 || i == n || s[i] != ';')
		return 0;
	*rest = i + 1;
	return v;
}

/* The instance of a tag list's i=; 0 with *why if none. */
static unsigned
tags_instance(const struct dkim_tags *t)
{
	const struct dkim_tag *tg = dkim_tag_get(t, "i");

	return tg != NULL ? instance(tg->val, tg->vlen) : 0;
}

/* A string tag's value, without white space, or "". */
static char *
tag_str(const struct dkim_tags *t, const char *name, bool lower)
{
	const struct dkim_tag *tg = dkim_tag_get(t, name);

	return tg != NULL ? dkim_copy_nows(tg->val, tg->vlen, lower) :
	    xstrdup("");
}

static int
parse_field(const struct ctx *c, long idx, struct dkim_tags *t,
    const char **why)
{
	size_t n;
	const char *v = fval(c, &c->fv[idx], &n);

	return dkim_tags_parse(v, n, t, why);
}

/* ---------------------------------------------------------------- */
/* Signatures */

/* a= to a hash: 0, or -1 (unknown; *rsa1 set for rsa-sha1). */
static int
alg_md(const struct dkim_tag *a, const EVP_MD **md, char **alg)
{
	*alg = dkim_copy_nows(a->val, a->vlen, true);
	if (strcmp(*alg, "rsa-sha256") == 0 ||
	    strcmp(*alg, "ed25519-sha256") == 0) {
		*md = EVP_sha256();
		return 0;
	}
	return -1;
}

static void
md_sink(void *arg, const void *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

/* The body hash for (canon, l, md): computed once; NULL when the bound
 * on body hashes is reached or the hash cannot be made. */
static const struct body_hash *
body_hash(struct ctx *c, enum dkim_canon canon, uint64_t l,
    const EVP_MD *md)
{
	struct dkim_body *b;
	struct body_hash *h;
	EVP_MD_CTX *mc;

	for (size_t i = 0; i < c->nbodies; i++)
		if (c->bodies[i].c == canon && c->bodies[i].l == l &&
		    c->bodies[i].md == md)
			return &c->bodies[i];
	if (c->nbodies == ARC_MAX_BODIES)
		return NULL;
	mc = EVP_MD_CTX_new();
	if (mc == NULL || !EVP_DigestInit_ex(mc, md, NULL)) {
		EVP_MD_CTX_free(mc);
		return NULL;
	}
	h = &c->bodies[c->nbodies];
	b = xmalloc(sizeof(*b));
	dkim_body_init(b, canon, l, md_sink, mc);
	for (size_t off = c->body; off < c->len; off += BODY_CHUNK) {
		size_t k = c->len - off < BODY_CHUNK ? c->len - off :
		    BODY_CHUNK;

		dkim_body_update(b, c->msg + off, k);
	}
	dkim_body_final(b);
	h->c = canon;
	h->l = l;
	h->md = md;
	h->total = b->total;
	EVP_DigestFinal_ex(mc, h->dig, &h->dlen);
	EVP_MD_CTX_free(mc);
	free(b);
	c->nbodies++;
	return h;
}

/* Append field idx to d's hash in canon hc; the signature's own field
 * (own) with b= removed and no final CRLF. */
static int
hash_field(EVP_MD_CTX *d, const struct ctx *c, long idx,
    enum dkim_canon hc, bool own)
{
	const struct dkim_field *f = &c->fv[idx];
	struct buf raw, canon;
	int rc;

	buf_init(&raw, 0);
	buf_init(&canon, 0);
	if (own) {
		dkim_strip_b(c->msg + f->off, f->len, &raw);
		rc = dkim_canon_header(hc, raw.p, raw.len, &canon);
		if (rc == 0 && canon.len >= 2)
			canon.len -= 2;
	} else
		rc = dkim_canon_header(hc, c->msg + f->off, f->len, &canon);
	if (rc == 0)
		EVP_DigestUpdate(d, canon.p, canon.len);
	buf_free(&raw);
	buf_free(&canon);
	return rc;
}

/* The signature's b=, the key lookup and the check: the status and
 * *why. */
static enum dkim_status
sig_check(struct ctx *c, const struct dkim_tags *t, const char *alg,
    const unsigned char *dig, unsigned dlen, char **why)
{
	const struct dkim_tag *b = dkim_tag_get(t, "b");
	unsigned char *sig = NULL;
	size_t slen = 0;
	char *d = tag_str(t, "d", true), *s = tag_str(t, "s", false);
	enum dkim_status st;

	if (dkim_b64_decode(b->val, b->vlen, &sig, &slen) < 0 || slen == 0) {
		*why = xstrdup("bad b=");
		st = DKIM_NEUTRAL;
	} else
		st = dkim_verify_digest(c->dns, alg, d, s, dig, dlen, sig,
		    slen, why);
	free(sig);
	free(d);
	free(s);
	return st;
}

static bool
has_tags(const struct dkim_tags *t, const char *const *req, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (dkim_tag_get(t, req[k]) == NULL)
			return false;
	return true;
}

/* Whether h= names name (the colon-separated list). */
static bool
h_names(const struct dkim_tag *h, const char *name)
{
	size_t i = 0, n = h->vlen;

	while (i <= n) {
		size_t b = i, e;

		while (i < n && h->val[i] != ':')
			i++;
		e = i++;
		while (b < e && is_fws((unsigned char)h->val[b]))
			b++;
		while (e > b && is_fws((unsigned char)h->val[e - 1]))
			e--;
		if (dkim_word_is(h->val + b, e - b, name))
			return true;
	}
	return false;
}

/* The AMS's header fields of h=, each taken from the bottom up (a
 * name repeated takes the next field of that name upwards). */
static int
hash_h(EVP_MD_CTX *d, const struct ctx *c, const struct dkim_tag *h,
    enum dkim_canon hc, const char **why)
{
	struct { const char *p; size_t n, first; } hn[DKIM_MAX_H];
	size_t cur[DKIM_MAX_H];
	size_t nh = 0, i = 0, n = h->vlen;

	while (i <= n) {
		size_t b = i, e;

		while (i < n && h->val[i] != ':')
			i++;
		e = i++;
		while (b < e && is_fws((unsigned char)h->val[b]))
			b++;
		while (e > b && is_fws((unsigned char)h->val[e - 1]))
			e--;
		if (e == b || nh == DKIM_MAX_H) {
			*why = "bad h=";
			return -1;
		}
		hn[nh].p = h->val + b;
		hn[nh].n = e - b;
		hn[nh].first = nh;
		for (size_t k = 0; k < nh; k++)
			if (hn[k].n == e - b &&
			    strncasecmp(hn[k].p, h->val + b, e - b) == 0) {
				hn[nh].first = k;
				break;
			}
		cur[nh] = c->nf;
		nh++;
	}
	for (size_t k = 0; k < nh; k++) {
		size_t *cp = &cur[hn[k].first];

		while (*cp > 0 && !(c->fv[*cp - 1].nlen == hn[k].n &&
		    strncasecmp(c->msg + c->fv[*cp - 1].off, hn[k].p,
		    hn[k].n) == 0))
			(*cp)--;
		if (*cp == 0)
			continue;	/* absent: the null string */
		(*cp)--;
		if (hash_field(d, c, (long)*cp, hc, false) < 0) {
			*why = "out of memory";
			return -1;
		}
	}
	return 0;
}

/* The ARC-Message-Signature of instance k: its status, *why set. */
static enum dkim_status
ams_check(struct ctx *c, unsigned k, char **why)
{
	static const char *const req[] = { "i", "a", "b", "bh", "d", "h",
	    "s" };
	struct dkim_tags *t = xmalloc(sizeof(*t));
	const struct dkim_tag *tg;
	const struct body_hash *bh;
	const EVP_MD *md = NULL;
	enum dkim_canon hc, bc;
	const struct dkim_tag *ctag;
	uint64_t l = UINT64_MAX;
	unsigned char *bhv = NULL, dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	size_t bhlen = 0;
	char *alg = NULL;
	const char *w = NULL;
	enum dkim_status st = DKIM_NEUTRAL;
	EVP_MD_CTX *d = NULL;

	*why = NULL;
	if (parse_field(c, c->set[k][K_AMS], t, &w) < 0)
		goto out;
	if (!has_tags(t, req, sizeof(req) / sizeof(req[0]))) {
		w = "required tag missing";
		goto out;
	}
	if (alg_md(dkim_tag_get(t, "a"), &md, &alg) < 0) {
		w = "unknown or refused algorithm";
		goto out;
	}
	ctag = dkim_tag_get(t, "c");
	if (dkim_canon_parse(ctag ? ctag->val : NULL, ctag ? ctag->vlen : 0,
	    &hc, &bc) < 0) {
		w = "unknown canonicalization";
		goto out;
	}
	if ((tg = dkim_tag_get(t, "l")) != NULL) {
		l = 0;
		if (tg->vlen == 0 || tg->vlen > 18) {
			w = "bad l=";
			goto out;
		}
		for (size_t i = 0; i < tg->vlen; i++) {
			if (!isdigit((unsigned char)tg->val[i])) {
				w = "bad l=";
				goto out;
			}
			l = l * 10 + (uint64_t)(tg->val[i] - '0');
		}
	}
	st = DKIM_PERMERROR;
	if (h_names(dkim_tag_get(t, "h"), "arc-seal")) {
		w = "h= names ARC-Seal";
		goto out;
	}
	st = DKIM_NEUTRAL;
	tg = dkim_tag_get(t, "bh");
	if (dkim_b64_decode(tg->val, tg->vlen, &bhv, &bhlen) < 0) {
		w = "bad bh=";
		goto out;
	}
	if ((bh = body_hash(c, bc, l, md)) == NULL) {
		st = DKIM_NONE;
		w = "not checked: too many body hashes";
		goto out;
	}
	st = DKIM_FAIL;
	if (l != UINT64_MAX && bh->total < l) {
		w = "l= beyond the body";
		goto out;
	}
	if (bhlen != bh->dlen || memcmp(bhv, bh->dig, bhlen) != 0) {
		w = "body hash mismatch";
		goto out;
	}
	st = DKIM_TEMPERROR;
	d = EVP_MD_CTX_new();
	if (d == NULL || !EVP_DigestInit_ex(d, md, NULL)) {
		w = "out of memory";
		goto out;
	}
	if (hash_h(d, c, dkim_tag_get(t, "h"), hc, &w) < 0) {
		st = DKIM_NEUTRAL;
		goto out;
	}
	if (hash_field(d, c, c->set[k][K_AMS], hc, true) < 0 ||
	    !EVP_DigestFinal_ex(d, dig, &dlen)) {
		w = "out of memory";
		goto out;
	}
	st = sig_check(c, t, alg, dig, dlen, why);
out:
	if (*why == NULL)
		*why = xstrdup(w != NULL ? w : "not checked");
	EVP_MD_CTX_free(d);
	free(bhv);
	free(alg);
	free(t);
	return st;
}

/* The ARC-Seal of instance k. */
static enum dkim_status
as_check(struct ctx *c, unsigned k, char **why)
{
	static const char *const req[] = { "i", "a", "b", "cv", "d", "s" };
	struct dkim_tags *t = xmalloc(sizeof(*t));
	const EVP_MD *md = NULL;
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char *alg = NULL;
	const char *w = NULL;
	enum dkim_status st = DKIM_NEUTRAL;
	EVP_MD_CTX *d = NULL;

	*why = NULL;
	if (parse_field(c, c->set[k][K_AS], t, &w) < 0)
		goto out;
	if (!has_tags(t, req, sizeof(req) / sizeof(req[0]))) {
		w = "required tag missing";
		goto out;
	}
	if (dkim_tag_get(t, "h") != NULL) {
		st = DKIM_PERMERROR;
		w = "h= in an ARC-Seal";
		goto out;
	}
	if (alg_md(dkim_tag_get(t, "a"), &md, &alg) < 0) {
		w = "unknown or refused algorithm";
		goto out;
	}
	st = DKIM_TEMPERROR;
	d = EVP_MD_CTX_new();
	if (d == NULL || !EVP_DigestInit_ex(d, md, NULL)) {
		w = "out of memory";
		goto out;
	}
	for (unsigned j = 1; j <= k; j++)
		if (hash_field(d, c, c->set[j][K_AAR], DKIM_CANON_RELAXED,
		    false) < 0 || hash_field(d, c, c->set[j][K_AMS],
		    DKIM_CANON_RELAXED, false) < 0 || hash_field(d, c,
		    c->set[j][K_AS], DKIM_CANON_RELAXED, j == k) < 0) {
			w = "out of memory";
			goto out;
		}
	if (!EVP_DigestFinal_ex(d, dig, &dlen)) {
		w = "out of memory";
		goto out;
	}
	st = sig_check(c, t, alg, dig, dlen, why);
out:
	if (*why == NULL)
		*why = xstrdup(w != NULL ? w : "not checked");
	EVP_MD_CTX_free(d);
	free(alg);
	free(t);
	return st;
}

/* ---------------------------------------------------------------- */
/* The chain */

/* The ARC fields by instance; -1 (fail set) on a structure error. */
static int
collect(struct ctx *c, struct arc_results *r)
{
	static const char *const names[] = { "ARC-Authentication-Results",
	    "ARC-Message-Signature", "ARC-Seal" };
	struct dkim_tags *t = xmalloc(sizeof(*t));
	size_t narc = 0;
	unsigned max = 0;
	int rc = -1;

	for (unsigned i = 0; i <= ARC_MAX_SETS; i++)
		c->set[i][0] = c->set[i][1] = c->set[i][2] = -1;
	for (size_t f = 0; f < c->nf; f++) {
		enum kind k = field_kind(c->msg, &c->fv[f]);
		const char *v, *why = NULL;
		size_t n, rest;
		unsigned i;

		if (k == K_OTHER)
			continue;
		r->present = true;
		if (++narc > MAX_FIELDS) {
			FAIL(r, "more than %d ARC header fields",
			    MAX_FIELDS);
			goto out;
		}
		v = fval(c, &c->fv[f], &n);
		if (k == K_AAR)
			i = aar_instance(v, n, &rest);
		else if (dkim_tags_parse(v, n, t, &why) < 0) {
			FAIL(r, "%s: bad tag list", names[k]);
			goto out;
		} else
			i = tags_instance(t);
		if (i == 0) {
			FAIL(r, "%s without a valid i=", names[k]);
			goto out;
		}
		if (c->set[i][k] >= 0) {
			FAIL(r, "two %s of i=%u", names[k], i);
			goto out;
		}
		c->set[i][k] = (long)f;
		if (i > max)
			max = i;
	}
	for (unsigned i = 1; i <= max; i++)
		for (int k = 0; k < 3; k++)
			if (c->set[i][k] < 0) {
				FAIL(r, "no %s of i=%u", names[k], i);
				goto out;
			}
	r->n = max;
	rc = 0;
out:
	free(t);
	return rc;
}

/* The AAR text past "i=N;", unfolded, control bytes made spaces. */
static char *
aar_text(const struct ctx *c, long idx)
{
	size_t n, rest = 0, s, e;
	const char *v = fval(c, &c->fv[idx], &n);
	char *out;

	aar_instance(v, n, &rest);
	s = rest;
	e = n;
	while (s < e && is_fws((unsigned char)v[s]))
		s++;
	while (e > s && is_fws((unsigned char)v[e - 1]))
		e--;
	out = xstrndup(v + s, e - s);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	return out;
}

/* The sets' strings; -1 (fail set) on a seal that does not parse or a
 * cv= out of place. */
static int
fill_sets(struct ctx *c, struct arc_results *r)
{
	struct dkim_tags *t = xmalloc(sizeof(*t));
	const char *why;
	int rc = 0;

	r->sets = xcalloc(r->n, sizeof(*r->sets));
	for (unsigned i = 1; i <= r->n; i++) {
		struct arc_set *s = &r->sets[i - 1];

		s->i = i;
		s->aar = aar_text(c, c->set[i][K_AAR]);
		if (parse_field(c, c->set[i][K_AMS], t, &why) == 0) {
			s->ams_d = tag_str(t, "d", true);
			s->ams_s = tag_str(t, "s", false);
		} else {
			s->ams_d = xstrdup("");
			s->ams_s = xstrdup("");
		}
		if (parse_field(c, c->set[i][K_AS], t, &why) == 0) {
			s->as_d = tag_str(t, "d", true);
			s->as_s = tag_str(t, "s", false);
			s->cv = tag_str(t, "cv", true);
		} else {
			s->as_d = xstrdup("");
			s->as_s = xstrdup("");
			s->cv = xstrdup("");
		}
	}
	for (unsigned i = r->n; i >= 1 && rc == 0; i--)
		if (strcmp(r->sets[i - 1].cv, "fail") == 0) {
			FAIL(r, "cv=fail at i=%u", i);
			rc = -1;
		}
	for (unsigned i = 1; i <= r->n && rc == 0; i++) {
		const char *want = i == 1 ? "none" : "pass";

		if (strcmp(r->sets[i - 1].cv, want) != 0) {
			FAIL(r, "cv=%s at i=%u, not %s", r->sets[i - 1].cv,
			    i, want);
			rc = -1;
		}
	}
	free(t);
	return rc;
}

void
arc_verify(const char *msg, size_t len, struct auth_dns *dns,
    struct arc_results *out)
{
	struct ctx *c = xcalloc(1, sizeof(*c));
	char *why = NULL;
	enum dkim_status st;
	unsigned oldest;

	memset(out, 0, sizeof(*out));
	out->why = xstrdup("no ARC header fields");
	c->msg = msg;
	c->len = len;
	c->dns = dns;
	c->body = dkim_split_header(msg, len, &c->fv, &c->nf);
	if (collect(c, out) < 0 || !out->present)
		goto done;
	if (fill_sets(c, out) < 0)
		goto done;
	/* The newest AMS */
	st = ams_check(c, (unsigned)out->n, &why);
	out->sets[out->n - 1].ams = st;
	if (st != DKIM_PASS) {
		set_why(out, "ARC-Message-Signature i=%zu %s: %s", out->n,
		    dkim_status_name(st), why);
		out->result = ARC_FAIL;
		goto done;
	}
	free(why);
	why = NULL;
	/* Every seal, the newest first */
	for (unsigned k = (unsigned)out->n; k >= 1; k--) {
		st = as_check(c, k, &why);
		out->sets[k - 1].as = st;
		if (st != DKIM_PASS) {
			set_why(out, "ARC-Seal i=%u %s: %s", k,
			    dkim_status_name(st), why);
			out->result = ARC_FAIL;
			goto done;
		}
		free(why);
		why = NULL;
	}
	out->result = ARC_PASS;
	set_why(out, "i=%zu d=%s", out->n, out->sets[out->n - 1].as_d);
	/* oldest-pass: the older AMSes, down to the first that fails */
	oldest = (unsigned)out->n;
	for (unsigned k = (unsigned)out->n - 1; k >= 1; k--) {
		st = ams_check(c, k, &why);
		out->sets[k - 1].ams = st;
		free(why);
		why = NULL;
		if (st != DKIM_PASS)
			break;
		oldest = k;
	}
	out->oldest_pass = oldest == 1 ? 0 : oldest;
done:
	free(why);
	free(c->fv);
	free(c);
}

void
arc_results_free(struct arc_results *r)
{
	for (size_t i = 0; r->sets != NULL && i < r->n; i++) {
		struct arc_set *s = &r->sets[i];

		free(s->aar);
		free(s->ams_d);
		free(s->ams_s);
		free(s->as_d);
		free(s->as_s);
		free(s->cv);
	}
	free(r->sets);
	free(r->why);
	memset(r, 0, sizeof(*r));
}

const char *
arc_result_name(enum arc_result r)
{
	switch (r) {
	case ARC_NONE: return "none";
	case ARC_PASS: return "pass";
	case ARC_FAIL: return "fail";
	}
	return "unknown";
}

const char *
arc_sealer(const struct arc_results *r)
{
	if (r->result != ARC_PASS || r->sets == NULL || r->n == 0 ||
	    r->sets[r->n - 1].as_d[0] == '\0')
		return NULL;
	return r->sets[r->n - 1].as_d;
}

/* ---------------------------------------------------------------- */
/* What an ARC-Authentication-Results says */

/* The organizational domain of d, or d itself. */
static char *
org(const char *d)
{
	char *o = dmarc_org_domain(d);

	return o != NULL ? o : xstrdup(d);
}

/* Whether domain d (an address's, or a name) aligns with from's
 * organizational domain. */
static bool
aligned(const char *v, const char *from_org)
{
	const char *at = strrchr(v, '@');
	char *d, *o;
	bool ok;
	size_t n;

	d = xstrdup(at != NULL ? at + 1 : v);
	n = strlen(d);
	while (n > 0 && d[n - 1] == '.')
		d[--n] = '\0';
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (d[0] == '\0') {
		free(d);
		return false;
	}
	o = org(d);
	ok = strcmp(o, from_org) == 0;
	free(o);
	free(d);
	return ok;
}

/* One resinfo ("method=result prop=value ...", comments gone): whether
 * it vouches. */
static bool
resinfo_vouches(char *s, const char *from, const char *from_org)
{
	char *save = NULL, *tok, *eq;
	char method[16];
	bool pass, header_from = false, ok = false;
	size_t mn;

	tok = strtok_r(s, " \t", &save);
	if (tok == NULL || (eq = strchr(tok, '=')) == NULL)
		return false;
	mn = strcspn(tok, "/=");
	if (mn == 0 || mn >= sizeof(method))
		return false;
	memcpy(method, tok, mn);
	method[mn] = '\0';
	pass = strcasecmp(eq + 1, "pass") == 0;
	if (!pass)
		return false;
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		char *v = strchr(tok, '=');
		size_t vn;

		if (v == NULL)
			continue;
		*v++ = '\0';
		vn = strlen(v);
		if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
			v[vn - 1] = '\0';
			v++;
		}
		if (strcasecmp(method, "dmarc") == 0 &&
		    strcasecmp(tok, "header.from") == 0) {
			header_from = true;
			if (strcasecmp(v, from) == 0)
				ok = true;
		} else if (strcasecmp(method, "dkim") == 0 &&
		    (strcasecmp(tok, "header.d") == 0 ||
		    strcasecmp(tok, "header.i") == 0) && aligned(v, from_org))
			ok = true;
		else if (strcasecmp(method, "spf") == 0 &&
		    (strcasecmp(tok, "smtp.mailfrom") == 0 ||
		    strcasecmp(tok, "smtp.helo") == 0) && aligned(v, from_org))
			ok = true;
	}
	if (strcasecmp(method, "dmarc") == 0 && !header_from)
		ok = true;
	return ok;
}

bool
arc_aar_vouches(const char *aar, const char *from_domain)
{
	struct buf b;
	char *from_org, *save = NULL, *seg;
	int depth = 0;
	bool quoted = false, first = true, ok = false;

	if (aar == NULL || from_domain == NULL || from_domain[0] == '\0')
		return false;
	/* Comments out; white space around '=' out. */
	buf_init(&b, 0);
	for (const char *p = aar; *p; p++) {
		if (quoted) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = false;
			buf_putc(&b, *p);
			continue;
		}
		if (depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			continue;
		}
		if (*p == '(') {
			depth = 1;
			buf_putc(&b, ' ');
		} else if (*p == '"') {
			quoted = true;
			buf_putc(&b, *p);
		} else if (*p == '=') {
			while (b.len > 0 && (b.p[b.len - 1] == ' ' ||
			    b.p[b.len - 1] == '\t'))
				b.len--;
			buf_putc(&b, '=');
			while (p[1] == ' ' || p[1] == '\t')
				p++;
		} else
			buf_putc(&b, (unsigned char)*p < ' ' ? ' ' : *p);
	}
	if (b.p == NULL) {
		buf_free(&b);
		return false;
	}
	from_org = org(from_domain);
	for (seg = strtok_r(b.p, ";", &save); seg != NULL && !ok;
	    seg = strtok_r(NULL, ";", &save)) {
		if (first) {	/* the authserv-id */
			first = false;
			continue;
		}
		ok = resinfo_vouches(seg, from_domain, from_org);
	}
	free(from_org);
	buf_free(&b);
	return ok;
}
