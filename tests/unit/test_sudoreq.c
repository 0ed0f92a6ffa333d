/*
 * test_sudoreq.c — struct ad_request from sudo's plugin arrays
 * (common/sudoreq.c): field mapping, caps, the benign-env filter, APPROVERD_*
 * capture, exe hash and sponsor lookup against real files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "request.h"
#include "sudoreq.h"

static char *user_info[] = {
    "user=ai-deploy", "uid=2001",  "gid=2001", "cwd=/home/ai-deploy",
    "tty=/dev/pts/3", "host=web1", "pid=4242", NULL,
};
static char *command_info[] = {
    "command=/usr/bin/systemctl",
    "runas_uid=0",
    "runas_gid=0",
    "runas_euid=0",
    "runas_egid=0",
    "runas_user=root",
    "runas_groups=0,4",
    "cwd=/srv",
    NULL,
};
static char *run_argv[] = {"systemctl", "restart", "nginx", NULL};
static char *run_envp[] = {
    "TERM=xterm",
    "PATH=/usr/bin:/bin",
    "LC_ALL=C",
    "HOME=/root",
    "APPROVERD_REASON=leaked",
    "LANG=C.UTF-8",
    "SUDO_USER=ai-deploy",
    NULL,
};
static char *submit_envp[] = {
    "PATH=/x",
    "APPROVERD_REASON=deploy=v2\n\x1b[31mred",
    "APPROVERD_TICKET=CHG-42",
    "APPROVERD_AGENT=claude",
    NULL,
};

static struct ad_sudo_arrays arrays(void)
{
	struct ad_sudo_arrays a = {user_info, command_info, run_argv, run_envp,
	                           submit_envp};
	return a;
}

static void test_get(void **state)
{
	char *kv[] = {"username=x", "noequals", "user=a=b", "user=second",
	              NULL};

	(void)state;
	assert_string_equal(ad_sudo_get(kv, "user"), "a=b");
	assert_string_equal(ad_sudo_get(kv, "username"), "x");
	assert_null(ad_sudo_get(kv, "noequals"));
	assert_null(ad_sudo_get(kv, "use"));
	assert_null(ad_sudo_get(NULL, "user"));
}

static void test_benign(void **state)
{
	(void)state;
	assert_true(ad_sudo_env_benign("TERM=xterm"));
	assert_true(ad_sudo_env_benign("LC_ALL=C"));
	assert_true(ad_sudo_env_benign("APPROVERD_TICKET=x"));
	assert_true(ad_sudo_env_benign("COLUMNS"));
	assert_false(ad_sudo_env_benign("TERMX=1"));
	assert_false(ad_sudo_env_benign("TER=1"));
	assert_false(ad_sudo_env_benign("LC_=1"));
	assert_false(ad_sudo_env_benign("PATH=/bin"));
	assert_false(ad_sudo_env_benign("LD_PRELOAD=/tmp/x.so"));
	assert_false(ad_sudo_env_benign(NULL));
}

static void test_build_fields(void **state)
{
	struct ad_sudo_arrays a = arrays();
	struct ad_request r;
	char err[256];

	(void)state;
	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)), 0);
	assert_string_equal(r.requester, "ai-deploy");
	assert_int_equal(r.uid, 2001);
	assert_string_equal(r.host, "web1");
	assert_string_equal(r.service, "sudo");
	assert_string_equal(r.runas_user, "root");
	assert_int_equal(r.runas_uid, 0);
	assert_string_equal(r.runas_groups, "0,4");
	assert_string_equal(r.command, "/usr/bin/systemctl");
	assert_int_equal(r.argv.n, 3);
	assert_string_equal(r.argv.v[2], "nginx");
	assert_string_equal(r.cwd, "/srv");
	assert_string_equal(r.tty, "/dev/pts/3");
	assert_string_equal(r.exe_hash, "");
	assert_string_equal(r.sponsor, "");
	assert_string_equal(r.chroot, "");
	/* env: benign and APPROVERD_* gone, sorted */
	assert_int_equal(r.env.n, 3);
	assert_string_equal(r.env.v[0], "HOME=/root");
	assert_string_equal(r.env.v[1], "PATH=/usr/bin:/bin");
	assert_string_equal(r.env.v[2], "SUDO_USER=ai-deploy");
	/* context from submit_envp only, sanitized; '=' in a value kept */
	assert_string_equal(r.reason, "deploy=v2??[31mred");
	assert_string_equal(r.ticket, "CHG-42");
	assert_string_equal(r.agent, "claude");
	assert_string_equal(r.rollback, "");
	ad_request_free(&r);
}

static void test_build_fallbacks(void **state)
{
	char *ci[] = {"command=/bin/true", "runas_uid=1000", "runas_gid=100",
	              "runas_euid=0", NULL};
	char *ci_nogid[] = {"command=/bin/true", "runas_uid=0", NULL};
	struct ad_sudo_arrays a = {user_info, ci, NULL, NULL, NULL};
	struct ad_request r;
	char err[256];

	(void)state;
	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)), 0);
	assert_string_equal(r.cwd, "/home/ai-deploy"); /* user_info cwd */
	assert_int_equal(r.runas_uid, 0);              /* euid wins */
	assert_int_equal(r.runas_gid, 100);
	assert_string_equal(r.runas_user, "");
	assert_int_equal(r.argv.n, 0);
	assert_string_equal(r.reason, "");
	ad_request_free(&r);
	a.command_info = ci_nogid;
	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)),
	                 AD_ERR_INVALID);
	assert_non_null(strstr(err, "runas_gid"));
}

static void expect_fail(char **ui, char **ci, int rc, const char *field)
{
	struct ad_sudo_arrays a = {ui, ci, run_argv, run_envp, NULL};
	struct ad_request r;
	char err[256];

	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)), rc);
	assert_non_null(strstr(err, field));
	assert_null(r.requester); /* freed on failure */
}

static void test_build_missing(void **state)
{
	char *ui_nouser[] = {"uid=1", "gid=1", NULL};
	char *ui_baduid[] = {"user=a", "uid=12a", NULL};
	char *ui_neguid[] = {"user=a", "uid=-1", NULL};
	char *ci_nocmd[] = {"runas_uid=0", "runas_gid=0", NULL};
	char *ci_badrun[] = {"command=/bin/true", "runas_uid=0x0",
	                     "runas_gid=0", NULL};

	(void)state;
	expect_fail(ui_nouser, command_info, AD_ERR_INVALID, "user");
	expect_fail(ui_baduid, command_info, AD_ERR_INVALID, "uid");
	expect_fail(ui_neguid, command_info, AD_ERR_INVALID, "uid");
	expect_fail(user_info, ci_nocmd, AD_ERR_INVALID, "command");
	expect_fail(user_info, ci_badrun, AD_ERR_INVALID, "runas_uid");
	expect_fail(NULL, command_info, AD_ERR_INVALID, "user");
}

static void test_build_caps(void **state)
{
	size_t big = AD_FIELD_MAX + 2;
	char *huge = malloc(big + 8), **many;
	struct ad_sudo_arrays a = arrays();
	struct ad_request r;
	char err[256];

	(void)state;
	assert_non_null(huge);
	memcpy(huge, "X=", 2);
	memset(huge + 2, 'a', big - 2);
	huge[big] = '\0';
	char *argv_huge[] = {"x", huge, NULL};
	a.run_argv = argv_huge;
	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)),
	                 AD_ERR_TOOBIG);
	assert_non_null(strstr(err, "argv"));
	a = arrays();
	char *env_huge[] = {huge, NULL};
	a.run_envp = env_huge;
	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)),
	                 AD_ERR_TOOBIG);
	assert_non_null(strstr(err, "env"));
	many = calloc(AD_ARGV_MAX + 2, sizeof(char *));
	assert_non_null(many);
	for (size_t i = 0; i < AD_ARGV_MAX + 1; i++)
		many[i] = "a";
	a = arrays();
	a.run_argv = many;
	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)),
	                 AD_ERR_TOOBIG);
	many[AD_ARGV_MAX] = NULL; /* exactly the cap is fine */
	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)), 0);
	assert_int_equal(r.argv.n, AD_ARGV_MAX);
	ad_request_free(&r);
	free(many);
	free(huge);
}

static void test_context_cap(void **state)
{
	char *v = malloc(AD_CONTEXT_MAX * 3);
	struct ad_sudo_arrays a = arrays();
	struct ad_request r;
	char err[256];

	(void)state;
	assert_non_null(v);
	memcpy(v, "APPROVERD_ROLLBACK=", 19);
	memset(v + 19, 'r', AD_CONTEXT_MAX * 2);
	v[19 + AD_CONTEXT_MAX * 2] = '\0';
	char *senv[] = {v, NULL};
	a.submit_envp = senv;
	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)), 0);
	assert_true(strlen(r.rollback) <= AD_CONTEXT_MAX);
	assert_true(strlen(r.rollback) > 0);
	ad_request_free(&r);
	free(v);
}

/* Context and benign variables change the request, not the exec digest. */
static void test_digest_stability(void **state)
{
	char *env2[] = {"PATH=/usr/bin:/bin", "TERM=vt100", "HOME=/root",
	                "SUDO_USER=ai-deploy", NULL};
	char *argv2[] = {"systemctl", "restart", "nginx2", NULL};
	struct ad_sudo_arrays a = arrays();
	struct ad_request r1, r2;
	uint8_t d1[AD_DIGEST_LEN], d2[AD_DIGEST_LEN];
	char err[256];

	(void)state;
	assert_int_equal(ad_sudoreq_build(&r1, &a, err, sizeof(err)), 0);
	a.run_envp = env2;
	a.submit_envp = NULL;
	assert_int_equal(ad_sudoreq_build(&r2, &a, err, sizeof(err)), 0);
	assert_int_equal(ad_exec_digest(d1, &r1), 0);
	assert_int_equal(ad_exec_digest(d2, &r2), 0);
	assert_memory_equal(d1, d2, AD_DIGEST_LEN);
	ad_request_free(&r2);
	a.run_argv = argv2;
	assert_int_equal(ad_sudoreq_build(&r2, &a, err, sizeof(err)), 0);
	assert_int_equal(ad_exec_digest(d2, &r2), 0);
	assert_memory_not_equal(d1, d2, AD_DIGEST_LEN);
	ad_request_free(&r1);
	ad_request_free(&r2);
}

static void test_parse_loginuid(void **state)
{
	uid_t u;

	(void)state;
	assert_int_equal(ad_sudoreq_parse_loginuid(&u, "1000\n", 5), 0);
	assert_int_equal(u, 1000);
	assert_int_equal(ad_sudoreq_parse_loginuid(&u, "4294967295", 10), 0);
	assert_true(u == (uid_t)-1);
	assert_int_not_equal(ad_sudoreq_parse_loginuid(&u, "", 0), 0);
	assert_int_not_equal(ad_sudoreq_parse_loginuid(&u, "12 3", 4), 0);
	assert_int_not_equal(ad_sudoreq_parse_loginuid(&u, "-1", 2), 0);
	assert_int_not_equal(ad_sudoreq_parse_loginuid(&u, "99999999999", 11),
	                     0);
	assert_true(u == (uid_t)-1);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

struct fx {
	char dir[64];
	char path[128];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char sub[200];

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/test_sudoreq.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/tool", f->dir);
	write_file(f->path, "#!/bin/sh\necho one\n");
	snprintf(sub, sizeof(sub), "%s/77", f->dir);
	mkdir(sub, 0755);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void build_for(struct ad_request *r, const char *cmd)
{
	char cbuf[300];
	char *ci[] = {cbuf, "runas_uid=0", "runas_gid=0", NULL};
	struct ad_sudo_arrays a = {user_info, ci, run_argv, NULL, NULL};
	char err[256];

	snprintf(cbuf, sizeof(cbuf), "command=%s", cmd);
	assert_int_equal(ad_sudoreq_build(r, &a, err, sizeof(err)), 0);
}

static void test_collect_hash(void **state)
{
	struct fx *f = *state;
	struct ad_request r;
	char err[256], want[AD_DIGEST_HEX], first[AD_DIGEST_HEX];
	int fd;

	build_for(&r, f->path);
	assert_int_equal(ad_sudoreq_collect(&r, f->dir, 1, err, sizeof(err)),
	                 0);
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(ad_file_hash_fd(want, fd), 0);
	close(fd);
	assert_string_equal(r.exe_hash, want);
	assert_string_equal(r.runas_user, "root"); /* resolved from uid 0 */
	memcpy(first, r.exe_hash, AD_DIGEST_HEX);
	ad_request_free(&r);
	/* same path, other content: other hash */
	write_file(f->path, "#!/bin/sh\necho two\n");
	build_for(&r, f->path);
	assert_int_equal(ad_sudoreq_collect(&r, f->dir, 1, err, sizeof(err)),
	                 0);
	assert_string_not_equal(r.exe_hash, first);
	ad_request_free(&r);
}

static void test_collect_errors(void **state)
{
	struct fx *f = *state;
	struct ad_request r;
	char err[256];

	build_for(&r, f->dir); /* a directory */
	assert_int_not_equal(
	    ad_sudoreq_collect(&r, f->dir, 1, err, sizeof(err)), 0);
	assert_non_null(strstr(err, f->dir));
	ad_request_free(&r);
	build_for(&r, "/nonexistent/approverd-test");
	assert_int_equal(ad_sudoreq_collect(&r, f->dir, 1, err, sizeof(err)),
	                 AD_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/approverd-test"));
	ad_request_free(&r);
	build_for(&r, "relative/tool");
	assert_int_equal(ad_sudoreq_collect(&r, f->dir, 1, err, sizeof(err)),
	                 AD_ERR_INVALID);
	assert_non_null(strstr(err, "command"));
	ad_request_free(&r);
}

static void test_collect_chroot(void **state)
{
	struct fx *f = *state;
	char *ci[] = {"command=/tool", "runas_uid=0", "runas_gid=0", NULL,
	              NULL};
	char root[128];
	struct ad_sudo_arrays a = {user_info, ci, run_argv, NULL, NULL};
	struct ad_request r;
	char err[256];

	snprintf(root, sizeof(root), "chroot=%s", f->dir);
	ci[3] = root;
	assert_int_equal(ad_sudoreq_build(&r, &a, err, sizeof(err)), 0);
	assert_string_equal(r.chroot, f->dir);
	assert_int_equal(ad_sudoreq_collect(&r, f->dir, 1, err, sizeof(err)),
	                 0);
	assert_int_equal(strlen(r.exe_hash), AD_DIGEST_HEX - 1);
	ad_request_free(&r);
}

static void sponsor_case(struct fx *f, const char *loginuid, const char *want)
{
	char p[200];
	struct ad_request r;
	char err[256];

	snprintf(p, sizeof(p), "%s/77/loginuid", f->dir);
	write_file(p, loginuid);
	build_for(&r, f->path);
	assert_int_equal(ad_sudoreq_collect(&r, f->dir, 77, err, sizeof(err)),
	                 0);
	assert_string_equal(r.sponsor, want);
	ad_request_free(&r);
}

static void test_collect_sponsor(void **state)
{
	struct fx *f = *state;

	sponsor_case(f, "0\n", "root");           /* another user */
	sponsor_case(f, "2001\n", "");            /* the requester itself */
	sponsor_case(f, "4294967295", "");        /* unset */
	sponsor_case(f, "garbage", "");           /* unreadable: none */
	sponsor_case(f, "3999999\n", "#3999999"); /* no passwd entry */
}

/* R9: hash of f->dir-relative path p via ad_sudoreq_exe_hash; err kept. */
static int exe_rc(const char *p, char *err, size_t errlen)
{
	char hex[AD_DIGEST_HEX];

	return ad_sudoreq_exe_hash(hex, p, NULL, err, errlen);
}

static void test_trust_file(void **state)
{
	struct fx *f = *state;
	char err[512], hex[AD_DIGEST_HEX], want[AD_DIGEST_HEX];
	int fd;

	assert_int_equal(exe_rc(f->path, err, sizeof(err)), 0);
	assert_int_equal(chmod(f->path, 0664), 0); /* group-writable */
	assert_int_equal(exe_rc(f->path, err, sizeof(err)), AD_ERR_UNTRUSTED);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "group-writable"));
	assert_int_equal(chmod(f->path, 0646), 0); /* world-writable */
	assert_int_equal(exe_rc(f->path, err, sizeof(err)), AD_ERR_UNTRUSTED);
	assert_int_equal(chmod(f->path, 0755), 0);
	assert_int_equal(chown(f->path, 65534, 65534), 0); /* not root's */
	assert_int_equal(exe_rc(f->path, err, sizeof(err)), AD_ERR_UNTRUSTED);
	assert_non_null(strstr(err, "owned by uid 65534"));
	assert_int_equal(chown(f->path, 0, 0), 0);
	/* trusted again: the hash is the content's */
	assert_int_equal(ad_sudoreq_exe_hash(hex, f->path, NULL, err,
	                                     sizeof(err)), 0);
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(ad_file_hash_fd(want, fd), 0);
	close(fd);
	assert_string_equal(hex, want);
}

static void test_trust_dirs(void **state)
{
	struct fx *f = *state;
	char err[512], d[200], p[260], l[260];

	snprintf(d, sizeof(d), "%s/d", f->dir);
	snprintf(p, sizeof(p), "%s/tool", d);
	assert_int_equal(mkdir(d, 0755), 0);
	write_file(p, "#!/bin/sh\n");
	assert_int_equal(exe_rc(p, err, sizeof(err)), 0);
	assert_int_equal(chmod(d, 0777), 0); /* anyone may swap the file */
	assert_int_equal(exe_rc(p, err, sizeof(err)), AD_ERR_UNTRUSTED);
	assert_non_null(strstr(err, d));
	assert_int_equal(chmod(d, 01777), 0); /* sticky: root's file is safe */
	assert_int_equal(exe_rc(p, err, sizeof(err)), 0);
	assert_int_equal(chmod(d, 0755), 0);
	assert_int_equal(chown(d, 65534, 65534), 0); /* directory not root's */
	assert_int_equal(exe_rc(p, err, sizeof(err)), AD_ERR_UNTRUSTED);
	assert_non_null(strstr(err, "owned by uid 65534"));
	assert_int_equal(chown(d, 0, 0), 0);
	/* a root-owned symlink in a trusted dir (like /bin -> usr/bin) */
	snprintf(l, sizeof(l), "%s/link", f->dir);
	assert_int_equal(symlink("d", l), 0);
	snprintf(p, sizeof(p), "%s/link/tool", f->dir);
	assert_int_equal(exe_rc(p, err, sizeof(err)), 0);
	/* the same symlink in a sticky dir but not root's: re-pointable */
	assert_int_equal(chmod(f->dir, 01777), 0);
	assert_int_equal(lchown(l, 65534, 65534), 0);
	assert_int_equal(exe_rc(p, err, sizeof(err)), AD_ERR_UNTRUSTED);
	assert_non_null(strstr(err, l));
	/* ... and in a world-writable non-sticky dir even when root's */
	assert_int_equal(lchown(l, 0, 0), 0);
	assert_int_equal(exe_rc(p, err, sizeof(err)), 0);
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(exe_rc(p, err, sizeof(err)), AD_ERR_UNTRUSTED);
	assert_int_equal(chmod(f->dir, 0700), 0);
}

/* R7: gids held at run time against [subjects] groups. */
static void test_subject_gids(void **state)
{
	char *groups[] = {"no-such-group-approverd", "root", NULL};
	char *none[] = {"no-such-group-approverd", NULL};
	struct ad_config c;
	gid_t held[] = {1000, 2201, 0};
	gid_t human[] = {1000, 2201};

	(void)state;
	memset(&c, 0, sizeof(c));
	c.subject_groups = groups;
	c.n_subject_groups = 2;
	assert_int_equal(ad_subject_gids_ai(&c, held, 3), 1);
	assert_int_equal(ad_subject_gids_ai(&c, human, 2), 0);
	assert_int_equal(ad_subject_gids_ai(&c, human, 0), 0);
	c.subject_groups = none; /* a group NSS does not know: no hit */
	c.n_subject_groups = 1;
	assert_int_equal(ad_subject_gids_ai(&c, held, 3), 0);
	assert_int_equal(ad_subject_gids_ai(NULL, human, 2), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get),
	    cmocka_unit_test(test_benign),
	    cmocka_unit_test(test_build_fields),
	    cmocka_unit_test(test_build_fallbacks),
	    cmocka_unit_test(test_build_missing),
	    cmocka_unit_test(test_build_caps),
	    cmocka_unit_test(test_context_cap),
	    cmocka_unit_test(test_digest_stability),
	    cmocka_unit_test(test_parse_loginuid),
	    cmocka_unit_test_setup_teardown(test_collect_hash, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_collect_errors, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_collect_chroot, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_collect_sponsor, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_trust_file, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_trust_dirs, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test(test_subject_gids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
