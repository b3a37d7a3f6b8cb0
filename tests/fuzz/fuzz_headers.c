/*
 * fuzz_headers -- header and address parsing: splitting a message into
 * header fields, address lists, envelope arguments, SMTP replies, CIDR
 * blocks, and the header handling of a message in progress.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "config.h"
#include "fuzz.h"
#include "msgfile.h"
#include "txn.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strlist names = { 0 }, values = { 0 }, addrs = { 0 };
	char *text = malloc(size + 1);
	size_t off;
	struct buf body;

	memcpy(text, data, size);
	text[size] = '\0';
	off = msgfile_split(text, size, &names, &values);
	if (off > size || names.n != values.n)
		abort();
	for (size_t i = 0; i < values.n; i++) {
		struct reply r;
		struct cidr c;
		const char *why;
		char *a;

		msgfile_addrs(values.v[i], &addrs);
		a = addr_unbracket(values.v[i]);
		free(a);
		if (reply_parse(values.v[i], 0, &r, &why) == 0)
			reply_free(&r);
		(void)cidr_parse(values.v[i], &c);
		(void)header_is_ours(names.v[i]);
	}
	buf_init(&body, 0);
	msgfile_body_crlf(text + off, size - off, &body);
	buf_free(&body);
	strlist_free(&names);
	strlist_free(&values);
	strlist_free(&addrs);
	free(text);
	return 0;
}
