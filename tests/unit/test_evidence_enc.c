/*
 * test_evidence_enc.c — ad_ev_encode_line() against jansson's json_dumps()
 * of the same object (what the evidence writer produced before): random
 * records (seeded, so a failure repeats) with every kind of string byte,
 * nested containers, integer extremes and reals; invalid UTF-8 fails both;
 * the line cap holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "evidence_int.h"
#include "utf8_put.h"
#include "json_enc.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Valid UTF-8 of one code point from a mix that stresses the escapes. */
static size_t put_cp(char *o)
{
	static const uint32_t picks[] = {0x00, 0x01, 0x08, 0x09, 0x0a, 0x0c,
					 0x0d, 0x1f, '"', '\\', '/', 0x7f,
					 0x80, 0xe9, 0x7ff, 0x800, 0x2028,
					 0xfffd, 0xffff, 0x10000, 0x1f600,
					 0x10ffff};
	uint32_t c = rnd(3) ? 0x20 + rnd(0x5f) : picks[rnd(sizeof(picks) / 4)];

	return utf8_put(o, c);
}

static json_t *rnd_string(void)
{
	char b[256];
	size_t n = 0, k = rnd(24);

	for (size_t i = 0; i < k; i++)
		n += put_cp(b + n);
	return json_stringn(b, n);
}

static json_t *rnd_value(int depth)
{
	static const json_int_t ints[] = {0, 1, -1, 9, 10, 4294967296LL,
					  INT64_MAX, INT64_MIN, -1234567890123LL};
	json_t *v;

	switch (rnd(depth > 2 ? 6 : 8)) {
	case 0: return json_integer(ints[rnd(sizeof(ints) / sizeof(ints[0]))]);
	case 1: return json_integer((json_int_t)rnd(1000000) - 500000);
	case 2: return rnd(2) ? json_true() : json_false();
	case 3: return json_null();
	case 4: return json_real((double)rnd(100000) / 7.0);
	case 5: return rnd_string();
	case 6:
		v = json_array();
		for (uint32_t i = rnd(4); i > 0; i--)
			json_array_append_new(v, rnd_value(depth + 1));
		return v;
	default:
		v = json_object();
		for (uint32_t i = rnd(4); i > 0; i--) {
			json_t *k = rnd_string();

			json_object_setn_new(v, json_string_value(k),
					     json_string_length(k),
					     rnd_value(depth + 1));
			json_decref(k);
		}
		return v;
	}
}

/* What the writer did before: copy into a new object, json_dumps it. */
static char *old_line(const json_t *rec, uint64_t seq, const char *time,
		      const char *prev)
{
	json_t *full = json_pack("{s:I, s:s, s:O, s:s}", "seq", (json_int_t)seq,
				 "time", time, "event",
				 json_object_get(rec, "event"), "prev", prev);
	const char *key;
	json_t *v;
	char *s;

	assert_non_null(full);
	json_object_foreach((json_t *)rec, key, v)
	{
		if (strcmp(key, "event") != 0)
			assert_int_equal(json_object_set(full, key, v), 0);
	}
	s = json_dumps(full, AD_EV_DUMP_FLAGS);
	json_decref(full);
	return s;
}

static json_t *rnd_record(void)
{
	json_t *rec = json_pack("{s:s}", "event", rnd(2) ? "request" : "approval");

	for (uint32_t i = rnd(10); i > 0; i--) {
		json_t *k = rnd_string();
		const char *ks = json_string_value(k);

		if (strlen(ks) == json_string_length(k) && strcmp(ks, "event") &&
		    strcmp(ks, "seq") && strcmp(ks, "time") && strcmp(ks, "prev"))
			json_object_set_new(rec, ks, rnd_value(0));
		json_decref(k);
	}
	return rec;
}

static void test_same_as_jansson(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_t *rec = rnd_record();
		char *a = NULL, *b = old_line(rec, (uint64_t)i * 7919u,
					      "2026-12-07T03:00:00.000001Z",
					      "00ff");
		size_t len = 0;
		int r = ad_ev_encode_line(&a, &len, rec, (uint64_t)i * 7919u,
					  "2026-12-07T03:00:00.000001Z", "00ff");

		assert_non_null(b);
		if (strlen(b) + 1 > AD_EVIDENCE_LINE_MAX) {
			assert_int_equal(r, AD_ERR_TOOBIG);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(len, strlen(b));
			assert_string_equal(a, b);
		}
		free(a);
		free(b);
		json_decref(rec);
	}
}

/* Any value, as the protocol frames use it (proto.c). */
static void test_dump_compact(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_t *v = rnd_value(0);
		char *a = NULL, *b = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII |
						   JSON_ENCODE_ANY);
		size_t len = 0;

		assert_non_null(b);
		assert_int_equal(ad_json_dump_compact(&a, &len, v, 1 << 20), 0);
		assert_int_equal(len, strlen(b));
		assert_string_equal(a, b);
		free(a);
		/* one byte short of room: refused, nothing returned */
		a = (char *)1;
		assert_int_equal(ad_json_dump_compact(&a, &len, v, strlen(b)),
				 AD_ERR_TOOBIG);
		assert_null(a);
		free(b);
		json_decref(v);
	}
}

/* Strings jansson would refuse to dump fail the record here too. */
static void test_invalid_utf8(void **state)
{
	static const char *bad[] = {"\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf",
				    "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80",
				    "ok\xff", "\xe2\x82"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *rec = json_pack("{s:s}", "event", "request");
		char *a = (char *)1, *b;
		size_t len;

		json_object_set_new(rec, "x", json_stringn_nocheck(bad[i],
								   strlen(bad[i])));
		b = old_line(rec, 1, "t", "p");
		assert_null(b);
		assert_int_equal(ad_ev_encode_line(&a, &len, rec, 1, "t", "p"),
				 AD_ERR_INVALID);
		assert_null(a);
		json_decref(rec);
	}
}

/* Past the line cap: refused before it is all built. */
static void test_cap(void **state)
{
	json_t *rec = json_pack("{s:s}", "event", "request");
	char *big = malloc(AD_EVIDENCE_LINE_MAX), *a = NULL;
	size_t len;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', AD_EVIDENCE_LINE_MAX - 1);
	big[AD_EVIDENCE_LINE_MAX - 1] = '\0';
	json_object_set_new(rec, "reason", json_string(big));
	assert_int_equal(ad_ev_encode_line(&a, &len, rec, 1, "t", "p"),
			 AD_ERR_TOOBIG);
	assert_null(a);
	free(big);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_jansson),
		cmocka_unit_test(test_dump_compact),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
