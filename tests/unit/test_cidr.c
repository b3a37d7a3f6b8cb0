/*
 * test_cidr.c -- Warden's address blocks: IPv4, IPv6, IPv4-mapped IPv6
 * client addresses, prefix lengths on and off byte boundaries, bracketed
 * and "IPv6:" literals, and input that must be refused.
 */
#include "autoconfig.h"

#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "util.h"
#include "unit.h"

/* Does the one-block list for cidr contain addr? */
static bool
in(const char *cidr, const char *addr)
{
	struct cidrlist l = { 0 };
	struct cidr c;
	bool r;

	ck_assert_msg(cidr_parse(cidr, &c) == 0, "cannot parse %s", cidr);
	cidrlist_add(&l, &c);
	r = cidrlist_match(&l, addr);
	cidrlist_free(&l);
	return r;
}

/* IPv4 blocks and single addresses. */
START_TEST(test_v4)
{
	struct cidr c;

	ck_assert_int_eq(cidr_parse("192.0.2.0/24", &c), 0);
	ck_assert_int_eq(c.family, AF_INET);
	ck_assert_int_eq(c.bits, 24);
	ck_assert(in("192.0.2.0/24", "192.0.2.0"));
	ck_assert(in("192.0.2.0/24", "192.0.2.255"));
	ck_assert(!in("192.0.2.0/24", "192.0.3.0"));
	ck_assert(!in("192.0.2.0/24", "192.0.1.255"));
	ck_assert(in("10.0.0.0/8", "10.255.1.2"));
	ck_assert(!in("10.0.0.0/8", "11.0.0.1"));
	/* A single address is a /32. */
	ck_assert_int_eq(cidr_parse("198.51.100.7", &c), 0);
	ck_assert_int_eq(c.bits, 32);
	ck_assert(in("198.51.100.7", "198.51.100.7"));
	ck_assert(!in("198.51.100.7", "198.51.100.8"));
	/* /0 matches every IPv4 address, and no IPv6 one. */
	ck_assert(in("0.0.0.0/0", "203.0.113.9"));
	ck_assert(!in("0.0.0.0/0", "2001:db8::1"));
}
END_TEST

/* Prefixes that do not end on a byte, and host bits that get cleared. */
START_TEST(test_odd_prefixes)
{
	struct cidr c;

	ck_assert(in("192.0.2.64/26", "192.0.2.64"));
	ck_assert(in("192.0.2.64/26", "192.0.2.127"));
	ck_assert(!in("192.0.2.64/26", "192.0.2.128"));
	ck_assert(!in("192.0.2.64/26", "192.0.2.63"));
	ck_assert(in("172.16.0.0/12", "172.31.255.255"));
	ck_assert(!in("172.16.0.0/12", "172.32.0.0"));
	/* Host bits in the block are ignored. */
	ck_assert_int_eq(cidr_parse("192.0.2.77/24", &c), 0);
	ck_assert_int_eq(c.addr[3], 0);
	ck_assert(in("192.0.2.77/24", "192.0.2.1"));
	ck_assert(in("2001:db8::1/127", "2001:db8::"));
	ck_assert(!in("2001:db8::1/127", "2001:db8::2"));
	ck_assert(in("2001:db8:8000::/33", "2001:db8:ffff::1"));
	ck_assert(!in("2001:db8:8000::/33", "2001:db8:7fff::1"));
}
END_TEST

/* IPv6 blocks. */
START_TEST(test_v6)
{
	struct cidr c;

	ck_assert_int_eq(cidr_parse("2001:db8::/32", &c), 0);
	ck_assert_int_eq(c.family, AF_INET6);
	ck_assert_int_eq(c.bits, 32);
	ck_assert(in("2001:db8::/32", "2001:db8::1"));
	ck_assert(in("2001:db8::/32", "2001:DB8:ffff:1::9"));
	ck_assert(!in("2001:db8::/32", "2001:db9::1"));
	ck_assert(!in("2001:db8::/32", "192.0.2.1"));
	ck_assert(in("::1", "::1"));
	ck_assert(!in("::1", "::2"));
	ck_assert(in("::/0", "fe80::1"));
	/* Bracketed and "IPv6:" forms, as MTAs and Received headers write. */
	ck_assert_int_eq(cidr_parse("[2001:db8::]/48", &c), 0);
	ck_assert_int_eq(c.bits, 48);
	ck_assert(!in("2001:db8::/48", "[2001:db8:1::1]"));
	ck_assert(in("2001:db8::/48", "[2001:db8::5]"));
	ck_assert(in("2001:db8::/48", "IPv6:2001:db8::5"));
	ck_assert(in("2001:db8::/48", "[IPv6:2001:db8::5]"));
}
END_TEST

/* An IPv4-mapped IPv6 client matches IPv4 blocks. */
START_TEST(test_mapped)
{
	uint8_t addr[16];
	int family;

	ck_assert_int_eq(cidr_addr_parse("::ffff:192.0.2.9", &family, addr), 0);
	ck_assert_int_eq(family, AF_INET);
	ck_assert_int_eq(addr[0], 192);
	ck_assert_int_eq(addr[3], 9);
	ck_assert(in("192.0.2.0/24", "::ffff:192.0.2.9"));
	ck_assert(in("192.0.2.0/24", "::FFFF:c000:0209"));
	ck_assert(!in("192.0.2.0/24", "::ffff:192.0.3.9"));
	/* A mapped block with an IPv6 prefix length (96 + IPv4 bits). */
	ck_assert(in("::ffff:192.0.2.0/120", "192.0.2.200"));
	ck_assert(!in("::ffff:192.0.2.0/120", "192.0.3.1"));
	ck_assert(in("::ffff:192.0.2.0/120", "::ffff:192.0.2.1"));
	/* Not mapped: the IPv4-compatible form is plain IPv6. */
	ck_assert_int_eq(cidr_addr_parse("::192.0.2.9", &family, addr), 0);
	ck_assert_int_eq(family, AF_INET6);
}
END_TEST

/* Input that is not an address or a block. */
START_TEST(test_bad_input)
{
	static const char *const bad[] = {
		"", "/24", "192.0.2.0/", "192.0.2.0/33", "192.0.2.0/-1",
		"192.0.2.0/2x", "192.0.2", "192.0.2.256", "banana",
		"2001:db8::/129", "2001:db8:::1", "::ffff:192.0.2.0/95",
		"[192.0.2.1", "192.0.2.1]", "192.0.2.1 ",
		"2001:db8:1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18/64",
	};
	struct cidr c;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(cidr_parse(bad[i], &c) == -1, "\"%s\" accepted",
		    bad[i]);
}
END_TEST

/* Lists: any block matches; no match for junk, NULL or empty lists. */
START_TEST(test_list)
{
	struct cidrlist l = { 0 };
	struct cidr c;

	ck_assert(!cidrlist_match(&l, "192.0.2.1"));
	ck_assert_int_eq(cidr_parse("192.0.2.0/24", &c), 0);
	cidrlist_add(&l, &c);
	ck_assert_int_eq(cidr_parse("2001:db8::/32", &c), 0);
	cidrlist_add(&l, &c);
	ck_assert_int_eq(cidr_parse("127.0.0.1", &c), 0);
	cidrlist_add(&l, &c);
	ck_assert_uint_eq(l.n, 3);
	ck_assert(cidrlist_match(&l, "192.0.2.3"));
	ck_assert(cidrlist_match(&l, "2001:db8::3"));
	ck_assert(cidrlist_match(&l, "127.0.0.1"));
	ck_assert(!cidrlist_match(&l, "127.0.0.2"));
	ck_assert(!cidrlist_match(&l, ""));		/* local client */
	ck_assert(!cidrlist_match(&l, NULL));
	ck_assert(!cidrlist_match(&l, "not an address"));
	cidrlist_free(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.v);
}
END_TEST

static Suite *
cidr_suite(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_v4);
	tcase_add_test(tc, test_odd_prefixes);
	tcase_add_test(tc, test_v6);
	tcase_add_test(tc, test_mapped);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_list);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(cidr_suite());
}
