/*
 * test_snapstart_build.c — ad_ev_canon_build() (the record tree of an
 * evidence line the fast scanner accepted, built without lexing the line
 * again; what a start from the snapshot parses) against json_loadb():
 *  - random records (seeded, so a failure repeats) with every kind of
 *    string byte, escapes, surrogate pairs, nesting and integer extremes,
 *    dumped canonically: every line ad_ev_canon_fast accepts is built, and
 *    the tree is the one json_loadb gives (equal, and the same bytes when
 *    dumped again: same key order);
 *  - the same lines damaged at random: whatever the fast scanner still
 *    accepts builds to json_loadb's tree; whatever the builder returns for
 *    any bytes dumps (valid UTF-8, no NUL) and no read leaves the line;
 *  - edge cases: a repeated key, lone surrogates, \u0000, 18 and 19 digit
 *    integers, reals, nesting at and past the limit, trailing bytes;
 *  - duplicate keys: the fast scanner and the builder refuse exactly the
 *    objects jansson refuses (many keys, colliding fingerprints);
 *  - ad_ev_canon_load falls back to json_loadb where the builder says no,
 *    and takes its tree only if it dumps back to the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evidence_int.h"
#include "utf8_put.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* UTF-8 of one code point, from a mix that reaches every escape form. */
static size_t put_cp(char *o)
{
	static const uint32_t picks[] = {0x01, 0x08, 0x09, 0x0a, 0x0c, 0x0d,
					 0x1f, '"', '\\', '/', 0x7f, 0x80,
					 0xe9, 0x7ff, 0x800, 0xd7ff, 0xe000,
					 0xfffd, 0xffff, 0x10000, 0x1f600,
					 0x10ffff};
	uint32_t c = rnd(3) ? 0x20 + rnd(0x5f) : picks[rnd(sizeof(picks) / 4)];

	return utf8_put(o, c);
}

static json_t *rnd_string(void)
{
	char b[256];
	size_t n = 0, k = rnd(20);

	for (size_t i = 0; i < k; i++)
		n += put_cp(b + n);
	return json_stringn(b, n);
}

static json_t *rnd_value(int depth);

static json_t *rnd_container(int depth, int object)
{
	json_t *v = object ? json_object() : json_array();

	for (uint32_t i = rnd(5); i > 0; i--) {
		json_t *k = object ? rnd_string() : NULL;

		if (object)
			json_object_setn_new(v, json_string_value(k),
					     json_string_length(k),
					     rnd_value(depth + 1));
		else
			json_array_append_new(v, rnd_value(depth + 1));
		json_decref(k);
	}
	return v;
}

static json_t *rnd_value(int depth)
{
	static const json_int_t ints[] = {0, 1, -1, 9, 10, -10,
					  999999999999999999LL,
					  -999999999999999999LL,
					  1000000000000000000LL, INT64_MAX,
					  INT64_MIN};

	switch (rnd(depth > 3 ? 6 : 8)) {
	case 0: return json_integer(ints[rnd(sizeof(ints) / sizeof(ints[0]))]);
	case 1: return json_integer((json_int_t)rnd(2000000) - 1000000);
	case 2: return rnd(2) ? json_true() : json_false();
	case 3: return rnd(8) ? json_null() : json_real(rnd(1000) / 8.0);
	case 4:
	case 5: return rnd_string();
	default: return rnd_container(depth, rnd(2));
	}
}

static char *dump(const json_t *v)
{
	return json_dumps(v, AD_EV_DUMP_FLAGS);
}

/* For bytes the fast scanner accepts: built, and json_loadb's tree. */
static void check_accepted(const char *s, size_t n)
{
	json_t *b = ad_ev_canon_build(s, n);
	json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	char *d;

	assert_non_null(b);
	assert_non_null(j);
	assert_true(json_equal(b, j));
	d = dump(b);
	assert_non_null(d);
	assert_int_equal(strlen(d), n); /* same key order, same values */
	assert_memory_equal(d, s, n);
	free(d);
	json_decref(b);
	json_decref(j);
}

/* For any bytes: a tree, if any, that jansson can dump (its strings are
 * UTF-8 without NUL). Built from a copy of exactly n bytes on the heap, so
 * a read past the end is seen by valgrind / ASan. */
static int check_any(const char *s, size_t n)
{
	char *copy = malloc(n ? n : 1);
	struct ad_ev_fast f;
	json_t *b;
	char *d;

	assert_non_null(copy);
	memcpy(copy, s, n);
	if (ad_ev_canon_fast(copy, n, &f)) {
		check_accepted(copy, n);
		free(copy);
		return 1;
	}
	if ((b = ad_ev_canon_build(copy, n)) != NULL) {
		d = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
		assert_non_null(d);
		free(d);
		json_decref(b);
	}
	free(copy);
	return 0;
}

static void test_random_records(void **state)
{
	struct ad_ev_fast f;
	int accepted = 0;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_t *v = rnd_container(0, 1);
		char *s = dump(v);

		assert_non_null(s);
		if (ad_ev_canon_fast(s, strlen(s), &f)) {
			check_accepted(s, strlen(s));
			accepted++;
		} else { /* a real or a 19-digit integer: the builder says no
			  * too, and the loader takes jansson's tree */
			json_t *l = ad_ev_canon_load(s, strlen(s));

			assert_null(ad_ev_canon_build(s, strlen(s)));
			assert_true(json_equal(l, v));
			json_decref(l);
		}
		free(s);
		json_decref(v);
	}
	assert_true(accepted > 15000); /* the test did test something */
}

static void test_damaged_records(void **state)
{
	static const char bytes[] = "{}[]\":,\\u0123456789abcdefABCDEF-.e tnr";
	int accepted = 0;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_t *v = rnd_container(0, 1);
		char *s = dump(v);
		size_t n = strlen(s);

		assert_non_null(s);
		for (uint32_t k = 1 + rnd(3); k > 0 && n > 0; k--) {
			size_t at = rnd((uint32_t)n);

			if (rnd(3) == 0)
				s[at] = (char)rnd(256);
			else if (rnd(2))
				s[at] = bytes[rnd(sizeof(bytes) - 1)];
			else
				n = at; /* cut */
		}
		accepted += check_any(s, n);
		free(s);
		json_decref(v);
	}
	assert_true(accepted > 100);
}

static void test_edges(void **state)
{
	static const char *no[] = {
		"{\"a\":1,\"a\":2}",          /* a repeated key */
		"{\"a\":1,\"\\u0061\":2}",    /* ...however it is written */
		"{\"a\":\"\\uD800\"}",        /* lone high surrogate */
		"{\"a\":\"\\uDC00\"}",        /* lone low surrogate */
		"{\"a\":\"\\uD800\\u0041\"}", /* high + not low */
		"{\"a\":\"\\u0000\"}",        /* NUL */
		"{\"a\":1234567890123456789}", /* 19 digits */
		"{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":-}",
		"{\"a\":1} ", "{\"a\":1}}", "{\"a\" :1}", "{\"a\":tru}",
		"{\"a\":\"x", "{\"a\":\"x\\", "{\"a\":\"\\u12\"}",
		"{\"a\":\"\x01\"}", "{\"a\":\"\xc3\xa9\"}", "[1]", "", "{",
	};
	static const char big[] = "{\"a\":123456789012345678,\"b\":-5}";
	static const char esc[] = "{\"s\":\"\\\"\\\\\\b\\f\\n\\r\\t\\u001F"
				  "\\u00E9\\uD83D\\uDE00\"}";
	char deep[80], *d;
	json_t *b;

	(void)state;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_null(ad_ev_canon_build(no[i], strlen(no[i])));
	check_accepted("{}", 2);
	check_accepted(big, strlen(big));
	b = ad_ev_canon_build(esc, strlen(esc));
	assert_non_null(b);
	assert_string_equal(json_string_value(json_object_get(b, "s")),
			    "\"\\\b\f\n\r\t\x1f\xc3\xa9\xf0\x9f\x98\x80");
	json_decref(b);
	/* nesting: 32 levels build (the scanner's limit), 33 do not */
	memset(deep, 0, sizeof(deep));
	memcpy(deep, "{\"a\":", 5);
	memset(deep + 5, '[', 31);
	memset(deep + 36, ']', 31);
	deep[67] = '}';
	check_accepted(deep, 68);
	memmove(deep + 6, deep + 5, 68);
	deep[5] = '[';
	deep[68] = ']';
	deep[69] = '}';
	assert_null(ad_ev_canon_build(deep, 70));
	/* the loader: json_loadb where the builder says no */
	b = ad_ev_canon_load("{\"a\":1.5}", 9);
	assert_non_null(b);
	d = dump(b);
	assert_string_equal(d, "{\"a\":1.5}");
	free(d);
	json_decref(b);
	assert_null(ad_ev_canon_load("{\"a\":1,\"a\":2}", 13));
	assert_null(ad_ev_canon_load("{\"a\": 1.5}", 10)); /* not canonical */
	assert_null(ad_ev_canon_load("{\"a\":1.50}", 10));
}

/* Duplicate keys in the fast scanner (its fingerprint set only skips
 * comparisons): objects of up to 64 short keys from a small alphabet, so
 * that fingerprints collide often; accepted exactly when jansson finds no
 * repeated key. */
static void test_duplicate_keys(void **state)
{
	static const char abc[] = "abcdefgh";
	struct ad_ev_fast f;
	char line[2048];
	int dups = 0, fine = 0;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t n = 1, keys = 1 + rnd(64);

		line[0] = '{';
		for (size_t k = 0; k < keys; k++) {
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"",
					      k ? "," : "");
			for (uint32_t c = rnd(4); c > 0; c--)
				line[n++] = abc[rnd(8)];
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      "\":%zu", k);
		}
		line[n++] = '}';
		json_t *j = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);

		assert_int_equal(ad_ev_canon_fast(line, n, &f), j != NULL);
		if (j != NULL) {
			assert_int_equal(f.nkeys, keys);
			check_accepted(line, n);
			fine++;
		} else {
			assert_null(ad_ev_canon_build(line, n));
			dups++;
		}
		json_decref(j);
	}
	assert_true(dups > 1000 && fine > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_records),
		cmocka_unit_test(test_damaged_records),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_duplicate_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
