/*
 * token.h — signed approval/denial statements (docs/formats/crypto.md
 * "token").
 *
 * Invariants (DESIGN.md §4.5): a statement binds version, host id, request
 * id, request digest, decision, not_before, not_after, a 16-byte random
 * nonce, the signer's key id, uses and a signed comment, encoded canonically
 * under the "approverd-token-v1" domain and signed with Ed25519. The text is
 * "approverd-ed25519-v1:KEYID:BASE64" with strict base64 (ORIGINAL variant,
 * no whitespace, canonical padding); the key id in front must equal the one
 * inside. Verification checks the signature before trusting any field.
 */
#ifndef APPROVERD_TOKEN_H
#define APPROVERD_TOKEN_H

#include <stdint.h>

#include "keys.h"
#include "request.h"

#define AD_TOKEN_TAG "approverd-ed25519-v1"
#define AD_TOKEN_VERSION 1
#define AD_TOKEN_MAX 2048  /* cap on the token text */
#define AD_HOST_MAX 256    /* host id, 1..255 printable bytes */
#define AD_COMMENT_MAX 256 /* signed comment, 0..255 printable bytes */
#define AD_NONCE_LEN 16
#define AD_USES_MAX 1000

enum ad_decision_kind {
	AD_DECISION_ANY = 0, /* only as expect_decision */
	AD_DECISION_APPROVE = 1,
	AD_DECISION_DENY = 2,
	AD_DECISION_BREAKGLASS = 3, /* docs/formats/governance.md §3 */
	AD_DECISION_REVIEW = 4,     /* after-the-fact review of a break-glass */
};

struct ad_statement {
	uint32_t version; /* AD_TOKEN_VERSION */
	char host[AD_HOST_MAX];
	char request_id[AD_ID_MAX];
	uint8_t digest[AD_DIGEST_LEN];  /* ad_request_digest() */
	uint32_t decision;              /* AD_DECISION_APPROVE or _DENY */
	uint64_t not_before, not_after; /* unix seconds, inclusive */
	uint8_t nonce[AD_NONCE_LEN];
	uint8_t key_id[AD_KEYID_LEN];
	uint32_t uses; /* 1 = single use */
	char comment[AD_COMMENT_MAX];
};

/* "approve", "deny", "breakglass", "review" (or "unknown"); parse returns the enum or -1. */
const char *ad_decision_name(int decision);
int ad_decision_parse(const char *name);

/*
 * Sign st with key. Sets st->version, st->key_id and a fresh st->nonce;
 * the caller fills host, request_id, digest, decision, not_before,
 * not_after, uses and comment. *out is a malloc'ed NUL-terminated token.
 */
int ad_token_sign(char **out, struct ad_statement *st,
                  const struct ad_seckey *key)
    __attribute__((warn_unused_result));

/* Syntax only (no signature check): AD_ERR_INVALID or AD_ERR_TOOBIG. */
int ad_token_parse(struct ad_statement *out, uint8_t sig[AD_SIG_LEN],
                   const char *token) __attribute__((warn_unused_result));

/*
 * The same check in three steps, for a caller that runs the signature
 * check on another thread (approverd's verifier, docs/PROTOCOL.md):
 *  - ad_token_prepare(): syntax and key lookup (AD_ERR_INVALID,
 *    AD_ERR_UNKNOWN_KEY, AD_ERR_NOMEM); copies the signed bytes, the
 *    signature and the key into *p, so nothing else is needed later.
 *    p->st is decoded but NOT trusted (also after AD_ERR_UNKNOWN_KEY;
 *    zero after a syntax error); *signer is the ring's key.
 *  - ad_token_check_sig(): the Ed25519 check alone (0 or
 *    AD_ERR_BAD_SIGNATURE, also kept in p->sig_rc); touches only *p, so it
 *    may run on any thread.
 *  - ad_token_bind(): p->sig_rc, then host, request id, digest, decision,
 *    not_before, not_after as below. Until ad_token_check_sig() has passed,
 *    it returns AD_ERR_BAD_SIGNATURE (fail closed).
 * ad_token_verify() is these three in a row.
 */
#define AD_TOKEN_STMT_MAX 1024
struct ad_token_pending {
	struct ad_statement st;          /* decoded; trusted once sig_rc == 0 */
	uint8_t stmt[AD_TOKEN_STMT_MAX]; /* the signed bytes */
	size_t stmt_len;
	uint8_t sig[AD_SIG_LEN];
	uint8_t pk[AD_PK_LEN];           /* the signer's public key */
	int sig_rc;
};
int ad_token_prepare(struct ad_token_pending *p, const char *token,
                     const struct ad_keyring *ring,
                     const struct ad_pubkey **signer)
    __attribute__((warn_unused_result));
int ad_token_check_sig(struct ad_token_pending *p);
int ad_token_bind(const struct ad_token_pending *p, const char *host,
                  const char *request_id, const uint8_t digest[AD_DIGEST_LEN],
                  int expect_decision, uint64_t now)
    __attribute__((warn_unused_result));

/*
 * Full check, in this order: syntax (AD_ERR_INVALID), key id in ring
 * (AD_ERR_UNKNOWN_KEY), signature (AD_ERR_BAD_SIGNATURE), host
 * (AD_ERR_WRONG_HOST), request id (AD_ERR_WRONG_REQUEST), digest
 * (AD_ERR_WRONG_DIGEST), decision unless expect_decision is 0
 * (AD_ERR_WRONG_DECISION), now < not_before (AD_ERR_NOT_YET_VALID),
 * now > not_after (AD_ERR_EXPIRED). Once the signature has verified, *out
 * and *signer are filled even when a later check fails (for the evidence
 * record); before that they stay zero/NULL.
 */
int ad_token_verify(struct ad_statement *out, const char *token,
                    const struct ad_keyring *ring, const char *host,
                    const char *request_id, const uint8_t digest[AD_DIGEST_LEN],
                    int expect_decision, uint64_t now,
                    const struct ad_pubkey **signer)
    __attribute__((warn_unused_result));

#endif
