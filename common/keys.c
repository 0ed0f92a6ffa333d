/*
 * keys.c — Ed25519 keys, key files, keyring and host key (see keys.h).
 *
 * Invariants (DESIGN.md §4.4, §4.5, §4.7):
 *  - every key file line is "key=value\n" with printable ASCII only; unknown,
 *    duplicate or missing lines, non-canonical base64/hex, and a key_id that
 *    does not match the key are all refused;
 *  - a secret key is decoded straight into sodium_malloc memory and must
 *    re-derive from its seed to the same key pair and key id;
 *  - the AEAD's associated data is every header byte before "secret=", so a
 *    changed name, user, key id or KDF parameter fails decryption;
 *  - the derived key and the plaintext are wiped (sodium_free/memzero);
 *  - secret files are created O_EXCL|O_NOFOLLOW mode 0600 and read only when
 *    regular, owned by the caller (or root) and without group/other bits.
 */
#include "keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "canon.h"
#include "error.h"
#include "num.h"

#define KV_MAX 12
#define VAL_MAX 512
#define ENC_NONE "none"
#define ENC_PW "argon2id-xchacha20poly1305"
#define SALT_LEN crypto_pwhash_SALTBYTES
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define MAC_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define AEAD_KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES

static int why_set(char *why, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int why_set(char *why, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL) {
		va_start(ap, fmt);
		vsnprintf(why, AD_WHY_MAX, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* Prefix why with "path: " after a parse failure. */
static void why_prefix(char *why, const char *path)
{
	char tmp[AD_WHY_MAX];

	if (why == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s: %s", path, why);
	memcpy(why, tmp, AD_WHY_MAX);
}

int ad_key_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= AD_KEYNAME_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") == n;
}

int ad_key_id(uint8_t id[AD_KEYID_LEN], const uint8_t pk[AD_PK_LEN])
{
	uint8_t h[32];
	crypto_generichash_state st;

	memset(id, 0, AD_KEYID_LEN);
	if (crypto_generichash_init(&st, NULL, 0, sizeof(h)) != 0 ||
	    crypto_generichash_update(&st, (const uint8_t *)AD_DOMAIN_KEYID,
	                              strlen(AD_DOMAIN_KEYID)) != 0 ||
	    crypto_generichash_update(&st, pk, AD_PK_LEN) != 0 ||
	    crypto_generichash_final(&st, h, sizeof(h)) != 0)
		return AD_ERR_CRYPTO;
	memcpy(id, h, AD_KEYID_LEN);
	return 0;
}

void ad_key_id_hex(char out[AD_KEYID_HEX], const uint8_t id[AD_KEYID_LEN])
{
	sodium_bin2hex(out, AD_KEYID_HEX, id, AD_KEYID_LEN);
}

int ad_sign_detached(uint8_t sig[AD_SIG_LEN], const void *m, size_t mlen,
                     const struct ad_seckey *k)
{
	memset(sig, 0, AD_SIG_LEN);
	if (k == NULL || k->sk == NULL)
		return AD_ERR_INVALID;
	if (crypto_sign_detached(sig, NULL, m, mlen, k->sk) != 0)
		return AD_ERR_CRYPTO;
	return 0;
}

int ad_verify_detached(const uint8_t sig[AD_SIG_LEN], const void *m,
                       size_t mlen, const uint8_t pk[AD_PK_LEN])
{
	if (crypto_sign_verify_detached(sig, m, mlen, pk) != 0)
		return AD_ERR_BAD_SIGNATURE;
	return 0;
}

/* ---- "key=value\n" lines ---- */

struct kv {
	char key[16];
	const char *val;
	size_t vlen;
	size_t line_off; /* offset of the line in the text */
};

static int kv_line(struct kv *kv, const char *s, size_t n, size_t lineno,
                   char *why)
{
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : 0;

	if (eq == NULL || klen == 0 || klen >= sizeof(kv->key) ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz_") < klen)
		return why_set(why, AD_ERR_INVALID,
		               "line %zu: expected key=value", lineno);
	memcpy(kv->key, s, klen);
	kv->key[klen] = '\0';
	kv->val = eq + 1;
	kv->vlen = n - klen - 1;
	if (kv->vlen == 0 || kv->vlen > VAL_MAX)
		return why_set(why, AD_ERR_INVALID, "line %zu: %s: bad length",
		               lineno, kv->key);
	for (size_t i = 0; i < kv->vlen; i++)
		if (kv->val[i] <= 0x20 || kv->val[i] >= 0x7f)
			return why_set(why, AD_ERR_INVALID,
			               "line %zu: %s: bad character", lineno,
			               kv->key);
	return 0;
}

static int kv_split(struct kv *kv, size_t *n, const char *text, size_t len,
                    char *why)
{
	size_t off = 0;
	int rc;

	*n = 0;
	if (len > AD_KEYFILE_MAX)
		return why_set(why, AD_ERR_TOOBIG, "file too large");
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		if (nl == NULL)
			return why_set(why, AD_ERR_INVALID,
			               "line %zu: no newline at end", *n + 1);
		if (*n == KV_MAX)
			return why_set(why, AD_ERR_INVALID, "too many lines");
		size_t ll = (size_t)(nl - (text + off));
		if ((rc = kv_line(&kv[*n], text + off, ll, *n + 1, why)) != 0)
			return rc;
		kv[*n].line_off = off;
		(*n)++;
		off += ll + 1;
	}
	return 0;
}

static int kv_is(const struct kv *kv, const char *val)
{
	return kv->vlen == strlen(val) && memcmp(kv->val, val, kv->vlen) == 0;
}

/* Copy a value into a C string of cap bytes. */
static int kv_cstr(char *out, size_t cap, const struct kv *kv, char *why)
{
	memset(out, 0, cap);
	if (kv->vlen >= cap)
		return why_set(why, AD_ERR_INVALID, "%s: too long", kv->key);
	memcpy(out, kv->val, kv->vlen);
	return 0;
}

static int kv_name(char out[AD_KEYNAME_MAX], const struct kv *kv, char *why)
{
	int rc = kv_cstr(out, AD_KEYNAME_MAX, kv, why);

	if (rc == 0 && !ad_key_name_valid(out))
		rc = why_set(why, AD_ERR_INVALID, "%s: not a valid name",
		             kv->key);
	return rc;
}

static int kv_b64(uint8_t *out, size_t outlen, const struct kv *kv, char *why)
{
	size_t got = 0;
	const char *end = NULL;

	/* libsodium 1.0.18 maps some bytes >= 0x80 onto the alphabet */
	if (strspn(kv->val, AD_B64_ALPHABET) < kv->vlen ||
	    sodium_base642bin(out, outlen, kv->val, kv->vlen, NULL, &got, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != kv->val + kv->vlen || got != outlen) {
		sodium_memzero(out, outlen);
		return why_set(why, AD_ERR_INVALID, "%s: bad base64", kv->key);
	}
	return 0;
}

static int kv_keyid(uint8_t id[AD_KEYID_LEN], const struct kv *kv, char *why)
{
	size_t got = 0;

	memset(id, 0, AD_KEYID_LEN);
	if (kv->vlen != AD_KEYID_LEN * 2 ||
	    strspn(kv->val, "0123456789abcdef") < kv->vlen ||
	    sodium_hex2bin(id, AD_KEYID_LEN, kv->val, kv->vlen, NULL, &got,
	                   NULL) != 0 ||
	    got != AD_KEYID_LEN)
		return why_set(why, AD_ERR_INVALID,
		               "%s: not 16 lowercase hex digits", kv->key);
	return 0;
}

/* The key id written in a file must be the one derived from its key. */
static int keyid_check(const uint8_t claimed[AD_KEYID_LEN],
                       const uint8_t pk[AD_PK_LEN], char *why)
{
	uint8_t id[AD_KEYID_LEN];
	char a[AD_KEYID_HEX], b[AD_KEYID_HEX];
	int rc;

	if ((rc = ad_key_id(id, pk)) != 0)
		return why_set(why, rc, "key id: %s", ad_strerror(rc));
	if (sodium_memcmp(id, claimed, AD_KEYID_LEN) == 0)
		return 0;
	ad_key_id_hex(a, claimed);
	ad_key_id_hex(b, id);
	return why_set(why, AD_ERR_INVALID,
	               "key_id %s does not match the key (its id is %s)", a, b);
}

/* ---- public keys ---- */

static const char *const pub_keys[] = {"algorithm", "name", "user", "key_id",
                                       "key"};
#define N_PUB 5

/* Order the lines by pub_keys; refuse unknown, duplicate, missing. */
static int pub_index(const struct kv *kv, size_t n, const struct kv **idx,
                     char *why)
{
	memset(idx, 0, N_PUB * sizeof(*idx));
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < N_PUB && strcmp(kv[i].key, pub_keys[k]) != 0)
			k++;
		if (k == N_PUB)
			return why_set(why, AD_ERR_INVALID,
			               "line %zu: unknown key '%s'", i + 1,
			               kv[i].key);
		if (idx[k] != NULL)
			return why_set(why, AD_ERR_INVALID,
			               "line %zu: duplicate '%s'", i + 1,
			               kv[i].key);
		idx[k] = &kv[i];
	}
	for (size_t k = 0; k < N_PUB; k++)
		if (idx[k] == NULL)
			return why_set(why, AD_ERR_INVALID, "missing '%s'",
			               pub_keys[k]);
	return 0;
}

int ad_pubkey_parse(struct ad_pubkey *out, const char *text, size_t len,
                    char why[AD_WHY_MAX])
{
	struct kv kv[KV_MAX];
	const struct kv *idx[N_PUB];
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = kv_split(kv, &n, text, len, why)) != 0 ||
	    (rc = pub_index(kv, n, idx, why)) != 0)
		goto out;
	if (!kv_is(idx[0], AD_ALG_ED25519)) {
		rc = why_set(why, AD_ERR_INVALID, "algorithm: not ed25519");
		goto out;
	}
	if ((rc = kv_name(out->name, idx[1], why)) != 0 ||
	    (rc = kv_name(out->user, idx[2], why)) != 0 ||
	    (rc = kv_keyid(out->key_id, idx[3], why)) != 0 ||
	    (rc = kv_b64(out->pk, AD_PK_LEN, idx[4], why)) != 0)
		goto out;
	rc = keyid_check(out->key_id, out->pk, why);
out:
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int ad_pubkey_format(char **out, const struct ad_pubkey *k)
{
	char id[AD_KEYID_HEX];
	char b64[sodium_base64_ENCODED_LEN(AD_PK_LEN,
	                                   sodium_base64_VARIANT_ORIGINAL)];

	*out = NULL;
	if (!ad_key_name_valid(k->name) || !ad_key_name_valid(k->user))
		return AD_ERR_INVALID;
	ad_key_id_hex(id, k->key_id);
	sodium_bin2base64(b64, sizeof(b64), k->pk, AD_PK_LEN,
	                  sodium_base64_VARIANT_ORIGINAL);
	if (asprintf(out, "algorithm=%s\nname=%s\nuser=%s\nkey_id=%s\nkey=%s\n",
	             AD_ALG_ED25519, k->name, k->user, id, b64) < 0) {
		*out = NULL;
		return AD_ERR_NOMEM;
	}
	return 0;
}

/* "DIR/NAME.pub" -> is NAME the key's name? */
static int stem_matches(const char *path, const char *name)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	return n > 4 && strcmp(base + n - 4, ".pub") == 0 &&
	       n - 4 == strlen(name) && memcmp(base, name, n - 4) == 0;
}

int ad_pubkey_load(struct ad_pubkey *out, const char *path,
                   const struct ad_trust *trust, int check_stem,
                   char why[AD_WHY_MAX])
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ad_safe_read(&data, &len, path, trust, AD_KEYFILE_MAX, why);
	if (rc != 0)
		return rc;
	rc = ad_pubkey_parse(out, data, len, why);
	free(data);
	if (rc != 0) {
		why_prefix(why, path);
		return rc;
	}
	if (check_stem && !stem_matches(path, out->name)) {
		rc = why_set(why, AD_ERR_INVALID,
		             "%s: name=%s does not match the file name", path,
		             out->name);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

/* ---- keyring ---- */

struct ad_keyring {
	size_t n, cap;
	struct ad_pubkey *keys;
};

int ad_keyring_new(struct ad_keyring **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : AD_ERR_NOMEM;
}

int ad_keyring_add(struct ad_keyring *ring, const struct ad_pubkey *k)
{
	if (ad_keyring_find_id(ring, k->key_id) != NULL ||
	    ad_keyring_find_name(ring, k->name) != NULL)
		return AD_ERR_INVALID;
	if (ring->n >= AD_KEYRING_MAX)
		return AD_ERR_LIMIT;
	if (ring->n == ring->cap) {
		size_t ncap = ring->cap ? ring->cap * 2 : 8;
		struct ad_pubkey *nk =
		    reallocarray(ring->keys, ncap, sizeof(*nk));
		if (nk == NULL)
			return AD_ERR_NOMEM;
		ring->keys = nk;
		ring->cap = ncap;
	}
	ring->keys[ring->n++] = *k;
	return 0;
}

const struct ad_pubkey *ad_keyring_find_id(const struct ad_keyring *ring,
                                           const uint8_t id[AD_KEYID_LEN])
{
	for (size_t i = 0; ring != NULL && i < ring->n; i++)
		if (memcmp(ring->keys[i].key_id, id, AD_KEYID_LEN) == 0)
			return &ring->keys[i];
	return NULL;
}

const struct ad_pubkey *ad_keyring_find_name(const struct ad_keyring *ring,
                                             const char *name)
{
	for (size_t i = 0; ring != NULL && i < ring->n; i++)
		if (strcmp(ring->keys[i].name, name) == 0)
			return &ring->keys[i];
	return NULL;
}

size_t ad_keyring_count(const struct ad_keyring *ring)
{
	return ring ? ring->n : 0;
}

const struct ad_pubkey *ad_keyring_get(const struct ad_keyring *ring, size_t i)
{
	return ring != NULL && i < ring->n ? &ring->keys[i] : NULL;
}

void ad_keyring_free(struct ad_keyring *ring)
{
	if (ring == NULL)
		return;
	free(ring->keys);
	free(ring);
}

static int is_pub_entry(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".pub") == 0;
}

static int keyring_add_file(struct ad_keyring *ring, const char *dir,
                            const char *entry, const struct ad_trust *trust,
                            char *why)
{
	struct ad_pubkey k;
	char *path = NULL;
	int rc;

	if (asprintf(&path, "%s/%s", dir, entry) < 0)
		return why_set(why, AD_ERR_NOMEM, "%s: out of memory", dir);
	rc = ad_pubkey_load(&k, path, trust, 1, why);
	if (rc == 0 && (rc = ad_keyring_add(ring, &k)) != 0)
		why_set(why, rc, "%s: %s", path,
		        rc == AD_ERR_LIMIT ? "too many keys"
		                           : "duplicate key id or name");
	free(path);
	return rc;
}

int ad_keyring_load_dir(struct ad_keyring **out, const char *dir,
                        const struct ad_trust *trust, char why[AD_WHY_MAX])
{
	struct ad_keyring *ring = NULL;
	struct dirent *de;
	DIR *d;
	int rc;

	*out = NULL;
	if ((d = opendir(dir)) == NULL)
		return why_set(why,
		               errno == ENOENT ? AD_ERR_NOTFOUND : AD_ERR_IO,
		               "%s: %s", dir, strerror(errno));
	if ((rc = ad_keyring_new(&ring)) != 0) {
		closedir(d);
		return why_set(why, rc, "%s: out of memory", dir);
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL)
		if (is_pub_entry(de->d_name))
			rc =
			    keyring_add_file(ring, dir, de->d_name, trust, why);
	if (rc == 0 && errno != 0)
		rc = why_set(why, AD_ERR_IO, "%s: %s", dir, strerror(errno));
	closedir(d);
	if (rc != 0) {
		ad_keyring_free(ring);
		return rc;
	}
	*out = ring;
	return 0;
}

/* ---- secret keys ---- */

static int seckey_alloc(struct ad_seckey **out, const char *name,
                        const char *user)
{
	struct ad_seckey *k;

	*out = NULL;
	if (!ad_key_name_valid(name) || !ad_key_name_valid(user))
		return AD_ERR_INVALID;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return AD_ERR_NOMEM;
	if ((k->sk = sodium_malloc(AD_SK_LEN)) == NULL) {
		free(k);
		return AD_ERR_NOMEM;
	}
	snprintf(k->pub.name, sizeof(k->pub.name), "%s", name);
	snprintf(k->pub.user, sizeof(k->pub.user), "%s", user);
	*out = k;
	return 0;
}

void ad_seckey_free(struct ad_seckey *k)
{
	if (k == NULL)
		return;
	sodium_free(k->sk); /* wipes */
	sodium_memzero(k, sizeof(*k));
	free(k);
}

int ad_seckey_from_seed(struct ad_seckey **out, const uint8_t seed[AD_SEED_LEN],
                        const char *name, const char *user)
{
	struct ad_seckey *k;
	int rc;

	if ((rc = seckey_alloc(&k, name, user)) != 0)
		return rc;
	if (crypto_sign_seed_keypair(k->pub.pk, k->sk, seed) != 0)
		rc = AD_ERR_CRYPTO;
	else
		rc = ad_key_id(k->pub.key_id, k->pub.pk);
	if (rc != 0) {
		ad_seckey_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

int ad_seckey_generate(struct ad_seckey **out, const char *name,
                       const char *user)
{
	uint8_t *seed = sodium_malloc(AD_SEED_LEN);
	int rc;

	*out = NULL;
	if (seed == NULL)
		return AD_ERR_NOMEM;
	randombytes_buf(seed, AD_SEED_LEN);
	rc = ad_seckey_from_seed(out, seed, name, user);
	sodium_free(seed);
	return rc;
}

static int kdf_params_ok(uint64_t ops, uint64_t mem)
{
#ifdef FUZZING
	if (ops > 2 || mem > 64 * 1024)
		return 0;
#endif
	return ops >= crypto_pwhash_OPSLIMIT_MIN && ops <= 32 &&
	       mem >= crypto_pwhash_MEMLIMIT_MIN &&
	       mem <= crypto_pwhash_MEMLIMIT_SENSITIVE;
}

/* Argon2id(passphrase, salt) into a sodium_malloc'ed AEAD key. */
static int kdf_derive(uint8_t **key, const char *pass, const uint8_t *salt,
                      uint64_t ops, uint64_t mem)
{
	*key = sodium_malloc(AEAD_KEY_LEN);
	if (*key == NULL)
		return AD_ERR_NOMEM;
	if (crypto_pwhash(*key, AEAD_KEY_LEN, pass, strlen(pass), salt, ops,
	                  (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(*key);
		*key = NULL;
		return AD_ERR_NOMEM; /* libsodium fails only on memory here */
	}
	return 0;
}

void ad_seckey_text_free(char *text, size_t len)
{
	(void)len;
	sodium_free(text); /* sodium_free wipes the whole allocation */
}

struct textbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void tb_printf(struct textbuf *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void tb_printf(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		t->err = AD_ERR_TOOBIG;
	else
		t->len += (size_t)n;
}

static void tb_b64(struct textbuf *t, const char *key, const uint8_t *bin,
                   size_t n)
{
	size_t need =
	    sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);

	tb_printf(t, "%s=", key);
	if (t->err || need + 1 > t->cap - t->len) {
		t->err = AD_ERR_TOOBIG;
		return;
	}
	sodium_bin2base64(t->p + t->len, need, bin, n,
	                  sodium_base64_VARIANT_ORIGINAL);
	t->len += need - 1;
	tb_printf(t, "\n");
}

static void tb_header(struct textbuf *t, const struct ad_seckey *k)
{
	char id[AD_KEYID_HEX];

	ad_key_id_hex(id, k->pub.key_id);
	tb_printf(t, "key_id=%s\nname=%s\nuser=%s\n", id, k->pub.name,
	          k->pub.user);
}

/* Encrypted body: KDF header, then key_id/name/user, then secret. */
static int seckey_encrypt(struct textbuf *t, const struct ad_seckey *k,
                          const char *pass, uint64_t ops, uint64_t mem)
{
	uint8_t salt[SALT_LEN], nonce[NONCE_LEN], ct[AD_SK_LEN + MAC_LEN];
	unsigned long long ctlen = 0;
	uint8_t *key = NULL;
	int rc;

	if (!kdf_params_ok(ops, mem))
		return AD_ERR_RANGE;
	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	tb_printf(t, "encryption=%s\nopslimit=%llu\nmemlimit=%llu\n", ENC_PW,
	          (unsigned long long)ops, (unsigned long long)mem);
	tb_b64(t, "salt", salt, sizeof(salt));
	tb_b64(t, "nonce", nonce, sizeof(nonce));
	tb_header(t, k);
	if (t->err)
		return t->err;
	if ((rc = kdf_derive(&key, pass, salt, ops, mem)) != 0)
		return rc;
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, k->sk, AD_SK_LEN,
	                                           (const uint8_t *)t->p,
	                                           t->len, NULL, nonce, key);
	sodium_free(key);
	tb_b64(t, "secret", ct, sizeof(ct));
	return t->err;
}

int ad_seckey_format(char **out, size_t *outlen, const struct ad_seckey *k,
                     const char *passphrase, uint64_t opslimit,
                     uint64_t memlimit)
{
	struct textbuf t = {.cap = AD_KEYFILE_MAX};
	int rc;

	*out = NULL;
	*outlen = 0;
	if (k == NULL || k->sk == NULL)
		return AD_ERR_INVALID;
	if ((t.p = sodium_malloc(t.cap)) == NULL)
		return AD_ERR_NOMEM;
	tb_printf(&t, "algorithm=%s\n", AD_ALG_ED25519);
	if (passphrase != NULL) {
		rc = seckey_encrypt(&t, k, passphrase, opslimit, memlimit);
	} else {
		tb_printf(&t, "encryption=%s\n", ENC_NONE);
		tb_header(&t, k);
		tb_b64(&t, "secret", k->sk, AD_SK_LEN);
		rc = t.err;
	}
	if (rc != 0) {
		sodium_free(t.p);
		return rc;
	}
	*out = t.p;
	*outlen = t.len;
	return 0;
}

static const char *const sec_pw_keys[] = {
    "algorithm", "encryption", "opslimit", "memlimit", "salt",
    "nonce",     "key_id",     "name",     "user",     "secret"};
static const char *const sec_none_keys[] = {
    "algorithm", "encryption", "key_id", "name", "user", "secret"};
#define N_SEC_PW (sizeof(sec_pw_keys) / sizeof(sec_pw_keys[0]))
#define N_SEC_NONE (sizeof(sec_none_keys) / sizeof(sec_none_keys[0]))

/* Secret files have a fixed line order (they are written, never edited). */
static int sec_order(const struct kv *kv, size_t n, int *encrypted, char *why)
{
	const char *const *want;
	size_t nwant;

	*encrypted = 0;
	if (n < 2 || strcmp(kv[0].key, "algorithm") != 0 ||
	    !kv_is(&kv[0], AD_ALG_ED25519))
		return why_set(why, AD_ERR_INVALID,
		               "line 1: expected algorithm=ed25519");
	if (strcmp(kv[1].key, "encryption") == 0 && kv_is(&kv[1], ENC_PW))
		*encrypted = 1;
	else if (strcmp(kv[1].key, "encryption") != 0 ||
	         !kv_is(&kv[1], ENC_NONE))
		return why_set(why, AD_ERR_INVALID,
		               "line 2: expected encryption=%s or %s", ENC_PW,
		               ENC_NONE);
	want = *encrypted ? sec_pw_keys : sec_none_keys;
	nwant = *encrypted ? N_SEC_PW : N_SEC_NONE;
	for (size_t i = 0; i < nwant; i++)
		if (i >= n || strcmp(kv[i].key, want[i]) != 0)
			return why_set(why, AD_ERR_INVALID,
			               "line %zu: expected '%s'", i + 1,
			               want[i]);
	if (n != nwant)
		return why_set(why, AD_ERR_INVALID, "line %zu: unexpected line",
		               nwant + 1);
	return 0;
}

int ad_seckey_needs_passphrase(const char *text, size_t len)
{
	struct kv kv[KV_MAX];
	size_t n;
	int enc, rc;

	if ((rc = kv_split(kv, &n, text, len, NULL)) != 0 ||
	    (rc = sec_order(kv, n, &enc, NULL)) != 0)
		return rc;
	return enc;
}

static int kv_u64(uint64_t *out, const struct kv *kv, char *why)
{
	char s[24];
	int rc;

	*out = 0;
	if ((rc = kv_cstr(s, sizeof(s), kv, why)) != 0)
		return rc;
	if (ad_parse_u64(out, s, 0, UINT64_MAX) != 0)
		return why_set(why, AD_ERR_INVALID, "%s: not a number",
		               kv->key);
	return 0;
}

/* Decrypt kv[9] (secret) into k->sk; header bytes are the AEAD's AD. */
static int sec_decrypt(struct ad_seckey *k, const struct kv *kv,
                       const char *text, const char *pass, char *why)
{
	uint8_t salt[SALT_LEN], nonce[NONCE_LEN], ct[AD_SK_LEN + MAC_LEN];
	uint64_t ops, mem;
	uint8_t *key = NULL;
	int rc;

	if ((rc = kv_u64(&ops, &kv[2], why)) != 0 ||
	    (rc = kv_u64(&mem, &kv[3], why)) != 0)
		return rc;
	if (!kdf_params_ok(ops, mem))
		return why_set(why, AD_ERR_RANGE,
		               "opslimit/memlimit: out of range");
	if ((rc = kv_b64(salt, sizeof(salt), &kv[4], why)) != 0 ||
	    (rc = kv_b64(nonce, sizeof(nonce), &kv[5], why)) != 0 ||
	    (rc = kv_b64(ct, sizeof(ct), &kv[9], why)) != 0)
		return rc;
	if (pass == NULL)
		return why_set(why, AD_ERR_PASSPHRASE,
		               "key is encrypted: passphrase needed");
	if ((rc = kdf_derive(&key, pass, salt, ops, mem)) != 0)
		return why_set(why, rc, "key derivation: %s", ad_strerror(rc));
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
	    k->sk, NULL, NULL, ct, sizeof(ct), (const uint8_t *)text,
	    kv[9].line_off, nonce, key);
	sodium_free(key);
	if (rc != 0)
		return why_set(why, AD_ERR_PASSPHRASE,
		               "wrong passphrase or damaged key file");
	return 0;
}

/* The 64 secret bytes must re-derive from their seed, and match key_id. */
static int sec_consistent(struct ad_seckey *k, const uint8_t id[AD_KEYID_LEN],
                          char *why)
{
	uint8_t *sk2 = sodium_malloc(AD_SK_LEN);
	int rc = 0;

	if (sk2 == NULL)
		return why_set(why, AD_ERR_NOMEM, "out of memory");
	if (crypto_sign_seed_keypair(k->pub.pk, sk2, k->sk) != 0)
		rc = why_set(why, AD_ERR_CRYPTO,
		             "secret: key derivation failed");
	else if (sodium_memcmp(sk2, k->sk, AD_SK_LEN) != 0)
		rc = why_set(why, AD_ERR_INVALID,
		             "secret: public half does not match the seed");
	sodium_free(sk2);
	if (rc == 0 && (rc = keyid_check(id, k->pub.pk, why)) == 0)
		memcpy(k->pub.key_id, id, AD_KEYID_LEN);
	return rc;
}

int ad_seckey_parse(struct ad_seckey **out, const char *text, size_t len,
                    const char *passphrase, char why[AD_WHY_MAX])
{
	struct kv kv[KV_MAX];
	char name[AD_KEYNAME_MAX], user[AD_KEYNAME_MAX];
	uint8_t id[AD_KEYID_LEN];
	struct ad_seckey *k = NULL;
	size_t n, b;
	int enc, rc;

	*out = NULL;
	if ((rc = kv_split(kv, &n, text, len, why)) != 0 ||
	    (rc = sec_order(kv, n, &enc, why)) != 0)
		return rc;
	b = enc ? 6 : 2; /* index of key_id */
	if ((rc = kv_keyid(id, &kv[b], why)) != 0 ||
	    (rc = kv_name(name, &kv[b + 1], why)) != 0 ||
	    (rc = kv_name(user, &kv[b + 2], why)) != 0)
		return rc;
	if ((rc = seckey_alloc(&k, name, user)) != 0)
		return why_set(why, rc, "%s", ad_strerror(rc));
	if (enc)
		rc = sec_decrypt(k, kv, text, passphrase, why);
	else
		rc = kv_b64(k->sk, AD_SK_LEN, &kv[5], why);
	if (rc == 0)
		rc = sec_consistent(k, id, why);
	if (rc != 0) {
		ad_seckey_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return AD_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Create path (never overwrite) with mode and write text; fsync. */
static int write_new_file(const char *path, const char *text, size_t len,
                          mode_t mode, char *why)
{
	int fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int rc;

	if (fd < 0)
		return why_set(why, errno == EEXIST ? AD_ERR_STATE : AD_ERR_IO,
		               "%s: %s", path, strerror(errno));
	rc = write_all(fd, text, len);
	if (rc == 0 && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
		rc = AD_ERR_IO;
	if (rc != 0) {
		why_set(why, rc, "%s: %s", path, strerror(errno));
		unlink(path);
	}
	close(fd);
	return rc;
}

int ad_seckey_save(const struct ad_seckey *k, const char *path,
                   const char *passphrase, uint64_t opslimit, uint64_t memlimit,
                   char why[AD_WHY_MAX])
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = ad_seckey_format(&text, &len, k, passphrase, opslimit, memlimit);
	if (rc != 0)
		return why_set(why, rc, "%s: %s", path, ad_strerror(rc));
	rc = write_new_file(path, text, len, 0600, why);
	ad_seckey_text_free(text, len);
	return rc;
}

static int read_fd_secure(char **text, size_t *len, int fd, size_t size)
{
	char *p = sodium_malloc(size + 1);
	size_t got = 0;

	if (p == NULL)
		return AD_ERR_NOMEM;
	while (got < size) {
		ssize_t r = read(fd, p + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != size) {
		sodium_free(p);
		return AD_ERR_IO;
	}
	p[got] = '\0';
	*text = p;
	*len = got;
	return 0;
}

int ad_seckey_read_file(char **text, size_t *len, const char *path,
                        char why[AD_WHY_MAX])
{
	struct stat st;
	int fd, rc;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return why_set(
		    why, errno == ENOENT ? AD_ERR_NOTFOUND : AD_ERR_IO,
		    "%s: %s", path,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) != 0)
		rc = why_set(why, AD_ERR_IO, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = why_set(why, AD_ERR_UNTRUSTED, "%s: not a regular file",
		             path);
	else if (st.st_uid != geteuid() && st.st_uid != 0)
		rc = why_set(why, AD_ERR_UNTRUSTED, "%s: owned by uid %u", path,
		             (unsigned)st.st_uid);
	else if ((st.st_mode & 077) != 0)
		rc = why_set(why, AD_ERR_UNTRUSTED,
		             "%s: mode %04o is too open (want 0600)", path,
		             (unsigned)(st.st_mode & 07777));
	else if (st.st_size > AD_KEYFILE_MAX)
		rc = why_set(why, AD_ERR_TOOBIG, "%s: too large", path);
	else if ((rc = read_fd_secure(text, len, fd, (size_t)st.st_size)))
		why_set(why, rc, "%s: read failed", path);
	close(fd);
	return rc;
}

int ad_seckey_load(struct ad_seckey **out, const char *path,
                   const char *passphrase, char why[AD_WHY_MAX])
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = ad_seckey_read_file(&text, &len, path, why)) != 0)
		return rc;
	rc = ad_seckey_parse(out, text, len, passphrase, why);
	ad_seckey_text_free(text, len);
	if (rc != 0)
		why_prefix(why, path);
	return rc;
}

/* ---- host key ---- */

static char *hostpub_path(const char *path)
{
	size_t n = strlen(path);
	char *p = NULL;
	int r;

	if (n > 4 && strcmp(path + n - 4, ".key") == 0)
		r = asprintf(&p, "%.*s.pub", (int)(n - 4), path);
	else
		r = asprintf(&p, "%s.pub", path);
	return r < 0 ? NULL : p;
}

static int hostkey_load(struct ad_seckey **out, const char *path,
                        const struct ad_trust *trust, char *why)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd = -1, rc;

	if ((rc = ad_safe_open(&fd, path, trust, AD_KEYFILE_MAX, why)) != 0)
		return rc;
	if (fstat(fd, &st) != 0)
		rc = why_set(why, AD_ERR_IO, "%s: %s", path, strerror(errno));
	else if ((st.st_mode & 077) != 0)
		rc = why_set(why, AD_ERR_UNTRUSTED,
		             "%s: mode %04o is too open (want 0600)", path,
		             (unsigned)(st.st_mode & 07777));
	else if ((rc = read_fd_secure(&text, &len, fd, (size_t)st.st_size)))
		why_set(why, rc, "%s: read failed", path);
	close(fd);
	if (rc != 0)
		return rc;
	rc = ad_seckey_parse(out, text, len, NULL, why);
	ad_seckey_text_free(text, len);
	if (rc != 0)
		why_prefix(why, path);
	return rc;
}

/* host.pub must exist and hold the host key's public half. */
static int hostpub_sync(const struct ad_seckey *k, const char *pubpath,
                        const struct ad_trust *trust, char *why)
{
	struct ad_pubkey p;
	struct stat st;
	char *text = NULL;
	int rc;

	if (lstat(pubpath, &st) == 0) {
		if ((rc = ad_pubkey_load(&p, pubpath, trust, 0, why)) != 0)
			return rc;
		if (sodium_memcmp(p.pk, k->pub.pk, AD_PK_LEN) != 0)
			return why_set(why, AD_ERR_INVALID,
			               "%s: does not match the host key",
			               pubpath);
		return 0;
	}
	if ((rc = ad_pubkey_format(&text, &k->pub)) != 0)
		return why_set(why, rc, "%s: %s", pubpath, ad_strerror(rc));
	rc = write_new_file(pubpath, text, strlen(text), 0644, why);
	free(text);
	return rc;
}

int ad_hostkey_load_or_create(struct ad_seckey **out, const char *path,
                              const struct ad_trust *trust,
                              char why[AD_WHY_MAX])
{
	struct ad_seckey *k = NULL;
	char *pubpath = hostpub_path(path);
	int rc;

	*out = NULL;
	if (pubpath == NULL)
		return why_set(why, AD_ERR_NOMEM, "%s: out of memory", path);
	rc = hostkey_load(&k, path, trust, why);
	if (rc == AD_ERR_NOTFOUND) {
		rc = ad_seckey_generate(&k, "host", "root");
		if (rc == 0)
			rc = ad_seckey_save(k, path, NULL, 0, 0, why);
		else
			why_set(why, rc, "%s: %s", path, ad_strerror(rc));
	}
	if (rc == 0)
		rc = hostpub_sync(k, pubpath, trust, why);
	free(pubpath);
	if (rc != 0) {
		ad_seckey_free(k);
		return rc;
	}
	*out = k;
	return 0;
}
