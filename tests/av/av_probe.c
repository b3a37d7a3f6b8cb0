/*
 * av_probe.c -- drives the antivirus module directly (av_open/av_scan),
 * for the tests in tests/av/ and for memory measurements.  No mocks: the
 * real backends with real signatures made by the calling script.
 *
 *   av_probe -c CONF [-f] FILE...
 *	scan each FILE (a whole message) once and print
 *	"FILE<TAB>STATUS<TAB>NAME<TAB>VERSION".  -f scans through a file
 *	descriptor instead of memory.
 *   av_probe -c CONF -w SECS -e STATUS[:NAME] [-n THREADS] [-R] FILE
 *	scan FILE over and over in THREADS threads until every thread sees
 *	STATUS (and NAME), or SECS pass.  Prints "ready" once the engine
 *	is loaded (the caller then changes the database) and, at the end,
 *	the scans done and how many failed.  -R also reopens the handle
 *	with the old one as prev once the caller sends a line on stdin, as
 *	a SIGUSR1 reload does.  Exit 0 when reached with no failed scan.
 *   av_probe -c CONF -m [-w SECS -e STATUS[:NAME] FILE]
 *	print resident memory (kB) after loading; with -w, also the peak
 *	while waiting for a reload that brings STATUS, and after it.
 *
 *   av_probe -B
 *	exit 0 when libclamav is built in, 77 (skip) when not.
 *
 * Exit 2 when the config or antivirus cannot be opened (problems on
 * stderr), 1 when an expectation fails.
 */
#include "autoconfig.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "av.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "results.h"
#include "util.h"

static const char *status_names[] = { "NOT_SCANNED", "CLEAN", "VIRUS",
	"HEURISTIC", "ERROR" };

struct msg {
	char   *p;
	size_t  len;
	int     fd;
};

static struct av *volatile cur_av;
static pthread_rwlock_t av_lock = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int stop;
static atomic_ulong nscans, nerrors;
static const char *want_status;
static const char *want_name;

static int
read_msg(const char *path, struct msg *m, int use_fd)
{
	struct stat sb;
	int fd;

	m->p = NULL;
	m->len = 0;
	m->fd = -1;
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "av_probe: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (use_fd) {
		m->fd = fd;
		m->len = (size_t)sb.st_size;
		return 0;
	}
	m->len = (size_t)sb.st_size;
	m->p = xmalloc(m->len + 1);
	if (read(fd, m->p, m->len) != (ssize_t)m->len) {
		fprintf(stderr, "av_probe: %s: short read\n", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static long
mem_kb(const char *field)
{
	FILE *f;
	char line[256];
	long v = -1;
	size_t n = strlen(field);

	f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

static void
reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f != NULL) {
		fputs("5", f);
		fclose(f);
	}
}

static bool
matches(const struct results *r)
{
	if (strcmp(status_names[r->av], want_status) != 0)
		return false;
	return want_name == NULL ||
	    (r->virus != NULL && strcmp(r->virus, want_name) == 0);
}

static struct av *
av_get(void)
{
	return cur_av;
}

struct worker {
	pthread_t    tid;
	struct msg  *m;
	atomic_int   seen;		/* the last scan matched */
};

static void *
worker(void *arg)
{
	struct worker *w = arg;
	struct results r;

	while (!atomic_load(&stop)) {
		results_init(&r);
		pthread_rwlock_rdlock(&av_lock);	/* the snapshot pin */
		av_scan(av_get(), w->m->p, w->m->len, w->m->fd, &r);
		pthread_rwlock_unlock(&av_lock);
		atomic_fetch_add(&nscans, 1);
		if (r.av == AV_ERROR) {
			atomic_fetch_add(&nerrors, 1);
			fprintf(stderr, "av_probe: scan failed: %s\n",
			    r.error != NULL ? r.error : "?");
		}
		atomic_store(&w->seen, matches(&r));
		results_free(&r);
		usleep(2000);
	}
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: av_probe -c CONF [-f] [-m] [-w SECS -e "
	    "STATUS[:NAME] [-n THREADS] [-R]] FILE...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *conf = NULL;
	struct config *cfg;
	struct diag d;
	struct av *av, *nav;
	struct results r;
	struct msg m;
	struct worker *ws;
	double t0, waitsecs = 0;
	char *want = NULL, *colon, line[64];
	int ch, i, use_fd = 0, memory = 0, nthreads = 1, reopen = 0, all;
	int status = 0;
	size_t k;
	long rss0, peak, rss1, rss2;

	while ((ch = getopt(argc, argv, "Bc:fmw:e:n:R")) != -1) {
		switch (ch) {
		case 'B':
#ifdef HAVE_LIBCLAMAV
			return 0;
#else
			return 77;
#endif
		case 'c': conf = optarg; break;
		case 'f': use_fd = 1; break;
		case 'm': memory = 1; break;
		case 'w': waitsecs = atof(optarg); break;
		case 'e': want = optarg; break;
		case 'n': nthreads = atoi(optarg); break;
		case 'R': reopen = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (conf == NULL || (waitsecs > 0 && (want == NULL || argc != 1)) ||
	    nthreads < 1 || (argc == 0 && !memory))
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	diag_init(&d);
	cfg = config_load(conf, &d);
	if (cfg == NULL) {
		for (k = 0; k < d.errors.n; k++)
			fprintf(stderr, "%s\n", d.errors.v[k]);
		return 2;
	}
	av = av_open(cfg, NULL, &d);
	for (k = 0; k < d.warnings.n; k++)
		fprintf(stderr, "warning: %s\n", d.warnings.v[k]);
	if (av == NULL) {
		for (k = 0; k < d.errors.n; k++)
			fprintf(stderr, "%s\n", d.errors.v[k]);
		return 2;
	}
	cur_av = av;
	rss0 = mem_kb("VmRSS");
	if (memory)
		printf("rss_loaded_kb %ld\n", rss0);

	if (waitsecs <= 0) {
		for (i = 0; i < argc; i++) {
			if (read_msg(argv[i], &m, use_fd) < 0) {
				status = 1;
				continue;
			}
			results_init(&r);
			av_scan(av, m.p, m.len, m.fd, &r);
			printf("%s\t%s\t%s\t%s%s%s\n", argv[i],
			    status_names[r.av], r.virus ? r.virus : "-",
			    r.av_version ? r.av_version : "-",
			    r.error ? "\t" : "", r.error ? r.error : "");
			results_free(&r);
			free(m.p);
			if (m.fd >= 0)
				close(m.fd);
		}
		goto done;
	}

	want_status = want;
	if ((colon = strchr(want, ':')) != NULL) {
		*colon = '\0';
		want_name = colon + 1;
	}
	if (read_msg(argv[0], &m, use_fd) < 0)
		return 1;
	ws = xcalloc((size_t)nthreads, sizeof(*ws));
	for (i = 0; i < nthreads; i++) {
		ws[i].m = &m;
		pthread_create(&ws[i].tid, NULL, worker, &ws[i]);
	}
	usleep(50000);
	reset_peak();
	printf("ready\n");
	if (reopen) {
		/* A SIGUSR1 reload: build the new handle from the old. */
		if (fgets(line, sizeof(line), stdin) == NULL)
			line[0] = '\0';
		nav = av_open(cfg, av, &d);
		if (nav == NULL) {
			for (k = 0; k < d.errors.n; k++)
				fprintf(stderr, "reopen: %s\n", d.errors.v[k]);
			printf("reopen failed: keeping the old handle\n");
		} else {
			pthread_rwlock_wrlock(&av_lock);
			cur_av = nav;
			pthread_rwlock_unlock(&av_lock);
			av_close(av);
			av = nav;
			printf("reopened\n");
		}
	}
	t0 = now_ms();
	all = 0;
	while (now_ms() - t0 < waitsecs * 1000) {
		for (all = 1, i = 0; i < nthreads; i++)
			all &= atomic_load(&ws[i].seen);
		if (all)
			break;
		usleep(20000);
	}
	peak = mem_kb("VmHWM");
	atomic_store(&stop, 1);
	for (i = 0; i < nthreads; i++)
		pthread_join(ws[i].tid, NULL);
	free(ws);
	usleep(100000);
	rss1 = mem_kb("VmRSS");
#ifdef __GLIBC__
	/* Freed but kept by malloc, or still in use? */
	malloc_trim(0);
#endif
	rss2 = mem_kb("VmRSS");
	printf("%s after %.1f s: %lu scans, %lu failed\n",
	    all ? "reached" : "NOT reached", (now_ms() - t0) / 1000,
	    atomic_load(&nscans), atomic_load(&nerrors));
	if (memory)
		printf("rss_peak_kb %ld\nrss_after_kb %ld\n"
		    "rss_after_trim_kb %ld\nextra_peak_kb %ld\n",
		    peak, rss1, rss2, peak - rss0);
	status = all && atomic_load(&nerrors) == 0 ? 0 : 1;
	free(m.p);
	if (m.fd >= 0)
		close(m.fd);
done:
	av_close(av);
	config_free(cfg);
	diag_free(&d);
	return status;
}
