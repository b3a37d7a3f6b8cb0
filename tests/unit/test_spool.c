/*
 * test_spool.c -- the message spool: bytes stay in memory below the
 * limit, move to an unlinked file above it (nothing left in the
 * directory, a valid fd, the data intact), are truncated at max_scan
 * with the total still counted, and an unusable directory fails with -1
 * (for good) without passing for truncation.  Without a directory
 * everything kept stays in memory; bytes never read count as cut.  A
 * message whose spool cannot be
 * written gets on_internal_error with the spool's own error, never
 * "scan=partial" or a note that it is larger than max_scan_size.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "scan.h"
#include "snapshot.h"
#include "spool.h"
#include "txn.h"
#include "util.h"
#include "unit.h"

static char *dir;

static void
setup(void)
{
	dir = unit_tmpdir();
}

static void
teardown(void)
{
	rmdir(dir);
	free(dir);
	dir = NULL;
}

/* Entries in the directory other than "." and "..". */
static int
dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* A repeatable pattern, so that data can be checked after the spill. */
static void
fill(char *p, size_t n, size_t start)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (start + i) % 26);
}

static void
check_pattern(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (char)('a' + i % 26))
			ck_abort_msg("byte %zu is %d", i, p[i]);
}

/* Write total bytes in chunks of chunk. */
static void
write_pattern(struct spool *sp, size_t total, size_t chunk)
{
	char *buf = xmalloc(chunk);

	for (size_t off = 0; off < total; off += chunk) {
		size_t n = total - off < chunk ? total - off : chunk;

		fill(buf, n, off);
		ck_assert_int_eq(spool_write(sp, buf, n), 0);
	}
	free(buf);
}

/* Below the memory limit nothing touches the disk. */
START_TEST(test_memory)
{
	struct spool *sp = spool_new(dir, 4096, 1 << 20);
	const char *p;
	size_t len;

	p = spool_data(sp, &len);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(len, 0);
	write_pattern(sp, 4096, 100);
	ck_assert(!spool_on_disk(sp));
	ck_assert_int_eq(spool_fd(sp), -1);
	ck_assert_uint_eq(spool_total(sp), 4096);
	ck_assert(!spool_truncated(sp));
	p = spool_data(sp, &len);
	ck_assert_uint_eq(len, 4096);
	check_pattern(p, len);
	ck_assert_int_eq(dir_entries(dir), 0);
	spool_free(sp);
}
END_TEST

/*
 * One byte over the limit moves everything to a file that has no name:
 * the directory stays empty while the data is readable from the fd and
 * from spool_data(), in order.
 */
START_TEST(test_spill)
{
	struct spool *sp = spool_new(dir, 4096, 1 << 20);
	const size_t total = 300000;
	struct stat st;
	const char *p;
	char head[26];
	size_t len;
	int fd;

	write_pattern(sp, 4096, 4096);
	ck_assert(!spool_on_disk(sp));
	ck_assert_int_eq(spool_write(sp, "", 0), 0);	/* empty: no change */
	ck_assert(!spool_on_disk(sp));
	{
		char c = (char)('a' + 4096 % 26);

		ck_assert_int_eq(spool_write(sp, &c, 1), 0);
	}
	ck_assert(spool_on_disk(sp));
	fd = spool_fd(sp);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_nlink, 0);	/* unlinked */
	ck_assert_uint_eq((size_t)st.st_size, 4097);
	ck_assert_int_eq(dir_entries(dir), 0);

	/* Keep writing: the rest goes to the file, also between views. */
	p = spool_data(sp, &len);
	ck_assert_uint_eq(len, 4097);
	check_pattern(p, len);
	{
		char *buf = xmalloc(total);

		fill(buf, total - 4097, 4097);
		ck_assert_int_eq(spool_write(sp, buf, total - 4097), 0);
		free(buf);
	}
	ck_assert_uint_eq(spool_total(sp), total);
	ck_assert(!spool_truncated(sp));
	p = spool_data(sp, &len);
	ck_assert_uint_eq(len, total);
	check_pattern(p, len);
	ck_assert_int_eq(pread(fd, head, sizeof(head), 0),
	    (ssize_t)sizeof(head));
	check_pattern(head, sizeof(head));
	ck_assert_int_eq(dir_entries(dir), 0);

	spool_free(sp);
	/* The fd is closed with the spool. */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(dir_entries(dir), 0);
}
END_TEST

/* A single write larger than the limit goes straight to the file. */
START_TEST(test_spill_single_write)
{
	struct spool *sp = spool_new(dir, 1000, 1 << 20);
	const char *p;
	size_t len;

	write_pattern(sp, 10000, 10000);
	ck_assert(spool_on_disk(sp));
	p = spool_data(sp, &len);
	ck_assert_uint_eq(len, 10000);
	check_pattern(p, len);
	ck_assert_int_eq(dir_entries(dir), 0);
	spool_free(sp);
}
END_TEST

/* Past max_scan the bytes are dropped but still counted. */
START_TEST(test_truncate)
{
	struct spool *sp = spool_new(dir, 1000, 5000);
	const char *p;
	size_t len;

	write_pattern(sp, 12345, 777);
	ck_assert_uint_eq(spool_total(sp), 12345);
	ck_assert(spool_truncated(sp));
	ck_assert(spool_on_disk(sp));
	p = spool_data(sp, &len);
	ck_assert_uint_eq(len, 5000);
	check_pattern(p, len);
	ck_assert_int_eq(dir_entries(dir), 0);
	spool_free(sp);
}
END_TEST

/* Truncation also works while still in memory. */
START_TEST(test_truncate_memory)
{
	struct spool *sp = spool_new(dir, 1 << 20, 100);
	const char *p;
	size_t len;

	write_pattern(sp, 250, 60);
	ck_assert(!spool_on_disk(sp));
	ck_assert(spool_truncated(sp));
	ck_assert_uint_eq(spool_total(sp), 250);
	p = spool_data(sp, &len);
	ck_assert_uint_eq(len, 100);
	check_pattern(p, len);
	spool_free(sp);
}
END_TEST

/* A message exactly at max_scan is not truncated. */
START_TEST(test_exact_max)
{
	struct spool *sp = spool_new(dir, 10, 100);

	write_pattern(sp, 100, 7);
	ck_assert(!spool_truncated(sp));
	ck_assert_uint_eq(spool_total(sp), 100);
	spool_free(sp);
}
END_TEST

/* A directory that does not exist, or is a file, fails the spill with -1. */
START_TEST(test_bad_directory)
{
	char *missing = xasprintf("%s/missing", dir);
	char *file = xasprintf("%s/file", dir);
	struct spool *sp;
	char buf[64];
	int fd;

	memset(buf, 'x', sizeof(buf));
	sp = spool_new(missing, 16, 1 << 20);
	ck_assert_int_eq(spool_write(sp, buf, 16), 0);	/* still in memory */
	ck_assert_int_eq(spool_write(sp, buf, 1), -1);
	ck_assert_int_ne(errno, 0);
	ck_assert(!spool_on_disk(sp));
	/* A failed write is a failure, not bytes dropped at max_scan. */
	ck_assert(!spool_truncated(sp));
	/* And it stays failed: the spool no longer holds the message. */
	errno = 0;
	ck_assert_int_eq(spool_write(sp, buf, 1), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert(!spool_truncated(sp));
	spool_free(sp);

	fd = open(file, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	sp = spool_new(file, 16, 1 << 20);
	ck_assert_int_eq(spool_write(sp, buf, sizeof(buf)), -1);
	spool_free(sp);
	unlink(file);

	/* Not writable for an unprivileged user. */
	if (geteuid() != 0) {
		char *ro = xasprintf("%s/ro", dir);

		ck_assert_int_eq(mkdir(ro, 0500), 0);
		sp = spool_new(ro, 16, 1 << 20);
		ck_assert_int_eq(spool_write(sp, buf, sizeof(buf)), -1);
		ck_assert_int_eq(dir_entries(ro), 0);
		spool_free(sp);
		rmdir(ro);
		free(ro);
	}
	free(missing);
	free(file);
}
END_TEST

/* A zero memory limit sends the first byte to the file. */
START_TEST(test_zero_limit)
{
	struct spool *sp = spool_new(dir, 0, 1 << 20);
	const char *p;
	size_t len;

	write_pattern(sp, 1, 1);
	ck_assert(spool_on_disk(sp));
	p = spool_data(sp, &len);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(p[0], 'a');
	spool_free(sp);
}
END_TEST

/*
 * No directory (a stored message): everything kept stays in memory, far
 * past mem_limit, and is still cut at max_scan.
 */
START_TEST(test_no_directory)
{
	struct spool *sp = spool_new(NULL, 16, 1 << 20);
	const char *p;
	size_t len;

	write_pattern(sp, 300000, 4096);
	ck_assert(!spool_on_disk(sp));
	ck_assert_int_eq(spool_fd(sp), -1);
	ck_assert(!spool_truncated(sp));
	p = spool_data(sp, &len);
	ck_assert_uint_eq(len, 300000);
	check_pattern(p, len);
	spool_free(sp);

	sp = spool_new(NULL, 16, 1000);
	write_pattern(sp, 5000, 333);
	ck_assert(!spool_on_disk(sp));
	ck_assert(spool_truncated(sp));
	ck_assert_uint_eq(spool_total(sp), 5000);
	p = spool_data(sp, &len);
	ck_assert_uint_eq(len, 1000);
	check_pattern(p, len);
	spool_free(sp);
	ck_assert_int_eq(dir_entries(dir), 0);
}
END_TEST

/* Bytes the caller never read count as cut; none counts as nothing. */
START_TEST(test_skip)
{
	struct spool *sp = spool_new(NULL, 0, 1 << 20);

	write_pattern(sp, 100, 100);
	spool_skip(sp, 0);
	ck_assert(!spool_truncated(sp));
	ck_assert_uint_eq(spool_total(sp), 100);
	spool_skip(sp, 50);
	ck_assert(spool_truncated(sp));
	ck_assert_uint_eq(spool_total(sp), 150);
	spool_free(sp);
}
END_TEST

/*
 * The daemon's path: headers and a body larger than spool_memory_limit
 * with a spool directory that does not exist.  The failure must be the
 * verdict's reason (on_internal_error, "spool write failed" in the
 * verdict's log line), and nothing may say the message was cut at
 * max_scan_size: it was not.
 */
START_TEST(test_txn_spool_failure)
{
	char *missing = xasprintf("%s/missing", dir);
	char *text = xasprintf("spool_directory = %s\n"
	    "spool_memory_limit = 1k\nmax_scan_size = 1m\n"
	    "on_internal_error = reject\nclamav = off\n", missing);
	char *logpath = xasprintf("%s/log", dir);
	struct snapshot snap;
	struct verdict v;
	struct diag d;
	struct conn *c;
	struct txn *t;
	char body[4096], logbuf[8192];
	int fd, saved;
	ssize_t n;

	diag_init(&d);
	memset(&snap, 0, sizeof(snap));
	snap.refcnt = 1;
	snap.cfg = config_load_string("spool.conf", text, &d);
	ck_assert_msg(snap.cfg != NULL, "%s", d.errors.n ? d.errors.v[0] : "?");
	diag_free(&d);
	c = conn_new(&snap);
	conn_set_client(c, "unknown", "192.0.2.1", NULL);
	t = txn_begin(c, "<a@example.org>");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(txn_header(t, "Subject", "spool"), 0);
	ck_assert_int_eq(txn_eoh(t), 0);
	memset(body, 'x', sizeof(body));
	ck_assert_int_eq(txn_body(t, body, sizeof(body)), -1);
	ck_assert(t->res.internal_error);

	/* What scan_eom logs goes to stderr (no log_open): catch it. */
	fd = open(logpath, O_CREAT | O_RDWR | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, 2), 0);
	scan_eom(c, t, &v);
	scan_log_verdict(c, t, &v, 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, logbuf, sizeof(logbuf) - 1, 0);
	close(fd);
	unlink(logpath);
	ck_assert_int_ge(n, 0);
	logbuf[n] = '\0';

	ck_assert_int_eq(v.action, ACT_REJECT);	/* on_internal_error */
	ck_assert(!t->res.partial);
	ck_assert(!spool_truncated(t->spool));
	ck_assert_ptr_nonnull(t->res.error);
	ck_assert_msg(strstr(t->res.error, "spool write failed") != NULL,
	    "error: %s", t->res.error);
	ck_assert_msg(strstr(logbuf, "error=\"spool write failed") != NULL,
	    "log: %s", logbuf);
	ck_assert_msg(strstr(logbuf, "max_scan_size") == NULL,
	    "log: %s", logbuf);
	ck_assert_msg(strstr(logbuf, "scan=partial") == NULL, "log: %s", logbuf);
	ck_assert_msg(strstr(v.status, "scan=partial") == NULL,
	    "status: %s", v.status);

	verdict_free(&v);
	txn_end(c);
	c->snap = NULL;		/* not refcounted: freed here */
	conn_free(c);
	config_free(snap.cfg);
	free(text);
	free(missing);
	free(logpath);
}
END_TEST

static Suite *
spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_memory);
	tcase_add_test(tc, test_spill);
	tcase_add_test(tc, test_spill_single_write);
	tcase_add_test(tc, test_truncate);
	tcase_add_test(tc, test_truncate_memory);
	tcase_add_test(tc, test_exact_max);
	tcase_add_test(tc, test_bad_directory);
	tcase_add_test(tc, test_zero_limit);
	tcase_add_test(tc, test_no_directory);
	tcase_add_test(tc, test_skip);
	tcase_add_test(tc, test_txn_spool_failure);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(spool_suite());
}
