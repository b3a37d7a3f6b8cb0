/*
 * mtree.h -- the one MIME tree of a message: its parts as
 * SpamAssassin's Message.pm splits them (the boundaries, the part
 * headers, message/rfc822 parts parsed as messages, the parse flags),
 * made once per message and read by every rule kind (mime.c builds the
 * body, raw body, URI, file name, type and part header text from it)
 * and by every eval: test (eval_mime.c, eval_body.c, eval_html.c).
 *
 * Bounds: the parts walked (max_mime_parts), the nesting of multiparts
 * and messages (max_mime_depth), the decoded bytes of the messages
 * carried in message/rfc822 parts (max_decoded_size), the lines kept
 * (MTREE_MAX_LINES), and the message's deadline.  A bound reached is
 * named in limit as the key without max_ (the lines as decoded_size);
 * the deadline in expired.
 *
 * Ownership: mtree_parse() copies what it needs of the message; the
 * tree owns every string and line in it, and mtree_free() releases
 * them.  A tree is made and read by one thread; once made it is only
 * read.
 */
#ifndef WARDEN_MTREE_H
#define WARDEN_MTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/*
 * Bounds of the MIME walk: hostile input is normal.  Zero fields take
 * the defaults.  The names are the config keys (max_mime_depth, ...)
 * that set them.
 */
struct mime_limits {
	unsigned depth;		/* nesting of multiparts/messages (20) */
	unsigned parts;		/* parts walked (1000) */
	size_t   text;		/* bytes of body, and of raw body, kept (32 MiB) */
	size_t   part_text;	/* bytes of decoded text per part (10 MiB) */
	unsigned uris;		/* distinct URIs kept (10000) */
	double   deadline_ms;	/* now_ms() after which the walk stops; 0: none */
};

#define MTREE_DEF_DEPTH		20
#define MTREE_DEF_PARTS		1000
#define MTREE_DEF_TEXT		(32u << 20)
#define MTREE_DEF_PART_TEXT	(10u << 20)
#define MTREE_DEF_URIS		10000
#define MTREE_MAX_LINES		(1024 * 1024)

/* One line of a message, without its line end (CR LF read as LF). */
struct mtree_line {
	const char *p;		/* into the tree's text */
	size_t  n;
	bool    nl;		/* a line end followed it */
};

struct mtree_part {
	char   *type;		/* "type/subtype", lower case, as Util.pm's
				   parse_content_type() gives it */
	char   *charset;	/* lower case, "" when none */
	char   *cte;		/* Content-Transfer-Encoding, lower case, "" */
	char   *cd;		/* Content-Disposition, lower case, "" */
	char   *ct_raw;		/* Content-Type and Content-Disposition as */
	char   *cd_raw;		/* written, unfolded; NULL when absent */
	bool    leaf;		/* no parts under it */
	bool    html;		/* effective type text/html (or a .html name) */
	bool    message;	/* its header is a message's: the message
				   itself, or one carried in a message/rfc822
				   part (that part is its parent) */
	int     parent;		/* index of the enclosing part, -1: none */
	unsigned depth;
	size_t  hfirst, hlast;	/* its header's lines [hfirst, hlast) */
	size_t  first, last;	/* its body's lines [first, last) (leaves) */
};

struct mtree {
	char   *text;		/* the message, CR before LF dropped */
	size_t  textlen;
	char  **sub;		/* the decoded messages of message/rfc822 */
	size_t  nsub;		/* parts, in the same form (owned) */
	size_t  subbytes;
	struct mtree_line *lines;
	size_t  nlines, lcap;
	struct mtree_part *parts;	/* in parse order: parts[0] is the message */
	size_t  nparts;
	size_t *order;		/* the parts in find_parts() order: depth */
	size_t  norder;		/* first, containers before their parts */
	/* SpamAssassin's parse flags (check_msg_parse_flags) */
	bool    missing_hb_sep;
	bool    missing_mime_hb_sep;
	bool    missing_mime_headers;
	bool    epilogue;
	bool    truncated_header;
	bool    part_limit;
	bool    missing_boundary;
	const char *limit;	/* the first bound reached (static), or NULL */
	bool    expired;	/* the deadline passed: the split stopped */
	size_t  part_text;	/* max_part_decoded_size */
	struct mtree_dec *dec;	/* mtree_decoded()'s cache, one per part */
};

/* Split msg[0..len) into t (lim may be NULL: the defaults). */
void mtree_parse(struct mtree *t, const char *msg, size_t len,
    const struct mime_limits *lim);
void mtree_free(struct mtree *t);
/* How many trees this process has made (for tests). */
unsigned long mtree_parses(void);

/*
 * A leaf's body decoded from its transfer encoding (base64,
 * quoted-printable, else as it is, each line with "\n") as Node.pm's
 * decode(), appended to out.  Returns false when out could not take
 * all of it (out->max reached): out then holds the beginning.
 */
bool mtree_decode(const struct mtree *t, const struct mtree_part *p,
    struct buf *out);

/*
 * Leaf part i decoded as mtree_decode() does, at most part_text bytes
 * (max_part_decoded_size), NUL-terminated: made on the first call and
 * kept until mtree_free(), so that every reader of a part (the MIME
 * walk, the eval: tests) shares one decoding.  *complete (may be NULL)
 * is false when the part was cut at the bound.  The buffer is the
 * tree's: read it, do not change or free it.
 */
const struct buf *mtree_decoded(const struct mtree *t, size_t i,
    bool *complete);

/*
 * The header fields of part p, one call of fn per field: its name as
 * written (n bytes, white space before the colon dropped) and its value
 * from just after the colon to the end of the field, folding and line
 * ends (LF) kept (vn bytes).  fn returns false to stop.
 */
typedef bool (*mtree_field_fn)(void *arg, const char *name, size_t n,
    const char *value, size_t vn);
void mtree_fields(const struct mtree *t, const struct mtree_part *p,
    mtree_field_fn fn, void *arg);

#endif
