/* fuzz_token.c — token parsing and verification against a fixed keyring. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seed corpus is signed by this key (seed 32 x 0x01). */
static struct ad_keyring *fuzz_ring(void)
{
	static struct ad_keyring *ring;
	struct ad_seckey *k = NULL;
	uint8_t seed[AD_SEED_LEN];

	if (ring != NULL)
		return ring;
	if (sodium_init() < 0 || ad_keyring_new(&ring) != 0)
		abort();
	memset(seed, 1, sizeof(seed));
	if (ad_seckey_from_seed(&k, seed, "fuzz", "fuzz") != 0 ||
	    ad_keyring_add(ring, &k->pub) != 0)
		abort();
	ad_seckey_free(k);
	return ring;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_keyring *ring = fuzz_ring();
	struct ad_statement st;
	const struct ad_pubkey *signer;
	uint8_t sig[AD_SIG_LEN], digest[AD_DIGEST_LEN] = {0};
	char *tok = malloc(size + 1);
	int rc;

	if (tok == NULL)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	rc = ad_token_parse(&st, sig, tok);
	if (rc == 0) {
		/* bind to whatever the statement names: only the signature
		 * and the time decide */
		memcpy(digest, st.digest, sizeof(digest));
		rc = ad_token_verify(&st, tok, ring, st.host, st.request_id,
		                     digest, 0, st.not_before, &signer);
		if (rc == 0 && signer == NULL)
			abort();
	} else if (ad_token_verify(&st, tok, ring, "h", "R-1", digest, 0, 0,
	                           &signer) == 0) {
		abort(); /* verify accepted what parse refused */
	}
	free(tok);
	return 0;
}
