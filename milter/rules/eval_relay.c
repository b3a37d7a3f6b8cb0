/*
 * eval_relay.c -- SpamAssassin's RelayEval tests, on the relay chain
 * (relays.c) and the Received headers.  It owns the cache's relay part
 * (the Received headers SpamAssassin would find unparseable) and its
 * table of tests.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval_int.h"
#include "relays.h"
#include "rx.h"
#include "util.h"

/* ---- RelayEval ---- */

/* The relay chain's text, SpamAssassin's relays_{trusted,untrusted}_str. */
char *
eval_relays_str(struct eval_ctx *ec, bool trusted)
{
	const struct relays *rl = rules_hdr_relays(ec);

	return trusted ? relays_format(rl, 0, rl->ntrusted) :
	    relays_format(rl, rl->ntrusted, rl->n);
}

static bool
is_ipv4(const char *s)
{
	int dots = 0, digits = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (digits == 0)
				return false;
			dots++;
			digits = 0;
		} else if (isdigit((unsigned char)*s)) {
			if (++digits > 3)
				return false;
		} else
			return false;
	}
	return dots == 3 && digits > 0;
}

/*
 * Received headers SpamAssassin would count as unparseable: those from
 * a sending host that name no address Warden can read, less the local
 * hand-overs and the forms SpamAssassin itself ignores.
 */
static void
relays_work(struct eval_ctx *ec)
{
	struct eval_relay_cache *c = &eval_cache_get(ec)->relay;
	size_t n = rules_hdr_count(ec);

	if (c->relays_done)
		return;
	c->relays_done = true;
	for (size_t i = 0; i < n; i++) {
		struct relay rr;
		const char *v;

		if (strcasecmp(rules_hdr_name(ec, i), "Received") != 0)
			continue;
		v = rules_hdr_rawvalue(ec, i);
		if (relays_parse_received(v, &rr) == 0) {
			relays_relay_clear(&rr);
			continue;
		}
		/* Forms SpamAssassin ignores, and those with an address it
		 * would read where Warden's reader does not. */
		{
			char *sq = eval_squash_ws(xstrdup(v));
			bool skip;

			eval_trim(sq);
			skip = eval_rx_match(RX_RCVD_IGNORE, sq) ||
			    eval_rx_match(RX_RCVD_IP, sq);
			free(sq);
			if (skip)
				continue;
		}
		c->nunparseable++;
	}
}

static unsigned
ev_all_trusted(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	relays_work(ec);
	return rl->ntrusted > 0 && rl->n == rl->ntrusted &&
	    eval_cache_get(ec)->relay.nunparseable == 0;
}

static unsigned
ev_no_relays(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	relays_work(ec);
	return rl->n == 0 && eval_cache_get(ec)->relay.nunparseable == 0;
}

static unsigned
ev_relays_unparseable(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	relays_work(ec);
	return eval_cache_get(ec)->relay.nunparseable > 0;
}

/*
 * As SpamAssassin's _check_received_helos() computes it: each public
 * untrusted hop sets the result afresh, so the oldest one decides.
 */
static unsigned
ev_no_rdns_dotcom_helo(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);
	unsigned hit = 0;

	(void)r;
	for (size_t i = rl->ntrusted; i < rl->n; i++) {
		const struct relay *h = &rl->v[i];

		if (relays_ip_private(h->ip) || h->helo == NULL)
			continue;
		hit = eval_rx_match(RX_NO_RDNS_HELO, h->helo) && h->no_rdns;
	}
	return hit;
}

static unsigned
ev_helo_ip_mismatch(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	for (size_t i = rl->ntrusted; i < rl->n; i++) {
		const struct relay *h = &rl->v[i];
		const char *d3;
		size_t pre;

		if (!is_ipv4(h->helo) || relays_ip_private(h->helo))
			continue;
		if (!is_ipv4(h->ip) || relays_ip_private(h->ip) ||
		    strcmp(h->helo, h->ip) == 0)
			continue;
		/* The first three octets of the HELO, with the dot. */
		d3 = strrchr(h->helo, '.');
		pre = (size_t)(d3 - h->helo) + 1;
		if (strncmp(h->ip, h->helo, pre) != 0)
			return 1;
	}
	return 0;
}

/* RelayEval's hostname_to_domain(). */
static char *
host_to_domain(const char *h)
{
	const char *p, *labels[3] = { NULL, NULL, NULL };
	size_t nl = 0, n = strlen(h);
	bool alpha = false;

	for (p = h; *p; p++)
		if (isalpha((unsigned char)*p))
			alpha = true;
	if (!alpha)
		return xstrdup(h);
	for (p = h + n; p > h && nl < 3; p--)
		if (p[-1] == '.')
			labels[nl++] = p;
	{
		/* Perl's split drops trailing empty fields. */
		size_t parts = 1;

		for (p = h; *p; p++)
			if (*p == '.')
				parts++;
		if (parts > 1 && labels[0] != NULL) {
			const char *last = labels[0];
			bool tld3 = strlen(last) >= 3 ||
			    strstr(last, "ie") || strstr(last, "fr") ||
			    strstr(last, "de");
			bool ws = false;

			for (p = last; *p; p++)
				if (isspace((unsigned char)*p))
					ws = true;
			if (tld3 && !ws)
				return xstrdup(labels[1] ? labels[1] : h);
		}
		if (parts > 2)
			return xstrdup(labels[2] ? labels[2] : h);
	}
	return xstrdup(h);
}

static bool
dotted_host(const char *s)
{
	/* ^\w+(?:[\w.-]+\.)+\w+$ */
	const char *last_dot = strrchr(s, '.');

	if (last_dot == NULL || last_dot == s || last_dot[1] == '\0')
		return false;
	if (!(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '.' ||
		    *p == '-'))
			return false;
	for (const char *p = last_dot + 1; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return false;
	/* At least one character between the first word and the dot. */
	return last_dot - s >= 2;
}

static unsigned
ev_forged_received_trail(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);
	size_t nu = rl->n - rl->ntrusted;
	char **from, *prev;
	unsigned mismatch = 0;

	(void)r;
	if (nu == 0)
		return 0;
	from = xcalloc(nu, sizeof(*from));
	for (size_t i = 0; i < nu; i++) {
		const struct relay *h = &rl->v[rl->ntrusted + i];
		char *lc = eval_lower(xstrdup(h->rdns));

		from[i] = host_to_domain(lc);
		free(lc);
		if ((strcmp(from[i], "localhost") == 0 ||
		    strcmp(from[i], "localhost.localdomain") == 0) &&
		    strcmp(h->ip, "127.0.0.1") == 0) {
			free(from[i]);
			from[i] = NULL;
		}
	}
	for (size_t i = 0; i < nu; i++) {
		const struct relay *h = &rl->v[rl->ntrusted + i];
		char *lc = eval_lower(xstrdup(h->by)), *by = host_to_domain(lc);

		free(lc);
		if (!dotted_host(by)) {
			free(by);
			continue;
		}
		prev = i > 0 ? from[i - 1] : NULL;
		if (prev != NULL && dotted_host(prev) && strcmp(by, prev) != 0 &&
		    !(strcmp(by, "msn.com") == 0 &&
		    strcmp(prev, "hotmail.com") == 0))
			mismatch++;
		free(by);
	}
	for (size_t i = 0; i < nu; i++)
		free(from[i]);
	free(from);
	return mismatch > 1;
}

static unsigned
ev_numeric_helo(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	for (size_t i = rl->ntrusted; i < rl->n; i++)
		if (is_ipv4(rl->v[i].helo) && !relays_ip_private(rl->v[i].helo))
			return 1;
	return 0;
}

static unsigned
ev_sender_no_reverse(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);
	const struct relay *h;

	(void)r;
	if (rl->n == rl->ntrusted)
		return 0;
	h = &rl->v[rl->n - 1];
	return strchr(h->rdns, '.') != NULL && !relays_ip_private(h->ip);
}

static unsigned
ev_forged_received_ip_helo(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	for (size_t i = rl->ntrusted; i < rl->n; i++) {
		const struct relay *h = &rl->v[i];
		char *lc = eval_lower(xstrdup(h->by)), *by = host_to_domain(lc);
		bool ok = dotted_host(by);

		free(lc);
		free(by);
		if (!ok || !is_ipv4(h->helo) || !is_ipv4(h->ip) ||
		    strcmp(h->helo, h->ip) == 0 || relays_ip_private(h->helo))
			continue;
		/* Different class B networks. */
		{
			const char *a = strchr(h->helo, '.');
			const char *b = strchr(h->ip, '.');

			a = strchr(a + 1, '.');
			b = strchr(b + 1, '.');
			if (a - h->helo != b - h->ip ||
			    strncmp(h->helo, h->ip, (size_t)(a - h->helo)) != 0)
				return 1;
		}
	}
	return 0;
}

/*
 * check_for_from_domain_in_received_headers(DOMAIN, 'true'|'false'):
 * when From's address has DOMAIN (a word start, any case), whether a
 * relay both came from an rDNS name and was received by a host in
 * DOMAIN (SpamAssassin puts DOMAIN into that regex as written), compared
 * with the wanted answer; without DOMAIN in From, never.
 */
static unsigned
ev_from_domain_in_received(const struct rule *r, struct eval_ctx *ec)
{
	bool want = strcmp(r->eargs[1], "true") == 0, hit;
	char *from = eval_hget_addr(ec, "From"), *tr, *un, *all;

	hit = eval_arg_match(r->ere[0], from);
	free(from);
	if (!hit)
		return 0;
	tr = eval_relays_str(ec, true);
	un = eval_relays_str(ec, false);
	all = xasprintf("%s\n%s", tr, un);
	hit = eval_arg_match(r->ere[1], all);
	free(tr);
	free(un);
	free(all);
	return hit == want;
}

/* Its two regexes, made of DOMAIN when the rule is defined. */
static void
prep_from_domain(struct rule *r, int na)
{
	const char *dom = r->eargs[0];
	struct buf p;

	(void)na;
	r->ere = xcalloc(EVAL_NRE, sizeof(*r->ere));
	buf_init(&p, 0);
	buf_puts(&p, "(?i)\\b");
	eval_quote_meta(&p, dom);
	r->ere[0] = rx_compile(p.p, p.len, 0, true, NULL, 0);
	buf_reset(&p);
	buf_printf(&p, " rdns=\\S*\\b%s [^\\]]*by=\\S*\\b%s ", dom, dom);
	r->ere[1] = rx_compile(p.p, p.len, 0, true, NULL, 0);
	buf_free(&p);
}

/* ---- The table ---- */

const struct eval_def eval_relay_tests[] = {
	/* RelayEval */
	{ "check_all_trusted", K_ANY, 0, 0, 0, ev_all_trusted },
	{ "check_no_relays", K_ANY, 0, 0, 0, ev_no_relays },
	{ "check_relays_unparseable", K_ANY, 0, 0, 0, ev_relays_unparseable },
	{ "check_for_from_domain_in_received_headers", K_ANY, 2, 2, 0,
	  ev_from_domain_in_received, prep_from_domain },
	{ "check_for_no_rdns_dotcom_helo", K_ANY, 0, 0, 0,
	  ev_no_rdns_dotcom_helo },
	{ "helo_ip_mismatch", K_ANY, 0, 0, 0, ev_helo_ip_mismatch },
	{ "check_for_forged_received_trail", K_ANY, 0, 0, 0,
	  ev_forged_received_trail },
	{ "check_for_forged_received_ip_helo", K_ANY, 0, 0, 0,
	  ev_forged_received_ip_helo },
	{ "check_for_numeric_helo", K_ANY, 0, 0, 0, ev_numeric_helo },
	{ "check_for_illegal_ip", K_ANY, 0, 0, 0, eval_never },
	{ "check_for_sender_no_reverse", K_ANY, 0, 0, 0,
	  ev_sender_no_reverse },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};
