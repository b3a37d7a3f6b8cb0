/*
 * eval_header.c -- SpamAssassin's HeaderEval tests: dates, forged
 * Received headers, the envelope sender and From, recipients, Subject
 * and the other headers.  It owns the cache's hdr part (recipients,
 * the hotmail verdict, the envelope sender) and its table of tests.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "eval_int.h"
#include "mime.h"
#include "relays.h"
#include "rx.h"
#include "util.h"

#define MAX_RECIPS	256	/* SpamAssassin looks at 256 at most */

/* ---- Small helpers ---- */

/* Every value of header name as SpamAssassin's get() joins them, with
 * the value in one line: for Received and the like. */
static char *
hget_squashed(struct eval_ctx *ec, const char *name)
{
	return eval_squash_ws(eval_hget(ec, name, 0, NULL));
}

/*
 * SpamAssassin's MESSAGEID pseudo-header: the first found of the
 * message id headers, in its order of preference, each value.
 */
static char *
hget_msgid(struct eval_ctx *ec)
{
	static const char *const ids[] = { "X-Message-Id",
		"Resent-Message-Id", "X-Original-Message-ID", "Message-Id",
		NULL };
	struct buf b;

	buf_init(&b, MAX_HDR);
	for (const char *const *h = ids; *h; h++)
		if (rules_hdr_values(ec, *h, HM_RAW, &b) > 0)
			buf_putc(&b, '\n');
	if (b.p == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* ---- HeaderEval: dates ---- */

static unsigned
ev_shifted_date(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_date_cache *c = &eval_cache_get(ec)->dates;
	double min, max, d;

	eval_dates_work(ec);
	d = (double)c->date_diff;
	if (eval_arg_num(r->eargs[0], &min) && !(d >= 3600 * min))
		return 0;
	if (eval_arg_num(r->eargs[1], &max) && !(d < 3600 * max))
		return 0;
	return 1;
}

static unsigned
ev_outlook_msgid(const struct rule *r, struct eval_ctx *ec)
{
	const double x = 0.0023283064365387, y = 27111902.8329849;
	char *id = hget_msgid(ec), *tok, *v;
	long long token, t = 0, expected;
	unsigned hit = 0;

	(void)r;
	tok = eval_rx_cap1(RX_OUTLOOK_MSGID, id);
	free(id);
	if (tok == NULL)
		return 0;
	token = strtoll(tok, NULL, 16);
	free(tok);
	v = eval_hget(ec, "Date", 0, NULL);
	if (!eval_parse_date(v, &t))
		t = 0;
	free(v);
	expected = (long long)((double)t * x + y);
	if (llabs(token - expected) < 250)
		return 0;
	/* The date of the last Received header instead. */
	v = eval_hget_unfolded(ec, "Received");
	{
		size_t n = strlen(v);

		/* SpamAssassin's $ matches before the final newline. */
		if (n > 0 && v[n - 1] == '\n')
			v[--n] = '\0';
		tok = eval_rx_cap1(RX_RCVD_LASTDATE, v);
	}
	free(v);
	t = 0;
	if (tok == NULL || !eval_parse_date(tok, &t))
		t = 0;
	free(tok);
	expected = (long long)((double)t * x + y);
	hit = llabs(token - expected) >= 250;
	return hit;
}

/* ---- HeaderEval: forged Received headers ---- */

static bool
gated_through_received_hdr_remover(struct eval_ctx *ec)
{
	bool found, r = false;
	char *ml = eval_hget(ec, "Mailing-List", 0, &found);

	if (found && eval_rx_match(RX_EZMLM, ml)) {
		char *dlto = eval_hget(ec, "Delivered-To", 0, NULL);
		char *rcvd = eval_hget(ec, "Received", 0, NULL);

		r = eval_rx_match(RX_ML_DLTO, dlto) &&
		    eval_rx_match(RX_QMAIL_INVOKED, rcvd);
		free(dlto);
		free(rcvd);
	}
	free(ml);
	if (r)
		return true;
	ml = eval_hget(ec, "Received", 0, &found);
	if (!found)
		r = true;
	else
		r = eval_rx_match(RX_MSN_GROUPS, ml);
	free(ml);
	return r;
}

static unsigned
ev_gated(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	return gated_through_received_hdr_remover(ec);
}

static unsigned
ev_fake_aol(const struct rule *r, struct eval_ctx *ec)
{
	char *v = hget_squashed(ec, "Received");
	unsigned hit = 0;

	(void)r;
	if (eval_rx_match(RX_AOL_RLY, v) && !eval_rx_match(RX_AOL_VIA, v) &&
	    !eval_rx_match(RX_AOL_ID, v))
		hit = 1;
	free(v);
	return hit;
}

static bool
msn_groups(struct eval_ctx *ec)
{
	char *to = eval_hget(ec, "To", 0, NULL), *list, *rcvd, *server = NULL;
	bool ok = false;

	list = eval_rx_cap1(RX_MSN_TO, to);
	free(to);
	if (list == NULL)
		return false;
	rcvd = eval_hget(ec, "Received", 0, NULL);
	server = eval_rx_cap1(RX_MSN_PICKUP, rcvd);
	free(rcvd);
	if (server != NULL) {
		char *mid = eval_hget(ec, "Message-Id", 0, NULL), *want;

		if (strcmp(list, "notifications") == 0) {
			want = xasprintf("@%s>", server);
			ok = mid[0] == '<' && strstr(mid, want) != NULL &&
			    strcspn(mid, " \t") > (size_t)(strstr(mid, want) -
			    mid);
		} else {
			char *ef = NULL;

			want = xasprintf("<%s-", list);
			ok = strncmp(mid, want, strlen(want)) == 0 &&
			    strstr(mid, "@groups.msn.com>") != NULL;
			if (ok) {
				char *b = xasprintf("%s-bounce@groups.msn.com",
				    list);

				ef = eval_hget_addr(ec, "Return-Path");
				ok = strstr(ef, b) != NULL;
				free(b);
			}
			free(ef);
		}
		free(want);
		free(mid);
	}
	free(server);
	free(list);
	return ok;
}

static void
hotmail_work(struct eval_ctx *ec)
{
	struct eval_hdr_cache *c = &eval_cache_get(ec)->hdr;
	char *rcvd, *ipv, *orgv;
	bool ip, orig, f1, f2;

	if (c->hotmail >= 0)
		return;
	c->hotmail = 0;
	rcvd = hget_squashed(ec, "Received");
	if (eval_rx_match(RX_HM_PICKUP, rcvd) || msn_groups(ec)) {
		free(rcvd);
		return;
	}
	ipv = eval_hget(ec, "X-Originating-Ip", 0, &f1);
	orgv = eval_hget(ec, "X-OriginatorOrg", 0, &f2);
	ip = f1 && eval_rx_match(RX_IPADDR, ipv);
	orig = f2 && eval_rx_match(RX_HM_ORIG, orgv);
	free(ipv);
	free(orgv);
	if (gated_through_received_hdr_remover(ec) ||
	    (eval_rx_match(RX_HM_1, rcvd) && ip) ||
	    (eval_rx_match(RX_HM_2, rcvd) && orig) ||
	    (eval_rx_match(RX_HM_3, rcvd) && orig) ||
	    (eval_rx_match(RX_HM_4, rcvd) && ip) ||
	    (eval_rx_match(RX_HM_5, rcvd) && ip) ||
	    (eval_rx_match(RX_HM_6, rcvd) && ip)) {
		free(rcvd);
		return;
	}
	if (eval_rx_match(RX_HM_FORGED, rcvd))
		c->hotmail = 1;
	else {
		char *from = eval_hget_addr(ec, "From");

		if (eval_rx_match(RX_HM_FROM, from))
			c->hotmail = 2;
		free(from);
	}
	free(rcvd);
}

static unsigned
ev_forged_hotmail(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	hotmail_work(ec);
	return (eval_cache_get(ec)->hdr.hotmail & 1) != 0;
}

static unsigned
ev_no_hotmail(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	hotmail_work(ec);
	return (eval_cache_get(ec)->hdr.hotmail & 2) != 0;
}

static unsigned
ev_forged_eudoramail(const struct rule *r, struct eval_ctx *ec)
{
	char *from = eval_hget_addr(ec, "From"), *rcvd, *ipv;
	bool f, ip;
	unsigned hit = 1;

	(void)r;
	if (!eval_rx_match(RX_EUDORA_FROM, from)) {
		free(from);
		return 0;
	}
	free(from);
	rcvd = hget_squashed(ec, "Received");
	ipv = eval_hget(ec, "X-Sender-Ip", 0, &f);
	ip = f && eval_rx_match(RX_IPADDR, ipv);
	if (gated_through_received_hdr_remover(ec) ||
	    (eval_rx_match(RX_EUDORA_RCVD, rcvd) && ip))
		hit = 0;
	free(ipv);
	free(rcvd);
	return hit;
}

static unsigned
ev_forged_yahoo(const struct rule *r, struct eval_ctx *ec)
{
	char *from = eval_hget_addr(ec, "From"), *rcvd, *rt, *ru;
	bool rf, rto;
	unsigned hit = 1;

	(void)r;
	if (!eval_rx_match(RX_YH_FROM, from)) {
		free(from);
		return 0;
	}
	rcvd = eval_hget(ec, "Received", 0, NULL);
	{
		char *a = eval_hget(ec, "Resent-From", 0, NULL);
		char *b = eval_hget(ec, "Resent-To", 0, NULL);

		rf = a[0] != '\0';
		rto = b[0] != '\0';
		free(a);
		free(b);
	}
	if (rf && rto) {
		char *x = eval_hget(ec, "X-Received", 0, NULL);

		if (x[0] != '\0') {
			free(rcvd);
			rcvd = x;
		} else
			free(x);
	}
	eval_squash_ws(rcvd);
	rt = eval_relays_str(ec, true);
	ru = eval_relays_str(ec, false);
	if (gated_through_received_hdr_remover(ec) ||
	    eval_rx_match(RX_YH_RDNS_T, rt) ||
	    eval_rx_match(RX_YH_RDNS_U, ru) ||
	    eval_rx_match(RX_YH_1, rcvd) || eval_rx_match(RX_YH_2, rcvd) ||
	    eval_rx_match(RX_YH_3, rcvd) || eval_rx_match(RX_YH_4, rcvd) ||
	    (eval_rx_match(RX_YH_5, rcvd) &&
	    eval_rx_match(RX_YH_REPLY, from)) ||
	    eval_rx_match(RX_YH_6, rcvd))
		hit = 0;
	free(rt);
	free(ru);
	free(rcvd);
	free(from);
	return hit;
}

static unsigned
ev_forged_juno(const struct rule *r, struct eval_ctx *ec)
{
	char *from = eval_hget_addr(ec, "From"), *xorig, *xmailer, *rcvd;
	unsigned hit = 0;

	(void)r;
	if (!eval_rx_match(RX_JUNO_FROM, from) ||
	    gated_through_received_hdr_remover(ec)) {
		free(from);
		return 0;
	}
	free(from);
	xorig = eval_hget(ec, "X-Originating-IP", 0, NULL);
	xmailer = eval_hget(ec, "X-Mailer", 0, NULL);
	rcvd = eval_hget(ec, "Received", 0, NULL);
	if (xorig[0] != '\0') {
		if (!eval_rx_match(RX_JUNO_1, rcvd) &&
		    !eval_rx_match(RX_JUNO_2, rcvd))
			hit = 1;
		else if (strstr(xmailer, "Juno ") == NULL)
			hit = 1;
	} else {
		if (eval_rx_match(RX_JUNO_3, rcvd)) {
			if (!eval_rx_match(RX_JUNO_MAILCOM, xmailer))
				hit = 1;
		} else if (eval_rx_match(RX_JUNO_4, rcvd)) {
			if (!eval_rx_match(RX_JUNO_5, xmailer))
				hit = 1;
		} else
			hit = 1;
		if (!hit && !eval_rx_match(RX_IPADDR, xorig))
			hit = 1;
	}
	free(xorig);
	free(xmailer);
	free(rcvd);
	return hit;
}

static unsigned
ev_forged_gmail(const struct rule *r, struct eval_ctx *ec)
{
	char *from = eval_hget_addr(ec, "From"), *xgms, *xss, *xr, *rc;
	unsigned hit = 1;

	(void)r;
	if (!eval_rx_match(RX_GM_FROM, from)) {
		free(from);
		return 0;
	}
	free(from);
	xgms = eval_hget(ec, "X-Gm-Message-State", 0, NULL);
	xss = eval_hget(ec, "X-Google-Smtp-Source", 0, NULL);
	xr = eval_hget(ec, "X-Received", 0, NULL);
	rc = eval_hget(ec, "Received", 0, NULL);
	if (eval_rx_match(RX_GM_1, xr) || eval_rx_match(RX_GM_2, xr) ||
	    eval_rx_match(RX_GM_3, rc) ||
	    (strlen(xgms) >= 60 && strlen(xss) >= 60))
		hit = 0;
	free(xgms);
	free(xss);
	free(xr);
	free(rc);
	return hit;
}

static unsigned
ev_msn_groups(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	return msn_groups(ec);
}

/* The oldest Received header of a GroupWise gateway: a "by" name
 * with no dot, in that exact form. */
static unsigned
ev_forged_gw05(const struct rule *r, struct eval_ctx *ec)
{
	char *v = eval_hget(ec, "Received", 0, NULL);
	size_t ov[6];
	unsigned hit = 0;

	(void)r;
	if (eval_rx_exec(RX_GW05, v, strlen(v), 0, ov, 3) &&
	    ov[4] != (size_t)-1 &&
	    memchr(v + ov[4], '.', ov[5] - ov[4]) == NULL)
		hit = 1;
	free(v);
	return hit;
}

static unsigned
ev_received_within_months(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_date_cache *c = &eval_cache_get(ec)->dates;
	long long poss[3], received = 0, diff;
	size_t n = 0;
	double min, max;

	eval_dates_work(ec);
	if (c->have_date)
		poss[n++] = c->date;
	if (c->nrcvd_times > 0)
		poss[n++] = c->rcvd_times[0];
	if (c->have_date && c->nrcvd_times > 0)
		poss[n++] = c->date - c->date_diff;
	if (n > 0) {
		/* The median, as SpamAssassin picks it (sorted down). */
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (poss[j] > poss[i]) {
					long long t = poss[i];

					poss[i] = poss[j];
					poss[j] = t;
				}
		received = poss[(n - 1) / 2];
	}
	diff = (long long)time(NULL) - received;
	if (eval_arg_num(r->eargs[0], &min) &&
	    !((double)diff >= 31556952.0 * (min / 12)))
		return 0;
	if (r->neargs > 1 && eval_arg_num(r->eargs[1], &max) &&
	    !((double)diff < 31556952.0 * (max / 12)))
		return 0;
	return 1;
}

/* ---- HeaderEval: envelope sender, From ---- */

/*
 * SpamAssassin's EnvelopeFrom: the envelope-from of the last untrusted
 * (else first trusted) relay, else X-Envelope-From, Envelope-Sender or
 * Return-Path when no Received header comes before it; else, when the
 * message came from the network, the MAIL FROM the MTA gave.  NULL when
 * there is none.  Borrowed from the cache.
 */
const char *
eval_envfrom_get(struct eval_ctx *ec)
{
	static const char *const hdrs[] = { "X-Envelope-From",
		"Envelope-Sender", "Return-Path", NULL };
	struct eval_hdr_cache *c = &eval_cache_get(ec)->hdr;
	const struct relays *rl;
	const struct relay *hop = NULL;

	if (c->envfrom_done)
		return c->envfrom;
	c->envfrom_done = true;
	rl = rules_hdr_relays(ec);
	if (rl->n > rl->ntrusted)
		hop = &rl->v[rl->ntrusted];
	else if (rl->ntrusted > 0)
		hop = &rl->v[rl->ntrusted - 1];
	if (hop != NULL && hop->envfrom != NULL && hop->envfrom[0] != '\0' &&
	    strchr(hop->envfrom, '@') != NULL &&
	    hop->envfrom[0] != '@') {
		c->envfrom = xstrdup(hop->envfrom);
		return c->envfrom;
	}
	/* An X-Sender with an address and a fetchmail Received: the
	 * envelope is lost. */
	{
		char *xs = eval_hget(ec, "X-Sender", HM_RAW, NULL);
		bool lost = false;

		if (strchr(xs, '@') != NULL) {
			char *rc = eval_hget(ec, "Received", 0, NULL);

			lost = strstr(rc, "(fetchmail") != NULL;
			free(rc);
		}
		free(xs);
		if (lost)
			return NULL;
	}
	/* The first of these headers, unless some Received header comes
	 * before one of them (then a relay added it, not trustworthy). */
	for (const char *const *h = hdrs; *h; h++) {
		size_t n = rules_hdr_count(ec), first = n, last = n, rcvd = n;

		for (size_t i = 0; i < n; i++) {
			const char *name = rules_hdr_name(ec, i);

			if (rcvd == n && strcasecmp(name, "Received") == 0)
				rcvd = i;
			else if (strcasecmp(name, *h) == 0) {
				if (first == n)
					first = i;
				last = i;
			}
		}
		if (first == n)
			continue;
		if (rcvd < last) {
			if (strcmp(*h, "X-Envelope-From") == 0)
				return NULL;
			continue;
		}
		c->envfrom = mime_header_addr(rules_hdr_rawvalue(ec, first));
		return c->envfrom;
	}
	if (ec->in != NULL && ec->in->envfrom != NULL &&
	    ec->in->client_addr != NULL && ec->in->client_addr[0] != '\0' &&
	    !relays_ip_private(ec->in->client_addr) &&
	    strcmp(ec->in->client_addr, "::1") != 0)
		c->envfrom = mime_header_addr(ec->in->envfrom);
	return c->envfrom;
}

static unsigned
ev_env_and_hdr_from(const struct rule *r, struct eval_ctx *ec)
{
	const char *ef = eval_envfrom_get(ec);
	char *from = eval_hget_addr(ec, "From");
	unsigned hit;

	(void)r;
	hit = strcasecmp(ef ? ef : "", from) == 0;
	free(from);
	return hit;
}

/* s/^.+\.([^\.]+\.[^\.]+)$/$1/ on the domain of addr; "" when none. */
static char *
second_level(const char *addr)
{
	const char *at = strrchr(addr, '@'), *d, *p;
	int dots = 0;

	if (at == NULL)
		return xstrdup("");
	d = at + 1;
	for (p = d + strlen(d); p > d; p--)
		if (p[-1] == '.' && ++dots == 2)
			break;
	/* Needs something before the dot ("^.+\."). */
	if (dots == 2 && p - 1 > d)
		d = p;
	return eval_lower(xstrdup(d));
}

static unsigned
ev_equal_from_domains(const struct rule *r, struct eval_ctx *ec)
{
	char *from = eval_hget_addr(ec, "From"), *fd, *ed;
	const char *ef = eval_envfrom_get(ec);
	unsigned hit = 0;

	(void)r;
	fd = second_level(from);
	ed = second_level(ef ? ef : "");
	if (fd[0] != '\0' && ed[0] != '\0' && strcmp(fd, ed) != 0)
		hit = 1;
	free(fd);
	free(ed);
	free(from);
	return hit;
}

static unsigned
ev_missing_to(const struct rule *r, struct eval_ctx *ec)
{
	char *v = eval_hget(ec, "To", 0, NULL);
	unsigned hit;

	(void)r;
	if (v[0] == '\0') {
		free(v);
		v = eval_hget(ec, "Apparently-To", 0, NULL);
	}
	hit = v[0] == '\0';
	free(v);
	return hit;
}

/* ---- HeaderEval: recipients ---- */

/* Perl's substr($a, 0, 2) eq substr($b, 0, 2). */
static bool
prefix2_eq(const char *a, const char *b)
{
	size_t la = strnlen(a, 2), lb = strnlen(b, 2);

	return la == lb && memcmp(a, b, la) == 0;
}

static void
recips_work(struct eval_ctx *ec)
{
	static const char *const hs[] = { "To", "Cc", "Bcc", NULL };
	struct eval_hdr_cache *c = &eval_cache_get(ec)->hdr;
	struct strlist in = { 0 }, a = { 0 };
	const char *prev = "";

	if (c->recips_done)
		return;
	c->recips_done = true;
	for (const char *const *h = hs; *h; h++) {
		size_t n = rules_hdr_count(ec);

		/* ToCc first; Bcc only while there are fewer than 5. */
		if (strcmp(*h, "Bcc") == 0 && in.n >= 5)
			break;
		for (size_t i = 0; i < n; i++)
			if (strcasecmp(rules_hdr_name(ec, i), *h) == 0)
				mime_header_addrs(rules_hdr_rawvalue(ec, i),
				    &in, 1000);
	}
	for (size_t i = 0; i < in.n && a.n < MAX_RECIPS; i++) {
		if (in.v[i][0] == '\0')
			break;		/* Perl's while (shift) stops */
		if (strcasecmp(in.v[i], prev) != 0) {
			strlist_add(&a, in.v[i]);
			prev = a.v[a.n - 1];
		}
	}
	c->sorted = false;
	if (a.n >= 7) {
		c->sorted = true;
		for (size_t i = 1; i < a.n; i++)
			if (strcmp(a.v[i - 1], a.v[i]) > 0)
				c->sorted = false;
	}
	c->similar = 0;
	if (a.n >= 5) {
		unsigned hits = 0, comb = 0;

		for (size_t i = 0; i < a.n; i++)
			for (size_t j = i + 1; j < a.n; j++) {
				const char *hi = strchr(a.v[i], '@');
				const char *hj = strchr(a.v[j], '@');

				if (prefix2_eq(a.v[i], a.v[j]))
					hits++;
				hi = hi ? hi + 1 : "";
				hj = hj ? hj + 1 : "";
				if (prefix2_eq(hi, hj) && strcmp(hi, hj) != 0)
					hits++;
				comb++;
			}
		c->similar = (double)hits / comb;
	}
	strlist_free(&in);
	strlist_free(&a);
}

static unsigned
ev_sorted_recips(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	recips_work(ec);
	return eval_cache_get(ec)->hdr.sorted;
}

static unsigned
ev_similar_recips(const struct rule *r, struct eval_ctx *ec)
{
	struct eval_hdr_cache *c = &eval_cache_get(ec)->hdr;
	double min, max;

	recips_work(ec);
	if (eval_arg_num(r->eargs[0], &min) && !(c->similar >= min))
		return 0;
	if (eval_arg_num(r->eargs[1], &max) && !(c->similar < max))
		return 0;
	return 1;
}

/* ---- HeaderEval: Subject and others ---- */

static unsigned
ev_subject_all_caps(const struct rule *r, struct eval_ctx *ec)
{
	char *s = eval_hget(ec, "Subject", 0, NULL), *raw, *w;
	size_t ov[2], letters = 0;
	unsigned hit = 1;

	(void)r;
	eval_trim(s);
	if (eval_rx_exec(RX_SUBJ_PREFIX, s, strlen(s), 0, ov, 1))
		memmove(s, s + ov[1], strlen(s + ov[1]) + 1);
	if (strpbrk(s, " \t\n\r\f\v") == NULL || strlen(s) < 10) {
		free(s);
		return 0;
	}
	/* The letters: any lower case one, or none at all, is no hit.
	 * (Subjects are UTF-8 here; SpamAssassin counts ASCII letters.) */
	for (w = s; *w; w++) {
		if (*w >= 'a' && *w <= 'z')
			hit = 0;
		if (isalpha((unsigned char)*w) && (unsigned char)*w < 0x80)
			letters++;
	}
	free(s);
	if (letters == 0)
		return 0;
	raw = eval_hget(ec, "Subject", HM_RAW, NULL);
	if (eval_rx_match(RX_CAPS_CHARSET, raw))
		hit = 0;
	free(raw);
	return hit;
}

/*
 * Whether pat, made of the message (an address quoted into it), matches
 * s: compiled for the one use, without the JIT, which costs more than
 * it saves on one short subject.
 */
static bool
match_dynamic(const char *pat, const char *s)
{
	pcre2_code *re = rx_compile(pat, PCRE2_ZERO_TERMINATED, 0, false,
	    NULL, 0);
	bool hit;

	if (re == NULL)
		return false;
	hit = eval_arg_match(re, s);
	pcre2_code_free(re);
	return hit;
}

static unsigned
ev_to_in_subject(const struct rule *r, struct eval_ctx *ec)
{
	char *to = eval_hget_addr(ec, "To"), *subj, *at;
	struct buf p;
	unsigned hit = 0;

	if (to[0] == '\0') {
		free(to);
		return 0;
	}
	subj = eval_hget(ec, "Subject", 0, NULL);
	{
		size_t n = strlen(subj);

		if (n > 0 && subj[n - 1] == '\n')
			subj[n - 1] = '\0';
	}
	buf_init(&p, 4096);
	if (strcmp(r->eargs[0], "address") == 0) {
		buf_puts(&p, "(?i)\\b");
		eval_quote_meta(&p, to);
		buf_puts(&p, "\\b");
		hit = p.p != NULL && match_dynamic(p.p, subj);
	} else if (strcmp(r->eargs[0], "user") == 0) {
		if ((at = strchr(to, '@')) != NULL)
			*at = '\0';
		buf_puts(&p, "(?i)^(?:(?:re|fw):\\s*(?:\\w+\\s+)?");
		eval_quote_meta(&p, to);
		buf_puts(&p, "$|(?-i:");
		eval_quote_meta(&p, to);
		buf_puts(&p, ")\\s*[,:;!?-](?:$|\\s)|");
		eval_quote_meta(&p, to);
		buf_puts(&p, "$|,\\s*");
		eval_quote_meta(&p, to);
		buf_puts(&p, "[,:;!?-]$)");
		hit = p.p != NULL && match_dynamic(p.p, subj);
	}
	buf_free(&p);
	free(subj);
	free(to);
	return hit;
}

static unsigned
ev_header_count_range(const struct rule *r, struct eval_ctx *ec)
{
	size_t n = rules_hdr_count(ec), k = 0;
	struct strlist seen = { 0 };
	double min, max;

	for (size_t i = 0; i < n; i++) {
		const char *v;

		if (strcasecmp(rules_hdr_name(ec, i), r->eargs[0]) != 0)
			continue;
		v = rules_hdr_rawvalue(ec, i);
		if (!strlist_contains(&seen, v)) {
			strlist_add(&seen, v);
			k++;
		}
		if (k > 10000)
			break;
	}
	strlist_free(&seen);
	if (!eval_arg_num(r->eargs[1], &min) ||
	    !eval_arg_num(r->eargs[2], &max))
		return 0;
	return (double)k >= min && (double)k <= max;
}

/* Whether s is valid UTF-8 (no overlongs, no surrogates). */
static bool
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07;
		else
			return false;
		if (i + need >= n)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (need == 3 && (cp < 0x10000 ||
		    cp > 0x10ffff)))
			return false;
		i += need + 1;
	}
	return true;
}

static unsigned
ev_illegal_chars(const struct rule *r, struct eval_ctx *ec)
{
	struct buf b;
	const char *h = r->eargs[0];
	double ratio, count;
	size_t illegal = 0, len, hi = 0, ctl = 0;
	bool nonws = false;
	unsigned hit;

	if (!eval_arg_num(r->eargs[1], &ratio) ||
	    !eval_arg_num(r->eargs[2], &count))
		return 0;
	buf_init(&b, MAX_HDR);
	if (strcmp(h, "ALL") == 0) {
		size_t n = rules_hdr_count(ec);

		for (size_t i = 0; i < n; i++)
			buf_printf(&b, "%s: %s\n", rules_hdr_name(ec, i),
			    rules_hdr_rawvalue(ec, i));
	} else if (rules_hdr_values(ec, h, HM_RAW, &b) > 0)
		buf_putc(&b, '\n');
	len = b.len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b.p[i];

		if (!isspace(c))
			nonws = true;
		if (c >= 0x80)
			hi++;
		if (c <= 0x08 || c == 0x0b || c == 0x0c ||
		    (c >= 0x0e && c <= 0x1f))
			ctl++;
	}
	if (!nonws) {
		buf_free(&b);
		return 0;
	}
	/* Valid UTF-8 with no control characters is legal. */
	if (hi > 0 && ctl == 0 && valid_utf8((unsigned char *)b.p, len)) {
		buf_free(&b);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b.p[i];

		if (c <= 0x08 || c == 0x0b || c == 0x0c ||
		    (c >= 0x0e && c <= 0x1f) || c >= 0x7f)
			illegal++;
	}
	if (illegal > 0 && strcasecmp(h, "Subject") == 0) {
		size_t exempt = 0;

		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)b.p[i];

			if (c == 0xa2 || c == 0xa3 || c == 0xae)
				exempt++;
		}
		if (exempt == 1)
			illegal--;
	}
	hit = (double)illegal / (double)len >= ratio &&
	    (double)illegal >= count;
	buf_free(&b);
	return hit;
}

static unsigned
ev_messageid_not_usable(const struct rule *r, struct eval_ctx *ec)
{
	char *v = eval_hget(ec, "List-Unsubscribe", 0, NULL);
	unsigned hit = 0;
	size_t n = strlen(v);

	(void)r;
	if (n > 0 && v[n - 1] == '\n')
		v[n - 1] = '\0';
	if (eval_rx_match(RX_LISTUNSUB, v) ||
	    gated_through_received_hdr_remover(ec))
		hit = 1;
	free(v);
	if (hit)
		return 1;
	v = eval_hget(ec, "Received", 0, NULL);
	hit = eval_rx_match(RX_CWT, v) || eval_rx_match(RX_IPLANET, v);
	free(v);
	return hit;
}

static unsigned
ev_unresolved_template(const struct rule *r, struct eval_ctx *ec)
{
	size_t n = rules_hdr_count(ec);

	(void)r;
	for (size_t i = 0; i < n; i++) {
		char *l = xasprintf("%s: %s", rules_hdr_name(ec, i),
		    rules_hdr_rawvalue(ec, i));
		bool hit;

		/* get('ALL') is decoded and unfolded: each header one line
		 * of it, but a folded one is several; the first line is
		 * what carries the name. */
		hit = eval_rx_match(RX_TEMPLATE, l) &&
		    !eval_rx_match(RX_TEMPLATE_OK, l);
		free(l);
		if (hit)
			return 1;
	}
	return 0;
}

static unsigned
ev_ratware_name_id(const struct rule *r, struct eval_ctx *ec)
{
	char *mid = hget_msgid(ec), *from, *want, *pat;
	struct buf p;
	unsigned hit = 0;

	(void)r;
	want = eval_rx_cap1(RX_RATWARE_MID, mid);
	free(mid);
	if (want == NULL)
		return 0;
	from = eval_hget(ec, "From", 0, NULL);
	buf_init(&p, 4096);
	buf_puts(&p, "\"[^\"]+\"\\s*<");
	eval_quote_meta(&p, want);
	buf_puts(&p, ">");
	pat = p.p;
	hit = pat != NULL && match_dynamic(pat, from);
	buf_free(&p);
	free(from);
	free(want);
	return hit;
}

/*
 * The registered domain of a host name, approximated: the last two
 * labels, three when the second-level label is a common public suffix
 * (co.uk, com.au, ...).
 */
static const char *
registered_domain(const char *host)
{
	static const char *const sld[] = { "co", "com", "net", "org", "ac",
		"gov", "edu", "ne", "or", "go", "gob", "mil", NULL };
	const char *p = host + strlen(host), *l1 = NULL, *l2 = NULL;

	for (; p > host; p--)
		if (p[-1] == '.') {
			if (l1 == NULL)
				l1 = p;
			else if (l2 == NULL) {
				l2 = p;
				break;
			}
		}
	if (l1 == NULL)
		return host;
	if (l2 == NULL)
		return host;
	for (const char *const *s = sld; *s; s++)
		if ((size_t)(l1 - 1 - l2) == strlen(*s) &&
		    strncasecmp(l2, *s, strlen(*s)) == 0 &&
		    strlen(l1) == 2) {
			for (p = l2 - 1; p > host; p--)
				if (p[-1] == '.')
					return p;
			return host;
		}
	return l2;
}

static unsigned
ev_ratware_envelope_from(const struct rule *r, struct eval_ctx *ec)
{
	char *to = eval_hget_addr(ec, "To"), *at, *user, *pat;
	const char *from = eval_envfrom_get(ec), *dom;
	struct buf p;
	unsigned hit = 0;

	(void)r;
	if (from == NULL || from[0] == '\0' || to[0] == '\0' ||
	    eval_rx_match(RX_SRS, from) || (at = strchr(to, '@')) == NULL ||
	    at == to || at[1] == '\0') {
		free(to);
		return 0;
	}
	*at = '\0';
	user = to;
	dom = registered_domain(at + 1);
	if (strchr(dom, '.') == NULL) {
		free(to);
		return 0;
	}
	buf_init(&p, 4096);
	buf_puts(&p, "(?i)\\b");
	eval_quote_meta(&p, dom);
	buf_puts(&p, ".");
	eval_quote_meta(&p, user);
	buf_puts(&p, "@");
	pat = p.p;
	hit = pat != NULL && match_dynamic(pat, from);
	buf_free(&p);
	free(to);
	return hit;
}

/* ---- The table ---- */

const struct eval_def eval_header_tests[] = {
	/* HeaderEval */
	{ "check_for_fake_aol_relay_in_rcvd", K_ANY, 0, 0, 0, ev_fake_aol },
	{ "check_for_faraway_charset_in_headers", K_ANY, 0, 0, 0, eval_never },
	{ "check_for_unique_subject_id", K_ANY, 0, 0, 0, eval_never },
	{ "check_illegal_chars", K_ANY, 3, 3, 0, ev_illegal_chars },
	{ "check_for_forged_hotmail_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_hotmail },
	{ "check_for_no_hotmail_received_headers", K_ANY, 0, 0, 0,
	  ev_no_hotmail },
	{ "check_for_forged_eudoramail_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_eudoramail },
	{ "check_for_forged_yahoo_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_yahoo },
	{ "check_for_forged_juno_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_juno },
	{ "check_for_forged_gmail_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_gmail },
	{ "check_for_matching_env_and_hdr_from", K_ANY, 0, 0, 0,
	  ev_env_and_hdr_from },
	{ "sorted_recipients", K_ANY, 0, 0, 0, ev_sorted_recips },
	{ "similar_recipients", K_ANY, 2, 2, 0, ev_similar_recips },
	{ "check_for_missing_to_header", K_ANY, 0, 0, 0, ev_missing_to },
	{ "check_for_shifted_date", K_ANY, 2, 2, 0, ev_shifted_date },
	{ "subject_is_all_caps", K_ANY, 0, 0, 0, ev_subject_all_caps },
	{ "check_for_to_in_subject", K_ANY, 1, 1, 0, ev_to_in_subject },
	{ "check_outlook_message_id", K_ANY, 0, 0, 0, ev_outlook_msgid },
	{ "check_messageid_not_usable", K_ANY, 0, 0, 0,
	  ev_messageid_not_usable },
	{ "check_header_count_range", K_ANY, 3, 3, 0, ev_header_count_range },
	{ "check_unresolved_template", K_ANY, 0, 0, 0,
	  ev_unresolved_template },
	{ "check_ratware_name_id", K_ANY, 0, 0, 0, ev_ratware_name_id },
	{ "check_ratware_envelope_from", K_ANY, 0, 0, 0,
	  ev_ratware_envelope_from },
	{ "gated_through_received_hdr_remover", K_ANY, 0, 0, 0, ev_gated },
	{ "check_for_msn_groups_headers", K_ANY, 0, 0, 0, ev_msn_groups },
	{ "check_for_forged_gw05_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_gw05 },
	{ "received_within_months", K_ANY, 1, 2, 0,
	  ev_received_within_months },
	{ "check_equal_from_domains", K_ANY, 0, 0, 0, ev_equal_from_domains },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

void
eval_header_free(struct cache *c)
{
	free(c->hdr.envfrom);
}
