/*
 * fuzz_evidence_kv.c — differential: ad_evidence_kv_daemon() (the daemon's
 * syslog line written straight from its record, common/evidence_kv.c)
 * against what journal_syslog() built before: a copy object {"seq": seq}
 * plus every key of the record but "request", then ad_evidence_kv() of
 * the copy. Input: one byte choosing seq and hash, then a JSON value (NUL
 * allowed in strings) used as the record. In the record's top-level keys
 * '~' becomes NUL and '^' the byte 0xff (jansson refuses both in keys it
 * parses), so keys equal up to a NUL and non-UTF-8 keys are reached. Any
 * difference, or one NULL without the other, aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *reference(const json_t *rec, uint64_t seq, const char *hash)
{
	json_t *s = json_object();
	const char *k;
	json_t *v;
	char *line;

	if (s == NULL)
		return NULL;
	json_object_set_new(s, "seq", json_integer((json_int_t)seq));
	json_object_foreach((json_t *)rec, k, v)
	{
		if (strcmp(k, "request") != 0)
			json_object_set(s, k, v);
	}
	line = ad_evidence_kv(s, hash);
	json_decref(s);
	return line;
}

/* rec with '~' -> NUL and '^' -> 0xff in its top-level keys. */
static json_t *odd_keys(json_t *rec)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	if (o == NULL || !json_is_object(rec))
		return o;
	json_object_foreach(rec, k, v)
	{
		size_t n = json_object_iter_key_len(json_object_key_to_iter(k));
		char *c = malloc(n + 1);

		if (c == NULL)
			abort();
		for (size_t i = 0; i < n; i++)
			c[i] = k[i] == '~'   ? '\0'
			       : k[i] == '^' ? (char)0xff
			                     : k[i];
		json_object_setn_nocheck(o, c, n, v);
		free(c);
	}
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t seqs[] = {0,
	                                1,
	                                12,
	                                (uint64_t)INT64_MAX,
	                                (uint64_t)INT64_MAX + 1,
	                                UINT64_MAX,
	                                4294967296ull,
	                                999};
	static const char *const hashes[] = {
	    "00ff", NULL, "", "\xff", "a b", "\xc3\xa9", "\"", "abcdef"};
	json_error_t je;
	json_t *in, *rec;
	char *a, *b;
	uint8_t pick;

	if (size < 1)
		return 0;
	pick = data[0];
	in = json_loadb((const char *)data + 1, size - 1,
	                JSON_ALLOW_NUL | JSON_DECODE_ANY, &je);
	if (in == NULL)
		return 0;
	rec = (pick & 0x40) && json_is_object(in) ? odd_keys(in)
	                                          : json_incref(in);
	a = reference(rec, seqs[pick & 7], hashes[(pick >> 3) & 7]);
	b = ad_evidence_kv_daemon(rec, seqs[pick & 7], hashes[(pick >> 3) & 7]);
	if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
		abort();
	free(a);
	free(b);
	json_decref(rec);
	json_decref(in);
	return 0;
}
