/*
 * rules.c -- the compiled, immutable rule set: loading the files the
 * config names, running the rules of one stage against one message, and
 * meta rules.
 *
 * Ownership: rules_load() returns a ruleset the caller frees with
 * rules_free(); it is then only read, by any number of threads at once.
 * rules_run() borrows everything in struct rules_input; all per-message
 * state (decoded headers, the MIME text, meta values) lives for the one
 * call and is freed before it returns.  Hits go into the caller's
 * results with their name, kind and description borrowed from the
 * ruleset, which outlives every message.
 *
 * Regexes: every match made for one call -- by the rules, or by what
 * they read (eval: tests and their arguments, the relay chain, the HTML
 * analysis) -- runs through rx.c inside the call's scope: under the
 * ruleset's PCRE2 limits (the configuration's), with the thread's match
 * state, a limit reached recorded in the caller's results as
 * limit=pcre2 and logged once.
 */
#include "autoconfig.h"

#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval_int.h"
#include "log.h"
#include "mime.h"
#include "relays.h"
#include "rules_int.h"
#include "rx.h"

#define MAX_HITS_MULTIPLE 1000	/* bound on hits counted per rule */
#define MAX_SPLIT_HEADERS 1000
#define MH_ALL_MAX	65536	/* SpamAssassin's MAX_HEADER_LENGTH: bytes
				 * of a part's "ALL" text */

/* Trim white space in place (str_trim() returns a pointer instead). */
static void
trim_in_place(char *s)
{
	char *t = str_trim(s);

	if (t != s)
		memmove(s, t, strlen(t) + 1);
}

struct ruleset *
rules_new(const struct config *cfg)
{
	struct ruleset *rs = xcalloc(1, sizeof(*rs));

	rs->byname = g_hash_table_new(g_str_hash, g_str_equal);
	rs->skipnames = g_hash_table_new_full(g_str_hash, g_str_equal, free,
	    NULL);
	rs->match_limit = RX_MATCH_LIMIT;
	rs->depth_limit = RX_DEPTH_LIMIT;
	if (cfg != NULL) {
		if (cfg->pcre2_match_limit > 0)
			rs->match_limit = cfg->pcre2_match_limit > UINT32_MAX ?
			    UINT32_MAX : (uint32_t)cfg->pcre2_match_limit;
		if (cfg->pcre2_depth_limit > 0)
			rs->depth_limit = cfg->pcre2_depth_limit > UINT32_MAX ?
			    UINT32_MAX : (uint32_t)cfg->pcre2_depth_limit;
		if (cfg->hostname != NULL && cfg->hostname[0] != '\0')
			rs->hostname = xstrdup(cfg->hostname);
		/* SpamAssassin's score set: 2 with its Bayes on, 1 with
		 * its network tests, 3 with both. */
		rs->scoreset = (cfg->statistics ? 2 : 0) |
		    (cfg->dns_resolver.n > 0 ? 1 : 0);
		rs->auth = cfg->authentication && cfg->dns_resolver.n > 0;
	}
	if (rs->hostname == NULL)
		rs->hostname = xstrdup("localhost");
	return rs;
}

static bool
has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/*
 * The built-in regexes compile (once for the process): without them
 * nothing is judged as it should be, so every start, reload and lint
 * that loads rules stops here.
 */
static void
builtin_check(struct diag *d)
{
	char err[512];

	if (rx_builtin_init(err, sizeof(err)) > 0)
		diag_error(d, NULL, 0, "%s", err);
}

struct ruleset *
rules_load(const struct config *cfg, struct diag *d)
{
	struct ruleset *rs = rules_new(cfg);
	size_t before = diag_nerrors(d);

	builtin_check(d);

	for (size_t i = 0; cfg != NULL && i < cfg->rules.n; i++) {
		const char *pat = cfg->rules.v[i];
		glob_t g;
		int rc;

		memset(&g, 0, sizeof(g));
		rc = glob(pat, 0, NULL, &g);	/* sorted */
		if (rc == GLOB_NOMATCH) {
			if (has_glob(pat))
				diag_warn(d, pat, 0, "no rule files match");
			else
				rules_parse_file(rs, pat, 0, d);
		} else if (rc != 0)
			diag_error(d, pat, 0, "cannot list rule files");
		else
			for (size_t j = 0; j < g.gl_pathc; j++)
				rules_parse_file(rs, g.gl_pathv[j], 0, d);
		globfree(&g);
	}
	rules_finish(rs, d);
	if (diag_nerrors(d) > before) {
		rules_free(rs);
		return NULL;
	}
	rules_hs_build(rs, cfg == NULL || cfg->regex_prefilter,
	    cfg ? cfg->regex_prefilter_cache : NULL);
	return rs;
}

struct ruleset *
rules_load_text(const struct config *cfg, const char *name, const char *text,
    struct diag *d)
{
	struct ruleset *rs = rules_new(cfg);
	size_t before = diag_nerrors(d);

	builtin_check(d);
	rules_parse_text(rs, name, text, 0, d);
	rules_finish(rs, d);
	if (diag_nerrors(d) > before) {
		rules_free(rs);
		return NULL;
	}
	rules_hs_build(rs, cfg == NULL || cfg->regex_prefilter,
	    cfg ? cfg->regex_prefilter_cache : NULL);
	return rs;
}

void
rules_free(struct ruleset *rs)
{
	if (rs == NULL)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = rs->rules[i];

		free(r->name);
		free(r->src);
		free(r->pat);
		free(r->describe);
		reply_free(&r->reply);
		if (r->re != NULL)
			pcre2_code_free(r->re);
		free(r->hname);
		free(r->if_unset);
		cidrlist_free(&r->cidrs);
		rules_dnsbl_clear(r);
		for (size_t j = 0; j < r->nmnodes; j++)
			free(r->mnodes[j].name);
		free(r->mnodes);
		rules_eval_clear(r);
		free(r);
	}
	free(rs->rules);
	rules_hs_free(rs);
	g_hash_table_destroy(rs->byname);
	g_hash_table_destroy(rs->skipnames);
	eval_dns_free(rs);
	eval_auth_free(rs);
	strlist_free(&rs->files);
	free(rs->order);
	for (size_t i = 0; i < rs->nskips; i++)
		free(rs->skips[i].what);
	free(rs->skips);
	free(rs->hostname);
	if (rs->replace_tags)
		g_hash_table_destroy(rs->replace_tags);
	if (rs->replace_inter)
		g_hash_table_destroy(rs->replace_inter);
	if (rs->replace_pre)
		g_hash_table_destroy(rs->replace_pre);
	if (rs->replace_post)
		g_hash_table_destroy(rs->replace_post);
	if (rs->replace_rules)
		g_hash_table_destroy(rs->replace_rules);
	strlist_free(&rs->orig_hdrs);
	if (rs->eval_settings)
		g_hash_table_destroy(rs->eval_settings);
	if (rs->block_scores)
		g_hash_table_destroy(rs->block_scores);
	free(rs->replace_start);
	free(rs->replace_end);
	free(rs);
}

size_t
rules_count(const struct ruleset *rs)
{
	return rs ? rs->n : 0;
}

void
rules_summary(const struct ruleset *rs, struct diag *d)
{
	struct buf b;
	bool first = true;

	if (rs == NULL)
		return;
	buf_init(&b, 0);
	buf_printf(&b, "rules: %zu loaded", rs->n);
	for (int k = 0; k < RK_NKINDS; k++) {
		if (rs->nkind[k] == 0)
			continue;
		buf_printf(&b, "%s%s %zu", first ? " (" : ", ",
		    rules_kind_names[k], rs->nkind[k]);
		first = false;
	}
	if (!first)
		buf_putc(&b, ')');
	diag_note(d, "%s", b.p);
	buf_free(&b);
	if (rs->nreplaced > 0)
		diag_note(d, "rules: %zu rules with replace_tag macros "
		    "expanded", rs->nreplaced);
	for (size_t i = 0; i < rs->nskips; i++)
		diag_note(d, "rules: skipped %u %s (not implemented in Warden)",
		    rs->skips[i].n, rs->skips[i].what);
	if (rules_hs_state(rs) != NULL) {
		unsigned in, out;
		size_t ndb;

		rules_hs_counts(rs, &in, &out, &ndb);
		diag_note(d, "rules: regex prefilter on: %u rules prefiltered, "
		    "%u always run in PCRE2 (%zu Hyperscan databases)", in, out,
		    ndb);
	} else if (rs->hs_off_reason != NULL)
		diag_note(d, "rules: regex prefilter off: %s",
		    rs->hs_off_reason);
	eval_dns_summary(rs, d);
}

/* ---- Matching ---- */

/*
 * One call of rules_run(): the rx.c scope its regexes run in (the
 * ruleset's limits, the caller's results; sc.rule follows the rule
 * being run, for the log line).
 */
struct mctx {
	struct rx_scope sc;
};

bool
rules_rule_enabled(const struct rule *r)
{
	/* A score of 0 turns a rule off, unless something else needs it. */
	return !(r->score_set && r->score == 0 && !r->referenced &&
	    r->action == ACT_NONE && strncmp(r->name, "__", 2) != 0);
}

static unsigned
rule_max(const struct rule *r)
{
	if (!(r->tflags & TF_MULTIPLE))
		return 1;
	return r->maxhits ? r->maxhits : MAX_HITS_MULTIPLE;
}

/*
 * Count the matches of r in s[0..n), at most max.  The first one is put
 * in *mo and *ml.  A PCRE2 limit counts as no further match; rx.c
 * records it in the call's results and logs it once per call of
 * rules_run(), naming the rule of the scope (r).
 */
static unsigned
re_count(const struct rule *r, const char *s, size_t n, unsigned max,
    size_t *mo, size_t *ml)
{
	size_t off = 0, ov[2];
	unsigned cnt = 0;

	while (cnt < max && off <= n) {
		if (rx_search(r->re, NULL, s, n, off, 0, ov, 1) <= 0)
			break;
		if (cnt == 0) {
			*mo = ov[0];
			*ml = ov[1] - ov[0];
		}
		cnt++;
		if (ov[1] > ov[0])
			off = ov[1];
		else {
			off = ov[1] + 1;
			while (off < n && ((unsigned char)s[off] & 0xc0) == 0x80)
				off++;
		}
	}
	return cnt;
}

static void
take_hit(const struct rule *r, unsigned count, const char *m, size_t ml,
    struct results *res)
{
	rules_take_hit(r, count, m, ml, NULL, res);
}

void
rules_take_hit(const struct rule *r, unsigned count, const char *m,
    size_t ml, const struct reply *reply, struct results *res)
{
	const char *kind = rules_kind_names[r->kind];

	if (count == 0)
		return;
	results_add_hit(res, r->name, kind, r->describe, r->score, m, ml);
	/* Further hits raise the count (for metas), not the score. */
	for (unsigned i = 1; i < count; i++)
		results_add_hit(res, r->name, kind, r->describe, 0, NULL, 0);
	if (r->action != ACT_NONE)
		results_decide(res, r->action, r->reply.code[0] ? &r->reply :
		    reply, r->name);
}

/* One subject string for rule r. */
static void
run_one(const struct rule *r, const char *s, size_t n, struct results *res)
{
	size_t mo = 0, ml = 0;
	unsigned c = re_count(r, s, n, rule_max(r), &mo, &ml);

	take_hit(r, c, s + mo, ml, res);
}

/* Every string of a list for rule r (body lines, URIs, ...). */
static void
run_list(const struct rule *r, const struct strlist *l, size_t from,
    struct results *res)
{
	unsigned max = rule_max(r), total = 0;
	const char *first = NULL;
	size_t firstlen = 0;

	for (size_t i = from; i < l->n && total < max; i++) {
		size_t mo = 0, ml = 0;
		unsigned c = re_count(r, l->v[i], strlen(l->v[i]), max - total,
		    &mo, &ml);

		if (c > 0 && first == NULL) {
			first = l->v[i] + mo;
			firstlen = ml;
		}
		total += c;
	}
	take_hit(r, total, first, firstlen, res);
}

static bool
connect_match(const struct rule *r, const struct rules_input *in)
{
	int fam;
	uint8_t a[16];

	if (in->client_addr == NULL || in->client_addr[0] == '\0')
		return (r->cwords & CW_LOCAL) != 0;
	if (cidr_addr_parse(in->client_addr, &fam, a) < 0)
		return false;
	if ((r->cwords & CW_LOCAL) && ((fam == AF_INET && a[0] == 127) ||
	    (fam == AF_INET6 && memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1",
	    16) == 0)))
		return true;
	if (in->cfg != NULL && (r->cwords & CW_TRUSTED) &&
	    cidrlist_match(&in->cfg->trusted_networks, in->client_addr))
		return true;
	if (in->cfg != NULL && (r->cwords & CW_INTERNAL) &&
	    cidrlist_match(&in->cfg->internal_relays, in->client_addr))
		return true;
	for (size_t i = 0; i < r->cidrs.n; i++)
		if (cidr_contains(&r->cidrs.v[i], fam, a))
			return true;
	return false;
}

/* ---- Headers ---- */

struct hctx {
	const struct header *h;
	size_t  n;
	char  **dec;		/* decoded values, made on first use */
	char  **raw;		/* trimmed raw values, made on first use */
	const struct rules_input *in;
	struct relays rl;	/* made on first use */
	bool    rl_made;
	const struct mime_text *mt;
	struct strlist uris;	/* made on first use */
	bool    uris_made;
	char  **mhdec;		/* decoded part header values (mimeheader),
				 * by index in mt->hdrs, made on first use */

	/* Header groups (rules on the same header, source and modifiers):
	 * each group's text is made once, and given to the prefilter. */
	const struct ruleset *rs;
	struct hgval {
		struct buf v;
		size_t  found;
		bool    made;
	} *gv;
	const struct hs_state *hs;	/* the prefilter, or NULL */
	void   *scratch;	/* its scratch space, or NULL */
	uint8_t *cand;		/* rule index -> the prefilter reported it */
};

static const char *
hdr_decoded(struct hctx *hc, size_t i)
{
	if (hc->dec[i] == NULL)
		hc->dec[i] = mime_header_decode(hc->h[i].value ?
		    hc->h[i].value : "");
	return hc->dec[i];
}

static const char *
hdr_raw(struct hctx *hc, size_t i)
{
	if (hc->raw[i] == NULL) {
		const char *v = hc->h[i].value ? hc->h[i].value : "";

		while (*v == ' ' || *v == '\t')
			v++;
		hc->raw[i] = xstrdup(v);
		/* Drop the line end a caller may have left. */
		size_t n = strlen(hc->raw[i]);

		while (n > 0 && (hc->raw[i][n - 1] == '\n' ||
		    hc->raw[i][n - 1] == '\r'))
			hc->raw[i][--n] = '\0';
	}
	return hc->raw[i];
}

/* Append header i's value as r wants it. */
static void
hdr_put(struct hctx *hc, size_t i, unsigned mods, struct buf *b)
{
	if (mods & (HM_ADDR | HM_NAME)) {
		char *v = (mods & HM_ADDR) ? mime_header_addr(hdr_raw(hc, i)) :
		    mime_header_name(hdr_raw(hc, i));

		buf_puts(b, v);
		free(v);
	} else
		buf_puts(b, (mods & HM_RAW) ? hdr_raw(hc, i) :
		    hdr_decoded(hc, i));
}

/* All values of one header, joined by "\n".  Returns how many. */
static size_t
hdr_collect(struct hctx *hc, const char *name, unsigned mods, struct buf *b)
{
	size_t found = 0;

	for (size_t i = 0; i < hc->n; i++) {
		if (hc->h[i].name == NULL || strcasecmp(hc->h[i].name, name) != 0)
			continue;
		if (found++ > 0)
			buf_putc(b, '\n');
		hdr_put(hc, i, mods, b);
	}
	return found;
}

/*
 * The relay chain, built on first use from the client, the Received
 * headers and, as SpamAssassin adds them, one hop for each of the
 * ruleset's originating_ip_headers present (its last field, decoded)
 * that holds an IP address.
 */
static const struct relays *
hdr_relays(struct hctx *hc)
{
	const struct rules_input *in = hc->in;
	const struct strlist *orig = hc->rs != NULL ? &hc->rs->orig_hdrs :
	    NULL;
	size_t norig = orig != NULL ? orig->n : 0;
	const char **rcvd;
	char **lines;
	size_t n = 0, nl = 0;

	if (hc->rl_made)
		return &hc->rl;
	rcvd = xcalloc(hc->n + norig + 1, sizeof(*rcvd));
	lines = xcalloc(norig + 1, sizeof(*lines));
	for (size_t i = 0; i < hc->n; i++)
		if (hc->h[i].name != NULL &&
		    strcasecmp(hc->h[i].name, "Received") == 0)
			rcvd[n++] = hc->h[i].value ? hc->h[i].value : "";
	for (size_t k = 0; k < norig; k++)
		for (size_t i = hc->n; i-- > 0; )
			if (hc->h[i].name != NULL &&
			    strcasecmp(hc->h[i].name, orig->v[k]) == 0) {
				char *l = relays_originating_line(
				    hdr_decoded(hc, i));

				if (l != NULL)
					rcvd[n++] = lines[nl++] = l;
				break;
			}
	relays_build(&hc->rl, rcvd, n, in->client_addr, in->client_name,
	    in->helo, in->cfg ? &in->cfg->trusted_relays : NULL,
	    in->cfg ? &in->cfg->internal_relays : NULL);
	for (size_t i = 0; i < nl; i++)
		free(lines[i]);
	free(lines);
	free(rcvd);
	hc->rl_made = true;
	return &hc->rl;
}

/* ---- What eval: tests see (rules_int.h) ---- */

size_t
rules_hdr_values(struct eval_ctx *ec, const char *name, unsigned mods,
    struct buf *b)
{
	return hdr_collect(ec->hc, name, mods, b);
}

size_t
rules_hdr_count(struct eval_ctx *ec)
{
	return ec->hc->n;
}

const char *
rules_hdr_name(struct eval_ctx *ec, size_t i)
{
	return i < ec->hc->n && ec->hc->h[i].name ? ec->hc->h[i].name : "";
}

const char *
rules_hdr_rawvalue(struct eval_ctx *ec, size_t i)
{
	return i < ec->hc->n ? hdr_raw(ec->hc, i) : "";
}

const char *
rules_hdr_value(struct eval_ctx *ec, size_t i)
{
	return i < ec->hc->n ? hdr_decoded(ec->hc, i) : "";
}

const struct mtree *
rules_tree(struct eval_ctx *ec)
{
	if (ec->tree == NULL) {
		mtree_parse(ec->tree_room, ec->msg, ec->msglen,
		    ec->in->mime_limits);
		ec->tree = ec->tree_room;
	}
	return ec->tree;
}

const struct relays *
rules_hdr_relays(struct eval_ctx *ec)
{
	return hdr_relays(ec->hc);
}

static void uris_with_mail(const struct mime_text *mt, struct strlist *out);

static const struct strlist *
hdr_uris(struct hctx *hc)
{
	if (!hc->uris_made) {
		uris_with_mail(hc->mt, &hc->uris);
		hc->uris_made = true;
	}
	return &hc->uris;
}

const struct strlist *
rules_uris(struct eval_ctx *ec)
{
	return hdr_uris(ec->hc);
}

/*
 * SpamAssassin's pseudo-headers: MESSAGEID (X-Message-Id,
 * Resent-Message-Id, X-Original-Message-ID, Message-Id, raw), EnvelopeFrom
 * (an envelope header a delivering MTA added, else the MAIL FROM), and
 * X-Spam-Relays-*.  Returns how many values were found.
 */
static size_t
hdr_pseudo(const struct rule *r, struct hctx *hc, struct buf *v)
{
	static const char *const msgid[] = { "X-Message-Id",
		"Resent-Message-Id", "X-Original-Message-ID", "Message-Id",
		NULL };
	static const char *const envhdr[] = { "X-Envelope-From",
		"Envelope-Sender", "Return-Path", NULL };
	const struct relays *rl;
	size_t found = 0;
	char *t;

	switch (r->hsrc) {
	case HS_MSGID:
		for (const char *const *h = msgid; *h; h++) {
			struct buf one;

			buf_init(&one, 0);
			if (hdr_collect(hc, *h, HM_RAW, &one) > 0 && one.len > 0) {
				if (found++ > 0)
					buf_putc(v, '\n');
				buf_append(v, one.p, one.len);
			}
			buf_free(&one);
		}
		return found;
	case HS_ENVFROM:
		for (const char *const *h = envhdr; *h; h++)
			for (size_t i = 0; i < hc->n; i++)
				if (hc->h[i].name != NULL &&
				    strcasecmp(hc->h[i].name, *h) == 0) {
					t = mime_header_addr(hdr_raw(hc, i));
					buf_puts(v, t);
					free(t);
					return 1;
				}
		if (hc->in->envfrom != NULL && hc->in->envfrom[0] != '\0') {
			t = mime_header_addr(hc->in->envfrom);
			buf_puts(v, t);
			free(t);
			return 1;
		}
		return 0;
	default:
		break;
	}
	rl = hdr_relays(hc);
	switch (r->hsrc) {
	case HS_RELAYS_TRUSTED:
		t = relays_format(rl, 0, rl->ntrusted);
		break;
	case HS_RELAYS_UNTRUSTED:
		t = relays_format(rl, rl->ntrusted, rl->n);
		break;
	case HS_RELAYS_INTERNAL:
		t = relays_format(rl, 0, rl->ninternal);
		break;
	default:
		t = relays_format(rl, rl->ninternal, rl->n);
		break;
	}
	/* SpamAssassin defines these even when empty. */
	buf_puts(v, t);
	free(t);
	return 1;
}

/*
 * ALL and its parts by trust (SpamAssassin's get_all_hdrs_in_rcvd_index_
 * range()): ALL-TRUSTED and ALL-INTERNAL are the headers down to the
 * Received header added by the first hop out of trust (included),
 * ALL-UNTRUSTED and ALL-EXTERNAL those from that Received header on.
 * Each header "Name: value\n", decoded unless :raw.
 */
static size_t
hdr_all(const struct rule *r, struct hctx *hc, struct buf *v)
{
	const struct relays *rl;
	size_t found = 0, end = SIZE_MAX;
	long cur = -1, start = -1;	/* -1: from the first header */

	if (r->hsrc != HS_ALL) {
		rl = hdr_relays(hc);
		switch (r->hsrc) {
		case HS_ALL_TRUSTED:
			end = rl->rcvd_trusted;
			break;
		case HS_ALL_INTERNAL:
			end = rl->rcvd_internal;
			break;
		case HS_ALL_UNTRUSTED:
			start = (long)rl->rcvd_trusted;
			break;
		default:
			start = (long)rl->rcvd_internal;
			break;
		}
	}
	for (size_t i = 0; i < hc->n; i++) {
		bool rcvd = hc->h[i].name != NULL &&
		    strcasecmp(hc->h[i].name, "Received") == 0;

		if (rcvd)
			cur++;
		if (cur < start || (end != SIZE_MAX && cur > (long)end))
			continue;
		buf_printf(v, "%s: ", hc->h[i].name ? hc->h[i].name : "");
		hdr_put(hc, i, r->hmods & HM_RAW, v);
		buf_putc(v, '\n');
		found++;
		if (end != SIZE_MAX && rcvd && cur == (long)end)
			break;
	}
	return found;
}

/* The text header rule r is matched against; returns how many values. */
static size_t
hdr_value(const struct rule *r, struct hctx *hc, struct buf *v)
{
	size_t found = 0;

	switch (r->hsrc) {
	case HS_MSGID:
	case HS_ENVFROM:
	case HS_RELAYS_TRUSTED:
	case HS_RELAYS_UNTRUSTED:
	case HS_RELAYS_INTERNAL:
	case HS_RELAYS_EXTERNAL:
		found = hdr_pseudo(r, hc, v);
		break;
	case HS_ALL:
	case HS_ALL_TRUSTED:
	case HS_ALL_INTERNAL:
	case HS_ALL_UNTRUSTED:
	case HS_ALL_EXTERNAL:
		found = hdr_all(r, hc, v);
		break;
	case HS_TOCC:
		found = hdr_collect(hc, "To", r->hmods, v);
		{
			struct buf cc;
			size_t ncc;

			buf_init(&cc, 0);
			ncc = hdr_collect(hc, "Cc", r->hmods, &cc);
			if (ncc > 0) {
				if (v->len > 0)
					buf_puts(v, ", ");
				buf_append(v, cc.p, cc.len);
			}
			found += ncc;
			buf_free(&cc);
		}
		break;
	case HS_NAME:
		found = hdr_collect(hc, r->hname, r->hmods, v);
		break;
	}
	if (v->p == NULL)
		buf_puts(v, "");
	return found;
}

/*
 * Whether r's regex need not run: it is in a prefilter database, and the
 * prefilter, which reports every text the regex could match, did not
 * report it.
 */
static bool
skip_regex(const struct hctx *hc, const struct rule *r)
{
	return hc->scratch != NULL && !hc->cand[r->index] &&
	    rules_hs_member(hc->hs, r->index);
}

/* r's group text, made (and prefiltered) on first use in this message. */
static const struct hgval *
hdr_group(const struct rule *r, struct hctx *hc)
{
	struct hgval *g = &hc->gv[r->hgroup];

	if (!g->made) {
		const char *t;

		buf_init(&g->v, 0);
		g->found = hdr_value(r, hc, &g->v);
		g->made = true;
		t = g->v.p;
		rules_hs_scan(hc->hs, RK_HEADER, r->hgroup, &t, &g->v.len, 1,
		    hc->scratch, hc->cand);
	}
	return g;
}

static void
run_header(const struct rule *r, struct hctx *hc, struct results *res)
{
	const struct hgval *g;
	const char *t;
	size_t tl, mo = 0, ml = 0;
	unsigned c;

	/* Every header rule has a group once loaded (rules_hs_build). */
	if (r->hgroup < 0 || (size_t)r->hgroup >= hc->rs->nhgroups)
		return;
	g = hdr_group(r, hc);
	if (r->hexists) {
		if (g->found > 0)
			take_hit(r, 1, r->hname, strlen(r->hname), res);
		return;
	}
	if (g->found == 0 && r->if_unset != NULL) {
		t = r->if_unset;
		tl = strlen(t);
	} else if (skip_regex(hc, r)) {
		/* The prefilter saw no possible match: PCRE2 would not. */
		if (r->negate)
			take_hit(r, 1, g->v.p, g->v.len, res);
		return;
	} else {
		t = g->v.p;
		tl = g->v.len;
	}
	c = re_count(r, t, tl, rule_max(r), &mo, &ml);
	if (r->negate) {
		if (c == 0)
			take_hit(r, 1, t, tl, res);
	} else
		take_hit(r, c, t + mo, ml, res);
}

/* ---- MIME part headers (mimeheader) ---- */

/* Header fields whose value SpamAssassin never RFC 2047-decodes. */
static bool
mh_no_decode(const char *name)
{
	static const char *const l[] = { "Received", "Message-ID",
		"Resent-Message-ID", "Date", "Resent-Date", "MIME-Version",
		"References", "In-Reply-To", NULL };

	for (const char *const *p = l; *p; p++)
		if (strcasecmp(name, *p) == 0)
			return true;
	return strncasecmp(name, "List-", 5) == 0;
}

/*
 * Field i (of part k)'s raw value as SpamAssassin keeps it: a message's
 * as written after the colon; a MIME part's without the white space
 * after the colon (Message.pm splits a part's fields at the colon and
 * the white space after it).
 */
static const char *
mh_raw(const struct mime_text *mt, size_t k, size_t i)
{
	const char *v = mt->hdrs[i].value;

	if (!mt->parts[k].message)
		while (isspace((unsigned char)*v))
			v++;
	return v;
}

/*
 * Field i's value as SpamAssassin's get_header() gives it: each fold
 * (a line end and the white space after it) as one space, trimmed,
 * RFC 2047-decoded (but for the fields it leaves alone), with "\n"
 * appended.  Made once per message.
 */
static const char *
mh_decoded(struct hctx *hc, size_t k, size_t i)
{
	const struct mime_text *mt = hc->mt;
	const char *v;
	struct buf b;
	char *t;

	if (hc->mhdec[i] != NULL)
		return hc->mhdec[i];
	buf_init(&b, 0);
	for (v = mh_raw(mt, k, i); *v; v++) {
		if (*v == '\n' && (v[1] == ' ' || v[1] == '\t')) {
			buf_putc(&b, ' ');
			while (v[1] == ' ' || v[1] == '\t')
				v++;
		} else if (*v != '\n')
			buf_putc(&b, *v);
	}
	if (b.p == NULL)
		buf_puts(&b, "");
	trim_in_place(b.p);
	if (mh_no_decode(mt->hdrs[i].name))
		t = xstrdup(b.p);
	else
		t = mime_header_decode(b.p);
	buf_free(&b);
	hc->mhdec[i] = xasprintf("%s\n", t);
	free(t);
	return hc->mhdec[i];
}

/*
 * The text rule r sees in part k: SpamAssassin's get_header() of the
 * last field of its name (raw_header() with :raw), or for "ALL" every
 * field as "Name: value\n" (get_all_headers(), folds unfolded in raw
 * values).  Returns false when a decoded value is asked for and the part
 * has no such field (SpamAssassin's undef; raw_header() gives "").
 */
static bool
mh_value(const struct rule *r, struct hctx *hc, size_t k, struct buf *out)
{
	const struct mime_text *mt = hc->mt;
	const struct mime_part_hdrs *ph = &mt->parts[k];
	bool raw = (r->hmods & HM_RAW) != 0;

	if (strcmp(r->hname, "ALL") == 0) {
		size_t size = 0;

		for (size_t i = ph->first; i < ph->first + ph->n; i++) {
			const char *name = mt->hdrs[i].name;
			const char *v = raw ? mh_raw(mt, k, i) :
			    mh_decoded(hc, k, i);

			size += strlen(name) + strlen(v) + 2;
			if (size > MH_ALL_MAX)
				break;
			buf_printf(out, "%s: ", name);
			if (!raw) {
				buf_puts(out, v);
				continue;
			}
			/* s/\015?\012\s+/ /gs */
			for (; *v; v++) {
				if (*v == '\n' && v[1] != '\0' &&
				    isspace((unsigned char)v[1])) {
					buf_putc(out, ' ');
					while (isspace((unsigned char)v[1]))
						v++;
				} else
					buf_putc(out, *v);
			}
		}
		return true;
	}
	for (size_t i = ph->first + ph->n; i-- > ph->first; )
		if (strcasecmp(mt->hdrs[i].name, r->hname) == 0) {
			buf_puts(out, raw ? mh_raw(mt, k, i) :
			    mh_decoded(hc, k, i));
			return true;
		}
	return raw;
}

/*
 * A mimeheader rule, as SpamAssassin's MIMEHeader plugin runs it: the
 * parts in order (the message is part 1) within tflags range=, each
 * part's value matched on its own, and the first part that matches gives
 * the hits (up to maxhits with tflags multiple); with tflags concat the
 * values are joined, each ending in "\n", and matched once.  A missing
 * field reads as [if-unset: TEXT] (or "").  With !~ the rule hits when
 * no value matches.
 */
static void
run_mimeheader(const struct rule *r, struct hctx *hc, struct results *res)
{
	const struct mime_text *mt = hc->mt;
	unsigned max = r->negate ? 1 : rule_max(r), c;
	bool concat = (r->tflags & TF_CONCAT) != 0;
	struct buf cat, v;
	size_t mo = 0, ml = 0;

	buf_init(&cat, 0);
	for (size_t k = 0; k < mt->nparts; k++) {
		if (k + 1 > r->range_max)
			break;
		if (k + 1 < r->range_min)
			continue;
		buf_init(&v, 0);
		if (!mh_value(r, hc, k, &v) && r->if_unset != NULL)
			buf_puts(&v, r->if_unset);
		if (concat) {
			if (v.len > 0)
				buf_append(&cat, v.p, v.len);
			if (v.len == 0 || v.p[v.len - 1] != '\n')
				buf_putc(&cat, '\n');
			buf_free(&v);
			continue;
		}
		c = re_count(r, v.p ? v.p : "", v.len, max, &mo, &ml);
		if (c > 0) {
			if (!r->negate)
				take_hit(r, c, v.p + mo, ml, res);
			buf_free(&v);
			buf_free(&cat);
			return;
		}
		buf_free(&v);
	}
	if (concat) {
		c = re_count(r, cat.p ? cat.p : "", cat.len, max, &mo, &ml);
		if (c > 0) {
			if (!r->negate)
				take_hit(r, c, cat.p + mo, ml, res);
			buf_free(&cat);
			return;
		}
	}
	buf_free(&cat);
	if (r->negate)
		take_hit(r, 1, NULL, 0, res);
}

/*
 * Headers from the message itself, for callers that have none parsed
 * (tests, a stored message).  Values keep their folding.
 */
static size_t
split_headers(const char *msg, size_t len, struct header **out)
{
	struct header *h = NULL;
	size_t n = 0, cap = 0;
	const char *p = msg, *end = msg + len;

	while (p < end && n < MAX_SPLIT_HEADERS) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		const char *le = e ? e : end, *colon;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p)
			break;		/* the blank line */
		if ((*p == ' ' || *p == '\t') && n > 0) {
			/* Continuation: keep the fold. */
			char *v = xasprintf("%s\n%.*s", h[n - 1].value,
			    (int)(le - p), p);

			free(h[n - 1].value);
			h[n - 1].value = v;
		} else if ((colon = memchr(p, ':', (size_t)(le - p))) != NULL) {
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				h = xrealloc(h, cap * sizeof(*h));
			}
			memset(&h[n], 0, sizeof(*h));
			h[n].name = xstrndup(p, (size_t)(colon - p));
			trim_in_place(h[n].name);
			colon++;
			while (colon < le && (*colon == ' ' || *colon == '\t'))
				colon++;
			h[n].value = xstrndup(colon, (size_t)(le - colon));
			n++;
		} else if (n == 0 && le - p >= 5 && memcmp(p, "From ", 5) == 0) {
			;	/* an mbox separator */
		} else
			break;	/* not a header: the body starts here */
		if (e == NULL)
			break;
		p = e + 1;
	}
	*out = h;
	return n;
}

/* ---- Meta ---- */

static double
meta_eval(const struct rule *r, int i, const double *val)
{
	const struct meta_node *m = &r->mnodes[i];
	double a, b;

	switch (m->op) {
	case MO_NUM:
		return m->num;
	case MO_RULE:
		return m->rule >= 0 ? val[m->rule] : 0;
	case MO_NOT:
		return meta_eval(r, m->a, val) == 0;
	case MO_NEG:
		return -meta_eval(r, m->a, val);
	case MO_AND:
		return meta_eval(r, m->a, val) != 0 &&
		    meta_eval(r, m->b, val) != 0;
	case MO_OR:
		return meta_eval(r, m->a, val) != 0 ||
		    meta_eval(r, m->b, val) != 0;
	default:
		break;
	}
	a = meta_eval(r, m->a, val);
	b = meta_eval(r, m->b, val);
	switch (m->op) {
	case MO_MUL: return a * b;
	case MO_DIV: return b != 0 ? a / b : 0;	/* no division by 0 */
	case MO_ADD: return a + b;
	case MO_SUB: return a - b;
	case MO_LT: return a < b;
	case MO_LE: return a <= b;
	case MO_GT: return a > b;
	case MO_GE: return a >= b;
	case MO_EQ: return a == b;
	case MO_NE: return a != b;
	default: return 0;
	}
}

static void
run_metas(const struct ruleset *rs, struct results *res)
{
	double *val = xcalloc(rs->n + 1, sizeof(*val));

	for (size_t i = 0; i < res->nhits; i++) {
		const struct rule *r = g_hash_table_lookup(rs->byname,
		    res->hits[i].name);

		if (r != NULL)
			val[r->index] = res->hits[i].count;
	}
	for (size_t i = 0; i < rs->norder; i++) {
		const struct rule *r = rs->rules[rs->order[i]];

		if (!rules_rule_enabled(r) || r->mroot < 0 || val[r->index] > 0)
			continue;
		if (meta_eval(r, r->mroot, val) != 0) {
			val[r->index] = 1;
			take_hit(r, 1, NULL, 0, res);
		}
	}
	free(val);
}

/* ---- URIs ---- */

static bool
mail_local_char(int c)
{
	return isalnum(c) || strchr("._%+-=", c) != NULL;
}

static void
uri_add(struct strlist *out, GHashTable *seen, char *u)
{
	if (g_hash_table_contains(seen, u)) {
		free(u);
		return;
	}
	strlist_add_owned(out, u);
	g_hash_table_add(seen, out->v[out->n - 1]);
}

/* u with %XX escapes of printable ASCII decoded; NULL when none. */
static char *
uri_unescape(const char *u)
{
	char *o = xstrdup(u), *w = o;
	bool changed = false;

	for (const char *p = u; *p; p++) {
		if (p[0] == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], '\0' };
			long c = strtol(hex, NULL, 16);

			if (c > 0x20 && c < 0x7f) {
				*w++ = (char)c;
				p += 2;
				changed = true;
				continue;
			}
		}
		*w++ = *p;
	}
	*w = '\0';
	if (!changed) {
		free(o);
		return NULL;
	}
	return o;
}

/*
 * u with a host written as one number (decimal, 0x hex or 0 octal, as
 * browsers accept: http://3232235777/) as a dotted quad; NULL otherwise.
 */
static char *
uri_dword_host(const char *u)
{
	const char *h = strstr(u, "://"), *e;
	char *end;
	unsigned long long v;

	if (h == NULL)
		return NULL;
	h += 3;
	e = h + strcspn(h, "/?#:");
	if (e == h || !isdigit((unsigned char)*h))
		return NULL;
	errno = 0;
	v = strtoull(h, &end, 0);
	if (end != e || errno != 0 || v > 0xffffffffULL || v < 0x1000000ULL)
		return NULL;
	return xasprintf("%.*s%llu.%llu.%llu.%llu%s", (int)(h - u), u,
	    (v >> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255, e);
}

/*
 * The URIs uri rules see: the MIME walker's list plus, as SpamAssassin's
 * canonicalization does, each URI with its %XX escapes decoded and with a
 * one-number host written as a dotted quad (the original stays too), and
 * every bare e-mail address in the rendered text as "mailto:ADDR".  The
 * caller frees out with strlist_free().
 */
static void
uris_with_mail(const struct mime_text *mt, struct strlist *out)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < mt->uris.n; i++) {
		char *un = uri_unescape(mt->uris.v[i]), *dw;

		uri_add(out, seen, xstrdup(mt->uris.v[i]));
		if (un != NULL) {
			if ((dw = uri_dword_host(un)) != NULL)
				uri_add(out, seen, dw);
			uri_add(out, seen, un);
		} else if ((dw = uri_dword_host(mt->uris.v[i])) != NULL)
			uri_add(out, seen, dw);
	}
	/* Line 0 of the body is the Subject. */
	for (size_t i = 1; i < mt->body.n; i++) {
		const char *l = mt->body.v[i];

		for (const char *at = strchr(l, '@'); at; at = strchr(at + 1,
		    '@')) {
			const char *b = at, *e = at + 1;
			bool dot = false;
			char *u;

			while (b > l && mail_local_char((unsigned char)b[-1]))
				b--;
			while (isalnum((unsigned char)*e) || *e == '-' ||
			    (*e == '.' && isalnum((unsigned char)e[1]))) {
				dot = dot || *e == '.';
				e++;
			}
			if (b == at || !dot)
				continue;
			u = xasprintf("mailto:%.*s", (int)(e - b), b);
			uri_add(out, seen, u);
		}
	}
	g_hash_table_destroy(seen);
}

/* ---- One stage ---- */

/*
 * Give the prefilter every text of the kinds that have rules (header
 * groups are scanned when first used, in run_header).
 */
static void
prefilter(const struct ruleset *rs, struct hctx *hc, const char *msg,
    size_t msglen)
{
	const struct mime_text *mt = hc->mt;
	static const enum rule_kind kinds[] = { RK_BODY, RK_RAWBODY, RK_URI,
		RK_FILENAME, RK_MIMETYPE };

	if (hc->hs == NULL)
		return;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		enum rule_kind k = kinds[i];
		const struct strlist *l;

		if (rs->nkind[k] == 0)
			continue;
		switch (k) {
		case RK_BODY: l = &mt->body; break;
		case RK_RAWBODY: l = &mt->rawbody; break;
		case RK_URI: l = hdr_uris(hc); break;
		case RK_FILENAME: l = &mt->filenames; break;
		default: l = &mt->types; break;
		}
		rules_hs_scan(hc->hs, k, -1, (const char *const *)l->v, NULL,
		    l->n, hc->scratch, hc->cand);
	}
	if (rs->nkind[RK_FULL] > 0)
		rules_hs_scan(hc->hs, RK_FULL, -1, &msg, &msglen, 1,
		    hc->scratch, hc->cand);
}

/*
 * A message at end of message, as the rules and the eval: tests read
 * it: its header fields, its MIME tree and the text prepared from it
 * (what want asks for), made by view_open() and released by
 * view_close().  Read by one thread.
 */
struct view {
	struct hctx hc;
	struct header *own;
	struct mime_text mt;
	struct mtree tree;
	struct eval_ctx ec;
	bool    prepared;
};

static void
view_open(struct view *v, const struct ruleset *rs,
    const struct rules_input *in, unsigned want, bool headers,
    struct results *res)
{
	const char *msg = in->msg ? in->msg : "";
	size_t msglen = in->msg ? in->msglen : 0;

	memset(v, 0, sizeof(*v));
	v->hc.in = in;
	v->hc.h = in->hdrs;
	v->hc.n = in->nhdrs;
	v->hc.mt = &v->mt;
	if (v->hc.n == 0 && msglen > 0 && headers) {
		v->hc.n = split_headers(msg, msglen, &v->own);
		v->hc.h = v->own;
	}
	v->hc.dec = xcalloc(v->hc.n + 1, sizeof(char *));
	v->hc.raw = xcalloc(v->hc.n + 1, sizeof(char *));
	v->ec.rs = rs;
	v->ec.in = in;
	v->ec.msg = msg;
	v->ec.msglen = msglen;
	v->ec.mt = &v->mt;
	v->ec.hc = &v->hc;
	v->ec.tree_room = &v->tree;
	if (want != 0) {
		/* One tree for the body, rawbody, uri, filename, type and
		 * mimeheader rules and for the eval: tests. */
		mime_prepare_tree(&v->mt, rules_tree(&v->ec), want,
		    in->mime_limits);
		v->prepared = true;
		if (v->mt.limit != NULL && res != NULL)
			results_set_limit(res, v->mt.limit);
		if (v->mt.expired && res != NULL)
			res->timed_out = true;
	}
	v->hc.rs = rs;
	v->hc.mhdec = xcalloc(v->mt.nhdrs + 1, sizeof(*v->hc.mhdec));
	v->hc.gv = xcalloc(rs->nhgroups + 1, sizeof(*v->hc.gv));
	v->hc.cand = xcalloc(rs->n + 1, 1);
}

static void
view_close(struct view *v, struct results *res)
{
	struct hctx *hc = &v->hc;

	rules_eval_done(&v->ec);
	for (size_t g = 0; g < hc->rs->nhgroups; g++)
		if (hc->gv[g].made)
			buf_free(&hc->gv[g].v);
	free(hc->gv);
	free(hc->cand);
	if (hc->uris_made)
		strlist_free(&hc->uris);
	for (size_t i = 0; i < v->mt.nhdrs; i++)
		free(hc->mhdec[i]);
	free(hc->mhdec);
	if (v->prepared)
		mime_text_free(&v->mt);
	if (v->ec.tree != NULL) {
		/* What the tree reached, for the eval: tests alone too. */
		if (v->ec.tree->limit != NULL && res != NULL)
			results_set_limit(res, v->ec.tree->limit);
		if (v->ec.tree->expired && res != NULL)
			res->timed_out = true;
		mtree_free(v->ec.tree);
	}
	for (size_t i = 0; i < hc->n; i++) {
		free(hc->dec[i]);
		free(hc->raw[i]);
	}
	free(hc->dec);
	free(hc->raw);
	if (hc->rl_made)
		relays_free(&hc->rl);
	if (v->own != NULL) {
		for (size_t i = 0; i < hc->n; i++) {
			free(v->own[i].name);
			free(v->own[i].value);
		}
		free(v->own);
	}
}

static void
run_eom(const struct ruleset *rs, const struct rules_input *in,
    struct mctx *m, struct results *res)
{
	struct view *v = xcalloc(1, sizeof(*v));
	struct hctx *hc = &v->hc;
	struct mime_text *mt = &v->mt;
	const char *msg = in->msg ? in->msg : "";
	size_t msglen = in->msg ? in->msglen : 0;

	view_open(v, rs, in, rs->want, rs->nkind[RK_HEADER] > 0 ||
	    rs->neval > 0, res);
	hc->hs = rules_hs_state(rs);
	hc->scratch = rules_hs_get(hc->hs);
	/* The network tests' lookups first, their answers read last: the
	 * other rules run while the answers come. */
	if (in->dns != NULL)
		eval_dns_start(&v->ec);
	prefilter(rs, hc, msg, msglen);

	for (size_t k = 0; k < 2 * rs->n; k++) {
		size_t i = k % rs->n;
		const struct rule *r = rs->rules[i];
		bool net = r->eval != NULL && (r->eval->kinds & NET);

		/* The message's deadline, checked every 16 rules. */
		if (in->deadline_ms > 0 && (k & 15) == 0 &&
		    now_ms() > in->deadline_ms) {
			res->timed_out = true;
			break;
		}
		/* First pass: all but the network tests; second: those. */
		if (net != (k >= rs->n) || !rules_rule_enabled(r))
			continue;
		/* Named in the log line if one of its regexes, or one
		 * run for what it reads, reaches a PCRE2 limit. */
		m->sc.rule = r->name;
		if (r->eval != NULL) {
			take_hit(r, rules_eval_run(r, &v->ec), NULL, 0, res);
			continue;
		}
		/* Not reported by the prefilter: PCRE2 would not match. */
		if (r->kind != RK_HEADER && skip_regex(hc, r))
			continue;
		switch (r->kind) {
		case RK_HEADER:
			run_header(r, hc, res);
			break;
		case RK_BODY:
			run_list(r, &mt->body, (r->tflags & TF_NOSUBJECT) ? 1 :
			    0, res);
			break;
		case RK_RAWBODY:
			run_list(r, &mt->rawbody, 0, res);
			break;
		case RK_URI:
			run_list(r, hdr_uris(hc), 0, res);
			break;
		case RK_FILENAME:
			run_list(r, &mt->filenames, 0, res);
			break;
		case RK_MIMETYPE:
			run_list(r, &mt->types, 0, res);
			break;
		case RK_MIMEHEADER:
			run_mimeheader(r, hc, res);
			break;
		case RK_FULL:
			run_one(r, msg, msglen, res);
			break;
		default:
			break;
		}
	}
	run_metas(rs, res);
	rules_eval_report(&v->ec, res);
	eval_dns_report(&v->ec, res);
	rules_hs_put(hc->hs, hc->scratch);
	view_close(v, res);
	free(v);
}

bool
rules_autolearn_points(const struct ruleset *rs, const char *name,
    double *score, int *where)
{
	const struct rule *r = g_hash_table_lookup(rs->byname, name);

	if (r == NULL || (r->tflags & (TF_NOAUTOLEARN | TF_LEARN)))
		return false;
	*score = r->score_learn;
	switch (r->kind) {
	case RK_HEADER:
	case RK_MIMEHEADER:
		*where = 1;
		break;
	case RK_BODY:
	case RK_RAWBODY:
	case RK_URI:
	case RK_FULL:
		*where = 2;
		break;
	default:
		*where = 0;
		break;
	}
	return true;
}

void
rules_tokens(const struct ruleset *rs, const struct rules_input *in,
    struct stats_tok *tk)
{
	struct view *v = xcalloc(1, sizeof(*v));

	view_open(v, rs, in, MIME_BODY | MIME_URI | MIME_FILENAME | MIME_TYPE,
	    true, NULL);
	eval_bayes_tokens(&v->ec, tk);
	view_close(v, NULL);
	free(v);
}

int
rules_run(const struct ruleset *rs, const struct rules_input *in,
    struct results *res)
{
	struct mctx m;
	enum rule_kind kind;
	const char *subject = NULL;

	if (rs == NULL || rs->n == 0)
		return 0;
	switch (in->stage) {
	case STAGE_CONNECT:
		kind = RK_CONNECT;
		subject = in->client_name ? in->client_name : "unknown";
		break;
	case STAGE_HELO:
		kind = RK_HELO;
		subject = in->helo;
		break;
	case STAGE_ENVFROM:
		kind = RK_ENVFROM;
		subject = in->envfrom;
		break;
	case STAGE_ENVRCPT:
		kind = RK_ENVRCPT;
		subject = in->rcpt;
		break;
	default:
		kind = RK_NONE;
		break;
	}
	if (kind != RK_NONE && (subject == NULL || rs->nkind[kind] == 0))
		return 0;

	if (rx_scope_enter(&m.sc, rs->match_limit, rs->depth_limit, res) < 0) {
		results_set_error(res, "rules: out of memory for match data");
		return -1;
	}

	if (kind == RK_NONE)
		run_eom(rs, in, &m, res);
	else {
		if (kind != RK_ENVRCPT && in->dns != NULL)
			rules_dnsbl_stage(rs, kind, in, res);
		for (size_t i = 0; i < rs->n; i++) {
			const struct rule *r = rs->rules[i];

			if (r->kind != kind || !rules_rule_enabled(r) ||
			    r->dnsbl != NULL)
				continue;
			m.sc.rule = r->name;
			if (kind == RK_CONNECT && r->re == NULL) {
				const char *ca = in->client_addr ?
				    in->client_addr : "";

				if (connect_match(r, in))
					take_hit(r, 1, ca, strlen(ca), res);
			} else
				run_one(r, subject, strlen(subject), res);
		}
	}

	rx_scope_leave(&m.sc);
	return 0;
}

void
rules_prefetch(const struct ruleset *rs, const struct rules_input *in)
{
	struct view *v;

	if (rs == NULL || in->dns == NULL)
		return;
	if (in->stage == STAGE_CONNECT) {
		rules_dnsbl_prefetch(rs, in);
		return;
	}
	/* The headers alone: the relays they name. */
	v = xcalloc(1, sizeof(*v));
	view_open(v, rs, in, 0, false, NULL);
	eval_dns_prefetch_relays(&v->ec);
	view_close(v, NULL);
	free(v);
}
