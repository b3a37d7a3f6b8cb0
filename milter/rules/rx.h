/*
 * rx.h -- every PCRE2 match Warden runs goes through here: one policy
 * for the match and depth limits, one way of reporting that a text
 * reached them, one per-thread set of matching state, and the built-in
 * regexes of the modules compiled once for the process.
 *
 * Limits.  A match runs under the limits of the innermost scope its
 * thread has entered.  rules_run() enters one per call with the
 * ruleset's limits, which rules_new() took from the configuration the
 * ruleset was loaded with (pcre2_match_limit, pcre2_depth_limit): every
 * regex run while judging a message -- rule regexes, eval: tests, their
 * arguments, the relay chain, the HTML analysis -- obeys the limits of
 * the snapshot that message pinned, and a reload changes them for the
 * messages that pin the new one only.  Outside any scope (tools, unit
 * tests calling a parser directly) the keys' defaults apply.
 *
 * Reporting.  A match that reaches a limit (match, depth, heap, JIT
 * stack) counts as no match, and the scope's results get limit=pcre2;
 * any other PCRE2 error counts as no match too, without the record.
 * Either is logged once per scope (once per rules_run() call, and not
 * again for results that already record the limit: one line per
 * message), naming the rule being run and, for a regex that is not the
 * rule's own, that regex.  Outside a scope every failure is logged.
 *
 * Threads.  Each thread that matches gets its own match context (the
 * limits), JIT stack and match data, made on its first match and freed
 * by a thread-specific-data destructor when the thread exits: libmilter
 * starts a thread per connection and ends it after.  The match data is
 * also freed when the outermost scope is left, so that the heap frames
 * PCRE2 keeps in it after a deep match do not outlive the message.  A
 * scope lives on its caller's stack and belongs to the thread that
 * entered it.  Compiled code is only read while matching and is shared
 * by every thread.
 */
#ifndef WARDEN_RX_H
#define WARDEN_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct results;

/* The defaults of pcre2_match_limit and pcre2_depth_limit (config.c). */
#define RX_MATCH_LIMIT	100000u
#define RX_DEPTH_LIMIT	10000u
/* Capture pairs rx_search() can return. */
#define RX_PAIRS	16

/* ---- Scopes: whose limits, where a limit is recorded ---- */

struct rx_scope {
	uint32_t match_limit;
	uint32_t depth_limit;
	struct results *res;	/* limit=pcre2 goes here; may be NULL */
	const char *rule;	/* the rule being run, for the log line; the
				 * caller sets it as it goes; may be NULL */
	bool    logged;		/* the scope's one log line is written */
	struct rx_scope *outer;	/* the scope this one is inside */
};

/*
 * Enter sc on the calling thread with these limits (0: the default)
 * and results res (borrowed until rx_scope_leave(); may be NULL).
 * Returns 0, or -1 when the thread's matching state cannot be made (no
 * memory): sc is then not entered, and matches fail until it can be.
 */
int  rx_scope_enter(struct rx_scope *sc, uint32_t match_limit,
    uint32_t depth_limit, struct results *res);
/* Leave sc, which must be the innermost scope of the calling thread. */
void rx_scope_leave(struct rx_scope *sc);

/* ---- Compiling and matching ---- */

/*
 * Compile pat[0..len) with PCRE2 options opts, and with the JIT when jit
 * is true and PCRE2 has one (a pattern run once per message is cheaper
 * without).  Returns the code (the caller frees it with
 * pcre2_code_free()), or NULL with the reason, "MESSAGE at offset N",
 * in err (errlen bytes; err may be NULL).
 */
pcre2_code *rx_compile(const char *pat, size_t len, uint32_t opts, bool jit,
    char *err, size_t errlen);

/*
 * Search re in s[0..n) from offset start with PCRE2 match options opts
 * (e.g. PCRE2_ANCHORED), under the limits of the thread's scope.
 * Returns 1 on a match, with up to npairs (at most RX_PAIRS) capture
 * pairs in ov[0 .. 2 * npairs) -- ov[0], ov[1] the whole match, (size_t)-1
 * for a group that did not take part -- when ov is not NULL; 0 when
 * there is no match (or re is NULL); -1 when PCRE2 failed (a limit was
 * reached, or another error), which the caller takes as no match: it
 * is recorded and logged here.  name names re in the log line, NULL
 * when it is the rule's own regex.  s is borrowed for the call.
 */
int  rx_search(const pcre2_code *re, const char *name, const char *s,
    size_t n, size_t start, uint32_t opts, size_t *ov, int npairs);

/*
 * pcre2_substitute() of re in s[0..n) by rep[0..replen) with options
 * opts, into out (*outlen bytes; the length written on return), under
 * the scope's limits.  Returns PCRE2's result: the number of
 * substitutions, or a negative error code, which the caller takes as
 * "not done"; a limit is recorded and logged as by rx_search().
 */
int  rx_substitute(const pcre2_code *re, const char *name, const char *s,
    size_t n, uint32_t opts, const char *rep, size_t replen, char *out,
    size_t *outlen);

/* How many threads hold matching state now (for tests). */
unsigned rx_threads(void);

/* ---- Built-in regexes ---- */

/*
 * A module's fixed patterns: a table of rx_builtin indexed as the module
 * likes, and as many code slots, filled once for the process.  A
 * built-in regex that does not compile is a programming error: the
 * unit tests compile them all (rx_builtin_init()), and so does every
 * start of the daemon or a command (rules_load()), which refuses to go
 * on without them.
 */
struct rx_builtin {
	const char *name;	/* for messages */
	const char *src;
	uint32_t opts;		/* PCRE2 compile options */
};

struct rx_set {
	const char *owner;	/* the module, for messages */
	const struct rx_builtin *v;
	size_t  n;
	pcre2_code **code;	/* n slots: v[i] compiled, NULL if it failed */
};

/* The modules' sets (each defined in its module). */
extern const struct rx_set rules_eval_rx;	/* eval.c */
extern const struct rx_set relays_rx;		/* relays.c */
extern const struct rx_set html_rx;		/* html.c */
extern const struct rx_set mtree_rx;		/* mtree.c */

/*
 * Compile every set above, once for the process (later calls only
 * report).  Returns how many patterns failed, 0 when all compiled; the
 * first failure is described in err (errlen bytes, may be NULL):
 * "built-in regex OWNER NAME does not compile: MESSAGE at offset N".
 * Thread-safe.
 */
unsigned rx_builtin_init(char *err, size_t errlen);
/*
 * Compile the patterns of set whose slots are empty: as
 * rx_builtin_init() for one set (it is what that runs; the tests run it
 * on a set of their own).  Not thread-safe on one set.
 */
unsigned rx_set_compile(const struct rx_set *set, char *err, size_t errlen);
/*
 * Pattern i of set, compiled (rx_builtin_init() runs first if it has
 * not).  NULL only when it did not compile, which rx_builtin_init()
 * has reported; rx_search() takes NULL as no match.
 */
const pcre2_code *rx_builtin(const struct rx_set *set, size_t i);

#endif
