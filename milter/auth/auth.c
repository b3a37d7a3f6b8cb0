/*
 * auth.c -- sender authentication for one message (auth.h): SPF, DKIM,
 * DMARC, and the Authentication-Results header.
 *
 * SPF is checked for the client the MTA reports (a local client, with
 * no address, is not checked), the MAIL FROM identity (the HELO name's
 * for the null sender) and, when the HELO name is a domain, the HELO
 * identity.  DMARC takes the From domain of a message with exactly one
 * From field holding one address.  ARC is verified for every message;
 * a chain passing with a trusted newest sealer may spare a DMARC
 * failure its policy (auth.h).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "auth_dns.h"
#include "config.h"
#include "txn.h"
#include "util.h"

/* ---- Small parsers ---- */

bool
auth_header_claims(const char *value, const char *authserv_id)
{
	const char *p = value;
	size_t n;

	if (value == NULL || authserv_id == NULL || authserv_id[0] == '\0')
		return false;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	n = strcspn(p, "; \t\r\n(");
	return n == strlen(authserv_id) && strncasecmp(p, authserv_id, n) == 0;
}

char *
auth_from_domain(const char *value)
{
	struct buf b;
	const char *p, *at, *lt, *gt;
	int depth = 0;
	bool quoted = false;
	char *addr, *dom;
	size_t n;

	if (value == NULL)
		return NULL;
	/* Comments and quoted strings out; more than one address (a comma
	 * outside them and outside <>) means no single From domain. */
	buf_init(&b, 4096);
	for (p = value; *p; p++) {
		if (quoted) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = false;
			continue;
		}
		if (depth > 0) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			continue;
		}
		if (*p == '"')
			quoted = true;
		else if (*p == '(')
			depth = 1;
		else if (*p == ',') {
			/* a trailing empty list element is no address */
			const char *q = p + 1;

			while (*q == ' ' || *q == '\t' || *q == '\r' ||
			    *q == '\n')
				q++;
			if (*q != '\0') {
				buf_free(&b);
				return NULL;
			}
		} else if (buf_putc(&b, *p) < 0)
			break;
	}
	if (b.len == 0) {		/* only comments, or nothing */
		buf_free(&b);
		return NULL;
	}
	lt = strchr(b.p, '<');
	gt = lt ? strchr(lt, '>') : NULL;
	if (lt != NULL && gt != NULL)
		addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	else
		addr = xstrdup(b.p);
	buf_free(&b);
	at = strrchr(addr, '@');
	if (at == NULL) {
		free(addr);
		return NULL;
	}
	at++;
	while (*at == ' ' || *at == '\t')
		at++;
	n = strcspn(at, " \t\r\n>;");
	/* Nothing but white space may follow the domain. */
	for (const char *q = at + n; *q != '\0' && *q != '>'; q++)
		if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n') {
			free(addr);
			return NULL;
		}
	while (n > 0 && at[n - 1] == '.')
		n--;
	if (n == 0 || n > 253) {
		free(addr);
		return NULL;
	}
	dom = xstrndup(at, n);
	free(addr);
	for (char *q = dom; *q; q++) {
		if (!isalnum((unsigned char)*q) && *q != '.' && *q != '-' &&
		    *q != '_') {
			free(dom);
			return NULL;
		}
		*q = (char)tolower((unsigned char)*q);
	}
	return dom;
}

/* The domain of an address ("" and NULL: none). */
static const char *
addr_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* Whether name is domain or under it. */
static bool
under(const char *name, const char *domain)
{
	size_t n, d;

	if (name == NULL || domain == NULL)
		return false;
	n = strlen(name);
	d = strlen(domain);
	return (n == d && strcasecmp(name, domain) == 0) || (n > d &&
	    name[n - d - 1] == '.' && strcasecmp(name + n - d, domain) == 0);
}

static bool
helo_is_domain(const char *helo)
{
	unsigned char a[16];

	return helo != NULL && strchr(helo, '.') != NULL && helo[0] != '[' &&
	    inet_pton(AF_INET, helo, a) != 1 &&
	    inet_pton(AF_INET6, helo, a) != 1;
}

void
auth_prefetch(struct dns_set *dns, const char *envfrom, const char *helo)
{
	const char *d = addr_domain(envfrom);

	if (dns == NULL)
		return;
	if (d != NULL)
		dns_lookup(dns, d, DNS_T_TXT);
	else if (helo_is_domain(helo))
		dns_lookup(dns, helo, DNS_T_TXT);
}

void
auth_prefetch_eoh(struct dns_set *dns, const struct header *h, size_t n,
    bool dmarc)
{
	unsigned sigs = 0;
	bool from = false;

	if (dns == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		const char *name = h[i].name, *v = h[i].value;

		if (name == NULL || v == NULL)
			continue;
		if (dmarc && !from && strcasecmp(name, "From") == 0) {
			char *d = auth_from_domain(v), *org, *q;

			from = true;
			if (d == NULL)
				continue;
			q = xasprintf("_dmarc.%s", d);
			dns_lookup(dns, q, DNS_T_TXT);
			free(q);
			if ((org = dmarc_org_domain(d)) != NULL &&
			    strcasecmp(org, d) != 0) {
				q = xasprintf("_dmarc.%s", org);
				dns_lookup(dns, q, DNS_T_TXT);
				free(q);
			}
			free(org);
			free(d);
		} else if (strcasecmp(name, "DKIM-Signature") == 0 &&
		    sigs < DKIM_MAX_SIGS) {
			struct dkim_tags t;
			const struct dkim_tag *d, *sel;
			const char *why;

			sigs++;
			if (dkim_tags_parse(v, strlen(v), &t, &why) != 0 ||
			    (d = dkim_tag_get(&t, "d")) == NULL ||
			    (sel = dkim_tag_get(&t, "s")) == NULL ||
			    d->vlen == 0 || sel->vlen == 0 ||
			    d->vlen + sel->vlen > 240 ||
			    memchr(d->val, ' ', d->vlen) != NULL ||
			    memchr(sel->val, ' ', sel->vlen) != NULL)
				continue;
			{
				char *q = xasprintf("%.*s._domainkey.%.*s",
				    (int)sel->vlen, sel->val, (int)d->vlen,
				    d->val);

				dns_lookup(dns, q, DNS_T_TXT);
				free(q);
			}
		}
	}
}

/* ---- The header ---- */

/* RFC 8601 value: a token as it is, else a quoted string. */
static void
ar_value(struct buf *b, const char *v)
{
	bool token = v[0] != '\0';

	/* RFC 8601's pvalue: a token, or an address or domain as it is. */
	for (const char *p = v; *p && token; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127 ||
		    strchr("()<>,;:\\\"[]?=", *p) != NULL)
			token = false;
	if (token) {
		buf_puts(b, v);
		return;
	}
	buf_putc(b, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, (unsigned char)*p < ' ' ? ' ' : *p);
	}
	buf_putc(b, '"');
}

static void
ar_header(const struct auth_input *in, struct auth_results *r)
{
	const struct config *cfg = in->cfg;
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, cfg->authserv_id[0] ? cfg->authserv_id :
	    cfg->hostname);
	if (r->spf_done) {
		buf_printf(&b, "; spf=%s", spf_result_name(r->spf.result));
		if (in->envfrom != NULL && in->envfrom[0] != '\0') {
			buf_puts(&b, " smtp.mailfrom=");
			ar_value(&b, in->envfrom);
		} else if (in->helo != NULL) {
			buf_puts(&b, " smtp.helo=");
			ar_value(&b, in->helo);
		}
	}
	if (r->dkim.n == 0)
		buf_puts(&b, "; dkim=none");
	for (size_t i = 0; i < r->dkim.n; i++) {
		const struct dkim_sig *s = &r->dkim.v[i];

		buf_printf(&b, "; dkim=%s", dkim_status_name(s->status));
		if (s->sha1 && s->status == DKIM_PASS)
			buf_puts(&b, " (rsa-sha1: not trusted)");
		else if (s->body_mismatch)
			buf_puts(&b, " (body hash did not verify)");
		if (s->d != NULL) {
			buf_puts(&b, " header.d=");
			ar_value(&b, s->d);
		}
		if (s->s != NULL) {
			buf_puts(&b, " header.s=");
			ar_value(&b, s->s);
		}
		if (s->b12 != NULL && s->b12[0] != '\0') {
			buf_puts(&b, " header.b=");
			ar_value(&b, s->b12);
		}
	}
	if (r->dmarc_done && r->from_domain != NULL) {
		buf_printf(&b, "; dmarc=%s",
		    dmarc_result_name(r->dmarc.result));
		if (r->arc_override != NULL)
			buf_printf(&b, " (p=%s dis=none arc override by %s)",
			    dmarc_policy_name(r->dmarc.policy),
			    r->arc_override);
		else if (r->dmarc.result == DMARC_PASS ||
		    r->dmarc.result == DMARC_FAIL)
			buf_printf(&b, " (p=%s dis=%s)",
			    dmarc_policy_name(r->dmarc.policy),
			    dmarc_policy_name(r->dmarc.disposition));
		buf_puts(&b, " header.from=");
		ar_value(&b, r->from_domain);
	}
	buf_printf(&b, "; arc=%s", arc_result_name(r->arc.result));
	if (r->arc.result != ARC_NONE)
		buf_printf(&b, " (%s)", r->arc.why);
	if (r->arc.result == ARC_PASS)
		buf_printf(&b, " header.oldest-pass=%u", r->arc.oldest_pass);
	r->header = buf_steal(&b);
}

/* DMARC failed: whether the ARC chain's newest sealer is trusted and
 * vouches for the From domain (auth.h); its domain, or NULL. */
static char *
arc_override(const struct config *cfg, const struct auth_results *r)
{
	const char *sealer = arc_sealer(&r->arc);

	if (sealer == NULL || r->from_domain == NULL ||
	    !arc_aar_vouches(r->arc.sets[r->arc.n - 1].aar, r->from_domain))
		return NULL;
	for (size_t i = 0; i < cfg->arc_trusted_sealers.n; i++)
		if (under(sealer, cfg->arc_trusted_sealers.v[i]))
			return xstrdup(sealer);
	return NULL;
}

/* ---- The checks ---- */

struct auth_results *
auth_run(const struct auth_input *in)
{
	const struct config *cfg = in->cfg;
	struct auth_results *r = xcalloc(1, sizeof(*r));
	struct auth_dns dns;
	struct auth_dns_set ds;
	struct spf_request rq;
	const struct header *from = NULL;
	unsigned nfrom = 0;

	auth_dns_over_set(&dns, &ds, in->dns, in->deadline_ms);
	memset(&rq, 0, sizeof(rq));
	rq.ip = in->client_addr;
	rq.sender = in->envfrom;
	rq.helo = in->helo;
	rq.receiver = cfg->hostname;
	if (in->client_addr != NULL && in->client_addr[0] != '\0') {
		r->spf_done = true;
		spf_check_mailfrom(&rq, &dns, &r->spf);
		if (helo_is_domain(in->helo)) {
			r->spf_helo_done = true;
			spf_check_helo(&rq, &dns, &r->spf_helo);
		}
	}
	dkim_verify(in->msg, in->msglen, &dns, &r->dkim);
	for (size_t i = 0; i < in->nhdrs; i++)
		if (strcasecmp(in->hdrs[i].name, "From") == 0) {
			from = &in->hdrs[i];
			nfrom++;
		}
	if (nfrom == 1)
		r->from_domain = auth_from_domain(from->value);
	if (cfg->dmarc_policy != DMARC_POLICY_OFF) {
		struct dmarc_input di;
		const char *sd = addr_domain(in->envfrom);

		memset(&di, 0, sizeof(di));
		di.from_domain = r->from_domain;
		/* The SPF identity: MAIL FROM's domain, or the HELO name's
		 * for the null sender (RFC 7489 section 3.1.2). */
		di.spf_domain = sd != NULL ? sd : in->helo;
		di.spf = r->spf_done ? r->spf.result : SPF_NONE;
		di.dkim = &r->dkim;
		r->dmarc_done = true;
		dmarc_check(&di, &dns, &r->dmarc);
		for (size_t i = 0; i < cfg->dmarc_exempt_forwarders.n; i++) {
			const char *f = cfg->dmarc_exempt_forwarders.v[i];

			if (under(sd, f) || under(in->client_name, f))
				r->dmarc_exempt = true;
		}
	}
	arc_verify(in->msg, in->msglen, &dns, &r->arc);
	if (r->dmarc_done && r->dmarc.result == DMARC_FAIL)
		r->arc_override = arc_override(cfg, r);
	ar_header(in, r);
	return r;
}

void
auth_results_free(struct auth_results *r)
{
	if (r == NULL)
		return;
	spf_outcome_free(&r->spf);
	spf_outcome_free(&r->spf_helo);
	dkim_results_free(&r->dkim);
	dmarc_outcome_free(&r->dmarc);
	arc_results_free(&r->arc);
	free(r->arc_override);
	free(r->from_domain);
	free(r->header);
	free(r);
}
