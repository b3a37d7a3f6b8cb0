/*
 * eval_freemail.c -- SpamAssassin's FreeMail tests (addresses at free
 * mail providers in the headers and the body) and their settings,
 * freemail_domains and freemail_welcomelist (rules_eval_setting() and
 * rules_eval_finish(), rules_int.h).  Its table of tests is here; it
 * keeps nothing in the cache.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval_int.h"
#include "mime.h"
#include "rx.h"
#include "util.h"

/* ---- FreeMail ---- */

/*
 * The freemail_domains and freemail_welcomelist entries reach each
 * FreeMail rule as its last argument (rules_eval_finish()): "\n" joined
 * and framed by "\n", the domains, then "\x01", then the welcomelist.
 */
static bool
blob_has(const char *blob, const char *end, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = blob; p != NULL && p < end;
	    p = memchr(p + 1, '\n', (size_t)(end - p - 1))) {
		if (p + 1 + n < end && memcmp(p + 1, s, n) == 0 &&
		    p[1 + n] == '\n')
			return true;
		if (p + 1 >= end)
			break;
	}
	return false;
}

/* A freemail_domains wildcard: '*' is [^.]*, '?' any one character. */
static bool
glob_dom(const char *g, size_t gn, const char *s)
{
	if (gn == 0)
		return *s == '\0';
	if (*g == '*') {
		for (const char *p = s;; p++) {
			if (glob_dom(g + 1, gn - 1, p))
				return true;
			if (*p == '\0' || *p == '.')
				return false;
		}
	}
	if (*s == '\0')
		return false;
	if (*g == '?' || *g == *s)
		return glob_dom(g + 1, gn - 1, s + 1);
	return false;
}

static bool
is_freemail(const struct rule *r, const char *email)
{
	const char *blob = r->eargs[r->neargs - 1], *sep, *dom;

	if (email[0] == '\0')
		return false;
	sep = strchr(blob, '\x01');
	if (sep == NULL)
		sep = blob + strlen(blob);
	dom = strrchr(email, '@');
	dom = dom ? dom + 1 : email;
	if (blob_has(sep, sep + strlen(sep), email) ||
	    blob_has(sep, sep + strlen(sep), dom))
		return false;
	if (eval_rx_match(RX_EMAIL_WL, email))
		return false;
	if (blob_has(blob, sep, dom))
		return true;
	/* Wildcards. */
	for (const char *p = blob; p < sep; ) {
		const char *e = memchr(p, '\n', (size_t)(sep - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(sep - p);

		if (memchr(p, '*', n) != NULL || memchr(p, '?', n) != NULL) {
			if (glob_dom(p, n, dom))
				return true;
		}
		p += n + 1;
	}
	return false;
}

/* Every address in all values of header name, lower case, into out. */
static void
all_addrs(struct eval_ctx *ec, const char *name, struct strlist *out)
{
	size_t n = rules_hdr_count(ec);

	if (strcmp(name, "EnvelopeFrom") == 0) {
		const char *ef = eval_envfrom_get(ec);

		if (ef != NULL && ef[0] != '\0')
			strlist_add(out, ef);
	} else
		for (size_t i = 0; i < n && out->n < 1000; i++)
			if (strcasecmp(rules_hdr_name(ec, i), name) == 0)
				mime_header_addrs(rules_hdr_rawvalue(ec, i),
				    out, 1000);
	for (size_t i = 0; i < out->n; i++)
		eval_lower(out->v[i]);
}

static unsigned
ev_freemail_from(const struct rule *r, struct eval_ctx *ec)
{
	static const char *const hs[] = { "From", "Envelope-Sender",
		"Resent-Sender", "X-Envelope-From", "EnvelopeFrom", NULL };
	struct strlist a = { 0 };
	unsigned hit = 0;

	all_addrs(ec, "Resent-From", &a);
	if (a.n > 1) {
		/* Resent-From:first:addr: the first header's address. */
		while (a.n > 1)
			free(a.v[--a.n]);
	}
	if (a.n == 0)
		for (const char *const *h = hs; *h; h++)
			all_addrs(ec, *h, &a);
	for (size_t i = 0; i < a.n && !hit; i++) {
		/* tr/././s: runs of dots as one */
		char *w = a.v[i];

		for (char *p = a.v[i]; *p; p++)
			if (!(*p == '.' && w > a.v[i] && w[-1] == '.'))
				*w++ = *p;
		*w = '\0';
		if (!is_freemail(r, a.v[i]))
			continue;
		if (r->neargs > 1 && !eval_arg_match(r->ere[0], a.v[i]))
			continue;
		hit = 1;
	}
	strlist_free(&a);
	return hit;
}

static unsigned
ev_freemail_header(const struct rule *r, struct eval_ctx *ec)
{
	struct strlist a = { 0 };
	unsigned hit = 0;

	all_addrs(ec, r->eargs[0], &a);
	for (size_t i = 0; i < a.n && !hit; i++) {
		if (!is_freemail(r, a.v[i]))
			continue;
		if (r->neargs > 2 && !eval_arg_match(r->ere[0], a.v[i]))
			continue;
		hit = 1;
	}
	strlist_free(&a);
	return hit;
}

/*
 * FreeMail's _parse_body(): the freemail addresses in the body (mailto
 * links and addresses in the text), into out; false when there are too
 * many addresses to judge (5 in all, or 3 freemail ones).
 */
static bool
body_freemails(const struct rule *r, struct eval_ctx *ec,
    struct strlist *out)
{
	const struct strlist *uris = rules_uris(ec);
	const struct strlist *body = &ec->mt->body;
	struct strlist all = { 0 };
	unsigned count_all = 0, count_fm = 0;
	bool ok = true;
	size_t ov[4];

	for (size_t i = 0; i < uris->n && all.n < 20; i++) {
		const char *u = uris->v[i];

		if (strncasecmp(u, "mailto:", 7) != 0)
			continue;
		if (rx_search(rx_builtin(&rules_eval_rx, RX_FM_EMAIL),
		    rules_eval_rx.v[RX_FM_EMAIL].name, u + 7, strlen(u + 7), 0,
		    PCRE2_ANCHORED, ov, 2) > 0) {
			char *e = eval_lower(xstrndup(u + 7 + ov[2],
			    ov[3] - ov[2]));

			if (!strlist_contains(&all, e))
				strlist_add(&all, e);
			free(e);
		}
	}
	for (size_t i = 0; i < body->n && all.n < 40; i++) {
		char *t1 = NULL, *t2 = NULL;
		size_t l1 = 0, l2 = 0;
		size_t at = 0;
		const char *l = body->v[i];

		if (strchr(l, '@') == NULL)
			continue;
		/* Drop URLs with an @ and addresses used as labels. */
		l1 = strlen(l) * 2 + 64;
		t1 = xmalloc(l1);
		if (rx_substitute(rx_builtin(&rules_eval_rx, RX_FM_STRIP_URL),
		    rules_eval_rx.v[RX_FM_STRIP_URL].name, l, strlen(l),
		    PCRE2_SUBSTITUTE_GLOBAL, " ", 1, t1, &l1) < 0) {
			free(t1);
			continue;
		}
		l2 = l1 * 2 + 64;
		t2 = xmalloc(l2);
		if (rx_substitute(rx_builtin(&rules_eval_rx,
		    RX_FM_STRIP_LABEL), rules_eval_rx.v[RX_FM_STRIP_LABEL].name,
		    t1, l1, PCRE2_SUBSTITUTE_GLOBAL, " ", 1, t2, &l2) < 0) {
			free(t1);
			free(t2);
			continue;
		}
		while (at < l2 && all.n < 40 && eval_rx_exec(RX_FM_EMAIL, t2,
		    l2, at, ov, 2)) {
			char *e = eval_lower(xstrndup(t2 + ov[2],
			    ov[3] - ov[2]));

			if (!strlist_contains(&all, e))
				strlist_add(&all, e);
			free(e);
			at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
		free(t1);
		free(t2);
	}
	for (size_t i = 0; i < all.n; i++) {
		if (++count_all == 5) {
			ok = false;
			break;
		}
		if (!is_freemail(r, all.v[i]))
			continue;
		if (++count_fm == 3) {
			ok = false;
			break;
		}
		strlist_add(out, all.v[i]);
	}
	strlist_free(&all);
	return ok;
}

static unsigned
ev_freemail_replyto(const struct rule *r, struct eval_ctx *ec)
{
	const char *what = r->neargs > 1 ? r->eargs[0] : "replyto";
	struct strlist from = { 0 }, rt = { 0 }, body = { 0 };
	const char *ef;
	bool from_fm = false, rt_fm = false, not_in = true;
	unsigned hit = 0;

	if (strcmp(what, "replyto") != 0 && strcmp(what, "reply") != 0)
		return 0;
	ef = eval_envfrom_get(ec);
	if (ef != NULL && eval_rx_match(RX_BULK_ENVFROM, ef))
		return 0;
	all_addrs(ec, "From", &from);
	all_addrs(ec, "Reply-To", &rt);
	for (size_t i = 0; i < from.n; i++)
		if (is_freemail(r, from.v[i]))
			from_fm = true;
	for (size_t i = 0; i < rt.n; i++)
		if (is_freemail(r, rt.v[i]))
			rt_fm = true;
	for (size_t i = 0; i < from.n; i++)
		if (strlist_contains(&rt, from.v[i]))
			not_in = false;
	if (from_fm && rt_fm && not_in) {
		hit = 1;
		goto out;
	}
	if (strcmp(what, "replyto") == 0 && !rt_fm)
		goto out;
	/* 'reply': a Reply-To must be freemail, the From always. */
	if (strcmp(what, "reply") == 0 && ((rt.n > 0 && !rt_fm) || !from_fm))
		goto out;
	if (!body_freemails(r, ec, &body))
		goto out;
	{
		const struct strlist *reply = strcmp(what, "replyto") == 0 ?
		    &rt : rt_fm ? &rt : &from;

		for (size_t i = 0; i < body.n && !hit; i++)
			for (size_t j = 0; j < reply->n && !hit; j++)
				if (strcmp(body.v[i], reply->v[j]) != 0)
					hit = 1;
	}
out:
	strlist_free(&from);
	strlist_free(&rt);
	strlist_free(&body);
	return hit;
}

static unsigned
ev_freemail_body(const struct rule *r, struct eval_ctx *ec)
{
	struct strlist body = { 0 };
	unsigned hit = 0;

	if (body_freemails(r, ec, &body))
		for (size_t i = 0; i < body.n && !hit; i++)
			if (r->neargs < 2 ||
			    eval_arg_match(r->ere[0], body.v[i]))
				hit = 1;
	strlist_free(&body);
	return hit;
}

/*
 * FreeMail's optional regex argument (the first of check_freemail_from()
 * and _body(), the second of _header()), compiled once, when the rule is
 * defined; an invalid one never matches, as before any address.
 */
static void
prep_fm_regex(struct rule *r, int na, int k)
{
	if (na <= k)
		return;
	r->ere = xcalloc(EVAL_NRE, sizeof(*r->ere));
	r->ere[0] = rx_compile(r->eargs[k], PCRE2_ZERO_TERMINATED, 0, true,
	    NULL, 0);
}

static void
prep_fm_arg0(struct rule *r, int na)
{
	prep_fm_regex(r, na, 0);
}

static void
prep_fm_arg1(struct rule *r, int na)
{
	prep_fm_regex(r, na, 1);
}

/* ---- The table ---- */

const struct eval_def eval_freemail_tests[] = {
	/* FreeMail */
	{ "check_freemail_from", K_ANY | FM, 0, 1, MIME_BODY | MIME_URI,
	  ev_freemail_from, prep_fm_arg0 },
	{ "check_freemail_header", K_ANY | FM, 1, 2, 0, ev_freemail_header,
	  prep_fm_arg1 },
	{ "check_freemail_replyto", K_ANY | FM, 0, 1, MIME_BODY | MIME_URI,
	  ev_freemail_replyto },
	{ "check_freemail_body", K_ANY | FM, 0, 1, MIME_BODY | MIME_URI,
	  ev_freemail_body, prep_fm_arg0 },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

/* ---- FreeMail settings ---- */

/*
 * While the files are read, the freemail_domains and
 * freemail_welcomelist entries wait in the ruleset's eval_settings
 * table; rules_eval_finish() hands them to the FreeMail rules and
 * empties it.
 */
#define FM_DOMAINS	"freemail_domains"
#define FM_WELCOME	"freemail_welcomelist"
#define MAX_FM_BYTES	(1024 * 1024)

bool
rules_eval_setting(struct ruleset *rs, const char *kw, const char *value,
    const char **why)
{
	const char *key;
	char *old, *nv, *v, *save = NULL;
	struct buf b;
	bool domains;

	if (strcmp(kw, "freemail_domains") == 0)
		key = FM_DOMAINS;
	else if (strcmp(kw, "freemail_welcomelist") == 0 ||
	    strcmp(kw, "freemail_whitelist") == 0)
		key = FM_WELCOME;
	else
		return false;
	domains = strcmp(key, FM_DOMAINS) == 0;
	*why = NULL;
	if (rs->eval_settings == NULL)
		rs->eval_settings = g_hash_table_new_full(g_str_hash,
		    g_str_equal, free, free);
	old = g_hash_table_lookup(rs->eval_settings, key);
	buf_init(&b, MAX_FM_BYTES);
	buf_puts(&b, old ? old : "\n");
	v = eval_lower(xstrdup(value));
	for (char *t = strtok_r(v, " \t", &save); t != NULL;
	    t = strtok_r(NULL, " \t", &save)) {
		bool ok = true;

		if (domains) {
			for (const char *p = t; *p; p++)
				if (!(isalnum((unsigned char)*p) || *p == '.' ||
				    *p == '*' || *p == '?' || *p == '-'))
					ok = false;
		} else {
			/* \w[.@]\w */
			ok = false;
			for (const char *p = t + 1; *p && p[1]; p++)
				if ((*p == '.' || *p == '@') &&
				    (isalnum((unsigned char)p[-1]) ||
				    p[-1] == '_') &&
				    (isalnum((unsigned char)p[1]) || p[1] == '_'))
					ok = true;
		}
		if (!ok) {
			*why = "invalid freemail entry (skipped)";
			continue;
		}
		if (buf_printf(&b, "%s\n", t) < 0) {
			*why = "too many freemail entries (rest skipped)";
			break;
		}
	}
	free(v);
	nv = b.p != NULL ? buf_steal(&b) : xstrdup("\n");
	buf_free(&b);
	g_hash_table_replace(rs->eval_settings, xstrdup(key), nv);
	return true;
}

void
rules_eval_finish(struct ruleset *rs)
{
	const char *dom = NULL, *wl = NULL;
	char *blob;

	if (rs->eval_settings != NULL) {
		dom = g_hash_table_lookup(rs->eval_settings, FM_DOMAINS);
		wl = g_hash_table_lookup(rs->eval_settings, FM_WELCOME);
	}
	blob = xasprintf("%s\x01%s", dom ? dom : "\n", wl ? wl : "\n");
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = rs->rules[i];

		if (r->eval == NULL || !(r->eval->kinds & FM) ||
		    r->neargs == 0)
			continue;
		free(r->eargs[r->neargs - 1]);
		r->eargs[r->neargs - 1] = xstrdup(blob);
	}
	free(blob);
	eval_dns_finish(rs);
	if (rs->eval_settings != NULL) {
		g_hash_table_remove(rs->eval_settings, FM_DOMAINS);
		g_hash_table_remove(rs->eval_settings, FM_WELCOME);
	}
}
