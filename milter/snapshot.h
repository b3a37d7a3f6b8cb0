/*
 * snapshot.h -- the refcounted bundle {config, rules, antivirus} that a
 * connection pins for its whole life.  Reload builds a complete new
 * snapshot and swaps it in only if everything loaded; in-flight
 * connections finish on the one they pinned, which is freed when the last
 * of them lets go.
 */
#ifndef WARDEN_SNAPSHOT_H
#define WARDEN_SNAPSHOT_H

#include <stdbool.h>

#include "config.h"
#include "diag.h"

struct ruleset;
struct av;

struct stats_db;
struct dkim_signer;

struct snapshot {
	unsigned long   refcnt;	/* guarded by the snapshot lock */
	unsigned long   generation;
	struct config  *cfg;
	struct ruleset *rules;
	struct av      *av;
	struct stats_db *stats;	/* the statistical filter's store, NULL
				 * when off or unreadable (it abstains) */
	struct dns     *dns;	/* the resolver, NULL when dns_resolver
				 * is not set (no network tests) */
	struct dkim_signer *signer;	/* the keys of dkim_sign_domains,
					 * NULL when it is empty */
};

/*
 * Build a snapshot from a config file (NULL: defaults).  On any error
 * returns NULL with every problem in d.  prev, when not NULL, is the
 * snapshot being replaced: a backend may share unchanged parts with it.
 * The new snapshot has one reference, owned by the caller.
 */
struct snapshot *snapshot_build(const char *path, const struct snapshot *prev,
    struct diag *d);
/*
 * The snapshots are the daemon's (warden milter): its statistics store
 * may be written and it autolearns; commands (scan, lint) only read.
 * Called once, before the first snapshot_build().
 */
void snapshot_for_daemon(void);
bool snapshot_daemon(void);
/*
 * The configuration alone, with no rules, antivirus or statistics store:
 * for commands that read messages without judging them (warden learn).
 */
struct snapshot *snapshot_bare(const char *path, struct diag *d);
/* Take one more reference to s. */
void snapshot_ref(struct snapshot *s);
/* Drop one reference; the last one frees everything. */
void snapshot_release(struct snapshot *s);
/* Make s current (taking over the caller's reference). */
void snapshot_install(struct snapshot *s);
/* The current snapshot with a new reference, or NULL before install. */
struct snapshot *snapshot_acquire(void);
/* Drop the current snapshot (at exit). */
void snapshot_clear(void);

#endif
