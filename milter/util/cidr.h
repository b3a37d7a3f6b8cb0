/*
 * cidr.h -- IPv4/IPv6 address blocks and lists of them.
 */
#ifndef WARDEN_CIDR_H
#define WARDEN_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cidr {
	int     family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* network order, host bits cleared */
	int     bits;		/* prefix length */
};

struct cidrlist {
	struct cidr *v;
	size_t       n;
};

/* "10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "[::1]".  0 or -1. */
int  cidr_parse(const char *s, struct cidr *out);
/* Parse a text address (v4, v6, v4-mapped v6) to family + 16 bytes. */
int  cidr_addr_parse(const char *s, int *family, uint8_t addr[16]);
bool cidr_contains(const struct cidr *c, int family, const uint8_t addr[16]);
/* True when the text address s is in any block of the list. */
bool cidrlist_match(const struct cidrlist *l, const char *s);
void cidrlist_add(struct cidrlist *l, const struct cidr *c);
void cidrlist_free(struct cidrlist *l);

#endif
