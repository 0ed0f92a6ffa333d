/* fuzz_proto.c — arbitrary bytes as frames: header check, JSON decode,
 * reply status and the decision parser (common/proto.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "client.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_decision d;
	json_t *msg = NULL;
	uint32_t n;
	char err[160], m[64];

	if (size < AD_FRAME_HDR)
		return 0;
	if (ad_frame_len(&n, data, AD_REPLY_MAX) != 0)
		n = (uint32_t)(size - AD_FRAME_HDR); /* still exercise decode */
	if (n > size - AD_FRAME_HDR)
		n = (uint32_t)(size - AD_FRAME_HDR);
	if (ad_frame_decode(&msg, data + AD_FRAME_HDR, n, err, sizeof(err)) != 0)
		return 0;
	(void)ad_msg_status(msg, m, sizeof(m));
	if (ad_decision_from_json(&d, msg) == 0) {
		json_t *o = json_object();
		if (o != NULL && ad_decision_to_json(o, &d) != 0)
			__builtin_trap(); /* a parsed decision must re-encode */
		json_decref(o);
		ad_decision_free(&d);
	}
	json_decref(msg);
	return 0;
}
