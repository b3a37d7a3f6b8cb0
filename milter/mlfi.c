/*
 * mlfi.c -- libmilter callbacks, option negotiation and the smfi_* calls
 * that apply a decision.
 *
 * Callbacks stay thin: each copies what libmilter lends it (argv, header
 * values, body chunks are only valid during the call) into the conn/txn,
 * calls the scan_* stage function, and hands the decision to mlfi_stage()
 * or mlfi_apply_verdict(), the only two places that turn a decision into
 * smfi_* calls and an sfsistat.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "av.h"
#include "diag.h"
#include "log.h"
#include "mlfi.h"
#include "scan.h"
#include "snapshot.h"
#include "rules.h"
#include "spool.h"
#include "txn.h"

/* Largest milter packet accepted (a header line of a megabyte fits). */
#define MLFI_MAX_DATA	(2 * 1024 * 1024)

static pthread_mutex_t active_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t active_cond = PTHREAD_COND_INITIALIZER;
static unsigned active;			/* open connections */
static unsigned max_conns;		/* max_connections in force (0: none) */
static unsigned refused_conns;		/* refused since the last log line */
static time_t refused_logged;		/* when that line was written */
static bool reloaded;			/* a reload freed a snapshot: trim when idle */
static unsigned inflight;		/* messages between MAIL and their end */
static bool draining;			/* SIGTERM: no new message, no new conn */
static unsigned long ended;		/* messages ended, ever */

unsigned
mlfi_active(void)
{
	unsigned n;

	pthread_mutex_lock(&active_lock);
	n = active;
	pthread_mutex_unlock(&active_lock);
	return n;
}

static void
active_add(int delta)
{
	pthread_mutex_lock(&active_lock);
	active += (unsigned)delta;
	if (active == 0)
		pthread_cond_broadcast(&active_cond);
	pthread_mutex_unlock(&active_lock);
}

static void
inflight_add(int delta)
{
	pthread_mutex_lock(&active_lock);
	inflight += (unsigned)delta;
	if (delta < 0)
		ended++;
	if (inflight == 0)
		pthread_cond_broadcast(&active_cond);
	pthread_mutex_unlock(&active_lock);
}

static bool
mlfi_draining(void)
{
	bool d;

	pthread_mutex_lock(&active_lock);
	d = draining;
	pthread_mutex_unlock(&active_lock);
	return d;
}

/* End the conn's message, if any, and stop counting it as in flight. */
static void
mlfi_txn_end(struct conn *c)
{
	if (c->txn == NULL)
		return;
	txn_end(c);
	inflight_add(-1);
}

/* smfi_setreply reads '%' as a format character: double it. */
static void
mlfi_setreply(SMFICTX *ctx, const struct reply *r)
{
	struct buf b;

	if (r->code[0] == '\0' || r->text == NULL)
		return;
	buf_init(&b, 0);
	for (const char *p = r->text; *p; p++) {
		if (*p == '%')
			buf_putc(&b, '%');
		buf_putc(&b, *p);
	}
	if (smfi_setreply(ctx, (char *)r->code, r->xcode[0] ? (char *)r->xcode :
	    NULL, b.p) != MI_SUCCESS)
		log_msg(LOG_WARNING, "cannot set the SMTP reply \"%s %s %s\"",
		    r->code, r->xcode, r->text);
	buf_free(&b);
}

/* Turn a stage decision into an sfsistat (and a reply). */
static sfsistat
mlfi_stage(SMFICTX *ctx, struct stage_decision *d)
{
	sfsistat st;

	switch (d->action) {
	case ACT_ACCEPT:
		st = SMFIS_ACCEPT;
		break;
	case ACT_REJECT:
		mlfi_setreply(ctx, &d->reply);
		st = SMFIS_REJECT;
		break;
	case ACT_TEMPFAIL:
		mlfi_setreply(ctx, &d->reply);
		st = SMFIS_TEMPFAIL;
		break;
	case ACT_DISCARD:
		st = SMFIS_DISCARD;
		break;
	default:
		st = SMFIS_CONTINUE;
		break;
	}
	stage_decision_free(d);
	return st;
}

/*
 * The reply of a stage refusal, for its log line: the MTA may not show
 * it (Sendmail answers a refusal at connect with its own "554 ... not
 * accepting messages" and logs nothing of the rule's text), so the
 * administrator finds it here.  "" when there is none.
 */
static const char *
stage_reply(const struct stage_decision *d, char *buf, size_t n)
{
	if ((d->action != ACT_REJECT && d->action != ACT_TEMPFAIL) ||
	    d->reply.code[0] == '\0')
		return "";
	snprintf(buf, n, " reply=\"%s%s%s%s%s\"", d->reply.code,
	    d->reply.xcode[0] ? " " : "", d->reply.xcode,
	    d->reply.text && *d->reply.text ? " " : "",
	    d->reply.text ? d->reply.text : "");
	return buf;
}

/*
 * The connection's state once the MTA has said who connected, or NULL.
 * The conn made at option negotiation has no snapshot before that, and
 * only its negotiated steps may be read (through smfi_getpriv).
 */
static struct conn *
mlfi_conn(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	return c != NULL && c->snap != NULL ? c : NULL;
}

/*
 * The protocol steps agreed on this connection (SMFIP_*).  Without a
 * negotiation seen (libmilter reuses a connection after SMFIC_QUIT_NC,
 * whose close freed the conn), 0: reply to every header, never ask to
 * skip, which any MTA understands.
 */
static unsigned long
mlfi_steps(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	return c != NULL ? c->mta_steps : 0;
}

/*
 * on_internal_error as it can be taken at any stage (tempfail without a
 * config): tag and quarantine need a whole message, so tempfail.
 */
static enum action
mlfi_internal_action(const struct config *cfg)
{
	enum action a = cfg ? cfg->on_internal_error : ACT_TEMPFAIL;

	if (a == ACT_REJECT || a == ACT_TEMPFAIL || a == ACT_ACCEPT ||
	    a == ACT_DISCARD)
		return a;
	return ACT_TEMPFAIL;
}

/* Internal trouble outside the engine (no conn, no spool...). */
static sfsistat
mlfi_internal(SMFICTX *ctx, const struct config *cfg, const char *what)
{
	struct stage_decision d = { 0 };

	d.action = mlfi_internal_action(cfg);
	log_msg(LOG_ERR, "internal error: %s: taking on_internal_error=%s",
	    what, action_name(d.action));
	if (d.action == ACT_TEMPFAIL && cfg != NULL) {
		d.reply = cfg->tempfail_reply;
		d.reply.text = xstrdup(cfg->tempfail_reply.text);
	} else if (d.action == ACT_REJECT && cfg != NULL) {
		d.reply = cfg->reject_reply;
		d.reply.text = xstrdup(cfg->reject_reply.text);
	}
	return mlfi_stage(ctx, &d);
}

/* Stopping: tempfail with the configured reply, so the client comes back. */
static sfsistat
mlfi_refuse(SMFICTX *ctx, const struct config *cfg)
{
	struct stage_decision d = { 0 };

	d.action = ACT_TEMPFAIL;
	d.reply = cfg->tempfail_reply;
	d.reply.text = xstrdup(cfg->tempfail_reply.text);
	return mlfi_stage(ctx, &d);
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long need = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	unsigned long steps = 0;
	struct conn *c;

	(void)f2;
	(void)f3;
	/* Without them a forged X-Spam-Status could not be replaced. */
	if ((f0 & need) != need) {
		log_msg(LOG_ERR, "the MTA does not offer the actions Warden "
		    "needs (add and change headers): offered 0x%lx", f0);
		return SMFIS_REJECT;
	}
	/* Skip the steps Warden never uses; no reply needed per header. */
	steps |= f1 & (SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP |
	    SMFIP_NR_HDR);
	/*
	 * Quarantine when the MTA offers it (Postfix and Sendmail do).
	 * Without it a quarantine verdict is refused by libmilter, and
	 * takes on_internal_error (mlfi_apply_verdict).
	 */
	*pf0 = need | (f0 & SMFIF_QUARANTINE);
	*pf1 = steps;
	*pf2 = 0;
	*pf3 = 0;
	/*
	 * Kept with this connection: another MTA, or Postfix's cleanup
	 * beside its smtpd, may agree to other steps.  The conn is made
	 * here, without a snapshot until connect; close frees it.
	 */
	if ((c = smfi_getpriv(ctx)) == NULL) {
		c = conn_new(NULL);
		smfi_setpriv(ctx, c);
	}
	c->mta_steps = steps;
	c->mta_actions = *pf0;
#ifdef HAVE_SMFI_SETSYMLIST
	smfi_setsymlist(ctx, SMFIM_CONNECT,
	    "j {daemon_name} {client_addr} {client_name} {client_resolve}");
	smfi_setsymlist(ctx, SMFIM_HELO, "{client_addr}");
	smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen} {auth_type}");
	smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr}");
	smfi_setsymlist(ctx, SMFIM_EOH, "i");
	smfi_setsymlist(ctx, SMFIM_EOM, "i");
#endif
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct snapshot *snap = snapshot_acquire();
	struct stage_decision d;
	char rbuf[600];
	struct conn *c = smfi_getpriv(ctx);
	char addr[INET6_ADDRSTRLEN] = "";
	const char *m;

	if (snap == NULL)
		return mlfi_internal(ctx, NULL, "no configuration loaded");
	if (mlfi_draining()) {
		/* Stopping: a new client is told to come back later. */
		sfsistat st = mlfi_refuse(ctx, snap->cfg);

		log_msg(LOG_INFO, "connect from %s: stopping: tempfail",
		    hostname ? hostname : "unknown");
		snapshot_release(snap);
		return st;
	}
	/*
	 * libmilter passes one connect per negotiation, or per
	 * SMFIC_QUIT_NC: then the close before it freed the conn, and
	 * there was no negotiation since.
	 */
	{
		/* Bounded below the descriptor limit: past it, a new
		 * connection is told to come back later, logged once a
		 * minute with how many were. */
		bool full;
		unsigned nrefused = 0;
		time_t now = time(NULL);

		pthread_mutex_lock(&active_lock);
		full = max_conns > 0 && active >= max_conns;
		if (full) {
			refused_conns++;
			if (now - refused_logged >= 60) {
				nrefused = refused_conns;
				refused_conns = 0;
				refused_logged = now;
			}
		}
		pthread_mutex_unlock(&active_lock);
		if (full) {
			sfsistat st = mlfi_refuse(ctx, snap->cfg);

			if (nrefused > 0)
				log_msg(LOG_WARNING, "connect from %s: %u "
				    "connections open (max_connections): "
				    "tempfail (%u refused so since the last "
				    "such line)", hostname ? hostname :
				    "unknown", max_conns, nrefused);
			snapshot_release(snap);
			return st;
		}
	}
	if (c == NULL) {
		c = conn_new(NULL);
		smfi_setpriv(ctx, c);
	}
	c->snap = snap;
	active_add(1);
	if ((m = smfi_getsymval(ctx, "{client_addr}")) != NULL && *m)
		snprintf(addr, sizeof(addr), "%s", m);
	else if (hostaddr != NULL && hostaddr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)hostaddr)->sin_addr,
		    addr, sizeof(addr));
	else if (hostaddr != NULL && hostaddr->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((struct sockaddr_in6 *)(void *)hostaddr)->sin6_addr, addr,
		    sizeof(addr));
	conn_set_client(c, hostname, addr,
	    smfi_getsymval(ctx, "{client_resolve}"));
	if ((m = smfi_getsymval(ctx, "{daemon_name}")) != NULL)
		c->daemon_name = xstrdup(m);
	scan_connect(c, &d);
	if (d.action != ACT_NONE)
		log_msg(LOG_INFO, "connect from %s[%s]: %s (%s)%s",
		    c->client_name, c->client_addr, action_name(d.action),
		    d.why ? d.why : "", stage_reply(&d, rbuf, sizeof(rbuf)));
	return mlfi_stage(ctx, &d);
}

static sfsistat
mlfi_helo(SMFICTX *ctx, char *helo)
{
	struct conn *c = mlfi_conn(ctx);
	struct stage_decision d;
	char rbuf[600];

	if (c == NULL)
		return mlfi_internal(ctx, NULL, "HELO without connection state");
	conn_set_helo(c, helo);
	scan_helo(c, &d);
	if (d.action != ACT_NONE)
		log_msg(LOG_INFO, "helo from %s[%s] %s: %s (%s)%s",
		    c->client_name, c->client_addr, c->helo,
		    action_name(d.action), d.why ? d.why : "",
		    stage_reply(&d, rbuf, sizeof(rbuf)));
	return mlfi_stage(ctx, &d);
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = mlfi_conn(ctx);
	struct stage_decision d;
	char rbuf[600];
	struct txn *t;
	const char *m;

	if (c == NULL)
		return mlfi_internal(ctx, NULL, "MAIL FROM without connection state");
	if (mlfi_draining()) {
		/* Stopping: messages in flight finish, new ones come later. */
		mlfi_txn_end(c);
		log_msg(LOG_INFO, "client=%s[%s]: new message while stopping: "
		    "tempfail", c->client_name, c->client_addr);
		return mlfi_refuse(ctx, c->snap->cfg);
	}
	if (c->txn == NULL)
		inflight_add(1);
	t = txn_begin(c, argv != NULL && argv[0] != NULL ? argv[0] : "");
	if ((m = smfi_getsymval(ctx, "i")) != NULL && *m) {
		free(t->queue_id);
		t->queue_id = xstrdup(m);
	}
	if ((m = smfi_getsymval(ctx, "{auth_authen}")) != NULL && *m)
		t->auth_authen = xstrdup(m);
	scan_envfrom(c, t, &d);
	if (d.action != ACT_NONE) {
		log_msg(LOG_INFO, "%s: from=<%s> client=%s[%s]: %s (%s)%s",
		    t->queue_id, t->envfrom, c->client_name, c->client_addr,
		    action_name(d.action), d.why ? d.why : "",
		    stage_reply(&d, rbuf, sizeof(rbuf)));
		mlfi_txn_end(c);	/* decided: the message ends here */
	}
	return mlfi_stage(ctx, &d);
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = mlfi_conn(ctx);
	struct stage_decision d;
	char rbuf[600];

	if (c == NULL || c->txn == NULL)
		return mlfi_internal(ctx, c ? c->snap->cfg : NULL,
		    "RCPT TO without a message");
	scan_envrcpt(c, c->txn, argv != NULL && argv[0] != NULL ? argv[0] : "",
	    &d);
	if (d.action != ACT_NONE)
		log_msg(LOG_INFO, "%s: from=<%s> to=%s client=%s[%s]: %s "
		    "(%s)%s", c->txn->queue_id, c->txn->envfrom,
		    argv && argv[0] ? argv[0] : "", c->client_name,
		    c->client_addr, action_name(d.action), d.why ? d.why : "",
		    stage_reply(&d, rbuf, sizeof(rbuf)));
	return mlfi_stage(ctx, &d);
}

static sfsistat
mlfi_data(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = mlfi_conn(ctx);

	/* A spool failure is recorded in the txn and decided at EOM. */
	if (c != NULL && c->txn != NULL)
		txn_header(c->txn, name, value ? value : "");
	return (mlfi_steps(ctx) & SMFIP_NR_HDR) ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct conn *c = mlfi_conn(ctx);

	if (c == NULL || c->txn == NULL)
		return mlfi_internal(ctx, c ? c->snap->cfg : NULL,
		    "end of headers without a message");
	txn_eoh(c->txn);
	scan_eoh(c, c->txn);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = mlfi_conn(ctx);
	struct txn *t;

	if (c == NULL || (t = c->txn) == NULL)
		return mlfi_internal(ctx, c ? c->snap->cfg : NULL,
		    "body without a message");
	/* A failure is recorded once in t->res and logged with the verdict. */
	txn_body(t, chunk, len);
	/* Nothing more will be kept: ask the MTA to skip the rest. */
	if ((mlfi_steps(ctx) & SMFIP_SKIP) && (t->res.internal_error ||
	    spool_truncated(t->spool)))
		return SMFIS_SKIP;
	return SMFIS_CONTINUE;
}

/* Would the MTA pass the message on (or hold it, to be released later)? */
static bool
mlfi_passes_on(enum action a)
{
	return a == ACT_ACCEPT || a == ACT_TAG || a == ACT_QUARANTINE;
}

/*
 * The verdict cannot be applied as decided: make it a (reject or
 * tempfail with the configured reply, discard, or accept with the
 * headers the verdict has), so that what the MTA is told and the
 * verdict line agree, and say why.
 */
static void
mlfi_verdict_instead(struct verdict *v, const struct config *cfg,
    enum action a, const char *why)
{
	char *was = v->why;

	reply_free(&v->reply);
	memset(&v->reply, 0, sizeof(v->reply));
	if (a == ACT_REJECT) {
		v->reply = cfg->reject_reply;
		v->reply.text = xstrdup(cfg->reject_reply.text);
	} else if (a == ACT_TEMPFAIL) {
		v->reply = cfg->tempfail_reply;
		v->reply.text = xstrdup(cfg->tempfail_reply.text);
	}
	v->why = xasprintf("%s; the verdict was %s (%s)", why,
	    action_name(v->action), was ? was : "?");
	free(was);
	v->action = a;
}

/*
 * Remove every header of our names the sender set, whatever their
 * number: one smfi_chgheader per occurrence, from the last one of a name
 * back, so that the MTA's count of the ones before stays valid.  -1 when
 * the MTA would not take one.
 */
static int
mlfi_remove_ours(SMFICTX *ctx, const struct txn *t)
{
	for (size_t i = 0; i < t->nours; i++) {
		const struct our_name *o = &t->ours[i];

		for (unsigned k = o->count; k > 0; k--)
			if (smfi_chgheader(ctx, o->name, (int)k, NULL) !=
			    MI_SUCCESS) {
				log_msg(LOG_ERR, "%s: cannot remove header %s",
				    t->queue_id, o->name);
				return -1;
			}
	}
	/* Authentication-Results claiming our authserv-id: forged. */
	for (size_t k = t->nar_forged; k > 0; k--)
		if (smfi_chgheader(ctx, "Authentication-Results",
		    (int)t->ar_forged[k - 1], NULL) != MI_SUCCESS) {
			log_msg(LOG_ERR, "%s: cannot remove a forged "
			    "Authentication-Results header", t->queue_id);
			return -1;
		}
	return 0;
}

/*
 * Hold the message.  When the MTA refuses (libmilter does when the MTA
 * did not offer quarantine; or the connection failed), the verdict
 * becomes on_internal_error, with its reply: the message is not passed
 * on as if it had been held, and the verdict line says what was done.
 */
static void
mlfi_quarantine(SMFICTX *ctx, const struct conn *c, const struct txn *t,
    struct verdict *v)
{
	const struct config *cfg = c->snap->cfg;
	enum action a = mlfi_internal_action(cfg);

	if (smfi_quarantine(ctx, v->quarantine_reason) == MI_SUCCESS)
		return;
	log_msg(LOG_ERR, "%s: the MTA refused to quarantine the message%s: "
	    "taking on_internal_error=%s", t->queue_id,
	    (c->mta_actions & SMFIF_QUARANTINE) ? "" :
	    " (it did not offer quarantine)", action_name(a));
	mlfi_verdict_instead(v, cfg, a, "quarantine refused by the MTA");
}

/*
 * Apply the end-of-message verdict.  A verdict that would pass on a
 * header of ours the sender set (one that could not be counted, or that
 * the MTA would not remove), or a quarantine the MTA refuses, is changed
 * first: v then says what was done, for the verdict line.
 */
static sfsistat
mlfi_apply_verdict(SMFICTX *ctx, const struct conn *c, struct txn *t,
    struct verdict *v)
{
	const struct config *cfg = c->snap->cfg;
	struct stage_decision d = { 0 };

	/* Mail kept unscanned to be signed (t->skip) passes as it came,
	 * as when it is accepted before its end: nothing of it removed. */
	if (t->ours_lost && !t->skip && mlfi_passes_on(v->action))
		mlfi_verdict_instead(v, cfg, t->ours_refuse, "more "
		    "X-Spam-*/X-Virus-* header names than can be removed");
	/* Before any header change, which a refusal would make moot. */
	if (v->action == ACT_QUARANTINE)
		mlfi_quarantine(ctx, c, t, v);
	if (!t->skip && mlfi_passes_on(v->action) &&
	    mlfi_remove_ours(ctx, t) < 0)
		mlfi_verdict_instead(v, cfg, t->ours_refuse, "a header "
		    "X-Spam-*/X-Virus-* could not be removed");
	switch (v->action) {
	case ACT_REJECT:
	case ACT_TEMPFAIL:
	case ACT_DISCARD:
		d.action = v->action;
		d.reply = v->reply;
		d.reply.text = v->reply.text ? xstrdup(v->reply.text) : NULL;
		return mlfi_stage(ctx, &d);
	case ACT_ACCEPT:
	case ACT_TAG:
	case ACT_QUARANTINE:
		break;
	default:
		/* verdict_decide() gives only the actions above. */
		log_panic("%s: verdict action \"%s\" (%d) cannot end a "
		    "message; answering tempfail", t->queue_id,
		    action_name(v->action), (int)v->action);
		d.action = ACT_TEMPFAIL;
		d.reply = cfg->tempfail_reply;
		d.reply.text = xstrdup(cfg->tempfail_reply.text);
		return mlfi_stage(ctx, &d);
	}
	for (size_t i = 0; i < v->hdr_names.n; i++)
		/* Authentication-Results goes on top (RFC 8601), and so
		 * does a DKIM-Signature (RFC 6376 5.6). */
		if ((strcasecmp(v->hdr_names.v[i], "Authentication-Results") ==
		    0 || strcasecmp(v->hdr_names.v[i], "DKIM-Signature") == 0 ?
		    smfi_insheader(ctx, 0, v->hdr_names.v[i],
		    v->hdr_values.v[i]) : smfi_addheader(ctx, v->hdr_names.v[i],
		    v->hdr_values.v[i])) != MI_SUCCESS)
			log_msg(LOG_WARNING, "%s: cannot add header %s",
			    t->queue_id, v->hdr_names.v[i]);
	if (v->new_subject != NULL &&
	    smfi_chgheader(ctx, "Subject", 1, v->new_subject) != MI_SUCCESS)
		log_msg(LOG_WARNING, "%s: cannot tag the Subject", t->queue_id);
	return SMFIS_ACCEPT;
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct conn *c = mlfi_conn(ctx);
	struct verdict v;
	struct txn *t;
	const char *m;
	sfsistat st;

	if (c == NULL || (t = c->txn) == NULL)
		return mlfi_internal(ctx, c ? c->snap->cfg : NULL,
		    "end of message without a message");
	if ((m = smfi_getsymval(ctx, "i")) != NULL && *m) {
		free(t->queue_id);
		t->queue_id = xstrdup(m);
	}
	scan_eom(c, t, &v);
	st = mlfi_apply_verdict(ctx, c, t, &v);
	scan_log_verdict(c, t, &v, now_ms() - t->start_ms);
	verdict_free(&v);
	mlfi_txn_end(c);	/* the spool file is gone now, whatever the outcome */
	return st;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn *c = mlfi_conn(ctx);

	if (c != NULL)
		mlfi_txn_end(c);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	bool connected;

	if (c == NULL)
		return SMFIS_CONTINUE;	/* close without negotiation */
	connected = c->snap != NULL;	/* else not counted as active */
	smfi_setpriv(ctx, NULL);
	mlfi_txn_end(c);
	conn_free(c);
	if (connected)
		active_add(-1);
	return SMFIS_CONTINUE;
}

static struct smfiDesc mlfi_desc = {
	.xxfi_name = "warden",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_unknown = mlfi_unknown,
	.xxfi_data = mlfi_data,
	.xxfi_negotiate = mlfi_negotiate,
};

/* --- Daemon start-up ------------------------------------------------- */

static void mlfi_notify(const char *state);

static int sig_pipe[2] = { -1, -1 };	/* mlfi_on_signal() wakes main */
static volatile sig_atomic_t sig_term_count;	/* SIGTERMs and SIGINTs */

static bool milter_done;		/* smfi_main() has returned */
static int milter_rc;

/* smfi_main() runs here, so that the main thread can take SIGTERM. */
static void *
mlfi_main_thread(void *arg)
{
	int rc;

	(void)arg;
	rc = smfi_main();
	pthread_mutex_lock(&active_lock);
	milter_rc = rc;
	milter_done = true;
	pthread_cond_broadcast(&active_cond);
	pthread_mutex_unlock(&active_lock);
	return NULL;
}

/*
 * SIGTERM: take no new connection and no new message (tempfail, so the
 * client tries again later), let the messages in flight finish and the
 * MTA close its connections, for up to shutdown_timeout in all, then
 * stop libmilter.  libmilter's own SIGTERM handling stops its worker
 * pool at once and abandons every open session, in-flight messages
 * included; this is why Warden takes the signal itself.  A second
 * SIGTERM (or SIGINT) during the wait stops at once.
 */
static void
mlfi_drain(unsigned wait_s, const char *signame)
{
	struct timespec deadline;
	bool said = false;

	mlfi_notify("STOPPING=1");
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += wait_s;
	pthread_mutex_lock(&active_lock);
	draining = true;
	log_msg(LOG_INFO, "%s: stopping: %u message(s) in flight on %u "
	    "connection(s) may finish; new messages get tempfail", signame,
	    inflight, active);
	for (;;) {
		if (inflight == 0 && !said) {
			log_msg(LOG_INFO, "every message in flight has finished; "
			    "waiting for %u connection(s) to close", active);
			said = true;
		}
		if ((inflight == 0 && active == 0) || milter_done)
			break;	/* done, or libmilter stopped */
		if (sig_term_count > 1) {
			log_msg(LOG_WARNING, "a second SIGTERM: stopping now");
			break;
		}
		{
			/* In slices, to see a second signal. */
			struct timespec now, until;

			clock_gettime(CLOCK_REALTIME, &now);
			until = now;
			until.tv_sec += 1;
			if (until.tv_sec > deadline.tv_sec ||
			    (until.tv_sec == deadline.tv_sec &&
			    until.tv_nsec > deadline.tv_nsec))
				until = deadline;
			if (pthread_cond_timedwait(&active_cond, &active_lock,
			    &until) != 0 && (now.tv_sec > deadline.tv_sec ||
			    (now.tv_sec == deadline.tv_sec &&
			    now.tv_nsec >= deadline.tv_nsec)))
				break;
		}
	}
	if (inflight > 0)
		log_msg(LOG_WARNING, "stopping with %u message(s) still in "
		    "flight after %us (shutdown_timeout)", inflight, wait_s);
	else if (active > 0)
		log_msg(LOG_INFO, "closing %u idle connection(s) after %us "
		    "(shutdown_timeout)", active, wait_s);
	pthread_mutex_unlock(&active_lock);
}

/*
 * Malformed macro packets.  libmilter keeps the macros of a packet as
 * name/value pairs and smfi_getsymval() walks them two at a time: a
 * packet with an odd number of strings makes it read past the end of
 * the list (a crash, or garbage, at the next lookup).  Anyone who can
 * write to the milter socket could send one.  libmilter reads every
 * packet with mi_rd_cmd(), which it calls through its own symbol table,
 * so Warden defines mi_rd_cmd() here (ELF interposition) and passes
 * each packet on from libmilter's, except a macro packet whose strings
 * are not complete name/value pairs: that one ends the session, as a
 * read error does, and is logged.
 */
typedef char *(*rd_cmd_fn)(int, struct timeval *, char *, size_t *, char *);
/* libmilter's private code for "the read failed": the session ends. */
#define MI_RECVERR	((char)4)

char *mi_rd_cmd(int sd, struct timeval *timeout, char *cmd, size_t *rlen,
    char *name);

/* Whether a macro packet's payload (after its command byte) holds
 * NUL-terminated name/value pairs after the macro class byte. */
bool
mlfi_macros_ok(const char *p, size_t n)
{
	size_t strings = 0;

	if (n == 0)
		return false;		/* not even the class byte */
	if (n == 1)
		return true;		/* no macro */
	if (p[n - 1] != '\0')
		return false;		/* an unterminated last string */
	for (size_t i = 1; i < n; i++)
		if (p[i] == '\0')
			strings++;
	return strings % 2 == 0;
}

char *
mi_rd_cmd(int sd, struct timeval *timeout, char *cmd, size_t *rlen,
    char *name)
{
	static rd_cmd_fn real;
	rd_cmd_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
	char *buf;

	if (fn == NULL) {
		fn = (rd_cmd_fn)dlsym(RTLD_NEXT, "mi_rd_cmd");
		if (fn == NULL) {
			log_panic("libmilter's mi_rd_cmd() not found: %s",
			    dlerror());
			*cmd = MI_RECVERR;
			return NULL;
		}
		__atomic_store_n(&real, fn, __ATOMIC_RELEASE);
	}
	buf = fn(sd, timeout, cmd, rlen, name);
	if (*cmd == SMFIC_MACRO && !mlfi_macros_ok(buf, buf != NULL ? *rlen :
	    0)) {
		log_msg(LOG_WARNING, "a malformed macro packet from the MTA "
		    "(%zu bytes, not name/value pairs): closing the "
		    "connection", buf != NULL ? *rlen : 0);
		free(buf);
		*cmd = MI_RECVERR;
		return NULL;
	}
	return buf;
}

/*
 * Out of descriptors.  libmilter's listener takes a failed accept() with
 * EMFILE or ENFILE as "try again" and polls the listening socket, which
 * is still readable: it spins a core, and the connections waiting in the
 * backlog get no answer, with nothing logged.  Warden defines accept()
 * (ELF interposition, as mi_rd_cmd() above; libmilter is the only
 * caller) and, when the process has no descriptor left, closes the
 * oldest waiting connection at once: one descriptor is kept spare for
 * that.  The MTA sees the milter connection close and applies its
 * default action (tempfail with Postfix's milter_default_action), at
 * once instead of after its timeout.  Logged once a minute with how
 * many were closed.  When the spare cannot be had back (another thread
 * took the descriptor), the listener is slowed to ten tries a second.
 * Listener thread only (the lock is for the spare's set-up).
 */
typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);

static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static int spare_fd = -1;
static unsigned shed_conns;		/* closed since the last log line */
static unsigned long fd_limit;		/* RLIMIT_NOFILE in force */
static time_t shed_logged;

static void
spare_open(void)
{
	pthread_mutex_lock(&spare_lock);
	if (spare_fd < 0)
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pthread_mutex_unlock(&spare_lock);
}

/* Closes the oldest waiting connection on fd; whether one was. */
static bool
shed_one(int fd, accept_fn fn)
{
	int c = -1;
	unsigned n = 0;
	time_t now = time(NULL);

	pthread_mutex_lock(&spare_lock);
	if (spare_fd >= 0) {
		close(spare_fd);
		spare_fd = -1;
		c = fn(fd, NULL, NULL);
		if (c >= 0)
			close(c);
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (c >= 0)
		shed_conns++;
	if (shed_conns > 0 && now - shed_logged >= 60) {
		n = shed_conns;
		shed_conns = 0;
		shed_logged = now;
	}
	pthread_mutex_unlock(&spare_lock);
	if (n > 0)
		log_msg(LOG_ERR, "out of file descriptors (limit %lu): "
		    "closing new connections from the MTA at once (%u closed "
		    "since the last such line; raise LimitNOFILE, or lower "
		    "max_connections)", fd_limit, n);
	return c >= 0;
}

int accept(int fd, struct sockaddr *sa, socklen_t *len);

int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	static accept_fn real;
	accept_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
	int r, err;

	if (fn == NULL) {
		fn = (accept_fn)dlsym(RTLD_NEXT, "accept");
		if (fn == NULL) {
			errno = ENOSYS;
			return -1;
		}
		__atomic_store_n(&real, fn, __ATOMIC_RELEASE);
	}
	r = fn(fd, sa, len);
	if (r >= 0 || (errno != EMFILE && errno != ENFILE))
		return r;
	err = errno;
	if (!shed_one(fd, fn)) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	errno = err;			/* libmilter tries again */
	return -1;
}

static const char *reload_path;

/*
 * SIGTERM, SIGINT and SIGHUP are taken by the main thread with a
 * handler (the only thread that does not block them), so that they never
 * reach libmilter's signal thread, which would stop at once on any of
 * them (HUP included, with exit status 0): Linux gives a signal sent to
 * the process to its main thread whenever that thread does not block
 * it, whatever the main thread is doing (waiting, or in malloc_trim()).
 * The handler only counts and wakes the main loop through a pipe.
 */

static void
mlfi_on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGTERM || sig == SIGINT)
		sig_term_count++;
	if (write(sig_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a wake-up is already there */
	}
	errno = saved;
}

/* SIGUSR1: build a complete new snapshot; keep the old one on errors. */
static void *
mlfi_signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			struct snapshot *old = snapshot_acquire(), *s;
			struct diag d;

			diag_init(&d);
			log_msg(LOG_INFO, "reload: reading %s", reload_path);
			s = snapshot_build(reload_path, old, &d);
			diag_log(&d, "reload: ");
			if (s == NULL)
				log_msg(LOG_ERR, "reload failed with %zu error(s): "
				    "keeping the running configuration",
				    diag_nerrors(&d));
			else {
				snapshot_install(s);
				log_msg(LOG_INFO, "reload: configuration %lu "
				    "installed", s->generation);
			}
			snapshot_release(old);
			diag_free(&d);
			pthread_mutex_lock(&active_lock);
			reloaded = true;	/* guarded by active_lock */
			pthread_mutex_unlock(&active_lock);
		}
	}
	return NULL;
}

/*
 * libmilter does not set TCP_NODELAY and gives no access to its socket.
 * A filter that writes a header change and then its verdict as separate
 * small packets waits on Nagle plus the MTA's delayed ACK (about 40 ms a
 * message).  Find the listening TCP socket libmilter just opened and set
 * the option there: Linux hands it down to every accepted connection.
 */
static void
mlfi_tcp_nodelay(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = 3; fd < max; fd++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int listening = 0, one = 1;
		socklen_t ll = sizeof(listening);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ll) < 0 ||
		    !listening)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			log_msg(LOG_WARNING, "TCP_NODELAY on the milter socket: %s",
			    strerror(errno));
	}
}

/*
 * Tell a service manager that started us with Type=notify how we are
 * ("READY=1", "STOPPING=1"): one datagram to $NOTIFY_SOCKET, no library.
 */
static void
mlfi_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, n);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract namespace */
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, state, strlen(state), 0, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		log_msg(LOG_WARNING, "cannot notify the service manager: %s",
		    strerror(errno));
	close(fd);
}

/* Resolve user/group, or say why not. */
static int
mlfi_lookup_ids(const struct config *cfg, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;

	if ((pw = getpwnam(cfg->user)) == NULL) {
		log_msg(LOG_ERR, "user \"%s\" (config key user) does not exist",
		    cfg->user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (cfg->group[0] != '\0') {
		if ((gr = getgrnam(cfg->group)) == NULL) {
			log_msg(LOG_ERR, "group \"%s\" (config key group) does "
			    "not exist", cfg->group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/*
 * Descriptors: the soft limit raised to the hard one (a unit without
 * LimitNOFILE gets 1,024), a warning when that is still small, and the
 * connections bounded below it: each needs its socket and, while its
 * message is scanned, a spool file and libclamav's temporary files.
 * Also libclamav's leftovers from an earlier run are removed.
 */
#define FDS_PER_CONN	2
#define FDS_RESERVED	64

static void
mlfi_limits(const struct config *cfg)
{
	struct rlimit rl;
	unsigned long lim = 0, cap;
	unsigned swept;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rlim_t want = rl.rlim_max == RLIM_INFINITY ? 1048576 :
			    rl.rlim_max;

			rl.rlim_cur = want;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				getrlimit(RLIMIT_NOFILE, &rl);
		}
		lim = rl.rlim_cur == RLIM_INFINITY ? 1048576 :
		    (unsigned long)rl.rlim_cur;
	}
	cap = lim > FDS_RESERVED * 2 ? (lim - FDS_RESERVED) / FDS_PER_CONN :
	    1;
	max_conns = cfg->max_connections > 0 ? cfg->max_connections :
	    (unsigned)cap;
	if (max_conns > cap) {
		log_msg(LOG_WARNING, "max_connections = %u is more than %lu "
		    "file descriptors allow; using %lu (raise LimitNOFILE in "
		    "the unit, or ulimit -n)", cfg->max_connections, lim, cap);
		max_conns = (unsigned)cap;
	}
	if (lim < 4096)
		log_msg(LOG_WARNING, "only %lu file descriptors: at most %u "
		    "connections (raise LimitNOFILE in the unit, or ulimit -n)",
		    lim, max_conns);
	fd_limit = lim;
	spare_open();		/* see accept() */
	if ((swept = av_sweep(cfg->spool_directory, 0)) > 0)
		log_msg(LOG_INFO, "removed %u temporary director%s libclamav "
		    "left in %s", swept, swept == 1 ? "y" : "ies",
		    cfg->spool_directory);
}

int
mlfi_run(const char *config_path, bool foreground)
{
	struct snapshot *snap = snapshot_acquire();
	const struct config *cfg = snap->cfg;
	bool root = geteuid() == 0;
	uid_t uid = 0;
	gid_t gid = 0;
	sigset_t set;
	pthread_t sigthr;
	char *sock = xstrdup(cfg->socket);
	char *pid_file = xstrdup(cfg->pid_file);
	const char *path = NULL;
	mode_t old_umask;
	int rc = 0, err;

	reload_path = config_path;
	mlfi_limits(cfg);
	/* The macro packet check needs libmilter's mi_rd_cmd() to be
	 * there for ours to stand in front of (see mi_rd_cmd() above). */
	if (dlsym(RTLD_NEXT, "mi_rd_cmd") == NULL)
		log_msg(LOG_WARNING, "this libmilter has no mi_rd_cmd(): "
		    "malformed macro packets are not checked before it "
		    "parses them; keep the milter socket reachable by the MTA "
		    "only");
	if (root && !cfg->run_as_root && mlfi_lookup_ids(cfg, &uid, &gid) < 0) {
		log_msg(LOG_ERR, "refusing to handle mail as root: set user and "
		    "group, or run_as_root = yes");
		snapshot_release(snap);
		rc = 2;
		goto done;
	}
	if (strncmp(sock, "unix:", 5) == 0)
		path = sock + 5;
	else if (strncmp(sock, "local:", 6) == 0)
		path = sock + 6;
	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_register(mlfi_desc) != MI_SUCCESS) {
		log_msg(LOG_ERR, "cannot set up the milter socket %s", sock);
		snapshot_release(snap);
		rc = 2;
		goto done;
	}
	/*
	 * The MTA sends each header in one packet: Postfix up to its
	 * header_size_limit (100 KB by default).  libmilter's default
	 * limit of 64 KB would end the session on such a header, and the
	 * MTA would apply milter_default_action to the message.
	 */
	smfi_setmaxdatasize(MLFI_MAX_DATA);
	/*
	 * How long a connection may wait for the rest of a packet before
	 * libmilter closes it: its default, 7,210 s, lets a connection
	 * stalled mid-packet hold a thread for two hours.  (Between packets
	 * libmilter's worker pool holds the session without a thread and
	 * applies no timeout.)
	 */
	if (cfg->mta_timeout > 0)
		smfi_settimeout((int)(cfg->mta_timeout > 86400 ? 86400 :
		    cfg->mta_timeout));
	/* The socket's mode comes from the umask at creation. */
	old_umask = umask((mode_t)(~cfg->socket_mode & 0777));
	if (smfi_opensocket(true) != MI_SUCCESS) {
		umask(old_umask);
		log_msg(LOG_ERR, "cannot open the milter socket %s: %s", sock,
		    strerror(errno));
		snapshot_release(snap);
		rc = 2;
		goto done;
	}
	umask(old_umask);
	if (path == NULL)
		mlfi_tcp_nodelay();
	if (path != NULL) {
		if (chmod(path, (mode_t)cfg->socket_mode) < 0)
			log_msg(LOG_WARNING, "chmod %s: %s", path, strerror(errno));
		if (root && !cfg->run_as_root && chown(path, uid, gid) < 0)
			log_msg(LOG_WARNING, "chown %s: %s", path, strerror(errno));
	}
	if (root && !cfg->run_as_root) {
		if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
			log_msg(LOG_ERR, "cannot drop privileges to %s:%s: %s",
			    cfg->user, cfg->group, strerror(errno));
			snapshot_release(snap);
			rc = 2;
			goto done;
		}
		log_msg(LOG_INFO, "running as %s:%s", cfg->user, cfg->group);
	} else if (root)
		log_msg(LOG_WARNING, "handling mail as root (run_as_root = yes)");
	if (!foreground && daemon(0, 0) < 0) {
		log_msg(LOG_ERR, "cannot become a daemon: %s", strerror(errno));
		snapshot_release(snap);
		rc = 2;
		goto done;
	}
	/* From now on no fork: reloads build the prefilter in the
	 * background while the old rules serve. */
	rules_hs_background(true);
	if (cfg->pid_file[0] != '\0') {
		FILE *fp = fopen(cfg->pid_file, "w");

		if (fp != NULL) {
			fprintf(fp, "%ld\n", (long)getpid());
			fclose(fp);
		} else
			log_msg(LOG_WARNING, "cannot write %s: %s", cfg->pid_file,
			    strerror(errno));
	}
	/*
	 * SIGUSR1 goes to our own reload thread; TERM, INT and HUP to the
	 * main thread's handler (mlfi_on_signal).  Every other thread must
	 * block all four, so they are blocked before any thread starts
	 * (threads inherit the mask) and the main thread unblocks its
	 * three once the others run.
	 */
	{
		sigset_t all;

		sigemptyset(&all);
		sigaddset(&all, SIGUSR1);
		sigaddset(&all, SIGTERM);
		sigaddset(&all, SIGHUP);
		sigaddset(&all, SIGINT);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_msg(LOG_ERR, "cannot make the signal pipe: %s",
		    strerror(errno));
		snapshot_release(snap);
		rc = 2;
		goto stop;
	}
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = mlfi_on_signal;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_RESTART;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	/* Without it SIGUSR1, blocked everywhere, would never reload. */
	if ((err = pthread_create(&sigthr, NULL, mlfi_signal_thread,
	    &set)) != 0) {
		log_msg(LOG_ERR, "cannot start the reload thread: %s",
		    strerror(err));
		snapshot_release(snap);
		rc = 2;
		goto stop;
	}
	pthread_detach(sigthr);

	log_msg(LOG_INFO, "Warden %s ready on %s", PACKAGE_VERSION, sock);
	mlfi_notify("READY=1");
	unsigned shutdown_wait = cfg->shutdown_timeout;
	snapshot_release(snap);
	{
		pthread_t mthr;
		sigset_t term;
		bool done = false;
		unsigned long trimmed = 0;
		time_t last_sweep = time(NULL);

		if ((err = pthread_create(&mthr, NULL, mlfi_main_thread,
		    NULL)) != 0) {
			log_msg(LOG_ERR, "cannot start the milter thread: %s",
			    strerror(err));
			rc = 2;
			goto stop;
		}
		/*
		 * Linux hands a signal sent to the process to its main
		 * thread whenever that thread does not block it: TERM, INT
		 * and HUP come here, never to libmilter's signal thread.
		 */
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigaddset(&term, SIGINT);
		sigaddset(&term, SIGHUP);
		pthread_sigmask(SIG_UNBLOCK, &term, NULL);
		while (!done) {
			struct pollfd pfd = { .fd = sig_pipe[0],
			    .events = POLLIN };
			bool trim, reload = false;
			int stop = 0;
			char got[16];
			ssize_t n;

			if (poll(&pfd, 1, 1000) > 0 &&
			    (n = read(sig_pipe[0], got, sizeof(got))) > 0) {
				for (ssize_t i = 0; i < n; i++) {
					if (got[i] == SIGHUP)
						reload = true;
					else if (stop == 0)
						stop = got[i];
				}
			}
			if (stop != 0) {
				mlfi_drain(shutdown_wait, stop == SIGINT ?
				    "SIGINT" : "SIGTERM");
				smfi_stop();
				break;
			}
			if (reload) {
				/* As SIGUSR1: the reload thread takes it, and
				 * requests that come together make one. */
				log_msg(LOG_INFO, "SIGHUP: reloading, as SIGUSR1 "
				    "does");
				pthread_kill(sigthr, SIGUSR1);
			}
			pthread_mutex_lock(&active_lock);
			done = milter_done;
			/* Idle after some mail: give freed memory back. */
			trim = inflight == 0 && (ended != trimmed || reloaded);
			if (trim) {
				trimmed = ended;
				reloaded = false;
			}
			pthread_mutex_unlock(&active_lock);
#ifdef __GLIBC__
			if (trim)
				malloc_trim(0);
#else
			(void)trim;
#endif
			/* libclamav's leftovers: every minute, those older
			 * than ten (no scan runs that long). */
			if (time(NULL) - last_sweep >= 60) {
				struct snapshot *cur = snapshot_acquire();

				last_sweep = time(NULL);
				if (cur != NULL) {
					unsigned sw = av_sweep(
					    cur->cfg->spool_directory, 600);

					if (sw > 0)
						log_msg(LOG_WARNING, "removed "
						    "%u temporary director%s "
						    "libclamav left behind in "
						    "%s", sw, sw == 1 ? "y" :
						    "ies",
						    cur->cfg->spool_directory);
					snapshot_release(cur);
				}
			}
		}
		if (done)
			mlfi_notify("STOPPING=1");
		pthread_join(mthr, NULL);
		if (milter_rc != MI_SUCCESS)
			rc = 1;
	}
stop:
	if (path != NULL)
		unlink(path);
	if (pid_file[0] != '\0')
		unlink(pid_file);
	log_msg(LOG_INFO, "Warden stopped");
done:
	free(sock);
	free(pid_file);
	return rc;
}
