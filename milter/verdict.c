/*
 * verdict.c -- pure policy from results and config to one action.  See
 * verdict.h for the order of precedence.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "verdict.h"

/* Severity for combining the candidates of steps 4-6. */
static int
severity(enum action a)
{
	switch (a) {
	case ACT_ACCEPT: return 1;
	case ACT_TAG: return 2;
	case ACT_QUARANTINE: return 3;
	case ACT_DISCARD: return 4;
	case ACT_TEMPFAIL: return 5;
	case ACT_REJECT: return 6;
	default: return 0;
	}
}

static void
reply_copy(struct reply *dst, const struct reply *src)
{
	*dst = *src;
	dst->text = src->text ? xstrdup(src->text) : NULL;
}

/* The virus reply with "%s" replaced by the name (validated at load). */
static void
virus_reply(const struct config *cfg, const char *name, struct reply *out)
{
	const char *t = cfg->virus_reply.text, *p = strstr(t, "%s");

	*out = cfg->virus_reply;
	if (p == NULL)
		out->text = xstrdup(t);
	else
		out->text = xasprintf("%.*s%s%s", (int)(p - t), t,
		    name ? name : "unknown", p + 2);
}

static void
add_header(struct verdict *v, const char *name, char *value)
{
	strlist_add(&v->hdr_names, name);
	strlist_add_owned(&v->hdr_values, value);
}

/*
 * An action that can end a message, as validation guarantees for every
 * configured action and every rule's; anything else is a broken
 * invariant, logged as a panic and answered with tempfail (never accept:
 * a bug must not let mail through unjudged).  *why is set to say so.
 */
static enum action
final_action(enum action a, const char *what, const char **why)
{
	switch (a) {
	case ACT_ACCEPT: case ACT_TAG: case ACT_QUARANTINE:
	case ACT_DISCARD: case ACT_TEMPFAIL: case ACT_REJECT:
		return a;
	default:
		log_panic("verdict: %s gave action \"%s\" (%d), which no "
		    "valid configuration or rule gives; answering tempfail",
		    what, action_name(a), (int)a);
		*why = "internal error (broken invariant)";
		return ACT_TEMPFAIL;
	}
}

void
verdict_decide(const struct config *cfg, const struct results *r,
    const char *subject, struct verdict *v)
{
	enum action a = ACT_NONE, cand;
	const char *why = NULL;
	struct buf b;
	bool tagged;

	memset(v, 0, sizeof(*v));

	/*
	 * 1. A virus already found, over everything: a timeout or an
	 * internal error after it must not deliver it (on_timeout = accept).
	 */
	if (r->av == AV_VIRUS) {
		why = "virus";
		a = final_action(cfg->virus_action, "virus_action", &why);
		if (a == ACT_REJECT)
			virus_reply(cfg, r->virus, &v->reply);
	}
	/* 2. Warden's own trouble. */
	if (a == ACT_NONE && r->internal_error) {
		why = "internal error";
		a = final_action(cfg->on_internal_error, "on_internal_error",
		    &why);
	} else if (a == ACT_NONE && r->timed_out) {
		why = "scan timeout";
		a = final_action(cfg->on_timeout, "on_timeout", &why);
	}
	/* 3. A rule with an action. */
	if (a == ACT_NONE && r->decided.action != ACT_NONE) {
		why = r->decided.source ? r->decided.source : "rule action";
		a = final_action(r->decided.action, why, &why);
		if (a == r->decided.action && r->decided.reply.code[0])
			reply_copy(&v->reply, &r->decided.reply);
	}
	/* 4-6. The most severe of the remaining candidates. */
	if (a == ACT_NONE) {
		a = ACT_ACCEPT;
		why = "score";
		if (r->score >= cfg->reject_score)
			a = ACT_REJECT;
		else if (r->score >= cfg->quarantine_score)
			a = ACT_QUARANTINE;
		else if (r->score >= cfg->tag_score)
			a = ACT_TAG;
		cand = ACT_NONE;
		if (r->av == AV_ERROR)
			cand = cfg->on_av_error;
		else if (r->av == AV_HEURISTIC)
			cand = cfg->heuristic_action;
		if (cand != ACT_NONE) {
			const char *cwhy = r->av == AV_ERROR ?
			    "antivirus error" : "antivirus heuristic";

			cand = final_action(cand, r->av == AV_ERROR ?
			    "on_av_error" : "heuristic_action", &cwhy);
			if (severity(cand) > severity(a)) {
				a = cand;
				why = cwhy;
			}
		}
		if (r->limit != NULL && cfg->on_limit_exceeded != ACT_SCAN) {
			const char *lwhy = "limit exceeded";

			cand = final_action(cfg->on_limit_exceeded,
			    "on_limit_exceeded", &lwhy);
			if (severity(cand) > severity(a)) {
				a = cand;
				why = lwhy;
			}
		}
	}
	v->action = a;
	v->why = xstrdup(why);

	if (a == ACT_REJECT && v->reply.code[0] == '\0')
		reply_copy(&v->reply, &cfg->reject_reply);
	if (a == ACT_TEMPFAIL && v->reply.code[0] == '\0')
		reply_copy(&v->reply, &cfg->tempfail_reply);
	if (a == ACT_QUARANTINE)
		v->quarantine_reason = xasprintf("%s (%s, score=%.1f)",
		    cfg->quarantine_reason, why, r->score);

	/* X-Spam-Status in SpamAssassin's form, plus our own remarks. */
	tagged = r->score >= cfg->tag_score;
	buf_init(&b, 0);
	buf_printf(&b, "%s, score=%.1f required=%.1f tests=",
	    tagged ? "Yes" : "No", r->score, cfg->tag_score);
	results_tests(r, &b, ",");
	if (r->partial)
		buf_puts(&b, " scan=partial");
	if (r->limit != NULL)
		buf_printf(&b, " limit=%s", r->limit);
	buf_printf(&b, " version=Warden-%s", PACKAGE_VERSION);
	v->status = buf_steal(&b);

	/* Headers only go on mail that is delivered or held. */
	if (a != ACT_ACCEPT && a != ACT_TAG && a != ACT_QUARANTINE)
		return;
	if (tagged || a == ACT_TAG)
		add_header(v, "X-Spam-Flag", xstrdup("YES"));
	add_header(v, "X-Spam-Status", xstrdup(v->status));
	if (r->auth != NULL && r->auth->header != NULL)
		add_header(v, "Authentication-Results",
		    xstrdup(r->auth->header));
	if (r->av != AV_NOT_SCANNED) {
		add_header(v, "X-Virus-Scanned", xasprintf("Warden %s%s%s%s",
		    PACKAGE_VERSION, r->av_version ? " (" : "",
		    r->av_version ? r->av_version : "",
		    r->av_version ? ")" : ""));
		if (r->av == AV_VIRUS || r->av == AV_HEURISTIC)
			add_header(v, "X-Virus-Status", xasprintf("Infected (%s)",
			    r->virus ? r->virus : "unknown"));
		else if (r->av == AV_CLEAN)
			add_header(v, "X-Virus-Status", xstrdup("Clean"));
		else
			add_header(v, "X-Virus-Status", xstrdup("Unscanned (error)"));
	}
	if ((tagged || a == ACT_TAG) && cfg->subject_tag != NULL &&
	    cfg->subject_tag[0] != '\0') {
		const char *s = subject ? subject : "";

		while (*s == ' ' || *s == '\t')
			s++;
		/* Do not tag twice (a message tagged by an earlier hop). */
		if (strncmp(s, cfg->subject_tag, strlen(cfg->subject_tag)) != 0)
			v->new_subject = xasprintf("%s %s", cfg->subject_tag, s);
	}
}

void
verdict_free(struct verdict *v)
{
	reply_free(&v->reply);
	free(v->quarantine_reason);
	strlist_free(&v->hdr_names);
	strlist_free(&v->hdr_values);
	free(v->new_subject);
	free(v->status);
	free(v->why);
	memset(v, 0, sizeof(*v));
}
