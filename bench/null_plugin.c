/*
 * null_plugin.c — floors of sudo approval plugins (bench/s_sudo.sh); built
 * twice by bench/run.sh, never installed:
 *
 * $O/bench/null_plugin.so (variant "null"): open() and check() return 1
 * and do nothing else. No config, no look-up, no import: what sudo pays
 * to load and call an approval plugin at all, the floor of any.
 *
 * $O/bench/nssfloor_plugin.so (-DNSS_FLOOR), with
 * users=A,B and/or groups=G,H (variant "nssfloor": users=ai-deploy
 * groups=ai-agents): open() also judges the invoking user (user_info
 * user=, uid=, gid=, groups=) as sudo_approverd.so's front does with
 * [subjects] users = A, B and groups = G, H (sudo_who() in
 * sudo_plugin/who.c; ad_subject_memo_is_ai() and ad_subject_memo_gids_ai()
 * in common/subject.c), with the same name-service calls in the same
 * order and number: getgrnam_r of each listed group until one holds the
 * user, getgrouplist of the user once, at the first listed group that
 * exists and is not its primary gid, then getpwnam_r of each listed user
 * (an alias of the same uid is AI). A listed name is AI without a
 * look-up; the held gids (gid=, groups=) are compared with the gids
 * already resolved. Nothing else: no config file, no allocation, no libc
 * function but those three (buffers of common/nss.c's first sizes; where
 * nss.c would retry with larger ones, this fails closed). So it is the
 * floor of any plugin that judges [subjects] users and groups as
 * DESIGN.md §3 and R7 require: nssfloor/none is what that costs sudo,
 * plugin/nssfloor what approverd adds above it. check() then returns 1
 * for a human, 0 for an AI subject or an undecidable caller (whom the
 * front hands to its core); a malformed option makes open() return -1.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <sudo_plugin.h>

extern struct approval_plugin null_approval;

#ifdef NSS_FLOOR

#define NAMES_MAX 16   /* names per option */
#define NAME_LEN 256   /* bytes per name, with the NUL */
#define NSS_BUF 16384  /* common/nss.c's first getpw/getgr buffer */
#define GROUPS_ROOM 64 /* common/nss.c's first getgrouplist room */

/* Weak, so that libc is no DT_NEEDED of this object (sudo has it loaded;
 * BIND_NOW still binds these at dlopen): a lower floor (strong: ~4k more). */
#pragma weak getgrnam_r
#pragma weak getpwnam_r
#pragma weak getgrouplist

static int verdict; /* what check() returns */

/* judge()'s working storage: static, so that nothing but the three NSS
 * functions is imported (no stack protector; no string function either) */
static struct {
	char name[NAME_LEN], buf[NSS_BUF];
	gid_t found[NAMES_MAX], list[GROUPS_ROOM];
	struct group gr, *g;
	struct passwd pw, *u;
	int n;
} w;

/* The value of entry "key=value", or NULL. */
static const char *value(const char *entry, const char *key)
{
	while (*key != '\0' && *entry == *key) {
		entry++;
		key++;
	}
	return *key == '\0' && *entry == '=' ? entry + 1 : NULL;
}

/* The value of the first "key=value" in v, or NULL. */
static const char *get(char *const v[], const char *key)
{
	const char *r = NULL;

	for (; v != NULL && *v != NULL && r == NULL; v++)
		r = value(*v, key);
	return r;
}

static int same(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Copy the name at p (up to ',' or the end) into w.name; what follows it
 * (past the ','), or NULL if the name is empty or too long. */
static const char *next_name(const char *p)
{
	size_t n = 0;

	for (; p[n] != '\0' && p[n] != ','; n++) {
		if (n + 1 >= NAME_LEN)
			return NULL;
		w.name[n] = p[n];
	}
	w.name[n] = '\0';
	return n == 0 ? NULL : p + n + (p[n] == ',');
}

static int names_ok(const char *p)
{
	int n = 0;

	while (*p != '\0')
		if (++n > NAMES_MAX || (p = next_name(p)) == NULL)
			return 0;
	return n > 0;
}

/* The decimal id at p, up to ',' (or only the end if whole), or -1. */
static long long id_at(const char *p, int whole)
{
	long long v = 0;
	int n = 0;

	for (; *p >= '0' && *p <= '9'; p++)
		if (++n > 10 || (v = v * 10 + (*p - '0')) >= 0xffffffffLL)
			return -1;
	return n > 0 && (*p == '\0' || (!whole && *p == ',')) ? v : -1;
}

/* An error of getpwnam_r/getgrnam_r (common/nss.c nss_rc()). */
static int nss_err(int rc)
{
	return rc != 0 && rc != ENOENT && rc != ESRCH && rc != EBADF &&
	       rc != EPERM;
}

static int gid_in(gid_t g, const gid_t *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (v[k] == g)
			return 1;
	return 0;
}

/* 0 human, 1 AI subject or undecidable (sudo_who() != 0). */
static int judge(const char *users, const char *groups, char *const ui[])
{
	const char *user = get(ui, "user"), *p, *s;
	long long uid, gid, h;
	size_t nf = 0, nl = 0;
	int fetched = 0;

	uid = (s = get(ui, "uid")) != NULL ? id_at(s, 1) : -1;
	gid = (s = get(ui, "gid")) != NULL ? id_at(s, 1) : -1;
	if (user == NULL || *user == '\0' || uid < 0 || gid < 0 ||
	    getgrnam_r == NULL || getpwnam_r == NULL || getgrouplist == NULL)
		return 1;
	for (p = users; *p != '\0';) { /* a listed name */
		p = next_name(p);
		if (same(w.name, user))
			return 1;
	}
	for (p = groups; *p != '\0';) { /* in_listed_group() */
		p = next_name(p);
		w.g = NULL;
		if (nss_err(getgrnam_r(w.name, &w.gr, w.buf, NSS_BUF, &w.g)))
			return 1;
		if (w.g == NULL)
			continue;
		w.found[nf++] = w.g->gr_gid;
		if (w.g->gr_gid == (gid_t)gid)
			return 1;
		if (!fetched) {
			w.n = GROUPS_ROOM;
			if (getgrouplist(user, (gid_t)gid, w.list, &w.n) < 0)
				return 1;
			nl = (size_t)w.n;
			fetched = 1;
		}
		if (gid_in(w.g->gr_gid, w.list, nl))
			return 1;
	}
	for (p = users; *p != '\0';) { /* uid_listed() */
		p = next_name(p);
		w.u = NULL;
		if (nss_err(getpwnam_r(w.name, &w.pw, w.buf, NSS_BUF, &w.u)))
			return 1;
		if (w.u != NULL && w.u->pw_uid == (uid_t)uid)
			return 1;
	}
	if (*groups == '\0') /* sudo_gids_ai(): no group, no held-gid test */
		return 0;
	for (p = get(ui, "groups"); p != NULL && *p != '\0';) {
		if ((h = id_at(p, 0)) < 0 || gid_in((gid_t)h, w.found, nf))
			return 1;
		while (*p >= '0' && *p <= '9')
			p++;
		p += *p == ',';
	}
	return 0;
}

#endif /* NSS_FLOOR */

static int null_open(unsigned int version, sudo_conv_t conversation,
                     sudo_printf_t sudo_plugin_printf, char *const settings[],
                     char *const user_info[], int submit_optind,
                     char *const submit_argv[], char *const submit_envp[],
                     char *const plugin_options[], const char **errstr)
{
#ifdef NSS_FLOOR
	const char *users = NULL, *groups = NULL, *v;

	verdict = 1;
	for (char *const *o = plugin_options; o != NULL && *o != NULL; o++) {
		if ((v = value(*o, "users")) != NULL)
			users = v;
		else if ((v = value(*o, "groups")) != NULL)
			groups = v;
		if (v == NULL || !names_ok(v)) {
			*errstr =
			    "null_approval: options are users=A,B groups=G,H";
			return -1;
		}
	}
	if (users != NULL || groups != NULL)
		verdict = !judge(users != NULL ? users : "",
		                 groups != NULL ? groups : "", user_info);
#endif
	return 1;
}

static int null_check(char *const command_info[], char *const run_argv[],
                      char *const run_envp[], const char **errstr)
{
#ifdef NSS_FLOOR
	if (!verdict)
		*errstr = "null_approval: an AI subject (users=/groups=)";
	return verdict;
#else
	return 1;
#endif
}

struct approval_plugin null_approval = {
    .type = SUDO_APPROVAL_PLUGIN,
    .version = SUDO_API_VERSION,
    .open = null_open,
    .check = null_check,
};
