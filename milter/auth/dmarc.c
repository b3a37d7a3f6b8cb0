/*
 * dmarc.c -- DMARC (dmarc.h): the record, alignment and disposition.
 *
 * RFC 7489 section 6.6: the From domain's record at _dmarc.DOMAIN, or,
 * when there is none, the organizational domain's; several DMARC
 * records at one name count as none.  A DKIM signature that passed
 * (rsa-sha1 excepted: it is reported, never trusted) aligns when its d=
 * is the From domain (strict) or shares its organizational domain
 * (relaxed); SPF aligns the same way with the MAIL FROM domain when SPF
 * passed.  The disposition is p= (sp= for a subdomain whose record is
 * the organizational domain's, np= for a From domain that does not
 * exist), sampled by pct= as section 6.6.4 says: a message outside the
 * sample gets the next milder policy.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "dmarc.h"

#define MAX_RECORD	4096

/* ---- Records ---- */

static enum dmarc_policy
policy_word(const char *v, size_t n)
{
	if (n == 4 && strncasecmp(v, "none", 4) == 0)
		return DP_NONE;
	if (n == 10 && strncasecmp(v, "quarantine", 10) == 0)
		return DP_QUARANTINE;
	if (n == 6 && strncasecmp(v, "reject", 6) == 0)
		return DP_REJECT;
	return DP_UNSET;
}

int
dmarc_record_parse(const char *txt, struct dmarc_record *r)
{
	size_t len = strnlen(txt, MAX_RECORD);
	const char *p = txt, *end = txt + len;
	bool first = true, rua = false, p_bad = false;

	memset(r, 0, sizeof(*r));
	r->pct = 100;
	while (p < end) {
		const char *tag, *val, *semi, *eq;
		size_t tn, vn;

		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		eq = memchr(p, '=', (size_t)(semi - p));
		if (eq == NULL) {
			if (first)
				return -1;
			p = semi + 1;	/* a tag without a value: ignored */
			continue;
		}
		tag = p;
		tn = (size_t)(eq - p);
		while (tn > 0 && isspace((unsigned char)tag[tn - 1]))
			tn--;
		val = eq + 1;
		while (val < semi && isspace((unsigned char)*val))
			val++;
		vn = (size_t)(semi - val);
		while (vn > 0 && isspace((unsigned char)val[vn - 1]))
			vn--;
		if (first) {
			/* v=DMARC1 first, exactly (section 6.4). */
			if (tn != 1 || tag[0] != 'v' || vn != 6 ||
			    strncmp(val, "DMARC1", 6) != 0)
				return -1;
			first = false;
		} else if (tn == 1 && tag[0] == 'p') {
			r->p = policy_word(val, vn);
			p_bad = r->p == DP_UNSET;
		} else if (tn == 2 && strncmp(tag, "sp", 2) == 0)
			r->sp = policy_word(val, vn);
		else if (tn == 2 && strncmp(tag, "np", 2) == 0)
			r->np = policy_word(val, vn);
		else if (tn == 5 && strncmp(tag, "adkim", 5) == 0)
			r->adkim_strict = vn == 1 && (val[0] == 's' ||
			    val[0] == 'S');
		else if (tn == 4 && strncmp(tag, "aspf", 4) == 0)
			r->aspf_strict = vn == 1 && (val[0] == 's' ||
			    val[0] == 'S');
		else if (tn == 3 && strncmp(tag, "pct", 3) == 0) {
			unsigned v = 0;
			size_t i;

			for (i = 0; i < vn && i < 4 &&
			    isdigit((unsigned char)val[i]); i++)
				v = v * 10 + (unsigned)(val[i] - '0');
			if (i == vn && vn > 0 && v <= 100)
				r->pct = v;
		} else if (tn == 3 && strncmp(tag, "rua", 3) == 0)
			rua = vn > 0;
		p = semi + 1;
	}
	if (first)
		return -1;
	if (r->p == DP_UNSET || p_bad) {
		/* Section 6.6.3: no valid p= but a report address: p=none. */
		if (!rua)
			return -1;
		r->p = DP_NONE;
	}
	return 0;
}

/* ---- Organizational domains ---- */

static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static const psl_ctx_t *psl;

static void
psl_load(void)
{
	/* The newest of the list built into libpsl and the system's
	 * (the publicsuffix package). */
	psl = psl_latest(NULL);
	if (psl == NULL)
		psl = psl_builtin();
}

char *
dmarc_org_domain(const char *domain)
{
	char *lower, *p;
	const char *reg;
	char *res = NULL;
	size_t n;

	if (domain == NULL || (n = strlen(domain)) == 0 || n > 253)
		return NULL;
	pthread_once(&psl_once, psl_load);
	lower = strdup(domain);
	if (lower == NULL)
		return NULL;
	for (p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	while (n > 0 && lower[n - 1] == '.')
		lower[--n] = '\0';
	if (psl != NULL && n > 0 &&
	    (reg = psl_registrable_domain(psl, lower)) != NULL)
		res = strdup(reg);
	free(lower);
	return res;
}

/* ---- Alignment ---- */

static bool
aligned(const char *a, const char *b, bool strict)
{
	char *oa, *ob;
	bool r;

	if (a == NULL || b == NULL || a[0] == '\0' || b[0] == '\0')
		return false;
	if (strcasecmp(a, b) == 0)
		return true;
	if (strict)
		return false;
	oa = dmarc_org_domain(a);
	ob = dmarc_org_domain(b);
	r = oa != NULL && ob != NULL && strcmp(oa, ob) == 0;
	free(oa);
	free(ob);
	return r;
}

/*
 * The DMARC record at _dmarc.domain: 0 found (in r), 1 none, -1 a
 * temporary error.
 */
static int
fetch(const char *domain, struct auth_dns *dns, struct dmarc_record *r)
{
	struct strlist txt = { 0 };
	char *name = xasprintf("_dmarc.%s", domain);
	enum dns_status st = auth_dns_lookup(dns, name, DNS_T_TXT, &txt);
	int found = 0, ret;

	free(name);
	if (st == DNS_ERROR || st == DNS_PENDING) {
		strlist_free(&txt);
		return -1;
	}
	for (size_t i = 0; i < txt.n; i++) {
		struct dmarc_record t;

		if (dmarc_record_parse(txt.v[i], &t) == 0) {
			if (found++ == 0)
				*r = t;
		} else if (strncasecmp(txt.v[i], "v=DMARC1", 8) == 0)
			found += 2;	/* a DMARC record, broken: none */
	}
	strlist_free(&txt);
	/* One valid record, or none (several count as none). */
	ret = found == 1 ? 0 : 1;
	return ret;
}

/* Whether domain does not exist: NXDOMAIN for A, AAAA and MX. */
static bool
nonexistent(const char *domain, struct auth_dns *dns)
{
	static const int types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_MX };

	for (size_t i = 0; i < 3; i++) {
		struct strlist out = { 0 };
		enum dns_status st = auth_dns_lookup(dns, domain, types[i],
		    &out);

		strlist_free(&out);
		if (st != DNS_NXDOMAIN)
			return false;
	}
	return true;
}

static enum dmarc_policy
milder(enum dmarc_policy p)
{
	return p == DP_REJECT ? DP_QUARANTINE : DP_NONE;
}

void
dmarc_check(const struct dmarc_input *in, struct auth_dns *dns,
    struct dmarc_outcome *out)
{
	struct dmarc_record rec;
	char *org = NULL;
	int got;

	memset(out, 0, sizeof(*out));
	if (in->from_domain == NULL || in->from_domain[0] == '\0') {
		out->why = xstrdup("no single From domain");
		return;
	}
	out->domain = xstrdup(in->from_domain);
	for (char *p = out->domain; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	got = fetch(out->domain, dns, &rec);
	if (got == 0)
		out->record_domain = xstrdup(out->domain);
	else if (got == 1 && (org = dmarc_org_domain(out->domain)) != NULL &&
	    strcmp(org, out->domain) != 0) {
		got = fetch(org, dns, &rec);
		if (got == 0)
			out->record_domain = xstrdup(org);
	}
	if (got < 0) {
		out->result = DMARC_TEMPERROR;
		out->why = xstrdup("DNS error looking up the policy");
		goto done;
	}
	if (got == 1) {
		out->result = DMARC_NONE;
		out->why = xstrdup("no policy record");
		goto done;
	}
	out->spf_aligned = in->spf == SPF_PASS &&
	    aligned(in->spf_domain, out->domain, rec.aspf_strict);
	for (size_t i = 0; in->dkim != NULL && i < in->dkim->n &&
	    !out->dkim_aligned; i++) {
		const struct dkim_sig *s = &in->dkim->v[i];

		if (s->status == DKIM_PASS && !s->sha1 &&
		    aligned(s->d, out->domain, rec.adkim_strict))
			out->dkim_aligned = true;
	}
	/* Which policy applies to this domain. */
	out->policy = rec.p;
	if (strcmp(out->record_domain, out->domain) != 0) {
		if (rec.np != DP_UNSET && nonexistent(out->domain, dns))
			out->policy = rec.np;
		else if (rec.sp != DP_UNSET)
			out->policy = rec.sp;
	}
	if (out->spf_aligned || out->dkim_aligned) {
		out->result = DMARC_PASS;
		out->disposition = DP_NONE;
		out->why = xasprintf("aligned %s%s%s", out->dkim_aligned ?
		    "DKIM" : "", out->dkim_aligned && out->spf_aligned ?
		    " and " : "", out->spf_aligned ? "SPF" : "");
		goto done;
	}
	out->result = DMARC_FAIL;
	out->disposition = out->policy;
	if (rec.pct < 100 && out->policy != DP_NONE &&
	    arc4random_uniform(100) >= rec.pct)
		out->disposition = milder(out->policy);
	out->why = xasprintf("neither SPF nor DKIM aligned with %s "
	    "(policy %s%s)", out->domain, dmarc_policy_name(out->policy),
	    out->disposition != out->policy ? ", pct sampled it out" : "");
done:
	free(org);
}

void
dmarc_outcome_free(struct dmarc_outcome *o)
{
	free(o->domain);
	free(o->record_domain);
	free(o->why);
	memset(o, 0, sizeof(*o));
}

const char *
dmarc_result_name(enum dmarc_result r)
{
	switch (r) {
	case DMARC_PASS: return "pass";
	case DMARC_FAIL: return "fail";
	case DMARC_TEMPERROR: return "temperror";
	case DMARC_PERMERROR: return "permerror";
	default: return "none";
	}
}

const char *
dmarc_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DP_NONE: return "none";
	case DP_QUARANTINE: return "quarantine";
	case DP_REJECT: return "reject";
	default: return "unset";
	}
}
