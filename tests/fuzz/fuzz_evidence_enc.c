/*
 * fuzz_evidence_enc.c — differential: the evidence writer's encoder
 * (ad_ev_encode_line, common/evidence_enc.c) against jansson's json_dumps()
 * of the same object, which is what the writer produced before and what
 * the canonical form is defined by. Input: a JSON object (NUL allowed in
 * strings and keys) used as a record's fields. Any difference, or one
 * failing where the other does not, aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "evidence_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *reference(const json_t *rec)
{
	json_t *full = json_pack("{s:I, s:s, s:O, s:s}", "seq", (json_int_t)42,
				 "time", "2026-12-07T00:00:00.000000Z", "event",
				 json_object_get(rec, "event"), "prev", "ab");
	const char *key;
	json_t *v;
	char *s;

	if (full == NULL)
		return NULL;
	json_object_foreach((json_t *)rec, key, v)
	{
		if (strcmp(key, "event") != 0 && json_object_set(full, key, v))
			abort();
	}
	s = json_dumps(full, AD_EV_DUMP_FLAGS);
	json_decref(full);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *rec = json_loadb((const char *)data, size, JSON_ALLOW_NUL, &je);
	const char *key;
	json_t *v;
	char *a = NULL, *b;
	size_t len = 0;
	int r;

	if (rec == NULL)
		return 0;
	/* top-level keys are the daemon's own names: no NUL, no header key */
	json_object_foreach(rec, key, v)
	{
		if (strlen(key) != json_object_iter_key_len(
					   json_object_key_to_iter(key)) ||
		    !strcmp(key, "seq") || !strcmp(key, "time") ||
		    !strcmp(key, "prev")) {
			json_decref(rec);
			return 0;
		}
	}
	if (!json_is_object(rec) || json_object_get(rec, "event") == NULL) {
		json_decref(rec);
		return 0;
	}
	b = reference(rec);
	r = ad_ev_encode_line(&a, &len, rec, 42, "2026-12-07T00:00:00.000000Z",
			      "ab");
	if (b == NULL) {
		if (r != AD_ERR_INVALID && r != AD_ERR_NOMEM)
			abort();
	} else if (strlen(b) + 1 > AD_EVIDENCE_LINE_MAX) {
		if (r != AD_ERR_TOOBIG)
			abort();
	} else if (r != 0 || len != strlen(b) || memcmp(a, b, len) != 0) {
		abort();
	}
	free(a);
	free(b);
	json_decref(rec);
	return 0;
}
