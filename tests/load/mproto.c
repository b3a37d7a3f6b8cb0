/*
 * mproto.c -- the MTA's side of the milter protocol for Warden's test
 * clients (see mproto.h): wdload, the load client, and mtraw, the raw
 * client of the protocol tests, both build it.  A change here changes
 * both; what each sends and reports is in its own file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "mproto.h"

/*
 * The largest reply accepted.  A filter's biggest is a replacement body,
 * sent in chunks no larger than the MTA's data limit; anything this big is
 * a broken length field, not a reply.
 */
#define MP_MAX_REPLY	(64u * 1024 * 1024)

int
mp_open(const char *spec)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		const char *path = strchr(spec, ':') + 1;

		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		return fd;
	}
	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		const char *hp = strchr(spec, ':') + 1, *at = strchr(hp, '@');
		char port[16], host[256];
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
		int one = 1;

		if (at == NULL || (size_t)(at - hp) >= sizeof(port))
			return -1;
		snprintf(port, sizeof(port), "%.*s", (int)(at - hp), hp);
		snprintf(host, sizeof(host), "%s", at + 1);
		hints.ai_family = spec[4] == '6' ? AF_INET6 : AF_INET;
		if (getaddrinfo(host, port, &hints, &ai) != 0)
			return -1;
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			int e = errno;

			if (fd >= 0)
				close(fd);
			freeaddrinfo(ai);
			errno = e;
			return -1;
		}
		freeaddrinfo(ai);
		/* As an MTA should: small commands must not wait on Nagle. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return fd;
	}
	errno = EINVAL;
	return -1;
}

static int
write_all(int fd, const void *p, size_t n)
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
read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int
mp_send(struct mp_conn *mc, char cmd, const void *data, size_t len)
{
	char hdr[5];
	uint32_t l = htonl((uint32_t)len + 1);

	memcpy(hdr, &l, 4);
	hdr[4] = cmd;
	/* A small packet in one write: one segment, one wakeup. */
	if (len + 5 <= 8192) {
		char buf[8192];

		memcpy(buf, hdr, 5);
		if (len)
			memcpy(buf + 5, data, len);
		return write_all(mc->fd, buf, len + 5);
	}
	if (write_all(mc->fd, hdr, 5) < 0)
		return -1;
	return len ? write_all(mc->fd, data, len) : 0;
}

int
mp_read(struct mp_conn *mc, char *cmd, char **data, size_t *len)
{
	uint32_t l;

	*data = NULL;
	if (read_all(mc->fd, &l, 4) < 0)
		return -1;
	l = ntohl(l);
	if (l == 0 || l > MP_MAX_REPLY || read_all(mc->fd, cmd, 1) < 0)
		return -1;
	*len = l - 1;
	if ((*data = malloc(*len + 1)) == NULL ||
	    (*len && read_all(mc->fd, *data, *len) < 0)) {
		free(*data);
		*data = NULL;
		return -1;
	}
	(*data)[*len] = '\0';
	return 0;
}

int
mp_negotiate(struct mp_conn *mc, uint32_t actions, uint32_t steps, char *bad)
{
	uint32_t o[3];
	char cmd, *d;
	size_t n;

	*bad = 0;
	o[0] = htonl(SMFI_PROT_VERSION);
	o[1] = htonl(actions);
	o[2] = htonl(steps);
	if (mp_send(mc, SMFIC_OPTNEG, o, sizeof(o)) < 0 ||
	    mp_read(mc, &cmd, &d, &n) < 0)
		return -1;
	if (cmd != SMFIC_OPTNEG || n < 12) {
		free(d);
		*bad = cmd;
		return -1;
	}
	memcpy(o, d, 12);
	mc->actions = ntohl(o[1]);
	mc->proto = ntohl(o[2]);
	free(d);
	return 0;
}

size_t
mp_put(char *b, size_t o, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(b + o, s, n);
	return o + n;
}

int
mp_macros(struct mp_conn *mc, char stage, const char *const *kv, int n)
{
	char buf[1024];
	size_t o = 1;

	buf[0] = stage;
	for (int i = 0; i < n; i++) {
		if (o + strlen(kv[i]) + 1 > sizeof(buf))
			return -1;
		o = mp_put(buf, o, kv[i]);
	}
	return mp_send(mc, SMFIC_MACRO, buf, o);
}

int
mp_final(struct mp_conn *mc, mp_reply_fn *fn, void *arg)
{
	for (;;) {
		char cmd, *d;
		size_t n;
		int final;

		if (mp_read(mc, &cmd, &d, &n) < 0)
			return -1;
		switch (cmd) {
		case SMFIR_ADDHEADER: case SMFIR_INSHEADER: case SMFIR_CHGHEADER:
		case SMFIR_QUARANTINE: case SMFIR_ADDRCPT: case SMFIR_DELRCPT:
		case SMFIR_ADDRCPT_PAR: case SMFIR_REPLBODY: case SMFIR_CHGFROM:
		case SMFIR_PROGRESS: case SMFIR_SETSYMLIST:
			final = 0;
			break;
		case SMFIR_CONTINUE: case SMFIR_ACCEPT: case SMFIR_REJECT:
		case SMFIR_TEMPFAIL: case SMFIR_DISCARD: case SMFIR_SKIP:
		case SMFIR_REPLYCODE:
			final = 1;
			break;
		default:
			free(d);
			return -1;
		}
		if (fn != NULL)
			fn(arg, cmd, d, n);
		free(d);
		if (final)
			return (unsigned char)cmd;
	}
}

int
mp_step(struct mp_conn *mc, char cmd, const void *data, size_t len,
    uint32_t skip, uint32_t noreply, mp_reply_fn *fn, void *arg)
{
	if (mc->proto & skip)
		return SMFIR_CONTINUE;
	if (mp_send(mc, cmd, data, len) < 0)
		return -1;
	if (mc->proto & noreply)
		return SMFIR_CONTINUE;
	return mp_final(mc, fn, arg);
}
