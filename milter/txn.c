/*
 * txn.c -- the message in progress on a connection.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "dns.h"
#include "log.h"
#include "snapshot.h"
#include "spool.h"
#include "txn.h"

char *
addr_unbracket(const char *arg)
{
	const char *p = arg ? arg : "";
	size_t n;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '<')
		p++;
	n = strcspn(p, ">");
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	return xstrndup(p, n);
}

bool
header_is_ours(const char *name)
{
	return str_iprefix(name, "X-Spam-") || str_iprefix(name, "X-Virus-");
}

struct txn *
txn_begin(struct conn *c, const char *envfrom)
{
	const struct config *cfg = c->snap->cfg;
	struct txn *t;

	txn_end(c);
	t = xcalloc(1, sizeof(*t));
	t->queue_id = xstrdup("NOQUEUE");
	t->envfrom = addr_unbracket(envfrom);
	t->spool = spool_new(cfg->spool_directory, cfg->spool_memory_limit,
	    cfg->max_scan_size);
	t->start_ms = now_ms();
	t->hdr_limit = cfg->max_scan_size;
	t->max_hdrs = cfg->max_header_count;
	t->max_hdr_len = cfg->max_header_length;
	/*
	 * A header of ours that cannot be removed must not be passed on,
	 * whatever on_limit_exceeded says: refuse with it when it refuses,
	 * else tempfail.
	 */
	if (cfg->authentication)
		t->authserv_id = cfg->authserv_id[0] != '\0' ?
		    cfg->authserv_id : cfg->hostname;
	t->ours_refuse = cfg->on_limit_exceeded;
	if (t->ours_refuse != ACT_REJECT && t->ours_refuse != ACT_TEMPFAIL &&
	    t->ours_refuse != ACT_DISCARD)
		t->ours_refuse = ACT_TEMPFAIL;
	results_copy(&t->res, &c->res);
	c->txn = t;
	c->nmsgs++;
	return t;
}

void
txn_end(struct conn *c)
{
	struct txn *t = c->txn;

	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nhdrs; i++) {
		free(t->hdrs[i].name);
		free(t->hdrs[i].value);
	}
	free(t->hdrs);
	for (size_t i = 0; i < t->nours; i++)
		free(t->ours[i].name);
	free(t->ours);
	free(t->ours_slot);
	free(t->ar_forged);
	spool_free(t->spool);
	dns_set_free(t->dns);
	results_free(&t->res);
	strlist_free(&t->rcpts);
	free(t->queue_id);
	free(t->envfrom);
	free(t->auth_authen);
	free(t->dkim_signed);
	free(t);
	c->txn = NULL;
}

void
txn_add_rcpt(struct txn *t, const char *rcpt)
{
	strlist_add_owned(&t->rcpts, addr_unbracket(rcpt));
}

/* Write s to the spool with every bare LF turned into CRLF. */
static int
spool_put_crlf(struct spool *sp, const char *s)
{
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, "\r\n");

		if (n && spool_write(sp, p, n) < 0)
			return -1;
		p += n;
		if (*p == '\r' && p[1] == '\n')
			p++;
		if (*p == '\r' || *p == '\n') {
			if (spool_write(sp, "\r\n", 2) < 0)
				return -1;
			p++;
		}
	}
	return 0;
}

/* FNV-1a of the name folded to ASCII lower case, as strcasecmp compares. */
static size_t
ours_hash(const char *name)
{
	size_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p;
		h *= 16777619u;
	}
	return h;
}

/* The slot of name in t->ours_slot: its entry's, or the free one to use. */
static size_t
ours_find(const struct txn *t, const char *name)
{
	size_t mask = t->ours_nslots - 1, i = ours_hash(name) & mask;

	while (t->ours_slot[i] != 0 &&
	    strcasecmp(t->ours[t->ours_slot[i] - 1].name, name) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Double the hash (or make it), keeping it over twice as big as ours. */
static void
ours_grow(struct txn *t)
{
	size_t *old = t->ours_slot, n = t->ours_nslots;

	t->ours_nslots = n ? n * 2 : 16;
	t->ours_slot = xcalloc(t->ours_nslots, sizeof(*t->ours_slot));
	for (size_t i = 0; i < t->nours; i++)
		t->ours_slot[ours_find(t, t->ours[i].name)] = i + 1;
	free(old);
}

/*
 * Count one more header of a name of ours.  -1 when the name is new and
 * there is no room left for it (max_header_count names, max_header_length
 * bytes of names): it cannot be removed.  A hash keeps this cheap for a
 * message of many thousands of such headers.
 */
static int
txn_ours_count(struct txn *t, const char *name)
{
	size_t len = strlen(name), i;

	if (t->ours_nslots > 0 && t->ours_slot[i = ours_find(t, name)] != 0) {
		t->ours[t->ours_slot[i] - 1].count++;
		return 0;
	}
	if ((t->max_hdrs > 0 && t->nours >= t->max_hdrs) ||
	    (t->max_hdr_len > 0 && t->ours_bytes + len + 1 > t->max_hdr_len))
		return -1;
	if (2 * (t->nours + 1) >= t->ours_nslots)
		ours_grow(t);
	if (t->nours == t->ours_cap) {
		t->ours_cap = t->ours_cap ? t->ours_cap * 2 : 8;
		t->ours = xrealloc(t->ours, t->ours_cap * sizeof(*t->ours));
	}
	t->ours[t->nours].name = xstrdup(name);
	t->ours[t->nours].count = 1;
	t->ours_slot[ours_find(t, name)] = ++t->nours;
	t->ours_bytes += len + 1;
	return 0;
}

int
txn_header(struct txn *t, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 4;

	if (t->authserv_id != NULL &&
	    strcasecmp(name, "Authentication-Results") == 0) {
		t->ar_seen++;
		if (auth_header_claims(value, t->authserv_id)) {
			if (t->nar_forged < t->max_hdrs || t->max_hdrs == 0) {
				t->ar_forged = xrealloc(t->ar_forged,
				    (t->nar_forged + 1) * sizeof(unsigned));
				t->ar_forged[t->nar_forged++] = t->ar_seen;
			} else if (!t->ours_lost) {
				t->ours_lost = true;
				results_set_limit(&t->res, "header_count");
				results_decide(&t->res, t->ours_refuse, NULL,
				    "more forged Authentication-Results "
				    "fields than can be removed");
			}
		}
	}
	if (header_is_ours(name) && txn_ours_count(t, name) < 0 &&
	    !t->ours_lost) {
		t->ours_lost = true;
		results_set_limit(&t->res, t->max_hdrs > 0 &&
		    t->nours >= t->max_hdrs ? "header_count" : "header_length");
		results_decide(&t->res, t->ours_refuse, NULL,
		    "more X-Spam-*/X-Virus-* header names than can be removed");
	}
	/*
	 * Headers are kept for the rules up to the same bound as the spool,
	 * so a message that is all headers cannot grow memory past
	 * max_scan_size; past it they are counted, not kept.
	 */
	if (t->max_hdrs > 0 && t->nhdrs >= t->max_hdrs) {
		/* Counted, written to the spool, not kept for the rules. */
		results_set_limit(&t->res, "header_count");
		t->hdrs_truncated = true;
	} else if (t->hdr_bytes + n <= t->hdr_limit) {
		struct header *h;
		size_t vlen = strlen(value);

		if (t->max_hdr_len > 0 && vlen > t->max_hdr_len) {
			results_set_limit(&t->res, "header_length");
			vlen = t->max_hdr_len;
			n = strlen(name) + vlen + 4;
		}
		if (t->nhdrs == t->hdrs_cap) {
			t->hdrs_cap = t->hdrs_cap ? t->hdrs_cap * 2 : 32;
			t->hdrs = xrealloc(t->hdrs, t->hdrs_cap * sizeof(*h));
		}
		h = &t->hdrs[t->nhdrs++];
		h->name = xstrdup(name);
		h->value = xstrndup(value, vlen);
		t->hdr_bytes += n;
	} else
		t->hdrs_truncated = true;
	if (t->res.internal_error)
		return -1;	/* already failed: keep the first error */
	if (spool_write(t->spool, name, strlen(name)) < 0 ||
	    spool_write(t->spool, ": ", 2) < 0 ||
	    spool_put_crlf(t->spool, value) < 0 ||
	    spool_write(t->spool, "\r\n", 2) < 0) {
		results_set_error(&t->res, "spool write failed: %m");
		return -1;
	}
	return 0;
}

int
txn_eoh(struct txn *t)
{
	t->in_body = true;
	if (t->res.internal_error)
		return -1;	/* already failed: keep the first error */
	if (spool_write(t->spool, "\r\n", 2) < 0) {
		results_set_error(&t->res, "spool write failed: %m");
		return -1;
	}
	return 0;
}

int
txn_body(struct txn *t, const void *data, size_t n)
{
	if (t->res.internal_error)
		return -1;	/* already failed: keep the first error */
	if (spool_write(t->spool, data, n) < 0) {
		results_set_error(&t->res, "spool write failed: %m");
		return -1;
	}
	return 0;
}

const struct header *
txn_find_header(const struct txn *t, const char *name)
{
	for (size_t i = 0; i < t->nhdrs; i++)
		if (strcasecmp(t->hdrs[i].name, name) == 0)
			return &t->hdrs[i];
	return NULL;
}
