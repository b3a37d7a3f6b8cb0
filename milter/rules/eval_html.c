/*
 * eval_html.c -- SpamAssassin's HTMLEval tests, on every HTML part of
 * the MIME structure (eval_mime.c) analysed as HTML.pm does (html.c).
 * It owns the cache's html part (the analyses, which BodyEval reads
 * too) and its table of tests.
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

/* ---- HTMLEval ---- */

#define MAX_HTML_INPUT	(10u << 20)	/* decoded bytes of one part */

/*
 * The MIME walk's analysis of part i, when it made one (the body rules
 * asked for MIME_HTML): each HTML part is analysed once per message.
 */
static const struct mime_html *
html_lend(const struct eval_ctx *ec, size_t i)
{
	const struct mime_text *mt = ec->mt;

	if (mt == NULL)
		return NULL;
	for (size_t j = 0; j < mt->nhtml; j++)
		if (mt->html[j].part == i)
			return &mt->html[j];
	return NULL;
}

static void
html_add(struct eval_html_cache *c, size_t part, struct html *h, bool lent)
{
	c->html = xrealloc(c->html, (c->nhtml + 1) * sizeof(*c->html));
	c->html_part = xrealloc(c->html_part, (c->nhtml + 1) *
	    sizeof(*c->html_part));
	c->html_lent = xrealloc(c->html_lent, (c->nhtml + 1) *
	    sizeof(*c->html_lent));
	c->html_part[c->nhtml] = part;
	c->html[c->nhtml] = h;
	c->html_lent[c->nhtml] = lent;
	c->nhtml++;
}

/*
 * Message.pm's html_all: every leaf part whose effective type is
 * text/html and whose decoded text is not empty, converted to UTF-8
 * from its charset (SpamAssassin's normalize_charset) and analysed as
 * HTML.pm does (html.c), or the MIME walk's analysis of the same part.
 * The parts are bounded by the tree (max_mime_parts), each at
 * MAX_HTML_INPUT decoded bytes.
 */
struct eval_html_cache *
eval_html_work(struct eval_ctx *ec)
{
	struct eval_html_cache *c = &eval_cache_get(ec)->html;
	const struct mtree *m = rules_tree(ec);

	if (c->html_done)
		return c;
	c->html_done = true;

	for (size_t i = 0; i < m->nparts; i++) {
		const struct mtree_part *p = &m->parts[i];
		const struct mime_html *lent;
		const struct buf *d;
		struct buf u;

		if (!p->leaf || !p->html)
			continue;
		if ((lent = html_lend(ec, i)) != NULL) {
			if (lent->srclen == 0)
				continue;
			html_add(c, i, lent->h, true);
			continue;
		}
		d = mtree_decoded(m, i, NULL);
		if (d->len == 0)
			continue;
		buf_init(&u, 0);
		mime_to_utf8(p->charset, d->p, d->len < MAX_HTML_INPUT ?
		    d->len : MAX_HTML_INPUT, &u);
		if (u.p == NULL)
			buf_puts(&u, "");
		html_add(c, i, html_analyze(u.p, u.len), false);
		buf_free(&u);
	}
	return c;
}

/* The analysis of part mime.parts[part], or NULL (not HTML, or empty). */
const struct html *
eval_html_of_part(const struct eval_html_cache *c, size_t part)
{
	for (size_t i = 0; i < c->nhtml; i++)
		if (c->html_part[i] == part)
			return c->html[i];
	return NULL;
}

/*
 * The comparisons html_eval() and html_tag_balance() accept: SpamAssassin
 * evaluates "$val EXPR" for EXPR of [<>=!+- 0-9]; the forms used are an
 * operator and a number ("< 512", "!= 0").  Anything else never holds.
 */
static bool
expr_holds(double val, const char *expr)
{
	const char *p = expr;
	char op[3] = { 0 };
	size_t k = 0;
	char *end;
	double num;

	while (*p == ' ')
		p++;
	while ((*p == '<' || *p == '>' || *p == '=' || *p == '!') && k < 2)
		op[k++] = *p++;
	while (*p == ' ')
		p++;
	num = strtod(p, &end);
	if (end == p || (*p != '-' && *p != '+' && !isdigit((unsigned char)*p)))
		return false;
	for (p = end; *p == ' '; p++)
		;
	if (*p != '\0')
		return false;
	if (strcmp(op, "<") == 0)
		return val < num;
	if (strcmp(op, "<=") == 0)
		return val <= num;
	if (strcmp(op, ">") == 0)
		return val > num;
	if (strcmp(op, ">=") == 0)
		return val >= num;
	if (strcmp(op, "==") == 0)
		return val == num;
	if (strcmp(op, "!=") == 0)
		return val != num;
	return false;
}

/* html_test('KEY'): some part has the flag (html: any HTML part). */
static unsigned
ev_html_test(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_html_cache *c = eval_html_work(ec);

	for (size_t i = 0; i < c->nhtml; i++)
		if (html_flag(c->html[i], r->eargs[0]))
			return 1;
	return 0;
}

/* html_range('KEY', MIN, MAX): MIN < value <= MAX; MAX may be "inf". */
static unsigned
ev_html_range(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_html_cache *c = eval_html_work(ec);
	double min, max = 0, v;
	bool inf = r->neargs < 3 || strcmp(r->eargs[2], "inf") == 0;

	if (!eval_arg_num(r->eargs[1], &min) || (!inf &&
	    !eval_arg_num(r->eargs[2], &max)))
		return 0;
	for (size_t i = 0; i < c->nhtml; i++)
		if (html_value(c->html[i], r->eargs[0], &v) && v > min &&
		    (inf || v <= max))
			return 1;
	return 0;
}

/* html_eval('KEY', 'EXPR') */
static unsigned
ev_html_eval(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_html_cache *c = eval_html_work(ec);
	double v;

	for (size_t i = 0; i < c->nhtml; i++)
		if (html_value(c->html[i], r->eargs[0], &v) &&
		    expr_holds(v, r->eargs[1]))
			return 1;
	return 0;
}

/* html_tag_balance('TAG', 'EXPR'): opens minus closes of TAG. */
static unsigned
ev_html_tag_balance(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_html_cache *c = eval_html_work(ec);

	for (const char *p = r->eargs[0]; *p; p++)
		if (!isalnum((unsigned char)*p))
			return 0;
	for (size_t i = 0; i < c->nhtml; i++) {
		long n = html_inside(c->html[i], r->eargs[0]);

		if (n >= 0 && expr_holds((double)n, r->eargs[1]))
			return 1;
	}
	return 0;
}

/* html_tag_exists('TAG') */
static unsigned
ev_html_tag_exists(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_html_cache *c = eval_html_work(ec);

	for (size_t i = 0; i < c->nhtml; i++)
		if (html_inside(c->html[i], r->eargs[0]) >= 0)
			return 1;
	return 0;
}

/* html_image_only(MIN, MAX): an <img> and MIN < HTML length <= MAX. */
static unsigned
ev_html_image_only(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_html_cache *c = eval_html_work(ec);
	double min, max;

	if (!eval_arg_num(r->eargs[0], &min) ||
	    !eval_arg_num(r->eargs[1], &max))
		return 0;
	for (size_t i = 0; i < c->nhtml; i++) {
		double len = (double)c->html[i]->length;

		if (html_inside(c->html[i], "img") >= 0 && len > min &&
		    len <= max)
			return 1;
	}
	return 0;
}

/* html_image_ratio(MIN, MAX): visible characters per pixel of image. */
static unsigned
ev_html_image_ratio(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_html_cache *c = eval_html_work(ec);
	double min, max;

	if (!eval_arg_num(r->eargs[0], &min) ||
	    !eval_arg_num(r->eargs[1], &max))
		return 0;
	for (size_t i = 0; i < c->nhtml; i++) {
		const struct html *h = c->html[i];
		double ratio;

		if (h->image_area <= 0)
			continue;
		ratio = (double)h->non_space_len / h->image_area;
		if (ratio > min && ratio <= max)
			return 1;
	}
	return 0;
}

/*
 * html_text_match('LIST', 'REGEX') and html_text_not_match(): some
 * string of the list (comment, title, anchor, script) matches (does not
 * match) the regex, taken whole as SpamAssassin's compile_regexp($re, 0)
 * takes it (no delimiters, no flags) and compiled once, when the rule is
 * defined (r->ere[0], prep_text_match()).  An invalid regex never hits.
 * The text is the sender's HTML: a regex that reaches the PCRE2 limits
 * on it counts as not matching.
 */
static unsigned
text_match(const struct rule *r, struct eval_ctx *ec, bool want)
{
	struct eval_html_cache *c = eval_html_work(ec);
	unsigned hit = 0;

	if (c->nhtml == 0 || r->ere == NULL || r->ere[0] == NULL)
		return 0;
	for (size_t i = 0; i < c->nhtml && !hit; i++) {
		const struct strlist *l = html_list(c->html[i], r->eargs[0]);

		for (size_t k = 0; l != NULL && k < l->n && !hit; k++)
			if (eval_arg_match(r->ere[0], l->v[k]) == want)
				hit = 1;
	}
	return hit;
}

static void
prep_text_match(struct rule *r, int na)
{
	(void)na;
	r->ere = xcalloc(EVAL_NRE, sizeof(*r->ere));
	r->ere[0] = rx_compile(r->eargs[1], PCRE2_ZERO_TERMINATED, PCRE2_UTF,
	    true, NULL, 0);
}

static unsigned
ev_html_text_match(const struct rule *r, struct eval_ctx *ec)
{
	return text_match(r, ec, true);
}

static unsigned
ev_html_text_not_match(const struct rule *r, struct eval_ctx *ec)
{
	return text_match(r, ec, false);
}

/*
 * html_title_subject_ratio(RATIO): some part's longest title (a "0"
 * title counts as none, as in Perl) is over RATIO times the Subject's
 * length, both in characters, the Subject as get() returns it.
 */
static unsigned
ev_html_title_subject_ratio(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_html_cache *c;
	char *subj;
	double ratio, slen;
	unsigned hit = 0;

	if (!eval_arg_num(r->eargs[0], &ratio))
		return 0;
	subj = eval_hget(ec, "Subject", 0, NULL);
	slen = (double)g_utf8_strlen(subj, -1);
	free(subj);
	if (slen == 0)
		return 0;
	c = eval_html_work(ec);
	for (size_t i = 0; i < c->nhtml && !hit; i++) {
		double max = 0;

		for (size_t k = 0; k < c->html[i]->title.n; k++) {
			const char *t = c->html[i]->title.v[k];
			double l;

			if (*t == '\0' || strcmp(t, "0") == 0)
				continue;
			l = (double)g_utf8_strlen(t, -1) / slen;
			if (l > max)
				max = l;
		}
		hit = max > ratio;
	}
	return hit;
}

/* check_iframe_src(): some <iframe> has a src. */
static unsigned
ev_iframe_src(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_html_cache *c = eval_html_work(ec);

	(void)r;
	for (size_t i = 0; i < c->nhtml; i++)
		if (c->html[i]->iframe_src)
			return 1;
	return 0;
}

/* ---- The table ---- */

const struct eval_def eval_html_tests[] = {
	/* HTMLEval.  html_charset_faraway() is eval_never: SpamAssassin's
	 * results never carry the charsets it reads, and ok_locales is
	 * "all" in the stock configuration anyway. */
	{ "html_test", K_BODY, 1, 1, MIME_HTML, ev_html_test },
	{ "html_range", K_BODY, 2, 3, MIME_HTML, ev_html_range },
	{ "html_eval", K_BODY, 2, 2, MIME_HTML, ev_html_eval },
	{ "html_tag_balance", K_BODY, 2, 2, MIME_HTML, ev_html_tag_balance },
	{ "html_tag_exists", K_BODY, 1, 1, MIME_HTML, ev_html_tag_exists },
	{ "html_image_only", K_BODY, 2, 2, MIME_HTML, ev_html_image_only },
	{ "html_image_ratio", K_BODY, 2, 2, MIME_HTML, ev_html_image_ratio },
	{ "html_text_match", K_BODY, 2, 2, MIME_HTML, ev_html_text_match,
	  prep_text_match },
	{ "html_text_not_match", K_BODY, 2, 2, MIME_HTML,
	  ev_html_text_not_match, prep_text_match },
	{ "html_title_subject_ratio", K_BODY, 1, 1, MIME_HTML,
	  ev_html_title_subject_ratio },
	{ "html_charset_faraway", K_BODY, 0, 0, 0, eval_never },
	{ "check_iframe_src", K_BODY, 0, 0, MIME_HTML, ev_iframe_src },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

void
eval_html_free(struct cache *c)
{
	for (size_t i = 0; i < c->html.nhtml; i++)
		if (!c->html.html_lent[i])
			html_free(c->html.html[i]);
	free(c->html.html);
	free(c->html.html_part);
	free(c->html.html_lent);
}
