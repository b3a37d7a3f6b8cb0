/*
 * util.c -- memory, growable buffers and small string helpers.
 * See util.h for the ownership rules.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "log.h"

static void
oom(size_t n)
{
	log_msg(LOG_CRIT, "out of memory allocating %zu bytes", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b, 0);
	va_start(ap, fmt);
	if (buf_vprintf(&b, fmt, ap) < 0)
		oom(0);
	va_end(ap);
	return buf_steal(&b);
}

void
buf_init(struct buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

static int
buf_grow(struct buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (need > SIZE_MAX - b->len - 1)
		return -1;
	if (b->max != 0 && b->len + need > b->max)
		return -1;
	if (b->len + need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + need + 1) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (p == NULL)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *data, size_t n)
{
	if (buf_grow(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_append(b, &ch, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *
buf_steal(struct buf *b)
{
	char *p = b->p;

	if (p == NULL)
		p = xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
strlist_add_owned(struct strlist *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

void
strlist_add(struct strlist *l, const char *s)
{
	strlist_add_owned(l, xstrdup(s));
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

bool
strlist_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

char *
str_trim(char *s)
{
	char *e;

	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

bool
str_iprefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void
str_escape(struct buf *out, const char *s, size_t n, size_t maxout)
{
	size_t start = out->len;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (maxout && out->len - start >= maxout) {
			buf_puts(out, "...");
			return;
		}
		if (c == '\\')
			buf_puts(out, "\\\\");
		else if (c == '\n')
			buf_puts(out, "\\n");
		else if (c == '\r')
			buf_puts(out, "\\r");
		else if (c == '\t')
			buf_puts(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_printf(out, "\\x%02x", c);
		else
			buf_putc(out, c);
	}
}

void
json_string(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_putc(out, '"');
	for (; *p; p++) {
		switch (*p) {
		case '"': buf_puts(out, "\\\""); break;
		case '\\': buf_puts(out, "\\\\"); break;
		case '\n': buf_puts(out, "\\n"); break;
		case '\r': buf_puts(out, "\\r"); break;
		case '\t': buf_puts(out, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(out, "\\u%04x", *p);
			else if (*p >= 0x80) {
				/* Pass valid UTF-8 through, escape stray bytes. */
				size_t len = 0;
				if ((*p & 0xe0) == 0xc0) len = 2;
				else if ((*p & 0xf0) == 0xe0) len = 3;
				else if ((*p & 0xf8) == 0xf0) len = 4;
				size_t k = 1;
				while (len && k < len && (p[k] & 0xc0) == 0x80)
					k++;
				if (len && k == len) {
					buf_append(out, p, len);
					p += len - 1;
				} else
					buf_printf(out, "\\u%04x", *p);
			} else
				buf_putc(out, *p);
		}
	}
	buf_putc(out, '"');
}

double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Append code point c as UTF-8; 0, surrogates and values past U+10FFFF
 * become U+FFFD. */
int
buf_putu8(struct buf *b, unsigned long c)
{
	char u[4];

	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x80)
		return buf_putc(b, (int)c);
	if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		return buf_append(b, u, 2);
	}
	if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		return buf_append(b, u, 3);
	}
	u[0] = (char)(0xf0 | (c >> 18));
	u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	u[3] = (char)(0x80 | (c & 0x3f));
	return buf_append(b, u, 4);
}

void
buf_cut_utf8(struct buf *b, size_t n)
{
	if (b->len <= n)
		return;
	while (n > 0 && ((unsigned char)b->p[n] & 0xc0) == 0x80)
		n--;
	b->len = n;
	b->p[n] = '\0';
}
