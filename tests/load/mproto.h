/*
 * mproto.h -- the MTA's side of the milter protocol, shared by Warden's
 * test clients: wdload (tests/load/, the load client) and mtraw
 * (tests/milter/, the raw client for what miltertest cannot send).
 *
 * Only the wire: opening the socket, packet framing, option negotiation,
 * macros, and reading replies up to the final one.  What to send and how
 * to count the answers stays in each program.  Blocking I/O on one
 * descriptor; every function may be used from many threads, each with its
 * own struct mp_conn.  Data read is malloc()ed and NUL-terminated.
 */
#ifndef WARDEN_TESTS_MPROTO_H
#define WARDEN_TESTS_MPROTO_H

#include <stddef.h>
#include <stdint.h>

struct mp_conn {
	int      fd;
	uint32_t actions;	/* what the filter said it may do */
	uint32_t proto;		/* steps it skips, replies it will not send */
};

/*
 * Connect to "unix:/path" ("local:/path"), "inet:PORT@HOST" or
 * "inet6:PORT@HOST"; over TCP with TCP_NODELAY, as an MTA should.
 * The descriptor, or -1 (errno set when a system call failed).
 */
int	mp_open(const char *spec);

/* One packet: length, command, data.  0 or -1. */
int	mp_send(struct mp_conn *mc, char cmd, const void *data, size_t len);

/* One reply packet: *cmd, *data (malloc()ed, NUL-terminated), *len. */
int	mp_read(struct mp_conn *mc, char *cmd, char **data, size_t *len);

/*
 * Offer protocol version 6 with these actions and these steps the filter
 * may skip or not reply to, and note what it answers in mc->actions and
 * mc->proto.  0, or -1 with *bad set to the command of a reply that is
 * not a whole option negotiation, or to 0 when the connection failed.
 */
int	mp_negotiate(struct mp_conn *mc, uint32_t actions, uint32_t steps,
	    char *bad);

/* Append "s\0" at offset o of b; the new offset. */
size_t	mp_put(char *b, size_t o, const char *s);

/* Send macros for a stage: n strings, name and value alternating. */
int	mp_macros(struct mp_conn *mc, char stage, const char *const *kv,
	    int n);

/*
 * Read replies until a final one (continue, accept, reject, tempfail,
 * discard, reply code, skip) and return its command; -1 on a closed
 * connection or an unknown reply.  fn, when not NULL, sees every reply
 * read, modifications and the final one, before it is freed.
 */
typedef void mp_reply_fn(void *arg, char cmd, const char *data, size_t len);
int	mp_final(struct mp_conn *mc, mp_reply_fn *fn, void *arg);

/*
 * Send a command and read its final reply, honouring what was negotiated:
 * SMFIR_CONTINUE without sending when mc->proto has skip, without reading
 * when it has noreply.  As mp_final.
 */
int	mp_step(struct mp_conn *mc, char cmd, const void *data, size_t len,
	    uint32_t skip, uint32_t noreply, mp_reply_fn *fn, void *arg);

#endif
