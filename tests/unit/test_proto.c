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
#include "proto.h"

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
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_decision),
		cmocka_unit_test(test_json_getters),
		cmocka_unit_test(test_client_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
