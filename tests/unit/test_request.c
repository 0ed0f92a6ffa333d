/* test_request.c — execution/request digests, JSON form, file hash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>

#include "error.h"
#include "request.h"

static void strv_set(struct ad_strv *v, size_t n, const char *const *items)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->n = n;
	v->v = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		v->v[i] = strdup(items[i]);
}

static void setstr(char **f, const char *s)
{
	free(*f);
	*f = strdup(s);
}

static void sample(struct ad_request *r)
{
	static const char *const argv[] = {"systemctl", "restart", "nginx"};
	static const char *const env[] = {"LANG=C", "PATH=/usr/bin"};

	ad_request_init(r);
	r->requester = strdup("ai-deploy");
	r->uid = 1001;
	r->host = strdup("web1");
	r->service = strdup("sudo");
	r->runas_user = strdup("root");
	r->runas_groups = strdup("0,4");
	r->command = strdup("/usr/bin/systemctl");
	r->exe_hash = strdup(
	    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	strv_set(&r->argv, 3, argv);
	r->cwd = strdup("/srv");
	r->chroot = strdup("");
	strv_set(&r->env, 2, env);
	strcpy(r->id, "R-7F3A-9C21");
	r->reason = strdup("deploy 42");
	r->ticket = strdup("CHG-1");
	r->rollback = strdup("revert");
	r->agent = strdup("agent-x");
	r->sponsor = strdup("alice");
	r->tty = strdup("/dev/pts/1");
	r->rhost = strdup("");
	r->rule = strdup("restart-web");
	r->created_us = 1700000000123456ULL;
}

struct digests {
	uint8_t exec[AD_DIGEST_LEN], req[AD_DIGEST_LEN];
};

static void digests(struct digests *d, const struct ad_request *r)
{
	assert_int_equal(ad_exec_digest(d->exec, r), 0);
	assert_int_equal(ad_request_digest(d->req, r), 0);
}

/* Computed independently from docs/formats/crypto.md (Python hashlib). */
#define EXEC_KAT                                                               \
	"e8ccf398551ccb69f8ac499613d3297cb093c637723758cbb7c3112eb1a65edb"
#define REQ_KAT                                                                \
	"18994ef4a55a8a5f471988112fbbbb1ec21312192b48fbc90ae4717f73af4036"
/* Known answer: locks the documented field order (docs/formats/crypto.md). */
static void test_known_answer(void **state)
{
	struct ad_request r;
	struct digests d;
	char hex[AD_DIGEST_HEX];

	sample(&r);
	digests(&d, &r);
	ad_digest_hex(hex, d.exec);
	assert_string_equal(hex, EXEC_KAT);
	ad_digest_hex(hex, d.req);
	assert_string_equal(hex, REQ_KAT);
	ad_request_free(&r);
}

/* Change one field: exec fields move both digests, context fields only the
 * request digest. */
static void check_change(void (*mut)(struct ad_request *), int exec_field)
{
	struct ad_request r;
	struct digests a, b;

	sample(&r);
	digests(&a, &r);
	mut(&r);
	digests(&b, &r);
	assert_memory_not_equal(a.req, b.req, AD_DIGEST_LEN);
	if (exec_field)
		assert_memory_not_equal(a.exec, b.exec, AD_DIGEST_LEN);
	else
		assert_memory_equal(a.exec, b.exec, AD_DIGEST_LEN);
	ad_request_free(&r);
}

#define MUT(name, body)                                                        \
	static void name(struct ad_request *r)                                 \
	{                                                                      \
		body;                                                          \
	}
MUT(m_requester, setstr(&r->requester, "ai-ops"))
MUT(m_uid, r->uid++)
MUT(m_host, setstr(&r->host, "web2"))
MUT(m_service, setstr(&r->service, "su"))
MUT(m_runas_user, setstr(&r->runas_user, "www"))
MUT(m_runas_uid, r->runas_uid = 33)
MUT(m_runas_gid, r->runas_gid = 33)
MUT(m_runas_groups, setstr(&r->runas_groups, "0"))
MUT(m_command, setstr(&r->command, "/bin/systemctl"))
MUT(m_exe_hash, setstr(&r->exe_hash, ""))
MUT(m_argv, setstr(&r->argv.v[2], "apache"))
MUT(m_argv_n, r->argv.n = 2; free(r->argv.v[2]); r->argv.v[2] = NULL)
MUT(m_cwd, setstr(&r->cwd, "/"))
MUT(m_chroot, setstr(&r->chroot, "/jail"))
MUT(m_env, setstr(&r->env.v[0], "LANG=de"))
MUT(m_id, strcpy(r->id, "R-0000-0000"))
MUT(m_reason, setstr(&r->reason, "deploy 43"))
MUT(m_ticket, setstr(&r->ticket, "CHG-2"))
MUT(m_rollback, setstr(&r->rollback, ""))
MUT(m_agent, setstr(&r->agent, "agent-y"))
MUT(m_sponsor, setstr(&r->sponsor, "bob"))
MUT(m_tty, setstr(&r->tty, "/dev/pts/2"))
MUT(m_rhost, setstr(&r->rhost, "10.0.0.1"))
MUT(m_rule, setstr(&r->rule, "default"))
MUT(m_created, r->created_us++)

static void test_every_field(void **state)
{
	void (*const exec[])(struct ad_request *) = {
	    m_requester, m_uid,       m_host,         m_service, m_runas_user,
	    m_runas_uid, m_runas_gid, m_runas_groups, m_command, m_exe_hash,
	    m_argv,      m_argv_n,    m_cwd,          m_chroot,  m_env};
	void (*const ctx[])(struct ad_request *) = {
	    m_id,      m_reason, m_ticket, m_rollback, m_agent,
	    m_sponsor, m_tty,    m_rhost,  m_rule,     m_created};

	for (size_t i = 0; i < sizeof(exec) / sizeof(exec[0]); i++)
		check_change(exec[i], 1);
	for (size_t i = 0; i < sizeof(ctx) / sizeof(ctx[0]); i++)
		check_change(ctx[i], 0);
}

/* Two requests that differ only as given must differ in both digests. */
static void check_differ(struct ad_request *a, struct ad_request *b)
{
	struct digests x, y;

	digests(&x, a);
	digests(&y, b);
	assert_memory_not_equal(x.exec, y.exec, AD_DIGEST_LEN);
	assert_memory_not_equal(x.req, y.req, AD_DIGEST_LEN);
	ad_request_free(a);
	ad_request_free(b);
}

static void test_collisions(void **state)
{
	static const char *const ab_c[] = {"ab", "c"}, *const a_bc[] = {"a",
	                                                                "bc"};
	static const char *const x[] = {"X=1"}, *const empty[] = {""};
	struct ad_request a, b;

	/* bytes shifted between neighbouring fields */
	sample(&a);
	sample(&b);
	setstr(&a.requester, "ai-deployw");
	setstr(&a.host, "eb1");
	check_differ(&a, &b);
	sample(&a);
	sample(&b);
	setstr(&a.cwd, "/srv/");
	setstr(&a.chroot, "");
	setstr(&b.cwd, "/srv");
	setstr(&b.chroot, "/");
	check_differ(&a, &b);
	/* inside a list */
	sample(&a);
	sample(&b);
	strv_set(&a.argv, 2, ab_c);
	strv_set(&b.argv, 2, a_bc);
	check_differ(&a, &b);
	/* an argv element moved into env */
	sample(&a);
	sample(&b);
	strv_set(&a.argv, 1, x);
	strv_set(&a.env, 0, NULL);
	strv_set(&b.argv, 0, NULL);
	strv_set(&b.env, 1, x);
	check_differ(&a, &b);
	/* empty vs absent: [] vs [""] */
	sample(&a);
	sample(&b);
	strv_set(&a.argv, 0, NULL);
	strv_set(&b.argv, 1, empty);
	check_differ(&a, &b);
	sample(&a);
	sample(&b);
	strv_set(&a.env, 0, NULL);
	strv_set(&b.env, 1, empty);
	check_differ(&a, &b);
	/* context shifted between neighbours changes the request digest */
	struct digests d1, d2;
	sample(&a);
	sample(&b);
	setstr(&a.reason, "deploy 4");
	setstr(&a.ticket, "2CHG-1");
	digests(&d1, &a);
	digests(&d2, &b);
	assert_memory_not_equal(d1.req, d2.req, AD_DIGEST_LEN);
	assert_memory_equal(d1.exec, d2.exec, AD_DIGEST_LEN);
	ad_request_free(&a);
	ad_request_free(&b);
}

static void test_json_roundtrip(void **state)
{
	struct ad_request r, back;
	struct digests a, b;
	char err[128];
	json_t *j;

	sample(&r);
	r.uid = 4294967294u; /* the largest real uid */
	j = ad_request_to_json(&r);
	assert_non_null(j);
	assert_int_equal(ad_request_from_json(&back, j, err, sizeof(err)), 0);
	digests(&a, &r);
	digests(&b, &back);
	assert_memory_equal(a.req, b.req, AD_DIGEST_LEN);
	assert_int_equal(back.uid, 4294967294u);
	assert_true(back.created_us == r.created_us);
	json_decref(j);
	ad_request_free(&back);
	/* optional fields may be absent and become "" */
	j = json_pack("{s:s,s:i,s:s,s:s,s:s,s:i,s:i}", "requester", "a", "uid",
	              1, "host", "h", "service", "sshd", "runas_user", "a",
	              "runas_uid", 1, "runas_gid", 1);
	assert_int_equal(ad_request_from_json(&back, j, err, sizeof(err)), 0);
	assert_string_equal(back.reason, "");
	assert_string_equal(back.command, "");
	assert_int_equal(back.argv.n, 0);
	json_decref(j);
	ad_request_free(&back);
	ad_request_free(&r);
}

/* Set key to v (NULL: delete) in the sample's JSON; expect rc and err. */
static void json_bad(const char *key, json_t *v, int want, const char *field)
{
	struct ad_request r;
	char err[128];
	json_t *j;

	sample(&r);
	j = ad_request_to_json(&r);
	ad_request_free(&r);
	if (v != NULL)
		json_object_set_new(j, key, v);
	else
		json_object_del(j, key);
	assert_int_equal(ad_request_from_json(&r, j, err, sizeof(err)), want);
	assert_non_null(strstr(err, field));
	assert_null(r.requester);
	json_decref(j);
}

static void test_json_strict(void **state)
{
	char big[AD_CONTEXT_MAX + 2];
	json_t *a;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_bad("bogus", json_string("x"), AD_ERR_INVALID, "bogus");
	/* an unknown key is reported escaped, never raw */
	json_bad("a\033[2J", json_string("x"), AD_ERR_INVALID, "a\\x1b[2J");
	json_bad("uid", json_integer(-1), AD_ERR_RANGE, "uid");
	json_bad("uid", json_integer(4294967296LL), AD_ERR_RANGE, "uid");
	/* (uid_t)-1 is "no identity", never a requester or a target */
	json_bad("uid", json_integer(4294967295LL), AD_ERR_RANGE, "uid");
	json_bad("runas_uid", json_integer(4294967295LL), AD_ERR_RANGE, "runas_uid");
	json_bad("runas_gid", json_integer(4294967295LL), AD_ERR_RANGE, "runas_gid");
	json_bad("runas_gid", json_string("0"), AD_ERR_INVALID, "runas_gid");
	json_bad("runas_uid", json_real(0.0), AD_ERR_INVALID, "runas_uid");
	json_bad("created_us", json_integer(-5), AD_ERR_RANGE, "created_us");
	json_bad("requester", NULL, AD_ERR_INVALID, "requester");
	json_bad("uid", NULL, AD_ERR_INVALID, "uid");
	json_bad("host", json_integer(1), AD_ERR_INVALID, "host");
	json_bad("argv", json_string("ls"), AD_ERR_INVALID, "argv");
	json_bad("argv", json_pack("[s,i]", "a", 1), AD_ERR_INVALID, "argv");
	json_bad("env", json_pack("[n]"), AD_ERR_INVALID, "env");
	json_bad("reason", json_string(big), AD_ERR_TOOBIG, "reason");
	json_bad("cwd", json_stringn("a\0b", 3), AD_ERR_INVALID, "cwd");
	json_bad("id", json_string("R-1 2"), AD_ERR_INVALID, "id");
	json_bad("id", json_string("R-123456789012345678901234"), AD_ERR_TOOBIG,
	         "id");
	json_bad("exe_hash", json_string("ABCD"), AD_ERR_INVALID, "exe_hash");
	a = json_array();
	for (int i = 0; i <= AD_ARGV_MAX; i++)
		json_array_append_new(a, json_string("a"));
	json_bad("argv", a, AD_ERR_TOOBIG, "argv");
	/* reason exactly at the cap is fine */
	big[AD_CONTEXT_MAX] = '\0';
	struct ad_request r;
	char err[64];
	sample(&r);
	setstr(&r.reason, big);
	json_t *j = ad_request_to_json(&r);
	ad_request_free(&r);
	assert_int_equal(ad_request_from_json(&r, j, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.reason), AD_CONTEXT_MAX);
	ad_request_free(&r);
	json_decref(j);
	j = json_array();
	assert_int_equal(ad_request_from_json(&r, j, err, 64), AD_ERR_INVALID);
	assert_non_null(strstr(err, "request"));
	json_decref(j);
}

static void test_json_shape(void **state)
{
	static const char *const keys[] = {
	    "requester", "uid",       "host",         "service",   "runas_user",
	    "runas_uid", "runas_gid", "runas_groups", "command",   "exe_hash",
	    "argv",      "cwd",       "chroot",       "env",       "id",
	    "reason",    "ticket",    "rollback",     "agent",     "sponsor",
	    "tty",       "rhost",     "rule",         "created_us"};
	struct ad_request r;
	json_t *j;

	sample(&r);
	j = ad_request_to_json(&r);
	assert_int_equal(json_object_size(j), sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_non_null(json_object_get(j, keys[i]));
	assert_true(json_integer_value(json_object_get(j, "created_us")) ==
	            1700000000123456LL);
	json_decref(j);
	/* a field that is not UTF-8 has no JSON form: the caller fails closed
	 */
	setstr(&r.argv.v[1], "caf\xe9");
	assert_null(ad_request_to_json(&r));
	ad_request_free(&r);
}

static void test_file_hash(void **state)
{
	char dir[] = "/tmp/test_request.XXXXXX", path[64];
	char hex[AD_DIGEST_HEX];
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	/* offset at EOF: the whole file is still hashed */
	assert_int_equal(ad_file_hash_fd(hex, fd), 0);
	assert_string_equal(
	    hex,
	    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
	close(fd);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(ad_file_hash_fd(hex, fd), AD_ERR_INVALID);
	assert_string_equal(hex, "");
	close(fd);
	unlink(path);
	rmdir(dir);
}

static void test_states(void **state)
{
	for (int s = AD_STATE_NONE; s <= AD_STATE_CONSUMED; s++)
		assert_int_equal(ad_state_parse(ad_state_name(s)), s);
	assert_string_equal(ad_state_name(AD_STATE_PENDING), "pending");
	assert_int_equal(ad_state_parse("bogus"), -1);
	assert_string_equal(ad_state_name((enum ad_state)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_answer),
	    cmocka_unit_test(test_every_field),
	    cmocka_unit_test(test_collisions),
	    cmocka_unit_test(test_json_roundtrip),
	    cmocka_unit_test(test_json_strict),
	    cmocka_unit_test(test_json_shape),
	    cmocka_unit_test(test_file_hash),
	    cmocka_unit_test(test_states),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
