/*
 * eval_bayes.c -- SpamAssassin's check_bayes() test, answered by
 * Warden's statistical filter (milter/stats/): the message's tokens are
 * looked up in the store (rules_input's stats) and judged once per
 * message, the first time a BAYES_* rule asks; each rule then hits when
 * the probability falls in its band, as SpamAssassin's do.  When the
 * filter abstains (too few messages learned, too little known evidence
 * in the message, no store) no BAYES_* rule hits.
 *
 * What is tokenized is what the sender controls (stats.h): the
 * message's own header fields on the tokenizer's list, the rendered
 * body text, the URIs, the attachments' types and names, a few facts of
 * its structure, and -- only when the site says where its own relays
 * end (trusted_relays or internal_relays) -- the first untrusted relay.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval_int.h"
#include "mime.h"
#include "mtree.h"
#include "relays.h"
#include "stats.h"
#include "stats_db.h"
#include "util.h"

void
eval_bayes_tokens(struct eval_ctx *ec, struct stats_tok *tk)
{
	const struct mime_text *mt = ec->mt;
	const struct strlist *uris = rules_uris(ec);
	const struct mtree *t = rules_tree(ec);
	const struct config *cfg = ec->in->cfg;
	size_t nh = rules_hdr_count(ec);
	bool html = false, plain = false;
	char fact[32];

	for (size_t i = 0; i < nh; i++) {
		const char *name = rules_hdr_name(ec, i);
		const char *v = rules_hdr_value(ec, i);

		/* The Subject as the sender wrote it: a copy that Warden
		 * tagged (subject_tag), learned later by hand, is the same
		 * message as the one judged (and maybe autolearned). */
		if (strcasecmp(name, "Subject") == 0 && cfg != NULL &&
		    cfg->subject_tag != NULL && cfg->subject_tag[0] != '\0') {
			size_t tl = strlen(cfg->subject_tag);

			while (*v == ' ' || *v == '\t')
				v++;
			if (strncmp(v, cfg->subject_tag, tl) == 0)
				v += tl;
		}
		stats_tok_header(tk, name, strlen(name), v, strlen(v));
	}
	for (size_t i = 1; i < mt->body.n; i++)	/* [0] is the Subject */
		stats_tok_body(tk, mt->body.v[i], strlen(mt->body.v[i]));
	for (size_t i = 0; i < uris->n; i++)
		stats_tok_uri(tk, uris->v[i], strlen(uris->v[i]));
	for (size_t i = 0; i < mt->types.n; i++)
		stats_tok_attachment(tk, mt->types.v[i], NULL);
	for (size_t i = 0; i < mt->filenames.n; i++)
		stats_tok_attachment(tk, NULL, mt->filenames.v[i]);
	for (size_t i = 0; i < t->nparts; i++)
		if (t->parts[i].leaf && strcmp(t->parts[i].type, "text/html") ==
		    0)
			html = true;
		else if (t->parts[i].leaf && strcmp(t->parts[i].type,
		    "text/plain") == 0)
			plain = true;
	if (html && !plain)
		stats_tok_fact(tk, "html-only");
	snprintf(fact, sizeof(fact), "parts:%zu", t->nparts < 8 ? t->nparts :
	    8);
	stats_tok_fact(tk, fact);
	if (cfg != NULL && (cfg->trusted_relays.n > 0 ||
	    cfg->internal_relays.n > 0)) {
		const struct relays *rl = rules_hdr_relays(ec);

		if (rl->ntrusted < rl->n) {
			const struct relay *r = &rl->v[rl->ntrusted];

			stats_tok_relay(tk, r->ip, r->rdns, r->helo);
		}
	}
}

/*
 * For --explain, lines: how many tokens were past the bound (when any
 * were), and the strongest tokens each way with their counts.
 */
static char *
evidence(const struct stats_result *r, const struct stats_tok *tk)
{
	struct buf b;
	int shown[2] = { 0, 0 };

	buf_init(&b, 0);
	if (tk->dropped > 0 || tk->dropped_more) {
		const char *more = tk->dropped_more ? "more than " : "";

		buf_printf(&b, "tokens: %zu used of %s%lu (%s%lu past the "
		    "bound of %zu not judged)\n", tk->n, more,
		    (unsigned long)tk->n + tk->dropped, more, tk->dropped,
		    tk->max);
	}
	for (unsigned i = 0; i < r->nused; i++) {
		const struct stats_used *u = &r->used[i];
		int side = u->prob > 0.5;
		const char *text = "?";

		if (shown[side] >= 8)
			continue;
		for (size_t j = 0; j < tk->n; j++)
			if (tk->v[j] == u->tok) {
				text = tk->text[j];
				break;
			}
		buf_printf(&b, "%s%s %.3f (%u spam, %u ham)",
		    shown[0] + shown[1] > 0 ? "; " : "strongest: ", text,
		    u->prob, (unsigned)u->spam, (unsigned)u->ham);
		shown[side]++;
	}
	if (b.len > 0 && b.p[b.len - 1] == '\n')
		b.p[--b.len] = '\0';
	return b.p;
}

static void
judge(struct eval_ctx *ec, struct eval_bayes_cache *bc)
{
	const struct rules_input *in = ec->in;
	struct stats_tok tk;
	struct stats_totals tot;
	uint32_t (*counts)[2];
	struct buf err;

	bc->done = true;
	if (in->stats == NULL)
		return;
	stats_tok_init(&tk, 0, in->stats_explain);
	eval_bayes_tokens(ec, &tk);
	counts = xcalloc(tk.n + 1, sizeof(*counts));
	buf_init(&err, 0);
	if (stats_db_lookup(in->stats, tk.v, tk.n, counts, &tot, &err) < 0)
		bc->error = xstrdup(err.p);
	else {
		bc->r = xcalloc(1, sizeof(*bc->r));
		stats_classify(tk.v, (const uint32_t (*)[2])counts, tk.n, &tot,
		    in->cfg != NULL ? in->cfg->statistics_min_learned : 0,
		    bc->r);
		if (in->stats_explain)
			bc->evidence = evidence(bc->r, &tk);
	}
	if (in->stats_keep) {
		bc->tokens = tk.v;	/* taken over */
		bc->ntok = tk.n;
		tk.v = NULL;
	}
	buf_free(&err);
	free(counts);
	stats_tok_free(&tk);
}

/*
 * check_bayes(min, max): the probability is in (min, max], min 0
 * meaning from 0 itself and max "undef" meaning no upper bound, as
 * SpamAssassin's check_bayes() reads its arguments.
 */
static unsigned
ev_check_bayes(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_bayes_cache *bc = &eval_cache_get(ec)->bayes;
	double min = 0, max = 0, p;
	bool has_max;

	if (!bc->done)
		judge(ec, bc);
	if (bc->r == NULL || bc->r->abstain)
		return 0;
	p = bc->r->prob;
	(void)eval_arg_num(r->eargs[0], &min);
	has_max = eval_arg_num(r->eargs[1], &max);
	return (min == 0 || p > min) && (!has_max || p <= max);
}

void
rules_eval_report(struct eval_ctx *ec, struct results *res)
{
	struct cache *c = ec->cache;
	struct eval_bayes_cache *bc;

	if (c == NULL || !c->bayes.done || ec->in->stats == NULL)
		return;
	bc = &c->bayes;
	res->stats.ran = true;
	if (bc->r == NULL) {
		free(bc->tokens);	/* not judged: nothing to learn */
		bc->tokens = NULL;
	}
	free(res->stats.why);
	res->stats.why = NULL;
	if (bc->r == NULL) {
		res->stats.abstained = true;
		res->stats.why = xstrdup(bc->error ? bc->error :
		    "not judged");
		return;
	}
	res->stats.abstained = bc->r->abstain;
	res->stats.prob = bc->r->prob;
	res->stats.ntokens = bc->r->ntokens;
	res->stats.nknown = bc->r->nknown;
	res->stats.nused = bc->r->nused;
	if (bc->r->why != NULL)
		res->stats.why = xstrdup(bc->r->why);
	free(res->stats.evidence);
	res->stats.evidence = bc->evidence;
	bc->evidence = NULL;
	free(res->stats.tokens);
	res->stats.tokens = bc->tokens;
	res->stats.ntok = bc->ntok;
	bc->tokens = NULL;
}

void
eval_bayes_free(struct cache *c)
{
	free(c->bayes.r);
	free(c->bayes.error);
	free(c->bayes.evidence);
	free(c->bayes.tokens);
}

const struct eval_def eval_bayes_tests[] = {
	{ "check_bayes", K_BODY, 2, 2,
	  MIME_BODY | MIME_URI | MIME_FILENAME | MIME_TYPE, ev_check_bayes,
	  NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
