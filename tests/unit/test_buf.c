/* test_buf.c — the bounded buffer for untrusted bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "error.h"

static void test_roundtrip(void **state)
{
	struct ad_buf b;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	char *s = NULL;
	const uint8_t *p;
	size_t n;

	ad_buf_init(&b, 1024);
	assert_int_equal(ad_buf_put_u8(&b, 0xab), AD_OK);
	assert_int_equal(ad_buf_put_u32(&b, 0x01020304), AD_OK);
	assert_int_equal(ad_buf_put_u64(&b, 0x1122334455667788ULL), AD_OK);
	assert_int_equal(ad_buf_put_cstring(&b, "hello"), AD_OK);
	assert_int_equal(ad_buf_put_string(&b, "\0\1", 2), AD_OK);
	assert_int_equal(ad_buf_put_cstring(&b, ""), AD_OK);
	assert_int_equal(ad_buf_avail(&b), 1 + 4 + 8 + 9 + 6 + 4);
	/* big-endian on the wire */
	assert_memory_equal(ad_buf_ptr(&b) + 1, "\x01\x02\x03\x04", 4);
	assert_int_equal(ad_buf_get_u8(&b, &u8), AD_OK);
	assert_int_equal(u8, 0xab);
	assert_int_equal(ad_buf_get_u32(&b, &u32), AD_OK);
	assert_int_equal(u32, 0x01020304);
	assert_int_equal(ad_buf_get_u64(&b, &u64), AD_OK);
	assert_true(u64 == 0x1122334455667788ULL);
	assert_int_equal(ad_buf_get_cstring(&b, &s, 64), AD_OK);
	assert_string_equal(s, "hello");
	free(s);
	assert_int_equal(ad_buf_get_string_direct(&b, &p, &n, 64), AD_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(p, "\0\1", 2);
	assert_int_equal(ad_buf_get_cstring(&b, &s, 64), AD_OK);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(ad_buf_avail(&b), 0);
	ad_buf_free(&b);
	assert_null(b.data);
}

static void test_hard_max(void **state)
{
	struct ad_buf b;
	uint8_t big[100];

	memset(big, 'x', sizeof(big));
	ad_buf_init(&b, 10);
	assert_int_equal(ad_buf_put(&b, big, 10), AD_OK);
	assert_int_equal(ad_buf_put_u8(&b, 1), AD_ERR_TOOBIG);
	assert_int_equal(b.len, 10);
	assert_true(b.cap <= 10);
	ad_buf_reset(&b);
	assert_int_equal(ad_buf_avail(&b), 0);
	assert_int_equal(ad_buf_put(&b, big, 11), AD_ERR_TOOBIG);
	assert_int_equal(b.len, 0);
	/* a string that does not fit writes nothing, not even its length */
	assert_int_equal(ad_buf_put_string(&b, big, 7), AD_ERR_TOOBIG);
	assert_int_equal(b.len, 0);
	/* overflow-safe: a huge n cannot wrap len + n */
	assert_int_equal(ad_buf_put(&b, big, SIZE_MAX), AD_ERR_TOOBIG);
	assert_int_equal(ad_buf_put_string(&b, big, SIZE_MAX - 2),
			 AD_ERR_TOOBIG);
	ad_buf_free(&b);

	ad_buf_init(&b, 1 << 20);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ad_buf_put(&b, big, sizeof(big)), AD_OK);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap <= (1 << 20));
	ad_buf_free(&b);
}

static void test_get_truncated_zeroes(void **state)
{
	static const uint8_t raw[] = {1, 2, 3};
	struct ad_buf b;
	uint32_t u32 = 0xdeadbeef;
	uint64_t u64 = 77;
	uint8_t out[8];
	char *s = (char *)0x1;
	const uint8_t *p = raw;
	size_t n = 9;

	ad_buf_from(&b, raw, sizeof(raw));
	assert_int_equal(ad_buf_get_u32(&b, &u32), AD_ERR_TRUNCATED);
	assert_int_equal(u32, 0);
	assert_int_equal(ad_buf_get_u64(&b, &u64), AD_ERR_TRUNCATED);
	assert_true(u64 == 0);
	memset(out, 0xff, sizeof(out));
	assert_int_equal(ad_buf_get(&b, out, 4), AD_ERR_TRUNCATED);
	assert_memory_equal(out, "\0\0\0\0", 4);
	assert_int_equal(ad_buf_get_cstring(&b, &s, 10), AD_ERR_TRUNCATED);
	assert_null(s);
	assert_int_equal(ad_buf_get_string_direct(&b, &p, &n, 10),
			 AD_ERR_TRUNCATED);
	assert_null(p);
	assert_int_equal(n, 0);
	assert_int_equal(ad_buf_avail(&b), 3); /* nothing consumed */
	assert_int_equal(ad_buf_get(&b, out, 3), AD_OK);
	assert_memory_equal(out, raw, 3);
	/* read-only buffers cannot be written */
	assert_int_equal(ad_buf_put_u8(&b, 1), AD_ERR_INVALID);
	ad_buf_free(&b);
}

static void test_cstring_rules(void **state)
{
	struct ad_buf b;
	char *s = NULL;
	const uint8_t *p;
	size_t n;

	ad_buf_init(&b, 256);
	assert_int_equal(ad_buf_put_string(&b, "ab\0cd", 5), AD_OK);
	assert_int_equal(ad_buf_get_cstring(&b, &s, 64), AD_ERR_INVALID);
	assert_null(s);
	assert_int_equal(ad_buf_avail(&b), 9); /* not consumed */
	/* the direct form hands out bytes, NUL allowed */
	assert_int_equal(ad_buf_get_string_direct(&b, &p, &n, 64), AD_OK);
	assert_int_equal(n, 5);
	ad_buf_reset(&b);
	assert_int_equal(ad_buf_put_cstring(&b, "abcdef"), AD_OK);
	assert_int_equal(ad_buf_get_cstring(&b, &s, 5), AD_ERR_TOOBIG);
	assert_null(s);
	assert_int_equal(ad_buf_get_string_direct(&b, &p, &n, 5),
			 AD_ERR_TOOBIG);
	assert_int_equal(ad_buf_get_cstring(&b, &s, 6), AD_OK);
	assert_string_equal(s, "abcdef");
	free(s);
	ad_buf_free(&b);
}

static void test_length_lies(void **state)
{
	/* declared length 0xffffffff with 2 bytes behind it */
	static const uint8_t raw[] = {0xff, 0xff, 0xff, 0xff, 'a', 'b'};
	static const uint8_t raw2[] = {0, 0, 0, 3, 'a', 'b'};
	struct ad_buf b;
	char *s = NULL;

	ad_buf_from(&b, raw, sizeof(raw));
	assert_int_equal(ad_buf_get_cstring(&b, &s, SIZE_MAX), AD_ERR_TRUNCATED);
	assert_null(s);
	ad_buf_from(&b, raw2, sizeof(raw2));
	assert_int_equal(ad_buf_get_cstring(&b, &s, 100), AD_ERR_TRUNCATED);
	assert_null(s);
}

static void test_wipe_on_reset(void **state)
{
	struct ad_buf b;
	const uint8_t *d;

	ad_buf_init(&b, 64);
	assert_int_equal(ad_buf_put(&b, "secret", 6), AD_OK);
	d = b.data;
	ad_buf_reset(&b);
	assert_ptr_equal(b.data, d); /* memory kept */
	assert_memory_equal(d, "\0\0\0\0\0\0", 6); /* and wiped */
	ad_buf_free(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	ad_buf_free(&b); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_hard_max),
		cmocka_unit_test(test_get_truncated_zeroes),
		cmocka_unit_test(test_cstring_rules),
		cmocka_unit_test(test_length_lies),
		cmocka_unit_test(test_wipe_on_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
