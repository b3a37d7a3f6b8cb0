/*
 * config.h -- Warden's configuration: one table declares every key with
 * its type, default and validator (config.c); this struct is the typed
 * result.  A loaded config is immutable and belongs to one snapshot.
 */
#ifndef WARDEN_CONFIG_H
#define WARDEN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "action.h"
#include "cidr.h"
#include "diag.h"
#include "util.h"

enum av_mode { AV_MODE_OFF, AV_MODE_ON, AV_MODE_OPTIONAL };
enum av_backend_kind { AV_BACKEND_LIBCLAMAV, AV_BACKEND_CLAMD };
enum av_reload_mode { AV_RELOAD_CONCURRENT, AV_RELOAD_BLOCKING };

/* dmarc_policy: the order of config.c's dmarc_policies. */
enum { DMARC_POLICY_ENFORCE = 0, DMARC_POLICY_REPORT_ONLY,
	DMARC_POLICY_OFF };
/* statistics_backend: the order of config.c's stats_backends. */
enum { STATS_BACKEND_LMDB, STATS_BACKEND_REDIS };

struct config {
	char   *path;			/* file loaded, or NULL for defaults */

	/* Daemon. */
	char   *socket;
	unsigned socket_mode;
	char   *user;
	char   *group;
	bool    run_as_root;
	char   *syslog_facility;
	char   *log_level;
	unsigned shutdown_timeout;
	unsigned mta_timeout;		/* longest wait for the MTA's next packet */
	unsigned max_connections;	/* 0: from the descriptor limit */
	char   *pid_file;
	char   *hostname;		/* our own name (HELO checks, headers) */

	/* Spool and size. */
	char   *spool_directory;
	size_t  spool_memory_limit;
	size_t  max_scan_size;

	/* Policy. */
	double  tag_score;
	double  quarantine_score;
	double  reject_score;
	char   *subject_tag;
	struct reply reject_reply;
	struct reply tempfail_reply;
	char   *quarantine_reason;
	struct cidrlist trusted_networks;
	bool    skip_authenticated;
	enum action on_internal_error;
	enum action on_limit_exceeded;
	unsigned scan_timeout;
	enum action on_timeout;

	/*
	 * Limits: reaching one is logged and recorded as limit=NAME, NAME
	 * being the key without "max_"; on_limit_exceeded says what follows.
	 */
	unsigned max_header_count;	/* header fields kept for the rules */
	size_t  max_header_length;	/* bytes of one header value kept */
	unsigned max_mime_depth;	/* nesting of multiparts and messages */
	unsigned max_mime_parts;	/* MIME parts walked */
	size_t  max_part_decoded_size;	/* decoded text of one part */
	size_t  max_decoded_size;	/* decoded text of the message */
	unsigned max_uris;		/* distinct URIs kept */

	/* Rules. */
	struct strlist rules;
	unsigned long pcre2_match_limit;
	unsigned long pcre2_depth_limit;
	bool    regex_prefilter;	/* Hyperscan prefilter when built in */
	char   *regex_prefilter_cache;	/* its compiled databases; "": none */
	struct cidrlist trusted_relays;
	struct cidrlist internal_relays;

	/* Antivirus. */
	enum av_mode clamav;
	enum av_backend_kind av_backend;
	char   *clamav_database;
	size_t  clamav_max_scan_size;
	size_t  clamav_max_file_size;
	unsigned clamav_max_recursion;
	unsigned clamav_max_files;
	unsigned clamav_max_scan_time;
	bool    clamav_heuristics;
	bool    clamav_phishing;
	bool    clamav_detect_pua;
	enum action virus_action;
	struct reply virus_reply;	/* %s is replaced by the virus name */
	enum action heuristic_action;
	enum action on_av_error;
	unsigned clamav_check_interval;
	enum av_reload_mode clamav_reload;
	bool     statistics;		/* the statistical filter on */
	int      statistics_backend;	/* STATS_BACKEND_* */
	char    *statistics_directory;	/* its store (LMDB) */
	char    *statistics_redis;	/* or Redis: ADDR[:PORT] or a path */
	unsigned statistics_min_learned;	/* of each class, to judge */
	unsigned long statistics_max_tokens;	/* tokens kept at most */
	bool     statistics_autolearn;	/* learn from clear verdicts */
	/* DNS: the resolver, and the network tests on when it is set. */
	struct strlist dns_resolver;	/* empty: no lookups at all */
	unsigned dns_timeout;		/* wait for answers, per stage */
	size_t   dns_cache_size;
	unsigned dns_max_queries;	/* per connection and message */
	enum action on_dns_error;	/* a lookup unanswered or failed */
	/* Sender authentication (milter/auth/). */
	bool     authentication;	/* SPF, DKIM, DMARC checked */
	char    *authserv_id;		/* in Authentication-Results; "":
					 * the host name */
	int      dmarc_policy;		/* DMARC_POLICY_* */
	struct strlist dmarc_exempt_forwarders;	/* lists, forwarders */
	struct strlist arc_trusted_sealers;
	/* DKIM signing (milter/auth/dkim_sign.h). */
	struct strlist dkim_sign_domains;	/* DOMAIN:SELECTOR:KEYFILE */
	struct strlist dkim_sign_headers;	/* "+Name": oversigned; empty:
						 * the built-in list */
	int      dkim_sign_line;		/* the line of dkim_sign_domains */
	unsigned clamav_reload_wait;
	struct strlist clamd_socket;
	unsigned clamd_timeout;
};

/*
 * Load a config file.  Returns a new config (caller frees with
 * config_free) or NULL when there were errors, every one of which is
 * added to d as "file:line: message".  path NULL gives the defaults.
 */
struct config *config_load(const char *path, struct diag *d);
/* Defaults plus "key = value" text (for tests); name labels errors. */
struct config *config_load_string(const char *name, const char *text,
    struct diag *d);
void config_free(struct config *c);
/* lint: warns when the Sendmail configuration file cf reaches Warden
 * over an inet socket (slow with Sendmail). */
void config_lint_sendmail(const struct config *c, const char *cf,
    struct diag *d);

/* Print every key with its default (for the sample config test). */
void config_dump_keys(struct buf *out);
/* True when key is declared in the table. */
bool config_key_known(const char *key);

#endif
