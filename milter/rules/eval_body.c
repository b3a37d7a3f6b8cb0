/*
 * eval_body.c -- SpamAssassin's BodyEval tests: the difference between
 * the parts of a multipart/alternative, the body's length, lines and
 * signature, stock tips.  It reads the MIME structure (eval_mime.c) and
 * the HTML analysis (eval_html.c), and owns the cache's body part and
 * its table of tests.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "eval_int.h"
#include "html.h"
#include "mime.h"
#include "rx.h"
#include "util.h"

/* ---- BodyEval ---- */

/* Words of rendered text (split on white space, those with a word
 * character) counted into t. */
static void
count_words(GHashTable *t, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j;
		bool word = false;

		while (i < n && isspace((unsigned char)s[i]))
			i++;
		for (j = i; j < n && !isspace((unsigned char)s[j]); j++)
			if (isalnum((unsigned char)s[j]) || s[j] == '_' ||
			    (unsigned char)s[j] >= 0x80)
				word = true;
		if (j > i && word) {
			char *w = xstrndup(s + i, j - i);
			gpointer old = g_hash_table_lookup(t, w);

			g_hash_table_replace(t, w,
			    GUINT_TO_POINTER(GPOINTER_TO_UINT(old) + 1));
		}
		i = j;
	}
}

static bool
inside_of(const struct mtree *m, size_t part, size_t anc)
{
	for (int p = m->parts[part].parent; p >= 0; p = m->parts[p].parent)
		if ((size_t)p == anc)
			return true;
	return false;
}

static void
madiff_work(struct eval_ctx *ec)
{
	struct eval_html_cache *hc = eval_html_work(ec);
	const struct mtree *m = rules_tree(ec);
	struct eval_body_cache *b = &eval_cache_get(ec)->body;

	if (b->madiff_done)
		return;
	b->madiff_done = true;
	/* Only an HTML part and a calendar in the alternative: no test. */
	if (m->nparts == 3 &&
	    strcmp(m->parts[0].type, "multipart/alternative") == 0 &&
	    strcmp(m->parts[1].type, "text/html") == 0 &&
	    strcmp(m->parts[2].type, "text/calendar") == 0)
		return;
	for (size_t a = 0; a < m->nparts; a++) {
		GHashTable *html, *text;
		GHashTableIter it;
		gpointer k, v;
		unsigned orig, left;
		double diff;

		if (strncmp(m->parts[a].type, "multipart/alternative", 21) != 0)
			continue;
		html = g_hash_table_new_full(g_str_hash, g_str_equal, free,
		    NULL);
		text = g_hash_table_new_full(g_str_hash, g_str_equal, free,
		    NULL);
		for (size_t i = 0; i < m->nparts; i++) {
			const struct mtree_part *p = &m->parts[i];
			const struct html *h;
			const struct buf *d;
			struct buf u;

			if (!p->leaf || strncmp(p->type, "text", 4) != 0 ||
			    !inside_of(m, i, a))
				continue;
			/* HTML as SpamAssassin renders it (the analysis
			 * eval_html_work() made), the rest decoded */
			if (strcmp(p->type, "text/html") == 0) {
				h = eval_html_of_part(hc, i);
				if (h != NULL)
					count_words(html, h->text.p,
					    h->text.len);
				if (g_hash_table_size(html) == 0 && h != NULL &&
				    html_inside(h, "img") >= 0)
					g_hash_table_replace(html, xstrdup("\n"),
					    GUINT_TO_POINTER(1));
				continue;
			}
			d = mtree_decoded(m, i, NULL);
			buf_init(&u, 0);
			mime_to_utf8(p->charset, d->p, d->len, &u);
			count_words(text, u.p ? u.p : "", u.len);
			buf_free(&u);
		}
		orig = g_hash_table_size(html);
		if (orig > 0) {
			b->madiff_html = orig;
			b->madiff_text = g_hash_table_size(text);
			g_hash_table_iter_init(&it, text);
			while (g_hash_table_iter_next(&it, &k, &v)) {
				gpointer hv = g_hash_table_lookup(html, k);

				if (hv != NULL && (long)GPOINTER_TO_UINT(hv) -
				    (long)GPOINTER_TO_UINT(v) < 1)
					g_hash_table_remove(html, k);
			}
			left = g_hash_table_size(html);
			diff = (double)left / orig * 100;
			if (diff > b->madiff)
				b->madiff = diff;
		}
		g_hash_table_destroy(html);
		g_hash_table_destroy(text);
	}
}

static unsigned
ev_madiff(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_body_cache *b = &eval_cache_get(ec)->body;
	double min, max;

	madiff_work(ec);
	if (!eval_arg_num(r->eargs[0], &min))
		return 0;
	if ((min == 0 || b->madiff > min) &&
	    (!eval_arg_num(r->eargs[1], &max) || b->madiff <= max))
		return 1;
	return 0;
}

static unsigned
ev_madiff_count(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_body_cache *b = &eval_cache_get(ec)->body;
	double ratio, minhtml;

	madiff_work(ec);
	if (!eval_arg_num(r->eargs[0], &ratio) ||
	    !eval_arg_num(r->eargs[1], &minhtml))
		return 0;
	if (!((double)b->madiff_html > minhtml))
		return 0;
	return (double)b->madiff_text / b->madiff_html > ratio;
}

static unsigned
ev_body_length(const struct rule *r, struct eval_ctx *ec)
{
	const struct mtree *m = rules_tree(ec);
	double min;
	size_t body = 0;

	if (!eval_arg_num(r->eargs[0], &min))
		return 0;
	/* The body: everything after the header's blank line. */
	{
		const char *p = strstr(m->text, "\n\n");

		if (p != NULL)
			body = m->textlen - (size_t)(p + 2 - m->text);
	}
	return (double)body <= min;
}

static unsigned
ev_blank_line_ratio(const struct rule *r, struct eval_ctx *ec)
{
	const struct strlist *l = &ec->mt->rawbody;
	double min, max, minlines = 1, ratio;
	size_t blank = 0;

	if (!eval_arg_num(r->eargs[0], &min) ||
	    !eval_arg_num(r->eargs[1], &max))
		return 0;
	if (r->neargs > 2 && eval_arg_num(r->eargs[2], &minlines) &&
	    minlines < 1)
		minlines = 1;
	for (size_t i = 0; i < l->n; i++) {
		bool nonws = false;

		for (const char *p = l->v[i]; *p && !nonws; p++)
			if (!isspace((unsigned char)*p))
				nonws = true;
		if (!nonws)
			blank++;
	}
	ratio = (double)l->n < minlines ? -1 : 100.0 * blank /
	    (double)(l->n ? l->n : 1);
	return (min == 0 && ratio <= max) || (ratio > min && ratio <= max);
}

static unsigned
ev_tvd_vertical_words(const struct rule *r, struct eval_ctx *ec)
{
	const struct strlist *b = &ec->mt->body;
	double min, max;
	long best = -1;

	if (!eval_arg_num(r->eargs[0], &min) ||
	    !eval_arg_num(r->eargs[1], &max))
		return 0;
	if (max >= 100)
		max = 101;
	for (size_t i = 0; i < b->n; i++) {
		const char *l = b->v[i];
		size_t n = strlen(l), sp = 0, non;
		long pct;

		if (n <= 5)
			continue;
		for (size_t k = 0; k < n; k++)
			if (l[k] == ' ')
				sp++;
		non = n - sp;
		if (sp > non || non == 0)
			pct = 100;
		else
			pct = (long)(100 * sp / non);
		if (pct > best)
			best = pct;
	}
	return (double)best >= min && (double)best < max;
}

/*
 * BodyEval's signature split of the first text/plain part: the body's
 * length, the signature's (after the last "-- " line with more than 4
 * bytes after it) and their ratio (10^6 without a signature).
 */
static bool
sig_split(struct eval_ctx *ec, double *body, double *sig, double *ratio)
{
	const struct mtree *m = rules_tree(ec);
	const struct buf *d;
	size_t i, lb, ls = 0, at = 0;

	for (i = 0; i < m->nparts; i++)
		if (m->parts[i].leaf && strcmp(m->parts[i].type,
		    "text/plain") == 0)
			break;
	if (i == m->nparts)
		return false;
	d = mtree_decoded(m, i, NULL);
	lb = d->len;
	while (d->p != NULL && at < d->len) {
		const char *nl = memchr(d->p + at, '\n', d->len - at);
		size_t n = nl ? (size_t)(nl - d->p) - at : d->len - at;
		size_t k = n;

		if (k > 0 && d->p[at + k - 1] == '\r')
			k--;
		if ((k == 2 || (k == 3 && d->p[at + 2] == ' ')) &&
		    d->p[at] == '-' && d->p[at + 1] == '-' &&
		    d->len - (at + n) > 4) {
			lb = at;
			ls = d->len - (at + n);
		}
		at += n + 1;
	}
	*body = (double)lb;
	*sig = (double)ls;
	*ratio = ls ? (double)lb / (double)ls : 1e6;
	return true;
}

static unsigned
ev_plaintext(const struct rule *r, struct eval_ctx *ec)
{
	double v[3], min, max;
	int which = strcmp(r->eval->name, "plaintext_body_length") == 0 ? 0 :
	    strcmp(r->eval->name, "plaintext_sig_length") == 0 ? 1 : 2;

	if (!sig_split(ec, &v[0], &v[1], &v[2]) ||
	    !eval_arg_num(r->eargs[0], &min))
		return 0;
	if (r->neargs > 1 && eval_arg_num(r->eargs[1], &max))
		return v[which] >= min && v[which] <= max;
	return v[which] >= min;
}

static unsigned
ev_stock_info(const struct rule *r, struct eval_ctx *ec)
{
	const struct mtree *m = rules_tree(ec);
	struct strlist seen = { 0 };
	const struct buf *d;
	size_t dn;
	double min;
	size_t i, at = 0, ov[4];

	if (!eval_arg_num(r->eargs[0], &min))
		return 0;

	for (i = 0; i < m->nparts; i++)
		if (m->parts[i].leaf && strcmp(m->parts[i].type,
		    "text/plain") == 0)
			break;
	if (i == m->nparts)
		return min <= 0;
	d = mtree_decoded(m, i, NULL);
	dn = d->len < 1024 * 1024 ? d->len : 1024 * 1024;
	while (d->p != NULL && at < dn && eval_rx_exec(RX_STOCK_ITEM, d->p,
	    dn, at, ov, 2)) {
		char *w = xstrndup(d->p + ov[2], ov[3] - ov[2]), *q = w;

		for (char *p = w; *p; p++) {
			char c = (char)tolower((unsigned char)*p);

			if (c >= 'a' && c <= 'z')
				*q++ = c;
		}
		*q = '\0';
		if (eval_rx_match(RX_STOCK_WORD, w) &&
		    !strlist_contains(&seen, w))
			strlist_add(&seen, w);
		free(w);
		at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	i = seen.n;
	strlist_free(&seen);
	return min == 0 || (double)i >= min;
}

/* ---- The table ---- */

const struct eval_def eval_body_tests[] = {
	/* BodyEval */
	{ "multipart_alternative_difference", K_ANY, 2, 2, MIME_HTML,
	  ev_madiff },
	{ "multipart_alternative_difference_count", K_ANY, 2, 2, MIME_HTML,
	  ev_madiff_count },
	{ "check_body_length", K_ANY, 1, 1, 0, ev_body_length },
	{ "check_blank_line_ratio", K_BODY, 2, 3, MIME_RAWBODY,
	  ev_blank_line_ratio },
	{ "tvd_vertical_words", K_BODY, 2, 2, MIME_BODY,
	  ev_tvd_vertical_words },
	{ "check_stock_info", K_ANY, 1, 1, 0, ev_stock_info },
	{ "plaintext_body_length", K_ANY, 1, 2, 0, ev_plaintext },
	{ "plaintext_sig_length", K_ANY, 1, 2, 0, ev_plaintext },
	{ "plaintext_body_sig_ratio", K_ANY, 1, 2, 0, ev_plaintext },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
