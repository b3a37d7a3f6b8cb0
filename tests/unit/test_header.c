/*
 * test_header.c -- Warden's header handling: a message's headers kept
 * in the transaction and written to the spool, the sender's own
 * X-Spam-* / X-Virus-* headers found and numbered for removal, the
 * header byte bound, envelope addresses without brackets, and the
 * stored-message parsing of "warden scan" (msgfile_split, msgfile_addrs,
 * msgfile_body_crlf).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "msgfile.h"
#include "snapshot.h"
#include "spool.h"
#include "txn.h"
#include "unit.h"

static char *dir;
static struct snapshot snap;
static struct conn *conn;

/* A conn on a hand-made snapshot with the given config keys. */
static void
conn_with(const char *keys)
{
	struct diag d;
	char *text = xasprintf("spool_directory = %s\n%s", dir, keys);

	diag_init(&d);
	memset(&snap, 0, sizeof(snap));
	snap.refcnt = 1;
	snap.cfg = config_load_string("header.conf", text, &d);
	ck_assert_msg(snap.cfg != NULL, "%s", d.errors.n ? d.errors.v[0] : "?");
	diag_free(&d);
	free(text);
	conn = conn_new(&snap);
}

static void
setup(void)
{
	dir = unit_tmpdir();
	conn = NULL;
}

static void
teardown(void)
{
	if (conn != NULL) {
		txn_end(conn);
		conn->snap = NULL;	/* not refcounted: freed here */
		conn_free(conn);
		conn = NULL;
	}
	config_free(snap.cfg);
	snap.cfg = NULL;
	rmdir(dir);
	free(dir);
}

/* The spool's bytes as a string (for small messages). */
static char *
spooled(struct txn *t)
{
	size_t len;
	const char *p = spool_data(t->spool, &len);

	ck_assert_ptr_nonnull(p);
	return xstrndup(p, len);
}

/* Angle brackets and white space come off envelope addresses. */
START_TEST(test_addr_unbracket)
{
	static const char *const cases[][2] = {
		{ "<user@example.com>", "user@example.com" },
		{ "user@example.com", "user@example.com" },
		{ "  <user@example.com>  ", "user@example.com" },
		{ "<user@example.com  >", "user@example.com" },
		{ "<>", "" },
		{ "", "" },
		{ "<\"odd user\"@example.com>", "\"odd user\"@example.com" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *a = addr_unbracket(cases[i][0]);

		ck_assert_str_eq(a, cases[i][1]);
		free(a);
	}
	{
		char *a = addr_unbracket(NULL);

		ck_assert_str_eq(a, "");
		free(a);
	}
}
END_TEST

/* Which header names a sender must not set. */
START_TEST(test_header_is_ours)
{
	ck_assert(header_is_ours("X-Spam-Status"));
	ck_assert(header_is_ours("X-Spam-Flag"));
	ck_assert(header_is_ours("x-spam-level"));
	ck_assert(header_is_ours("X-SPAM-Report"));
	ck_assert(header_is_ours("X-Virus-Scanned"));
	ck_assert(header_is_ours("x-virus-status"));
	ck_assert(!header_is_ours("X-Spam"));
	ck_assert(!header_is_ours("X-Spammer"));
	ck_assert(!header_is_ours("X-Virus"));
	ck_assert(!header_is_ours("Subject"));
	ck_assert(!header_is_ours("X-Mailer"));
	ck_assert(!header_is_ours(""));
}
END_TEST

/*
 * A message begins with the conn's hits, keeps its headers, counts the
 * sender's X-Spam-* / X-Virus-* ones per name (case-insensitively) and
 * writes "Name: value" lines with CRLF, the blank line and the body.
 */
START_TEST(test_txn_headers)
{
	struct txn *t;
	const struct header *h;
	char *s;

	conn_with("");
	results_add_hit(&conn->res, "CONNECT_RULE", "connect", NULL, 1.5,
	    NULL, 0);
	t = txn_begin(conn, "<sender@example.com>");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_eq(conn->txn, t);
	ck_assert_uint_eq(conn->nmsgs, 1);
	ck_assert_str_eq(t->envfrom, "sender@example.com");
	ck_assert_str_eq(t->queue_id, "NOQUEUE");
	ck_assert(results_has_hit(&t->res, "CONNECT_RULE"));
	ck_assert_double_eq(t->res.score, 1.5);
	txn_add_rcpt(t, "<rcpt@example.org>");
	ck_assert_uint_eq(t->rcpts.n, 1);
	ck_assert_str_eq(t->rcpts.v[0], "rcpt@example.org");

	ck_assert_int_eq(txn_header(t, "Subject", "Hello"), 0);
	ck_assert_int_eq(txn_header(t, "X-Spam-Status", "No, forged"), 0);
	ck_assert_int_eq(txn_header(t, "X-Virus-Status", "Clean"), 0);
	ck_assert_int_eq(txn_header(t, "x-spam-status", "again"), 0);
	ck_assert_int_eq(txn_header(t, "Received", "from a\n\tby b"), 0);
	ck_assert_int_eq(txn_header(t, "X-Folded", "one\r\n two"), 0);
	ck_assert_int_eq(txn_header(t, "X-Empty", ""), 0);
	ck_assert_int_eq(txn_header(t, "subject", "Second"), 0);
	ck_assert_uint_eq(t->nhdrs, 8);
	/* Two names of ours: X-Spam-Status twice, X-Virus-Status once. */
	ck_assert_uint_eq(t->nours, 2);
	ck_assert_str_eq(t->ours[0].name, "X-Spam-Status");
	ck_assert_uint_eq(t->ours[0].count, 2);
	ck_assert_str_eq(t->ours[1].name, "X-Virus-Status");
	ck_assert_uint_eq(t->ours[1].count, 1);
	ck_assert(!t->ours_lost);
	ck_assert(!t->hdrs_truncated);
	/* Headers of ours are seen by the rules like any other. */
	ck_assert_str_eq(t->hdrs[1].name, "X-Spam-Status");
	ck_assert_str_eq(t->hdrs[1].value, "No, forged");

	/* The first of a name, whatever its case. */
	h = txn_find_header(t, "SUBJECT");
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(h->value, "Hello");
	ck_assert_ptr_null(txn_find_header(t, "From"));

	ck_assert_int_eq(txn_eoh(t), 0);
	ck_assert(t->in_body);
	ck_assert_int_eq(txn_body(t, "Body line\r\n", 11), 0);
	s = spooled(t);
	ck_assert_str_eq(s,
	    "Subject: Hello\r\n"
	    "X-Spam-Status: No, forged\r\n"
	    "X-Virus-Status: Clean\r\n"
	    "x-spam-status: again\r\n"
	    "Received: from a\r\n\tby b\r\n"
	    "X-Folded: one\r\n two\r\n"
	    "X-Empty: \r\n"
	    "subject: Second\r\n"
	    "\r\n"
	    "Body line\r\n");
	free(s);

	/* The next message starts clean, on the same conn. */
	t = txn_begin(conn, "other@example.com");
	ck_assert_uint_eq(conn->nmsgs, 2);
	ck_assert_uint_eq(t->nhdrs, 0);
	ck_assert_uint_eq(t->nours, 0);
	ck_assert_uint_eq(t->rcpts.n, 0);
	ck_assert_uint_eq(spool_total(t->spool), 0);
	ck_assert(results_has_hit(&t->res, "CONNECT_RULE"));
	txn_end(conn);
	ck_assert_ptr_null(conn->txn);
	txn_end(conn);		/* twice is harmless */
}
END_TEST

/*
 * Headers are kept for the rules only up to max_scan_size bytes; the
 * sender's X-Spam-* headers are still counted beyond it (they must be
 * removed), and the spool still counts every byte.
 */
START_TEST(test_header_bound)
{
	struct txn *t;
	char value[100];
	size_t n;

	conn_with("max_scan_size = 1k\nspool_memory_limit = 512\n");
	t = txn_begin(conn, "a@example.com");
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(txn_header(t, "X-Filler", value), 0);
	ck_assert(t->hdrs_truncated);
	n = t->nhdrs;
	ck_assert_uint_lt(n, 100);
	ck_assert_uint_ge(n, 5);
	ck_assert_uint_le(t->hdr_bytes, 1024);
	ck_assert_int_eq(txn_header(t, "X-Spam-Flag", value), 0);
	ck_assert_uint_eq(t->nhdrs, n);
	ck_assert_uint_eq(t->hdr_bytes, n * (strlen("X-Filler") + 99 + 4));
	ck_assert_uint_eq(t->nours, 1);
	ck_assert_str_eq(t->ours[0].name, "X-Spam-Flag");
	ck_assert_uint_eq(t->ours[0].count, 1);
	ck_assert(!t->ours_lost);
	ck_assert(spool_truncated(t->spool));
	ck_assert_uint_eq(spool_total(t->spool), 100 *
	    (strlen("X-Filler: ") + 99 + 2) + strlen("X-Spam-Flag: ") + 99 + 2);
}
END_TEST

/*
 * Many distinct X-Spam-* names, then a forged X-Spam-Status: every one
 * is counted for removal, the fields themselves only up to
 * max_header_count.
 */
START_TEST(test_many_our_names)
{
	struct txn *t;

	conn_with("max_header_count = 100\n");
	t = txn_begin(conn, "a@example.com");
	for (int i = 0; i < 99; i++) {
		char name[32];

		snprintf(name, sizeof(name), "X-Spam-N%d", i);
		ck_assert_int_eq(txn_header(t, name, "x"), 0);
	}
	ck_assert_int_eq(txn_header(t, "X-Spam-Status", "No, forged"), 0);
	ck_assert_int_eq(txn_header(t, "X-Spam-Status", "No, again"), 0);
	ck_assert_uint_eq(t->nhdrs, 100);	/* the last one is not kept */
	ck_assert_uint_eq(t->nours, 100);
	for (size_t i = 0; i < 99; i++)
		ck_assert_uint_eq(t->ours[i].count, 1);
	ck_assert_str_eq(t->ours[99].name, "X-Spam-Status");
	ck_assert_uint_eq(t->ours[99].count, 2);
	ck_assert(!t->ours_lost);
	ck_assert_str_eq(t->res.limit, "header_count");	/* the fields */
	ck_assert_int_eq(t->res.decided.action, ACT_NONE);
	/* Names already counted go on being counted, in any case. */
	ck_assert_int_eq(txn_header(t, "X-SPAM-N5", "y"), 0);
	ck_assert_int_eq(txn_header(t, "x-spam-status", "z"), 0);
	ck_assert_uint_eq(t->ours[5].count, 2);
	ck_assert_uint_eq(t->ours[99].count, 3);
	ck_assert_uint_eq(t->nours, 100);
	ck_assert(!t->ours_lost);
}
END_TEST

/*
 * A name of ours beyond max_header_count names cannot be removed: the
 * message is refused (tempfail, as on_limit_exceeded = scan would pass
 * it on), and the names kept go on being counted.
 */
START_TEST(test_our_names_lost)
{
	struct txn *t;

	conn_with("max_header_count = 64\n");
	t = txn_begin(conn, "a@example.com");
	for (int i = 0; i < 64; i++) {
		char name[32];

		snprintf(name, sizeof(name), "X-Spam-Foo-%d", i);
		ck_assert_int_eq(txn_header(t, name, "x"), 0);
	}
	ck_assert(!t->ours_lost);
	ck_assert_ptr_null(t->res.limit);
	ck_assert_int_eq(txn_header(t, "X-Spam-Status", "No"), 0);
	ck_assert(t->ours_lost);
	ck_assert_uint_eq(t->nours, 64);
	ck_assert_str_eq(t->res.limit, "header_count");
	ck_assert_int_eq(t->ours_refuse, ACT_TEMPFAIL);
	ck_assert_int_eq(t->res.decided.action, ACT_TEMPFAIL);
	ck_assert_ptr_nonnull(t->res.decided.source);
	ck_assert_int_eq(txn_header(t, "X-Spam-Foo-7", "y"), 0);
	ck_assert_uint_eq(t->ours[7].count, 2);
	/* The spool has every header, lost or not (ten names of one digit). */
	ck_assert_uint_eq(spool_total(t->spool),
	    64 * strlen("X-Spam-Foo-NN: x\r\n") - 10 +
	    strlen("X-Spam-Status: No\r\n") + strlen("X-Spam-Foo-7: y\r\n"));

	/* A refusing on_limit_exceeded is taken as it is. */
	conn->snap->cfg->on_limit_exceeded = ACT_REJECT;
	t = txn_begin(conn, "a@example.com");
	ck_assert_int_eq(t->ours_refuse, ACT_REJECT);
	conn->snap->cfg->on_limit_exceeded = ACT_QUARANTINE;
	t = txn_begin(conn, "a@example.com");
	ck_assert_int_eq(t->ours_refuse, ACT_TEMPFAIL);
}
END_TEST

/* The names of ours are bounded in bytes too (max_header_length). */
START_TEST(test_our_names_bytes)
{
	struct txn *t;
	char name[200];

	conn_with("max_header_length = 100\n");
	t = txn_begin(conn, "a@example.com");
	ck_assert_int_eq(txn_header(t, "X-Spam-Status", "No"), 0);
	/* 14 bytes kept; a name of 90 more does not fit in 100. */
	memset(name, 'n', sizeof(name));
	memcpy(name, "X-Spam-", 7);
	name[90] = '\0';
	ck_assert_int_eq(txn_header(t, name, "x"), 0);
	ck_assert(t->ours_lost);
	ck_assert_uint_eq(t->nours, 1);
	ck_assert_uint_le(t->ours_bytes, 100);
	ck_assert_str_eq(t->res.limit, "header_length");
	ck_assert_int_eq(t->res.decided.action, ACT_TEMPFAIL);
}
END_TEST

/* A spool that cannot spill records an internal error and returns -1. */
START_TEST(test_spool_failure)
{
	struct txn *t;
	char big[256];

	conn_with("spool_memory_limit = 64\n");
	/* The spool directory goes away under the message. */
	free(conn->snap->cfg->spool_directory);
	conn->snap->cfg->spool_directory = xasprintf("%s/gone", dir);
	t = txn_begin(conn, "a@example.com");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(txn_header(t, "Subject", "short"), 0);
	ck_assert_int_eq(txn_header(t, "X-Long", big), -1);
	ck_assert(t->res.internal_error);
	ck_assert_ptr_nonnull(t->res.error);
	ck_assert_ptr_nonnull(strstr(t->res.error, "spool write failed"));
	ck_assert_int_eq(txn_body(t, big, sizeof(big)), -1);
}
END_TEST

/* Header fields of a stored message, with folding and an mbox line. */
START_TEST(test_msgfile_split)
{
	static const char msg[] =
	    "From sender@example.com Mon Jan  1 00:00:00 2024\n"
	    "Subject: Hello there\n"
	    "X-Multi:   first\n"
	    "\tsecond\n"
	    "  third\n"
	    "To : a@example.com\n"
	    "X-Empty:\n"
	    "\n"
	    "Body\n";
	struct strlist names = { 0 }, values = { 0 };
	size_t off = msgfile_split(msg, sizeof(msg) - 1, &names, &values);

	ck_assert_uint_eq(names.n, 4);
	ck_assert_uint_eq(values.n, 4);
	ck_assert_str_eq(names.v[0], "Subject");
	ck_assert_str_eq(values.v[0], "Hello there");
	ck_assert_str_eq(names.v[1], "X-Multi");
	ck_assert_str_eq(values.v[1], "first\n\tsecond\n  third");
	ck_assert_str_eq(names.v[2], "To");
	ck_assert_str_eq(values.v[2], "a@example.com");
	ck_assert_str_eq(names.v[3], "X-Empty");
	ck_assert_str_eq(values.v[3], "");
	ck_assert_str_eq(msg + off, "Body\n");
	strlist_free(&names);
	strlist_free(&values);
}
END_TEST

/* CRLF line ends, a message without a body, and a non-header line. */
START_TEST(test_msgfile_split_edges)
{
	struct strlist names = { 0 }, values = { 0 };
	static const char crlf[] = "A: 1\r\nB: 2\r\n\r\nbody\r\n";
	static const char nobody[] = "A: 1\nB: 2";
	static const char junk[] = "A: 1\nthis is not a header\nB: 2\n";
	size_t off;

	off = msgfile_split(crlf, sizeof(crlf) - 1, &names, &values);
	ck_assert_uint_eq(names.n, 2);
	ck_assert_str_eq(values.v[0], "1");
	ck_assert_str_eq(values.v[1], "2");
	ck_assert_str_eq(crlf + off, "body\r\n");
	strlist_free(&names);
	strlist_free(&values);

	off = msgfile_split(nobody, sizeof(nobody) - 1, &names, &values);
	ck_assert_uint_eq(off, sizeof(nobody) - 1);
	ck_assert_uint_eq(names.n, 2);
	ck_assert_str_eq(values.v[1], "2");
	strlist_free(&names);
	strlist_free(&values);

	off = msgfile_split(junk, sizeof(junk) - 1, &names, &values);
	ck_assert_uint_eq(names.n, 1);
	ck_assert_str_eq(junk + off, "this is not a header\nB: 2\n");
	strlist_free(&names);
	strlist_free(&values);

	off = msgfile_split("", 0, &names, &values);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(names.n, 0);
}
END_TEST

/* Addresses out of To/Cc-style header values. */
START_TEST(test_msgfile_addrs)
{
	struct strlist l = { 0 };

	msgfile_addrs("Alice <alice@example.com>, "
	    "\"Bob, Jr.\" <bob@example.com>, "
	    "carol@example.com (Carol), <>, undisclosed-recipients:; "
	    "\"x <y>\" <dave@example.com>; Not An Address", &l);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.v[0], "alice@example.com");
	ck_assert_str_eq(l.v[1], "bob@example.com");
	ck_assert_str_eq(l.v[2], "carol@example.com");
	ck_assert_str_eq(l.v[3], "dave@example.com");
	strlist_free(&l);

	msgfile_addrs("", &l);
	ck_assert_uint_eq(l.n, 0);
	msgfile_addrs("  single@example.com  ", &l);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.v[0], "single@example.com");
	strlist_free(&l);
}
END_TEST

/* Bare LF line ends become CRLF; CRLF stays; a last partial line stays. */
START_TEST(test_body_crlf)
{
	struct buf b;

	buf_init(&b, 0);
	msgfile_body_crlf("a\nb\r\n\nc", 7, &b);
	ck_assert_uint_eq(b.len, 9);
	ck_assert_str_eq(b.p, "a\r\nb\r\n\r\nc");
	buf_free(&b);
}
END_TEST

static Suite *
header_suite(void)
{
	Suite *s = suite_create("header");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_addr_unbracket);
	tcase_add_test(tc, test_header_is_ours);
	tcase_add_test(tc, test_txn_headers);
	tcase_add_test(tc, test_header_bound);
	tcase_add_test(tc, test_many_our_names);
	tcase_add_test(tc, test_our_names_lost);
	tcase_add_test(tc, test_our_names_bytes);
	tcase_add_test(tc, test_spool_failure);
	tcase_add_test(tc, test_msgfile_split);
	tcase_add_test(tc, test_msgfile_split_edges);
	tcase_add_test(tc, test_msgfile_addrs);
	tcase_add_test(tc, test_body_crlf);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(header_suite());
}
