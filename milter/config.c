/*
 * config.c -- the config key table, parsing and validation.
 *
 * The file format is Postfix's main.cf: "key = value" lines, '#' comment
 * lines, blank lines, and continuation lines that start with white space.
 * Lists are separated by commas or white space.  Every default is written
 * in the table as text and goes through the same parser as the file, so a
 * default can never be a value the file would refuse.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

enum ctype {
	CT_STR,		/* char * (empty allowed) */
	CT_PATH,	/* char *, must not be empty */
	CT_UINT,	/* unsigned */
	CT_ULONG,	/* unsigned long */
	CT_SIZE,	/* size_t, with k/m/g suffix */
	CT_SECONDS,	/* unsigned, with s/m/h suffix */
	CT_SCORE,	/* double */
	CT_BOOL,	/* bool: yes/no, true/false, on/off, 1/0 */
	CT_ACTION,	/* enum action, within the allowed mask */
	CT_REPLY,	/* struct reply */
	CT_LIST,	/* struct strlist */
	CT_RESOLVERS,	/* struct strlist: dns_resolver */
	CT_CIDRS,	/* struct cidrlist */
	CT_MODE,	/* unsigned, octal file mode */
	CT_SOCKET,	/* char *, a milter socket spec */
	CT_ENUM,	/* int, one of choices */
	CT_FACILITY,	/* char *, a syslog facility */
};

#define A(x) (1u << (x))
#define ACTS_FINAL (A(ACT_ACCEPT) | A(ACT_REJECT) | A(ACT_TEMPFAIL) | \
    A(ACT_DISCARD) | A(ACT_QUARANTINE))

struct key {
	const char *name;
	enum ctype  type;
	size_t      off;
	const char *def;
	unsigned    allowed;	/* CT_ACTION: mask; CT_REPLY: required class */
	const char *const *choices;	/* CT_ENUM */
};

static const char *const av_modes[] = { "off", "on", "optional", NULL };
static const char *const av_backends[] = { "libclamav", "clamd", NULL };
static const char *const av_reloads[] = { "concurrent", "blocking", NULL };
static const char *const stats_backends[] = { "lmdb", "redis", NULL };
static const char *const dmarc_policies[] = { "enforce", "report-only",
    "off", NULL };
static const char *const log_levels[] = { "error", "warning", "info",
    "debug", NULL };

#define O(f) offsetof(struct config, f)

static const struct key keys[] = {
	/* Daemon. */
	{ "socket", CT_SOCKET, O(socket), "unix:/run/warden/warden.sock", 0, NULL },
	{ "socket_mode", CT_MODE, O(socket_mode), "0660", 0, NULL },
	{ "user", CT_STR, O(user), "warden", 0, NULL },
	{ "group", CT_STR, O(group), "warden", 0, NULL },
	{ "run_as_root", CT_BOOL, O(run_as_root), "no", 0, NULL },
	{ "syslog_facility", CT_FACILITY, O(syslog_facility), "mail", 0, NULL },
	{ "log_level", CT_ENUM, O(log_level), "info", 0, log_levels },
	{ "shutdown_timeout", CT_SECONDS, O(shutdown_timeout), "30s", 0, NULL },
	{ "mta_timeout", CT_SECONDS, O(mta_timeout), "10m", 0, NULL },
	{ "max_connections", CT_UINT, O(max_connections), "0", 0, NULL },
	{ "pid_file", CT_STR, O(pid_file), "", 0, NULL },
	{ "hostname", CT_STR, O(hostname), "", 0, NULL },
	/* Spool. */
	{ "spool_directory", CT_PATH, O(spool_directory), "/var/spool/warden", 0, NULL },
	{ "spool_memory_limit", CT_SIZE, O(spool_memory_limit), "1m", 0, NULL },
	{ "max_scan_size", CT_SIZE, O(max_scan_size), "25m", 0, NULL },
	/* Policy. */
	{ "tag_score", CT_SCORE, O(tag_score), "5", 0, NULL },
	{ "quarantine_score", CT_SCORE, O(quarantine_score), "10", 0, NULL },
	{ "reject_score", CT_SCORE, O(reject_score), "15", 0, NULL },
	{ "subject_tag", CT_STR, O(subject_tag), "", 0, NULL },
	{ "reject_reply", CT_REPLY, O(reject_reply),
	    "550 5.7.1 Message rejected as spam", 5, NULL },
	{ "tempfail_reply", CT_REPLY, O(tempfail_reply),
	    "451 4.7.1 Message cannot be accepted now, try again later", 4, NULL },
	{ "quarantine_reason", CT_STR, O(quarantine_reason),
	    "held by Warden", 0, NULL },
	{ "trusted_networks", CT_CIDRS, O(trusted_networks), "", 0, NULL },
	{ "skip_authenticated", CT_BOOL, O(skip_authenticated), "yes", 0, NULL },
	{ "on_internal_error", CT_ACTION, O(on_internal_error), "tempfail",
	    ACTS_FINAL, NULL },
	{ "on_limit_exceeded", CT_ACTION, O(on_limit_exceeded), "scan",
	    ACTS_FINAL | A(ACT_SCAN), NULL },
	{ "scan_timeout", CT_SECONDS, O(scan_timeout), "120s", 0, NULL },
	{ "on_timeout", CT_ACTION, O(on_timeout), "tempfail", ACTS_FINAL, NULL },
	/* Limits (limit=NAME is the key without "max_"). */
	{ "max_header_count", CT_UINT, O(max_header_count), "1000", 0, NULL },
	{ "max_header_length", CT_SIZE, O(max_header_length), "100k", 0, NULL },
	{ "max_mime_depth", CT_UINT, O(max_mime_depth), "20", 0, NULL },
	{ "max_mime_parts", CT_UINT, O(max_mime_parts), "1000", 0, NULL },
	{ "max_part_decoded_size", CT_SIZE, O(max_part_decoded_size), "10m", 0, NULL },
	{ "max_decoded_size", CT_SIZE, O(max_decoded_size), "32m", 0, NULL },
	{ "max_uris", CT_UINT, O(max_uris), "10000", 0, NULL },
	/* Rules. */
	{ "rules", CT_LIST, O(rules), "", 0, NULL },
	{ "pcre2_match_limit", CT_ULONG, O(pcre2_match_limit), "100000", 0, NULL },
	{ "pcre2_depth_limit", CT_ULONG, O(pcre2_depth_limit), "10000", 0, NULL },
	{ "regex_prefilter", CT_BOOL, O(regex_prefilter), "yes", 0, NULL },
	{ "regex_prefilter_cache", CT_STR, O(regex_prefilter_cache), "/var/cache/warden", 0, NULL },
	{ "trusted_relays", CT_CIDRS, O(trusted_relays), "", 0, NULL },
	{ "internal_relays", CT_CIDRS, O(internal_relays), "", 0, NULL },
	/* Antivirus. */
	{ "clamav", CT_ENUM, O(clamav), "on", 0, av_modes },
	{ "av_backend", CT_ENUM, O(av_backend), "libclamav", 0, av_backends },
	{ "clamav_database", CT_PATH, O(clamav_database), "/var/lib/clamav", 0, NULL },
	{ "clamav_max_scan_size", CT_SIZE, O(clamav_max_scan_size), "100m", 0, NULL },
	{ "clamav_max_file_size", CT_SIZE, O(clamav_max_file_size), "25m", 0, NULL },
	{ "clamav_max_recursion", CT_UINT, O(clamav_max_recursion), "17", 0, NULL },
	{ "clamav_max_files", CT_UINT, O(clamav_max_files), "10000", 0, NULL },
	{ "clamav_max_scan_time", CT_UINT, O(clamav_max_scan_time), "120000", 0, NULL },
	{ "clamav_heuristics", CT_BOOL, O(clamav_heuristics), "yes", 0, NULL },
	{ "clamav_phishing", CT_BOOL, O(clamav_phishing), "no", 0, NULL },
	{ "clamav_detect_pua", CT_BOOL, O(clamav_detect_pua), "no", 0, NULL },
	{ "virus_action", CT_ACTION, O(virus_action), "reject",
	    A(ACT_REJECT) | A(ACT_QUARANTINE) | A(ACT_DISCARD) | A(ACT_TAG), NULL },
	{ "virus_reply", CT_REPLY, O(virus_reply),
	    "554 5.7.1 Message rejected: virus found (%s)", 5, NULL },
	{ "heuristic_action", CT_ACTION, O(heuristic_action), "tag",
	    A(ACT_REJECT) | A(ACT_QUARANTINE) | A(ACT_DISCARD) | A(ACT_TAG) |
	    A(ACT_ACCEPT), NULL },
	{ "on_av_error", CT_ACTION, O(on_av_error), "tempfail", ACTS_FINAL, NULL },
	{ "clamav_check_interval", CT_SECONDS, O(clamav_check_interval), "60s", 0, NULL },
	{ "clamav_reload", CT_ENUM, O(clamav_reload), "concurrent", 0, av_reloads },
	/* The statistical filter. */
	{ "statistics", CT_BOOL, O(statistics), "no", 0, NULL },
	{ "statistics_backend", CT_ENUM, O(statistics_backend), "lmdb", 0,
	    stats_backends },
	{ "statistics_directory", CT_PATH, O(statistics_directory),
	    "/var/lib/warden/statistics", 0, NULL },
	{ "statistics_redis", CT_STR, O(statistics_redis), "", 0, NULL },
	{ "statistics_min_learned", CT_UINT, O(statistics_min_learned), "200",
	    0, NULL },
	{ "statistics_max_tokens", CT_ULONG, O(statistics_max_tokens),
	    "2000000", 0, NULL },
	{ "statistics_autolearn", CT_BOOL, O(statistics_autolearn), "no", 0,
	    NULL },
	/* DNS. */
	{ "dns_resolver", CT_RESOLVERS, O(dns_resolver), "", 0, NULL },
	{ "dns_timeout", CT_SECONDS, O(dns_timeout), "5s", 0, NULL },
	{ "dns_cache_size", CT_SIZE, O(dns_cache_size), "4m", 0, NULL },
	{ "dns_max_queries", CT_UINT, O(dns_max_queries), "200", 0, NULL },
	{ "on_dns_error", CT_ACTION, O(on_dns_error), "scan",
	    ACTS_FINAL | A(ACT_SCAN), NULL },
	/* Sender authentication. */
	{ "authentication", CT_BOOL, O(authentication), "no", 0, NULL },
	{ "authserv_id", CT_STR, O(authserv_id), "", 0, NULL },
	{ "dmarc_policy", CT_ENUM, O(dmarc_policy), "report-only", 0,
	    dmarc_policies },
	{ "dmarc_exempt_forwarders", CT_LIST, O(dmarc_exempt_forwarders), "",
	    0, NULL },
	{ "arc_trusted_sealers", CT_LIST, O(arc_trusted_sealers), "", 0,
	    NULL },
	/* DKIM signing (milter/auth/dkim_sign.c). */
	{ "dkim_sign_domains", CT_LIST, O(dkim_sign_domains), "", 0, NULL },
	{ "dkim_sign_headers", CT_LIST, O(dkim_sign_headers), "", 0, NULL },
	{ "clamav_reload_wait", CT_SECONDS, O(clamav_reload_wait), "30s", 0, NULL },
	{ "clamd_socket", CT_LIST, O(clamd_socket), "unix:/run/clamav/clamd.ctl", 0, NULL },
	{ "clamd_timeout", CT_SECONDS, O(clamd_timeout), "30s", 0, NULL },
};

static int
parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_suffixed(const char *s, const char *suffixes, const unsigned long long *mult,
    unsigned long long max, unsigned long long *out)
{
	char tmp[64];
	size_t n = strlen(s);
	unsigned long long m = 1, v;
	const char *k;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n + 1);
	if ((k = strchr(suffixes, tolower((unsigned char)tmp[n - 1]))) != NULL &&
	    !isdigit((unsigned char)tmp[n - 1])) {
		m = mult[k - suffixes];
		tmp[--n] = '\0';
	} else if (n > 2 && (tmp[n - 1] == 'b' || tmp[n - 1] == 'B') &&
	    (k = strchr(suffixes, tolower((unsigned char)tmp[n - 2]))) != NULL) {
		m = mult[k - suffixes];	/* "10MB" */
		n -= 2;
		tmp[n] = '\0';
	}
	if (parse_uint(tmp, max, &v) < 0 || (v != 0 && m > max / v))
		return -1;
	*out = v * m;
	return 0;
}

static bool
socket_valid(const char *s, const char **why)
{
	const char *at, *colon = strchr(s, ':');
	unsigned long long port;
	char tmp[16];

	*why = "expected unix:/path, inet:PORT@HOST or inet6:PORT@HOST";
	if (colon == NULL)
		return false;
	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0) {
		if (colon[1] != '/') {
			*why = "a unix socket needs an absolute path";
			return false;
		}
		return strlen(colon + 1) < 100;
	}
	if (strncmp(s, "inet:", 5) != 0 && strncmp(s, "inet6:", 6) != 0)
		return false;
	at = strchr(colon + 1, '@');
	if (at == NULL || at == colon + 1 || at[1] == '\0' ||
	    (size_t)(at - colon - 1) >= sizeof(tmp))
		return false;
	memcpy(tmp, colon + 1, (size_t)(at - colon - 1));
	tmp[at - colon - 1] = '\0';
	if (parse_uint(tmp, 65535, &port) < 0 || port == 0) {
		*why = "the port must be a number from 1 to 65535";
		return false;
	}
	return true;
}

/*
 * dns_resolver: "system", "recursive", or addresses (ADDR, ADDR:PORT,
 * [IPV6]:PORT).  The resolver parses them again; this only says early,
 * with the file and line, what is wrong.
 */
static bool
resolvers_valid(const struct strlist *l, const char **why)
{
	static char msg[300];

	for (size_t i = 0; i < l->n; i++) {
		const char *s = l->v[i], *h = s, *end;
		char host[64];
		unsigned char tmp[16];
		size_t n;

		if (strcmp(s, "system") == 0 || strcmp(s, "recursive") == 0) {
			if (l->n == 1)
				continue;
			*why = "system and recursive stand alone";
			return false;
		}
		if (s[0] == '[' && (end = strchr(s, ']')) != NULL) {
			h = s + 1;
			n = (size_t)(end - h);
			end++;
		} else if ((end = strchr(s, ':')) != NULL &&
		    strchr(end + 1, ':') == NULL)
			n = (size_t)(end - s);
		else {
			n = strlen(s);
			end = s + n;
		}
		if (n < sizeof(host)) {
			memcpy(host, h, n);
			host[n] = '\0';
		}
		if (n >= sizeof(host) || (inet_pton(AF_INET, host, tmp) != 1 &&
		    inet_pton(AF_INET6, host, tmp) != 1) || (*end != '\0' &&
		    (*end != ':' || parse_uint(end + 1, 65535, &(unsigned long
		    long){ 0 }) < 0 || strcmp(end + 1, "0") == 0))) {
			snprintf(msg, sizeof(msg), "'%s' is not an address: "
			    "expected system, recursive, or ADDR[:PORT] "
			    "(IPv6 as [ADDR]:PORT)", s);
			*why = msg;
			return false;
		}
	}
	return true;
}

/* Split a list value on commas and white space. */
static void
split_list(const char *v, struct strlist *out)
{
	const char *p = v;

	while (*p) {
		size_t n;

		while (*p && (isspace((unsigned char)*p) || *p == ','))
			p++;
		n = strcspn(p, ", \t\r\n");
		if (n)
			strlist_add_owned(out, xstrndup(p, n));
		p += n;
	}
}

static void
free_field(const struct key *k, struct config *c)
{
	void *f = (char *)c + k->off;

	switch (k->type) {
	case CT_STR: case CT_PATH: case CT_SOCKET: case CT_FACILITY:
		free(*(char **)f);
		*(char **)f = NULL;
		break;
	case CT_ENUM:
		if (k->choices == log_levels) {
			free(*(char **)f);
			*(char **)f = NULL;
		}
		break;
	case CT_REPLY:
		reply_free(f);
		break;
	case CT_LIST: case CT_RESOLVERS:
		strlist_free(f);
		break;
	case CT_CIDRS:
		cidrlist_free(f);
		break;
	default:
		break;
	}
}

/*
 * Set one key from its text value.  On error returns -1 and *why says
 * what was expected; the field is left unchanged.
 */
static int
set_value(const struct key *k, struct config *c, const char *v,
    const char **why)
{
	void *f = (char *)c + k->off;
	unsigned long long u;
	static const unsigned long long size_mult[] = { 1024ULL, 1024ULL * 1024,
	    1024ULL * 1024 * 1024 };
	static const unsigned long long sec_mult[] = { 1, 60, 3600, 86400 };

	switch (k->type) {
	case CT_PATH:
		if (*v == '\0') {
			*why = "expected a path";
			return -1;
		}
		/* FALLTHROUGH */
	case CT_STR:
		free(*(char **)f);
		*(char **)f = xstrdup(v);
		return 0;
	case CT_SOCKET:
		if (!socket_valid(v, why))
			return -1;
		free(*(char **)f);
		*(char **)f = xstrdup(v);
		return 0;
	case CT_FACILITY:
		if (log_facility(v) < 0) {
			*why = "expected a syslog facility (mail, daemon, local0..local7)";
			return -1;
		}
		free(*(char **)f);
		*(char **)f = xstrdup(v);
		return 0;
	case CT_UINT:
		if (parse_uint(v, UINT_MAX, &u) < 0) {
			*why = "expected a whole number";
			return -1;
		}
		*(unsigned *)f = (unsigned)u;
		return 0;
	case CT_ULONG:
		if (parse_uint(v, ULONG_MAX, &u) < 0) {
			*why = "expected a whole number";
			return -1;
		}
		*(unsigned long *)f = (unsigned long)u;
		return 0;
	case CT_SIZE:
		if (parse_suffixed(v, "kmg", size_mult, SIZE_MAX / 2, &u) < 0) {
			*why = "expected a size in bytes, optionally with k, m or g";
			return -1;
		}
		*(size_t *)f = (size_t)u;
		return 0;
	case CT_SECONDS:
		if (parse_suffixed(v, "smhd", sec_mult, UINT_MAX, &u) < 0) {
			*why = "expected a time in seconds, optionally with s, m, h or d";
			return -1;
		}
		*(unsigned *)f = (unsigned)u;
		return 0;
	case CT_SCORE: {
		char *end;
		double d;

		errno = 0;
		d = strtod(v, &end);
		if (*v == '\0' || *end != '\0' || errno || !isfinite(d)) {
			*why = "expected a number";
			return -1;
		}
		*(double *)f = d;
		return 0;
	}
	case CT_BOOL:
		if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") ||
		    !strcasecmp(v, "on") || !strcmp(v, "1"))
			*(bool *)f = true;
		else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		    !strcasecmp(v, "off") || !strcmp(v, "0"))
			*(bool *)f = false;
		else {
			*why = "expected yes or no";
			return -1;
		}
		return 0;
	case CT_ACTION: {
		int a = action_parse(v);

		if (a < 0 || !(k->allowed & A(a))) {
			static char msg[256];
			struct buf b;

			/* Build the list of allowed words from the mask. */
			buf_init(&b, 0);
			buf_puts(&b, "expected one of:");
			for (int i = 1; i < ACT_COUNT; i++)
				if (k->allowed & A(i))
					buf_printf(&b, " %s", action_name((enum action)i));
			snprintf(msg, sizeof(msg), "%s", b.p);
			buf_free(&b);
			*why = msg;	/* config loading is single-threaded */
			return -1;
		}
		*(enum action *)f = (enum action)a;
		return 0;
	}
	case CT_REPLY: {
		struct reply r;

		if (reply_parse(v, (int)k->allowed, &r, why) < 0)
			return -1;
		reply_free(f);
		*(struct reply *)f = r;
		return 0;
	}
	case CT_LIST:
		strlist_free(f);
		split_list(v, f);
		return 0;
	case CT_RESOLVERS: {
		struct strlist l = { 0 };

		split_list(v, &l);
		if (!resolvers_valid(&l, why)) {
			strlist_free(&l);
			return -1;
		}
		strlist_free(f);
		*(struct strlist *)f = l;
		return 0;
	}
	case CT_CIDRS: {
		struct strlist l = { 0 };
		struct cidrlist cl = { 0 };
		struct cidr cd;

		split_list(v, &l);
		for (size_t i = 0; i < l.n; i++) {
			if (cidr_parse(l.v[i], &cd) < 0) {
				static char msg[200];

				snprintf(msg, sizeof(msg),
				    "\"%.80s\" is not an address or CIDR block", l.v[i]);
				*why = msg;
				strlist_free(&l);
				cidrlist_free(&cl);
				return -1;
			}
			cidrlist_add(&cl, &cd);
		}
		strlist_free(&l);
		cidrlist_free(f);
		*(struct cidrlist *)f = cl;
		return 0;
	}
	case CT_MODE: {
		char *end;
		unsigned long m = strtoul(v, &end, 8);

		if (*v == '\0' || *end != '\0' || m > 0777) {
			*why = "expected an octal file mode such as 0660";
			return -1;
		}
		*(unsigned *)f = (unsigned)m;
		return 0;
	}
	case CT_ENUM:
		for (int i = 0; k->choices[i] != NULL; i++)
			if (strcasecmp(v, k->choices[i]) == 0) {
				if (k->choices == log_levels) {
					free(*(char **)f);
					*(char **)f = xstrdup(k->choices[i]);
				} else
					*(int *)f = i;
				return 0;
			}
		{
			static char msg[200];
			struct buf b;

			buf_init(&b, 0);
			buf_puts(&b, "expected one of:");
			for (int i = 0; k->choices[i] != NULL; i++)
				buf_printf(&b, " %s", k->choices[i]);
			snprintf(msg, sizeof(msg), "%s", b.p);
			buf_free(&b);
			*why = msg;
		}
		return -1;
	}
	*why = "internal error: unknown key type";
	return -1;
}

static const struct key *
find_key(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

bool
config_key_known(const char *key)
{
	return find_key(key) != NULL;
}

static struct config *
config_defaults(void)
{
	struct config *c = xcalloc(1, sizeof(*c));
	const char *why;

	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (set_value(&keys[i], c, keys[i].def, &why) < 0) {
			log_msg(LOG_CRIT, "bad built-in default for %s: %s",
			    keys[i].name, why);
			abort();
		}
	return c;
}

/* Apply one logical line "key = value". */
static void
config_line(struct config *c, const char *file, int lineno, char *line,
    struct diag *d)
{
	char *eq = strchr(line, '='), *key, *val;
	const struct key *k;
	const char *why;

	if (eq == NULL) {
		diag_error(d, file, lineno, "expected \"key = value\"");
		return;
	}
	*eq = '\0';
	key = str_trim(line);
	val = str_trim(eq + 1);
	if (*key == '\0') {
		diag_error(d, file, lineno, "missing key before \"=\"");
		return;
	}
	if ((k = find_key(key)) == NULL) {
		diag_error(d, file, lineno, "unknown key \"%s\"", key);
		return;
	}
	if (set_value(k, c, val, &why) < 0)
		diag_error(d, file, lineno, "bad value for %s: \"%s\": %s",
		    key, val, why);
	else if (k->off == O(dkim_sign_domains))
		c->dkim_sign_line = lineno;	/* its key files' errors */
}

/*
 * Whether an inet: or inet6: socket listens on a loopback address only:
 * anyone who can reach the milter socket speaks for the MTA (and can
 * send it packets no MTA sends).
 */
static bool
socket_loopback(const char *s)
{
	const char *at = strchr(s, '@');

	if (strncmp(s, "inet", 4) != 0 || at == NULL)
		return true;	/* a unix socket: its mode guards it */
	at++;
	return strcmp(at, "localhost") == 0 || strcmp(at, "::1") == 0 ||
	    strcmp(at, "[::1]") == 0 || strncmp(at, "127.", 4) == 0;
}

/*
 * With Sendmail, an inet: milter socket is slow: Sendmail writes each
 * macro packet and the command after it as two small writes on a socket
 * without TCP_NODELAY, so every milter step waits for a delayed ACK
 * (about 40 ms on Linux).  When the Sendmail configuration at cf (its
 * sendmail.cf) names a filter ("X" line) with an inet socket on Warden's
 * port, say so.  A missing or unreadable file says nothing: the MTA is
 * then not Sendmail, or not here.
 */
void
config_lint_sendmail(const struct config *c, const char *cf, struct diag *d)
{
	const char *port;
	char line[4096];
	unsigned lineno = 0;
	FILE *fp;

	if (c->socket == NULL || strncmp(c->socket, "inet", 4) != 0 ||
	    (port = strchr(c->socket, ':')) == NULL)
		return;
	port++;
	if ((fp = fopen(cf, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		const char *s, *p;
		size_t plen = strcspn(port, "@");

		lineno++;
		if (line[0] != 'X' || (s = strstr(line, "S=inet")) == NULL ||
		    (p = strchr(s, ':')) == NULL)
			continue;
		p++;
		if (strncmp(p, port, plen) != 0 || p[plen] != '@')
			continue;
		diag_warn(d, cf, lineno, "Sendmail reaches Warden over %s: "
		    "with Sendmail every milter step then waits about 40 ms "
		    "for a delayed TCP acknowledgement (Sendmail's small "
		    "writes without TCP_NODELAY); use a unix socket (socket = "
		    "unix:/run/warden/warden.sock, and S=unix:... in "
		    "INPUT_MAIL_FILTER)", c->socket);
		break;
	}
	fclose(fp);
}

/* Cross-key checks, reported against the file without a line. */
static void
config_validate(struct config *c, const char *file, struct diag *d)
{
	if (c->socket != NULL && !socket_loopback(c->socket))
		diag_warn(d, file, 0, "socket %s listens beyond the loopback "
		    "address: whoever can reach it can pass mail as the MTA "
		    "and send it malformed packets; let only the MTA reach it "
		    "(a firewall rule), or use a unix socket", c->socket);
	if (c->spool_memory_limit > c->max_scan_size)
		diag_warn(d, file, 0, "spool_memory_limit is larger than "
		    "max_scan_size: the spool never needs a file");
	if (!(c->tag_score <= c->quarantine_score &&
	    c->quarantine_score <= c->reject_score))
		diag_warn(d, file, 0, "thresholds are not in order "
		    "tag_score <= quarantine_score <= reject_score");
	if (c->virus_reply.text != NULL && strstr(c->virus_reply.text, "%") &&
	    (strstr(c->virus_reply.text, "%s") == NULL ||
	    strchr(strstr(c->virus_reply.text, "%s") + 2, '%') != NULL ||
	    strchr(c->virus_reply.text, '%') != strstr(c->virus_reply.text, "%s")))
		diag_error(d, file, 0, "virus_reply may contain \"%%s\" once "
		    "and no other \"%%\"");
	if (c->max_header_count == 0 || c->max_header_length == 0 ||
	    c->max_mime_depth == 0 || c->max_mime_parts == 0 ||
	    c->max_part_decoded_size == 0 || c->max_decoded_size == 0 ||
	    c->max_uris == 0)
		diag_error(d, file, 0, "the max_* limits must be at least 1");
	if (c->hostname == NULL || c->hostname[0] == '\0') {
		char host[256];

		free(c->hostname);
		if (gethostname(host, sizeof(host)) == 0) {
			host[sizeof(host) - 1] = '\0';
			c->hostname = xstrdup(host);
		} else
			c->hostname = xstrdup("localhost");
	}
}

static struct config *
config_parse(const char *name, FILE *fp, const char *text, struct diag *d)
{
	struct config *c = config_defaults();
	size_t before = diag_nerrors(d);
	struct buf logical;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, startline = 0;
	const char *tp = text;

	c->path = name ? xstrdup(name) : NULL;
	buf_init(&logical, 0);
	for (;;) {
		if (fp != NULL)
			n = getline(&line, &cap, fp);
		else if (tp != NULL && *tp != '\0') {
			size_t len = strcspn(tp, "\n");

			free(line);
			line = xstrndup(tp, len);
			n = (ssize_t)len;
			tp += len + (tp[len] == '\n');
		} else
			n = -1;
		if (n >= 0)
			lineno++;
		if (n >= 0) {
			char *s = line;
			size_t len = strlen(s);

			if (len < (size_t)n) {
				diag_error(d, name, lineno, "NUL byte in line");
				continue;
			}
			while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
				s[--len] = '\0';
			/* Comment or blank lines end nothing and add nothing. */
			char *t = s;
			while (isspace((unsigned char)*t))
				t++;
			if (*t == '#' || *t == '\0')
				continue;
			if (isspace((unsigned char)s[0])) {
				if (logical.len == 0) {
					diag_error(d, name, lineno,
					    "continuation line with nothing to continue");
					continue;
				}
				buf_putc(&logical, ' ');
				buf_puts(&logical, t);
				continue;
			}
		}
		if (logical.len > 0) {
			config_line(c, name, startline, logical.p, d);
			buf_reset(&logical);
		}
		if (n < 0)
			break;
		buf_puts(&logical, line);
		startline = lineno;
	}
	free(line);
	buf_free(&logical);
	config_validate(c, name, d);
	if (diag_nerrors(d) > before) {
		config_free(c);
		return NULL;
	}
	return c;
}

struct config *
config_load(const char *path, struct diag *d)
{
	struct config *c;
	FILE *fp;

	if (path == NULL)
		return config_parse(NULL, NULL, NULL, d);
	if ((fp = fopen(path, "r")) == NULL) {
		diag_error(d, path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	c = config_parse(path, fp, NULL, d);
	fclose(fp);
	return c;
}

struct config *
config_load_string(const char *name, const char *text, struct diag *d)
{
	return config_parse(name, NULL, text, d);
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		free_field(&keys[i], c);
	free(c->path);
	free(c);
}

void
config_dump_keys(struct buf *out)
{
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		buf_printf(out, "%s = %s\n", keys[i].name, keys[i].def);
}
