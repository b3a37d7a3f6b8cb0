/*
 * stats.h -- the statistical filter's tokenizer: what of a message the
 * classifier learns and judges by.
 *
 * A message becomes a set of distinct tokens, each a 64-bit hash of a
 * prefix naming where it came from (a header, the body, a URI, the
 * message's structure) and the word.  Only what the sender controls is
 * tokenized: the content, the sender's own header fields (an allow
 * list), the untrusted part of the relay chain, the URIs and the
 * attachments.  The fields that the site's own relays and delivery add
 * (Received from trusted relays, Delivered-To, X-Original-To,
 * Return-Path, Authentication-Results, X-Spam-*, ...) say where the
 * collecting mailbox is, not whether the mail is spam, and are left out.
 *
 * Bounds: at most max distinct tokens per message (the distinct ones
 * past it are counted in dropped, as far as the set of those seen holds
 * them, max / 2 at least; dropped_more says there were more), at most STATS_MAX_TEXT bytes of each text looked at,
 * words of STATS_MIN_WORD to STATS_MAX_WORD bytes (a longer run gives
 * one "skip" token of its head and length class).  The work is linear
 * in the input.
 *
 * Ownership and threads: a struct stats_tok belongs to the one thread
 * filling it; stats_tok_free() releases it.  The functions read their
 * arguments and keep nothing of them.
 */
#ifndef WARDEN_STATS_H
#define WARDEN_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_DEF_MAX_TOKENS	3000	/* distinct tokens per message */
#define STATS_MAX_TEXT		(256u * 1024)	/* bytes of one text read */
#define STATS_MIN_WORD		3
#define STATS_MAX_WORD		24

struct stats_tok {
	uint64_t *v;		/* the distinct tokens, in first-seen order */
	size_t  n;
	size_t  max;		/* bound on n */
	unsigned long dropped;	/* distinct tokens past max, not kept */
	bool    dropped_more;	/* and more than dropped says */
	uint64_t *set;		/* open addressing, 0 = empty */
	size_t  setmask;
	/* for explaining: the text of each token, when keep_text */
	bool    keep_text;
	char  **text;
};

/* max 0: STATS_DEF_MAX_TOKENS.  keep_text: remember each token's text
 * (for --explain and tests), at some cost. */
void stats_tok_init(struct stats_tok *tk, size_t max, bool keep_text);
void stats_tok_free(struct stats_tok *tk);

/*
 * One header field of the message's own header (name without the
 * colon, value as written, folding allowed).  Fields not on the allow
 * list are ignored; returns whether the field was used.
 */
bool stats_tok_header(struct stats_tok *tk, const char *name, size_t nn,
    const char *value, size_t vn);
/* The rendered text of the message (body text, HTML as rendered):
 * words, numbers by shape, and pairs of neighbouring words. */
void stats_tok_body(struct stats_tok *tk, const char *text, size_t len);
/* One URI of the message: its host and the host's parent domains. */
void stats_tok_uri(struct stats_tok *tk, const char *uri, size_t len);
/* One attachment: its content type and the extension of its name
 * (name may be NULL). */
void stats_tok_attachment(struct stats_tok *tk, const char *type,
    const char *name);
/* One relay of the untrusted part of the chain: the client's reverse
 * name (or none), its HELO, and its address's /16 and /24 networks. */
void stats_tok_relay(struct stats_tok *tk, const char *ip, const char *rdns,
    const char *helo);
/* A fact about the message's structure ("parts:3", "html-only"). */
void stats_tok_fact(struct stats_tok *tk, const char *fact);

/* The hash of a token given as prefix and word (for tests and tools). */
uint64_t stats_hash(const char *prefix, const char *word, size_t n);

#endif
