/*
 * conn.h -- one MTA connection (struct conn).
 *
 * A conn lives from connect (for the milter, from option negotiation)
 * to close and pins the snapshot that was current at connect.  It owns
 * every string it holds and the message in progress (txn.h), if any.
 * One thread at a time uses a conn: libmilter calls a connection's
 * callbacks in order, and warden scan has one conn per message.
 */
#ifndef WARDEN_CONN_H
#define WARDEN_CONN_H

#include <stdbool.h>

#include "results.h"

struct dns_set;
struct snapshot;
struct txn;

struct conn {
	struct snapshot *snap;	/* pinned at connect, released at close */
	/*
	 * What this MTA connection agreed to at option negotiation (the
	 * milter makes the conn then, before connect; 0 when there was
	 * none).  Per connection: two MTAs, or Postfix's smtpd and cleanup,
	 * may agree to different steps.
	 */
	unsigned long mta_steps;	/* SMFIP_* */
	unsigned long mta_actions;	/* SMFIF_* */
	char   *client_name;	/* PTR name or "unknown" */
	char   *client_addr;	/* text address, "" for local */
	char   *helo;
	char   *daemon_name;
	bool    trusted;	/* in trusted_networks: not scanned */
	bool    explain;	/* keep what --explain shows (warden scan) */
	struct results res;	/* connect + HELO rule hits */
	struct txn *txn;	/* message in progress, or NULL */
	struct dns_set *dns;	/* lookups of the connection (conn_dns()) */
	unsigned nmsgs;
};

/* snap may be NULL until the connection is known (set it then). */
struct conn *conn_new(struct snapshot *snap);
void conn_free(struct conn *c);	/* frees any txn and releases snap */
/* name and addr as the MTA passes them; resolve: Sendmail's
 * {client_resolve}, or NULL.  See conn.c for the forms taken in. */
void conn_set_client(struct conn *c, const char *name, const char *addr,
    const char *resolve);
void conn_set_helo(struct conn *c, const char *helo);
/*
 * The DNS lookups of the connection, and of its message in progress
 * (whose set has the connection's as parent), made on first use; NULL
 * when the snapshot has no resolver.  Freed with the conn and the txn.
 */
struct dns_set *conn_dns(struct conn *c);
struct dns_set *txn_dns(struct conn *c);

#endif
