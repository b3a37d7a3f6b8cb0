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

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CHUNK	65535		/* libmilter's default data limit */

static int fd = -1;

static int
write_all(const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Send one packet: length, command, data. */
static int
send_cmd(char cmd, const void *data, size_t n)
{
	uint32_t len = htonl((uint32_t)n + 1);

	if (write_all(&len, 4) < 0 || write_all(&cmd, 1) < 0)
		return -1;
	return n ? write_all(data, n) : 0;
}

/* Read one reply packet; *data is malloc()ed (NUL-terminated). */
static int
read_reply(char *cmd, char **data, size_t *n)
{
	uint32_t len;

	if (read_all(&len, 4) < 0)
		return -1;
	len = ntohl(len);
	if (len == 0 || len > 64 * 1024 * 1024 || read_all(cmd, 1) < 0)
		return -1;
	*n = len - 1;
	*data = malloc(*n + 1);
	if (*data == NULL || (*n && read_all(*data, *n) < 0)) {
		free(*data);
		*data = NULL;
		return -1;
	}
	(*data)[*n] = '\0';
	return 0;
}

static void
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

	if (send_cmd(cmd, data, n) < 0 || read_reply(&rc, &d, &dn) < 0)
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
	size_t big, nhdrs, body, nforged = 0;
	char rc, *d, buf[256];
	size_t dn, n;
	char added[4096] = "";
	unsigned changed = 0, deleted = 0;

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
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "mtraw: socket path too long\n");
		return 1;
	}
	strcpy(sun.sun_path, argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "mtraw: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}

	/* Version 6, every action, no step skipped. */
	{
		uint32_t neg[3] = { htonl(6), htonl(0x1ff), htonl(0) };

		if (send_cmd('O', neg, sizeof(neg)) < 0 ||
		    read_reply(&rc, &d, &dn) < 0)
			closed("negotiate");
		free(d);
		if (rc != 'O') {
			printf("negotiate: reply %c\n", rc);
			return 3;
		}
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
	if (send_cmd('E', NULL, 0) < 0)
		closed("eom");
	for (;;) {
		if (read_reply(&rc, &d, &dn) < 0)
			closed("eom");
		if (rc == 'h' &&
		    strlen(added) + strlen(d) + 2 < sizeof(added)) {
			if (added[0])
				strcat(added, ",");
			strcat(added, d);
		} else if (rc == 'm' && dn > 4) {
			/* index, name, value: an empty value deletes. */
			size_t nl = strnlen(d + 4, dn - 4);

			changed++;
			if (4 + nl + 1 >= dn || d[4 + nl + 1] == '\0')
				deleted++;
		}
		free(d);
		if (strchr("acrtdy", rc) != NULL)
			break;
	}
	printf("eom=%c added=%s changed=%u deleted=%u\n", rc, added, changed,
	    deleted);
	send_cmd('Q', NULL, 0);
	close(fd);
	return 0;
}
