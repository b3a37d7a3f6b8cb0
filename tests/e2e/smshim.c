/*
 * smshim.c -- an LD_PRELOAD shim for the private Sendmail of the e2e tests
 * (tests/e2e/sendmail.sh).  It changes three things, each only when its
 * environment variable is set, and nothing else:
 *
 * E2E_SYSLOG_FILE: Sendmail logs only through syslog(3) and the test
 *	machines have no syslog socket, so openlog/syslog/vsyslog/closelog
 *	(and glibc's _FORTIFY_SOURCE variants) append one line per message
 *	to this file instead, "Mon DD HH:MM:SS IDENT[PID]: MESSAGE", each
 *	with one write(2) on an O_APPEND descriptor.
 *
 * E2E_HOSTNAME: what gethostname(2) answers.  Sendmail sleeps 60 s at
 *	start when the machine's name is not qualified and it cannot
 *	qualify it; the test instance is told its own name instead.
 *
 * E2E_HOSTS_FILE: the instance's resolver.  gethostbyname,
 *	gethostbyname2 and gethostbyaddr answer from this hosts(5) file
 *	(IPv4 lines only) and nothing else: a name or address not in it
 *	does not exist (HOST_NOT_FOUND; a dotted quad stands for itself,
 *	as with the C library), no DNS query is made and the
 *	system's /etc/hosts is not read.  So a test client on 127.0.0.1
 *	has no PTR record, as a client without reverse DNS would, and
 *	nothing can hang on a resolver.
 *
 * Sendmail empties its environment early in main(), so the variables are
 * read once, when the shim is loaded.
 *
 * Built by the harness: cc -shared -fPIC -o smshim.so smshim.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static char *shim_log;		/* E2E_SYSLOG_FILE */
static char *shim_hostname;	/* E2E_HOSTNAME */
static char *shim_hosts;	/* E2E_HOSTS_FILE */
static char shim_ident[64] = "sendmail";
static int shim_option;

static char *
shim_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strdup(v) : NULL;
}

__attribute__((constructor)) static void
shim_init(void)
{
	shim_log = shim_env("E2E_SYSLOG_FILE");
	shim_hostname = shim_env("E2E_HOSTNAME");
	shim_hosts = shim_env("E2E_HOSTS_FILE");
}

/* --- syslog ----------------------------------------------------------- */

void
openlog(const char *ident, int option, int facility)
{
	(void)facility;
	if (ident != NULL)
		snprintf(shim_ident, sizeof(shim_ident), "%s", ident);
	shim_option = option;
}

void
closelog(void)
{
}

void
vsyslog(int pri, const char *fmt, va_list ap)
{
	char line[8192];
	struct tm tm;
	time_t now;
	size_t n;
	int fd, saved = errno;

	(void)pri;
	if (shim_log == NULL)
		return;
	now = time(NULL);
	localtime_r(&now, &tm);
	n = strftime(line, sizeof(line), "%b %e %H:%M:%S ", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, "%s[%ld]: ",
	    shim_ident, (long)getpid());
	errno = saved;		/* for %m */
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = strlen(line);
	if (n == sizeof(line) - 1)
		line[n - 1] = '\n';
	else if (line[n - 1] != '\n')
		line[n++] = '\n';
	fd = open(shim_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)!write(fd, line, n);
		close(fd);
	}
	if (shim_option & LOG_PERROR)
		(void)!write(2, line, n);
	errno = saved;
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

/* What syslog() and vsyslog() become under -D_FORTIFY_SOURCE. */
void
__vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(pri, fmt, ap);
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

/* --- gethostname ---------------------------------------------------------- */

int
gethostname(char *name, size_t len)
{
	static int (*real)(char *, size_t);

	if (shim_hostname == NULL) {
		if (real == NULL)
			*(void **)&real = dlsym(RTLD_NEXT, "gethostname");
		return real != NULL ? real(name, len) : -1;
	}
	if (strlen(shim_hostname) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(name, shim_hostname);
	return 0;
}

/* --- The resolver ------------------------------------------------------- */

#define SHIM_ALIASES 8

static struct hostent shim_he;
static char shim_line[1024];
static char *shim_names[SHIM_ALIASES + 1];
static struct in_addr shim_addr;
static char *shim_addrs[2];

/* The static hostent for shim_addr and shim_names. */
static struct hostent *
shim_hostent(void)
{
	shim_addrs[0] = (char *)&shim_addr;
	shim_addrs[1] = NULL;
	shim_he.h_name = shim_names[0];
	shim_he.h_aliases = shim_names + 1;
	shim_he.h_addrtype = AF_INET;
	shim_he.h_length = sizeof(shim_addr);
	shim_he.h_addr_list = shim_addrs;
	h_errno = 0;
	return &shim_he;
}

/*
 * shim_lookup NAME ADDR: the hosts file's first IPv4 line naming NAME (or,
 * with NAME NULL, for the address ADDR), in the static hostent.
 */
static struct hostent *
shim_lookup(const char *name, const struct in_addr *addr)
{
	FILE *f;
	char *p, *save, *tok;
	int n, hit;

	/* A dotted quad is its own answer, as with the C library. */
	if (name != NULL && strlen(name) < sizeof(shim_line) &&
	    inet_pton(AF_INET, name, &shim_addr) == 1) {
		strcpy(shim_line, name);
		shim_names[0] = shim_line;
		shim_names[1] = NULL;
		return shim_hostent();
	}
	h_errno = HOST_NOT_FOUND;
	if ((f = fopen(shim_hosts, "re")) == NULL)
		return NULL;
	while (fgets(shim_line, sizeof(shim_line), f) != NULL) {
		if ((p = strchr(shim_line, '#')) != NULL)
			*p = '\0';
		tok = strtok_r(shim_line, " \t\r\n", &save);
		if (tok == NULL || inet_pton(AF_INET, tok, &shim_addr) != 1)
			continue;
		n = 0;
		hit = addr != NULL && shim_addr.s_addr == addr->s_addr;
		while (n < SHIM_ALIASES &&
		    (tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			shim_names[n++] = tok;
			if (name != NULL && strcasecmp(tok, name) == 0)
				hit = 1;
		}
		if (!hit || n == 0)
			continue;
		shim_names[n] = NULL;
		fclose(f);
		return shim_hostent();
	}
	fclose(f);
	return NULL;
}

struct hostent *
gethostbyname2(const char *name, int af)
{
	static struct hostent *(*real)(const char *, int);

	if (shim_hosts == NULL) {
		if (real == NULL)
			*(void **)&real = dlsym(RTLD_NEXT, "gethostbyname2");
		return real(name, af);
	}
	if (af != AF_INET) {
		h_errno = HOST_NOT_FOUND;
		return NULL;
	}
	return shim_lookup(name, NULL);
}

struct hostent *
gethostbyname(const char *name)
{
	static struct hostent *(*real)(const char *);

	if (shim_hosts == NULL) {
		if (real == NULL)
			*(void **)&real = dlsym(RTLD_NEXT, "gethostbyname");
		return real(name);
	}
	return shim_lookup(name, NULL);
}

struct hostent *
gethostbyaddr(const void *addr, socklen_t len, int type)
{
	static struct hostent *(*real)(const void *, socklen_t, int);

	if (shim_hosts == NULL) {
		if (real == NULL)
			*(void **)&real = dlsym(RTLD_NEXT, "gethostbyaddr");
		return real(addr, len, type);
	}
	if (type != AF_INET || len != sizeof(struct in_addr)) {
		h_errno = HOST_NOT_FOUND;
		return NULL;
	}
	return shim_lookup(NULL, addr);
}
