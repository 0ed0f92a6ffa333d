/* test_safefile.c — trusted file opening (DESIGN.md §4.7), on real files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "safefile.h"

static char dir[64];

static void path_of(char *out, const char *name)
{
	snprintf(out, 256, "%s/%s", dir, name);
}

static void write_file(const char *name, const void *data, size_t n,
		       mode_t mode)
{
	char p[256];
	int fd;

	path_of(p, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_safefile.XXXXXX");
	if (mkdtemp(dir) == NULL || chmod(dir, 0755) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Expect refusal with code; why must start with the path and contain frag. */
static void expect_refused(const char *p, const struct ad_trust *t,
			   size_t max, int code, const char *frag)
{
	char why[AD_WHY_MAX];
	int fd = 1234;

	assert_int_equal(ad_safe_open(&fd, p, t, max, why), code);
	assert_int_equal(fd, -1);
	if (strstr(why, frag) == NULL)
		fail_msg("why '%s' lacks '%s'", why, frag);
	if (p != NULL && p[0] == '/' &&
	    strncmp(why, p, strlen(p)) != 0 && strncmp(why, dir, strlen(dir)) != 0)
		fail_msg("why '%s' does not name the path", why);
}

static void test_good_file(void **state)
{
	char p[256], why[AD_WHY_MAX], *data = NULL;
	size_t len = 7;
	int fd = -1;

	write_file("good", "a=1\n", 4, 0644);
	path_of(p, "good");
	assert_int_equal(ad_safe_open(&fd, p, &ad_trust_root, 100, why), AD_OK);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(ad_safe_check_fd(fd, p, &ad_trust_root, 100, why),
			 AD_OK);
	close(fd);
	assert_int_equal(ad_safe_read(&data, &len, p, &ad_trust_root, 100, why),
			 AD_OK);
	assert_int_equal(len, 4);
	assert_string_equal(data, "a=1\n");
	free(data);
	write_file("empty", "", 0, 0600);
	path_of(p, "empty");
	assert_int_equal(ad_safe_read(&data, &len, p, NULL, 100, why), AD_OK);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
}

static void test_symlink(void **state)
{
	char p[256], target[256];

	write_file("real", "x", 1, 0644);
	path_of(target, "real");
	path_of(p, "link");
	assert_int_equal(symlink(target, p), 0);
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "is a symbolic link");
}

static void test_fifo_no_block(void **state)
{
	char p[256];
	struct timespec a, b;

	path_of(p, "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	alarm(5); /* a blocking open would be killed here, failing the test */
	clock_gettime(CLOCK_MONOTONIC, &a);
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED, "is a FIFO");
	clock_gettime(CLOCK_MONOTONIC, &b);
	alarm(0);
	assert_true(b.tv_sec - a.tv_sec < 2);
}

static void test_directory_socket_device(void **state)
{
	char p[256];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s;

	path_of(p, "subdir");
	assert_int_equal(mkdir(p, 0755), 0);
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "is a directory");
	path_of(p, "sock");
	assert_true(strlen(p) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p) + 1);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED, "is a socket");
	close(s);
	expect_refused("/dev/null", &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "is a device");
}

static void test_writable_modes(void **state)
{
	char p[256];

	write_file("gw", "x", 1, 0664);
	path_of(p, "gw");
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "group-writable (mode 0664)");
	write_file("ww", "x", 1, 0646);
	path_of(p, "ww");
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "world-writable (mode 0646)");
}

static void test_owner(void **state)
{
	char p[256], why[AD_WHY_MAX];
	struct ad_trust t = {.extra_uid = 65534, .check_parents = 1};
	int fd = -1;

	write_file("nobody", "x", 1, 0644);
	path_of(p, "nobody");
	assert_int_equal(chown(p, 65534, 65534), 0);
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "owned by uid 65534");
	assert_int_equal(ad_safe_open(&fd, p, &t, 100, why), AD_OK);
	close(fd);
	t.extra_uid = 1000;
	expect_refused(p, &t, 100, AD_ERR_UNTRUSTED, "owned by uid 65534");
}

static void test_parent_dirs(void **state)
{
	char d[256], p[256], why[AD_WHY_MAX], target[256];
	struct ad_trust noparents = {.extra_uid = (uid_t)-1};
	int fd = -1;

	path_of(d, "open");
	assert_int_equal(mkdir(d, 0755), 0);
	assert_int_equal(chmod(d, 0777), 0);
	write_file("open/f", "x", 1, 0644);
	path_of(p, "open/f");
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "world-writable (mode 0777)");
	/* the reason names the directory, not the file */
	assert_int_equal(ad_safe_open(&fd, p, &ad_trust_root, 100, why),
			 AD_ERR_UNTRUSTED);
	assert_true(strncmp(why, d, strlen(d)) == 0 && why[strlen(d)] == ':');
	assert_int_equal(ad_safe_open(&fd, p, &noparents, 100, why), AD_OK);
	close(fd);
	assert_int_equal(chmod(d, 01777), 0); /* sticky is fine */
	assert_int_equal(ad_safe_open(&fd, p, &ad_trust_root, 100, why), AD_OK);
	close(fd);
	assert_int_equal(chmod(d, 0775), 0);
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "group-writable (mode 0775)");
	assert_int_equal(chmod(d, 0755), 0);
	assert_int_equal(chown(d, 65534, 65534), 0);
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "owned by uid 65534");
	assert_int_equal(chown(d, 0, 0), 0);
	/* a symlinked parent is refused even though its target is fine */
	path_of(target, "open");
	path_of(d, "linkdir");
	assert_int_equal(symlink(target, d), 0);
	path_of(p, "linkdir/f");
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "is a symbolic link");
}

static void test_size_and_paths(void **state)
{
	char p[256], big[200], *data = (char *)0x1;
	char why[AD_WHY_MAX];
	size_t len = 3;

	memset(big, 'a', sizeof(big));
	write_file("big", big, sizeof(big), 0644);
	path_of(p, "big");
	expect_refused(p, &ad_trust_root, 199, AD_ERR_TOOBIG, "too large");
	assert_int_equal(ad_safe_read(&data, &len, p, &ad_trust_root, 199, why),
			 AD_ERR_TOOBIG);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(ad_safe_read(&data, &len, p, &ad_trust_root, 200, why),
			 AD_OK);
	assert_int_equal(len, 200);
	free(data);
	expect_refused("etc/passwd", &ad_trust_root, 100, AD_ERR_INVALID,
		       "not an absolute path");
	expect_refused("", &ad_trust_root, 100, AD_ERR_INVALID,
		       "not an absolute path");
	expect_refused(NULL, &ad_trust_root, 100, AD_ERR_INVALID, "no path");
	snprintf(p, sizeof(p), "%s/../etc/passwd", dir);
	expect_refused(p, &ad_trust_root, 100000, AD_ERR_INVALID, "'..'");
	path_of(p, "missing");
	expect_refused(p, &ad_trust_root, 100, AD_ERR_NOTFOUND, "missing");
	path_of(p, "missing/f");
	expect_refused(p, &ad_trust_root, 100, AD_ERR_NOTFOUND, "missing");
	path_of(p, "big/f"); /* a parent that is a regular file */
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "is not a directory");
	path_of(p, "big/");
	expect_refused(p, &ad_trust_root, 100, AD_ERR_UNTRUSTED,
		       "names a directory");
}

static void test_nul_inside(void **state)
{
	char p[256], why[AD_WHY_MAX], *data = (char *)0x1;
	size_t len = 3;

	write_file("nul", "a=1\0b=2\n", 8, 0644);
	path_of(p, "nul");
	assert_int_equal(ad_safe_read(&data, &len, p, &ad_trust_root, 100, why),
			 AD_ERR_INVALID);
	assert_null(data);
	assert_int_equal(len, 0);
	assert_non_null(strstr(why, "NUL"));
	assert_true(strncmp(why, p, strlen(p)) == 0);
}

static void test_check_fd(void **state)
{
	char why[AD_WHY_MAX];
	int pfd[2];

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(ad_safe_check_fd(pfd[0], "pipe", NULL, 100, why),
			 AD_ERR_UNTRUSTED);
	assert_string_equal(why, "pipe: is a FIFO");
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_no_block, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_directory_socket_device,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_writable_modes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_dirs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_size_and_paths, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nul_inside, setup,
						teardown),
		cmocka_unit_test(test_check_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
