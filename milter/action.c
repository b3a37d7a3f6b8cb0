/*
 * action.c -- action names and SMTP replies.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "action.h"
#include "util.h"

static const char *const action_names[ACT_COUNT] = {
	"none", "accept", "tag", "quarantine", "discard", "tempfail",
	"reject", "scan",
};

const char *
action_name(enum action a)
{
	return (unsigned)a < ACT_COUNT ? action_names[a] : "?";
}

int
action_parse(const char *s)
{
	for (int i = 1; i < ACT_COUNT; i++)
		if (strcasecmp(s, action_names[i]) == 0)
			return i;
	return -1;
}

int
reply_parse(const char *s, int class_required, struct reply *out,
    const char **why)
{
	const char *p = s;
	size_t n;

	memset(out, 0, sizeof(*out));
	while (isspace((unsigned char)*p))
		p++;
	if (!(isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '\0'))) {
		*why = "expected \"CODE [X.Y.Z] text\", e.g. \"550 5.7.1 Rejected\"";
		return -1;
	}
	if (p[0] != '4' && p[0] != '5') {
		*why = "the reply code must be 4xx or 5xx";
		return -1;
	}
	if (class_required && p[0] - '0' != class_required) {
		*why = class_required == 5 ? "the reply code must be 5xx" :
		    "the reply code must be 4xx";
		return -1;
	}
	memcpy(out->code, p, 3);
	p += 3;
	while (*p == ' ')
		p++;
	/* Enhanced status code: class.subject.detail, class matching. */
	n = strspn(p, "0123456789.");
	if (n > 0 && (p[n] == ' ' || p[n] == '\0')) {
		int a, b, c, used = 0;

		if (n >= sizeof(out->xcode) ||
		    sscanf(p, "%d.%d.%d%n", &a, &b, &c, &used) != 3 ||
		    (size_t)used != n || a != out->code[0] - '0') {
			*why = "bad enhanced status code (expected X.Y.Z with X "
			    "matching the reply code)";
			return -1;
		}
		memcpy(out->xcode, p, n);
		p += n;
		while (*p == ' ')
			p++;
	}
	if (*p == '\0') {
		*why = "the reply has no text";
		return -1;
	}
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f) {
			*why = "the reply text has a control character";
			return -1;
		}
	out->text = xstrdup(p);
	return 0;
}

void
reply_free(struct reply *r)
{
	free(r->text);
	r->text = NULL;
}
