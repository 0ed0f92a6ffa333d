/*
 * token.c — sign, parse and verify approval tokens (see token.h).
 *
 * Invariants (DESIGN.md §4.5):
 *  - the signed bytes are exactly the canonical statement; decoding is strict
 *    (every length exact, nothing left over), so one statement has one
 *    encoding and one token text;
 *  - no field is compared before the Ed25519 signature has verified;
 *  - digests are compared in constant time;
 *  - host, request id and comment contain printable ASCII only.
 */
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "canon.h"
#include "error.h"

#define STMT_MAX AD_TOKEN_STMT_MAX
#define BIN_MAX (STMT_MAX + AD_SIG_LEN)

const char *ad_decision_name(int decision)
{
	switch (decision) {
	case AD_DECISION_APPROVE:
		return "approve";
	case AD_DECISION_DENY:
		return "deny";
	case AD_DECISION_BREAKGLASS:
		return "breakglass";
	case AD_DECISION_REVIEW:
		return "review";
	default:
		return "unknown";
	}
}

int ad_decision_parse(const char *name)
{
	if (strcmp(name, "approve") == 0)
		return AD_DECISION_APPROVE;
	if (strcmp(name, "deny") == 0)
		return AD_DECISION_DENY;
	if (strcmp(name, "breakglass") == 0)
		return AD_DECISION_BREAKGLASS;
	if (strcmp(name, "review") == 0)
		return AD_DECISION_REVIEW;
	return -1;
}

static int printable(const char *s, size_t n, size_t min)
{
	if (n < min)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int id_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < AD_ID_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789_-") == n;
}

/* The rules both the signer and the parser enforce. */
static int statement_check(const struct ad_statement *st)
{
	size_t hl = strnlen(st->host, AD_HOST_MAX);
	size_t cl = strnlen(st->comment, AD_COMMENT_MAX);

	if (st->version != AD_TOKEN_VERSION || hl == AD_HOST_MAX ||
	    cl == AD_COMMENT_MAX || !printable(st->host, hl, 1) ||
	    !printable(st->comment, cl, 0) ||
	    memchr(st->request_id, '\0', AD_ID_MAX) == NULL ||
	    !id_ok(st->request_id))
		return AD_ERR_INVALID;
	if (st->decision < AD_DECISION_APPROVE ||
	    st->decision > AD_DECISION_REVIEW)
		return AD_ERR_INVALID;
	if (st->not_before > st->not_after || st->uses < 1 ||
	    st->uses > AD_USES_MAX)
		return AD_ERR_INVALID;
	return 0;
}

static int statement_encode(struct ad_buf *b, const struct ad_statement *st)
{
	struct ad_canon c;
	uint8_t h[32];

	ad_canon_init(&c, AD_DOMAIN_TOKEN, b);
	ad_canon_u32(&c, st->version);
	ad_canon_str(&c, st->host);
	ad_canon_str(&c, st->request_id);
	ad_canon_bytes(&c, st->digest, AD_DIGEST_LEN);
	ad_canon_u32(&c, st->decision);
	ad_canon_u64(&c, st->not_before);
	ad_canon_u64(&c, st->not_after);
	ad_canon_bytes(&c, st->nonce, AD_NONCE_LEN);
	ad_canon_bytes(&c, st->key_id, AD_KEYID_LEN);
	ad_canon_u32(&c, st->uses);
	ad_canon_str(&c, st->comment);
	return ad_canon_final(&c, h);
}

static int token_text(char **out, const uint8_t *bin, size_t n,
                      const uint8_t id[AD_KEYID_LEN])
{
	size_t b64len =
	    sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char idhex[AD_KEYID_HEX];
	char *b64 = malloc(b64len);

	if (b64 == NULL)
		return AD_ERR_NOMEM;
	sodium_bin2base64(b64, b64len, bin, n, sodium_base64_VARIANT_ORIGINAL);
	ad_key_id_hex(idhex, id);
	if (asprintf(out, "%s:%s:%s", AD_TOKEN_TAG, idhex, b64) < 0)
		*out = NULL;
	free(b64);
	return *out ? 0 : AD_ERR_NOMEM;
}

int ad_token_sign(char **out, struct ad_statement *st,
                  const struct ad_seckey *key)
{
	struct ad_buf b;
	uint8_t sig[AD_SIG_LEN];
	int rc;

	*out = NULL;
	if (key == NULL || key->sk == NULL)
		return AD_ERR_INVALID;
	st->version = AD_TOKEN_VERSION;
	memcpy(st->key_id, key->pub.key_id, AD_KEYID_LEN);
	randombytes_buf(st->nonce, AD_NONCE_LEN);
	if ((rc = statement_check(st)) != 0)
		return rc;
	ad_buf_init(&b, BIN_MAX);
	if ((rc = statement_encode(&b, st)) != 0 ||
	    (rc = ad_sign_detached(sig, b.data, b.len, key)) != 0 ||
	    (rc = ad_buf_put(&b, sig, sizeof(sig))) != 0)
		goto out;
	rc = token_text(out, b.data, b.len, st->key_id);
out:
	ad_buf_free(&b);
	return rc;
}

/* A length-prefixed field of exactly n bytes. */
static int get_fixed(struct ad_buf *b, void *out, size_t n)
{
	const uint8_t *p = NULL;
	size_t len = 0;

	if (ad_buf_get_string_direct(b, &p, &len, n) != 0 || len != n)
		return AD_ERR_INVALID;
	memcpy(out, p, n);
	return 0;
}

/* A length-prefixed printable string shorter than cap. */
static int get_text(struct ad_buf *b, char *out, size_t cap)
{
	const uint8_t *p = NULL;
	size_t len = 0;

	memset(out, 0, cap);
	if (ad_buf_get_string_direct(b, &p, &len, cap - 1) != 0 ||
	    !printable((const char *)p, len, 0))
		return AD_ERR_INVALID;
	memcpy(out, p, len);
	return 0;
}

static int get_domain(struct ad_buf *b)
{
	const uint8_t *p = NULL;
	size_t len = 0;

	if (ad_buf_get_string_direct(b, &p, &len, 64) != 0 ||
	    len != strlen(AD_DOMAIN_TOKEN) ||
	    memcmp(p, AD_DOMAIN_TOKEN, len) != 0)
		return AD_ERR_INVALID;
	return 0;
}

static int statement_decode(struct ad_statement *st, const uint8_t *p, size_t n)
{
	struct ad_buf b;

	memset(st, 0, sizeof(*st));
	ad_buf_from(&b, p, n);
	if (get_domain(&b) != 0 || ad_buf_get_u32(&b, &st->version) != 0 ||
	    get_text(&b, st->host, sizeof(st->host)) != 0 ||
	    get_text(&b, st->request_id, sizeof(st->request_id)) != 0 ||
	    get_fixed(&b, st->digest, AD_DIGEST_LEN) != 0 ||
	    ad_buf_get_u32(&b, &st->decision) != 0 ||
	    ad_buf_get_u64(&b, &st->not_before) != 0 ||
	    ad_buf_get_u64(&b, &st->not_after) != 0 ||
	    get_fixed(&b, st->nonce, AD_NONCE_LEN) != 0 ||
	    get_fixed(&b, st->key_id, AD_KEYID_LEN) != 0 ||
	    ad_buf_get_u32(&b, &st->uses) != 0 ||
	    get_text(&b, st->comment, sizeof(st->comment)) != 0 ||
	    ad_buf_avail(&b) != 0 || statement_check(st) != 0) {
		memset(st, 0, sizeof(*st));
		return AD_ERR_INVALID;
	}
	return 0;
}

struct decoded {
	uint8_t bin[BIN_MAX];
	size_t stmt_len; /* signed bytes: bin[0..stmt_len) */
	uint8_t sig[AD_SIG_LEN];
	uint8_t front_id[AD_KEYID_LEN];
};

/* "TAG:KEYID:" then the base64 of statement || signature. */
static int token_split(struct decoded *d, const char *token)
{
	size_t tl = strlen(AD_TOKEN_TAG), n, binlen = 0;
	const char *hex, *b64, *end = NULL;

	n = strnlen(token, AD_TOKEN_MAX + 1);
	if (n > AD_TOKEN_MAX)
		return AD_ERR_TOOBIG;
	if (n <= tl + AD_KEYID_LEN * 2 + 2)
		return AD_ERR_INVALID;
	hex = token + tl + 1;
	b64 = hex + AD_KEYID_LEN * 2 + 1;
	if (memcmp(token, AD_TOKEN_TAG, tl) != 0 || token[tl] != ':' ||
	    strspn(hex, "0123456789abcdef") != AD_KEYID_LEN * 2 ||
	    hex[AD_KEYID_LEN * 2] != ':' ||
	    sodium_hex2bin(d->front_id, AD_KEYID_LEN, hex, AD_KEYID_LEN * 2,
	                   NULL, NULL, NULL) != 0)
		return AD_ERR_INVALID;
	/* libsodium 1.0.18 maps some bytes >= 0x80 onto the alphabet, so the
	 * alphabet is checked here first. */
	if (strspn(b64, AD_B64_ALPHABET) != n - (size_t)(b64 - token))
		return AD_ERR_INVALID;
	if (sodium_base642bin(d->bin, sizeof(d->bin), b64,
	                      n - (size_t)(b64 - token), NULL, &binlen, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != token + n || binlen <= AD_SIG_LEN)
		return AD_ERR_INVALID;
	d->stmt_len = binlen - AD_SIG_LEN;
	memcpy(d->sig, d->bin + d->stmt_len, AD_SIG_LEN);
	return 0;
}

static int token_decode(struct decoded *d, struct ad_statement *st,
                        const char *token)
{
	int rc;

	memset(d, 0, sizeof(*d));
	memset(st, 0, sizeof(*st));
	if ((rc = token_split(d, token)) != 0 ||
	    (rc = statement_decode(st, d->bin, d->stmt_len)) != 0)
		return rc;
	if (memcmp(d->front_id, st->key_id, AD_KEYID_LEN) != 0) {
		memset(st, 0, sizeof(*st));
		return AD_ERR_INVALID;
	}
	return 0;
}

int ad_token_parse(struct ad_statement *out, uint8_t sig[AD_SIG_LEN],
                   const char *token)
{
	struct decoded d;
	int rc = token_decode(&d, out, token);

	memset(sig, 0, AD_SIG_LEN);
	if (rc == 0)
		memcpy(sig, d.sig, AD_SIG_LEN);
	return rc;
}

/* Binding checks, after the signature verified. */
static int statement_match(const struct ad_statement *st, const char *host,
                           const char *request_id,
                           const uint8_t digest[AD_DIGEST_LEN],
                           int expect_decision, uint64_t now)
{
	if (host == NULL || strcmp(st->host, host) != 0)
		return AD_ERR_WRONG_HOST;
	if (request_id == NULL || strcmp(st->request_id, request_id) != 0)
		return AD_ERR_WRONG_REQUEST;
	if (digest == NULL || sodium_memcmp(st->digest, digest, AD_DIGEST_LEN))
		return AD_ERR_WRONG_DIGEST;
	if (expect_decision != AD_DECISION_ANY &&
	    st->decision != (uint32_t)expect_decision)
		return AD_ERR_WRONG_DECISION;
	if (now < st->not_before)
		return AD_ERR_NOT_YET_VALID;
	if (now > st->not_after)
		return AD_ERR_EXPIRED;
	return 0;
}

int ad_token_prepare(struct ad_token_pending *p, const char *token,
                     const struct ad_keyring *ring,
                     const struct ad_pubkey **signer)
{
	struct decoded *d = malloc(sizeof(*d));
	const struct ad_pubkey *k;
	int rc;

	memset(p, 0, sizeof(*p));
	*signer = NULL;
	p->sig_rc = AD_ERR_BAD_SIGNATURE;
	if (d == NULL)
		return AD_ERR_NOMEM;
	if (token == NULL || (rc = token_decode(d, &p->st, token)) != 0) {
		rc = token == NULL ? AD_ERR_INVALID : rc;
	} else if ((k = ad_keyring_find_id(ring, p->st.key_id)) == NULL) {
		rc = AD_ERR_UNKNOWN_KEY;
	} else {
		memcpy(p->stmt, d->bin, d->stmt_len);
		p->stmt_len = d->stmt_len;
		memcpy(p->sig, d->sig, AD_SIG_LEN);
		memcpy(p->pk, k->pk, sizeof(p->pk));
		*signer = k;
		rc = 0;
	}
	if (rc != 0 && rc != AD_ERR_UNKNOWN_KEY)
		memset(&p->st, 0, sizeof(p->st)); /* kept for the caller's why */
	sodium_memzero(d, sizeof(*d));
	free(d);
	return rc;
}

int ad_token_check_sig(struct ad_token_pending *p)
{
	p->sig_rc = ad_verify_detached(p->sig, p->stmt, p->stmt_len, p->pk);
	return p->sig_rc;
}

int ad_token_bind(const struct ad_token_pending *p, const char *host,
                  const char *request_id, const uint8_t digest[AD_DIGEST_LEN],
                  int expect_decision, uint64_t now)
{
	if (p->sig_rc != 0) /* not checked (prepare sets it) or did not verify */
		return p->sig_rc;
	return statement_match(&p->st, host, request_id, digest,
	                       expect_decision, now);
}

int ad_token_verify(struct ad_statement *out, const char *token,
                    const struct ad_keyring *ring, const char *host,
                    const char *request_id, const uint8_t digest[AD_DIGEST_LEN],
                    int expect_decision, uint64_t now,
                    const struct ad_pubkey **signer)
{
	struct ad_token_pending *p = malloc(sizeof(*p));
	const struct ad_pubkey *k = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	*signer = NULL;
	if (p == NULL)
		return AD_ERR_NOMEM;
	if ((rc = ad_token_prepare(p, token, ring, &k)) == 0 &&
	    (rc = ad_token_check_sig(p)) == 0) {
		*out = p->st;
		*signer = k;
		rc = ad_token_bind(p, host, request_id, digest,
		                   expect_decision, now);
	}
	free(p);
	return rc;
}
