/*
 * test_subject_fast.c — one decision's [subjects] look-ups (common/subject.c,
 * struct ad_subject_memo) and the require= match that needs no look-up
 * (common/pamreq.c), against a fake NSS defined here.
 *
 * getpwnam_r, getgrnam_r and getgrouplist are defined in this program, so
 * the library's calls (common/nss.c) land here: a small passwd/group with
 * members, names whose look-up fails (an NSS error, not "no such name"),
 * and counters. The memo must give, for every input, exactly the answers
 * of the plain look-ups (a reference built from nss.h, as the code was
 * before the memo), while making each look-up at most once per decision.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "nss.h"
#include "pamreq.h"

/* ---- the fake NSS ------------------------------------------------------ */

static const struct {
	const char *name;
	uid_t uid;
	gid_t gid;
} fake_pw[] = {
    {"root", 0, 0},
    {"toor", 0, 0},
    {"ai-deploy", 2001, 2001},
    {"ai-ops", 2002, 2002},
    {"alice", 2101, 2101},
    {"bob", 2102, 2102},
    {"carol", 2103, 2000},
    {"gl-broken", 2300, 2300},
};
static const struct {
	const char *name;
	gid_t gid;
	const char *members; /* ",a,b," */
} fake_gr[] = {
    {"root", 0, ","},
    {"wheel", 10, ",bob,"},
    {"ai-agents", 2000, ",ai-ops,"},
    {"ops", 3000, ",alice,bob,"},
};
/* look-ups of these names fail (EIO): NSS could not answer */
#define PW_BROKEN "pw-broken"
#define GR_BROKEN "gr-broken"
#define GL_BROKEN "gl-broken" /* exists, but getgrouplist fails */

static struct {
	int pw, gr, gl;
} calls;

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
               struct passwd **res)
{
	(void)buf;
	(void)len;
	calls.pw++;
	*res = NULL;
	if (strcmp(name, PW_BROKEN) == 0)
		return EIO;
	for (size_t i = 0; i < sizeof(fake_pw) / sizeof(fake_pw[0]); i++)
		if (strcmp(fake_pw[i].name, name) == 0) {
			memset(pw, 0, sizeof(*pw));
			pw->pw_uid = fake_pw[i].uid;
			pw->pw_gid = fake_pw[i].gid;
			*res = pw;
			return 0;
		}
	return 0;
}

int getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
               struct group **res)
{
	(void)buf;
	(void)len;
	calls.gr++;
	*res = NULL;
	if (strcmp(name, GR_BROKEN) == 0)
		return EIO;
	for (size_t i = 0; i < sizeof(fake_gr) / sizeof(fake_gr[0]); i++)
		if (strcmp(fake_gr[i].name, name) == 0) {
			memset(gr, 0, sizeof(*gr));
			gr->gr_gid = fake_gr[i].gid;
			*res = gr;
			return 0;
		}
	return 0;
}

static int member_of(const char *user, const char *members)
{
	char pat[64];

	snprintf(pat, sizeof(pat), ",%s,", user);
	return strstr(members, pat) != NULL;
}

int getgrouplist(const char *user, gid_t group, gid_t *groups, int *ngroups)
{
	int n = 0;

	calls.gl++;
	if (strcmp(user, GL_BROKEN) == 0)
		return -1; /* *ngroups unchanged: an error, not "too small" */
	if (n < *ngroups)
		groups[n] = group;
	n++;
	for (size_t i = 0; i < sizeof(fake_gr) / sizeof(fake_gr[0]); i++)
		if (member_of(user, fake_gr[i].members) &&
		    fake_gr[i].gid != group) {
			if (n < *ngroups)
				groups[n] = fake_gr[i].gid;
			n++;
		}
	if (n > *ngroups) {
		*ngroups = n;
		return -1;
	}
	*ngroups = n;
	return n;
}

/* ---- the reference: the plain look-ups, as before the memo ------------- */

static int ref_is_ai(const struct ad_config *c, const char *user, uid_t uid,
                     gid_t gid)
{
	uid_t u;
	gid_t g;
	int rc;

	if (c == NULL || user == NULL || user[0] == '\0')
		return AD_ERR_INVALID;
	for (size_t i = 0; i < c->n_subject_users; i++)
		if (strcmp(c->subject_users[i], user) == 0)
			return 1;
	for (size_t i = 0; i < c->n_subject_groups; i++)
		if ((rc = ad_nss_in_group(user, gid, c->subject_groups[i])) !=
		    0)
			return rc;
	for (size_t i = 0; i < c->n_subject_users; i++) {
		rc = ad_nss_user(c->subject_users[i], &u, &g);
		if (rc < 0)
			return rc;
		if (rc == 1 && u == uid)
			return 1;
	}
	return 0;
}

static int ref_gids_ai(const struct ad_config *c, const gid_t *gids, size_t n)
{
	gid_t g;
	int rc;

	for (size_t i = 0; i < c->n_subject_groups; i++) {
		rc = ad_nss_group(c->subject_groups[i], &g);
		if (rc < 0)
			return 1;
		if (rc == 0)
			continue;
		for (size_t k = 0; k < n; k++)
			if (gids[k] == g)
				return 1;
	}
	return 0;
}

static void cfg_set(struct ad_config *c, char **users, size_t nu, char **groups,
                    size_t ng)
{
	memset(c, 0, sizeof(*c));
	c->subject_users = users;
	c->n_subject_users = nu;
	c->subject_groups = groups;
	c->n_subject_groups = ng;
}

/* ---- tests ------------------------------------------------------------- */

/* sudo's decision: the group's gid is looked up once for both tests. */
static void test_group_resolved_once(void **state)
{
	char *groups[] = {"ai-agents", NULL};
	struct ad_subject_memo m;
	struct ad_config c;
	gid_t human[] = {2101, 3000}, held[] = {2101, 2000};

	(void)state;
	cfg_set(&c, NULL, 0, groups, 1);
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(ad_subject_memo_init(&m, &c), 0);
	assert_int_equal(ad_subject_memo_is_ai(&m, "alice", 2101, 2101), 0);
	assert_int_equal(ad_subject_memo_gids_ai(&m, human, 2), 0);
	assert_int_equal(ad_subject_memo_gids_ai(&m, held, 2), 1);
	assert_int_equal(calls.gr, 1);
	assert_int_equal(calls.gl, 1);
	/* a member by NSS, and one by primary gid (no group list needed) */
	assert_int_equal(ad_subject_memo_is_ai(&m, "ai-ops", 2002, 2002), 1);
	assert_int_equal(calls.gl, 2);
	assert_int_equal(ad_subject_memo_is_ai(&m, "carol", 2103, 2000), 1);
	assert_int_equal(calls.gl, 2);
	assert_int_equal(calls.gr, 1);
	ad_subject_memo_free(&m);
	ad_subject_memo_free(&m); /* freed twice: harmless */
}

/* A listed group that does not exist is skipped, in both tests. */
static void test_group_missing_skipped(void **state)
{
	char *groups[] = {"no-such-group", NULL};
	struct ad_subject_memo m;
	struct ad_config c;
	gid_t held[] = {2000, 0, 10};

	(void)state;
	cfg_set(&c, NULL, 0, groups, 1);
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(ad_subject_memo_init(&m, &c), 0);
	assert_int_equal(ad_subject_memo_is_ai(&m, "alice", 2101, 2101), 0);
	assert_int_equal(ad_subject_memo_gids_ai(&m, held, 3), 0);
	assert_int_equal(calls.gr, 1);
	assert_int_equal(calls.gl, 0); /* nothing to be a member of */
	ad_subject_memo_free(&m);
}

/* An NSS error on a listed group: is_ai an error, gids_ai 1 (AI). */
static void test_group_error_fails_closed(void **state)
{
	char *groups[] = {GR_BROKEN, "ai-agents", NULL};
	struct ad_subject_memo m;
	struct ad_config c;
	gid_t human[] = {2101};

	(void)state;
	cfg_set(&c, NULL, 0, groups, 2);
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(ad_subject_memo_init(&m, &c), 0);
	assert_true(ad_subject_memo_is_ai(&m, "alice", 2101, 2101) < 0);
	assert_int_equal(ad_subject_memo_gids_ai(&m, human, 1), 1);
	assert_true(ad_subject_memo_is_ai(&m, "bob", 2102, 2102) < 0);
	assert_int_equal(calls.gr, 1); /* the error is remembered too */
	ad_subject_memo_free(&m);
	/* the wrappers say the same */
	assert_true(ad_subject_is_ai(&c, "alice", 2101, 2101) < 0);
	assert_int_equal(ad_subject_gids_ai(&c, human, 1), 1);
}

/* The group list is fetched once however many groups are listed, and a
 * failure to fetch it is an error (AI), never "human". */
static void test_grouplist_once_and_error(void **state)
{
	char *groups[] = {"wheel", "ops", "ai-agents", NULL};
	struct ad_subject_memo m;
	struct ad_config c;

	(void)state;
	cfg_set(&c, NULL, 0, groups, 3);
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(ad_subject_memo_init(&m, &c), 0);
	assert_int_equal(ad_subject_memo_is_ai(&m, "dave", 2201, 2201), 0);
	assert_int_equal(calls.gl, 1);
	assert_int_equal(calls.gr, 3);
	assert_true(ad_subject_memo_is_ai(&m, GL_BROKEN, 2300, 2300) < 0);
	assert_int_equal(calls.gr, 3);
	ad_subject_memo_free(&m);
}

/* The uid-alias rule: each listed user's uid is looked up once; an NSS
 * error on a listed user is an error for anyone not listed by name. */
static void test_users_resolved_once(void **state)
{
	char *users[] = {"ai-deploy", "toor", NULL};
	char *broken[] = {"ai-deploy", PW_BROKEN, NULL};
	struct ad_subject_memo m;
	struct ad_config c;

	(void)state;
	cfg_set(&c, users, 2, NULL, 0);
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(ad_subject_memo_init(&m, &c), 0);
	assert_int_equal(ad_subject_memo_is_ai(&m, "alice", 2101, 2101), 0);
	assert_int_equal(ad_subject_memo_is_ai(&m, "root", 0, 0), 1);
	assert_int_equal(ad_subject_memo_is_ai(&m, "ai-deploy", 5, 5), 1);
	assert_int_equal(calls.pw, 2);
	ad_subject_memo_free(&m);
	cfg_set(&c, broken, 2, NULL, 0);
	assert_int_equal(ad_subject_memo_init(&m, &c), 0);
	assert_true(ad_subject_memo_is_ai(&m, "alice", 2101, 2101) < 0);
	assert_int_equal(ad_subject_memo_is_ai(&m, "ai-deploy", 2001, 2001), 1);
	ad_subject_memo_free(&m);
}

/* [subjects] uids: a uid in a range is AI before, and without, any NSS
 * call, even with users and groups listed (one of them broken); outside
 * every range the other tests decide as before. */
static void test_uid_ranges_no_nss(void **state)
{
	struct ad_uid_range r[] = {{60000, 60999}, {70000, 70000}};
	char *users[] = {PW_BROKEN, NULL};
	char *groups[] = {GR_BROKEN, NULL};
	static const struct {
		uid_t uid;
		int ai;
	} v[] = {{59999, 0}, {60000, 1}, {60001, 1}, {60999, 1}, {61000, 0},
		 {69999, 0}, {70000, 1}, {70001, 0}, {0, 0}, {(uid_t)-1, 0}};
	struct ad_subject_memo m;
	struct ad_config c;

	(void)state;
	cfg_set(&c, NULL, 0, NULL, 0);
	c.subject_uids = r;
	c.n_subject_uids = 2;
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(ad_subject_memo_init(&m, &c), 0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		/* "ghost" is not in the fake passwd: no look-up is made */
		assert_int_equal(ad_subject_memo_is_ai(&m, "ghost", v[i].uid,
						       2101), v[i].ai);
		assert_int_equal(ad_subject_is_ai(&c, "ghost", v[i].uid, 2101),
				 v[i].ai);
		assert_int_equal(ad_subject_uid_listed(&c, v[i].uid), v[i].ai);
	}
	assert_int_equal(calls.pw + calls.gr + calls.gl, 0);
	ad_subject_memo_free(&m);
	/* users and groups whose look-ups fail: a uid in a range is still
	 * AI at once (no call), one outside reaches them and fails closed */
	cfg_set(&c, users, 1, groups, 1);
	c.subject_uids = r;
	c.n_subject_uids = 2;
	memset(&calls, 0, sizeof(calls));
	assert_int_equal(ad_subject_memo_init(&m, &c), 0);
	assert_int_equal(ad_subject_memo_is_ai(&m, "alice", 60999, 2101), 1);
	assert_int_equal(calls.pw + calls.gr + calls.gl, 0);
	assert_true(ad_subject_memo_is_ai(&m, "alice", 2101, 2101) < 0);
	assert_int_equal(calls.gr, 1);
	ad_subject_memo_free(&m);
	/* held gids are not uids: a range changes nothing there */
	cfg_set(&c, NULL, 0, NULL, 0);
	c.subject_uids = r;
	c.n_subject_uids = 2;
	{
		gid_t held[] = {60000, 70000};

		assert_int_equal(ad_subject_gids_ai(&c, held, 2), 0);
	}
}

/* A memo that could not be set up answers "AI" (fail closed). */
static void test_memo_unset_is_ai(void **state)
{
	struct ad_subject_memo m;
	gid_t human[] = {2101};

	(void)state;
	assert_int_equal(ad_subject_memo_init(&m, NULL), AD_ERR_INVALID);
	assert_true(ad_subject_memo_is_ai(&m, "alice", 2101, 2101) < 0);
	assert_int_equal(ad_subject_memo_gids_ai(&m, human, 1), 1);
	assert_true(ad_subject_memo_is_ai(NULL, "alice", 2101, 2101) < 0);
	assert_int_equal(ad_subject_memo_gids_ai(NULL, human, 1), 1);
	ad_subject_memo_free(&m);
	ad_subject_memo_free(NULL);
}

/* For every combination of a small universe, the memo answers exactly as
 * the plain look-ups did: same value (1, 0 or the same error), for each
 * user judged in turn with one memo (PAM's candidates) and for the held
 * gids after it (sudo). */
static char *const group_pool[] = {"ai-agents", "ops", "no-such", GR_BROKEN,
                                   "wheel"};
static char *const user_pool[] = {"ai-deploy", "toor", "ghost", PW_BROKEN};
static const struct {
	const char *name;
	uid_t uid;
	gid_t gid;
} who[] = {
    {"alice", 2101, 2101},
    {"bob", 2102, 2102},
    {"carol", 2103, 2000},
    {"ai-ops", 2002, 2002},
    {"ai-deploy", 2001, 2001},
    {"root", 0, 0},
    {"toor", 0, 0},
    {GL_BROKEN, 2300, 2300},
    {"ghost", (uid_t)-1, (gid_t)-1},
};
static const gid_t held_pool[][3] = {
    {2101, 2101, 2101}, {2101, 2000, 2101}, {3000, 10, 2101}, {0, 0, 0}};

static void check_config(const struct ad_config *c)
{
	struct ad_subject_memo m;
	const size_t nw = sizeof(who) / sizeof(who[0]);

	assert_int_equal(ad_subject_memo_init(&m, c), 0);
	for (size_t w = 0; w < nw; w++) {
		int want = ref_is_ai(c, who[w].name, who[w].uid, who[w].gid);
		int got = ad_subject_memo_is_ai(&m, who[w].name, who[w].uid,
		                                who[w].gid);

		if (got != want)
			fail_msg("is_ai(%s): %d, want %d (groups %zu, users "
			         "%zu)",
			         who[w].name, got, want, c->n_subject_groups,
			         c->n_subject_users);
		assert_int_equal(
		    ad_subject_is_ai(c, who[w].name, who[w].uid, who[w].gid),
		    want);
	}
	for (size_t h = 0; h < 4; h++) {
		assert_int_equal(ad_subject_memo_gids_ai(&m, held_pool[h], 3),
		                 ref_gids_ai(c, held_pool[h], 3));
		assert_int_equal(ad_subject_gids_ai(c, held_pool[h], 3),
		                 ref_gids_ai(c, held_pool[h], 3));
	}
	ad_subject_memo_free(&m);
}

static void test_memo_equals_plain_lookups(void **state)
{
	const size_t ng = sizeof(group_pool) / sizeof(group_pool[0]);
	const size_t nu = sizeof(user_pool) / sizeof(user_pool[0]);
	char *groups[3], *users[3];
	struct ad_config c;
	size_t combos = 0;

	(void)state;
	/* 0, 1 or 2 groups (ordered, so error-before-hit orders are both
	 * seen) times 0, 1 or 2 users */
	for (size_t a = 0; a <= ng; a++)
		for (size_t b = 0; b <= ng; b++)
			for (size_t x = 0; x <= nu; x++)
				for (size_t y = 0; y <= nu; y++) {
					size_t k = 0, j = 0;

					if ((a == ng && b != ng) ||
					    (x == nu && y != nu))
						continue;
					if (a < ng)
						groups[k++] = group_pool[a];
					if (b < ng)
						groups[k++] = group_pool[b];
					if (x < nu)
						users[j++] = user_pool[x];
					if (y < nu)
						users[j++] = user_pool[y];
					groups[k] = users[j] = NULL;
					cfg_set(&c, users, j, groups, k);
					check_config(&c);
					combos++;
				}
	assert_true(combos > 500);
}

/* require=: a pair naming the target as "*" or by its very name needs no
 * passwd look-up; every other case is unchanged. */
static int count_uid(void *arg, const char *name, uid_t *uid)
{
	(*(int *)arg)++;
	if (strcmp(name, "broken") == 0)
		return AD_ERR_IO;
	if (strcmp(name, "root") == 0 || strcmp(name, "toor") == 0) {
		*uid = 0;
		return 0;
	}
	if (strcmp(name, "alice") == 0) {
		*uid = 2101;
		return 0;
	}
	return AD_ERR_NOTFOUND;
}

static int req(const char *list, const char *svc, const char *target, int *n)
{
	struct ad_pam_args a;
	char err[256], arg[300];
	const char *argv[1] = {arg};
	int rc;

	snprintf(arg, sizeof(arg), "require=%s", list);
	assert_int_equal(ad_pam_args_parse(&a, 1, argv, err, sizeof(err)), 0);
	*n = 0;
	rc = ad_pam_require_match_with(&a, svc, target, count_uid, n);
	ad_pam_args_free(&a);
	return rc;
}

static void test_require_no_lookup(void **state)
{
	int n;

	(void)state;
	assert_int_equal(req("sshd:*", "sshd", "alice", &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(req("sshd:*", "sshd", "broken", &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(req("su:bob,su:alice", "su", "alice", &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(req("*:*", "login", "ghost", &n), 1);
	assert_int_equal(n, 0);
	/* a pair of another service naming the target does not count */
	assert_int_equal(req("sshd:alice,su:root", "su", "alice", &n), 0);
	assert_int_equal(n, 2); /* alice, root */
	/* uid 0 and failures still need approval, through the look-up */
	assert_int_equal(req("su:bob", "su", "toor", &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(req("su:bob", "su", "broken", &n), 1);
	assert_int_equal(req("su:bob", "su", "ghost", &n), 1);
	assert_int_equal(req("su:bob", "su", "alice", &n), 0);
	assert_int_equal(req("su:*", "sshd", "alice", &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(req("su:*", "su", "", &n), 1);
	assert_int_equal(req("su:*", "su", NULL, &n), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_group_resolved_once),
	    cmocka_unit_test(test_group_missing_skipped),
	    cmocka_unit_test(test_group_error_fails_closed),
	    cmocka_unit_test(test_grouplist_once_and_error),
	    cmocka_unit_test(test_users_resolved_once),
	    cmocka_unit_test(test_uid_ranges_no_nss),
	    cmocka_unit_test(test_memo_unset_is_ai),
	    cmocka_unit_test(test_memo_equals_plain_lookups),
	    cmocka_unit_test(test_require_no_lookup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
