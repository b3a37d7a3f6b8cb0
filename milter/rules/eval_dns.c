/*
 * eval_dns.c -- SpamAssassin's DNSEval blocklist tests (check_rbl,
 * check_rbl_txt, check_rbl_sub), run natively on the engine's resolver
 * (dns.h), and the lookups of Warden's own stage rules ("connect NAME
 * dnsbl:ZONE", helo and envfrom).  Defined only when a resolver is
 * configured (dns_resolver; the score set then has its network bit).
 *
 * Which addresses a check_rbl rule looks up follows DNSEval.pm's
 * _check_rbl_backend(): the set name's suffix picks them from the relay
 * chain (the MTA's client is its newest hop): "-lastexternal" the
 * first hop outside internal_relays, "-notfirsthop" every external hop
 * but the oldest, "-firsttrusted" the first untrusted hop, "-untrusted"
 * the untrusted hops but that one, and no suffix every untrusted hop,
 * oldest first; private addresses left out, at most num_check_received
 * (9), and hops in trusted_relays dropped from the front unless the
 * rule is tflags nice.
 *
 * The lookups of the whole message start together, on the first test
 * that needs DNS (eval_dns_prepare()): every enabled network test's
 * names are asked at once (those of the client were asked at connect
 * and are found in the connection's set), then the message waits once,
 * until its DNS deadline, and the tests read the answers.  An answer
 * missing at the deadline counts as not listed and is recorded as
 * dns=timeout; a SERVFAIL or a resolver down as dns=error.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "dns.h"
#include "eval_int.h"
#include "mime.h"
#include "relays.h"
#include "rx.h"
#include "util.h"

#define NUM_CHECK_RECEIVED	9	/* SpamAssassin's default */

/* ---- The addresses of a set ---- */

static bool
ip_seen(char **v, size_t n, const char *ip)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], ip) == 0)
			return true;
	return false;
}

/* ip_list_uniq_and_strip_private() over hops [from, to) that pass
 * want(); borrowed strings into v (room for rl->n). */
static size_t
hop_ips(const struct relays *rl, bool external_only, char **v)
{
	size_t n = 0;

	for (size_t i = 0; i < rl->n; i++) {
		const struct relay *h = &rl->v[i];

		if (i < rl->ntrusted && (!external_only || h->internal))
			continue;
		if (h->ip == NULL || h->ip[0] == '\0' ||
		    relays_ip_private(h->ip) || ip_seen(v, n, h->ip))
			continue;
		v[n++] = h->ip;
	}
	return n;
}

/*
 * DNSEval's @originating: every address in the originating_ip_headers
 * fields (each field's instances joined), in the setting's order.
 */
#define MAX_ORIG_IPS	32

static const struct strlist *
orig_ips(struct eval_ctx *ec)
{
	struct cache *c = eval_cache_get(ec);
	const struct strlist *names = &ec->rs->orig_hdrs;
	struct strlist *out = &c->dns.orig;
	struct buf b;

	if (c->dns.orig_done)
		return out;
	c->dns.orig_done = true;
	for (size_t i = 0; i < names->n && out->n < MAX_ORIG_IPS; i++) {
		buf_init(&b, 0);
		if (rules_hdr_values(ec, names->v[i], 0, &b) > 0)
			relays_all_ips(b.p, out, MAX_ORIG_IPS);
		buf_free(&b);
	}
	return out;
}

/* Add ips not in trusted_relays, unique and public, after v[0..n). */
static size_t
add_untrusted(struct eval_ctx *ec, const struct strlist *ips, char **v,
    size_t n, size_t room)
{
	const struct cidrlist *trusted = &ec->in->cfg->trusted_relays;

	for (size_t i = 0; i < ips->n && n < room; i++)
		if (!cidrlist_match(trusted, ips->v[i]) &&
		    !relays_ip_private(ips->v[i]) && !ip_seen(v, n, ips->v[i]))
			v[n++] = ips->v[i];
	return n;
}

/*
 * The addresses rule r (check_rbl family, set eargs[0]) looks up, into
 * v (room for the chain's hops and orig's addresses, borrowed from
 * either); returns how many.
 */
static size_t
rbl_ips(const struct rule *r, struct eval_ctx *ec, const struct strlist *orig,
    char **v, size_t room)
{
	const struct relays *rl = rules_hdr_relays(ec);
	const char *set = r->eargs[0];
	size_t n, sl = strlen(set);
	const struct cidrlist *trusted = &ec->in->cfg->trusted_relays;

#define SUFFIX(s) (sl > sizeof(s) - 1 && \
	strcmp(set + sl - (sizeof(s) - 1), s) == 0)
	/* No untrusted address, and none from the originating headers:
	 * every open-internet relay is trusted. */
	if ((rl == NULL || hop_ips(rl, false, v) == 0) && orig->n == 0)
		return 0;
	if (SUFFIX("-lastexternal") || SUFFIX("-notfirsthop")) {
		/* Trusted hops outside internal_relays count here; the
		 * originating headers do not. */
		n = 0;
		for (size_t i = 0; rl != NULL && i < rl->n; i++) {
			const struct relay *h = &rl->v[i];

			if ((i < rl->ntrusted && h->internal) || h->ip == NULL ||
			    h->ip[0] == '\0' || relays_ip_private(h->ip) ||
			    ip_seen(v, n, h->ip))
				continue;
			v[n++] = h->ip;
		}
		if (SUFFIX("-lastexternal"))
			n = n > 0 ? 1 : 0;
		else if (n > 1)
			n--;		/* all but the originating one */
	} else {
		n = rl != NULL ? hop_ips(rl, false, v) : 0;
		n = add_untrusted(ec, orig, v, n, room);
		if (SUFFIX("-firsttrusted"))
			n = n > 0 ? 1 : 0;
		else if (SUFFIX("-untrusted")) {
			if (n > 0) {
				memmove(v, v + 1, (n - 1) * sizeof(*v));
				n--;
			}
		} else
			for (size_t i = 0; i < n / 2; i++) {
				char *t = v[i];

				v[i] = v[n - 1 - i];
				v[n - 1 - i] = t;
			}
	}
#undef SUFFIX
	if (n > NUM_CHECK_RECEIVED)
		n = NUM_CHECK_RECEIVED;
	/* Trusted relays are looked up by nice rules (allowlists) only. */
	if (!(r->tflags & TF_NICE))
		while (n > 0 && cidrlist_match(trusted, v[0])) {
			memmove(v, v + 1, (n - 1) * sizeof(*v));
			n--;
		}
	return n;
}

/* The zone of a check_rbl rule without its trailing dots. */
static void
zone_of(const char *z, char *out, size_t size)
{
	size_t n = strlen(z);

	while (n > 0 && z[n - 1] == '.')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, z, n);
	out[n] = '\0';
}

/* The hosts of addresses as _check_rbl_addresses() takes them: the part
 * after the '@', dots squeezed, at least one dot; lower case. */
static void
addr_hosts(const struct strlist *addrs, struct strlist *out)
{
	for (size_t i = 0; i < addrs->n; i++) {
		const char *at = strrchr(addrs->v[i], '@');
		char *h, *w;
		const char *p;
		bool dot = false;

		if (at == NULL || at[1] == '\0')
			continue;
		h = xstrdup(at + 1);
		for (p = h, w = h; *p; p++) {
			if (*p == '.' && (w == h || w[-1] == '.'))
				continue;
			dot = dot || *p == '.';
			*w++ = (char)tolower((unsigned char)*p);
		}
		while (w > h && w[-1] == '.')
			w--;
		*w = '\0';
		if (!dot || h[0] == '\0' || strpbrk(h, " \t") != NULL ||
		    strlist_contains(out, h))
			free(h);
		else
			strlist_add_owned(out, h);
	}
}

/* SpamAssassin's all_from_addrs(): Resent-From's first address, or
 * those of From, Envelope-Sender, Resent-Sender, X-Envelope-From and
 * the envelope sender. */
static void
from_addrs(struct eval_ctx *ec, struct strlist *out)
{
	static const char *const hdrs[] = { "From", "Envelope-Sender",
	    "Resent-Sender", "X-Envelope-From", NULL };
	struct buf b;

	buf_init(&b, 0);
	if (rules_hdr_values(ec, "Resent-From", HM_ADDR, &b) > 0) {
		b.p[strcspn(b.p, "\n")] = '\0';
		if (b.p[0] != '\0')
			strlist_add(out, b.p);
		buf_free(&b);
		return;
	}
	for (size_t i = 0; hdrs[i]; i++) {
		buf_reset(&b);
		if (rules_hdr_values(ec, hdrs[i], HM_ADDR, &b) > 0) {
			char *save = NULL;

			for (char *t = strtok_r(b.p, "\n", &save); t != NULL;
			    t = strtok_r(NULL, "\n", &save))
				if (*t != '\0' && !strlist_contains(out, t))
					strlist_add(out, t);
		}
	}
	buf_free(&b);
	if (ec->in->envfrom != NULL && ec->in->envfrom[0] != '\0' &&
	    !strlist_contains(out, ec->in->envfrom))
		strlist_add(out, ec->in->envfrom);
}

/*
 * The hosts a check_rbl_from_host, _from_domain or _envfrom rule asks
 * about: the addresses' hosts, their registered domains, or the
 * envelope sender's host; each a valid name under a known TLD (or an
 * address, reversed).  Into out.
 */
static void
rbl_addr_hosts(const struct rule *r, struct eval_ctx *ec,
    struct strlist *out)
{
	struct strlist addrs = { 0 }, hosts = { 0 };
	const char *name = r->eval->name;

	if (strcmp(name, "check_rbl_envfrom") == 0) {
		if (ec->in->envfrom != NULL)
			strlist_add(&addrs, ec->in->envfrom);
	} else
		from_addrs(ec, &addrs);
	addr_hosts(&addrs, &hosts);
	for (size_t i = 0; i < hosts.n; i++) {
		char rev[80], host[256], *dom = NULL, *uri;
		unsigned char a[16];
		bool ip = inet_pton(AF_INET, hosts.v[i], a) == 1;

		if (ip) {
			if (r->tflags & TF_DOMAINS_ONLY ||
			    dns_reverse(hosts.v[i], rev, sizeof(rev)) < 0)
				continue;
			if (!strlist_contains(out, rev))
				strlist_add(out, rev);
			continue;
		}
		if (r->tflags & TF_IPS_ONLY)
			continue;
		uri = xasprintf("http://%s/", hosts.v[i]);
		if (eval_dns_uri_domain(ec->rs, uri, host, sizeof(host), &dom)) {
			const char *q = strcmp(name, "check_rbl_from_domain") ==
			    0 ? dom : host;

			if (!strlist_contains(out, q))
				strlist_add(out, q);
		}
		free(dom);
		free(uri);
	}
	strlist_free(&addrs);
	strlist_free(&hosts);
}

static unsigned ev_rbl(const struct rule *r, struct eval_ctx *ec);

/* The rule whose lookups check_rbl_sub r reads (eval_dns_finish()). */
static const struct rule *
rbl_parent(const struct rule *r, struct eval_ctx *ec)
{
	const struct rule *p;

	if (r->neargs < 3)
		return NULL;
	p = g_hash_table_lookup(ec->rs->byname, r->eargs[2]);
	return p != NULL && p->eval != NULL && p->eval->fn == ev_rbl &&
	    strcmp(p->eval->name, "check_rbl_sub") != 0 ? p : NULL;
}

/* Call fn for each name rule r asks (type in *type). */
static void
rbl_names(const struct rule *r, struct eval_ctx *ec, int *type,
    void (*fn)(struct eval_ctx *, const struct rule *, const char *, int,
    void *), void *arg)
{
	const struct relays *rl = rules_hdr_relays(ec);
	const struct rule *p = r;
	char zone[256], rev[80];
	const struct strlist *orig;
	char **v;
	size_t n, room;

	/* check_rbl_sub: what its set's check_rbl asks. */
	if (strcmp(r->eval->name, "check_rbl_sub") == 0 &&
	    (p = rbl_parent(r, ec)) == NULL)
		return;
	*type = strcmp(p->eval->name, "check_rbl_txt") == 0 ? DNS_T_TXT :
	    DNS_T_A;
	zone_of(p->eargs[1], zone, sizeof(zone));
	if (zone[0] == '\0')
		return;
	if (strncmp(p->eval->name, "check_rbl_from_", 15) == 0 ||
	    strcmp(p->eval->name, "check_rbl_envfrom") == 0) {
		struct strlist hosts = { 0 };

		rbl_addr_hosts(p, ec, &hosts);
		for (size_t i = 0; i < hosts.n; i++) {
			char *name = xasprintf("%s.%s", hosts.v[i], zone);

			fn(ec, r, name, *type, arg);
			free(name);
		}
		strlist_free(&hosts);
		return;
	}
	orig = orig_ips(ec);
	room = (rl != NULL ? rl->n : 0) + orig->n + 1;
	v = xcalloc(room, sizeof(*v));
	n = rbl_ips(p, ec, orig, v, room);
	for (size_t i = 0; i < n; i++) {
		char *name;

		if (dns_reverse(v[i], rev, sizeof(rev)) < 0)
			continue;
		name = xasprintf("%s.%s", rev, zone);
		fn(ec, r, name, *type, arg);
		free(name);
	}
	free(v);
}

/* ---- Answers ---- */

/* SpamAssassin's check_subtest(): a regex (compiled in r->ere[0]), a
 * bit mask, or one address. */
static bool
subtest_match(const struct rule *r, const char *sub, const char *a)
{
	bool digits = sub[0] != '\0';
	size_t ov[2];

	for (const char *p = sub; *p; p++)
		if (!isdigit((unsigned char)*p))
			digits = false;
	if (r->ere != NULL && r->ere[0] != NULL)
		return rx_search(r->ere[0], NULL, a, strlen(a), 0, 0, ov, 1) > 0;
	if (digits) {
		struct dns_filter f;

		memset(&f, 0, sizeof(f));
		f.mask = (uint32_t)strtoul(sub, NULL, 10);
		return f.mask != 0 && dns_filter_match(&f, a);
	}
	return strcmp(sub, a) == 0;
}

/* Whether the subtest is a regex (not digits or a dotted quad). */
static bool
subtest_is_regex(const char *s)
{
	unsigned dots = 0;
	bool digit = false;

	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (!digit)
				return true;
			dots++;
			digit = false;
		} else if (isdigit((unsigned char)*p))
			digit = true;
		else
			return true;
	}
	return !digit || (dots != 0 && dots != 3);
}

struct judge {
	const char *subtest;	/* NULL: any answer */
	unsigned hits;
	bool    pending, error;
};

static void
judge_one(struct eval_ctx *ec, const struct rule *r, const char *name,
    int type, void *arg)
{
	struct judge *j = arg;
	struct dns_query *q = dns_find(ec->in->dns, name, type);
	struct dns_answer a;

	if (q == NULL) {
		j->pending = true;	/* over the cap: never asked */
		return;
	}
	dns_query_note(q, r->name);
	dns_answer(q, &a);
	if (a.status == DNS_PENDING) {
		j->pending = true;
		return;
	}
	if (a.status == DNS_ERROR) {
		j->error = true;
		return;
	}
	if (a.status != DNS_OK)
		return;
	for (size_t i = 0; i < a.nrr; i++) {
		const char *v = a.rr[i];

		/* Only A records in 127.0.0.0/8 are answers of a list. */
		if (type == DNS_T_A && strncmp(v, "127.", 4) != 0)
			continue;
		if (type == DNS_T_A && dns_answer_is_error_code(v)) {
			const char *z = strchr(name, '.');

			/* The zone after the reversed address, for the log. */
			for (int k = 1; z != NULL && k < 4 &&
			    strchr(name, ':') == NULL; k++)
				z = strchr(z + 1, '.');
			dns_log_list_error(ec->in->resolver, z ? z + 1 : name,
			    v);
		}
		if (j->subtest == NULL || subtest_match(r, j->subtest, v)) {
			j->hits = 1;
			return;
		}
	}
}

static unsigned ev_uridnsbl(const struct rule *r, struct eval_ctx *ec);
static void uribl_prepare(struct eval_ctx *ec, bool *waiting);

static unsigned
ev_rbl(const struct rule *r, struct eval_ctx *ec)
{
	struct judge j;
	int type;

	if (ec->in->dns == NULL)
		return 0;
	eval_dns_prepare(ec);
	memset(&j, 0, sizeof(j));
	if (strcmp(r->eval->name, "check_rbl_sub") == 0)
		j.subtest = r->eargs[1];
	else if (r->neargs >= 3)
		j.subtest = r->eargs[2];
	rbl_names(r, ec, &type, judge_one, &j);
	return j.hits;
}

/* ---- Starting the message's lookups ---- */

static void
start_one(struct eval_ctx *ec, const struct rule *r, const char *name,
    int type, void *arg)
{
	(void)r;
	(void)arg;
	dns_lookup(ec->in->dns, name, type);
}

/* The troubles of the lookups the tests read, into res. */
static void
trouble_one(void *arg, struct dns_query *q)
{
	struct results *res = arg;
	struct dns_answer a;

	if (!dns_query_noted(q))
		return;
	dns_answer(q, &a);
	if (a.status == DNS_PENDING)
		results_dns_trouble(res, "timeout");
	else if (a.status == DNS_ERROR)
		results_dns_trouble(res, "error");
}

void
eval_dns_report(struct eval_ctx *ec, struct results *res)
{
	struct cache *c = ec->cache;

	if (c == NULL || !c->dns.prepared || ec->in->dns == NULL)
		return;
	dns_set_each(ec->in->dns, trouble_one, res);
	if (dns_set_limited(ec->in->dns))
		results_set_limit(res, "dns_queries");
}

/* ---- Definition ---- */

static void
prep_rbl(struct rule *r, int na)
{
	const char *sub = NULL;

	if (strcmp(r->eval->name, "check_rbl_sub") == 0)
		sub = na >= 2 ? r->eargs[1] : NULL;
	else if (na >= 3)
		sub = r->eargs[2];
	if (sub == NULL || !subtest_is_regex(sub))
		return;
	r->ere = xcalloc(EVAL_NRE, sizeof(*r->ere));
	r->ere[0] = rx_compile(sub, PCRE2_ZERO_TERMINATED, 0, true, NULL, 0);
}

/*
 * Once every file is read: each check_rbl_sub gets the name of the
 * first other test of its set (check_rbl, check_rbl_txt,
 * check_rbl_from_host, ...), whose lookups it reads.
 */
void
eval_dns_finish(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *s = rs->rules[i];

		if (s->eval == NULL || strcmp(s->eval->name,
		    "check_rbl_sub") != 0 || s->neargs != 2)
			continue;
		for (size_t k = 0; k < rs->n; k++) {
			const struct rule *r = rs->rules[k];

			if (r->eval == NULL || r->eval->fn != ev_rbl ||
			    strcmp(r->eval->name, "check_rbl_sub") == 0 ||
			    strcmp(r->eargs[0], s->eargs[0]) != 0)
				continue;
			s->eargs[2] = xstrdup(r->name);
			s->neargs = 3;
			break;
		}
	}
}

/* ---- Warden's list rules of the SMTP stages ---- */

int
rules_dnsbl_parse(struct rule *r, const char *spec, struct buf *err)
{
	const char *f = strpbrk(spec, "=&");
	size_t zn = f ? (size_t)(f - spec) : strlen(spec);
	struct dns_filter flt;

	while (zn > 0 && spec[zn - 1] == '.')
		zn--;
	if (zn == 0 || zn > 200) {
		buf_puts(err, "dnsbl: needs a list's zone, as in "
		    "dnsbl:zen.spamhaus.org=127.0.0.[2..11]");
		return -1;
	}
	for (size_t i = 0; i < zn; i++)
		if (!isalnum((unsigned char)spec[i]) && spec[i] != '.' &&
		    spec[i] != '-' && spec[i] != '_') {
			buf_printf(err, "dnsbl: '%.*s' is not a zone name",
			    (int)zn, spec);
			return -1;
		}
	if (dns_filter_parse(f, &flt, err) < 0)
		return -1;
	rules_dnsbl_clear(r);
	r->dnsbl = xstrndup(spec, zn);
	r->dnsbl_filter = xmalloc(sizeof(flt));
	*r->dnsbl_filter = flt;
	return 0;
}

void
rules_dnsbl_clear(struct rule *r)
{
	free(r->dnsbl);
	free(r->dnsbl_filter);
	r->dnsbl = NULL;
	r->dnsbl_filter = NULL;
}

/* Whether s looks like a domain name worth asking a list about. */
static bool
looks_like_domain(const char *s)
{
	unsigned char tmp[16];
	size_t n = strlen(s);

	if (n == 0 || n > 200 || strchr(s, '.') == NULL || s[0] == '[' ||
	    s[0] == '.' || inet_pton(AF_INET, s, tmp) == 1 ||
	    inet_pton(AF_INET6, s, tmp) == 1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/*
 * What a list rule of kind looks up, into what (the thing listed, for
 * the log and the reply) and name (what is asked): the client's
 * reversed address, the HELO name, the sender's domain.  false when
 * there is nothing to ask (a local or private client, an address
 * literal, the null sender).
 */
static bool
dnsbl_subject(enum rule_kind kind, const struct rules_input *in,
    char *what, size_t wsize)
{
	const char *s = NULL, *at;

	switch (kind) {
	case RK_CONNECT:
		s = in->client_addr;
		if (s == NULL || s[0] == '\0' || relays_ip_private(s))
			return false;
		break;
	case RK_HELO:
		s = in->helo;
		if (s == NULL || !looks_like_domain(s))
			return false;
		break;
	case RK_ENVFROM:
		if (in->envfrom == NULL ||
		    (at = strrchr(in->envfrom, '@')) == NULL)
			return false;
		s = at + 1;
		if (!looks_like_domain(s))
			return false;
		break;
	default:
		return false;
	}
	if (strlen(s) >= wsize)
		return false;
	strcpy(what, s);
	if (kind != RK_CONNECT)
		eval_lower(what);
	return true;
}

static char *
dnsbl_name(const struct rule *r, enum rule_kind kind, const char *what)
{
	char rev[80];

	if (kind == RK_CONNECT) {
		if (dns_reverse(what, rev, sizeof(rev)) < 0)
			return NULL;
		return xasprintf("%s.%s", rev, r->dnsbl);
	}
	return xasprintf("%s.%s", what, r->dnsbl);
}

/* The first answer of a that lists for r (logging the list's error
 * codes), or NULL. */
static const char *
dnsbl_listing(const struct rule *r, const struct dns_answer *a,
    const struct rules_input *in, bool log)
{
	for (size_t k = 0; a->status == DNS_OK && k < a->nrr; k++) {
		if (dns_answer_is_error_code(a->rr[k])) {
			if (log)
				dns_log_list_error(in->resolver, r->dnsbl,
				    a->rr[k]);
			continue;
		}
		if (dns_filter_match(r->dnsbl_filter, a->rr[k]))
			return a->rr[k];
	}
	return NULL;
}

/* Whether r's hit ends the stage (a refusal, or an accept). */
static bool
decisive(const struct rule *r)
{
	return r->action == ACT_REJECT || r->action == ACT_TEMPFAIL ||
	    r->action == ACT_ACCEPT;
}

struct stage_q {
	const struct rule *r;
	struct dns_query *q;	/* NULL: over the cap */
};

/*
 * Wait for the stage's own lookups (not the ones started for the
 * message's tests), until the deadline, or until a list whose rule
 * decides has answered with a listing: a listed client is refused as
 * soon as its list says so.  True when that decided it.
 */
static bool
stage_wait(struct stage_q *v, size_t n, const struct rules_input *in)
{
	for (;;) {
		struct dns_query *pending = NULL;
		double until;

		for (size_t i = 0; i < n; i++) {
			struct dns_answer a;

			if (v[i].q == NULL)
				continue;
			dns_answer(v[i].q, &a);
			if (a.status == DNS_PENDING) {
				if (pending == NULL)
					pending = v[i].q;
			} else if (decisive(v[i].r) &&
			    dnsbl_listing(v[i].r, &a, in, false) != NULL)
				return true;
		}
		if (pending == NULL || now_ms() >= in->dns_deadline_ms)
			return false;
		/* Look again every 20 ms: another list may decide first. */
		until = now_ms() + 20;
		if (until > in->dns_deadline_ms)
			until = in->dns_deadline_ms;
		dns_wait_one(pending, until);
	}
}

void
rules_dnsbl_stage(const struct ruleset *rs, enum rule_kind kind,
    const struct rules_input *in, struct results *res)
{
	char what[256];
	struct stage_q *v;
	size_t n = 0;
	bool trouble = false, decided;

	if (in->dns == NULL || !dnsbl_subject(kind, in, what, sizeof(what)))
		return;
	v = xcalloc(rs->nkind[kind] + 1, sizeof(*v));
	for (size_t i = 0; i < rs->n && n < rs->nkind[kind]; i++) {
		const struct rule *r = rs->rules[i];
		char *name;

		if (r->kind != kind || r->dnsbl == NULL ||
		    !rules_rule_enabled(r) ||
		    (name = dnsbl_name(r, kind, what)) == NULL)
			continue;
		v[n].r = r;
		v[n].q = dns_lookup(in->dns, name, DNS_T_A);
		free(name);
		n++;
	}
	decided = n > 0 && stage_wait(v, n, in);
	for (size_t i = 0; i < n; i++) {
		const struct rule *r = v[i].r;
		struct dns_answer a;
		const char *code;
		struct reply rep;
		char *m;

		if (v[i].q == NULL) {
			results_set_limit(res, "dns_queries");
			continue;
		}
		dns_query_note(v[i].q, r->name);
		dns_answer(v[i].q, &a);
		if (a.status == DNS_PENDING || a.status == DNS_ERROR) {
			/* Unanswered after the stage was decided: moot. */
			if (decided && a.status == DNS_PENDING)
				continue;
			results_dns_trouble(res, a.status == DNS_PENDING ?
			    "timeout" : "error");
			trouble = true;
			continue;
		}
		if ((code = dnsbl_listing(r, &a, in, true)) == NULL)
			continue;
		m = xasprintf("%s listed in %s (%s)", what, r->dnsbl, code);
		/* Postfix's words for a listed client. */
		memset(&rep, 0, sizeof(rep));
		strcpy(rep.code, r->action == ACT_TEMPFAIL ? "450" : "554");
		strcpy(rep.xcode, r->action == ACT_TEMPFAIL ? "4.7.1" :
		    "5.7.1");
		rep.text = xasprintf("Service unavailable; %s [%s] blocked "
		    "using %s", kind == RK_CONNECT ? "Client host" :
		    kind == RK_HELO ? "Helo command" : "Sender address", what,
		    r->dnsbl);
		rules_take_hit(r, 1, m, strlen(m), &rep, res);
		free(rep.text);
		free(m);
	}
	free(v);
	if (trouble && !decided && in->cfg->on_dns_error != ACT_SCAN)
		results_decide(res, in->cfg->on_dns_error, NULL,
		    "on_dns_error");
}

void
rules_dnsbl_prefetch(const struct ruleset *rs, const struct rules_input *in)
{
	char rev[80], zone[256];
	const char *ip = in->client_addr;

	if (in->dns == NULL || ip == NULL || ip[0] == '\0' ||
	    relays_ip_private(ip) ||
	    cidrlist_match(&in->cfg->trusted_relays, ip) ||
	    dns_reverse(ip, rev, sizeof(rev)) < 0)
		return;
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = rs->rules[i];
		char *name;

		if (r->eval == NULL || r->eval->fn != ev_rbl ||
		    (strcmp(r->eval->name, "check_rbl") != 0 &&
		    strcmp(r->eval->name, "check_rbl_txt") != 0) ||
		    !rules_rule_enabled(r))
			continue;
		zone_of(r->eargs[1], zone, sizeof(zone));
		if (zone[0] == '\0')
			continue;
		name = xasprintf("%s.%s", rev, zone);
		dns_lookup(in->dns, name, strcmp(r->eval->name,
		    "check_rbl_txt") == 0 ? DNS_T_TXT : DNS_T_A);
		free(name);
	}
}

/* ---- URIDNSBL: URI blocklists ---- */

enum uribl_kind { UB_DNSBL, UB_RHSBL, UB_NSRHSBL, UB_FULLNSRHSBL };

/* One uridnsbl/uridnssub/urirhsbl/urirhssub/... line. */
struct uribl_def {
	enum uribl_kind kind;
	char   *zone;
	int     type;		/* DNS_T_A or DNS_T_TXT */
	bool    has_sub;
	char   *sub_text;	/* an exact answer */
	bool    sub_num;	/* numeric: mask, range or value/mask */
	char    sub_delim;	/* 0 mask, '-' range, '/' value/mask */
	uint32_t n1, n2;
};

static void
uribl_def_free(void *p)
{
	struct uribl_def *u = p;

	free(u->zone);
	free(u->sub_text);
	free(u);
}

void
eval_dns_free(struct ruleset *rs)
{
	if (rs->uribls)
		g_hash_table_destroy(rs->uribls);
	for (int i = 0; i < 3; i++)
		if (rs->tlds[i])
			g_hash_table_destroy(rs->tlds[i]);
	if (rs->uribl_skip)
		g_hash_table_destroy(rs->uribl_skip);
}

static GHashTable *
str_set(GHashTable **t)
{
	if (*t == NULL)
		*t = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	return *t;
}

/* A number of parse_and_canonicalize_subtest(): decimal, 0x hex, or a
 * dotted quad (*quad set). */
static bool
sub_number(const char *s, size_t n, uint32_t *v, bool *quad)
{
	char tmp[32];
	unsigned char a[4];
	char *e;
	unsigned long long x;

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, a) == 1) {
		*v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
		    (uint32_t)a[2] << 8 | a[3];
		*quad = true;
		return true;
	}
	if (tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X')) {
		if (n > 10 || n < 3)
			return false;
		x = strtoull(tmp + 2, &e, 16);
	} else {
		if (n > 10 || !isdigit((unsigned char)tmp[0]))
			return false;
		x = strtoull(tmp, &e, 10);
	}
	if (*e != '\0' || x > 0xffffffffULL)
		return false;
	*v = (uint32_t)x;
	return true;
}

/* SpamAssassin's parse_and_canonicalize_subtest(); false: not numeric
 * (the text is then compared as it is). */
static bool
sub_parse(struct uribl_def *u, const char *s)
{
	const char *d = strpbrk(s, "/-");
	bool quad = false;

	if (d == NULL) {
		if (!sub_number(s, strlen(s), &u->n1, &quad))
			return false;
		u->sub_delim = quad ? '-' : 0;	/* one address: n-n */
		u->n2 = u->n1;
	} else {
		if (!sub_number(s, (size_t)(d - s), &u->n1, &quad) ||
		    !sub_number(d + 1, strlen(d + 1), &u->n2, &quad))
			return false;
		u->sub_delim = *d;
	}
	u->sub_num = true;
	return true;
}

bool
eval_dns_setting(struct ruleset *rs, const char *kw, const char *value,
    const char **why)
{
	static const struct {
		const char *kw;
		enum uribl_kind kind;
		bool sub;
	} defs[] = {
		{ "uridnsbl", UB_DNSBL, false }, { "uridnssub", UB_DNSBL, true },
		{ "urirhsbl", UB_RHSBL, false }, { "urirhssub", UB_RHSBL, true },
		{ "urinsrhsbl", UB_NSRHSBL, false },
		{ "urinsrhssub", UB_NSRHSBL, true },
		{ "urifullnsrhsbl", UB_FULLNSRHSBL, false },
		{ "urifullnsrhssub", UB_FULLNSRHSBL, true },
	};
	char *copy, *save = NULL, *w[5];
	int n = 0;

	*why = NULL;
	if (strncmp(kw, "util_rb_", 8) == 0) {
		int lvl = strcmp(kw, "util_rb_tld") == 0 ? 0 :
		    strcmp(kw, "util_rb_2tld") == 0 ? 1 :
		    strcmp(kw, "util_rb_3tld") == 0 ? 2 : -1;

		if (lvl < 0)
			return false;
		copy = xstrdup(value);
		for (char *t = strtok_r(copy, " \t", &save); t != NULL;
		    t = strtok_r(NULL, " \t", &save))
			g_hash_table_add(str_set(&rs->tlds[lvl]),
			    eval_lower(xstrdup(t)));
		free(copy);
		return true;
	}
	if (strcmp(kw, "clear_util_rb") == 0) {
		for (int i = 0; i < 3; i++)
			if (rs->tlds[i])
				g_hash_table_remove_all(rs->tlds[i]);
		return true;
	}
	if (strcmp(kw, "uridnsbl_skip_domain") == 0) {
		copy = xstrdup(value);
		for (char *t = strtok_r(copy, " \t", &save); t != NULL;
		    t = strtok_r(NULL, " \t", &save))
			g_hash_table_add(str_set(&rs->uribl_skip),
			    eval_lower(xstrdup(t)));
		free(copy);
		return true;
	}
	if (strcmp(kw, "clear_uridnsbl_skip_domain") == 0) {
		if (rs->uribl_skip)
			g_hash_table_remove_all(rs->uribl_skip);
		return true;
	}
	if (strcmp(kw, "uridnsbl_max_domains") == 0) {
		unsigned long v = strtoul(value, NULL, 10);

		if (v == 0 || v > 1000)
			*why = "expected a number from 1 to 1000 (ignored)";
		else
			rs->uribl_max = (unsigned)v;
		return true;
	}
	if (strcmp(kw, "uridnsbl_skip_mailto") == 0)
		return true;	/* always on: mailto: hosts are not URIs */
	for (size_t i = 0; i < ARRAY_LEN(defs); i++) {
		struct uribl_def *u;

		if (strcmp(kw, defs[i].kw) != 0)
			continue;
		copy = xstrdup(value);
		for (char *t = strtok_r(copy, " \t", &save); t != NULL &&
		    n < 5; t = strtok_r(NULL, " \t", &save))
			w[n++] = t;
		if (n != (defs[i].sub ? 4 : 3) ||
		    (strcasecmp(w[2], "A") != 0 &&
		    strcasecmp(w[2], "TXT") != 0)) {
			*why = defs[i].sub ? "expected NAME ZONE A|TXT "
			    "SUBTEST (ignored)" : "expected NAME ZONE A|TXT "
			    "(ignored)";
			free(copy);
			return true;
		}
		u = xcalloc(1, sizeof(*u));
		u->kind = defs[i].kind;
		u->zone = xstrdup(w[1]);
		for (size_t l = strlen(u->zone); l > 0 &&
		    u->zone[l - 1] == '.'; l--)
			u->zone[l - 1] = '\0';
		u->type = strcasecmp(w[2], "TXT") == 0 ? DNS_T_TXT : DNS_T_A;
		if (defs[i].sub) {
			u->has_sub = true;
			if (!sub_parse(u, w[3]))
				u->sub_text = xstrdup(w[3]);
		}
		if (rs->uribls == NULL)
			rs->uribls = g_hash_table_new_full(g_str_hash,
			    g_str_equal, free, uribl_def_free);
		g_hash_table_replace(rs->uribls, xstrdup(w[0]), u);
		free(copy);
		return true;
	}
	return false;
}

/* SpamAssassin's split_domain(): the registered domain of host. */
static char *
trim_domain(const struct ruleset *rs, const char *host)
{
	static const char *const us_states[] = { "ak", "al", "ar", "az",
	    "ca", "co", "ct", "dc", "de", "fl", "ga", "gu", "hi", "ia", "id",
	    "il", "in", "ks", "ky", "la", "ma", "md", "me", "mi", "mn", "mo",
	    "ms", "mt", "nc", "nd", "ne", "nh", "nj", "nm", "nv", "ny", "oh",
	    "ok", "or", "pa", "pr", "ri", "sc", "sd", "tn", "tx", "ut", "va",
	    "vi", "vt", "wa", "wi", "wv", "wy", NULL };
	const char *parts[128];
	char *d = xstrdup(host), *p, *save = NULL;
	size_t n = 0, first = 0;
	struct buf b;

	for (p = strtok_r(d, ".", &save); p != NULL && n < ARRAY_LEN(parts);
	    p = strtok_r(NULL, ".", &save))
		parts[n++] = p;
	while (n - first > 1) {
		size_t left = n - first;
		char *j;
		bool stop = false;

		if (left == 2 || (left == 3 && strcmp(parts[n - 1], "us") != 0)) {
			j = left == 2 ? xasprintf("%s.%s", parts[first],
			    parts[first + 1]) : xasprintf("%s.%s.%s",
			    parts[first], parts[first + 1], parts[first + 2]);
			stop = rs->tlds[left - 1] != NULL &&
			    g_hash_table_contains(rs->tlds[left - 1], j);
			free(j);
		} else if (left == 3) {
			for (const char *const *s = us_states; *s && !stop; s++)
				stop = strcmp(parts[first + 1], *s) == 0;
		} else if (left == 4 && strcmp(parts[n - 1], "us") == 0 &&
		    ((strcmp(parts[first], "pvt") == 0 &&
		    strcmp(parts[first + 1], "k12") == 0) ||
		    strcmp(parts[first], "ci") == 0 ||
		    strcmp(parts[first], "co") == 0)) {
			for (const char *const *s = us_states; *s && !stop; s++)
				stop = strcmp(parts[first + 2], *s) == 0;
		}
		if (stop)
			break;
		first++;
	}
	if (first > 0)
		first--;	/* the label before the public suffix */
	buf_init(&b, 0);
	for (size_t i = first; i < n; i++)
		buf_printf(&b, "%s%s", i > first ? "." : "", parts[i]);
	free(d);
	return buf_steal(&b);
}

/* The host of a URI as SpamAssassin's uri_to_domain takes it, lower
 * case, into out; false for mailto: and what has no host. */
static bool
uri_host(const char *uri, char *out, size_t size)
{
	const char *p = uri, *e;
	size_t n;

	if (strncasecmp(p, "mailto:", 7) == 0)
		return false;
	if ((e = strstr(p, "://")) != NULL && e - p < 16)
		p = e + 3;
	else if (strncasecmp(p, "www.", 4) != 0 &&
	    strncasecmp(p, "ftp.", 4) != 0)
		return false;
	/* user:password@ */
	e = p + strcspn(p, "/?#");
	for (const char *a = p; a < e; a++)
		if (*a == '@')
			p = a + 1;
	n = strcspn(p, ":/?#");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	while (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	eval_lower(out);
	/* A name DNS can carry: LDH labels, none empty.  (International
	 * names are not converted to their ASCII form: not asked.) */
	if (n == 0 || out[0] == '.' || strstr(out, "..") != NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)out[i]) && out[i] != '.' &&
		    out[i] != '-' && out[i] != '_')
			return false;
	return true;
}

/* Whether host's last label is a known TLD (util_rb_tld); an IPv4
 * literal always is. */
static bool
tld_valid(const struct ruleset *rs, const char *host)
{
	const char *dot = strrchr(host, '.');
	unsigned char a[4];

	if (inet_pton(AF_INET, host, a) == 1)
		return true;
	return dot != NULL && rs->tlds[0] != NULL &&
	    g_hash_table_contains(rs->tlds[0], dot + 1);
}

bool
eval_dns_uri_domain(const struct ruleset *rs, const char *uri, char *host,
    size_t hsize, char **domain)
{
	unsigned char a[4];

	*domain = NULL;
	if (!uri_host(uri, host, hsize) || !tld_valid(rs, host))
		return false;
	if (inet_pton(AF_INET, host, a) == 1) {
		if (relays_ip_private(host))
			return false;
		*domain = xstrdup(host);
	} else
		*domain = trim_domain(rs, host);
	return true;
}

/* The message's hosts for the URI lists: each once, the first
 * uridnsbl_max_domains of them in the order of the message's URIs,
 * as v[2i] host, v[2i+1] its domain. */
static void
uribl_hosts(struct eval_ctx *ec, struct strlist *out)
{
	const struct ruleset *rs = ec->rs;
	const struct strlist *uris = rules_uris(ec);
	unsigned max = rs->uribl_max ? rs->uribl_max : 20;
	char host[256];

	for (size_t i = 0; uris != NULL && i < uris->n &&
	    out->n / 2 < max; i++) {
		char *dom;
		bool dup = false;

		if (!eval_dns_uri_domain(rs, uris->v[i], host, sizeof(host),
		    &dom))
			continue;
		for (size_t k = 0; k < out->n && !dup; k += 2)
			dup = strcmp(out->v[k], host) == 0;
		if (dup || (rs->uribl_skip != NULL &&
		    (g_hash_table_contains(rs->uribl_skip, dom) ||
		    g_hash_table_contains(rs->uribl_skip, host)))) {
			free(dom);
			continue;
		}
		strlist_add(out, host);
		strlist_add_owned(out, dom);
	}
}

static const struct uribl_def *
uribl_def(const struct rule *r, struct eval_ctx *ec)
{
	if (ec->rs->uribls == NULL || r->neargs < 1)
		return NULL;
	return g_hash_table_lookup(ec->rs->uribls, r->eargs[0]);
}

/* The name to ask zone about item (a domain, or an address reversed). */
static char *
uribl_qname(const char *item, const char *zone)
{
	unsigned char a[4];
	char rev[80];

	if (inet_pton(AF_INET, item, a) == 1 &&
	    dns_reverse(item, rev, sizeof(rev)) > 0)
		return xasprintf("%s.%s", rev, zone);
	return xasprintf("%s.%s", item, zone);
}

/*
 * Walk what rule r asks for the message's hosts, calling fn for each
 * list query; with start, ask what is not asked yet (the NS and A
 * steps of uridnsbl included) and return true when a step waits on an
 * answer still to come.
 */
struct uwalk {
	struct eval_ctx *ec;
	const struct rule *r;
	const struct uribl_def *u;
	bool start;
	bool waiting;
	void (*fn)(struct uwalk *, const char *qname);
	unsigned hits;
	bool pending, error;
};

static struct dns_query *
uw_query(struct uwalk *w, const char *name, int type)
{
	struct dns_query *q = w->start ? dns_lookup(w->ec->in->dns, name,
	    type) : dns_find(w->ec->in->dns, name, type);
	struct dns_answer a;

	if (q != NULL && w->start) {
		dns_answer(q, &a);
		if (a.status == DNS_PENDING)
			w->waiting = true;
	}
	return q;
}

static void
uw_list(struct uwalk *w, const char *item)
{
	char *qn = uribl_qname(item, w->u->zone);

	if (w->start)
		uw_query(w, qn, w->u->type);
	else
		w->fn(w, qn);
	free(qn);
}

/* Each address answered for name (A), to the list. */
static void
uw_addresses(struct uwalk *w, const char *name)
{
	struct dns_query *q = uw_query(w, name, DNS_T_A);
	struct dns_answer a;

	if (q == NULL)
		return;
	dns_answer(q, &a);
	for (size_t i = 0; a.status == DNS_OK && i < a.nrr && i < 8; i++)
		if (!relays_ip_private(a.rr[i]))
			uw_list(w, a.rr[i]);
}

static void
uribl_walk(struct uwalk *w, const struct strlist *hosts)
{
	const struct uribl_def *u = w->u;
	unsigned tf = w->r->tflags;

	for (size_t i = 0; i + 1 < hosts->n; i += 2) {
		const char *host = hosts->v[i], *dom = hosts->v[i + 1];
		unsigned char a4[4];
		bool ip = inet_pton(AF_INET, host, a4) == 1;

		if (u->kind == UB_RHSBL) {
			if (ip ? (tf & TF_DOMAINS_ONLY) : (tf & TF_IPS_ONLY))
				continue;
			uw_list(w, ip ? dom : (tf & TF_NOTRIM) ? host : dom);
			continue;
		}
		if (u->kind != UB_DNSBL || ip)
			continue;	/* NS name lists: not run */
		if (tf & TF_A)
			uw_addresses(w, host);
		if ((tf & TF_NS) || !(tf & TF_A)) {
			struct dns_query *q = uw_query(w, dom, DNS_T_NS);
			struct dns_answer a;

			if (q == NULL)
				continue;
			dns_answer(q, &a);
			for (size_t k = 0; a.status == DNS_OK && k < a.nrr &&
			    k < 8; k++)
				uw_addresses(w, a.rr[k]);
		}
	}
}

/* SpamAssassin's complete_dnsbl_lookup() on one answer. */
static bool
uribl_match(const struct uribl_def *u, int type, const char *v)
{
	unsigned char a[4];
	uint32_t x = 0;
	bool num = type == DNS_T_A && inet_pton(AF_INET, v, a) == 1;

	if (num)
		x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
		    (uint32_t)a[2] << 8 | a[3];
	if (!u->has_sub)
		return type != DNS_T_A || strncmp(v, "127.", 4) == 0;
	if (u->sub_text != NULL)
		return strcmp(u->sub_text, v) == 0;
	if (!num)
		return false;
	switch (u->sub_delim) {
	case 0:
		return (x & u->n1) && (x & 0xff000000u) == 0x7f000000u;
	case '-':
		return x >= u->n1 && x <= u->n2;
	default:
		return (x & u->n2) == (u->n1 & u->n2);
	}
}

static void
uw_judge(struct uwalk *w, const char *qname)
{
	struct dns_query *q = dns_find(w->ec->in->dns, qname, w->u->type);
	struct dns_answer a;

	if (q == NULL) {
		w->pending = true;
		return;
	}
	dns_query_note(q, w->r->name);
	dns_answer(q, &a);
	if (a.status == DNS_PENDING)
		w->pending = true;
	else if (a.status == DNS_ERROR)
		w->error = true;
	for (size_t i = 0; a.status == DNS_OK && i < a.nrr; i++)
		if (uribl_match(w->u, w->u->type, a.rr[i]))
			w->hits = 1;
}

static unsigned
ev_uridnsbl(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c;
	struct uwalk w;

	if (ec->in->dns == NULL)
		return 0;
	eval_dns_prepare(ec);
	c = eval_cache_get(ec);
	memset(&w, 0, sizeof(w));
	w.ec = ec;
	w.r = r;
	if ((w.u = uribl_def(r, ec)) == NULL)
		return 0;
	w.fn = uw_judge;
	uribl_walk(&w, &c->dns.hosts);
	return w.hits;
}

/* ---- AskDNS ---- */

/*
 * "askdns NAME TEMPLATE [TYPE [SUBTEST]]" is defined by the parser as
 * a header test check_askdns with eargs[0] the template, eargs[1] the
 * type and eargs[2] the subtest (NULL: none), and ere[0] the subtest's
 * regex when it is one.  The template's tags are those below; a tag
 * with several values makes a query per value (a Cartesian product
 * over the tags, as SpamAssassin's), one without a value none.
 */
#define ASKDNS_MAX_NAMES	32	/* queries of one rule at most */

static const char *const askdns_tag_names[] = {
	"SENDERDOMAIN", "AUTHORDOMAIN", "DKIMDOMAIN", "LASTEXTERNALIP",
	"LASTEXTERNALREVIP", "LASTEXTERNALRDNS", "LASTEXTERNALHELO", NULL
};

size_t
eval_askdns_tag(const char *s, char *tag, size_t size)
{
	/* SpamAssassin's /_([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)_/ at s. */
	size_t i = 1, end;

	if (s[0] != '_' || !isupper((unsigned char)s[1]))
		return 0;
	while (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i]))
		i++;
	end = s[i] == '_' ? i : 0;
	while (s[i] == '_' && (isupper((unsigned char)s[i + 1]) ||
	    isdigit((unsigned char)s[i + 1]))) {
		i++;
		while (isupper((unsigned char)s[i]) ||
		    isdigit((unsigned char)s[i]))
			i++;
		if (s[i] == '_')
			end = i;
	}
	if (end == 0 || end - 1 >= size)
		return 0;
	memcpy(tag, s + 1, end - 1);
	tag[end - 1] = '\0';
	return end + 1;
}

bool
eval_askdns_known(const char *tmpl, const char **unknown)
{
	static char bad[64];
	char tag[64];

	for (const char *p = tmpl; *p; p++) {
		size_t n = eval_askdns_tag(p, tag, sizeof(tag));
		bool ok = false;

		if (n == 0)
			continue;
		for (size_t i = 0; askdns_tag_names[i] && !ok; i++)
			ok = strcmp(tag, askdns_tag_names[i]) == 0;
		if (!ok) {
			snprintf(bad, sizeof(bad), "%s", tag);
			*unknown = bad;
			return false;
		}
		p += n - 1;
	}
	return true;
}

int
eval_askdns_type(const char *t)
{
	static const struct { const char *n; int t; } types[] = {
		{ "A", DNS_T_A }, { "AAAA", DNS_T_AAAA }, { "TXT", DNS_T_TXT },
		{ "MX", DNS_T_MX }, { "NS", DNS_T_NS }, { "PTR", DNS_T_PTR },
		{ "CNAME", DNS_T_CNAME },
	};

	for (size_t i = 0; i < ARRAY_LEN(types); i++)
		if (strcasecmp(t, types[i].n) == 0)
			return types[i].t;
	return 0;
}

/* The values of one tag, each once, into out. */
static void
askdns_values(struct eval_ctx *ec, const char *tag, struct strlist *out)
{
	const struct relays *rl;
	const struct relay *h = NULL;
	struct strlist addrs;

	memset(&addrs, 0, sizeof(addrs));
	if (strcmp(tag, "SENDERDOMAIN") == 0) {
		if (ec->in->envfrom != NULL && ec->in->envfrom[0] != '\0')
			strlist_add(&addrs, ec->in->envfrom);
		addr_hosts(&addrs, out);
	} else if (strcmp(tag, "AUTHORDOMAIN") == 0) {
		/* Every address of every From field (SpamAssassin's
		 * From:addr:host in list context). */
		for (size_t i = 0; i < rules_hdr_count(ec); i++)
			if (strcasecmp(rules_hdr_name(ec, i), "From") == 0)
				mime_header_addrs(rules_hdr_rawvalue(ec, i),
				    &addrs, ASKDNS_MAX_NAMES);
		addr_hosts(&addrs, out);
	} else if (strcmp(tag, "DKIMDOMAIN") == 0)
		eval_auth_dkim_domains(ec, out);
	else if ((rl = rules_hdr_relays(ec)) != NULL &&
	    rl->ninternal < rl->n) {
		/* SpamAssassin's relays_external->[0]. */
		char rev[80];
		const char *v = NULL;

		h = &rl->v[rl->ninternal];
		if (strcmp(tag, "LASTEXTERNALIP") == 0)
			v = h->ip;
		else if (strcmp(tag, "LASTEXTERNALREVIP") == 0)
			v = h->ip != NULL && dns_reverse(h->ip, rev,
			    sizeof(rev)) > 0 ? rev : NULL;
		else if (strcmp(tag, "LASTEXTERNALRDNS") == 0)
			v = h->rdns;
		else if (strcmp(tag, "LASTEXTERNALHELO") == 0)
			v = h->helo;
		if (v != NULL && v[0] != '\0')
			strlist_add(out, v);
	}
	strlist_free(&addrs);
}

/* Whether name can be asked: labels of 1 to 63 letters, digits, '-'
 * or '_', at least two of them, 253 bytes at most (a final dot
 * dropped). */
static bool
askdns_name_ok(char *name)
{
	size_t n = strlen(name), label = 0, labels = 1;

	while (n > 0 && name[n - 1] == '.')
		name[--n] = '\0';
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			labels++;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0 && labels >= 2;
}

/* s with every pat replaced by val (caller frees). */
static char *
replace_all(const char *s, const char *pat, const char *val)
{
	struct buf b;
	size_t pl = strlen(pat);
	const char *m;

	buf_init(&b, 0);
	while ((m = strstr(s, pat)) != NULL) {
		buf_append(&b, s, (size_t)(m - s));
		buf_puts(&b, val);
		s = m + pl;
	}
	buf_puts(&b, s);
	return buf_steal(&b);
}

/* The names rule r asks, into out (at most ASKDNS_MAX_NAMES). */
static void
askdns_names(const struct rule *r, struct eval_ctx *ec, struct strlist *out)
{
	struct strlist cur, next;
	char tag[64];

	if (r->neargs < 2)
		return;
	memset(&cur, 0, sizeof(cur));
	strlist_add(&cur, r->eargs[0]);
	for (const char *p = r->eargs[0]; *p; p++) {
		size_t n = eval_askdns_tag(p, tag, sizeof(tag));
		struct strlist vals;
		char pat[80];

		if (n == 0)
			continue;
		p += n - 1;
		snprintf(pat, sizeof(pat), "_%s_", tag);
		memset(&vals, 0, sizeof(vals));
		askdns_values(ec, tag, &vals);
		memset(&next, 0, sizeof(next));
		for (size_t i = 0; i < cur.n; i++) {
			if (strstr(cur.v[i], pat) == NULL) {
				if (!strlist_contains(&next, cur.v[i]))
					strlist_add(&next, cur.v[i]);
				continue;
			}
			for (size_t j = 0; j < vals.n &&
			    next.n < ASKDNS_MAX_NAMES; j++) {
				char *q = replace_all(cur.v[i], pat,
				    vals.v[j]);

				if (strlist_contains(&next, q))
					free(q);
				else
					strlist_add_owned(&next, q);
			}
		}
		strlist_free(&vals);
		strlist_free(&cur);
		cur = next;
	}
	for (size_t i = 0; i < cur.n; i++) {
		char *q = xstrdup(cur.v[i]);

		if (askdns_name_ok(q) && !strlist_contains(out, q))
			strlist_add_owned(out, q);
		else
			free(q);
	}
	strlist_free(&cur);
}

static void
askdns_start(const struct rule *r, struct eval_ctx *ec)
{
	struct strlist names;
	int type = eval_askdns_type(r->eargs[1]);

	memset(&names, 0, sizeof(names));
	askdns_names(r, ec, &names);
	for (size_t i = 0; i < names.n; i++)
		dns_lookup(ec->in->dns, names.v[i], type);
	strlist_free(&names);
}

/* An answer's DNS status code as SpamAssassin reads it; -1: no answer
 * (a timeout, or a lookup that failed without one). */
static int
askdns_rcode(const struct dns_answer *a)
{
	switch (a->status) {
	case DNS_OK:
	case DNS_NODATA:
		return 0;
	case DNS_NXDOMAIN:
		return 3;
	case DNS_ERROR:
		if (a->error != NULL && strcmp(a->error, "SERVFAIL") == 0)
			return 2;
		if (a->error != NULL && strcmp(a->error, "REFUSED") == 0)
			return 5;
		return -1;
	default:
		return -1;
	}
}

/* A "[NXDOMAIN, 2, ...]" subtest: whether rcode is in it. */
static bool
askdns_rcode_in(const char *sub, int rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
	    "NOTAUTH", "NOTZONE" };
	char w[32];

	for (const char *p = sub + 1; *p && *p != ']'; ) {
		size_t n = strcspn(p, ",] \t");

		if (n > 0 && n < sizeof(w)) {
			memcpy(w, p, n);
			w[n] = '\0';
			if (isdigit((unsigned char)w[0]) && atoi(w) == rcode)
				return true;
			for (size_t i = 0; i < ARRAY_LEN(names); i++)
				if ((int)i == rcode && strcasecmp(w, names[i]) == 0)
					return true;
		}
		p += n;
		p += strspn(p, ", \t");
	}
	return false;
}

/* One record against the subtest (SpamAssassin's
 * process_response_packet()). */
static bool
askdns_rr_match(const struct rule *r, int type, const char *v)
{
	const char *sub = r->neargs > 2 ? r->eargs[2] : NULL;
	size_t ov[2], n;
	struct uribl_def u;

	if (sub == NULL)
		return true;
	if (r->ere != NULL && r->ere[0] != NULL)
		return rx_search(r->ere[0], NULL, v, strlen(v), 0, 0, ov,
		    1) > 0;
	n = strlen(sub);
	if (n >= 2 && (sub[0] == '"' || sub[0] == '\'') && sub[n - 1] == sub[0])
		return strlen(v) == n - 2 && strncmp(v, sub + 1, n - 2) == 0;
	memset(&u, 0, sizeof(u));
	u.has_sub = true;
	if (strcmp(v, sub) == 0)
		return true;
	return sub_parse(&u, sub) && type == DNS_T_A &&
	    uribl_match(&u, DNS_T_A, v);
}

static unsigned
ev_askdns(const struct rule *r, struct eval_ctx *ec)
{
	struct strlist names;
	int type;
	unsigned hit = 0;
	const char *sub;

	if (ec->in->dns == NULL || r->neargs < 2 ||
	    (type = eval_askdns_type(r->eargs[1])) == 0)
		return 0;
	sub = r->neargs > 2 ? r->eargs[2] : NULL;
	eval_dns_prepare(ec);
	memset(&names, 0, sizeof(names));
	askdns_names(r, ec, &names);
	for (size_t i = 0; i < names.n && !hit; i++) {
		struct dns_query *q = dns_find(ec->in->dns, names.v[i], type);
		struct dns_answer a;
		int rcode;

		if (q == NULL)
			continue;
		dns_query_note(q, r->name);
		dns_answer(q, &a);
		rcode = askdns_rcode(&a);
		if (rcode < 0)
			continue;
		if (sub != NULL && sub[0] == '[') {
			hit = askdns_rcode_in(sub, rcode);
			continue;
		}
		for (size_t k = 0; a.status == DNS_OK && k < a.nrr && !hit; k++)
			hit = askdns_rr_match(r, type, a.rr[k]);
	}
	strlist_free(&names);
	return hit;
}

void
eval_dns_prefetch_relays(struct eval_ctx *ec)
{
	int type;

	if (ec->in->dns == NULL)
		return;
	for (size_t i = 0; i < ec->rs->n; i++) {
		const struct rule *r = ec->rs->rules[i];

		if (r->eval == NULL || !rules_rule_enabled(r))
			continue;
		if (r->eval->fn == ev_rbl)
			rbl_names(r, ec, &type, start_one, NULL);
		/* AskDNS rules whose tags the headers give (the DKIM
		 * domains come at the end of the message). */
		else if (r->eval->fn == ev_askdns && r->neargs >= 2 &&
		    strstr(r->eargs[0], "_DKIMDOMAIN_") == NULL)
			askdns_start(r, ec);
	}
}

void
eval_dns_free_cache(struct cache *c)
{
	strlist_free(&c->dns.hosts);
	strlist_free(&c->dns.orig);
}

/* Start (or go on with) every URI list's lookups. */
static void
uribl_prepare(struct eval_ctx *ec, bool *waiting)
{
	struct cache *c = eval_cache_get(ec);

	for (size_t i = 0; i < ec->rs->n; i++) {
		const struct rule *r = ec->rs->rules[i];
		struct uwalk w;

		if (r->eval == NULL || r->eval->fn != ev_uridnsbl ||
		    !rules_rule_enabled(r))
			continue;
		memset(&w, 0, sizeof(w));
		w.ec = ec;
		w.r = r;
		w.start = true;
		if ((w.u = uribl_def(r, ec)) == NULL)
			continue;
		uribl_walk(&w, &c->dns.hosts);
		if (w.waiting)
			*waiting = true;
	}
}

/* Start every lookup of the message's network tests that can start now
 * (the URI lists' first step); once.  True when a URI list is on. */
static bool
dns_start_all(struct eval_ctx *ec)
{
	struct cache *c = eval_cache_get(ec);
	const struct ruleset *rs = ec->rs;
	bool uribl = false, waiting = false;
	int type;

	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = rs->rules[i];

		if (r->eval == NULL || !(r->eval->kinds & NET) ||
		    !rules_rule_enabled(r))
			continue;
		if (r->eval->fn == ev_uridnsbl)
			uribl = true;
		else if (c->dns.started)
			continue;
		else if (r->eval->fn == ev_rbl)
			rbl_names(r, ec, &type, start_one, NULL);
		else if (r->eval->fn == ev_askdns)
			askdns_start(r, ec);
	}
	if (uribl && !c->dns.started) {
		uribl_hosts(ec, &c->dns.hosts);
		uribl_prepare(ec, &waiting);
	}
	c->dns.started = true;
	return uribl;
}

void
eval_dns_start(struct eval_ctx *ec)
{
	if (ec->in->dns != NULL)
		(void)dns_start_all(ec);
}

void
eval_dns_prepare(struct eval_ctx *ec)
{
	struct cache *c = eval_cache_get(ec);

	if (c->dns.prepared || ec->in->dns == NULL)
		return;
	c->dns.prepared = true;
	if (dns_start_all(ec)) {
		/* uridnsbl asks in steps (NS, their A, the list): each
		 * step starts when the one before has answered. */
		for (int step = 0; step < 3; step++) {
			bool waiting = false;

			uribl_prepare(ec, &waiting);
			if (!waiting)
				break;
			dns_wait(ec->in->dns, ec->in->dns_deadline_ms);
		}
	}
	dns_wait(ec->in->dns, ec->in->dns_deadline_ms);
}

const struct eval_def eval_dns_tests[] = {
	{ "check_rbl", K_HEAD | NET, 2, 3, 0, ev_rbl, prep_rbl },
	{ "check_rbl_txt", K_HEAD | NET, 2, 3, 0, ev_rbl, prep_rbl },
	{ "check_rbl_sub", K_HEAD | NET, 2, 2, 0, ev_rbl, prep_rbl },
	{ "check_rbl_from_host", K_HEAD | NET, 2, 3, 0, ev_rbl, prep_rbl },
	{ "check_rbl_from_domain", K_HEAD | NET, 2, 3, 0, ev_rbl, prep_rbl },
	{ "check_rbl_envfrom", K_HEAD | NET, 2, 3, 0, ev_rbl, prep_rbl },
	{ "check_uridnsbl", K_BODY | NET, 1, 1, MIME_URI, ev_uridnsbl,
	  NULL },
	/* askdns lines (the parser defines them; no arguments here: a
	 * rule written as eval:check_askdns() asks nothing) */
	{ "check_askdns", K_HEAD | NET, 0, 0, 0, ev_askdns, NULL },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};

void
eval_dns_summary(const struct ruleset *rs, struct diag *d)
{
	unsigned rbl = 0, uri = 0, stage = 0, ask = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = rs->rules[i];

		if (r->dnsbl != NULL)
			stage++;
		else if (r->eval != NULL && r->eval->fn == ev_rbl)
			rbl++;
		else if (r->eval != NULL && r->eval->fn == ev_uridnsbl)
			uri++;
		else if (r->eval != NULL && r->eval->fn == ev_askdns)
			ask++;
	}
	if (!(rs->scoreset & 1)) {
		diag_note(d, "rules: network tests: off (no dns_resolver: "
		    "DNS list rules and SpamAssassin's network tests are not "
		    "run, score set %u)", rs->scoreset);
		return;
	}
	diag_note(d, "rules: network tests: on (score set %u): %u DNS list "
	    "rules of the SMTP stages, %u DNSEval tests (check_rbl...), %u "
	    "URI list tests (check_uridnsbl), %u AskDNS tests%s",
	    rs->scoreset, stage, rbl, uri, ask, uri > 0 && (rs->tlds[0] == NULL ||
	    g_hash_table_size(rs->tlds[0]) == 0) ? "; no util_rb_tld "
	    "lines: URI hosts are not looked up" : "");
}
