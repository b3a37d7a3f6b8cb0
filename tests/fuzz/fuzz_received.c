/*
 * fuzz_received -- the relay chain (relays.h): Received headers read one
 * by one, originating_ip_headers lines, the chain built with each kind of
 * trust configuration, and its SpamAssassin text.
 *
 * The input is a header block: each line that does not start with white
 * space begins a Received value (a leading "Received:" is dropped), a
 * line that does continues it, folded as msgfile_split() keeps it.  A
 * first line "client: ADDR NAME HELO" gives the client the MTA reports.
 *
 * Invariants: a value is a hop or nothing; a hop has every field, a
 * valid IP address, no field longer than the value; the chain has at
 * most one hop per value (plus the client), its trusted and internal
 * hops come first and internal ones are trusted; the text of the chain
 * is the texts of its two parts joined.  A field with characters that
 * SpamAssassin strips (white space, NUL, "#[]()<>|": they would let a
 * header forge the structure of X-Spam-Relays-*) is reported once per
 * field, and aborts with FUZZ_STRICT=1 in the environment.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "fuzz.h"
#include "log.h"
#include "relays.h"
#include "util.h"

#define MAX_VALUES 100		/* more adds nothing but time */

static struct cidrlist trusted, internal, none;
static bool strict;

static void
add_block(struct cidrlist *l, const char *s)
{
	struct cidr c;

	if (cidr_parse(s, &c) < 0)
		abort();
	cidrlist_add(l, &c);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *s = getenv("FUZZ_STRICT");

	(void)argc;
	(void)argv;
	log_set_level(LOG_CRIT);
	strict = s != NULL && strcmp(s, "1") == 0;
	add_block(&trusted, "192.0.2.0/24");
	add_block(&trusted, "10.0.0.0/8");
	add_block(&trusted, "2001:db8::/32");
	add_block(&internal, "192.0.2.0/25");
	add_block(&internal, "2001:db8::/48");
	return 0;
}

/* SpamAssassin's $strip_chars: [\s\000#\[\]()<>|]. */
static void
sa_clean(const char *what, const char *v)
{
	static unsigned reported;
	static const char *const fields[] = { "ip", "rdns", "helo", "by",
	    "ident", "envfrom", NULL };
	unsigned bit = 0;

	for (unsigned i = 0; fields[i] != NULL; i++)
		if (strcmp(fields[i], what) == 0)
			bit = 1u << i;
	if (strpbrk(v, " \t\n\r\f\v#[]()<>|") == NULL)
		return;
	if (strict) {
		fprintf(stderr, "fuzz_received: %s='%s'\n", what, v);
		abort();
	}
	if (!(reported & bit)) {
		reported |= bit;
		fprintf(stderr, "fuzz_received: a %s field keeps a character "
		    "SpamAssassin strips: '%s'\n", what, v);
	}
}

static void
check_hop(const struct relay *r, size_t max)
{
	const char *f[] = { r->ip, r->rdns, r->helo, r->by, r->ident,
	    r->envfrom, r->id, r->auth };
	static const char *const names[] = { "ip", "rdns", "helo", "by",
	    "ident", "envfrom", "id", "auth" };
	int fam;
	uint8_t a[16];

	for (size_t i = 0; i < ARRAY_LEN(f); i++) {
		if (f[i] == NULL || strlen(f[i]) > max)
			abort();
		if (i < 6)
			sa_clean(names[i], f[i]);
	}
	if (cidr_addr_parse(r->ip, &fam, a) < 0)
		abort();
	if (r->no_rdns && r->rdns[0] != '\0')
		abort();
}

static void
check_empty(const struct relay *r)
{
	if (r->ip || r->rdns || r->helo || r->by || r->ident || r->envfrom ||
	    r->id || r->auth)
		abort();
}

static void
check_chain(const struct relays *rl, size_t nvalues, size_t maxlen,
    const struct cidrlist *t, const struct cidrlist *i)
{
	char *all, *a, *b, *joined;

	if (rl->n > nvalues + 1 || rl->ntrusted > rl->n ||
	    rl->ninternal > rl->ntrusted || rl->rcvd_trusted > nvalues ||
	    rl->rcvd_internal > rl->rcvd_trusted)
		abort();
	for (size_t k = 0; k < rl->n; k++) {
		check_hop(&rl->v[k], maxlen);
		if (rl->v[k].trusted != (k < rl->ntrusted) ||
		    rl->v[k].internal != (k < rl->ninternal))
			abort();
	}
	/* Without configuration, trust and internality are one. */
	if (t->n == 0 && i->n == 0 && rl->ntrusted != rl->ninternal)
		abort();
	all = relays_format(rl, 0, rl->n);
	a = relays_format(rl, 0, rl->ntrusted);
	b = relays_format(rl, rl->ntrusted, rl->n);
	joined = xasprintf("%s%s%s", a, *a && *b ? " " : "", b);
	if (strcmp(all, joined) != 0)
		abort();
	free(all);
	free(a);
	free(b);
	free(joined);
}

/* Split the input into Received values; returns how many. */
static size_t
split(char *text, char **client, char **v)
{
	size_t n = 0;
	char *line = text, *next;

	*client = NULL;
	for (; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line == text && strncmp(line, "client: ", 8) == 0) {
			*client = line + 8;
			continue;
		}
		if ((*line == ' ' || *line == '\t') && n > 0) {
			/* Continued: join it back, as a folded value. */
			line[-1] = '\n';
			continue;
		}
		if (n == MAX_VALUES)
			break;
		if (strncasecmp(line, "Received:", 9) == 0)
			for (line += 9; *line == ' ' || *line == '\t'; line++)
				;
		v[n++] = line;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *client, *v[MAX_VALUES];
	char addr[64] = "", name[256] = "", helo[256] = "";
	const struct cidrlist *tl[] = { &none, &trusted, &none, &trusted };
	const struct cidrlist *il[] = { &none, &none, &internal, &internal };
	size_t n, maxlen = strlen(text);

	n = split(text, &client, v);
	if (client != NULL)
		(void)sscanf(client, "%63s %255s %255s", addr, name, helo);
	for (size_t i = 0; i < n; i++) {
		struct relay r;
		char *line;

		if (relays_parse_received(v[i], &r) == 0) {
			check_hop(&r, strlen(v[i]));
			relays_relay_clear(&r);
		} else
			check_empty(&r);
		/* The same text as an originating_ip_headers field. */
		if ((line = relays_originating_line(v[i])) != NULL) {
			if (strncmp(line, "from X-Originating-IP: ", 23) != 0)
				abort();
			if (relays_parse_received(line, &r) == 0) {
				check_hop(&r, strlen(line));
				relays_relay_clear(&r);
			} else
				check_empty(&r);
			free(line);
		}
	}
	for (size_t k = 0; k < ARRAY_LEN(tl); k++) {
		struct relays rl;

		relays_build(&rl, (const char *const *)v, n,
		    client != NULL ? addr : NULL, name, helo, tl[k], il[k]);
		check_chain(&rl, n, maxlen > 255 ? maxlen : 255, tl[k], il[k]);
		relays_free(&rl);
	}
	free(text);
	return 0;
}
