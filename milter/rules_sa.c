/*
 * rules_sa.c -- the parts of SpamAssassin's configuration language that
 * carry no rule themselves: the conditions of "if"/"ifplugin" blocks and
 * the replace_tag macros (25_replace.cf).  rules_parse.c calls these.
 *
 * Conditions are decided honestly: a plugin counts as present only when
 * Warden implements what it provides, a "can(...)" feature only when
 * Warden behaves as the feature promises, and "version" is Warden's
 * declared compatibility level, RULES_SA_VERSION.  Anything else is
 * false, so the body of a block that needs something Warden lacks is
 * never loaded.
 *
 * Ownership: rules_sa_replace() returns a string the caller frees; the
 * tables it reads belong to the ruleset.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

#define MAX_REPLACE_PASSES 6

/*
 * Plugins whose whole function Warden implements: a plugin is listed
 * only when everything its blocks in the stock rules use is here (its
 * settings, its rule kinds, and every eval: test those blocks call; the
 * tests are in rules_eval.c, named after SpamAssassin's).
 *
 *   ReplaceTags  the replace_* macros (rules_sa_replace()).
 *   HeaderEval   all 28 of its tests: forged Received checks, dates,
 *                recipients, Subject, Message-ID, illegal characters...
 *                check_for_faraway_charset_in_headers never hits: with
 *                ok_locales "all" (the stock 10_default_prefs.cf value;
 *                Warden skips the setting, lint counts it) no charset
 *                is far away, in SpamAssassin either.  check_ratware_
 *                envelope_from approximates the registry-domain list
 *                with the common second-level suffixes (co.uk, ...).
 *   RelayEval    all of its tests (trust, HELO, rDNS checks) over the
 *                relay chain of relays.c.
 *   MIMEEval     all of its tests, over the MIME structure split as
 *                SpamAssassin's Message.pm splits it (check_for_faraway_
 *                charset: as above).
 *   BodyEval     all of its tests.
 *   FreeMail     its four tests, freemail_domains (with wildcards) and
 *                freemail_welcomelist; its size settings keep their
 *                defaults (the stock rules set none).
 *   MIMEHeader   the mimeheader rule kind (rules.c): Header-Name and
 *                :raw, ALL, [if-unset: ...], over every MIME part from
 *                the message itself on, with tflags range=, concat,
 *                multiple and maxhits=.  Its named captures (tags) are
 *                not kept: Warden has no capture tags.  A !~ rule hits
 *                when no part's value matches, as the plugin documents
 *                (SpamAssassin 4.0.1's code makes every !~ rule hit; no
 *                stock rule uses !~).
 *   HTMLEval     all of its tests, over html.c's analysis of each HTML
 *                part (HTML.pm's results: tag statistics, colours and
 *                invisible text, image areas, titles, anchors,
 *                comments).  html_charset_faraway never hits, as in
 *                SpamAssassin: its results never carry the charsets the
 *                test reads (and ok_locales is "all").
 *
 * Not listed: the network plugins (DNSEval, URIDNSBL, SPF, DKIM, ...)
 * and the others with no native tests.
 */
static const char *const present_plugins[] = {
	"Mail::SpamAssassin::Plugin::ReplaceTags",
	"Mail::SpamAssassin::Plugin::HeaderEval",
	"Mail::SpamAssassin::Plugin::RelayEval",
	"Mail::SpamAssassin::Plugin::MIMEEval",
	"Mail::SpamAssassin::Plugin::BodyEval",
	"Mail::SpamAssassin::Plugin::FreeMail",
	"Mail::SpamAssassin::Plugin::MIMEHeader",
	"Mail::SpamAssassin::Plugin::HTMLEval",
	NULL
};

/*
 * Feature tests of the configuration language that Warden honours:
 * bug6558_free (a meta over an absent rule sees 0), the Perl 5.10 regex
 * syntax (PCRE2 has it), the welcomelist/blocklist spelling (the
 * settings are read and skipped under either name), and
 * originating_ip_headers (the setting and clear_originating_ip_headers
 * are kept; relays.c adds a hop for each such header field with an IP
 * address after the Received hops, as SpamAssassin's Received.pm does).
 * capture_rules,
 * registryboundaries, dns_block_rule, bayes_stopwords and the has_*
 * methods of tests Warden lacks are absent.
 */
static const char *const present_features[] = {
	"Mail::SpamAssassin::Conf::feature_bug6558_free",
	"Mail::SpamAssassin::Conf::perl_min_version_5010000",
	"Mail::SpamAssassin::Conf::feature_welcomelist_blocklist",
	"Mail::SpamAssassin::Conf::feature_originating_ip_headers",
	/* Tests of plugins listed above, which Warden has. */
	"Mail::SpamAssassin::Plugin::MIMEEval::has_check_for_ascii_text_illegal",
	"Mail::SpamAssassin::Plugin::MIMEEval::has_check_abundant_unicode_ratio",
	"Mail::SpamAssassin::Plugin::MIMEEval::has_check_qp_ratio",
	"Mail::SpamAssassin::Plugin::BodyEval::has_check_body_length",
	"Mail::SpamAssassin::Plugin::BodyEval::has_plaintext_body_sig_ratio",
	"Mail::SpamAssassin::Plugin::MIMEHeader::has_all_header",
	"Mail::SpamAssassin::Plugin::MIMEHeader::has_tflags_range",
	"Mail::SpamAssassin::Plugin::MIMEHeader::has_tflags_concat",
	"Mail::SpamAssassin::Plugin::MIMEHeader::has_tflags_multiple",
	NULL
};

bool
rules_sa_plugin(const char *name)
{
	for (const char *const *p = present_plugins; *p; p++)
		if (strcmp(name, *p) == 0)
			return true;
	return false;
}

static bool
feature_present(const char *name)
{
	for (const char *const *p = present_features; *p; p++)
		if (strcmp(name, *p) == 0)
			return true;
	return false;
}

/* ---- Conditions ---- */

struct cparse {
	const char *s;
	const char *why;	/* first error */
	int     depth;
};

static void
cws(struct cparse *cp)
{
	while (*cp->s == ' ' || *cp->s == '\t')
		cp->s++;
}

static bool
caccept(struct cparse *cp, const char *tok)
{
	size_t n = strlen(tok);

	cws(cp);
	if (strncmp(cp->s, tok, n) != 0)
		return false;
	if (n == 1 && (tok[0] == '<' || tok[0] == '>' || tok[0] == '!') &&
	    cp->s[1] == '=')
		return false;
	cp->s += n;
	return true;
}

static void
cfail(struct cparse *cp, const char *why)
{
	if (cp->why == NULL)
		cp->why = why;
}

static double cor(struct cparse *cp);

/* plugin(NAME) or can(NAME): the NAME, checked against test(). */
static double
ccall(struct cparse *cp, bool (*test)(const char *))
{
	char name[256];
	size_t n;

	if (!caccept(cp, "(")) {
		cfail(cp, "expected '(' after plugin or can");
		return 0;
	}
	cws(cp);
	n = strcspn(cp->s, ") \t");
	if (n == 0 || n >= sizeof(name)) {
		cfail(cp, "expected a name in plugin(...) or can(...)");
		return 0;
	}
	memcpy(name, cp->s, n);
	name[n] = '\0';
	cp->s += n;
	if (!caccept(cp, ")")) {
		cfail(cp, "missing ')'");
		return 0;
	}
	return test(name) ? 1 : 0;
}

static double
cunary(struct cparse *cp)
{
	double v = 0;

	if (cp->why != NULL)
		return 0;
	if (++cp->depth > 32) {
		cfail(cp, "condition nested too deeply");
		return 0;
	}
	cws(cp);
	if (caccept(cp, "!"))
		v = cunary(cp) == 0;
	else if (caccept(cp, "(")) {
		v = cor(cp);
		if (!caccept(cp, ")"))
			cfail(cp, "missing ')'");
	} else if (strncmp(cp->s, "version", 7) == 0 &&
	    !isalnum((unsigned char)cp->s[7]) && cp->s[7] != '_') {
		cp->s += 7;
		v = RULES_SA_VERSION;
	} else if (strncmp(cp->s, "plugin", 6) == 0 &&
	    !isalnum((unsigned char)cp->s[6])) {
		cp->s += 6;
		v = ccall(cp, rules_sa_plugin);
	} else if (strncmp(cp->s, "can", 3) == 0 &&
	    !isalnum((unsigned char)cp->s[3])) {
		cp->s += 3;
		v = ccall(cp, feature_present);
	} else if (isdigit((unsigned char)*cp->s)) {
		char *e;

		v = strtod(cp->s, &e);
		cp->s = e;
	} else
		cfail(cp, *cp->s ? "unknown term in condition" :
		    "condition ends too early");
	cp->depth--;
	return v;
}

static double
ccmp(struct cparse *cp)
{
	double a = cunary(cp);

	for (;;) {
		if (cp->why != NULL)
			return 0;
		if (caccept(cp, ">="))
			a = a >= cunary(cp);
		else if (caccept(cp, "<="))
			a = a <= cunary(cp);
		else if (caccept(cp, "=="))
			a = a == cunary(cp);
		else if (caccept(cp, "!="))
			a = a != cunary(cp);
		else if (caccept(cp, ">"))
			a = a > cunary(cp);
		else if (caccept(cp, "<"))
			a = a < cunary(cp);
		else
			return a;
	}
}

static double
cand(struct cparse *cp)
{
	double a = ccmp(cp);

	while (cp->why == NULL && caccept(cp, "&&")) {
		double b = ccmp(cp);

		a = a != 0 && b != 0;
	}
	return a;
}

static double
cor(struct cparse *cp)
{
	double a = cand(cp);

	while (cp->why == NULL && caccept(cp, "||")) {
		double b = cand(cp);

		a = a != 0 || b != 0;
	}
	return a;
}

int
rules_sa_cond(const char *kw, const char *expr, const char **why)
{
	struct cparse cp;
	double v;

	*why = NULL;
	if (strcmp(kw, "ifplugin") == 0) {
		char name[256];
		size_t n;

		expr += strspn(expr, " \t");
		n = strcspn(expr, " \t");
		if (n == 0 || n >= sizeof(name)) {
			*why = "ifplugin: no plugin name";
			return -1;
		}
		memcpy(name, expr, n);
		name[n] = '\0';
		expr += n;
		expr += strspn(expr, " \t");
		if (*expr != '\0' && *expr != '#') {
			*why = "ifplugin: unexpected text after the "
			    "plugin name";
			return -1;
		}
		return rules_sa_plugin(name) ? 1 : 0;
	}
	memset(&cp, 0, sizeof(cp));
	cp.s = expr;
	v = cor(&cp);
	cws(&cp);
	if (cp.why == NULL && *cp.s != '\0' && *cp.s != '#')
		cfail(&cp, "unexpected text after the condition");
	if (cp.why != NULL) {
		*why = cp.why;
		return -1;
	}
	return v != 0;
}

/* ---- replace_tag macros ---- */

/* Remove the first "<KIND NAME>" from s; the NAME (owned) or NULL. */
static char *
take_modifier(GString *s, const char *st, const char *en, const char *kind)
{
	char *open = g_strdup_printf("%s%s ", st, kind);
	char *p = strstr(s->str, open), *name = NULL;

	if (p != NULL) {
		const char *q = p + strlen(open);
		const char *e = strstr(q, en);

		if (e != NULL && e > q) {
			name = g_strndup(q, (size_t)(e - q));
			g_string_erase(s, p - s->str,
			    (e + strlen(en)) - p);
		}
	}
	g_free(open);
	return name;
}

static const char *
lookup(GHashTable *t, const char *name)
{
	return name != NULL && t != NULL ? g_hash_table_lookup(t, name) : NULL;
}

/*
 * One pass of SpamAssassin's ReplaceTags: split the pattern into tags
 * and the text between them; give each tag its pre and post text, each
 * empty gap (two tags side by side, or a tag at the very start) the inter
 * text, and each known tag its value.  *again is set when a value holds
 * another tag.
 */
static void
replace_pass(const struct ruleset *rs, GString *s, bool *again)
{
	const char *st = rs->replace_start ? rs->replace_start : "<";
	const char *en = rs->replace_end ? rs->replace_end : ">";
	char *pre_n = take_modifier(s, st, en, "pre");
	char *post_n = take_modifier(s, st, en, "post");
	char *inter_n = take_modifier(s, st, en, "inter");
	const char *pre = lookup(rs->replace_pre, pre_n);
	const char *post = lookup(rs->replace_post, post_n);
	const char *inter = lookup(rs->replace_inter, inter_n);
	GString *out = g_string_new(NULL);
	const char *p = s->str;
	size_t stl = strlen(st), enl = strlen(en);
	bool gap_empty = true;	/* nothing since the last tag or start */

	while (*p) {
		const char *e;

		if (strncmp(p, st, stl) == 0 &&
		    (e = strstr(p + stl, en)) != NULL && e > p + stl &&
		    memchr(p + stl, st[0], (size_t)(e - p - stl)) == NULL) {
			char *tag = g_strndup(p + stl, (size_t)(e - p - stl));
			const char *val = g_hash_table_lookup(rs->replace_tags,
			    tag);

			if (gap_empty && inter != NULL)
				g_string_append(out, inter);
			if (pre != NULL)
				g_string_append(out, pre);
			if (val != NULL) {
				g_string_append(out, val);
				if (strstr(val, st) != NULL)
					*again = true;
			} else
				g_string_append_len(out, p, (e + enl) - p);
			if (post != NULL)
				g_string_append(out, post);
			g_free(tag);
			p = e + enl;
			gap_empty = true;
			continue;
		}
		g_string_append_c(out, *p++);
		gap_empty = false;
	}
	g_string_assign(s, out->str);
	g_string_free(out, TRUE);
	g_free(pre_n);
	g_free(post_n);
	g_free(inter_n);
}

char *
rules_sa_replace(const struct ruleset *rs, const char *pat)
{
	GString *s = g_string_new(pat);
	char *r;
	int passes = 0;
	bool again;

	do {
		again = false;
		replace_pass(rs, s, &again);
	} while (again && ++passes < MAX_REPLACE_PASSES);
	r = xstrdup(s->str);
	g_string_free(s, TRUE);
	return r;
}
