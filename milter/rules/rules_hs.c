/*
 * rules_hs.c -- the multi-pattern prefilter: every regex rule of a kind
 * (and every header rule on the same header) compiled into one Hyperscan
 * database in prefiltering mode, so that one pass over a text tells which
 * rules may match it.  PCRE2 then runs only those candidates and decides,
 * as before: Hyperscan's prefiltering mode reports a superset of the real
 * matches (constructs it cannot match exactly, such as back-references
 * and look-arounds, are widened), so the verdict is the same as without
 * the prefilter, only cheaper.  A rule whose regex Hyperscan cannot
 * compile even widened is not in any database and always runs.
 *
 * Ownership: rules_hs_build() copies what it needs out of the ruleset
 * into a job, and hangs a slot off the ruleset where the built state is
 * published (struct hs_slot: the ruleset and a background build each
 * hold a reference, the last frees it).  The state owns the databases,
 * the id -> rule tables and a pool of scratch spaces (one per thread
 * scanning at the same time, not per connection).  A database is only
 * read once published, by any number of threads; a scratch space is
 * used by one scan at a time (rules_hs_get/put).
 *
 * Text rules of .rules files are compiled in PCRE2's UTF mode; they go
 * into a second database compiled for UTF-8, which is only ever given
 * valid UTF-8 (a text that is not makes all of its rules candidates).
 * SpamAssassin's rules match bytes, as Hyperscan's default mode does.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "rules_int.h"

/* Give r a header group: the same source, header name and modifiers. */
static int
header_group(GHashTable *groups, const struct rule *r)
{
	char *key = xasprintf("%d:%u:%s", (int)r->hsrc, r->hmods,
	    r->hname ? r->hname : "");
	gpointer v;

	for (char *k = key; *k; k++)
		if (*k >= 'A' && *k <= 'Z')
			*k = (char)(*k - 'A' + 'a');
	if (g_hash_table_lookup_extended(groups, key, NULL, &v)) {
		free(key);
		return GPOINTER_TO_INT(v);
	}
	int g = (int)g_hash_table_size(groups);

	g_hash_table_insert(groups, key, GINT_TO_POINTER(g));
	return g;
}

/* Number the header groups; returns how many. */
static size_t
assign_groups(struct ruleset *rs)
{
	GHashTable *groups = g_hash_table_new_full(g_str_hash, g_str_equal,
	    free, NULL);
	size_t n;

	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = rs->rules[i];

		r->hgroup = (r->kind == RK_HEADER && r->eval == NULL) ?
		    header_group(groups, r) : -1;
	}
	n = g_hash_table_size(groups);
	g_hash_table_destroy(groups);
	rs->nhgroups = n;
	return n;
}

#ifdef HAVE_HYPERSCAN
#include <hs.h>

/*
 * Background building (the daemon): set once at start-up, before any
 * rules are loaded.
 */
static bool bg_mode;

void
rules_hs_background(bool on)
{
	bg_mode = on;
}

/*
 * The command line's own cache, used when the configured one cannot be
 * (NULL: none, the daemon's case).  Set once at start-up, before any
 * rules are loaded.
 */
static char *cache_fallback;

void
rules_hs_cache_fallback(const char *dir)
{
	free(cache_fallback);
	cache_fallback = dir != NULL ? xstrdup(dir) : NULL;
}

/* 0 when dir is a directory Warden can write, else the errno why not. */
static int
cache_dir_check(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return errno;
	if (!S_ISDIR(st.st_mode))
		return ENOTDIR;
	if (access(dir, W_OK | X_OK) < 0)
		return errno;
	return 0;
}

int
rules_hs_cache_check(const char *dir)
{
	/* Without the instructions there is nothing to cache. */
	if (hs_valid_platform() != HS_SUCCESS)
		return 0;
	return cache_dir_check(dir);
}

/* One compiled database and the rules its ids stand for. */
struct hs_db {
	hs_database_t *db;
	int    *rule;		/* id -> rule index, -1: refused */
	unsigned n;
	bool    utf8;
};

/*
 * The databases that scan one kind of text (or one header group): byte
 * and UTF-8 ones, each of at most CHUNK patterns and CHUNK_BYTES bytes
 * of them -- Hyperscan's compile time grows faster than the size of the
 * set, while each database costs one more pass over the text.
 */
#define CHUNK		1024
#define CHUNK_BYTES	6000
struct hs_pair {
	struct hs_db *db;
	size_t  n;
};

struct hs_state {
	struct hs_pair kind[RK_NKINDS];
	struct hs_pair *group;	/* header groups, by rule->hgroup */
	size_t  ngroups;
	uint8_t *member;	/* rule index -> in a database */
	size_t  nrules;
	hs_scratch_t *proto;	/* fits every database above */
	pthread_mutex_t lock;
	hs_scratch_t **pool;	/* free scratch spaces */
	size_t  npool, cappool;
	unsigned nin, nout;	/* rules in a database / left out */
	size_t  ndb;
};

/*
 * Where a ruleset finds its prefilter: the state is published here when
 * built (at once, or by a background thread).  The ruleset and that
 * thread each hold a reference; the last one frees the slot and the
 * state.
 */
struct hs_slot {
	struct hs_state *st;	/* atomic: NULL until built */
	int     refs;		/* atomic */
};

/* A pattern to compile, copied out of the ruleset. */
struct job_pat {
	char   *pat;
	unsigned flags;
	int     rule;
};

/* One database to build. */
struct job_set {
	struct job_pat *v;
	unsigned n;
	size_t  bytes;		/* of the patterns */
	bool    utf8;
	int     kind;		/* RK_HEADER: group */
	int     group;
};

/* Everything a build needs: nothing of the ruleset is read after. */
struct hs_job {
	struct job_set *sets;
	size_t  nsets, capsets;
	size_t  ngroups, nrules;
	char   *cachedir;	/* NULL: no cache */
	unsigned nout;		/* left out before compiling */
	struct hs_slot *slot;
};

/*
 * Kinds whose text is a list of strings (body paragraphs, lines of the
 * raw body, URIs, file names, MIME types).  The prefilter scans the list
 * joined by newlines, once per database, with every pattern multi-line:
 * "^" and "$" then match at each string's start and end (and at more
 * places, which only adds candidates), and a match that spans two
 * strings only adds a candidate too.  So the candidates are still a
 * superset of the rules PCRE2 matches string by string.
 */
static bool
list_kind(enum rule_kind k)
{
	return k == RK_BODY || k == RK_RAWBODY || k == RK_URI ||
	    k == RK_FILENAME || k == RK_MIMETYPE;
}

/* Whether p has a backslash escape \c for a c in set (not \\c). */
static bool
has_escape(const char *p, const char *set)
{
	for (; *p; p++)
		if (*p == '\\' && p[1] != '\0') {
			if (strchr(set, p[1]) != NULL)
				return true;
			p++;
		}
	return false;
}

/* Whether p has an inline option setting such as (?-m) or (?^). */
static bool
turns_flag_off(const char *p)
{
	for (; (p = strstr(p, "(?")) != NULL; p += 2) {
		const char *q = p + 2;

		/* (An escaped "\\(?" is caught too: only a rule kept out.) */
		while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		    *q == '-' || *q == '^') {
			if (*q == '-' || *q == '^')
				return true;
			q++;
		}
	}
	return false;
}

/* Is kind one whose rules the prefilter can cover? */
static bool
kind_covered(enum rule_kind k)
{
	switch (k) {
	case RK_HEADER: case RK_BODY: case RK_RAWBODY: case RK_URI:
	case RK_FULL: case RK_FILENAME: case RK_MIMETYPE:
		return true;
	default:
		return false;
	}
}

static unsigned
hs_flags(uint32_t popts)
{
	unsigned f = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH |
	    HS_FLAG_ALLOWEMPTY;

	if (popts & PCRE2_CASELESS)
		f |= HS_FLAG_CASELESS;
	if (popts & PCRE2_DOTALL)
		f |= HS_FLAG_DOTALL;
	if (popts & PCRE2_MULTILINE)
		f |= HS_FLAG_MULTILINE;
	if (popts & PCRE2_UTF)
		f |= HS_FLAG_UTF8;
	return f;
}

/*
 * Hyperscan's compile time grows steeply with large bounded repeats (one
 * of SpamAssassin's patterns takes half a minute alone) and with long
 * patterns (a few seconds each for the longest): patterns with a repeat
 * over MAX_REPEAT always stay out; patterns longer than MAX_PATTERN stay
 * out of a build that waits for them and cannot keep the result (the
 * command line without a usable cache).  They run in PCRE2.
 */
#define MAX_PATTERN	400	/* bytes of pattern */
#define MAX_REPEAT	50	/* the largest n in {n}, {m,n} */

/* The largest bound of a counted repeat in pattern p (0: none). */
static unsigned long
max_repeat(const char *p)
{
	unsigned long max = 0;

	for (; *p; p++) {
		char *e;
		unsigned long a, b;

		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p != '{')
			continue;
		a = strtoul(p + 1, &e, 10);
		if (*e == '}' && e > p + 1)
			b = a;
		else if (*e == ',') {
			char *f;

			b = strtoul(e + 1, &f, 10);
			if (*f != '}')
				continue;
			if (f == e + 1)
				b = a;	/* {n,}: no upper bound to count */
		} else
			continue;
		if (b > max)
			max = b;
	}
	return max;
}

/*
 * Whether r can go into a database: a regex rule of a kind the
 * prefilter covers, whose pattern Hyperscan reads as PCRE2 does as far
 * as a superset goes.  Caseless matching of non-ASCII letters in UTF mode
 * folds more in PCRE2 than Hyperscan promises: such rules stay out.
 */
static bool
rule_ok(const struct rule *r, bool long_ok)
{
	if (!kind_covered(r->kind) || r->re == NULL || r->pat == NULL ||
	    r->eval != NULL || r->hexists)
		return false;
	if ((r->popts & PCRE2_UTF) && (r->popts & PCRE2_CASELESS))
		for (const char *p = r->pat; *p; p++)
			if ((unsigned char)*p >= 0x80)
				return false;
	if ((!long_ok && strlen(r->pat) > MAX_PATTERN) ||
	    max_repeat(r->pat) > MAX_REPEAT)
		return false;
	/* The texts of a list kind are scanned joined (see joined()): a
	 * pattern that can tell where the whole text starts or ends, or
	 * turns multi-line off, would miss lines. */
	if (list_kind(r->kind) && (has_escape(r->pat, "AzZG") ||
	    turns_flag_off(r->pat)))
		return false;
	/* PCRE2 options Hyperscan has no flag for change the meaning. */
	if (r->popts & ~(uint32_t)(PCRE2_CASELESS | PCRE2_DOTALL |
	    PCRE2_MULTILINE | PCRE2_EXTENDED | PCRE2_UTF |
	    PCRE2_MATCH_INVALID_UTF))
		return false;
	return true;
}

/*
 * The compiled-database cache: a database is saved under a name made
 * from Hyperscan's version and every pattern with its flags, so that a
 * restart or a reload with the same rules reads it back in milliseconds
 * instead of compiling it again.  File: "WHS1", the number of patterns,
 * how many of them Hyperscan refused and their positions (uint32 each,
 * host order), then hs_serialize_database()'s bytes.  The directory is
 * trusted as the rule files are; a file that does not read back is
 * compiled again and replaced.
 */
#define CACHE_MAGIC "WHS1"

static char *
cache_path(const char *dir, char *const *pats, const unsigned *flags,
    unsigned m)
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	char *path;

	g_checksum_update(ck, (const guchar *)hs_version(),
	    (gssize)strlen(hs_version()) + 1);
	for (unsigned i = 0; i < m; i++) {
		char f[32];

		snprintf(f, sizeof(f), "%u:", flags[i]);
		g_checksum_update(ck, (const guchar *)f, (gssize)strlen(f));
		g_checksum_update(ck, (const guchar *)pats[i],
		    (gssize)strlen(pats[i]) + 1);
	}
	path = xasprintf("%s/prefilter-%.32s.hsdb", dir,
	    g_checksum_get_string(ck));
	g_checksum_free(ck);
	return path;
}

/* Read a cached database; false when there is none that fits. */
static bool
cache_read(const char *path, unsigned m, hs_database_t **db, bool *refused)
{
	gchar *data = NULL;
	gsize len = 0;
	uint32_t hdr[2];
	size_t off;

	if (!g_file_get_contents(path, &data, &len, NULL))
		return false;
	if (len < 4 + sizeof(hdr) || memcmp(data, CACHE_MAGIC, 4) != 0)
		goto bad;
	memcpy(hdr, data + 4, sizeof(hdr));
	if (hdr[0] != m || hdr[1] > m ||
	    len < 4 + sizeof(hdr) + (size_t)hdr[1] * 4)
		goto bad;
	off = 4 + sizeof(hdr);
	for (uint32_t i = 0; i < hdr[1]; i++, off += 4) {
		uint32_t pos;

		memcpy(&pos, data + off, 4);
		if (pos >= m)
			goto bad;
		refused[pos] = true;
	}
	if (hs_deserialize_database(data + off, len - off, db) != HS_SUCCESS)
		goto bad;
	g_free(data);
	return true;
bad:
	memset(refused, 0, m * sizeof(bool));
	g_free(data);
	return false;
}

/* Save a database (best effort: a cache that cannot be written is
 * only slower). */
static void
cache_write(const char *path, unsigned m, const bool *refused,
    const hs_database_t *db)
{
	char *bytes = NULL, *tmp;
	size_t blen = 0;
	struct buf b;
	uint32_t hdr[2] = { m, 0 };

	if (hs_serialize_database(db, &bytes, &blen) != HS_SUCCESS)
		return;
	for (unsigned i = 0; i < m; i++)
		hdr[1] += refused[i];
	buf_init(&b, blen + 64);
	buf_append(&b, CACHE_MAGIC, 4);
	buf_append(&b, (const char *)hdr, sizeof(hdr));
	for (uint32_t i = 0; i < m; i++)
		if (refused[i])
			buf_append(&b, (const char *)&i, 4);
	buf_append(&b, bytes, blen);
	free(bytes);
	tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	if (g_file_set_contents(tmp, b.p, (gssize)b.len, NULL)) {
		if (rename(tmp, path) != 0)
			(void)unlink(tmp);
	} else
		(void)unlink(tmp);
	free(tmp);
	buf_free(&b);
}

/*
 * Compile one set (or read it from the cache in cachedir, NULL: none)
 * into d.  A pattern Hyperscan refuses is left out (its rule then always
 * runs) and the rest compiled again.  Returns whether there is a
 * database.
 */
static bool
db_build(const struct job_set *set, const char *cachedir, struct hs_db *d,
    struct hs_state *st)
{
	unsigned m = 0, c;
	char  **pats = xcalloc(set->n + 1, sizeof(char *));
	unsigned *flags = xcalloc(set->n + 1, sizeof(unsigned));
	int    *rule = xcalloc(set->n + 1, sizeof(int));
	unsigned *ids = xcalloc(set->n + 1, sizeof(unsigned));
	bool   *refused = xcalloc(set->n + 1, sizeof(bool));
	char  **cp = xcalloc(set->n + 1, sizeof(char *));
	unsigned *cf = xcalloc(set->n + 1, sizeof(unsigned));
	char   *path = NULL;

	memset(d, 0, sizeof(*d));
	d->utf8 = set->utf8;
	for (unsigned i = 0; i < set->n; i++) {
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *err = NULL;

		/* A cheap syntax check first: the multi compile below then
		 * rarely has to start over. */
		if (hs_expression_info(set->v[i].pat, set->v[i].flags, &info,
		    &err) != HS_SUCCESS) {
			hs_free_compile_error(err);
			st->nout++;
			continue;
		}
		free(info);
		pats[m] = set->v[i].pat;
		flags[m] = set->v[i].flags;
		rule[m] = set->v[i].rule;
		m++;
	}
	if (m == 0)
		goto out;
	if (cachedir != NULL) {
		path = cache_path(cachedir, pats, flags, m);
		if (cache_read(path, m, &d->db, refused))
			goto done;
	}
	/* Compile what Hyperscan accepts; ids are positions in pats. */
	for (;;) {
		hs_compile_error_t *err = NULL;

		c = 0;
		for (unsigned i = 0; i < m; i++)
			if (!refused[i]) {
				cp[c] = pats[i];
				cf[c] = flags[i];
				ids[c] = i;
				c++;
			}
		if (c == 0)
			break;
		if (hs_compile_multi((const char *const *)cp, cf, ids, c,
		    HS_MODE_BLOCK, NULL, &d->db, &err) == HS_SUCCESS)
			break;
		d->db = NULL;
		if (err == NULL || err->expression < 0 ||
		    (unsigned)err->expression >= c) {
			/* Not one pattern's fault (too large, ...): no
			 * database; every rule runs. */
			if (err != NULL)
				log_msg(LOG_INFO, "regex prefilter: %s: those "
				    "%u rules run without it", err->message, c);
			hs_free_compile_error(err);
			break;
		}
		refused[ids[err->expression]] = true;
		hs_free_compile_error(err);
	}
	if (d->db != NULL && path != NULL)
		cache_write(path, m, refused, d->db);
done:
	if (d->db != NULL) {
		d->rule = xcalloc(m, sizeof(int));
		d->n = m;
		for (unsigned i = 0; i < m; i++) {
			d->rule[i] = refused[i] ? -1 : rule[i];
			if (refused[i])
				st->nout++;
			else {
				st->member[rule[i]] = 1;
				st->nin++;
			}
		}
	} else
		st->nout += m;
out:
	free(pats);
	free(flags);
	free(rule);
	free(ids);
	free(refused);
	free(cp);
	free(cf);
	free(path);
	return d->db != NULL;
}

static void
pair_free(struct hs_pair *p)
{
	for (size_t i = 0; i < p->n; i++) {
		hs_free_database(p->db[i].db);
		free(p->db[i].rule);
	}
	free(p->db);
	memset(p, 0, sizeof(*p));
}

static void
state_free(struct hs_state *st)
{
	if (st == NULL)
		return;
	for (int k = 0; k < RK_NKINDS; k++)
		pair_free(&st->kind[k]);
	for (size_t g = 0; g < st->ngroups; g++)
		pair_free(&st->group[g]);
	free(st->group);
	free(st->member);
	for (size_t i = 0; i < st->npool; i++)
		hs_free_scratch(st->pool[i]);
	free(st->pool);
	if (st->proto != NULL)
		hs_free_scratch(st->proto);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static void
job_free(struct hs_job *j)
{
	for (size_t i = 0; i < j->nsets; i++) {
		for (unsigned k = 0; k < j->sets[i].n; k++)
			free(j->sets[i].v[k].pat);
		free(j->sets[i].v);
	}
	free(j->sets);
	free(j->cachedir);
	free(j);
}

static void
slot_unref(struct hs_slot *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		state_free(__atomic_load_n(&s->st, __ATOMIC_ACQUIRE));
		free(s);
	}
}

/*
 * A job whose ruleset is gone (its snapshot was replaced by a reload
 * and released) holds the slot's only reference: nobody will read what
 * it builds.
 */
static bool
job_abandoned(const struct hs_job *j)
{
	return __atomic_load_n(&j->slot->refs, __ATOMIC_ACQUIRE) == 1;
}

/* Build every database of the job; NULL when there is none, or when
 * the job was abandoned (checked before each database). */
static struct hs_state *
job_run(const struct hs_job *j)
{
	struct hs_state *st = xcalloc(1, sizeof(*st));
	double t0 = now_ms();

	pthread_mutex_init(&st->lock, NULL);
	st->ngroups = j->ngroups;
	st->group = xcalloc(j->ngroups + 1, sizeof(*st->group));
	st->nrules = j->nrules;
	st->member = xcalloc(j->nrules + 1, 1);
	st->nout = j->nout;
	for (size_t i = 0; i < j->nsets; i++) {
		const struct job_set *set = &j->sets[i];
		struct hs_pair *p = set->kind == RK_HEADER ?
		    &st->group[set->group] : &st->kind[set->kind];
		struct hs_db d;

		if (j->slot != NULL && bg_mode && job_abandoned(j)) {
			log_msg(LOG_INFO, "regex prefilter: build stopped, its "
			    "rules were replaced by a reload");
			state_free(st);
			return NULL;
		}
		if (!db_build(set, j->cachedir, &d, st))
			continue;
		p->db = xrealloc(p->db, (p->n + 1) * sizeof(*p->db));
		p->db[p->n++] = d;
		st->ndb++;
		if (hs_alloc_scratch(d.db, &st->proto) != HS_SUCCESS) {
			log_msg(LOG_WARNING, "regex prefilter: out of memory "
			    "for its scratch space: every regex runs in PCRE2");
			state_free(st);
			return NULL;
		}
	}
	if (st->ndb == 0) {
		state_free(st);
		return NULL;
	}
	if (bg_mode)
		log_msg(LOG_INFO, "regex prefilter ready: %u rules in %zu "
		    "databases, %u in PCRE2 alone (%.1f s)", st->nin, st->ndb,
		    st->nout, (now_ms() - t0) / 1000.0);
	return st;
}

static void
job_publish(struct hs_job *j)
{
	struct hs_state *st = job_run(j);

	__atomic_store_n(&j->slot->st, st, __ATOMIC_RELEASE);
	slot_unref(j->slot);
	job_free(j);
}

/*
 * Background builds run one at a time: a storm of reloads queues them
 * rather than running them all at once, and each that is abandoned by
 * the time its turn comes (or while it runs) stops at once.
 */
static pthread_mutex_t build_turn = PTHREAD_MUTEX_INITIALIZER;

static void *
job_thread(void *arg)
{
	pthread_mutex_lock(&build_turn);
	job_publish(arg);
	pthread_mutex_unlock(&build_turn);
	return NULL;
}

/* Add rule r's pattern to the set for its kind or header group. */
static void
job_add(struct hs_job *j, const struct rule *r)
{
	bool utf8 = (r->popts & PCRE2_UTF) != 0;
	int kind = (int)r->kind, group = r->kind == RK_HEADER ? r->hgroup : -1;
	struct job_set *set = NULL;

	/* The last open set of the same kind, group and mode. */
	for (size_t i = j->nsets; i-- > 0;)
		if (j->sets[i].kind == kind && j->sets[i].group == group &&
		    j->sets[i].utf8 == utf8) {
			if (j->sets[i].n < CHUNK &&
			    j->sets[i].bytes + strlen(r->pat) <= CHUNK_BYTES)
				set = &j->sets[i];
			break;
		}
	if (set == NULL) {
		if (j->nsets == j->capsets) {
			j->capsets = j->capsets ? j->capsets * 2 : 16;
			j->sets = xrealloc(j->sets, j->capsets *
			    sizeof(*j->sets));
		}
		set = &j->sets[j->nsets++];
		memset(set, 0, sizeof(*set));
		set->kind = kind;
		set->group = group;
		set->utf8 = utf8;
		set->v = xcalloc(CHUNK, sizeof(*set->v));
	}
	set->v[set->n].pat = (r->popts & PCRE2_EXTENDED) ?
	    xasprintf("(?x)%s", r->pat) : xstrdup(r->pat);
	set->v[set->n].flags = hs_flags(r->popts) |
	    (list_kind(r->kind) ? HS_FLAG_MULTILINE : 0);
	set->v[set->n].rule = r->index;
	set->bytes += strlen(set->v[set->n].pat);
	set->n++;
}

void
rules_hs_build(struct ruleset *rs, bool enabled, const char *cachedir)
{
	size_t ngroups = assign_groups(rs);
	bool cache_ok;
	struct hs_job *j;
	unsigned *pergroup;
	pthread_t tid;
	pthread_attr_t attr;

	if (!enabled) {
		rs->hs_off_reason = "regex_prefilter = no";
		return;
	}
	if (rs->n == 0)
		return;
	/* "" is no cache by choice: no fallback for that. */
	if (cachedir != NULL && cachedir[0] != '\0' &&
	    cache_dir_check(cachedir) != 0 && cache_fallback != NULL)
		cachedir = cache_fallback;
	cache_ok = cachedir != NULL && cachedir[0] != '\0' &&
	    cache_dir_check(cachedir) == 0;
	if (hs_valid_platform() != HS_SUCCESS) {
		rs->hs_off_reason = "the CPU lacks the instructions Hyperscan "
		    "needs";
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->ngroups = ngroups;
	j->nrules = rs->n;
	j->cachedir = cache_ok ? xstrdup(cachedir) : NULL;
	/* A header with one rule gains nothing from a database. */
	pergroup = xcalloc(ngroups + 1, sizeof(unsigned));
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->hgroup >= 0 &&
		    rule_ok(rs->rules[i], bg_mode || cache_ok))
			pergroup[rs->rules[i]->hgroup]++;
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = rs->rules[i];

		if (!rule_ok(r, bg_mode || cache_ok) ||
		    (r->hgroup >= 0 && pergroup[r->hgroup] < 2)) {
			if (kind_covered(r->kind) && r->re != NULL)
				j->nout++;
			continue;
		}
		job_add(j, r);
	}
	free(pergroup);
	if (j->nsets == 0) {
		job_free(j);
		return;
	}
	rs->hs = xcalloc(1, sizeof(*rs->hs));
	rs->hs->refs = 2;		/* the ruleset's and the build's */
	j->slot = rs->hs;
	if (bg_mode && pthread_attr_init(&attr) == 0) {
		sigset_t all, old;
		bool started;

		(void)pthread_attr_setdetachstate(&attr,
		    PTHREAD_CREATE_DETACHED);
		/*
		 * The builder takes none of the process's signals: one it
		 * did not block (SIGUSR1, SIGTERM) would end the process.
		 * It inherits this mask.
		 */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		started = pthread_create(&tid, &attr, job_thread, j) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
		if (started)
			return;
	}
	job_publish(j);
}

void
rules_hs_free(struct ruleset *rs)
{
	if (rs == NULL || rs->hs == NULL)
		return;
	slot_unref(rs->hs);
	rs->hs = NULL;
}

const struct hs_state *
rules_hs_state(const struct ruleset *rs)
{
	return rs->hs ? __atomic_load_n(&rs->hs->st, __ATOMIC_ACQUIRE) : NULL;
}

bool
rules_hs_member(const struct hs_state *st, int rule)
{
	return st != NULL && rule >= 0 && (size_t)rule < st->nrules &&
	    st->member[rule];
}

void *
rules_hs_get(const struct hs_state *cst)
{
	struct hs_state *st = (struct hs_state *)(uintptr_t)cst;
	hs_scratch_t *s = NULL;

	if (st == NULL)
		return NULL;
	pthread_mutex_lock(&st->lock);
	if (st->npool > 0)
		s = st->pool[--st->npool];
	pthread_mutex_unlock(&st->lock);
	if (s == NULL && hs_clone_scratch(st->proto, &s) != HS_SUCCESS)
		s = NULL;
	return s;
}

void
rules_hs_put(const struct hs_state *cst, void *scratch)
{
	struct hs_state *st = (struct hs_state *)(uintptr_t)cst;

	if (st == NULL || scratch == NULL)
		return;
	pthread_mutex_lock(&st->lock);
	if (st->npool == st->cappool) {
		st->cappool = st->cappool ? st->cappool * 2 : 8;
		st->pool = xrealloc(st->pool, st->cappool * sizeof(*st->pool));
	}
	st->pool[st->npool++] = scratch;
	pthread_mutex_unlock(&st->lock);
}

struct on_match {
	const struct hs_db *d;
	uint8_t *cand;
};

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *ctx)
{
	struct on_match *om = ctx;

	(void)from;
	(void)to;
	(void)flags;
	if (id < om->d->n && om->d->rule[id] >= 0)
		om->cand[om->d->rule[id]] = 1;
	return 0;
}

/* Every rule of d is a candidate (the scan could not say). */
static void
db_all(const struct hs_db *d, uint8_t *cand)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->rule[i] >= 0)
			cand[d->rule[i]] = 1;
}

static void
db_scan(const struct hs_db *d, const char *const *v, const size_t *len,
    size_t n, void *scratch, uint8_t *cand)
{
	struct on_match om = { d, cand };

	if (scratch == NULL) {
		db_all(d, cand);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = len ? len[i] : strlen(v[i]);

		if (l > UINT32_MAX || (d->utf8 && !g_utf8_validate(v[i],
		    (gssize)l, NULL))) {
			db_all(d, cand);
			return;
		}
		if (hs_scan(d->db, v[i], (unsigned)l, 0, scratch, on_match,
		    &om) != HS_SUCCESS) {
			db_all(d, cand);
			return;
		}
	}
}

void
rules_hs_scan(const struct hs_state *st, enum rule_kind kind, int group,
    const char *const *v, const size_t *len, size_t n, void *scratch,
    uint8_t *cand)
{
	const struct hs_pair *p;
	struct buf j;
	const char *jv;

	if (st == NULL)
		return;
	if (kind == RK_HEADER) {
		if (group < 0 || (size_t)group >= st->ngroups)
			return;
		p = &st->group[group];
	} else
		p = &st->kind[kind];
	if (p->n == 0)
		return;
	if (!list_kind(kind) || n <= 1) {
		for (size_t i = 0; i < p->n; i++)
			db_scan(&p->db[i], v, len, n, scratch, cand);
		return;
	}
	/* One pass per database over the strings joined by newlines. */
	buf_init(&j, 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(&j, '\n');
		buf_append(&j, v[i], len ? len[i] : strlen(v[i]));
	}
	jv = j.p ? j.p : "";
	for (size_t i = 0; i < p->n; i++)
		db_scan(&p->db[i], &jv, &j.len, 1, scratch, cand);
	buf_free(&j);
}

void
rules_hs_counts(const struct ruleset *rs, unsigned *in, unsigned *out,
    size_t *ndb)
{
	const struct hs_state *st = rules_hs_state(rs);

	*in = st ? st->nin : 0;
	*out = st ? st->nout : 0;
	*ndb = st ? st->ndb : 0;
}

#else	/* !HAVE_HYPERSCAN */

void
rules_hs_background(bool on)
{
	(void)on;
}

void
rules_hs_cache_fallback(const char *dir)
{
	(void)dir;
}

int
rules_hs_cache_check(const char *dir)
{
	(void)dir;
	return 0;		/* no prefilter, nothing to cache */
}

void
rules_hs_build(struct ruleset *rs, bool enabled, const char *cachedir)
{
	(void)cachedir;
	(void)assign_groups(rs);
	rs->hs_off_reason = enabled ? "Warden was built without Hyperscan" :
	    "regex_prefilter = no";
}

void
rules_hs_free(struct ruleset *rs)
{
	(void)rs;
}

const struct hs_state *
rules_hs_state(const struct ruleset *rs)
{
	(void)rs;
	return NULL;
}

bool
rules_hs_member(const struct hs_state *st, int rule)
{
	(void)st;
	(void)rule;
	return false;
}

void *
rules_hs_get(const struct hs_state *st)
{
	(void)st;
	return NULL;
}

void
rules_hs_put(const struct hs_state *st, void *scratch)
{
	(void)st;
	(void)scratch;
}

void
rules_hs_scan(const struct hs_state *st, enum rule_kind kind, int group,
    const char *const *v, const size_t *len, size_t n, void *scratch,
    uint8_t *cand)
{
	(void)st; (void)kind; (void)group; (void)v; (void)len; (void)n;
	(void)scratch; (void)cand;
}

void
rules_hs_counts(const struct ruleset *rs, unsigned *in, unsigned *out,
    size_t *ndb)
{
	(void)rs;
	*in = *out = 0;
	*ndb = 0;
}

#endif
