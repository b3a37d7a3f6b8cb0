/*
 * rules_sa.c -- the parts of SpamAssassin's configuration language that
 * carry no rule themselves: the conditions of "if"/"ifplugin" blocks and
 * the replace_tag macros (25_replace.cf), and the splitting of regexes
 * those macros make too large for PCRE2.  rules_parse.c calls these.
 *
 * Conditions are decided honestly: a plugin counts as present only when
 * Warden implements what it provides, a "can(...)" feature only when
 * Warden behaves as the feature promises, and "version" is Warden's
 * declared compatibility level, RULES_SA_VERSION.  Anything else is
 * false, so the body of a block that needs something Warden lacks is
 * never loaded.
 *
 * Ownership: rules_sa_replace() returns a string the caller frees; the
 * tables it reads belong to the ruleset.  rules_sa_share() returns a
 * string and rules_sa_split() pieces (patterns and compiled code) that
 * the caller owns.
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
rules_sa_plugin(const char *name, unsigned set)
{
	for (const char *const *p = present_plugins; *p; p++)
		if (strcmp(name, *p) == 0)
			return true;
	/* Bayes: Warden's statistical filter, when it is on (statistics =
	 * yes), as SpamAssassin's plugin with use_bayes 1. */
	if ((set & 2) && strcmp(name, "Mail::SpamAssassin::Plugin::Bayes") == 0)
		return true;
	/* DNSEval, URIDNSBL and AskDNS: the DNS list tests, when a
	 * resolver is configured (dns_resolver), as SpamAssassin with its
	 * network tests on. */
	/* SPF, DKIM and DMARC: Warden's sender authentication, when it
	 * is on (bit 2 of set: authentication = yes). */
	if ((set & 4) &&
	    (strcmp(name, "Mail::SpamAssassin::Plugin::SPF") == 0 ||
	    strcmp(name, "Mail::SpamAssassin::Plugin::DKIM") == 0 ||
	    strcmp(name, "Mail::SpamAssassin::Plugin::DMARC") == 0 ||
	    /* its name before 4.0, which SpamAssassin still takes */
	    strcmp(name, "Mail::SpamAssassin::Plugin::Dmarc") == 0))
		return true;
	return (set & 1) &&
	    (strcmp(name, "Mail::SpamAssassin::Plugin::DNSEval") == 0 ||
	    strcmp(name, "Mail::SpamAssassin::Plugin::URIDNSBL") == 0 ||
	    strcmp(name, "Mail::SpamAssassin::Plugin::AskDNS") == 0);
}

static bool
feature_present(const char *name, unsigned set)
{
	/* URIDNSBL's, with the network tests on (eval_dns.c). */
	static const char *const uridnsbl[] = {
		"Mail::SpamAssassin::Plugin::URIDNSBL::has_tflags_domains_only",
		"Mail::SpamAssassin::Plugin::URIDNSBL::has_subtest_for_ranges",
		"Mail::SpamAssassin::Plugin::URIDNSBL::has_uridnsbl_for_a",
		"Mail::SpamAssassin::Plugin::URIDNSBL::has_uridnsbl_a_ns",
		"Mail::SpamAssassin::Plugin::URIDNSBL::has_tflags_notrim",
		"Mail::SpamAssassin::Plugin::URIDNSBL::has_uridnsbl_skip_mailto",
		NULL
	};

	for (const char *const *p = uridnsbl; (set & 1) && *p; p++)
		if (strcmp(name, *p) == 0)
			return true;
	for (const char *const *p = present_features; *p; p++)
		if (strcmp(name, *p) == 0)
			return true;
	/* DKIM's ARC tests (eval_auth.c), with authentication = yes. */
	if ((set & 4) &&
	    strcmp(name, "Mail::SpamAssassin::Plugin::DKIM::has_arc") == 0)
		return true;
	return false;
}

/* ---- Conditions ---- */

struct cparse {
	const char *s;
	const char *why;	/* first error */
	int     depth;
	unsigned set;		/* the score set: bit 1 the statistical
				 * filter, bit 0 the network tests */
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
ccall(struct cparse *cp, bool (*test)(const char *, unsigned))
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
	return test(name, cp->set) ? 1 : 0;
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
rules_sa_cond(const char *kw, const char *expr, unsigned set, const char **why)
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
		return rules_sa_plugin(name, set) ? 1 : 0;
	}
	memset(&cp, 0, sizeof(cp));
	cp.s = expr;
	cp.set = set;
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

/* ---- Regexes too large for PCRE2 ---- */

/*
 * SpamAssassin's letter tags (<A>, <B>, ... in 25_replace.cf) expand to
 * alternations of look-alike byte sequences, and a few stock rules use
 * some two hundred of them: patterns of 45 to 224 KB, whose compiled code
 * is more than PCRE2 built with a link size of 2 (Debian's) can address
 * ("regular expression is too large"); Perl has no such limit.  Two
 * rewritings make such a regex one that PCRE2 compiles, or several whose
 * matches together are its matches:
 *
 *   Sharing (rules_sa_share()): every group (?:...) that occurs more
 *   than once, word for word, is compiled once, at its first occurrence
 *   made a named group (?<_wd1>...), and called there from the others,
 *   (?&_wd1); a group repeated a counted number of times, (?:X){5},
 *   which PCRE2 compiles as five copies, becomes (?<_wd2>X)(?&_wd2){4}.
 *   PCRE2 (since 10.30) backtracks into a subroutine call as Perl does,
 *   so a call matches exactly what the group written out would: the
 *   regex means the same, down to where each match is, and is a fraction
 *   of the size (__MY_MALWARE, a pattern of 224 KB: 25 KB of code).
 *
 *   Splitting (rules_sa_split_step()), when sharing is not enough: an
 *   alternation A|B|C becomes two regexes, one with A|B and one with C
 *   in its place (halves by size), when every group around it is a plain
 *   group (capturing or not, named, or with options as in (?i:...))
 *   taken once or optionally ('?').  Backtracking tries every branch in
 *   turn, so P(?:A|B|C)S matches somewhere in a text exactly when
 *   P(?:A|B)S or P(?:C)S does; where the matches are, and how many,
 *   differ.  A repeat (*, +, {n}) combines branches, and an atomic group
 *   or a look-around takes only its first success: their branches are
 *   left alone.
 *
 * Both are exact only when nothing in the regex looks at another part of
 * it: a regex with a back-reference, a subroutine call, a condition, a
 * backtracking verb or callout, or an inline option setting such as (?i)
 * (which PCRE2 carries into the next branches) is refused; sharing also
 * refuses option groups (a call would take the options of the group's
 * first occurrence) and leaves look-arounds and atomic groups alone.  The
 * pattern is parsed as PCRE2 reads it (escapes, \Q...\E, character
 * classes, (?#...) and, in extended mode, # comments and white space).
 * Capture groups mean nothing to a rule, which asks only whether and
 * where the regex matches.
 */

#define MAX_SPLIT_PIECES 64	/* regexes one regex may become */

enum rx_kind { RX_ROOT, RX_PLAIN, RX_CAPTURE, RX_OTHER };
enum rx_quant { RQ_ONE, RQ_OPT, RQ_COUNT, RQ_OTHER };

/* A group of the pattern, or the pattern itself (the root, g[0]). */
struct rx_group {
	enum rx_kind kind;
	int     parent;		/* index in rx_tree.g; -1 for the root */
	size_t  open;		/* its '(' */
	size_t  body;		/* the first byte of its body */
	size_t  close;		/* its ')' (the root: the pattern's length) */
	size_t  qend;		/* one past its quantifier */
	enum rx_quant quant;
	unsigned qmin, qmax;	/* RQ_COUNT: {qmin,qmax} */
	bool    lazy;		/* the quantifier ends in '?' */
	int     child;		/* its first group, -1: none */
	int     next;		/* the next group in its parent, -1: none */
	int     last;		/* (its last group while parsing) */
	size_t *bars;		/* its own '|', in order */
	size_t  nbars, capbars;
};

struct rx_tree {
	const char *s;
	size_t  len;
	struct rx_group *g;
	size_t  n, cap;
	bool    optgroups;	/* some (?i:...)-like group sets options */
	const char *why;	/* refused (static text) */
};

static void
rx_free(struct rx_tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->g[i].bars);
	free(t->g);
	t->g = NULL;
	t->n = t->cap = 0;
}

static int
rx_group_new(struct rx_tree *t, enum rx_kind kind, int parent, size_t open,
    size_t body)
{
	struct rx_group *g;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->g = xrealloc(t->g, t->cap * sizeof(*t->g));
	}
	g = &t->g[t->n];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->parent = parent;
	g->open = open;
	g->body = body;
	g->child = g->next = g->last = -1;
	if (parent >= 0) {
		struct rx_group *pg = &t->g[parent];

		if (pg->last < 0)
			pg->child = (int)t->n;
		else
			t->g[pg->last].next = (int)t->n;
		pg->last = (int)t->n;
	}
	return (int)t->n++;
}

/* The escape at s[i] == '\\'; returns the offset after it. */
static size_t
rx_escape(struct rx_tree *t, size_t i)
{
	const char *s = t->s, *e;
	char c;

	if (i + 1 >= t->len) {
		t->why = "a trailing backslash";
		return t->len;
	}
	c = s[i + 1];
	switch (c) {
	case 'Q':	/* literal up to \E or the end */
		e = strstr(s + i + 2, "\\E");
		return e != NULL ? (size_t)(e - s) + 2 : t->len;
	case 'g':
	case 'k':
		t->why = "a back-reference or subroutine call";
		return t->len;
	case 'c':	/* \c and any one character */
		return i + 3 <= t->len ? i + 3 : t->len;
	case 'x':
	case 'o':
	case 'p':
	case 'P':
	case 'N':
		if (s[i + 2] == '{' && (e = strchr(s + i + 2, '}')) != NULL)
			return (size_t)(e - s) + 1;
		return i + 2;
	default:
		if (c >= '1' && c <= '9') {
			t->why = "a back-reference";
			return t->len;
		}
		return i + 2;
	}
}

/* The character class at s[i] == '['; returns the offset after it. */
static size_t
rx_class(struct rx_tree *t, size_t i)
{
	const char *s = t->s, *e;
	size_t j = i + 1;

	if (s[j] == '^')
		j++;
	if (s[j] == ']')	/* first: a literal ']' */
		j++;
	while (j < t->len) {
		if (s[j] == '\\' && s[j + 1] == 'Q') {
			e = strstr(s + j + 2, "\\E");
			j = e != NULL ? (size_t)(e - s) + 2 : t->len;
		} else if (s[j] == '\\')
			j += 2;
		else if (s[j] == '[' && (s[j + 1] == ':' || s[j + 1] == '.' ||
		    s[j + 1] == '=')) {
			char end[3] = { s[j + 1], ']', '\0' };

			/* [:alpha:] and the like; else '[' is literal. */
			e = strstr(s + j + 2, end);
			j = e != NULL ? (size_t)(e - s) + 2 : j + 1;
		} else if (s[j] == ']')
			return j + 1;
		else
			j++;
	}
	t->why = "an unterminated character class";
	return t->len;
}

/* Past white space and comments that PCRE2 ignores at s[i]. */
static size_t
rx_skip(const struct rx_tree *t, size_t i, bool ext)
{
	const char *s = t->s, *e;

	for (;;) {
		if (ext && i < t->len && strchr(" \t\n\r\v\f", s[i]) != NULL)
			i++;
		else if (ext && s[i] == '#') {
			e = strchr(s + i, '\n');
			i = e != NULL ? (size_t)(e - s) + 1 : t->len;
		} else if (strncmp(s + i, "(?#", 3) == 0) {
			e = strchr(s + i, ')');
			i = e != NULL ? (size_t)(e - s) + 1 : t->len;
		} else
			return i;
	}
}

/* Digits at s[*j], read up to a bound well past any PCRE2 accepts. */
static unsigned
rx_number(const char *s, size_t *j)
{
	unsigned long v = 0;

	for (; isdigit((unsigned char)s[*j]); (*j)++)
		if (v < 1000000)
			v = v * 10 + (unsigned long)(s[*j] - '0');
	return (unsigned)v;
}

/*
 * A counted quantifier {n}, {n,} or {n,m} at s[i] (PCRE2 10.42 reads
 * "{,m}" as literal text): its end, or 0.  *open: no upper bound.
 */
static size_t
rx_count(const char *s, size_t i, unsigned *min, unsigned *max, bool *open)
{
	size_t j = i + 1;

	if (s[i] != '{' || !isdigit((unsigned char)s[j]))
		return 0;
	*min = *max = rx_number(s, &j);
	*open = false;
	if (s[j] == ',') {
		j++;
		if (s[j] == '}')
			*open = true;
		else if (isdigit((unsigned char)s[j]))
			*max = rx_number(s, &j);
		else
			return 0;
	}
	return s[j] == '}' ? j + 1 : 0;
}

/* The quantifier after group g's ')', if any. */
static void
rx_quantifier(struct rx_tree *t, struct rx_group *g, bool ext)
{
	const char *s = t->s;
	size_t q = rx_skip(t, g->close + 1, ext), e;
	unsigned min, max;
	bool open;

	g->quant = RQ_ONE;
	g->qend = g->close + 1;
	if (s[q] == '?' || s[q] == '*' || s[q] == '+') {
		g->quant = s[q] == '?' ? RQ_OPT : RQ_OTHER;
		q++;
	} else if ((e = rx_count(s, q, &g->qmin, &g->qmax, &open)) != 0) {
		g->quant = open || g->qmin > g->qmax ? RQ_OTHER : RQ_COUNT;
		q = e;
	} else
		return;
	if (s[q] == '?') {
		g->lazy = true;
		q++;
	} else if (s[q] == '+') {	/* possessive: atomic, no choice */
		g->quant = RQ_OTHER;
		q++;
	}
	g->qend = q;
	/* A quantifier on the quantified group: leave it alone. */
	q = rx_skip(t, q, ext);
	if (s[q] == '?' || s[q] == '*' || s[q] == '+' ||
	    rx_count(s, q, &min, &max, &open) != 0)
		g->quant = RQ_OTHER;
}

/*
 * The group opened at s[i] == '(': its kind and where its body starts;
 * *ext is set for its body when it is an option group turning x on or
 * off.  Returns false (t->why set) for the constructs refused.
 */
static bool
rx_open(struct rx_tree *t, size_t i, enum rx_kind *kind, size_t *body,
    bool *ext)
{
	const char *s = t->s;
	size_t j;

	if (s[i + 1] == '*') {
		t->why = "a backtracking verb or (*...) item";
		return false;
	}
	if (s[i + 1] != '?') {
		*kind = RX_CAPTURE;
		*body = i + 1;
		return true;
	}
	j = i + 2;
	switch (s[j]) {
	case ':':
		*kind = RX_PLAIN;
		*body = j + 1;
		return true;
	case '|':
	case '>':
	case '=':
	case '!':
		*kind = RX_OTHER;
		*body = j + 1;
		return true;
	case '<':
		if (s[j + 1] == '=' || s[j + 1] == '!') {
			*kind = RX_OTHER;
			*body = j + 2;
			return true;
		}
		/* Else (?<name>...), as (?'name'...). */
		/* FALLTHROUGH */
	case '\'':
		*kind = RX_CAPTURE;
		for (j++; isalnum((unsigned char)s[j]) || s[j] == '_'; j++)
			;
		if (s[j] != (s[i + 2] == '<' ? '>' : '\'')) {
			t->why = "a group syntax Warden does not read";
			return false;
		}
		*body = j + 1;
		return true;
	case 'P':
		if (s[j + 1] == '<') {
			j++;
			*kind = RX_CAPTURE;
			for (j++; isalnum((unsigned char)s[j]) || s[j] == '_';
			    j++)
				;
			if (s[j] != '>') {
				t->why = "a group syntax Warden does not read";
				return false;
			}
			*body = j + 1;
			return true;
		}
		t->why = "a back-reference or subroutine call";
		return false;
	case '(':
		t->why = "a condition";
		return false;
	case 'C':
		t->why = "a callout";
		return false;
	default:
		break;
	}
	if (s[j] == 'R' || s[j] == '&' || s[j] == '+' ||
	    isdigit((unsigned char)s[j]) ||
	    (s[j] == '-' && isdigit((unsigned char)s[j + 1]))) {
		t->why = "a subroutine call or recursion";
		return false;
	}
	/* Options: (?i:...) is a plain group; (?i) alone is refused. */
	for (bool on = true; ; j++) {
		if (s[j] == '-')
			on = false;
		else if (s[j] == '^')
			*ext = false;
		else if (s[j] == 'x')
			*ext = on;
		else if (!isalpha((unsigned char)s[j]))
			break;
	}
	if (s[j] == ':') {
		*kind = RX_PLAIN;
		*body = j + 1;
		t->optgroups = true;
		return true;
	}
	t->why = s[j] == ')' ? "an inline option setting" :
	    "a group syntax Warden does not read";
	return false;
}

#define RX_MAX_DEPTH 250	/* PCRE2's own nesting limit */

/* Parse pattern s as PCRE2 would with opts; false with t->why if not. */
static bool
rx_parse(struct rx_tree *t, const char *s, uint32_t opts)
{
	int stack[RX_MAX_DEPTH + 1];
	bool xs[RX_MAX_DEPTH + 1];
	int depth = 0;
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	t->s = s;
	t->len = strlen(s);
	stack[0] = rx_group_new(t, RX_ROOT, -1, 0, 0);
	xs[0] = (opts & PCRE2_EXTENDED) != 0;
	while (i < t->len && t->why == NULL) {
		struct rx_group *g;
		size_t k;

		if ((k = rx_skip(t, i, xs[depth])) != i) {
			i = k;
			continue;
		}
		switch (s[i]) {
		case '\\':
			i = rx_escape(t, i);
			break;
		case '[':
			i = rx_class(t, i);
			break;
		case '|':
			g = &t->g[stack[depth]];
			if (g->nbars == g->capbars) {
				g->capbars = g->capbars ? g->capbars * 2 : 8;
				g->bars = xrealloc(g->bars, g->capbars *
				    sizeof(*g->bars));
			}
			g->bars[g->nbars++] = i++;
			break;
		case '(': {
			enum rx_kind kind;
			size_t body;
			bool ext = xs[depth];

			if (!rx_open(t, i, &kind, &body, &ext))
				break;
			if (depth == RX_MAX_DEPTH) {
				t->why = "groups nested too deeply";
				break;
			}
			stack[depth + 1] = rx_group_new(t, kind, stack[depth], i,
			    body);
			xs[depth + 1] = ext;
			depth++;
			i = body;
			break;
		}
		case ')':
			if (depth == 0) {
				t->why = "an unmatched ')'";
				break;
			}
			g = &t->g[stack[depth]];
			g->close = i;
			rx_quantifier(t, g, xs[depth - 1]);
			depth--;
			i++;
			break;
		default:
			i++;
			break;
		}
	}
	if (t->why == NULL && depth != 0)
		t->why = "a missing ')'";
	t->g[0].close = t->g[0].qend = t->len;
	if (t->why != NULL) {
		rx_free(t);
		return false;
	}
	return true;
}

/* ---- Sharing ---- */

#define MIN_SHARED	16	/* bytes of a group worth a call */

/* Sharing under way: the groups named, and the pattern written so far. */
struct rx_share {
	const struct rx_tree *t;
	GHashTable *names;	/* text (owned) -> GUINT: name number */
	GHashTable *seen;	/* text (owned) -> GUINT: occurrences */
	bool   *defined;	/* by name number */
	unsigned n;
	GString *out;
};

/* A (?:...) group outside look-arounds and atomic groups. */
static bool
rx_shareable(const struct rx_tree *t, int i)
{
	const struct rx_group *g = &t->g[i];

	if (g->kind != RX_PLAIN || t->s[g->open + 2] != ':' ||
	    g->close - g->open + 1 < MIN_SHARED)
		return false;
	for (int p = g->parent; p >= 0; p = t->g[p].parent)
		if (t->g[p].kind == RX_OTHER)
			return false;
	return true;
}

static char *
rx_text(const struct rx_tree *t, const struct rx_group *g)
{
	return xstrndup(t->s + g->open, g->close - g->open + 1);
}

static void rx_emit_group(struct rx_share *sh, int i);

/* Group i's body, its groups shared or written out. */
static void
rx_emit_body(struct rx_share *sh, int i)
{
	const struct rx_tree *t = sh->t;
	size_t pos = t->g[i].body;

	for (int c = t->g[i].child; c >= 0; c = t->g[c].next) {
		g_string_append_len(sh->out, t->s + pos, (gssize)(t->g[c].open -
		    pos));
		rx_emit_group(sh, c);
		pos = t->g[c].qend;
	}
	g_string_append_len(sh->out, t->s + pos, (gssize)(t->g[i].close -
	    pos));
}

static void
rx_emit_group(struct rx_share *sh, int i)
{
	const struct rx_tree *t = sh->t;
	const struct rx_group *g = &t->g[i];
	bool counted = g->quant == RQ_COUNT && g->qmin >= 1 && g->qmax >= 2;
	unsigned k = 0;

	if (rx_shareable(t, i)) {
		char *text = rx_text(t, g);

		k = GPOINTER_TO_UINT(g_hash_table_lookup(sh->names, text));
		if (k == 0 && counted) {
			k = ++sh->n;
			g_hash_table_insert(sh->names, text, GUINT_TO_POINTER(k));
			sh->defined = xrealloc(sh->defined, (sh->n + 1) *
			    sizeof(*sh->defined));
			sh->defined[k] = false;
		} else
			free(text);
	}
	if (k == 0) {
		g_string_append_len(sh->out, t->s + g->open, (gssize)(g->body -
		    g->open));
		rx_emit_body(sh, i);
		g_string_append_len(sh->out, t->s + g->close, (gssize)(g->qend -
		    g->close));
		return;
	}
	if (sh->defined[k]) {
		g_string_append_printf(sh->out, "(?&_wd%u)", k);
		g_string_append_len(sh->out, t->s + g->close + 1,
		    (gssize)(g->qend - g->close - 1));
		return;
	}
	sh->defined[k] = true;
	g_string_append_printf(sh->out, "(?<_wd%u>", k);
	rx_emit_body(sh, i);
	g_string_append_c(sh->out, ')');
	if (counted)
		g_string_append_printf(sh->out, "(?&_wd%u){%u,%u}%s", k,
		    g->qmin - 1, g->qmax - 1, g->lazy ? "?" : "");
	else
		g_string_append_len(sh->out, t->s + g->close + 1,
		    (gssize)(g->qend - g->close - 1));
}

char *
rules_sa_share(const char *pat, uint32_t opts, const char **why)
{
	struct rx_tree t;
	struct rx_share sh;
	char *r = NULL;

	*why = NULL;
	if (strstr(pat, "_wd") != NULL) {
		*why = "it holds \"_wd\", which names shared groups";
		return NULL;
	}
	if (!rx_parse(&t, pat, opts)) {
		*why = t.why;
		return NULL;
	}
	if (t.optgroups) {
		*why = "an option group";
		rx_free(&t);
		return NULL;
	}
	memset(&sh, 0, sizeof(sh));
	sh.t = &t;
	sh.names = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	sh.seen = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	/* Count every text, and name those that occur twice or more. */
	for (size_t i = 1; i < t.n; i++) {
		char *text;
		unsigned c;

		if (!rx_shareable(&t, (int)i))
			continue;
		text = rx_text(&t, &t.g[i]);
		c = GPOINTER_TO_UINT(g_hash_table_lookup(sh.seen, text)) + 1;
		g_hash_table_replace(sh.seen, text, GUINT_TO_POINTER(c));
	}
	/* Numbered in the order of their first occurrence. */
	for (size_t i = 1; i < t.n; i++) {
		char *text;

		if (!rx_shareable(&t, (int)i))
			continue;
		text = rx_text(&t, &t.g[i]);
		if (GPOINTER_TO_UINT(g_hash_table_lookup(sh.seen, text)) < 2 ||
		    g_hash_table_contains(sh.names, text))
			free(text);
		else
			g_hash_table_insert(sh.names, text,
			    GUINT_TO_POINTER(++sh.n));
	}
	sh.defined = xcalloc(sh.n + 1, sizeof(*sh.defined));
	sh.out = g_string_new(NULL);
	rx_emit_body(&sh, 0);
	if (strcmp(sh.out->str, pat) != 0)
		r = xstrdup(sh.out->str);
	else
		*why = "no group occurs twice or is repeated a counted number "
		    "of times";
	g_string_free(sh.out, TRUE);
	g_hash_table_destroy(sh.names);
	g_hash_table_destroy(sh.seen);
	free(sh.defined);
	rx_free(&t);
	return r;
}

/* ---- Splitting ---- */

/*
 * Whether a branch of group i may stand for the whole group: i and every
 * group around it are plain and taken at most once.
 */
static bool
rx_choosable(const struct rx_tree *t, int i)
{
	for (; i >= 0; i = t->g[i].parent) {
		const struct rx_group *g = &t->g[i];

		if (g->kind == RX_OTHER || (g->quant != RQ_ONE &&
		    g->quant != RQ_OPT))
			return false;
	}
	return true;
}

/*
 * The alternation whose halves leave the larger piece smallest: group
 * *gi, first half up to its bar *bi.  False when there is none.
 */
static bool
rx_best_split(const struct rx_tree *t, int *gi, size_t *bi)
{
	size_t best = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct rx_group *g = &t->g[i];

		if (g->nbars == 0 || !rx_choosable(t, (int)i))
			continue;
		for (size_t k = 0; k < g->nbars; k++) {
			size_t left = g->bars[k] - g->body;
			size_t right = g->close - g->bars[k] - 1;
			size_t gain = g->close - g->body -
			    (left > right ? left : right);

			if (gain > best) {
				best = gain;
				*gi = (int)i;
				*bi = k;
			}
		}
	}
	return best > 0;
}

bool
rules_sa_split_step(const char *pat, uint32_t opts, char **a, char **b,
    const char **why)
{
	struct rx_tree t;
	const struct rx_group *g;
	int gi;
	size_t bi;

	*a = *b = NULL;
	if (!rx_parse(&t, pat, opts)) {
		*why = t.why;
		return false;
	}
	if (!rx_best_split(&t, &gi, &bi)) {
		rx_free(&t);
		*why = "no alternation that can be split";
		return false;
	}
	g = &t.g[gi];
	*a = xasprintf("%.*s%.*s%s", (int)g->body, pat,
	    (int)(g->bars[bi] - g->body), pat + g->body, pat + g->close);
	*b = xasprintf("%.*s%.*s%s", (int)g->body, pat,
	    (int)(g->close - g->bars[bi] - 1), pat + g->bars[bi] + 1,
	    pat + g->close);
	rx_free(&t);
	return true;
}

bool
rules_sa_too_large(int err)
{
	return err == PCRE2_ERROR_PATTERN_TOO_LARGE ||
	    err == PCRE2_ERROR_PATTERN_TOO_COMPLICATED;
}

/* Compile p; NULL, with *too_large, when PCRE2 will not. */
static pcre2_code *
rx_compile(const char *p, uint32_t opts, bool *too_large)
{
	pcre2_code *re;
	int err;
	PCRE2_SIZE off;

	re = pcre2_compile((PCRE2_SPTR)p, strlen(p), opts, &err, &off, NULL);
	*too_large = re == NULL && rules_sa_too_large(err);
	return re;
}

size_t
rules_sa_split(const char *pat, uint32_t opts, bool split,
    struct sa_piece **out, const char **why)
{
	char **todo = xcalloc(MAX_SPLIT_PIECES + 1, sizeof(*todo));
	struct sa_piece *done = xcalloc(MAX_SPLIT_PIECES, sizeof(*done));
	size_t ntodo = 0, ndone = 0;

	*out = NULL;
	*why = NULL;
	todo[ntodo++] = xstrdup(pat);
	/* Depth first, the first piece last on the stack: pieces come out
	 * in the order of the pattern's branches. */
	while (ntodo > 0 && *why == NULL) {
		char *p = todo[--ntodo], *c, *a, *b;
		const char *cwhy = NULL;
		pcre2_code *re;
		bool big, cbig;

		if ((re = rx_compile(p, opts, &big)) == NULL && big &&
		    (c = rules_sa_share(p, opts, &cwhy)) != NULL) {
			if ((re = rx_compile(c, opts, &cbig)) != NULL) {
				free(p);
				p = c;
			} else
				free(c);
		}
		if (re != NULL) {
			done[ndone].pat = p;
			done[ndone++].re = re;
			continue;
		}
		if (!big)
			*why = "a piece does not compile";
		else if (!split)
			*why = cwhy != NULL ? cwhy : "too large even with its "
			    "repeated groups compiled once";
		else if (!rules_sa_split_step(p, opts, &a, &b, why))
			;
		else if (ndone + ntodo + 2 > MAX_SPLIT_PIECES) {
			*why = "more than 64 pieces would be needed";
			free(a);
			free(b);
		} else {
			todo[ntodo++] = b;
			todo[ntodo++] = a;
		}
		free(p);
	}
	while (ntodo > 0)
		free(todo[--ntodo]);
	free(todo);
	if (*why != NULL) {
		for (size_t i = 0; i < ndone; i++) {
			free(done[i].pat);
			pcre2_code_free(done[i].re);
		}
		free(done);
		return 0;
	}
	*out = done;
	return ndone;
}
