/*
 * test_coreload.c — ad_core_load() error paths (common/coreload.h): a name
 * that is not a bare file name, a missing core, and a file that passes the
 * trust checks but is no loadable library. Loading a real core is covered
 * by tests/integration/t_sudo_core.sh and t_pam_core.sh (real sudo, PAM).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "coreload.h"
#include "error.h"

static char self_name[256];

static void test_bad_names(void **state)
{
	static const char *const bad[] = {"", ".", "..", "../x.so", "a/b.so",
					  "/abs.so"};
	char why[512];
	void *p = (void *)1;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ad_core_load(&p, &self_name, bad[i], "x", why,
					      sizeof(why)),
				 AD_ERR_INVALID);
		assert_null(p);
		assert_non_null(strstr(why, "is not a file name"));
	}
}

static void test_missing(void **state)
{
	char why[512];
	void *p = (void *)1;

	(void)state;
	assert_int_not_equal(ad_core_load(&p, &self_name, "no_such_core.so",
					  "approverd_sudo_core", why,
					  sizeof(why)),
			     0);
	assert_null(p);
	/* the message names the absolute path next to this program */
	assert_true(why[0] == '/');
	assert_non_null(strstr(why, "/no_such_core.so"));
}

static void test_not_a_library(void **state)
{
	char why[512];
	void *p = (void *)1;
	int rc;

	(void)state;
	if (geteuid() != 0)
		skip(); /* the build tree is root-owned only when built as root */
	/* this very program: trusted file, but an executable, not a .so */
	rc = ad_core_load(&p, &self_name, self_name, "approverd_sudo_core",
			  why, sizeof(why));
	assert_int_not_equal(rc, 0);
	assert_null(p);
	assert_true(strstr(why, "dlopen failed") != NULL ||
		    strstr(why, "no symbol") != NULL ||
		    strstr(why, "writable") != NULL ||
		    strstr(why, "owned by") != NULL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_not_a_library),
	};
	const char *b = strrchr(argv[0], '/');
	char real[4096];

	/* dladdr() names the main program as it was invoked; the loader needs
	 * an absolute path (plugins are always loaded by one), so re-run. */
	if (argv[0][0] != '/' && realpath(argv[0], real) != NULL) {
		argv[0] = real;
		execv(real, argv);
		return 1;
	}
	(void)argc;
	snprintf(self_name, sizeof(self_name), "%s", b != NULL ? b + 1 : argv[0]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
