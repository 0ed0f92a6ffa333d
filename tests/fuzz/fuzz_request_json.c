/* fuzz_request_json.c — the JSON form of a request; accepted requests
 * round-trip to the same digests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_json.h"
#include "request.h"

static void digests(uint8_t e[AD_DIGEST_LEN], uint8_t r[AD_DIGEST_LEN],
                    const struct ad_request *req)
{
	if (ad_exec_digest(e, req) != 0 || ad_request_digest(r, req) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_request a, b;
	uint8_t e1[AD_DIGEST_LEN], r1[AD_DIGEST_LEN];
	uint8_t e2[AD_DIGEST_LEN], r2[AD_DIGEST_LEN];
	char err[128];
	json_t *j = fuzz_json_load(data, size), *back;

	if (j == NULL)
		return 0;
	if (ad_request_from_json(&a, j, err, sizeof(err)) == 0) {
		digests(e1, r1, &a);
		back = ad_request_to_json(&a);
		if (back == NULL ||
		    ad_request_from_json(&b, back, err, sizeof(err)) != 0)
			abort();
		digests(e2, r2, &b);
		if (memcmp(e1, e2, sizeof(e1)) != 0 ||
		    memcmp(r1, r2, sizeof(r1)) != 0)
			abort();
		json_decref(back);
		ad_request_free(&b);
		ad_request_free(&a);
	}
	json_decref(j);
	return 0;
}
