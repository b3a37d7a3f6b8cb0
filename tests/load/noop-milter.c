/*
 * noop-milter -- the smallest filter that does what every content filter
 * must: follow every stage of the transaction through libmilter (with
 * the same negotiated steps as Warden), then add one header and accept.  Measured beside Warden by the same client, it
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

/* Ask for the same protocol steps as Warden, so the baseline is fair. */
static sfsistat
noop_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx; (void)f0; (void)f2; (void)f3;
	*pf0 = SMFIF_ADDHDRS;
	*pf1 = f1 & (SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP | SMFIP_NR_HDR);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
noop_header_nr(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx; (void)name; (void)value;
	return SMFIS_NOREPLY;
}

static struct smfiDesc desc = {
	.xxfi_name = "noop",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_header = noop_header_nr,
	.xxfi_negotiate = noop_negotiate,
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
