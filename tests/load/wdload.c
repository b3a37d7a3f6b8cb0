/*
 * wdload -- a milter-protocol load client: plays the MTA's side of the
 * milter protocol (version 6) against a filter, as Postfix does, and
 * measures it.
 *
 *   wdload [-s SOCKET] [-c CONNS] [-n MESSAGES] [-m PER_CONN] [-j]
 *          [-a ABORT_PCT] [-k KILL_PCT] [-S MAXSIZE] [-r SEED] [-u] [-C]
 *          FILE_OR_DIR...
 *   wdload [-s SOCKET] -I IDLE [-t SECONDS]
 *
 * The messages (files, or every file under the directories given) are
 * read into memory first.  CONNS threads each open a connection, negotiate
 * options (honouring the steps the filter asks the MTA to skip and the
 * replies it says it will not send), send connect/HELO/MAIL/RCPT with
 * macros, the headers, the body in chunks of at most 65,535 bytes and end
 * of message, read every modification and the verdict, and go on with the
 * next message on the same connection; after PER_CONN messages they quit
 * and reconnect.  With -a, that percentage of messages is aborted in the
 * middle of the body (the MTA's client went away), to exercise cleanup.
 * With -k, that percentage of messages ends with the connection closed in
 * the middle of the body, with no abort (the MTA itself went away); the
 * worker then opens a new connection.
 *
 * Messages are sent in the order read (directories sorted by name), from
 * the first again after the last; -r SEED shuffles that order first (the
 * same seed gives the same order), so that -n smaller than the corpus is a
 * fair sample of it.
 *
 * With -u, each message gets a first header "X-Wdload-Id" that no other
 * message of any run has, so that a filter cannot answer from a cache of
 * messages it has seen (libclamav keeps one): every message is new, as
 * real mail is.
 *
 * The client is client.example.net [192.0.2.10] on every connection;
 * with -C, each new connection comes from the next address of
 * 192.0.2.1-250 and 198.51.100.1-250 in turn (the documentation
 * networks of RFC 5737, public to a filter: a filter with DNS lists
 * looks each one up; tests/data/dns/blocklists.zone lists a few of them
 * and not the others), so that a filter sees many clients, as a site
 * does, and cannot answer every connection from one cached lookup.
 *
 * With -S MAXSIZE, the latency percentiles are also given for the messages
 * smaller than MAXSIZE bytes (as stored: headers and body), e.g. -S 100k.
 *
 * With -I IDLE and no messages, wdload opens IDLE connections, takes each
 * through negotiation, connect and HELO, prints "idle N open" (flushed) and
 * holds them for SECONDS (default 10) or until its standard input closes
 * when SECONDS is 0, then quits them: for measuring a filter's memory with
 * many connections open.
 *
 * Report: messages per second, latency percentiles (MAIL to the verdict),
 * verdict counts ("tag": the filter added X-Spam-Flag: YES or X-Spam: Yes),
 * protocol errors, and the client's own CPU use: when the
 * client is the limit, the report says so.  -j prints one JSON line.
 *
 * Exit status: 0 when every message got a verdict, 1 on protocol errors,
 * 2 on usage errors.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "mproto.h"
#include "walk.h"

#define CHUNK 65535

struct msg {
	char   *from;
	char   *to;
	char  **hname;
	char  **hvalue;
	size_t  nh;
	char   *body;	/* CRLF line ends */
	size_t  blen;
	size_t  size;	/* as stored */
};

enum verdict { V_ACCEPT, V_TAG, V_QUARANTINE, V_REJECT, V_TEMPFAIL,
	V_DISCARD, V_EARLY_REJECT, V_EARLY_TEMPFAIL, V_EARLY_ACCEPT, V_ABORTED,
	V_DISCONNECTED, V_NCOUNT };
static const char *const vnames[V_NCOUNT] = { "accept", "tag", "quarantine",
	"reject", "tempfail", "discard", "reject_early", "tempfail_early",
	"accept_early", "aborted", "disconnected" };

static struct msg *msgs;
static size_t nmsgs, msgs_cap;
static const char *sockspec = "unix:/run/warden/warden.sock";
static long total = 1000, per_conn = 10;
static int abort_pct;
static int kill_pct;		/* -k: close the connection mid-body */
static char uniq[64];		/* -u: X-Wdload-Id prefix; "": none */
static bool vary_client;	/* -C: a new client address per connection */
static atomic_long next_client;
static atomic_long next_msg;
static atomic_long errors;
static atomic_long counts[V_NCOUNT];
static double *lat;		/* per message, ms */
static atomic_long nlat;
static long maxsize;		/* -S: percentiles of the smaller ones too */
static double *slat;
static atomic_long nslat;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* --- Loading messages ------------------------------------------------ */

static char *
dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* First <addr> or bare addr in a header value. */
static char *
first_addr(const char *v)
{
	const char *lt = strchr(v, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		return dupn(lt + 1, (size_t)(gt - lt - 1));
	while (isspace((unsigned char)*v))
		v++;
	return dupn(v, strcspn(v, " \t\r\n,;("));
}

static void
add_message(const char *data, size_t len)
{
	struct msg m = { .size = len };
	const char *p = data, *end = data + len;
	size_t cap = 0;

	if (len > 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', len);
		p = nl ? nl + 1 : end;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *colon, *ls = p;
		size_t n = (size_t)(le - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0) {
			p = nl ? nl + 1 : end;
			break;
		}
		colon = memchr(p, ':', n);
		if (colon == NULL || isspace((unsigned char)*p))
			break;
		/* value with continuation lines, folded by "\n" */
		const char *vs = colon + 1;
		while (vs < p + n && (*vs == ' ' || *vs == '\t'))
			vs++;
		size_t vcap, vlen = (size_t)(p + n - vs);
		char *val = dupn(vs, vlen);
		p = nl ? nl + 1 : end;
		while (p < end && (*p == ' ' || *p == '\t')) {
			const char *nl2 = memchr(p, '\n', (size_t)(end - p));
			size_t n2 = (size_t)((nl2 ? nl2 : end) - p);

			if (n2 > 0 && p[n2 - 1] == '\r')
				n2--;
			vcap = vlen + n2 + 2;
			val = realloc(val, vcap);
			val[vlen++] = '\n';
			memcpy(val + vlen, p, n2);
			vlen += n2;
			val[vlen] = '\0';
			p = nl2 ? nl2 + 1 : end;
		}
		if (m.nh == cap) {
			cap = cap ? cap * 2 : 16;
			m.hname = realloc(m.hname, cap * sizeof(char *));
			m.hvalue = realloc(m.hvalue, cap * sizeof(char *));
		}
		{
			const char *ne = colon;

			while (ne > ls && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			m.hname[m.nh] = dupn(ls, (size_t)(ne - ls));
		}
		m.hvalue[m.nh] = val;
		if (m.from == NULL && (strcasecmp(m.hname[m.nh], "Return-Path") == 0 ||
		    strcasecmp(m.hname[m.nh], "From") == 0))
			m.from = first_addr(val);
		if (m.to == NULL && strcasecmp(m.hname[m.nh], "To") == 0)
			m.to = first_addr(val);
		m.nh++;
	}
	/* Body with CRLF line ends, as the MTA sends it. */
	{
		size_t bl = (size_t)(end - p), o = 0;

		m.body = malloc(bl * 2 + 1);
		for (const char *q = p; q < end; q++) {
			if (*q == '\n' && (q == p || q[-1] != '\r'))
				m.body[o++] = '\r';
			m.body[o++] = *q;
		}
		m.blen = o;
	}
	if (m.from == NULL || m.from[0] == '\0') {
		free(m.from);
		m.from = strdup("sender@example.org");
	}
	if (m.to == NULL || m.to[0] == '\0') {
		free(m.to);
		m.to = strdup("rcpt@example.com");
	}
	if (nmsgs == msgs_cap) {
		msgs_cap = msgs_cap ? msgs_cap * 2 : 256;
		msgs = realloc(msgs, msgs_cap * sizeof(*msgs));
	}
	msgs[nmsgs++] = m;
}

/* One file: read whole, then parsed. */
static void
load_file(const char *path, void *arg)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;

	(void)arg;
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fprintf(stderr, "wdload: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (got < (size_t)st.st_size &&
	    (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	add_message(buf, got);
	free(buf);
}

/* --- The protocol (the wire is in mproto.c) -------------------------- */

/*
 * What the replies before the final one said: header additions that tag
 * the message as spam, a quarantine, and whether a reply code was 4xx.
 */
#define F_TAG 1
#define F_QUAR 2
#define F_TEMPCODE 4

static void
note(void *arg, char cmd, const char *d, size_t n)
{
	int *flags = arg;

	switch (cmd) {
	case SMFIR_ADDHEADER:
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER: {
		/* Tagged as spam: "X-Spam-Flag: YES" (Warden, SpamAssassin)
		 * or "X-Spam: Yes" (rspamd). */
		size_t off = cmd == SMFIR_ADDHEADER ? 0 : 4;
		const char *name = d + off;
		size_t nl = off < n ? strnlen(name, n - off) : 0;
		const char *val = off + nl + 1 < n ? name + nl + 1 : "";

		while (*val == ' ' || *val == '\t')
			val++;
		if (off < n && (strcasecmp(name, "X-Spam-Flag") == 0 ||
		    strcasecmp(name, "X-Spam") == 0) &&
		    (val[0] == 'Y' || val[0] == 'y'))
			*flags |= F_TAG;
		break;
	}
	case SMFIR_QUARANTINE:
		*flags |= F_QUAR;
		break;
	case SMFIR_REPLYCODE:
		if (d[0] == '4')
			*flags |= F_TEMPCODE;
		else
			*flags &= ~F_TEMPCODE;
		break;
	default:
		break;
	}
}

/*
 * Send a command (unless skipped) and read its final reply (unless the
 * filter will not send one): its code, a reply code mapped to 't' or 'r'
 * by its first digit, 's' for skip; -1 on protocol error.
 */
static int
step(struct mp_conn *mc, char cmd, const void *data, size_t len,
    uint32_t skip, uint32_t noreply, int *flags)
{
	int r = mp_step(mc, cmd, data, len, skip, noreply, note, flags);

	if (r == SMFIR_REPLYCODE)
		r = *flags & F_TEMPCODE ? SMFIR_TEMPFAIL : SMFIR_REJECT;
	return r;
}

/* Negotiated: every action, every step may be skipped or not replied to. */
static int
negotiate(struct mp_conn *mc)
{
	char bad;

	return mp_negotiate(mc, 0x1ff, 0x1fffff, &bad);
}

/* Connect and HELO as client.example.net [192.0.2.10] (with -C, the
 * next address of 192.0.2.1-250 and 198.51.100.1-250); as step. */
static int
greet(struct mp_conn *mc, int *flags)
{
	char addr[16] = "192.0.2.10";
	const char *ck[] = { "j", "mx.example", "{daemon_name}", "wdload",
	    "{client_addr}", addr, "{client_name}", "client.example.net" };
	char buf[512];
	size_t o;
	int r;

	if (vary_client) {
		long i = atomic_fetch_add(&next_client, 1);

		snprintf(addr, sizeof(addr), "%s.%ld",
		    i % 2 ? "198.51.100" : "192.0.2", 1 + (i / 2) % 250);
	}
	if (mp_macros(mc, SMFIC_CONNECT, ck, 8) < 0)
		return -1;
	o = mp_put(buf, 0, "client.example.net");
	buf[o++] = SMFIA_INET;
	buf[o++] = 0x30;	/* port 12345, network order */
	buf[o++] = 0x39;
	o = mp_put(buf, o, addr);
	r = step(mc, SMFIC_CONNECT, buf, o, SMFIP_NOCONNECT, SMFIP_NR_CONN,
	    flags);
	if (r == SMFIR_CONTINUE) {
		o = mp_put(buf, 0, "client.example.net");
		r = step(mc, SMFIC_HELO, buf, o, SMFIP_NOHELO, SMFIP_NR_HELO,
		    flags);
	}
	return r;
}


static enum verdict
early(int r)
{
	return r == SMFIR_ACCEPT ? V_EARLY_ACCEPT : r == SMFIR_TEMPFAIL ?
	    V_EARLY_TEMPFAIL : r == SMFIR_DISCARD ? V_DISCARD : V_EARLY_REJECT;
}

/* One message: returns its verdict, or -1 on protocol error. */
static int
send_message(struct mp_conn *mc, const struct msg *m, long id, bool do_abort,
    bool do_kill)
{
	char buf[1024], qid[32];
	const char *mk[] = { "i", qid, "{mail_addr}", m->from };
	const char *ek[] = { "i", qid };
	int r, flags = 0;
	size_t o;

	snprintf(qid, sizeof(qid), "L%08lX", id);
	if (mp_macros(mc, SMFIC_MAIL, mk, 4) < 0)
		return -1;
	snprintf(buf, sizeof(buf), "<%s>", m->from);
	o = mp_put(buf, 0, buf);
	r = step(mc, SMFIC_MAIL, buf, o, SMFIP_NOMAIL, SMFIP_NR_MAIL, &flags);
	if (r != SMFIR_CONTINUE)
		return r < 0 ? -1 : (int)early(r);
	snprintf(buf, sizeof(buf), "<%s>", m->to);
	o = mp_put(buf, 0, buf);
	r = step(mc, SMFIC_RCPT, buf, o, SMFIP_NORCPT, SMFIP_NR_RCPT, &flags);
	if (r != SMFIR_CONTINUE)
		return r < 0 ? -1 : (int)early(r);
	r = step(mc, SMFIC_DATA, NULL, 0, SMFIP_NODATA, SMFIP_NR_DATA, &flags);
	if (r != SMFIR_CONTINUE)
		return r < 0 ? -1 : (int)early(r);
	if (uniq[0] != '\0') {
		/* A header no other message of any run has: the filter
		 * cannot answer from a cache of messages it has seen. */
		char idv[96];

		snprintf(idv, sizeof(idv), "%s%lX", uniq, id);
		o = mp_put(buf, 0, "X-Wdload-Id");
		o = mp_put(buf, o, idv);
		r = step(mc, SMFIC_HEADER, buf, o, SMFIP_NOHDRS, SMFIP_NR_HDR,
		    &flags);
		if (r != SMFIR_CONTINUE)
			return r < 0 ? -1 : (int)early(r);
	}
	for (size_t i = 0; i < m->nh; i++) {
		size_t nl = strlen(m->hname[i]) + 1, vl = strlen(m->hvalue[i]) + 1;
		char *h = malloc(nl + vl);

		memcpy(h, m->hname[i], nl);
		memcpy(h + nl, m->hvalue[i], vl);
		r = step(mc, SMFIC_HEADER, h, nl + vl, SMFIP_NOHDRS, SMFIP_NR_HDR,
		    &flags);
		free(h);
		if (r != SMFIR_CONTINUE)
			return r < 0 ? -1 : (int)early(r);
	}
	r = step(mc, SMFIC_EOH, NULL, 0, SMFIP_NOEOH, SMFIP_NR_EOH, &flags);
	if (r != SMFIR_CONTINUE)
		return r < 0 ? -1 : (int)early(r);
	for (size_t off = 0; off < m->blen && !(mc->proto & SMFIP_NOBODY);) {
		size_t n = m->blen - off > CHUNK ? CHUNK : m->blen - off;

		if (do_kill) {
			/* Half a chunk, then the MTA goes away: no abort. */
			if (n > 1)
				n /= 2;
			if (mp_send(mc, SMFIC_BODY, m->body + off, n) < 0)
				return -1;
			return V_DISCONNECTED;
		}
		if (do_abort && off > 0) {
			/* The client went away in the middle of the body. */
			if (mp_send(mc, SMFIC_ABORT, NULL, 0) < 0)
				return -1;
			return V_ABORTED;
		}
		r = step(mc, SMFIC_BODY, m->body + off, n, 0, SMFIP_NR_BODY, &flags);
		if (r == SMFIR_SKIP)
			break;
		if (r != SMFIR_CONTINUE)
			return r < 0 ? -1 : (int)early(r);
		off += n;
	}
	if (do_kill)
		return V_DISCONNECTED;
	if (do_abort) {
		if (mp_send(mc, SMFIC_ABORT, NULL, 0) < 0)
			return -1;
		return V_ABORTED;
	}
	if (mp_macros(mc, SMFIC_BODYEOB, ek, 2) < 0)
		return -1;
	r = step(mc, SMFIC_BODYEOB, NULL, 0, 0, 0, &flags);
	switch (r) {
	case SMFIR_ACCEPT: case SMFIR_CONTINUE:
		return flags & F_QUAR ? V_QUARANTINE : flags & F_TAG ? V_TAG :
		    V_ACCEPT;
	case SMFIR_REJECT: return V_REJECT;
	case SMFIR_TEMPFAIL: return V_TEMPFAIL;
	case SMFIR_DISCARD: return V_DISCARD;
	default: return -1;
	}
}

static void *
worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (;;) {
		struct mp_conn mc = { .fd = -1 };
		int r, flags = 0;
		long done = 0;
		bool conn_ok = true;

		if (atomic_load(&next_msg) >= total)
			return NULL;
		if ((mc.fd = mp_open(sockspec)) < 0 || negotiate(&mc) < 0) {
			atomic_fetch_add(&errors, 1);
			if (mc.fd >= 0)
				close(mc.fd);
			usleep(100000);
			if (atomic_load(&errors) > 1000)
				return NULL;
			continue;
		}
		r = greet(&mc, &flags);
		if (r != SMFIR_CONTINUE) {
			if (r < 0)
				atomic_fetch_add(&errors, 1);
			else {
				/* Decided for the whole connection: count one message. */
				long id = atomic_fetch_add(&next_msg, 1);
				if (id < total) {
					atomic_fetch_add(&counts[early(r)], 1);
					lat[atomic_fetch_add(&nlat, 1)] = 0;
				}
			}
			close(mc.fd);
			continue;
		}
		while (done < per_conn) {
			long id = atomic_fetch_add(&next_msg, 1);
			double t0;
			bool ab, kl;

			if (id >= total)
				break;
			ab = abort_pct > 0 && (int)(rand_r(&seed) % 100) < abort_pct;
			t0 = now_ms();
			kl = kill_pct > 0 && (int)(rand_r(&seed) % 100) < kill_pct;
			r = send_message(&mc, &msgs[id % (long)nmsgs], id, ab, kl);
			if (r < 0) {
				atomic_fetch_add(&errors, 1);
				conn_ok = false;
				break;
			}
			t0 = now_ms() - t0;
			lat[atomic_fetch_add(&nlat, 1)] = t0;
			if (maxsize > 0 && msgs[id % (long)nmsgs].size < (size_t)maxsize)
				slat[atomic_fetch_add(&nslat, 1)] = t0;
			atomic_fetch_add(&counts[r], 1);
			done++;
			if (r == V_DISCONNECTED) {
				conn_ok = false;	/* closed: no QUIT */
				break;
			}
		}
		if (conn_ok)
			mp_send(&mc, SMFIC_QUIT, NULL, 0);
		close(mc.fd);
	}
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const double *v, long n, double p)
{
	long i;

	if (n == 0)
		return 0;
	i = (long)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i];
}

/* Connect, negotiate, connect and HELO; the descriptor, or -1. */
static int
open_idle(void)
{
	struct mp_conn mc = { .fd = -1 };
	int flags = 0;

	if ((mc.fd = mp_open(sockspec)) >= 0 && negotiate(&mc) == 0 &&
	    greet(&mc, &flags) == SMFIR_CONTINUE)
		return mc.fd;
	if (mc.fd >= 0)
		close(mc.fd);
	return -1;
}

static int
hold_idle(int n, int secs)
{
	int *fds = calloc((size_t)n, sizeof(int)), bad = 0;

	for (int i = 0; i < n; i++)
		if ((fds[i] = open_idle()) < 0)
			bad++;
	printf("idle %d open%s\n", n - bad, bad ? " (some failed)" : "");
	fflush(stdout);
	if (secs > 0)
		sleep((unsigned)secs);
	else {
		char b[256];

		while (read(0, b, sizeof(b)) > 0)
			;
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			struct mp_conn mc = { .fd = fds[i] };

			mp_send(&mc, SMFIC_QUIT, NULL, 0);
			close(fds[i]);
		}
	free(fds);
	return bad ? 1 : 0;
}

static long
parse_size(const char *s)
{
	char *e;
	long v = strtol(s, &e, 10);

	if (*e == 'k' || *e == 'K')
		v *= 1024;
	else if (*e == 'm' || *e == 'M')
		v *= 1024 * 1024;
	return v;
}

int
main(int argc, char **argv)
{
	int idle = 0, idle_secs = 10;
	long seed = 0;
	int c, conns = 4, json = 0;
	pthread_t *th;
	double t0, wall, cpu, cpu0;
	struct rusage ru;
	long n;

	while ((c = getopt(argc, argv, "s:c:n:m:a:k:S:I:t:r:ujCh")) != -1) {
		switch (c) {
		case 's': sockspec = optarg; break;
		case 'c': conns = atoi(optarg); break;
		case 'n': total = atol(optarg); break;
		case 'm': per_conn = atol(optarg); break;
		case 'a': abort_pct = atoi(optarg); break;
		case 'k': kill_pct = atoi(optarg); break;
		case 'j': json = 1; break;
		case 'S': maxsize = parse_size(optarg); break;
		case 'I': idle = atoi(optarg); break;
		case 't': idle_secs = atoi(optarg); break;
		case 'r': seed = atol(optarg); break;
		case 'C': vary_client = true; break;
		case 'u':
			snprintf(uniq, sizeof(uniq), "%lX.%lX.", (long)getpid(),
			    (long)time(NULL));
			break;
		default:
			fprintf(stderr, "usage: wdload [-s SOCKET] [-c CONNS] "
			    "[-n MESSAGES] [-m PER_CONN] [-a ABORT_PCT] "
			    "[-k KILL_PCT] [-j] "
			    "[-S MAXSIZE] [-r SEED] [-u] [-C] FILE_OR_DIR...\n"
			    "       wdload [-s SOCKET] -I IDLE [-t SECONDS]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (idle > 0 && optind == argc)
		return hold_idle(idle, idle_secs);
	if (optind == argc || conns < 1 || total < 1 || per_conn < 1) {
		fprintf(stderr, "wdload: give at least one message file or directory\n");
		return 2;
	}
	for (int i = optind; i < argc; i++)
		if (walk_files("wdload", argv[i], load_file, NULL) < 0)
			return 2;
	if (nmsgs == 0) {
		fprintf(stderr, "wdload: no messages found\n");
		return 2;
	}
	if (seed != 0) {
		unsigned st = (unsigned)seed;

		for (size_t i = nmsgs - 1; i > 0; i--) {
			size_t j = (size_t)rand_r(&st) % (i + 1);
			struct msg t = msgs[i];

			msgs[i] = msgs[j];
			msgs[j] = t;
		}
	}
	lat = calloc((size_t)total + (size_t)conns, sizeof(*lat));
	slat = calloc((size_t)total + (size_t)conns, sizeof(*slat));
	th = calloc((size_t)conns, sizeof(*th));
	getrusage(RUSAGE_SELF, &ru);	/* the client's CPU during the run only */
	cpu0 = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	t0 = now_ms();
	for (int i = 0; i < conns; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	wall = (now_ms() - t0) / 1000.0;
	free(th);
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6 - cpu0;
	n = atomic_load(&nlat);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_d);
	long sn = atomic_load(&nslat);
	qsort(slat, (size_t)sn, sizeof(*slat), cmp_d);
	if (json) {
		printf("{\"messages\":%ld,\"seconds\":%.3f,\"msgs_per_sec\":%.1f,"
		    "\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		    "\"errors\":%ld,\"client_cpu_pct\":%.1f", n, wall, n / wall,
		    pct(lat, n, 50), pct(lat, n, 95), pct(lat, n, 99),
		    n ? lat[n - 1] : 0.0, atomic_load(&errors), 100.0 * cpu / wall);
		for (int i = 0; i < V_NCOUNT; i++)
			printf(",\"%s\":%ld", vnames[i], atomic_load(&counts[i]));
		if (maxsize > 0)
			printf(",\"small_max_bytes\":%ld,\"small_messages\":%ld,"
			    "\"small_p50_ms\":%.3f,\"small_p95_ms\":%.3f,"
			    "\"small_p99_ms\":%.3f,\"small_max_ms\":%.3f", maxsize, sn,
			    pct(slat, sn, 50), pct(slat, sn, 95), pct(slat, sn, 99),
			    sn ? slat[sn - 1] : 0.0);
		printf("}\n");
	} else {
		printf("messages      %ld in %.2f s over %d connection(s), %ld per "
		    "connection\n", n, wall, conns, per_conn);
		printf("throughput    %.1f messages/s\n", n / wall);
		printf("latency ms    p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n",
		    pct(lat, n, 50), pct(lat, n, 95), pct(lat, n, 99),
		    n ? lat[n - 1] : 0.0);
		if (maxsize > 0)
			printf("under %ld B   %ld messages: p50 %.2f  p95 %.2f  p99 "
			    "%.2f  max %.2f\n", maxsize, sn, pct(slat, sn, 50),
			    pct(slat, sn, 95), pct(slat, sn, 99), sn ? slat[sn - 1] : 0.0);
		printf("verdicts     ");
		for (int i = 0; i < V_NCOUNT; i++)
			if (atomic_load(&counts[i]))
				printf(" %s=%ld", vnames[i], atomic_load(&counts[i]));
		printf("\nerrors        %ld protocol error(s)\n", atomic_load(&errors));
		printf("client CPU    %.0f%% of one core%s\n", 100.0 * cpu / wall,
		    100.0 * cpu / wall > 80.0 ? "  (the client may be the limit)" : "");
	}
	free(lat);
	free(slat);
	for (size_t i = 0; i < nmsgs; i++) {
		for (size_t h = 0; h < msgs[i].nh; h++) {
			free(msgs[i].hname[h]);
			free(msgs[i].hvalue[h]);
		}
		free(msgs[i].hname);
		free(msgs[i].hvalue);
		free(msgs[i].body);
		free(msgs[i].from);
		free(msgs[i].to);
	}
	free(msgs);
	return atomic_load(&errors) ? 1 : 0;
}
