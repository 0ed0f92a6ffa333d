/* fuzz_seckey.c — secret key file parser (plain and encrypted). FUZZING
 * builds cap the Argon2id cost a file may ask for (keys.c). */
#include <stdint.h>
#include <stdlib.h>

#include <sodium.h>

#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_seckey *k = NULL;
	char why[AD_WHY_MAX];
	const char *text = (const char *)data;
	int enc;

	if (sodium_init() < 0)
		abort();
	enc = ad_seckey_needs_passphrase(text, size);
	if (ad_seckey_parse(&k, text, size, "pw", why) == 0) {
		uint8_t sig[AD_SIG_LEN];
		if (enc < 0 || ad_sign_detached(sig, "m", 1, k) != 0 ||
		    ad_verify_detached(sig, "m", 1, k->pub.pk) != 0)
			abort();
		ad_seckey_free(k);
	}
	return 0;
}
