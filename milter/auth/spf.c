/*
 * spf.c -- SPF (RFC 7208): check_host() for the MAIL FROM and HELO
 * identities over the lookups of struct auth_dns (spf.h).
 *
 * A check reads the domain's TXT records, keeps the one that starts with
 * "v=spf1", parses all of it (a syntax error anywhere is a permerror,
 * before any mechanism is tried), then tries the mechanisms left to
 * right; include and redirect check their targets the same way, one
 * level deeper.  The explanation (exp=) is read only when the result of
 * the whole check is fail, and only from the record that gave it.
 *
 * Bounds, against records written to hurt: a record is at most
 * SPF_MAX_RECORD bytes; 10 terms that cause lookups, 2 void lookups and
 * 10 MX or PTR names per name; SPF_MAX_DEPTH levels of include and
 * redirect; SPF_MAX_QUERIES lookups in all.  A macro's value is at most
 * SPF_MAX_VALUE bytes, and an expansion is built in a bounded struct buf
 * that drops its left labels as it goes (section 7.3: a name is cut to
 * 253 bytes from the left), so no record makes an expansion grow past
 * SPF_MAX_EXPAND bytes; an explanation is at most SPF_MAX_EXPLAIN bytes.
 *
 * Threads: a check keeps all its state in its struct spf_ctx, on the
 * stack of its caller.  Ownership: the strings of struct spf_outcome are
 * the caller's; everything else is freed before a check returns.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "auth_dns.h"
#include "spf.h"
#include "util.h"

#define SPF_MAX_RECORD	4096	/* bytes of a record (the DNS layer keeps
				 * 4096 bytes of a TXT record: a record that
				 * long may have been cut, and is refused) */
#define SPF_MAX_TERMS	10	/* terms that cause lookups (4.6.4) */
#define SPF_MAX_VOID	2	/* lookups answering nothing (4.6.4) */
#define SPF_MAX_NAMES	10	/* MX or PTR names looked at (4.6.4) */
#define SPF_MAX_DEPTH	11	/* include and redirect levels */
#define SPF_MAX_QUERIES	256	/* lookups of one check, whatever happens */
#define SPF_MAX_NAME	253	/* a name after expansion (7.3) */
#define SPF_MAX_LABEL	63
#define SPF_MAX_VALUE	1024	/* bytes of a macro's value */
#define SPF_MAX_EXPAND	8192	/* bytes of an expansion being built */
#define SPF_MAX_EXPLAIN	1024	/* bytes of an explanation */
#define SPF_MAX_WHY	512	/* bytes of the reason */

enum spf_mech { MECH_ALL, MECH_INCLUDE, MECH_A, MECH_MX, MECH_PTR, MECH_IP4,
	MECH_IP6, MECH_EXISTS };

static const struct {
	const char *name;
	enum spf_mech mech;
} mechs[] = {
	{ "all", MECH_ALL }, { "include", MECH_INCLUDE }, { "a", MECH_A },
	{ "mx", MECH_MX }, { "ptr", MECH_PTR }, { "ip4", MECH_IP4 },
	{ "ip6", MECH_IP6 }, { "exists", MECH_EXISTS },
};

/* One mechanism of a record; the strings point into the record. */
struct spf_term {
	char    qual;		/* '+', '-', '~' or '?' */
	enum spf_mech mech;
	const char *spec;	/* domain-spec, or NULL: the current domain */
	size_t  speclen;
	int     cidr4, cidr6;	/* prefix lengths (a, mx, ip4, ip6) */
	uint8_t net[16];	/* ip4 (first 4 bytes), ip6 */
	const char *text;	/* the term as written, for the reason */
	size_t  textlen;
};

struct spf_record {
	struct spf_term *terms;
	size_t  n;
	const char *redirect;	/* redirect=, or NULL */
	size_t  redirlen;
	const char *exp;	/* exp=, or NULL */
	size_t  explen;
};

/* The state of one check. */
struct spf_ctx {
	struct auth_dns *dns;
	int     family;		/* AF_INET (IPv4-mapped too) or AF_INET6 */
	uint8_t addr[16];	/* the client (IPv4: the first 4 bytes) */
	char    ctext[INET6_ADDRSTRLEN];	/* %{c} */
	char    itext[72];	/* %{i}: dotted quad or 32 nibbles */
	char    revname[80];	/* the client's PTR name */
	struct buf sender;	/* %{s}: local-part@domain */
	struct buf local;	/* %{l} ("postmaster" when none) */
	struct buf odomain;	/* %{o} */
	const char *helo;	/* %{h} */
	const char *receiver;	/* %{r} */
	unsigned terms;		/* terms that caused lookups so far */
	unsigned voids;		/* void lookups so far */
	unsigned queries;	/* lookups so far */
	struct buf pfor;	/* %{p}: the domain it was found for */
	struct buf pname;	/* %{p}: the name found */
	bool    phave;
	struct buf why;
	struct buf exp;		/* the explanation, on fail */
};

enum ev { EV_NOMATCH, EV_MATCH, EV_TEMPERROR, EV_PERMERROR };

static enum spf_result check_host(struct spf_ctx *c, const char *domain,
    unsigned depth, bool top);

/* ---- Small helpers ---- */

static const char *
bstr(const struct buf *b)
{
	return b->len ? b->p : "";
}

static void WARDEN_PRINTF(2, 3)
why(struct spf_ctx *c, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&c->why);
	va_start(ap, fmt);
	if (buf_vprintf(&c->why, fmt, ap) < 0)
		buf_puts(&c->why, "(reason too long)");
	va_end(ap);
}

/* s[0..n) made printable and cut, in out (for the reason). */
static const char *
printable(struct buf *out, const char *s, size_t n)
{
	buf_init(out, 0);
	str_escape(out, s, n, 80);
	return bstr(out);
}

static bool
is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

static bool
is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* A name DNS can ask for: 1..253 bytes, labels of 1..63 bytes, no
 * trailing dot (taken off before). */
static bool
name_ok(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > SPF_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\0')
			return false;
		if (s[i] != '.') {
			if (++label > SPF_MAX_LABEL)
				return false;
			continue;
		}
		if (label == 0)
			return false;
		label = 0;
	}
	return label > 0;
}

/* The <domain> of an identity (4.3): a multi-label name of visible
 * ASCII, no address literal. */
static bool
identity_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] == '[' || strchr(s, '.') == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return name_ok(s, n);
}

/* name is target or a name under it (case aside, trailing dots aside). */
static bool
name_under(const char *name, const char *target)
{
	size_t nl = strlen(name), tl = strlen(target);

	while (nl > 0 && name[nl - 1] == '.')
		nl--;
	while (tl > 0 && target[tl - 1] == '.')
		tl--;
	if (tl == 0 || nl < tl || strncasecmp(name + nl - tl, target, tl) != 0)
		return false;
	return nl == tl || name[nl - tl - 1] == '.';
}

/* Whether a is in net/bits (bytes in network order). */
static bool
addr_in(const uint8_t *a, const uint8_t *net, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)full) != 0)
		return false;
	return rest == 0 ||
	    ((a[full] ^ net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* ---- Lookups ---- */

static enum dns_status
lookup(struct spf_ctx *c, const char *name, int type, struct strlist *out)
{
	if (c->queries >= SPF_MAX_QUERIES)
		return DNS_ERROR;
	c->queries++;
	return auth_dns_lookup(c->dns, name, type, out);
}

/* One more term that causes lookups (at[0..n) names it); false past the
 * limit. */
static bool
count_term(struct spf_ctx *c, const char *domain, const char *at, size_t n)
{
	struct buf p;

	if (++c->terms <= SPF_MAX_TERMS)
		return true;
	why(c, "%s: more than %d DNS lookups (at %s)", domain, SPF_MAX_TERMS,
	    printable(&p, at, n));
	buf_free(&p);
	return false;
}

/* One more void lookup; false past the limit. */
static bool
count_void(struct spf_ctx *c, const char *domain, const char *name)
{
	if (++c->voids <= SPF_MAX_VOID)
		return true;
	why(c, "%s: more than %d void DNS lookups (at %s)", domain,
	    SPF_MAX_VOID, name);
	return false;
}

/* Whether one of the addresses of name (A or AAAA, as the client's
 * family) is in the client's block of bits.  *st: the lookup's status. */
static bool
name_has_addr(struct spf_ctx *c, const char *name, int bits,
    enum dns_status *st)
{
	struct strlist l = { 0 };
	bool hit = false;
	uint8_t a[16];

	*st = lookup(c, name, c->family == AF_INET ? DNS_T_A : DNS_T_AAAA, &l);
	for (size_t i = 0; *st == DNS_OK && !hit && i < l.n; i++)
		if (inet_pton(c->family, l.v[i], a) == 1)
			hit = addr_in(a, c->addr, bits);
	strlist_free(&l);
	return hit;
}

/* ---- Macros (section 7) ---- */

static bool
unreserved(int ch)
{
	return is_alnum(ch) || ch == '-' || ch == '.' || ch == '_' ||
	    ch == '~';
}

/*
 * Append value v split on delims (none: "."), reversed if rev, its
 * rightmost keep parts (0: all), joined by "." and URL-escaped if esc.
 */
static int
macro_transform(struct buf *out, const char *v, size_t vl, unsigned keep,
    bool rev, const char *delims, size_t ndelims, bool esc)
{
	uint16_t start[SPF_MAX_VALUE + 1], len[SPF_MAX_VALUE + 1];
	size_t k = 0, from = 0, s = 0;

	if (vl > SPF_MAX_VALUE)
		return -2;
	if (ndelims == 0) {
		delims = ".";
		ndelims = 1;
	}
	for (size_t i = 0; i <= vl; i++) {
		if (i < vl && memchr(delims, v[i], ndelims) == NULL)
			continue;
		start[k] = (uint16_t)s;
		len[k++] = (uint16_t)(i - s);
		s = i + 1;
	}
	if (keep != 0 && keep < k)
		from = k - keep;
	for (size_t j = from; j < k; j++) {
		size_t p = rev ? k - 1 - j : j;

		if (j > from && buf_putc(out, '.') < 0)
			return -2;
		for (size_t i = 0; i < len[p]; i++) {
			unsigned char ch = (unsigned char)v[start[p] + i];
			int r = !esc || unreserved(ch) ? buf_putc(out, ch) :
			    buf_printf(out, "%%%02X", ch);

			if (r < 0)
				return -2;
		}
	}
	return 0;
}

/*
 * The client's validated names (5.5): its PTR names (at most 10) whose
 * addresses include it.  The first such name equal to target or under it
 * goes to found and makes PTR_MATCH; with only_target, names not under
 * target are not looked up; without, the first validated name goes to
 * found when none is under target.
 */
enum ptr_res { PTR_MATCH, PTR_NOMATCH, PTR_VOID, PTR_ERROR };

static enum ptr_res
ptr_names(struct spf_ctx *c, const char *target, bool only_target,
    struct buf *found)
{
	struct strlist l = { 0 };
	enum dns_status st = lookup(c, c->revname, DNS_T_PTR, &l);
	enum ptr_res r = PTR_NOMATCH;

	if (st == DNS_NXDOMAIN || st == DNS_NODATA)
		r = PTR_VOID;
	else if (st != DNS_OK)
		r = PTR_ERROR;
	for (size_t i = 0; st == DNS_OK && i < l.n && i < SPF_MAX_NAMES; i++) {
		const char *name = l.v[i];
		size_t nl = strlen(name);
		bool under = name_under(name, target);
		enum dns_status ast;

		while (nl > 0 && name[nl - 1] == '.')
			nl--;
		if ((only_target && !under) || !name_ok(name, nl))
			continue;
		if (!name_has_addr(c, name, c->family == AF_INET ? 32 : 128,
		    &ast))
			continue;	/* not validated, or a DNS error: skip */
		if (under || found->len == 0) {
			buf_reset(found);
			buf_append(found, name, nl);
		}
		if (under) {
			r = PTR_MATCH;
			break;
		}
	}
	strlist_free(&l);
	return r;
}

/* %{p} for domain, found once per domain and check. */
static const char *
macro_p(struct spf_ctx *c, const char *domain)
{
	if (c->phave && strcmp(bstr(&c->pfor), domain) == 0)
		return bstr(&c->pname);
	buf_reset(&c->pname);
	buf_reset(&c->pfor);
	buf_puts(&c->pfor, domain);
	(void)ptr_names(c, domain, false, &c->pname);
	if (c->pname.len == 0)
		buf_puts(&c->pname, "unknown");
	c->phave = true;
	return bstr(&c->pname);
}

/* The value of macro letter l (lower case) for domain; "" when only the
 * syntax is checked (c NULL). */
static const char *
macro_value(struct spf_ctx *c, const char *domain, int l, char *tmp,
    size_t tmpsize)
{
	if (c == NULL)
		return "";
	switch (l) {
	case 's': return bstr(&c->sender);
	case 'l': return bstr(&c->local);
	case 'o': return bstr(&c->odomain);
	case 'd': return domain;
	case 'i': return c->itext;
	case 'p': return macro_p(c, domain);
	case 'v': return c->family == AF_INET ? "in-addr" : "ip6";
	case 'h': return c->helo;
	case 'c': return c->ctext;
	case 'r': return c->receiver;
	case 't':
		snprintf(tmp, tmpsize, "%lld", (long long)time(NULL));
		return tmp;
	default: return "";
	}
}

/* Drop left labels while a name being built is longer than a name can be
 * in the end (7.3; one trailing dot may still go). */
static void
name_trim(struct buf *out, size_t limit)
{
	while (out->len > limit) {
		char *dot = memchr(out->p, '.', out->len);
		size_t cut;

		if (dot == NULL)
			return;
		cut = (size_t)(dot - out->p) + 1;
		memmove(out->p, out->p + cut, out->len - cut + 1);
		out->len -= cut;
	}
}

/*
 * Parse one "%{...}" at s[0..n) (s[0] is '{'); *used: its length.  Then,
 * unless c is NULL, append its expansion to out.  0, -1 (syntax) or -2
 * (too long).
 */
static int
macro_one(struct spf_ctx *c, const char *domain, const char *s, size_t n,
    bool explain, struct buf *out, size_t *used)
{
	static const char delimset[] = ".-+,/_=";
	const char *letters = explain ? "slodipvhcrt" : "slodipvh";
	size_t i = 1, d0;
	unsigned long keep = 0;
	bool digits = false, rev = false;
	char tmp[32];
	int l;

	if (i >= n || !is_alpha(s[i]) ||
	    strchr(letters, tolower((unsigned char)s[i])) == NULL)
		return -1;
	l = s[i++];
	while (i < n && is_digit(s[i])) {
		keep = keep * 10 + (unsigned long)(s[i++] - '0');
		if (keep > 100000)
			keep = 100000;
		digits = true;
	}
	if (digits && keep == 0)
		return -1;
	if (i < n && (s[i] == 'r' || s[i] == 'R')) {
		rev = true;
		i++;
	}
	d0 = i;
	while (i < n && s[i] != '\0' && strchr(delimset, s[i]) != NULL)
		i++;
	if (i >= n || s[i] != '}')
		return -1;
	*used = i + 1;
	if (c == NULL)
		return 0;
	{
		const char *v = macro_value(c, domain,
		    tolower((unsigned char)l), tmp, sizeof(tmp));

		return macro_transform(out, v, strlen(v), (unsigned)keep, rev,
		    s + d0, i - d0, isupper((unsigned char)l) != 0);
	}
}

/*
 * Expand macro-string s[0..n) (explain: an explain-string, with c, r, t
 * and spaces) into out.  c NULL: check the syntax only.  *tail: where
 * the trailing run of literal characters starts (n: the string ends
 * with a macro).  A domain (!explain) is trimmed from the left as it
 * grows.  0, -1 (syntax error) or -2 (too long).
 */
static int
macro_expand(struct spf_ctx *c, const char *domain, const char *s, size_t n,
    bool explain, struct buf *out, size_t *tail)
{
	size_t i = 0, lit = 0;

	while (i < n) {
		unsigned char ch = (unsigned char)s[i];
		size_t used = 2;
		int r = 0;

		if (ch != '%') {
			/* macro-literal: visible ASCII (and spaces in an
			 * explain-string) */
			if ((ch < 0x21 || ch > 0x7e) && !(explain && ch == ' '))
				return -1;
			if (c != NULL && buf_putc(out, ch) < 0)
				return -2;
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -1;
		switch (s[i + 1]) {
		case '%': r = c ? buf_putc(out, '%') : 0; break;
		case '_': r = c ? buf_putc(out, ' ') : 0; break;
		case '-': r = c ? buf_puts(out, "%20") : 0; break;
		case '{':
			r = macro_one(c, domain, s + i + 1, n - i - 1, explain,
			    out, &used);
			if (r == -1)
				return -1;
			used++;
			break;
		default:
			return -1;
		}
		if (r < 0)
			return -2;
		i += used;
		lit = i;
		if (c != NULL && !explain)
			name_trim(out, SPF_MAX_NAME + 1);
	}
	if (c != NULL && !explain)
		name_trim(out, SPF_MAX_NAME + 1);
	if (tail != NULL)
		*tail = lit;
	return 0;
}

/* toplabel (4.6.1): alphanumerics and dashes, not starting or ending
 * with a dash, not all digits. */
static bool
toplabel_ok(const char *s, size_t n)
{
	bool alpha = false;

	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-' || is_alpha(s[i]))
			alpha = true;
		else if (!is_digit(s[i]))
			return false;
	}
	return alpha;
}

/* domain-spec = macro-string domain-end; domain-end = ( "." toplabel
 * [ "." ] ) / macro-expand.  Letters c, r, t are not allowed. */
static bool
domain_spec_ok(const char *s, size_t n)
{
	size_t tail, end, dot;

	if (n == 0 || macro_expand(NULL, "", s, n, false, NULL, &tail) != 0)
		return false;
	if (tail == n)
		return true;	/* ends with a macro */
	end = n;
	if (s[end - 1] == '.')
		end--;
	for (dot = end; dot > tail && s[dot - 1] != '.'; dot--)
		;
	if (dot == tail)
		return false;	/* no literal "." before the top label */
	return toplabel_ok(s + dot, end - dot);
}

/*
 * The target-name of spec (NULL: domain itself) expanded into out (7.3:
 * no trailing dot, at most 253 bytes cut from the left).  0, or -1 when
 * the expansion is not a name DNS can be asked for.
 */
static int
target_name(struct spf_ctx *c, const char *domain, const char *spec,
    size_t n, struct buf *out)
{
	buf_init(out, SPF_MAX_EXPAND);
	if (spec == NULL)
		buf_puts(out, domain);
	else if (macro_expand(c, domain, spec, n, false, out, NULL) != 0)
		return -1;
	if (out->len > 0 && out->p[out->len - 1] == '.')
		out->p[--out->len] = '\0';
	name_trim(out, SPF_MAX_NAME);
	return name_ok(bstr(out), out->len) ? 0 : -1;
}

/* ---- Parsing (section 4.6) ---- */

/* A prefix length: "0" or digits without a leading zero, at most max;
 * -1 otherwise. */
static int
cidr_len(const char *s, size_t n, int max)
{
	int v = 0;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Take "[/N][//M]" off the end of s[0..*n) into *c4, *c6.  0 or -1. */
static int
dual_cidr(const char *s, size_t *n, int *c4, int *c6)
{
	size_t e = *n, d = e;

	while (d > 0 && is_digit(s[d - 1]))
		d--;
	if (d < e && d >= 2 && s[d - 1] == '/' && s[d - 2] == '/') {
		if ((*c6 = cidr_len(s + d, e - d, 128)) < 0)
			return -1;
		e = d - 2;
		for (d = e; d > 0 && is_digit(s[d - 1]); d--)
			;
	}
	if (d < e && d >= 1 && s[d - 1] == '/') {
		if ((*c4 = cidr_len(s + d, e - d, 32)) < 0)
			return -1;
		e = d - 1;
	}
	*n = e;
	return 0;
}

/* Take "/N" (at most max) off the end of s[0..*n).  0 or -1. */
static int
one_cidr(const char *s, size_t *n, int max, int *out)
{
	size_t e = *n, d = e;

	while (d > 0 && is_digit(s[d - 1]))
		d--;
	if (d < e && d >= 1 && s[d - 1] == '/') {
		if ((*out = cidr_len(s + d, e - d, max)) < 0)
			return -1;
		*n = d - 1;
	}
	return 0;
}

/* ip4-network: four numbers 0..255, no leading zeros. */
static bool
ip4_parse(const char *s, size_t n, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t d = i;
		int v = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return false;
			d = ++i;
		}
		while (i < n && is_digit(s[i]) && i - d < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == d || v > 255 || (i - d > 1 && s[d] == '0'))
			return false;
		out[part] = (uint8_t)v;
	}
	return i == n;
}

static bool
ip6_parse(const char *s, size_t n, uint8_t out[16])
{
	char tmp[INET6_ADDRSTRLEN + 8];

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1;
}

/* The argument of a mechanism (after its name): rest[0..n). */
static bool
mech_arg(struct spf_term *t, const char *rest, size_t n)
{
	t->cidr4 = 32;
	t->cidr6 = 128;
	switch (t->mech) {
	case MECH_ALL:
		return n == 0;
	case MECH_INCLUDE:
	case MECH_EXISTS:
		t->spec = rest + 1;
		t->speclen = n - 1;
		return n > 1 && rest[0] == ':' &&
		    domain_spec_ok(t->spec, t->speclen);
	case MECH_A:
	case MECH_MX:
		if (dual_cidr(rest, &n, &t->cidr4, &t->cidr6) < 0)
			return false;
		/* FALLTHROUGH */
	case MECH_PTR:
		if (n == 0)
			return true;
		t->spec = rest + 1;
		t->speclen = n - 1;
		return n > 1 && rest[0] == ':' &&
		    domain_spec_ok(t->spec, t->speclen);
	case MECH_IP4:
		return n > 1 && rest[0] == ':' &&
		    one_cidr(rest, &n, 32, &t->cidr4) == 0 &&
		    ip4_parse(rest + 1, n - 1, t->net);
	case MECH_IP6:
		return n > 1 && rest[0] == ':' &&
		    one_cidr(rest, &n, 128, &t->cidr6) == 0 &&
		    ip6_parse(rest + 1, n - 1, t->net);
	}
	return false;
}

/* A modifier name=value (name checked by the caller). */
static int
modifier_parse(struct spf_ctx *c, const char *domain, const char *name,
    size_t nl, const char *v, size_t vl, struct spf_record *r)
{
	struct buf p;
	bool redirect = nl == 8 && strncasecmp(name, "redirect", 8) == 0;
	bool exp = nl == 3 && strncasecmp(name, "exp", 3) == 0;

	if (!redirect && !exp) {
		/* unknown-modifier = name "=" macro-string: ignored */
		if (macro_expand(NULL, "", v, vl, false, NULL, NULL) == 0)
			return 0;
		why(c, "%s: bad macro in modifier %s", domain,
		    printable(&p, name, nl));
		buf_free(&p);
		return -1;
	}
	if ((redirect && r->redirect != NULL) || (exp && r->exp != NULL)) {
		why(c, "%s: %s= twice", domain, redirect ? "redirect" : "exp");
		return -1;
	}
	if (!domain_spec_ok(v, vl)) {
		why(c, "%s: bad domain in %s=%s", domain,
		    redirect ? "redirect" : "exp", printable(&p, v, vl));
		buf_free(&p);
		return -1;
	}
	if (redirect) {
		r->redirect = v;
		r->redirlen = vl;
	} else {
		r->exp = v;
		r->explen = vl;
	}
	return 0;
}

/* One term s[0..n): a mechanism into r->terms[r->n], or a modifier. */
static int
term_parse(struct spf_ctx *c, const char *domain, const char *s, size_t n,
    struct spf_record *r)
{
	struct spf_term *t = &r->terms[r->n];
	size_t i = 0, e;
	struct buf p;

	memset(t, 0, sizeof(*t));
	t->qual = '+';
	t->text = s;
	t->textlen = n;
	if (strchr("+-~?", s[0]) != NULL)
		t->qual = s[i++];
	for (e = i; e < n && (is_alnum(s[e]) || s[e] == '-' || s[e] == '_' ||
	    s[e] == '.'); e++)
		;
	if (e < n && s[e] == '=') {
		if (i == 0 && e > 0 && is_alpha(s[0]))
			return modifier_parse(c, domain, s, e, s + e + 1,
			    n - e - 1, r);
		why(c, "%s: bad modifier %s", domain, printable(&p, s, n));
		buf_free(&p);
		return -1;
	}
	for (e = i; e < n && is_alnum(s[e]); e++)
		;
	for (size_t m = 0; m < ARRAY_LEN(mechs); m++) {
		if (strlen(mechs[m].name) != e - i ||
		    strncasecmp(mechs[m].name, s + i, e - i) != 0)
			continue;
		t->mech = mechs[m].mech;
		if (!mech_arg(t, s + e, n - e))
			break;
		r->n++;
		return 0;
	}
	why(c, "%s: bad mechanism %s", domain, printable(&p, s, n));
	buf_free(&p);
	return -1;
}

/* Parse record rec (its "v=spf1" checked) into r.  0 or -1 (permerror,
 * with the reason). */
static int
record_parse(struct spf_ctx *c, const char *domain, const char *rec,
    struct spf_record *r)
{
	size_t len = strlen(rec), nterms = 0;

	memset(r, 0, sizeof(*r));
	if (len >= SPF_MAX_RECORD) {
		why(c, "%s: SPF record of %zu bytes or more", domain,
		    (size_t)SPF_MAX_RECORD);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)rec[i] >= 0x80) {
			why(c, "%s: SPF record not in ASCII", domain);
			return -1;
		}
		if (rec[i] != ' ' && (i == 0 || rec[i - 1] == ' '))
			nterms++;
	}
	r->terms = xcalloc(nterms ? nterms : 1, sizeof(*r->terms));
	for (size_t i = 6; i < len; ) {
		size_t e;

		if (rec[i] == ' ') {
			i++;
			continue;
		}
		for (e = i; e < len && rec[e] != ' '; e++)
			;
		if (term_parse(c, domain, rec + i, e - i, r) < 0)
			return -1;
		i = e;
	}
	return 0;
}

/* ---- Evaluation (section 5) ---- */

/* The record of domain, into *rec (in txt).  SPF_NONE with *rec set:
 * found; otherwise the result (none, temperror, permerror). */
static enum spf_result
record_fetch(struct spf_ctx *c, const char *domain, struct strlist *txt,
    const char **rec)
{
	enum dns_status st = lookup(c, domain, DNS_T_TXT, txt);
	size_t found = 0;

	*rec = NULL;
	if (st == DNS_NXDOMAIN || st == DNS_NODATA) {
		why(c, "%s: no SPF record (%s)", domain,
		    st == DNS_NXDOMAIN ? "no such domain" : "no TXT record");
		return SPF_NONE;
	}
	if (st != DNS_OK) {
		why(c, "%s: DNS %s looking up TXT", domain,
		    st == DNS_PENDING ? "timeout" : "error");
		return SPF_TEMPERROR;
	}
	for (size_t i = 0; i < txt->n; i++) {
		const char *s = txt->v[i];

		if (strncasecmp(s, "v=spf1", 6) != 0 ||
		    (s[6] != '\0' && s[6] != ' '))
			continue;
		*rec = s;
		found++;
	}
	if (found == 1)
		return SPF_NONE;
	*rec = NULL;
	if (found == 0) {
		why(c, "%s: no SPF record", domain);
		return SPF_NONE;
	}
	why(c, "%s: %zu SPF records", domain, found);
	return SPF_PERMERROR;
}

static enum ev
dns_fail(struct spf_ctx *c, const char *domain, const char *name,
    enum dns_status st)
{
	why(c, "%s: DNS %s looking up %s", domain,
	    st == DNS_PENDING ? "timeout" : "error", name);
	return EV_TEMPERROR;
}

/* a, and each name of mx: the addresses of name against the client. */
static enum ev
eval_addrs(struct spf_ctx *c, const char *domain, const char *name,
    const struct spf_term *t, bool primary)
{
	enum dns_status st;
	bool hit = name_has_addr(c, name,
	    c->family == AF_INET ? t->cidr4 : t->cidr6, &st);

	if (st == DNS_OK)
		return hit ? EV_MATCH : EV_NOMATCH;
	if (st == DNS_NXDOMAIN || st == DNS_NODATA)
		return !primary || count_void(c, domain, name) ? EV_NOMATCH :
		    EV_PERMERROR;
	return dns_fail(c, domain, name, st);
}

static enum ev
eval_mx(struct spf_ctx *c, const char *domain, const char *name,
    const struct spf_term *t)
{
	struct strlist l = { 0 };
	enum dns_status st = lookup(c, name, DNS_T_MX, &l);
	enum ev r = EV_NOMATCH;

	if (st == DNS_NXDOMAIN || st == DNS_NODATA)
		r = count_void(c, domain, name) ? EV_NOMATCH : EV_PERMERROR;
	else if (st != DNS_OK)
		r = dns_fail(c, domain, name, st);
	else if (l.n > SPF_MAX_NAMES) {
		why(c, "%s: more than %d MX names for %s", domain,
		    SPF_MAX_NAMES, name);
		r = EV_PERMERROR;
	}
	for (size_t i = 0; st == DNS_OK && r == EV_NOMATCH && i < l.n; i++) {
		size_t nl = strlen(l.v[i]);

		while (nl > 0 && l.v[i][nl - 1] == '.')
			l.v[i][--nl] = '\0';
		if (name_ok(l.v[i], nl))	/* "": a null MX */
			r = eval_addrs(c, domain, l.v[i], t, false);
	}
	strlist_free(&l);
	return r;
}

static enum ev
eval_exists(struct spf_ctx *c, const char *domain, const char *name)
{
	struct strlist l = { 0 };
	enum dns_status st = lookup(c, name, DNS_T_A, &l);

	strlist_free(&l);
	if (st == DNS_OK)
		return EV_MATCH;
	if (st == DNS_NXDOMAIN || st == DNS_NODATA)
		return count_void(c, domain, name) ? EV_NOMATCH : EV_PERMERROR;
	return dns_fail(c, domain, name, st);
}

static enum ev
eval_ptr(struct spf_ctx *c, const char *domain, const char *name)
{
	struct buf found;
	enum ptr_res r;

	buf_init(&found, 0);
	r = ptr_names(c, name, true, &found);
	buf_free(&found);
	if (r == PTR_VOID)
		return count_void(c, domain, c->revname) ? EV_NOMATCH :
		    EV_PERMERROR;
	return r == PTR_MATCH ? EV_MATCH : EV_NOMATCH;	/* errors: 5.5 */
}

static enum ev
eval_include(struct spf_ctx *c, const char *domain, const char *name,
    unsigned depth)
{
	switch (check_host(c, name, depth + 1, false)) {
	case SPF_PASS:
		return EV_MATCH;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		return EV_NOMATCH;
	case SPF_TEMPERROR:
		return EV_TEMPERROR;
	case SPF_NONE:
		why(c, "%s: include:%s has no SPF record", domain, name);
		return EV_PERMERROR;
	case SPF_PERMERROR:
	default:
		return EV_PERMERROR;
	}
}

/* Whether mechanism t matches for domain. */
static enum ev
eval_term(struct spf_ctx *c, const char *domain, const struct spf_term *t,
    unsigned depth)
{
	struct buf name;
	enum ev r;

	switch (t->mech) {
	case MECH_ALL:
		return EV_MATCH;
	case MECH_IP4:
		return c->family == AF_INET &&
		    addr_in(c->addr, t->net, t->cidr4) ? EV_MATCH : EV_NOMATCH;
	case MECH_IP6:
		return c->family == AF_INET6 &&
		    addr_in(c->addr, t->net, t->cidr6) ? EV_MATCH : EV_NOMATCH;
	default:
		break;
	}
	if (!count_term(c, domain, t->text, t->textlen))
		return EV_PERMERROR;
	if (target_name(c, domain, t->spec, t->speclen, &name) < 0) {
		buf_free(&name);
		if (t->mech != MECH_INCLUDE)
			return EV_NOMATCH;	/* no such name */
		why(c, "%s: include of no domain name", domain);
		return EV_PERMERROR;
	}
	switch (t->mech) {
	case MECH_INCLUDE:
		r = eval_include(c, domain, bstr(&name), depth);
		break;
	case MECH_A:
		r = eval_addrs(c, domain, bstr(&name), t, true);
		break;
	case MECH_MX:
		r = eval_mx(c, domain, bstr(&name), t);
		break;
	case MECH_PTR:
		r = eval_ptr(c, domain, bstr(&name));
		break;
	case MECH_EXISTS:
	default:
		r = eval_exists(c, domain, bstr(&name));
		break;
	}
	buf_free(&name);
	return r;
}

/* exp= (6.2), for a fail: any trouble and there is no explanation. */
static void
explain(struct spf_ctx *c, const char *domain, const struct spf_record *r)
{
	struct strlist l = { 0 };
	struct buf name;
	bool ok;

	buf_reset(&c->exp);
	if (target_name(c, domain, r->exp, r->explen, &name) == 0 &&
	    lookup(c, bstr(&name), DNS_T_TXT, &l) == DNS_OK && l.n == 1) {
		ok = true;
		for (const char *p = l.v[0]; *p && ok; p++)
			ok = (unsigned char)*p >= 0x20 &&
			    (unsigned char)*p < 0x7f;
		if (ok && macro_expand(c, domain, l.v[0], strlen(l.v[0]), true,
		    &c->exp, NULL) != 0)
			ok = false;
		if (!ok)
			buf_reset(&c->exp);
	}
	buf_free(&name);
	strlist_free(&l);
}

static enum spf_result
qual_result(char q)
{
	switch (q) {
	case '-': return SPF_FAIL;
	case '~': return SPF_SOFTFAIL;
	case '?': return SPF_NEUTRAL;
	default: return SPF_PASS;
	}
}

/* The mechanisms of r in order, then its redirect. */
static enum spf_result
evaluate(struct spf_ctx *c, const char *domain, const struct spf_record *r,
    unsigned depth, bool top)
{
	struct buf name, p;
	enum spf_result res;

	for (size_t i = 0; i < r->n; i++) {
		const struct spf_term *t = &r->terms[i];

		switch (eval_term(c, domain, t, depth)) {
		case EV_NOMATCH:
			continue;
		case EV_TEMPERROR:
			return SPF_TEMPERROR;
		case EV_PERMERROR:
			return SPF_PERMERROR;
		case EV_MATCH:
			break;
		}
		res = qual_result(t->qual);
		why(c, "%s: %s matched", domain,
		    printable(&p, t->text, t->textlen));
		buf_free(&p);
		if (res == SPF_FAIL && top && r->exp != NULL)
			explain(c, domain, r);
		return res;
	}
	if (r->redirect == NULL) {
		why(c, "%s: no mechanism matched", domain);
		return SPF_NEUTRAL;
	}
	if (!count_term(c, domain, "redirect", 8))
		return SPF_PERMERROR;
	if (target_name(c, domain, r->redirect, r->redirlen, &name) < 0) {
		buf_free(&name);
		why(c, "%s: redirect to no domain name", domain);
		return SPF_PERMERROR;
	}
	res = check_host(c, bstr(&name), depth + 1, top);
	if (res == SPF_NONE) {
		why(c, "%s: redirect=%s has no SPF record", domain,
		    bstr(&name));
		res = SPF_PERMERROR;
	}
	buf_free(&name);
	return res;
}

/* check_host() for domain, at include/redirect level depth; top: the
 * result is the check's (an explanation is read on fail). */
static enum spf_result
check_host(struct spf_ctx *c, const char *domain, unsigned depth, bool top)
{
	struct strlist txt = { 0 };
	struct spf_record r;
	const char *rec;
	enum spf_result res;

	if (depth > SPF_MAX_DEPTH) {
		why(c, "%s: include and redirect nested too deep", domain);
		return SPF_PERMERROR;
	}
	if (!identity_ok(domain)) {
		why(c, "%s: not a domain name", domain);
		return SPF_NONE;
	}
	res = record_fetch(c, domain, &txt, &rec);
	if (rec == NULL) {
		strlist_free(&txt);
		return res;
	}
	if (record_parse(c, domain, rec, &r) < 0)
		res = SPF_PERMERROR;
	else
		res = evaluate(c, domain, &r, depth, top);
	free(r.terms);
	strlist_free(&txt);
	return res;
}

/* ---- The identities ---- */

/* The client's address: IPv4 (IPv4-mapped IPv6 too) or IPv6. */
static bool
client_parse(struct spf_ctx *c, const char *ip)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	uint8_t a[16];
	size_t n = 0;

	if (ip == NULL)
		return false;
	memset(c->addr, 0, sizeof(c->addr));
	if (inet_pton(AF_INET, ip, a) == 1) {
		c->family = AF_INET;
		memcpy(c->addr, a, 4);
	} else if (inet_pton(AF_INET6, ip, a) == 1) {
		c->family = AF_INET6;
		memcpy(c->addr, a, 16);
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
			c->family = AF_INET;
			memset(c->addr, 0, sizeof(c->addr));
			memcpy(c->addr, a + 12, 4);
		}
	} else
		return false;
	inet_ntop(c->family, c->addr, c->ctext, sizeof(c->ctext));
	if (c->family == AF_INET) {
		snprintf(c->itext, sizeof(c->itext), "%s", c->ctext);
		snprintf(c->revname, sizeof(c->revname),
		    "%u.%u.%u.%u.in-addr.arpa", c->addr[3], c->addr[2],
		    c->addr[1], c->addr[0]);
		return true;
	}
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(c->itext + n, sizeof(c->itext) - n,
		    "%s%X.%X", i ? "." : "", c->addr[i] >> 4, c->addr[i] & 15);
	n = 0;
	for (int i = 15; i >= 0; i--)
		n += (size_t)snprintf(c->revname + n, sizeof(c->revname) - n,
		    "%x.%x.", c->addr[i] & 15, c->addr[i] >> 4);
	snprintf(c->revname + n, sizeof(c->revname) - n, "ip6.arpa");
	return true;
}

/* The sender's local-part and domain for %{s}, %{l}, %{o} (4.3: no
 * local-part is "postmaster"; no sender, postmaster@domain). */
static void
sender_parse(struct spf_ctx *c, const char *sender, const char *domain)
{
	size_t n = sender != NULL ? strlen(sender) : 0;
	const char *at;

	if (n >= 2 && sender[0] == '<' && sender[n - 1] == '>') {
		sender++;
		n -= 2;
	}
	buf_init(&c->local, SPF_MAX_VALUE + 1);
	buf_init(&c->odomain, SPF_MAX_VALUE + 1);
	buf_init(&c->sender, 2 * SPF_MAX_VALUE + 4);
	at = n ? memrchr(sender, '@', n) : NULL;
	if (at != NULL) {
		buf_append(&c->local, sender, (size_t)(at - sender));
		buf_append(&c->odomain, at + 1, n - (size_t)(at - sender) - 1);
	} else
		buf_append(&c->odomain, n ? sender : domain,
		    n ? n : strlen(domain));
	if (c->odomain.len > 0 && c->odomain.p[c->odomain.len - 1] == '.')
		c->odomain.p[--c->odomain.len] = '\0';
	if (c->local.len == 0)
		buf_puts(&c->local, "postmaster");
	buf_printf(&c->sender, "%s@%s", bstr(&c->local), bstr(&c->odomain));
}

void
spf_check_host(const char *ip, const char *domain, const char *sender,
    const char *helo, const char *receiver, struct auth_dns *dns,
    struct spf_outcome *out)
{
	struct spf_ctx c;
	unsigned before = dns->nlookups;
	char *d = xstrdup(domain != NULL ? domain : "");
	size_t dl = strlen(d);

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.dns = dns;
	c.helo = helo != NULL && *helo ? helo : "unknown";
	c.receiver = receiver != NULL && *receiver ? receiver : "unknown";
	buf_init(&c.why, SPF_MAX_WHY);
	buf_init(&c.exp, SPF_MAX_EXPLAIN);
	buf_init(&c.pfor, 0);
	buf_init(&c.pname, 0);
	if (dl > 0 && d[dl - 1] == '.')
		d[--dl] = '\0';
	sender_parse(&c, sender, d);
	if (!client_parse(&c, ip)) {
		out->result = SPF_NONE;
		why(&c, "no client address");
	} else
		out->result = check_host(&c, d, 0, true);
	out->domain = d;
	out->why = buf_steal(&c.why);
	if (out->result == SPF_FAIL && c.exp.len > 0)
		out->explanation = buf_steal(&c.exp);
	out->lookups = dns->nlookups - before;
	buf_free(&c.exp);
	buf_free(&c.pfor);
	buf_free(&c.pname);
	buf_free(&c.local);
	buf_free(&c.odomain);
	buf_free(&c.sender);
}

/* The domain of a MAIL FROM address: after its last '@'. */
static char *
sender_domain(const char *sender)
{
	size_t n = strlen(sender);
	const char *at;

	if (n >= 2 && sender[0] == '<' && sender[n - 1] == '>') {
		sender++;
		n -= 2;
	}
	at = memrchr(sender, '@', n);
	return at != NULL ? xstrndup(at + 1, n - (size_t)(at - sender) - 1) :
	    xstrndup(sender, n);
}

static bool
null_sender(const char *s)
{
	return s == NULL || *s == '\0' || strcmp(s, "<>") == 0;
}

static void
outcome_none(struct spf_outcome *out, const char *domain, const char *why)
{
	memset(out, 0, sizeof(*out));
	out->result = SPF_NONE;
	out->domain = xstrdup(domain);
	out->why = xstrdup(why);
}

void
spf_check_mailfrom(const struct spf_request *rq, struct auth_dns *dns,
    struct spf_outcome *out)
{
	char *domain, *sender;

	if (!null_sender(rq->sender)) {
		domain = sender_domain(rq->sender);
		spf_check_host(rq->ip, domain, rq->sender, rq->helo,
		    rq->receiver, dns, out);
		free(domain);
		return;
	}
	if (rq->helo == NULL || *rq->helo == '\0') {
		outcome_none(out, "", "null sender and no HELO name");
		return;
	}
	sender = xasprintf("postmaster@%s", rq->helo);
	spf_check_host(rq->ip, rq->helo, sender, rq->helo, rq->receiver, dns,
	    out);
	free(sender);
}

void
spf_check_helo(const struct spf_request *rq, struct auth_dns *dns,
    struct spf_outcome *out)
{
	char *sender;

	if (rq->helo == NULL || *rq->helo == '\0') {
		outcome_none(out, "", "no HELO name");
		return;
	}
	sender = xasprintf("postmaster@%s", rq->helo);
	spf_check_host(rq->ip, rq->helo, sender, rq->helo, rq->receiver, dns,
	    out);
	free(sender);
}

void
spf_outcome_free(struct spf_outcome *o)
{
	free(o->domain);
	free(o->explanation);
	free(o->why);
	memset(o, 0, sizeof(*o));
}

const char *
spf_result_name(enum spf_result r)
{
	switch (r) {
	case SPF_NONE: return "none";
	case SPF_NEUTRAL: return "neutral";
	case SPF_PASS: return "pass";
	case SPF_FAIL: return "fail";
	case SPF_SOFTFAIL: return "softfail";
	case SPF_TEMPERROR: return "temperror";
	case SPF_PERMERROR: return "permerror";
	}
	return "permerror";
}
