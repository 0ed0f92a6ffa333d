/*
 * keys.h — Ed25519 approver keys, the host key and the keyring
 * (docs/formats/crypto.md "key files").
 *
 * Invariants (DESIGN.md §4.4, §4.7): a key id is the first 8 bytes of
 * BLAKE2b-256("approverd-keyid-v1" || pk) and every file's key_id must match
 * its key; public key files are parsed strictly (known lines only, no
 * duplicates, canonical base64, name = file stem in a keyring directory);
 * secret keys live only in sodium_malloc memory and are encrypted on disk
 * with Argon2id + XChaCha20-Poly1305 (header as associated data) unless
 * written with passphrase NULL (marked "encryption=none").
 * All calls return 0 or a negative ad_err and zero their outputs on entry;
 * why[] (AD_WHY_MAX) gets "file: reason" on failure.
 */
#ifndef APPROVERD_KEYS_H
#define APPROVERD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "safefile.h"

#define AD_KEYID_LEN 8
#define AD_KEYID_HEX (AD_KEYID_LEN * 2 + 1)
#define AD_KEYNAME_MAX                                                         \
	64 /* name/user: 1..63 of [A-Za-z0-9._-], not ./- first */
#define AD_PK_LEN 32
#define AD_SK_LEN 64
#define AD_SEED_LEN 32
#define AD_SIG_LEN 64
#define AD_KEYFILE_MAX 4096
#define AD_KEYRING_MAX 1024
#define AD_ALG_ED25519 "ed25519"
/* Strict base64 (ORIGINAL variant): only these bytes, canonical padding. */
#define AD_B64_ALPHABET                                                        \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

struct ad_pubkey {
	char name[AD_KEYNAME_MAX]; /* approver name (file stem) */
	char user[AD_KEYNAME_MAX]; /* the human's unix user */
	uint8_t key_id[AD_KEYID_LEN];
	uint8_t pk[AD_PK_LEN];
};

/* sk: AD_SK_LEN bytes in sodium_malloc memory (libsodium layout seed||pk). */
struct ad_seckey {
	struct ad_pubkey pub;
	uint8_t *sk;
};

/* 1 if s is a valid key name / unix user name, else 0. */
int ad_key_name_valid(const char *s);
int ad_key_id(uint8_t id[AD_KEYID_LEN], const uint8_t pk[AD_PK_LEN]);
void ad_key_id_hex(char out[AD_KEYID_HEX], const uint8_t id[AD_KEYID_LEN]);

/* Raw Ed25519 wrappers (RFC 8032); the evidence log signs with these. */
int ad_sign_detached(uint8_t sig[AD_SIG_LEN], const void *m, size_t mlen,
                     const struct ad_seckey *k)
    __attribute__((warn_unused_result));
int ad_verify_detached(const uint8_t sig[AD_SIG_LEN], const void *m,
                       size_t mlen, const uint8_t pk[AD_PK_LEN])
    __attribute__((warn_unused_result)); /* 0 or AD_ERR_BAD_SIGNATURE */

/* ---- public keys ---- */
int ad_pubkey_parse(struct ad_pubkey *out, const char *text, size_t len,
                    char why[AD_WHY_MAX]) __attribute__((warn_unused_result));
/* malloc'ed text of a .pub file. */
int ad_pubkey_format(char **out, const struct ad_pubkey *k);
/* Load through ad_safe_read(trust); with check_stem, the file must be named
 * NAME.pub for its name= line. */
int ad_pubkey_load(struct ad_pubkey *out, const char *path,
                   const struct ad_trust *trust, int check_stem,
                   char why[AD_WHY_MAX]) __attribute__((warn_unused_result));

/* ---- keyring: approver public keys, unique by key id and by name ---- */
struct ad_keyring;
int ad_keyring_new(struct ad_keyring **out);
int ad_keyring_add(struct ad_keyring *ring, const struct ad_pubkey *k);
/* Every DIR/NAME.pub (dot files skipped); any bad file fails the whole load. */
int ad_keyring_load_dir(struct ad_keyring **out, const char *dir,
                        const struct ad_trust *trust, char why[AD_WHY_MAX])
    __attribute__((warn_unused_result));
const struct ad_pubkey *ad_keyring_find_id(const struct ad_keyring *ring,
                                           const uint8_t id[AD_KEYID_LEN]);
const struct ad_pubkey *ad_keyring_find_name(const struct ad_keyring *ring,
                                             const char *name);
size_t ad_keyring_count(const struct ad_keyring *ring);
const struct ad_pubkey *ad_keyring_get(const struct ad_keyring *ring, size_t i);
void ad_keyring_free(struct ad_keyring *ring);

/* ---- secret keys ---- */
int ad_seckey_generate(struct ad_seckey **out, const char *name,
                       const char *user);
int ad_seckey_from_seed(struct ad_seckey **out, const uint8_t seed[AD_SEED_LEN],
                        const char *name, const char *user);
void ad_seckey_free(struct ad_seckey *k);

/* Argon2id cost written into new key files (crypto_pwhash INTERACTIVE). */
#define AD_KDF_OPSLIMIT 2ULL
#define AD_KDF_MEMLIMIT (64ULL * 1024 * 1024)
/* Text of a .key file in sodium_malloc memory (free: ad_seckey_text_free).
 * passphrase NULL writes the secret unencrypted ("encryption=none"). */
int ad_seckey_format(char **out, size_t *outlen, const struct ad_seckey *k,
                     const char *passphrase, uint64_t opslimit,
                     uint64_t memlimit);
void ad_seckey_text_free(char *text, size_t len);
/* 1 if the .key text is encrypted, 0 if not, negative if malformed. */
int ad_seckey_needs_passphrase(const char *text, size_t len);
int ad_seckey_parse(struct ad_seckey **out, const char *text, size_t len,
                    const char *passphrase, char why[AD_WHY_MAX])
    __attribute__((warn_unused_result));
/* Write a new file (O_EXCL, mode 0600, never overwrites). */
int ad_seckey_save(const struct ad_seckey *k, const char *path,
                   const char *passphrase, uint64_t opslimit, uint64_t memlimit,
                   char why[AD_WHY_MAX]) __attribute__((warn_unused_result));
/* Read a user's .key file: no symlink, regular, owned by the caller's euid
 * or root, no group/other permission bits. Text as ad_seckey_format. */
int ad_seckey_read_file(char **text, size_t *len, const char *path,
                        char why[AD_WHY_MAX])
    __attribute__((warn_unused_result));
int ad_seckey_load(struct ad_seckey **out, const char *path,
                   const char *passphrase, char why[AD_WHY_MAX])
    __attribute__((warn_unused_result));

/*
 * Host key: PATH (e.g. /etc/approverd/host.key, unencrypted, mode 0600,
 * checked with trust plus "no group/other bits") and PATH's ".pub" sibling
 * (host.pub). Created when PATH does not exist; a host.pub that does not
 * match the key is an error. Secret/public bytes: (*out)->sk, (*out)->pub.pk.
 */
int ad_hostkey_load_or_create(struct ad_seckey **out, const char *path,
                              const struct ad_trust *trust,
                              char why[AD_WHY_MAX])
    __attribute__((warn_unused_result));

#endif
