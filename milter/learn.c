/*
 * learn.c -- "warden learn": teach the statistical filter.
 *
 *   warden learn [-c FILE] --spam | --ham | --forget PATH...
 *   warden learn [-c FILE] --stats
 *
 * A PATH is a message file, an mbox file (messages after "From " lines),
 * or a directory, read recursively (a Maildir among others; its tmp/,
 * where deliveries are still being written, is left out).  Each message
 * is tokenized exactly as "warden scan" and the daemon read it
 * (msgfile_tokens()) and learned under the digest of its tokens, so the
 * same message learned twice counts once, and learning it as the other
 * class moves it.  Writes go in batches to the store in
 * statistics_directory while the daemon keeps reading it; with Redis,
 * PIPE messages are sent together and the next ones read while Redis
 * learns them.
 *
 * Run as root, the store is handed to the configured user and group
 * (warden), whose daemon must be able to open it.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "msgfile.h"
#include "snapshot.h"
#include "stats.h"
#include "stats_db.h"

#define BATCH		500	/* messages per commit */
#define PIPE		64	/* messages per send to the store */
#define MAX_DEPTH	32	/* directories deep */

static const char usage_learn[] =
"usage: warden learn [-c FILE] --spam | --ham | --forget PATH...\n"
"       warden learn [-c FILE] --stats\n"
"\n"
"  --spam, --ham  learn the messages as spam, or as legitimate mail\n"
"  --forget       undo what learning them did\n"
"  --stats        what the store holds\n"
"  -c FILE        configuration file (statistics_directory, ...)\n"
"\n"
"A PATH is a message file, an mbox file or a directory (read\n"
"recursively: Maildirs and folders of .eml files).  A message already\n"
"learned as that class counts once; learned as the other, it is moved.\n"
"Safe while the daemon runs.\n";

/* Messages read and tokenized, to be sent to the store together. */
struct pipe {
	struct stats_tok tk[PIPE];
	uint8_t digest[PIPE][STATS_DIGEST_LEN];
	struct stats_learn m[PIPE];
	size_t  n;
};

struct learn {
	struct snapshot *snap;
	struct stats_db *db;
	enum stats_class cls;
	struct strlist files;
	unsigned long done[STATS_UNKNOWN + 1];
	unsigned long unreadable, messages, pending;
	size_t nfiles, filei;
	bool tty;
	struct buf err;
	/* Two batches: one being filled while the store (Redis) works on
	 * the other, sent (flight) and not yet waited for. */
	struct pipe pipe[2];
	int     fill;		/* the one being filled */
	bool    flight;		/* the other one is sent */
};

static bool
is_dir(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file under path, sorted per directory. */
static void
collect(struct learn *l, const char *path, int depth)
{
	struct stat sb;
	struct strlist names = { 0 };
	DIR *dp;
	struct dirent *de;

	if (stat(path, &sb) < 0) {
		fprintf(stderr, "warden learn: %s: %s\n", path,
		    strerror(errno));
		l->unreadable++;
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		strlist_add(&l->files, path);
		return;
	}
	/* Below what was named, a link to a directory is not followed
	 * (a loop would walk forever). */
	if (depth > 0) {
		struct stat lsb;

		if (lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode))
			return;
	}
	if (depth >= MAX_DEPTH || (dp = opendir(path)) == NULL) {
		fprintf(stderr, "warden learn: %s: %s\n", path, depth >=
		    MAX_DEPTH ? "too deep" : strerror(errno));
		l->unreadable++;
		return;
	}
	while ((de = readdir(dp)) != NULL) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", path, de->d_name);
		/* A Maildir's tmp/ holds deliveries not finished. */
		if (strcmp(de->d_name, "tmp") == 0) {
			char *cur = xasprintf("%s/cur", path);
			char *new = xasprintf("%s/new", path);
			bool maildir = is_dir(cur) && is_dir(new);

			free(cur);
			free(new);
			if (maildir) {
				free(p);
				continue;
			}
		}
		strlist_add_owned(&names, p);
	}
	closedir(dp);
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n; i++)
		collect(l, names.v[i], depth + 1);
	strlist_free(&names);
}

static void
progress(struct learn *l, bool last)
{
	if (!l->tty)
		return;
	fprintf(stderr, "\rlearning: %zu/%zu files, %lu messages%s",
	    l->filei, l->nfiles, l->messages, last ? "\n" : "");
}

static int
commit(struct learn *l)
{
	unsigned long expired = 0;

	if (stats_db_commit(l->db, &expired, &l->err) < 0) {
		fprintf(stderr, "warden learn: %s\n", l->err.p);
		return -1;
	}
	if (expired > 0)
		log_msg(LOG_INFO, "statistics: %lu tokens expired "
		    "(statistics_max_tokens %lu)", expired,
		    l->snap->cfg->statistics_max_tokens);
	l->pending = 0;
	return 0;
}

/* The batch in flight: its answers counted, its tokens freed; a
 * commit when BATCH messages wait for one.  -1 on a store failure. */
static int
wait_flight(struct learn *l)
{
	struct pipe *p = &l->pipe[!l->fill];
	int rc;

	if (!l->flight)
		return 0;
	l->flight = false;
	rc = stats_db_learn_wait(l->db, &l->err);
	for (size_t i = 0; i < p->n; i++) {
		if (p->m[i].ok) {
			l->done[p->m[i].done]++;
			l->messages++;
			l->pending++;
		}
		stats_tok_free(&p->tk[i]);
	}
	p->n = 0;
	if (rc < 0) {
		fprintf(stderr, "warden learn: %s\n", l->err.p);
		return -1;
	}
	if (l->pending >= BATCH)
		return commit(l);
	return 0;
}

/* The batch being filled goes to the store (after the one in flight
 * is answered); its answers are taken by the next wait_flight(). */
static int
send_fill(struct learn *l)
{
	struct pipe *p = &l->pipe[l->fill];

	if (wait_flight(l) < 0)
		return -1;
	if (p->n == 0)
		return 0;
	if (stats_db_learn_send(l->db, p->m, p->n, &l->err) < 0) {
		fprintf(stderr, "warden learn: %s\n", l->err.p);
		for (size_t i = 0; i < p->n; i++)
			stats_tok_free(&p->tk[i]);
		p->n = 0;
		return -1;
	}
	l->flight = true;
	l->fill = !l->fill;
	return 0;
}

/* One message: tokenized, then learned with the others of its batch.
 * -1 on a store failure. */
static int
learn_one(struct learn *l, const char *data, size_t len, const char *name)
{
	struct pipe *p = &l->pipe[l->fill];
	struct stats_tok *tk = &p->tk[p->n];
	struct stats_learn *m = &p->m[p->n];

	stats_tok_init(tk, 0, false);
	if (msgfile_tokens(l->snap, data, len, tk) < 0) {
		fprintf(stderr, "warden learn: %s: cannot be read\n", name);
		l->unreadable++;
		stats_tok_free(tk);
		return 0;
	}
	stats_digest(tk->v, tk->n, p->digest[p->n]);
	memset(m, 0, sizeof(*m));
	m->digest = p->digest[p->n];
	m->tok = tk->v;
	m->n = tk->n;
	m->cls = l->cls;
	if (++p->n < PIPE)
		return 0;
	return send_fill(l);
}

/* An mbox: each message starts with a "From " line (not learned). */
static int
learn_mbox(struct learn *l, const char *data, size_t len, const char *name)
{
	size_t start = 0;

	while (start < len) {
		const char *body = memchr(data + start, '\n', len - start);
		size_t from, end = len;

		if (body == NULL)
			break;
		from = (size_t)(body - data) + 1;
		for (const char *p = data + from; p != NULL && p < data + len;) {
			if ((size_t)(data + len - p) > 5 &&
			    memcmp(p, "From ", 5) == 0 && p[-1] == '\n') {
				end = (size_t)(p - data);
				break;
			}
			p = memchr(p, '\n', (size_t)(data + len - p));
			if (p != NULL)
				p++;
		}
		if (end > from && learn_one(l, data + from, end - from,
		    name) < 0)
			return -1;
		start = end;
	}
	return 0;
}

static int
learn_file(struct learn *l, const char *path)
{
	struct msgfile mf;
	int rc;

	if (msgfile_open(&mf, path, l->snap->cfg->max_scan_size) < 0) {
		fprintf(stderr, "warden learn: %s: %s\n", path,
		    strerror(errno));
		l->unreadable++;
		return 0;
	}
	if (mf.len > 5 && memcmp(mf.data, "From ", 5) == 0)
		rc = learn_mbox(l, mf.data, mf.len, path);
	else
		rc = learn_one(l, mf.data, mf.len, path);
	msgfile_close(&mf);
	return rc;
}

/* Run as root: the store goes to the daemon's user and group. */
static void
hand_over(const struct config *cfg)
{
	struct passwd *pw;
	struct group *gr;
	static const char *const files[] = { "", "/data.mdb", "/lock.mdb" };

	if (geteuid() != 0 || cfg->user == NULL || *cfg->user == '\0' ||
	    (pw = getpwnam(cfg->user)) == NULL)
		return;
	gr = cfg->group != NULL ? getgrnam(cfg->group) : NULL;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *p = xasprintf("%s%s", cfg->statistics_directory,
		    files[i]);

		if (chown(p, pw->pw_uid, gr != NULL ? gr->gr_gid :
		    pw->pw_gid) < 0 && errno != ENOENT)
			fprintf(stderr, "warden learn: cannot give %s to %s: "
			    "%s\n", p, cfg->user, strerror(errno));
		free(p);
	}
}

static int
show_stats(struct snapshot *snap)
{
	const struct config *cfg = snap->cfg;
	struct stats_totals t;
	struct stats_db *db;
	struct buf err;
	int rc = 0;

	buf_init(&err, 0);
	db = stats_db_open_config(cfg, STATS_READ, &err);
	if (db == NULL || stats_db_totals(db, &t, &err) < 0) {
		fprintf(stderr, "warden learn: %s\n", err.p);
		rc = EXIT_UNREADABLE;
	} else {
		if (cfg->statistics_backend == STATS_BACKEND_REDIS)
			printf("store: redis %s\n", cfg->statistics_redis);
		else
			printf("store: %s\n", cfg->statistics_directory);
		printf("spam learned: %llu\nham learned: %llu\n",
		    (unsigned long long)t.nspam, (unsigned long long)t.nham);
		if (cfg->statistics_backend == STATS_BACKEND_REDIS)
			printf("tokens: %llu (bounded by Redis's maxmemory)\n",
			    (unsigned long long)t.ntokens);
		else {
			printf("tokens: %llu (statistics_max_tokens %lu)\n",
			    (unsigned long long)t.ntokens,
			    cfg->statistics_max_tokens);
			printf("size: %.1f MB\n", stats_db_size(db) / 1e6);
		}
		if (t.nspam < cfg->statistics_min_learned ||
		    t.nham < cfg->statistics_min_learned)
			printf("the filter abstains until %u of each class "
			    "are learned (statistics_min_learned)\n",
			    cfg->statistics_min_learned);
		if (!cfg->statistics)
			printf("statistics = no: the filter is off; set "
			    "statistics = yes to use it\n");
	}
	stats_db_close(db);
	buf_free(&err);
	return rc;
}

void
learn_summary(const struct snapshot *snap, struct diag *d)
{
	const struct config *cfg = snap->cfg;
	struct stats_totals t;
	struct buf err;

	if (!cfg->statistics) {
		diag_note(d, "statistical filter: off (statistics = no); teach "
		    "it with warden learn --spam and --ham, then set "
		    "statistics = yes");
		return;
	}
	if (snap->stats == NULL)
		return;		/* the load said why */
	buf_init(&err, 0);
	if (stats_db_totals(snap->stats, &t, &err) < 0)
		diag_warn(d, NULL, 0, "%s; the statistical filter abstains",
		    err.p);
	else if (t.nspam < cfg->statistics_min_learned ||
	    t.nham < cfg->statistics_min_learned)
		diag_warn(d, NULL, 0, "the statistical "
		    "filter abstains: %llu spam and %llu ham learned, fewer "
		    "than statistics_min_learned (%u) of each",
		    (unsigned long long)t.nspam, (unsigned long long)t.nham,
		    cfg->statistics_min_learned);
	else
		diag_note(d, "statistical filter: %llu spam and %llu ham "
		    "learned, %llu tokens", (unsigned long long)t.nspam,
		    (unsigned long long)t.nham, (unsigned long long)t.ntokens);
	buf_free(&err);
}

int
cli_learn(int argc, char **argv, const char *default_config)
{
	enum { O_SPAM = 256, O_HAM, O_FORGET, O_STATS };
	static const struct option lo[] = {
		{ "spam", no_argument, NULL, O_SPAM },
		{ "ham", no_argument, NULL, O_HAM },
		{ "forget", no_argument, NULL, O_FORGET },
		{ "stats", no_argument, NULL, O_STATS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *path = default_config;
	struct learn l;
	struct diag d;
	int c, modes = 0, rc = 0;
	bool stats = false;

	memset(&l, 0, sizeof(l));
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case O_SPAM: l.cls = STATS_SPAM; modes++; break;
		case O_HAM: l.cls = STATS_HAM; modes++; break;
		case O_FORGET: l.cls = STATS_FORGET; modes++; break;
		case O_STATS: stats = true; modes++; break;
		case 'h': fputs(usage_learn, stdout); return 0;
		default: fputs(usage_learn, stderr); return EXIT_USAGE;
		}
	}
	if (modes != 1 || (stats && optind != argc) ||
	    (!stats && optind == argc)) {
		fputs(usage_learn, stderr);
		return EXIT_USAGE;
	}
	log_set_level(LOG_WARNING);
	diag_init(&d);
	l.snap = snapshot_bare(path, &d);
	for (size_t i = 0; i < d.errors.n; i++)
		fprintf(stderr, "%s\n", d.errors.v[i]);
	diag_free(&d);
	if (l.snap == NULL)
		return EXIT_USAGE;
	if (stats) {
		rc = show_stats(l.snap);
		snapshot_release(l.snap);
		return rc;
	}
	buf_init(&l.err, 0);
	l.db = stats_db_open_config(l.snap->cfg, STATS_WRITE, &l.err);
	if (l.db == NULL) {
		fprintf(stderr, "warden learn: %s\n", l.err.p);
		snapshot_release(l.snap);
		buf_free(&l.err);
		return EXIT_UNREADABLE;
	}
	for (int i = optind; i < argc; i++)
		collect(&l, argv[i], 0);
	l.nfiles = l.files.n;
	l.tty = isatty(2);
	for (l.filei = 0; l.filei < l.files.n && rc == 0; l.filei++) {
		if (learn_file(&l, l.files.v[l.filei]) < 0)
			rc = EXIT_UNREADABLE;
		if ((l.filei & 63) == 0)
			progress(&l, false);
	}
	/* What is read is learned, and what is sent answered. */
	if (rc == 0 && (send_fill(&l) < 0 || wait_flight(&l) < 0))
		rc = EXIT_UNREADABLE;
	else if (rc != 0)
		(void)wait_flight(&l);
	for (int i = 0; i < 2; i++) {
		for (size_t j = 0; j < l.pipe[i].n; j++)
			stats_tok_free(&l.pipe[i].tk[j]);
		l.pipe[i].n = 0;
	}
	if (rc == 0 && commit(&l) < 0)
		rc = EXIT_UNREADABLE;
	progress(&l, true);
	hand_over(l.snap->cfg);
	if (rc == 0) {
		struct stats_totals t;

		if (l.cls == STATS_FORGET)
			printf("%lu messages: %lu forgotten, %lu never "
			    "learned", l.messages, l.done[STATS_FORGOTTEN],
			    l.done[STATS_UNKNOWN]);
		else
			printf("%lu messages as %s: %lu learned, %lu already "
			    "known, %lu moved from %s", l.messages,
			    l.cls == STATS_SPAM ? "spam" : "ham",
			    l.done[STATS_LEARNED], l.done[STATS_KNOWN],
			    l.done[STATS_MOVED],
			    l.cls == STATS_SPAM ? "ham" : "spam");
		printf("; %lu unreadable\n", l.unreadable);
		if (stats_db_totals(l.db, &t, &l.err) == 0) {
			printf("store: %llu spam, %llu ham, %llu tokens",
			    (unsigned long long)t.nspam,
			    (unsigned long long)t.nham,
			    (unsigned long long)t.ntokens);
			if (stats_db_size(l.db) > 0)
				printf(", %.1f MB", stats_db_size(l.db) / 1e6);
			putchar('\n');
		}
		if (l.unreadable > 0)
			rc = EXIT_UNREADABLE;
	} else
		stats_db_abort(l.db);
	stats_db_close(l.db);
	strlist_free(&l.files);
	buf_free(&l.err);
	snapshot_release(l.snap);
	return rc;
}
