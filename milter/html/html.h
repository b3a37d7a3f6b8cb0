/*
 * html.h -- HTML as SpamAssassin sees it: the tokenizer and the per-part
 * facts its HTMLEval tests read.
 *
 * html_analyze() reads one decoded text/html part (UTF-8) the way
 * SpamAssassin 4's HTML.pm reads it through HTML::Parser 3: the same
 * tokens (start and end tags with their attributes, text with entities
 * decoded, comments, DOCTYPE declarations, literal elements such as
 * <script> and <title>, marked sections), and on top of them the same
 * bookkeeping: tags and elements counted, the text-style stack (colours,
 * font sizes, display and visibility) deciding which text is invisible
 * and which has a low contrast, image areas, anchors, titles, comments,
 * URIs with the tags they came from, the rendered text and its length.
 *
 * Every count is in characters (code points), as SpamAssassin counts them
 * with its default normalize_charset.  Everything is bounded: the input
 * by the caller, and the lists kept (comments, titles, anchors, scripts)
 * at HTML_MAX_STRS entries of HTML_MAX_STR bytes each.
 *
 * Ownership: html_analyze() returns a struct html the caller owns and
 * releases with html_free(); every string in it belongs to it.  The
 * input is only read.
 */
#ifndef WARDEN_HTML_H
#define WARDEN_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define HTML_MAX_STRS	1000	/* comments, titles, anchors, scripts kept */
#define HTML_MAX_STR	(64 * 1024)	/* bytes of one of them kept */
#define HTML_MAX_TAGS	1000	/* distinct tag names counted */
#define HTML_MAX_URIS	10000	/* URIs kept from elements */

/* A tag name seen, with SpamAssassin's "inside" count (opens - closes,
 * never below 0). */
struct html_tag {
	char   *name;		/* lower case, as HTML::Parser reports it */
	long    inside;
};

/*
 * The results of one HTML part.  A value SpamAssassin leaves undefined
 * is marked by its has_ flag; ratios are only meaningful when set.
 */
struct html {
	size_t  length;		/* characters of the HTML source */
	size_t  html_length;	/* characters of the rendered text */
	size_t  non_space_len;	/* of those, not white space */
	double  image_area;	/* sum of <img width x height> */
	long    min_size, max_size;	/* font sizes seen (3: default) */
	bool    has_closed_extra_ratio;	/* some tag was seen */
	double  closed_extra_ratio;	/* end tags without a start / tags */
	bool    has_bad_tag_ratio;
	double  bad_tag_ratio;		/* tags not HTML elements / tags */
	bool    has_non_element_ratio;
	double  non_element_ratio;	/* distinct non-elements / distinct */
	bool    has_obfuscation_ratio;
	double  obfuscation_ratio;	/* words split by tags / tags */
	/* html_test() flags */
	bool    font_low_contrast;
	bool    font_invalid_color;
	bool    font_face_bad;
	bool    form_action_mailto;
	bool    embeds;
	bool    uri_truncated;
	bool    iframe_src;	/* some URI came from an <iframe> */
	/* html_text_match() lists */
	struct strlist comment;	/* whole "<!-- ... -->" texts */
	struct strlist title;	/* one per <title>, decoded */
	struct strlist anchor;	/* one per <a>, its text ("<img>\n" per image) */
	struct strlist script;	/* text inside <script> */
	/* URIs from the elements and attributes HTML.pm reads them from
	 * (a/area/link href, img/iframe/... src, background, form action,
	 * base href), attribute-decoded and trimmed as canon_uri() trims
	 * them, in document order, at most HTML_MAX_URIS of HTML_MAX_STR
	 * bytes; uri_truncated also notes one over SpamAssassin's length. */
	struct strlist uris;
	struct html_tag *tags;	/* every tag name seen, for "inside" */
	size_t  ntags;
	struct buf text;	/* rendered text (invisible text included) */
};

/* Analyse html[0..len), UTF-8.  Never fails; returns an owned result. */
struct html *html_analyze(const char *html, size_t len);
void  html_free(struct html *h);
/* How many analyses html_analyze() made since start (for the tests that
 * check one analysis per HTML part per message). */
unsigned long html_analyses(void);
/* The "inside" count of tag name (lower case), or -1 when never seen. */
long  html_inside(const struct html *h, const char *name);
/* A numeric result by SpamAssassin's key ("length", "max_size",
 * "obfuscation_ratio", ...); false when undefined or unknown. */
bool  html_value(const struct html *h, const char *key, double *v);
/* A list by SpamAssassin's key ("comment", "title", "anchor", "script");
 * NULL when unknown. */
const struct strlist *html_list(const struct html *h, const char *key);
/* An html_test() flag by key ("font_low_contrast", "html", ...); false
 * when unknown. */
bool  html_flag(const struct html *h, const char *key);
/* JSON of every result (for the parity tools and tests). */
void  html_json(const struct html *h, struct buf *out);

#endif
