/*
 * rx.c -- the one way Warden runs PCRE2: limits from the thread's scope,
 * per-thread matching state, one report of a limit reached, and the
 * built-in regexes compiled once.  See rx.h for the policy, ownership
 * and threading.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "results.h"
#include "rx.h"
#include "util.h"

/*
 * The JIT stack of a thread.  PCRE2 without one uses 32 KiB of the
 * machine stack, which long alternations in stock rules can exhaust
 * (the match then fails with a JIT stack limit); the JIT stack grows as
 * needed up to the maximum, which is only reserved address space until
 * a match needs it.
 */
#define JIT_STACK_START	(32 * 1024)
#define JIT_STACK_MAX	(1024 * 1024)

/* One thread's matching state (see rx.h). */
struct rx_thread {
	pcre2_match_context *mc;
	pcre2_jit_stack *js;	/* NULL: PCRE2 has no JIT */
	pcre2_match_data *md;	/* RX_PAIRS pairs; NULL until needed */
	struct rx_scope *scope;	/* innermost scope entered; NULL: none */
};

static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;
static atomic_uint nthreads;

static void
thread_free(void *p)
{
	struct rx_thread *t = p;

	if (t == NULL)
		return;
	pcre2_match_data_free(t->md);
	pcre2_jit_stack_free(t->js);
	pcre2_match_context_free(t->mc);
	free(t);
	atomic_fetch_sub(&nthreads, 1);
}

static void
key_init(void)
{
	key_ok = pthread_key_create(&thread_key, thread_free) == 0;
	if (!key_ok)
		log_msg(LOG_ERR, "regex: cannot create the per-thread key; "
		    "every match fails");
}

/* The calling thread's state, made on first use; NULL without memory. */
static struct rx_thread *
thread_get(void)
{
	struct rx_thread *t;

	pthread_once(&key_once, key_init);
	if (!key_ok)
		return NULL;
	if ((t = pthread_getspecific(thread_key)) != NULL)
		return t;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->mc = pcre2_match_context_create(NULL)) == NULL) {
		free(t);
		return NULL;
	}
	/* NULL when PCRE2 was built without a JIT: nothing to assign. */
	t->js = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
	if (t->js != NULL)
		pcre2_jit_stack_assign(t->mc, NULL, t->js);
	if (pthread_setspecific(thread_key, t) != 0) {
		pcre2_jit_stack_free(t->js);
		pcre2_match_context_free(t->mc);
		free(t);
		return NULL;
	}
	atomic_fetch_add(&nthreads, 1);
	return t;
}

unsigned
rx_threads(void)
{
	return atomic_load(&nthreads);
}

/* ---- Scopes ---- */

int
rx_scope_enter(struct rx_scope *sc, uint32_t match_limit,
    uint32_t depth_limit, struct results *res)
{
	struct rx_thread *t = thread_get();

	memset(sc, 0, sizeof(*sc));
	sc->match_limit = match_limit > 0 ? match_limit : RX_MATCH_LIMIT;
	sc->depth_limit = depth_limit > 0 ? depth_limit : RX_DEPTH_LIMIT;
	sc->res = res;
	if (t == NULL)
		return -1;
	sc->outer = t->scope;
	t->scope = sc;
	return 0;
}

void
rx_scope_leave(struct rx_scope *sc)
{
	struct rx_thread *t = key_ok ? pthread_getspecific(thread_key) : NULL;

	if (t == NULL || t->scope != sc) {
		log_panic("rx_scope_leave: not the thread's innermost scope");
		return;
	}
	t->scope = sc->outer;
	/* The heap frames of the message's deepest match go with it. */
	if (t->scope == NULL) {
		pcre2_match_data_free(t->md);
		t->md = NULL;
	}
}

/* ---- Matching ---- */

pcre2_code *
rx_compile(const char *pat, size_t len, uint32_t opts, bool jit, char *err,
    size_t errlen)
{
	pcre2_code *re;
	int code;
	PCRE2_SIZE off;

	re = pcre2_compile((PCRE2_SPTR)(pat != NULL ? pat : ""), len, opts,
	    &code, &off, NULL);
	if (re == NULL) {
		PCRE2_UCHAR msg[256];

		if (err != NULL && errlen > 0) {
			pcre2_get_error_message(code, msg, sizeof(msg));
			snprintf(err, errlen, "%s at offset %zu",
			    (const char *)msg, (size_t)off);
		}
		return NULL;
	}
	/* Best effort: without the JIT the interpreter runs it. */
	if (jit)
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static bool
is_limit(int rc)
{
	return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

/*
 * PCRE2 gave error rc for regex name (NULL: the rule's own) in scope sc
 * (NULL: none): record a limit, and write the scope's one log line.
 */
static void
report(struct rx_scope *sc, const char *name, int rc)
{
	PCRE2_UCHAR msg[128];
	const char *rule = sc != NULL ? sc->rule : NULL;

	if (sc != NULL) {
		bool before = sc->res != NULL && sc->res->limit != NULL &&
		    strcmp(sc->res->limit, "pcre2") == 0;

		if (is_limit(rc) && sc->res != NULL)
			results_set_limit(sc->res, "pcre2");
		if (sc->logged || before)
			return;
		sc->logged = true;
	}
	pcre2_get_error_message(rc, msg, sizeof(msg));
	if (rule != NULL && name != NULL)
		log_msg(LOG_WARNING, "rule %s: regex %s: %s; counted as no "
		    "match", rule, name, (const char *)msg);
	else if (rule != NULL)
		log_msg(LOG_WARNING, "rule %s: %s; counted as no match", rule,
		    (const char *)msg);
	else
		log_msg(LOG_WARNING, "regex %s: %s; counted as no match",
		    name != NULL ? name : "(unnamed)", (const char *)msg);
}

/*
 * The thread's state with match data and the scope's limits set; NULL
 * (reported) without memory.
 */
static struct rx_thread *
prepare(const char *name)
{
	struct rx_thread *t = thread_get();
	uint32_t ml = RX_MATCH_LIMIT, dl = RX_DEPTH_LIMIT;

	if (t != NULL && t->md == NULL)
		t->md = pcre2_match_data_create(RX_PAIRS, NULL);
	if (t == NULL || t->md == NULL) {
		report(t != NULL ? t->scope : NULL, name, PCRE2_ERROR_NOMEMORY);
		return NULL;
	}
	if (t->scope != NULL) {
		ml = t->scope->match_limit;
		dl = t->scope->depth_limit;
	}
	pcre2_set_match_limit(t->mc, ml);
	pcre2_set_depth_limit(t->mc, dl);
	return t;
}

int
rx_search(const pcre2_code *re, const char *name, const char *s, size_t n,
    size_t start, uint32_t opts, size_t *ov, int npairs)
{
	struct rx_thread *t;
	int rc;

	if (re == NULL || start > n)
		return 0;
	if ((t = prepare(name)) == NULL)
		return -1;
	rc = pcre2_match(re, (PCRE2_SPTR)(s != NULL ? s : ""), n, start, opts,
	    t->md, t->mc);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		report(t->scope, name, rc);
		return -1;
	}
	if (ov != NULL) {
		PCRE2_SIZE *o = pcre2_get_ovector_pointer(t->md);
		/* 0: more groups than pairs, and every pair was filled. */
		int set = rc == 0 ? RX_PAIRS : rc;

		for (int i = 0; i < npairs * 2; i++)
			ov[i] = i < set * 2 ? (size_t)o[i] : (size_t)-1;
	}
	return 1;
}

int
rx_substitute(const pcre2_code *re, const char *name, const char *s,
    size_t n, uint32_t opts, const char *rep, size_t replen, char *out,
    size_t *outlen)
{
	struct rx_thread *t;
	PCRE2_SIZE len = *outlen;
	int rc;

	if (re == NULL)
		return PCRE2_ERROR_NULL;
	if ((t = prepare(name)) == NULL)
		return PCRE2_ERROR_NOMEMORY;
	rc = pcre2_substitute(re, (PCRE2_SPTR)(s != NULL ? s : ""), n, 0, opts,
	    t->md, t->mc, (PCRE2_SPTR)rep, replen, (PCRE2_UCHAR *)out, &len);
	if (rc >= 0)
		*outlen = len;
	else if (is_limit(rc))
		report(t->scope, name, rc);
	return rc;
}

/* ---- Built-in regexes ---- */

static const struct rx_set *const sets[] = {
	&rules_eval_rx, &relays_rx, &html_rx, &mtree_rx,
};

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static unsigned builtin_failed;
static char builtin_err[512];

unsigned
rx_set_compile(const struct rx_set *set, char *err, size_t errlen)
{
	unsigned failed = 0;

	for (size_t i = 0; i < set->n; i++) {
		const struct rx_builtin *b = &set->v[i];
		char why[300];

		if (set->code[i] != NULL)
			continue;
		if (b->src == NULL) {
			snprintf(why, sizeof(why), "no pattern");
		} else if ((set->code[i] = rx_compile(b->src,
		    PCRE2_ZERO_TERMINATED, b->opts, true, why,
		    sizeof(why))) != NULL)
			continue;
		if (failed++ == 0 && err != NULL && errlen > 0)
			snprintf(err, errlen, "built-in regex %s %s does not "
			    "compile: %s", set->owner, b->name != NULL ?
			    b->name : "(unnamed)", why);
	}
	return failed;
}

static void
builtin_compile(void)
{
	for (size_t i = 0; i < ARRAY_LEN(sets); i++)
		builtin_failed += rx_set_compile(sets[i], builtin_failed == 0 ?
		    builtin_err : NULL, sizeof(builtin_err));
	/* A programming error: said once, loudly, whoever asked first. */
	if (builtin_failed > 0)
		log_panic("%s (%u in all)", builtin_err, builtin_failed);
}

unsigned
rx_builtin_init(char *err, size_t errlen)
{
	pthread_once(&builtin_once, builtin_compile);
	if (builtin_failed > 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", builtin_err);
	return builtin_failed;
}

const pcre2_code *
rx_builtin(const struct rx_set *set, size_t i)
{
	pthread_once(&builtin_once, builtin_compile);
	return i < set->n ? set->code[i] : NULL;
}
