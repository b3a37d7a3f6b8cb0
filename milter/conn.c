/*
 * conn.c -- one MTA connection: its client, HELO and pinned snapshot.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "dns.h"
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
	dns_set_free(c->dns);	/* before the snapshot: its resolver */
	results_free(&c->res);
	free(c->client_name);
	free(c->client_addr);
	free(c->helo);
	free(c->daemon_name);
	if (c->snap != NULL)
		snapshot_release(c->snap);
	free(c);
}

/*
 * The MTAs name a client without a (verified) PTR name differently:
 * Postfix passes "unknown"; Sendmail passes the address in brackets
 * ("[192.0.2.7]", "[IPv6:2001:db8::7]") and says in {client_resolve}
 * how the name was found: OK, FAIL (no PTR), FORGED (a PTR name whose
 * forward lookup does not give the address back), TEMP.  All but OK
 * become "unknown" here, as Postfix reports them (its client name is
 * the verified one), so that rules and the relay chain (rdns=, which
 * SpamAssassin's RDNS_NONE reads) see one form whatever the MTA.
 */
static bool
name_unverified(const char *name, const char *resolve)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (n == 0 || strcmp(name, "unknown") == 0)
		return true;
	if (name[0] == '[' && name[n - 1] == ']')
		return true;
	return resolve != NULL && *resolve != '\0' &&
	    strcmp(resolve, "OK") != 0;
}

void
conn_set_client(struct conn *c, const char *name, const char *addr,
    const char *resolve)
{
	free(c->client_name);
	free(c->client_addr);
	c->client_name = xstrdup(name_unverified(name, resolve) ? "unknown" :
	    name);
	/* Sendmail's local submission (sendmail -bs, or -t through its
	 * submission queue) has no client address: {client_addr} is "0".
	 * It is this host, as Postfix says 127.0.0.1 for its local mail. */
	if (addr != NULL && (strcmp(addr, "0") == 0 ||
	    strcmp(addr, "0.0.0.0") == 0))
		addr = "127.0.0.1";
	c->client_addr = xstrdup(addr ? addr : "");
}

void
conn_set_helo(struct conn *c, const char *helo)
{
	free(c->helo);
	c->helo = xstrdup(helo ? helo : "");
}

struct dns_set *
conn_dns(struct conn *c)
{
	if (c->dns == NULL && c->snap != NULL && c->snap->dns != NULL)
		c->dns = dns_set_new(c->snap->dns, NULL,
		    c->snap->cfg->dns_max_queries);
	return c->dns;
}

struct dns_set *
txn_dns(struct conn *c)
{
	struct dns_set *parent = conn_dns(c);

	if (c->txn == NULL || parent == NULL)
		return parent;
	if (c->txn->dns == NULL)
		c->txn->dns = dns_set_new(c->snap->dns, parent,
		    c->snap->cfg->dns_max_queries);
	return c->txn->dns;
}
