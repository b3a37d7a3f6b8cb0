/*
 * eval.c -- SpamAssassin's eval: tests that Warden implements
 * natively, named after SpamAssassin's so that its scores apply: the
 * rules_eval_* functions of rules_int.h, the dispatch over the plugins'
 * tables, the arguments, the per-message cache, and the regexes and
 * helpers the plugins share (eval_int.h).
 *
 * Each test reproduces the semantics of the SpamAssassin 4.0 test of the
 * same name; each plugin's tests are in a file of their own
 * (eval_header.c, eval_relay.c, eval_mime.c, eval_body.c,
 * eval_freemail.c, eval_html.c), listed below.  rules_sa.c counts a
 * plugin as present only when every test its blocks in the stock rules
 * call is here.  A test's arguments are the strings the rule wrote,
 * unquoted.
 *
 * Ownership: rules_eval_define() stores in the rule a pointer to a
 * static table entry, the arguments and the regexes made of them, which
 * the rule owns (freed with it).
 * rules_eval_run() reads the message through struct eval_ctx, which it
 * borrows for the one call; per-message state goes in ec->cache, freed
 * by rules_eval_done().  The FreeMail settings (rules_eval_setting(),
 * rules_eval_finish()) are in eval_freemail.c.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval_int.h"
#include "rx.h"
#include "util.h"

#define MAX_ARGS	4
#define MAX_ARG		256	/* bytes of one argument */

/* ---- Per-message cache ---- */

struct cache *
eval_cache_get(struct eval_ctx *ec)
{
	struct cache *c = ec->cache;

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->hdr.hotmail = -1;
		ec->cache = c;
	}
	return c;
}

/*
 * ---- Regexes used by the tests (compiled once for the process) ----
 *
 * The fixed patterns are built-in regexes (rx.h), compiled with the
 * others at start; those made of a rule's arguments are compiled when
 * the rule is defined (r->ere).  Every match runs through rx.c under
 * the limits of the message being judged: a limit reached counts as no
 * match and is recorded in the results, as for rule regexes.
 */

#define RXS(id, src)	[id] = { #id, src, 0 }

/* FreeMail's address pattern (_parse_body), without its "(?i)". */
#define FM_EMAIL "(?=.{0,64}\\@)" \
	"(?<![a-z0-9!#\\$%&'*+/=?^_`{|}~-])" \
	"([a-z0-9!#\\$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#\\$%&'*+/=?^_`{|}~-]+)*" \
	"\\@(?:[a-z0-9](?:[a-z0-9-]{0,59}[a-z0-9])?\\.){1,4}" \
	"[a-z]{2,24}(?![a-z0-9-]|\\.[a-z0-9]))"

static const struct rx_builtin rx_src[NRX] = {
	RXS(RX_AOL_RLY, "(?i) rly-[a-z][a-z]\\d\\d\\."),
	RXS(RX_AOL_VIA, "/AOL-\\d+\\.\\d+\\.\\d+\\)"),
	RXS(RX_AOL_ID, "ESMTP id (?:RELAY|MAILRELAY|MAILIN)"),
	RXS(RX_EZMLM, "(?m)^contact \\S+\\@\\S+\\; run by ezmlm$"),
	RXS(RX_ML_DLTO, "(?m)^mailing list \\S+\\@\\S+"),
	RXS(RX_QMAIL_INVOKED, "qmail \\d+ invoked (?:from network|by .{3,20})"
	    "\\); \\d+ ... \\d+"),
	RXS(RX_MSN_GROUPS, "from groups\\.msn\\.com \\(\\S+\\.msn\\.com "),
	RXS(RX_HM_PICKUP, "from mail pickup service by hotmail\\.com with "
	    "Microsoft SMTPSVC;"),
	RXS(RX_IPADDR, "(?:\\b(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}"
	    "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\b|"
	    "(?<![0-9a-f:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![0-9a-f:]))"),
	RXS(RX_HM_ORIG, "hotmail\\.com|msonline\\-outlook"),
	RXS(RX_HM_1, "from (?:\\S*\\.)?hotmail.com \\(\\S+\\.hotmail"
	    "(?:\\.msn)?\\.com[ \\)]"),
	RXS(RX_HM_2, "from \\S*\\.outbound\\.protection\\.outlook\\.com "
	    "\\(\\S+\\.outbound\\.protection\\.outlook\\.com[ \\)]"),
	RXS(RX_HM_3, "from \\S*\\.(?:eur|nam)prd\\d+\\.prod\\.outlook\\.com "
	    "\\((?:[\\d.]+|[0-9a-f:]+)\\)"),
	RXS(RX_HM_4, "from \\S*\\.hotmail.com \\(\\[(?:[\\d.]+|[0-9a-f:]+)"
	    "\\][ \\):]"),
	RXS(RX_HM_5, "from \\S+ by \\S+\\.hotmail(?:\\.msn)?\\.com with "
	    "HTTP\\;"),
	RXS(RX_HM_6, "from \\[66\\.218.\\S+\\] by \\S+\\.yahoo\\.com"),
	RXS(RX_HM_FORGED, "(?:from |HELO |helo=)\\S*hotmail\\.com\\b"),
	RXS(RX_HM_FROM, "(?i)\\bhotmail\\.com$"),
	RXS(RX_MSN_TO, "(?i)<(\\S+)\\@groups\\.msn\\.com>"),
	RXS(RX_MSN_PICKUP, "from mail pickup service by ((?:p\\d\\d\\.)"
	    "groups\\.msn\\.com)\\b"),
	RXS(RX_EUDORA_FROM, "(?i)\\beudoramail\\.com$"),
	RXS(RX_EUDORA_RCVD, "by \\S*whowhere.com\\;"),
	RXS(RX_YH_FROM, "(?i)\\byahoo\\.com$"),
	RXS(RX_YH_RDNS_T, " rdns=\\S+\\.yahoo\\.com "),
	RXS(RX_YH_RDNS_U, "^[^\\]]+ rdns=\\S+\\.yahoo\\.com "),
	RXS(RX_YH_1, "by web\\S+\\.mail\\S*\\.yahoo\\.com via HTTP"),
	RXS(RX_YH_2, "by sonic\\S+\\.consmr\\.mail\\S*\\.yahoo\\.com with "
	    "HTTP"),
	RXS(RX_YH_3, "by smtp\\S+\\.yahoo\\.com with SMTP"),
	RXS(RX_YH_4, "from \\[(?:[\\d.]+|[0-9a-f:]+)\\] by \\S+\\."
	    "(?:groups|scd|dcn)\\.yahoo\\.com with NNFMP"),
	RXS(RX_YH_5, "\\bmailer\\d+\\.bulk\\.scd\\.yahoo\\.com\\b"),
	RXS(RX_YH_REPLY, "(?i)\\@reply\\.yahoo\\.com$"),
	RXS(RX_YH_6, "by \\w+\\.\\w+\\.yahoo\\.com \\(\\d+\\.\\d+\\.\\d+/\\d+"
	    "\\.\\d+\\.\\d+\\)(?: with ESMTP)? id \\w+"),
	RXS(RX_JUNO_FROM, "(?i)\\bjuno\\.com$"),
	RXS(RX_JUNO_1, "from.*\\b(?:juno|untd)\\.com.*[\\[\\(](?:[\\d.]+|"
	    "[0-9a-f:]+)[\\]\\)].*by"),
	RXS(RX_JUNO_2, " cookie\\.(?:juno|untd)\\.com "),
	RXS(RX_JUNO_3, "from.*\\bmail\\.com.*\\[(?:[\\d.]+|[0-9a-f:]+)\\].*by"),
	RXS(RX_JUNO_4, "from (webmail\\S+\\.untd\\.com) \\(\\1 \\[(?:[\\d.]+|"
	    "[0-9a-f:]+)\\]\\) by"),
	RXS(RX_JUNO_5, "^Webmail Version \\d"),
	RXS(RX_JUNO_MAILCOM, "\\bmail\\.com"),
	RXS(RX_GM_FROM, "(?i)\\bgmail\\.com$"),
	RXS(RX_GM_1, "by 10\\.\\S+ with SMTP id \\S+"),
	RXS(RX_GM_2, "by 2002\\:a\\d\\d\\:\\w+\\:\\S+ with SMTP id \\S+"),
	RXS(RX_GM_3, "by smtp\\.googlemail\\.com with ESMTPSA id \\S+"),
	RXS(RX_RCVD_DATE, "(\\s.?\\d+ \\S\\S\\S \\d+ \\d+:\\d+:\\d+ \\S+)"),
	RXS(RX_RCVD_LOCAL, "\\bfrom (?:localhost\\s|(?:\\S+ ){1,2}\\S*\\b"
	    "127\\.0\\.0\\.1\\b)|qmail \\d+ invoked by uid \\d+"),
	RXS(RX_RCVD_FETCHMAIL, "\\bby localhost with \\w+ "
	    "\\(fetchmail-[\\d.]+"),
	RXS(RX_RCVD_LASTDATE, "(\\s.?\\d+ \\S\\S\\S \\d+ \\d+:\\d+:\\d+ \\S+)"
	    ".*?$"),
	RXS(RX_OUTLOOK_MSGID, "^<[0-9a-f]{4}([0-9a-f]{8})\\$[0-9a-f]{8}\\$"
	    "[0-9a-f]{8}\\@"),
	RXS(RX_SUBJ_PREFIX, "(?i)^(?:(?:Re|Fwd|Fw|Aw|Antwort|WG|SV|VB|VS|VL):"
	    "\\s*)+"),
	RXS(RX_CAPS_CHARSET, "(?i)=\\?[-_a-z0-9]*(?:koi|jp|jis|euc|gb|big5|"
	    "isoir|cp1251|windows-1251|georgianps|pt154|tis)[-_a-z0-9]*\\?"),
	RXS(RX_CAPS_FP, "(?i)^[-_a-z0-9]*(?:koi|jp|jis|euc|gb|big5|isoir|"
	    "cp1251|windows-1251|georgianps|pt154|tis)[-_a-z0-9]*$"),
	RXS(RX_LISTUNSUB, "(?i)<mailto:(?:leave-\\S+|\\S+-unsubscribe)"
	    "\\@\\S+>$"),
	RXS(RX_CWT, "/CWT/DCE\\)"),
	RXS(RX_IPLANET, "iPlanet Messaging Server"),
	RXS(RX_TEMPLATE, "%[A-Z][A-Z_-]"),
	RXS(RX_TEMPLATE_OK, "(?i)^(?:X-VMS-To|X-UIDL|X-Face|To|Cc|From|Subject|"
	    "References|In-Reply-To|(?:X-|Resent-|X-Original-)?Message-Id):"),
	RXS(RX_RATWARE_MID, "<[A-Z]{28}\\.([^>]+?)>"),
	RXS(RX_SRS, "(?i)^SRS\\d[=+-]"),
	RXS(RX_NO_RDNS_HELO, "(?i)(?:\\.|^)(lycos\\.com|lycos\\.co\\.uk|"
	    "hotmail\\.com|localhost\\.com|excite\\.com|caramail\\.com|"
	    "cs\\.com|aol\\.com|msn\\.com|yahoo\\.com|drizzle\\.com)$"),
	RXS(RX_QP_ESC, "=(?:09|3[0-9ABCEF]|[2456][0-9A-F]|7[0-9A-E])"),
	RXS(RX_QP_TRAIL, "((?:=09|=20)+)\\s*$"),
	RXS(RX_B64_CHARSET, "(?:us-ascii|ansi_x3\\.4-1968|iso-ir-6|"
	    "ansi_x3\\.4-1986|iso_646\\.irv:1991|ascii|iso646-us|us|ibm367|"
	    "cp367|csascii)"),
	RXS(RX_ISO_BAD, "(?i)iso-\\S+-\\S+\\b"),
	RXS(RX_ISO_OK, "(?i)iso-(?:8859-\\d{1,2}|2022-(?:jp|kr))\\b"),
	RXS(RX_UNICODE_ENT, "&#x[0-9A-F]{4};"),
	RXS(RX_CHARSET, "(?i)\\bcharset\\s*=\\s*[\"']?(.*?)[\"']?(?:;|$)"),
	RXS(RX_UPPER_B64, "^(?:[A-Za-z0-9+/=]{60,76} ){2}"),
	RXS(RX_JIS, "(?s)\\x1b\\$B.*\\x1b\\(B"),
	RXS(RX_BULK_ENVFROM, "(?i)(?:^(?:post|host|domain)master|"
	    "^double-bounce|^(?:sentto|owner|return|(?:gr)?bounced?)-.+|"
	    "-(?:request|bounces?|admin|owner)|"
	    "\\b(?:do[._-t]?)?no[._-t]?repl(?:y|ies)|.+=.+)\\@"),
	RXS(RX_EMAIL_WL, "(?i)^(?:abuse|support|sales|info|helpdesk|contact|"
	    "kontakt|(?:post|host|domain)master|undisclosed.*|"
	    "request-[a-f0-9]{16}|bounced?-|[a-f0-9]{8}(?:\\.[a-f0-9]{8}|"
	    "-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})|.+=.+=.+)\\@"),
	/* Received forms SpamAssassin ignores rather than counting them
	 * unparseable (Received.pm's "return 0" cases, the common ones). */
	RXS(RX_RCVD_IGNORE, "(?i)^(?!\\(?from )|\\bwith local for\\b|"
	    "^from (?!\\[[\\d.]+\\] )\\S+ by [^\\s;]+ ?;|"
	    "^\\(?from \\S+ by \\S+ (?:with|via|for|\\()|"
	    "^\\(?from \\S+ (?:(?:with|via|for) \\S+|\\(unverified\\)) by\\b|"
	    "^\\(?from \\S+ \\S+ by \\S+ with local-e?smtp |"
	    "^\\(?from \\S+\\@\\S+ by \\S+ |"
	    "^\\(?from \\S+\\@localhost\\) by |"
	    "^\\(?from \\S+ id \\S+$|\\(fetchmail|\\(LSMTP for|"
	    "^\\(?from (?:localhost|127\\.0\\.0\\.1)\\b|"
	    "^\\(?from \\S+ \\((?:\\S+\\@)?(?:localhost|127\\.0\\.0\\.1)\\b|"
	    "\\[unix socket\\]|with Novell_GroupWise|qmail-scanner|"
	    "^\\(?from mail pickup service by |with (?:POP3|IMAP)|"
	    "\\bwith local(?:-\\S+)? |^\\(?from \\S+ by \\S+ with BSMTP|"
	    "^\\(?from Unknown/Local \\(|^\\(?from \\(AUTH: \\S+\\) by |"
	    "^\\(?from \\S+ \\(\\S+\\@\\S+ \\[(?:localhost|127\\.0\\.0\\.1)\\]\\) |"
	    "^\\(?from \\S+ named \\S+ by gmailapi\\.google\\.com "),
	RXS(RX_RCVD_IP, "\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b[\\s\\S]* by |"
	    "\\[[0-9a-fA-F:.]+\\]"),
	RXS(RX_GW05, "(?s)\\nfrom\\s(\\S+)\\sby\\s(\\S+)\\swith\\sESMTP\\;\\s+"
	    "\\S\\S\\S,\\s+\\d+\\s+\\S\\S\\S\\s+\\d{4}\\s+\\d\\d:\\d\\d:\\d\\d\\s+"
	    "[-+]*\\d{4}\\n$"),
	/* FreeMail's _parse_body(): addresses, URLs with an @, and
	 * addresses used as labels ("x@y.example fax:") */
	RXS(RX_FM_EMAIL, "(?i)" FM_EMAIL),
	RXS(RX_FM_STRIP_URL, "(?i)<?https?://\\S{0,255}(?:\\@|%40)\\S{0,255}"),
	RXS(RX_FM_STRIP_LABEL, "(?i)<?(?<!mailto:)" FM_EMAIL "(?:>|\\s{1,10}"
	    "(?!(?:fa(?:x|csi)|tel|phone|e?-?mail))[a-z]{2,11}:)"),
	/* BodyEval's check_stock_info(): "item: value" lines, and the
	 * items that count */
	RXS(RX_STOCK_ITEM, "(?m)^\\s*([^:\\s][^:\\n]{2,29})\\s*:\\s*\\S"),
	RXS(RX_STOCK_WORD, "^(trad(?:e|ing)date|company(?:name)?|"
	    "s\\w?(?:t\\w?o\\w?c\\w?k|y\\w?m(?:\\w?b\\w?o\\w?l)?)|"
	    "t(?:arget|icker)|(?:opening|current)p(?:rice)?|"
	    "p(?:rojected|osition)|expectations|weeks?high|"
	    "marketperformance|(?:year|week|month|day|price)"
	    "(?:target|estimates?)|sector|r(?:ecommendation|ating))$"),
};

static pcre2_code *rx_code[NRX];
const struct rx_set rules_eval_rx = { "rules_eval", rx_src, NRX, rx_code };

/*
 * Match regex id against s[0..n) from offset start.  Up to ncap capture
 * pairs go to ov (ov[0], ov[1] the whole match).  Returns true on a
 * match; the limits keep a hostile header from costing much, and one
 * reached counts as no match.
 */
bool
eval_rx_exec(int id, const char *s, size_t n, size_t start, size_t *ov,
    int ncap)
{
	return rx_search(rx_builtin(&rules_eval_rx, (size_t)id),
	    rx_src[id].name, s, n, start, 0, ov, ncap) > 0;
}

bool
eval_rx_match(int id, const char *s)
{
	return eval_rx_exec(id, s, strlen(s), 0, NULL, 0);
}

/* Capture 1 of regex id in s, as a new string; NULL when no match. */
char *
eval_rx_cap1(int id, const char *s)
{
	size_t ov[4];

	if (!eval_rx_exec(id, s, strlen(s), 0, ov, 2) || ov[2] == (size_t)-1)
		return NULL;
	return xstrndup(s + ov[2], ov[3] - ov[2]);
}

/* How many times regex id matches in s[0..n) (not overlapping). */
unsigned
eval_rx_count(int id, const char *s, size_t n)
{
	size_t ov[2], at = 0;
	unsigned k = 0;

	while (at <= n && eval_rx_exec(id, s, n, at, ov, 1)) {
		k++;
		at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	return k;
}

/* ---- Small helpers ---- */

char *
eval_lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* Runs of white space to one space (SpamAssassin's s/\s+/ /gs). */
char *
eval_squash_ws(char *s)
{
	char *w = s;
	bool sp = false;

	for (char *p = s; *p; p++) {
		if (isspace((unsigned char)*p)) {
			if (!sp)
				*w++ = ' ';
			sp = true;
		} else {
			*w++ = *p;
			sp = false;
		}
	}
	*w = '\0';
	return s;
}

void
eval_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	if (i > 0)
		memmove(s, s + i, n - i + 1);
}

/*
 * SpamAssassin's $pms->get(NAME): every value of the header, decoded
 * (or raw, or the first address of each), each followed by "\n" as
 * SpamAssassin returns them; "" when there is none.  *found (may be
 * NULL) says whether the header exists.  The caller frees the result.
 */
char *
eval_hget(struct eval_ctx *ec, const char *name, unsigned mods, bool *found)
{
	struct buf b;
	size_t n;

	buf_init(&b, MAX_HDR);
	n = rules_hdr_values(ec, name, mods, &b);
	if (found != NULL)
		*found = n > 0;
	if (n > 0)
		buf_putc(&b, '\n');
	if (b.p == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* The first address of header name, lower case, "" when none. */
char *
eval_hget_addr(struct eval_ctx *ec, const char *name)
{
	char *v = eval_hget(ec, name, HM_ADDR, NULL), *nl = strchr(v, '\n');

	if (nl != NULL)
		*nl = '\0';
	return v;
}

/*
 * Every value of header name unfolded as SpamAssassin unfolds it (a
 * line break and the white space after it become one space; other
 * white space stays), for headers it does not MIME-decode (Received):
 * joined and ended by "\n".  The caller frees the result.
 */
char *
eval_hget_unfolded(struct eval_ctx *ec, const char *name)
{
	size_t n = rules_hdr_count(ec);
	struct buf b;

	buf_init(&b, MAX_HDR);
	for (size_t i = 0; i < n; i++) {
		const char *v;

		if (strcasecmp(rules_hdr_name(ec, i), name) != 0)
			continue;
		for (v = rules_hdr_rawvalue(ec, i); *v; v++) {
			if (*v == '\r')
				continue;
			if (*v == '\n') {
				while (v[1] == ' ' || v[1] == '\t')
					v++;
				buf_putc(&b, ' ');
				continue;
			}
			buf_putc(&b, *v);
		}
		buf_putc(&b, '\n');
	}
	if (b.p == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

/* An argument as a number; "undef" is no bound. */
bool
eval_arg_num(const char *a, double *v)
{
	char *e;

	if (a == NULL || strcmp(a, "undef") == 0)
		return false;
	*v = strtod(a, &e);
	return true;
}

/* Escape s for use inside a regex as a literal (\Q...\E). */
void
eval_quote_meta(struct buf *b, const char *s)
{
	buf_puts(b, "\\Q");
	for (; *s; s++) {
		if (*s == '\\' && s[1] == 'E') {
			buf_puts(b, "\\E\\\\\\Q");
			continue;
		}
		buf_putc(b, *s);
	}
	buf_puts(b, "\\E");
}

/*
 * Whether re, made of a rule's arguments (r->ere), matches s; NULL (it
 * did not compile) never does.
 */
bool
eval_arg_match(const pcre2_code *re, const char *s)
{
	return rx_search(re, NULL, s, strlen(s), 0, 0, NULL, 0) > 0;
}

/* With ok_locales at its default ("all"), no charset is far away. */
unsigned
eval_never(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	(void)ec;
	return 0;
}

/* ---- The plugins ---- */

/*
 * Every plugin's table of tests, in the order they are searched (a
 * test's name is in one table only), and the function that frees its
 * part of the cache.  A new plugin adds one line here.
 */
static const struct eval_plugin {
	const struct eval_def *tests;	/* ends with a NULL name; NULL: none */
	void    (*free_part)(struct cache *c);	/* NULL: nothing to free */
} plugins[] = {
	{ NULL, eval_date_free },
	{ eval_header_tests, eval_header_free },
	{ eval_relay_tests, NULL },
	{ eval_mime_tests, eval_mime_free },
	{ eval_body_tests, NULL },
	{ eval_freemail_tests, NULL },
	{ eval_html_tests, eval_html_free },
	{ eval_bayes_tests, eval_bayes_free },
	{ eval_dns_tests, eval_dns_free_cache },
	{ eval_auth_tests, NULL },
};

/* The test called name, NULL when Warden has none. */
static const struct eval_def *
find_test(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(plugins); i++)
		for (const struct eval_def *d = plugins[i].tests;
		    d != NULL && d->name != NULL; d++)
			if (strcmp(d->name, name) == 0)
				return d;
	return NULL;
}

/*
 * Parse "name(arg, 'arg', ...)" into name and unquoted arguments.
 * Returns the number of arguments, or -1 when the text is not a call.
 */
static int
parse_call(const char *call, char *name, size_t namesz,
    char args[MAX_ARGS][MAX_ARG])
{
	const char *p = call;
	size_t n = 0;
	int na = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	while (isalnum((unsigned char)*p) || *p == '_') {
		if (n + 1 >= namesz)
			return -1;
		name[n++] = *p++;
	}
	name[n] = '\0';
	if (n == 0)
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (*p++ != '(')
		return -1;
	for (;;) {
		size_t k = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ')' && na == 0) {
			p++;
			break;
		}
		if (na == MAX_ARGS)
			return -1;
		if (*p == '\'' || *p == '"') {
			char q = *p++;

			while (*p && *p != q) {
				if (k + 1 >= MAX_ARG)
					return -1;
				args[na][k++] = *p++;
			}
			if (*p != q)
				return -1;
			p++;
		} else {
			while (*p && *p != ',' && *p != ')' && *p != ' ' &&
			    *p != '\t') {
				if (k + 1 >= MAX_ARG)
					return -1;
				args[na][k++] = *p++;
			}
			if (k == 0)
				return -1;
		}
		args[na++][k] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p != ')')
			return -1;
		p++;
		break;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0' && *p != '#')
		return -1;
	return na;
}

bool
rules_eval_define(struct ruleset *rs, struct rule *r, enum rule_kind kind,
    const char *call, const char **why)
{
	char name[64], args[MAX_ARGS][MAX_ARG];
	const struct eval_def *d;
	int na;

	/* One reason for lint whatever the cause: the summary says it is
	 * not implemented in Warden. */
	*why = "eval: rules";
	na = parse_call(call, name, sizeof(name), args);
	if (na < 0)
		return false;
	d = find_test(name);
	if (d == NULL)
		return false;
	if (!(d->kinds & (1u << kind)) || na < d->minargs ||
	    na > d->maxargs)
		return false;
	/* Network tests run only with a resolver (dns_resolver). */
	if ((d->kinds & NET) && !(rs->scoreset & 1)) {
		*why = "network tests (no dns_resolver)";
		return false;
	}
	if ((d->kinds & AUTHF) && !rs->auth) {
		*why = "sender authentication tests (authentication = no)";
		return false;
	}
	rules_eval_clear(r);
	/* One more slot for FreeMail's domain list (rules_eval_finish). */
	r->eargs = xcalloc((size_t)na + 2, sizeof(*r->eargs));
	for (int i = 0; i < na; i++)
		r->eargs[i] = xstrdup(args[i]);
	r->neargs = (size_t)na;
	r->eval = d;		/* before prep: it may ask which test */
	/* An invalid regex: defined, never hits (as SpamAssassin). */
	if (d->prep != NULL)
		d->prep(r, na);
	if (d->kinds & FM)
		r->eargs[r->neargs++] = xstrdup("\n\x01\n");
	r->eval = d;
	rs->want |= d->want;
	return true;
}

void
rules_eval_clear(struct rule *r)
{
	for (size_t i = 0; i < r->neargs; i++)
		free(r->eargs[i]);
	free(r->eargs);
	r->eargs = NULL;
	r->neargs = 0;
	for (size_t i = 0; r->ere != NULL && i < EVAL_NRE; i++)
		pcre2_code_free(r->ere[i]);
	free(r->ere);
	r->ere = NULL;
	r->eval = NULL;
}

unsigned
rules_eval_run(const struct rule *r, struct eval_ctx *ec)
{
	if (r->eval == NULL || r->eval->fn == NULL)
		return 0;
	return r->eval->fn(r, ec);
}

void
rules_eval_done(struct eval_ctx *ec)
{
	struct cache *c = ec->cache;

	if (c == NULL)
		return;
	for (size_t i = 0; i < ARRAY_LEN(plugins); i++)
		if (plugins[i].free_part != NULL)
			plugins[i].free_part(c);
	free(c);
	ec->cache = NULL;
}
