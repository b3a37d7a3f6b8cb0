/*
 * dkim_sign.c -- DKIM signing (see dkim_sign.h): the keys of
 * dkim_sign_domains read at load, and the DKIM-Signature of a message,
 * over dkim.c's canonicalization.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim.h"
#include "dkim_sign.h"

/* A key file larger than this is not a key. */
#define KEYFILE_MAX	(64 * 1024)

/* ---------------------------------------------------------------- */
/* Base64 */

static char *
b64_encode(const unsigned char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* Decode s (white space ignored) into out (at most cap bytes); the
 * length, or -1 when s is not base64 or does not fit. */
static long
b64_decode(const char *s, unsigned char *out, size_t cap)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	unsigned nbits = 0, pad = 0;
	size_t n = 0;

	for (; *s; s++) {
		const char *k;

		if (isspace((unsigned char)*s))
			continue;
		if (*s == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (k = strchr(al, *s)) == NULL || *s == '\0')
			return -1;
		acc = (acc << 6) | (uint32_t)(k - al);
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (unsigned char)(acc >> nbits);
		}
	}
	if (pad > 2 || nbits >= 6)
		return -1;
	return (long)n;
}

/* ---------------------------------------------------------------- */
/* Keys */

/* Never ask for a pass phrase (an encrypted key is refused). */
static int
no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return -1;
}

/* Read the key in file; NULL with why (a static string) set. */
static EVP_PKEY *
key_read(const char *file, const char **why)
{
	unsigned char seed[64];
	EVP_PKEY *pk = NULL;
	struct stat st;
	char *text;
	size_t n;
	FILE *fp;
	long sl;

	if ((fp = fopen(file, "r")) == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > KEYFILE_MAX) {
		fclose(fp);
		*why = "not a regular file of a key's size";
		return NULL;
	}
	text = xmalloc((size_t)st.st_size + 1);
	n = fread(text, 1, (size_t)st.st_size, fp);
	fclose(fp);
	text[n] = '\0';
	if (strstr(text, "-----BEGIN") != NULL) {
		BIO *bio = BIO_new_mem_buf(text, (int)n);

		if (bio != NULL)
			pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
			    NULL);
		BIO_free(bio);
		if (pk == NULL)
			*why = strstr(text, "ENCRYPTED") != NULL ?
			    "an encrypted key (Warden reads keys without a "
			    "pass phrase)" : "not a private key that OpenSSL "
			    "can read";
	} else if ((sl = b64_decode(text, seed, sizeof(seed))) == 32) {
		pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
		    32);
		if (pk == NULL)
			*why = "not an Ed25519 seed OpenSSL takes";
	} else
		*why = "neither a PEM private key nor an Ed25519 seed in "
		    "base64 (32 bytes)";
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(text, n);
	free(text);
	return pk;
}

/* Check k's key; -1 with why set. */
static int
key_check(struct dkim_sign_key *k, const char **why)
{
	switch (EVP_PKEY_get_base_id(k->pkey)) {
	case EVP_PKEY_RSA:
		k->bits = (unsigned)EVP_PKEY_get_bits(k->pkey);
		if (k->bits < DKIM_SIGN_MIN_RSA_BITS) {
			*why = "an RSA key under 2048 bits (receivers may "
			    "ignore it; make one of 2048 bits or more)";
			return -1;
		}
		if (k->bits > DKIM_MAX_RSA_BITS) {
			*why = "an RSA key over 8192 bits (verifiers refuse "
			    "it)";
			return -1;
		}
		return 0;
	case EVP_PKEY_ED25519:
		k->ed25519 = true;
		return 0;
	default:
		*why = "neither an RSA nor an Ed25519 key";
		return -1;
	}
}

static bool
domain_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_')
			return false;
	return true;
}

char *
dkim_sign_key_record(const struct dkim_sign_key *k)
{
	unsigned char raw[32], *der = NULL;
	char *p64, *rec;
	size_t rl = sizeof(raw);
	int dl;

	if (k->ed25519) {
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rl) != 1)
			return xstrdup("v=DKIM1; k=ed25519; p=");
		p64 = b64_encode(raw, rl);
		rec = xasprintf("v=DKIM1; k=ed25519; p=%s", p64);
	} else {
		if ((dl = i2d_PUBKEY(k->pkey, &der)) <= 0)
			return xstrdup("v=DKIM1; k=rsa; p=");
		p64 = b64_encode(der, (size_t)dl);
		OPENSSL_free(der);
		rec = xasprintf("v=DKIM1; k=rsa; p=%s", p64);
	}
	free(p64);
	return rec;
}

void
dkim_signer_free(struct dkim_signer *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nkeys; i++) {
		free(s->keys[i].domain);
		free(s->keys[i].selector);
		free(s->keys[i].file);
		EVP_PKEY_free(s->keys[i].pkey);
	}
	free(s->keys);
	for (size_t i = 0; i < s->nhdrs; i++)
		free(s->hdrs[i]);
	free(s->hdrs);
	free(s->over);
	free(s);
}

/* Header names: printable ASCII but ':' (RFC 5322's ftext). */
static bool
hname_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < 33 || *s > 126 || *s == ':')
			return false;
	return true;
}

/* dkim_sign_headers when it is empty (dkim_sign.h). */
const char *const dkim_sign_default_headers[] = {
	"+From", "Reply-To", "+Subject", "Date", "+To", "Cc", "Resent-Date",
	"Resent-From", "Resent-To", "Resent-Cc", "In-Reply-To", "References",
	"List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe",
	"List-Post", "List-Owner", "List-Archive", "Message-ID",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", NULL
};

int
dkim_signer_load(const struct strlist *domains,
    const struct strlist *headers, const char *cfile, int line,
    struct dkim_signer **out, struct diag *d)
{
	size_t before = diag_nerrors(d);
	struct strlist defaults = { 0 };
	struct dkim_signer *s;
	bool from = false;

	*out = NULL;
	if (domains->n == 0)
		return 0;
	s = xcalloc(1, sizeof(*s));
	if (domains->n > DKIM_SIGN_MAX_KEYS)
		diag_error(d, cfile, line, "dkim_sign_domains: %zu keys; at "
		    "most %d", domains->n, DKIM_SIGN_MAX_KEYS);
	s->keys = xcalloc(domains->n, sizeof(*s->keys));
	for (size_t i = 0; i < domains->n && i < DKIM_SIGN_MAX_KEYS; i++) {
		const char *e = domains->v[i], *c1 = strchr(e, ':'), *c2;
		struct dkim_sign_key *k = &s->keys[s->nkeys];
		const char *why = NULL;
		char *rec;

		c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		if (c1 == NULL || c2 == NULL || c2[1] == '\0' ||
		    !domain_ok(e, (size_t)(c1 - e)) ||
		    !domain_ok(c1 + 1, (size_t)(c2 - c1 - 1))) {
			diag_error(d, cfile, line, "dkim_sign_domains: \"%s\": "
			    "expected DOMAIN:SELECTOR:KEYFILE", e);
			continue;
		}
		k->domain = xstrndup(e, (size_t)(c1 - e));
		for (char *p = k->domain; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		k->selector = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
		k->file = xstrdup(c2 + 1);
		s->nkeys++;
		for (size_t j = 0; j + 1 < s->nkeys; j++)
			if (strcmp(s->keys[j].domain, k->domain) == 0 &&
			    strcasecmp(s->keys[j].selector, k->selector) == 0)
				diag_error(d, cfile, line, "dkim_sign_domains: "
				    "selector %s of %s is given twice",
				    k->selector, k->domain);
		if ((k->pkey = key_read(k->file, &why)) == NULL ||
		    key_check(k, &why) < 0) {
			diag_error(d, cfile, line, "dkim_sign_domains: key file "
			    "%s (%s, selector %s): %s", k->file, k->domain,
			    k->selector, why);
			continue;
		}
		rec = dkim_sign_key_record(k);
		diag_note(d, "DKIM signing for %s with %s (%s%.0u%s): publish "
		    "TXT \"%s\" at %s._domainkey.%s", k->domain, k->file,
		    k->ed25519 ? "Ed25519" : "RSA ", k->bits,
		    k->ed25519 ? "" : " bits", rec, k->selector, k->domain);
		free(rec);
	}
	if (headers->n == 0) {
		for (size_t i = 0; dkim_sign_default_headers[i] != NULL; i++)
			strlist_add(&defaults, dkim_sign_default_headers[i]);
		headers = &defaults;
	}
	s->hdrs = xcalloc(headers->n + 1, sizeof(*s->hdrs));
	s->over = xcalloc(headers->n + 1, sizeof(*s->over));
	for (size_t i = 0; i < headers->n; i++) {
		const char *h = headers->v[i];
		bool over = h[0] == '+';

		h += over;
		if (!hname_ok(h)) {
			diag_error(d, cfile, line, "dkim_sign_headers: \"%s\" "
			    "is not a header field name", headers->v[i]);
			continue;
		}
		if (strcasecmp(h, "DKIM-Signature") == 0) {
			diag_error(d, cfile, line, "dkim_sign_headers: a "
			    "signature cannot sign DKIM-Signature");
			continue;
		}
		if (strcasecmp(h, "From") == 0)
			from = true;
		s->hdrs[s->nhdrs] = xstrdup(h);
		s->over[s->nhdrs++] = over;
	}
	if (!from)
		diag_error(d, cfile, line, "dkim_sign_headers must list From "
		    "(RFC 6376 5.4)");
	strlist_free(&defaults);
	if (diag_nerrors(d) > before) {
		dkim_signer_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

const char *
dkim_signer_domain(const struct dkim_signer *s, const char *domain)
{
	size_t dl;

	if (s == NULL || domain == NULL)
		return NULL;
	/* The domain itself, then each parent, nearest first. */
	for (const char *p = domain; p != NULL && *p != '\0';) {
		dl = strlen(p);
		for (size_t i = 0; i < s->nkeys; i++)
			if (strlen(s->keys[i].domain) == dl &&
			    strcasecmp(s->keys[i].domain, p) == 0)
				return s->keys[i].domain;
		p = strchr(p, '.');
		if (p != NULL)
			p++;
	}
	return NULL;
}

/* ---------------------------------------------------------------- */
/* Signing */

static void
md_sink(void *arg, const void *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

/* The relaxed body hash (SHA-256) of body[0..n), in base64. */
static char *
body_hash(const char *body, size_t n)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned dl = 0;
	struct dkim_body *b;
	char *r = NULL;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	b = xmalloc(sizeof(*b));
	dkim_body_init(b, DKIM_CANON_RELAXED, UINT64_MAX, md_sink, md);
	dkim_body_update(b, body, n);
	dkim_body_final(b);
	free(b);
	if (EVP_DigestFinal_ex(md, dig, &dl) == 1)
		r = b64_encode(dig, dl);
	EVP_MD_CTX_free(md);
	return r;
}

/* A header value folded as it is written: "\n\t" before a piece that
 * would pass the width. */
struct fold {
	struct buf b;
	size_t col;
};

/* Add piece p[0..n), after a space unless glued to the previous one. */
static void
fold_put(struct fold *f, const char *p, size_t n, bool glue)
{
	size_t need = n + (glue ? 0 : 1);

	if (f->col > 1 && f->col + need > DKIM_SIGN_WIDTH) {
		buf_puts(&f->b, "\n\t");
		f->col = 1;
	} else if (!glue && f->b.len > 0) {
		buf_putc(&f->b, ' ');
		f->col++;
	}
	buf_append(&f->b, p, n);
	f->col += n;
}

static void
fold_str(struct fold *f, const char *s, bool glue)
{
	fold_put(f, s, strlen(s), glue);
}

/* Sign data with k: the signature in base64, or NULL. */
static char *
sign_data(const struct dkim_sign_key *k, const unsigned char *data,
    size_t n)
{
	unsigned char dig[EVP_MAX_MD_SIZE], *sig = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned dl = 0;
	size_t sl = 0;
	char *r = NULL;

	if (ctx == NULL)
		return NULL;
	if (k->ed25519) {
		/* RFC 8463: Ed25519 (pure) over the SHA-256 of the data. */
		if (EVP_Digest(data, n, dig, &dl, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1)
			goto out;
		data = dig;
		n = dl;
	} else if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
	    k->pkey) != 1)
		goto out;
	if (EVP_DigestSign(ctx, NULL, &sl, data, n) != 1)
		goto out;
	sig = xmalloc(sl);
	if (EVP_DigestSign(ctx, sig, &sl, data, n) == 1)
		r = b64_encode(sig, sl);
	free(sig);
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

/* The list of h=: each name of the list as many times as the message
 * has it, once more when oversigned. */
static void
h_list(const struct dkim_signer *s, const char *msg, const struct dkim_field *fv,
    size_t nf, struct strlist *h)
{
	for (size_t i = 0; i < s->nhdrs; i++) {
		size_t l = strlen(s->hdrs[i]), c = 0;

		for (size_t j = 0; j < nf; j++)
			if (fv[j].nlen == l && strncasecmp(msg + fv[j].off,
			    s->hdrs[i], l) == 0)
				c++;
		c += s->over[i];
		while (c-- > 0)
			strlist_add(h, s->hdrs[i]);
	}
}

/* The canonical header fields named by h (bottom up for each name). */
static int
h_canon(const struct strlist *h, const char *msg, const struct dkim_field *fv,
    size_t nf, struct buf *out)
{
	bool *used = xcalloc(nf + 1, sizeof(*used));
	int rc = 0;

	for (size_t i = 0; i < h->n && rc == 0; i++) {
		size_t l = strlen(h->v[i]);

		for (size_t j = nf; j-- > 0;)
			if (!used[j] && fv[j].nlen == l &&
			    strncasecmp(msg + fv[j].off, h->v[i], l) == 0) {
				used[j] = true;
				rc = dkim_canon_header(DKIM_CANON_RELAXED,
				    msg + fv[j].off, fv[j].len, out);
				break;
			}
	}
	free(used);
	return rc;
}

static int
sign_one(const struct dkim_sign_key *k, const struct strlist *h,
    const char *canon, size_t clen, const char *bh, time_t now,
    struct strlist *out)
{
	struct fold f = { .col = sizeof("DKIM-Signature: ") - 1 };
	struct buf field, data;
	char tmp[64], *b;
	int rc = -1;

	buf_init(&f.b, 0);
	fold_str(&f, "v=1;", true);
	fold_str(&f, k->ed25519 ? "a=ed25519-sha256;" : "a=rsa-sha256;",
	    false);
	fold_str(&f, "c=relaxed/relaxed;", false);
	buf_init(&field, 0);
	buf_printf(&field, "d=%s;", k->domain);
	fold_str(&f, field.p, false);
	buf_reset(&field);
	buf_printf(&field, "s=%s;", k->selector);
	fold_str(&f, field.p, false);
	snprintf(tmp, sizeof(tmp), "t=%lld;", (long long)now);
	fold_str(&f, tmp, false);
	/* h=, folded after its colons */
	for (size_t i = 0; i < h->n; i++) {
		buf_reset(&field);
		buf_printf(&field, "%s%s%s", i == 0 ? "h=" : "", h->v[i],
		    i + 1 < h->n ? ":" : ";");
		fold_str(&f, field.p, i > 0);
	}
	buf_reset(&field);
	buf_printf(&field, "bh=%s;", bh);
	fold_str(&f, field.p, false);
	/* b= and a first piece of its value on one line */
	if (f.col + 1 + 2 + 8 > DKIM_SIGN_WIDTH) {
		buf_puts(&f.b, "\n\t");
		f.col = 1;
		fold_put(&f, "b=", 2, true);
	} else
		fold_put(&f, "b=", 2, false);
	/* What is signed: the fields, then this one with b= empty. */
	buf_init(&data, 0);
	buf_append(&data, canon, clen);
	buf_reset(&field);
	buf_puts(&field, "DKIM-Signature: ");
	buf_append(&field, f.b.p, f.b.len);
	if (dkim_canon_header(DKIM_CANON_RELAXED, field.p, field.len,
	    &data) < 0 || data.len < 2)
		goto out;
	data.len -= 2;			/* without its CRLF */
	if ((b = sign_data(k, (const unsigned char *)data.p, data.len)) ==
	    NULL)
		goto out;
	/* The value of b=, in pieces that fill the lines. */
	for (const char *p = b; *p;) {
		size_t room = f.col < DKIM_SIGN_WIDTH ? DKIM_SIGN_WIDTH - f.col :
		    0, n = strlen(p);

		if (room == 0) {
			buf_puts(&f.b, "\n\t");
			f.col = 1;
			continue;
		}
		if (n > room)
			n = room;
		buf_append(&f.b, p, n);
		f.col += n;
		p += n;
	}
	free(b);
	strlist_add_owned(out, buf_steal(&f.b));
	rc = 0;
out:
	buf_free(&f.b);
	buf_free(&field);
	buf_free(&data);
	return rc;
}

int
dkim_sign(const struct dkim_signer *s, const char *domain, const char *msg,
    size_t len, time_t now, struct strlist *out, const char **why)
{
	const char *sd = dkim_signer_domain(s, domain);
	struct strlist h = { 0 };
	struct dkim_field *fv = NULL;
	struct buf canon;
	size_t nf, body;
	char *bh = NULL;
	int made = 0;

	if (sd == NULL)
		return 0;
	body = dkim_split_header(msg, len, &fv, &nf);
	h_list(s, msg, fv, nf, &h);
	buf_init(&canon, 0);
	if (h_canon(&h, msg, fv, nf, &canon) < 0) {
		*why = "cannot canonicalize the header";
		made = -1;
	} else if ((bh = body_hash(msg + body, len - body)) == NULL) {
		*why = "cannot hash the body";
		made = -1;
	}
	for (size_t i = 0; i < s->nkeys && made >= 0; i++) {
		if (strcmp(s->keys[i].domain, sd) != 0)
			continue;
		if (sign_one(&s->keys[i], &h, canon.p ? canon.p : "",
		    canon.len, bh, now, out) < 0) {
			*why = "the signature could not be made";
			made = -1;
		} else
			made++;
	}
	free(bh);
	buf_free(&canon);
	strlist_free(&h);
	free(fv);
	return made;
}
