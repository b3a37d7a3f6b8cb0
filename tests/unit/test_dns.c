/*
 * test_dns.c -- the resolver's pure parts and its bounds: the reversed
 * names of IPv4 and IPv6 addresses for DNS lists, the return-code
 * filters (Postfix's forms), the error codes of lists, dns_resolver
 * values, and lookups against a server that never answers (the deadline
 * holds, a freed set cancels what is unanswered, the per-set cap), and
 * the cache of answers against a small answering server of its own.
 * Answers from a real server are tested with the private DNS server in
 * tests/dns/.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "dns.h"
#include "util.h"
#include "unit.h"

START_TEST(test_reverse)
{
	char out[80];

	ck_assert_int_gt(dns_reverse("127.0.0.2", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "2.0.0.127");
	ck_assert_int_gt(dns_reverse("192.0.2.99", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "99.2.0.192");
	ck_assert_int_eq(dns_reverse("2001:db8::2", out, sizeof(out)), 63);
	ck_assert_str_eq(out, "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.8.b.d.0.1.0.0.2");
	ck_assert_int_eq(dns_reverse("not an address", out, sizeof(out)), -1);
	ck_assert_int_eq(dns_reverse("192.0.2.999", out, sizeof(out)), -1);
	ck_assert_int_eq(dns_reverse("192.0.2.1", out, 10), -1);
}
END_TEST

static bool
passes(const char *spec, const char *a)
{
	struct dns_filter f;
	struct buf err;
	bool r;

	buf_init(&err, 0);
	ck_assert_msg(dns_filter_parse(spec, &f, &err) == 0, "%s: %s", spec,
	    err.p);
	r = dns_filter_match(&f, a);
	buf_free(&err);
	return r;
}

START_TEST(test_filters)
{
	struct dns_filter f;
	struct buf err;
	static const char *const bad[] = { "127.0.0.2", "=127.0.0",
	    "=127.0.0.256", "=127.0.0.[2..1]", "=127.0.0.[2", "=127.0.0.2x",
	    "&0", "&x", "&0.0.0.0", "=127.0.0.[;]", NULL };

	/* No filter: any answer in 127.0.0.0/8, nothing else. */
	ck_assert(passes(NULL, "127.0.0.2"));
	ck_assert(passes("", "127.1.2.3"));
	ck_assert(!passes("", "10.0.0.2"));
	ck_assert(!passes("", "garbage"));
	/* One address. */
	ck_assert(passes("=127.0.0.2", "127.0.0.2"));
	ck_assert(!passes("=127.0.0.2", "127.0.0.3"));
	/* Lists and ranges in an octet. */
	ck_assert(passes("=127.0.0.[2..11;20]", "127.0.0.11"));
	ck_assert(passes("=127.0.0.[2..11;20]", "127.0.0.20"));
	ck_assert(!passes("=127.0.0.[2..11;20]", "127.0.0.12"));
	ck_assert(passes("=127.0.[0..255].[1;3]", "127.0.9.3"));
	ck_assert(!passes("=127.0.[0..255].[1;3]", "127.0.9.2"));
	/* Bit masks, as a number or an address. */
	ck_assert(passes("&4", "127.0.0.4"));
	ck_assert(passes("&0.0.0.4", "127.0.0.6"));
	ck_assert(!passes("&4", "127.0.0.2"));
	/* Not in 127/8: never a listing, whatever the mask. */
	ck_assert(!passes("&4", "128.0.0.4"));
	for (size_t i = 0; bad[i]; i++) {
		buf_init(&err, 0);
		ck_assert_msg(dns_filter_parse(bad[i], &f, &err) < 0,
		    "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err.p, "expected"));
		buf_free(&err);
	}
	ck_assert(dns_answer_is_error_code("127.255.255.254"));
	ck_assert(dns_answer_is_error_code("127.255.255.252"));
	ck_assert(!dns_answer_is_error_code("127.0.0.2"));
}
END_TEST

static struct config *
conf(const char *text, struct diag *d)
{
	diag_init(d);
	return config_load_string("test.conf", text, d);
}

START_TEST(test_resolver_values)
{
	static const char *const good[] = { "system", "recursive",
	    "127.0.0.1", "127.0.0.1:5353", "[::1]:53", "::1",
	    "192.0.2.1, 192.0.2.2:53", NULL };
	static const char *const badv[] = { "system, recursive",
	    "127.0.0.1:0", "127.0.0.1:70000", "resolver.example",
	    "[::1]", "127.0.0.1:x", NULL };

	for (size_t i = 0; good[i]; i++) {
		struct diag d;
		char *t = xasprintf("dns_resolver = %s\n", good[i]);
		struct config *c = conf(t, &d);
		struct buf err;
		struct dns *dn;

		ck_assert_msg(c != NULL, "refused %s", good[i]);
		buf_init(&err, 0);
		dn = dns_new(c, &err);
		ck_assert_msg(dn != NULL, "%s: %s", good[i], err.p);
		dns_free(dn);
		buf_free(&err);
		config_free(c);
		diag_free(&d);
		free(t);
	}
	for (size_t i = 0; badv[i]; i++) {
		struct diag d;
		char *t = xasprintf("dns_resolver = %s\n", badv[i]);
		struct config *c = conf(t, &d);

		/* "[::1]" with no port is an address too: either refused
		 * by the config or taken; never a crash. */
		if (strcmp(badv[i], "[::1]") == 0) {
			config_free(c);
			diag_free(&d);
			free(t);
			continue;
		}
		ck_assert_msg(c == NULL, "accepted %s", badv[i]);
		ck_assert_uint_gt(d.errors.n, 0);
		diag_free(&d);
		free(t);
	}
}
END_TEST

/* A UDP socket on loopback that reads queries and never answers. */
static int
silent_server(unsigned *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

START_TEST(test_deadline_and_cancel)
{
	struct diag d;
	struct config *c;
	struct buf err;
	struct dns *dn;
	struct dns_set *conn, *msg;
	struct dns_query *q1, *q2, *q3;
	struct dns_answer a;
	unsigned port;
	int fd = silent_server(&port);
	char *t;
	double t0;

	t = xasprintf("dns_resolver = 127.0.0.1:%u\n", port);
	c = conf(t, &d);
	ck_assert_ptr_nonnull(c);
	buf_init(&err, 0);
	dn = dns_new(c, &err);
	ck_assert_ptr_nonnull(dn);
	ck_assert(strncmp(dns_describe(dn), "127.0.0.1:", 10) == 0);
	conn = dns_set_new(dn, NULL, 2);
	msg = dns_set_new(dn, conn, 2);
	q1 = dns_lookup(conn, "2.0.0.127.zen.spamhaus.org.", DNS_T_A);
	ck_assert_ptr_nonnull(q1);
	/* The same lookup from the message's set is the connection's. */
	ck_assert_ptr_eq(dns_lookup(msg, "2.0.0.127.ZEN.spamhaus.org",
	    DNS_T_A), q1);
	ck_assert_ptr_eq(dns_find(msg, "2.0.0.127.zen.spamhaus.org",
	    DNS_T_A), q1);
	ck_assert_ptr_null(dns_find(msg, "2.0.0.127.zen.spamhaus.org",
	    DNS_T_TXT));
	q2 = dns_lookup(msg, "example.com", DNS_T_TXT);
	q3 = dns_lookup(msg, "example.net", DNS_T_A);
	ck_assert_ptr_nonnull(q2);
	ck_assert_ptr_nonnull(q3);
	/* The cap: a third query of the message's set is not sent. */
	ck_assert(!dns_set_limited(msg));
	ck_assert_ptr_null(dns_lookup(msg, "example.org", DNS_T_A));
	ck_assert(dns_set_limited(msg));
	/* The deadline holds: 300 ms, not the resolver's own retries; the
	 * message waits for the connection's lookup too. */
	t0 = now_ms();
	ck_assert_uint_eq(dns_wait(msg, now_ms() + 300), 3);
	ck_assert_uint_eq(dns_wait(conn, now_ms() + 10), 1);
	ck_assert(now_ms() - t0 >= 290);
	ck_assert(now_ms() - t0 < 2000);
	ck_assert(!dns_wait_one(q1, now_ms() + 50));
	dns_answer(q1, &a);
	ck_assert_int_eq(a.status, DNS_PENDING);
	ck_assert(a.ms > 0);
	/* Freeing the sets cancels what is unanswered; freeing the
	 * resolver after that leaks nothing (the sanitizer build checks). */
	dns_set_free(msg);
	dns_set_free(conn);
	dns_free(dn);
	close(fd);
	config_free(c);
	diag_free(&d);
	buf_free(&err);
	free(t);
}
END_TEST


/*
 * A server on loopback that answers the resolver itself: a name whose
 * first label is "tN" gets A 127.0.0.2 with a TTL of N seconds; "nx..."
 * gets NXDOMAIN with an SOA (minimum 60) in the authority section;
 * "sf..." SERVFAIL.  It counts the queries it receives.
 */
struct tiny {
	int     fd;
	unsigned port;
	atomic_int queries;
	atomic_bool stop;
	pthread_t thr;
};

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
put32(unsigned char *p, unsigned long v)
{
	put16(p, (unsigned)(v >> 16));
	put16(p + 2, (unsigned)v);
}

static void *
tiny_run(void *arg)
{
	struct tiny *t = arg;
	unsigned char q[512], r[600];

	while (!atomic_load(&t->stop)) {
		struct pollfd p = { .fd = t->fd, .events = POLLIN };
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		size_t i = 12, end, len;
		char first[64];
		unsigned ttl = 0, rcode = 0, an = 0, ns = 0;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recvfrom(t->fd, q, sizeof(q), 0, (struct sockaddr *)&from,
		    &fl);
		if (n < 17)
			continue;
		atomic_fetch_add(&t->queries, 1);
		/* The first label, then the end of the question. */
		len = q[i] < sizeof(first) ? q[i] : sizeof(first) - 1;
		memcpy(first, q + i + 1, len);
		first[len] = '\0';
		while (i < (size_t)n && q[i] != 0)
			i += 1 + q[i];
		end = i + 1 + 4;
		if (end > (size_t)n)
			continue;
		if (first[0] == 't')
			ttl = (unsigned)atoi(first + 1), an = 1;
		else if (strncmp(first, "nx", 2) == 0)
			rcode = 3, ns = 1;
		else
			rcode = 2;
		memcpy(r, q, end);
		r[2] = (unsigned char)(0x84 | (q[2] & 0x01));	/* QR AA RD */
		r[3] = (unsigned char)(0x80 | rcode);		/* RA */
		put16(r + 4, 1);
		put16(r + 6, an);
		put16(r + 8, ns);
		put16(r + 10, 0);
		len = end;
		if (an) {
			unsigned char rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0,
			    0, 0, 4, 127, 0, 0, 2 };

			put32(rr + 6, ttl);
			memcpy(r + len, rr, sizeof(rr));
			len += sizeof(rr);
		}
		if (ns) {
			/* ". 60 SOA . . 1 3600 600 86400 60" */
			unsigned char rr[11 + 22] = { 0, 0, 6, 0, 1, 0, 0, 0,
			    60, 0, 22 };

			put32(rr + 11 + 2, 1);
			put32(rr + 11 + 6, 3600);
			put32(rr + 11 + 10, 600);
			put32(rr + 11 + 14, 86400);
			put32(rr + 11 + 18, 60);
			memcpy(r + len, rr, sizeof(rr));
			len += sizeof(rr);
		}
		(void)sendto(t->fd, r, len, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static void
tiny_start(struct tiny *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = silent_server(&t->port);
	ck_assert_int_eq(pthread_create(&t->thr, NULL, tiny_run, t), 0);
}

static void
tiny_stop(struct tiny *t)
{
	atomic_store(&t->stop, true);
	pthread_join(t->thr, NULL);
	close(t->fd);
}

/* One lookup in a set of its own, waited for: its answer (records
 * borrowed from the set, which is freed: only status and flags kept). */
static struct dns_answer
ask(struct dns *dn, const char *name)
{
	struct dns_set *s = dns_set_new(dn, NULL, 0);
	struct dns_query *q = dns_lookup(s, name, DNS_T_A);
	struct dns_answer a;

	ck_assert_ptr_nonnull(q);
	ck_assert(dns_wait_one(q, now_ms() + 5000));
	dns_answer(q, &a);
	if (a.status == DNS_OK) {
		ck_assert_uint_eq(a.nrr, 1);
		ck_assert_str_eq(a.rr[0], "127.0.0.2");
	}
	a.rr = NULL;
	dns_set_free(s);
	return a;
}

START_TEST(test_cache)
{
	struct diag d;
	struct config *c;
	struct buf err;
	struct dns *dn;
	struct dns_answer a;
	struct tiny t;
	unsigned long lookups, cached;
	char *txt;
	int n;

	tiny_start(&t);
	txt = xasprintf("dns_resolver = 127.0.0.1:%u\ndns_cache_size = 4k\n",
	    t.port);
	c = conf(txt, &d);
	ck_assert_ptr_nonnull(c);
	buf_init(&err, 0);
	dn = dns_new(c, &err);
	ck_assert_ptr_nonnull(dn);

	/* Asked once, then answered from the cache (whatever the case). */
	a = ask(dn, "t300.example.com");
	ck_assert_int_eq(a.status, DNS_OK);
	ck_assert(!a.cached);
	n = atomic_load(&t.queries);
	ck_assert_int_ge(n, 1);
	a = ask(dn, "T300.Example.COM.");
	ck_assert_int_eq(a.status, DNS_OK);
	ck_assert(a.cached);
	ck_assert_int_eq(atomic_load(&t.queries), n);

	/* A negative answer is kept for the SOA's minimum. */
	a = ask(dn, "nx.example.com");
	ck_assert_int_eq(a.status, DNS_NXDOMAIN);
	ck_assert(!a.cached);
	n = atomic_load(&t.queries);
	a = ask(dn, "nx.example.com");
	ck_assert_int_eq(a.status, DNS_NXDOMAIN);
	ck_assert(a.cached);
	ck_assert_int_eq(atomic_load(&t.queries), n);

	/* A failure is never kept by Warden's cache. */
	a = ask(dn, "sf.example.com");
	ck_assert_int_eq(a.status, DNS_ERROR);
	a = ask(dn, "sf.example.com");
	ck_assert(!a.cached);

	/* An answer is kept for its TTL, not longer. */
	a = ask(dn, "t1.example.com");
	ck_assert(!a.cached);
	a = ask(dn, "t1.example.com");
	ck_assert(a.cached);
	usleep(2200 * 1000);	/* libunbound counts in whole seconds */
	n = atomic_load(&t.queries);
	a = ask(dn, "t1.example.com");
	ck_assert_int_eq(a.status, DNS_OK);
	ck_assert(!a.cached);
	ck_assert_int_gt(atomic_load(&t.queries), n);

	/* The bound (4 KB): forty answers later the first is gone, and
	 * asked again. */
	for (int i = 0; i < 40; i++) {
		char name[64];

		snprintf(name, sizeof(name), "t300.n%d.example.com", i);
		ck_assert(!ask(dn, name).cached);
	}
	ck_assert(ask(dn, "t300.n39.example.com").cached);
	n = atomic_load(&t.queries);
	ck_assert(!ask(dn, "t300.n0.example.com").cached);
	ck_assert_int_gt(atomic_load(&t.queries), n);

	dns_counts(dn, &lookups, &cached);
	ck_assert_uint_eq(lookups, 2 + 2 + 2 + 3 + 40 + 2);
	ck_assert_uint_eq(cached, 4);

	dns_free(dn);
	tiny_stop(&t);
	config_free(c);
	diag_free(&d);
	buf_free(&err);
	free(txt);
}
END_TEST

/* Queries left in flight when the resolver itself is freed. */
START_TEST(test_free_in_flight)
{
	struct diag d;
	struct config *c;
	struct buf err;
	struct dns *dn;
	struct dns_set *s;
	unsigned port;
	int fd = silent_server(&port);
	char *t = xasprintf("dns_resolver = 127.0.0.1:%u\n", port);

	c = conf(t, &d);
	buf_init(&err, 0);
	dn = dns_new(c, &err);
	s = dns_set_new(dn, NULL, 0);
	for (int i = 0; i < 50; i++) {
		char name[64];

		snprintf(name, sizeof(name), "n%d.example.com", i);
		ck_assert_ptr_nonnull(dns_lookup(s, name, DNS_T_A));
	}
	dns_set_free(s);
	dns_free(dn);
	close(fd);
	config_free(c);
	diag_free(&d);
	buf_free(&err);
	free(t);
}
END_TEST

/* No resolver configured: no lookups, and no error. */
START_TEST(test_off)
{
	struct diag d;
	struct config *c = conf("", &d);
	struct buf err;
	struct dns_set *s;

	buf_init(&err, 0);
	ck_assert_ptr_null(dns_new(c, &err));
	ck_assert_uint_eq(err.len, 0);
	s = dns_set_new(NULL, NULL, 10);
	ck_assert_ptr_null(dns_lookup(s, "example.com", DNS_T_A));
	ck_assert_uint_eq(dns_wait(s, now_ms() + 1000), 0);
	dns_set_free(s);
	config_free(c);
	diag_free(&d);
	buf_free(&err);
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_reverse);
	tcase_add_test(tc, test_filters);
	tcase_add_test(tc, test_resolver_values);
	tcase_add_test(tc, test_deadline_and_cancel);
	tcase_add_test(tc, test_free_in_flight);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_off);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(dns_suite());
}
