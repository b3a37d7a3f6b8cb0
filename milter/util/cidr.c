/*
 * cidr.c -- address blocks.  IPv4-mapped IPv6 client addresses
 * (::ffff:192.0.2.1) match IPv4 blocks, since that is how a dual-stack
 * MTA may report an IPv4 client.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "util.h"

int
cidr_addr_parse(const char *s, int *family, uint8_t addr[16])
{
	char tmp[INET6_ADDRSTRLEN + 4];
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (strncasecmp(tmp, "IPv6:", 5) == 0)
		memmove(tmp, tmp + 5, n - 4);
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, tmp, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, addr) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0xff, 0xff };
		if (memcmp(addr, mapped, 12) == 0) {
			memmove(addr, addr + 12, 4);
			memset(addr + 4, 0, 12);
			*family = AF_INET;
		} else
			*family = AF_INET6;
		return 0;
	}
	return -1;
}

int
cidr_parse(const char *s, struct cidr *out)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (cidr_addr_parse(tmp, &out->family, out->addr) < 0)
		return -1;
	/* A mapped v6 literal takes a v6 prefix length. */
	max = out->family == AF_INET && strchr(tmp, ':') == NULL ? 32 : 128;
	if (slash != NULL) {
		char *end;
		long b = strtol(slash + 1, &end, 10);

		if (slash[1] == '\0' || *end != '\0' || b < 0 || b > max)
			return -1;
		/* A mapped v6 literal with a v6 prefix length: adjust. */
		if (out->family == AF_INET && strchr(tmp, ':') != NULL) {
			if (b < 96)
				return -1;
			b -= 96;
		}
		out->bits = (int)b;
	} else
		out->bits = out->family == AF_INET ? 32 : 128;
	for (int i = out->bits; i < 128; i++)
		out->addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return 0;
}

bool
cidr_contains(const struct cidr *c, int family, const uint8_t addr[16])
{
	int full, rest;

	if (family != c->family)
		return false;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(c->addr, addr, (size_t)full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((addr[full] & mask) != c->addr[full])
			return false;
	}
	return true;
}

bool
cidrlist_match(const struct cidrlist *l, const char *s)
{
	uint8_t addr[16];
	int family;

	if (l->n == 0 || s == NULL || cidr_addr_parse(s, &family, addr) < 0)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (cidr_contains(&l->v[i], family, addr))
			return true;
	return false;
}

void
cidrlist_add(struct cidrlist *l, const struct cidr *c)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = *c;
}

void
cidrlist_free(struct cidrlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
