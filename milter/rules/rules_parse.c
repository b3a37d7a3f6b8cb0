/*
 * rules_parse.c -- rule files to rules: Warden's rule language, which is
 * SpamAssassin's plus the SMTP-stage kinds (connect, helo, envfrom,
 * envrcpt), filename and mimetype.
 *
 * rules_parse_file()/rules_parse_text() add what they read to a ruleset
 * that rules.c created; every problem goes to the caller's diag as
 * "file:line: message".  rules_finish() runs once after the last file:
 * it resolves meta references, orders the metas, applies default scores
 * and drops score/describe/tflags lines for rules never defined.
 *
 * Ownership: strings read from a file are copied into the rule that holds
 * them; file names are kept once in rs->files and borrowed by the rules.
 *
 * Two Warden additions: "%{hostname}" inside a regex stands for the
 * server's own name (config key hostname), regex-quoted, so that a helo
 * rule can compare the HELO with it; and besides CIDR blocks a connect
 * rule takes the words "local" (loopback, or no client address: a local
 * pipe), "trusted" (config trusted_networks) and "internal" (config
 * internal_relays).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "rules_int.h"

#define MAX_INCLUDE_DEPTH 10
#define MAX_META_NODES	4096
#define MAX_META_DEPTH	64
#define MAX_FILE_SIZE	(16u << 20)

const char *const rules_kind_names[RK_NKINDS] = { "connect", "helo",
	"envfrom", "envrcpt", "header", "body", "rawbody", "uri", "full",
	"filename", "mimetype", "mimeheader", "meta" };

/* SpamAssassin settings that carry no rule here: skipped and counted. */
static const char *const sa_settings[] = {
	"lang", "report", "add_header", "remove_header", "clear_headers",
	"clear_report_template", "report_contact", "report_safe",
	"required_score", "required_hits", "loadplugin", "tryplugin",
	"require_version", "version_tag", "priority", "whitelist_from",
	"unwhitelist_from", "blacklist_from", "unblacklist_from",
	"welcomelist_from", "blocklist_from", "whitelist_to", "blacklist_to",
	"whitelist_from_rcvd", "def_whitelist_from_rcvd",
	"welcomelist_from_rcvd", "def_welcomelist_from_rcvd",
	"whitelist_auth", "def_whitelist_auth", "welcomelist_auth",
	"def_welcomelist_auth", "trusted_networks", "internal_networks",
	"msa_networks", "clear_trusted_networks", "clear_internal_networks",
	"uridnsbl", "urirhsbl", "urirhssub", "uridnssub", "uridnsbl_skip_domain",
	"util_rb_tld", "util_rb_2tld", "util_rb_3tld",
	"redirector_pattern", "replace_tag", "replace_inter", "replace_post",
	"replace_pre", "replace_rules", "replace_start", "replace_end", "test",
	"reuse", "freemail_domains", "freemail_whitelist",
	"use_bayes", "bayes_auto_learn", "use_auto_whitelist", "use_txrep",
	"dns_available", "skip_rbl_checks", "ok_locales", "ok_languages",
	"enlist_uri_host", "delist_uri_host", "enlist_addrlist",
	"blacklist_uri_host", "whitelist_uri_host", "rewrite_header",
	"unsafe_report", "fold_headers", "envelope_sender_header",
	"dns_server", "normalize_charset", "body_part_scan_size",
	"rawbody_part_scan_size", "check_rbl", "shortcircuit",
	"header_and_body", "uri_detail", "full_rewrite", "hashcash_accept",
	NULL
};

/* Trim white space in place (str_trim() returns a pointer instead). */
static void
trim_in_place(char *s)
{
	char *t = str_trim(s);

	if (t != s)
		memmove(s, t, strlen(t) + 1);
}

/* Families of SpamAssassin settings, by prefix. */
static const char *const sa_prefixes[] = {
	"bayes_", "report_", "clear_", "txrep_", "auto_whitelist_", "dcc_",
	"pyzor_", "razor_", "dkim_", "spf_", "whitelist_", "blacklist_",
	"welcomelist_", "blocklist_", "def_", "unwhitelist_", "unblacklist_",
	"uridnsbl_", "util_rb_", "dns_", "rbl_", "textcat_", "freemail_",
	"url_shortener", "fns_", "adsp_", "asn_", "geodb_", "hashbl_",
	"olevbmacro_", "pdfinfo_", "phishing_", "dmarc_", "originating_ip_",
	"use_", "trusted_", "internal_", "msa_", "envelope_", "lock_",
	"tmp_", "user_", "allow_", "always_", "skip_", "shortcircuit_",
	"check_", "tflags_", NULL
};
/* SpamAssassin plugin settings that define a rule NAME (second word). */
static const char *const sa_rule_settings[] = {
	"askdns", "urirhssub", "urirhsbl", "uridnsbl", "uridnssub",
	"check_rbl", "hashbl_rule", "dns_block_rule", NULL
};

/*
 * SpamAssassin tflags that change nothing for Warden's local tests:
 * publishing and learning hints, and the flags of network and DNS tests
 * (those rules are skipped; "net" rules have score 0 in score set 0,
 * which is the one Warden uses).
 */
static const char *const sa_tflags[] = {
	"publish", "nopublish", "net", "learn", "userconf", "noautolearn",
	"autolearn_force", "autolearn_body", "a", "dns", "domains_only",
	"ips_only", "range", "noawl", "notrim", "nolog", NULL
};

static bool
in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (strcmp(s, *l) == 0)
			return true;
	return false;
}

static bool
has_prefix(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (strncmp(s, *l, strlen(*l)) == 0)
			return true;
	return false;
}

static void
count_skip(struct ruleset *rs, const char *what)
{
	for (size_t i = 0; i < rs->nskips; i++)
		if (strcmp(rs->skips[i].what, what) == 0) {
			rs->skips[i].n++;
			return;
		}
	rs->skips = xrealloc(rs->skips, (rs->nskips + 1) * sizeof(*rs->skips));
	rs->skips[rs->nskips].what = xstrdup(what);
	rs->skips[rs->nskips].n = 1;
	rs->nskips++;
}

/*
 * A problem with a definition: an error in Warden's own rule files, a
 * warning in SpamAssassin .cf input (SpamAssassin itself skips such a
 * rule and goes on; so does Warden, and lint says so).
 */
static void WARDEN_PRINTF(5, 6)
perr(struct ruleset *rs, struct diag *d, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (rs->cur_sa)
		diag_warn(d, file, line, "%s", m);
	else
		diag_error(d, file, line, "%s", m);
	g_free(m);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool
valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* The rule called name, created as an undefined placeholder if asked. */
static struct rule *
rule_get(struct ruleset *rs, const char *name, const char *file, int line,
    bool create)
{
	struct rule *r = g_hash_table_lookup(rs->byname, name);

	if (r != NULL || !create)
		return r;
	r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	r->kind = RK_NONE;
	r->file = file;
	r->line = line;
	r->mroot = -1;
	r->range_max = MH_RANGE_MAX;
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		rs->rules = xrealloc(rs->rules, rs->cap * sizeof(*rs->rules));
	}
	r->index = (int)rs->n;
	rs->rules[rs->n++] = r;
	g_hash_table_insert(rs->byname, r->name, r);
	return r;
}

/* ---- Small lexing helpers ---- */

static const char *
skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Copy the next white-space-delimited word; returns what follows. */
static const char *
next_word(const char *s, char *out, size_t outsz)
{
	size_t n = 0;

	s = skip_ws(s);
	while (*s && *s != ' ' && *s != '\t') {
		if (n + 1 < outsz)
			out[n++] = *s;
		s++;
	}
	out[n] = '\0';
	return s;
}

/* Drop a trailing "# comment" (a '#' at the start or after white space). */
static void
strip_comment(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	trim_in_place(s);
}

static bool
only_comment(const char *s)
{
	s = skip_ws(s);
	return *s == '\0' || *s == '#';
}

/* ---- Regexes ---- */

static char
closing_delim(char c)
{
	switch (c) {
	case '{': return '}';
	case '(': return ')';
	case '[': return ']';
	case '<': return '>';
	default: return c;
	}
}

static bool
looks_like_regex(const char *s)
{
	return *s == '/' || (*s == 'm' && s[1] != '\0' &&
	    ispunct((unsigned char)s[1]) && s[1] != '_');
}

/* Append pat with %{hostname} replaced by the quoted host name. */
static void
expand_pattern(struct buf *b, const char *pat, size_t n, const char *host)
{
	static const char key[] = "%{hostname}";
	size_t kl = sizeof(key) - 1;

	for (size_t i = 0; i < n; ) {
		if (n - i >= kl && memcmp(pat + i, key, kl) == 0) {
			for (const char *h = host; *h; h++) {
				if (!isalnum((unsigned char)*h) &&
				    (unsigned char)*h < 0x80)
					buf_putc(b, '\\');
				buf_putc(b, *h);
			}
			i += kl;
		} else
			buf_putc(b, pat[i++]);
	}
}

/*
 * Parse and compile the regex at *sp ("/re/flags", "m{re}flags", ...);
 * *sp is left after it.  Returns NULL with an error in d.
 */
static pcre2_code *
parse_regex(struct ruleset *rs, const char **sp, const char *name,
    const char *file, int line, struct diag *d, struct rule *r)
{
	const char *s = *sp, *p, *start;
	char open, close;
	int nest = 0;
	/*
	 * SpamAssassin matches its rules against byte strings (its default,
	 * normalize_charset 0): "\xc3" is the byte 0xC3, "." one byte, \w
	 * and \b ASCII only.  Warden compiles .cf regexes the same way, in
	 * PCRE2's 8-bit non-UTF mode, so that they mean what they say.
	 */
	uint32_t opts = rs->cur_sa ? 0 : PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	struct buf pat;
	pcre2_code *re;
	int err;
	PCRE2_SIZE off;

	if (*s == '/') {
		open = close = '/';
		start = s + 1;
	} else if (looks_like_regex(s)) {
		open = s[1];
		close = closing_delim(open);
		start = s + 2;
	} else {
		perr(rs, d, file, line, "%s: expected a regex (/.../ or "
		    "m{...})", name);
		return NULL;
	}
	for (p = start; *p; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (open != close && *p == open)
			nest++;
		else if (*p == close) {
			if (nest == 0)
				break;
			nest--;
		}
	}
	if (*p != close) {
		perr(rs, d, file, line, "%s: unterminated regex (no closing "
		    "'%c')", name, close);
		return NULL;
	}
	buf_init(&pat, 0);
	if (rs->cur_sa)
		buf_append(&pat, start, (size_t)(p - start));
	else
		expand_pattern(&pat, start, (size_t)(p - start),
		    rs->hostname ? rs->hostname : "localhost");
	for (p++; *p && *p != ' ' && *p != '\t'; p++) {
		switch (*p) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		default:
			perr(rs, d, file, line, "%s: unknown regex flag '%c' "
			    "(use i, m, s or x)", name, *p);
			buf_free(&pat);
			return NULL;
		}
	}
	*sp = p;
	re = pcre2_compile((PCRE2_SPTR)(pat.p ? pat.p : ""), pat.len, opts,
	    &err, &off, NULL);
	if (re == NULL && err <= PCRE2_ERROR_UTF8_ERR1 &&
	    err >= PCRE2_ERROR_UTF8_ERR21) {
		/* Not UTF-8 (a Latin-1 rule file): match bytes, as
		 * SpamAssassin does. */
		opts &= ~(uint32_t)(PCRE2_UTF | PCRE2_MATCH_INVALID_UTF);
		re = pcre2_compile((PCRE2_SPTR)pat.p, pat.len, opts, &err,
		    &off, NULL);
	}
	if (re == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(err, msg, sizeof(msg));
		perr(rs, d, file, line, "%s: bad regex: %s at offset %zu%s",
		    name, (const char *)msg, (size_t)off, rs->cur_sa ?
		    " (rule skipped)" : "");
		if (rs->cur_sa)
			count_skip(rs, "rules whose regex PCRE2 will not "
			    "compile");
		buf_free(&pat);
		return NULL;
	}
	if (r != NULL) {
		free(r->pat);
		r->pat = xstrndup(pat.p ? pat.p : "", pat.len);
		r->popts = opts;
	}
	buf_free(&pat);
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);	/* best effort */
	return re;
}

/* ---- Definitions ---- */

static void undefine(struct rule *r);
static void free_meta(struct rule *r);

/*
 * Start the definition of name.  NULL when it cannot be defined (the
 * error is in d) or when it repeats an earlier definition word for word
 * (SpamAssassin's own files do that; the first one stays, silently).
 */
static struct rule *
define(struct ruleset *rs, const char *name, enum rule_kind kind,
    const char *src, const char *file, int line, struct diag *d)
{
	struct rule *r;

	if (!valid_name(name)) {
		perr(rs, d, file, line, "bad rule name '%s' (letters, digits "
		    "and _ only)", name);
		return NULL;
	}
	r = rule_get(rs, name, file, line, true);
	if (r->kind == kind && r->src != NULL && strcmp(r->src, src) == 0)
		return NULL;
	if (r->kind != RK_NONE && rs->cur_sa && r->sa) {
		/* SpamAssassin: the later definition replaces the earlier. */
		diag_warn(d, file, line, "%s: redefined (earlier definition at "
		    "%s:%d replaced)", name, r->file, r->line);
		undefine(r);
	} else if (r->kind != RK_NONE) {
		diag_error(d, file, line, "%s: duplicate definition (first "
		    "defined at %s:%d)", name, r->file, r->line);
		return NULL;
	}
	r->sa = rs->cur_sa;
	r->kind = kind;
	r->file = file;
	r->line = line;
	free(r->src);
	r->src = xstrdup(src);
	return r;
}

/* A rule kind whose definition failed: forget the half-made rule. */
static void
undefine(struct rule *r)
{
	if (r == NULL)
		return;
	if (r->re)
		pcre2_code_free(r->re);
	r->re = NULL;
	free(r->pat);
	r->pat = NULL;
	free(r->hname);
	r->hname = NULL;
	free(r->if_unset);
	r->if_unset = NULL;
	r->hexists = false;
	r->negate = false;
	r->hmods = 0;
	r->hsrc = HS_NAME;
	cidrlist_free(&r->cidrs);
	rules_dnsbl_clear(r);
	r->cwords = 0;
	free_meta(r);
	rules_eval_clear(r);
	r->kind = RK_NONE;
	r->line = -1;		/* marks "definition failed": no more errors */
	free(r->src);
	r->src = NULL;
}

/*
 * The eval test made in tmp (its test, arguments and regexes) moves to
 * r, the rule just defined; when r is NULL (not defined) it is freed.
 */
static void
adopt_eval(struct ruleset *rs, struct rule *r, struct rule *tmp)
{
	if (r == NULL) {
		rules_eval_clear(tmp);
		return;
	}
	rules_eval_clear(r);
	r->eval = tmp->eval;
	r->eargs = tmp->eargs;
	r->neargs = tmp->neargs;
	r->ere = tmp->ere;
	rs->neval++;
}

/*
 * An eval: test Warden implements (rules_eval.c): defined like any rule
 * of its kind, with r->eval set.  Returns false, with *why, when Warden
 * lacks it.
 */
static bool
define_eval(struct ruleset *rs, enum rule_kind kind, const char *name,
    const char *rest, const char *file, int line, struct diag *d,
    const char **why)
{
	struct rule tmp;

	memset(&tmp, 0, sizeof(tmp));
	if (!rules_eval_define(rs, &tmp, kind, rest + 5, why))
		return false;
	adopt_eval(rs, define(rs, name, kind, rest, file, line, d), &tmp);
	return true;
}

/*
 * eval: and rbleval: definitions.  Returns true when the definition was
 * taken care of here: an eval: test Warden implements is defined; other
 * eval: tests and network tests are skipped and counted.
 */
static bool
skip_construct(struct ruleset *rs, enum rule_kind kind, const char *name,
    const char *rest, const char *file, int line, struct diag *d)
{
	const char *what = NULL;

	if (strncmp(rest, "eval:", 5) == 0) {
		if (define_eval(rs, kind, name, rest, file, line, d, &what))
			return true;
	} else if (strncmp(rest, "rbleval:", 8) == 0)
		what = "network tests";
	if (what == NULL)
		return false;
	count_skip(rs, what);
	g_hash_table_add(rs->skipnames, xstrdup(name));
	if (rs->cur_sa) {
		/* A later definition replaces the earlier one, even when
		 * what replaces it is a test Warden lacks. */
		struct rule *r = g_hash_table_lookup(rs->byname, name);

		if (r != NULL && r->sa && r->kind != RK_NONE)
			undefine(r);
	}
	return true;
}

static void
parse_simple(struct ruleset *rs, enum rule_kind kind, const char *name,
    const char *rest, const char *file, int line, struct diag *d)
{
	struct rule *r;

	if (skip_construct(rs, kind, name, rest, file, line, d))
		return;
	if ((r = define(rs, name, kind, rest, file, line, d)) == NULL)
		return;
	if ((r->re = parse_regex(rs, &rest, name, file, line, d, r)) == NULL) {
		undefine(r);
		return;
	}
	if (!only_comment(rest)) {
		perr(rs, d, file, line, "%s: unexpected text after the regex: "
		    "'%s'", name, skip_ws(rest));
		undefine(r);
	}
}

/* "connect|helo|envfrom NAME dnsbl:ZONE[=CODES|&MASK]" */
static void
parse_dnsbl(struct ruleset *rs, enum rule_kind kind, const char *name,
    const char *spec, const char *file, int line, struct diag *d)
{
	struct rule *r;
	struct buf err;
	char word[512];

	next_word(spec, word, sizeof(word));
	if ((r = define(rs, name, kind, spec, file, line, d)) == NULL)
		return;
	buf_init(&err, 0);
	if (rules_dnsbl_parse(r, word, &err) < 0) {
		perr(rs, d, file, line, "%s: %s", name, err.p);
		undefine(r);
	}
	buf_free(&err);
}

static void
parse_connect(struct ruleset *rs, const char *name, const char *rest,
    const char *file, int line, struct diag *d)
{
	struct rule *r;
	char word[128];

	if (looks_like_regex(rest)) {
		parse_simple(rs, RK_CONNECT, name, rest, file, line, d);
		return;
	}
	if ((r = define(rs, name, RK_CONNECT, rest, file, line, d)) == NULL)
		return;
	for (;;) {
		struct cidr c;

		rest = next_word(rest, word, sizeof(word));
		if (word[0] == '\0' || word[0] == '#')
			break;
		if (strcmp(word, "local") == 0) {
			r->cwords |= CW_LOCAL;
			continue;
		}
		if (strcmp(word, "trusted") == 0) {
			r->cwords |= CW_TRUSTED;
			continue;
		}
		if (strcmp(word, "internal") == 0) {
			r->cwords |= CW_INTERNAL;
			continue;
		}
		if (cidr_parse(word, &c) < 0) {
			perr(rs, d, file, line, "%s: bad address block '%s' "
			    "(expected CIDR like 192.0.2.0/24, local, trusted, "
			    "internal, or /regex/ on the client name)", name,
			    word);
			cidrlist_free(&r->cidrs);
			undefine(r);
			return;
		}
		cidrlist_add(&r->cidrs, &c);
	}
	if (r->cidrs.n == 0 && r->cwords == 0) {
		perr(rs, d, file, line, "%s: connect needs address blocks or "
		    "a /regex/", name);
		undefine(r);
	}
}

/* Which header a header rule reads: a real one or a pseudo-header. */
static enum hdr_src
pseudo_header(const char *spec)
{
	if (strcmp(spec, "ALL") == 0)
		return HS_ALL;
	if (strcmp(spec, "ToCc") == 0)
		return HS_TOCC;
	if (strcmp(spec, "MESSAGEID") == 0)
		return HS_MSGID;
	if (strcmp(spec, "EnvelopeFrom") == 0)
		return HS_ENVFROM;
	if (strcasecmp(spec, "X-Spam-Relays-Trusted") == 0)
		return HS_RELAYS_TRUSTED;
	if (strcasecmp(spec, "X-Spam-Relays-Untrusted") == 0)
		return HS_RELAYS_UNTRUSTED;
	if (strcasecmp(spec, "X-Spam-Relays-Internal") == 0)
		return HS_RELAYS_INTERNAL;
	if (strcasecmp(spec, "X-Spam-Relays-External") == 0)
		return HS_RELAYS_EXTERNAL;
	if (strcmp(spec, "ALL-TRUSTED") == 0)
		return HS_ALL_TRUSTED;
	if (strcmp(spec, "ALL-INTERNAL") == 0)
		return HS_ALL_INTERNAL;
	if (strcmp(spec, "ALL-UNTRUSTED") == 0)
		return HS_ALL_UNTRUSTED;
	if (strcmp(spec, "ALL-EXTERNAL") == 0)
		return HS_ALL_EXTERNAL;
	return HS_NAME;
}

/*
 * What may follow a header or mimeheader rule's regex: "[if-unset: TEXT]"
 * and a comment.  MIMEHeader's reading wants white space after the colon
 * and ends the text at the last ']'; the header rule's at the first.
 * Anything else undefines the rule with an error.
 */
static void
regex_tail(struct ruleset *rs, struct rule *r, const char *p, bool mimehdr,
    const char *name, const char *file, int line, struct diag *d)
{
	p = skip_ws(p);
	if (strncmp(p, "[if-unset:", 10) == 0 &&
	    (!mimehdr || p[10] == ' ' || p[10] == '\t')) {
		const char *e = mimehdr ? strrchr(p, ']') : strchr(p, ']');

		if (e == NULL) {
			perr(rs, d, file, line, "%s: unterminated [if-unset: "
			    "...]", name);
			undefine(r);
			return;
		}
		r->if_unset = xstrndup(p + 10, (size_t)(e - p - 10));
		trim_in_place(r->if_unset);
		p = e + 1;
	}
	if (!only_comment(p)) {
		perr(rs, d, file, line, "%s: unexpected text after the regex: "
		    "'%s'", name, skip_ws(p));
		undefine(r);
	}
}

static void
parse_header(struct ruleset *rs, const char *name, const char *rest,
    const char *file, int line, struct diag *d)
{
	static const char *const sa_mods[] = { "first", "last", "host",
		"domain", "ip", "revip", NULL };
	struct rule *r;
	char spec[256], *mod;
	const char *p;
	size_t n;

	if (skip_construct(rs, RK_HEADER, name, rest, file, line, d))
		return;
	if (strncmp(rest, "exists:", 7) == 0) {
		r = define(rs, name, RK_HEADER, rest, file, line, d);
		if (r == NULL)
			return;
		p = next_word(rest + 7, spec, sizeof(spec));
		if (spec[0] == '\0' || !only_comment(p)) {
			perr(rs, d, file, line,
			    "%s: expected exists:HeaderName",
			    name);
			undefine(r);
			return;
		}
		r->hexists = true;
		r->hsrc = pseudo_header(spec);
		r->hname = xstrdup(spec);
		return;
	}
	/* Name[:modifier...] then =~ or !~ */
	n = strcspn(rest, " \t=!");
	if (n == 0 || n >= sizeof(spec)) {
		perr(rs, d, file, line, "%s: expected 'HeaderName =~ /regex/'",
		    name);
		return;
	}
	memcpy(spec, rest, n);
	spec[n] = '\0';
	p = skip_ws(rest + n);
	if (!((p[0] == '=' || p[0] == '!') && p[1] == '~')) {
		perr(rs, d, file, line, "%s: expected =~ or !~ after the "
		    "header name", name);
		return;
	}
	/* Modifiers Warden lacks: skip the rule, like other SA constructs. */
	for (mod = strchr(spec, ':'); mod; mod = strchr(mod + 1, ':')) {
		char m[32];
		size_t ml = strcspn(mod + 1, ":");

		if (ml >= sizeof(m))
			ml = sizeof(m) - 1;
		memcpy(m, mod + 1, ml);
		m[ml] = '\0';
		if (in_list(m, sa_mods)) {
			count_skip(rs, "header modifiers not implemented");
			g_hash_table_add(rs->skipnames, xstrdup(name));
			return;
		}
	}
	if ((r = define(rs, name, RK_HEADER, rest, file, line, d)) == NULL)
		return;
	r->negate = p[0] == '!';
	mod = strchr(spec, ':');
	if (mod != NULL)
		*mod++ = '\0';
	while (mod != NULL) {
		char *next = strchr(mod, ':');

		if (next != NULL)
			*next++ = '\0';
		if (strcmp(mod, "raw") == 0)
			r->hmods |= HM_RAW;
		else if (strcmp(mod, "addr") == 0)
			r->hmods |= HM_ADDR;
		else if (strcmp(mod, "name") == 0)
			r->hmods |= HM_NAME;
		else {
			perr(rs, d, file, line, "%s: unknown header modifier "
			    "':%s' (use :raw, :addr or :name)", name, mod);
			undefine(r);
			return;
		}
		mod = next;
	}
	if ((r->hmods & HM_ADDR) && (r->hmods & HM_NAME)) {
		perr(rs, d, file, line, "%s: :addr and :name exclude each "
		    "other", name);
		undefine(r);
		return;
	}
	r->hsrc = pseudo_header(spec);
	r->hname = xstrdup(spec);
	p = skip_ws(p + 2);
	if ((r->re = parse_regex(rs, &p, name, file, line, d, r)) == NULL) {
		undefine(r);
		return;
	}
	regex_tail(rs, r, p, false, name, file, line, d);
}

/*
 * mimeheader NAME Header-Name[:raw] =~ /re/flags [if-unset: TEXT] (or
 * !~): SpamAssassin's MIMEHeader plugin, matched in rules.c against that
 * header field of every MIME part.  The header name is what SpamAssassin
 * takes, anything up to white space, ':' or the operator; ":raw" is the
 * one modifier ("ALL" stands for every field of a part).
 */
static void
parse_mimeheader(struct ruleset *rs, const char *name, const char *rest,
    const char *file, int line, struct diag *d)
{
	struct rule *r;
	const char *p = rest;
	size_t n = 0;
	bool raw = false;

	while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t' && p[n] != ':' &&
	    !((p[n] == '=' || p[n] == '!') && p[n + 1] == '~'))
		n++;
	if (n == 0) {
		perr(rs, d, file, line, "%s: expected 'Header-Name =~ /regex/'",
		    name);
		return;
	}
	p += n;
	if (*p == ':') {
		/* ":raw", or a bare ':' that SpamAssassin drops. */
		if (strncmp(p + 1, "raw", 3) == 0) {
			raw = true;
			p += 4;
		} else
			p++;
	}
	p = skip_ws(p);
	if (!((p[0] == '=' || p[0] == '!') && p[1] == '~')) {
		perr(rs, d, file, line, "%s: expected =~ or !~ after the header "
		    "name (the one modifier is :raw)", name);
		return;
	}
	if ((r = define(rs, name, RK_MIMEHEADER, rest, file, line, d)) == NULL)
		return;
	r->hname = xstrndup(rest, n);
	if (raw)
		r->hmods |= HM_RAW;
	r->negate = p[0] == '!';
	p = skip_ws(p + 2);
	if ((r->re = parse_regex(rs, &p, name, file, line, d, r)) == NULL) {
		undefine(r);
		return;
	}
	regex_tail(rs, r, p, true, name, file, line, d);
}

/* ---- Meta expressions ---- */

struct mparse {
	struct ruleset *rs;
	const char *s;
	struct rule *r;
	const char *file;
	int     line;
	struct diag *d;
	int     depth;
	bool    failed;
};

static int
mnode(struct mparse *mp, enum meta_op op, int a, int b)
{
	struct rule *r = mp->r;

	if (r->nmnodes >= MAX_META_NODES) {
		if (!mp->failed)
			perr(mp->rs, mp->d, mp->file, mp->line, "meta %s: "
			    "expression too long", r->name);
		mp->failed = true;
		return -1;
	}
	r->mnodes = xrealloc(r->mnodes, (r->nmnodes + 1) *
	    sizeof(*r->mnodes));
	memset(&r->mnodes[r->nmnodes], 0, sizeof(*r->mnodes));
	r->mnodes[r->nmnodes].op = op;
	r->mnodes[r->nmnodes].a = a;
	r->mnodes[r->nmnodes].b = b;
	r->mnodes[r->nmnodes].rule = -1;
	return (int)r->nmnodes++;
}

static void
merror(struct mparse *mp, const char *what)
{
	const char *s = skip_ws(mp->s);

	if (mp->failed)
		return;
	mp->failed = true;
	if (*s == '\0')
		perr(mp->rs, mp->d, mp->file, mp->line,
		    "meta %s: %s at the end "
		    "of the expression", mp->r->name, what);
	else
		perr(mp->rs, mp->d, mp->file, mp->line,
		    "meta %s: %s at '%.20s'",
		    mp->r->name, what, s);
}

/* Consume tok if it is next. */
static bool
maccept(struct mparse *mp, const char *tok)
{
	const char *s = skip_ws(mp->s);
	size_t n = strlen(tok);

	if (strncmp(s, tok, n) != 0)
		return false;
	/* "<" must not eat "<=", "!" must not eat "!=", "=" alone is bad. */
	if (n == 1 && (tok[0] == '<' || tok[0] == '>' || tok[0] == '!') &&
	    s[1] == '=')
		return false;
	mp->s = s + n;
	return true;
}

static int mexpr_or(struct mparse *mp);

static int
mprimary(struct mparse *mp)
{
	const char *s = skip_ws(mp->s);
	int n;

	if (mp->failed)
		return -1;
	if (++mp->depth > MAX_META_DEPTH) {
		merror(mp, "expression nested too deeply");
		return -1;
	}
	if (maccept(mp, "!")) {
		int a = mprimary(mp);

		mp->depth--;
		return mp->failed ? -1 : mnode(mp, MO_NOT, a, -1);
	}
	if (maccept(mp, "-")) {
		int a = mprimary(mp);

		mp->depth--;
		return mp->failed ? -1 : mnode(mp, MO_NEG, a, -1);
	}
	if (maccept(mp, "(")) {
		n = mexpr_or(mp);
		if (!mp->failed && !maccept(mp, ")"))
			merror(mp, "missing ')'");
		mp->depth--;
		return mp->failed ? -1 : n;
	}
	if (isdigit((unsigned char)*s)) {
		char *e;
		double v = strtod(s, &e);

		mp->s = e;
		if ((n = mnode(mp, MO_NUM, -1, -1)) >= 0)
			mp->r->mnodes[n].num = v;
		mp->depth--;
		return n;
	}
	if (isalpha((unsigned char)*s) || *s == '_') {
		const char *e = s;

		while (isalnum((unsigned char)*e) || *e == '_')
			e++;
		mp->s = e;
		if ((n = mnode(mp, MO_RULE, -1, -1)) >= 0)
			mp->r->mnodes[n].name = xstrndup(s, (size_t)(e - s));
		mp->depth--;
		return n;
	}
	merror(mp, *s ? "syntax error" : "expected a rule name or number");
	return -1;
}

static int
mexpr_mul(struct mparse *mp)
{
	int a = mprimary(mp);

	while (!mp->failed) {
		if (maccept(mp, "*"))
			a = mnode(mp, MO_MUL, a, mprimary(mp));
		else if (maccept(mp, "/"))
			a = mnode(mp, MO_DIV, a, mprimary(mp));
		else
			break;
	}
	return mp->failed ? -1 : a;
}

static int
mexpr_add(struct mparse *mp)
{
	int a = mexpr_mul(mp);

	while (!mp->failed) {
		if (maccept(mp, "+"))
			a = mnode(mp, MO_ADD, a, mexpr_mul(mp));
		else if (maccept(mp, "-"))
			a = mnode(mp, MO_SUB, a, mexpr_mul(mp));
		else
			break;
	}
	return mp->failed ? -1 : a;
}

static int
mexpr_rel(struct mparse *mp)
{
	int a = mexpr_add(mp);

	while (!mp->failed) {
		enum meta_op op;

		if (maccept(mp, "<="))
			op = MO_LE;
		else if (maccept(mp, ">="))
			op = MO_GE;
		else if (maccept(mp, "<"))
			op = MO_LT;
		else if (maccept(mp, ">"))
			op = MO_GT;
		else
			break;
		a = mnode(mp, op, a, mexpr_add(mp));
	}
	return mp->failed ? -1 : a;
}

static int
mexpr_eq(struct mparse *mp)
{
	int a = mexpr_rel(mp);

	while (!mp->failed) {
		if (maccept(mp, "=="))
			a = mnode(mp, MO_EQ, a, mexpr_rel(mp));
		else if (maccept(mp, "!="))
			a = mnode(mp, MO_NE, a, mexpr_rel(mp));
		else
			break;
	}
	return mp->failed ? -1 : a;
}

static int
mexpr_and(struct mparse *mp)
{
	int a = mexpr_eq(mp);

	while (!mp->failed && maccept(mp, "&&"))
		a = mnode(mp, MO_AND, a, mexpr_eq(mp));
	return mp->failed ? -1 : a;
}

static int
mexpr_or(struct mparse *mp)
{
	int a = mexpr_and(mp);

	while (!mp->failed && maccept(mp, "||"))
		a = mnode(mp, MO_OR, a, mexpr_and(mp));
	return mp->failed ? -1 : a;
}

static void
free_meta(struct rule *r)
{
	for (size_t i = 0; i < r->nmnodes; i++)
		free(r->mnodes[i].name);
	free(r->mnodes);
	r->mnodes = NULL;
	r->nmnodes = 0;
	r->mroot = -1;
}

static void
parse_meta(struct ruleset *rs, const char *name, char *rest,
    const char *file, int line, struct diag *d)
{
	struct rule *r;
	struct mparse mp;

	strip_comment(rest);
	if ((r = define(rs, name, RK_META, rest, file, line, d)) == NULL)
		return;
	if (*rest == '\0') {
		perr(rs, d, file, line, "meta %s: empty expression", name);
		undefine(r);
		return;
	}
	memset(&mp, 0, sizeof(mp));
	mp.rs = rs;
	mp.s = rest;
	mp.r = r;
	mp.file = file;
	mp.line = line;
	mp.d = d;
	r->mroot = mexpr_or(&mp);
	if (!mp.failed && *skip_ws(mp.s) != '\0')
		merror(&mp, "syntax error");
	if (mp.failed) {
		free_meta(r);
		undefine(r);
	}
}

/* ---- Settings ---- */

/*
 * The score of a "score" line for the ruleset's score set.  SpamAssassin
 * takes one number (every set) or four, one per set: 0 neither the
 * statistical filter nor network tests, 1 network tests, 2 the
 * statistical filter, 3 both.  Returns false, with the offending word in
 * bad, when a number is not one or their count is not 1 or 4.
 */
static bool
score_for_set(const char *rest, unsigned set, double *out, char *bad,
    size_t badlen)
{
	double v[4];
	char word[64], *e;
	int n = 0;

	bad[0] = '\0';
	for (const char *p = rest;;) {
		p = next_word(p, word, sizeof(word));
		if (word[0] == '\0')
			break;
		errno = 0;
		if (n == 4) {
			snprintf(bad, badlen, "%s", word);
			return false;
		}
		v[n] = strtod(word, &e);
		if (*e != '\0' || errno != 0 || v[n] != v[n]) {
			snprintf(bad, badlen, "%s", word);
			return false;
		}
		n++;
	}
	if (n != 1 && n != 4)
		return false;
	*out = n == 1 ? v[0] : v[set & 3];
	return true;
}

static void
parse_score(struct ruleset *rs, const char *name, char *rest,
    const char *file, int line, struct diag *d)
{
	struct rule *r;
	char word[64];
	double v, vl;

	strip_comment(rest);
	if (!score_for_set(rest, rs->scoreset & ~2u, &vl, word,
	    sizeof(word)) ||
	    !score_for_set(rest, rs->scoreset, &v, word, sizeof(word))) {
		if (word[0] != '\0')
			perr(rs, d, file, line, "score %s: bad number '%s'",
			    name, word);
		else
			perr(rs, d, file, line, "score %s: give one score, or "
			    "four (one per score set)", name);
		return;
	}
	if (!valid_name(name)) {
		diag_error(d, file, line, "bad rule name '%s'", name);
		return;
	}
	r = rule_get(rs, name, file, line, true);
	r->score = v;
	r->score_learn = vl;
	r->score_set = true;
}

/* One number of a range (at most 1000000000). */
static unsigned
range_num(const char **sp)
{
	unsigned long v = 0;
	const char *s = *sp;

	for (; isdigit((unsigned char)*s); s++)
		if (v <= 1000000000ul)
			v = v * 10 + (unsigned long)(*s - '0');
	*sp = s;
	return v > 1000000000ul ? 1000000000u : (unsigned)v;
}

/*
 * tflags range= of SpamAssassin's MIMEHeader, read as it reads it: "N"
 * (part N only), "N-" (from N), "-M" (up to M), "N-M"; "" and "-" change
 * nothing.  0, or -1 on anything else.
 */
static int
parse_range(const char *s, struct rule *r)
{
	bool h1 = false, h2 = false, h3 = false;
	unsigned a = 0, b = 0;

	if (isdigit((unsigned char)*s)) {
		h1 = true;
		a = range_num(&s);
	}
	if (*s == '-') {
		h2 = true;
		s++;
	}
	if (isdigit((unsigned char)*s)) {
		h3 = true;
		b = range_num(&s);
	}
	if (*s != '\0')
		return -1;
	if (h1 && h2 && h3) {
		r->range_min = a;
		r->range_max = b;
	} else if (h1 && h2)
		r->range_min = a;
	else if (h2 && h3)
		r->range_max = b;
	else if (h1)
		r->range_min = r->range_max = a;
	return 0;
}

static void
parse_tflags(struct ruleset *rs, const char *name, char *rest,
    const char *file, int line, struct diag *d)
{
	struct rule *r;
	char word[64];
	const char *p = rest;

	strip_comment(rest);
	if (!valid_name(name)) {
		diag_error(d, file, line, "bad rule name '%s'", name);
		return;
	}
	r = rule_get(rs, name, file, line, true);
	for (;;) {
		p = next_word(p, word, sizeof(word));
		if (word[0] == '\0')
			break;
		if (strcmp(word, "nice") == 0)
			r->tflags |= TF_NICE;
		else if (strcmp(word, "multiple") == 0)
			r->tflags |= TF_MULTIPLE;
		else if (strcmp(word, "nosubject") == 0)
			r->tflags |= TF_NOSUBJECT;
		else if (strcmp(word, "concat") == 0)
			r->tflags |= TF_CONCAT;
		else if (strcmp(word, "noautolearn") == 0)
			r->tflags |= TF_NOAUTOLEARN;
		else if (strcmp(word, "learn") == 0)
			r->tflags |= TF_LEARN;
		else if (strcmp(word, "domains_only") == 0)
			r->tflags |= TF_DOMAINS_ONLY;
		else if (strcmp(word, "ips_only") == 0)
			r->tflags |= TF_IPS_ONLY;
		else if (strcmp(word, "notrim") == 0)
			r->tflags |= TF_NOTRIM;
		else if (strcmp(word, "a") == 0)
			r->tflags |= TF_A;
		else if (strcmp(word, "ns") == 0)
			r->tflags |= TF_NS;
		else if (strncmp(word, "range=", 6) == 0) {
			if (parse_range(word + 6, r) < 0)
				perr(rs, d, file, line, "tflags %s: bad range "
				    "'%s' (N, N-, -N or N-M) ignored", name,
				    word + 6);
		}
		else if (strncmp(word, "maxhits=", 8) == 0) {
			char *e;
			unsigned long v = strtoul(word + 8, &e, 10);

			if (word[8] == '\0' || *e != '\0' || v == 0 ||
			    v > 1000000) {
				diag_error(d, file, line, "tflags %s: bad "
				    "maxhits '%s' (a number from 1)", name,
				    word + 8);
				continue;
			}
			r->maxhits = (unsigned)v;
			r->tflags |= TF_MULTIPLE;
		} else if (!rs->cur_sa || !in_list(word, sa_tflags))
			diag_warn(d, file, line, "tflags %s: unknown flag '%s' "
			    "ignored", name, word);
	}
}

static void
parse_action(struct ruleset *rs, const char *name, char *rest,
    const char *file, int line, struct diag *d)
{
	struct rule *r;
	char word[32];
	const char *p, *why;
	int a;
	struct reply rep;

	p = next_word(rest, word, sizeof(word));
	if (strcmp(word, "none") == 0 && only_comment(p)) {
		/* A later file takes back an earlier action. */
		if (!valid_name(name)) {
			diag_error(d, file, line, "bad rule name '%s'", name);
			return;
		}
		r = rule_get(rs, name, file, line, true);
		reply_free(&r->reply);
		r->action = ACT_NONE;
		return;
	}
	a = action_parse(word);
	if (a != ACT_REJECT && a != ACT_TEMPFAIL && a != ACT_DISCARD &&
	    a != ACT_QUARANTINE && a != ACT_ACCEPT) {
		diag_error(d, file, line, "action %s: unknown action '%s' (use "
		    "reject, tempfail, discard, quarantine, accept or none)", name,
		    word);
		return;
	}
	memset(&rep, 0, sizeof(rep));
	p = skip_ws(p);
	if (*p != '\0' && *p != '#') {
		char *text;

		if (*p == '"') {
			const char *e = strrchr(p + 1, '"');

			if (e == NULL) {
				diag_error(d, file, line, "action %s: "
				    "unterminated reply string", name);
				return;
			}
			if (!only_comment(e + 1)) {
				diag_error(d, file, line, "action %s: unexpected "
				    "text after the reply", name);
				return;
			}
			text = xstrndup(p + 1, (size_t)(e - p - 1));
		} else {
			text = xstrdup(p);
			strip_comment(text);
		}
		if (a != ACT_REJECT && a != ACT_TEMPFAIL) {
			diag_error(d, file, line, "action %s: a reply goes only "
			    "with reject or tempfail", name);
			free(text);
			return;
		}
		if (reply_parse(text, a == ACT_REJECT ? 5 : 4, &rep,
		    &why) < 0) {
			diag_error(d, file, line, "action %s: bad reply: %s",
			    name, why);
			free(text);
			return;
		}
		free(text);
	}
	if (!valid_name(name)) {
		diag_error(d, file, line, "bad rule name '%s'", name);
		reply_free(&rep);
		return;
	}
	r = rule_get(rs, name, file, line, true);
	reply_free(&r->reply);
	r->action = (enum action)a;
	r->reply = rep;
	r->action_file = file;
	r->action_line = line;
}

/* ---- Lines and files ---- */

/* A keyword that defines a rule (a plugin's setting that does too). */
static bool
is_kind_word(const char *kw)
{
	for (int k = 0; k < RK_NKINDS; k++)
		if (strcmp(kw, rules_kind_names[k]) == 0)
			return true;
	return in_list(kw, sa_rule_settings);
}

static const char *
keep_file(struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->files.n; i++)
		if (strcmp(rs->files.v[i], name) == 0)
			return rs->files.v[i];
	strlist_add(&rs->files, name);
	return rs->files.v[rs->files.n - 1];
}

static void
parse_include(struct ruleset *rs, char *rest, const char *file, int line,
    int depth, struct diag *d)
{
	char *path;

	strip_comment(rest);
	if (*rest == '\0') {
		diag_error(d, file, line, "include: no file name");
		return;
	}
	if (depth >= MAX_INCLUDE_DEPTH) {
		diag_error(d, file, line, "include %s: nested too deeply (an "
		    "include loop?)", rest);
		return;
	}
	if (rest[0] == '/')
		path = xstrdup(rest);
	else {
		char *dup = xstrdup(file), *dir = dirname(dup);

		path = xasprintf("%s/%s", dir, rest);
		free(dup);
	}
	rules_parse_file(rs, path, depth + 1, d);
	free(path);
}

static GHashTable *
str_table(GHashTable **t)
{
	if (*t == NULL)
		*t = g_hash_table_new_full(g_str_hash, g_str_equal, free, free);
	return *t;
}

/*
 * The replace_* settings of SpamAssassin's ReplaceTags (25_replace.cf):
 * tag definitions, the rules to expand (at rules_finish), and the tag
 * delimiters.  Returns false when kw is none of them.
 */
static bool
parse_replace(struct ruleset *rs, const char *kw, const char *p,
    const char *file, int line, struct diag *d)
{
	GHashTable **t = NULL;
	char name[256];
	char *val;

	if (strcmp(kw, "replace_tag") == 0)
		t = &rs->replace_tags;
	else if (strcmp(kw, "replace_inter") == 0)
		t = &rs->replace_inter;
	else if (strcmp(kw, "replace_pre") == 0)
		t = &rs->replace_pre;
	else if (strcmp(kw, "replace_post") == 0)
		t = &rs->replace_post;
	if (t != NULL) {
		p = next_word(p, name, sizeof(name));
		val = xstrdup(skip_ws(p));
		trim_in_place(val);
		if (name[0] == '\0' || val[0] == '\0') {
			perr(rs, d, file, line, "%s: expected NAME VALUE", kw);
			free(val);
			return true;
		}
		g_hash_table_replace(str_table(t), xstrdup(name), val);
		return true;
	}
	if (strcmp(kw, "replace_rules") == 0) {
		for (;;) {
			p = next_word(p, name, sizeof(name));
			if (name[0] == '\0')
				break;
			g_hash_table_replace(str_table(&rs->replace_rules),
			    xstrdup(name), xstrdup(""));
		}
		return true;
	}
	if (strcmp(kw, "replace_start") == 0 ||
	    strcmp(kw, "replace_end") == 0) {
		char **dst = kw[8] == 's' ? &rs->replace_start :
		    &rs->replace_end;

		next_word(p, name, sizeof(name));
		if (name[0] == '\0') {
			perr(rs, d, file, line, "%s: no delimiter", kw);
			return true;
		}
		free(*dst);
		*dst = xstrdup(name);
		return true;
	}
	return false;
}

#define MAX_ORIG_HEADERS 64

/*
 * SpamAssassin's originating_ip_headers NAME... (appended, each name
 * once whatever its case) and clear_originating_ip_headers (empties the
 * list); rules.c makes relay hops of those header fields.
 */
static void
parse_originating(struct ruleset *rs, const char *kw, const char *p,
    const char *file, int line, struct diag *d)
{
	char name[256];
	bool any = false;

	if (kw[0] == 'c') {
		if (!only_comment(p)) {
			perr(rs, d, file, line, "%s: takes no value", kw);
			return;
		}
		strlist_free(&rs->orig_hdrs);
		return;
	}
	for (;;) {
		bool dup = false;

		p = next_word(p, name, sizeof(name));
		if (name[0] == '\0' || name[0] == '#')
			break;
		any = true;
		for (size_t i = 0; i < rs->orig_hdrs.n && !dup; i++)
			dup = strcasecmp(rs->orig_hdrs.v[i], name) == 0;
		if (dup)
			continue;
		if (rs->orig_hdrs.n >= MAX_ORIG_HEADERS) {
			perr(rs, d, file, line, "%s: more than %d header names "
			    "(%s and later ones ignored)", kw, MAX_ORIG_HEADERS,
			    name);
			return;
		}
		strlist_add(&rs->orig_hdrs, name);
	}
	if (!any)
		perr(rs, d, file, line, "%s: expected header names", kw);
}

/*
 * SpamAssassin's AskDNS: "askdns NAME TEMPLATE [TYPE [SUBTEST]]" is a
 * header test check_askdns (eval_dns.c) whose arguments are the
 * template, the type and the subtest (its regex compiled into ere[0]).
 * Skipped, and counted, without a resolver, or with a type or a tag
 * Warden does not ask; a bad regex is an error (rule skipped).
 */
static void
parse_askdns(struct ruleset *rs, const char *p, const char *file, int line,
    struct diag *d)
{
	char name[256], tmpl[512], type[64], *sub, *src;
	const char *why = NULL, *unknown = NULL;
	struct rule tmp;
	pcre2_code *re = NULL;

	p = next_word(p, name, sizeof(name));
	p = next_word(p, tmpl, sizeof(tmpl));
	if (!valid_name(name) || tmpl[0] == '\0') {
		perr(rs, d, file, line, "askdns: expected NAME TEMPLATE "
		    "[TYPE [SUBTEST]]");
		return;
	}
	p = next_word(p, type, sizeof(type));
	if (type[0] == '\0')
		snprintf(type, sizeof(type), "A");
	sub = xstrdup(skip_ws(p));
	trim_in_place(sub);
	if (!(rs->scoreset & 1))
		why = "network tests (no dns_resolver)";
	else if (eval_askdns_type(type) == 0) {
		perr(rs, d, file, line, "askdns %s: type %s: Warden asks A, "
		    "AAAA, TXT, MX, NS, PTR or CNAME (rule skipped)", name,
		    type);
		why = "askdns rules of another type";
	} else if (!eval_askdns_known(tmpl, &unknown)) {
		perr(rs, d, file, line, "askdns %s: tag _%s_ has no value in "
		    "Warden (rule skipped)", name, unknown);
		why = "askdns rules with other tags";
	} else if (sub[0] == '/' || looks_like_regex(sub)) {
		const char *q = sub;

		if ((re = parse_regex(rs, &q, name, file, line, d,
		    NULL)) == NULL) {
			free(sub);
			return;
		}
	}
	memset(&tmp, 0, sizeof(tmp));
	if (why == NULL) {
		const char *ewhy = NULL;

		/* (ewhy is set even when the test is defined) */
		if (!rules_eval_define(rs, &tmp, RK_HEADER, "check_askdns()",
		    &ewhy))
			why = ewhy;
	}
	if (why != NULL) {
		count_skip(rs, why);
		g_hash_table_add(rs->skipnames, xstrdup(name));
		pcre2_code_free(re);
		free(sub);
		return;
	}
	/* The template, type and subtest become its arguments. */
	for (size_t i = 0; i < tmp.neargs; i++)
		free(tmp.eargs[i]);
	free(tmp.eargs);
	tmp.eargs = xcalloc(3, sizeof(*tmp.eargs));
	tmp.eargs[0] = xstrdup(tmpl);
	tmp.eargs[1] = xstrdup(type);
	tmp.neargs = 2;
	if (sub[0] != '\0')
		tmp.eargs[tmp.neargs++] = xstrdup(sub);
	if (re != NULL) {
		tmp.ere = xcalloc(EVAL_NRE, sizeof(*tmp.ere));
		tmp.ere[0] = re;
	}
	src = xasprintf("askdns %s %s %s", tmpl, type, sub);
	adopt_eval(rs, define(rs, name, RK_HEADER, src, file, line, d), &tmp);
	free(src);
	free(sub);
}

static void
parse_line(struct ruleset *rs, char *l, const char *file, int line,
    int depth, struct diag *d)
{
	char kw[64], name[256];
	const char *p;
	char *rest;
	int k;

	p = next_word(l, kw, sizeof(kw));
	if (strcmp(kw, "include") == 0) {
		parse_include(rs, (char *)(uintptr_t)skip_ws(p), file, line,
		    depth, d);
		return;
	}
	for (k = 0; k < RK_NKINDS; k++)
		if (strcmp(kw, rules_kind_names[k]) == 0)
			break;
	if (strncmp(kw, "replace_", 8) == 0 && parse_replace(rs, kw, p, file,
	    line, d))
		return;
	if (strcmp(kw, "originating_ip_headers") == 0 ||
	    strcmp(kw, "clear_originating_ip_headers") == 0) {
		parse_originating(rs, kw, p, file, line, d);
		return;
	}
	if (strcmp(kw, "askdns") == 0) {
		parse_askdns(rs, p, file, line, d);
		return;
	}
	if (k == RK_NKINDS && strcmp(kw, "score") != 0 &&
	    strcmp(kw, "describe") != 0 && strcmp(kw, "tflags") != 0 &&
	    strcmp(kw, "action") != 0) {
		const char *why = NULL;

		/* Settings of plugins Warden implements (FreeMail's). */
		if (rs->cur_sa && (eval_dns_setting(rs, kw, skip_ws(p),
		    &why) || eval_auth_setting(rs, kw, skip_ws(p), &why) ||
		    rules_eval_setting(rs, kw, skip_ws(p), &why))) {
			if (why != NULL)
				perr(rs, d, file, line, "%s: %s", kw, why);
			return;
		}
		if (in_list(kw, sa_settings) || has_prefix(kw, sa_prefixes)) {
			char *what = xasprintf("'%s' lines", kw);

			count_skip(rs, what);
			free(what);
			if (in_list(kw, sa_rule_settings)) {
				p = next_word(p, name, sizeof(name));
				if (valid_name(name))
					g_hash_table_add(rs->skipnames,
					    xstrdup(name));
			}
			return;
		}
		if (rs->cur_sa)
			count_skip(rs, "unknown settings");
		perr(rs, d, file, line, "unknown keyword '%s'", kw);
		return;
	}
	p = next_word(p, name, sizeof(name));
	if (name[0] == '\0' || name[0] == '#') {
		perr(rs, d, file, line, "%s: no rule name", kw);
		return;
	}
	rest = (char *)(uintptr_t)skip_ws(p);
	if (strcmp(kw, "score") == 0) {
		parse_score(rs, name, rest, file, line, d);
		return;
	}
	if (strcmp(kw, "describe") == 0) {
		struct rule *r;

		if (!valid_name(name)) {
			diag_error(d, file, line, "bad rule name '%s'", name);
			return;
		}
		r = rule_get(rs, name, file, line, true);
		free(r->describe);
		r->describe = xstrdup(rest);
		trim_in_place(r->describe);
		return;
	}
	if (strcmp(kw, "tflags") == 0) {
		parse_tflags(rs, name, rest, file, line, d);
		return;
	}
	if (strcmp(kw, "action") == 0) {
		parse_action(rs, name, rest, file, line, d);
		return;
	}
	if (only_comment(rest)) {
		perr(rs, d, file, line, "%s %s: nothing to test", kw, name);
		return;
	}
	if ((k == RK_CONNECT || k == RK_HELO || k == RK_ENVFROM) &&
	    strncmp(skip_ws(rest), "dnsbl:", 6) == 0) {
		parse_dnsbl(rs, (enum rule_kind)k, name, skip_ws(rest) + 6,
		    file, line, d);
		return;
	}
	switch (k) {
	case RK_CONNECT:
		parse_connect(rs, name, rest, file, line, d);
		break;
	case RK_HEADER:
		parse_header(rs, name, rest, file, line, d);
		break;
	case RK_MIMEHEADER:
		parse_mimeheader(rs, name, rest, file, line, d);
		break;
	case RK_META:
		parse_meta(rs, name, rest, file, line, d);
		break;
	default:
		parse_simple(rs, (enum rule_kind)k, name, rest, file, line, d);
		break;
	}
}

/* SpamAssassin's comment rule: from an unescaped '#' on; "\#" is '#'. */
static void
sa_strip_comment(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (*p == '#' && (p == s || p[-1] != '\\'))
			break;
		if (*p == '\\' && p[1] == '#')
			continue;
		*w++ = *p;
	}
	*w = '\0';
	trim_in_place(s);
}

/*
 * A score line inside a block that is not loaded: kept aside.  SpamAssassin
 * puts the scores of some plain regex rules inside the block of a plugin
 * that the same file also needs (50_scores.cf scores RCVD_ILLEGAL_IP, a
 * header rule, inside "ifplugin ...RelayEval"); rules_finish() gives such
 * a score to a rule Warden does load when no loaded line scored it.
 */
static void
block_score(struct ruleset *rs, const char *name, const char *rest)
{
	char word[64], *copy = xstrdup(rest);
	double v, vl, *p;
	bool ok;

	strip_comment(copy);
	ok = score_for_set(copy, rs->scoreset, &v, word, sizeof(word)) &&
	    score_for_set(copy, rs->scoreset & ~2u, &vl, word, sizeof(word));
	free(copy);
	if (!ok)
		return;
	if (rs->block_scores == NULL)
		rs->block_scores = g_hash_table_new_full(g_str_hash,
		    g_str_equal, free, free);
	p = xcalloc(2, sizeof(*p));
	p[0] = v;		/* the score set's score */
	p[1] = vl;		/* the one without the statistical filter */
	g_hash_table_replace(rs->block_scores, xstrdup(name), p);
}

#define MAX_COND_DEPTH 64

struct cond {
	bool    outer;		/* active before this if */
	bool    val;		/* its condition (flipped by else) */
};

void
rules_parse_text(struct ruleset *rs, const char *fname, const char *text,
    int depth, struct diag *d)
{
	const char *file = keep_file(rs, fname);
	const char *s = text;
	int line = 0, nc = 0;
	struct cond cs[MAX_COND_DEPTH];
	bool active = true, was_sa = rs->cur_sa;

	rs->cur_sa = ends_with(fname, ".cf");
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		char *l = xstrndup(s, n), *t;
		char kw[16];
		const char *rest;

		line++;
		s += n + (e != NULL);
		t = str_trim(l);
		if (rs->cur_sa)
			sa_strip_comment(t);
		if (*t == '\0' || *t == '#') {
			free(l);
			continue;
		}
		/*
		 * Conditionals, decided by rules_sa_cond().  Inside a block
		 * that is not loaded, the names of the rules it would define
		 * are remembered, so that a meta over them counts them as not
		 * hit instead of failing.
		 */
		rest = next_word(t, kw, sizeof(kw));
		if (strcmp(kw, "ifplugin") == 0 || strcmp(kw, "if") == 0 ||
		    strncmp(t, "if(", 3) == 0 || strncmp(t, "if!", 3) == 0) {
			const char *why;
			int v;

			if (strcmp(kw, "ifplugin") != 0)
				rest = t + 2;
			v = rules_sa_cond(strcmp(kw, "ifplugin") == 0 ?
			    "ifplugin" : "if", rest, rs->scoreset | (rs->auth ? 4u : 0),
			    &why);
			if (v < 0) {
				perr(rs, d, file, line,
				    "bad condition: %s (the "
				    "block is not loaded)", why);
				v = 0;
			}
			if (nc == MAX_COND_DEPTH) {
				diag_error(d, file, line, "if/ifplugin nested "
				    "too deeply");
				free(l);
				break;
			}
			cs[nc].outer = active;
			cs[nc].val = v != 0;
			if (active && v == 0)
				count_skip(rs, "if/ifplugin blocks");
			active = active && v != 0;
			nc++;
		} else if (strcmp(kw, "endif") == 0) {
			if (nc == 0)
				perr(rs, d, file, line, "endif without if");
			else
				active = cs[--nc].outer;
		} else if (strcmp(kw, "else") == 0) {
			if (nc == 0)
				perr(rs, d, file, line, "else without if");
			else {
				cs[nc - 1].val = !cs[nc - 1].val;
				if (cs[nc - 1].outer && !cs[nc - 1].val)
					count_skip(rs, "if/ifplugin blocks");
				active = cs[nc - 1].outer && cs[nc - 1].val;
			}
		} else if (!active) {
			char name[256];
			struct rule *ex;

			rest = next_word(rest, name, sizeof(name));
			ex = g_hash_table_lookup(rs->byname, name);
			if (is_kind_word(kw))
				count_skip(rs, strstr(rest, "eval:") != NULL ?
				    "eval: rules" : "rules inside if/ifplugin "
				    "blocks");
			if (strcmp(kw, "score") == 0 && valid_name(name))
				block_score(rs, name, rest);
			if (valid_name(name) && (ex == NULL ||
			    ex->kind == RK_NONE))
				g_hash_table_add(rs->skipnames, xstrdup(name));
		} else
			parse_line(rs, t, file, line, depth, d);
		free(l);
	}
	if (nc > 0)
		perr(rs, d, file, line, "if/ifplugin without endif");
	rs->cur_sa = was_sa;
}

void
rules_parse_file(struct ruleset *rs, const char *path, int depth,
    struct diag *d)
{
	FILE *f;
	struct buf b;
	char tmp[8192];
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		diag_error(d, path, 0, "cannot open: %s", strerror(errno));
		return;
	}
	buf_init(&b, MAX_FILE_SIZE);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		if (buf_append(&b, tmp, n) < 0) {
			diag_error(d, path, 0, "larger than %u bytes",
			    MAX_FILE_SIZE);
			fclose(f);
			buf_free(&b);
			return;
		}
	if (ferror(f))
		diag_error(d, path, 0, "read error: %s", strerror(errno));
	fclose(f);
	if (b.len > 0 && memchr(b.p, '\0', b.len) != NULL)
		diag_error(d, path, 0, "contains a NUL byte: not a rule file");
	else
		rules_parse_text(rs, path, b.p ? b.p : "", depth, d);
	buf_free(&b);
}

/* ---- After the last file ---- */

/* Depth-first: put r's meta dependencies before r.  0, or -1 on a loop. */
static int
order_meta(struct ruleset *rs, struct rule *r, char *mark, struct diag *d)
{
	if (mark[r->index] == 2)
		return 0;
	if (mark[r->index] == 1) {
		diag_error(d, r->file, r->line, "meta %s: refers to itself "
		    "(directly or through other metas)", r->name);
		return -1;
	}
	mark[r->index] = 1;
	for (size_t i = 0; i < r->nmnodes; i++) {
		int k = r->mnodes[i].rule;

		if (r->mnodes[i].op == MO_RULE && k >= 0 &&
		    rs->rules[k]->kind == RK_META &&
		    order_meta(rs, rs->rules[k], mark, d) < 0) {
			mark[r->index] = 2;
			return -1;
		}
	}
	mark[r->index] = 2;
	rs->order[rs->norder++] = r->index;
	return 0;
}

/*
 * Rule r, whose regex np (its replace_tag macros expanded) PCRE2 finds
 * too large, with regexes that it compiles (rules_sa_split()).  Mostly
 * one regex that means the same, its repeated groups compiled once,
 * replaces r's.  When that is not enough, the pieces of a split become
 * hidden sub-rules, __NAME_SPLIT_1 .. __NAME_SPLIT_k, copies of r each
 * with one piece, and r a meta that is their OR: r keeps its name,
 * score, description and its place in other metas, and hits exactly
 * when its regex would.  That holds only for a rule that hits once or
 * not at all, of a kind matched at the end of data (as metas are), and
 * not negated: a rule with tflags multiple (its matches are counted) or
 * a !~ rule is not split.  Returns false, with *why and nothing
 * changed, when neither can be done.
 */
static bool
fit_rule(struct ruleset *rs, struct rule *r, const char *np,
    struct diag *d, const char **why)
{
	struct sa_piece *pc;
	struct buf expr;
	struct mparse mp;
	size_t n;
	const char *nosplit = NULL;
	const char *base = strncmp(r->name, "__", 2) == 0 ? r->name + 2 :
	    r->name;

	if (r->tflags & TF_MULTIPLE)
		nosplit = "tflags multiple counts its matches";
	else if (r->negate)
		nosplit = "a !~ rule";
	else if (r->kind <= RK_ENVRCPT)
		nosplit = "an SMTP-stage rule";
	n = rules_sa_split(np, r->popts, nosplit == NULL, &pc, why);
	if (n == 0) {
		if (nosplit != NULL)
			*why = nosplit;
		return false;
	}
	for (size_t i = 1; n > 1 && i <= n && *why == NULL; i++) {
		char *sub = xasprintf("__%s_SPLIT_%zu", base, i);

		if (g_hash_table_contains(rs->byname, sub))
			*why = "the names of its pieces are taken";
		free(sub);
	}
	if (*why != NULL) {
		for (size_t i = 0; i < n; i++) {
			free(pc[i].pat);
			pcre2_code_free(pc[i].re);
		}
		free(pc);
		return false;
	}
	if (n == 1) {
		pcre2_code_free(r->re);
		r->re = pc[0].re;
		(void)pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
		free(r->pat);
		r->pat = pc[0].pat;
		free(pc);
		diag_note(d, "rules: %s (%s:%d): repeated groups of its regex "
		    "compiled once, too large for PCRE2 otherwise", r->name,
		    r->file, r->line);
		return true;
	}
	buf_init(&expr, 0);
	for (size_t i = 0; i < n; i++) {
		char *name = xasprintf("__%s_SPLIT_%zu", base, i + 1);
		struct rule *sub = rule_get(rs, name, r->file, r->line, true);

		free(name);
		buf_printf(&expr, "%s%s", i ? " || " : "", sub->name);
		/* rule_get() may move rs->rules, never a rule. */
		sub->sa = r->sa;
		sub->kind = r->kind;
		sub->pat = pc[i].pat;
		sub->popts = r->popts;
		sub->re = pc[i].re;
		(void)pcre2_jit_compile(sub->re, PCRE2_JIT_COMPLETE);
		sub->tflags = r->tflags;
		sub->range_min = r->range_min;
		sub->range_max = r->range_max;
		sub->hsrc = r->hsrc;
		sub->hname = r->hname ? xstrdup(r->hname) : NULL;
		sub->hmods = r->hmods;
		sub->if_unset = r->if_unset ? xstrdup(r->if_unset) : NULL;
	}
	free(pc);

	/* r becomes the meta; score, describe, tflags and action stay. */
	pcre2_code_free(r->re);
	r->re = NULL;
	free(r->pat);
	r->pat = NULL;
	free(r->hname);
	r->hname = NULL;
	free(r->if_unset);
	r->if_unset = NULL;
	r->hmods = 0;
	r->hsrc = HS_NAME;
	r->kind = RK_META;
	memset(&mp, 0, sizeof(mp));
	mp.rs = rs;
	mp.s = expr.p;
	mp.r = r;
	mp.file = r->file;
	mp.line = r->line;
	mp.d = d;
	r->mroot = mexpr_or(&mp);
	buf_free(&expr);
	diag_note(d, "rules: %s (%s:%d) split into %zu regexes, too large "
	    "for PCRE2 in one", r->name, r->file, r->line, n);
	return true;
}

/*
 * replace_rules: expand the replace_tag macros in the rules named, and
 * compile them again.  A rule whose expansion PCRE2 finds too large is
 * made smaller or split (fit_rule()); one whose expansion does not
 * compile otherwise is skipped with a warning (an error in .rules
 * input).
 */
static void
expand_replace_rules(struct ruleset *rs, struct diag *d)
{
	if (rs->replace_rules == NULL)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = rs->rules[i];
		char *np;
		pcre2_code *re;
		int err;
		PCRE2_SIZE off;
		const char *why = NULL;

		if (r->pat == NULL || r->re == NULL ||
		    !g_hash_table_contains(rs->replace_rules, r->name))
			continue;
		np = rules_sa_replace(rs, r->pat);
		if (strcmp(np, r->pat) == 0) {
			free(np);
			continue;
		}
		re = pcre2_compile((PCRE2_SPTR)np, strlen(np), r->popts, &err,
		    &off, NULL);
		if (re == NULL && rules_sa_too_large(err) &&
		    fit_rule(rs, r, np, d, &why)) {
			free(np);
			rs->nreplaced++;
			continue;
		}
		if (re == NULL) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(err, msg, sizeof(msg));
			(r->sa ? diag_warn : diag_error)(d, r->file, r->line,
			    "%s: bad regex after replace_tag expansion: %s at "
			    "offset %zu%s%s%s", r->name, (const char *)msg,
			    (size_t)off, why ? " (not split: " : "",
			    why ? why : "", why ? ")" : "");
			if (r->sa)
				count_skip(rs, "rules whose regex PCRE2 will not "
				    "compile");
			free(np);
			undefine(r);
			continue;
		}
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		pcre2_code_free(r->re);
		r->re = re;
		free(r->pat);
		r->pat = np;
		rs->nreplaced++;
	}
}

void
rules_finish(struct ruleset *rs, struct diag *d)
{
	size_t k = 0;
	char *mark;

	expand_replace_rules(rs, d);
	rules_eval_finish(rs);

	/* Drop placeholders that were never defined. */
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = rs->rules[i];

		if (r->kind == RK_NONE) {
			bool skipped = g_hash_table_contains(rs->skipnames,
			    r->name);

			if (r->line < 0)	/* its definition failed */
				g_hash_table_add(rs->skipnames,
				    xstrdup(r->name));
			else if (!skipped) {
				if (r->action != ACT_NONE)
					diag_error(d, r->action_file,
					    r->action_line, "action for "
					    "undefined rule %s", r->name);
				else
					diag_warn(d, r->file, r->line,
					    "%s: score, describe or tflags for "
					    "an undefined rule", r->name);
			}
			g_hash_table_remove(rs->byname, r->name);
			free(r->name);
			free(r->src);
			free(r->pat);
			free(r->describe);
			reply_free(&r->reply);
			free_meta(r);
			free(r->hname);
			free(r->if_unset);
			cidrlist_free(&r->cidrs);
			rules_dnsbl_clear(r);
			free(r);
			continue;
		}
		r->index = (int)k;
		rs->rules[k++] = r;
	}
	rs->n = k;

	/* Defaults, and what the message walk must prepare.  The eval:
	 * tests are counted again: a redefinition may have replaced one. */
	rs->neval = 0;
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = rs->rules[i];
		double *bs;

		if (!r->score_set && rs->block_scores != NULL && (bs =
		    g_hash_table_lookup(rs->block_scores, r->name)) != NULL) {
			r->score = bs[0];
			r->score_learn = bs[1];
			r->score_set = true;
		}

		if (strncmp(r->name, "__", 2) == 0)
			r->score = r->score_learn = 0;
		else if (!r->score_set && strncmp(r->name, "T_", 2) == 0)
			r->score = r->score_learn = 0.01;
		else if (!r->score_set)
			/* SpamAssassin gives a nice rule -1 by default. */
			r->score = r->score_learn = r->sa &&
			    (r->tflags & TF_NICE) ? -1.0 : 1.0;
		if (r->score < 0 && !(r->tflags & TF_NICE))
			diag_warn(d, r->file, r->line, "%s: negative score "
			    "without tflags nice", r->name);
		rs->nkind[r->kind]++;
		if (r->eval != NULL)
			rs->neval++;
		switch (r->kind) {
		case RK_BODY: rs->want |= MIME_BODY; break;
		case RK_RAWBODY: rs->want |= MIME_RAWBODY; break;
		case RK_URI: rs->want |= MIME_URI | MIME_BODY; break;
		case RK_FILENAME: rs->want |= MIME_FILENAME; break;
		case RK_MIMETYPE: rs->want |= MIME_TYPE; break;
		case RK_MIMEHEADER: rs->want |= MIME_PARTHDRS; break;
		default: break;
		}
	}

	/* Resolve meta references. */
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = rs->rules[i];

		for (size_t j = 0; j < r->nmnodes; j++) {
			struct meta_node *m = &r->mnodes[j];
			struct rule *t;

			if (m->op != MO_RULE)
				continue;
			t = g_hash_table_lookup(rs->byname, m->name);
			if (t != NULL) {
				m->rule = t->index;
				t->referenced = true;
			} else if (g_hash_table_contains(rs->skipnames,
			    m->name))
				m->rule = -1;	/* skipped: never hits */
			else if (r->sa) {
				/* SpamAssassin: an absent rule is 0. */
				diag_warn(d, r->file, r->line, "meta %s: "
				    "unknown rule %s (counted as not hit)",
				    r->name, m->name);
				m->rule = -1;
			} else
				diag_error(d, r->file, r->line, "meta %s: "
				    "unknown rule %s", r->name, m->name);
		}
	}
	if (diag_nerrors(d) > 0)
		return;

	/* Metas in dependency order; loops are errors. */
	rs->order = xcalloc(rs->n + 1, sizeof(*rs->order));
	mark = xcalloc(rs->n + 1, 1);
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->kind == RK_META)
			order_meta(rs, rs->rules[i], mark, d);
	free(mark);
}
