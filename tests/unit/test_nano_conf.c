/*
 * test_nano_conf.c — the sudo front's own config reader (common/nano_conf.c)
 * against the full one (config.c, client mode): every text it understands
 * must be one config.c accepts, with the same [subjects]; everything it does
 * not understand (valid or not) must give 0, so that the front sends the
 * caller to the core instead of deciding. tests/fuzz/fuzz_nano_conf.c runs
 * the same comparison on random text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "nano_conf.h"
#include "text.h"

/* nano's answer; when 1, also config.c's subjects equal nano's */
static int nano(const char *text)
{
	static struct ad_nano_conf nc;
	struct ad_config *full = NULL, *mine = NULL;
	char err[512], host[256] = "";
	int ok = ad_nano_parse(&nc, text, strlen(text));

	if (!ok)
		return 0;
	if (ad_config_parse(&full, "t.conf", text, AD_CONFIG_CLIENT, err,
			    sizeof(err)) != 0)
		fail_msg("nano understood text config.c refuses (%s):\n%s",
			 err, text);
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	assert_int_equal(ad_nano_config(&mine, &nc, text, "t.conf", host), 0);
	assert_int_equal(mine->client_wait, full->client_wait);
	assert_string_equal(mine->socket, full->socket);
	assert_string_equal(mine->client_socket, full->client_socket);
	assert_string_equal(mine->host_id, full->host_id);
	assert_string_equal(mine->path, full->path);
	assert_int_equal(mine->n_subject_users, full->n_subject_users);
	assert_int_equal(mine->n_subject_groups, full->n_subject_groups);
	assert_int_equal(mine->n_subject_uids, full->n_subject_uids);
	for (size_t i = 0; i < full->n_subject_users; i++)
		assert_string_equal(mine->subject_users[i],
				    full->subject_users[i]);
	for (size_t i = 0; i < full->n_subject_groups; i++)
		assert_string_equal(mine->subject_groups[i],
				    full->subject_groups[i]);
	for (size_t i = 0; i < full->n_subject_uids; i++) {
		assert_int_equal(mine->subject_uids[i].lo,
				 full->subject_uids[i].lo);
		assert_int_equal(mine->subject_uids[i].hi,
				 full->subject_uids[i].hi);
	}
	assert_null(mine->subject_users[mine->n_subject_users]);
	assert_null(mine->subject_groups[mine->n_subject_groups]);
	ad_config_free(mine);
	ad_config_free(full);
	return 1;
}

/* config.c's answer alone (0 accepted) */
static int full_ok(const char *text)
{
	struct ad_config *c = NULL;
	char err[512];
	int rc = ad_config_parse(&c, "t.conf", text, AD_CONFIG_CLIENT, err,
				 sizeof(err));

	ad_config_free(c);
	return rc == 0;
}

static void test_understood(void **state)
{
	static const char *const ok[] = {
	    "",
	    "\n\n",
	    "[subjects]\n",
	    "[subjects]\nuids = 2001-2099\n",
	    "[subjects]\nuids = 2001-2099, 3000 ,4000-4000\n",
	    "[subjects]\nuids =\n",
	    "[subjects]\nuids = 1-4294967294\n",
	    "[subjects]\nusers = ai-deploy, ai-ops\ngroups = ai-agents\n",
	    "[subjects]\nusers=a\ngroups =b.c_d-e\nuids= 7\n",
	    "[subjects]\r\nusers = ai-deploy\r\n",
	    "# comment\n; comment\n[subjects]\nusers = x\n",
	    "[client]\nsocket = /run/a.sock\nwait = 0\n",
	    "[client]\nwait = 86400\n[client]\nsocket = /x=y:z\n",
	    "[client]\nwait = 1d\n",
	    "[client]\nwait = 0005m\n",
	    ("[daemon]\nsocket = /run/a\nrequest_ttl = anything at all\n"
	     "unknown_key = is skipped in client mode\n"),
	    "[notify ops-team.1]\nurl = https://x\nbogus = 1\n",
	    ("[subjects]\nusers = a\n[daemon]\nuser = approverd\n[subjects]\n"
	     "groups = g\n"),
	    "[subjects]\nusers = a\n   \n\t\n",
	    "[subjects]\nusers = a", /* no final newline */
	    "# approverd.conf \xE2\x80\x94 UTF-8 in a comment\n;\ttab\n[client]\n",
	    "[daemon]\nsocket = /d.sock\n", /* client_socket from [daemon] */
	    "[daemon]\nsocket = /d.sock\n[client]\nsocket = /c.sock\n",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!nano(ok[i]))
			fail_msg("not understood:\n%s", ok[i]);
}

/* Text config.c accepts but nano does not understand whole: 0 (the core
 * decides). */
static void test_valid_but_not_understood(void **state)
{
	static const char *const v[] = {
	    "[subjects]\nusers = ai-deploy # the agent\n",
	    "[subjects]\nusers = ai-deploy ; the agent\n",
	    "[subjects]\nusers\t= ai-deploy\n",
	    "\xEF\xBB\xBF[subjects]\nusers = a\n",
	    "[ subjects ]\nusers = a\n",
	    "[subjects] # x\nusers = a\n",
	    "  # indented comment\n[subjects]\nusers = a\n",
	    "[subjects]\nusers : a\n",
	    "[notify a b]\nurl = x\n",
	    "[daemon]\nhost_id = caf\xC3\xA9\n",
	    "[client]\nwait = 0000000000005s\n",
	    "[subjects] # x\n",
	    "[daemon]\nuser = caf\xC3\xA9\n", /* skipped key, non-ASCII */
	    "[subjects]\nusers = a\n# ctrl \x01 in a comment\n",
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!full_ok(v[i]))
			fail_msg("config.c refuses (test data wrong):\n%s", v[i]);
		if (nano(v[i]))
			fail_msg("understood, expected the core to decide:\n%s",
				 v[i]);
	}
}

/* Text config.c refuses: nano must refuse too. */
static void test_invalid(void **state)
{
	static const char *const bad[] = {
	    "users = a\n", /* outside a section */
	    "[subjects\nusers = a\n",
	    "[subject]\nusers = a\n",
	    "[subjects]\nuser = a\n",
	    "[subjects]\nusers = a\nusers = b\n",
	    "[subjects]\nusers = a\n[subjects]\nusers = b\n",
	    "[subjects]\nusers = -a\n",
	    "[subjects]\nusers = a/b\n",
	    ("[subjects]\nusers = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaaaaaaaaaaaaaaaaa\n"),
	    "[subjects]\nuids = 0\n",
	    "[subjects]\nuids = 4294967295\n",
	    "[subjects]\nuids = 70-60\n",
	    "[subjects]\nuids = 5-\n",
	    "[subjects]\nuids = -5\n",
	    "[subjects]\nuids = 1-2-3\n",
	    "[subjects]\nuids = a\n",
	    "[subjects]\nuids = 1\nuids = 2\n",
	    "[subjects]\n  users = a\n",
	    "[client]\nwait = 2d\n",
	    "[client]\nwait =\n",
	    "[client]\nwait = 5x\n",
	    "[client]\nsocket = relative\n",
	    "[client]\nsocket =\n",
	    "[client]\nfoo = 1\n",
	    "[daemon]\nsocket = relative\n",
	    "[daemon]\nsocket = /a\n[daemon]\nsocket = /b\n",
	    "[subjects]\nusers = a\x01\n",
	    "[subjects]\nusers\n",
	    "[subjects]\nusers = a \xE2\x80\x94 b\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (full_ok(bad[i]))
			fail_msg("config.c accepts (test data wrong):\n%s",
				 bad[i]);
		if (nano(bad[i]))
			fail_msg("understood text config.c refuses:\n%s",
				 bad[i]);
	}
}

/* Lines of 197 bytes are read, 198 are not (ini_lines.h). */
static void test_line_length(void **state)
{
	char text[512];
	size_t pre = strlen("[subjects]\nusers = ");

	memset(text, 0, sizeof(text));
	memcpy(text, "[subjects]\nusers = ", pre);
	for (size_t i = 0; i < 197 - (pre - 11); i++)
		text[pre + i] = (i % 64 == 63) ? ',' : 'a';
	assert_int_equal(strlen(text) - 11, 197);
	assert_true(full_ok(text));
	assert_int_equal(nano(text), 1);
	text[strlen(text)] = 'a';
	assert_false(full_ok(text));
	assert_int_equal(nano(text), 0);
}

/* 64 uid ranges are allowed, 65 are not (the line still fits). */
static void test_limits(void **state)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text), "[subjects]\nuids =");

	for (int i = 1; i <= 64; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%d",
				      i == 1 ? " " : ",", i);
	assert_true(full_ok(text));
	assert_int_equal(nano(text), 1);
	snprintf(text + n, sizeof(text) - n, ",65");
	assert_true(strlen(text) - 11 <= 197);
	assert_false(full_ok(text));
	assert_int_equal(nano(text), 0);
}

/* The shipped example config (packaging/) is read whole: otherwise every
 * caller of a default install would go to the core. */
static void test_shipped_example(void **state)
{
	const char *top = getenv("APPROVERD_TOP");
	char path[4096], text[65536];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/packaging/approverd.conf.example",
		 top != NULL ? top : ".");
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_true(full_ok(text));
	assert_int_equal(nano(text), 1);
}

/* Where the reader stopped (approverctl doctor names the line). */
static void test_stop_line(void **state)
{
	struct ad_nano_conf nc;
	const char *t = "# c\n[subjects]\nusers = a\ngroups = b # x\n";

	assert_int_equal(ad_nano_parse(&nc, t, strlen(t)), 0);
	assert_int_equal(nc.line, 4);
	t = "[subjects]\r\nusers = a\r\n";
	assert_int_equal(ad_nano_parse(&nc, t, strlen(t)), 1);
	assert_int_equal(nc.line, 0);
}

static void test_host_ok(void **state)
{
	assert_int_equal(ad_host_name_ok("web-1.example.com"), 1);
	assert_int_equal(ad_host_name_ok("fe80::1"), 1);
	assert_int_equal(ad_host_name_ok(""), 0);
	assert_int_equal(ad_host_name_ok("-x"), 0);
	assert_int_equal(ad_host_name_ok("a b"), 0);
	assert_int_equal(ad_host_name_ok(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_understood),
	    cmocka_unit_test(test_valid_but_not_understood),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_line_length),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_shipped_example),
	    cmocka_unit_test(test_stop_line),
	    cmocka_unit_test(test_host_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
