/*
 * eval_int.h -- the inside of SpamAssassin's eval: tests that Warden
 * implements natively, shared by the files of milter/rules/: eval.c
 * (the rules_eval_* functions of rules_int.h, the dispatch over the
 * plugins' tables, the arguments, the regexes and helpers every plugin
 * uses), eval_date.c (SpamAssassin's date parser), and one file per
 * SpamAssassin plugin: eval_header.c (HeaderEval), eval_relay.c
 * (RelayEval), eval_mime.c (the MIME structure and MIMEEval),
 * eval_body.c (BodyEval), eval_freemail.c (FreeMail), eval_html.c
 * (HTMLEval) and eval_bayes.c (Bayes: the statistical filter).  Nothing outside milter/rules/ includes this.
 *
 * Each plugin's file owns its table of tests (struct eval_def, ended by
 * a NULL name; eval.c lists the tables) and its part of the per-message
 * cache (struct cache below), which it works out on first use and frees
 * in its eval_*_free().  A new plugin adds its file, its part of struct
 * cache and one line to eval.c's list of plugins.
 *
 * Everything a test reads comes from the message through struct
 * eval_ctx; what several tests share (dates, recipients, the MIME
 * structure, the relay facts) is worked out once per message into the
 * cache.  Every parser here is bounded: headers are cut at MAX_HDR
 * bytes, the MIME walk at MAX_PARTS parts and MAX_LINES lines
 * (eval_mime.c).
 *
 * Ownership and threads: the tables and the built-in regexes are
 * read-only, shared by every thread.  A message's cache (ec->cache) is
 * made by eval_cache_get() on first use and freed by rules_eval_done();
 * it belongs to the one thread judging that message.  What the
 * functions below return is the caller's to free unless it says
 * borrowed.
 */
#ifndef WARDEN_EVAL_INT_H
#define WARDEN_EVAL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rules_int.h"

struct buf;
struct html;

#define MAX_HDR		(256 * 1024)	/* bytes of one joined header */

/* Which rule kinds a test may be used with. */
#define K_HEAD		(1u << RK_HEADER)
#define K_BODY		((1u << RK_BODY) | (1u << RK_RAWBODY) | \
			 (1u << RK_FULL))
#define K_ANY		(K_HEAD | K_BODY | (1u << RK_URI))

/* Flags above the kind bits (1u << RK_*) in struct eval_def's kinds. */
#define FM	0x10000u	/* FreeMail: gets the domain list */
#define NET	0x20000u	/* a network test: defined only with a
				 * resolver (eval_dns.c) */
#define AUTHF	0x40000u	/* reads sender authentication: defined
				 * only with authentication = yes
				 * (eval_auth.c) */
_Static_assert((1u << RK_NKINDS) <= FM, "eval flags overlap rule kinds");

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

/* ---- Per-message cache: one part per plugin ---- */

/* eval_date.c: the dates HeaderEval compares. */
struct eval_date_cache {
	bool    dates_done;
	bool    have_date;
	long long date;		/* Date / Resent-Date */
	long long *rcvd_times;
	size_t  nrcvd_times;
	long long date_diff;
};

/* eval_header.c: HeaderEval. */
struct eval_hdr_cache {
	/* recipients */
	bool    recips_done;
	bool    sorted;
	double  similar;
	/* hotmail */
	int     hotmail;	/* -1 unknown, else bit 0 forged, bit 1 none */
	/* envelope sender */
	bool    envfrom_done;
	char   *envfrom;	/* NULL: none */
};

/* eval_relay.c: RelayEval. */
struct eval_relay_cache {
	bool    relays_done;
	unsigned nunparseable;
};

/* eval_mime.c: MIMEEval's results; the structure is the message's
 * one MIME tree (mtree.h, rules_tree()). */
struct eval_mime_cache {
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
};

/* eval_body.c: BodyEval. */
struct eval_body_cache {
	bool    madiff_done;
	double  madiff;
	unsigned madiff_html, madiff_text;
};

/* eval_html.c: HTMLEval: every HTML part analysed, in SpamAssassin's
 * order, and the index of its part in the tree's parts. */
struct eval_html_cache {
	bool    html_done;
	struct html **html;
	size_t *html_part;
	bool   *html_lent;	/* html[i] belongs to ec->mt, not to us */
	size_t  nhtml;
};

/* eval_bayes.c: the statistical filter's judgement of the message. */
struct eval_bayes_cache {
	bool    done;
	struct stats_result *r;	/* NULL: not asked, or it failed */
	char   *error;		/* why it could not judge */
	char   *evidence;	/* for --explain, until reported */
	uint64_t *tokens;	/* for autolearn, until reported */
	size_t  ntok;
};

/* eval_dns.c: the message's lookups started (and waited for). */
struct eval_dns_cache {
	bool    started;	/* eval_dns_start() */
	bool    prepared;
	struct strlist hosts;	/* URI hosts and their domains, paired */
	bool    orig_done;
	struct strlist orig;	/* addresses of originating_ip_headers */
};

struct cache {
	struct eval_dns_cache dns;
	struct eval_bayes_cache bayes;
	struct eval_date_cache dates;
	struct eval_hdr_cache hdr;
	struct eval_relay_cache relay;
	struct eval_mime_cache mime;
	struct eval_body_cache body;
	struct eval_html_cache html;
};
/* Each plugin's eval_*_free(c) frees what its part of c holds; eval.c's
 * rules_eval_done() calls them. */

/* ---- eval.c: the cache, the regexes and helpers the plugins share ---- */

/* ec's cache, made on first use; never NULL. */
struct cache *eval_cache_get(struct eval_ctx *ec);

/* The tests' built-in regexes, rx.h's set rules_eval_rx (eval.c). */
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
	RX_ISO_BAD, RX_ISO_OK, RX_UNICODE_ENT, RX_CHARSET,
	RX_UPPER_B64,
	RX_JIS, RX_BULK_ENVFROM, RX_EMAIL_WL, RX_RCVD_IGNORE, RX_RCVD_IP,
	RX_GW05, RX_FM_EMAIL, RX_FM_STRIP_URL, RX_FM_STRIP_LABEL,
	RX_STOCK_ITEM, RX_STOCK_WORD, NRX
};

/* Whether regex id matches s[0..n) from start; captures in ov. */
bool eval_rx_exec(int id, const char *s, size_t n, size_t start,
    size_t *ov, int ncap);
/* Whether regex id matches the string s. */
bool eval_rx_match(int id, const char *s);
/* Capture 1 of regex id in s (caller frees); NULL when no match. */
char *eval_rx_cap1(int id, const char *s);
/* How many times regex id matches in s[0..n) (not overlapping). */
unsigned eval_rx_count(int id, const char *s, size_t n);

/* s in lower case, in place; returns s. */
char *eval_lower(char *s);
/* Runs of white space in s to one space, in place; returns s. */
char *eval_squash_ws(char *s);
/* White space off both ends of s, in place. */
void eval_trim(char *s);
/* SpamAssassin's get(NAME): every value, "\n" after each (caller frees). */
char *eval_hget(struct eval_ctx *ec, const char *name, unsigned mods,
    bool *found);
/* The first address of header name, "" when none (caller frees). */
char *eval_hget_addr(struct eval_ctx *ec, const char *name);
/* Every value of header name unfolded as SpamAssassin does (caller
 * frees). */
char *eval_hget_unfolded(struct eval_ctx *ec, const char *name);
/* An argument as a number into *v; false for "undef" (no bound). */
bool eval_arg_num(const char *a, double *v);
/* Whether re, made of a rule's arguments (NULL: never), matches s. */
bool eval_arg_match(const pcre2_code *re, const char *s);
/* s appended to b as a literal for a regex (\Q...\E). */
void eval_quote_meta(struct buf *b, const char *s);
/* The test that never hits. */
unsigned eval_never(const struct rule *r, struct eval_ctx *ec);

/* ---- eval_date.c: SpamAssassin's dates ---- */

/* An RFC 822 date as SpamAssassin parses it, into *out; false: none. */
bool eval_parse_date(const char *date, long long *out);
/* The message's dates into the cache's dates part (once). */
void eval_dates_work(struct eval_ctx *ec);
void eval_date_free(struct cache *c);

/* ---- eval_header.c: HeaderEval ---- */

extern const struct eval_def eval_header_tests[];
/* SpamAssassin's EnvelopeFrom, NULL when none (borrowed from the cache). */
const char *eval_envfrom_get(struct eval_ctx *ec);
void eval_header_free(struct cache *c);

/* ---- eval_relay.c: RelayEval ---- */

extern const struct eval_def eval_relay_tests[];
/* SpamAssassin's relays_trusted_str or _untrusted_str (caller frees). */
char *eval_relays_str(struct eval_ctx *ec, bool trusted);

/* ---- eval_bayes.c: the statistical filter (SpamAssassin's Bayes) ---- */

extern const struct eval_def eval_bayes_tests[];
extern const struct eval_def eval_dns_tests[];
extern const struct eval_def eval_auth_tests[];
/* The signing domains (d=) of the message's valid DKIM signatures,
 * each once, into out (SpamAssassin's DKIMDOMAIN tag). */
struct strlist;
void eval_auth_dkim_domains(struct eval_ctx *ec, struct strlist *out);
struct stats_tok;
/* The message's tokens, as the filter learns and judges them. */
void eval_bayes_tokens(struct eval_ctx *ec, struct stats_tok *tk);
void eval_bayes_free(struct cache *c);

/* ---- eval_mime.c: MIMEEval ---- */

extern const struct eval_def eval_mime_tests[];
void eval_mime_free(struct cache *c);

/* ---- eval_body.c: BodyEval ---- */

extern const struct eval_def eval_body_tests[];

/* ---- eval_freemail.c: FreeMail (and rules_eval_setting/_finish) ---- */

extern const struct eval_def eval_freemail_tests[];

/* ---- eval_html.c: HTMLEval ---- */

extern const struct eval_def eval_html_tests[];
/* Every HTML part analysed, into the cache's html part (once); returns
 * that part. */
struct eval_html_cache *eval_html_work(struct eval_ctx *ec);
/* The analysis of MIME part number part, NULL when none (borrowed). */
const struct html *eval_html_of_part(const struct eval_html_cache *c,
    size_t part);
void eval_html_free(struct cache *c);

/* ---- eval_dns.c ---- */

/* Start every lookup of the message's network tests, and wait for
 * their answers until the message's DNS deadline (once). */
void eval_dns_prepare(struct eval_ctx *ec);
/* Start the lookups that can start now, without waiting (the end of the
 * message does this before its other rules, so that the answers come
 * while they run). */
void eval_dns_start(struct eval_ctx *ec);
/* The lookups' troubles and the cap reached, into res. */
void eval_dns_report(struct eval_ctx *ec, struct results *res);
/* Link each check_rbl_sub to its set's zone (rules_eval_finish()). */
void eval_dns_finish(struct ruleset *rs);
/* Start the lookups of every check_rbl test for the message's relays,
 * and of the AskDNS rules whose tags the headers give (at the end of
 * the headers; nothing is waited for). */
void eval_dns_prefetch_relays(struct eval_ctx *ec);
void eval_dns_free_cache(struct cache *c);
/*
 * The host of uri and its registered domain as the URI lists ask them
 * (lower case; the domain by util_rb_tld/2tld/3tld): false for mailto:,
 * what has no host, an unknown TLD or a private address.  *domain is
 * the caller's to free.
 */
bool eval_dns_uri_domain(const struct ruleset *rs, const char *uri,
    char *host, size_t hsize, char **domain);
/* lint's line on the network tests (on with what, or off and why). */
struct diag;
void eval_dns_summary(const struct ruleset *rs, struct diag *d);

#endif
