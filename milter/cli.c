/*
 * cli.c -- "warden milter", "warden scan", "warden lint", --version, --help
 * ("warden learn" is in learn.c).
 *
 * "warden scan" builds a conn and txn from a stored message exactly as the
 * milter builds them from the MTA, and calls the same scan_* stages.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "av.h"
#include "cli.h"
#include "diag.h"
#include "dns.h"
#include "log.h"
#include "mlfi.h"
#include "msgfile.h"
#include "rules.h"
#include "scan.h"
#include "snapshot.h"
#include "spool.h"
#include "txn.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/warden/warden.conf"

static const char usage_main[] =
"usage: warden COMMAND [OPTIONS]\n"
"\n"
"Warden is a mail content filter for Postfix and Sendmail.\n"
"\n"
"commands:\n"
"  milter [-c FILE] [-f]   run the milter daemon (-f: foreground, log to stderr)\n"
"  scan [OPTIONS] FILE...  judge stored messages with the same pipeline\n"
"  lint [-c FILE]          check the configuration and everything it names\n"
"  learn [-c FILE] --spam | --ham | --forget PATH...\n"
"                          teach the statistical filter (files, directories,\n"
"                          mbox files, Maildirs); learn --stats: its store\n"
"\n"
"  warden --version | --help | COMMAND --help\n"
"\n"
"The default configuration file is " DEFAULT_CONFIG ".\n";

static const char usage_milter[] =
"usage: warden milter [-c FILE] [-f]\n"
"\n"
"  -c FILE   configuration file (default " DEFAULT_CONFIG ")\n"
"  -f        stay in the foreground and log to stderr\n"
"\n"
"Signals: SIGTERM/SIGINT stop gracefully; SIGUSR1 and SIGHUP reload the\n"
"configuration, rules and antivirus database (a broken configuration keeps\n"
"the old one).\n";

static const char usage_scan[] =
"usage: warden scan [-c FILE] [--json] [--explain] [--from ADDR]\n"
"                   [--rcpt ADDR]... [--client IP] [--helo NAME]\n"
"                   [--auth NAME] FILE...\n"
"\n"
"Judges stored messages (\"-\" reads stdin) with the pipeline the milter runs.\n"
"Envelope defaults: sender from Return-Path or From, recipients from To and\n"
"Cc, client 127.0.0.1.\n"
"\n"
"  --json      one JSON object per message\n"
"  --explain   each rule hit with its score, description and matched text\n"
"  --auth NAME the sender authenticated (SMTP AUTH) as NAME\n"
"\n"
"Output: FILE: ACTION score=S/REQ tests=A,B[ virus=NAME]\n"
"Exit: 0 every file judged, 1 a file could not be read, 2 usage or config.\n";

/* Where Sendmail keeps its configuration (lint reads it). */
#define SENDMAIL_CF	"/etc/mail/sendmail.cf"

static const char usage_lint[] =
"usage: warden lint [-c FILE]\n"
"\n"
"Checks the configuration, the rule files and the antivirus database it\n"
"names; prints every problem as file:line: message; exits 1 if any.\n";

/* Make dir and every missing parent with mode 0700; 0 or -1 with errno. */
static int
mkdir_private(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1; rc == 0; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/*
 * The per-user cache of the command line: $XDG_CACHE_HOME/warden, else
 * $HOME/.cache/warden (the XDG base directory rules: a relative
 * XDG_CACHE_HOME is ignored).  NULL when there is no home to put it in.
 */
static char *
cli_user_cache(void)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");

	if (x != NULL && x[0] == '/')
		return xasprintf("%s/warden", x);
	if (h != NULL && h[0] == '/')
		return xasprintf("%s/.cache/warden", h);
	return NULL;
}

/*
 * Without a usable regex_prefilter_cache every run of scan or lint
 * compiles the prefilter again, which takes seconds with SpamAssassin's
 * rules against a fraction of one with a cache, and a first user would
 * only see a slow command.  So: fall back to a per-user cache (made
 * 0700), and return the one line that says which directory is unusable,
 * why, and what to do (the caller frees it); NULL when all is well.
 * The daemon never falls back: its cache is the administrator's choice.
 */
static char *
cli_cache(const char *path)
{
	struct config *cfg;
	struct diag d;
	char *user, *line = NULL;
	int e, ue;

	diag_init(&d);
	cfg = config_load(path, &d);
	diag_free(&d);
	if (cfg == NULL)
		return NULL;	/* reported by the load that follows */
	if (!cfg->regex_prefilter || cfg->rules.n == 0 ||
	    cfg->regex_prefilter_cache[0] == '\0' ||
	    (e = rules_hs_cache_check(cfg->regex_prefilter_cache)) == 0) {
		config_free(cfg);
		return NULL;
	}
	if ((user = cli_user_cache()) == NULL)
		ue = -1;
	else if (mkdir_private(user) < 0)
		ue = errno;
	else
		ue = rules_hs_cache_check(user);
	if (ue == 0) {
		rules_hs_cache_fallback(user);
		line = xasprintf("regex_prefilter_cache %s: %s; using %s "
		    "instead (to use the configured cache, make %s a "
		    "directory you can write, or set regex_prefilter_cache "
		    "in %s)", cfg->regex_prefilter_cache, strerror(e), user,
		    cfg->regex_prefilter_cache, path);
	} else
		line = xasprintf("regex_prefilter_cache %s: %s, and %s%s%s: "
		    "the regex prefilter is compiled again on every run "
		    "(seconds with a large rule set); make %s a directory "
		    "you can write, or set regex_prefilter_cache in %s",
		    cfg->regex_prefilter_cache, strerror(e),
		    user != NULL ? user : "no per-user cache",
		    user != NULL ? ": " : " (neither XDG_CACHE_HOME nor HOME "
		    "is an absolute path)", user != NULL ? strerror(ue) : "",
		    cfg->regex_prefilter_cache, path);
	free(user);
	config_free(cfg);
	return line;
}

/* Load the config into a snapshot, printing every problem. */
static struct snapshot *
cli_load(const char *path)
{
	struct snapshot *s;
	struct diag d;

	diag_init(&d);
	s = snapshot_build(path, NULL, &d);
	for (size_t i = 0; i < d.errors.n; i++)
		fprintf(stderr, "%s\n", d.errors.v[i]);
	for (size_t i = 0; i < d.warnings.n; i++)
		fprintf(stderr, "warning: %s\n", d.warnings.v[i]);
	diag_free(&d);
	return s;
}

static int
cli_milter(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	bool fg = false;
	struct snapshot *s;
	struct config *probe;
	struct diag d;
	int c, rc;
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };

	while ((c = getopt_long(argc, argv, "c:fh", lo, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'f': fg = true; break;
		case 'h': fputs(usage_milter, stdout); return 0;
		default: fputs(usage_milter, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_milter, stderr);
		return EXIT_USAGE;
	}
	/* Logging goes where the config says before anything is loaded. */
	diag_init(&d);
	probe = config_load(path, &d);
	diag_free(&d);
	if (probe != NULL) {
		log_open("warden", fg, log_facility(probe->syslog_facility));
		if (strcmp(probe->log_level, "debug") == 0)
			log_set_level(LOG_DEBUG);
		else if (strcmp(probe->log_level, "warning") == 0)
			log_set_level(LOG_WARNING);
		else if (strcmp(probe->log_level, "error") == 0)
			log_set_level(LOG_ERR);
		config_free(probe);
	} else
		log_open("warden", true, LOG_MAIL);
	diag_init(&d);
	/*
	 * In the foreground the prefilter is built in the background while
	 * mail is judged without it; a daemon forks, which would lose that
	 * thread, so it waits for it.
	 */
	rules_hs_background(fg);
	snapshot_for_daemon();
	s = snapshot_build(path, NULL, &d);
	diag_log(&d, "");
	if (s == NULL) {
		log_msg(LOG_ERR, "%zu configuration error(s): not starting",
		    diag_nerrors(&d));
		diag_free(&d);
		return EXIT_USAGE;
	}
	diag_free(&d);
	snapshot_install(s);
	rc = mlfi_run(path, fg);
	snapshot_clear();
	log_close();
	return rc;
}

static int
cli_lint(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	struct snapshot *s;
	struct diag d;
	char *cache;
	int c, rc;
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };

	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'h': fputs(usage_lint, stdout); return 0;
		default: fputs(usage_lint, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_lint, stderr);
		return EXIT_USAGE;
	}
	log_set_level(LOG_WARNING);
	diag_init(&d);
	if ((cache = cli_cache(path)) != NULL) {
		diag_warn(&d, NULL, 0, "%s", cache);
		free(cache);
	}
	s = snapshot_build(path, NULL, &d);
	if (s != NULL) {
		config_lint_sendmail(s->cfg, SENDMAIL_CF, &d);
		rules_summary(s->rules, &d);
		learn_summary(s, &d);
		av_summary(s->av, &d);
	}
	for (size_t i = 0; i < d.errors.n; i++)
		printf("%s\n", d.errors.v[i]);
	for (size_t i = 0; i < d.warnings.n; i++)
		printf("warning: %s\n", d.warnings.v[i]);
	for (size_t i = 0; i < d.notes.n; i++)
		printf("%s\n", d.notes.v[i]);
	rc = diag_nerrors(&d) ? EXIT_UNREADABLE : 0;
	if (rc == 0)
		printf("%s: ok\n", path);
	else
		printf("%s: %zu error(s)\n", path, diag_nerrors(&d));
	diag_free(&d);
	snapshot_release(s);
	rules_hs_cache_fallback(NULL);
	return rc;
}

struct scan_opts {
	bool json;
	bool explain;
	const char *from;
	struct strlist rcpts;
	const char *client;
	const char *helo;
	const char *auth;
};

/* --explain: one DNS lookup, its answer, its time and the rules that
 * read it. */
static void
explain_lookup(void *arg, struct dns_query *q)
{
	struct buf *out = arg;
	struct dns_answer a;

	dns_answer(q, &a);
	buf_printf(out, "    %s %s: ", dns_query_name(q),
	    dns_type_name(dns_query_type(q)));
	switch (a.status) {
	case DNS_PENDING:
		buf_puts(out, "no answer by the deadline");
		break;
	case DNS_NXDOMAIN:
		buf_puts(out, "not listed (NXDOMAIN)");
		break;
	case DNS_NODATA:
		buf_puts(out, "no such record");
		break;
	case DNS_ERROR:
		buf_printf(out, "error (%s)", a.error ? a.error : "?");
		break;
	case DNS_OK:
		for (size_t i = 0; i < a.nrr; i++) {
			if (i)
				buf_puts(out, ", ");
			str_escape(out, a.rr[i], strlen(a.rr[i]), 200);
		}
		break;
	}
	if (a.cached)
		buf_puts(out, " (cached)");
	else
		buf_printf(out, " (%.0f ms)", a.ms);
	if (dns_query_noted(q)) {
		buf_puts(out, " for ");
		dns_query_notes(q, out, ", ");
	}
	buf_putc(out, '\n');
}

/* One stored message through every stage; prints its line. */
static void
cli_scan_one(struct snapshot *snap, const struct scan_opts *o,
    const char *file, const struct msgfile *mf)
{
	const struct config *cfg = snap->cfg;
	struct msgfile_envelope env = { o->from, &o->rcpts, o->client, o->helo,
	    o->explain, o->auth };
	struct msgfile_outcome oc;
	const struct results *res;
	const struct reply *reply;
	const struct verdict *vp;
	enum action act;
	struct buf out;
	double start = now_ms();

	msgfile_scan_file(snap, &env, mf, &oc);
	act = oc.action;
	res = oc.res;
	vp = &oc.v;
	reply = oc.reached_eom ? &oc.v.reply : &oc.d.reply;

	buf_init(&out, 0);
	if (o->json) {
		buf_puts(&out, "{\"file\":");
		json_string(&out, file);
		buf_printf(&out, ",\"action\":\"%s\",\"score\":%.1f,\"required\":%.1f,"
		    "\"tests\":[", action_name(act), res->score, cfg->tag_score);
		{
			struct buf tests;
			char *p, *save = NULL;
			bool first = true;

			buf_init(&tests, 0);
			results_tests(res, &tests, " ");
			if (strcmp(tests.p, "none") != 0)
				for (p = strtok_r(tests.p, " ", &save); p;
				    p = strtok_r(NULL, " ", &save)) {
					if (!first)
						buf_putc(&out, ',');
					json_string(&out, p);
					first = false;
				}
			buf_free(&tests);
		}
		buf_puts(&out, "],\"virus\":");
		if (res->virus)
			json_string(&out, res->virus);
		else
			buf_puts(&out, "null");
		buf_puts(&out, ",\"reply\":");
		if ((act == ACT_REJECT || act == ACT_TEMPFAIL) && reply->code[0]) {
			char *r = xasprintf("%s%s%s %s", reply->code,
			    reply->xcode[0] ? " " : "", reply->xcode, reply->text);
			json_string(&out, r);
			free(r);
		} else
			buf_puts(&out, "null");
		buf_puts(&out, ",\"headers\":[");
		for (size_t i = 0; i < vp->hdr_names.n; i++) {
			buf_puts(&out, i ? ",[" : "[");
			json_string(&out, vp->hdr_names.v[i]);
			buf_putc(&out, ',');
			json_string(&out, vp->hdr_values.v[i]);
			buf_putc(&out, ']');
		}
		if (vp->new_subject != NULL) {
			buf_puts(&out, vp->hdr_names.n ? ",[" : "[");
			json_string(&out, "Subject");
			buf_putc(&out, ',');
			json_string(&out, vp->new_subject);
			buf_putc(&out, ']');
		}
		buf_printf(&out, "],\"elapsed_ms\":%.3f}\n", now_ms() - start);
	} else {
		buf_printf(&out, "%s: %s score=%.1f/%.1f tests=", file,
		    action_name(act), res->score, cfg->tag_score);
		results_tests(res, &out, ",");
		if (res->virus)
			buf_printf(&out, " virus=%s", res->virus);
		buf_putc(&out, '\n');
	}
	if (o->explain) {
		for (size_t i = 0; i < res->nhits; i++) {
			const struct hit *h = &res->hits[i];

			if (strncmp(h->name, "__", 2) == 0)
				continue;	/* sub-rules count only through metas */

			buf_printf(&out, "  %-24s %-8s %6.2f  %s", h->name,
			    h->kind ? h->kind : "", h->score,
			    h->describe ? h->describe : "");
			if (h->matched != NULL) {
				buf_puts(&out, "\n      matched: \"");
				str_escape(&out, h->matched, strlen(h->matched), 120);
				buf_putc(&out, '"');
			}
			buf_putc(&out, '\n');
		}
		if (res->stats.ran && res->stats.abstained)
			buf_printf(&out, "  statistics: abstained (%s)\n",
			    res->stats.why ? res->stats.why : "?");
		else if (res->stats.ran)
			buf_printf(&out, "  statistics: spam probability %.4f "
			    "from %u strong tokens (%u of %u known)\n",
			    res->stats.prob, res->stats.nused,
			    res->stats.nknown, res->stats.ntokens);
		/* Its evidence, a line each (an abstention's too: the
		 * tokens past the bound, the few strong ones). */
		for (const char *e = res->stats.ran ? res->stats.evidence :
		    NULL; e != NULL && *e != '\0';) {
			const char *nl = strchr(e, '\n');
			int len = nl != NULL ? (int)(nl - e) : (int)strlen(e);

			buf_printf(&out, "      %.*s\n", len, e);
			e = nl != NULL ? nl + 1 : NULL;
		}
		if (oc.conn != NULL && oc.conn->dns != NULL) {
			buf_puts(&out, "  DNS lookups:\n");
			dns_set_each(oc.conn->txn != NULL &&
			    oc.conn->txn->dns != NULL ? oc.conn->txn->dns :
			    oc.conn->dns, explain_lookup, &out);
		}
		buf_printf(&out, "  total %.1f (tag %.1f, quarantine %.1f, reject "
		    "%.1f)", res->score, cfg->tag_score, cfg->quarantine_score,
		    cfg->reject_score);
		if (res->virus)
			buf_printf(&out, ", virus %s", res->virus);
		buf_printf(&out, ": %s (%s)\n", action_name(act),
		    oc.reached_eom ? vp->why : oc.d.why ? oc.d.why : "no decision");
	}
	fwrite(out.p, 1, out.len, stdout);
	buf_free(&out);
	msgfile_outcome_free(&oc);
}

static int
cli_scan(int argc, char **argv)
{
	struct scan_opts o = { 0 };
	const char *path = DEFAULT_CONFIG;
	struct snapshot *snap;
	char *cache;
	int c, rc = EXIT_JUDGED;
	enum { O_JSON = 256, O_EXPLAIN, O_FROM, O_RCPT, O_CLIENT, O_HELO,
	    O_AUTH };
	static const struct option lo[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "explain", no_argument, NULL, O_EXPLAIN },
		{ "from", required_argument, NULL, O_FROM },
		{ "rcpt", required_argument, NULL, O_RCPT },
		{ "client", required_argument, NULL, O_CLIENT },
		{ "helo", required_argument, NULL, O_HELO },
		{ "auth", required_argument, NULL, O_AUTH },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case O_JSON: o.json = true; break;
		case O_EXPLAIN: o.explain = true; break;
		case O_FROM: o.from = optarg; break;
		case O_RCPT: strlist_add(&o.rcpts, optarg); break;
		case O_CLIENT: {
			struct cidr cd;

			if (cidr_parse(optarg, &cd) < 0 || strchr(optarg, '/')) {
				fprintf(stderr, "warden scan: --client needs an IP "
				    "address, not \"%s\"\n", optarg);
				strlist_free(&o.rcpts);
				return EXIT_USAGE;
			}
			o.client = optarg;
			break;
		}
		case O_HELO: o.helo = optarg; break;
		case O_AUTH: o.auth = optarg; break;
		case 'h':
			fputs(usage_scan, stdout);
			strlist_free(&o.rcpts);
			return 0;
		default:
			fputs(usage_scan, stderr);
			strlist_free(&o.rcpts);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		fputs(usage_scan, stderr);
		strlist_free(&o.rcpts);
		return EXIT_USAGE;
	}
	/* The per-message log line is for --explain readers; quiet otherwise. */
	log_set_level(o.explain ? LOG_INFO : LOG_WARNING);
	/* Said first: it explains the wait for the load that follows. */
	if ((cache = cli_cache(path)) != NULL) {
		fprintf(stderr, "warden scan: %s\n", cache);
		free(cache);
	}
	if ((snap = cli_load(path)) == NULL) {
		rules_hs_cache_fallback(NULL);
		strlist_free(&o.rcpts);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		struct msgfile mf;

		if (msgfile_open(&mf, argv[i], snap->cfg->max_scan_size) < 0) {
			fprintf(stderr, "warden scan: %s: %s\n", argv[i],
			    strerror(errno));
			rc = EXIT_UNREADABLE;
			continue;
		}
		cli_scan_one(snap, &o, argv[i], &mf);
		msgfile_close(&mf);
		fflush(stdout);
	}
	snapshot_release(snap);
	rules_hs_cache_fallback(NULL);
	strlist_free(&o.rcpts);
	return rc;
}

int
cli_main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("warden %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	/* Sub-command options start at argv[1] for getopt. */
	if (strcmp(cmd, "milter") == 0)
		return cli_milter(argc - 1, argv + 1);
	if (strcmp(cmd, "scan") == 0)
		return cli_scan(argc - 1, argv + 1);
	if (strcmp(cmd, "lint") == 0)
		return cli_lint(argc - 1, argv + 1);
	if (strcmp(cmd, "learn") == 0)
		return cli_learn(argc - 1, argv + 1, DEFAULT_CONFIG);
	fprintf(stderr, "warden: unknown command \"%s\"\n\n%s", cmd, usage_main);
	return EXIT_USAGE;
}
