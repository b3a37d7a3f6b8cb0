/*
 * fuzz_html -- the HTML analysis (html_analyze) on one text/html part:
 * the input, made valid UTF-8 first as the API requires (each invalid
 * byte becomes U+FFFD), is analysed, every accessor is read, and the
 * invariants Warden relies on are checked: counts in code points, text
 * and lists valid UTF-8 and bounded, ratios finite and in range.
 */
#include "autoconfig.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "html.h"
#include "util.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

/* The length of the valid UTF-8 sequence at s[0..n), or 0 if none. */
static size_t
u8_valid(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t need;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4, cp = c & 0x07;
	else
		return 0;
	if (need > n)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

/* Code points in s[0..n), or (size_t)-1 if it is not valid UTF-8. */
static size_t
u8_count(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t cps = 0;

	for (size_t i = 0; i < n; cps++) {
		size_t k = u8_valid(p + i, n - i);

		if (k == 0)
			return (size_t)-1;
		i += k;
	}
	return cps;
}

static void
check_ratio(const struct html *h, const char *key, bool unit)
{
	double v = -1;

	if (!html_value(h, key, &v))
		return;
	CHECK(isfinite(v) && v >= 0);
	if (unit)
		CHECK(v <= 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Every key html_json() reads, and a few that are not keys. */
	static const char *const nums[] = { "length", "html_length",
	    "non_space_len", "image_area", "min_size", "max_size",
	    "closed_extra_ratio", "bad_tag_ratio", "non_element_ratio",
	    "obfuscation_ratio", "", "nosuchkey", NULL };
	static const char *const flags[] = { "html", "font_low_contrast",
	    "font_invalid_color", "font_face_bad", "form_action_mailto",
	    "embeds", "uri_truncated", "", "nosuchflag", NULL };
	static const char *const lists[] = { "comment", "title", "anchor",
	    "script", NULL };
	static const char *const tags[] = { "html", "body", "a", "img",
	    "font", "script", "style", "title", "p", "o:p", "", NULL };
	struct buf in, json;
	struct html *h;
	size_t cps = 0, textcps;
	double v;

	/* Make the input valid UTF-8: each invalid byte becomes U+FFFD. */
	buf_init(&in, 0);
	for (size_t i = 0; i < size; cps++) {
		size_t k = u8_valid(data + i, size - i);

		if (k == 0) {
			buf_append(&in, "\xef\xbf\xbd", 3);
			i++;
		} else {
			buf_append(&in, data + i, k);
			i += k;
		}
	}
	h = html_analyze(in.p != NULL ? in.p : "", in.len);
	CHECK(h != NULL);

	/* Counts and the rendered text. */
	CHECK(h->length == cps);
	CHECK(h->non_space_len <= h->html_length);
	CHECK(h->text.len <= 2 * in.len + 1024);
	textcps = u8_count(h->text.p != NULL ? h->text.p : "", h->text.len);
	CHECK(textcps != (size_t)-1);
	CHECK(h->html_length == textcps);
	CHECK(h->min_size <= 3 && h->max_size >= 3);

	/* Every numeric value, through the accessor. */
	for (const char *const *k = nums; *k; k++)
		(void)html_value(h, *k, &v);
	CHECK(html_value(h, "length", &v) && v == (double)h->length);
	CHECK(html_value(h, "html_length", &v) &&
	    v == (double)h->html_length);
	CHECK(!html_value(h, "nosuchkey", &v));
	CHECK(html_value(h, "image_area", &v) && isfinite(v) && v >= 0);
	check_ratio(h, "closed_extra_ratio", true);
	check_ratio(h, "bad_tag_ratio", true);
	check_ratio(h, "non_element_ratio", true);
	check_ratio(h, "obfuscation_ratio", false);

	/* Flags. */
	for (const char *const *k = flags; *k; k++)
		(void)html_flag(h, *k);
	CHECK(html_flag(h, "html"));
	CHECK(!html_flag(h, "nosuchflag"));

	/* Lists: bounded, valid UTF-8. */
	for (const char *const *k = lists; *k; k++) {
		const struct strlist *l = html_list(h, *k);

		CHECK(l != NULL);
		CHECK(l->n <= HTML_MAX_STRS);
		for (size_t i = 0; i < l->n; i++) {
			size_t n;

			CHECK(l->v[i] != NULL);
			n = strlen(l->v[i]);
			CHECK(n <= HTML_MAX_STR);
			CHECK(u8_count(l->v[i], n) != (size_t)-1);
		}
	}
	CHECK(html_list(h, "nosuchlist") == NULL);

	/* Tags and their "inside" counts. */
	CHECK(h->ntags <= HTML_MAX_TAGS);
	for (size_t i = 0; i < h->ntags; i++) {
		CHECK(h->tags[i].name != NULL);
		CHECK(h->tags[i].inside >= 0);
		CHECK(html_inside(h, h->tags[i].name) >= 0);
	}
	for (const char *const *k = tags; *k; k++)
		CHECK(html_inside(h, *k) >= -1);

	/* The JSON dump of everything. */
	buf_init(&json, 0);
	html_json(h, &json);
	CHECK(json.len > 0 && json.p[0] == '{' && json.p[json.len - 1] == '}');
	CHECK(u8_count(json.p, json.len) != (size_t)-1);
	buf_free(&json);

	html_free(h);
	buf_free(&in);
	return 0;
}
