/*
 * stats_tok.c -- the statistical filter's tokenizer (see stats.h).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stats.h"
#include "util.h"

/* FNV-1a, 64 bits, over prefix, a separator and the word. */
uint64_t
stats_hash(const char *prefix, const char *word, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)prefix; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ 0x1f) * 1099511628211ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)word[i]) * 1099511628211ULL;
	return h != 0 ? h : 1;		/* 0 marks an empty slot */
}

void
stats_tok_init(struct stats_tok *tk, size_t max, bool keep_text)
{
	size_t cap = 16;

	memset(tk, 0, sizeof(*tk));
	tk->max = max > 0 ? max : STATS_DEF_MAX_TOKENS;
	while (cap < tk->max * 2)
		cap *= 2;
	tk->set = xcalloc(cap, sizeof(*tk->set));
	tk->setmask = cap - 1;
	tk->v = xcalloc(tk->max, sizeof(*tk->v));
	tk->keep_text = keep_text;
	if (keep_text)
		tk->text = xcalloc(tk->max, sizeof(*tk->text));
}

void
stats_tok_free(struct stats_tok *tk)
{
	if (tk->text != NULL)
		for (size_t i = 0; i < tk->n; i++)
			free(tk->text[i]);
	free(tk->text);
	free(tk->v);
	free(tk->set);
	memset(tk, 0, sizeof(*tk));
}

/* Adds one token; false when it was there already or did not fit. */
static bool
add(struct stats_tok *tk, const char *prefix, const char *word, size_t n)
{
	uint64_t h = stats_hash(prefix, word, n);
	size_t i = (size_t)(h ^ (h >> 29)) & tk->setmask;

	while (tk->set[i] != 0) {
		if (tk->set[i] == h)
			return false;
		i = (i + 1) & tk->setmask;
	}
	if (tk->n >= tk->max) {
		/* Past the bound: counted once each while the set has
		 * room for it (at most three quarters full), only told of
		 * (dropped_more) after that. */
		if (tk->n + tk->dropped >= (tk->setmask + 1) / 4 * 3) {
			tk->dropped_more = true;
			return false;
		}
		tk->set[i] = h;
		tk->dropped++;
		return false;
	}
	tk->set[i] = h;
	if (tk->keep_text)
		tk->text[tk->n] = xasprintf("%s:%.*s", prefix, (int)n, word);
	tk->v[tk->n++] = h;
	return true;
}

/* A byte that belongs in a word: ASCII letters and digits, the bytes of
 * UTF-8 sequences (letters of other scripts), and a few joiners. */
static bool
word_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || c == '\'' || c == '-' || c == '_' ||
	    c == '$' || c == '.' || c == '@';
}

/* Joiners that do not end or start a word. */
static bool
edge_byte(unsigned char c)
{
	return c == '\'' || c == '-' || c == '_' || c == '.' || c == '@';
}

/*
 * Calls fn for each word of text (lower-cased ASCII, at most
 * STATS_MAX_WORD bytes; longer runs give "sk" tokens).  Numbers give a
 * token of their shape (digits count) rather than their value.
 */
struct words {
	struct stats_tok *tk;
	const char *prefix;
	bool pairs;		/* also pairs of neighbouring words */
	char prev[STATS_MAX_WORD + 1];
	size_t prevn;
};

static void
word(struct words *w, const char *s, size_t n)
{
	char buf[STATS_MAX_WORD + 1 + 8];
	bool digits = true;
	size_t i;

	if (n < STATS_MIN_WORD) {
		w->prevn = 0;
		return;
	}
	if (n > STATS_MAX_WORD) {
		/* A long run: its head and its length class, as
		 * SpamAssassin's "sk:" tokens. */
		int k = snprintf(buf, sizeof(buf), "%.7s~%zu", s,
		    n < 64 ? n / 8 * 8 : 64);

		for (int j = 0; j < k; j++)
			buf[j] = (char)tolower((unsigned char)buf[j]);
		add(w->tk, "sk", buf, (size_t)k);
		w->prevn = 0;
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = (char)(c < 0x80 ? tolower(c) : c);
		if (!isdigit(c) && c != '.' && c != '-')
			digits = false;
	}
	if (digits) {
		int k = snprintf(buf, sizeof(buf), "%zu", n);

		add(w->tk, "num", buf, (size_t)k);
		w->prevn = 0;
		return;
	}
	add(w->tk, w->prefix, buf, n);
	if (w->pairs) {
		if (w->prevn > 0) {
			char pair[2 * STATS_MAX_WORD + 2];

			memcpy(pair, w->prev, w->prevn);
			pair[w->prevn] = ' ';
			memcpy(pair + w->prevn + 1, buf, n);
			add(w->tk, "2", pair, w->prevn + 1 + n);
		}
		memcpy(w->prev, buf, n);
		w->prevn = n;
	}
}

static void
words(struct stats_tok *tk, const char *prefix, bool pairs, const char *text,
    size_t len)
{
	struct words w;
	size_t i = 0;

	memset(&w, 0, sizeof(w));
	w.tk = tk;
	w.prefix = prefix;
	w.pairs = pairs;
	if (len > STATS_MAX_TEXT)
		len = STATS_MAX_TEXT;
	while (i < len) {
		size_t start, end;

		while (i < len && !word_byte((unsigned char)text[i]))
			i++;
		start = i;
		while (i < len && word_byte((unsigned char)text[i]))
			i++;
		end = i;
		while (start < end && edge_byte((unsigned char)text[start]))
			start++;
		while (end > start && edge_byte((unsigned char)text[end - 1]))
			end--;
		if (end > start)
			word(&w, text + start, end - start);
	}
}

void
stats_tok_body(struct stats_tok *tk, const char *text, size_t len)
{
	words(tk, "b", true, text, len);
}

/* The sender's header fields, with the prefix their tokens get.  Fields
 * the site's relays and delivery add are not here on purpose. */
static const struct {
	const char *name, *prefix;
	bool addr;		/* an address field: also its domain */
} fields[] = {
	{ "subject", "s", false },
	{ "from", "f", true },
	{ "reply-to", "r", true },
	{ "sender", "sn", true },
	{ "message-id", "m", true },
	{ "x-mailer", "x", false },
	{ "user-agent", "x", false },
	{ "content-type", "ct", false },
	{ "mime-version", "mv", false },
	{ "precedence", "p", false },
	{ "x-priority", "pr", false },
	{ "importance", "pr", false },
	{ "organization", "o", false },
	{ "list-id", "l", false },
	{ "list-unsubscribe", "lu", false },
	{ "x-mailing-list", "l", false },
	{ "content-language", "cl", false },
	{ "thread-index", "ti", false },
};

/* A host name (lower-cased) and each parent domain with two labels or
 * more: "a.b.example.com", "b.example.com", "example.com". */
static void
host_domains(struct stats_tok *tk, const char *prefix, const char *p,
    size_t n)
{
	char host[254];

	if (n == 0 || n > 253)
		return;
	for (size_t i = 0; i < n; i++)
		host[i] = (char)tolower((unsigned char)p[i]);
	if (memchr(host, '.', n) == NULL) {
		add(tk, prefix, host, n);	/* one label: as it is */
		return;
	}
	for (const char *d = host; d < host + n;) {
		const char *dot = memchr(d, '.', (size_t)(host + n - d));

		if (dot == NULL)
			break;
		add(tk, prefix, d, (size_t)(host + n - d));
		d = dot + 1;
	}
}

/* The domain of the first address in value, and its parents. */
static void
addr_domain(struct stats_tok *tk, const char *prefix, const char *v,
    size_t n)
{
	const char *at = memchr(v, '@', n), *e;
	char pfx[16];

	if (at == NULL)
		return;
	at++;
	for (e = at; e < v + n && (isalnum((unsigned char)*e) || *e == '.' ||
	    *e == '-'); e++)
		;
	snprintf(pfx, sizeof(pfx), "%sd", prefix);
	host_domains(tk, pfx, at, (size_t)(e - at));
}

bool
stats_tok_header(struct stats_tok *tk, const char *name, size_t nn,
    const char *value, size_t vn)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) != nn ||
		    strncasecmp(fields[i].name, name, nn) != 0)
			continue;
		if (vn > STATS_MAX_TEXT)
			vn = STATS_MAX_TEXT;
		words(tk, fields[i].prefix, false, value, vn);
		if (fields[i].addr)
			addr_domain(tk, fields[i].prefix, value, vn);
		return true;
	}
	return false;
}

void
stats_tok_uri(struct stats_tok *tk, const char *uri, size_t len)
{
	const char *p = uri, *e = uri + len, *h;
	const char *col = memchr(uri, ':', len);

	if (col != NULL && col + 2 < e && col[1] == '/' && col[2] == '/')
		p = col + 3;
	else if (col != NULL && (size_t)(col - uri) == 6 &&
	    strncasecmp(uri, "mailto", 6) == 0) {
		addr_domain(tk, "u", col + 1, (size_t)(e - col - 1));
		return;
	}
	/* user info */
	for (h = p; h < e && *h != '/' && *h != '?' && *h != '#'; h++)
		if (*h == '@')
			p = h + 1;
	for (h = p; h < e && *h != '/' && *h != '?' && *h != '#' &&
	    *h != ':'; h++)
		;
	host_domains(tk, "u", p, (size_t)(h - p));
}

void
stats_tok_attachment(struct stats_tok *tk, const char *type,
    const char *name)
{
	if (type != NULL && *type)
		add(tk, "at", type, strlen(type));
	if (name != NULL) {
		const char *dot = strrchr(name, '.');

		if (dot != NULL && dot[1] != '\0' && strlen(dot + 1) <= 8) {
			char ext[9];
			size_t n = strlen(dot + 1);

			for (size_t i = 0; i < n; i++)
				ext[i] = (char)tolower((unsigned char)dot[1 + i]);
			add(tk, "ae", ext, n);
		}
	}
}

void
stats_tok_relay(struct stats_tok *tk, const char *ip, const char *rdns,
    const char *helo)
{
	if (rdns == NULL || *rdns == '\0')
		add(tk, "rn", "none", 4);
	else
		host_domains(tk, "rd", rdns, strlen(rdns));
	if (helo != NULL && *helo)
		host_domains(tk, "rh", helo, strlen(helo));
	if (ip != NULL && strchr(ip, ':') == NULL) {
		const char *d1 = strchr(ip, '.'), *d2, *d3;

		if (d1 != NULL && (d2 = strchr(d1 + 1, '.')) != NULL) {
			add(tk, "ri", ip, (size_t)(d2 - ip));
			if ((d3 = strchr(d2 + 1, '.')) != NULL)
				add(tk, "ri", ip, (size_t)(d3 - ip));
		}
	}
}

void
stats_tok_fact(struct stats_tok *tk, const char *fact)
{
	add(tk, "sf", fact, strlen(fact));
}
