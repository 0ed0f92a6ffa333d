/* fuzz_proto.c — arbitrary bytes as frames: header check, JSON decode,
 * reply status and the decision parser (common/proto.c). The decode is
 * differential: canonical frames are built from their bytes, the rest go
 * through json_loadb, and either way the answer and the tree (values and
 * key order) must be json_loadb's. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "error.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_as_jansson(const uint8_t *p, size_t n, int rc,
			    const json_t *msg)
{
	json_t *j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *v = json_is_object(j) ? json_object_get(j, "v") : NULL;
	int ok = json_is_integer(v) && json_integer_value(v) == AD_PROTO_VERSION;
	char *a, *b;

	if (rc == AD_ERR_NOMEM) {
		json_decref(j);
		return;
	}
	if (ok != (rc == 0))
		__builtin_trap(); /* the two disagree */
	if (ok) {
		a = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
		b = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (!json_equal(msg, j) || a == NULL || b == NULL ||
		    strcmp(a, b) != 0)
			__builtin_trap(); /* another tree, or another key order */
		free(a);
		free(b);
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_decision d;
	json_t *msg = NULL;
	uint32_t n;
	char err[160], m[64];
	int rc;

	if (size < AD_FRAME_HDR)
		return 0;
	if (ad_frame_len(&n, data, AD_REPLY_MAX) != 0)
		n = (uint32_t)(size - AD_FRAME_HDR); /* still exercise decode */
	if (n > size - AD_FRAME_HDR)
		n = (uint32_t)(size - AD_FRAME_HDR);
	rc = ad_frame_decode(&msg, data + AD_FRAME_HDR, n, err, sizeof(err));
	same_as_jansson(data + AD_FRAME_HDR, n, rc, msg);
	if (rc != 0)
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
