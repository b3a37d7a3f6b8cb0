/*
 * mime.h -- the MIME walk: from the bytes of one message to the text the
 * rules look at (body lines, raw body lines, URIs, part file names and
 * content types, the header fields of every part), and header value
 * decoding for header rules.
 *
 * Ownership: mime_prepare_tree() reads the MIME tree it is lent
 * (mtree.h; mime_prepare() makes one from the message bytes) and fills
 * a struct mime_text that the caller owns and releases with
 * mime_text_free().  Every string in it is owned by it and is UTF-8
 * (invalid input bytes are replaced, never passed on).  The functions
 * returning char * give the caller a string to free().
 *
 * All of it is safe to call from any thread once mime_init() has run
 * (mime_prepare() calls it itself).
 */
#ifndef WARDEN_MIME_H
#define WARDEN_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "mtree.h"
#include "util.h"

struct html;

/* What to build: rules ask only for what the ruleset uses. */
#define MIME_BODY	0x01	/* rendered text, one line per paragraph */
#define MIME_RAWBODY	0x02	/* decoded text parts, not rendered */
#define MIME_URI	0x04
#define MIME_FILENAME	0x08
#define MIME_TYPE	0x10
#define MIME_PARTHDRS	0x20	/* the header fields of every part */
#define MIME_HTML	0x40	/* keep each text/html part's analysis */
#define MIME_ALL	0x7f

/*
 * One header field of a part (MIME_PARTHDRS): its name as written and
 * its raw value, from just after the colon to the end of the field, with
 * the white space after the colon, the folding and the final line end
 * kept (line ends as LF), made valid UTF-8 like every string here.  A
 * value longer than 8192 bytes is cut there, as SpamAssassin cuts a
 * message's header fields.  Bounds: 1000 fields per part and 2 MiB of
 * names and values in all; past them the fields are not kept and the
 * walk notes the limit "mime_header_size".
 */
struct mime_hdr {
	char   *name;
	char   *value;
};

/*
 * The header of one part, in SpamAssassin's find_parts() order: depth
 * first, containers before what they contain, the message itself first.
 * Its fields are hdrs[first .. first + n) of struct mime_text.  "message"
 * marks the header of a message (the message itself, or one carried in a
 * message/rfc822 part): its fields are the whole header of that message,
 * Content-* ones and others, in their order.
 */
struct mime_part_hdrs {
	size_t  first;
	size_t  n;
	bool    message;
};

/*
 * A part analysed as HTML (MIME_HTML): the body text of such a part is
 * this analysis's rendering, and the eval: tests read the same one.
 */
struct mime_html {
	struct html *h;		/* owned */
	size_t  part;		/* the tree's part it is (mtree parts[]) */
	size_t  srclen;		/* bytes of UTF-8 text analysed */
};

struct mime_text {
	struct strlist body;	/* [0] is the Subject, then paragraphs */
	struct strlist rawbody;	/* lines of the decoded text parts */
	struct strlist uris;	/* de-duplicated */
	struct strlist filenames;
	struct strlist types;	/* "type/subtype", lower case, every part */
	struct mime_hdr *hdrs;	/* MIME_PARTHDRS: every part's fields */
	size_t  nhdrs;
	struct mime_part_hdrs *parts;	/* MIME_PARTHDRS: one per part walked */
	size_t  nparts;
	struct mime_html *html;	/* MIME_HTML: each text/html part */
	size_t  nhtml;
	bool    truncated;	/* some bound was reached */
	const char *limit;	/* the first bound reached, as the limit name
				   ("mime_depth", ...), static; or NULL */
	bool    expired;	/* the deadline passed: the walk stopped */
};


/* Call g_mime_init() once for the process. */
void  mime_init(void);
/*
 * Build what want asks for from tree t (borrowed for the call) under
 * lim (NULL: the defaults).  Returns 0.
 */
int   mime_prepare_tree(struct mime_text *mt, const struct mtree *t,
    unsigned want, const struct mime_limits *lim);
/* The same, from the message msg[0..len) split here. */
int   mime_prepare(struct mime_text *mt, const char *msg, size_t len,
    unsigned want, const struct mime_limits *lim);
void  mime_text_free(struct mime_text *mt);

/* Header value as rules see it: unfolded, RFC 2047-decoded, trimmed. */
char *mime_header_decode(const char *raw);
/* The first address of an address header given raw ("" when none). */
char *mime_header_addr(const char *decoded);
/* Its first display name, decoded ("" when none). */
char *mime_header_name(const char *decoded);
/*
 * Every address of an address header given raw (groups opened), added
 * to out (which owns them) until it holds max; none when there is none.
 */
void  mime_header_addrs(const char *raw, struct strlist *out, size_t max);

/*
 * Convert n bytes in charset (NULL or "": none declared) to UTF-8,
 * appended to out: an unknown charset or none is UTF-8 when the bytes
 * are, else Latin-1; bytes that do not convert become U+FFFD.
 */
void  mime_to_utf8(const char *charset, const char *s, size_t n,
    struct buf *out);
/* The golden-test dump of everything in mt. */
void  mime_dump(const struct mime_text *mt, struct buf *out);

#endif
