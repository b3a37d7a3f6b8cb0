/*
 * zone.c -- a table of DNS records answering struct auth_dns lookups
 * (zone.h).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "zone.h"

#define ZONE_MAX_TXT	4096	/* as the DNS layer (dns.c) */
#define ZONE_MAX_HOPS	8	/* CNAMEs followed */

static const struct {
	const char *name;
	int     type;
} types[] = {
	{ "A", DNS_T_A }, { "AAAA", DNS_T_AAAA }, { "TXT", DNS_T_TXT },
	{ "MX", DNS_T_MX }, { "PTR", DNS_T_PTR }, { "CNAME", DNS_T_CNAME },
	{ "NS", DNS_T_NS }, { "SPF", ZONE_T_SPF },
	{ "TIMEOUT", ZONE_T_TIMEOUT },
};

int
zone_type(const char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(types); i++)
		if (strcasecmp(s, types[i].name) == 0)
			return types[i].type;
	return 0;
}

/* A name as the DNS layer gives it: lower case, no trailing dot. */
static char *
name_text(const char *s, size_t n)
{
	char *p;

	while (n > 0 && s[n - 1] == '.')
		n--;
	p = xstrndup(s, n);
	for (char *q = p; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

/* A value as the DNS layer gives it for its type. */
static char *
value_text(int type, const char *v, size_t len)
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	char *p;
	int af = type == DNS_T_A ? AF_INET : AF_INET6;

	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		p = xstrndup(v, len);
		if (inet_pton(af, p, a) == 1 &&
		    inet_ntop(af, a, text, sizeof(text)) != NULL) {
			free(p);
			p = xstrdup(text);
		}
		return p;
	case DNS_T_MX:
	case DNS_T_PTR:
	case DNS_T_CNAME:
	case DNS_T_NS:
		return name_text(v, len);
	default:
		if (len > ZONE_MAX_TXT)
			len = ZONE_MAX_TXT;
		p = xmalloc(len + 1);
		for (size_t i = 0; i < len; i++)
			p[i] = v[i] ? v[i] : '?';
		p[len] = '\0';
		return p;
	}
}

void
zone_add(struct zone *z, const char *name, int type, const char *value,
    size_t len)
{
	struct zone_rr *rr;

	if (z->n == z->cap) {
		z->cap = z->cap ? 2 * z->cap : 16;
		z->v = xrealloc(z->v, z->cap * sizeof(*z->v));
	}
	rr = &z->v[z->n++];
	rr->name = name_text(name, strlen(name));
	rr->type = type;
	rr->timeout_type = 0;
	if (type == ZONE_T_TIMEOUT && len > 0) {
		char *t = xstrndup(value, len);

		rr->timeout_type = zone_type(t);
		free(t);
	}
	rr->value = value_text(type, value, len);
}

void
zone_clear(struct zone *z)
{
	for (size_t i = 0; i < z->n; i++) {
		free(z->v[i].name);
		free(z->v[i].value);
	}
	free(z->v);
	memset(z, 0, sizeof(*z));
}

/* The name asked, as the suite's driver reads it: lower case, empty
 * labels dropped; -1 when a label is longer than 63 bytes. */
static int
asked_name(const char *name, struct buf *out)
{
	const char *p = name;

	buf_init(out, 0);
	while (*p) {
		size_t l = strcspn(p, ".");

		if (l > 63)
			return -1;
		if (l > 0) {
			if (out->len)
				buf_putc(out, '.');
			for (size_t i = 0; i < l; i++)
				buf_putc(out, tolower((unsigned char)p[i]));
		}
		p += l;
		if (*p == '.')
			p++;
	}
	return 0;
}

/* One name without CNAMEs: DNS_OK, DNS_NODATA (*cname set when the name
 * has one), DNS_NXDOMAIN or DNS_PENDING. */
static enum dns_status
zone_one(struct zone *z, const char *name, int type, struct strlist *out,
    const char **cname)
{
	bool found = false, seen = false;

	*cname = NULL;
	for (size_t i = 0; i < z->n; i++) {
		struct zone_rr *rr = &z->v[i];

		if (strcmp(rr->name, name) != 0)
			continue;
		found = true;
		if (rr->type == ZONE_T_TIMEOUT) {
			if (rr->timeout_type == type ||
			    (rr->timeout_type == 0 && !seen))
				return DNS_PENDING;
			continue;
		}
		if (rr->type == type) {
			strlist_add(out, rr->value);
			seen = true;
		} else if (rr->type == DNS_T_CNAME)
			*cname = rr->value;
	}
	if (seen)
		return DNS_OK;
	if (!found)
		return strncmp(name, "error.", 6) == 0 ? DNS_PENDING :
		    DNS_NXDOMAIN;
	return DNS_NODATA;
}

static enum dns_status
zone_lookup(void *arg, const char *name, int type, struct strlist *out)
{
	struct zone *z = arg;
	struct buf n;
	enum dns_status st = DNS_ERROR;

	if (asked_name(name, &n) < 0) {
		buf_free(&n);
		return DNS_ERROR;
	}
	for (int hop = 0; hop <= ZONE_MAX_HOPS; hop++) {
		const char *cname;
		char *next;

		st = zone_one(z, n.len ? n.p : "", type, out, &cname);
		if (st != DNS_NODATA || cname == NULL || type == DNS_T_CNAME)
			break;
		next = xstrdup(cname);
		buf_reset(&n);
		buf_puts(&n, next);
		free(next);
		st = DNS_ERROR;		/* a loop, if the hops run out */
	}
	buf_free(&n);
	return st;
}

void
zone_dns(struct zone *z, struct auth_dns *a)
{
	memset(a, 0, sizeof(*a));
	a->lookup = zone_lookup;
	a->arg = z;
}
