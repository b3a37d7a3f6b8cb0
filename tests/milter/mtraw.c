/*
 * mtraw.c -- a minimal MTA side of the milter protocol, for the Warden
 * tests that miltertest cannot drive: miltertest builds each header in a
 * small fixed buffer, so it cannot send a header line of a megabyte.
 *
 * usage: mtraw SOCKET_PATH BIG_HEADER_BYTES NHEADERS BODY_BYTES [NFORGED]
 *
 * Negotiates (offering every action and asking to skip no step), sends
 * a connection from 198.51.100.7, HELO, MAIL FROM, RCPT TO, NHEADERS
 * small headers, NFORGED "X-Spam-Status" headers (default 0), one
 * "X-Big" header whose value is BIG_HEADER_BYTES bytes long (none when
 * 0), the end of headers, BODY_BYTES of body in protocol-sized chunks
 * and the end of message.  Prints one line:
 *
 *	eom=C added=NAME,NAME changed=N deleted=N
 *
 * where C is the final reply ('a' accept, 'c' continue, 'r' reject,
 * 't' tempfail, 'y' reply code, 'd' discard), changed counts header
 * changes and deleted those that remove a header; or "closed at STEP"
 * when Warden ended the connection.  Exit 0 after the end of message, 1 on
 * usage or socket errors, 3 when the connection was closed early.
 */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "../load/mproto.h"	/* the wire, shared with wdload */

#define CHUNK	65535		/* libmilter's default data limit */

static struct mp_conn mc = { .fd = -1 };

/* What the end of message changed. */
struct added {
	char     names[4096];	/* headers added, by name, comma-separated */
	unsigned changed;	/* header changes */
	unsigned deleted;	/* of those, removals */
};

static void
note(void *arg, char cmd, const char *d, size_t n)
{
	struct added *a = arg;

	if (cmd == SMFIR_ADDHEADER &&
	    strlen(a->names) + strlen(d) + 2 < sizeof(a->names)) {
		if (a->names[0])
			strcat(a->names, ",");
		strcat(a->names, d);
	} else if (cmd == SMFIR_CHGHEADER && n > 4) {
		/* index, name, value: an empty value deletes. */
		size_t nl = strnlen(d + 4, n - 4);

		a->changed++;
		if (4 + nl + 1 >= n || d[4 + nl + 1] == '\0')
			a->deleted++;
	}
}

static _Noreturn void
closed(const char *step)
{
	printf("closed at %s\n", step);
	exit(3);
}

/* Send a command and expect a "continue". */
static void
step(const char *name, char cmd, const void *data, size_t n)
{
	char rc, *d;
	size_t dn;

	if (mp_send(&mc, cmd, data, n) < 0 || mp_read(&mc, &rc, &d, &dn) < 0)
		closed(name);
	free(d);
	if (rc != 'c') {
		printf("%s: reply %c\n", name, rc);
		exit(0);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	struct added a = { .names = "" };
	size_t big, nhdrs, body, nforged = 0;
	char rc, buf[256 + sizeof(sun.sun_path)];
	size_t n;
	int r;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: mtraw SOCKET_PATH BIG_HEADER_BYTES "
		    "NHEADERS BODY_BYTES [NFORGED]\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);	/* a closed connection is a result */
	big = strtoul(argv[2], NULL, 10);
	nhdrs = strtoul(argv[3], NULL, 10);
	body = strtoul(argv[4], NULL, 10);
	if (argc == 6)
		nforged = strtoul(argv[5], NULL, 10);
	if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "mtraw: socket path too long\n");
		return 1;
	}
	snprintf(buf, sizeof(buf), "unix:%s", argv[1]);
	if ((mc.fd = mp_open(buf)) < 0) {
		fprintf(stderr, "mtraw: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	/* Version 6, every action, no step skipped. */
	if (mp_negotiate(&mc, 0x1ff, 0, &rc) < 0) {
		if (rc == 0)
			closed("negotiate");
		printf("negotiate: reply %c\n", rc);
		return 3;
	}
	/* Connect: name, family '4', port, address. */
	n = 0;
	memcpy(buf, "client.example", 15);
	n += 15;
	buf[n++] = '4';
	buf[n++] = 0;
	buf[n++] = 25;
	memcpy(buf + n, "198.51.100.7", 13);
	n += 13;
	step("connect", 'C', buf, n);
	step("helo", 'H', "client.example", 15);
	step("mail", 'M', "<sender@example.com>", 21);
	step("rcpt", 'R', "<rcpt@example.org>", 19);
	for (size_t i = 0; i < nhdrs; i++) {
		int len = snprintf(buf, sizeof(buf), "X-Filler-%zu%cvalue %zu",
		    i, '\0', i);

		step("header", 'L', buf, (size_t)len + 1);
	}
	step("header", 'L', "Subject\0mtraw test", 19);
	for (size_t i = 0; i < nforged; i++) {
		int len = snprintf(buf, sizeof(buf), "X-Spam-Status%cYes, "
		    "forged %zu", '\0', i);

		step("forged header", 'L', buf, (size_t)len + 1);
	}
	if (big > 0) {
		char *h = malloc(big + 7);

		if (h == NULL)
			return 1;
		memcpy(h, "X-Big", 6);
		memset(h + 6, 'x', big);
		h[6 + big] = '\0';
		step("big header", 'L', h, big + 7);
		free(h);
	}
	step("eoh", 'N', NULL, 0);
	{
		char *chunk = malloc(CHUNK);

		if (chunk == NULL)
			return 1;
		for (size_t i = 0; i < CHUNK; i++)
			chunk[i] = i % 78 == 77 ? '\n' : 'b';
		for (size_t off = 0; off < body; off += CHUNK) {
			size_t m = body - off < CHUNK ? body - off : CHUNK;

			step("body", 'B', chunk, m);
		}
		free(chunk);
	}
	/* End of message: modifications, then the final reply. */
	if (mp_send(&mc, SMFIC_BODYEOB, NULL, 0) < 0 ||
	    (r = mp_final(&mc, note, &a)) < 0)
		closed("eom");
	printf("eom=%c added=%s changed=%u deleted=%u\n", r, a.names,
	    a.changed, a.deleted);
	mp_send(&mc, SMFIC_QUIT, NULL, 0);
	close(mc.fd);
	return 0;
}
