/*
 * html.c -- HTML as SpamAssassin's HTML.pm sees it (see html.h).
 *
 * Two layers.  The tokenizer follows HTML::Parser 3 as SpamAssassin
 * configures it (marked sections on, default everything else): text is
 * what lies between markup, with entities decoded; "<!--" runs to the
 * next "-->"; "<!DOCTYPE ...>" and "<!ENTITY ...>" are declarations and
 * any other "<!...>", "</>" or "</ ...>" is a comment; "<![CDATA[...]]>"
 * is text; a start tag is "<" and a letter, its name running to white
 * space or ">", its attributes lower-cased, the first of a repeated one
 * kept, values unquoted or quoted with entities decoded; <script>,
 * <style>, <iframe>, <xmp>, <plaintext>, <title> and <textarea> hold
 * literal text up to their end tag (entities decoded in the last two);
 * markup left open at the end becomes a comment, and an unterminated
 * <title> is closed by the next markup (see struct an).  Comparing with
 * SpamAssassin's own module: tests/parity/html_parity.py.
 *
 * The analysis is HTML.pm's handlers, in the same order with the same
 * quirks, since SpamAssassin's scores were fitted to them: e.g. a
 * bgcolor attribute never changes the background (HTML.pm converts it
 * and drops it), only "display" spelt in lower case hides text, and a
 * text counts as obfuscated when it starts with a letter or digit right
 * after a piece of text that ended with one.  The regular expressions
 * HTML.pm uses are transcribed as small scanners, except the font-face
 * check, a built-in regex of rx.c (compiled once, run under the PCRE2
 * limits of the message being judged).
 *
 * Bounds: the output text is at most twice the input plus a little;
 * the text-style stack keeps MAX_STYLE entries (deeper nesting is
 * counted but not tracked), the tag table HTML_MAX_TAGS names (tags
 * beyond that are counted, their "inside" not kept), the lists
 * HTML_MAX_STRS entries of HTML_MAX_STR bytes.  Work is linear in the
 * input: close-tag searches use per-tag counts of the stack, and a
 * search for an end tag or "]]>" that failed is not repeated.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "rx.h"
#include "util.h"

#define MAX_STYLE	65536
#define MAX_NAME	128	/* bytes of a tag or attribute name kept */
#define MAX_ATTRS	64	/* attributes of one tag kept */
#define MAX_URI_LENGTH	8192	/* SpamAssassin's Constants.pm */
#define TAG_SLOTS	2048	/* hash slots, > 2 * HTML_MAX_TAGS */

#define COL_INVALID	(-1)	/* name_to_rgb() gave "invalid" */
#define COL_EMPTY	(-2)	/* it gave "#" (a "#" with no digits) */
#define COL_TRANSPARENT	(-3)	/* "transparent" until resolved */

/* ---- Character classes (HTML.pm's regexes, over UTF-8) ---- */

/* [ \t\n\r\f\x0b] */
static bool
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\f' || c == '\v';
}

/* Decode the code point at s (n > 0 bytes); *len gets its length. */
static unsigned long
u8_get(const unsigned char *s, size_t n, size_t *len)
{
	unsigned long c = s[0];
	size_t k, need;

	if (c < 0x80 || n < 2) {
		*len = 1;
		return c;
	}
	need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (need == 1 || need > n) {
		*len = 1;
		return c;
	}
	c &= 0x3f >> (need - 1);
	for (k = 1; k < need; k++) {
		if ((s[k] & 0xc0) != 0x80) {
			*len = 1;
			return s[0];
		}
		c = (c << 6) | (s[k] & 0x3f);
	}
	*len = need;
	return c;
}

/* The code point ending at s + n (n > 0). */
static unsigned long
u8_last(const unsigned char *s, size_t n)
{
	size_t i = n - 1, len;

	while (i > 0 && n - i < 4 && (s[i] & 0xc0) == 0x80)
		i--;
	return u8_get(s + i, n - i, &len);
}

/* Perl's \s on characters. */
static bool
is_uspace(unsigned long c)
{
	return is_ws((int)(c < 0x80 ? c : 0)) || c == 0x85 || c == 0xa0 ||
	    c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	    c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/*
 * [^\s\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]: a letter or digit, or any
 * character beyond ASCII that is not a space.  Perl's \s is Unicode's
 * only on a character string (uni); on the octets SpamAssassin keeps
 * when a part has no 8-bit byte, NBSP is no space.
 */
static bool
is_wordish(unsigned long c, bool uni)
{
	if (c < 0x80)
		return isalnum((int)c) != 0;
	return !uni || !is_uspace(c);
}

/* Whether Perl would hold s as characters: the part had 8-bit bytes
 * (SpamAssassin decoded it), or s has a character past U+00FF. */
static bool
perl_chars(bool decoded, const char *s, size_t n)
{
	if (decoded)
		return true;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0xc4)
			return true;
	return false;
}

static size_t
u8_count(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

/* ---- Entities (HTML::Parser's table: HTML::Entities) ---- */

static const struct entity {
	const char *name;
	unsigned    cp;
	bool        semi;	/* needs its ';' (else it may be a prefix) */
} entities[] = {
#include "html_entities.h"
};

static const struct entity *
entity_find(const char *name, size_t n)
{
	size_t lo = 0, hi = ARRAY_LEN(entities);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(entities[mid].name, name, n);

		if (c == 0 && entities[mid].name[n] != '\0')
			c = 1;
		if (c == 0)
			return &entities[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Decode the entity at s (s[0] == '&', n bytes available) as
 * HTML::Parser does: numeric ones with or without ';' (0 and values
 * past U+10FFFF stay as written, surrogates become U+FFFD); named ones
 * case-sensitively, those of the Latin-1 set also without ';' and, in
 * text (prefix), as the start of a longer word ("&copyx" is "(c)x").
 * Returns the bytes used, putting the character in *cp, or 0.
 */
static size_t
entity_at(const char *s, size_t n, bool prefix, unsigned long *cp)
{
	size_t i = 1, k;
	const struct entity *e;

	if (n > 2 && s[1] == '#') {
		bool hex = n > 3 && (s[2] == 'x' || s[2] == 'X');
		unsigned long v = 0;
		size_t d = 0;

		for (i = hex ? 3 : 2; i < n; i++, d++) {
			int c = (unsigned char)s[i];

			if (hex ? !isxdigit(c) : !isdigit(c))
				break;
			if (v <= 0x10ffff)
				v = v * (hex ? 16 : 10) + (unsigned long)(isdigit(c) ?
				    c - '0' : tolower(c) - 'a' + 10);
		}
		if (d == 0 || v == 0 || v > 0x10ffff)
			return 0;
		if (i < n && s[i] == ';')
			i++;
		*cp = v >= 0xd800 && v <= 0xdfff ? 0xfffd : v;
		return i;
	}
	while (i < n && i < 40 && isalnum((unsigned char)s[i]))
		i++;
	if (i == 1)
		return 0;
	if ((e = entity_find(s + 1, i - 1)) != NULL) {
		bool semi = i < n && s[i] == ';';

		if (semi || !e->semi) {
			*cp = e->cp;
			return semi ? i + 1 : i;
		}
	}
	if (!prefix)
		return 0;
	for (k = i - 1; k > 1; k--)
		if ((e = entity_find(s + 1, k - 1)) != NULL && !e->semi) {
			*cp = e->cp;
			return k;
		}
	return 0;
}

/* Append s[0..n) with entities decoded. */
static void
put_decoded(struct buf *b, const char *s, size_t n, bool prefix)
{
	size_t i = 0, from = 0;

	while (i < n) {
		unsigned long cp;
		size_t used;
		const char *amp = memchr(s + i, '&', n - i);

		if (amp == NULL)
			break;
		i = (size_t)(amp - s);
		used = entity_at(s + i, n - i, prefix, &cp);
		if (used == 0) {
			i++;
			continue;
		}
		buf_append(b, s + from, i - from);
		buf_putu8(b, cp);
		i += used;
		from = i;
	}
	buf_append(b, s + from, n - from);
}

/* ---- The text-style stack and colours ---- */

enum {
	TS_DEFAULT, TS_BODY, TS_FONT, TS_TABLE, TS_TR, TS_TD, TS_BIG,
	TS_SMALL, TS_BASEFONT, TS_SPAN, TS_P, TS_DIV, TS_A, TS_N
};

static const char *const ts_names[TS_N] = {
	"default", "body", "font", "table", "tr", "td", "big", "small",
	"basefont", "span", "p", "div", "a"
};

struct style {
	int     tag;		/* TS_* */
	long    fg, bg;		/* 0xRRGGBB or COL_* */
	long    size;
	bool    display_none;	/* style_display, lower-case key, "none" */
	bool    hidden;		/* style_visibility "hidden" */
};

static const struct named_colour {
	const char *name;
	long rgb;
} colours[] = {
#include "html_colours.h"
};

static long
colour_named(const char *s)
{
	size_t lo = 0, hi = ARRAY_LEN(colours);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(colours[mid].name, s);

		if (c == 0)
			return colours[mid].rgb;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* "rgb(" d+ sep d+ sep d+ ")" where sep is pct? "," \s*; nums in v. */
static bool
rgb_call(const char *s, bool pct, unsigned long v[3])
{
	const char *p;

	for (p = s; (p = strstr(p, "rgb(")) != NULL; p++) {
		const char *q = p + 4;
		int k;

		for (k = 0; k < 3; k++) {
			if (!isdigit((unsigned char)*q))
				break;
			v[k] = 0;
			while (isdigit((unsigned char)*q)) {
				if (v[k] < 100000000)
					v[k] = v[k] * 10 +
					    (unsigned long)(*q - '0');
				q++;
			}
			if (pct && *q++ != '%')
				break;
			if (k < 2) {
				if (*q++ != ',')
					break;
				while (isspace((unsigned char)*q))
					q++;
			}
		}
		if (k < 3)
			continue;
		while (isspace((unsigned char)*q))
			q++;
		if (*q == ')')
			return true;
	}
	return false;
}

/* Perl's sprintf("%lx") with HTML.pm's dec2hex zero for < 16. */
static void
dec2hex(struct buf *b, unsigned long v)
{
	buf_printf(b, v < 16 ? "0%lx" : "%lx", v);
}

/*
 * HTML.pm's name_to_rgb(): a colour name, "#hex" (shortened, padded and
 * doubled as it does), or rgb(); else COL_INVALID.  Note that a bare
 * "ffffff" is invalid, as there.
 */
static long
name_to_rgb(const char *in, size_t n)
{
	char *c = xstrndup(in, n), *s, *e;
	struct buf h;
	unsigned long v[3];
	long named, r = COL_INVALID;
	bool ok = true;
	size_t hl;

	for (s = c; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	for (s = c; isspace((unsigned char)*s); s++)
		;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if ((named = colour_named(s)) >= 0) {
		free(c);
		return named;
	}
	for (const char *p = s; *p; p++)
		if (!(*p == '#' || isxdigit((unsigned char)*p)))
			ok = false;
	buf_init(&h, 0);
	if (!ok && strstr(s, "rgb(") != NULL) {
		/* rgb\([\d%, ]*\) somewhere */
		for (const char *p = s; (p = strstr(p, "rgb(")) != NULL; p++) {
			const char *q = p + 4;

			while (isdigit((unsigned char)*q) || *q == '%' ||
			    *q == ',' || *q == ' ')
				q++;
			if (*q == ')') {
				ok = true;
				break;
			}
		}
	}
	if (!ok)
		goto out;
	buf_puts(&h, s);
	if (rgb_call(h.p, true, v)) {
		buf_reset(&h);
		buf_putc(&h, '#');
		for (int k = 0; k < 3; k++)
			dec2hex(&h, (unsigned long)((double)v[k] / 100 * 255));
	}
	if (rgb_call(h.p, false, v)) {
		buf_reset(&h);
		buf_putc(&h, '#');
		for (int k = 0; k < 3; k++)
			dec2hex(&h, v[k]);
	}
	if (h.p[0] != '#')
		goto out;
	hl = 0;
	for (size_t i = 0; i < h.len; i++)
		if (isxdigit((unsigned char)h.p[i]))
			h.p[hl++] = h.p[i];
	if (hl > 6)
		hl = 6;
	if (hl > 3 && hl < 6)
		hl = 3;
	if (hl == 0) {
		r = COL_EMPTY;
		goto out;
	}
	while (hl % 3)
		h.p[hl++] = '0';
	if (hl == 3) {
		char t[6] = { h.p[0], h.p[0], h.p[1], h.p[1], h.p[2], h.p[2] };

		memcpy(h.p, t, 6);
	}
	h.p[6] = '\0';
	r = strtol(h.p, NULL, 16);
out:
	buf_free(&h);
	free(c);
	return r;
}

/* ---- The state of one analysis ---- */

/*
 * The last entry of a list, which text is still appended to (the text
 * of the last <a>, of the last <title>): kept in a buffer, moved to the
 * list when the next one starts or at the end.  Not kept (open false)
 * once the list is full.
 */
struct open_entry {
	struct strlist *l;
	struct buf b;
	bool    open;
};

/*
 * What HTML.pm's handlers look a tag name up in, worked out once per
 * distinct name: TC_* bits, and the text-style index + 1 (0: none) in
 * the bits above TC_TS_SHIFT.
 */
#define TC_ELEMENT	0x01	/* %elements */
#define TC_NS		0x02	/* o:... or stN:..., counted as an element */
#define TC_TRICK	0x04	/* %tricks */
#define TC_WS		0x08	/* %elements_whitespace */
#define TC_URI		0x10	/* %elements_uri */
#define TC_TS_SHIFT	8

static unsigned tag_class(const char *name);

struct tagslot {
	int     idx;		/* into h->tags, -1: empty */
	unsigned hash;
};

struct an {
	struct html *h;
	struct tagslot slots[TAG_SLOTS];
	unsigned *tagcls;	/* tag_class() of h->tags[i] */
	size_t  tagcap;		/* room in h->tags and tagcls */
	struct style *st;	/* the text-style stack */
	size_t  nst, stcap;
	size_t  stcount[TS_N];	/* entries of each tag in the stack */
	long    basefont;
	/* counters that SpamAssassin creates on first use */
	unsigned long tags, elements, tags_seen, elements_seen;
	unsigned long closed_extra, obfuscation;
	long    title_index;
	/* the last piece of rendered text */
	bool    have_piece;
	size_t  piece_off;
	bool    piece_ws, piece_inv;
	/*
	 * An unterminated <title> waits for the next tag to close it, and
	 * what follows is read as markup; from then on (reparse) an
	 * unterminated <script> or <style> is closed at once.  (At the end
	 * of its input HTML::Parser re-reads what it held as literal text;
	 * SpamAssassin closes a <script> or <style> itself before that, but
	 * only those it knew were open; after such a <script> or <style>
	 * the text stays undecoded, as theirs.)
	 */
	bool    title_open;
	bool    reparse;
	bool    cdata;		/* (then) text is no longer decoded */
	bool    decoded;	/* the part had 8-bit bytes (see perl_chars) */
	struct open_entry anchor, title;	/* of h->anchor, h->title */
	/* no end tag of literal_tags[i] after lit_none[i]; no "]]>" after
	 * ms_none */
	size_t  lit_none[8], ms_none;
	struct buf scratch;
};

static unsigned
name_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot of name: its entry, or the empty slot where it would go. */
static struct tagslot *
tag_slot(struct an *a, const char *name, unsigned hv)
{
	for (unsigned i = hv % TAG_SLOTS;; i = (i + 1) % TAG_SLOTS) {
		struct tagslot *t = &a->slots[i];

		if (t->idx < 0 || (t->hash == hv &&
		    strcmp(a->h->tags[t->idx].name, name) == 0))
			return t;
	}
}

/* The entry of name, made when room is left; NULL when not kept. */
static struct html_tag *
tag_get(struct an *a, const char *name, bool make, bool *existed)
{
	unsigned hv = name_hash(name);
	struct tagslot *t = tag_slot(a, name, hv);
	struct html *h = a->h;

	*existed = t->idx >= 0;
	if (t->idx >= 0)
		return &h->tags[t->idx];
	if (!make || h->ntags >= HTML_MAX_TAGS)
		return NULL;
	if (h->ntags == a->tagcap) {
		a->tagcap = a->tagcap ? 2 * a->tagcap : 32;
		h->tags = xrealloc(h->tags, a->tagcap * sizeof(*h->tags));
		a->tagcls = xrealloc(a->tagcls, a->tagcap * sizeof(*a->tagcls));
	}
	h->tags[h->ntags].name = xstrdup(name);
	h->tags[h->ntags].inside = 0;
	a->tagcls[h->ntags] = tag_class(name);
	t->idx = (int)h->ntags;
	t->hash = hv;
	return &h->tags[h->ntags++];
}

static long
inside_of(struct an *a, const char *name)
{
	bool e;
	struct html_tag *t = tag_get(a, name, false, &e);

	return t != NULL ? t->inside : 0;
}

static bool
name_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

static const char *const elements[] = {
	"a", "abbr", "acronym", "address", "area", "b", "base", "bdo", "big",
	"blockquote", "body", "br", "button", "caption", "cite", "code", "col",
	"colgroup", "dd", "del", "dfn", "div", "dl", "dt", "em", "fieldset",
	"form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "html", "i",
	"img", "input", "ins", "kbd", "label", "legend", "li", "link", "map",
	"meta", "noscript", "object", "ol", "optgroup", "option", "p", "param",
	"pre", "q", "samp", "script", "select", "small", "span", "strong",
	"style", "sub", "sup", "table", "tbody", "td", "textarea", "tfoot",
	"th", "thead", "title", "tr", "tt", "ul", "var",
	"applet", "basefont", "center", "dir", "font", "frame", "frameset",
	"iframe", "isindex", "menu", "noframes", "s", "strike", "u",
	"nobr", "x-sigsep", "x-tab", NULL
};
static const char *const tricks[] = {
	"bgsound", "embed", "listing", "plaintext", "xmp", NULL
};
static const char *const ws_tags[] = {
	"br", "div", "li", "th", "td", "dt", "dd", "p", "hr", "blockquote",
	"pre", "embed", "listing", "plaintext", "xmp", "title", "h1", "h2",
	"h3", "h4", "h5", "h6", NULL
};
static const char *const uri_tags[] = {
	"body", "table", "tr", "td", "a", "area", "link", "img", "frame",
	"iframe", "embed", "script", "form", "base", "bgsound", "meta", NULL
};

/* A list entry added (bounded), or NULL when the list is full. */
static void
list_add(struct strlist *l, const char *s, size_t n)
{
	struct buf b;

	if (l->n >= HTML_MAX_STRS)
		return;
	buf_init(&b, 0);
	buf_append(&b, s, n);
	buf_cut_utf8(&b, HTML_MAX_STR);
	strlist_add_owned(l, b.p != NULL ? buf_steal(&b) : xstrdup(""));
	buf_free(&b);
}

static void
entry_flush(struct open_entry *e)
{
	if (e->open)
		strlist_add(e->l, e->b.p != NULL ? e->b.p : "");
	e->open = false;
	buf_reset(&e->b);
}

static void
entry_start(struct open_entry *e)
{
	entry_flush(e);
	e->open = e->l->n < HTML_MAX_STRS;
}

static void
entry_cat(struct open_entry *e, const char *s, size_t n)
{
	size_t room;

	if (!e->open || e->b.len >= HTML_MAX_STR)
		return;
	room = HTML_MAX_STR - e->b.len;
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	buf_append(&e->b, s, n);
}

/* ---- Attributes ---- */

struct attr {
	char    name[MAX_NAME];
	char   *value;		/* decoded, owned */
	size_t  vlen;
};

struct attrs {
	struct attr a[MAX_ATTRS];
	size_t  n;
};

static const struct attr *
attr_find(const struct attrs *at, const char *name)
{
	for (size_t i = 0; i < at->n; i++)
		if (strcmp(at->a[i].name, name) == 0)
			return &at->a[i];
	return NULL;
}

static void
attrs_free(struct attrs *at)
{
	for (size_t i = 0; i < at->n; i++)
		free(at->a[i].value);
	at->n = 0;
}

/* ---- Rendered text (HTML.pm's display_text) ---- */

static void
display(struct an *a, const char *s, size_t n, bool whitespace,
    bool invisible)
{
	struct buf *t = &a->h->text;

	if (whitespace) {
		if (a->have_piece && !a->piece_ws && !a->piece_inv &&
		    t->len > a->piece_off && t->p[t->len - 1] == ' ')
			t->p[--t->len] = '\0';
		a->piece_off = t->len;
		buf_append(t, s, n);
	} else {
		size_t start = t->len;
		bool in_ws = false;

		a->piece_off = start;
		for (size_t i = 0; i < n; i++) {
			if (is_ws((unsigned char)s[i])) {
				if (!in_ws)
					buf_putc(t, ' ');
				in_ws = true;
			} else {
				buf_putc(t, (unsigned char)s[i]);
				in_ws = false;
			}
		}
		if (a->have_piece && !invisible && a->piece_ws &&
		    t->len > start && t->p[start] == ' ') {
			memmove(t->p + start, t->p + start + 1,
			    t->len - start - 1);
			t->p[--t->len] = '\0';
		}
	}
	a->have_piece = true;
	a->piece_ws = whitespace;
	a->piece_inv = invisible;
}

/* ---- HTML.pm's handlers ---- */

static void
style_push(struct an *a, const struct style *s)
{
	if (a->nst >= MAX_STYLE)
		return;
	if (a->nst == a->stcap) {
		a->stcap = a->stcap ? 2 * a->stcap : 64;
		a->st = xrealloc(a->st, a->stcap * sizeof(*a->st));
	}
	a->st[a->nst++] = *s;
	a->stcount[s->tag]++;
}

static void
style_pop(struct an *a)
{
	a->stcount[a->st[--a->nst].tag]--;
}

static int
ts_index(const char *tag)
{
	if (strcmp(tag, "th") == 0)
		tag = "td";
	for (int i = 1; i < TS_N; i++)
		if (strcmp(tag, ts_names[i]) == 0)
			return i;
	return -1;
}

/* /^\s*(\d+)/ and /^\s*([+-]\d+)/ */
static bool
lead_num(const char *s, bool sign, long *v)
{
	bool neg = false;

	while (isspace((unsigned char)*s))
		s++;
	if (sign) {
		if (*s != '+' && *s != '-')
			return false;
		neg = *s++ == '-';
	}
	if (!isdigit((unsigned char)*s))
		return false;
	*v = 0;
	for (; isdigit((unsigned char)*s); s++)
		if (*v < 100000000)
			*v = *v * 10 + (*s - '0');
	if (neg)
		*v = -*v;
	return true;
}

/*
 * One "name: value" part of a style attribute, matched as HTML.pm's
 * /^\s*NAME\s*:\s*(.+?)\s*$/ would: the value with white space trimmed,
 * on one line (Perl's "." and "$").  Returns false when it has none.
 */
static bool
css_value(const char *v, const char **vs, size_t *vn)
{
	const char *e;

	while (isspace((unsigned char)*v))
		v++;
	e = v + strlen(v);
	while (e > v && isspace((unsigned char)e[-1]))
		e--;
	if (e == v || memchr(v, '\n', (size_t)(e - v)) != NULL)
		return false;
	*vs = v;
	*vn = (size_t)(e - v);
	return true;
}

/* HTML.pm's parse_css_background(): the tokens of the last layer. */
static void
css_background(const char *s, size_t n, struct strlist *last)
{
	struct buf tok;
	int stack[64], sp = 0, state = 0;

	buf_init(&tok, 0);
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (state == 0 && (ch == ' ' || ch == ',')) {
			if (tok.len > 0)
				strlist_add(last, tok.p);
			buf_reset(&tok);
			if (ch == ',')
				strlist_free(last);
			continue;
		}
		buf_putc(&tok, ch);
		if (state == 1 && ch == ')') {
			strlist_add(last, tok.p);
			buf_reset(&tok);
			state = sp > 0 ? stack[--sp] : 0;
		} else if ((state == 0 || state == 1) &&
		    (ch == '(' || ch == '"' || ch == '\'')) {
			if (sp < (int)ARRAY_LEN(stack))
				stack[sp++] = state;
			state = ch == '(' ? 1 : ch == '"' ? 2 : 3;
		} else if ((state == 2 && ch == '"') ||
		    (state == 3 && ch == '\'')) {
			state = sp > 0 ? stack[--sp] : 0;
		}
	}
	if (tok.len > 0)
		strlist_add(last, tok.p);
	buf_free(&tok);
}

/* A colour value in a style: rgb() digits, inherit, transparent, name. */
static void
css_colour(const char *v, size_t n, long *out)
{
	char *l = xstrndup(v, n);
	size_t ln;

	for (char *p = l; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	/* s/\s*!\s*important$// */
	ln = strlen(l);
	if (ln >= 9 && strcmp(l + ln - 9, "important") == 0) {
		size_t k = ln - 9;

		while (k > 0 && isspace((unsigned char)l[k - 1]))
			k--;
		if (k > 0 && l[k - 1] == '!') {
			k--;
			while (k > 0 && isspace((unsigned char)l[k - 1]))
				k--;
			l[k] = '\0';
		}
	}
	if (strstr(l, "rgb") != NULL) {
		unsigned long rgb[3] = { 0, 0, 0 };
		int k = 0;

		/* tr/0-9,//cd, split /,/, the first three */
		for (char *p = l; *p && k < 3; p++) {
			if (isdigit((unsigned char)*p)) {
				if (rgb[k] < 1000)
					rgb[k] = rgb[k] * 10 +
					    (unsigned long)(*p - '0');
			} else if (*p == ',')
				k++;
		}
		*out = 0;
		for (k = 0; k < 3; k++)
			*out = (*out << 8) | (long)(rgb[k] > 255 ? 255 : rgb[k]);
	} else if (strcmp(l, "inherit") == 0) {
		;
	} else if (strcmp(l, "transparent") == 0) {
		*out = COL_TRANSPARENT;
	} else
		*out = name_to_rgb(l, strlen(l));
	free(l);
}

static void
style_attr(struct an *a, struct style *nw, const char *style)
{
	char *copy = xstrdup(style), *save = NULL;

	/* Perl's split(/;/) drops trailing empty fields only: same set. */
	for (char *part = strtok_r(copy, ";", &save); part != NULL;
	    part = strtok_r(NULL, ";", &save)) {
		const char *p = part, *vs;
		size_t vn;

		while (isspace((unsigned char)*p))
			p++;
		if (strncasecmp(p, "background-color:", 17) == 0 ||
		    strncasecmp(p, "color:", 6) == 0) {
			bool bg = tolower((unsigned char)*p) == 'b';

			p += bg ? 17 : 6;
			if (!css_value(p, &vs, &vn)) {
				/* "(.+?)" took a white space character */
				if (*p == '\0')
					continue;
				vs = " ";
				vn = 1;
			}
			css_colour(vs, vn, bg ? &nw->bg : &nw->fg);
		} else if (strncmp(p, "background:", 11) == 0 &&
		    css_value(p + 11, &vs, &vn)) {
			struct strlist last = { 0 };
			char *lv = xstrndup(vs, vn);

			for (char *q = lv; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			css_background(lv, vn, &last);
			for (size_t i = 0; i < last.n; i++) {
				long c = name_to_rgb(last.v[i],
				    strlen(last.v[i]));

				if (c != COL_INVALID) {
					nw->bg = c;
					break;
				}
			}
			strlist_free(&last);
			free(lv);
		} else {
			const char *k = p, *ke;

			while (isalpha((unsigned char)*p) || *p == '_' ||
			    *p == '-')
				p++;
			ke = p;
			while (isspace((unsigned char)*p))
				p++;
			if (ke == k || *p != ':' || !css_value(p + 1, &vs, &vn))
				continue;
			if (ke - k == 7 && strncmp(k, "display", 7) == 0)
				nw->display_none = vn == 4 &&
				    strncasecmp(vs, "none", 4) == 0;
			else if (ke - k == 10 &&
			    strncmp(k, "visibility", 10) == 0)
				nw->hidden = vn == 6 &&
				    strncasecmp(vs, "hidden", 6) == 0;
		}
	}
	free(copy);
	if (nw->bg == COL_TRANSPARENT)
		nw->bg = a->st[a->nst - 1].bg;
	if (nw->fg == COL_TRANSPARENT)
		nw->fg = nw->bg;
}

/* The attributes text_style() reads, per tag (th as td). */
static bool
ok_attribute(int ts, const char *name)
{
	switch (ts) {
	case TS_BASEFONT:
	case TS_FONT:
		return strcmp(name, "color") == 0 || strcmp(name, "face") == 0 ||
		    strcmp(name, "size") == 0;
	case TS_BODY:
		return strcmp(name, "text") == 0 ||
		    strcmp(name, "bgcolor") == 0 || strcmp(name, "link") == 0 ||
		    strcmp(name, "alink") == 0 || strcmp(name, "vlink") == 0 ||
		    strcmp(name, "background") == 0;
	case TS_TABLE:
	case TS_TD:
	case TS_TR:
		return strcmp(name, "bgcolor") == 0 ||
		    strcmp(name, "style") == 0;
	case TS_SPAN:
	case TS_P:
	case TS_DIV:
	case TS_A:
		return strcmp(name, "style") == 0;
	default:
		return false;
	}
}

static void
text_style(struct an *a, int ts, const struct attrs *at, int num)
{
	struct html *h = a->h;
	struct style nw;
	const struct attr *sz;
	long v;

	if (num < 0) {
		if (ts == TS_BODY || a->stcount[ts] == 0)
			return;
		while (a->nst > 1) {
			int t = a->st[a->nst - 1].tag;

			style_pop(a);
			if (t == ts)
				break;
		}
		return;
	}
	if (ts == TS_BASEFONT && (sz = attr_find(at, "size")) != NULL &&
	    lead_num(sz->value, false, &v)) {
		a->basefont = v;
		return;
	}
	if ((ts == TS_TD || ts == TS_TR) && a->stcount[ts] > 0) {
		while (a->nst > 1) {
			int top = a->st[a->nst - 1].tag;

			if ((ts == TS_TD && (top == TS_FONT || top == TS_TD)) ||
			    (ts == TS_TR && (top == TS_FONT || top == TS_TD ||
			    top == TS_TR)))
				style_pop(a);
			else
				break;
		}
	}
	nw = a->st[a->nst - 1];
	nw.tag = ts;
	if (ts == TS_BIG || ts == TS_SMALL) {
		nw.size += ts == TS_BIG ? 1 : -1;
		style_push(a, &nw);
		return;
	}
	for (size_t i = 0; i < at->n; i++) {
		const struct attr *x = &at->a[i];

		if (!ok_attribute(ts, x->name))
			continue;
		if (strcmp(x->name, "text") == 0 ||
		    strcmp(x->name, "color") == 0)
			nw.fg = name_to_rgb(x->value, x->vlen);
		else if (strcmp(x->name, "size") == 0) {
			if (lead_num(x->value, true, &v))
				nw.size = a->basefont + v;
			else if (lead_num(x->value, false, &v))
				nw.size = v;
		} else if (strcmp(x->name, "style") == 0)
			style_attr(a, &nw, x->value);
		if (nw.size > h->max_size)
			h->max_size = nw.size;
		else if (nw.size < h->min_size)
			h->min_size = nw.size;
	}
	style_push(a, &nw);
}

static void
html_whitespace(struct an *a, const char *tag)
{
	if (strcmp(tag, "br") == 0 || strcmp(tag, "div") == 0)
		display(a, "\n", 1, true, false);
	else if (strcmp(tag, "li") == 0 || strcmp(tag, "th") == 0 ||
	    strcmp(tag, "td") == 0 || strcmp(tag, "dt") == 0 ||
	    strcmp(tag, "dd") == 0 || strcmp(tag, "embed") == 0 ||
	    (tag[0] == 'h' && isdigit((unsigned char)tag[1]) && !tag[2]))
		display(a, " ", 1, true, false);
	else
		display(a, "\n\n", 2, true, false);
}

/* canon_uri(): trimmed of white space and NBSP; notes truncation. */
static bool
push_uri(struct an *a, const char *v)
{
	const char *s = v, *e = v + strlen(v);

	for (;;) {
		if (isspace((unsigned char)*s))
			s++;
		else if ((unsigned char)s[0] == 0xc2 &&
		    (unsigned char)s[1] == 0xa0)
			s += 2;
		else
			break;
	}
	for (;;) {
		if (e > s && isspace((unsigned char)e[-1]))
			e--;
		else if (e - s >= 2 && (unsigned char)e[-2] == 0xc2 &&
		    (unsigned char)e[-1] == 0xa0)
			e -= 2;
		else
			break;
	}
	if (u8_count(s, (size_t)(e - s)) > MAX_URI_LENGTH)
		a->h->uri_truncated = true;
	if (e > s && a->h->uris.n < HTML_MAX_URIS) {
		struct buf b;
		size_t n = (size_t)(e - s);

		buf_init(&b, 0);
		buf_append(&b, s, n > HTML_MAX_STR + 4 ? HTML_MAX_STR + 4 : n);
		buf_cut_utf8(&b, HTML_MAX_STR);
		strlist_add_owned(&a->h->uris, buf_steal(&b));
	}
	return e > s;
}

/* An attribute named NAME or "\w{1,8}/NAME" (the last one wins). */
static const struct attr *
uri_attr(const struct attrs *at, const char *name)
{
	const struct attr *r = NULL;
	size_t nl = strlen(name);

	for (size_t i = 0; i < at->n; i++) {
		const char *n = at->a[i].name, *sl;

		if (strcmp(n, name) == 0 && r == NULL)
			r = &at->a[i];
		for (sl = strchr(n, '/'); sl != NULL; sl = strchr(sl + 1, '/'))
			if (sl > n && (isalnum((unsigned char)sl[-1]) ||
			    sl[-1] == '_') && strncmp(sl + 1, name, nl) == 0)
				return &at->a[i];
	}
	return r;
}

static void
html_uri(struct an *a, const char *tag, const struct attrs *at)
{
	const struct attr *x;

	if (name_in(tag, (const char *const[]){ "body", "table", "tr", "td",
	    NULL })) {
		if ((x = attr_find(at, "background")) != NULL)
			push_uri(a, x->value);
	} else if (name_in(tag, (const char *const[]){ "a", "area", "link",
	    NULL })) {
		if ((x = uri_attr(at, "href")) != NULL)
			push_uri(a, x->value);
		if ((x = attr_find(at, "data-saferedirecturl")) != NULL)
			push_uri(a, x->value);
	} else if (name_in(tag, (const char *const[]){ "img", "frame",
	    "iframe", "embed", "script", "bgsound", NULL })) {
		if ((x = uri_attr(at, "src")) != NULL &&
		    push_uri(a, x->value) && strcmp(tag, "iframe") == 0)
			a->h->iframe_src = true;
	} else if (strcmp(tag, "form") == 0) {
		if ((x = attr_find(at, "action")) != NULL)
			push_uri(a, x->value);
	} else if (strcmp(tag, "base") == 0) {
		if ((x = attr_find(at, "href")) != NULL && x->vlen > 0 &&
		    strcmp(x->value, "0") != 0)
			push_uri(a, x->value);
	}
	/* meta refresh URIs carry no result HTMLEval reads. */
}

/*
 * HTML.pm's font face check, the one built-in regex here (rx.h): it
 * runs under the limits of the message being judged, and a face that
 * reaches them is as bad as one that does not match.
 */
static const struct rx_builtin face_src[] = {
	{ "font face", "^\\s*[\"'.]?[a-z ][a-z -]*[a-z]\\d?[\"']?"
	    "(?:,\\s*[\"']?[a-z][a-z -]*[a-z]\\d?[\"']?)*;?$",
	    PCRE2_CASELESS },
};
static pcre2_code *face_code[ARRAY_LEN(face_src)];
const struct rx_set html_rx = { "html", face_src, ARRAY_LEN(face_src),
	face_code };

static bool
face_bad(const char *face)
{
	const pcre2_code *re = rx_builtin(&html_rx, 0);

	return re != NULL && rx_search(re, face_src[0].name, face,
	    strlen(face), 0, 0, NULL, 0) <= 0;
}

/* /^(\d+)(\%)?$/ ("$" also before a final newline) */
static long
img_dim(const char *v, long pct)
{
	long n = 0;
	const char *p = v;

	if (!isdigit((unsigned char)*p))
		return 0;
	for (; isdigit((unsigned char)*p); p++)
		if (n < 100000000)
			n = n * 10 + (*p - '0');
	if (*p == '%') {
		p++;
		n *= pct;
	}
	if (*p == '\n')
		p++;
	return *p == '\0' ? n : 0;
}

static void
html_tests(struct an *a, const char *tag, const struct attrs *at)
{
	struct html *h = a->h;
	const struct attr *x, *y;

	if (strcmp(tag, "font") == 0 && (x = attr_find(at, "face")) != NULL &&
	    face_bad(x->value))
		h->font_face_bad = true;
	if (strcmp(tag, "img") == 0 && inside_of(a, "a") > 0)
		entry_cat(&a->anchor, "<img>\n", 6);
	if (strcmp(tag, "img") == 0 && (x = attr_find(at, "width")) != NULL &&
	    (y = attr_find(at, "height")) != NULL) {
		long w = img_dim(x->value, 8), ht = img_dim(y->value, 6);

		h->image_area += (double)(w <= 0 ? 200 : w) *
		    (double)(ht <= 0 ? 200 : ht);
	}
	if (strcmp(tag, "form") == 0 && (x = attr_find(at, "action")) != NULL &&
	    strcasestr(x->value, "mailto:") != NULL)
		h->form_action_mailto = true;
	if (strcmp(tag, "object") == 0 || strcmp(tag, "embed") == 0)
		h->embeds = true;
	if (strcmp(tag, "a") == 0) {
		if ((x = attr_find(at, "href")) != NULL)
			push_uri(a, x->value);
		entry_start(&a->anchor);
	}
	if (strcmp(tag, "title") == 0) {
		a->title_index++;
		entry_start(&a->title);
	}
}

/* m@^(?:o|st\d):[\w-]+/?$@ */
static bool
maybe_namespace(const char *t)
{
	const char *p;

	if (t[0] == 'o' && t[1] == ':')
		p = t + 2;
	else if (t[0] == 's' && t[1] == 't' && isdigit((unsigned char)t[2]) &&
	    t[3] == ':')
		p = t + 4;
	else
		return false;
	if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-'))
		return false;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
		p++;
	if (*p == '/')
		p++;
	return *p == '\0';
}

static void html_tag(struct an *, const char *, const struct attrs *, int);

/* Close an unterminated <title>: any markup but a comment does. */
static void
title_close(struct an *a)
{
	if (a->title_open) {
		a->title_open = false;
		html_tag(a, "title", &(struct attrs){ .n = 0 }, -1);
	}
}

static unsigned
tag_class(const char *name)
{
	unsigned c = 0;
	int ts;

	if (maybe_namespace(name))
		return TC_NS;
	if (name_in(name, elements))
		c |= TC_ELEMENT;
	if (name_in(name, tricks))
		c |= TC_TRICK;
	if (name_in(name, ws_tags))
		c |= TC_WS;
	if (name_in(name, uri_tags))
		c |= TC_URI;
	if ((ts = ts_index(name)) >= 0)
		c |= (unsigned)(ts + 1) << TC_TS_SHIFT;
	return c;
}

static void
html_tag(struct an *a, const char *tag, const struct attrs *at, int num)
{
	bool existed;
	struct html_tag *t;
	unsigned cls;

	title_close(a);
	t = tag_get(a, tag, true, &existed);
	cls = t != NULL ? a->tagcls[t - a->h->tags] : tag_class(tag);
	if (cls & (TC_ELEMENT | TC_NS)) {
		a->elements++;
		if (!existed)
			a->elements_seen++;
	}
	a->tags++;
	if (!existed)
		a->tags_seen++;
	if (t != NULL) {
		t->inside += num;
		if (t->inside < 0) {
			t->inside = 0;
			a->closed_extra++;
		}
	} else if (num < 0)
		a->closed_extra++;	/* untracked: never opened here */
	if (!(cls & (TC_ELEMENT | TC_TRICK)))
		return;
	if (cls >> TC_TS_SHIFT)
		text_style(a, (int)(cls >> TC_TS_SHIFT) - 1, at, num);
	if (cls & TC_WS)
		html_whitespace(a, tag);
	if (num > 0) {
		if (cls & TC_URI)
			html_uri(a, tag, at);
		html_tests(a, tag, at);
	}
}

static bool
font_invisible(struct an *a)
{
	struct html *h = a->h;
	const struct style *s = &a->st[a->nst - 1];

	if (s->fg == s->bg) {
		h->font_low_contrast = true;
		return true;
	}
	if (s->fg >= 0 && s->bg >= 0) {
		double r = (double)((s->fg >> 16) & 0xff) - ((s->bg >> 16) & 0xff);
		double g = (double)((s->fg >> 8) & 0xff) - ((s->bg >> 8) & 0xff);
		double b = (double)(s->fg & 0xff) - (s->bg & 0xff);

		/* luminance distance below 12 */
		r *= 0.2126;
		g *= 0.7152;
		b *= 0.0722;
		if (r * r + g * g + b * b < 144) {
			h->font_low_contrast = true;
			return true;
		}
	}
	if (s->fg == COL_INVALID || s->bg == COL_INVALID) {
		h->font_invalid_color = true;
		return true;
	}
	return s->size <= 1 || s->display_none || s->hidden;
}

static void
html_text(struct an *a, const char *s, size_t n)
{
	struct html *h = a->h;
	struct buf *t = &h->text;
	bool content = false, inv = false;

	if (n == 0)
		return;
	if (inside_of(a, "script") > 0) {
		list_add(&h->script, s, n);
		return;
	}
	if (inside_of(a, "style") > 0)
		return;
	if (inside_of(a, "a") > 0)
		entry_cat(&a->anchor, s, n);
	if (inside_of(a, "title") > 0 && a->title_index >= 0)
		entry_cat(&a->title, s, n);
	for (size_t i = 0; i < n && !content; i++)
		content = !is_ws((unsigned char)s[i]);
	if (content)
		inv = font_invisible(a);
	if (a->have_piece && t->len > a->piece_off) {
		size_t len;

		const char *lp = t->p + a->piece_off;
		size_t ln = t->len - a->piece_off;

		if (is_wordish(u8_get((const unsigned char *)s, n, &len),
		    perl_chars(a->decoded, s, n)) &&
		    is_wordish(u8_last((const unsigned char *)lp, ln),
		    perl_chars(a->decoded, lp, ln)))
			a->obfuscation++;
	}
	display(a, s, n, false, inv);
}

static void
html_comment(struct an *a, const char *s, size_t n)
{
	list_add(&a->h->comment, s, n);
}

static void
html_declaration(struct an *a, const char *s, size_t n)
{
	bool existed;
	struct html_tag *t;

	if (n < 9 || strncasecmp(s, "<!doctype", 9) != 0)
		return;
	a->elements++;
	a->tags++;
	if ((t = tag_get(a, "!doctype", true, &existed)) != NULL)
		t->inside = 0;
}

/* ---- The tokenizer (HTML::Parser's rules, see the top) ---- */

/* How a piece of text is given: as markup text (entities decoded but in
 * cdata), raw (literal elements, marked sections) or always decoded (the
 * literal text of <title> and <textarea>). */
enum { T_TEXT, T_RAW, T_DECODED };

static void
emit_text(struct an *a, const char *s, size_t n, int how)
{
	if (n == 0)
		return;
	if (how == T_RAW || (how == T_TEXT && a->cdata)) {
		html_text(a, s, n);
		return;
	}
	buf_reset(&a->scratch);
	put_decoded(&a->scratch, s, n, true);
	html_text(a, a->scratch.p != NULL ? a->scratch.p : "",
	    a->scratch.len);
}

/* Find the first byte of needle (ASCII, lower case) in s[i..n),
 * case-insensitively; n when none. */
static size_t
find_ci(const char *s, size_t i, size_t n, const char *needle)
{
	size_t nl = strlen(needle);

	for (; i + nl <= n; i++)
		if (strncasecmp(s + i, needle, nl) == 0)
			return i;
	return n;
}

/* The end of the markup starting at i: the byte after the first '>'
 * outside quotes from j, or 0 when it runs to the end. */
static size_t
tag_end(const char *s, size_t j, size_t n)
{
	char q = 0;

	for (; j < n; j++) {
		if (q != 0) {
			if (s[j] == q)
				q = 0;
		} else if (s[j] == '"' || s[j] == '\'')
			q = s[j];
		else if (s[j] == '>')
			return j + 1;
	}
	return 0;
}

/*
 * The start tag at s[i] ('<' and a letter).  Returns the byte after it,
 * or 0 when it never ends (then it is a comment to the end).
 */
static size_t
start_tag(const char *s, size_t i, size_t n, char *name, struct attrs *at)
{
	size_t j = i + 1, k = 0;

	while (j < n && !is_ws((unsigned char)s[j]) && s[j] != '>') {
		if (k < MAX_NAME - 1)
			name[k++] = (char)tolower((unsigned char)s[j]);
		j++;
	}
	name[k] = '\0';
	for (;;) {
		size_t an, anl, vs = 0, vl = 0;
		bool has_value = false;

		while (j < n && is_ws((unsigned char)s[j]))
			j++;
		if (j >= n)
			return 0;
		if (s[j] == '>')
			return j + 1;
		an = j++;
		while (j < n && !is_ws((unsigned char)s[j]) && s[j] != '=' &&
		    s[j] != '>')
			j++;
		anl = j - an;
		while (j < n && is_ws((unsigned char)s[j]))
			j++;
		if (j < n && s[j] == '=') {
			j++;
			while (j < n && is_ws((unsigned char)s[j]))
				j++;
			has_value = true;
			if (j < n && (s[j] == '"' || s[j] == '\'')) {
				const char *q = memchr(s + j + 1, s[j],
				    n - j - 1);

				if (q == NULL)
					return 0;
				vs = j + 1;
				vl = (size_t)(q - (s + vs));
				j = (size_t)(q - s) + 1;
			} else {
				vs = j;
				while (j < n && !is_ws((unsigned char)s[j]) &&
				    s[j] != '>')
					j++;
				vl = j - vs;
			}
		}
		if (at->n < MAX_ATTRS) {
			struct attr *x = &at->a[at->n];
			size_t m = anl < MAX_NAME - 1 ? anl : MAX_NAME - 1;
			struct buf v;

			for (size_t c = 0; c < m; c++)
				x->name[c] = (char)tolower(
				    (unsigned char)s[an + c]);
			x->name[m] = '\0';
			if (attr_find(at, x->name) != NULL)
				continue;	/* the first one stays */
			buf_init(&v, 0);
			if (has_value)
				put_decoded(&v, s + vs, vl, false);
			else
				buf_append(&v, x->name, m);
			x->vlen = v.len;
			x->value = v.p != NULL ? buf_steal(&v) : xstrdup("");
			buf_free(&v);
			at->n++;
		}
	}
}

static const char *const literal_tags[] = {
	"script", "style", "xmp", "plaintext", "title", "textarea", "iframe",
	NULL
};

/*
 * Where the literal text of element name, starting at i, ends: at its
 * end tag ("</name" and white space or '>'), or n.  A search that found
 * none is remembered, so that a thousand unterminated <title>s cost one
 * scan, not a thousand.
 */
static size_t
literal_end(struct an *a, const char *s, size_t i, size_t n,
    const char *name)
{
	char close[MAX_NAME + 2];
	size_t k = i, cl, li = 0;

	while (strcmp(literal_tags[li], name) != 0)
		li++;
	if (strcmp(name, "plaintext") == 0 || i >= a->lit_none[li])
		return n;
	cl = (size_t)snprintf(close, sizeof(close), "</%s", name);
	while ((k = find_ci(s, k, n, close)) < n) {
		size_t after = k + cl;

		if (after >= n || s[after] == '>' ||
		    is_ws((unsigned char)s[after]))
			return k;
		k++;
	}
	a->lit_none[li] = i;
	return n;
}

/*
 * "<![" ws* KEYWORD ws* "[" ... "]]>": the byte after it, 0 if not; the
 * content is s[*cs..*ce), dropped (*ignore) for IGNORE sections.
 */
static size_t
marked_section(struct an *a, const char *s, size_t i, size_t n, size_t *cs,
    size_t *ce, bool *ignore)
{
	size_t j = i + 3, ks, kl, e;

	while (j < n && is_ws((unsigned char)s[j]))
		j++;
	ks = j;
	while (j < n && isalpha((unsigned char)s[j]))
		j++;
	kl = j - ks;
	while (j < n && is_ws((unsigned char)s[j]))
		j++;
	if (kl == 0 || j >= n || s[j] != '[' || j >= a->ms_none)
		return 0;
	j++;
	for (e = j; e + 3 <= n && memcmp(s + e, "]]>", 3) != 0; e++)
		;
	if (e + 3 > n) {
		a->ms_none = j - 1;
		return 0;
	}
	*cs = j;
	*ce = e;
	*ignore = kl == 6 && strncasecmp(s + ks, "IGNORE", 6) == 0;
	return e + 3;
}

static void
tokenize(struct an *a, const char *s, size_t n)
{
	size_t i = 0, text = 0;
	char name[MAX_NAME];
	struct attrs at = { .n = 0 };

	while (i < n) {
		const char *lt = memchr(s + i, '<', n - i);
		size_t j, e, cs, ce;
		bool ignore;
		int c;

		if (lt == NULL)
			break;
		j = (size_t)(lt - s);
		c = j + 1 < n ? (unsigned char)s[j + 1] : -1;
		if (c == '!' && j + 3 < n && s[j + 2] == '-' && s[j + 3] == '-') {
			e = find_ci(s, j + 4, n, "-->");
			emit_text(a, s + text, j - text, T_TEXT);
			e = e < n ? e + 3 : n;
			html_comment(a, s + j, e - j);
		} else if (c == '!' && j + 2 < n && s[j + 2] == '[' &&
		    (e = marked_section(a, s, j, n, &cs, &ce, &ignore)) != 0) {
			emit_text(a, s + text, j - text, T_TEXT);
			title_close(a);
			if (!ignore)
				emit_text(a, s + cs, ce - cs, T_RAW);
			a->cdata = false;
		} else if (c == '!') {
			size_t k = j + 2;

			while (k < n && (isalnum((unsigned char)s[k]) ||
			    s[k] == '.' || s[k] == '-' || s[k] == '_'))
				k++;
			emit_text(a, s + text, j - text, T_TEXT);
			if ((k - j - 2 == 7 &&
			    strncasecmp(s + j + 2, "DOCTYPE", 7) == 0) ||
			    (k - j - 2 == 6 &&
			    strncasecmp(s + j + 2, "ENTITY", 6) == 0)) {
				e = tag_end(s, k, n);
				if (e == 0) {
					html_comment(a, s + j, n - j);
					e = n;
				} else {
					title_close(a);
					html_declaration(a, s + j, e - j);
				}
			} else {
				const char *gt = memchr(s + j, '>', n - j);

				e = gt != NULL ? (size_t)(gt - s) + 1 : n;
				html_comment(a, s + j, e - j);
			}
		} else if (c == '?') {
			const char *gt = memchr(s + j, '>', n - j);

			emit_text(a, s + text, j - text, T_TEXT);
			if (gt != NULL) {
				e = (size_t)(gt - s) + 1;
				title_close(a);
			} else {
				e = n;
				html_comment(a, s + j, n - j);
			}
		} else if (c < 0 || (c == '/' && j + 2 == n)) {
			/* "<" or "</" at the very end */
			emit_text(a, s + text, j - text, T_TEXT);
			e = n;
			html_comment(a, s + j, n - j);
		} else if (c == '/') {
			size_t k = j + 2, m = 0;

			emit_text(a, s + text, j - text, T_TEXT);
			if (s[k] == '>' || is_ws((unsigned char)s[k])) {
				const char *gt = memchr(s + j, '>', n - j);

				e = gt != NULL ? (size_t)(gt - s) + 1 : n;
				html_comment(a, s + j, e - j);
			} else {
				while (k < n && !is_ws((unsigned char)s[k]) &&
				    s[k] != '>') {
					if (m < MAX_NAME - 1)
						name[m++] = (char)tolower(
						    (unsigned char)s[k]);
					k++;
				}
				name[m] = '\0';
				e = tag_end(s, k, n);
				if (e == 0) {
					html_comment(a, s + j, n - j);
					e = n;
				} else
					html_tag(a, name, &at, -1);
			}
		} else if (c >= 0 && isalpha(c)) {
			emit_text(a, s + text, j - text, T_TEXT);
			e = start_tag(s, j, n, name, &at);
			if (e == 0) {
				attrs_free(&at);
				html_comment(a, s + j, n - j);
				e = n;
			} else {
				html_tag(a, name, &at, 1);
				attrs_free(&at);
				if (name_in(name, literal_tags)) {
					bool dec = strcmp(name, "title") == 0 ||
					    strcmp(name, "textarea") == 0;
					size_t end = literal_end(a, s, e, n,
					    name);

					/* a literal element sets its own
					 * decoding (HTML::Parser's cdata) */
					a->cdata = false;

					/*
					 * An unterminated <title> is not
					 * literal: its text up to the next
					 * markup is the title, the next tag
					 * closes it.
					 */
					if (end == n &&
					    strcmp(name, "title") == 0) {
						a->title_open = e < n;
						a->reparse = e < n;
					} else if (end == n && a->reparse &&
					    (strcmp(name, "script") == 0 ||
					    strcmp(name, "style") == 0)) {
						if (e < n) {
							html_tag(a, name, &at,
							    -1);
							a->cdata = true;
						}
					} else {
						emit_text(a, s + e, end - e,
						    dec ? T_DECODED : T_RAW);
						e = end;
					}
				}
			}
		} else {
			/* A '<' that is text starts a new piece of it. */
			emit_text(a, s + text, j - text, T_TEXT);
			text = j;
			i = j + 1;
			continue;
		}
		i = text = e;
	}
	/*
	 * The text at the end comes in two pieces, as HTML::Parser holds
	 * back the last white space run and what follows it until the end
	 * of the input: "a b c" is "a b" and " c".
	 */
	i = n;
	while (i > text && !is_ws((unsigned char)s[i - 1]))
		i--;
	while (i > text && is_ws((unsigned char)s[i - 1]))
		i--;
	emit_text(a, s + text, i - text, T_TEXT);
	emit_text(a, s + i, n - i, T_TEXT);
	title_close(a);
}

/*
 * HTML.pm's parse(): its substitutions first ("&nbsp;" to a space,
 * "<tag />" to "<tag>", curly double quotes to '"'; and NUL to U+FFFD
 * here), the tokens, then
 * </style> and </script> for those left open.
 */
static void
parse(struct an *a, const char *in, size_t n)
{
	struct buf p;
	size_t i = 0;

	buf_init(&p, 0);
	while (i < n) {
		if (in[i] == '&' && n - i >= 6 && memcmp(in + i, "&nbsp;", 6) == 0) {
			buf_putc(&p, ' ');
			i += 6;
		} else if (in[i] == '<') {
			size_t k = i + 1, w, e;

			while (k < n && (isalnum((unsigned char)in[k]) ||
			    in[k] == '_' || (unsigned char)in[k] >= 0x80))
				k++;
			w = k;
			while (k < n && is_ws((unsigned char)in[k]))
				k++;
			e = k;
			if (w > i + 1 && e + 1 < n && in[e] == '/' &&
			    in[e + 1] == '>') {
				buf_append(&p, in + i, w - i);
				buf_putc(&p, '>');
				i = e + 2;
			} else {
				buf_putc(&p, '<');
				i++;
			}
		} else if (in[i] == '\0') {
			/* A NUL would end the names and strings kept; it
			 * is one character, as U+FFFD is. */
			buf_puts(&p, "\xef\xbf\xbd");
			i++;
		} else if ((unsigned char)in[i] == 0xe2 && n - i >= 3 &&
		    (unsigned char)in[i + 1] == 0x80 &&
		    ((unsigned char)in[i + 2] == 0x9c ||
		    (unsigned char)in[i + 2] == 0x9d)) {
			buf_putc(&p, '"');
			i += 3;
		} else {
			size_t k = i + 1;

			/* copy the run up to the next byte of interest */
			while (k < n && in[k] != '&' && in[k] != '<' &&
			    in[k] != '\0' && (unsigned char)in[k] != 0xe2)
				k++;
			buf_append(&p, in + i, k - i);
			i = k;
		}
	}
	tokenize(a, p.p != NULL ? p.p : "", p.len);
	buf_free(&p);
	/* SpamAssassin closes what it knew was open before the end: not
	 * what the re-reading after an unterminated <title> opened. */
	while (!a->reparse && inside_of(a, "style") > 0)
		html_tag(a, "style", &(struct attrs){ .n = 0 }, -1);
	while (!a->reparse && inside_of(a, "script") > 0)
		html_tag(a, "script", &(struct attrs){ .n = 0 }, -1);
}

static unsigned long analyses;

unsigned long
html_analyses(void)
{
	return __atomic_load_n(&analyses, __ATOMIC_RELAXED);
}

struct html *
html_analyze(const char *in, size_t n)
{
	struct html *h = xcalloc(1, sizeof(*h));
	struct an *a = xcalloc(1, sizeof(*a));
	struct style def = { TS_DEFAULT, 0x000000, 0xffffff, 3, false, false };
	size_t space = 0;
	bool uni;

	__atomic_add_fetch(&analyses, 1, __ATOMIC_RELAXED);
	a->h = h;
	for (size_t i = 0; i < TAG_SLOTS; i++)
		a->slots[i].idx = -1;
	a->basefont = 3;
	a->title_index = -1;
	buf_init(&a->scratch, 0);
	for (size_t i = 0; i < ARRAY_LEN(a->lit_none); i++)
		a->lit_none[i] = SIZE_MAX;
	a->ms_none = SIZE_MAX;
	a->anchor.l = &h->anchor;
	a->title.l = &h->title;
	buf_init(&a->anchor.b, 0);
	buf_init(&a->title.b, 0);
	buf_init(&h->text, 2 * n + 1024);
	h->length = u8_count(in, n);
	for (size_t i = 0; i < n && !a->decoded; i++)
		a->decoded = (unsigned char)in[i] >= 0x80;
	h->min_size = h->max_size = 3;
	style_push(a, &def);
	parse(a, in, n);
	entry_flush(&a->anchor);
	entry_flush(&a->title);
	buf_free(&a->anchor.b);
	buf_free(&a->title.b);

	if (a->tags > 0)
		h->has_closed_extra_ratio = true,
		h->closed_extra_ratio = (double)a->closed_extra / a->tags;
	if (a->elements > 0 && a->tags > 0)
		h->has_bad_tag_ratio = true,
		h->bad_tag_ratio = ((double)a->tags - a->elements) / a->tags;
	if (a->elements_seen > 0 && a->tags_seen > 0)
		h->has_non_element_ratio = true,
		h->non_element_ratio = ((double)a->tags_seen -
		    a->elements_seen) / a->tags_seen;
	if (a->tags > 0 && a->obfuscation > 0)
		h->has_obfuscation_ratio = true,
		h->obfuscation_ratio = (double)a->obfuscation / a->tags;
	/* Node.pm counts spaces with \s on characters, else tr/ \t\n\r\x0b// */
	uni = perl_chars(a->decoded, h->text.p != NULL ? h->text.p : "",
	    h->text.len);
	for (size_t i = 0; i < h->text.len; ) {
		size_t len;
		unsigned long c = u8_get((const unsigned char *)h->text.p + i,
		    h->text.len - i, &len);

		h->html_length++;
		if (uni ? is_uspace(c) : (c == ' ' || c == '\t' || c == '\n' ||
		    c == '\r' || c == '\v'))
			space++;
		i += len;
	}
	h->non_space_len = h->html_length - space;
	buf_free(&a->scratch);
	free(a->st);
	free(a->tagcls);
	free(a);
	return h;
}

void
html_free(struct html *h)
{
	if (h == NULL)
		return;
	strlist_free(&h->comment);
	strlist_free(&h->title);
	strlist_free(&h->anchor);
	strlist_free(&h->script);
	strlist_free(&h->uris);
	for (size_t i = 0; i < h->ntags; i++)
		free(h->tags[i].name);
	free(h->tags);
	buf_free(&h->text);
	free(h);
}

long
html_inside(const struct html *h, const char *name)
{
	for (size_t i = 0; i < h->ntags; i++)
		if (strcmp(h->tags[i].name, name) == 0)
			return h->tags[i].inside;
	return -1;
}

bool
html_value(const struct html *h, const char *key, double *v)
{
	static const struct {
		const char *key;
		size_t off, has;
	} num[] = {
#define N(k, has) { #k, offsetof(struct html, k), has }
		N(closed_extra_ratio, offsetof(struct html, has_closed_extra_ratio)),
		N(bad_tag_ratio, offsetof(struct html, has_bad_tag_ratio)),
		N(non_element_ratio, offsetof(struct html, has_non_element_ratio)),
		N(obfuscation_ratio, offsetof(struct html, has_obfuscation_ratio)),
#undef N
	};

	if (strcmp(key, "length") == 0)
		*v = (double)h->length;
	else if (strcmp(key, "html_length") == 0)
		*v = (double)h->html_length;
	else if (strcmp(key, "non_space_len") == 0)
		*v = (double)h->non_space_len;
	else if (strcmp(key, "image_area") == 0)
		*v = h->image_area;
	else if (strcmp(key, "min_size") == 0)
		*v = (double)h->min_size;
	else if (strcmp(key, "max_size") == 0)
		*v = (double)h->max_size;
	else {
		for (size_t i = 0; i < ARRAY_LEN(num); i++)
			if (strcmp(key, num[i].key) == 0) {
				if (!*(const bool *)((const char *)h +
				    num[i].has))
					return false;
				*v = *(const double *)((const char *)h +
				    num[i].off);
				return true;
			}
		return false;
	}
	return true;
}

const struct strlist *
html_list(const struct html *h, const char *key)
{
	if (strcmp(key, "comment") == 0)
		return &h->comment;
	if (strcmp(key, "title") == 0)
		return &h->title;
	if (strcmp(key, "anchor") == 0)
		return &h->anchor;
	if (strcmp(key, "script") == 0)
		return &h->script;
	return NULL;
}

bool
html_flag(const struct html *h, const char *key)
{
	if (strcmp(key, "html") == 0)
		return true;
	if (strcmp(key, "font_low_contrast") == 0)
		return h->font_low_contrast;
	if (strcmp(key, "font_invalid_color") == 0)
		return h->font_invalid_color;
	if (strcmp(key, "font_face_bad") == 0)
		return h->font_face_bad;
	if (strcmp(key, "form_action_mailto") == 0)
		return h->form_action_mailto;
	if (strcmp(key, "embeds") == 0)
		return h->embeds;
	if (strcmp(key, "uri_truncated") == 0)
		return h->uri_truncated;
	return false;
}

static void
json_list(struct buf *out, const char *key, const struct strlist *l)
{
	if (l->n == 0)
		return;
	buf_printf(out, ", \"%s\": [", key);
	for (size_t i = 0; i < l->n; i++) {
		if (i > 0)
			buf_puts(out, ", ");
		json_string(out, l->v[i]);
	}
	buf_putc(out, ']');
}

void
html_json(const struct html *h, struct buf *out)
{
	static const char *const nums[] = { "length", "html_length",
	    "non_space_len", "image_area", "min_size", "max_size",
	    "closed_extra_ratio", "bad_tag_ratio", "non_element_ratio",
	    "obfuscation_ratio", NULL };
	static const char *const flags[] = { "font_low_contrast",
	    "font_invalid_color", "font_face_bad", "form_action_mailto",
	    "embeds", "uri_truncated", NULL };
	double v;

	buf_puts(out, "{\"html\": 1");
	for (const char *const *k = nums; *k; k++)
		if (html_value(h, *k, &v))
			buf_printf(out, ", \"%s\": %.17g", *k, v);
	for (const char *const *k = flags; *k; k++)
		if (html_flag(h, *k))
			buf_printf(out, ", \"%s\": 1", *k);
	if (h->iframe_src)
		buf_puts(out, ", \"iframe_src\": 1");
	json_list(out, "comment", &h->comment);
	json_list(out, "title", &h->title);
	json_list(out, "anchor", &h->anchor);
	json_list(out, "script", &h->script);
	buf_puts(out, ", \"inside\": {");
	for (size_t i = 0; i < h->ntags; i++) {
		if (i > 0)
			buf_puts(out, ", ");
		json_string(out, h->tags[i].name);
		buf_printf(out, ": %ld", h->tags[i].inside);
	}
	buf_puts(out, "}, \"text\": ");
	json_string(out, h->text.p != NULL ? h->text.p : "");
	buf_putc(out, '}');
}
