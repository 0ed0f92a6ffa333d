/*
 * evidence_enc.c — the text of an evidence line, written straight from the
 * caller's record: {"seq":N,"time":T,"event":E,"prev":P, then the record's
 * other fields in their order}. The writer used to copy the record into a
 * new object and json_dumps() it; that was a quarter of the daemon's
 * event-loop instructions per approval cycle (docs/BENCHMARKS.md).
 *
 * Invariant: the output is byte for byte json_dumps(AD_EV_DUMP_FLAGS) of
 * that object (json_enc.c; test_evidence_enc, fuzz_evidence_enc), at most
 * AD_EVIDENCE_LINE_MAX - 1 bytes (AD_ERR_TOOBIG before building more).
 */
#include <string.h>

#include "evidence_int.h"
#include "json_enc.h"

static void field(struct ad_jenc *e, const char *key, const json_t *v)
{
	ad_jenc_raw(e, ",", 1);
	ad_jenc_string(e, key, strlen(key));
	ad_jenc_raw(e, ":", 1);
	ad_jenc_value(e, v);
}

int ad_ev_encode_line(char **out, size_t *len, const json_t *rec,
		      uint64_t seq, const char *time, const char *prev_hex)
{
	struct ad_jenc e = {.max = AD_EVIDENCE_LINE_MAX};
	const char *key;
	const json_t *v;

	ad_jenc_raw(&e, "{\"seq\":", 7);
	ad_jenc_int(&e, (json_int_t)seq);
	ad_jenc_raw(&e, ",\"time\":", 8);
	ad_jenc_string(&e, time, strlen(time));
	field(&e, "event", json_object_get(rec, "event"));
	ad_jenc_raw(&e, ",\"prev\":", 8);
	ad_jenc_string(&e, prev_hex, strlen(prev_hex));
	json_object_foreach((json_t *)rec, key, v)
	{
		if (strcmp(key, "event") != 0)
			field(&e, key, v);
	}
	ad_jenc_raw(&e, "}", 1);
	return ad_jenc_finish(&e, out, len);
}
