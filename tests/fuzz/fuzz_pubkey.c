/* fuzz_pubkey.c — public key file parser; accepted files round-trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_pubkey a, b;
	char why[AD_WHY_MAX];
	char *text = NULL;

	if (sodium_init() < 0)
		abort();
	if (ad_pubkey_parse(&a, (const char *)data, size, why) != 0)
		return 0;
	if (ad_pubkey_format(&text, &a) != 0 ||
	    ad_pubkey_parse(&b, text, strlen(text), why) != 0 ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	free(text);
	return 0;
}
