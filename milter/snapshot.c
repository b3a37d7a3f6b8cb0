/*
 * snapshot.c -- the refcounted {config, rules, antivirus, statistics
 * store} bundle.
 *
 * Locking: one mutex guards "current" and every refcount.  A reference
 * is always taken inside the same critical section that reads "current",
 * so a reload can never free a snapshot between the read and the
 * increment.  Building happens outside the lock; only the swap is inside.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "av.h"
#include "dkim_sign.h"
#include "dns.h"
#include "log.h"
#include "rules.h"
#include "snapshot.h"
#include "stats_db.h"

static void snapshot_destroy(struct snapshot *s);

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static bool daemon_role;	/* snapshot_for_daemon(): set once, at start */
static struct snapshot *current;
static unsigned long generations;

struct snapshot *
snapshot_build(const char *path, const struct snapshot *prev, struct diag *d)
{
	struct snapshot *s;
	struct config *cfg;
	struct ruleset *rs;
	struct av *av;

	if ((cfg = config_load(path, d)) == NULL)
		return NULL;
	if ((rs = rules_load(cfg, d)) == NULL) {
		config_free(cfg);
		return NULL;
	}
	if ((av = av_open(cfg, prev ? prev->av : NULL, d)) == NULL) {
		rules_free(rs);
		config_free(cfg);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->refcnt = 1;
	s->cfg = cfg;
	s->rules = rs;
	s->av = av;
	if (cfg->authentication && cfg->dns_resolver.n == 0) {
		diag_error(d, path ? path : "(defaults)", 0, "authentication "
		    "= yes needs a resolver: set dns_resolver (system, "
		    "recursive, or ADDR[:PORT])");
		snapshot_destroy(s);
		return NULL;
	}
	/* The signing keys, read now: a reload reads rotated keys. */
	if (dkim_signer_load(&cfg->dkim_sign_domains, &cfg->dkim_sign_headers,
	    path ? path : "(defaults)", cfg->dkim_sign_line, &s->signer,
	    d) < 0) {
		snapshot_destroy(s);
		return NULL;
	}
	if (cfg->dns_resolver.n > 0) {
		struct buf err;

		buf_init(&err, 0);
		if ((s->dns = dns_new(cfg, &err)) == NULL) {
			diag_error(d, path ? path : "(defaults)", 0, "%s",
			    err.p);
			buf_free(&err);
			snapshot_destroy(s);
			return NULL;
		}
		buf_free(&err);
	}
	if (cfg->statistics) {
		struct buf err;

		/* No store (not trained yet) or a broken one is no reason
		 * to refuse mail: the filter abstains, and lint says why. */
		buf_init(&err, 0);
		/* The daemon's may be written (autolearn); a command's is
		 * only read. */
		s->stats = stats_db_open_config(cfg, daemon_role ?
		    STATS_DAEMON : STATS_READ, &err);
		if (s->stats == NULL)
			diag_warn(d, path, 0, "%s; the statistical filter "
			    "abstains (no BAYES_* rule hits)", err.p);
		buf_free(&err);
	}
	pthread_mutex_lock(&snap_lock);
	s->generation = ++generations;
	pthread_mutex_unlock(&snap_lock);
	return s;
}

void
snapshot_for_daemon(void)
{
	daemon_role = true;
}

bool
snapshot_daemon(void)
{
	return daemon_role;
}

struct snapshot *
snapshot_bare(const char *path, struct diag *d)
{
	struct snapshot *s;
	struct config *cfg;
	struct ruleset *rs;

	if ((cfg = config_load(path, d)) == NULL)
		return NULL;
	if ((rs = rules_load_text(cfg, "(none)", "", d)) == NULL) {
		config_free(cfg);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->refcnt = 1;
	s->cfg = cfg;
	s->rules = rs;
	return s;
}

static void
snapshot_destroy(struct snapshot *s)
{
	dkim_signer_free(s->signer);
	dns_free(s->dns);
	av_close(s->av);
	stats_db_close(s->stats);
	rules_free(s->rules);
	config_free(s->cfg);
	free(s);
}

void
snapshot_ref(struct snapshot *s)
{
	pthread_mutex_lock(&snap_lock);
	s->refcnt++;
	pthread_mutex_unlock(&snap_lock);
}

void
snapshot_release(struct snapshot *s)
{
	unsigned long left;

	if (s == NULL)
		return;
	pthread_mutex_lock(&snap_lock);
	left = --s->refcnt;
	pthread_mutex_unlock(&snap_lock);
	if (left == 0)
		snapshot_destroy(s);
}

void
snapshot_install(struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&snap_lock);
	old = current;
	current = s;
	pthread_mutex_unlock(&snap_lock);
	if (old != NULL)
		snapshot_release(old);
}

struct snapshot *
snapshot_acquire(void)
{
	struct snapshot *s;

	pthread_mutex_lock(&snap_lock);
	s = current;
	if (s != NULL)
		s->refcnt++;
	pthread_mutex_unlock(&snap_lock);
	return s;
}

void
snapshot_clear(void)
{
	snapshot_install(NULL);
}
