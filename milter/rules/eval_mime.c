/*
 * eval_mime.c -- the MIMEEval tests.  They read the message's one MIME
 * tree (mtree.h: the parts as SpamAssassin's Message.pm splits them,
 * their lines and the parse flags), as BodyEval and HTMLEval do; this
 * file owns the cache's mime part (_check_attachments' counts) and its
 * table of tests.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval_int.h"
#include "mime.h"
#include "mtree.h"
#include "rx.h"
#include "util.h"

/* ---- MIMEEval ---- */

static void
attachments_work(struct eval_ctx *ec)
{
	struct eval_mime_cache *m = &eval_cache_get(ec)->mime;
	const struct mtree *tr;
	size_t qp_bytes = 0, normal = 0;
	double qp_count = 0;
	unsigned unicode = 0;
	int part = -1;
	size_t *part_bytes;
	bool *part_counted;
	const char **part_type;
	struct buf cs;

	tr = rules_tree(ec);
	if (m->att_done)
		return;
	m->att_done = true;
	m->multipart_ratio = 1.0;
	part_bytes = xcalloc(tr->nparts + 1, sizeof(*part_bytes));
	part_counted = xcalloc(tr->nparts + 1, sizeof(*part_counted));
	part_type = xcalloc(tr->nparts + 1, sizeof(*part_type));
	buf_init(&cs, 64 * 1024);
	for (size_t oi = 0; oi < tr->norder; oi++) {
		const struct mtree_part *p = &tr->parts[tr->order[oi]];
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
			const struct mtree_line *l = &tr->lines[li];
			/* Perl's lines keep their "\n" (the last may not). */
			size_t len = l->n + (l->nl ? 1 : 0);

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
			    (p->charset[0] == '\0' ||
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
		return rules_tree(ec)->missing_boundary;
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
	const struct mtree *tr;
	const char *t = r->eargs[r->neargs - 1];

	tr = rules_tree(ec);
	if (strcmp(t, "missing_head_body_separator") == 0)
		return tr->missing_hb_sep;
	if (strcmp(t, "missing_mime_head_body_separator") == 0)
		return tr->missing_mime_hb_sep;
	if (strcmp(t, "mime_epilogue_exists") == 0)
		return tr->epilogue;
	if (strcmp(t, "missing_mime_headers") == 0)
		return tr->missing_mime_headers;
	if (strcmp(t, "truncated_header") == 0)
		return tr->truncated_header;
	if (strcmp(t, "mimepart_limit_exceeded") == 0)
		return tr->part_limit;
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
	const struct mtree *tr;
	double min, max;
	bool have_max;

	tr = rules_tree(ec);
	if (!m->base64_len_done) {
		m->base64_len_done = true;
		for (size_t i = 0; i < tr->nparts; i++) {
			const struct mtree_part *p = &tr->parts[i];

			if (!p->leaf || strcmp(p->type, "application/ics") == 0 ||
			    strcmp(p->cte, "base64") != 0)
				continue;
			for (size_t li = p->first; li < p->last; li++) {
				size_t n = tr->lines[li].n + 1;

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
	const struct mtree *tr;

	(void)r;
	tr = rules_tree(ec);
	for (size_t i = 0; i < tr->nparts; i++) {
		const struct mtree_part *p = &tr->parts[i];
		const struct mtree_part *pp;

		if (!p->leaf || p->parent < 0)
			continue;
		pp = &tr->parts[p->parent];
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
	free(c->mime.html_charsets);
}
