/*
 * test_config.c -- Warden's configuration: defaults, every key type,
 * comments and continuation lines, errors reported as file:line (all of
 * them in one pass), lists and CIDR blocks, SMTP replies, sizes with
 * k/m/g suffixes, and a NUL byte in the file.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

/* Load text as "t.conf"; the diag is the caller's to check and free. */
static struct config *
load(const char *text, struct diag *d)
{
	diag_init(d);
	return config_load_string("t.conf", text, d);
}

/* Text that must fail to load with exactly one error starting with want. */
static void
expect_error(const char *text, const char *want)
{
	struct diag d;
	struct config *c = load(text, &d);

	ck_assert_msg(c == NULL, "\"%s\" was accepted", text);
	ck_assert_uint_eq(d.errors.n, 1);
	ck_assert_msg(strncmp(d.errors.v[0], want, strlen(want)) == 0,
	    "\"%s\": got \"%s\", want \"%s...\"", text, d.errors.v[0], want);
	diag_free(&d);
}

/* Write bytes to a new file in dir; returns its path (caller frees). */
static char *
write_file(const char *dir, const char *name, const char *data, size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

/* The built-in defaults are the documented ones. */
START_TEST(test_defaults)
{
	struct diag d;
	struct config *c;

	diag_init(&d);
	c = config_load(NULL, &d);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.errors.n, 0);
	ck_assert_str_eq(c->socket, "unix:/run/warden/warden.sock");
	ck_assert_uint_eq(c->socket_mode, 0660);
	ck_assert_str_eq(c->user, "warden");
	ck_assert(!c->run_as_root);
	ck_assert_str_eq(c->syslog_facility, "mail");
	ck_assert_str_eq(c->log_level, "info");
	ck_assert_uint_eq(c->shutdown_timeout, 30);
	ck_assert_str_eq(c->spool_directory, "/var/spool/warden");
	ck_assert_uint_eq(c->spool_memory_limit, 1024 * 1024);
	ck_assert_uint_eq(c->max_scan_size, 25 * 1024 * 1024);
	ck_assert_double_eq(c->tag_score, 5.0);
	ck_assert_double_eq(c->quarantine_score, 10.0);
	ck_assert_double_eq(c->reject_score, 15.0);
	ck_assert_str_eq(c->reject_reply.code, "550");
	ck_assert_str_eq(c->reject_reply.xcode, "5.7.1");
	ck_assert_str_eq(c->tempfail_reply.code, "451");
	ck_assert_uint_eq(c->trusted_networks.n, 0);
	ck_assert(c->skip_authenticated);
	ck_assert_int_eq(c->on_internal_error, ACT_TEMPFAIL);
	ck_assert_int_eq(c->on_limit_exceeded, ACT_SCAN);
	ck_assert_int_eq(c->on_av_error, ACT_TEMPFAIL);
	ck_assert_int_eq(c->virus_action, ACT_REJECT);
	ck_assert_int_eq(c->clamav, AV_MODE_ON);
	ck_assert_uint_eq(c->rules.n, 0);
	ck_assert_uint_eq(c->clamd_socket.n, 1);
	ck_assert_str_eq(c->clamd_socket.v[0], "unix:/run/clamav/clamd.ctl");
	/* An empty hostname is filled in from the system. */
	ck_assert_ptr_nonnull(c->hostname);
	ck_assert_str_ne(c->hostname, "");
	config_free(c);
	diag_free(&d);
}
END_TEST

/* One good value for every kind of key lands in the typed field. */
START_TEST(test_every_type)
{
	struct diag d;
	struct config *c = load(
	    "socket = inet:8890@127.0.0.1\n"		/* socket */
	    "socket_mode = 0600\n"			/* octal mode */
	    "user = mailfilter\n"			/* string */
	    "pid_file =\n"				/* empty string */
	    "spool_directory = /tmp/spool\n"		/* path */
	    "clamav_max_recursion = 9\n"		/* unsigned */
	    "pcre2_match_limit = 4000000000\n"		/* unsigned long */
	    "spool_memory_limit = 64k\n"		/* size */
	    "max_scan_size = 10MB\n"
	    "shutdown_timeout = 2m\n"			/* seconds */
	    "scan_timeout = 1h\n"
	    "clamd_timeout = 45\n"
	    "tag_score = 3.5\n"				/* score */
	    "quarantine_score = 7.25\n"
	    "reject_score = 1e1\n"
	    "run_as_root = on\n"			/* bool */
	    "skip_authenticated = false\n"
	    "clamav_phishing = 1\n"
	    "on_internal_error = accept\n"		/* action */
	    "on_limit_exceeded = REJECT\n"
	    "reject_reply = 554 5.7.1 Go away\n"	/* reply */
	    "rules = /a.cf, /b.cf /c.cf\n"		/* list */
	    "trusted_networks = 192.0.2.0/24, 2001:db8::/32\n"	/* CIDRs */
	    "clamav = optional\n"			/* enum */
	    "av_backend = clamd\n"
	    "log_level = DEBUG\n"
	    "syslog_facility = local3\n", &d);		/* facility */

	ck_assert_msg(c != NULL, "%s", d.errors.n ? d.errors.v[0] : "?");
	ck_assert_str_eq(c->socket, "inet:8890@127.0.0.1");
	ck_assert_uint_eq(c->socket_mode, 0600);
	ck_assert_str_eq(c->user, "mailfilter");
	ck_assert_str_eq(c->pid_file, "");
	ck_assert_str_eq(c->spool_directory, "/tmp/spool");
	ck_assert_uint_eq(c->clamav_max_recursion, 9);
	ck_assert_uint_eq(c->pcre2_match_limit, 4000000000UL);
	ck_assert_uint_eq(c->spool_memory_limit, 64 * 1024);
	ck_assert_uint_eq(c->max_scan_size, 10 * 1024 * 1024);
	ck_assert_uint_eq(c->shutdown_timeout, 120);
	ck_assert_uint_eq(c->scan_timeout, 3600);
	ck_assert_uint_eq(c->clamd_timeout, 45);
	ck_assert_double_eq(c->tag_score, 3.5);
	ck_assert_double_eq(c->quarantine_score, 7.25);
	ck_assert_double_eq(c->reject_score, 10.0);
	ck_assert(c->run_as_root);
	ck_assert(!c->skip_authenticated);
	ck_assert(c->clamav_phishing);
	ck_assert_int_eq(c->on_internal_error, ACT_ACCEPT);
	ck_assert_int_eq(c->on_limit_exceeded, ACT_REJECT);
	ck_assert_str_eq(c->reject_reply.code, "554");
	ck_assert_str_eq(c->reject_reply.xcode, "5.7.1");
	ck_assert_str_eq(c->reject_reply.text, "Go away");
	ck_assert_uint_eq(c->rules.n, 3);
	ck_assert_str_eq(c->rules.v[0], "/a.cf");
	ck_assert_str_eq(c->rules.v[1], "/b.cf");
	ck_assert_str_eq(c->rules.v[2], "/c.cf");
	ck_assert_uint_eq(c->trusted_networks.n, 2);
	ck_assert_int_eq(c->trusted_networks.v[0].family, AF_INET);
	ck_assert_int_eq(c->trusted_networks.v[0].bits, 24);
	ck_assert_int_eq(c->trusted_networks.v[1].family, AF_INET6);
	ck_assert_int_eq(c->trusted_networks.v[1].bits, 32);
	ck_assert(cidrlist_match(&c->trusted_networks, "192.0.2.77"));
	ck_assert(cidrlist_match(&c->trusted_networks, "2001:db8:1::5"));
	ck_assert(!cidrlist_match(&c->trusted_networks, "192.0.3.1"));
	ck_assert_int_eq(c->clamav, AV_MODE_OPTIONAL);
	ck_assert_int_eq(c->av_backend, AV_BACKEND_CLAMD);
	ck_assert_str_eq(c->log_level, "debug");
	ck_assert_str_eq(c->syslog_facility, "local3");
	ck_assert_uint_eq(d.errors.n, 0);
	config_free(c);
	diag_free(&d);
}
END_TEST

/* A bad value for each kind of key is refused with file:line and key. */
START_TEST(test_bad_values)
{
	static const char *const bad[] = {
		"socket = tcp:1@x",
		"socket = unix:relative",
		"socket = inet:0@localhost",
		"socket = inet:70000@localhost",
		"socket_mode = 0999",
		"socket_mode = 01777",
		"spool_directory =",
		"clamav_max_files = -1",
		"clamav_max_files = 12abc",
		"clamav_max_files = 99999999999",
		"pcre2_depth_limit = ten",
		"spool_memory_limit = 1.5m",
		"spool_memory_limit = 12x",
		"spool_memory_limit = k",
		"max_scan_size = 99999999999999g",
		"shutdown_timeout = 5w",
		"tag_score = five",
		"tag_score = inf",
		"tag_score = 5 points",
		"run_as_root = maybe",
		"on_internal_error = scan",
		"on_internal_error = bounce",
		"virus_action = accept",
		"reject_reply = 451 4.7.1 later",
		"tempfail_reply = 550 5.7.1 no",
		"trusted_networks = 192.0.2.0/24 banana",
		"trusted_networks = 10.0.0.0/33",
		"clamav = sometimes",
		"log_level = loud",
		"syslog_facility = kitchen",
	};
	static const char *const other[][2] = {
		{ "virus_reply = 554 5.7.1 found %d",
		    "t.conf: virus_reply may contain" },
		{ "virus_reply = 554 5.7.1 %s and %s",
		    "t.conf: virus_reply may contain" },
		{ "no_such_key = 1", "t.conf:1: unknown key \"no_such_key\"" },
		{ "user mailfilter", "t.conf:1: expected \"key = value\"" },
		{ " = x", "t.conf:1: continuation line with nothing" },
		{ "= x", "t.conf:1: missing key" },
	};

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		size_t klen = strcspn(bad[i], " ");
		char *want = xasprintf("t.conf:1: bad value for %.*s: ",
		    (int)klen, bad[i]);

		expect_error(bad[i], want);
		free(want);
	}
	for (size_t i = 0; i < ARRAY_LEN(other); i++)
		expect_error(other[i][0], other[i][1]);
}
END_TEST

/* The value of a bad key is quoted in the message so it can be found. */
START_TEST(test_bad_value_message)
{
	struct diag d;
	struct config *c = load("\n\ntag_score = lots\n", &d);

	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.errors.n, 1);
	ck_assert_str_eq(d.errors.v[0],
	    "t.conf:3: bad value for tag_score: \"lots\": expected a number");
	diag_free(&d);
}
END_TEST

/*
 * Every problem of a file is reported in one pass, each with its own
 * line, and the loaded file's name.
 */
START_TEST(test_all_errors_one_pass)
{
	char *dir = unit_tmpdir();
	static const char text[] =
	    "# Warden test config\n"		/* 1 */
	    "user = mailfilter\n"		/* 2 */
	    "bogus_key = 1\n"			/* 3 */
	    "\n"				/* 4 */
	    "tag_score = abc\n"			/* 5 */
	    "rules = /a.cf,\n"			/* 6 */
	    "    /b.cf\n"			/* 7 */
	    "run_as_root = perhaps\n";		/* 8 */
	char *path = write_file(dir, "warden.conf", text, sizeof(text) - 1);
	char *want;
	struct diag d;

	diag_init(&d);
	ck_assert_ptr_null(config_load(path, &d));
	ck_assert_uint_eq(d.errors.n, 3);
	want = xasprintf("%s:3: unknown key \"bogus_key\"", path);
	ck_assert_str_eq(d.errors.v[0], want);
	free(want);
	want = xasprintf("%s:5: bad value for tag_score", path);
	ck_assert(strncmp(d.errors.v[1], want, strlen(want)) == 0);
	free(want);
	want = xasprintf("%s:8: bad value for run_as_root", path);
	ck_assert(strncmp(d.errors.v[2], want, strlen(want)) == 0);
	free(want);
	diag_free(&d);
	unlink(path);
	free(path);
	rmdir(dir);
	free(dir);
}
END_TEST

/* A file that cannot be opened is an error naming the file. */
START_TEST(test_missing_file)
{
	struct diag d;

	diag_init(&d);
	ck_assert_ptr_null(config_load("/nonexistent/warden.conf", &d));
	ck_assert_uint_eq(d.errors.n, 1);
	ck_assert(strncmp(d.errors.v[0],
	    "/nonexistent/warden.conf: cannot open", 37) == 0);
	diag_free(&d);
}
END_TEST

/*
 * Continuation lines (leading white space) join the line before; an
 * error in a continued value is reported at the line where the key is;
 * comment and blank lines inside a continued value are skipped.
 */
START_TEST(test_continuation)
{
	struct diag d;
	struct config *c = load(
	    "rules = /a.cf,\n"
	    "  /b.cf\n"
	    "# a comment between\n"
	    "\n"
	    "\t/c.cf\n"
	    "user = x\n", &d);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->rules.n, 3);
	ck_assert_str_eq(c->rules.v[2], "/c.cf");
	ck_assert_str_eq(c->user, "x");
	config_free(c);
	diag_free(&d);

	c = load("user = x\n"
	    "trusted_networks = 192.0.2.0/24,\n"
	    "    198.51.100.0/24\n"
	    "    not-an-address\n"
	    "tag_score = 1\n", &d);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(d.errors.n, 1);
	ck_assert(strncmp(d.errors.v[0], "t.conf:2: bad value for "
	    "trusted_networks", 39) == 0);
	ck_assert_ptr_nonnull(strstr(d.errors.v[0], "not-an-address"));
	diag_free(&d);
}
END_TEST

/* Comments, blank lines, CRLF line ends and spaces around "=". */
START_TEST(test_comments_and_spacing)
{
	struct diag d;
	struct config *c = load(
	    "# comment\n"
	    "\n"
	    "   # indented comment\n"
	    "user=a\r\n"
	    "group   =   b   \n"
	    "subject_tag = [SPAM] # not a comment\n", &d);

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->user, "a");
	ck_assert_str_eq(c->group, "b");
	/* As in main.cf, '#' only starts a comment at the start of a line. */
	ck_assert_str_eq(c->subject_tag, "[SPAM] # not a comment");
	config_free(c);
	diag_free(&d);
}
END_TEST

/* A later line for the same key replaces the earlier value. */
START_TEST(test_last_wins)
{
	struct diag d;
	struct config *c = load("rules = /a.cf /b.cf\nrules = /c.cf\n"
	    "trusted_networks = 10.0.0.0/8\ntrusted_networks =\n", &d);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->rules.n, 1);
	ck_assert_str_eq(c->rules.v[0], "/c.cf");
	ck_assert_uint_eq(c->trusted_networks.n, 0);
	config_free(c);
	diag_free(&d);
}
END_TEST

/* Sizes take k, m, g (and kb, mb, gb) in either case; times s, m, h, d. */
START_TEST(test_sizes)
{
	static const struct {
		const char *v;
		size_t      want;
	} cases[] = {
		{ "0", 0 }, { "100", 100 }, { "1k", 1024 }, { "1K", 1024 },
		{ "64kb", 65536 }, { "2m", 2 * 1024 * 1024 },
		{ "3M", 3 * 1024 * 1024 }, { "1g", 1024UL * 1024 * 1024 },
		{ "1GB", 1024UL * 1024 * 1024 },
	};
	struct diag d;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *text = xasprintf("max_scan_size = %s\n", cases[i].v);
		struct config *c = load(text, &d);

		ck_assert_msg(c != NULL, "%s refused", cases[i].v);
		ck_assert_uint_eq(c->max_scan_size, cases[i].want);
		config_free(c);
		diag_free(&d);
		free(text);
	}
	{
		struct config *c = load("clamav_check_interval = 2d\n", &d);

		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(c->clamav_check_interval, 2 * 86400);
		config_free(c);
		diag_free(&d);
	}
}
END_TEST

/* A NUL byte is an error at its own line; the other lines still count. */
START_TEST(test_nul_byte)
{
	char *dir = unit_tmpdir();
	static const char text[] = "user = a\ngroup = b\0c\nbogus = 1\n";
	char *path = write_file(dir, "nul.conf", text, sizeof(text) - 1);
	char *want;
	struct diag d;

	diag_init(&d);
	ck_assert_ptr_null(config_load(path, &d));
	ck_assert_uint_eq(d.errors.n, 2);
	want = xasprintf("%s:2: NUL byte in line", path);
	ck_assert_str_eq(d.errors.v[0], want);
	free(want);
	want = xasprintf("%s:3: unknown key", path);
	ck_assert(strncmp(d.errors.v[1], want, strlen(want)) == 0);
	free(want);
	diag_free(&d);
	unlink(path);
	free(path);
	rmdir(dir);
	free(dir);
}
END_TEST

/* SMTP replies: code, optional enhanced code of the same class, text. */
START_TEST(test_reply_parse)
{
	struct reply r;
	const char *why;

	ck_assert_int_eq(reply_parse("550 5.7.1 No thanks", 5, &r, &why), 0);
	ck_assert_str_eq(r.code, "550");
	ck_assert_str_eq(r.xcode, "5.7.1");
	ck_assert_str_eq(r.text, "No thanks");
	reply_free(&r);
	ck_assert_ptr_null(r.text);

	ck_assert_int_eq(reply_parse("  451 Try later", 0, &r, &why), 0);
	ck_assert_str_eq(r.code, "451");
	ck_assert_str_eq(r.xcode, "");
	ck_assert_str_eq(r.text, "Try later");
	reply_free(&r);

	ck_assert_int_eq(reply_parse("554 5.7.1 100% sure", 5, &r, &why), 0);
	ck_assert_str_eq(r.text, "100% sure");
	reply_free(&r);

	ck_assert_int_eq(reply_parse("250 2.0.0 ok", 0, &r, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "4xx or 5xx"));
	ck_assert_int_eq(reply_parse("451 4.7.1 later", 5, &r, &why), -1);
	ck_assert_str_eq(why, "the reply code must be 5xx");
	ck_assert_int_eq(reply_parse("550 5.7.1 no", 4, &r, &why), -1);
	ck_assert_str_eq(why, "the reply code must be 4xx");
	ck_assert_int_eq(reply_parse("550 4.7.1 mismatch", 0, &r, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "enhanced status code"));
	ck_assert_int_eq(reply_parse("550 5.7 short", 0, &r, &why), -1);
	ck_assert_int_eq(reply_parse("550 5.7.1.2 long", 0, &r, &why), -1);
	ck_assert_int_eq(reply_parse("550 5.7.1", 0, &r, &why), -1);
	ck_assert_str_eq(why, "the reply has no text");
	ck_assert_int_eq(reply_parse("550", 0, &r, &why), -1);
	ck_assert_int_eq(reply_parse("55 x", 0, &r, &why), -1);
	ck_assert_int_eq(reply_parse("5500 x", 0, &r, &why), -1);
	ck_assert_int_eq(reply_parse("abc x", 0, &r, &why), -1);
	ck_assert_int_eq(reply_parse("", 0, &r, &why), -1);
	ck_assert_int_eq(reply_parse("550 5.7.1 tab\there", 0, &r, &why), -1);
	ck_assert_str_eq(why, "the reply text has a control character");
	ck_assert_ptr_null(r.text);
}
END_TEST

/* action words round-trip; unknown words are refused. */
START_TEST(test_action_names)
{
	for (int a = ACT_ACCEPT; a < ACT_COUNT; a++)
		ck_assert_int_eq(action_parse(action_name((enum action)a)), a);
	ck_assert_int_eq(action_parse("Reject"), ACT_REJECT);
	ck_assert_int_eq(action_parse("none"), -1);
	ck_assert_int_eq(action_parse("bounce"), -1);
	ck_assert_str_eq(action_name(ACT_QUARANTINE), "quarantine");
	ck_assert_str_eq(action_name((enum action)99), "?");
}
END_TEST

/* Keys that contradict each other are warnings, not errors. */
START_TEST(test_cross_key_warnings)
{
	struct diag d;
	struct config *c = load("spool_memory_limit = 2m\nmax_scan_size = 1m\n"
	    "tag_score = 20\n", &d);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(d.errors.n, 0);
	ck_assert_uint_eq(d.warnings.n, 2);
	ck_assert_ptr_nonnull(strstr(d.warnings.v[0], "spool_memory_limit"));
	ck_assert_ptr_nonnull(strstr(d.warnings.v[1], "thresholds"));
	config_free(c);
	diag_free(&d);
}
END_TEST

/* A TCP socket beyond loopback is worth a warning; loopback is not. */
START_TEST(test_socket_exposed)
{
	static const char *const quiet[] = { "socket = inet:8890@127.0.0.1\n",
	    "socket = inet:8890@localhost\n", "socket = inet6:8890@::1\n",
	    "socket = unix:/run/w.sock\n" };
	static const char *const loud[] = { "socket = inet:8890@0.0.0.0\n",
	    "socket = inet:8890@192.0.2.1\n", "socket = inet6:8890@::\n" };
	struct diag d;
	struct config *c;

	for (size_t i = 0; i < ARRAY_LEN(quiet); i++) {
		c = load(quiet[i], &d);
		ck_assert_ptr_nonnull(c);
		ck_assert_msg(d.warnings.n == 0, "%s", quiet[i]);
		config_free(c);
		diag_free(&d);
	}
	for (size_t i = 0; i < ARRAY_LEN(loud); i++) {
		c = load(loud[i], &d);
		ck_assert_ptr_nonnull(c);
		ck_assert_msg(d.warnings.n == 1 && strstr(d.warnings.v[0],
		    "beyond the loopback") != NULL, "%s", loud[i]);
		config_free(c);
		diag_free(&d);
	}
}
END_TEST

/* lint: Sendmail reaching Warden over inet is slow; said with the file
 * and line of its X definition. */
START_TEST(test_sendmail_inet)
{
	char *dir = unit_tmpdir(), *cf = NULL;
	struct diag d;
	struct config *c;
	FILE *fp;

	cf = xasprintf("%s/sendmail.cf", dir);
	fp = fopen(cf, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("# sendmail.cf\nO InputMailFilters=warden\n"
	    "Xwarden, S=inet:8890@127.0.0.1, F=T, T=S:4m;R:4m\n", fp);
	fclose(fp);

	c = load("socket = inet:8890@127.0.0.1\n", &d);
	ck_assert_ptr_nonnull(c);
	config_lint_sendmail(c, cf, &d);
	ck_assert_uint_eq(d.warnings.n, 1);
	ck_assert(strstr(d.warnings.v[0], "sendmail.cf:3") != NULL);
	ck_assert(strstr(d.warnings.v[0], "use a unix socket") != NULL);
	config_free(c);
	diag_free(&d);

	/* Another port, a unix socket, no Sendmail: nothing said. */
	c = load("socket = inet:8891@127.0.0.1\n", &d);
	config_lint_sendmail(c, cf, &d);
	ck_assert_uint_eq(d.warnings.n, 0);
	config_free(c);
	diag_free(&d);
	c = load("socket = unix:/run/w.sock\n", &d);
	config_lint_sendmail(c, cf, &d);
	ck_assert_uint_eq(d.warnings.n, 0);
	config_free(c);
	diag_free(&d);
	c = load("socket = inet:8890@127.0.0.1\n", &d);
	config_lint_sendmail(c, "/nonexistent/sendmail.cf", &d);
	ck_assert_uint_eq(d.warnings.n, 0);
	config_free(c);
	diag_free(&d);
	unlink(cf);
	free(cf);
	rmdir(dir);
	free(dir);
}
END_TEST

/* Every key in the dump is known, and each loads with its default. */
START_TEST(test_dump_keys)
{
	struct buf b;
	size_t nkeys = 0;
	struct diag d;
	struct config *c;

	buf_init(&b, 0);
	config_dump_keys(&b);
	for (char *line = b.p, *nl; *line; line = nl + 1) {
		char *eq;

		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		*nl = '\0';
		eq = strstr(line, " = ");
		ck_assert_ptr_nonnull(eq);
		*eq = '\0';
		ck_assert_msg(config_key_known(line), "%s unknown", line);
		*eq = ' ';
		*nl = '\n';
		nkeys++;
	}
	ck_assert_uint_ge(nkeys, 40);
	ck_assert(!config_key_known("no_such_key"));
	/* The dump itself is a valid config. */
	diag_init(&d);
	c = config_load_string("dump", b.p, &d);
	ck_assert_msg(c != NULL, "%s", d.errors.n ? d.errors.v[0] : "?");
	config_free(c);
	diag_free(&d);
	buf_free(&b);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_type);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_bad_value_message);
	tcase_add_test(tc, test_all_errors_one_pass);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_continuation);
	tcase_add_test(tc, test_comments_and_spacing);
	tcase_add_test(tc, test_last_wins);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_reply_parse);
	tcase_add_test(tc, test_action_names);
	tcase_add_test(tc, test_cross_key_warnings);
	tcase_add_test(tc, test_socket_exposed);
	tcase_add_test(tc, test_sendmail_inet);
	tcase_add_test(tc, test_dump_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(config_suite());
}
