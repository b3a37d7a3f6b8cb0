/*
 * rules_int.h -- the inside of a ruleset, shared by rules_parse.c (which
 * builds it from rule files) and rules.c (which loads, runs and frees it).
 * Nothing outside those two files includes this.
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

enum rule_kind { RK_NONE = -1, RK_CONNECT = 0, RK_HELO, RK_ENVFROM,
	RK_ENVRCPT, RK_HEADER, RK_BODY, RK_RAWBODY, RK_URI, RK_FULL,
	RK_FILENAME, RK_MIMETYPE, RK_META, RK_NKINDS };

#define TF_NICE		0x01
#define TF_MULTIPLE	0x02
#define TF_NOSUBJECT	0x04

#define HM_RAW		0x01
#define HM_ADDR		0x02
#define HM_NAME		0x04

/* connect pseudo-blocks: the words local, trusted, internal. */
#define CW_LOCAL	0x01	/* loopback, or no address (local pipe) */
#define CW_TRUSTED	0x02	/* config trusted_networks */
#define CW_INTERNAL	0x04	/* config internal_relays */

enum hdr_src { HS_NAME, HS_ALL, HS_TOCC, HS_MSGID, HS_ENVFROM,
	HS_RELAYS_TRUSTED, HS_RELAYS_UNTRUSTED, HS_RELAYS_INTERNAL,
	HS_RELAYS_EXTERNAL };

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
	bool    score_set;
	char   *describe;
	unsigned tflags;
	unsigned maxhits;	/* 0: no limit */
	enum action action;	/* ACT_NONE: none */
	struct reply reply;	/* code[0] == 0: the configured reply */
	const char *action_file;
	int     action_line;

	pcre2_code *re;		/* every kind but meta, exists: and CIDR */
	bool    negate;		/* header !~ */

	/* header */
	enum hdr_src hsrc;
	char   *hname;
	unsigned hmods;
	bool    hexists;
	char   *if_unset;

	/* connect */
	struct cidrlist cidrs;
	unsigned cwords;	/* CW_* pseudo-blocks */

	/* meta */
	struct meta_node *mnodes;
	size_t  nmnodes;
	int     mroot;
	bool    referenced;	/* used by some meta */
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
	char   *replace_start;
	char   *replace_end;
	size_t  nreplaced;	/* rules whose replace_tag macros expanded */
	GHashTable *block_scores;	/* name -> double *: score lines in
					 * blocks not loaded (see rules_finish) */
	bool    want_relays;	/* some rule reads X-Spam-Relays-* */
};

extern const char *const rules_kind_names[RK_NKINDS];

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
/* rules_load() from text instead of files (tests); NULL on errors. */
struct ruleset *rules_load_text(const struct config *cfg, const char *name,
    const char *text, struct diag *d);


/*
 * rules_sa.c: decide an "if"/"ifplugin" condition (kw is the keyword,
 * expr what follows it): 1 true, 0 false, -1 with *why (static text) on
 * a syntax error.
 */
int rules_sa_cond(const char *kw, const char *expr, const char **why);
/* Whether Warden implements everything the named plugin provides. */
bool rules_sa_plugin(const char *name);
/* The pattern with rs's replace_tag macros expanded (caller frees). */
char *rules_sa_replace(const struct ruleset *rs, const char *pat);

#endif
