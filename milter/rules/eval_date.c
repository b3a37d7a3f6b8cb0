/*
 * eval_date.c -- SpamAssassin's date parser (parse_rfc822_date()) and
 * the dates of a message that HeaderEval's tests compare: Date (or
 * Resent-Date) and the times of the Received headers, worked out once
 * per message into the cache's dates part (eval_int.h), which this
 * file owns.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval_int.h"
#include "util.h"

/* ---- Dates: SpamAssassin's parse_rfc822_date() ---- */

static const struct tzname {
	const char *name;
	int     off;		/* +hhmm as a number */
} tznames[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "NDT", -230 }, { "AST", -400 },
	{ "ADT", -300 }, { "NST", -330 }, { "EST", -500 }, { "EDT", -400 },
	{ "CST", -600 }, { "CDT", -500 }, { "MST", -700 }, { "MDT", -600 },
	{ "PST", -800 }, { "PDT", -700 }, { "HST", -1000 }, { "AKST", -900 },
	{ "AKDT", -800 }, { "HADT", -900 }, { "HAST", -1000 }, { "GMT", 0 },
	{ "BST", 100 }, { "IST", 100 }, { "WET", 0 }, { "WEST", 100 },
	{ "CET", 100 }, { "CEST", 200 }, { "EET", 200 }, { "EEST", 300 },
	{ "MSK", 300 }, { "MSD", 400 }, { "MET", 100 }, { "MEZ", 100 },
	{ "MEST", 200 }, { "MESZ", 200 }, { "BRST", -200 }, { "BRT", -300 },
	{ "AEST", 1000 }, { "AEDT", 1100 }, { "ACST", 930 }, { "ACDT", 1030 },
	{ "AWST", 800 }, { "NZST", 1200 }, { "NZDT", 1300 }, { "HKT", 800 },
	{ "SGT", 800 }, { "PHT", 800 }, { "JST", 900 }, { "KST", 900 },
	{ "IDT", 300 }, { NULL, 0 }
};

static int
month_of(const char *w)
{
	static const char *const m[] = { "jan", "feb", "mar", "apr", "may",
		"jun", "jul", "aug", "sep", "oct", "nov", "dec" };

	if (strlen(w) != 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (strcasecmp(w, m[i]) == 0)
			return i + 1;
	return 0;
}

static bool
all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

#define MAX_DATE_WORDS 32

/*
 * Parse an RFC 822 date the way SpamAssassin does (loosely: the day,
 * month and year wherever they are, then the time and zone).  Returns
 * false when no date is found.
 */
bool
eval_parse_date(const char *date, long long *out)
{
	char buf[512], *w[MAX_DATE_WORDS], *save = NULL;
	bool used[MAX_DATE_WORDS];
	int n = 0, dd = 0, mon = 0, yyyy = 0, hh = 0, mm = 0, ss = 0;
	int tz = 0, i;
	bool found = false;
	long long t;

	snprintf(buf, sizeof(buf), "%s", date);
	for (char *p = buf; *p; p++)
		if (*p == ',' || isspace((unsigned char)*p))
			*p = ' ';
	for (char *tok = strtok_r(buf, " ", &save); tok != NULL &&
	    n < MAX_DATE_WORDS; tok = strtok_r(NULL, " ", &save))
		w[n++] = tok;
	memset(used, 0, sizeof(used));
	/* "DD Mon YYYY" */
	for (i = 0; i + 2 < n && !found; i++)
		if (all_digits(w[i], 1, 9) && month_of(w[i + 1]) &&
		    all_digits(w[i + 2], 4, 4)) {
			dd = atoi(w[i]);
			mon = month_of(w[i + 1]);
			yyyy = atoi(w[i + 2]);
			used[i] = used[i + 1] = used[i + 2] = true;
			found = true;
		}
	/* "Mon DD hh:mm:ss YYYY" (asctime) */
	for (i = 0; i + 3 < n && !found; i++)
		if (month_of(w[i]) && all_digits(w[i + 1], 1, 9) &&
		    strchr(w[i + 2], ':') != NULL &&
		    all_digits(w[i + 3], 4, 4)) {
			mon = month_of(w[i]);
			dd = atoi(w[i + 1]);
			yyyy = atoi(w[i + 3]);
			used[i] = used[i + 1] = used[i + 3] = true;
			found = true;
		}
	/* "DD Mon YY" */
	for (i = 0; i + 2 < n && !found; i++)
		if (all_digits(w[i], 1, 9) && month_of(w[i + 1]) &&
		    all_digits(w[i + 2], 2, 3)) {
			dd = atoi(w[i]);
			mon = month_of(w[i + 1]);
			yyyy = atoi(w[i + 2]);
			if (strlen(w[i + 2]) == 2 && yyyy < 50)
				yyyy += 2000;
			else
				yyyy += 1900;
			used[i] = used[i + 1] = used[i + 2] = true;
			found = true;
		}
	if (!found)
		return false;
	/* hh:mm[:ss] */
	for (i = 0; i < n; i++) {
		int a, b, c = 0, len = 0;

		if (used[i])
			continue;
		if ((sscanf(w[i], "%2d:%2d:%2d%n", &a, &b, &c, &len) == 3 ||
		    (c = 0, sscanf(w[i], "%2d:%2d%n", &a, &b, &len) == 2)) &&
		    w[i][len] == '\0' && isdigit((unsigned char)w[i][0])) {
			hh = a;
			mm = b;
			ss = c;
			used[i] = true;
			break;
		}
	}
	/* +hhmm, or a zone name SpamAssassin knows (others: -0000) */
	for (i = 0; i < n; i++)
		if (!used[i] && (w[i][0] == '+' || w[i][0] == '-') &&
		    all_digits(w[i] + 1, 4, 4)) {
			tz = atoi(w[i] + 1);
			if (w[i][0] == '-')
				tz = -tz;
			used[i] = true;
			break;
		}
	if (i == n)
		for (i = 0; i < n; i++) {
			char z[16];
			size_t zl;

			if (used[i])
				continue;
			snprintf(z, sizeof(z), "%s", w[i]);
			if (*z == '(')
				memmove(z, z + 1, strlen(z));
			zl = strlen(z);
			if (zl > 0 && z[zl - 1] == ')')
				z[--zl] = '\0';
			if (zl > 4 && strcmp(z + zl - 4, "-DST") == 0)
				z[zl - 4] = '\0';
			for (const struct tzname *tn = tznames; tn->name; tn++)
				if (strcmp(z, tn->name) == 0) {
					tz = tn->off;
					i = n;
					break;
				}
		}
	if (ss > 59)
		ss = 59;
	if (mm > 59)
		mm = 59;
	if (hh > 23)
		hh = 23;
	{
		int max_dd = 31;

		if (mon == 4 || mon == 6 || mon == 9 || mon == 11)
			max_dd = 30;
		else if (mon == 2)
			max_dd = (yyyy % 4 == 0 && (yyyy % 100 != 0 ||
			    yyyy % 400 == 0)) ? 29 : 28;
		if (dd > max_dd) {
			dd = 1;
			if (++mon > 12) {
				mon = 1;
				yyyy++;
			}
		}
	}
	if (yyyy > 2037)
		yyyy = 2037;
	else if (yyyy < 1970)
		yyyy = 1970;
	if (dd < 1)
		dd = 1;
	t = days_from_civil(yyyy, (unsigned)mon, (unsigned)dd) * 86400 +
	    hh * 3600 + mm * 60 + ss;
	{
		long long off = ((llabs(tz) / 100) * 60 + llabs(tz) % 100) * 60;

		if (tz < 0)
			t += off;
		else if (t < off)
			t = 0;
		else
			t -= off;
	}
	*out = t;
	return true;
}

/* ---- HeaderEval: dates ---- */

void
eval_dates_work(struct eval_ctx *ec)
{
	struct eval_date_cache *c = &eval_cache_get(ec)->dates;
	static const char *const dh[] = { "Resent-Date", "Date", NULL };
	char *rcvd, *save = NULL, **lines = NULL;
	size_t nl = 0, first = 0;

	if (c->dates_done)
		return;
	c->dates_done = true;
	for (const char *const *h = dh; *h && !c->have_date; h++) {
		char *v = eval_hget(ec, *h, 0, NULL), *s2 = NULL;

		/* The first value with a date SpamAssassin can parse. */
		for (char *l = strtok_r(v, "\n", &s2); l != NULL &&
		    !c->have_date; l = strtok_r(NULL, "\n", &s2))
			if (*l != '\0' && eval_parse_date(l, &c->date))
				c->have_date = true;
		free(v);
	}
	rcvd = eval_hget_unfolded(ec, "Received");
	for (char *l = strtok_r(rcvd, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		bool blank = true;

		for (char *p = l; *p; p++)
			if (!isspace((unsigned char)*p))
				blank = false;
		if (blank)
			continue;
		lines = xrealloc(lines, (nl + 1) * sizeof(*lines));
		lines[nl++] = l;
	}
	/* A local hand-over first, then fetchmail: not a hop in time. */
	if (nl > 0 && eval_rx_match(RX_RCVD_LOCAL, lines[0])) {
		if (nl > 1 && eval_rx_match(RX_RCVD_FETCHMAIL, lines[1]))
			first = 2;
	} else if (nl > 0 && eval_rx_match(RX_RCVD_FETCHMAIL, lines[0]))
		first = 1;
	c->rcvd_times = xcalloc(nl + 1, sizeof(*c->rcvd_times));
	for (size_t i = first; i < nl; i++) {
		char *d = eval_rx_cap1(RX_RCVD_DATE, lines[i]);
		long long t;

		if (d != NULL && eval_parse_date(d, &t))
			c->rcvd_times[c->nrcvd_times++] = t;
		free(d);
	}
	free(lines);
	free(rcvd);
	c->date_diff = 0;
	if (c->have_date && c->nrcvd_times > 0) {
		size_t n = c->nrcvd_times;
		long long best = 0;
		bool have = false;

		/* The last one (oldest) is left out when it is exactly 0
		 * and there are others; then the smallest in size. */
		if (n > 1 && c->date - c->rcvd_times[n - 1] == 0)
			n--;
		for (size_t i = 0; i < n; i++) {
			long long d = c->date - c->rcvd_times[i];

			if (!have || llabs(d) < llabs(best)) {
				best = d;
				have = true;
			}
		}
		c->date_diff = best;
	}
}

void
eval_date_free(struct cache *c)
{
	free(c->dates.rcvd_times);
}
