/*
 * results.c -- accumulating hits and troubles for one message.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "results.h"

#define MATCH_KEEP 200		/* bytes of matched text kept per hit */

void
results_init(struct results *r)
{
	memset(r, 0, sizeof(*r));
}

void
results_free(struct results *r)
{
	for (size_t i = 0; i < r->nhits; i++)
		free(r->hits[i].matched);
	free(r->hits);
	reply_free(&r->decided.reply);
	free(r->decided.source);
	free(r->virus);
	free(r->av_version);
	free(r->limit);
	free(r->error);
	free(r->stats.why);
	free(r->stats.evidence);
	free(r->stats.tokens);
	auth_results_free(r->auth);
	memset(r, 0, sizeof(*r));
}

static char *
dup_opt(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
results_copy(struct results *dst, const struct results *src)
{
	results_free(dst);
	*dst = *src;
	dst->hits = src->cap ? xcalloc(src->cap, sizeof(*dst->hits)) : NULL;
	for (size_t i = 0; i < src->nhits; i++) {
		dst->hits[i] = src->hits[i];
		dst->hits[i].matched = dup_opt(src->hits[i].matched);
	}
	dst->decided.reply.text = dup_opt(src->decided.reply.text);
	dst->decided.source = dup_opt(src->decided.source);
	dst->virus = dup_opt(src->virus);
	dst->av_version = dup_opt(src->av_version);
	dst->limit = dup_opt(src->limit);
	dst->error = dup_opt(src->error);
	dst->stats.why = dup_opt(src->stats.why);
	dst->stats.evidence = dup_opt(src->stats.evidence);
	dst->stats.tokens = NULL;
	dst->auth = NULL;	/* a message's own: never copied */
	if (src->stats.tokens != NULL) {
		dst->stats.tokens = xcalloc(src->stats.ntok + 1,
		    sizeof(*dst->stats.tokens));
		memcpy(dst->stats.tokens, src->stats.tokens,
		    src->stats.ntok * sizeof(*dst->stats.tokens));
	}
}

struct hit *
results_add_hit(struct results *r, const char *name, const char *kind,
    const char *describe, double score, const char *matched,
    size_t matched_len)
{
	struct hit *h;

	for (size_t i = 0; i < r->nhits; i++)
		if (strcmp(r->hits[i].name, name) == 0) {
			h = &r->hits[i];
			h->count++;
			h->score += score;
			r->score += score;
			return h;
		}
	if (r->nhits == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->hits = xrealloc(r->hits, r->cap * sizeof(*r->hits));
	}
	h = &r->hits[r->nhits++];
	h->name = name;
	h->kind = kind;
	h->describe = describe;
	h->score = score;
	h->count = 1;
	h->matched = NULL;
	if (matched != NULL)
		h->matched = xstrndup(matched,
		    matched_len > MATCH_KEEP ? MATCH_KEEP : matched_len);
	r->score += score;
	return h;
}

bool
results_has_hit(const struct results *r, const char *name)
{
	for (size_t i = 0; i < r->nhits; i++)
		if (strcmp(r->hits[i].name, name) == 0)
			return true;
	return false;
}

void
results_decide(struct results *r, enum action a, const struct reply *reply,
    const char *source)
{
	if (r->decided.action != ACT_NONE || a == ACT_NONE)
		return;
	r->decided.action = a;
	if (reply != NULL && reply->code[0]) {
		r->decided.reply = *reply;
		r->decided.reply.text = dup_opt(reply->text);
	}
	r->decided.source = dup_opt(source);
}

void
results_set_limit(struct results *r, const char *name)
{
	if (r->limit == NULL)
		r->limit = xstrdup(name);
}

void
results_set_error(struct results *r, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	r->internal_error = true;
	if (r->error != NULL)
		return;
	buf_init(&b, 0);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	r->error = buf_steal(&b);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
results_tests(const struct results *r, struct buf *out, const char *sep)
{
	const char **names = xcalloc(r->nhits + 1, sizeof(*names));
	size_t n = 0;

	for (size_t i = 0; i < r->nhits; i++)
		if (strncmp(r->hits[i].name, "__", 2) != 0)
			names[n++] = r->hits[i].name;
	qsort(names, n, sizeof(*names), cmp_str);
	if (n == 0)
		buf_puts(out, "none");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_puts(out, sep);
		buf_puts(out, names[i]);
	}
	free(names);
}

void
results_dns_trouble(struct results *r, const char *what)
{
	if (r->dns == NULL || strcmp(what, "error") == 0)
		r->dns = what;
}
