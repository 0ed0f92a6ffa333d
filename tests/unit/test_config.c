/* test_config.c — approverd.conf loading and AI-subject detection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"

static struct ad_config *parse_ok(const char *text, int flags)
{
	struct ad_config *c = NULL;
	char err[512];
	int rc = ad_config_parse(&c, "c.conf", text, flags, err, sizeof(err));

	if (rc != 0)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(c);
	return c;
}

static void parse_fails(const char *text, int flags, const char *want)
{
	struct ad_config *c = (struct ad_config *)1;
	char err[512];
	int rc = ad_config_parse(&c, "c.conf", text, flags, err, sizeof(err));

	assert_int_equal(rc, AD_ERR_CONFIG);
	assert_null(c);
	if (strstr(err, want) == NULL)
		print_error("error '%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
}

static void test_defaults(void **state)
{
	struct ad_config *c = parse_ok("# nothing set\n", AD_CONFIG_FULL);
	char host[256] = "";

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	assert_string_equal(c->socket, "/run/approverd/approverd.sock");
	assert_string_equal(c->evidence, "/var/lib/approverd/evidence.log");
	assert_string_equal(c->host_key, "/etc/approverd/host.key");
	assert_string_equal(c->approvers_dir, "/etc/approverd/approvers.d");
	assert_string_equal(c->policy, "/etc/approverd/policy.conf");
	assert_string_equal(c->user, "approverd");
	assert_string_equal(c->host_id, host);
	assert_int_equal(c->request_ttl, 1800);
	assert_int_equal(c->max_approval_ttl, 3600);
	assert_int_equal(c->checkpoint_every, 1000);
	assert_int_equal(c->checkpoint_interval, 300);
	assert_int_equal(c->max_pending_per_requester, 16);
	assert_int_equal(c->max_connections, 256);
	assert_int_equal(c->idle_timeout, 60);
	assert_int_equal(c->n_subject_users, 0);
	assert_null(c->subject_users[0]);
	assert_int_equal(c->n_subject_groups, 0);
	assert_int_equal(c->n_subject_uids, 0);
	assert_int_equal(c->client_wait, 300);
	assert_string_equal(c->client_socket, c->socket);
	ad_config_free(c);
}

static const char every_key[] =
	"[daemon]\n"
	"socket = /tmp/a.sock\n"
	"evidence = /tmp/ev.log\n"
	"host_key = /tmp/host.key\n"
	"approvers_dir = /tmp/approvers.d\n"
	"policy = /tmp/policy.conf\n"
	"request_ttl = 2h\n"
	"user = _approverd\n"
	"host_id = web-01.example.com\n"
	"max_approval_ttl = 1d\n"
	"checkpoint_every = 50\n"
	"checkpoint_interval = 90s\n"
	"max_pending_per_requester = 3\n"
	"max_connections = 10\n"
	"idle_timeout = 2m\n"
	"[subjects]\n"
	"users = ai-deploy, ai-ops\n"
	"groups = ai-agents\n"
	"uids = 60000-60999\n"
	"[client]\n"
	"wait = 0\n"
	"socket = /tmp/b.sock\n";

static void test_every_key(void **state)
{
	struct ad_config *c = parse_ok(every_key, AD_CONFIG_FULL);

	(void)state;
	assert_string_equal(c->socket, "/tmp/a.sock");
	assert_string_equal(c->evidence, "/tmp/ev.log");
	assert_string_equal(c->host_key, "/tmp/host.key");
	assert_string_equal(c->approvers_dir, "/tmp/approvers.d");
	assert_string_equal(c->policy, "/tmp/policy.conf");
	assert_int_equal(c->request_ttl, 7200);
	assert_string_equal(c->user, "_approverd");
	assert_string_equal(c->host_id, "web-01.example.com");
	assert_int_equal(c->max_approval_ttl, 86400);
	assert_int_equal(c->checkpoint_every, 50);
	assert_int_equal(c->checkpoint_interval, 90);
	assert_int_equal(c->max_pending_per_requester, 3);
	assert_int_equal(c->max_connections, 10);
	assert_int_equal(c->idle_timeout, 120);
	assert_int_equal(c->n_subject_users, 2);
	assert_string_equal(c->subject_users[1], "ai-ops");
	assert_int_equal(c->n_subject_groups, 1);
	assert_string_equal(c->subject_groups[0], "ai-agents");
	assert_int_equal(c->n_subject_uids, 1);
	assert_int_equal(c->subject_uids[0].lo, 60000);
	assert_int_equal(c->subject_uids[0].hi, 60999);
	assert_int_equal(c->client_wait, 0);
	assert_string_equal(c->client_socket, "/tmp/b.sock");
	ad_config_free(c);
}

static void test_client_socket_follows_daemon(void **state)
{
	struct ad_config *c = parse_ok("[daemon]\nsocket = /tmp/x.sock\n",
				       AD_CONFIG_FULL);

	(void)state;
	assert_string_equal(c->client_socket, "/tmp/x.sock");
	ad_config_free(c);
}

static void test_unknown_key_and_section(void **state)
{
	(void)state;
	parse_fails("[daemon]\nsockt = /x\n", AD_CONFIG_FULL,
		    "c.conf:2: unknown key 'sockt' in [daemon]");
	parse_fails("[subjects]\nuser = a\n", AD_CONFIG_FULL,
		    "c.conf:2: unknown key 'user' in [subjects]");
	parse_fails("[client]\nwait = 1\n\n[notfy slack]\nurl = x\n",
		    AD_CONFIG_FULL, "c.conf:4: unknown section [notfy slack]");
	parse_fails("[daemon]\nsocket = /a\nsocket = /b\n", AD_CONFIG_FULL,
		    "c.conf:3: duplicate key 'socket' in [daemon] (first at "
		    "line 2)");
	parse_fails("socket = /a\n", AD_CONFIG_FULL,
		    "c.conf:1: key 'socket' outside");
	parse_fails("[daemon]\nuser = bad user\n", AD_CONFIG_FULL,
		    "c.conf:2: bad value 'bad user' for 'user'");
	parse_fails("[subjects]\nusers = ok, b/ad\n", AD_CONFIG_FULL,
		    "c.conf:2: bad name 'b/ad' in 'users'");
	parse_fails("[daemon]\nhost_id = a b\n", AD_CONFIG_FULL,
		    "c.conf:2: bad value 'a b' for 'host_id'");
}

static void test_bad_numbers(void **state)
{
	(void)state;
	parse_fails("[daemon]\n\nrequest_ttl = 30x\n", AD_CONFIG_FULL,
		    "c.conf:3: bad duration '30x' for 'request_ttl'");
	parse_fails("[daemon]\nrequest_ttl = -5m\n", AD_CONFIG_FULL,
		    "c.conf:2: bad duration '-5m'");
	parse_fails("[daemon]\nrequest_ttl = 0\n", AD_CONFIG_FULL,
		    "c.conf:2: bad duration '0' for 'request_ttl'");
	parse_fails("[daemon]\nidle_timeout = 2d\n", AD_CONFIG_FULL,
		    "c.conf:2: bad duration '2d' for 'idle_timeout'");
	parse_fails("[client]\nwait = 5 minutes\n", AD_CONFIG_FULL,
		    "c.conf:2: bad duration '5 minutes' for 'wait'");
	parse_fails("[daemon]\nmax_connections = 0\n", AD_CONFIG_FULL,
		    "c.conf:2: bad number '0' for 'max_connections'");
	parse_fails("[daemon]\ncheckpoint_every = 99999999999\n",
		    AD_CONFIG_FULL, "c.conf:2: bad number '99999999999'");
	parse_fails("[daemon]\nmax_pending_per_requester = 1e3\n",
		    AD_CONFIG_FULL, "c.conf:2: bad number '1e3'");
}

static void test_relative_path(void **state)
{
	(void)state;
	parse_fails("[daemon]\nevidence = var/lib/ev.log\n", AD_CONFIG_FULL,
		    "c.conf:2: 'evidence' must be an absolute path");
	parse_fails("[client]\nsocket = approverd.sock\n", AD_CONFIG_CLIENT,
		    "c.conf:2: 'socket' must be an absolute path");
	parse_fails("[daemon]\npolicy =\n", AD_CONFIG_FULL,
		    "c.conf:2: 'policy' must be an absolute path");
}

static void test_client_mode(void **state)
{
	struct ad_config *c;

	(void)state;
	/* [daemon] keys are skipped without validation, but for socket */
	c = parse_ok("[daemon]\nevidence = relative\nbogus = 1\n"
		     "[subjects]\nusers = ai-a\n[client]\nwait = 10\n",
		     AD_CONFIG_CLIENT);
	assert_int_equal(c->n_subject_users, 1);
	assert_int_equal(c->client_wait, 10);
	assert_string_equal(c->client_socket, AD_DEFAULT_SOCKET);
	ad_config_free(c);
	/* a client follows [daemon] socket when [client] names none */
	c = parse_ok("[daemon]\nsocket = /srv/ad/d.sock\nbogus = 1\n"
		     "[subjects]\nusers = ai-a\n", AD_CONFIG_CLIENT);
	assert_string_equal(c->client_socket, "/srv/ad/d.sock");
	ad_config_free(c);
	/* ...and [client] socket wins over it */
	c = parse_ok("[daemon]\nsocket = /srv/ad/d.sock\n[client]\n"
		     "socket = /srv/ad/c.sock\n", AD_CONFIG_CLIENT);
	assert_string_equal(c->client_socket, "/srv/ad/c.sock");
	ad_config_free(c);
	/* a broken [daemon] socket is a broken client config too */
	parse_fails("[daemon]\nsocket = relative\n", AD_CONFIG_CLIENT,
		    "c.conf:2:");
	/* ...but [subjects] and [client] are checked */
	parse_fails("[daemon]\nx = 1\n[subjects]\nusres = a\n",
		    AD_CONFIG_CLIENT, "c.conf:4: unknown key 'usres' in "
				      "[subjects]");
	parse_fails("[daemon]\nsocket = relative\n", AD_CONFIG_FULL,
		    "c.conf:2:");
	/* a misspelt section is never skipped: that would hide AI users */
	parse_fails("[client]\nwait = 1\n[subjets]\nusers = ai-a\n",
		    AD_CONFIG_CLIENT, "c.conf:3: unknown section [subjets]");
}

static void test_syntax(void **state)
{
	char text[600];

	(void)state;
	parse_fails("[daemon]\nsocket /x\n", AD_CONFIG_FULL,
		    "c.conf:2: expected 'key = value'");
	parse_fails("[daemon\n", AD_CONFIG_FULL, "c.conf:1: '[' without ']'");
	parse_fails("[daemon]\nsocket = /x\n  user = y\n", AD_CONFIG_FULL,
		    "c.conf:3: indented line");
	parse_fails("[subjects]\nusers = a\tb\x01\n", AD_CONFIG_FULL,
		    "c.conf:2: control character");
	snprintf(text, sizeof(text), "[daemon]\nsocket = /%0250d\n", 1);
	parse_fails(text, AD_CONFIG_FULL, "c.conf:2: line too long");
}

/* The example of DESIGN.md §5, verbatim (# comments, indented comments). */
static void test_design_example(void **state)
{
	static const char ex[] =
		"# approverd.conf\n[daemon]\n"
		"socket = /run/approverd/approverd.sock\n"
		"evidence = /var/lib/approverd/evidence.log\n"
		"host_key = /etc/approverd/host.key\n"
		"approvers_dir = /etc/approverd/approvers.d\n"
		"policy = /etc/approverd/policy.conf\n"
		"request_ttl = 30m\n"
		"user = approverd      # unprivileged user the daemon runs as "
		"after start-up\n\n"
		"[subjects]            # who is an AI service account\n"
		"users = ai-deploy, ai-ops\ngroups = ai-agents\n\n[client]\n"
		"wait = 300            # seconds sudo/PAM wait for a decision; "
		"0 = do not wait;\n"
		"                      # the caller may lower it with "
		"APPROVERD_WAIT (agents\n"
		"                      # with short tool timeouts use 0 and "
		"re-run)\n";
	struct ad_config *c = parse_ok(ex, AD_CONFIG_FULL);

	(void)state;
	assert_string_equal(c->user, "approverd");
	assert_int_equal(c->client_wait, 300);
	assert_int_equal(c->n_subject_users, 2);
	ad_config_free(c);
}

static void test_subject_is_ai(void **state)
{
	struct ad_config *c = parse_ok("[subjects]\nusers = ai-deploy, root\n"
				       "groups = no-such-group-q7\n",
				       AD_CONFIG_FULL);
	struct ad_config *g = parse_ok("[subjects]\ngroups = root\n",
				       AD_CONFIG_FULL);

	(void)state;
	assert_int_equal(ad_subject_is_ai(c, "ai-deploy", 4242, 4242), 1);
	assert_int_equal(ad_subject_is_ai(c, "alice", 4243, 4243), 0);
	/* an alias of a listed account (same uid as root) is an AI subject */
	assert_int_equal(ad_subject_is_ai(c, "toor", 0, 4243), 1);
	assert_int_equal(ad_subject_is_ai(g, "someone", 4244, 0), 1);
	assert_int_equal(ad_subject_is_ai(g, "root", 0, 0), 1);
	assert_int_equal(ad_subject_is_ai(g, "alice", 4243, 4243), 0);
	assert_true(ad_subject_is_ai(g, "", 1, 1) < 0);
	ad_config_free(c);
	ad_config_free(g);
}

/* [subjects] uids: what is stored, in both modes. */
static void test_uids_valid(void **state)
{
	struct ad_config *c;

	(void)state;
	for (int flags = AD_CONFIG_FULL; flags <= AD_CONFIG_CLIENT; flags++) {
		c = parse_ok("[subjects]\nuids = 60000-60999, 70000\n", flags);
		assert_int_equal(c->n_subject_uids, 2);
		assert_int_equal(c->subject_uids[0].lo, 60000);
		assert_int_equal(c->subject_uids[0].hi, 60999);
		assert_int_equal(c->subject_uids[1].lo, 70000);
		assert_int_equal(c->subject_uids[1].hi, 70000);
		assert_int_equal(c->n_subject_users, 0);
		assert_int_equal(c->n_subject_groups, 0);
		ad_config_free(c);
	}
	c = parse_ok("[subjects]\nuids = 1-4294967294\n", AD_CONFIG_FULL);
	assert_int_equal(c->n_subject_uids, 1);
	assert_int_equal(c->subject_uids[0].lo, 1);
	assert_int_equal(c->subject_uids[0].hi, 4294967294u);
	ad_config_free(c);
	/* empty: no ranges, like an empty users = */
	c = parse_ok("[subjects]\nuids =\nusers =\n", AD_CONFIG_FULL);
	assert_int_equal(c->n_subject_uids, 0);
	ad_config_free(c);
	c = parse_ok("# none\n", AD_CONFIG_CLIENT);
	assert_int_equal(c->n_subject_uids, 0);
	assert_null(c->subject_uids);
	ad_config_free(c);
	/* separators as for users: commas and spaces, empty items vanish;
	 * file order kept, overlaps and leading zeros allowed */
	c = parse_ok("[subjects]\nuids = ,, 5-6 ,,7   0010-0012,5 ,\n",
		     AD_CONFIG_CLIENT);
	assert_int_equal(c->n_subject_uids, 4);
	assert_int_equal(c->subject_uids[0].lo, 5);
	assert_int_equal(c->subject_uids[0].hi, 6);
	assert_int_equal(c->subject_uids[1].lo, 7);
	assert_int_equal(c->subject_uids[1].hi, 7);
	assert_int_equal(c->subject_uids[2].lo, 10);
	assert_int_equal(c->subject_uids[2].hi, 12);
	assert_int_equal(c->subject_uids[3].lo, 5);
	assert_int_equal(c->subject_uids[3].hi, 5);
	ad_config_free(c);
	/* with users and groups, and [daemon] skipped in client mode */
	c = parse_ok("[daemon]\nbogus = 1\n[subjects]\nusers = ai-a\n"
		     "uids = 100\ngroups = g\n", AD_CONFIG_CLIENT);
	assert_int_equal(c->n_subject_uids, 1);
	assert_int_equal(c->n_subject_users, 1);
	assert_int_equal(c->n_subject_groups, 1);
	ad_config_free(c);
}

/* n comma-separated uids 1..n after "uids = ". */
static void uid_list(char *out, size_t len, int n)
{
	size_t k = (size_t)snprintf(out, len, "[subjects]\nuids = ");

	for (int i = 1; i <= n && k < len; i++)
		k += (size_t)snprintf(out + k, len - k, "%s%d", i > 1 ? "," : "",
				      i);
	snprintf(out + k, len - k, "\n");
}

static void test_uids_errors(void **state)
{
	static const char *const bad[] = {
		"0", "4294967295", "70-60", "-5", "5-", "a", "5--6", "1-2-3",
		"0-5", "5-4294967295", "-", "1e3", "+5", "0x10", "99999999999",
		"18446744073709551617", "5-a", "a-5", "\xc2\xb5"};
	char text[400], want[200];
	struct ad_config *c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int flags = AD_CONFIG_FULL; flags <= AD_CONFIG_CLIENT;
		     flags++) {
			snprintf(text, sizeof(text), "[subjects]\nusers = a\n"
				 "uids = 100, %s, 200\n", bad[i]);
			snprintf(want, sizeof(want), "c.conf:3: bad uid range "
				 "'%s' in 'uids' (N or N-M, 1..4294967294, N "
				 "<= M)", bad[i]);
			parse_fails(text, flags, want);
		}
	}
	/* spaces inside an item split it: "-" is then the bad item */
	parse_fails("[subjects]\nuids = 60 - 70\n", AD_CONFIG_CLIENT,
		    "c.conf:2: bad uid range '-' in 'uids'");
	/* a tab or other control byte is refused before any splitting */
	parse_fails("[subjects]\nuids = 5\t6\n", AD_CONFIG_FULL,
		    "c.conf:2: control character in the value of 'uids'");
	/* 64 items pass, 65 do not (the 65th named) */
	uid_list(text, sizeof(text), 64);
	c = parse_ok(text, AD_CONFIG_CLIENT);
	assert_int_equal(c->n_subject_uids, 64);
	assert_int_equal(c->subject_uids[63].lo, 64);
	ad_config_free(c);
	uid_list(text, sizeof(text), 65);
	parse_fails(text, AD_CONFIG_FULL, "c.conf:2: too many uid ranges in "
					  "'uids' (at most 64; '65' is number "
					  "65)");
	parse_fails(text, AD_CONFIG_CLIENT, "too many uid ranges in 'uids'");
	/* a duplicate key, even an empty one */
	parse_fails("[subjects]\nuids = 5\nusers = a\nuids =\n", AD_CONFIG_FULL,
		    "c.conf:4: duplicate key 'uids' in [subjects] (first at "
		    "line 2)");
	parse_fails("[subjects]\nuids =\nuids = 5\n", AD_CONFIG_CLIENT,
		    "c.conf:3: duplicate key 'uids' in [subjects]");
	/* uids belongs to [subjects] only */
	parse_fails("[client]\nuids = 5\n", AD_CONFIG_CLIENT,
		    "c.conf:2: unknown key 'uids' in [client]");
}

/* Ranges decide without NSS: a name that does not exist is still AI by
 * uid; bounds are inclusive; 0 and (uid_t)-1 are never in a range. */
static void test_uids_subject(void **state)
{
	struct ad_config *c = parse_ok("[subjects]\nuids = 60000-60999, "
				       "70000, 4294967294\n", AD_CONFIG_CLIENT);
	struct ad_config *all = parse_ok("[subjects]\nuids = 1-4294967294\n",
					 AD_CONFIG_FULL);
	static const struct {
		uid_t uid;
		int ai;
	} v[] = {{59999, 0}, {60000, 1}, {60500, 1}, {60999, 1}, {61000, 0},
		 {69999, 0}, {70000, 1}, {70001, 0}, {0, 0}, {1, 0},
		 {4294967293u, 0}, {4294967294u, 1}, {(uid_t)-1, 0}};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(ad_subject_uid_listed(c, v[i].uid), v[i].ai);
		assert_int_equal(ad_subject_is_ai(c, "no-such-user-u7",
						  v[i].uid, 4243), v[i].ai);
	}
	assert_int_equal(ad_subject_uid_listed(all, 1), 1);
	assert_int_equal(ad_subject_uid_listed(all, 0), 0);
	assert_int_equal(ad_subject_uid_listed(all, (uid_t)-1), 0);
	assert_int_equal(ad_subject_is_ai(all, "root", 0, 0), 0);
	assert_int_equal(ad_subject_is_ai(all, "no-such-user-u7", (uid_t)-1,
					  (gid_t)-1), 0);
	assert_int_equal(ad_subject_uid_listed(NULL, 60000), 0);
	/* the argument checks still come first */
	assert_true(ad_subject_is_ai(c, "", 60000, 1) < 0);
	ad_config_free(c);
	ad_config_free(all);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[256], link[256];
	char err[512];
	struct ad_config *c = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/approverd.conf", dir);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	write_file(path, every_key, 0644);
	assert_int_equal(ad_config_load(&c, path, AD_CONFIG_FULL, err,
					sizeof(err)), 0);
	assert_string_equal(c->path, path);
	assert_string_equal(c->socket, "/tmp/a.sock");
	ad_config_free(c);
	write_file(path, "[daemon]\nfoo = 1\n", 0600);
	assert_int_equal(ad_config_load(&c, path, AD_CONFIG_FULL, err,
					sizeof(err)), AD_ERR_CONFIG);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ":2: unknown key 'foo' in [daemon]"));
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(ad_config_load(&c, path, AD_CONFIG_CLIENT, err,
					sizeof(err)), AD_ERR_UNTRUSTED);
	assert_null(c);
	assert_non_null(strstr(err, path));
	assert_int_equal(symlink(path, link), 0);
	assert_int_not_equal(ad_config_load(&c, link, AD_CONFIG_CLIENT, err,
					    sizeof(err)), 0);
	assert_null(c);
	assert_non_null(strstr(err, link));
	assert_int_equal(ad_config_load(&c, "rel.conf", AD_CONFIG_FULL, err,
					sizeof(err)), AD_ERR_CONFIG);
	assert_non_null(strstr(err, "must be absolute"));
	unlink(link);
	assert_int_equal(ad_config_load(&c, link, AD_CONFIG_FULL, err,
					sizeof(err)), AD_ERR_NOTFOUND);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_client_socket_follows_daemon),
		cmocka_unit_test(test_unknown_key_and_section),
		cmocka_unit_test(test_bad_numbers),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_client_mode),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_subject_is_ai),
		cmocka_unit_test(test_uids_valid),
		cmocka_unit_test(test_uids_errors),
		cmocka_unit_test(test_uids_subject),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
