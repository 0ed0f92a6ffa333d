/* test_num.c — the checked number and duration parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "num.h"

static void test_u64_valid(void **state)
{
	uint64_t v = 99;

	assert_int_equal(ad_parse_u64(&v, "0", 0, UINT64_MAX), AD_OK);
	assert_true(v == 0);
	assert_int_equal(ad_parse_u64(&v, "12345", 0, UINT64_MAX), AD_OK);
	assert_true(v == 12345);
	assert_int_equal(ad_parse_u64(&v, "18446744073709551615", 0,
				      UINT64_MAX), AD_OK);
	assert_true(v == UINT64_MAX);
	assert_int_equal(ad_parse_u64(&v, "007", 0, 10), AD_OK);
	assert_true(v == 7);
}

static void test_u64_invalid(void **state)
{
	static const char *bad[] = {"", "+1", "-1", " 1", "1 ", "0x10",
				    "1e3", "1.0", "12a", "a", "\t1", "1\n"};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		assert_int_equal(ad_parse_u64(&v, bad[i], 0, UINT64_MAX),
				 AD_ERR_INVALID);
		assert_true(v == 0); /* zeroed on entry */
	}
	v = 42;
	assert_int_equal(ad_parse_u64(&v, NULL, 0, 1), AD_ERR_INVALID);
	assert_true(v == 0);
}

static void test_u64_range(void **state)
{
	uint64_t v = 5;

	assert_int_equal(ad_parse_u64(&v, "18446744073709551616", 0,
				      UINT64_MAX), AD_ERR_RANGE);
	assert_true(v == 0);
	assert_int_equal(ad_parse_u64(&v, "99999999999999999999999", 0,
				      UINT64_MAX), AD_ERR_RANGE);
	assert_int_equal(ad_parse_u64(&v, "9", 10, 20), AD_ERR_RANGE);
	assert_int_equal(ad_parse_u64(&v, "21", 10, 20), AD_ERR_RANGE);
	assert_int_equal(ad_parse_u64(&v, "10", 10, 20), AD_OK);
	assert_true(v == 10);
	assert_int_equal(ad_parse_u64(&v, "20", 10, 20), AD_OK);
	assert_true(v == 20);
}

static void test_u32(void **state)
{
	uint32_t v = 7;

	assert_int_equal(ad_parse_u32(&v, "4294967295", 0, UINT32_MAX), AD_OK);
	assert_true(v == UINT32_MAX);
	assert_int_equal(ad_parse_u32(&v, "4294967296", 0, UINT32_MAX),
			 AD_ERR_RANGE);
	assert_true(v == 0);
	assert_int_equal(ad_parse_u32(&v, "-1", 0, UINT32_MAX),
			 AD_ERR_INVALID);
	assert_int_equal(ad_parse_u32(&v, "65", 1, 64), AD_ERR_RANGE);
	assert_int_equal(ad_parse_u32(&v, "64", 1, 64), AD_OK);
	assert_true(v == 64);
}

static void test_duration_valid(void **state)
{
	uint64_t v = 1;

	assert_int_equal(ad_parse_duration(&v, "0"), AD_OK);
	assert_true(v == 0);
	assert_int_equal(ad_parse_duration(&v, "30s"), AD_OK);
	assert_true(v == 30);
	assert_int_equal(ad_parse_duration(&v, "15m"), AD_OK);
	assert_true(v == 900);
	assert_int_equal(ad_parse_duration(&v, "2h"), AD_OK);
	assert_true(v == 7200);
	assert_int_equal(ad_parse_duration(&v, "1d"), AD_OK);
	assert_true(v == 86400);
	assert_int_equal(ad_parse_duration(&v, "90"), AD_OK);
	assert_true(v == 90);
	assert_int_equal(ad_parse_duration(&v, "366d"), AD_OK);
	assert_true(v == AD_DURATION_MAX);
	assert_int_equal(ad_parse_duration(&v, "31622400"), AD_OK);
	assert_true(v == AD_DURATION_MAX);
}

static void test_duration_invalid(void **state)
{
	static const char *bad[] = {"", "1.5h", "h", "10x", "1hh", "-1",
				    "+1h", " 1h", "1h ", "1H", "s", "0x1h",
				    "1 h", "h1"};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		assert_int_equal(ad_parse_duration(&v, bad[i]),
				 AD_ERR_INVALID);
		assert_true(v == 0);
	}
	assert_int_equal(ad_parse_duration(&v, NULL), AD_ERR_INVALID);
}

static void test_duration_range(void **state)
{
	uint64_t v = 3;

	assert_int_equal(ad_parse_duration(&v, "367d"), AD_ERR_RANGE);
	assert_true(v == 0);
	assert_int_equal(ad_parse_duration(&v, "31622401"), AD_ERR_RANGE);
	assert_int_equal(ad_parse_duration(&v, "8785h"), AD_ERR_RANGE);
	assert_int_equal(ad_parse_duration(&v, "18446744073709551615d"),
			 AD_ERR_RANGE);
	assert_int_equal(ad_parse_duration(&v, "18446744073709551616"),
			 AD_ERR_RANGE);
	assert_int_equal(ad_parse_duration(&v, "307445734561825861m"),
			 AD_ERR_RANGE); /* v*60 would wrap */
}

static void test_format_duration(void **state)
{
	char out[32];
	static const struct {
		uint64_t s;
		const char *txt;
	} cases[] = {{0, "0s"},       {1, "1s"},     {59, "59s"},
		     {60, "1m"},      {90, "90s"},   {1800, "30m"},
		     {3600, "1h"},    {5400, "90m"}, {7200, "2h"},
		     {86400, "1d"},   {90000, "25h"}, {86401, "86401s"},
		     {AD_DURATION_MAX, "366d"}};
	size_t i;
	uint64_t back;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ad_format_duration(out, sizeof(out), cases[i].s);
		assert_string_equal(out, cases[i].txt);
		assert_int_equal(ad_parse_duration(&back, out), AD_OK);
		assert_true(back == cases[i].s);
	}
	ad_format_duration(out, 3, 86401); /* truncated, still terminated */
	assert_int_equal(strlen(out), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_valid),
		cmocka_unit_test(test_u64_invalid),
		cmocka_unit_test(test_u64_range),
		cmocka_unit_test(test_u32),
		cmocka_unit_test(test_duration_valid),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_duration_range),
		cmocka_unit_test(test_format_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
