/*
 * test_av.c -- the antivirus module through its interface (av.h), with
 * the real libclamav and a signature made here from the EICAR string.
 * No clamd is needed: the clamd cases here only check configuration
 * handling and a clamd that is not there (tests/av/clamd.sh runs a real
 * one).
 */
#include "autoconfig.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBCLAMAV
#include <clamav.h>
#endif

#include "av.h"
#include "av_int.h"
#include "config.h"
#include "diag.h"
#include "results.h"
#include "util.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: FAIL: %s\n", __FILE__, __LINE__, #c); \
		failures++;						\
	}								\
} while (0)

#ifdef HAVE_LIBCLAMAV
static const char eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-"
    "ANTIVIRUS-TEST-FILE!$H+H*";
#endif

static struct config *
conf(const char *text)
{
	struct diag d;
	struct config *c;
	size_t i;

	diag_init(&d);
	c = config_load_string("test.conf", text, &d);
	for (i = 0; i < d.errors.n; i++)
		fprintf(stderr, "config: %s\n", d.errors.v[i]);
	diag_free(&d);
	if (c == NULL) {
		fprintf(stderr, "config did not load:\n%s\n", text);
		exit(99);
	}
	return c;
}

static bool
diag_has(const struct strlist *l, const char *needle)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strstr(l->v[i], needle) != NULL)
			return true;
	return false;
}

#ifdef HAVE_LIBCLAMAV
static void
b64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, col = 0;
	unsigned v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		buf_putc(out, t[(v >> 18) & 63]);
		buf_putc(out, t[(v >> 12) & 63]);
		buf_putc(out, i + 1 < n ? t[(v >> 6) & 63] : '=');
		buf_putc(out, i + 2 < n ? t[v & 63] : '=');
		if ((col += 4) >= 76) {
			buf_puts(out, "\r\n");
			col = 0;
		}
	}
	buf_puts(out, "\r\n");
}

/* A message with one base64 attachment. */
static void
message(struct buf *m, const void *att, size_t n)
{
	buf_init(m, 0);
	buf_puts(m, "From: <a@example.com>\r\nTo: <b@example.com>\r\n"
	    "Subject: test\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
	    "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
	    "--b1\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"a.bin\"\r\n\r\n");
	b64(m, att, n);
	buf_puts(m, "--b1--\r\n");
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
}

#endif

static void
test_off(void)
{
	struct config *c = conf("clamav = off\n");
	struct diag d;
	struct av *av;
	struct results r;

	diag_init(&d);
	av = av_open(c, NULL, &d);
	CHECK(av != NULL);
	CHECK(!av_enabled(av));
	CHECK(d.errors.n == 0);
	results_init(&r);
	av_scan(av, "x", 1, -1, &r);
	CHECK(r.av == AV_NOT_SCANNED);
	results_free(&r);
	av_summary(av, &d);
	CHECK(diag_has(&d.notes, "off"));
	av_close(av);
	diag_free(&d);
	config_free(c);
}

static void
test_clamd_config(void)
{
	struct config *c;
	struct diag d;
	struct av *av;
	struct results r;
	char dir[] = "/tmp/warden-test-av-XXXXXX", *text;
	struct sockaddr_un sun;
	int ls;
	double t0, t1;

	c = conf("av_backend = clamd\nclamd_socket = inet:99999@localhost\n");
	diag_init(&d);
	av = av_open(c, NULL, &d);
	CHECK(av == NULL);
	CHECK(diag_has(&d.errors, "test.conf: clamd_socket: inet:99999"));
	diag_free(&d);
	config_free(c);

	c = conf("av_backend = clamd\nclamd_socket = tcp:1\n");
	diag_init(&d);
	CHECK(av_open(c, NULL, &d) == NULL);
	CHECK(diag_has(&d.errors, "expected unix:/path or inet:PORT@HOST"));
	diag_free(&d);
	config_free(c);

	/* A clamd that is not there: a warning at open, AV_ERROR at scan. */
	if (mkdtemp(dir) == NULL)
		exit(99);
	text = xasprintf("av_backend = clamd\nclamd_socket = unix:%s/a.sock, "
	    "unix:%s/b.sock\nclamd_timeout = 2s\n", dir, dir);
	c = conf(text);
	diag_init(&d);
	av = av_open(c, NULL, &d);
	CHECK(av != NULL && av_enabled(av));
	CHECK(diag_has(&d.warnings, "a.sock: clamd does not answer"));
	results_init(&r);
	av_scan(av, "Subject: x\r\n\r\nx\r\n", 17, -1, &r);
	CHECK(r.av == AV_ERROR);
	CHECK(!r.internal_error);	/* on_av_error's, not Warden's own */
	CHECK(r.error != NULL && strstr(r.error, "no clamd answered") != NULL);
	CHECK(r.error != NULL && strstr(r.error, "b.sock") != NULL);
	results_free(&r);
	av_summary(av, &d);
	CHECK(diag_has(&d.notes, "round-robin"));
	av_close(av);
	diag_free(&d);
	config_free(c);
	free(text);

	/* A clamd that takes the connection and never answers: the read
	 * timeout ends the wait. */
	text = xasprintf("%s/mute.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", text);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    listen(ls, 16) == 0);
	free(text);
	text = xasprintf("av_backend = clamd\nclamd_socket = unix:%s/mute.sock"
	    "\nclamd_timeout = 1s\n", dir);
	c = conf(text);
	diag_init(&d);
	av = av_open(c, NULL, &d);
	CHECK(av != NULL);
	t0 = now_ms();
	results_init(&r);
	av_scan(av, "Subject: x\r\n\r\nx\r\n", 17, -1, &r);
	t1 = now_ms();
	CHECK(r.av == AV_ERROR);
	CHECK(r.error != NULL && strstr(r.error, "timed out") != NULL);
	CHECK(t1 - t0 >= 900 && t1 - t0 < 5000);
	results_free(&r);
	av_close(av);
	diag_free(&d);
	config_free(c);
	close(ls);
	free(text);
	text = xasprintf("%s/mute.sock", dir);
	unlink(text);
	free(text);
	rmdir(dir);
}

#ifdef HAVE_LIBCLAMAV
static char *
md5hex(const void *p, size_t n)
{
	unsigned char h[16];
	unsigned hl = sizeof(h), i;
	char *s = xmalloc(33);

	if (cl_hash_data("md5", p, n, h, &hl) == NULL)
		exit(99);
	for (i = 0; i < 16; i++)
		sprintf(s + 2 * i, "%02x", h[i]);
	return s;
}

/*
 * Takes every descriptor left under a soft limit of 64, runs the checks,
 * and gives them back.  With none left: a reload of an unchanged handle
 * shares the loaded engine (the directory cannot be read, which is not a
 * change); a new load fails naming the open error, never "no
 * signatures"; afterwards the engine still finds the virus.
 */
static void
no_descriptors(const struct config *c, struct av *av, const struct buf *bad)
{
	struct rlimit old, low;
	struct diag d;
	struct av *av2;
	struct results r;
	int fds[128], n = 0, fd;

	CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low = old;
	low.rlim_cur = 64;
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	while (n < (int)(sizeof(fds) / sizeof(fds[0])) &&
	    (fd = open("/dev/null", O_RDONLY)) >= 0)
		fds[n++] = fd;
	CHECK(open("/dev/null", O_RDONLY) < 0 && errno == EMFILE);

	diag_init(&d);
	av2 = av_open(c, av, &d);	/* shares, as the watcher does */
	CHECK(av2 != NULL && d.errors.n == 0);
	if (av2 != NULL)
		av_close(av2);
	diag_free(&d);
	diag_init(&d);
	av2 = av_open(c, NULL, &d);	/* a load of its own */
	CHECK(av2 == NULL && d.errors.n > 0);
	CHECK(!diag_has(&d.errors, "no signatures"));
	CHECK(diag_has(&d.errors, "Too many open files") ||
	    diag_has(&d.errors, "Can't open"));
	if (d.errors.n > 0)
		printf("load without descriptors reported as: %s\n",
		    d.errors.v[0]);
	if (av2 != NULL)
		av_close(av2);
	diag_free(&d);

	while (n > 0)
		close(fds[--n]);
	CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);
	results_init(&r);
	av_scan(av, bad->p, bad->len, -1, &r);
	CHECK(r.av == AV_VIRUS);
	results_free(&r);
}

static void
test_libclamav(void)
{
	char dir[] = "/tmp/warden-test-av-XXXXXX", *text, *path, *md5, *line;
	struct config *c;
	struct diag d;
	struct av *av, *av2;
	struct results r;
	struct buf bad, good, other;
	static const char other_att[] = "Warden second test signature body";
	FILE *f;
	int fd;

	if (mkdtemp(dir) == NULL)
		exit(99);

	/* A missing directory, then an empty one. */
	text = xasprintf("clamav_database = %s/nope\nclamav_check_interval = 0\n",
	    dir);
	c = conf(text);
	diag_init(&d);
	CHECK(av_open(c, NULL, &d) == NULL);
	CHECK(d.errors.n > 0 && strncmp(d.errors.v[0], dir, strlen(dir)) == 0);
	diag_free(&d);
	config_free(c);
	free(text);

	text = xasprintf("clamav_database = %s\nclamav_check_interval = 0\n",
	    dir);
	c = conf(text);
	free(text);
	diag_init(&d);
	CHECK(av_open(c, NULL, &d) == NULL);
	CHECK(diag_has(&d.errors, "no signatures"));
	diag_free(&d);
	config_free(c);

	/* clamav = optional: no database is a warning, scans do nothing. */
	text = xasprintf("clamav = optional\nclamav_database = %s\n", dir);
	c = conf(text);
	free(text);
	diag_init(&d);
	av = av_open(c, NULL, &d);
	CHECK(av != NULL && !av_enabled(av));
	CHECK(d.errors.n == 0 && diag_has(&d.warnings, "no signatures"));
	av_close(av);
	diag_free(&d);
	config_free(c);

	/* The EICAR signature. */
	md5 = md5hex(eicar, strlen(eicar));
	line = xasprintf("%s:%zu:Warden.Test.EICAR\n", md5, strlen(eicar));
	path = xasprintf("%s/test.hdb", dir);
	write_file(path, line);
	free(path);
	free(line);
	free(md5);
	text = xasprintf("clamav_database = %s\nclamav_check_interval = 0\n",
	    dir);
	c = conf(text);
	free(text);
	diag_init(&d);
	av = av_open(c, NULL, &d);
	CHECK(av != NULL && av_enabled(av));
	if (av == NULL) {
		fprintf(stderr, "%s\n", d.errors.n ? d.errors.v[0] : "?");
		exit(1);
	}
	message(&bad, eicar, strlen(eicar));
	message(&good, "harmless bytes", 14);
	md5 = md5hex(other_att, strlen(other_att));
	message(&other, other_att, strlen(other_att));

	results_init(&r);
	av_scan(av, bad.p, bad.len, -1, &r);
	CHECK(r.av == AV_VIRUS);
	CHECK(r.virus != NULL && strncmp(r.virus, "Warden.Test.EICAR", 17) == 0);
	CHECK(r.av_version != NULL && strncmp(r.av_version, "ClamAV ", 7) == 0);
	CHECK(r.av_version != NULL && strchr(r.av_version, '/') != NULL);
	results_free(&r);

	results_init(&r);
	av_scan(av, good.p, good.len, -1, &r);
	CHECK(r.av == AV_CLEAN && r.virus == NULL && r.av_version != NULL);
	results_free(&r);

	/* Through a file descriptor, as a spool on disk is scanned. */
	path = xasprintf("%s/msg.eml", dir);
	write_file(path, bad.p);
	fd = open(path, O_RDONLY);
	results_init(&r);
	av_scan(av, NULL, bad.len, fd, &r);
	CHECK(r.av == AV_VIRUS);
	results_free(&r);
	close(fd);
	unlink(path);
	free(path);

	av_summary(av, &d);
	CHECK(diag_has(&d.notes, "1 signatures"));

	/* A reload (SIGUSR1) with the database unchanged shares the engine;
	 * with a new file it loads it, at once. */
	av2 = av_open(c, av, &d);
	CHECK(av2 != NULL);
	av_close(av);
	av = av2;
	path = xasprintf("%s/second.hdb", dir);
	line = xasprintf("%s:%zu:Warden.Test.Second\n", md5, strlen(other_att));
	write_file(path, line);
	free(line);
	free(path);
	results_init(&r);
	av_scan(av, other.p, other.len, -1, &r);
	CHECK(r.av == AV_CLEAN);	/* no watcher: not seen yet */
	results_free(&r);
	av2 = av_open(c, av, &d);
	CHECK(av2 != NULL);
	av_close(av);
	av = av2;
	results_init(&r);
	av_scan(av, other.p, other.len, -1, &r);
	CHECK(r.av == AV_VIRUS && r.virus != NULL &&
	    strncmp(r.virus, "Warden.Test.Second", 18) == 0);
	results_free(&r);

	/* A broken file: the reload fails, the old handle keeps working. */
	path = xasprintf("%s/broken.hdb", dir);
	write_file(path, "this is not a signature\n");
	diag_free(&d);
	diag_init(&d);
	av2 = av_open(c, av, &d);
	CHECK(av2 == NULL);
	CHECK(d.errors.n > 0 && strncmp(d.errors.v[0], dir, strlen(dir)) == 0);
	if (d.errors.n > 0)
		printf("broken database reported as: %s\n", d.errors.v[0]);
	results_init(&r);
	av_scan(av, bad.p, bad.len, -1, &r);
	CHECK(r.av == AV_VIRUS);
	results_free(&r);
	unlink(path);
	free(path);

	/* No descriptor left (EMFILE): the watcher and a reload must not
	 * take the unreadable directory for an empty or changed database,
	 * and a first load must say why it failed. */
	no_descriptors(c, av, &bad);

	/* Heuristics: a Heuristics.* name is AV_HEURISTIC. */
	path = xasprintf("%s/heur.hdb", dir);
	line = xasprintf("%s:%zu:Heuristics.Warden.Test\n", md5,
	    strlen(other_att));
	unlink(path);
	f = fopen(path, "w");
	fputs(line, f);
	fclose(f);
	free(line);
	free(path);
	path = xasprintf("%s/second.hdb", dir);
	unlink(path);
	free(path);
	diag_free(&d);
	diag_init(&d);
	av2 = av_open(c, av, &d);
	CHECK(av2 != NULL);
	if (av2 != NULL) {
		av_close(av);
		av = av2;
	}
	results_init(&r);
	av_scan(av, other.p, other.len, -1, &r);
	CHECK(r.av == AV_HEURISTIC);
	results_free(&r);

	av_close(av);
	diag_free(&d);
	config_free(c);
	buf_free(&bad);
	buf_free(&good);
	buf_free(&other);
	free(md5);
	text = xasprintf("rm -rf '%s'", dir);
	if (system(text) != 0)
		failures++;
	free(text);
}
#endif

#ifdef HAVE_LIBCLAMAV
/*
 * A failed write during a scan is seen, whoever made it: libclamav
 * ignores a failed write of a part it extracts, so write() must be
 * Warden's own (the one every library binds to) and keep the errno while
 * the thread scans.  /dev/full fails every write with ENOSPC.
 */
static void
test_io_watch(void)
{
	int fd = open("/dev/full", O_WRONLY);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	av_io_watch(false);
	CHECK(write(fd, "x", 1) < 0);
	CHECK(av_io_errno() == 0);	/* not watching: nothing kept */
	av_io_watch(true);
	CHECK(write(fd, "x", 1) < 0);
	CHECK(av_io_errno() == ENOSPC);
	CHECK(write(1, "", 0) == 0);	/* a good write changes nothing */
	CHECK(av_io_errno() == ENOSPC);
	av_io_watch(false);
	av_io_watch(true);
	CHECK(av_io_errno() == 0);	/* each scan starts clean */
	av_io_watch(false);
	close(fd);
}
#endif

int
main(void)
{
	test_off();
	test_clamd_config();
#ifdef HAVE_LIBCLAMAV
	test_io_watch();
	test_libclamav();
#else
	printf("libclamav not built in: in-process engine tests skipped\n");
#endif
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return 1;
	}
	printf("test_av: all passed\n");
	return 0;
}
