/*
 * rules_eval.c -- SpamAssassin's eval: tests that Warden implements
 * natively, named after SpamAssassin's so that its scores apply.
 *
 * Each test reproduces the semantics of the SpamAssassin 4.0 test of the
 * same name (HeaderEval, RelayEval, MIMEEval, BodyEval and FreeMail);
 * rules_sa.c counts a plugin as present only when every test its blocks
 * in the stock rules call is here.  A test's arguments are the strings
 * the rule wrote, unquoted.
 *
 * Everything a test reads comes from the message through struct
 * eval_ctx; what several tests share (dates, recipients, the MIME
 * structure, the relay facts) is worked out once per message into the
 * cache below.  Every parser here is bounded: headers are cut at
 * MAX_HDR bytes, the MIME walk at MAX_PARTS parts and MAX_LINES lines.
 *
 * Ownership: rules_eval_define() stores in the rule a pointer to a
 * static table entry, the arguments and the regexes made of them, which
 * the rule owns (freed with it).
 * rules_eval_run() reads the message through struct eval_ctx, which it
 * borrows for the one call; per-message state goes in ec->cache, freed
 * by rules_eval_done().
 */
#include "autoconfig.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rules_int.h"
#include "cidr.h"
#include "config.h"
#include "html.h"
#include "mime.h"
#include "relays.h"
#include "rx.h"
#include "util.h"

#define MAX_ARGS	4
#define MAX_ARG		256	/* bytes of one argument */
#define MAX_HDR		(256 * 1024)	/* bytes of one joined header */
#define MAX_PARTS	1000	/* SpamAssassin's own mimepart limit */
#define MAX_LINES	(1024 * 1024)
#define MAX_RECIPS	256	/* SpamAssassin looks at 256 at most */

/* Which rule kinds a test may be used with. */
#define K_HEAD		(1u << RK_HEADER)
#define K_BODY		((1u << RK_BODY) | (1u << RK_RAWBODY) | \
			 (1u << RK_FULL))
#define K_ANY		(K_HEAD | K_BODY | (1u << RK_URI))

struct eval_ctx;
typedef unsigned (*eval_fn)(const struct rule *r, struct eval_ctx *ec);
/* Compile what the test needs of its na arguments into r->ere. */
typedef void (*eval_prep)(struct rule *r, int na);

struct eval_def {
	const char *name;
	unsigned kinds;		/* K_*: rule kinds it may be used with */
	int     minargs, maxargs;
	unsigned want;		/* MIME_* it needs */
	eval_fn fn;
	eval_prep prep;		/* NULL: no regex made of its arguments */
};

/* ---- Per-message cache ---- */

/* One MIME part as SpamAssassin's Message.pm splits it. */
struct sapart {
	char   *type;		/* "type/subtype", lower case */
	char   *charset;	/* lower case, "" when none */
	char   *cte;		/* Content-Transfer-Encoding, lower case */
	char   *cd;		/* Content-Disposition, lower case */
	bool    leaf;
	bool    html;		/* effective type text/html (or a .html name) */
	int     parent;		/* index of the enclosing part, -1: none */
	size_t  first, last;	/* its body lines [first, last) (leaves) */
};

struct line {
	const char *p;		/* into cache->text */
	size_t  n;		/* without the line end */
};

struct mime_state {
	bool    done;
	char   *text;		/* the message, CR before LF dropped */
	size_t  textlen;
	struct line *lines;
	size_t  nlines, lcap;
	struct sapart *parts;
	size_t  nparts;
	bool    missing_hb_sep;	/* SpamAssassin's parse flags */
	bool    missing_mime_hb_sep;
	bool    missing_mime_headers;
	bool    epilogue;
	bool    truncated_header;
	bool    part_limit;
	bool    missing_boundary;
	/* MIMEEval's _check_attachments */
	bool    att_done;
	unsigned base64_count, qp_count, html_count, text_count, attachments;
	bool    base64_text, bad_iso_charset, multipart_alternative;
	bool    qp_long_line;
	double  multipart_ratio, qp_ratio, unicode_ratio;
	unsigned ascii_illegal;
	char   *html_charsets;	/* space separated (owned) */
	size_t  base64_len;
	bool    base64_len_done;
	double  uppercase;
	bool    uppercase_done;
	/* BodyEval */
	bool    madiff_done;
	double  madiff;
	unsigned madiff_html, madiff_text;
};

struct cache {
	/* HeaderEval dates */
	bool    dates_done;
	bool    have_date;
	long long date;		/* Date / Resent-Date */
	long long *rcvd_times;
	size_t  nrcvd_times;
	long long date_diff;
	/* recipients */
	bool    recips_done;
	bool    sorted;
	double  similar;
	/* hotmail */
	int     hotmail;	/* -1 unknown, else bit 0 forged, bit 1 none */
	/* envelope sender */
	bool    envfrom_done;
	char   *envfrom;	/* NULL: none */
	/* relays */
	bool    relays_done;
	unsigned nunparseable;
	/* MIME */
	struct mime_state m;
	/* HTMLEval: every HTML part analysed, in SpamAssassin's order,
	 * and the index of its part in m.parts */
	bool    html_done;
	struct html **html;
	size_t *html_part;
	size_t  nhtml;
};

static struct cache *
cache_get(struct eval_ctx *ec)
{
	struct cache *c = ec->cache;

	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->hotmail = -1;
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

enum {
	RX_AOL_RLY, RX_AOL_VIA, RX_AOL_ID,
	RX_EZMLM, RX_ML_DLTO, RX_QMAIL_INVOKED, RX_MSN_GROUPS,
	RX_HM_PICKUP, RX_IPADDR, RX_HM_ORIG, RX_HM_1, RX_HM_2, RX_HM_3,
	RX_HM_4, RX_HM_5, RX_HM_6, RX_HM_FORGED, RX_HM_FROM,
	RX_MSN_TO, RX_MSN_PICKUP,
	RX_EUDORA_FROM, RX_EUDORA_RCVD,
	RX_YH_FROM, RX_YH_RDNS_T, RX_YH_RDNS_U, RX_YH_1, RX_YH_2, RX_YH_3,
	RX_YH_4, RX_YH_5, RX_YH_REPLY, RX_YH_6,
	RX_JUNO_FROM, RX_JUNO_1, RX_JUNO_2, RX_JUNO_3, RX_JUNO_4,
	RX_JUNO_5, RX_JUNO_MAILCOM,
	RX_GM_FROM, RX_GM_1, RX_GM_2, RX_GM_3,
	RX_RCVD_DATE, RX_RCVD_LOCAL, RX_RCVD_FETCHMAIL, RX_RCVD_LASTDATE,
	RX_OUTLOOK_MSGID, RX_SUBJ_PREFIX, RX_CAPS_CHARSET, RX_CAPS_FP,
	RX_LISTUNSUB, RX_CWT, RX_IPLANET,
	RX_TEMPLATE, RX_TEMPLATE_OK, RX_RATWARE_MID, RX_SRS,
	RX_NO_RDNS_HELO, RX_QP_ESC, RX_QP_TRAIL, RX_B64_CHARSET,
	RX_ISO_BAD, RX_ISO_OK, RX_UNICODE_ENT, RX_HDR_FIELD,
	RX_HDR_FIELD_WS, RX_BOUNDARY, RX_CHARSET, RX_UPPER_B64,
	RX_JIS, RX_BULK_ENVFROM, RX_EMAIL_WL, RX_RCVD_IGNORE, RX_RCVD_IP,
	RX_GW05, RX_FM_EMAIL, RX_FM_STRIP_URL, RX_FM_STRIP_LABEL,
	RX_STOCK_ITEM, RX_STOCK_WORD, NRX
};

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
	RXS(RX_HDR_FIELD, "^[\\x21-\\x39\\x3b-\\x7e]+:"),
	RXS(RX_HDR_FIELD_WS, "^[\\x21-\\x39\\x3b-\\x7e]+[ \\t]*:"),
	RXS(RX_BOUNDARY, "(?i)\\bboundary\\s*=\\s*(\"[^\"]+|[^\\s\";]+"
	    "(?=[\\s;]|$))"),
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
static bool
rx_exec(int id, const char *s, size_t n, size_t start, size_t *ov, int ncap)
{
	return rx_search(rx_builtin(&rules_eval_rx, (size_t)id),
	    rx_src[id].name, s, n, start, 0, ov, ncap) > 0;
}

static bool
rx_match(int id, const char *s)
{
	return rx_exec(id, s, strlen(s), 0, NULL, 0);
}

/* Capture 1 of regex id in s, as a new string; NULL when no match. */
static char *
rx_cap1(int id, const char *s)
{
	size_t ov[4];

	if (!rx_exec(id, s, strlen(s), 0, ov, 2) || ov[2] == (size_t)-1)
		return NULL;
	return xstrndup(s + ov[2], ov[3] - ov[2]);
}

/* How many times regex id matches in s[0..n) (not overlapping). */
static unsigned
rx_count(int id, const char *s, size_t n)
{
	size_t ov[2], at = 0;
	unsigned k = 0;

	while (at <= n && rx_exec(id, s, n, at, ov, 1)) {
		k++;
		at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	return k;
}

/* ---- Small helpers ---- */

static char *
lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* Runs of white space to one space (SpamAssassin's s/\s+/ /gs). */
static char *
squash_ws(char *s)
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

static void
trim(char *s)
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
static char *
hget(struct eval_ctx *ec, const char *name, unsigned mods, bool *found)
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
static char *
hget_addr(struct eval_ctx *ec, const char *name)
{
	char *v = hget(ec, name, HM_ADDR, NULL), *nl = strchr(v, '\n');

	if (nl != NULL)
		*nl = '\0';
	return v;
}

/* Every value of header name as SpamAssassin's get() joins them, with
 * the value in one line: for Received and the like. */
static char *
hget_squashed(struct eval_ctx *ec, const char *name)
{
	return squash_ws(hget(ec, name, 0, NULL));
}

/*
 * Every value of header name unfolded as SpamAssassin unfolds it (a
 * line break and the white space after it become one space; other
 * white space stays), for headers it does not MIME-decode (Received):
 * joined and ended by "\n".  The caller frees the result.
 */
static char *
hget_unfolded(struct eval_ctx *ec, const char *name)
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

/*
 * SpamAssassin's MESSAGEID pseudo-header: the first found of the
 * message id headers, in its order of preference, each value.
 */
static char *
hget_msgid(struct eval_ctx *ec)
{
	static const char *const ids[] = { "X-Message-Id",
		"Resent-Message-Id", "X-Original-Message-ID", "Message-Id",
		NULL };
	struct buf b;

	buf_init(&b, MAX_HDR);
	for (const char *const *h = ids; *h; h++)
		if (rules_hdr_values(ec, *h, HM_RAW, &b) > 0)
			buf_putc(&b, '\n');
	if (b.p == NULL)
		return xstrdup("");
	return buf_steal(&b);
}

static bool
is_ipv4(const char *s)
{
	int dots = 0, digits = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (digits == 0)
				return false;
			dots++;
			digits = 0;
		} else if (isdigit((unsigned char)*s)) {
			if (++digits > 3)
				return false;
		} else
			return false;
	}
	return dots == 3 && digits > 0;
}

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
static bool
parse_date(const char *date, long long *out)
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

static void
dates_work(struct eval_ctx *ec)
{
	struct cache *c = cache_get(ec);
	static const char *const dh[] = { "Resent-Date", "Date", NULL };
	char *rcvd, *save = NULL, **lines = NULL;
	size_t nl = 0, first = 0;

	if (c->dates_done)
		return;
	c->dates_done = true;
	for (const char *const *h = dh; *h && !c->have_date; h++) {
		char *v = hget(ec, *h, 0, NULL), *s2 = NULL;

		/* The first value with a date SpamAssassin can parse. */
		for (char *l = strtok_r(v, "\n", &s2); l != NULL &&
		    !c->have_date; l = strtok_r(NULL, "\n", &s2))
			if (*l != '\0' && parse_date(l, &c->date))
				c->have_date = true;
		free(v);
	}
	rcvd = hget_unfolded(ec, "Received");
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
	if (nl > 0 && rx_match(RX_RCVD_LOCAL, lines[0])) {
		if (nl > 1 && rx_match(RX_RCVD_FETCHMAIL, lines[1]))
			first = 2;
	} else if (nl > 0 && rx_match(RX_RCVD_FETCHMAIL, lines[0]))
		first = 1;
	c->rcvd_times = xcalloc(nl + 1, sizeof(*c->rcvd_times));
	for (size_t i = first; i < nl; i++) {
		char *d = rx_cap1(RX_RCVD_DATE, lines[i]);
		long long t;

		if (d != NULL && parse_date(d, &t))
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

/* An argument as a number; "undef" is no bound. */
static bool
arg_num(const char *a, double *v)
{
	char *e;

	if (a == NULL || strcmp(a, "undef") == 0)
		return false;
	*v = strtod(a, &e);
	return true;
}

static unsigned
ev_shifted_date(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = cache_get(ec);
	double min, max, d;

	dates_work(ec);
	d = (double)c->date_diff;
	if (arg_num(r->eargs[0], &min) && !(d >= 3600 * min))
		return 0;
	if (arg_num(r->eargs[1], &max) && !(d < 3600 * max))
		return 0;
	return 1;
}

static unsigned
ev_outlook_msgid(const struct rule *r, struct eval_ctx *ec)
{
	const double x = 0.0023283064365387, y = 27111902.8329849;
	char *id = hget_msgid(ec), *tok, *v;
	long long token, t = 0, expected;
	unsigned hit = 0;

	(void)r;
	tok = rx_cap1(RX_OUTLOOK_MSGID, id);
	free(id);
	if (tok == NULL)
		return 0;
	token = strtoll(tok, NULL, 16);
	free(tok);
	v = hget(ec, "Date", 0, NULL);
	if (!parse_date(v, &t))
		t = 0;
	free(v);
	expected = (long long)((double)t * x + y);
	if (llabs(token - expected) < 250)
		return 0;
	/* The date of the last Received header instead. */
	v = hget_unfolded(ec, "Received");
	{
		size_t n = strlen(v);

		/* SpamAssassin's $ matches before the final newline. */
		if (n > 0 && v[n - 1] == '\n')
			v[--n] = '\0';
		tok = rx_cap1(RX_RCVD_LASTDATE, v);
	}
	free(v);
	t = 0;
	if (tok == NULL || !parse_date(tok, &t))
		t = 0;
	free(tok);
	expected = (long long)((double)t * x + y);
	hit = llabs(token - expected) >= 250;
	return hit;
}

/* ---- HeaderEval: forged Received headers ---- */

static bool
gated_through_received_hdr_remover(struct eval_ctx *ec)
{
	bool found, r = false;
	char *ml = hget(ec, "Mailing-List", 0, &found);

	if (found && rx_match(RX_EZMLM, ml)) {
		char *dlto = hget(ec, "Delivered-To", 0, NULL);
		char *rcvd = hget(ec, "Received", 0, NULL);

		r = rx_match(RX_ML_DLTO, dlto) &&
		    rx_match(RX_QMAIL_INVOKED, rcvd);
		free(dlto);
		free(rcvd);
	}
	free(ml);
	if (r)
		return true;
	ml = hget(ec, "Received", 0, &found);
	if (!found)
		r = true;
	else
		r = rx_match(RX_MSN_GROUPS, ml);
	free(ml);
	return r;
}

static unsigned
ev_gated(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	return gated_through_received_hdr_remover(ec);
}

static unsigned
ev_fake_aol(const struct rule *r, struct eval_ctx *ec)
{
	char *v = hget_squashed(ec, "Received");
	unsigned hit = 0;

	(void)r;
	if (rx_match(RX_AOL_RLY, v) && !rx_match(RX_AOL_VIA, v) &&
	    !rx_match(RX_AOL_ID, v))
		hit = 1;
	free(v);
	return hit;
}

static bool
msn_groups(struct eval_ctx *ec)
{
	char *to = hget(ec, "To", 0, NULL), *list, *rcvd, *server = NULL;
	bool ok = false;

	list = rx_cap1(RX_MSN_TO, to);
	free(to);
	if (list == NULL)
		return false;
	rcvd = hget(ec, "Received", 0, NULL);
	server = rx_cap1(RX_MSN_PICKUP, rcvd);
	free(rcvd);
	if (server != NULL) {
		char *mid = hget(ec, "Message-Id", 0, NULL), *want;

		if (strcmp(list, "notifications") == 0) {
			want = xasprintf("@%s>", server);
			ok = mid[0] == '<' && strstr(mid, want) != NULL &&
			    strcspn(mid, " \t") > (size_t)(strstr(mid, want) -
			    mid);
		} else {
			char *ef = NULL;

			want = xasprintf("<%s-", list);
			ok = strncmp(mid, want, strlen(want)) == 0 &&
			    strstr(mid, "@groups.msn.com>") != NULL;
			if (ok) {
				char *b = xasprintf("%s-bounce@groups.msn.com",
				    list);

				ef = hget_addr(ec, "Return-Path");
				ok = strstr(ef, b) != NULL;
				free(b);
			}
			free(ef);
		}
		free(want);
		free(mid);
	}
	free(server);
	free(list);
	return ok;
}

static void
hotmail_work(struct eval_ctx *ec)
{
	struct cache *c = cache_get(ec);
	char *rcvd, *ipv, *orgv;
	bool ip, orig, f1, f2;

	if (c->hotmail >= 0)
		return;
	c->hotmail = 0;
	rcvd = hget_squashed(ec, "Received");
	if (rx_match(RX_HM_PICKUP, rcvd) || msn_groups(ec)) {
		free(rcvd);
		return;
	}
	ipv = hget(ec, "X-Originating-Ip", 0, &f1);
	orgv = hget(ec, "X-OriginatorOrg", 0, &f2);
	ip = f1 && rx_match(RX_IPADDR, ipv);
	orig = f2 && rx_match(RX_HM_ORIG, orgv);
	free(ipv);
	free(orgv);
	if (gated_through_received_hdr_remover(ec) ||
	    (rx_match(RX_HM_1, rcvd) && ip) ||
	    (rx_match(RX_HM_2, rcvd) && orig) ||
	    (rx_match(RX_HM_3, rcvd) && orig) ||
	    (rx_match(RX_HM_4, rcvd) && ip) ||
	    (rx_match(RX_HM_5, rcvd) && ip) ||
	    (rx_match(RX_HM_6, rcvd) && ip)) {
		free(rcvd);
		return;
	}
	if (rx_match(RX_HM_FORGED, rcvd))
		c->hotmail = 1;
	else {
		char *from = hget_addr(ec, "From");

		if (rx_match(RX_HM_FROM, from))
			c->hotmail = 2;
		free(from);
	}
	free(rcvd);
}

static unsigned
ev_forged_hotmail(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	hotmail_work(ec);
	return (cache_get(ec)->hotmail & 1) != 0;
}

static unsigned
ev_no_hotmail(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	hotmail_work(ec);
	return (cache_get(ec)->hotmail & 2) != 0;
}

static unsigned
ev_forged_eudoramail(const struct rule *r, struct eval_ctx *ec)
{
	char *from = hget_addr(ec, "From"), *rcvd, *ipv;
	bool f, ip;
	unsigned hit = 1;

	(void)r;
	if (!rx_match(RX_EUDORA_FROM, from)) {
		free(from);
		return 0;
	}
	free(from);
	rcvd = hget_squashed(ec, "Received");
	ipv = hget(ec, "X-Sender-Ip", 0, &f);
	ip = f && rx_match(RX_IPADDR, ipv);
	if (gated_through_received_hdr_remover(ec) ||
	    (rx_match(RX_EUDORA_RCVD, rcvd) && ip))
		hit = 0;
	free(ipv);
	free(rcvd);
	return hit;
}

/* The relay chain's text, SpamAssassin's relays_{trusted,untrusted}_str. */
static char *
relays_str(struct eval_ctx *ec, bool trusted)
{
	const struct relays *rl = rules_hdr_relays(ec);

	return trusted ? relays_format(rl, 0, rl->ntrusted) :
	    relays_format(rl, rl->ntrusted, rl->n);
}

static unsigned
ev_forged_yahoo(const struct rule *r, struct eval_ctx *ec)
{
	char *from = hget_addr(ec, "From"), *rcvd, *rt, *ru;
	bool rf, rto;
	unsigned hit = 1;

	(void)r;
	if (!rx_match(RX_YH_FROM, from)) {
		free(from);
		return 0;
	}
	rcvd = hget(ec, "Received", 0, NULL);
	{
		char *a = hget(ec, "Resent-From", 0, NULL);
		char *b = hget(ec, "Resent-To", 0, NULL);

		rf = a[0] != '\0';
		rto = b[0] != '\0';
		free(a);
		free(b);
	}
	if (rf && rto) {
		char *x = hget(ec, "X-Received", 0, NULL);

		if (x[0] != '\0') {
			free(rcvd);
			rcvd = x;
		} else
			free(x);
	}
	squash_ws(rcvd);
	rt = relays_str(ec, true);
	ru = relays_str(ec, false);
	if (gated_through_received_hdr_remover(ec) ||
	    rx_match(RX_YH_RDNS_T, rt) || rx_match(RX_YH_RDNS_U, ru) ||
	    rx_match(RX_YH_1, rcvd) || rx_match(RX_YH_2, rcvd) ||
	    rx_match(RX_YH_3, rcvd) || rx_match(RX_YH_4, rcvd) ||
	    (rx_match(RX_YH_5, rcvd) && rx_match(RX_YH_REPLY, from)) ||
	    rx_match(RX_YH_6, rcvd))
		hit = 0;
	free(rt);
	free(ru);
	free(rcvd);
	free(from);
	return hit;
}

static unsigned
ev_forged_juno(const struct rule *r, struct eval_ctx *ec)
{
	char *from = hget_addr(ec, "From"), *xorig, *xmailer, *rcvd;
	unsigned hit = 0;

	(void)r;
	if (!rx_match(RX_JUNO_FROM, from) ||
	    gated_through_received_hdr_remover(ec)) {
		free(from);
		return 0;
	}
	free(from);
	xorig = hget(ec, "X-Originating-IP", 0, NULL);
	xmailer = hget(ec, "X-Mailer", 0, NULL);
	rcvd = hget(ec, "Received", 0, NULL);
	if (xorig[0] != '\0') {
		if (!rx_match(RX_JUNO_1, rcvd) && !rx_match(RX_JUNO_2, rcvd))
			hit = 1;
		else if (strstr(xmailer, "Juno ") == NULL)
			hit = 1;
	} else {
		if (rx_match(RX_JUNO_3, rcvd)) {
			if (!rx_match(RX_JUNO_MAILCOM, xmailer))
				hit = 1;
		} else if (rx_match(RX_JUNO_4, rcvd)) {
			if (!rx_match(RX_JUNO_5, xmailer))
				hit = 1;
		} else
			hit = 1;
		if (!hit && !rx_match(RX_IPADDR, xorig))
			hit = 1;
	}
	free(xorig);
	free(xmailer);
	free(rcvd);
	return hit;
}

static unsigned
ev_forged_gmail(const struct rule *r, struct eval_ctx *ec)
{
	char *from = hget_addr(ec, "From"), *xgms, *xss, *xr, *rc;
	unsigned hit = 1;

	(void)r;
	if (!rx_match(RX_GM_FROM, from)) {
		free(from);
		return 0;
	}
	free(from);
	xgms = hget(ec, "X-Gm-Message-State", 0, NULL);
	xss = hget(ec, "X-Google-Smtp-Source", 0, NULL);
	xr = hget(ec, "X-Received", 0, NULL);
	rc = hget(ec, "Received", 0, NULL);
	if (rx_match(RX_GM_1, xr) || rx_match(RX_GM_2, xr) ||
	    rx_match(RX_GM_3, rc) ||
	    (strlen(xgms) >= 60 && strlen(xss) >= 60))
		hit = 0;
	free(xgms);
	free(xss);
	free(xr);
	free(rc);
	return hit;
}

static unsigned
ev_msn_groups(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	return msn_groups(ec);
}

/* The oldest Received header of a GroupWise gateway: a "by" name
 * with no dot, in that exact form. */
static unsigned
ev_forged_gw05(const struct rule *r, struct eval_ctx *ec)
{
	char *v = hget(ec, "Received", 0, NULL);
	size_t ov[6];
	unsigned hit = 0;

	(void)r;
	if (rx_exec(RX_GW05, v, strlen(v), 0, ov, 3) && ov[4] != (size_t)-1 &&
	    memchr(v + ov[4], '.', ov[5] - ov[4]) == NULL)
		hit = 1;
	free(v);
	return hit;
}

static unsigned
ev_received_within_months(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = cache_get(ec);
	long long poss[3], received = 0, diff;
	size_t n = 0;
	double min, max;

	dates_work(ec);
	if (c->have_date)
		poss[n++] = c->date;
	if (c->nrcvd_times > 0)
		poss[n++] = c->rcvd_times[0];
	if (c->have_date && c->nrcvd_times > 0)
		poss[n++] = c->date - c->date_diff;
	if (n > 0) {
		/* The median, as SpamAssassin picks it (sorted down). */
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (poss[j] > poss[i]) {
					long long t = poss[i];

					poss[i] = poss[j];
					poss[j] = t;
				}
		received = poss[(n - 1) / 2];
	}
	diff = (long long)time(NULL) - received;
	if (arg_num(r->eargs[0], &min) &&
	    !((double)diff >= 31556952.0 * (min / 12)))
		return 0;
	if (r->neargs > 1 && arg_num(r->eargs[1], &max) &&
	    !((double)diff < 31556952.0 * (max / 12)))
		return 0;
	return 1;
}

/* ---- HeaderEval: envelope sender, From ---- */

/*
 * SpamAssassin's EnvelopeFrom: the envelope-from of the last untrusted
 * (else first trusted) relay, else X-Envelope-From, Envelope-Sender or
 * Return-Path when no Received header comes before it; else, when the
 * message came from the network, the MAIL FROM the MTA gave.  NULL when
 * there is none.  Borrowed from the cache.
 */
static const char *
envfrom_get(struct eval_ctx *ec)
{
	static const char *const hdrs[] = { "X-Envelope-From",
		"Envelope-Sender", "Return-Path", NULL };
	struct cache *c = cache_get(ec);
	const struct relays *rl;
	const struct relay *hop = NULL;

	if (c->envfrom_done)
		return c->envfrom;
	c->envfrom_done = true;
	rl = rules_hdr_relays(ec);
	if (rl->n > rl->ntrusted)
		hop = &rl->v[rl->ntrusted];
	else if (rl->ntrusted > 0)
		hop = &rl->v[rl->ntrusted - 1];
	if (hop != NULL && hop->envfrom != NULL && hop->envfrom[0] != '\0' &&
	    strchr(hop->envfrom, '@') != NULL &&
	    hop->envfrom[0] != '@') {
		c->envfrom = xstrdup(hop->envfrom);
		return c->envfrom;
	}
	/* An X-Sender with an address and a fetchmail Received: the
	 * envelope is lost. */
	{
		char *xs = hget(ec, "X-Sender", HM_RAW, NULL);
		bool lost = false;

		if (strchr(xs, '@') != NULL) {
			char *rc = hget(ec, "Received", 0, NULL);

			lost = strstr(rc, "(fetchmail") != NULL;
			free(rc);
		}
		free(xs);
		if (lost)
			return NULL;
	}
	/* The first of these headers, unless some Received header comes
	 * before one of them (then a relay added it, not trustworthy). */
	for (const char *const *h = hdrs; *h; h++) {
		size_t n = rules_hdr_count(ec), first = n, last = n, rcvd = n;

		for (size_t i = 0; i < n; i++) {
			const char *name = rules_hdr_name(ec, i);

			if (rcvd == n && strcasecmp(name, "Received") == 0)
				rcvd = i;
			else if (strcasecmp(name, *h) == 0) {
				if (first == n)
					first = i;
				last = i;
			}
		}
		if (first == n)
			continue;
		if (rcvd < last) {
			if (strcmp(*h, "X-Envelope-From") == 0)
				return NULL;
			continue;
		}
		c->envfrom = mime_header_addr(rules_hdr_rawvalue(ec, first));
		return c->envfrom;
	}
	if (ec->in != NULL && ec->in->envfrom != NULL &&
	    ec->in->client_addr != NULL && ec->in->client_addr[0] != '\0' &&
	    !relays_ip_private(ec->in->client_addr) &&
	    strcmp(ec->in->client_addr, "::1") != 0)
		c->envfrom = mime_header_addr(ec->in->envfrom);
	return c->envfrom;
}

static unsigned
ev_env_and_hdr_from(const struct rule *r, struct eval_ctx *ec)
{
	const char *ef = envfrom_get(ec);
	char *from = hget_addr(ec, "From");
	unsigned hit;

	(void)r;
	hit = strcasecmp(ef ? ef : "", from) == 0;
	free(from);
	return hit;
}

/* s/^.+\.([^\.]+\.[^\.]+)$/$1/ on the domain of addr; "" when none. */
static char *
second_level(const char *addr)
{
	const char *at = strrchr(addr, '@'), *d, *p;
	int dots = 0;

	if (at == NULL)
		return xstrdup("");
	d = at + 1;
	for (p = d + strlen(d); p > d; p--)
		if (p[-1] == '.' && ++dots == 2)
			break;
	/* Needs something before the dot ("^.+\."). */
	if (dots == 2 && p - 1 > d)
		d = p;
	return lower(xstrdup(d));
}

static unsigned
ev_equal_from_domains(const struct rule *r, struct eval_ctx *ec)
{
	char *from = hget_addr(ec, "From"), *fd, *ed;
	const char *ef = envfrom_get(ec);
	unsigned hit = 0;

	(void)r;
	fd = second_level(from);
	ed = second_level(ef ? ef : "");
	if (fd[0] != '\0' && ed[0] != '\0' && strcmp(fd, ed) != 0)
		hit = 1;
	free(fd);
	free(ed);
	free(from);
	return hit;
}

static unsigned
ev_missing_to(const struct rule *r, struct eval_ctx *ec)
{
	char *v = hget(ec, "To", 0, NULL);
	unsigned hit;

	(void)r;
	if (v[0] == '\0') {
		free(v);
		v = hget(ec, "Apparently-To", 0, NULL);
	}
	hit = v[0] == '\0';
	free(v);
	return hit;
}

/* ---- HeaderEval: recipients ---- */

/* Perl's substr($a, 0, 2) eq substr($b, 0, 2). */
static bool
prefix2_eq(const char *a, const char *b)
{
	size_t la = strnlen(a, 2), lb = strnlen(b, 2);

	return la == lb && memcmp(a, b, la) == 0;
}

static void
recips_work(struct eval_ctx *ec)
{
	static const char *const hs[] = { "To", "Cc", "Bcc", NULL };
	struct cache *c = cache_get(ec);
	struct strlist in = { 0 }, a = { 0 };
	const char *prev = "";

	if (c->recips_done)
		return;
	c->recips_done = true;
	for (const char *const *h = hs; *h; h++) {
		size_t n = rules_hdr_count(ec);

		/* ToCc first; Bcc only while there are fewer than 5. */
		if (strcmp(*h, "Bcc") == 0 && in.n >= 5)
			break;
		for (size_t i = 0; i < n; i++)
			if (strcasecmp(rules_hdr_name(ec, i), *h) == 0)
				mime_header_addrs(rules_hdr_rawvalue(ec, i),
				    &in, 1000);
	}
	for (size_t i = 0; i < in.n && a.n < MAX_RECIPS; i++) {
		if (in.v[i][0] == '\0')
			break;		/* Perl's while (shift) stops */
		if (strcasecmp(in.v[i], prev) != 0) {
			strlist_add(&a, in.v[i]);
			prev = a.v[a.n - 1];
		}
	}
	c->sorted = false;
	if (a.n >= 7) {
		c->sorted = true;
		for (size_t i = 1; i < a.n; i++)
			if (strcmp(a.v[i - 1], a.v[i]) > 0)
				c->sorted = false;
	}
	c->similar = 0;
	if (a.n >= 5) {
		unsigned hits = 0, comb = 0;

		for (size_t i = 0; i < a.n; i++)
			for (size_t j = i + 1; j < a.n; j++) {
				const char *hi = strchr(a.v[i], '@');
				const char *hj = strchr(a.v[j], '@');

				if (prefix2_eq(a.v[i], a.v[j]))
					hits++;
				hi = hi ? hi + 1 : "";
				hj = hj ? hj + 1 : "";
				if (prefix2_eq(hi, hj) && strcmp(hi, hj) != 0)
					hits++;
				comb++;
			}
		c->similar = (double)hits / comb;
	}
	strlist_free(&in);
	strlist_free(&a);
}

static unsigned
ev_sorted_recips(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	recips_work(ec);
	return cache_get(ec)->sorted;
}

static unsigned
ev_similar_recips(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = cache_get(ec);
	double min, max;

	recips_work(ec);
	if (arg_num(r->eargs[0], &min) && !(c->similar >= min))
		return 0;
	if (arg_num(r->eargs[1], &max) && !(c->similar < max))
		return 0;
	return 1;
}

/* ---- HeaderEval: Subject and others ---- */

static unsigned
ev_subject_all_caps(const struct rule *r, struct eval_ctx *ec)
{
	char *s = hget(ec, "Subject", 0, NULL), *raw, *w;
	size_t ov[2], letters = 0;
	unsigned hit = 1;

	(void)r;
	trim(s);
	if (rx_exec(RX_SUBJ_PREFIX, s, strlen(s), 0, ov, 1))
		memmove(s, s + ov[1], strlen(s + ov[1]) + 1);
	if (strpbrk(s, " \t\n\r\f\v") == NULL || strlen(s) < 10) {
		free(s);
		return 0;
	}
	/* The letters: any lower case one, or none at all, is no hit.
	 * (Subjects are UTF-8 here; SpamAssassin counts ASCII letters.) */
	for (w = s; *w; w++) {
		if (*w >= 'a' && *w <= 'z')
			hit = 0;
		if (isalpha((unsigned char)*w) && (unsigned char)*w < 0x80)
			letters++;
	}
	free(s);
	if (letters == 0)
		return 0;
	raw = hget(ec, "Subject", HM_RAW, NULL);
	if (rx_match(RX_CAPS_CHARSET, raw))
		hit = 0;
	free(raw);
	return hit;
}

/* Escape s for use inside a regex as a literal (\Q...\E). */
static void
quote_meta(struct buf *b, const char *s)
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
static bool
arg_match(const pcre2_code *re, const char *s)
{
	return rx_search(re, NULL, s, strlen(s), 0, 0, NULL, 0) > 0;
}

/*
 * Whether pat, made of the message (an address quoted into it), matches
 * s: compiled for the one use, without the JIT, which costs more than
 * it saves on one short subject.
 */
static bool
match_dynamic(const char *pat, const char *s)
{
	pcre2_code *re = rx_compile(pat, PCRE2_ZERO_TERMINATED, 0, false,
	    NULL, 0);
	bool hit;

	if (re == NULL)
		return false;
	hit = arg_match(re, s);
	pcre2_code_free(re);
	return hit;
}

static unsigned
ev_to_in_subject(const struct rule *r, struct eval_ctx *ec)
{
	char *to = hget_addr(ec, "To"), *subj, *at;
	struct buf p;
	unsigned hit = 0;

	if (to[0] == '\0') {
		free(to);
		return 0;
	}
	subj = hget(ec, "Subject", 0, NULL);
	{
		size_t n = strlen(subj);

		if (n > 0 && subj[n - 1] == '\n')
			subj[n - 1] = '\0';
	}
	buf_init(&p, 4096);
	if (strcmp(r->eargs[0], "address") == 0) {
		buf_puts(&p, "(?i)\\b");
		quote_meta(&p, to);
		buf_puts(&p, "\\b");
		hit = p.p != NULL && match_dynamic(p.p, subj);
	} else if (strcmp(r->eargs[0], "user") == 0) {
		if ((at = strchr(to, '@')) != NULL)
			*at = '\0';
		buf_puts(&p, "(?i)^(?:(?:re|fw):\\s*(?:\\w+\\s+)?");
		quote_meta(&p, to);
		buf_puts(&p, "$|(?-i:");
		quote_meta(&p, to);
		buf_puts(&p, ")\\s*[,:;!?-](?:$|\\s)|");
		quote_meta(&p, to);
		buf_puts(&p, "$|,\\s*");
		quote_meta(&p, to);
		buf_puts(&p, "[,:;!?-]$)");
		hit = p.p != NULL && match_dynamic(p.p, subj);
	}
	buf_free(&p);
	free(subj);
	free(to);
	return hit;
}

static unsigned
ev_header_count_range(const struct rule *r, struct eval_ctx *ec)
{
	size_t n = rules_hdr_count(ec), k = 0;
	struct strlist seen = { 0 };
	double min, max;

	for (size_t i = 0; i < n; i++) {
		const char *v;

		if (strcasecmp(rules_hdr_name(ec, i), r->eargs[0]) != 0)
			continue;
		v = rules_hdr_rawvalue(ec, i);
		if (!strlist_contains(&seen, v)) {
			strlist_add(&seen, v);
			k++;
		}
		if (k > 10000)
			break;
	}
	strlist_free(&seen);
	if (!arg_num(r->eargs[1], &min) || !arg_num(r->eargs[2], &max))
		return 0;
	return (double)k >= min && (double)k <= max;
}

/* Whether s is valid UTF-8 (no overlongs, no surrogates). */
static bool
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07;
		else
			return false;
		if (i + need >= n)
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 &&
		    cp <= 0xdfff))) || (need == 3 && (cp < 0x10000 ||
		    cp > 0x10ffff)))
			return false;
		i += need + 1;
	}
	return true;
}

static unsigned
ev_illegal_chars(const struct rule *r, struct eval_ctx *ec)
{
	struct buf b;
	const char *h = r->eargs[0];
	double ratio, count;
	size_t illegal = 0, len, hi = 0, ctl = 0;
	bool nonws = false;
	unsigned hit;

	if (!arg_num(r->eargs[1], &ratio) || !arg_num(r->eargs[2], &count))
		return 0;
	buf_init(&b, MAX_HDR);
	if (strcmp(h, "ALL") == 0) {
		size_t n = rules_hdr_count(ec);

		for (size_t i = 0; i < n; i++)
			buf_printf(&b, "%s: %s\n", rules_hdr_name(ec, i),
			    rules_hdr_rawvalue(ec, i));
	} else if (rules_hdr_values(ec, h, HM_RAW, &b) > 0)
		buf_putc(&b, '\n');
	len = b.len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b.p[i];

		if (!isspace(c))
			nonws = true;
		if (c >= 0x80)
			hi++;
		if (c <= 0x08 || c == 0x0b || c == 0x0c ||
		    (c >= 0x0e && c <= 0x1f))
			ctl++;
	}
	if (!nonws) {
		buf_free(&b);
		return 0;
	}
	/* Valid UTF-8 with no control characters is legal. */
	if (hi > 0 && ctl == 0 && valid_utf8((unsigned char *)b.p, len)) {
		buf_free(&b);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b.p[i];

		if (c <= 0x08 || c == 0x0b || c == 0x0c ||
		    (c >= 0x0e && c <= 0x1f) || c >= 0x7f)
			illegal++;
	}
	if (illegal > 0 && strcasecmp(h, "Subject") == 0) {
		size_t exempt = 0;

		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)b.p[i];

			if (c == 0xa2 || c == 0xa3 || c == 0xae)
				exempt++;
		}
		if (exempt == 1)
			illegal--;
	}
	hit = (double)illegal / (double)len >= ratio &&
	    (double)illegal >= count;
	buf_free(&b);
	return hit;
}

static unsigned
ev_messageid_not_usable(const struct rule *r, struct eval_ctx *ec)
{
	char *v = hget(ec, "List-Unsubscribe", 0, NULL);
	unsigned hit = 0;
	size_t n = strlen(v);

	(void)r;
	if (n > 0 && v[n - 1] == '\n')
		v[n - 1] = '\0';
	if (rx_match(RX_LISTUNSUB, v) || gated_through_received_hdr_remover(ec))
		hit = 1;
	free(v);
	if (hit)
		return 1;
	v = hget(ec, "Received", 0, NULL);
	hit = rx_match(RX_CWT, v) || rx_match(RX_IPLANET, v);
	free(v);
	return hit;
}

static unsigned
ev_unresolved_template(const struct rule *r, struct eval_ctx *ec)
{
	size_t n = rules_hdr_count(ec);

	(void)r;
	for (size_t i = 0; i < n; i++) {
		char *l = xasprintf("%s: %s", rules_hdr_name(ec, i),
		    rules_hdr_rawvalue(ec, i));
		bool hit;

		/* get('ALL') is decoded and unfolded: each header one line
		 * of it, but a folded one is several; the first line is
		 * what carries the name. */
		hit = rx_match(RX_TEMPLATE, l) && !rx_match(RX_TEMPLATE_OK, l);
		free(l);
		if (hit)
			return 1;
	}
	return 0;
}

static unsigned
ev_ratware_name_id(const struct rule *r, struct eval_ctx *ec)
{
	char *mid = hget_msgid(ec), *from, *want, *pat;
	struct buf p;
	unsigned hit = 0;

	(void)r;
	want = rx_cap1(RX_RATWARE_MID, mid);
	free(mid);
	if (want == NULL)
		return 0;
	from = hget(ec, "From", 0, NULL);
	buf_init(&p, 4096);
	buf_puts(&p, "\"[^\"]+\"\\s*<");
	quote_meta(&p, want);
	buf_puts(&p, ">");
	pat = p.p;
	hit = pat != NULL && match_dynamic(pat, from);
	buf_free(&p);
	free(from);
	free(want);
	return hit;
}

/*
 * The registered domain of a host name, approximated: the last two
 * labels, three when the second-level label is a common public suffix
 * (co.uk, com.au, ...).
 */
static const char *
registered_domain(const char *host)
{
	static const char *const sld[] = { "co", "com", "net", "org", "ac",
		"gov", "edu", "ne", "or", "go", "gob", "mil", NULL };
	const char *p = host + strlen(host), *l1 = NULL, *l2 = NULL;

	for (; p > host; p--)
		if (p[-1] == '.') {
			if (l1 == NULL)
				l1 = p;
			else if (l2 == NULL) {
				l2 = p;
				break;
			}
		}
	if (l1 == NULL)
		return host;
	if (l2 == NULL)
		return host;
	for (const char *const *s = sld; *s; s++)
		if ((size_t)(l1 - 1 - l2) == strlen(*s) &&
		    strncasecmp(l2, *s, strlen(*s)) == 0 &&
		    strlen(l1) == 2) {
			for (p = l2 - 1; p > host; p--)
				if (p[-1] == '.')
					return p;
			return host;
		}
	return l2;
}

static unsigned
ev_ratware_envelope_from(const struct rule *r, struct eval_ctx *ec)
{
	char *to = hget_addr(ec, "To"), *at, *user, *pat;
	const char *from = envfrom_get(ec), *dom;
	struct buf p;
	unsigned hit = 0;

	(void)r;
	if (from == NULL || from[0] == '\0' || to[0] == '\0' ||
	    rx_match(RX_SRS, from) || (at = strchr(to, '@')) == NULL ||
	    at == to || at[1] == '\0') {
		free(to);
		return 0;
	}
	*at = '\0';
	user = to;
	dom = registered_domain(at + 1);
	if (strchr(dom, '.') == NULL) {
		free(to);
		return 0;
	}
	buf_init(&p, 4096);
	buf_puts(&p, "(?i)\\b");
	quote_meta(&p, dom);
	buf_puts(&p, ".");
	quote_meta(&p, user);
	buf_puts(&p, "@");
	pat = p.p;
	hit = pat != NULL && match_dynamic(pat, from);
	buf_free(&p);
	free(to);
	return hit;
}

/* With ok_locales at its default ("all"), no charset is far away. */
static unsigned
ev_never(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	(void)ec;
	return 0;
}

/* ---- RelayEval ---- */

/*
 * Received headers SpamAssassin would count as unparseable: those from
 * a sending host that name no address Warden can read, less the local
 * hand-overs and the forms SpamAssassin itself ignores.
 */
static void
relays_work(struct eval_ctx *ec)
{
	struct cache *c = cache_get(ec);
	size_t n = rules_hdr_count(ec);

	if (c->relays_done)
		return;
	c->relays_done = true;
	for (size_t i = 0; i < n; i++) {
		struct relay rr;
		const char *v;

		if (strcasecmp(rules_hdr_name(ec, i), "Received") != 0)
			continue;
		v = rules_hdr_rawvalue(ec, i);
		if (relays_parse_received(v, &rr) == 0) {
			relays_relay_clear(&rr);
			continue;
		}
		/* Forms SpamAssassin ignores, and those with an address it
		 * would read where Warden's reader does not. */
		{
			char *sq = squash_ws(xstrdup(v));
			bool skip;

			trim(sq);
			skip = rx_match(RX_RCVD_IGNORE, sq) ||
			    rx_match(RX_RCVD_IP, sq);
			free(sq);
			if (skip)
				continue;
		}
		c->nunparseable++;
	}
}

static unsigned
ev_all_trusted(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	relays_work(ec);
	return rl->ntrusted > 0 && rl->n == rl->ntrusted &&
	    cache_get(ec)->nunparseable == 0;
}

static unsigned
ev_no_relays(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	relays_work(ec);
	return rl->n == 0 && cache_get(ec)->nunparseable == 0;
}

static unsigned
ev_relays_unparseable(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	relays_work(ec);
	return cache_get(ec)->nunparseable > 0;
}

/*
 * As SpamAssassin's _check_received_helos() computes it: each public
 * untrusted hop sets the result afresh, so the oldest one decides.
 */
static unsigned
ev_no_rdns_dotcom_helo(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);
	unsigned hit = 0;

	(void)r;
	for (size_t i = rl->ntrusted; i < rl->n; i++) {
		const struct relay *h = &rl->v[i];

		if (relays_ip_private(h->ip) || h->helo == NULL)
			continue;
		hit = rx_match(RX_NO_RDNS_HELO, h->helo) && h->no_rdns;
	}
	return hit;
}

static unsigned
ev_helo_ip_mismatch(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	for (size_t i = rl->ntrusted; i < rl->n; i++) {
		const struct relay *h = &rl->v[i];
		const char *d3;
		size_t pre;

		if (!is_ipv4(h->helo) || relays_ip_private(h->helo))
			continue;
		if (!is_ipv4(h->ip) || relays_ip_private(h->ip) ||
		    strcmp(h->helo, h->ip) == 0)
			continue;
		/* The first three octets of the HELO, with the dot. */
		d3 = strrchr(h->helo, '.');
		pre = (size_t)(d3 - h->helo) + 1;
		if (strncmp(h->ip, h->helo, pre) != 0)
			return 1;
	}
	return 0;
}

/* RelayEval's hostname_to_domain(). */
static char *
host_to_domain(const char *h)
{
	const char *p, *labels[3] = { NULL, NULL, NULL };
	size_t nl = 0, n = strlen(h);
	bool alpha = false;

	for (p = h; *p; p++)
		if (isalpha((unsigned char)*p))
			alpha = true;
	if (!alpha)
		return xstrdup(h);
	for (p = h + n; p > h && nl < 3; p--)
		if (p[-1] == '.')
			labels[nl++] = p;
	{
		/* Perl's split drops trailing empty fields. */
		size_t parts = 1;

		for (p = h; *p; p++)
			if (*p == '.')
				parts++;
		if (parts > 1 && labels[0] != NULL) {
			const char *last = labels[0];
			bool tld3 = strlen(last) >= 3 ||
			    strstr(last, "ie") || strstr(last, "fr") ||
			    strstr(last, "de");
			bool ws = false;

			for (p = last; *p; p++)
				if (isspace((unsigned char)*p))
					ws = true;
			if (tld3 && !ws)
				return xstrdup(labels[1] ? labels[1] : h);
		}
		if (parts > 2)
			return xstrdup(labels[2] ? labels[2] : h);
	}
	return xstrdup(h);
}

static bool
dotted_host(const char *s)
{
	/* ^\w+(?:[\w.-]+\.)+\w+$ */
	const char *last_dot = strrchr(s, '.');

	if (last_dot == NULL || last_dot == s || last_dot[1] == '\0')
		return false;
	if (!(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '.' ||
		    *p == '-'))
			return false;
	for (const char *p = last_dot + 1; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return false;
	/* At least one character between the first word and the dot. */
	return last_dot - s >= 2;
}

static unsigned
ev_forged_received_trail(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);
	size_t nu = rl->n - rl->ntrusted;
	char **from, *prev;
	unsigned mismatch = 0;

	(void)r;
	if (nu == 0)
		return 0;
	from = xcalloc(nu, sizeof(*from));
	for (size_t i = 0; i < nu; i++) {
		const struct relay *h = &rl->v[rl->ntrusted + i];
		char *lc = lower(xstrdup(h->rdns));

		from[i] = host_to_domain(lc);
		free(lc);
		if ((strcmp(from[i], "localhost") == 0 ||
		    strcmp(from[i], "localhost.localdomain") == 0) &&
		    strcmp(h->ip, "127.0.0.1") == 0) {
			free(from[i]);
			from[i] = NULL;
		}
	}
	for (size_t i = 0; i < nu; i++) {
		const struct relay *h = &rl->v[rl->ntrusted + i];
		char *lc = lower(xstrdup(h->by)), *by = host_to_domain(lc);

		free(lc);
		if (!dotted_host(by)) {
			free(by);
			continue;
		}
		prev = i > 0 ? from[i - 1] : NULL;
		if (prev != NULL && dotted_host(prev) && strcmp(by, prev) != 0 &&
		    !(strcmp(by, "msn.com") == 0 &&
		    strcmp(prev, "hotmail.com") == 0))
			mismatch++;
		free(by);
	}
	for (size_t i = 0; i < nu; i++)
		free(from[i]);
	free(from);
	return mismatch > 1;
}

static unsigned
ev_numeric_helo(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	for (size_t i = rl->ntrusted; i < rl->n; i++)
		if (is_ipv4(rl->v[i].helo) && !relays_ip_private(rl->v[i].helo))
			return 1;
	return 0;
}

static unsigned
ev_sender_no_reverse(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);
	const struct relay *h;

	(void)r;
	if (rl->n == rl->ntrusted)
		return 0;
	h = &rl->v[rl->n - 1];
	return strchr(h->rdns, '.') != NULL && !relays_ip_private(h->ip);
}

static unsigned
ev_forged_received_ip_helo(const struct rule *r, struct eval_ctx *ec)
{
	const struct relays *rl = rules_hdr_relays(ec);

	(void)r;
	for (size_t i = rl->ntrusted; i < rl->n; i++) {
		const struct relay *h = &rl->v[i];
		char *lc = lower(xstrdup(h->by)), *by = host_to_domain(lc);
		bool ok = dotted_host(by);

		free(lc);
		free(by);
		if (!ok || !is_ipv4(h->helo) || !is_ipv4(h->ip) ||
		    strcmp(h->helo, h->ip) == 0 || relays_ip_private(h->helo))
			continue;
		/* Different class B networks. */
		{
			const char *a = strchr(h->helo, '.');
			const char *b = strchr(h->ip, '.');

			a = strchr(a + 1, '.');
			b = strchr(b + 1, '.');
			if (a - h->helo != b - h->ip ||
			    strncmp(h->helo, h->ip, (size_t)(a - h->helo)) != 0)
				return 1;
		}
	}
	return 0;
}

/* ---- The MIME structure, as SpamAssassin's Message.pm splits it ---- */

#define MAX_BODY_LINE	2048	/* SpamAssassin splits longer lines */

static void
add_line(struct mime_state *m, const char *p, size_t n)
{
	if (m->nlines >= MAX_LINES)
		return;
	if (m->nlines == m->lcap) {
		m->lcap = m->lcap ? m->lcap * 2 : 256;
		m->lines = xrealloc(m->lines, m->lcap * sizeof(*m->lines));
	}
	m->lines[m->nlines].p = p;
	m->lines[m->nlines].n = n;
	m->nlines++;
}

static bool
line_is(const struct mime_state *m, size_t i, int id)
{
	return rx_exec(id, m->lines[i].p, m->lines[i].n, 0, NULL, 0);
}

/* A header being collected: name and unfolded value. */
struct phdr {
	char   *ctype, *cte, *cd;	/* last of each (owned) */
};

static void
phdr_free(struct phdr *h)
{
	free(h->ctype);
	free(h->cte);
	free(h->cd);
	memset(h, 0, sizeof(*h));
}

/* Take one complete header field "Name: value" (folding kept). */
static void
phdr_take(struct phdr *h, const char *f, size_t n)
{
	const char *colon = memchr(f, ':', n);
	char **dst = NULL, *v;
	size_t kl;

	if (colon == NULL)
		return;
	kl = (size_t)(colon - f);
	while (kl > 0 && (f[kl - 1] == ' ' || f[kl - 1] == '\t'))
		kl--;
	if (kl == 12 && strncasecmp(f, "Content-Type", 12) == 0)
		dst = &h->ctype;
	else if (kl == 25 &&
	    strncasecmp(f, "Content-Transfer-Encoding", 25) == 0)
		dst = &h->cte;
	else if (kl == 19 && strncasecmp(f, "Content-Disposition", 19) == 0)
		dst = &h->cd;
	if (dst == NULL)
		return;
	v = xstrndup(colon + 1, n - (size_t)(colon + 1 - f));
	for (char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	squash_ws(v);
	trim(v);
	free(*dst);
	*dst = v;
}

/*
 * Util.pm's parse_content_type(): the type (text/plain when missing or
 * an unknown text type), the boundary and the charset (NULL when none).
 */
static char *
parse_ctype(const char *ct, char **boundary, char **charset)
{
	const char *v = ct != NULL && *ct ? ct : "text/plain; charset=us-ascii";
	char *t, *b;
	size_t n;

	if (boundary != NULL) {
		*boundary = NULL;
		if ((b = rx_cap1(RX_BOUNDARY, v)) != NULL) {
			char *w = b;

			for (char *p = b; *p; p++)
				if (*p != '"')
					*w++ = *p;
			*w = '\0';
			*boundary = b;
		}
	}
	if (charset != NULL)
		*charset = rx_cap1(RX_CHARSET, v);
	while (isspace((unsigned char)*v))
		v++;
	n = strcspn(v, ";");
	t = xstrndup(v, n);
	/* Only "something/something" up to white space or a second /. */
	{
		char *sl = strchr(t, '/');

		if (sl != NULL) {
			size_t k = strcspn(sl + 1, "/ \t\r\n");

			sl[1 + k] = '\0';
		}
		if (sl == NULL || sl == t) {
			char *e = t + strcspn(t, "/");

			*e = '\0';
		}
	}
	lower(t);
	if (t[0] == '\0' || (strncmp(t, "text", 4) == 0 &&
	    (t[4] == '\0' || t[4] == '/' || !isalnum((unsigned char)t[4])) &&
	    strcmp(t, "text/x-vcard") != 0 && strcmp(t, "text/calendar") != 0 &&
	    strcmp(t, "text/html") != 0)) {
		free(t);
		t = xstrdup("text/plain");
	}
	/* tr/\000-\040\177-\377\042\050\051\054\072-\077\100\133-\135//d */
	{
		char *w = t;

		for (char *p = t; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (c <= 0x20 || c >= 0x7f || c == '"' || c == '(' ||
			    c == ')' || c == ',' || (c >= ':' && c <= '?') ||
			    c == '@' || (c >= '[' && c <= ']'))
				continue;
			*w++ = *p;
		}
		*w = '\0';
	}
	return t;
}

/*
 * Node.pm's effective_type(): a part whose name (Content-Disposition's
 * /name=\s*"?([^";]+)"?/i, else Content-Type's name parameter) ends in
 * .htm, .html, .shtm or .shtml is HTML whatever its type.
 */
static bool
html_name(const struct phdr *h)
{
	const char *v = NULL, *p, *e;
	size_t n;

	if (h->cd != NULL && (p = strcasestr(h->cd, "name=")) != NULL) {
		v = p + 5;
		while (isspace((unsigned char)*v))
			v++;
		if (*v == '"')
			v++;
		n = strcspn(v, "\";");
		if (n == 0)
			v = NULL;
	}
	if (v == NULL && h->ctype != NULL) {
		for (p = h->ctype; (p = strcasestr(p, "name")) != NULL; p++) {
			if (p > h->ctype && (isalnum((unsigned char)p[-1]) ||
			    p[-1] == '_'))
				continue;
			e = p + 4;
			while (isspace((unsigned char)*e))
				e++;
			if (*e != '=')
				continue;
			e++;
			while (isspace((unsigned char)*e))
				e++;
			if (*e == '"' || *e == '\'')
				e++;
			v = e;
			break;
		}
		if (v == NULL)
			return false;
		n = strcspn(v, "\"';");
	} else if (v == NULL)
		return false;
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	for (const char *const *x = (const char *const[]){ ".htm", ".html",
	    ".shtm", ".shtml", NULL }; *x; x++) {
		size_t el = strlen(*x);

		if (n >= el && strncasecmp(v + n - el, *x, el) == 0)
			return true;
	}
	return false;
}

static int
add_part(struct mime_state *m, const struct phdr *h, int parent,
    char **boundary)
{
	struct sapart *p;
	char *cs = NULL;

	m->parts = xrealloc(m->parts, (m->nparts + 1) * sizeof(*m->parts));
	p = &m->parts[m->nparts];
	memset(p, 0, sizeof(*p));
	p->type = parse_ctype(h->ctype, boundary, &cs);
	p->charset = cs != NULL ? lower(cs) : xstrdup("");
	p->cte = lower(xstrdup(h->cte ? h->cte : ""));
	p->cd = lower(xstrdup(h->cd ? h->cd : ""));
	p->parent = parent;
	p->html = strcmp(p->type, "text/html") == 0 || html_name(h);
	return (int)m->nparts++;
}

/* Whether the part's Content-Type had a charset parameter at all. */
static bool
has_charset(const struct sapart *p)
{
	return p->charset[0] != '\0';
}

struct pqueue {
	int     part;
	char   *boundary;
	size_t  first, last;
};

/*
 * Message.pm's _parse_multipart(): split lines [first, last) of part pi
 * at boundary, queueing the subparts.  Flags go to m.
 */
static void
parse_multipart(struct mime_state *m, int pi, const char *boundary,
    size_t first, size_t last, struct pqueue **q, size_t *nq, size_t *qcap,
    int *state)
{
	size_t line, blen = boundary ? strlen(boundary) : 0;
	size_t pstart = 0;
	struct phdr h;
	bool in_body = false, nested = false, have_part = false;
	const char *hstart = NULL;
	size_t hlen = 0;
	unsigned partcnt = 0;

	/* Ignore the preamble up to the opening boundary. */
	if (boundary != NULL) {
		for (line = first; line < last; line++) {
			const struct line *l = &m->lines[line];
			size_t k;

			if (l->n < 2 + blen || l->p[0] != '-' || l->p[1] != '-' ||
			    memcmp(l->p + 2, boundary, blen) != 0)
				continue;
			for (k = 2 + blen; k < l->n &&
			    isspace((unsigned char)l->p[k]); k++)
				;
			if (k != l->n)
				continue;
			*state = 1;
			if (line + 1 < last &&
			    !line_is(m, line + 1, RX_HDR_FIELD))
				m->missing_mime_headers = true;
			break;
		}
		if (line < last)
			first = line + 1;
	}
	memset(&h, 0, sizeof(h));
	for (line = first; line < last; line++) {
		const struct line *l = &m->lines[line];
		bool end = false, last_end = false;
		size_t remaining = last - line - 1;

		if (boundary != NULL && l->n >= 2 + blen && l->p[0] == '-' &&
		    l->p[1] == '-' && memcmp(l->p + 2, boundary, blen) == 0) {
			size_t k = 2 + blen;

			if (l->n >= k + 2 && l->p[k] == '-' &&
			    l->p[k + 1] == '-') {
				last_end = true;
				k += 2;
			}
			for (; k < l->n && isspace((unsigned char)l->p[k]); k++)
				;
			end = k == l->n;
			if (!end)
				last_end = false;
		}
		if (end && nested) {
			end = false;
			if (last_end)
				nested = false;
			last_end = false;
		}
		if (remaining == 0 || end) {
			size_t pend = end ? line : line + 1;
			int ci;
			char *cb = NULL;

			if (hstart != NULL && !in_body) {
				phdr_take(&h, hstart, hlen);
				hstart = NULL;
			}
			if (!have_part)
				pstart = pend;
			/* The line end before a boundary belongs to it: a
			 * blank last line is dropped. */
			if (end && pend > pstart && m->lines[pend - 1].n == 0)
				pend--;
			ci = add_part(m, &h, pi, &cb);
			if (cb == NULL && boundary != NULL)
				cb = xstrdup(boundary);
			if (*nq == *qcap) {
				*qcap = *qcap ? *qcap * 2 : 16;
				*q = xrealloc(*q, *qcap * sizeof(**q));
			}
			(*q)[*nq].part = ci;
			(*q)[*nq].boundary = cb;
			(*q)[*nq].first = pstart;
			(*q)[*nq].last = pend < pstart ? pstart : pend;
			(*nq)++;
			phdr_free(&h);
			if (boundary != NULL) {
				if (last_end) {
					(*state)--;
					line++;
					break;
				} else if (remaining > 0 &&
				    !line_is(m, line + 1, RX_HDR_FIELD))
					m->missing_mime_headers = true;
			}
			if (++partcnt == MAX_PARTS || m->nparts >= MAX_PARTS) {
				m->part_limit = true;
				return;
			}
			in_body = false;
			have_part = false;
			continue;
		}
		if (!in_body) {
			if (line_is(m, line, RX_HDR_FIELD_WS)) {
				if (hstart != NULL)
					phdr_take(&h, hstart, hlen);
				hstart = l->p;
				hlen = l->n;
				continue;
			}
			if ((l->n > 0 && (l->p[0] == ' ' || l->p[0] == '\t')) &&
			    hstart != NULL) {
				/* A continuation: the lines are contiguous in
				 * the text, so the field grows in place. */
				hlen = (size_t)(l->p + l->n - hstart);
				continue;
			}
			if (hstart != NULL) {
				phdr_take(&h, hstart, hlen);
				if (boundary != NULL && h.ctype != NULL) {
					char *nb = NULL, *t;

					t = parse_ctype(h.ctype, &nb, NULL);
					if (nb != NULL && strcmp(nb, boundary) == 0)
						nested = true;
					free(nb);
					free(t);
				}
				hstart = NULL;
			}
			in_body = true;
			if (l->n == 0) {
				pstart = line + 1;
				have_part = true;
				continue;
			}
			m->missing_mime_hb_sep = true;
			pstart = line;
			have_part = true;
		}
	}
	phdr_free(&h);
	/* An epilogue: anything but white space and dots after the end. */
	for (; line < last; line++)
		for (size_t k = 0; k < m->lines[line].n; k++) {
			char c = m->lines[line].p[k];

			if (!isspace((unsigned char)c) && c != '.') {
				m->epilogue = true;
				return;
			}
		}
}

static void
mime_work(struct eval_ctx *ec)
{
	struct cache *c = cache_get(ec);
	struct mime_state *m = &c->m;
	const char *src = ec->msg;
	size_t len = ec->msglen, body, i;
	struct phdr h;
	const char *hstart = NULL;
	size_t hlen = 0;
	unsigned hdr_errors = 0;
	bool sep = false;
	struct pqueue *q = NULL;
	size_t nq = 0, qcap = 0, qi;
	int states[MAX_PARTS];
	size_t nstates = 0;
	char *w;

	if (m->done)
		return;
	m->done = true;
	/* The text with CR dropped before LF; lines over 2048 bytes split
	 * as SpamAssassin splits them. */
	m->text = w = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (src[i] == '\r' && i + 1 < len && src[i + 1] == '\n')
			continue;
		*w++ = src[i];
	}
	*w = '\0';
	m->textlen = (size_t)(w - m->text);
	{
		const char *p = m->text, *end = w;

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

			add_line(m, p, n);
			p += n + (nl != NULL);
		}
	}
	/* The message header. */
	memset(&h, 0, sizeof(h));
	for (i = 0; i < m->nlines; i++) {
		const struct line *l = &m->lines[i];

		if (l->n > 0 && (l->p[0] == ' ' || l->p[0] == '\t')) {
			if (hstart == NULL) {
				hstart = l->p;
				hlen = 0;
			}
			hlen = (size_t)(l->p + l->n - hstart);
			continue;
		}
		if (hstart != NULL) {
			const char *colon = memchr(hstart, ':', hlen);

			if (colon != NULL) {
				if ((size_t)(colon - hstart) > 256 ||
				    hlen - (size_t)(colon - hstart) - 1 > 8192)
					m->truncated_header = true;
				phdr_take(&h, hstart, hlen);
			}
			hstart = NULL;
		}
		if (l->n == 0) {
			sep = true;
			i++;
			break;
		}
		if (l->n >= 2 && l->p[0] == '-' && l->p[1] == '-') {
			m->missing_hb_sep = true;
			break;
		}
		if (!line_is(m, i, RX_HDR_FIELD_WS) && ++hdr_errors > 3) {
			m->missing_hb_sep = true;
			break;
		}
		hstart = l->p;
		hlen = l->n;
	}
	if (hstart != NULL) {
		phdr_take(&h, hstart, hlen);
		hstart = NULL;
	}
	/* The header ran to the end of the message. */
	if (!sep && i >= m->nlines)
		m->missing_hb_sep = true;
	body = i > m->nlines ? m->nlines : i;
	/* The tree, breadth first as Message.pm's parse queue. */
	{
		char *b = NULL;
		int root = add_part(m, &h, -1, &b);

		phdr_free(&h);
		qcap = 16;
		q = xmalloc(qcap * sizeof(*q));
		q[0].part = root;
		q[0].boundary = b;
		q[0].first = body;
		q[0].last = m->nlines;
		nq = 1;
	}
	for (qi = 0; qi < nq; qi++) {
		struct sapart *p = &m->parts[q[qi].part];

		if (strncmp(p->type, "multipart/", 10) == 0 &&
		    m->nparts < MAX_PARTS) {
			int st = 0;

			parse_multipart(m, q[qi].part, q[qi].boundary,
			    q[qi].first, q[qi].last, &q, &nq, &qcap, &st);
			if (nstates < MAX_PARTS)
				states[nstates++] = st;
			m->parts[q[qi].part].leaf = false;
		} else {
			p->leaf = true;
			p->first = q[qi].first;
			p->last = q[qi].last;
		}
	}
	for (i = 0; i < nstates; i++)
		if (states[i] != 0)
			m->missing_boundary = true;
	for (qi = 0; qi < nq; qi++)
		free(q[qi].boundary);
	free(q);
}

/* The parts in SpamAssassin's find_parts() order: depth first. */
static void
part_order(const struct mime_state *m, int pi, int *out, size_t *n)
{
	out[(*n)++] = pi;
	for (size_t i = 0; i < m->nparts && *n < m->nparts; i++)
		if (m->parts[i].parent == pi)
			part_order(m, (int)i, out, n);
}

/* ---- MIMEEval ---- */

static void
attachments_work(struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	size_t qp_bytes = 0, normal = 0, nord = 0;
	double qp_count = 0;
	unsigned unicode = 0;
	int *order, part = -1;
	size_t *part_bytes;
	bool *part_counted;
	const char **part_type;
	struct buf cs;

	mime_work(ec);
	if (m->att_done)
		return;
	m->att_done = true;
	m->multipart_ratio = 1.0;
	order = xcalloc(m->nparts + 1, sizeof(*order));
	part_bytes = xcalloc(m->nparts + 1, sizeof(*part_bytes));
	part_counted = xcalloc(m->nparts + 1, sizeof(*part_counted));
	part_type = xcalloc(m->nparts + 1, sizeof(*part_type));
	if (m->nparts > 0)
		part_order(m, 0, order, &nord);
	buf_init(&cs, 64 * 1024);
	for (size_t oi = 0; oi < nord; oi++) {
		const struct sapart *p = &m->parts[order[oi]];
		bool att = strstr(p->cd, "attachment") != NULL;

		if (strcmp(p->type, "multipart/alternative") == 0)
			m->multipart_alternative = true;
		/* _check_mime_header */
		if (strcmp(p->type, "text/html") == 0)
			m->html_count++;
		else if (strncmp(p->type, "text", 4) == 0)
			m->text_count++;
		if (strstr(p->cte, "base64") != NULL)
			m->base64_count++;
		else if (strstr(p->cte, "quoted-printable") != NULL)
			m->qp_count++;
		if (att)
			m->attachments++;
		if (strncmp(p->type, "text", 4) == 0 &&
		    strstr(p->cte, "base64") != NULL &&
		    (p->charset[0] == '\0' ||
		    rx_match(RX_B64_CHARSET, p->charset)) &&
		    !(strncmp(p->cd, "attachment", 10) == 0 ||
		    strncmp(p->cd, "inline", 6) == 0))
			m->base64_text = true;
		if (rx_match(RX_ISO_BAD, p->charset) &&
		    !rx_match(RX_ISO_OK, p->charset))
			m->bad_iso_charset = true;
		{
			bool letter = false;

			for (const char *s = p->charset; *s; s++)
				if (isalpha((unsigned char)*s))
					letter = true;
			if (letter) {
				if (cs.len > 0)
					buf_putc(&cs, ' ');
				buf_puts(&cs, p->charset);
			}
		}
		if (!p->leaf)
			continue;
		part++;
		part_type[part] = p->type;
		part_counted[part] = !att;
		for (size_t li = p->first; li < p->last; li++) {
			const struct line *l = &m->lines[li];
			/* Perl's lines keep their "\n" (the last may not). */
			size_t len = l->n + (l->p + l->n < m->text +
			    m->textlen ? 1 : 0);

			if (m->multipart_alternative && !att &&
			    (strcmp(p->type, "text/plain") == 0 ||
			    strcmp(p->type, "text/html") == 0))
				part_bytes[part] += len;
			if (strcmp(p->cte, "quoted-printable") == 0 &&
			    !(l->n >= 6 && memcmp(l->p, "SPAM: ", 6) == 0)) {
				if (len > 79)
					m->qp_long_line = true;
				qp_bytes += len;
				if (memchr(l->p, '=', l->n) != NULL) {
					unsigned k = rx_count(RX_QP_ESC, l->p,
					    l->n);

					if (k > 0) {
						size_t ov[4];

						qp_count += k;
						if (rx_exec(RX_QP_TRAIL, l->p,
						    l->n, 0, ov, 2) &&
						    ov[2] != (size_t)-1)
							qp_count -= (double)
							    (ov[3] - ov[2]) / 3;
					}
				}
			}
			if (strcmp(p->type, "text/plain") == 0 &&
			    (!has_charset(p) ||
			    strcmp(p->charset, "us-ascii") == 0)) {
				for (size_t k = 0; k < l->n; k++) {
					unsigned char ch = (unsigned char)l->p[k];

					if (ch == 0 || ch == '\r' || ch >= 0x80) {
						m->ascii_illegal++;
						break;
					}
				}
			}
			if (strcmp(p->type, "text/plain") == 0 &&
			    (p->cte[0] == '\0' || strcmp(p->cte, "7bit") == 0 ||
			    strcmp(p->cte, "8bit") == 0)) {
				unsigned k = rx_count(RX_UNICODE_ENT, l->p,
				    l->n);

				unicode += k;
				normal += len - 8 * (size_t)k;
			}
		}
	}
	if (qp_bytes > 0) {
		m->qp_ratio = qp_count / (double)qp_bytes;
		m->qp_count = (unsigned)qp_count;
	}
	if (normal > 0)
		m->unicode_ratio = (double)unicode / (double)normal;
	if (m->multipart_alternative) {
		bool ht = false, tt = false;
		size_t hb = 0, tb = 0;

		for (int i = part; i >= 0; i--) {
			if (!part_counted[i])
				continue;
			if (!ht && strcmp(part_type[i], "text/html") == 0) {
				hb = part_bytes[i];
				ht = true;
			} else if (!tt &&
			    strcmp(part_type[i], "text/plain") == 0) {
				tb = part_bytes[i];
				tt = true;
			}
			if (ht && tt)
				break;
		}
		if (ht && tt && hb > 0)
			m->multipart_ratio = (double)tb / (double)hb;
	}
	m->html_charsets = cs.p != NULL ? buf_steal(&cs) : xstrdup("");
	buf_free(&cs);
	free(order);
	free(part_bytes);
	free(part_counted);
	free(part_type);
}

static unsigned
ev_check_for_mime(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	const char *t = r->eargs[r->neargs - 1];

	attachments_work(ec);
	if (strcmp(t, "mime_base64_count") == 0)
		return m->base64_count > 0;
	if (strcmp(t, "mime_base64_encoded_text") == 0)
		return m->base64_text;
	if (strcmp(t, "mime_body_html_count") == 0)
		return m->html_count > 0;
	if (strcmp(t, "mime_body_text_count") == 0)
		return m->text_count > 0;
	if (strcmp(t, "mime_missing_boundary") == 0)
		return m->missing_boundary;
	if (strcmp(t, "mime_multipart_alternative") == 0)
		return m->multipart_alternative;
	if (strcmp(t, "mime_multipart_ratio") == 0)
		return m->multipart_ratio != 0;
	if (strcmp(t, "mime_qp_count") == 0)
		return m->qp_count > 0;
	if (strcmp(t, "mime_qp_long_line") == 0)
		return m->qp_long_line;
	if (strcmp(t, "mime_qp_ratio") == 0)
		return m->qp_ratio != 0;
	if (strcmp(t, "mime_ascii_text_illegal") == 0)
		return m->ascii_illegal > 0;
	if (strcmp(t, "mime_text_unicode_ratio") == 0)
		return m->unicode_ratio != 0;
	if (strcmp(t, "mime_bad_iso_charset") == 0)
		return m->bad_iso_charset;
	if (strcmp(t, "mime_attachment") == 0)
		return m->attachments > 0;
	/* mime_faraway_charset: never with ok_locales "all";
	 * mimepart_limit_exceeded and others: not kept where this test
	 * looks, in SpamAssassin either. */
	return 0;
}

/* The message's Content-Type starts with text/html. */
static bool
top_is_html(struct eval_ctx *ec)
{
	char *ct = hget(ec, "Content-Type", 0, NULL);
	bool r = strncasecmp(ct, "text/html", 9) == 0;

	free(ct);
	return r;
}

static unsigned
ev_mime_html(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	if (top_is_html(ec))
		return 1;
	attachments_work(ec);
	return cache_get(ec)->m.html_count > 0;
}

static unsigned
ev_mime_html_only(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;

	(void)r;
	if (top_is_html(ec))
		return 1;
	attachments_work(ec);
	return m->html_count > 0 && m->text_count == 0;
}

static unsigned
ev_multipart_ratio(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	double min, max;

	attachments_work(ec);
	if (!arg_num(r->eargs[r->neargs - 2], &min) ||
	    !arg_num(r->eargs[r->neargs - 1], &max))
		return 0;
	return m->multipart_ratio >= min && m->multipart_ratio < max;
}

static unsigned
ev_parse_flags(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	const char *t = r->eargs[r->neargs - 1];

	mime_work(ec);
	if (strcmp(t, "missing_head_body_separator") == 0)
		return m->missing_hb_sep;
	if (strcmp(t, "missing_mime_head_body_separator") == 0)
		return m->missing_mime_hb_sep;
	if (strcmp(t, "mime_epilogue_exists") == 0)
		return m->epilogue;
	if (strcmp(t, "missing_mime_headers") == 0)
		return m->missing_mime_headers;
	if (strcmp(t, "truncated_header") == 0)
		return m->truncated_header;
	if (strcmp(t, "mimepart_limit_exceeded") == 0)
		return m->part_limit;
	return 0;
}

static unsigned
ev_ascii_text_illegal(const struct rule *r, struct eval_ctx *ec)
{
	(void)r;
	attachments_work(ec);
	return cache_get(ec)->m.ascii_illegal > 0;
}

static unsigned
ev_unicode_ratio(const struct rule *r, struct eval_ctx *ec)
{
	const char *a = r->eargs[r->neargs - 1];
	double ratio;
	size_t i = 0, dot;

	/* ^\d{0,3}\.\d{1,3}$ */
	while (isdigit((unsigned char)a[i]))
		i++;
	dot = i;
	if (dot > 3 || a[i] != '.')
		return 0;
	for (i++; isdigit((unsigned char)a[i]); i++)
		;
	if (a[i] != '\0' || i - dot - 1 < 1 || i - dot - 1 > 3)
		return 0;
	ratio = strtod(a, NULL);
	attachments_work(ec);
	return cache_get(ec)->m.unicode_ratio >= ratio;
}

static unsigned
ev_base64_length(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	double min, max;
	bool have_max;

	mime_work(ec);
	if (!m->base64_len_done) {
		m->base64_len_done = true;
		for (size_t i = 0; i < m->nparts; i++) {
			const struct sapart *p = &m->parts[i];

			if (!p->leaf || strcmp(p->type, "application/ics") == 0 ||
			    strcmp(p->cte, "base64") != 0)
				continue;
			for (size_t li = p->first; li < p->last; li++) {
				size_t n = m->lines[li].n + 1;

				if (n > m->base64_len)
					m->base64_len = n;
			}
		}
	}
	if (!arg_num(r->eargs[0], &min))
		return 0;
	have_max = r->neargs > 1 && arg_num(r->eargs[1], &max);
	if (have_max && (double)m->base64_len > max)
		return 0;
	return (double)m->base64_len >= min;
}

static unsigned
ev_qp_ratio(const struct rule *r, struct eval_ctx *ec)
{
	double min;

	if (!arg_num(r->eargs[0], &min))
		return 0;
	attachments_work(ec);
	return cache_get(ec)->m.qp_ratio >= min;
}

static unsigned
ev_ma_non_text(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;

	(void)r;
	mime_work(ec);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct sapart *p = &m->parts[i];
		const struct sapart *pp;

		if (!p->leaf || p->parent < 0)
			continue;
		pp = &m->parts[p->parent];
		if (strcmp(pp->type, "multipart/alternative") != 0)
			continue;
		if (strcmp(p->type, "multipart/related") == 0 ||
		    strcmp(p->type, "application/rtf") == 0 ||
		    strncmp(p->type, "text/", 5) == 0)
			continue;
		return 1;
	}
	return 0;
}

/* MIMEEval's body_charset_is_likely_to_fp(). */
static bool
charset_likely_fp(struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	char *ct = hget(ec, "Content-Type", 0, NULL), *cs;
	char *save = NULL, *all;
	bool r = false;

	attachments_work(ec);
	cs = rx_cap1(RX_CHARSET, ct);
	if (cs != NULL) {
		char *e = cs + strcspn(cs, " \t\n\"'");

		*e = '\0';
		r = rx_match(RX_CAPS_FP, cs);
		free(cs);
	}
	free(ct);
	if (r)
		return true;
	all = xstrdup(m->html_charsets ? m->html_charsets : "");
	for (char *t = strtok_r(all, " ", &save); t != NULL && !r;
	    t = strtok_r(NULL, " ", &save))
		r = rx_match(RX_CAPS_FP, t);
	free(all);
	return r;
}

static unsigned
ev_uppercase(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	double min, max;

	if (!arg_num(r->eargs[r->neargs - 2], &min) ||
	    !arg_num(r->eargs[r->neargs - 1], &max))
		return 0;
	if (!m->uppercase_done) {
		const struct strlist *b = &ec->mt->body;
		size_t len = 0, lo = 0, up = 0;

		m->uppercase_done = true;
		m->uppercase = 0;
		if (charset_likely_fp(ec))
			return 0;
		for (size_t i = 0; i < b->n; i++) {
			const char *l = b->v[i];
			size_t n = strlen(l), ov[2];

			/* \S\s+\S */
			{
				bool ok = false;

				for (size_t k = 1; k + 1 < n && !ok; k++)
					if (isspace((unsigned char)l[k]) &&
					    !isspace((unsigned char)l[k - 1])) {
						size_t e = k;

						while (e < n && isspace(
						    (unsigned char)l[e]))
							e++;
						ok = e < n;
					}
				if (!ok)
					continue;
			}
			if (rx_exec(RX_UPPER_B64, l, n, 0, NULL, 0))
				continue;
			if (rx_exec(RX_JIS, l, n, 0, ov, 1))
				n -= ov[1] - ov[0];
			len += n;
			for (const char *p = l; *p; p++) {
				if ((*p >= 'a' && *p <= 'z') ||
				    (*p >= '0' && *p <= '9'))
					lo++;
				else if (*p >= 'A' && *p <= 'Z')
					up++;
			}
		}
		if (len >= 200 && up + lo > 0)
			m->uppercase = (double)up / (double)(up + lo) * 100;
	}
	return m->uppercase > min && m->uppercase <= max;
}

/* ---- BodyEval ---- */

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A leaf part's body, decoded from its transfer encoding, into out. */
static void
part_decode(const struct mime_state *m, const struct sapart *p,
    struct buf *out)
{
	bool b64 = strcmp(p->cte, "base64") == 0;
	bool qp = strcmp(p->cte, "quoted-printable") == 0;
	unsigned acc = 0;
	int bits = 0;

	for (size_t li = p->first; li < p->last; li++) {
		const char *s = m->lines[li].p;
		size_t n = m->lines[li].n;

		if (b64) {
			for (size_t k = 0; k < n; k++) {
				int v = b64val((unsigned char)s[k]);

				if (v < 0)
					continue;
				acc = (acc << 6) | (unsigned)v;
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					buf_putc(out, (int)((acc >> bits) & 0xff));
				}
			}
		} else if (qp) {
			bool soft = false;

			while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
			for (size_t k = 0; k < n; k++) {
				if (s[k] == '=' && k + 1 == n) {
					soft = true;
					break;
				}
				if (s[k] == '=' && k + 2 < n &&
				    hexval((unsigned char)s[k + 1]) >= 0 &&
				    hexval((unsigned char)s[k + 2]) >= 0) {
					buf_putc(out, hexval((unsigned char)s[k + 1])
					    * 16 + hexval((unsigned char)s[k + 2]));
					k += 2;
					continue;
				}
				buf_putc(out, (unsigned char)s[k]);
			}
			if (!soft)
				buf_putc(out, '\n');
		} else {
			buf_append(out, s, n);
			buf_putc(out, '\n');
		}
		if (out->max > 0 && out->len >= out->max)
			break;
	}
}

/* Words of rendered text (split on white space, those with a word
 * character) counted into t. */
static void
count_words(GHashTable *t, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j;
		bool word = false;

		while (i < n && isspace((unsigned char)s[i]))
			i++;
		for (j = i; j < n && !isspace((unsigned char)s[j]); j++)
			if (isalnum((unsigned char)s[j]) || s[j] == '_' ||
			    (unsigned char)s[j] >= 0x80)
				word = true;
		if (j > i && word) {
			char *w = xstrndup(s + i, j - i);
			gpointer old = g_hash_table_lookup(t, w);

			g_hash_table_replace(t, w,
			    GUINT_TO_POINTER(GPOINTER_TO_UINT(old) + 1));
		}
		i = j;
	}
}

static bool
inside_of(const struct mime_state *m, size_t part, size_t anc)
{
	for (int p = m->parts[part].parent; p >= 0; p = m->parts[p].parent)
		if ((size_t)p == anc)
			return true;
	return false;
}

static struct cache *html_work(struct eval_ctx *ec);
static const struct html *html_of_part(const struct cache *c, size_t part);

static void
madiff_work(struct eval_ctx *ec)
{
	struct cache *c = html_work(ec);
	struct mime_state *m = &c->m;

	if (m->madiff_done)
		return;
	m->madiff_done = true;
	/* Only an HTML part and a calendar in the alternative: no test. */
	if (m->nparts == 3 &&
	    strcmp(m->parts[0].type, "multipart/alternative") == 0 &&
	    strcmp(m->parts[1].type, "text/html") == 0 &&
	    strcmp(m->parts[2].type, "text/calendar") == 0)
		return;
	for (size_t a = 0; a < m->nparts; a++) {
		GHashTable *html, *text;
		GHashTableIter it;
		gpointer k, v;
		unsigned orig, left;
		double diff;

		if (strncmp(m->parts[a].type, "multipart/alternative", 21) != 0)
			continue;
		html = g_hash_table_new_full(g_str_hash, g_str_equal, free,
		    NULL);
		text = g_hash_table_new_full(g_str_hash, g_str_equal, free,
		    NULL);
		for (size_t i = 0; i < m->nparts; i++) {
			const struct sapart *p = &m->parts[i];
			const struct html *h;
			struct buf d, u;

			if (!p->leaf || strncmp(p->type, "text", 4) != 0 ||
			    !inside_of(m, i, a))
				continue;
			/* HTML as SpamAssassin renders it (the analysis
			 * html_work() made), the rest decoded */
			if (strcmp(p->type, "text/html") == 0) {
				h = html_of_part(c, i);
				if (h != NULL)
					count_words(html, h->text.p,
					    h->text.len);
				if (g_hash_table_size(html) == 0 && h != NULL &&
				    html_inside(h, "img") >= 0)
					g_hash_table_replace(html, xstrdup("\n"),
					    GUINT_TO_POINTER(1));
				continue;
			}
			buf_init(&d, 4 * 1024 * 1024);
			part_decode(m, p, &d);
			buf_init(&u, 0);
			mime_to_utf8(p->charset, d.p ? d.p : "", d.len, &u);
			count_words(text, u.p ? u.p : "", u.len);
			buf_free(&u);
			buf_free(&d);
		}
		orig = g_hash_table_size(html);
		if (orig > 0) {
			m->madiff_html = orig;
			m->madiff_text = g_hash_table_size(text);
			g_hash_table_iter_init(&it, text);
			while (g_hash_table_iter_next(&it, &k, &v)) {
				gpointer hv = g_hash_table_lookup(html, k);

				if (hv != NULL && (long)GPOINTER_TO_UINT(hv) -
				    (long)GPOINTER_TO_UINT(v) < 1)
					g_hash_table_remove(html, k);
			}
			left = g_hash_table_size(html);
			diff = (double)left / orig * 100;
			if (diff > m->madiff)
				m->madiff = diff;
		}
		g_hash_table_destroy(html);
		g_hash_table_destroy(text);
	}
}

static unsigned
ev_madiff(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	double min, max;

	madiff_work(ec);
	if (!arg_num(r->eargs[0], &min))
		return 0;
	if ((min == 0 || m->madiff > min) &&
	    (!arg_num(r->eargs[1], &max) || m->madiff <= max))
		return 1;
	return 0;
}

static unsigned
ev_madiff_count(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	double ratio, minhtml;

	madiff_work(ec);
	if (!arg_num(r->eargs[0], &ratio) || !arg_num(r->eargs[1], &minhtml))
		return 0;
	if (!((double)m->madiff_html > minhtml))
		return 0;
	return (double)m->madiff_text / m->madiff_html > ratio;
}

static unsigned
ev_body_length(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	double min;
	size_t body = 0;

	mime_work(ec);
	if (!arg_num(r->eargs[0], &min))
		return 0;
	/* The body: everything after the header's blank line. */
	{
		const char *p = strstr(m->text, "\n\n");

		if (p != NULL)
			body = m->textlen - (size_t)(p + 2 - m->text);
	}
	return (double)body <= min;
}

static unsigned
ev_blank_line_ratio(const struct rule *r, struct eval_ctx *ec)
{
	const struct strlist *l = &ec->mt->rawbody;
	double min, max, minlines = 1, ratio;
	size_t blank = 0;

	if (!arg_num(r->eargs[0], &min) || !arg_num(r->eargs[1], &max))
		return 0;
	if (r->neargs > 2 && arg_num(r->eargs[2], &minlines) && minlines < 1)
		minlines = 1;
	for (size_t i = 0; i < l->n; i++) {
		bool nonws = false;

		for (const char *p = l->v[i]; *p && !nonws; p++)
			if (!isspace((unsigned char)*p))
				nonws = true;
		if (!nonws)
			blank++;
	}
	ratio = (double)l->n < minlines ? -1 : 100.0 * blank /
	    (double)(l->n ? l->n : 1);
	return (min == 0 && ratio <= max) || (ratio > min && ratio <= max);
}

static unsigned
ev_tvd_vertical_words(const struct rule *r, struct eval_ctx *ec)
{
	const struct strlist *b = &ec->mt->body;
	double min, max;
	long best = -1;

	if (!arg_num(r->eargs[0], &min) || !arg_num(r->eargs[1], &max))
		return 0;
	if (max >= 100)
		max = 101;
	for (size_t i = 0; i < b->n; i++) {
		const char *l = b->v[i];
		size_t n = strlen(l), sp = 0, non;
		long pct;

		if (n <= 5)
			continue;
		for (size_t k = 0; k < n; k++)
			if (l[k] == ' ')
				sp++;
		non = n - sp;
		if (sp > non || non == 0)
			pct = 100;
		else
			pct = (long)(100 * sp / non);
		if (pct > best)
			best = pct;
	}
	return (double)best >= min && (double)best < max;
}

/*
 * BodyEval's signature split of the first text/plain part: the body's
 * length, the signature's (after the last "-- " line with more than 4
 * bytes after it) and their ratio (10^6 without a signature).
 */
static bool
sig_split(struct eval_ctx *ec, double *body, double *sig, double *ratio)
{
	struct mime_state *m = &cache_get(ec)->m;
	struct buf d;
	size_t i, lb, ls = 0, at = 0;

	mime_work(ec);
	for (i = 0; i < m->nparts; i++)
		if (m->parts[i].leaf && strcmp(m->parts[i].type,
		    "text/plain") == 0)
			break;
	if (i == m->nparts)
		return false;
	buf_init(&d, 4 * 1024 * 1024);
	part_decode(m, &m->parts[i], &d);
	lb = d.len;
	while (d.p != NULL && at < d.len) {
		const char *nl = memchr(d.p + at, '\n', d.len - at);
		size_t n = nl ? (size_t)(nl - d.p) - at : d.len - at;
		size_t k = n;

		if (k > 0 && d.p[at + k - 1] == '\r')
			k--;
		if ((k == 2 || (k == 3 && d.p[at + 2] == ' ')) &&
		    d.p[at] == '-' && d.p[at + 1] == '-' &&
		    d.len - (at + n) > 4) {
			lb = at;
			ls = d.len - (at + n);
		}
		at += n + 1;
	}
	buf_free(&d);
	*body = (double)lb;
	*sig = (double)ls;
	*ratio = ls ? (double)lb / (double)ls : 1e6;
	return true;
}

static unsigned
ev_plaintext(const struct rule *r, struct eval_ctx *ec)
{
	double v[3], min, max;
	int which = strcmp(r->eval->name, "plaintext_body_length") == 0 ? 0 :
	    strcmp(r->eval->name, "plaintext_sig_length") == 0 ? 1 : 2;

	if (!sig_split(ec, &v[0], &v[1], &v[2]) ||
	    !arg_num(r->eargs[0], &min))
		return 0;
	if (r->neargs > 1 && arg_num(r->eargs[1], &max))
		return v[which] >= min && v[which] <= max;
	return v[which] >= min;
}

/* ---- FreeMail ---- */

/*
 * The freemail_domains and freemail_welcomelist entries reach each
 * FreeMail rule as its last argument (rules_eval_finish()): "\n" joined
 * and framed by "\n", the domains, then "\x01", then the welcomelist.
 */
static bool
blob_has(const char *blob, const char *end, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = blob; p != NULL && p < end;
	    p = memchr(p + 1, '\n', (size_t)(end - p - 1))) {
		if (p + 1 + n < end && memcmp(p + 1, s, n) == 0 &&
		    p[1 + n] == '\n')
			return true;
		if (p + 1 >= end)
			break;
	}
	return false;
}

/* A freemail_domains wildcard: '*' is [^.]*, '?' any one character. */
static bool
glob_dom(const char *g, size_t gn, const char *s)
{
	if (gn == 0)
		return *s == '\0';
	if (*g == '*') {
		for (const char *p = s;; p++) {
			if (glob_dom(g + 1, gn - 1, p))
				return true;
			if (*p == '\0' || *p == '.')
				return false;
		}
	}
	if (*s == '\0')
		return false;
	if (*g == '?' || *g == *s)
		return glob_dom(g + 1, gn - 1, s + 1);
	return false;
}

static bool
is_freemail(const struct rule *r, const char *email)
{
	const char *blob = r->eargs[r->neargs - 1], *sep, *dom;

	if (email[0] == '\0')
		return false;
	sep = strchr(blob, '\x01');
	if (sep == NULL)
		sep = blob + strlen(blob);
	dom = strrchr(email, '@');
	dom = dom ? dom + 1 : email;
	if (blob_has(sep, sep + strlen(sep), email) ||
	    blob_has(sep, sep + strlen(sep), dom))
		return false;
	if (rx_match(RX_EMAIL_WL, email))
		return false;
	if (blob_has(blob, sep, dom))
		return true;
	/* Wildcards. */
	for (const char *p = blob; p < sep; ) {
		const char *e = memchr(p, '\n', (size_t)(sep - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(sep - p);

		if (memchr(p, '*', n) != NULL || memchr(p, '?', n) != NULL) {
			if (glob_dom(p, n, dom))
				return true;
		}
		p += n + 1;
	}
	return false;
}

/* Every address in all values of header name, lower case, into out. */
static void
all_addrs(struct eval_ctx *ec, const char *name, struct strlist *out)
{
	size_t n = rules_hdr_count(ec);

	if (strcmp(name, "EnvelopeFrom") == 0) {
		const char *ef = envfrom_get(ec);

		if (ef != NULL && ef[0] != '\0')
			strlist_add(out, ef);
	} else
		for (size_t i = 0; i < n && out->n < 1000; i++)
			if (strcasecmp(rules_hdr_name(ec, i), name) == 0)
				mime_header_addrs(rules_hdr_rawvalue(ec, i),
				    out, 1000);
	for (size_t i = 0; i < out->n; i++)
		lower(out->v[i]);
}

static unsigned
ev_freemail_from(const struct rule *r, struct eval_ctx *ec)
{
	static const char *const hs[] = { "From", "Envelope-Sender",
		"Resent-Sender", "X-Envelope-From", "EnvelopeFrom", NULL };
	struct strlist a = { 0 };
	unsigned hit = 0;

	all_addrs(ec, "Resent-From", &a);
	if (a.n > 1) {
		/* Resent-From:first:addr: the first header's address. */
		while (a.n > 1)
			free(a.v[--a.n]);
	}
	if (a.n == 0)
		for (const char *const *h = hs; *h; h++)
			all_addrs(ec, *h, &a);
	for (size_t i = 0; i < a.n && !hit; i++) {
		/* tr/././s: runs of dots as one */
		char *w = a.v[i];

		for (char *p = a.v[i]; *p; p++)
			if (!(*p == '.' && w > a.v[i] && w[-1] == '.'))
				*w++ = *p;
		*w = '\0';
		if (!is_freemail(r, a.v[i]))
			continue;
		if (r->neargs > 1 && !arg_match(r->ere[0], a.v[i]))
			continue;
		hit = 1;
	}
	strlist_free(&a);
	return hit;
}

static unsigned
ev_freemail_header(const struct rule *r, struct eval_ctx *ec)
{
	struct strlist a = { 0 };
	unsigned hit = 0;

	all_addrs(ec, r->eargs[0], &a);
	for (size_t i = 0; i < a.n && !hit; i++) {
		if (!is_freemail(r, a.v[i]))
			continue;
		if (r->neargs > 2 && !arg_match(r->ere[0], a.v[i]))
			continue;
		hit = 1;
	}
	strlist_free(&a);
	return hit;
}

/*
 * FreeMail's _parse_body(): the freemail addresses in the body (mailto
 * links and addresses in the text), into out; false when there are too
 * many addresses to judge (5 in all, or 3 freemail ones).
 */
static bool
body_freemails(const struct rule *r, struct eval_ctx *ec,
    struct strlist *out)
{
	const struct strlist *uris = rules_uris(ec);
	const struct strlist *body = &ec->mt->body;
	struct strlist all = { 0 };
	unsigned count_all = 0, count_fm = 0;
	bool ok = true;
	size_t ov[4];

	for (size_t i = 0; i < uris->n && all.n < 20; i++) {
		const char *u = uris->v[i];

		if (strncasecmp(u, "mailto:", 7) != 0)
			continue;
		if (rx_search(rx_builtin(&rules_eval_rx, RX_FM_EMAIL),
		    rx_src[RX_FM_EMAIL].name, u + 7, strlen(u + 7), 0,
		    PCRE2_ANCHORED, ov, 2) > 0) {
			char *e = lower(xstrndup(u + 7 + ov[2], ov[3] - ov[2]));

			if (!strlist_contains(&all, e))
				strlist_add(&all, e);
			free(e);
		}
	}
	for (size_t i = 0; i < body->n && all.n < 40; i++) {
		char *t1 = NULL, *t2 = NULL;
		size_t l1 = 0, l2 = 0;
		size_t at = 0;
		const char *l = body->v[i];

		if (strchr(l, '@') == NULL)
			continue;
		/* Drop URLs with an @ and addresses used as labels. */
		l1 = strlen(l) * 2 + 64;
		t1 = xmalloc(l1);
		if (rx_substitute(rx_builtin(&rules_eval_rx, RX_FM_STRIP_URL),
		    rx_src[RX_FM_STRIP_URL].name, l, strlen(l),
		    PCRE2_SUBSTITUTE_GLOBAL, " ", 1, t1, &l1) < 0) {
			free(t1);
			continue;
		}
		l2 = l1 * 2 + 64;
		t2 = xmalloc(l2);
		if (rx_substitute(rx_builtin(&rules_eval_rx,
		    RX_FM_STRIP_LABEL), rx_src[RX_FM_STRIP_LABEL].name, t1, l1,
		    PCRE2_SUBSTITUTE_GLOBAL, " ", 1, t2, &l2) < 0) {
			free(t1);
			free(t2);
			continue;
		}
		while (at < l2 && all.n < 40 && rx_exec(RX_FM_EMAIL, t2, l2,
		    at, ov, 2)) {
			char *e = lower(xstrndup(t2 + ov[2], ov[3] - ov[2]));

			if (!strlist_contains(&all, e))
				strlist_add(&all, e);
			free(e);
			at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		}
		free(t1);
		free(t2);
	}
	for (size_t i = 0; i < all.n; i++) {
		if (++count_all == 5) {
			ok = false;
			break;
		}
		if (!is_freemail(r, all.v[i]))
			continue;
		if (++count_fm == 3) {
			ok = false;
			break;
		}
		strlist_add(out, all.v[i]);
	}
	strlist_free(&all);
	return ok;
}

static unsigned
ev_freemail_replyto(const struct rule *r, struct eval_ctx *ec)
{
	const char *what = r->neargs > 1 ? r->eargs[0] : "replyto";
	struct strlist from = { 0 }, rt = { 0 }, body = { 0 };
	const char *ef;
	bool from_fm = false, rt_fm = false, not_in = true;
	unsigned hit = 0;

	if (strcmp(what, "replyto") != 0 && strcmp(what, "reply") != 0)
		return 0;
	ef = envfrom_get(ec);
	if (ef != NULL && rx_match(RX_BULK_ENVFROM, ef))
		return 0;
	all_addrs(ec, "From", &from);
	all_addrs(ec, "Reply-To", &rt);
	for (size_t i = 0; i < from.n; i++)
		if (is_freemail(r, from.v[i]))
			from_fm = true;
	for (size_t i = 0; i < rt.n; i++)
		if (is_freemail(r, rt.v[i]))
			rt_fm = true;
	for (size_t i = 0; i < from.n; i++)
		if (strlist_contains(&rt, from.v[i]))
			not_in = false;
	if (from_fm && rt_fm && not_in) {
		hit = 1;
		goto out;
	}
	if (strcmp(what, "replyto") == 0 && !rt_fm)
		goto out;
	/* 'reply': a Reply-To must be freemail, the From always. */
	if (strcmp(what, "reply") == 0 && ((rt.n > 0 && !rt_fm) || !from_fm))
		goto out;
	if (!body_freemails(r, ec, &body))
		goto out;
	{
		const struct strlist *reply = strcmp(what, "replyto") == 0 ?
		    &rt : rt_fm ? &rt : &from;

		for (size_t i = 0; i < body.n && !hit; i++)
			for (size_t j = 0; j < reply->n && !hit; j++)
				if (strcmp(body.v[i], reply->v[j]) != 0)
					hit = 1;
	}
out:
	strlist_free(&from);
	strlist_free(&rt);
	strlist_free(&body);
	return hit;
}

static unsigned
ev_freemail_body(const struct rule *r, struct eval_ctx *ec)
{
	struct strlist body = { 0 };
	unsigned hit = 0;

	if (body_freemails(r, ec, &body))
		for (size_t i = 0; i < body.n && !hit; i++)
			if (r->neargs < 2 || arg_match(r->ere[0], body.v[i]))
				hit = 1;
	strlist_free(&body);
	return hit;
}

static unsigned
ev_stock_info(const struct rule *r, struct eval_ctx *ec)
{
	struct mime_state *m = &cache_get(ec)->m;
	struct strlist seen = { 0 };
	struct buf d;
	double min;
	size_t i, at = 0, ov[4];

	if (!arg_num(r->eargs[0], &min))
		return 0;
	mime_work(ec);
	for (i = 0; i < m->nparts; i++)
		if (m->parts[i].leaf && strcmp(m->parts[i].type,
		    "text/plain") == 0)
			break;
	if (i == m->nparts)
		return min <= 0;
	buf_init(&d, 1024 * 1024);
	part_decode(m, &m->parts[i], &d);
	while (d.p != NULL && at < d.len && rx_exec(RX_STOCK_ITEM, d.p, d.len,
	    at, ov, 2)) {
		char *w = xstrndup(d.p + ov[2], ov[3] - ov[2]), *q = w;

		for (char *p = w; *p; p++) {
			char c = (char)tolower((unsigned char)*p);

			if (c >= 'a' && c <= 'z')
				*q++ = c;
		}
		*q = '\0';
		if (rx_match(RX_STOCK_WORD, w) && !strlist_contains(&seen, w))
			strlist_add(&seen, w);
		free(w);
		at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	}
	buf_free(&d);
	i = seen.n;
	strlist_free(&seen);
	return min == 0 || (double)i >= min;
}

/*
 * check_for_from_domain_in_received_headers(DOMAIN, 'true'|'false'):
 * when From's address has DOMAIN (a word start, any case), whether a
 * relay both came from an rDNS name and was received by a host in
 * DOMAIN (SpamAssassin puts DOMAIN into that regex as written), compared
 * with the wanted answer; without DOMAIN in From, never.
 */
static unsigned
ev_from_domain_in_received(const struct rule *r, struct eval_ctx *ec)
{
	bool want = strcmp(r->eargs[1], "true") == 0, hit;
	char *from = hget_addr(ec, "From"), *tr, *un, *all;

	hit = arg_match(r->ere[0], from);
	free(from);
	if (!hit)
		return 0;
	tr = relays_str(ec, true);
	un = relays_str(ec, false);
	all = xasprintf("%s\n%s", tr, un);
	hit = arg_match(r->ere[1], all);
	free(tr);
	free(un);
	free(all);
	return hit == want;
}

/* Its two regexes, made of DOMAIN when the rule is defined. */
static void
prep_from_domain(struct rule *r, int na)
{
	const char *dom = r->eargs[0];
	struct buf p;

	(void)na;
	r->ere = xcalloc(EVAL_NRE, sizeof(*r->ere));
	buf_init(&p, 0);
	buf_puts(&p, "(?i)\\b");
	quote_meta(&p, dom);
	r->ere[0] = rx_compile(p.p, p.len, 0, true, NULL, 0);
	buf_reset(&p);
	buf_printf(&p, " rdns=\\S*\\b%s [^\\]]*by=\\S*\\b%s ", dom, dom);
	r->ere[1] = rx_compile(p.p, p.len, 0, true, NULL, 0);
	buf_free(&p);
}

/* ---- HTMLEval ---- */

#define MAX_HTML_INPUT	(10u << 20)	/* decoded bytes of one part */

/*
 * Message.pm's html_all: every leaf part whose effective type is
 * text/html and whose decoded text is not empty, converted to UTF-8
 * from its charset (SpamAssassin's normalize_charset) and analysed as
 * HTML.pm does (html.c).  The parts are bounded by the walk
 * (MAX_PARTS), each at MAX_HTML_INPUT decoded bytes.
 */
static struct cache *
html_work(struct eval_ctx *ec)
{
	struct cache *c = cache_get(ec);
	struct mime_state *m = &c->m;

	if (c->html_done)
		return c;
	c->html_done = true;
	mime_work(ec);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct sapart *p = &m->parts[i];
		struct buf d, u;

		if (!p->leaf || !p->html)
			continue;
		buf_init(&d, MAX_HTML_INPUT);
		part_decode(m, p, &d);
		if (d.len == 0) {
			buf_free(&d);
			continue;
		}
		buf_init(&u, 0);
		mime_to_utf8(p->charset, d.p, d.len, &u);
		buf_free(&d);
		c->html = xrealloc(c->html, (c->nhtml + 1) * sizeof(*c->html));
		c->html_part = xrealloc(c->html_part, (c->nhtml + 1) *
		    sizeof(*c->html_part));
		c->html_part[c->nhtml] = i;
		c->html[c->nhtml++] = html_analyze(u.p != NULL ? u.p : "",
		    u.len);
		buf_free(&u);
	}
	return c;
}

/* The analysis of part m.parts[part], or NULL (not HTML, or empty). */
static const struct html *
html_of_part(const struct cache *c, size_t part)
{
	for (size_t i = 0; i < c->nhtml; i++)
		if (c->html_part[i] == part)
			return c->html[i];
	return NULL;
}

/*
 * The comparisons html_eval() and html_tag_balance() accept: SpamAssassin
 * evaluates "$val EXPR" for EXPR of [<>=!+- 0-9]; the forms used are an
 * operator and a number ("< 512", "!= 0").  Anything else never holds.
 */
static bool
expr_holds(double val, const char *expr)
{
	const char *p = expr;
	char op[3] = { 0 };
	size_t k = 0;
	char *end;
	double num;

	while (*p == ' ')
		p++;
	while ((*p == '<' || *p == '>' || *p == '=' || *p == '!') && k < 2)
		op[k++] = *p++;
	while (*p == ' ')
		p++;
	num = strtod(p, &end);
	if (end == p || (*p != '-' && *p != '+' && !isdigit((unsigned char)*p)))
		return false;
	for (p = end; *p == ' '; p++)
		;
	if (*p != '\0')
		return false;
	if (strcmp(op, "<") == 0)
		return val < num;
	if (strcmp(op, "<=") == 0)
		return val <= num;
	if (strcmp(op, ">") == 0)
		return val > num;
	if (strcmp(op, ">=") == 0)
		return val >= num;
	if (strcmp(op, "==") == 0)
		return val == num;
	if (strcmp(op, "!=") == 0)
		return val != num;
	return false;
}

/* html_test('KEY'): some part has the flag (html: any HTML part). */
static unsigned
ev_html_test(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = html_work(ec);

	for (size_t i = 0; i < c->nhtml; i++)
		if (html_flag(c->html[i], r->eargs[0]))
			return 1;
	return 0;
}

/* html_range('KEY', MIN, MAX): MIN < value <= MAX; MAX may be "inf". */
static unsigned
ev_html_range(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = html_work(ec);
	double min, max = 0, v;
	bool inf = r->neargs < 3 || strcmp(r->eargs[2], "inf") == 0;

	if (!arg_num(r->eargs[1], &min) || (!inf &&
	    !arg_num(r->eargs[2], &max)))
		return 0;
	for (size_t i = 0; i < c->nhtml; i++)
		if (html_value(c->html[i], r->eargs[0], &v) && v > min &&
		    (inf || v <= max))
			return 1;
	return 0;
}

/* html_eval('KEY', 'EXPR') */
static unsigned
ev_html_eval(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = html_work(ec);
	double v;

	for (size_t i = 0; i < c->nhtml; i++)
		if (html_value(c->html[i], r->eargs[0], &v) &&
		    expr_holds(v, r->eargs[1]))
			return 1;
	return 0;
}

/* html_tag_balance('TAG', 'EXPR'): opens minus closes of TAG. */
static unsigned
ev_html_tag_balance(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = html_work(ec);

	for (const char *p = r->eargs[0]; *p; p++)
		if (!isalnum((unsigned char)*p))
			return 0;
	for (size_t i = 0; i < c->nhtml; i++) {
		long n = html_inside(c->html[i], r->eargs[0]);

		if (n >= 0 && expr_holds((double)n, r->eargs[1]))
			return 1;
	}
	return 0;
}

/* html_tag_exists('TAG') */
static unsigned
ev_html_tag_exists(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = html_work(ec);

	for (size_t i = 0; i < c->nhtml; i++)
		if (html_inside(c->html[i], r->eargs[0]) >= 0)
			return 1;
	return 0;
}

/* html_image_only(MIN, MAX): an <img> and MIN < HTML length <= MAX. */
static unsigned
ev_html_image_only(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = html_work(ec);
	double min, max;

	if (!arg_num(r->eargs[0], &min) || !arg_num(r->eargs[1], &max))
		return 0;
	for (size_t i = 0; i < c->nhtml; i++) {
		double len = (double)c->html[i]->length;

		if (html_inside(c->html[i], "img") >= 0 && len > min &&
		    len <= max)
			return 1;
	}
	return 0;
}

/* html_image_ratio(MIN, MAX): visible characters per pixel of image. */
static unsigned
ev_html_image_ratio(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = html_work(ec);
	double min, max;

	if (!arg_num(r->eargs[0], &min) || !arg_num(r->eargs[1], &max))
		return 0;
	for (size_t i = 0; i < c->nhtml; i++) {
		const struct html *h = c->html[i];
		double ratio;

		if (h->image_area <= 0)
			continue;
		ratio = (double)h->non_space_len / h->image_area;
		if (ratio > min && ratio <= max)
			return 1;
	}
	return 0;
}

/*
 * html_text_match('LIST', 'REGEX') and html_text_not_match(): some
 * string of the list (comment, title, anchor, script) matches (does not
 * match) the regex, taken whole as SpamAssassin's compile_regexp($re, 0)
 * takes it (no delimiters, no flags) and compiled once, when the rule is
 * defined (r->ere[0], prep_text_match()).  An invalid regex never hits.
 * The text is the sender's HTML: a regex that reaches the PCRE2 limits
 * on it counts as not matching.
 */
static unsigned
text_match(const struct rule *r, struct eval_ctx *ec, bool want)
{
	struct cache *c = html_work(ec);
	unsigned hit = 0;

	if (c->nhtml == 0 || r->ere == NULL || r->ere[0] == NULL)
		return 0;
	for (size_t i = 0; i < c->nhtml && !hit; i++) {
		const struct strlist *l = html_list(c->html[i], r->eargs[0]);

		for (size_t k = 0; l != NULL && k < l->n && !hit; k++)
			if (arg_match(r->ere[0], l->v[k]) == want)
				hit = 1;
	}
	return hit;
}

static void
prep_text_match(struct rule *r, int na)
{
	(void)na;
	r->ere = xcalloc(EVAL_NRE, sizeof(*r->ere));
	r->ere[0] = rx_compile(r->eargs[1], PCRE2_ZERO_TERMINATED, PCRE2_UTF,
	    true, NULL, 0);
}

static unsigned
ev_html_text_match(const struct rule *r, struct eval_ctx *ec)
{
	return text_match(r, ec, true);
}

static unsigned
ev_html_text_not_match(const struct rule *r, struct eval_ctx *ec)
{
	return text_match(r, ec, false);
}

/*
 * html_title_subject_ratio(RATIO): some part's longest title (a "0"
 * title counts as none, as in Perl) is over RATIO times the Subject's
 * length, both in characters, the Subject as get() returns it.
 */
static unsigned
ev_html_title_subject_ratio(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c;
	char *subj;
	double ratio, slen;
	unsigned hit = 0;

	if (!arg_num(r->eargs[0], &ratio))
		return 0;
	subj = hget(ec, "Subject", 0, NULL);
	slen = (double)g_utf8_strlen(subj, -1);
	free(subj);
	if (slen == 0)
		return 0;
	c = html_work(ec);
	for (size_t i = 0; i < c->nhtml && !hit; i++) {
		double max = 0;

		for (size_t k = 0; k < c->html[i]->title.n; k++) {
			const char *t = c->html[i]->title.v[k];
			double l;

			if (*t == '\0' || strcmp(t, "0") == 0)
				continue;
			l = (double)g_utf8_strlen(t, -1) / slen;
			if (l > max)
				max = l;
		}
		hit = max > ratio;
	}
	return hit;
}

/* check_iframe_src(): some <iframe> has a src. */
static unsigned
ev_iframe_src(const struct rule *r, struct eval_ctx *ec)
{
	struct cache *c = html_work(ec);

	(void)r;
	for (size_t i = 0; i < c->nhtml; i++)
		if (c->html[i]->iframe_src)
			return 1;
	return 0;
}

/* ---- The table ---- */

/* Flags above the kind bits (1u << RK_*) in struct eval_def's kinds. */
#define FM	0x10000u	/* FreeMail: gets the domain list */
_Static_assert((1u << RK_NKINDS) <= FM, "eval flags overlap rule kinds");

/*
 * FreeMail's optional regex argument (the first of check_freemail_from()
 * and _body(), the second of _header()), compiled once, when the rule is
 * defined; an invalid one never matches, as before any address.
 */
static void
prep_fm_regex(struct rule *r, int na, int k)
{
	if (na <= k)
		return;
	r->ere = xcalloc(EVAL_NRE, sizeof(*r->ere));
	r->ere[0] = rx_compile(r->eargs[k], PCRE2_ZERO_TERMINATED, 0, true,
	    NULL, 0);
}

static void
prep_fm_arg0(struct rule *r, int na)
{
	prep_fm_regex(r, na, 0);
}

static void
prep_fm_arg1(struct rule *r, int na)
{
	prep_fm_regex(r, na, 1);
}

static const struct eval_def evals[] = {
	/* HeaderEval */
	{ "check_for_fake_aol_relay_in_rcvd", K_ANY, 0, 0, 0, ev_fake_aol },
	{ "check_for_faraway_charset_in_headers", K_ANY, 0, 0, 0, ev_never },
	{ "check_for_unique_subject_id", K_ANY, 0, 0, 0, ev_never },
	{ "check_illegal_chars", K_ANY, 3, 3, 0, ev_illegal_chars },
	{ "check_for_forged_hotmail_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_hotmail },
	{ "check_for_no_hotmail_received_headers", K_ANY, 0, 0, 0,
	  ev_no_hotmail },
	{ "check_for_forged_eudoramail_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_eudoramail },
	{ "check_for_forged_yahoo_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_yahoo },
	{ "check_for_forged_juno_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_juno },
	{ "check_for_forged_gmail_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_gmail },
	{ "check_for_matching_env_and_hdr_from", K_ANY, 0, 0, 0,
	  ev_env_and_hdr_from },
	{ "sorted_recipients", K_ANY, 0, 0, 0, ev_sorted_recips },
	{ "similar_recipients", K_ANY, 2, 2, 0, ev_similar_recips },
	{ "check_for_missing_to_header", K_ANY, 0, 0, 0, ev_missing_to },
	{ "check_for_shifted_date", K_ANY, 2, 2, 0, ev_shifted_date },
	{ "subject_is_all_caps", K_ANY, 0, 0, 0, ev_subject_all_caps },
	{ "check_for_to_in_subject", K_ANY, 1, 1, 0, ev_to_in_subject },
	{ "check_outlook_message_id", K_ANY, 0, 0, 0, ev_outlook_msgid },
	{ "check_messageid_not_usable", K_ANY, 0, 0, 0,
	  ev_messageid_not_usable },
	{ "check_header_count_range", K_ANY, 3, 3, 0, ev_header_count_range },
	{ "check_unresolved_template", K_ANY, 0, 0, 0,
	  ev_unresolved_template },
	{ "check_ratware_name_id", K_ANY, 0, 0, 0, ev_ratware_name_id },
	{ "check_ratware_envelope_from", K_ANY, 0, 0, 0,
	  ev_ratware_envelope_from },
	{ "gated_through_received_hdr_remover", K_ANY, 0, 0, 0, ev_gated },
	{ "check_for_msn_groups_headers", K_ANY, 0, 0, 0, ev_msn_groups },
	{ "check_for_forged_gw05_received_headers", K_ANY, 0, 0, 0,
	  ev_forged_gw05 },
	{ "received_within_months", K_ANY, 1, 2, 0,
	  ev_received_within_months },
	{ "check_equal_from_domains", K_ANY, 0, 0, 0, ev_equal_from_domains },
	/* RelayEval */
	{ "check_all_trusted", K_ANY, 0, 0, 0, ev_all_trusted },
	{ "check_no_relays", K_ANY, 0, 0, 0, ev_no_relays },
	{ "check_relays_unparseable", K_ANY, 0, 0, 0, ev_relays_unparseable },
	{ "check_for_from_domain_in_received_headers", K_ANY, 2, 2, 0,
	  ev_from_domain_in_received, prep_from_domain },
	{ "check_for_no_rdns_dotcom_helo", K_ANY, 0, 0, 0,
	  ev_no_rdns_dotcom_helo },
	{ "helo_ip_mismatch", K_ANY, 0, 0, 0, ev_helo_ip_mismatch },
	{ "check_for_forged_received_trail", K_ANY, 0, 0, 0,
	  ev_forged_received_trail },
	{ "check_for_forged_received_ip_helo", K_ANY, 0, 0, 0,
	  ev_forged_received_ip_helo },
	{ "check_for_numeric_helo", K_ANY, 0, 0, 0, ev_numeric_helo },
	{ "check_for_illegal_ip", K_ANY, 0, 0, 0, ev_never },
	{ "check_for_sender_no_reverse", K_ANY, 0, 0, 0,
	  ev_sender_no_reverse },
	/* MIMEEval */
	{ "check_for_mime", K_ANY, 1, 1, 0, ev_check_for_mime },
	{ "check_for_mime_html", K_ANY, 0, 0, 0, ev_mime_html },
	{ "check_for_mime_html_only", K_ANY, 0, 0, 0, ev_mime_html_only },
	{ "check_mime_multipart_ratio", K_ANY, 2, 2, 0, ev_multipart_ratio },
	{ "check_msg_parse_flags", K_ANY, 1, 1, 0, ev_parse_flags },
	{ "check_for_ascii_text_illegal", K_ANY, 0, 0, 0,
	  ev_ascii_text_illegal },
	{ "check_abundant_unicode_ratio", K_ANY, 1, 1, 0, ev_unicode_ratio },
	{ "check_for_faraway_charset", K_ANY, 0, 0, 0, ev_never },
	{ "check_for_uppercase", K_BODY, 2, 2, MIME_BODY, ev_uppercase },
	{ "check_ma_non_text", K_ANY, 0, 0, 0, ev_ma_non_text },
	{ "check_qp_ratio", K_ANY, 1, 1, 0, ev_qp_ratio },
	{ "check_base64_length", K_ANY, 1, 2, 0, ev_base64_length },
	/* BodyEval */
	{ "multipart_alternative_difference", K_ANY, 2, 2, 0, ev_madiff },
	{ "multipart_alternative_difference_count", K_ANY, 2, 2, 0,
	  ev_madiff_count },
	{ "check_body_length", K_ANY, 1, 1, 0, ev_body_length },
	{ "check_blank_line_ratio", K_BODY, 2, 3, MIME_RAWBODY,
	  ev_blank_line_ratio },
	{ "tvd_vertical_words", K_BODY, 2, 2, MIME_BODY,
	  ev_tvd_vertical_words },
	{ "check_stock_info", K_ANY, 1, 1, 0, ev_stock_info },
	{ "plaintext_body_length", K_ANY, 1, 2, 0, ev_plaintext },
	{ "plaintext_sig_length", K_ANY, 1, 2, 0, ev_plaintext },
	{ "plaintext_body_sig_ratio", K_ANY, 1, 2, 0, ev_plaintext },
	/* FreeMail */
	{ "check_freemail_from", K_ANY | FM, 0, 1, MIME_BODY | MIME_URI,
	  ev_freemail_from, prep_fm_arg0 },
	{ "check_freemail_header", K_ANY | FM, 1, 2, 0, ev_freemail_header,
	  prep_fm_arg1 },
	{ "check_freemail_replyto", K_ANY | FM, 0, 1, MIME_BODY | MIME_URI,
	  ev_freemail_replyto },
	{ "check_freemail_body", K_ANY | FM, 0, 1, MIME_BODY | MIME_URI,
	  ev_freemail_body, prep_fm_arg0 },
	/* HTMLEval.  html_charset_faraway() is ev_never: SpamAssassin's
	 * results never carry the charsets it reads, and ok_locales is
	 * "all" in the stock configuration anyway. */
	{ "html_test", K_BODY, 1, 1, 0, ev_html_test },
	{ "html_range", K_BODY, 2, 3, 0, ev_html_range },
	{ "html_eval", K_BODY, 2, 2, 0, ev_html_eval },
	{ "html_tag_balance", K_BODY, 2, 2, 0, ev_html_tag_balance },
	{ "html_tag_exists", K_BODY, 1, 1, 0, ev_html_tag_exists },
	{ "html_image_only", K_BODY, 2, 2, 0, ev_html_image_only },
	{ "html_image_ratio", K_BODY, 2, 2, 0, ev_html_image_ratio },
	{ "html_text_match", K_BODY, 2, 2, 0, ev_html_text_match,
	  prep_text_match },
	{ "html_text_not_match", K_BODY, 2, 2, 0, ev_html_text_not_match,
	  prep_text_match },
	{ "html_title_subject_ratio", K_BODY, 1, 1, 0,
	  ev_html_title_subject_ratio },
	{ "html_charset_faraway", K_BODY, 0, 0, 0, ev_never },
	{ "check_iframe_src", K_BODY, 0, 0, 0, ev_iframe_src },
	{ NULL, 0, 0, 0, 0, NULL, NULL }
};

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
	for (d = evals; d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			break;
	if (d->name == NULL)
		return false;
	if (!(d->kinds & (1u << kind)) || na < d->minargs ||
	    na > d->maxargs)
		return false;
	rules_eval_clear(r);
	/* One more slot for FreeMail's domain list (rules_eval_finish). */
	r->eargs = xcalloc((size_t)na + 2, sizeof(*r->eargs));
	for (int i = 0; i < na; i++)
		r->eargs[i] = xstrdup(args[i]);
	r->neargs = (size_t)na;
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
	free(c->rcvd_times);
	free(c->envfrom);
	for (size_t i = 0; i < c->m.nparts; i++) {
		free(c->m.parts[i].type);
		free(c->m.parts[i].charset);
		free(c->m.parts[i].cte);
		free(c->m.parts[i].cd);
	}
	free(c->m.parts);
	free(c->m.lines);
	free(c->m.text);
	free(c->m.html_charsets);
	for (size_t i = 0; i < c->nhtml; i++)
		html_free(c->html[i]);
	free(c->html);
	free(c->html_part);
	free(c);
	ec->cache = NULL;
}

/* ---- FreeMail settings ---- */

/*
 * While the files are read, the freemail_domains and
 * freemail_welcomelist entries wait in the ruleset's eval_settings
 * table; rules_eval_finish() hands them to the FreeMail rules and
 * empties it.
 */
#define FM_DOMAINS	"freemail_domains"
#define FM_WELCOME	"freemail_welcomelist"
#define MAX_FM_BYTES	(1024 * 1024)

bool
rules_eval_setting(struct ruleset *rs, const char *kw, const char *value,
    const char **why)
{
	const char *key;
	char *old, *nv, *v, *save = NULL;
	struct buf b;
	bool domains;

	if (strcmp(kw, "freemail_domains") == 0)
		key = FM_DOMAINS;
	else if (strcmp(kw, "freemail_welcomelist") == 0 ||
	    strcmp(kw, "freemail_whitelist") == 0)
		key = FM_WELCOME;
	else
		return false;
	domains = strcmp(key, FM_DOMAINS) == 0;
	*why = NULL;
	if (rs->eval_settings == NULL)
		rs->eval_settings = g_hash_table_new_full(g_str_hash,
		    g_str_equal, free, free);
	old = g_hash_table_lookup(rs->eval_settings, key);
	buf_init(&b, MAX_FM_BYTES);
	buf_puts(&b, old ? old : "\n");
	v = lower(xstrdup(value));
	for (char *t = strtok_r(v, " \t", &save); t != NULL;
	    t = strtok_r(NULL, " \t", &save)) {
		bool ok = true;

		if (domains) {
			for (const char *p = t; *p; p++)
				if (!(isalnum((unsigned char)*p) || *p == '.' ||
				    *p == '*' || *p == '?' || *p == '-'))
					ok = false;
		} else {
			/* \w[.@]\w */
			ok = false;
			for (const char *p = t + 1; *p && p[1]; p++)
				if ((*p == '.' || *p == '@') &&
				    (isalnum((unsigned char)p[-1]) ||
				    p[-1] == '_') &&
				    (isalnum((unsigned char)p[1]) || p[1] == '_'))
					ok = true;
		}
		if (!ok) {
			*why = "invalid freemail entry (skipped)";
			continue;
		}
		if (buf_printf(&b, "%s\n", t) < 0) {
			*why = "too many freemail entries (rest skipped)";
			break;
		}
	}
	free(v);
	nv = b.p != NULL ? buf_steal(&b) : xstrdup("\n");
	buf_free(&b);
	g_hash_table_replace(rs->eval_settings, xstrdup(key), nv);
	return true;
}

void
rules_eval_finish(struct ruleset *rs)
{
	const char *dom = NULL, *wl = NULL;
	char *blob;

	if (rs->eval_settings != NULL) {
		dom = g_hash_table_lookup(rs->eval_settings, FM_DOMAINS);
		wl = g_hash_table_lookup(rs->eval_settings, FM_WELCOME);
	}
	blob = xasprintf("%s\x01%s", dom ? dom : "\n", wl ? wl : "\n");
	for (size_t i = 0; i < rs->n; i++) {
		struct rule *r = rs->rules[i];

		if (r->eval == NULL || !(r->eval->kinds & FM) ||
		    r->neargs == 0)
			continue;
		free(r->eargs[r->neargs - 1]);
		r->eargs[r->neargs - 1] = xstrdup(blob);
	}
	free(blob);
	if (rs->eval_settings != NULL) {
		g_hash_table_remove(rs->eval_settings, FM_DOMAINS);
		g_hash_table_remove(rs->eval_settings, FM_WELCOME);
	}
}
