/*
 * conn.c -- one MTA connection: its client, HELO and pinned snapshot.
 */
#include "autoconfig.h"

#include <stdlib.h>

#include "conn.h"
#include "snapshot.h"
#include "txn.h"

struct conn *
conn_new(struct snapshot *snap)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->snap = snap;
	c->client_name = xstrdup("unknown");
	c->client_addr = xstrdup("");
	results_init(&c->res);
	return c;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	txn_end(c);
	results_free(&c->res);
	free(c->client_name);
	free(c->client_addr);
	free(c->helo);
	free(c->daemon_name);
	if (c->snap != NULL)
		snapshot_release(c->snap);
	free(c);
}

void
conn_set_client(struct conn *c, const char *name, const char *addr)
{
	free(c->client_name);
	free(c->client_addr);
	c->client_name = xstrdup(name && *name ? name : "unknown");
	c->client_addr = xstrdup(addr ? addr : "");
}

void
conn_set_helo(struct conn *c, const char *helo)
{
	free(c->helo);
	c->helo = xstrdup(helo ? helo : "");
}
