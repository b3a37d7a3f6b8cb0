/*
 * eval_auth.c -- SpamAssassin's SPF, DKIM and DMARC plugins' tests, read
 * from the engine's sender authentication (auth.h: ec->in->auth), under
 * their names so that the stock rules and scores apply.  Defined only
 * with authentication = yes (and a resolver); it keeps nothing in the
 * cache.
 *
 * As SpamAssassin: SPF_* read the MAIL FROM identity's result (the HELO
 * name's for the null sender), SPF_HELO_* the HELO identity's; a
 * message whose client was local was not checked and hits neither.
 * DKIM_* follow DKIM.pm: a valid signature is one that passed, was not
 * expired and has a key of at least 1024 bits; its signing identity is
 * the domain of i= when present, else d=; the author domains are those
 * of the From addresses.  DMARC_* follow DMARC.pm: pass with a policy,
 * fail with the disposition reject, quarantine or none, missing with no
 * policy.  ARC_* follow the plugin's ARC half: check_arc_signed hits a
 * message with any ARC header field, check_arc_valid one whose chain
 * passed (arc.h); as in DKIM.pm, either with domain arguments never
 * hits (the plugin ignores no argument: it refuses them all).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "eval_int.h"
#include "util.h"

#define DKIM_MIN_BITS	1024	/* SpamAssassin's dkim_minimum_key_bits */

static const struct auth_results *
auth(struct eval_ctx *ec)
{
	return ec->in->auth;
}

/* ---- SPF ---- */

static unsigned
spf_is(struct eval_ctx *ec, bool helo, enum spf_result want)
{
	const struct auth_results *a = auth(ec);

	if (a == NULL)
		return 0;
	if (helo)
		return a->spf_helo_done && a->spf_helo.result == want;
	return a->spf_done && a->spf.result == want;
}

#define SPF_TEST(fn, helo, res) \
static unsigned fn(const struct rule *r, struct eval_ctx *ec) \
{ (void)r; return spf_is(ec, helo, res); }

SPF_TEST(ev_spf_pass, false, SPF_PASS)
SPF_TEST(ev_spf_neutral, false, SPF_NEUTRAL)
SPF_TEST(ev_spf_none, false, SPF_NONE)
SPF_TEST(ev_spf_fail, false, SPF_FAIL)
SPF_TEST(ev_spf_softfail, false, SPF_SOFTFAIL)
SPF_TEST(ev_spf_permerror, false, SPF_PERMERROR)
SPF_TEST(ev_spf_temperror, false, SPF_TEMPERROR)
SPF_TEST(ev_spf_helo_pass, true, SPF_PASS)
SPF_TEST(ev_spf_helo_neutral, true, SPF_NEUTRAL)
SPF_TEST(ev_spf_helo_none, true, SPF_NONE)
SPF_TEST(ev_spf_helo_fail, true, SPF_FAIL)
SPF_TEST(ev_spf_helo_softfail, true, SPF_SOFTFAIL)
SPF_TEST(ev_spf_helo_permerror, true, SPF_PERMERROR)
SPF_TEST(ev_spf_helo_temperror, true, SPF_TEMPERROR)

/* ---- DKIM ---- */

/* The signing identity: i='s domain, else d=. */
static const char *
sdid_of(const struct dkim_sig *s)
{
	const char *at = s->i != NULL ? strrchr(s->i, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : s->d;
}

static bool
sig_valid(const struct dkim_sig *s)
{
	return s->status == DKIM_PASS &&
	    (s->key_bits == 0 || s->key_bits >= DKIM_MIN_BITS);
}

void
eval_auth_dkim_domains(struct eval_ctx *ec, struct strlist *out)
{
	const struct auth_results *a = auth(ec);

	for (size_t i = 0; a != NULL && i < a->dkim.n; i++) {
		const struct dkim_sig *s = &a->dkim.v[i];

		if (sig_valid(s) && s->d[0] != '\0' &&
		    !strlist_contains(out, s->d))
			strlist_add(out, s->d);
	}
}

/* SpamAssassin's acceptable-domain match: ".d" or "*.d" is d and its
 * subdomains, else d exactly. */
static bool
domain_ok(const char *id, const char *ad)
{
	size_t n = strlen(id), m;

	if (ad[0] == '*' && ad[1] == '.')
		ad++;
	if (ad[0] == '.') {
		ad++;
		m = strlen(ad);
		return strcasecmp(id, ad) == 0 || (n > m &&
		    id[n - m - 1] == '.' && strcasecmp(id + n - m, ad) == 0);
	}
	return strcasecmp(id, ad) == 0;
}

/* The From addresses' domains, as "\n"-framed text, for author matches. */
static char *
author_domains(struct eval_ctx *ec)
{
	struct buf b, out;
	char *save = NULL;

	buf_init(&b, 0);
	buf_init(&out, 0);
	buf_putc(&out, '\n');
	rules_hdr_values(ec, "From", HM_ADDR, &b);
	for (char *t = strtok_r(b.p, "\n", &save); t != NULL;
	    t = strtok_r(NULL, "\n", &save)) {
		const char *at = strrchr(t, '@');

		if (at != NULL && at[1] != '\0')
			buf_printf(&out, "%s\n", at + 1);
	}
	buf_free(&b);
	eval_lower(out.p);
	return buf_steal(&out);
}

static unsigned
dkim_by(const struct rule *r, struct eval_ctx *ec, bool valid, bool author,
    const char *only)
{
	const struct auth_results *a = auth(ec);
	char *authors = NULL;
	unsigned hit = 0;

	if (a == NULL)
		return 0;
	if (author)
		authors = author_domains(ec);
	for (size_t i = 0; i < a->dkim.n && !hit; i++) {
		const struct dkim_sig *s = &a->dkim.v[i];
		const char *id = sdid_of(s);
		char *framed;

		if ((valid && !sig_valid(s)) || id == NULL)
			continue;
		if (author) {
			framed = xasprintf("\n%s\n", id);
			eval_lower(framed);
			if (strstr(authors, framed) == NULL) {
				free(framed);
				continue;
			}
			free(framed);
		}
		if (only != NULL)
			hit = strcasecmp(id, only) == 0;
		else if (r->neargs == 0)
			hit = 1;
		else
			for (size_t k = 0; k < r->neargs && !hit; k++)
				hit = domain_ok(id, r->eargs[k]);
	}
	free(authors);
	return hit;
}

static unsigned
ev_dkim_signed(const struct rule *r, struct eval_ctx *ec)
{
	return dkim_by(r, ec, false, false, NULL);
}

static unsigned
ev_dkim_valid(const struct rule *r, struct eval_ctx *ec)
{
	return dkim_by(r, ec, true, false, NULL);
}

static unsigned
ev_dkim_valid_author(const struct rule *r, struct eval_ctx *ec)
{
	return dkim_by(r, ec, true, true, NULL);
}

static unsigned
ev_dkim_valid_envfrom(const struct rule *r, struct eval_ctx *ec)
{
	const char *e = ec->in->envfrom, *at;

	if (e == NULL || (at = strrchr(e, '@')) == NULL || at[1] == '\0')
		return 0;
	return dkim_by(r, ec, true, false, at + 1);
}

/* No signature whose check met a temporary error. */
static unsigned
ev_dkim_dependable(const struct rule *r, struct eval_ctx *ec)
{
	const struct auth_results *a = auth(ec);

	(void)r;
	if (a == NULL)
		return 0;
	for (size_t i = 0; i < a->dkim.n; i++)
		if (a->dkim.v[i].status == DKIM_TEMPERROR)
			return 0;
	return 1;
}

static unsigned
ev_dkim_testing(const struct rule *r, struct eval_ctx *ec)
{
	const struct auth_results *a = auth(ec);

	(void)r;
	for (size_t i = 0; a != NULL && i < a->dkim.n; i++)
		if (a->dkim.v[i].testing)
			return 1;
	return 0;
}

/* ---- Authenticated welcomelists ---- */

enum { WL_AUTH, WL_DEF_AUTH, WL_SPF, WL_DEF_SPF, WL_DKIM, WL_DEF_DKIM,
	NWL };

struct wl_entry {
	char   *pat;		/* address glob, lower case */
	char   *sdid;		/* _from_dkim's signing domain; NULL: the
				 * author's domain */
};

struct wl_list {
	struct wl_entry *v;
	size_t  n;
};

#define MAX_WL	100000	/* entries per list */

bool
eval_auth_setting(struct ruleset *rs, const char *kw, const char *value,
    const char **why)
{
	static const struct { const char *kw; int list; } names[] = {
		{ "welcomelist_auth", WL_AUTH }, { "whitelist_auth", WL_AUTH },
		{ "def_welcomelist_auth", WL_DEF_AUTH },
		{ "def_whitelist_auth", WL_DEF_AUTH },
		{ "welcomelist_from_spf", WL_SPF },
		{ "whitelist_from_spf", WL_SPF },
		{ "def_welcomelist_from_spf", WL_DEF_SPF },
		{ "def_whitelist_from_spf", WL_DEF_SPF },
		{ "welcomelist_from_dkim", WL_DKIM },
		{ "whitelist_from_dkim", WL_DKIM },
		{ "def_welcomelist_from_dkim", WL_DEF_DKIM },
		{ "def_whitelist_from_dkim", WL_DEF_DKIM },
	};
	char *copy, *save = NULL, *t;
	int list = -1;

	*why = NULL;
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (strcmp(kw, names[i].kw) == 0)
			list = names[i].list;
	if (list < 0)
		return false;
	if (rs->wl == NULL)
		rs->wl = xcalloc(NWL, sizeof(*rs->wl));
	copy = xstrdup(value);
	for (t = strtok_r(copy, " \t", &save); t != NULL;
	    t = strtok_r(NULL, " \t", &save)) {
		struct wl_list *l = &rs->wl[list];
		struct wl_entry *e;

		if (l->n >= MAX_WL) {
			*why = "too many entries (the rest ignored)";
			break;
		}
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		e = &l->v[l->n++];
		e->pat = eval_lower(xstrdup(t));
		e->sdid = NULL;
		/* _from_dkim: ADDRESS [SIGNING-DOMAIN], one per line. */
		if (list == WL_DKIM || list == WL_DEF_DKIM) {
			if ((t = strtok_r(NULL, " \t", &save)) != NULL)
				e->sdid = eval_lower(xstrdup(t));
			break;
		}
	}
	free(copy);
	return true;
}

void
eval_auth_free(struct ruleset *rs)
{
	if (rs->wl == NULL)
		return;
	for (int i = 0; i < NWL; i++) {
		for (size_t k = 0; k < rs->wl[i].n; k++) {
			free(rs->wl[i].v[k].pat);
			free(rs->wl[i].v[k].sdid);
		}
		free(rs->wl[i].v);
	}
	free(rs->wl);
	rs->wl = NULL;
}

/* SpamAssassin's welcomelist glob: '*' any run, '?' one character,
 * the whole address, without case (pattern already lower case). */
static bool
glob_match(const char *p, const char *s)
{
	const char *star = NULL, *back = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			back = s;
		} else if (*p == '?' || *p == tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++back;
		} else
			return false;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool
wl_has(const struct ruleset *rs, int list, const char *addr)
{
	if (rs->wl == NULL || addr == NULL)
		return false;
	for (size_t i = 0; i < rs->wl[list].n; i++)
		if (glob_match(rs->wl[list].v[i].pat, addr))
			return true;
	return false;
}

/* SPF.pm's _check_spf_welcomelist: the envelope sender in one of the
 * lists, and SPF passed for it. */
static unsigned
spf_wl(struct eval_ctx *ec, int l1, int l2)
{
	const struct auth_results *a = auth(ec);
	const char *s = ec->in->envfrom;

	if (a == NULL || !a->spf_done || a->spf.result != SPF_PASS ||
	    s == NULL || s[0] == '\0')
		return 0;
	return wl_has(ec->rs, l1, s) || wl_has(ec->rs, l2, s);
}

static unsigned
ev_spf_wl(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	return spf_wl(ec, WL_SPF, WL_AUTH);
}

static unsigned
ev_spf_def_wl(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	return spf_wl(ec, WL_DEF_SPF, WL_DEF_AUTH);
}

/* Whether a valid signature's identity matches sdid (NULL or "": the
 * author's domain exactly; ".d" or "*.d": under d; else d exactly). */
static bool
dkim_sdid_ok(const struct auth_results *a, const char *sdid,
    const char *author_domain)
{
	for (size_t i = 0; i < a->dkim.n; i++) {
		const struct dkim_sig *s = &a->dkim.v[i];
		const char *id = sdid_of(s);
		const char *want = sdid;

		if (!sig_valid(s) || id == NULL)
			continue;
		if (want == NULL || want[0] == '\0') {
			if (strcasecmp(id, author_domain) == 0)
				return true;
			continue;
		}
		if (strchr(want, '@') != NULL)
			want = strrchr(want, '@') + 1;
		if (want[0] == '*' && want[1] == '.')
			want++;
		if (want[0] == '.') {
			size_t n = strlen(id), m = strlen(want);

			if (n > m && strcasecmp(id + n - m, want) == 0)
				return true;
		} else if (strcasecmp(id, want) == 0)
			return true;
	}
	return false;
}

/* DKIM.pm's _check_dkim_welcomelist: an author (From address) in a
 * _from_dkim list with a valid signature by its signing domain, or in an
 * _auth list with a valid author-domain signature. */
static unsigned
dkim_wl(struct eval_ctx *ec, int from_dkim, int authl)
{
	const struct auth_results *a = auth(ec);
	const struct ruleset *rs = ec->rs;
	struct buf b;
	char *save = NULL;
	unsigned hit = 0;

	if (a == NULL || a->dkim.n == 0 || rs->wl == NULL)
		return 0;
	buf_init(&b, 0);
	rules_hdr_values(ec, "From", HM_ADDR, &b);
	for (char *t = strtok_r(b.p, "\n", &save); t != NULL && !hit;
	    t = strtok_r(NULL, "\n", &save)) {
		const char *at = strrchr(t, '@');
		const char *dom = at != NULL ? at + 1 : "";

		for (size_t i = 0; i < rs->wl[from_dkim].n && !hit; i++)
			if (glob_match(rs->wl[from_dkim].v[i].pat, t))
				hit = dkim_sdid_ok(a, rs->wl[from_dkim].v[i].sdid,
				    dom);
		if (!hit && wl_has(rs, authl, t))
			hit = dkim_sdid_ok(a, NULL, dom);
	}
	buf_free(&b);
	return hit;
}

static unsigned
ev_dkim_wl(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	return dkim_wl(ec, WL_DKIM, WL_AUTH);
}

static unsigned
ev_dkim_def_wl(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	return dkim_wl(ec, WL_DEF_DKIM, WL_DEF_AUTH);
}

/* ---- DMARC ---- */

static unsigned
dmarc_is(struct eval_ctx *ec, enum dmarc_result res, int disp)
{
	const struct auth_results *a = auth(ec);

	if (a == NULL || !a->dmarc_done || a->from_domain == NULL)
		return 0;
	if (res == DMARC_NONE)	/* missing: no policy found */
		return a->dmarc.result == DMARC_NONE;
	return a->dmarc.result == res &&
	    (disp < 0 || (int)a->dmarc.disposition == disp);
}

#define DMARC_TEST(fn, res, disp) \
static unsigned fn(const struct rule *r, struct eval_ctx *ec) \
{ (void)r; return dmarc_is(ec, res, disp); }

DMARC_TEST(ev_dmarc_pass, DMARC_PASS, -1)
DMARC_TEST(ev_dmarc_reject, DMARC_FAIL, DP_REJECT)
DMARC_TEST(ev_dmarc_quarantine, DMARC_FAIL, DP_QUARANTINE)
DMARC_TEST(ev_dmarc_none, DMARC_FAIL, DP_NONE)
DMARC_TEST(ev_dmarc_missing, DMARC_NONE, -1)

/* ---- ARC ---- */

static unsigned
ev_arc_signed(const struct rule *r, struct eval_ctx *ec)
{
	const struct auth_results *a = auth(ec);

	return a != NULL && r->neargs == 0 && a->arc.present;
}

static unsigned
ev_arc_valid(const struct rule *r, struct eval_ctx *ec)
{
	const struct auth_results *a = auth(ec);

	return a != NULL && r->neargs == 0 && a->arc.result == ARC_PASS;
}

const struct eval_def eval_auth_tests[] = {
	{ "check_for_spf_pass", K_HEAD | AUTHF, 0, 0, 0, ev_spf_pass, NULL },
	{ "check_for_spf_neutral", K_HEAD | AUTHF, 0, 0, 0, ev_spf_neutral, NULL },
	{ "check_for_spf_none", K_HEAD | AUTHF, 0, 0, 0, ev_spf_none, NULL },
	{ "check_for_spf_fail", K_HEAD | AUTHF, 0, 0, 0, ev_spf_fail, NULL },
	{ "check_for_spf_softfail", K_HEAD | AUTHF, 0, 0, 0, ev_spf_softfail, NULL },
	{ "check_for_spf_permerror", K_HEAD | AUTHF, 0, 0, 0, ev_spf_permerror, NULL },
	{ "check_for_spf_temperror", K_HEAD | AUTHF, 0, 0, 0, ev_spf_temperror, NULL },
	{ "check_for_spf_helo_pass", K_HEAD | AUTHF, 0, 0, 0, ev_spf_helo_pass, NULL },
	{ "check_for_spf_helo_neutral", K_HEAD | AUTHF, 0, 0, 0, ev_spf_helo_neutral,
	  NULL },
	{ "check_for_spf_helo_none", K_HEAD | AUTHF, 0, 0, 0, ev_spf_helo_none, NULL },
	{ "check_for_spf_helo_fail", K_HEAD | AUTHF, 0, 0, 0, ev_spf_helo_fail, NULL },
	{ "check_for_spf_helo_softfail", K_HEAD | AUTHF, 0, 0, 0, ev_spf_helo_softfail,
	  NULL },
	{ "check_for_spf_helo_permerror", K_HEAD | AUTHF, 0, 0, 0, ev_spf_helo_permerror,
	  NULL },
	{ "check_for_spf_helo_temperror", K_HEAD | AUTHF, 0, 0, 0, ev_spf_helo_temperror,
	  NULL },
	{ "check_dkim_signed", K_ANY | AUTHF, 0, 4, 0, ev_dkim_signed, NULL },
	{ "check_dkim_valid", K_ANY | AUTHF, 0, 4, 0, ev_dkim_valid, NULL },
	{ "check_dkim_valid_author_sig", K_ANY | AUTHF, 0, 4, 0, ev_dkim_valid_author,
	  NULL },
	{ "check_dkim_valid_envelopefrom", K_ANY | AUTHF, 0, 0, 0, ev_dkim_valid_envfrom,
	  NULL },
	{ "check_dkim_dependable", K_ANY | AUTHF, 0, 0, 0, ev_dkim_dependable, NULL },
	{ "check_dkim_testing", K_ANY | AUTHF, 0, 0, 0, ev_dkim_testing, NULL },
	{ "check_arc_signed", K_ANY | AUTHF, 0, 4, 0, ev_arc_signed, NULL },
	{ "check_arc_valid", K_ANY | AUTHF, 0, 4, 0, ev_arc_valid, NULL },
	{ "check_for_spf_welcomelist_from", K_HEAD | AUTHF, 0, 0, 0, ev_spf_wl,
	  NULL },
	{ "check_for_spf_whitelist_from", K_HEAD | AUTHF, 0, 0, 0, ev_spf_wl,
	  NULL },
	{ "check_for_def_spf_welcomelist_from", K_HEAD | AUTHF, 0, 0, 0,
	  ev_spf_def_wl, NULL },
	{ "check_for_def_spf_whitelist_from", K_HEAD | AUTHF, 0, 0, 0,
	  ev_spf_def_wl, NULL },
	{ "check_for_dkim_welcomelist_from", K_ANY | AUTHF, 0, 0, 0, ev_dkim_wl,
	  NULL },
	{ "check_for_dkim_whitelist_from", K_ANY | AUTHF, 0, 0, 0, ev_dkim_wl,
	  NULL },
	{ "check_for_def_dkim_welcomelist_from", K_ANY | AUTHF, 0, 0, 0,
	  ev_dkim_def_wl, NULL },
	{ "check_for_def_dkim_whitelist_from", K_ANY | AUTHF, 0, 0, 0,
	  ev_dkim_def_wl, NULL },
	{ "check_dmarc_pass", K_ANY | AUTHF, 0, 0, 0, ev_dmarc_pass, NULL },
	{ "check_dmarc_reject", K_ANY | AUTHF, 0, 0, 0, ev_dmarc_reject, NULL },
	{ "check_dmarc_quarantine", K_ANY | AUTHF, 0, 0, 0, ev_dmarc_quarantine, NULL },
	{ "check_dmarc_none", K_ANY | AUTHF, 0, 0, 0, ev_dmarc_none, NULL },
	{ "check_dmarc_missing", K_ANY | AUTHF, 0, 0, 0, ev_dmarc_missing, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};
