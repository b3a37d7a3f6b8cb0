/*
 * noop-milter -- the smallest filter that does what every content filter
 * must: follow every stage of the transaction through libmilter, then add
 * one header and accept.  Measured beside Warden by the same client, it
 * is the ceiling of libmilter plus the protocol on the same machine.
 *
 *   noop-milter -s SOCKET      (unix:/path or inet:PORT@HOST)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static sfsistat
noop_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx; (void)name; (void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
noop_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx; (void)chunk; (void)len;
	return SMFIS_CONTINUE;
}

static sfsistat
noop_eom(SMFICTX *ctx)
{
	smfi_addheader(ctx, "X-Noop", "yes");
	return SMFIS_ACCEPT;
}

static struct smfiDesc desc = {
	.xxfi_name = "noop",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_header = noop_header,
	.xxfi_body = noop_body,
	.xxfi_eom = noop_eom,
};

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	int c;

	while ((c = getopt(argc, argv, "s:")) != -1)
		if (c == 's')
			sock = optarg;
	if (sock == NULL) {
		fprintf(stderr, "usage: noop-milter -s SOCKET\n");
		return 2;
	}
	if (strncmp(sock, "unix:", 5) == 0)
		unlink(sock + 5);
	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "noop-milter: cannot open %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
