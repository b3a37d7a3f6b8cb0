/*
 * util.h -- memory, growable buffers and small string helpers.
 *
 * Ownership: every x*alloc result belongs to the caller, who frees it with
 * free().  The x*alloc functions either succeed or end the process with a
 * logged message: small allocations failing means the machine is beyond
 * saving, and Postfix then applies milter_default_action (tempfail).  Code
 * that grows with message size (the spool, MIME decoding) uses the checked
 * buf_* functions instead and takes the on_internal_error path on failure.
 */
#ifndef WARDEN_UTIL_H
#define WARDEN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>

#define WARDEN_PRINTF(a, b) __attribute__((__format__(printf, a, b)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) WARDEN_PRINTF(1, 2);

/*
 * A binary-safe growable byte buffer, always NUL-terminated after len.
 * buf_init() makes an empty buffer; buf_free() releases the bytes and
 * leaves an empty buffer.  A max of 0 means unbounded; past max, appends
 * fail with -1 and leave the buffer unchanged.
 */
struct buf {
	char   *p;
	size_t  len;
	size_t  cap;
	size_t  max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int  buf_append(struct buf *b, const void *data, size_t n);
int  buf_puts(struct buf *b, const char *s);
int  buf_putc(struct buf *b, int c);
int  buf_printf(struct buf *b, const char *fmt, ...) WARDEN_PRINTF(2, 3);
int  buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    WARDEN_PRINTF(2, 0);
/* Append code point c as UTF-8 (0, surrogates, > U+10FFFF: U+FFFD). */
int  buf_putu8(struct buf *b, unsigned long c);
/* Keep at most n bytes of b, cut at a UTF-8 character boundary. */
void buf_cut_utf8(struct buf *b, size_t n);
/* Transfer ownership of the bytes to the caller (never NULL). */
char *buf_steal(struct buf *b);

/* A growable array of owned strings. */
struct strlist {
	char  **v;
	size_t  n;
	size_t  cap;
};

void strlist_add(struct strlist *l, const char *s);
void strlist_add_owned(struct strlist *l, char *s);
void strlist_free(struct strlist *l);
bool strlist_contains(const struct strlist *l, const char *s);

/* In-place trim of ASCII white space; returns s. */
char *str_trim(char *s);
bool  str_iprefix(const char *s, const char *prefix);
/* Escape control and non-ASCII bytes for logs and --explain output. */
void  str_escape(struct buf *out, const char *s, size_t n, size_t maxout);
/* Append s as a JSON string literal, quotes included. */
void  json_string(struct buf *out, const char *s);

/* Monotonic clock in milliseconds (double precision). */
double now_ms(void);

#endif
