/*
 * rules_int.h -- the inside of a ruleset, shared by rules_parse.c (which
 * builds it from rule files) and rules.c (which loads, runs and frees it).
 * Nothing outside the rules_*.c files includes this.
 *
 * Ownership: the ruleset owns every rule, and each rule owns its strings,
 * compiled regex, CIDR list and meta expression.  After rules_load()
 * returns, nothing in it is written again.
 */
#ifndef WARDEN_RULES_INT_H
#define WARDEN_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <glib.h>

#include "rules.h"

struct buf;
struct relays;
struct mime_text;
struct eval_def;		/* rules_eval.c's table of tests */
struct dns_filter;

enum rule_kind { RK_NONE = -1, RK_CONNECT = 0, RK_HELO, RK_ENVFROM,
	RK_ENVRCPT, RK_HEADER, RK_BODY, RK_RAWBODY, RK_URI, RK_FULL,
	RK_FILENAME, RK_MIMETYPE, RK_MIMEHEADER, RK_META, RK_NKINDS };

#define TF_NICE		0x01
#define TF_MULTIPLE	0x02
#define TF_NOSUBJECT	0x04
#define TF_CONCAT	0x08	/* mimeheader: the parts' values joined */
#define TF_NOAUTOLEARN	0x10	/* not counted when deciding to autolearn */
#define TF_LEARN	0x20	/* a learner's own rule (BAYES_*) */
/* URIDNSBL's (eval_dns.c) */
#define TF_DOMAINS_ONLY	0x40	/* look up domains, not address literals */
#define TF_IPS_ONLY	0x80	/* look up address literals only */
#define TF_NOTRIM	0x100	/* the host as written, not its domain */
#define TF_A		0x200	/* uridnsbl: the host's A records */
#define TF_NS		0x400	/* uridnsbl: its domain's name servers' */

/* mimeheader tflags range=MIN-MAX: parts counted from 1 (the message). */
#define MH_RANGE_MAX	1000	/* SpamAssassin's default upper end */

#define EVAL_NRE	2	/* slots of rule->ere */

#define HM_RAW		0x01
#define HM_ADDR		0x02
#define HM_NAME		0x04

/* connect pseudo-blocks: the words local, trusted, internal. */
#define CW_LOCAL	0x01	/* loopback, or no address (local pipe) */
#define CW_TRUSTED	0x02	/* config trusted_networks */
#define CW_INTERNAL	0x04	/* config internal_relays */

enum hdr_src { HS_NAME, HS_ALL, HS_TOCC, HS_MSGID, HS_ENVFROM,
	HS_RELAYS_TRUSTED, HS_RELAYS_UNTRUSTED, HS_RELAYS_INTERNAL,
	HS_RELAYS_EXTERNAL, HS_ALL_TRUSTED, HS_ALL_INTERNAL,
	HS_ALL_UNTRUSTED, HS_ALL_EXTERNAL };

/*
 * SpamAssassin compatibility level that "version" stands for in .cf
 * conditions: the configuration language of SpamAssassin 4.0.1, whose
 * rules Warden loads (see rules_sa.c for what counts as present).
 */
#define RULES_SA_VERSION 4.000001

enum meta_op { MO_NUM, MO_RULE, MO_NOT, MO_NEG, MO_MUL, MO_DIV, MO_ADD,
	MO_SUB,
	MO_LT, MO_LE, MO_GT, MO_GE, MO_EQ, MO_NE, MO_AND, MO_OR };

struct meta_node {
	enum meta_op op;
	int     a, b;		/* operand node indexes */
	double  num;		/* MO_NUM */
	int     rule;		/* MO_RULE: index in ruleset, -1 = skipped rule */
	char   *name;		/* MO_RULE: the name as written (owned) */
};

struct rule {
	char   *name;
	enum rule_kind kind;
	const char *file;	/* borrowed from the ruleset's file names */
	int     line;
	int     index;
	char   *src;		/* the definition as written, for duplicates */
	bool    sa;		/* defined in a .cf file: SpamAssassin rules */
	char   *pat;		/* the regex as written (for replace_rules) */
	uint32_t popts;		/* its PCRE2 options */

	double  score;
	double  score_learn;	/* its score in the set without the
				 * statistical filter (autolearn decides
				 * by it, as SpamAssassin does) */
	bool    score_set;
	char   *describe;
	unsigned tflags;
	unsigned maxhits;	/* 0: no limit */
	unsigned range_min;	/* mimeheader: parts range_min .. range_max */
	unsigned range_max;	/* (tflags range=; 0 .. MH_RANGE_MAX) */
	enum action action;	/* ACT_NONE: none */
	struct reply reply;	/* code[0] == 0: the configured reply */
	const char *action_file;
	int     action_line;

	pcre2_code *re;		/* every kind but meta, exists: and CIDR */
	bool    negate;		/* header and mimeheader !~ */

	/* header; mimeheader (hname, HM_RAW, if_unset) */
	enum hdr_src hsrc;
	char   *hname;
	unsigned hmods;
	bool    hexists;
	char   *if_unset;

	/* connect */
	struct cidrlist cidrs;
	unsigned cwords;	/* CW_* pseudo-blocks */

	/* connect, helo, envfrom "dnsbl:ZONE[=CODES|&MASK]": the list's
	 * zone (owned) and its return-code filter (owned) */
	char   *dnsbl;
	struct dns_filter *dnsbl_filter;

	/* meta */
	struct meta_node *mnodes;
	size_t  nmnodes;
	int     mroot;
	bool    referenced;	/* used by some meta */

	/* eval: tests Warden implements (rules_eval.c); NULL otherwise.
	 * ere: EVAL_NRE regexes made of the arguments when the rule is
	 * defined (html_text_match's, FreeMail's, ...), each NULL when it
	 * does not compile (it then never matches); NULL when the test
	 * makes none.  The array and the code are the rule's. */
	pcre2_code **ere;
	const struct eval_def *eval;
	char  **eargs;		/* its arguments, unquoted (owned) */
	size_t  neargs;

	/* multi-pattern prefilter (rules_hs.c) */
	int     hgroup;		/* header rules: index of the subject
				 * group (same source, name, modifiers) */
};

struct skipped {
	char   *what;		/* "eval: rules", "ifplugin blocks", ... */
	unsigned n;
};

struct ruleset {
	struct rule **rules;	/* in definition order */
	size_t  n;
	size_t  cap;
	GHashTable *byname;	/* name -> struct rule *, borrowed keys */
	GHashTable *skipnames;	/* names of skipped rules (owned keys) */
	struct strlist files;	/* every file read, for rule->file */
	size_t  nkind[RK_NKINDS];
	size_t  neval;		/* eval: tests run natively */
	int    *order;		/* metas in evaluation order (deps first) */
	size_t  norder;
	struct skipped *skips;
	size_t  nskips;
	unsigned want;		/* MIME_* the rules need */
	uint32_t match_limit;
	uint32_t depth_limit;
	char   *hostname;	/* for %{hostname} in regexes */

	/* SpamAssassin .cf input (rules_sa.c); tables own keys and values */
	bool    cur_sa;		/* the file being read is a .cf file */
	GHashTable *replace_tags;	/* replace_tag NAME VALUE */
	GHashTable *replace_inter;
	GHashTable *replace_pre;
	GHashTable *replace_post;
	GHashTable *replace_rules;	/* names (set) */
	GHashTable *eval_settings;	/* settings of the plugins whose
					 * tests rules_eval.c runs, until
					 * rules_eval_finish() */
	char   *replace_start;
	char   *replace_end;
	size_t  nreplaced;	/* rules whose replace_tag macros expanded */
	unsigned scoreset;	/* SpamAssassin's score set in use (0-3):
				 * bit 1 the statistical filter, bit 0 the
				 * network tests; the score of a "score"
				 * line with four numbers */
	GHashTable *block_scores;	/* name -> double[2] (the set's score,
					 * the one without the statistical
					 * filter): score lines in
					 * blocks not loaded (see rules_finish) */
	bool    want_relays;	/* some rule reads X-Spam-Relays-* */
	bool    auth;		/* sender authentication on (SPF, DKIM and
				 * DMARC plugins' tests defined) */
	struct strlist orig_hdrs;	/* originating_ip_headers, in order,
					 * each name once (any case) */
	/* URIDNSBL and RegistryBoundaries (eval_dns.c): made by
	 * eval_dns_setting(), freed by eval_dns_free(); NULL until set */
	GHashTable *uribls;	/* rule name -> struct uribl_def */
	GHashTable *tlds[3];	/* util_rb_tld, util_rb_2tld, _3tld */
	GHashTable *uribl_skip;	/* uridnsbl_skip_domain */
	/* SpamAssassin's authenticated welcomelists (eval_auth.c):
	 * WL_AUTH welcomelist_auth, WL_DEF_AUTH def_welcomelist_auth,
	 * WL_SPF welcomelist_from_spf, WL_DEF_SPF def_..., WL_DKIM
	 * welcomelist_from_dkim, WL_DEF_DKIM def_...; owned, freed by
	 * eval_auth_free() */
	struct wl_list *wl;
	unsigned uribl_max;	/* uridnsbl_max_domains; 0: 20 */
	struct hs_slot *hs;	/* the prefilter (rules_hs.c); NULL: none */
	const char *hs_off_reason;	/* static text: why there is none */
	size_t  nhgroups;	/* header groups (rule->hgroup) */
};

extern const char *const rules_kind_names[RK_NKINDS];

/*
 * What an eval: test sees of one message at the end of data (built by
 * rules.c's run_eom for the one call; everything borrowed).  Header
 * values and the URI list are made on first use through the functions
 * below; "cache" is the eval tests' own per-message state, freed by
 * rules_eval_done().
 */
struct hctx;
struct eval_ctx {
	const struct ruleset *rs;
	const struct rules_input *in;
	const char *msg;		/* the message as received */
	size_t  msglen;
	const struct mime_text *mt;	/* prepared for rs->want */
	struct hctx *hc;
	void   *cache;
	struct mtree *tree;	/* the message's MIME tree, when made */
	struct mtree *tree_room;	/* where rules_tree() makes it */
};
/*
 * rules.c: the message's one MIME tree (mtree.h), made on first use
 * under the message's bounds; owned by the message's run.
 */
const struct mtree *rules_tree(struct eval_ctx *ec);
/*
 * rules.c, for eval tests: every value of header NAME (case-insensitive)
 * as mods (HM_*) asks, joined by "\n", appended to b; returns how many.
 */
size_t rules_hdr_values(struct eval_ctx *ec, const char *name,
    unsigned mods, struct buf *b);
/* The number of headers, and header i's name and raw value (trimmed,
 * folding kept). */
size_t rules_hdr_count(struct eval_ctx *ec);
const char *rules_hdr_name(struct eval_ctx *ec, size_t i);
const char *rules_hdr_rawvalue(struct eval_ctx *ec, size_t i);
/* Header i's value decoded (RFC 2047 words, UTF-8). */
const char *rules_hdr_value(struct eval_ctx *ec, size_t i);
/* The relay chain from Received headers and the client. */
const struct relays *rules_hdr_relays(struct eval_ctx *ec);
/* The message's URIs as uri rules see them. */
const struct strlist *rules_uris(struct eval_ctx *ec);

/*
 * rules_eval.c.  rules_eval_define(): if Warden implements the test
 * "call" (the text after "eval:", e.g. "check_for_missing_to_header()")
 * for a rule of this kind, set r->eval and r->eargs, add to rs->want what
 * the test needs, and return true; false (nothing set) when it does not,
 * with *why a static reason for lint.  rules_eval_run() returns the
 * number of hits (0: none).  rules_eval_done() frees ec->cache.
 */
/* Free what rules_eval_define() put in r (arguments, compiled regexes)
 * and make it an ordinary rule again. */
void rules_eval_clear(struct rule *r);
/* Whether r runs: a score of 0 turns a rule off unless something else
 * needs it (rules.c). */
bool rules_rule_enabled(const struct rule *r);
bool rules_eval_define(struct ruleset *rs, struct rule *r,
    enum rule_kind kind, const char *call, const char **why);
unsigned rules_eval_run(const struct rule *r, struct eval_ctx *ec);
void rules_eval_done(struct eval_ctx *ec);
/* What the tests found that the verdict reports beyond hits (the
 * statistical filter's judgement), into res; before rules_eval_done(). */
void rules_eval_report(struct eval_ctx *ec, struct results *res);
/*
 * Settings of the plugins whose tests are here (freemail_domains,
 * freemail_welcomelist): true when kw is one, kept in rs until
 * rules_eval_finish(); *why is a static note for lint on entries
 * skipped, else NULL.  rules_eval_finish() runs once every file is read
 * and hands the settings to the rules that use them.
 */
bool rules_eval_setting(struct ruleset *rs, const char *kw,
    const char *value, const char **why);
void rules_eval_finish(struct ruleset *rs);

/*
 * rules_hs.c: the multi-pattern prefilter.  rules_hs_build() runs once
 * the ruleset is complete: it gives every header rule its group (always)
 * and, when enabled and built in, builds the databases or reads them
 * from cachedir (NULL or "": no cache) -- at once, or in a background
 * thread after rules_hs_background(true) (the daemon: messages are
 * judged without the prefilter until it is ready); else
 * rs->hs_off_reason says why there is none.  rules_hs_free() from
 * rules_free().
 *
 * Per message: rules_hs_state() is the prefilter to use (NULL: none
 * yet; take it once and use that one throughout), rules_hs_get() lends a
 * scratch space (NULL: none, then every rule is a candidate) and
 * rules_hs_put() takes it back; rules_hs_scan() sets cand[rule index]
 * for the rules of that kind (or header group) that may match one of the
 * n texts v[] (lengths len[], or NUL-terminated when len is NULL).  A
 * rule for which rules_hs_member() is true and cand[] is not set cannot
 * match: PCRE2 need not run.
 */
struct hs_state;
void rules_hs_build(struct ruleset *rs, bool enabled, const char *cachedir);
void rules_hs_free(struct ruleset *rs);
const struct hs_state *rules_hs_state(const struct ruleset *rs);
bool rules_hs_member(const struct hs_state *st, int rule);
void *rules_hs_get(const struct hs_state *st);
void rules_hs_put(const struct hs_state *st, void *scratch);
void rules_hs_scan(const struct hs_state *st, enum rule_kind kind, int group,
    const char *const *v, const size_t *len, size_t n, void *scratch,
    uint8_t *cand);
/* Rules in a database, rules that always run, databases (for lint). */
void rules_hs_counts(const struct ruleset *rs, unsigned *in, unsigned *out,
    size_t *ndb);

/*
 * Parse one rule file into rs (recursing into include).  Problems go to
 * d.  depth counts include nesting.
 */
void rules_parse_file(struct ruleset *rs, const char *path, int depth,
    struct diag *d);
/* Parse rule text (tests and the file reader); name labels errors. */
void rules_parse_text(struct ruleset *rs, const char *name, const char *text,
    int depth, struct diag *d);
/* After every file: check references, order metas.  Problems go to d. */
void rules_finish(struct ruleset *rs, struct diag *d);
struct ruleset *rules_new(const struct config *cfg);



/*
 * rules_sa.c: decide an "if"/"ifplugin" condition (kw is the keyword,
 * expr what follows it): 1 true, 0 false, -1 with *why (static text) on
 * a syntax error.  bayes: the statistical filter is on.
 */
int rules_sa_cond(const char *kw, const char *expr, unsigned set,
    const char **why);
/* Whether Warden implements everything the named plugin provides; bayes:
 * the statistical filter is on (SpamAssassin's Bayes plugin present). */
bool rules_sa_plugin(const char *name, unsigned set);
/* The pattern with rs's replace_tag macros expanded (caller frees). */
char *rules_sa_replace(const struct ruleset *rs, const char *pat);
/*
 * A regex (PCRE2 options opts) that PCRE2 finds too large, which
 * rules_sa_too_large() tells from its compile error, as regexes that it
 * compiles: one that means the same (its repeated groups compiled once,
 * rules_sa_share()), or when split is true and that is not enough,
 * several such that a text matches the regex exactly when it matches
 * one of them.  Returns how many in *out, an array the caller frees
 * along with each piece's pattern and code (not JIT-compiled); 0, with
 * *why (static text), when it cannot be done exactly.
 * rules_sa_share() returns the shared form (caller frees), or NULL
 * with *why; rules_sa_split_step() is one split, into *a and *b (caller
 * frees), or false with *why.
 */
struct sa_piece {
	char   *pat;
	pcre2_code *re;
};
bool   rules_sa_too_large(int err);
size_t rules_sa_split(const char *pat, uint32_t opts, bool split,
    struct sa_piece **out, const char **why);
char  *rules_sa_share(const char *pat, uint32_t opts, const char **why);
bool   rules_sa_split_step(const char *pat, uint32_t opts, char **a,
    char **b, const char **why);

/*
 * eval_dns.c: Warden's DNS list rules of the SMTP stages.
 * rules_dnsbl_parse() makes r a list rule from spec (the text after
 * "dnsbl:"): 0, or -1 with why in err.  rules_dnsbl_clear() frees it.
 * rules_dnsbl_stage() runs the list rules of kind: starts every
 * lookup, waits once until in->dns_deadline_ms, and takes the hits
 * (a reject without a reply of its own names the list).
 * rules_dnsbl_prefetch() starts, at connect, the lookups of the client
 * that the message's network tests will read.
 */
int  rules_dnsbl_parse(struct rule *r, const char *spec, struct buf *err);
void rules_dnsbl_clear(struct rule *r);
void rules_dnsbl_stage(const struct ruleset *rs, enum rule_kind kind,
    const struct rules_input *in, struct results *res);
void rules_dnsbl_prefetch(const struct ruleset *rs,
    const struct rules_input *in);
/* rules.c: add r's hit to res, and take its action (reply, when not
 * NULL, instead of the rule's own). */
void rules_take_hit(const struct rule *r, unsigned count, const char *m,
    size_t ml, const struct reply *reply, struct results *res);

/* eval_dns.c: URIDNSBL's and RegistryBoundaries' settings (true when
 * kw is one; *why a note for lint), and freeing them. */
/*
 * AskDNS: the tag at s ("_SENDERDOMAIN_": SENDERDOMAIN into tag) and
 * the bytes it takes, or 0 when s starts no tag; whether every tag of
 * a template is one Warden gives a value (false: *unknown names the
 * first other, in static storage); the DNS type of a type name (A,
 * AAAA, TXT, MX, NS, PTR, CNAME), 0 for any other.
 */
size_t eval_askdns_tag(const char *s, char *tag, size_t size);
bool eval_askdns_known(const char *tmpl, const char **unknown);
int eval_askdns_type(const char *t);
bool eval_dns_setting(struct ruleset *rs, const char *kw, const char *value,
    const char **why);
void eval_dns_free(struct ruleset *rs);

/* eval_auth.c: the welcomelist settings (true when kw is one). */
bool eval_auth_setting(struct ruleset *rs, const char *kw, const char *value,
    const char **why);
void eval_auth_free(struct ruleset *rs);

#endif
