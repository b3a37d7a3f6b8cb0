/*
 * test_msgfile.c -- stored messages for "warden scan": a regular file is
 * mapped whole, an empty one reads as empty, a pipe is kept up to the
 * bound with the rest counted, a directory is refused; and the message
 * goes through the engine with no spool directory at all, the body
 * turned to CRLF in slices exactly as in one piece (a CR and its LF on
 * either side of a slice's end included), and a cut pipe marked partial.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "msgfile.h"
#include "snapshot.h"
#include "spool.h"
#include "txn.h"
#include "unit.h"

static char *dir;
static struct snapshot snap;

/* A hand-made snapshot: config only (no rules, no antivirus). */
static void
snap_with(const char *keys)
{
	struct diag d;

	diag_init(&d);
	memset(&snap, 0, sizeof(snap));
	snap.refcnt = 1;
	snap.cfg = config_load_string("msgfile.conf", keys, &d);
	ck_assert_msg(snap.cfg != NULL, "%s", d.errors.n ? d.errors.v[0] : "?");
	diag_free(&d);
}

static void
setup(void)
{
	dir = unit_tmpdir();
	memset(&snap, 0, sizeof(snap));
}

static void
teardown(void)
{
	config_free(snap.cfg);
	snap.cfg = NULL;
	rmdir(dir);
	free(dir);
	dir = NULL;
}

static char *
write_file(const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/*
 * A regular file is kept whole, whatever the bound: a small one read, a
 * large one (over 1 MiB) mapped; empty is empty.
 */
START_TEST(test_open_file)
{
	static const char msg[] = "Subject: x\n\nbody\n";
	char *path = write_file("m.eml", msg, sizeof(msg) - 1);
	char *empty = write_file("empty.eml", "", 0);
	size_t biglen = 1024 * 1024 + 1;
	char *bigmsg = xmalloc(biglen);
	char *big;
	struct msgfile mf;

	ck_assert_int_eq(msgfile_open(&mf, path, 4), 0);
	ck_assert_ptr_null(mf.map);
	ck_assert_ptr_nonnull(mf.mem);
	ck_assert_uint_eq(mf.len, sizeof(msg) - 1);
	ck_assert_uint_eq(mf.size, sizeof(msg) - 1);
	ck_assert(memcmp(mf.data, msg, mf.len) == 0);
	msgfile_close(&mf);
	ck_assert_ptr_null(mf.data);

	memset(bigmsg, 'z', biglen);
	big = write_file("big.eml", bigmsg, biglen);
	ck_assert_int_eq(msgfile_open(&mf, big, 4), 0);
	ck_assert_ptr_nonnull(mf.map);
	ck_assert_ptr_null(mf.mem);
	ck_assert_uint_eq(mf.len, biglen);
	ck_assert_uint_eq(mf.size, biglen);
	ck_assert(memcmp(mf.data, bigmsg, biglen) == 0);
	msgfile_close(&mf);
	unlink(big);
	free(big);
	free(bigmsg);

	ck_assert_int_eq(msgfile_open(&mf, empty, 4), 0);
	ck_assert_ptr_nonnull(mf.data);
	ck_assert_uint_eq(mf.len, 0);
	ck_assert_uint_eq(mf.size, 0);
	msgfile_close(&mf);

	errno = 0;
	ck_assert_int_eq(msgfile_open(&mf, dir, 4), -1);
	ck_assert_int_eq(errno, EISDIR);
	msgfile_close(&mf);		/* harmless after a failure */
	unlink(path);
	ck_assert_int_eq(msgfile_open(&mf, path, 4), -1);
	ck_assert_int_eq(errno, ENOENT);
	unlink(empty);
	free(path);
	free(empty);
}
END_TEST

/*
 * Standard input from a pipe: kept up to the bound, the rest read and
 * counted (the writer is never left blocked).
 */
START_TEST(test_open_pipe)
{
	const size_t total = 300000, max = 1000;
	struct msgfile mf;
	int p[2], saved, status;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char buf[4096];

		close(p[0]);
		memset(buf, 'y', sizeof(buf));
		for (size_t n = 0; n < total; n += sizeof(buf)) {
			size_t k = total - n < sizeof(buf) ? total - n :
			    sizeof(buf);

			if (write(p[1], buf, k) != (ssize_t)k)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	saved = dup(0);
	ck_assert_int_ge(dup2(p[0], 0), 0);
	close(p[0]);
	ck_assert_int_eq(msgfile_open(&mf, "-", max), 0);
	dup2(saved, 0);
	close(saved);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_ptr_null(mf.map);
	ck_assert_uint_eq(mf.len, max);
	ck_assert_uint_eq(mf.size, total);
	for (size_t i = 0; i < mf.len; i++)
		ck_assert_int_eq(mf.data[i], 'y');
	msgfile_close(&mf);
}
END_TEST

/*
 * A body of several slices, with a CR and its LF on either side of a
 * slice's end and a line longer than a slice, reaches the spool exactly
 * as msgfile_body_crlf() makes it in one piece, with no spool directory
 * (spool_directory names one that does not exist).
 */
START_TEST(test_scan_body_slices)
{
	static const char head[] = "From: a@example.org\nTo: b@example.org\n"
	    "Subject: slices\n\n";
	const size_t blen = 300000;
	struct msgfile_envelope env = { 0 };
	struct msgfile_outcome oc;
	char *keys = xasprintf("spool_directory = %s/missing\n"
	    "spool_memory_limit = 4k\nclamav = off\n", dir);
	char *msg = xmalloc(sizeof(head) - 1 + blen);
	char *body = msg + sizeof(head) - 1;
	struct buf want;
	const char *got;
	size_t len, boff;

	snap_with(keys);
	memcpy(msg, head, sizeof(head) - 1);
	for (size_t i = 0; i < blen; i++)
		body[i] = (char)('a' + i % 26);
	/* LF lines, CRLF lines, a bare CR, a CR at a slice's last byte. */
	for (size_t i = 70; i < 60000; i += 71)
		body[i] = '\n';
	for (size_t i = 60000; i < 65000; i += 50) {
		body[i] = '\r';
		body[i + 1] = '\n';
	}
	body[65100] = '\r';
	/* 65201..: one line longer than a slice, whose window ends in CR. */
	body[65200] = '\n';
	body[65200 + 65536] = '\r';
	body[65200 + 65537] = '\n';
	for (size_t i = 200000; i < blen; i += 99)
		body[i] = '\n';

	msgfile_scan(&snap, &env, msg, sizeof(head) - 1 + blen, &oc);
	ck_assert(oc.reached_eom);
	ck_assert_ptr_nonnull(oc.conn->txn);
	ck_assert(!oc.conn->txn->res.internal_error);
	ck_assert(!spool_on_disk(oc.conn->txn->spool));
	ck_assert(!spool_truncated(oc.conn->txn->spool));
	ck_assert_int_ne(oc.action, ACT_TEMPFAIL);

	buf_init(&want, 0);
	buf_puts(&want, "From: a@example.org\r\nTo: b@example.org\r\n"
	    "Subject: slices\r\n\r\n");
	msgfile_body_crlf(body, blen, &want);
	got = spool_data(oc.conn->txn->spool, &len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(len, want.len);
	for (boff = 0; boff < len && got[boff] == want.p[boff]; boff++)
		;
	ck_assert_msg(boff == len, "first difference at byte %zu", boff);

	buf_free(&want);
	msgfile_outcome_free(&oc);
	free(msg);
	free(keys);
}
END_TEST

/* A pipe cut at the bound is scanned in part, not failed. */
START_TEST(test_scan_cut)
{
	static const char msg[] = "Subject: cut\n\n0123456789\n";
	struct msgfile_envelope env = { 0 };
	struct msgfile_outcome oc;
	struct msgfile mf = { 0 };

	snap_with("spool_directory = /nonexistent/warden\nclamav = off\n");
	mf.data = msg;
	mf.len = sizeof(msg) - 1;
	mf.size = mf.len + 5000;	/* what a cut pipe looks like */
	msgfile_scan_file(&snap, &env, &mf, &oc);
	ck_assert(oc.reached_eom);
	ck_assert(!oc.conn->txn->res.internal_error);
	ck_assert(oc.conn->txn->res.partial);
	ck_assert(spool_truncated(oc.conn->txn->spool));
	ck_assert_int_ne(oc.action, ACT_TEMPFAIL);
	msgfile_outcome_free(&oc);

	mf.size = mf.len;		/* the whole of it */
	msgfile_scan_file(&snap, &env, &mf, &oc);
	ck_assert(!oc.conn->txn->res.partial);
	msgfile_outcome_free(&oc);
}
END_TEST

static Suite *
msgfile_suite(void)
{
	Suite *s = suite_create("msgfile");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_file);
	tcase_add_test(tc, test_open_pipe);
	tcase_add_test(tc, test_scan_body_slices);
	tcase_add_test(tc, test_scan_cut);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(msgfile_suite());
}
