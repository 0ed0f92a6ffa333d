/* test_canon.c — the canonical encoding's exact bytes and separation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "canon.h"
#include "error.h"

static void test_exact_bytes(void **state)
{
	static const uint8_t want[] = {
	    0,    0,    0,    1,    'D',                  /* domain */
	    0,    0,    0,    2,    'h', 'i',             /* string */
	    0x01, 0x02, 0x03, 0x04,                       /* u32 */
	    0,    0,    0,    0,    0,   0,   0x01, 0x00, /* u64 */
	    0,    0,    0,    2,    0,   0,   0,    1,
	    'a',  0,    0,    0,    0, /* list [a, ""] */
	    0,    0,    0,    0,       /* NULL string = "" */
	};
	char *list[] = {"a", ""};
	struct ad_buf b;
	struct ad_canon c;
	uint8_t d[32], h[32];

	ad_buf_init(&b, 1024);
	ad_canon_init(&c, "D", &b);
	ad_canon_str(&c, "hi");
	ad_canon_u32(&c, 0x01020304);
	ad_canon_u64(&c, 256);
	ad_canon_list(&c, list, 2);
	ad_canon_str(&c, NULL);
	assert_int_equal(ad_canon_final(&c, d), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	/* the digest is BLAKE2b-256 of exactly those bytes */
	crypto_generichash(h, sizeof(h), want, sizeof(want), NULL, 0);
	assert_memory_equal(d, h, 32);
	ad_buf_free(&b);
}

static void digest_of(uint8_t d[32], const char *domain, const char *a,
                      const char *b)
{
	struct ad_canon c;

	ad_canon_init(&c, domain, NULL);
	ad_canon_str(&c, a);
	ad_canon_str(&c, b);
	assert_int_equal(ad_canon_final(&c, d), 0);
}

static void test_separation(void **state)
{
	uint8_t x[32], y[32];

	digest_of(x, "D", "ab", "c");
	digest_of(y, "D", "a", "bc");
	assert_memory_not_equal(x, y, 32);
	digest_of(x, "D", "", "x");
	digest_of(y, "D", "x", "");
	assert_memory_not_equal(x, y, 32);
	/* the domain is a field too: moving bytes into it changes the digest */
	digest_of(x, AD_DOMAIN_EXEC, "a", "b");
	digest_of(y, AD_DOMAIN_REQUEST, "a", "b");
	assert_memory_not_equal(x, y, 32);
	digest_of(x, "Da", "", "b");
	digest_of(y, "D", "a", "b");
	assert_memory_not_equal(x, y, 32);
	/* and the same input gives the same digest */
	digest_of(x, "D", "a", "b");
	digest_of(y, "D", "a", "b");
	assert_memory_equal(x, y, 32);
}

static void test_list_vs_strings(void **state)
{
	char *one[] = {"ab"};
	char *two[] = {"a", "b"};
	struct ad_canon c;
	uint8_t x[32], y[32], z[32];

	ad_canon_init(&c, "D", NULL);
	ad_canon_list(&c, one, 1);
	assert_int_equal(ad_canon_final(&c, x), 0);
	ad_canon_init(&c, "D", NULL);
	ad_canon_list(&c, two, 2);
	assert_int_equal(ad_canon_final(&c, y), 0);
	ad_canon_init(&c, "D", NULL);
	ad_canon_list(&c, NULL, 0);
	assert_int_equal(ad_canon_final(&c, z), 0);
	assert_memory_not_equal(x, y, 32);
	assert_memory_not_equal(x, z, 32);
}

static void test_errors_stick(void **state)
{
	struct ad_canon c;
	struct ad_buf b;
	uint8_t d[32];

	ad_canon_init(&c, "D", NULL);
	ad_canon_list(&c, NULL, 3); /* count without items */
	ad_canon_str(&c, "later");
	assert_int_equal(ad_canon_final(&c, d), AD_ERR_INVALID);
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(d[i], 0);
	/* output buffer cap reached */
	ad_buf_init(&b, 8);
	ad_canon_init(&c, "DOMAIN", &b);
	ad_canon_str(&c, "x");
	assert_int_equal(ad_canon_final(&c, d), AD_ERR_TOOBIG);
	ad_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_bytes),
	    cmocka_unit_test(test_separation),
	    cmocka_unit_test(test_list_vs_strings),
	    cmocka_unit_test(test_errors_stick),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
