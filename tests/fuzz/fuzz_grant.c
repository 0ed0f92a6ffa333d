/* fuzz_grant.c — the JSON form of a standing grant (common/grant.c):
 * never crashes; an accepted grant round-trips to the same fields and the
 * same digest, and its id has the G-XXXX-XXXX shape. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_json.h"
#include "grant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_grant a, b;
	uint8_t d1[AD_DIGEST_LEN], d2[AD_DIGEST_LEN];
	char err[160];
	json_t *j = fuzz_json_load(data, size), *back;

	if (j == NULL)
		return 0;
	if (ad_grant_from_json(&a, j, err, sizeof(err)) == 0) {
		if (!ad_grant_id_valid(a.id) || a.uses == 0 ||
		    a.uses > AD_GRANT_USES_MAX || a.expires <= a.created ||
		    ad_grant_digest(d1, &a) != 0)
			abort();
		back = ad_grant_to_json(&a);
		if (back == NULL || ad_grant_from_json(&b, back, err,
						       sizeof(err)) != 0 ||
		    memcmp(&a, &b, sizeof(a)) != 0 ||
		    ad_grant_digest(d2, &b) != 0 ||
		    memcmp(d1, d2, sizeof(d1)) != 0)
			abort();
		json_decref(back);
	}
	json_decref(j);
	return 0;
}
