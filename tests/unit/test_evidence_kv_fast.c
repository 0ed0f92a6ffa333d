/*
 * test_evidence_kv_fast.c — ad_evidence_kv_daemon() (common/evidence_kv.c)
 * against what the daemon's journal_syslog() built before: a copy object
 * {"seq": seq} plus every key of the record but "request"
 * (json_object_set in order), then ad_evidence_kv() of the copy. Random
 * records (seeded, so a failure repeats) with every kind of key (NUL
 * inside, invalid UTF-8, the reserved names, keys equal up to a NUL),
 * nested values, strings jansson refuses to dump, every byte value in
 * keys and values, seq extremes, odd hashes, non-objects and the dump
 * size cap. Each pair must be equal
 * byte for byte, or both NULL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evidence.h"

static uint64_t rng = 0x243f6a8885a308d3ull;
static unsigned long n_same, n_null;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Bytes of any kind: printable, controls, quotes, UTF-8 (valid or not). */
static size_t rnd_bytes(char *o, size_t max)
{
	static const char *const picks[] = {"\0",
	                                    "\x01",
	                                    "\n",
	                                    "\t",
	                                    "\"",
	                                    "\\",
	                                    "=",
	                                    " ",
	                                    "/",
	                                    "\x7f",
	                                    "\xc3\xa9",
	                                    "\xe2\x80\xa8",
	                                    "\xf0\x9f\x98\x80",
	                                    "\x80",
	                                    "\xc0\xaf",
	                                    "\xed\xa0\x80",
	                                    "\xff",
	                                    "\xe2\x82"};
	size_t n = 0, k = rnd(12);

	for (size_t i = 0; i < k; i++) {
		const char *p = picks[rnd(sizeof(picks) / sizeof(picks[0]))];
		size_t l = *p ? strlen(p) : 1;

		if (rnd(3) != 0) {
			p = "aZ09._:@+,-";
			p += rnd(11);
			l = 1;
		}
		if (n + l > max)
			break;
		memcpy(o + n, p, l);
		n += l;
	}
	return n;
}

static json_t *rnd_value(int depth);

/* A key the daemon could never write, or one of its own names. */
static void rnd_key(char *o, size_t *n)
{
	static const char *const names[] = {
	    "seq",  "time", "event",  "prev",    "hash",       "request",
	    "id",   "a",    "_hash",  "seq\0x",  "request\0y", "event\0z",
	    "a\0b", "a\0c", "hash\0", "id\0\xff"};
	static const size_t lens[] = {3, 4, 5, 4, 4, 7, 2, 1,
	                              5, 5, 9, 7, 3, 3, 5, 4};

	if (rnd(2) == 0) {
		uint32_t i = rnd(sizeof(lens) / sizeof(lens[0]));

		memcpy(o, names[i], lens[i]);
		*n = lens[i];
		return;
	}
	*n = rnd_bytes(o, 40);
}

static json_t *rnd_object(int depth, uint32_t max)
{
	json_t *o = json_object();

	for (uint32_t i = rnd(max); i > 0; i--) {
		char k[64];
		size_t n;

		rnd_key(k, &n);
		/* nocheck: keys jansson itself would refuse are possible too */
		json_object_setn_new_nocheck(o, k, n, rnd_value(depth + 1));
	}
	return o;
}

static json_t *rnd_value(int depth)
{
	static const json_int_t ints[] = {0,         1,         -1,          9,
	                                  INT64_MAX, INT64_MIN, 4294967296LL};
	char b[64];
	json_t *v;

	switch (rnd(depth > 2 ? 6 : 8)) {
	case 0:
		return json_integer(ints[rnd(sizeof(ints) / sizeof(ints[0]))]);
	case 1:
		return json_integer((json_int_t)rnd(100000) - 50000);
	case 2:
		return rnd(2) ? json_true() : json_false();
	case 3:
		return rnd(2) ? json_null() : json_real(rnd(9999) / 7.0);
	case 4:
	case 5:
		return json_stringn_nocheck(b, rnd_bytes(b, sizeof(b)));
	case 6:
		v = json_array();
		for (uint32_t i = rnd(4); i > 0; i--)
			json_array_append_new(v, rnd_value(depth + 1));
		return v;
	default:
		return rnd_object(depth, 4);
	}
}

/* journal_syslog() before ad_evidence_kv_daemon, line for line. */
static char *old_line(const json_t *rec, uint64_t seq, const char *hash)
{
	json_t *s = json_object();
	const char *k;
	json_t *v;
	char *line;

	assert_non_null(s);
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

static void check(const json_t *rec, uint64_t seq, const char *hash)
{
	char *a = old_line(rec, seq, hash);
	char *b = ad_evidence_kv_daemon(rec, seq, hash);

	if (a == NULL) {
		assert_null(b);
		n_null++;
	} else {
		assert_non_null(b);
		assert_string_equal(b, a);
		n_same++;
	}
	free(a);
	free(b);
}

static uint64_t rnd_seq(void)
{
	static const uint64_t seqs[] = {
	    0, 1, 2, 9, 10, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX};

	if (rnd(4) == 0)
		return seqs[rnd(sizeof(seqs) / sizeof(seqs[0]))];
	return rnd(1000000);
}

static const char *rnd_hash(void)
{
	static const char *const hashes[] = {
	    NULL,
	    "",
	    "00ff",
	    "a b",
	    "\xff\xfe",
	    "\xc3\xa9",
	    "\"x\"",
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"};

	return hashes[rnd(sizeof(hashes) / sizeof(hashes[0]))];
}

/* A record as the daemon writes one, plus random extra keys. */
static json_t *rnd_record(void)
{
	json_t *rec = rnd(8) ? json_pack("{s:s, s:s, s:s, s:I}", "event",
	                                 rnd(2) ? "request" : "consume", "id",
	                                 "R-7F3A-9C21", "user", "alice", "n",
	                                 (json_int_t)rnd(100))
	                     : json_object();
	json_t *extra = rnd_object(0, 10);
	const char *k;
	json_t *v;

	json_object_foreach(extra, k, v)
	{
		size_t n = json_object_iter_key_len(json_object_key_to_iter(k));

		json_object_setn_nocheck(rec, k, n, v);
	}
	if (rnd(3) == 0)
		json_object_set_new(rec, "request", rnd_object(1, 6));
	json_decref(extra);
	return rec;
}

static void test_random(void **state)
{
	(void)state;
	for (int i = 0; i < 100000; i++) {
		json_t *rec = rnd_record();

		check(rec, rnd_seq(), rnd_hash());
		json_decref(rec);
	}
	print_message("random records: %lu identical lines, %lu both NULL\n",
	              n_same, n_null);
	assert_true(n_same > 50000);
	assert_true(n_null > 100);
}

/* Keys equal up to a NUL collapse into one (json_loads refuses them). */
static void check_nul_keys(void)
{
	static const struct {
		const char *k;
		size_t n;
	} sets[][3] = {
	    {{"a\0b", 3}, {"a", 1}, {"a\0c", 3}},
	    {{"a", 1}, {"a\0b", 3}, {"a\0c", 3}},
	    {{"seq\0x", 5}, {"event\0y", 7}, {"seq", 3}},
	    {{"request\0y", 9}, {"x", 1}, {"hash\0", 5}},
	    {{"time\0", 5}, {"prev\0p", 6}, {"id\0\xff", 4}},
	};

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		json_t *rec = json_object();

		for (size_t j = 0; j < 3; j++)
			json_object_setn_new(rec, sets[i][j].k, sets[i][j].n,
			                     json_integer((json_int_t)j + 1));
		check(rec, 3, "abcd");
		check(rec, (uint64_t)INT64_MAX + 1, NULL);
		json_decref(rec);
	}
}

/* Hand-picked records: the collapsing rules one by one. */
static void test_edges(void **state)
{
	static const char *const recs[] = {
	    "{}",
	    "{\"event\": \"request\"}",
	    "{\"seq\": 5, \"event\": \"x\"}",
	    "{\"seq\": -5}",
	    "{\"seq\": \"7\"}",
	    "{\"seq\": 9223372036854775807}",
	    "{\"request\": {\"a\": 1}, \"event\": \"request\", \"id\": \"R\"}",
	    "{\"hash\": \"forged\", \"_hash\": 1, \"time\": 2, \"prev\": 3}",
	    "{\"a\": [1, {\"b\": null}], \"r\": 1.5, \"t\": true, \"e\": \"\"}",
	    "{\"k\": \"a\\u0000b\", \"n\": \"\\n\\\"=\"}",
	};
	const uint64_t seqs[] = {0, 3, (uint64_t)INT64_MAX + 1, UINT64_MAX};

	(void)state;
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		json_error_t je;
		json_t *rec = json_loads(recs[i], JSON_ALLOW_NUL, &je);

		assert_non_null(rec);
		for (size_t j = 0; j < sizeof(seqs) / sizeof(seqs[0]); j++) {
			check(rec, seqs[j], "abcd");
			check(rec, seqs[j], NULL);
			check(rec, seqs[j], "\xff");
		}
		json_decref(rec);
	}
	check_nul_keys();
}

/* Keys and values jansson refuses (not UTF-8), set around its checks. */
static void test_invalid_utf8(void **state)
{
	json_t *rec = json_pack("{s:s}", "event", "request");
	json_t *a = json_array();

	(void)state;
	json_object_setn_new_nocheck(rec, "k\xff", 2, json_integer(1));
	json_object_setn_new_nocheck(rec, "\xc3\xa9", 2, json_integer(2));
	json_object_setn_new_nocheck(rec, "seq\0\xff", 5, json_integer(4));
	check(rec, 1, "00");
	json_object_set_new(rec, "v", json_stringn_nocheck("\xe2\x82", 2));
	check(rec, 1, "00"); /* a bad string is escaped, not dumped */
	json_array_append_new(a, json_stringn_nocheck("\xe2\x82", 2));
	json_object_set_new(rec, "arr", a);
	check(rec, 1, "00"); /* not dumpable: both NULL */
	json_decref(rec);
}

/* Every byte value, in a value alone, inside a value and in a key (bytes
 * >= 0x80 inside valid UTF-8 sequences, else the key is dropped). */
static void test_all_bytes(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		json_t *rec = json_pack("{s:s}", "event", "x");
		char one = (char)c, mid[3] = {'a', (char)c, 'b'}, key[6];
		size_t kn;

		json_object_set_new(rec, "v", json_stringn_nocheck(&one, 1));
		json_object_set_new(rec, "w", json_stringn_nocheck(mid, 3));
		if (c < 0x80) {
			memcpy(key, mid, 3);
			kn = 3;
		} else if (c < 0xc0) { /* continuation byte */
			key[0] = (char)0xc2;
			key[1] = (char)c;
			kn = 2;
		} else if (c < 0xe0) {
			key[0] = (char)(c < 0xc2 ? 0xc2 : c);
			key[1] = (char)0x80;
			kn = 2;
		} else if (c < 0xf0) {
			key[0] = (char)c;
			key[1] = (char)(c == 0xe0 ? 0xa0 : 0x80);
			key[2] = (char)0x80;
			kn = 3;
		} else {
			key[0] = (char)(c > 0xf4 ? 0xf4 : c);
			key[1] = (char)(c == 0xf0 ? 0x90 : 0x80);
			key[2] = key[3] = (char)0x80;
			kn = 4;
		}
		json_object_setn_new_nocheck(rec, key, kn, json_integer(c));
		check(rec, c, "ab");
		json_decref(rec);
	}
}

/* Not an object: the copy held seq alone. */
static void test_not_object(void **state)
{
	json_t *arr = json_pack("[i]", 1), *str = json_string("x");

	(void)state;
	check(NULL, 4, "ab");
	check(arr, 4, "ab");
	check(str, 0, NULL);
	json_decref(arr);
	json_decref(str);
}

/* Big values: long strings, and a nested value past the 16 MiB dump cap. */
static void test_size_caps(void **state)
{
	size_t big = ((size_t)1 << 24) + 16;
	char *s = malloc(big + 1);
	json_t *rec = json_pack("{s:s}", "event", "request");

	(void)state;
	assert_non_null(s);
	memset(s, 'x', big);
	s[big] = '\0';
	json_object_set_new(rec, "reason", json_stringn(s, 70000));
	check(rec, 2, "ff");
	s[5] = '"';
	json_object_set_new(rec, "reason", json_stringn(s, 70000));
	check(rec, 2, "ff");
	json_object_set_new(rec, "argv", json_pack("[s]", s));
	check(rec, 2, "ff"); /* past the cap: both NULL */
	free(s);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_all_bytes),
	    cmocka_unit_test(test_not_object),
	    cmocka_unit_test(test_size_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
