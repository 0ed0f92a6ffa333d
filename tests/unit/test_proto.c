/* test_proto.c — framing and message helpers of common/proto.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "error.h"
#include "evidence_int.h"
#include "proto.h"
#include "utf8_put.h"

static void test_frame_len(void **state)
{
	uint8_t zero[4] = {0, 0, 0, 0}, top[4] = {0x80, 0, 0, 5};
	uint8_t big[4] = {0, 4, 0, 1}, ok[4] = {0, 4, 0, 0};
	uint32_t n = 99;

	(void)state;
	assert_int_equal(ad_frame_len(&n, zero, AD_FRAME_MAX), AD_ERR_PROTO);
	assert_int_equal(n, 0);
	assert_int_equal(ad_frame_len(&n, top, AD_FRAME_MAX), AD_ERR_PROTO);
	assert_int_equal(ad_frame_len(&n, big, AD_FRAME_MAX), AD_ERR_TOOBIG);
	assert_int_equal(ad_frame_len(&n, ok, AD_FRAME_MAX), 0);
	assert_int_equal(n, 262144);
}

static void test_roundtrip(void **state)
{
	struct ad_buf b;
	json_t *m = ad_msg_new("status"), *out = NULL;
	uint32_t n;
	char err[128];

	(void)state;
	json_object_set_new(m, "id", json_string("R-0000-0001"));
	ad_buf_init(&b, 1024);
	assert_int_equal(ad_frame_encode(&b, m, AD_FRAME_MAX), 0);
	assert_int_equal(ad_frame_len(&n, b.data, AD_FRAME_MAX), 0);
	assert_int_equal(n, b.len - 4);
	assert_int_equal(ad_frame_decode(&out, b.data + 4, n, err, sizeof(err)), 0);
	assert_true(json_equal(m, out));
	json_decref(out);
	/* a cap smaller than the message refuses it */
	ad_buf_reset(&b);
	assert_int_equal(ad_frame_encode(&b, m, 10), AD_ERR_TOOBIG);
	json_decref(m);
	ad_buf_free(&b);
}

static void expect_bad(const char *text, const char *why)
{
	json_t *out = (json_t *)1;
	char err[160] = "";

	assert_int_equal(ad_frame_decode(&out, (const uint8_t *)text,
					 strlen(text), err, sizeof(err)),
			 AD_ERR_PROTO);
	assert_null(out);
	assert_non_null(strstr(err, why));
}

static void test_decode_errors(void **state)
{
	(void)state;
	expect_bad("{\"v\":", "bad JSON");
	expect_bad("[1,2]", "not an object");
	expect_bad("{\"v\":2,\"op\":\"x\"}", "'v'");
	expect_bad("{\"op\":\"x\"}", "'v'");
	expect_bad("{\"v\":\"1\"}", "'v'");
	expect_bad("{\"v\":1,\"v\":1}", "bad JSON");
	expect_bad("{\"v\":1,\"op\":\"a\\u0000b\"}", "bad JSON");
	expect_bad("{\"v\":1} trailing", "bad JSON");
}

/*
 * Frames in canonical form (what approverd's own encoder writes) are built
 * straight from their bytes; every other frame goes through json_loadb.
 * Whichever path a frame takes, the tree must be json_loadb's: the same
 * values, the same key order, the same refusals.
 */
static json_t *jansson_tree(const char *t, size_t n)
{
	json_t *j = json_loadb(t, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *v = j ? json_object_get(j, "v") : NULL;

	if (j == NULL || !json_is_object(j) || !json_is_integer(v) ||
	    json_integer_value(v) != AD_PROTO_VERSION) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static void same_as_jansson(const char *t, size_t n)
{
	json_t *out = NULL, *j = jansson_tree(t, n);
	char err[160] = "", *a, *b;
	int rc = ad_frame_decode(&out, (const uint8_t *)t, n, err, sizeof(err));

	if (j == NULL) {
		if (rc != AD_ERR_PROTO)
			fail_msg("accepted what json_loadb refuses: %.*s", (int)n, t);
		assert_null(out);
		return;
	}
	if (rc != 0)
		fail_msg("refused (%s) what json_loadb accepts: %.*s", err, (int)n, t);
	assert_true(json_equal(out, j));
	a = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
	b = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b); /* the key order too */
	free(a);
	free(b);
	json_decref(out);
	json_decref(j);
}

/* 1 if ad_frame_decode builds t from its bytes (the scanner accepts it
 * and the builder succeeds), 0 if json_loadb decodes it. */
static int built(const char *t, size_t n)
{
	struct ad_ev_fast f;
	json_t *b;

	if (!ad_ev_canon_fast(t, n, &f))
		return 0;
	b = ad_ev_canon_build(t, n);
	json_decref(b);
	return b != NULL;
}

/* 1 if t is canonical: json_dumps of json_loadb's tree gives it back. */
static int is_canonical(const char *t, size_t n)
{
	json_t *j = json_loadb(t, n, JSON_REJECT_DUPLICATES, NULL);
	char *d = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	int ok = d != NULL && strlen(d) == n && memcmp(d, t, n) == 0;

	free(d);
	json_decref(j);
	return ok;
}

/* {"v":1,"d":<depth nested arrays around 1>} */
static size_t nested(char *out, size_t cap, int depth)
{
	size_t n = (size_t)snprintf(out, cap, "{\"v\":1,\"d\":");

	for (int i = 0; i < depth; i++)
		out[n++] = '[';
	out[n++] = '1';
	for (int i = 0; i < depth; i++)
		out[n++] = ']';
	out[n++] = '}';
	out[n] = '\0';
	return n;
}

/* {"v":1,"k1":1,...} with nkeys keys in all */
static size_t many_keys(char *out, size_t cap, int nkeys)
{
	size_t n = (size_t)snprintf(out, cap, "{\"v\":1");

	for (int k = 1; k < nkeys; k++)
		n += (size_t)snprintf(out + n, cap - n, ",\"k%d\":%d", k, k);
	n += (size_t)snprintf(out + n, cap - n, "}");
	return n;
}

enum path { BUILT, CANON_JANSSON, OTHER };

static void check_path(const char *t, size_t n, enum path want)
{
	int b = built(t, n), c = is_canonical(t, n);
	unsigned long before = ad_frame_built_count();

	if ((want == BUILT) != b)
		fail_msg("%s: %.*s", b ? "built, expected json_loadb"
				       : "json_loadb, expected built", (int)n, t);
	if ((want != OTHER) != c)
		fail_msg("%s: %.*s", c ? "canonical, listed as not"
				       : "not canonical, listed as canonical",
			 (int)n, t);
	same_as_jansson(t, n);
	/* ...and ad_frame_decode took that path (one decode in there) */
	if (ad_frame_built_count() - before != (want == BUILT))
		fail_msg("ad_frame_decode %s: %.*s",
			 want == BUILT ? "did not build it" : "built it",
			 (int)n, t);
}

static void test_decode_paths(void **state)
{
	static const struct {
		enum path path;
		const char *t;
	} frames[] = {
		{BUILT, "{\"v\":1}"},
		{BUILT,
		 ("{\"v\":1,\"op\":\"create\",\"argv\":[\"/usr/bin/true\",\"a b\","
		  "\"\\u00E9\\u4E2D\\uD83D\\uDE00\"],\"n\":-9223372036,\"t\":true,"
		  "\"f\":false,\"z\":null,\"o\":{},\"a\":[],\"e\":\"\\\"\\\\\\b\\f"
		  "\\n\\r\\t\\u0001\\u001F\x7f\"}")},
		{BUILT, "{\"z\":1,\"a\":2,\"v\":1}"},
		{BUILT, "{\"v\":1,\"k\":\"\",\"\":2,\"o\":{\"\":{}}}"},
		{BUILT, "{\"v\":1,\"a\":999999999999999999,\"b\":-999999999999999999}"},
		{BUILT, "{\"v\":true}"}, /* built, then refused: 'v' */
		{BUILT, "{\"V\":1}"},
		/* canonical, but past the builder's limits: jansson decodes */
		{CANON_JANSSON, "{\"v\":1,\"big\":1000000000000000000}"},
		{CANON_JANSSON, "{\"v\":1,\"neg\":-9223372036854775808}"},
		{CANON_JANSSON, "{\"v\":1,\"r\":1.5}"},
		/* not canonical (or not valid): jansson decides */
		{OTHER, "{ \"v\" : 1 }"},
		{OTHER, "{\"v\":1,\"s\":\"\\u00e9\\/\"}"},
		{OTHER, "{\"v\":1,\"s\":\"\\u007F\"}"},
		{OTHER, "{\"v\":1,\"s\":\"\xc3\xa9\"}"},
		{OTHER, "{\"v\":1,\"n\":-0}"},
		{OTHER, "{\"v\":01}"},
		{OTHER, "{\"v\":1,\"big\":12345678901234567890}"},
		{OTHER, "{\"v\":1,\"s\":\"\\u0000\"}"},
		{OTHER, "{\"v\":1,\"s\":\"\\ud800\"}"},
		{OTHER, "{\"v\":1,\"s\":\"\\uDC00\"}"},
		{OTHER, "{\"v\":1,\"s\":\"a\xff\"}"},
		{OTHER, "{\"v\":1,\"o\":{\"k\":1,\"k\":2}}"},
		{OTHER, "{\"v\":1,\"o\":{\"k\":1},\"o\":{\"k\":1}}"},
		{OTHER, "{\"v\":1,\"s\":\"\x01\"}"},
		{OTHER, "{\"v\":1,}"},
		{OTHER, "{\"v\":1}x"},
		{OTHER, "{\"v\":1}\n"},
		{CANON_JANSSON, "[{\"v\":1}]"}, /* not an object */
		{OTHER, ""},
	};
	char buf[8192];

	(void)state;
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		check_path(frames[i].t, strlen(frames[i].t), frames[i].path);
	/* nesting: the object and 31 arrays are built; one more is not */
	check_path(buf, nested(buf, sizeof(buf), 31), BUILT);
	check_path(buf, nested(buf, sizeof(buf), 32), CANON_JANSSON);
	check_path(buf, nested(buf, sizeof(buf), 40), CANON_JANSSON);
	/* keys: 64 are built, 65 are not */
	check_path(buf, many_keys(buf, sizeof(buf), 64), BUILT);
	check_path(buf, many_keys(buf, sizeof(buf), 65), CANON_JANSSON);
	check_path(buf, many_keys(buf, sizeof(buf), 200), CANON_JANSSON);
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static json_t *rnd_string(void)
{
	char s[64];
	size_t n = 0, want = rnd(8);

	while (want-- > 0 && n + 4 < sizeof(s)) {
		uint32_t c;

		switch (rnd(4)) {
		case 0: c = 1 + rnd(0x7f); break;
		case 1: c = 0x20 + rnd(0x60); break;
		case 2: c = 0x80 + rnd(0xd800 - 0x80); break;
		default: c = 0xe000 + rnd(0x110000 - 0xe000); break;
		}
		n += utf8_put(s + n, c);
	}
	return json_stringn(s, n);
}

static json_t *rnd_value(int depth);

/* n members with random keys and values of the given depth, added to o */
static void rnd_members(json_t *o, uint32_t n, int depth)
{
	for (; n > 0; n--) {
		json_t *k = rnd_string();

		json_object_setn_new(o, json_string_value(k), json_string_length(k),
				     rnd_value(depth));
		json_decref(k);
	}
}

static json_t *rnd_value(int depth)
{
	switch (rnd(depth > 3 ? 5 : 7)) {
	case 0: return rnd_string();
	case 1: return json_integer((json_int_t)rnd(1000) - 500);
	case 2:
		return json_integer((json_int_t)(((uint64_t)rnd(1u << 31) << 32) |
						 rnd(1u << 31)));
	case 3: return json_boolean(rnd(2));
	case 4: return json_null();
	case 5: {
		json_t *a = json_array();
		for (uint32_t i = rnd(4); i > 0; i--)
			json_array_append_new(a, rnd_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();

		rnd_members(o, rnd(5), depth + 1);
		return o;
	}
	}
}

/* 3,000 random messages as the encoder writes them (the built path), and
 * each again with a space after its first ':' (jansson's path). */
static void test_decode_random(void **state)
{
	struct ad_buf b;
	uint32_t n;
	unsigned long seen, one, nbuilt = 0;

	(void)state;
	ad_buf_init(&b, AD_FRAME_MAX);
	for (int i = 0; i < 3000; i++) {
		json_t *m = ad_msg_new("x"), *out = NULL;
		char err[160], *sp;

		rnd_members(m, rnd(6), 1);
		json_object_set_new(m, "v", json_integer(AD_PROTO_VERSION));
		ad_buf_reset(&b);
		assert_int_equal(ad_frame_encode(&b, m, AD_FRAME_MAX), 0);
		assert_int_equal(ad_frame_len(&n, b.data, AD_FRAME_MAX), 0);
		seen = ad_frame_built_count();
		assert_int_equal(ad_frame_decode(&out, b.data + 4, n, err,
						 sizeof(err)), 0);
		/* decoded by the builder exactly when the frame qualifies */
		one = (unsigned long)built((const char *)b.data + 4, n);
		assert_int_equal(ad_frame_built_count() - seen, one);
		nbuilt += one;
		assert_true(json_equal(m, out));
		json_decref(out);
		same_as_jansson((const char *)b.data + 4, n);
		sp = malloc(n + 2);
		assert_non_null(sp);
		memcpy(sp, b.data + 4, n);
		char *colon = memchr(sp, ':', n);
		assert_non_null(colon);
		memmove(colon + 2, colon + 1, n - (size_t)(colon + 1 - sp));
		colon[1] = ' ';
		seen = ad_frame_built_count();
		same_as_jansson(sp, n + 1);
		assert_int_equal(ad_frame_built_count() - seen, 0); /* spaced */
		free(sp);
		json_decref(m);
	}
	/* most encoder output is built; long integers (19 digits) are not */
	if (nbuilt < 2000)
		fail_msg("only %lu of 3000 encoded messages were built", nbuilt);
	ad_buf_free(&b);
}

static void test_status(void **state)
{
	json_t *ok = ad_msg_ok(), *e = ad_msg_error(AD_ERR_SELF_APPROVAL, "a\nb");
	json_t *junk = json_pack("{s:b, s:s}", "ok", 0, "error", "no-such");
	json_t *none = json_object();
	char msg[64];

	(void)state;
	assert_int_equal(ad_msg_status(ok, msg, sizeof(msg)), 0);
	assert_int_equal(ad_msg_status(e, msg, sizeof(msg)), AD_ERR_SELF_APPROVAL);
	assert_string_equal(msg, "a\\nb"); /* control chars escaped */
	assert_int_equal(ad_msg_status(junk, NULL, 0), AD_ERR_PROTO);
	assert_int_equal(ad_msg_status(none, NULL, 0), AD_ERR_PROTO);
	for (int c = -1; c >= AD_ERR_NOSPACE; c--)
		assert_int_equal(ad_errcode(ad_errname(c)), c);
	assert_int_equal(ad_errcode("ok"), AD_OK);
	assert_int_equal(ad_errcode("unknown"), AD_ERR_PROTO);
	json_decref(ok);
	json_decref(e);
	json_decref(junk);
	json_decref(none);
}

static void test_decision(void **state)
{
	struct ad_decision d = {.state = AD_STATE_APPROVED, .not_after = 42,
				.expires = 7};
	struct ad_decision back;
	json_t *o = json_object();

	(void)state;
	strcpy(d.id, "R-1234-ABCD");
	d.rule = strdup("restart-web");
	d.requires = strdup("1 approval from role sre");
	d.approvers = strdup("alice,bob");
	d.reason = strdup("");
	assert_int_equal(ad_decision_to_json(o, &d), 0);
	assert_int_equal(json_array_size(json_object_get(o, "approvers")), 2);
	assert_int_equal(ad_decision_from_json(&back, o), 0);
	assert_string_equal(back.id, d.id);
	assert_int_equal(back.state, AD_STATE_APPROVED);
	assert_string_equal(back.rule, "restart-web");
	assert_string_equal(back.approvers, "alice,bob");
	assert_int_equal(back.not_after, 42);
	assert_int_equal(back.expires, 7);
	ad_decision_free(&back);
	/* unknown state, control chars, wrong types, missing id: refused */
	json_object_set_new(o, "state", json_string("approvedish"));
	assert_int_equal(ad_decision_from_json(&back, o), AD_ERR_PROTO);
	json_object_set_new(o, "state", json_string("pending"));
	json_object_set_new(o, "approvers", json_pack("[s]", "al\nice"));
	assert_int_equal(ad_decision_from_json(&back, o), AD_ERR_PROTO);
	json_object_set_new(o, "approvers", json_pack("[i]", 5));
	assert_int_equal(ad_decision_from_json(&back, o), AD_ERR_PROTO);
	json_object_set_new(o, "approvers", json_array());
	json_object_set_new(o, "not_after", json_integer(-1));
	assert_int_equal(ad_decision_from_json(&back, o), AD_ERR_PROTO);
	json_object_set_new(o, "not_after", json_integer(1));
	json_object_set_new(o, "id", json_string("R-\x01"));
	assert_int_equal(ad_decision_from_json(&back, o), AD_ERR_PROTO);
	json_object_del(o, "id");
	assert_int_equal(ad_decision_from_json(&back, o), AD_ERR_PROTO);
	assert_null(back.rule);
	ad_decision_free(&d);
	json_decref(o);
}

static void test_json_getters(void **state)
{
	json_t *o = json_pack("{s:s, s:i, s:i, s:s#}", "s", "abc", "n", 5,
			      "neg", -1, "nul", "a\0b", (size_t)3);
	const char *s;
	uint64_t v;

	(void)state;
	assert_int_equal(ad_json_str(&s, o, "s", 3), 0);
	assert_string_equal(s, "abc");
	assert_int_equal(ad_json_str(&s, o, "s", 2), AD_ERR_TOOBIG);
	assert_int_equal(ad_json_str(&s, o, "n", 9), AD_ERR_PROTO);
	assert_int_equal(ad_json_str(&s, o, "missing", 9), AD_ERR_NOTFOUND);
	assert_int_equal(ad_json_str(&s, o, "nul", 9), AD_ERR_PROTO);
	assert_null(s);
	assert_int_equal(ad_json_u64(&v, o, "n"), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ad_json_u64(&v, o, "neg"), AD_ERR_PROTO);
	assert_int_equal(ad_json_u64(&v, o, "s"), AD_ERR_PROTO);
	json_decref(o);
}

static void test_client_args(void **state)
{
	struct ad_client *c = (struct ad_client *)1;

	(void)state;
	assert_int_equal(ad_client_connect(&c, "relative.sock", 100), AD_ERR_INVALID);
	assert_null(c);
	assert_int_equal(ad_client_connect(&c, "/nonexistent/dir/sock", 100),
			 AD_ERR_CONNECT);
	assert_null(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_len),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_decode_paths),
		cmocka_unit_test(test_decode_random),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_decision),
		cmocka_unit_test(test_json_getters),
		cmocka_unit_test(test_client_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
