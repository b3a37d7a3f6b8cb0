/*
 * dkim_interop.c -- Warden's DKIM verifier over messages signed by
 * reference signers (tests/auth/dkim_interop.py writes them).
 *
 *   dkim_interop DIR
 *
 * DIR/keys.tsv: "name TAB answer TAB record" lines, the stub's DNS
 * (answer OK, NODATA, SERVFAIL or TIMEOUT; a name not listed is
 * NXDOMAIN).  DIR/cases.tsv: "label TAB file TAB expected TAB now"; the
 * expected results are one word per signature, "status[:flag...]",
 * flags bm (body_mismatch), sha1, t (testing) and bits=N; bm, sha1 and
 * t must be set exactly as told.  now 0: the current time.
 *
 * Prints one line per case ("ok" or "FAIL", label, expected, got, the
 * reasons) and exits 1 if any case failed.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "util.h"

struct rec {
	char   *name, *answer, *text;
};

static struct rec *recs;
static size_t nrecs;

static enum dns_status
stub_lookup(void *arg, const char *name, int type, struct strlist *out)
{
	(void)arg;
	if (type != DNS_T_TXT)
		return DNS_NODATA;
	for (size_t i = 0; i < nrecs; i++) {
		if (strcasecmp(recs[i].name, name) != 0)
			continue;
		if (strcmp(recs[i].answer, "OK") == 0) {
			strlist_add(out, recs[i].text);
			return DNS_OK;
		}
		if (strcmp(recs[i].answer, "NODATA") == 0)
			return DNS_NODATA;
		if (strcmp(recs[i].answer, "SERVFAIL") == 0)
			return DNS_ERROR;
		return DNS_PENDING;
	}
	return DNS_NXDOMAIN;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *p;
	long n;

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	p = xmalloc((size_t)n + 1);
	if (n > 0 && fread(p, 1, (size_t)n, fp) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(fp);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

/* Split line at tabs into at most max fields. */
static size_t
split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (line == NULL)
			break;
		*line++ = '\0';
	}
	return n;
}

static void
load_keys(const char *dir)
{
	char *path = xasprintf("%s/keys.tsv", dir), *f[3];
	char line[16384];
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (split_tabs(line, f, 3) != 3)
			continue;
		recs = xrealloc(recs, (nrecs + 1) * sizeof(*recs));
		recs[nrecs].name = xstrdup(f[0]);
		recs[nrecs].answer = xstrdup(f[1]);
		recs[nrecs].text = xstrdup(f[2]);
		nrecs++;
	}
	fclose(fp);
	free(path);
}

/* What Warden found, in the expected results' words. */
static void
describe(const struct dkim_results *r, struct buf *b)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct dkim_sig *s = &r->v[i];

		buf_printf(b, "%s%s", i ? " " : "", dkim_status_name(s->status));
		if (s->body_mismatch)
			buf_puts(b, ":bm");
		if (s->sha1)
			buf_puts(b, ":sha1");
		if (s->testing)
			buf_puts(b, ":t");
		if (s->key_bits)
			buf_printf(b, ":bits=%u", s->key_bits);
	}
}

/* Whether got matches expected: word by word, bits= only if asked. */
static bool
matches(const char *expected, const struct dkim_results *r)
{
	char *e = xstrdup(expected), *save = NULL, *w;
	size_t i = 0;
	bool ok = true;

	for (w = strtok_r(e, " ", &save); w != NULL && ok;
	    w = strtok_r(NULL, " ", &save), i++) {
		const struct dkim_sig *s;
		char *fs, *fl, *st;
		bool bm = false, sha1 = false, t = false;

		if (i >= r->n) {
			ok = false;
			break;
		}
		s = &r->v[i];
		st = strtok_r(w, ":", &fs);
		if (strcmp(st, dkim_status_name(s->status)) != 0)
			ok = false;
		while ((fl = strtok_r(NULL, ":", &fs)) != NULL) {
			if (strcmp(fl, "bm") == 0)
				bm = true;
			else if (strcmp(fl, "sha1") == 0)
				sha1 = true;
			else if (strcmp(fl, "t") == 0)
				t = true;
			else if (strncmp(fl, "bits=", 5) == 0 &&
			    (unsigned)atoi(fl + 5) != s->key_bits)
				ok = false;
		}
		if (bm != s->body_mismatch || sha1 != s->sha1 ||
		    t != s->testing)
			ok = false;
	}
	free(e);
	return ok && i == r->n;
}

int
main(int argc, char **argv)
{
	char *path, *f[4], line[4096];
	FILE *fp;
	int failed = 0, ran = 0;
	struct auth_dns dns = { .lookup = stub_lookup };

	if (argc != 2) {
		fprintf(stderr, "usage: dkim_interop DIR\n");
		return 2;
	}
	load_keys(argv[1]);
	path = xasprintf("%s/cases.tsv", argv[1]);
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return 2;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct dkim_results r;
		struct buf got, why;
		char *mpath, *msg;
		size_t len;
		long long now;
		bool ok;

		if (split_tabs(line, f, 4) != 4)
			continue;
		mpath = xasprintf("%s/%s", argv[1], f[1]);
		msg = slurp(mpath, &len);
		now = atoll(f[3]);
		if (now == 0)
			dkim_verify(msg, len, &dns, &r);
		else
			dkim_verify_at(msg, len, &dns, (time_t)now, &r);
		buf_init(&got, 0);
		buf_init(&why, 0);
		describe(&r, &got);
		for (size_t i = 0; i < r.n; i++)
			buf_printf(&why, "%s[%s d=%s s=%s a=%s b=%s]",
			    i ? " " : "", r.v[i].why, r.v[i].d, r.v[i].s,
			    r.v[i].a, r.v[i].b12);
		ok = matches(f[2], &r);
		printf("%s\t%s\t%s\t%s\t%s\n", ok ? "ok" : "FAIL", f[0],
		    *f[2] ? f[2] : "(none)", got.len ? got.p : "(none)",
		    why.len ? why.p : "");
		failed += !ok;
		ran++;
		buf_free(&got);
		buf_free(&why);
		dkim_results_free(&r);
		free(msg);
		free(mpath);
	}
	fclose(fp);
	free(path);
	for (size_t i = 0; i < nrecs; i++) {
		free(recs[i].name);
		free(recs[i].answer);
		free(recs[i].text);
	}
	free(recs);
	printf("%d cases, %d failed\n", ran, failed);
	return failed ? 1 : 0;
}
