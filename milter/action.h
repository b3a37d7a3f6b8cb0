/*
 * action.h -- what Warden can do with a message (enum action) and the
 * SMTP replies that go with refusals (struct reply): names, parsing and
 * freeing.  Pure functions, safe from any thread.
 */
#ifndef WARDEN_ACTION_H
#define WARDEN_ACTION_H

/* Decisions, in the order of their severity for combining. */
enum action {
	ACT_NONE = 0,		/* not decided: continue */
	ACT_ACCEPT,
	ACT_TAG,
	ACT_QUARANTINE,
	ACT_DISCARD,
	ACT_TEMPFAIL,
	ACT_REJECT,
	ACT_SCAN,		/* on_limit_exceeded: verdict on what was scanned */
};
#define ACT_COUNT (ACT_SCAN + 1)

const char *action_name(enum action a);
/* -1 when unknown. */
int action_parse(const char *s);

/* An SMTP reply: "550 5.7.1 text".  code and xcode may be empty. */
struct reply {
	char  code[4];
	char  xcode[12];
	char *text;
};
/* 0 on success; on error, *why says what is wrong. */
int  reply_parse(const char *s, int class_required, struct reply *out,
    const char **why);
void reply_free(struct reply *r);

#endif
