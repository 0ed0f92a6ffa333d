/* test_text.c — escaping and sanitizing untrusted text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "text.h"

static void check_escape(const char *in, size_t len, const char *want)
{
	char *out = ad_escape_n(in, len);

	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

static void test_escape_basic(void **state)
{
	char *out;

	check_escape("plain text 123", 14, "plain text 123");
	check_escape("a\\b\"c", 5, "a\\\\b\\\"c");
	check_escape("l1\nl2\r\t", 7, "l1\\nl2\\r\\t");
	check_escape("\x1b[31m", 5, "\\x1b[31m");
	check_escape("a\0b", 3, "a\\x00b");
	check_escape("\x7f\x01\x1f", 3, "\\x7f\\x01\\x1f");
	check_escape("caf\xc3\xa9", 5, "caf\\xc3\\xa9");
	check_escape("\xff", 1, "\\xff");
	check_escape("", 0, "");
	out = ad_escape("key=\"v\"\nforged=1");
	assert_non_null(out);
	assert_string_equal(out, "key=\\\"v\\\"\\nforged=1");
	free(out);
}

static void test_escape_all_bytes_printable(void **state)
{
	char in[256], *out;
	size_t i;

	for (i = 0; i < 256; i++)
		in[i] = (char)i;
	out = ad_escape_n(in, sizeof(in));
	assert_non_null(out);
	for (i = 0; out[i] != '\0'; i++) {
		unsigned char c = (unsigned char)out[i];

		assert_true(c >= 0x20 && c < 0x7f);
		/* every quote is escaped */
		if (c == '"')
			assert_int_equal(out[i - 1], '\\');
	}
	free(out);
}

static void check_sanitize(const char *in, size_t cap, const char *want)
{
	char *out = ad_sanitize(in, cap);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_true(strlen(out) <= cap);
	free(out);
}

static void test_sanitize(void **state)
{
	check_sanitize("ticket OPS-12", 100, "ticket OPS-12");
	check_sanitize("a\nb\tc\x1b[0m\x7f", 100, "a?b?c?[0m?");
	check_sanitize("abcdef", 3, "abc");
	check_sanitize("", 10, "");
	check_sanitize("abc", 0, "");
	check_sanitize(NULL, 10, "");
	/* é is 2 bytes: cap 4 after "abc" must not cut it */
	check_sanitize("abc\xc3\xa9", 4, "abc");
	check_sanitize("abc\xc3\xa9", 5, "abc\xc3\xa9");
	/* 4-byte emoji cut at every position */
	check_sanitize("\xf0\x9f\x98\x80", 3, "");
	check_sanitize("x\xf0\x9f\x98\x80y", 5, "x\xf0\x9f\x98\x80");
	check_sanitize("\xe2\x82\xac", 2, "");
	/* invalid UTF-8 and C1 controls become '?' */
	check_sanitize("a\xff" "b", 10, "a?b");
	check_sanitize("\xc3", 10, "?");
	check_sanitize("\xc2\x9b" "1m", 10, "??1m");
	check_sanitize("\xc0\xaf", 10, "??");        /* overlong '/' */
	check_sanitize("\xed\xa0\x80", 10, "???");   /* surrogate */
}

static void test_has_ctrl(void **state)
{
	assert_int_equal(ad_has_ctrl("normal text"), 0);
	assert_int_equal(ad_has_ctrl("caf\xc3\xa9"), 0);
	assert_int_equal(ad_has_ctrl(""), 0);
	assert_int_equal(ad_has_ctrl("a\nb"), 1);
	assert_int_equal(ad_has_ctrl("\x1b"), 1);
	assert_int_equal(ad_has_ctrl("x\x7f"), 1);
	assert_int_equal(ad_has_ctrl("\t"), 1);
}

static void check_split(const char *in, size_t want_n, const char *const *want)
{
	char **v = (char **)0x1;
	size_t n = 99, i;

	assert_int_equal(ad_split_list(&v, &n, in), AD_OK);
	assert_non_null(v);
	assert_int_equal(n, want_n);
	for (i = 0; i < want_n; i++)
		assert_string_equal(v[i], want[i]);
	assert_null(v[want_n]);
	ad_strv_free(v);
}

static void test_split(void **state)
{
	static const char *const abc[] = {"a", "b", "c"};
	static const char *const one[] = {"alice"};
	char **v = (char **)0x1;
	size_t n = 5;

	check_split("a, b,c", 3, abc);
	check_split("a b\tc", 3, abc);
	check_split(" ,a,,, b ,\n c, ", 3, abc);
	check_split("alice", 1, one);
	check_split("", 0, NULL);
	check_split(" , ,", 0, NULL);
	assert_int_equal(ad_split_list(&v, &n, NULL), AD_ERR_INVALID);
	assert_null(v);
	assert_int_equal(n, 0);
	ad_strv_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_basic),
		cmocka_unit_test(test_escape_all_bytes_printable),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_has_ctrl),
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
