/*
 * scan.c -- the stages of the engine, shared by the milter and by
 * "warden scan".  Each function reads the conn/txn, runs what can be
 * decided at its stage, and says what to do now.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "av.h"
#include "dkim_sign.h"
#include "log.h"
#include "mime.h"
#include "rules.h"
#include "scan.h"
#include "snapshot.h"
#include "stats_db.h"
#include "spool.h"

void
stage_decision_free(struct stage_decision *d)
{
	reply_free(&d->reply);
	free(d->why);
	memset(d, 0, sizeof(*d));
}

/*
 * Fill out from a decision taken in r, if it can be applied at this
 * stage.  Before MAIL FROM only accept, reject and tempfail can be
 * applied; later stages can also discard.  Tag and quarantine always
 * wait for the end of the message.
 */
static void
stage_from_results(const struct config *cfg, const struct results *r,
    bool message_stage, struct stage_decision *out)
{
	enum action a = r->decided.action;

	memset(out, 0, sizeof(*out));
	if (r->internal_error) {
		a = cfg->on_internal_error;
		out->why = xasprintf("internal error: %s",
		    r->error ? r->error : "unknown");
	} else if (a == ACT_ACCEPT || a == ACT_REJECT || a == ACT_TEMPFAIL ||
	    (a == ACT_DISCARD && message_stage))
		out->why = xasprintf("rule %s", r->decided.source ?
		    r->decided.source : "?");
	else
		return;
	if (a == ACT_DISCARD && !message_stage)
		a = ACT_TEMPFAIL;	/* on_internal_error=discard before MAIL */
	if (a == ACT_QUARANTINE || a == ACT_TAG) {
		/* Internal error policy that needs the message: wait for it. */
		free(out->why);
		out->why = NULL;
		return;
	}
	out->action = a;
	if (!r->internal_error && r->decided.reply.code[0]) {
		out->reply = r->decided.reply;
		out->reply.text = xstrdup(r->decided.reply.text);
	} else if (a == ACT_REJECT) {
		out->reply = cfg->reject_reply;
		out->reply.text = xstrdup(cfg->reject_reply.text);
	} else if (a == ACT_TEMPFAIL) {
		out->reply = cfg->tempfail_reply;
		out->reply.text = xstrdup(cfg->tempfail_reply.text);
	}
}

static void
input_init(struct rules_input *in, struct conn *c, enum stage st)
{
	const struct config *cfg = c->snap->cfg;

	memset(in, 0, sizeof(*in));
	/* Lookups: the connection's before MAIL FROM, then the message's;
	 * each stage waits for its answers at most dns_timeout. */
	in->dns = st <= STAGE_HELO ? conn_dns(c) : txn_dns(c);
	in->resolver = c->snap->dns;
	in->dns_deadline_ms = now_ms() + cfg->dns_timeout * 1000.0;
	in->stage = st;
	in->cfg = c->snap->cfg;
	in->client_addr = c->client_addr;
	in->client_name = c->client_name;
	in->helo = c->helo;
	in->stats = c->snap->stats;
	in->stats_explain = c->explain;
	in->stats_keep = c->snap->cfg->statistics_autolearn &&
	    snapshot_daemon();
	if (c->txn != NULL) {
		in->envfrom = c->txn->envfrom;
		in->rcpts = &c->txn->rcpts;
	}
}

void
scan_connect(struct conn *c, struct stage_decision *out)
{
	const struct config *cfg = c->snap->cfg;
	struct rules_input in;

	memset(out, 0, sizeof(*out));
	if (cidrlist_match(&cfg->trusted_networks, c->client_addr)) {
		c->trusted = true;
		/* DKIM signing: its mail goes on, unscanned, to be signed at
		 * the end of the message (scan_sign). */
		if (c->snap->signer != NULL)
			return;
		out->action = ACT_ACCEPT;
		out->why = xstrdup("trusted network");
		return;
	}
	input_init(&in, c, STAGE_CONNECT);
	rules_prefetch(c->snap->rules, &in);
	rules_run(c->snap->rules, &in, &c->res);
	stage_from_results(cfg, &c->res, false, out);
}

void
scan_helo(struct conn *c, struct stage_decision *out)
{
	struct rules_input in;

	memset(out, 0, sizeof(*out));
	if (c->trusted)
		return;
	input_init(&in, c, STAGE_HELO);
	rules_run(c->snap->rules, &in, &c->res);
	stage_from_results(c->snap->cfg, &c->res, false, out);
}

void
scan_envfrom(struct conn *c, struct txn *t, struct stage_decision *out)
{
	const struct config *cfg = c->snap->cfg;
	struct rules_input in;

	memset(out, 0, sizeof(*out));
	/* DKIM signing: which mail is signed (scan_sign). */
	if (c->snap->signer != NULL && (c->trusted || (t->auth_authen !=
	    NULL && t->auth_authen[0] != '\0') ||
	    cidrlist_match(&cfg->internal_relays, c->client_addr)))
		t->sign = true;
	if (c->trusted) {
		t->skip = true;		/* only with signing: see scan_connect */
		return;
	}
	if (cfg->skip_authenticated && t->auth_authen != NULL &&
	    t->auth_authen[0] != '\0') {
		t->skip = true;
		if (t->sign)
			return;		/* unscanned, signed at the end */
		out->action = ACT_ACCEPT;
		out->why = xstrdup("authenticated");
		return;
	}
	input_init(&in, c, STAGE_ENVFROM);
	if (cfg->authentication)
		auth_prefetch(in.dns, t->envfrom, c->helo);
	rules_run(c->snap->rules, &in, &t->res);
	stage_from_results(cfg, &t->res, true, out);
}

void
scan_envrcpt(struct conn *c, struct txn *t, const char *rcpt,
    struct stage_decision *out)
{
	const struct config *cfg = c->snap->cfg;
	struct rules_input in;
	struct results r;
	char *addr = addr_unbracket(rcpt);

	memset(out, 0, sizeof(*out));
	if (t->skip) {			/* unscanned, to be signed */
		strlist_add_owned(&t->rcpts, addr);
		return;
	}
	results_init(&r);
	input_init(&in, c, STAGE_ENVRCPT);
	in.rcpt = addr;
	rules_run(c->snap->rules, &in, &r);
	if (r.internal_error || r.decided.action == ACT_REJECT ||
	    r.decided.action == ACT_TEMPFAIL) {
		/* Refuse this recipient only. */
		stage_from_results(cfg, &r, true, out);
		results_free(&r);
		free(addr);
		return;
	}
	/* Scores of recipient rules count once per message. */
	for (size_t i = 0; i < r.nhits; i++)
		if (!results_has_hit(&t->res, r.hits[i].name))
			results_add_hit(&t->res, r.hits[i].name, r.hits[i].kind,
			    r.hits[i].describe, r.hits[i].score,
			    r.hits[i].matched, r.hits[i].matched ?
			    strlen(r.hits[i].matched) : 0);
	if (r.decided.action != ACT_NONE)
		results_decide(&t->res, r.decided.action, &r.decided.reply,
		    r.decided.source);
	results_free(&r);
	strlist_add_owned(&t->rcpts, addr);
	stage_from_results(cfg, &t->res, true, out);
}

void
scan_eoh(struct conn *c, struct txn *t)
{
	struct rules_input in;

	if (c->trusted || t->skip || c->snap->dns == NULL)
		return;
	input_init(&in, c, STAGE_EOM);
	in.hdrs = t->hdrs;
	in.nhdrs = t->nhdrs;
	rules_prefetch(c->snap->rules, &in);
	if (c->snap->cfg->authentication)
		auth_prefetch_eoh(in.dns, t->hdrs, t->nhdrs,
		    c->snap->cfg->dmarc_policy != DMARC_POLICY_OFF);
}

/* True once the message's deadline has passed (noted in t->res). */
static bool
scan_expired(struct txn *t, double deadline)
{
	if (deadline > 0 && now_ms() > deadline)
		t->res.timed_out = true;
	return t->res.timed_out;
}

/*
 * The rules of the end of the message, with the message's bounds and
 * deadline; the engine records a bound the MIME walk reached as the
 * limit, and a deadline that passed as a timeout.
 */
static void
eom_input(struct conn *c, struct txn *t, const char *msg, size_t len,
    double deadline, struct rules_input *in, struct mime_limits *lim)
{
	const struct config *cfg = c->snap->cfg;

	memset(lim, 0, sizeof(*lim));
	lim->depth = cfg->max_mime_depth;
	lim->parts = cfg->max_mime_parts;
	lim->text = cfg->max_decoded_size;
	lim->part_text = cfg->max_part_decoded_size;
	lim->uris = cfg->max_uris;
	lim->deadline_ms = deadline;
	input_init(in, c, STAGE_EOM);
	if (deadline > 0 && in->dns_deadline_ms > deadline)
		in->dns_deadline_ms = deadline;
	in->hdrs = t->hdrs;
	in->nhdrs = t->nhdrs;
	in->msg = msg;
	in->msglen = len;
	in->deadline_ms = deadline;
	in->mime_limits = lim;
}

/*
 * Sender authentication (authentication = yes): SPF, DKIM, DMARC, and
 * the Authentication-Results header, before the rules that read them;
 * DMARC's disposition applied with dmarc_policy = enforce.
 */
static void
scan_auth(struct conn *c, struct txn *t, const char *msg, size_t len,
    const struct rules_input *rin)
{
	const struct config *cfg = c->snap->cfg;
	struct auth_input in;
	const struct dmarc_outcome *d;
	char *src;

	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.client_addr = c->client_addr;
	in.client_name = c->client_name;
	in.helo = c->helo;
	in.envfrom = t->envfrom;
	in.hdrs = t->hdrs;
	in.nhdrs = t->nhdrs;
	in.msg = msg;
	in.msglen = len;
	in.dns = rin->dns;
	in.deadline_ms = rin->dns_deadline_ms;
	t->res.auth = auth_run(&in);
	d = &t->res.auth->dmarc;
	if (!t->res.auth->dmarc_done || d->result != DMARC_FAIL ||
	    cfg->dmarc_policy != DMARC_POLICY_ENFORCE ||
	    t->res.auth->dmarc_exempt || t->res.auth->arc_override != NULL)
		return;
	src = xasprintf("DMARC policy %s of %s", dmarc_policy_name(
	    d->policy), d->domain);
	if (d->disposition == DP_REJECT) {
		struct reply rep;

		memset(&rep, 0, sizeof(rep));
		strcpy(rep.code, "550");
		strcpy(rep.xcode, "5.7.1");
		rep.text = xasprintf("Email from %s rejected per its DMARC "
		    "policy", d->domain);
		results_decide(&t->res, ACT_REJECT, &rep, src);
		free(rep.text);
	} else if (d->disposition == DP_QUARANTINE)
		results_decide(&t->res, ACT_QUARANTINE, NULL, src);
	free(src);
}

static void
scan_rules(struct conn *c, struct txn *t, const char *msg, size_t len,
    double deadline)
{
	struct rules_input in;
	struct mime_limits lim;

	eom_input(c, t, msg, len, deadline, &in, &lim);
	if (c->snap->cfg->authentication && in.dns != NULL &&
	    t->res.auth == NULL) {
		scan_auth(c, t, msg, len, &in);
		in.auth = t->res.auth;
	}
	rules_run(c->snap->rules, &in, &t->res);
}

int
scan_tokens(struct conn *c, struct txn *t, struct stats_tok *tk)
{
	struct rules_input in;
	struct mime_limits lim;
	const char *msg;
	size_t len;

	if (t->res.internal_error ||
	    (msg = spool_data(t->spool, &len)) == NULL)
		return -1;
	eom_input(c, t, msg, len, 0, &in, &lim);
	rules_tokens(c->snap->rules, &in, tk);
	return 0;
}

/*
 * Autolearn (statistics_autolearn), with SpamAssassin's guards: spam
 * when the score without the statistical filter is at least 12 with at
 * least 3 points from header rules and 3 from body rules, ham when it
 * is below 0.1; never a message judged in part (a limit, the deadline,
 * an internal error) or carrying a virus.  Only what reached the end of
 * the message is here: mail refused at an earlier stage never is.
 */
#define AUTOLEARN_SPAM		12.0
#define AUTOLEARN_SPAM_PART	3.0
#define AUTOLEARN_HAM		0.1

static void
scan_autolearn(struct conn *c, struct txn *t)
{
	const struct results *r = &t->res;
	double total = 0, head = 0, body = 0;
	enum stats_class cls;

	if (!c->snap->cfg->statistics_autolearn || !snapshot_daemon() ||
	    c->snap->stats == NULL ||
	    r->stats.tokens == NULL || r->internal_error || r->timed_out ||
	    r->partial || r->limit != NULL || r->av == AV_VIRUS)
		return;
	for (size_t i = 0; i < r->nhits; i++) {
		double s;
		int where;

		if (!rules_autolearn_points(c->snap->rules, r->hits[i].name, &s,
		    &where))
			continue;
		total += s;
		if (where == 1)
			head += s;
		else if (where == 2)
			body += s;
	}
	if (total >= AUTOLEARN_SPAM && head >= AUTOLEARN_SPAM_PART &&
	    body >= AUTOLEARN_SPAM_PART)
		cls = STATS_SPAM;
	else if (total < AUTOLEARN_HAM)
		cls = STATS_HAM;
	else
		return;
	stats_db_autolearn(c->snap->stats, r->stats.tokens, r->stats.ntok,
	    cls);
	t->res.stats.autolearn = cls == STATS_SPAM ? "spam" : "ham";
}

/*
 * DKIM signing (dkim_sign_domains): mail of a trusted, internal or
 * authenticated client whose single From address is of a signing domain
 * (or under one) gets one DKIM-Signature per key of that domain, when
 * it is passed on as it came: accepted, not tagged or held (Warden does
 * not vouch for mail it judges spam), read whole (not cut at
 * max_scan_size) and without trouble.
 */
static void
scan_sign(struct conn *c, struct txn *t, struct verdict *v)
{
	const struct dkim_signer *sg = c->snap->signer;
	const struct header *from = NULL;
	struct strlist sigs = { 0 };
	const char *msg, *sd, *why = NULL;
	size_t len, nfrom = 0;
	char *dom;
	int n;

	if (sg == NULL || !t->sign)
		return;
	for (size_t i = 0; i < t->nhdrs; i++)
		if (strcasecmp(t->hdrs[i].name, "From") == 0 && nfrom++ == 0)
			from = &t->hdrs[i];
	if (nfrom != 1 || (dom = auth_from_domain(from->value)) == NULL)
		return;
	if ((sd = dkim_signer_domain(sg, dom)) == NULL) {
		free(dom);
		return;
	}
	if (v->action != ACT_ACCEPT || v->new_subject != NULL)
		log_msg(LOG_NOTICE, "%s: not DKIM-signed for %s: the verdict "
		    "is %s", t->queue_id, sd, action_name(v->action));
	else if (t->res.internal_error || spool_truncated(t->spool) ||
	    (msg = spool_data(t->spool, &len)) == NULL)
		log_msg(LOG_WARNING, "%s: not DKIM-signed for %s: %s",
		    t->queue_id, sd, spool_truncated(t->spool) ? "larger "
		    "than max_scan_size" : "the message could not be read");
	else if ((n = dkim_sign(sg, dom, msg, len, time(NULL), &sigs,
	    &why)) < 0)
		log_msg(LOG_ERR, "%s: not DKIM-signed for %s: %s",
		    t->queue_id, sd, why);
	else {
		for (size_t i = 0; i < sigs.n; i++) {
			strlist_add(&v->hdr_names, "DKIM-Signature");
			strlist_add(&v->hdr_values, sigs.v[i]);
		}
		free(t->dkim_signed);
		t->dkim_signed = xstrdup(sd);
	}
	strlist_free(&sigs);
	free(dom);
}

void
scan_eom(struct conn *c, struct txn *t, struct verdict *v)
{
	const struct config *cfg = c->snap->cfg;
	const struct header *subj;
	const char *msg;
	size_t len;
	enum action pre;
	/* The deadline runs from the end of the message, as the MTA's does. */
	double deadline = cfg->scan_timeout > 0 ?
	    now_ms() + cfg->scan_timeout * 1000.0 : 0;

	if (t->skip) {
		/* Trusted or authenticated, kept to be signed: accepted
		 * unscanned, with no header of Warden's but the signature. */
		memset(v, 0, sizeof(*v));
		v->action = ACT_ACCEPT;
		v->why = xstrdup(c->trusted ? "trusted network" :
		    "authenticated");
		scan_sign(c, t, v);
		return;
	}
	t->res.partial = spool_truncated(t->spool);
	if (t->res.partial && t->res.limit == NULL)
		log_msg(LOG_NOTICE, "%s: message of %zu bytes is larger than "
		    "max_scan_size %zu: only its head is scanned", t->queue_id,
		    spool_total(t->spool), cfg->max_scan_size);
	if (!t->res.internal_error) {
		msg = spool_data(t->spool, &len);
		if (msg == NULL)
			results_set_error(&t->res, "cannot map spool file: %m");
		else {
			scan_rules(c, t, msg, len, deadline);
			if (t->res.dns != NULL && cfg->on_dns_error != ACT_SCAN)
				results_decide(&t->res, cfg->on_dns_error,
				    NULL, "on_dns_error");
			/* A decision that no scan result can change. */
			pre = t->res.decided.action;
			if (!t->res.internal_error && pre != ACT_REJECT &&
			    pre != ACT_TEMPFAIL && pre != ACT_DISCARD &&
			    !scan_expired(t, deadline))
				av_scan(c->snap->av, msg, len,
				    spool_fd(t->spool), &t->res);
		}
	}
	if (!t->res.internal_error && scan_expired(t, deadline))
		log_msg(LOG_WARNING, "%s: scan took longer than scan_timeout "
		    "%us: taking on_timeout=%s", t->queue_id, cfg->scan_timeout,
		    action_name(cfg->on_timeout));
	if (t->res.limit != NULL)
		log_msg(LOG_NOTICE, "%s: limit %s reached: %s",
		    t->queue_id, t->res.limit,
		    cfg->on_limit_exceeded == ACT_SCAN ?
		    "verdict on what was scanned" : action_name(
		    cfg->on_limit_exceeded));
	subj = txn_find_header(t, "Subject");
	verdict_decide(cfg, &t->res, subj ? subj->value : NULL, v);
	scan_sign(c, t, v);
	scan_autolearn(c, t);
}

void
scan_log_verdict(const struct conn *c, const struct txn *t,
    const struct verdict *v, double elapsed_ms)
{
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "%s: client=%s[%s] from=<%s> nrcpt=%zu size=%zu "
	    "action=%s score=%.1f tests=", t->queue_id, c->client_name,
	    c->client_addr, t->envfrom, t->rcpts.n, spool_total(t->spool),
	    action_name(v->action), t->res.score);
	results_tests(&t->res, &b, ",");
	buf_printf(&b, " virus=%s", t->res.virus ? t->res.virus : "none");
	if (t->res.partial)
		buf_puts(&b, " scan=partial");
	if (t->res.limit != NULL)
		buf_printf(&b, " limit=%s", t->res.limit);
	if (t->res.error != NULL)
		buf_printf(&b, " error=\"%s\"", t->res.error);
	if (t->res.dns != NULL)
		buf_printf(&b, " dns=%s", t->res.dns);
	if (t->res.auth != NULL) {
		const struct auth_results *a = t->res.auth;

		if (a->spf_done)
			buf_printf(&b, " spf=%s", spf_result_name(a->spf.result));
		buf_printf(&b, " dkim=%s", a->dkim.n == 0 ? "none" :
		    dkim_status_name(a->dkim.v[0].status));
		if (a->dmarc_done && a->from_domain != NULL)
			buf_printf(&b, " dmarc=%s", dmarc_result_name(
			    a->dmarc.result));
		buf_printf(&b, " arc=%s", arc_result_name(a->arc.result));
	}
	if (t->res.stats.autolearn != NULL)
		buf_printf(&b, " autolearn=%s", t->res.stats.autolearn);
	if (t->dkim_signed != NULL)
		buf_printf(&b, " dkim_signed=%s", t->dkim_signed);
	buf_printf(&b, " why=\"%s\" elapsed=%.0fms", v->why, elapsed_ms);
	log_msg(LOG_INFO, "%s", b.p);
	buf_free(&b);
}
