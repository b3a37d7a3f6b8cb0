/*
 * msgfile.h -- reading a stored message (an .eml file, or stdin) the way
 * an MTA would hand it to the milter: header fields one by one, then the
 * body with CRLF line ends.  Also the small address parsing that the
 * envelope defaults of "warden scan" need.
 *
 * A stored message needs no spool directory: the file is mapped, not
 * copied, and what the engine keeps of it (up to max_scan_size) stays in
 * memory, so "warden scan" works the same in a build tree or a user's
 * shell as on a configured mail server.
 */
#ifndef WARDEN_MSGFILE_H
#define WARDEN_MSGFILE_H

#include <stddef.h>

#include "scan.h"
#include "util.h"

struct snapshot;

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

/*
 * A stored message opened for scanning.  A regular file (stdin too, when
 * it is redirected from one) is mapped read-only and read in place,
 * whatever its size.  Anything else (a pipe, a terminal) is read into
 * memory up to max bytes; the rest is read, counted in size, and
 * dropped, as the spool drops what lies past max_scan_size.
 */
struct msgfile {
	const char *data;	/* the bytes, borrowed from map or mem */
	size_t  len;
	size_t  size;		/* bytes the input had: > len when cut */
	void   *map;		/* owned: the mapping, or NULL */
	size_t  map_len;
	char   *mem;		/* owned: the bytes read, or NULL */
};

/*
 * Open path ("-" is stdin, which is left open).  0, or -1 with errno.
 * msgfile_close() releases what msgfile_open() made, and may be called
 * on a zeroed struct.
 *
 * A regular file is kept whole: over 1 MiB mapped, else read.  Anything
 * else (a pipe) is read, up to max bytes kept and the rest counted in
 * size.
 *
 * XXX A mapped file that another process shortens while it is scanned
 * raises SIGBUS; "warden scan" reads files an administrator chose, and
 * copying each large one instead would cost its size in memory.
 */
int  msgfile_open(struct msgfile *mf, const char *path, size_t max);
void msgfile_close(struct msgfile *mf);

/*
 * The statistical filter's tokens of the stored message data[0..len)
 * (stats.h), read exactly as "warden scan" and the daemon read it at
 * the end of the message.  0, or -1 when it could not be read.
 */
struct stats_tok;
int msgfile_tokens(struct snapshot *snap, const char *data, size_t len,
    struct stats_tok *tk);
/* The envelope of a stored message; NULL or empty takes the default. */
struct msgfile_envelope {
	const char *from;		/* NULL: Return-Path, then From */
	const struct strlist *rcpts;	/* NULL or empty: To and Cc */
	const char *client;		/* NULL: 127.0.0.1 */
	const char *helo;		/* NULL: no HELO stage */
	bool explain;			/* keep what --explain shows */
	const char *auth;		/* the SMTP AUTH login, or NULL */
};

/*
 * The outcome of one stored message.  Owns the conn (and its txn), so the
 * results stay readable until msgfile_outcome_free().
 */
struct msgfile_outcome {
	enum action  action;		/* the decision, whatever the stage */
	bool         reached_eom;	/* v is valid, else d */
	struct verdict v;
	struct stage_decision d;
	const struct results *res;	/* borrowed from conn or txn */
	struct conn *conn;
};

/*
 * Run a stored message through every stage exactly as the milter does:
 * connect, HELO (only when given), MAIL FROM, each RCPT TO (a refused
 * recipient drops out; all refused refuses the message), the headers, the
 * body with CRLF line ends, end of message.  The message is kept in
 * memory up to max_scan_size (no spool file); its header fields are
 * looked for in that much of it only.  The caller keeps its reference to
 * snap; the conn takes one of its own.
 */
void msgfile_scan(struct snapshot *snap, const struct msgfile_envelope *env,
    const char *data, size_t len, struct msgfile_outcome *out);
/* The same for an opened file, counting what was not read as cut. */
void msgfile_scan_file(struct snapshot *snap,
    const struct msgfile_envelope *env, const struct msgfile *mf,
    struct msgfile_outcome *out);
void msgfile_outcome_free(struct msgfile_outcome *out);

#endif
