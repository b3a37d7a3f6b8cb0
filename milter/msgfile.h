/*
 * msgfile.h -- reading a stored message (an .eml file, or stdin) the way
 * an MTA would hand it to the milter: header fields one by one, then the
 * body with CRLF line ends.  Also the small address parsing that the
 * envelope defaults of "warden scan" need.
 */
#ifndef WARDEN_MSGFILE_H
#define WARDEN_MSGFILE_H

#include <stddef.h>

#include "util.h"

/*
 * Split data into header fields and the body offset.  names/values get
 * owned copies; a value keeps its folding as "\n" plus the continuation
 * line, without the leading white space after the colon.  A leading mbox
 * "From " line is skipped.  Returns the offset of the body.
 */
size_t msgfile_split(const char *data, size_t len, struct strlist *names,
    struct strlist *values);
/* Append the body with every line end made CRLF. */
void msgfile_body_crlf(const char *body, size_t len, struct buf *out);
/* Every address in an address-list header value (owned copies). */
void msgfile_addrs(const char *value, struct strlist *out);
/* Read a whole file ("-" is stdin).  NULL with errno on failure. */
char *msgfile_read(const char *path, size_t *len);

#endif
