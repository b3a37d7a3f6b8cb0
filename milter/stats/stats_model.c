/*
 * stats_model.c -- from token counts to a spam probability (stats_db.h).
 *
 * Each token's probability is Robinson's f(w) over the class-normalized
 * counts, and the strongest tokens are combined with Fisher's
 * chi-square method, as SpamAssassin's Bayes does (its constants:
 * s = 0.030, x = 0.538, tokens within 0.346 of 0.5 ignored, the 150
 * strongest used).  Unlike it, the model abstains when the message
 * gives too little known evidence: a message made of tokens never seen
 * in learning is unknown, not halfway to spam.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats_db.h"

#define FW_S		0.030
#define FW_X		0.538
#define MIN_STRENGTH	0.346
/* Fewer strong tokens than this: too little evidence to judge by. */
#define MIN_USED	10

/* 1 - the chi-square CDF of x2 with 2 * halfv degrees of freedom. */
static double
chi2q(double x2, unsigned halfv)
{
	double m = x2 / 2.0, sum, term;

	sum = term = exp(-m);
	for (unsigned i = 1; i < halfv; i++) {
		term *= m / i;
		sum += term;
	}
	return sum < 1.0 ? sum : 1.0;
}

static int
by_strength(const void *a, const void *b)
{
	const struct stats_used *x = a, *y = b;
	double dx = fabs(x->prob - 0.5), dy = fabs(y->prob - 0.5);

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return x->tok < y->tok ? -1 : x->tok > y->tok;	/* stable */
}

void
stats_classify(const uint64_t *tok, const uint32_t (*counts)[2], size_t n,
    const struct stats_totals *t, unsigned long min_learned,
    struct stats_result *r)
{
	struct stats_used *cand;
	size_t ncand = 0;
	double ns = (double)t->nspam, nh = (double)t->nham;
	double S, H, ls = 0, lh = 0;

	memset(r, 0, sizeof(*r));
	r->abstain = true;
	r->prob = 0.5;
	r->ntokens = (unsigned)n;
	if (t->nspam < min_learned || t->nham < min_learned ||
	    t->nspam == 0 || t->nham == 0) {
		r->why = "too few messages learned";
		return;
	}
	cand = calloc(n > 0 ? n : 1, sizeof(*cand));
	if (cand == NULL) {
		r->why = "out of memory";
		return;
	}
	for (size_t i = 0; i < n; i++) {
		double s = counts[i][0], h = counts[i][1], p, robn;

		if (s + h < 1)
			continue;
		r->nknown++;
		p = (s * nh) / (h * ns + s * nh);
		robn = s + h;
		p = (FW_S * FW_X + robn * p) / (FW_S + robn);
		if (fabs(p - 0.5) < MIN_STRENGTH)
			continue;
		cand[ncand].tok = tok[i];
		cand[ncand].prob = p;
		cand[ncand].spam = counts[i][0];
		cand[ncand].ham = counts[i][1];
		ncand++;
	}
	qsort(cand, ncand, sizeof(*cand), by_strength);
	if (ncand > STATS_MAX_USED)
		ncand = STATS_MAX_USED;
	r->nused = (unsigned)ncand;
	memcpy(r->used, cand, ncand * sizeof(*cand));
	free(cand);
	if (ncand < MIN_USED) {
		r->why = "too little known evidence in the message";
		return;
	}
	/* Fisher's method, in logarithms (no underflow), with the class
	 * priors as SpamAssassin's combine() starts from. */
	ls = log(ns / (ns + nh));
	lh = log(nh / (ns + nh));
	for (size_t i = 0; i < ncand; i++) {
		double p = r->used[i].prob;

		ls += log(1.0 - p);
		lh += log(p);
	}
	S = 1.0 - chi2q(-2.0 * ls, (unsigned)ncand);
	H = 1.0 - chi2q(-2.0 * lh, (unsigned)ncand);
	r->prob = ((S - H) + 1.0) / 2.0;
	r->abstain = false;
}
