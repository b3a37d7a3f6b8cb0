/*
 * fuzz_stats -- the statistical filter's tokenizer and model on the
 * input taken as a whole message, read as "warden learn" and check_bayes
 * read it (rules_tokens(): the header fields, the MIME tree, the
 * rendered text, the URIs, the attachments), then judged by the model
 * with counts made from the tokens themselves.
 *
 * Invariants: at most max tokens, all distinct and never 0; the same
 * message gives the same tokens in the same order (nothing of one
 * message leaks into the next) and the same digest whatever their
 * order; the model's probability is a number in [0, 1] and it abstains
 * without one.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "rules.h"
#include "stats.h"
#include "stats_db.h"
#include "util.h"

#define MAX_TOKENS	500

static struct config *cfg;
static struct ruleset *rs;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag d;

	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	diag_init(&d);
	/* trusted_relays set: the first untrusted relay is tokenized too. */
	if ((cfg = config_load_string("fuzz_stats", "trusted_relays = "
	    "10.0.0.0/8\nregex_prefilter = no\nregex_prefilter_cache =\n",
	    &d)) == NULL || (rs = rules_load_text(cfg, "(none)", "", &d)) ==
	    NULL)
		abort();
	diag_free(&d);
	return 0;
}

static void
tokens(const uint8_t *data, size_t size, struct stats_tok *tk)
{
	struct rules_input in;

	memset(&in, 0, sizeof(in));
	in.stage = STAGE_EOM;
	in.cfg = cfg;
	in.client_addr = "192.0.2.1";
	in.client_name = "unknown";
	in.msg = (const char *)data;
	in.msglen = size;
	stats_tok_init(tk, MAX_TOKENS, true);
	rules_tokens(rs, &in, tk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stats_tok a, b;
	struct stats_totals t = { 300, 200, 1000 };
	struct stats_result *r;
	uint32_t (*counts)[2];
	uint64_t *rev;
	uint8_t d1[STATS_DIGEST_LEN], d2[STATS_DIGEST_LEN];

	tokens(data, size, &a);
	tokens(data, size, &b);
	if (a.n > MAX_TOKENS || a.n != b.n ||
	    memcmp(a.v, b.v, a.n * sizeof(*a.v)) != 0)
		abort();
	for (size_t i = 0; i < a.n; i++) {
		if (a.v[i] == 0 || strcmp(a.text[i], b.text[i]) != 0)
			abort();
		for (size_t j = i + 1; j < a.n && j < i + 64; j++)
			if (a.v[i] == a.v[j])
				abort();
	}
	rev = xcalloc(a.n + 1, sizeof(*rev));
	for (size_t i = 0; i < a.n; i++)
		rev[i] = a.v[a.n - 1 - i];
	stats_digest(a.v, a.n, d1);
	stats_digest(rev, a.n, d2);
	if (memcmp(d1, d2, sizeof(d1)) != 0)
		abort();
	counts = xcalloc(a.n + 1, sizeof(*counts));
	for (size_t i = 0; i < a.n; i++) {
		counts[i][0] = (uint32_t)(a.v[i] & 0x3f);
		counts[i][1] = (uint32_t)((a.v[i] >> 8) & 0x3f);
	}
	r = xcalloc(1, sizeof(*r));
	stats_classify(a.v, (const uint32_t (*)[2])counts, a.n, &t, 200, r);
	if (!r->abstain && (!(r->prob >= 0 && r->prob <= 1) ||
	    r->nused > STATS_MAX_USED || r->nused > r->nknown))
		abort();
	if (r->abstain && r->why == NULL)
		abort();
	free(r);
	free(counts);
	free(rev);
	stats_tok_free(&a);
	stats_tok_free(&b);
	return 0;
}
