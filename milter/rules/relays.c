/*
 * relays.c -- the relay chain from Received headers and the MTA's client,
 * with trust, formatted as SpamAssassin's X-Spam-Relays-* pseudo-headers.
 * See relays.h for the trust rules and ownership.
 *
 * Received headers come in many dialects; this reads the common ones:
 *   from HELO (RDNS [IP]) by BY ... id ID ...      Postfix, Sendmail
 *   from HELO (IDENT@RDNS [IP]) ...                Sendmail with ident
 *   from HELO ([IP]) ... / from HELO (unknown [IP])  no reverse name
 *   from RDNS ([IP] helo=HELO) by BY ...           Exim
 *   from HELO (RDNS. [IP]) ... / (HELO RDNS) [IP]   and similar
 * plus "with ESMTPSA"-style authenticated protocols, "(Authenticated
 * sender: ...)" and "envelope-from". A header that names no sending IP
 * (a local hand-over) is no hop.
 *
 * SpamAssassin's originating_ip_headers (X-Originating-IP and the like)
 * become hops too, after every Received hop: relays_originating_line()
 * turns such a field into SpamAssassin's synthetic Received line "from
 * X-Originating-IP: IP", which relays_parse_received() reads as a hop
 * with that address and nothing else.
 */
#include "autoconfig.h"

#include <sys/socket.h>

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "relays.h"
#include "rx.h"
#include "util.h"

#define MAX_RELAYS 64
#define MAX_ORIG_SCAN 8192	/* bytes of a field searched for an address:
				 * SpamAssassin keeps no more of a field */

/*
 * SpamAssassin's IP_ADDRESS pattern (Constants.pm): an IPv4 address, an
 * IPv6 one (optionally "IPv6:"-prefixed), or IPv4 mapped in IPv6.
 */
#define V4_OCTET "(?:1\\d\\d|2[0-4]\\d|25[0-5]|[1-9]\\d|\\d)"
#define V4 V4_OCTET "\\." V4_OCTET "\\." V4_OCTET "\\." V4_OCTET
#define H4 "[a-f0-9]{1,4}"
#define IP_ADDRESS "(?i:\\b(?<!:)" V4 "\\b|(?:IPv6:|(?<![a-f0-9:]))(?:" \
	"(?:(?:" H4 ":){6}|::(?:" H4 ":){0,5}|(?:" H4 ":){1,5}:|" \
	H4 "::(?:" H4 ":){1,4}|(?:" H4 ":){2}:(?:" H4 ":){1,3}|" \
	"(?:" H4 ":){3}:(?:" H4 ":){1,2}|(?:" H4 ":){4}:" H4 ":)" V4 "|" \
	"(?:" H4 ":){7}" H4 "|:(?::" H4 "){1,7}|(?:" H4 ":){1,7}:|" \
	H4 ":(?::" H4 "){1,6}|(?:" H4 ":){2}(?::" H4 "){1,5}|" \
	"(?:" H4 ":){3}(?::" H4 "){1,4}|(?:" H4 ":){4}(?::" H4 "){1,3}|" \
	"(?:" H4 ":){5}(?::" H4 "){1,2}|(?:" H4 ":){6}:" H4 "|::)" \
	"(?![a-f0-9:]))"

/* The built-in regexes (rx.h): compiled once for the process. */
enum { RX_IP, RX_ORIG, NRX };

static const struct rx_builtin rx_src[NRX] = {
	/* IP_ADDRESS, anywhere */
	[RX_IP] = { "IP_ADDRESS", IP_ADDRESS, 0 },
	/* the synthetic Received line */
	[RX_ORIG] = { "X-Originating-IP line",
	    "^from X-Originating-IP: (" IP_ADDRESS ")$", 0 },
};
static pcre2_code *rx_code[NRX];
const struct rx_set relays_rx = { "relays", rx_src, NRX, rx_code };

/*
 * Capture group g (0 or 1) of built-in regex id in s[0..n) as a new
 * string; NULL: no match (a PCRE2 limit included: rx.c reports it).
 */
static char *
rx_capture(int id, const char *s, size_t n, int g)
{
	size_t ov[4];

	if (rx_search(rx_builtin(&relays_rx, id), rx_src[id].name, s, n, 0, 0,
	    ov, 2) <= 0 || ov[2 * g] == (size_t)-1)
		return NULL;
	return xstrndup(s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

static const char *const private_blocks[] = {
	"10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.168.0.0/16", "100.64.0.0/10", "::1/128", "fc00::/7",
	"fe80::/10", NULL
};

static const char *const loopback_blocks[] = { "127.0.0.0/8", "::1/128",
    NULL };

/* The blocks above, parsed once for the process (every hop of every
 * message asks). */
#define MAX_BLOCKS 16
static struct cidr private_cidrs[MAX_BLOCKS], loopback_cidrs[MAX_BLOCKS];
static size_t nprivate, nloopback;
static pthread_once_t blocks_once = PTHREAD_ONCE_INIT;

static size_t
parse_blocks(const char *const *blocks, struct cidr *out)
{
	size_t n = 0;

	for (const char *const *b = blocks; *b && n < MAX_BLOCKS; b++)
		if (cidr_parse(*b, &out[n]) == 0)
			n++;
	return n;
}

static void
blocks_init(void)
{
	nprivate = parse_blocks(private_blocks, private_cidrs);
	nloopback = parse_blocks(loopback_blocks, loopback_cidrs);
}

static bool
ip_in_cidrs(const char *ip, const struct cidr *c, size_t n)
{
	int fam;
	uint8_t a[16];

	if (ip == NULL || cidr_addr_parse(ip, &fam, a) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cidr_contains(&c[i], fam, a))
			return true;
	return false;
}

static bool
ip_in_blocks(const char *ip, const char *const *blocks)
{
	pthread_once(&blocks_once, blocks_init);
	if (blocks == private_blocks)
		return ip_in_cidrs(ip, private_cidrs, nprivate);
	return ip_in_cidrs(ip, loopback_cidrs, nloopback);
}

bool
relays_ip_private(const char *ip)
{
	return ip != NULL && ip_in_blocks(ip, private_blocks);
}

static bool
ip_loopback(const char *ip)
{
	return ip_in_blocks(ip, loopback_blocks);
}

static bool
valid_ip(const char *s)
{
	int fam;
	uint8_t a[16];

	return *s != '\0' && cidr_addr_parse(s, &fam, a) == 0;
}

/* The value on one line, runs of white space as one space. */
static char *
normalize(const char *v)
{
	char *o = xcalloc(1, strlen(v) + 1), *w = o;
	bool sp = true;

	for (; *v; v++) {
		if (isspace((unsigned char)*v)) {
			if (!sp)
				*w++ = ' ';
			sp = true;
		} else {
			*w++ = *v;
			sp = false;
		}
	}
	while (w > o && w[-1] == ' ')
		w--;
	*w = '\0';
	return o;
}

/* Case-insensitive search for word w starting a token in s[0..end). */
static const char *
find_word(const char *s, const char *end, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = s; p + n <= end; p++)
		if ((p == s || p[-1] == ' ' || p[-1] == '(' || p[-1] == ';') &&
		    strncasecmp(p, w, n) == 0)
			return p;
	return NULL;
}

/* A token: up to white space or one of stop. */
static char *
token(const char *s, const char *stop)
{
	size_t n = 0;

	while (s[n] && s[n] != ' ' && strchr(stop, s[n]) == NULL)
		n++;
	return xstrndup(s, n);
}

static void
set(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

void
relays_relay_clear(struct relay *r)
{
	free(r->ip);
	free(r->rdns);
	free(r->helo);
	free(r->by);
	free(r->ident);
	free(r->envfrom);
	free(r->id);
	free(r->auth);
	memset(r, 0, sizeof(*r));
}

/*
 * Look for "[IP]" (or "[IPv6:IP]") in s[0..end); the first valid one.
 * *at is set to the '['.
 */
static char *
bracket_ip(const char *s, const char *end, const char **at)
{
	for (const char *p = s; p < end; p++) {
		const char *e;
		char *ip;

		if (*p != '[' ||
		    (e = memchr(p, ']', (size_t)(end - p))) == NULL)
			continue;
		ip = xstrndup(p + 1, (size_t)(e - p - 1));
		if (strncasecmp(ip, "IPv6:", 5) == 0)
			memmove(ip, ip + 5, strlen(ip + 5) + 1);
		if (valid_ip(ip)) {
			*at = p;
			return ip;
		}
		free(ip);
	}
	return NULL;
}

/*
 * qmail's "from RDNS (HELO helo) (IP)" and "from RDNS (IP)" (the IP may
 * be bracketed or follow "ident@"; without a HELO part the HELO was the
 * same as RDNS): qmail's front end looks the address up, so "unknown"
 * means the address has no name.  Returns true when from
 * (up to end) has this form, with r's ip, rdns and helo set.
 */
static bool
qmail_form(const char *from, const char *end, struct relay *r)
{
	const char *p = from, *q, *e;
	char *name, *helo = NULL, *ip;
	size_t n = strcspn(p, " ");

	if (p + n >= end || p[n] != ' ' || p[n + 1] != '(')
		return false;
	name = xstrndup(p, n);
	q = p + n + 2;
	if (strncasecmp(q, "HELO ", 5) == 0 || strncasecmp(q, "EHLO ", 5) == 0) {
		if ((e = strchr(q, ')')) == NULL || e >= end || e[1] != ' ' ||
		    e[2] != '(') {
			free(name);
			return false;
		}
		helo = xstrndup(q + 5, (size_t)(e - q - 5));
		q = e + 3;
	}
	if ((e = strchr(q, ')')) == NULL || e > end) {
		free(name);
		free(helo);
		return false;
	}
	/* "from HELO ([IP])" and "from HELO (ident@[IP])" are Sendmail's
	 * forms, read below. */
	if (helo == NULL && memchr(q, '[', (size_t)(e - q)) != NULL) {
		free(name);
		return false;
	}
	ip = xstrndup(q, (size_t)(e - q));
	{
		char *at = strrchr(ip, '@'), *v = at ? at + 1 : ip;
		size_t vl = strlen(v);

		if (*v == '[' && vl > 1 && v[vl - 1] == ']') {
			v[vl - 1] = '\0';
			v++;
		}
		memmove(ip, v, strlen(v) + 1);
	}
	if (!valid_ip(ip) || strchr(ip, '.') == NULL) {
		free(name);
		free(helo);
		free(ip);
		return false;
	}
	r->ip = ip;
	/* Without a HELO part, qmail dropped it as equal to the name. */
	r->helo = helo ? helo : xstrdup(name);
	if (strcasecmp(name, "unknown") == 0) {
		r->rdns = xstrdup("");
		free(name);
	} else
		r->rdns = name;
	r->no_rdns = r->rdns[0] == '\0';
	return true;
}

char *
relays_originating_line(const char *value)
{
	char *ip, *line;

	if (value == NULL)
		return NULL;
	ip = rx_capture(RX_IP, value, strnlen(value, MAX_ORIG_SCAN), 0);
	if (ip == NULL)
		return NULL;
	line = xasprintf("from X-Originating-IP: %s", ip);
	free(ip);
	return line;
}

void
relays_all_ips(const char *value, struct strlist *out, size_t max)
{
	size_t n = value != NULL ? strnlen(value, MAX_ORIG_SCAN) : 0, at = 0;
	size_t ov[2];

	while (at < n && out->n < max &&
	    rx_search(rx_builtin(&relays_rx, RX_IP), rx_src[RX_IP].name,
	    value, n, at, 0, ov, 1) > 0) {
		const char *ip = value + ov[0];
		size_t l = ov[1] - ov[0];

		if (l > 5 && strncasecmp(ip, "IPv6:", 5) == 0) {
			ip += 5;
			l -= 5;
		}
		if (l > 0)
			strlist_add_owned(out, xstrndup(ip, l));
		at = ov[1] > at ? ov[1] : at + 1;
	}
}

/*
 * The synthetic "from X-Originating-IP: IP": a hop with that address (as
 * SpamAssassin cleans it up: no "IPv6:" prefix, an IPv4-mapped IPv6
 * address as IPv4) and nothing else known.  False when s is not one.
 */
static bool
originating_form(const char *s, struct relay *r)
{
	char *ip;
	size_t n;

	if (strncmp(s, "from X-Originating-IP: ", 23) != 0)
		return false;
	if ((ip = rx_capture(RX_ORIG, s, strlen(s), 1)) == NULL)
		return false;
	if (strncasecmp(ip, "IPv6:", 5) == 0)
		memmove(ip, ip + 5, strlen(ip + 5) + 1);
	/* s/^0*:0*:(?:0*:)*ffff:(\d+\.\d+\.\d+\.\d+)$/$1/i */
	n = strspn(ip, "0:");
	if (n >= 2 && ip[n - 1] == ':' && strncasecmp(ip + n, "ffff:", 5) == 0 &&
	    strchr(ip + n + 5, ':') == NULL && strchr(ip + n + 5, '.') != NULL)
		memmove(ip, ip + n + 5, strlen(ip + n + 5) + 1);
	if (!valid_ip(ip)) {
		free(ip);
		return false;
	}
	r->ip = ip;
	r->rdns = xstrdup("");
	r->helo = xstrdup("");
	return true;
}

int
relays_parse_received(const char *value, struct relay *r)
{
	char *s = normalize(value), *h;
	const char *from, *end, *p, *at = NULL, *open;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (originating_form(s, r)) {
		rc = 0;
		goto out;
	}
	if (strncasecmp(s, "from ", 5) != 0)
		goto out;
	/* A mailbox fetched by fetchmail: a local hand-over, no hop. */
	if (strcasestr(s, "(fetchmail") != NULL)
		goto out;
	from = s + 5;
	/* The "from" part ends at " by " or ';'. */
	if ((end = find_word(from, from + strlen(from), "by ")) == NULL &&
	    (end = strchr(from, ';')) == NULL)
		end = from + strlen(from);

	if (qmail_form(from, end, r))
		goto tail;
	/* Prefer the address in the comment: "[IP] (RDNS [IP])". */
	if ((p = memchr(from, '(', (size_t)(end - from))) != NULL)
		r->ip = bracket_ip(p, end, &at);
	if (r->ip == NULL)
		r->ip = bracket_ip(from, end, &at);
	if (r->ip == NULL) {
		/* "from HELO (RDNS 192.0.2.1)" or "from 192.0.2.1" */
		for (p = from; p < end && r->ip == NULL; p++) {
			char *t;

			if (p != from && p[-1] != ' ' && p[-1] != '(')
				continue;
			t = token(p, "()");
			if (valid_ip(t) && strchr(t, '.') != NULL) {
				r->ip = t;
				at = p;
			} else
				free(t);
		}
	}
	if (r->ip == NULL)
		goto out;

	/* HELO: the first word, unless it is the comment. */
	if (*from != '(')
		r->helo = token(from, "()");
	/* The comment that holds the IP: "(RDNS [IP])", "([IP] helo=X)". */
	open = NULL;
	for (p = at; p >= from; p--)
		if (*p == '(') {
			open = p;
			break;
		}
	r->rdns = xstrdup("");
	if (open != NULL) {
		const char *q = open + 1;

		if (*q == '[' || q == at) {
			/* Exim: the first word is the reverse name. */
			if ((h = strstr(open, "helo=")) != NULL && h < end) {
				if (r->helo != NULL &&
				    strcmp(r->helo, r->ip) != 0 &&
				    r->helo[0] != '[')
					set(&r->rdns, r->helo);
				else
					free(r->helo);
				r->helo = token(h + 5, "()");
			} else if (r->helo != NULL && r->helo[0] != '\0' &&
			    r->helo[0] != '[' && strcmp(r->helo, r->ip) != 0 &&
			    strstr(s, "(Exim") != NULL) {
				/* Exim's "from NAME ([IP])": NAME is the
				 * verified reverse name, and the HELO too
				 * when none is given (as SpamAssassin reads
				 * it). */
				set(&r->rdns, xstrdup(r->helo));
			}
		} else {
			char *t = token(q, "()[");

			if (strchr(t, '@') != NULL) {
				char *a = strchr(t, '@');

				r->ident = xstrndup(t, (size_t)(a - t));
				set(&r->rdns, xstrdup(a + 1));
				free(t);
			} else if (strcasecmp(t, "unknown") == 0) {
				r->no_rdns = true;
				free(t);
			} else if (strcmp(t, r->ip) == 0 ||
			    strncasecmp(t, "HELO", 4) == 0)
				free(t);
			else
				set(&r->rdns, t);
			/* A trailing dot ("host.example. [IP]") goes. */
			size_t n = strlen(r->rdns);

			if (n > 0 && r->rdns[n - 1] == '.')
				r->rdns[n - 1] = '\0';
		}
	}
	if (r->helo == NULL)
		r->helo = xstrdup("");
	/* As SpamAssassin writes it: characters that would break the
	 * relay text ("[192.0.2.1]" is "!192.0.2.1!") become '!'. */
	for (char *c = r->helo; *c; c++)
		if (strchr("[]()<>|#", *c) != NULL)
			*c = '!';

	/* Sendmail's "from HELO ([IP]) by BY (...)": it looked the
	 * address up and found no name. */
	if (open != NULL && open[1] == '[' && r->rdns[0] == '\0' &&
	    strstr(s, "(Exim") == NULL && (p = find_word(end,
	    end + strlen(end), "by ")) != NULL && strchr(p + 3, ' ') != NULL &&
	    strchr(p + 3, ' ')[1] == '(')
		r->no_rdns = true;
tail:
	/* by, id, envelope-from, authentication. */
	if ((p = find_word(s, s + strlen(s), "by ")) != NULL)
		r->by = token(p + 3, "();");
	if ((p = find_word(end, end + strlen(end), "id ")) != NULL)
		r->id = token(p + 3, "();,");
	if ((p = strcasestr(s, "envelope-from ")) != NULL) {
		char *t = token(p + 14, "();");
		size_t n = strlen(t);

		if (t[0] == '<')
			memmove(t, t + 1, n--);
		if (n > 0 && t[n - 1] == '>')
			t[n - 1] = '\0';
		r->envfrom = t;
	}
	if ((p = find_word(end, end + strlen(end), "with ")) != NULL) {
		char *t = token(p + 5, "();");
		size_t n = strlen(t);

		if (n >= 2 && toupper((unsigned char)t[n - 1]) == 'A' &&
		    strncasecmp(t, "ESMTP", 5) == 0)
			r->auth = t;
		else
			free(t);
	}
	if (r->auth == NULL && strcasestr(s, "(Authenticated sender:") != NULL)
		r->auth = xstrdup("Postfix");
	/* Webmail: "from IP (SquirrelMail authenticated user U) by H with
	 * HTTP" names no HELO; the user logged in. */
	if ((strstr(s, " (SquirrelMail authenticated user ") != NULL ||
	    strstr(s, " (NaSMail authenticated user ") != NULL) &&
	    strstr(s, " with HTTP") != NULL) {
		set(&r->helo, xstrdup(""));
		free(r->auth);
		r->auth = xstrdup("HTTP");
	}
	rc = 0;
out:
	free(s);
	if (rc < 0)
		relays_relay_clear(r);
	else {
		if (r->by == NULL)
			r->by = xstrdup("");
		if (r->ident == NULL)
			r->ident = xstrdup("");
		if (r->envfrom == NULL)
			r->envfrom = xstrdup("");
		if (r->id == NULL)
			r->id = xstrdup("");
		if (r->auth == NULL)
			r->auth = xstrdup("");
	}
	return rc;
}

static void
add(struct relays *rl, struct relay *r)
{
	if (rl->n >= MAX_RELAYS) {
		relays_relay_clear(r);
		return;
	}
	rl->v = xrealloc(rl->v, (rl->n + 1) * sizeof(*rl->v));
	rl->v[rl->n++] = *r;
}

void
relays_build(struct relays *rl, const char *const *received, size_t n,
    const char *client_addr, const char *client_name, const char *helo,
    const struct cidrlist *trusted, const struct cidrlist *internal)
{
	bool have_t = trusted != NULL && trusted->n > 0;
	bool have_i = internal != NULL && internal->n > 0;
	bool in_t = true, in_i = true;
	size_t *from = xcalloc(n + 2, sizeof(*from));	/* Received index */

	memset(rl, 0, sizeof(*rl));
	rl->rcvd_trusted = rl->rcvd_internal = n;
	if (client_addr != NULL && valid_ip(client_addr) &&
	    !ip_loopback(client_addr)) {
		struct relay r;

		memset(&r, 0, sizeof(r));
		r.ip = xstrdup(client_addr);
		r.rdns = xstrdup(client_name != NULL &&
		    strcmp(client_name, "unknown") != 0 ? client_name : "");
		r.no_rdns = r.rdns[0] == '\0';
		r.helo = xstrdup(helo ? helo : "");
		r.by = xstrdup("");
		r.ident = xstrdup("");
		r.envfrom = xstrdup("");
		r.id = xstrdup("");
		r.auth = xstrdup("");
		add(rl, &r);
		from[0] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct relay r;

		if (received[i] != NULL &&
		    relays_parse_received(received[i], &r) == 0) {
			if (rl->n < MAX_RELAYS)
				from[rl->n] = i;
			add(rl, &r);
		}
	}
	for (size_t i = 0; i < rl->n; i++) {
		struct relay *r = &rl->v[i];
		bool t, it;

		if (have_t || have_i) {
			/* An authenticated hop stays trusted (and internal)
			 * whatever its address, as in SpamAssassin's
			 * Received.pm: a roaming user of the site. */
			bool au = r->auth[0] != '\0';

			t = au || ip_loopback(r->ip) ||
			    (have_t && cidrlist_match(trusted, r->ip)) ||
			    (have_i && cidrlist_match(internal, r->ip));
			it = au || ip_loopback(r->ip) || (have_i ?
			    cidrlist_match(internal, r->ip) :
			    cidrlist_match(trusted, r->ip));
		} else {
			/* SpamAssassin's inference without configuration. */
			t = ip_in_blocks(r->ip, private_blocks) ||
			    (i > 0 && r->auth[0] != '\0');
			it = t;
		}
		/* the first hop out of trust ends the trusted headers */
		if (in_t && !t)
			rl->rcvd_trusted = from[i];
		if (in_i && !it)
			rl->rcvd_internal = from[i];
		in_t = in_t && t;
		in_i = in_i && it;
		r->trusted = in_t;
		r->internal = in_i;
		if (in_t)
			rl->ntrusted = i + 1;
		if (in_i)
			rl->ninternal = i + 1;
	}
	free(from);
}

char *
relays_format(const struct relays *rl, size_t from, size_t to)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = from; i < to && i < rl->n; i++) {
		const struct relay *r = &rl->v[i];

		buf_printf(&b, "%s[ ip=%s rdns=%s helo=%s by=%s ident=%s "
		    "envfrom=%s intl=%d id=%s auth=%s msa=0 ]",
		    i > from ? " " : "", r->ip, r->rdns, r->helo, r->by,
		    r->ident, r->envfrom, r->internal ? 1 : 0, r->id, r->auth);
	}
	if (b.p == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

void
relays_free(struct relays *rl)
{
	for (size_t i = 0; i < rl->n; i++)
		relays_relay_clear(&rl->v[i]);
	free(rl->v);
	memset(rl, 0, sizeof(*rl));
}
