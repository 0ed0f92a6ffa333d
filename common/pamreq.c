/*
 * pamreq.c — PAM module arguments and building requests from PAM items.
 *
 * Invariants kept here (DESIGN.md §3 "AI subject, PAM", §4.2, §4.9):
 *  - A NULL/empty service or target is an error (fail closed), never "not
 *    an AI subject".
 *  - For switch-user services any AI candidate (real uid, PAM_RUSER, login
 *    uid) makes the request gated; a lookup error is an error. A kernel
 *    uid candidate is judged with that uid too, and one without a passwd
 *    entry that is AI (a [subjects] uids range) is an error, never skipped.
 *  - /proc bytes are parsed with hard caps; numbers only via num.h.
 *  - Malformed module arguments are AD_ERR_CONFIG naming the argument.
 *  - require= targets match by uid, not name (review R6); for a listed
 *    service an unknown target, an NSS error or a uid-0 target always
 *    needs approval.
 */
#include "pamreq.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "num.h"
#include "text.h"

#define PWBUF_MAX 16384

static int name_uid(const char *name, uid_t *uid);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- module arguments ---------------------------------------------- */

static void require_clear(struct ad_pam_args *a)
{
	for (size_t i = 0; i < a->n_require; i++) {
		free(a->require[i].service);
		free(a->require[i].target);
	}
	memset(a->require, 0, sizeof(a->require));
	a->n_require = 0;
}

void ad_pam_args_free(struct ad_pam_args *a)
{
	if (a == NULL)
		return;
	require_clear(a);
	free(a->config);
	free(a->socket);
	memset(a, 0, sizeof(*a));
}

static int name_ok(const char *s)
{
	size_t n = strnlen(s, AD_PAM_NAME_MAX + 1);

	return n > 0 && n <= AD_PAM_NAME_MAX && !ad_has_ctrl(s) &&
	       strpbrk(s, ":, \t") == NULL;
}

static int require_add(struct ad_pam_args *a, const char *item, char *err,
		       size_t errlen)
{
	const char *colon = strchr(item, ':');
	char *svc, *tgt;

	if (colon == NULL || colon == item || colon[1] == '\0') {
		set_err(err, errlen, "require: '%s' is not SERVICE:TARGET", item);
		return AD_ERR_CONFIG;
	}
	if (a->n_require >= AD_PAM_REQUIRE_MAX) {
		set_err(err, errlen, "require: more than %d pairs",
			AD_PAM_REQUIRE_MAX);
		return AD_ERR_CONFIG;
	}
	svc = strndup(item, (size_t)(colon - item));
	tgt = strdup(colon + 1);
	if (svc == NULL || tgt == NULL) {
		free(svc);
		free(tgt);
		return AD_ERR_NOMEM;
	}
	a->require[a->n_require].service = svc;
	a->require[a->n_require].target = tgt;
	a->n_require++;
	if (!name_ok(svc) || !name_ok(tgt)) {
		set_err(err, errlen, "require: bad name in '%s'", item);
		return AD_ERR_CONFIG;
	}
	return 0;
}

int ad_pam_require_parse(struct ad_pam_args *a, const char *list, char *err,
			 size_t errlen)
{
	char **v = NULL;
	size_t n = 0;
	int rc;

	require_clear(a);
	if (list == NULL || (rc = ad_split_list(&v, &n, list)) != 0) {
		set_err(err, errlen, "require: cannot parse list");
		return list == NULL ? AD_ERR_CONFIG : rc;
	}
	rc = n == 0 ? AD_ERR_CONFIG : 0;
	if (n == 0)
		set_err(err, errlen, "require: empty list");
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = require_add(a, v[i], err, errlen);
	ad_strv_free(v);
	if (rc != 0)
		require_clear(a);
	return rc;
}

static int word_match(const char *pat, const char *s)
{
	return strcmp(pat, "*") == 0 || strcmp(pat, s) == 0;
}

/*
 * require= matching is by uid (review R6): a passwd alias of a target
 * ("toor", uid 0) is the same target. Each name is resolved at most once
 * per call; a target that cannot be resolved, and any uid-0 target of a
 * listed service, needs approval (fail closed).
 */
struct uid_cache {
	size_t n;
	struct {
		const char *name;
		int rc;
		uid_t uid;
	} e[AD_PAM_REQUIRE_MAX + 1];
};

static int default_lookup(void *arg, const char *name, uid_t *uid)
{
	(void)arg;
	return name_uid(name, uid);
}

/* 0 and *uid, AD_ERR_NOTFOUND, or another negative ad_err (NSS error). */
static int cache_uid(struct uid_cache *c, const char *name, uid_t *uid,
		     ad_pam_uid_fn lookup, void *arg)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i].name, name) == 0)
			break;
	if (i == c->n) {
		if (c->n >= sizeof(c->e) / sizeof(c->e[0]))
			return AD_ERR_TOOBIG;
		c->e[i].name = name;
		c->e[i].uid = (uid_t)-1;
		c->e[i].rc = lookup(arg, name, &c->e[i].uid);
		if (c->e[i].rc > 0)
			c->e[i].rc = AD_ERR_IO; /* a resolver must not say "yes" */
		c->n++;
	}
	*uid = c->e[i].uid;
	return c->e[i].rc;
}

/* 1 if the pair's target is the target (name, "*" or same uid), else 0. */
static int target_match(struct uid_cache *c, const char *pat, uid_t tuid,
			const char *target, ad_pam_uid_fn lookup, void *arg)
{
	uid_t puid;
	int rc;

	if (strcmp(pat, "*") == 0 || strcmp(pat, target) == 0)
		return 1;
	rc = cache_uid(c, pat, &puid, lookup, arg);
	if (rc == AD_ERR_NOTFOUND)
		return 0; /* an unknown name in the list names nobody */
	return rc != 0 || puid == tuid; /* NSS error: fail closed */
}

/* 1 if a pair of the service names the target by "*" or by its very name:
 * then the answer is 1 whatever the target's uid, and no look-up is made
 * (the human path of "require=sshd:*" pays no getpwnam_r). */
static int names_target(const struct ad_pam_args *a, const char *service,
			const char *target)
{
	for (size_t i = 0; i < a->n_require; i++)
		if (word_match(a->require[i].service, service) &&
		    (strcmp(a->require[i].target, "*") == 0 ||
		     strcmp(a->require[i].target, target) == 0))
			return 1;
	return 0;
}

int ad_pam_require_match_with(const struct ad_pam_args *a,
			      const char *service, const char *target,
			      ad_pam_uid_fn lookup, void *arg)
{
	struct uid_cache c = {0};
	uid_t tuid;
	int listed = 0;

	if (a == NULL || service == NULL)
		return 0;
	if (lookup == NULL)
		lookup = default_lookup;
	for (size_t i = 0; i < a->n_require && !listed; i++)
		listed = word_match(a->require[i].service, service);
	if (!listed)
		return 0;
	if (target == NULL || target[0] == '\0' ||
	    names_target(a, service, target))
		return 1; /* no target: fail closed; or no look-up needed */
	if (cache_uid(&c, target, &tuid, lookup, arg) != 0)
		return 1; /* unknown target, NSS error: fail closed */
	if (tuid == 0)
		return 1; /* any uid-0 target of a listed service */
	for (size_t i = 0; i < a->n_require; i++)
		if (word_match(a->require[i].service, service) &&
		    target_match(&c, a->require[i].target, tuid, target,
				 lookup, arg))
			return 1;
	return 0;
}

int ad_pam_require_match(const struct ad_pam_args *a, const char *service,
			 const char *target)
{
	return ad_pam_require_match_with(a, service, target, NULL, NULL);
}

enum ad_pam_kind ad_pam_kind_of(const struct ad_pam_args *a,
				const char *service)
{
	static const char *const sw[] = {"su", "su-l", "runuser", "runuser-l",
					 "sudo", "sudo-i", "pkexec", "polkit-1"};

	if (a != NULL && a->kind != AD_PAM_KIND_AUTO)
		return a->kind;
	for (size_t i = 0; service != NULL && i < sizeof(sw) / sizeof(sw[0]); i++)
		if (strcmp(service, sw[i]) == 0)
			return AD_PAM_KIND_SWITCH;
	return AD_PAM_KIND_LOGIN;
}

static int arg_string(char **dst, const char *val, const char *name,
		      int absolute, char *err, size_t errlen)
{
	if (*val == '\0' || strlen(val) > AD_FIELD_MAX || ad_has_ctrl(val) ||
	    (absolute && val[0] != '/')) {
		set_err(err, errlen, "%s: '%s' is not %s", name, val,
			absolute ? "an absolute path" : "valid");
		return AD_ERR_CONFIG;
	}
	free(*dst);
	*dst = strdup(val);
	return *dst == NULL ? AD_ERR_NOMEM : 0;
}

static int arg_mode(struct ad_pam_args *a, const char *v, char *err,
		    size_t errlen)
{
	if (strcmp(v, "switch") == 0)
		a->kind = AD_PAM_KIND_SWITCH;
	else if (strcmp(v, "login") == 0)
		a->kind = AD_PAM_KIND_LOGIN;
	else {
		set_err(err, errlen, "mode: '%s' is not switch or login", v);
		return AD_ERR_CONFIG;
	}
	return 0;
}

static int arg_wait(struct ad_pam_args *a, const char *v, char *err,
		    size_t errlen)
{
	uint64_t s = 0;

	if (ad_parse_duration(&s, v) != 0 || s > 86400) {
		set_err(err, errlen, "wait: '%s' is not a duration of at most 1d",
			v);
		return AD_ERR_CONFIG;
	}
	a->has_wait = 1;
	a->wait_s = (unsigned)s;
	return 0;
}

static int arg_one(struct ad_pam_args *a, const char *arg, char *err,
		   size_t errlen)
{
	if (strcmp(arg, "debug") == 0) {
		a->debug = 1;
		return 0;
	}
	if (strncmp(arg, "config=", 7) == 0)
		return arg_string(&a->config, arg + 7, "config", 1, err, errlen);
	if (strncmp(arg, "socket=", 7) == 0)
		return arg_string(&a->socket, arg + 7, "socket", 1, err, errlen);
	if (strncmp(arg, "require=", 8) == 0)
		return ad_pam_require_parse(a, arg + 8, err, errlen);
	if (strncmp(arg, "mode=", 5) == 0)
		return arg_mode(a, arg + 5, err, errlen);
	if (strncmp(arg, "wait=", 5) == 0)
		return arg_wait(a, arg + 5, err, errlen);
	set_err(err, errlen, "unknown module argument '%s'", arg);
	return AD_ERR_CONFIG;
}

int ad_pam_args_parse(struct ad_pam_args *a, int argc, const char **argv,
		      char *err, size_t errlen)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = ad_pam_require_parse(a, AD_PAM_DEFAULT_REQUIRE, err, errlen);
	for (int i = 0; rc == 0 && i < argc; i++) {
		if (argv[i] == NULL) {
			set_err(err, errlen, "module argument %d is NULL", i);
			rc = AD_ERR_CONFIG;
		} else {
			rc = arg_one(a, argv[i], err, errlen);
		}
	}
	if (rc == 0 && a->config == NULL &&
	    (a->config = strdup(AD_PAM_DEFAULT_CONFIG)) == NULL)
		rc = AD_ERR_NOMEM;
	if (rc != 0) {
		ad_pam_args_free(a);
		a->debug = 0;
	}
	return rc;
}

/* ---- /proc parsing --------------------------------------------------- */

int ad_pamreq_parse_loginuid(uid_t *out, const char *buf, size_t len)
{
	char tmp[16];
	uint32_t v = 0;
	int rc;

	*out = (uid_t)-1;
	if (buf == NULL)
		return AD_ERR_INVALID;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return AD_ERR_INVALID;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	if ((rc = ad_parse_u32(&v, tmp, 0, UINT32_MAX)) != 0)
		return rc;
	*out = (uid_t)v;
	return 0;
}

/* ---- command line of su / runuser / pkexec ---------------------------- */

struct tokens {
	char *buf;
	const char *v[AD_ARGV_MAX];
	size_t n;
};

static int tokens_split(struct tokens *t, const char *cmdline, size_t len)
{
	size_t i = 0;

	memset(t, 0, sizeof(*t));
	if (len > AD_PAM_CMDLINE_MAX)
		return AD_ERR_TOOBIG;
	if ((t->buf = malloc(len + 1)) == NULL)
		return AD_ERR_NOMEM;
	memcpy(t->buf, cmdline, len);
	t->buf[len] = '\0';
	while (i < len) {
		if (t->n >= AD_ARGV_MAX)
			return AD_ERR_TOOBIG;
		t->v[t->n++] = t->buf + i;
		i += strlen(t->buf + i) + 1;
	}
	return 0;
}

struct su_opt {
	const char *lname; /* NULL: short only */
	char sname;
	int has_arg;
	int is_cmd; /* 1: the command, 2: runuser's -u USER */
};

struct su_seen {
	const char *cmd; /* -c CMD */
	int user_opt;    /* runuser -u USER: positionals are a command */
};

static const struct su_opt su_opts[] = {
	{"command", 'c', 1, 1},   {"session-command", 'C', 1, 1},
	{"fast", 'f', 0, 0},      {"group", 'g', 1, 0},
	{"supp-group", 'G', 1, 0},{"login", 'l', 0, 0},
	{"preserve-environment", 'm', 0, 0}, {NULL, 'p', 0, 0},
	{"pty", 'P', 0, 0},       {"shell", 's', 1, 0},
	{"user", 'u', 1, 2},      {"whitelist-environment", 'w', 1, 0},
	{"help", 'h', 0, 0},      {"version", 'V', 0, 0},
};
#define SU_NOPTS (sizeof(su_opts) / sizeof(su_opts[0]))

static const struct su_opt *su_short(char c)
{
	for (size_t i = 0; i < SU_NOPTS; i++)
		if (su_opts[i].sname == c)
			return &su_opts[i];
	return NULL;
}

/* getopt_long semantics: an exact name, or a unique prefix. */
static const struct su_opt *su_long(const char *name, size_t n)
{
	const struct su_opt *hit = NULL;
	int hits = 0;

	for (size_t i = 0; i < SU_NOPTS; i++) {
		const char *l = su_opts[i].lname;
		if (l == NULL || strncmp(l, name, n) != 0)
			continue;
		if (l[n] == '\0')
			return &su_opts[i];
		hit = &su_opts[i];
		hits++;
	}
	return hits == 1 ? hit : NULL;
}

/* One "--name[=value]" token; may consume the next token. */
static void su_long_token(const struct tokens *t, size_t *i,
			  struct su_seen *seen)
{
	const char *name = t->v[*i] + 2;
	const char *eq = strchr(name, '=');
	const struct su_opt *o = su_long(name, eq ? (size_t)(eq - name)
						  : strlen(name));
	const char *val = NULL;

	if (o == NULL || !o->has_arg)
		return;
	if (eq != NULL)
		val = eq + 1;
	else if (*i + 1 < t->n)
		val = t->v[++*i];
	if (o->is_cmd == 1 && val != NULL)
		seen->cmd = val;
	seen->user_opt |= o->is_cmd == 2;
}

/* One "-abc" cluster; an option with an argument ends the cluster. */
static void su_short_token(const struct tokens *t, size_t *i,
			   struct su_seen *seen)
{
	const char *p = t->v[*i] + 1;

	for (; *p != '\0'; p++) {
		const struct su_opt *o = su_short(*p);
		const char *val = NULL;
		if (o == NULL || !o->has_arg)
			continue;
		if (p[1] != '\0')
			val = p + 1;
		else if (*i + 1 < t->n)
			val = t->v[++*i];
		if (o->is_cmd == 1 && val != NULL)
			seen->cmd = val;
		seen->user_opt |= o->is_cmd == 2;
		return;
	}
}

/*
 * What su/runuser run. su: the target's shell gets "-c CMD" (from -c,
 * --command, -C, --session-command) and then every positional argument
 * after the user name (su(1); getopt permutes; all after "--" is
 * positional): out = ["-c", CMD, extra...], *direct = 0. runuser -u USER:
 * the positionals are a command run without a shell: out = them,
 * *direct = 1. out[] gets at most t->n + 2 pointers into t.
 */
static size_t su_args(const struct tokens *t, const char **out, int *direct)
{
	struct su_seen seen = {0};
	const char *pos[AD_ARGV_MAX];
	size_t npos = 0, n = 0, first;
	int opts = 1;

	for (size_t i = 1; i < t->n; i++) {
		const char *a = t->v[i];
		if (opts && strcmp(a, "--") == 0)
			opts = 0;
		else if (opts && strcmp(a, "-") == 0)
			continue; /* same as --login */
		else if (opts && a[0] == '-' && a[1] == '-')
			su_long_token(t, &i, &seen);
		else if (opts && a[0] == '-')
			su_short_token(t, &i, &seen);
		else
			pos[npos++] = a;
	}
	*direct = seen.user_opt && npos > 0;
	if (seen.cmd != NULL && !*direct) {
		out[n++] = "-c";
		out[n++] = seen.cmd;
	}
	first = seen.user_opt ? 0 : 1; /* else pos[0] is the user name */
	for (size_t i = first; i < npos; i++)
		out[n++] = pos[i];
	return n;
}

/* pkexec [--user U | -u U] [--keep-cwd] [--disable-internal-agent] PROG ... */
static size_t pkexec_program(const struct tokens *t)
{
	for (size_t i = 1; i < t->n; i++) {
		const char *a = t->v[i];
		if (strcmp(a, "--user") == 0 || strcmp(a, "-u") == 0) {
			i++;
			continue;
		}
		if (strcmp(a, "--") == 0)
			return i + 1 < t->n ? i + 1 : 0;
		if (a[0] != '-')
			return i;
	}
	return 0;
}

static int strv_from(char ***out, size_t *n_out, const char *const *v,
		     size_t n)
{
	char **r = calloc(n + 1, sizeof(*r));

	if (r == NULL)
		return AD_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((r[i] = strdup(v[i])) == NULL) {
			ad_strv_free(r);
			return AD_ERR_NOMEM;
		}
	}
	*out = r;
	*n_out = n;
	return 1;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL ? s + 1 : p;
}

/* *pkexec = 1 when argv is a program and its arguments run directly (pkexec,
 * runuser -u), 0 when they are what su hands the target's shell. */
static int find_command(char ***argv_out, size_t *n_out, const char *cmdline,
			size_t len, int *pkexec)
{
	struct tokens t;
	const char *prog;
	const char *sh[AD_ARGV_MAX + 2];
	size_t at, n;
	int rc;

	*argv_out = NULL;
	*n_out = 0;
	if (cmdline == NULL || len == 0)
		return 0;
	if ((rc = tokens_split(&t, cmdline, len)) != 0 || t.n == 0) {
		free(t.buf);
		return rc;
	}
	prog = base_name(t.v[0]);
	rc = 0;
	if (strcmp(prog, "su") == 0 || strcmp(prog, "runuser") == 0) {
		if ((n = su_args(&t, sh, pkexec)) > 0)
			rc = strv_from(argv_out, n_out, sh, n);
	} else if (strcmp(prog, "pkexec") == 0) {
		*pkexec = 1;
		if ((at = pkexec_program(&t)) != 0)
			rc = strv_from(argv_out, n_out, t.v + at, t.n - at);
	}
	free(t.buf);
	return rc;
}

int ad_pamreq_find_command(char ***argv_out, size_t *n_out,
			   const char *cmdline, size_t len)
{
	int pkexec = 0;

	return find_command(argv_out, n_out, cmdline, len, &pkexec);
}

/* ---- initiator --------------------------------------------------------- */

/* Name of uid (malloc'ed) or NULL with *rc = NOTFOUND / NOMEM / IO. */
static char *uid_name(uid_t uid, int *rc)
{
	struct passwd pw, *res = NULL;
	char buf[PWBUF_MAX];
	char *name;
	int e = getpwuid_r(uid, &pw, buf, sizeof(buf), &res);

	*rc = 0;
	if (res == NULL) {
		*rc = e == 0 ? AD_ERR_NOTFOUND : AD_ERR_IO;
		return NULL;
	}
	if ((name = strdup(pw.pw_name)) == NULL)
		*rc = AD_ERR_NOMEM;
	return name;
}

static int name_uid(const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[PWBUF_MAX];
	int e = getpwnam_r(name, &pw, buf, sizeof(buf), &res);

	*uid = (uid_t)-1;
	if (res == NULL)
		return e == 0 ? AD_ERR_NOTFOUND : AD_ERR_IO;
	*uid = pw.pw_uid;
	return 0;
}

/* 1 and the name and uid if user (from kernel uid kuid, or (uid_t)-1) is
 * an AI subject, 0 if not, <0 on error. */
static int candidate(char **name, uid_t *uid, const char *user, uid_t kuid,
		     ad_subject_fn is_subject, void *arg)
{
	int rc;

	if (user == NULL || *user == '\0')
		return 0;
	if ((rc = is_subject(arg, user, kuid)) <= 0)
		return rc;
	if ((rc = name_uid(user, uid)) != 0)
		return rc;
	return (*name = strdup(user)) == NULL ? AD_ERR_NOMEM : 1;
}

static int candidate_uid(char **name, uid_t *uid, uid_t cand,
			 ad_subject_fn is_subject, void *arg)
{
	int rc = 0;
	char *user;

	if (cand == (uid_t)-1)
		return 0;
	user = uid_name(cand, &rc);
	if (user == NULL && rc == AD_ERR_NOTFOUND) {
		/* nameless: human unless its uid is listed, and then no
		 * request can name it */
		rc = is_subject(arg, NULL, cand);
		return rc > 0 ? AD_ERR_NOTFOUND : rc;
	}
	if (user == NULL)
		return rc;
	rc = candidate(name, uid, user, cand, is_subject, arg);
	free(user);
	return rc;
}

int ad_pamreq_initiator(char **name, uid_t *uid, const struct ad_pam_items *it,
			ad_subject_fn is_subject, void *arg)
{
	int rc;

	*name = NULL;
	*uid = (uid_t)-1;
	if (it == NULL || is_subject == NULL || it->service == NULL ||
	    it->service[0] == '\0' || it->user == NULL || it->user[0] == '\0')
		return AD_ERR_INVALID;
	if (strnlen(it->user, AD_PAM_NAME_MAX + 1) > AD_PAM_NAME_MAX)
		return AD_ERR_TOOBIG;
	if (it->kind == AD_PAM_KIND_LOGIN)
		return candidate(name, uid, it->user, (uid_t)-1, is_subject,
				 arg);
	rc = candidate_uid(name, uid, it->ruid, is_subject, arg);
	if (rc == 0)
		rc = candidate(name, uid, it->ruser, (uid_t)-1, is_subject,
			       arg);
	/* the login uid of a session started by the real uid itself was
	 * judged above (same uid, so the same name and answer) */
	if (rc == 0 && it->loginuid != it->ruid)
		rc = candidate_uid(name, uid, it->loginuid, is_subject, arg);
	if (rc < 0) {
		free(*name);
		*name = NULL;
	}
	return rc;
}

/* ---- the request --------------------------------------------------------- */

static int dup_field(char **dst, const char *s, size_t cap, const char *field,
		     char *err, size_t errlen)
{
	if (s == NULL)
		s = "";
	if (strnlen(s, cap + 1) > cap) {
		set_err(err, errlen, "%s: longer than %zu bytes", field, cap);
		return AD_ERR_TOOBIG;
	}
	*dst = strdup(s);
	return *dst == NULL ? AD_ERR_NOMEM : 0;
}

static int dup_context(char **dst, const char *s)
{
	*dst = ad_sanitize(s != NULL ? s : "", AD_CONTEXT_MAX);
	return *dst == NULL ? AD_ERR_NOMEM : 0;
}

static int build_target(struct ad_request *r, const char *target, char **shell,
			char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[PWBUF_MAX];
	int e = getpwnam_r(target, &pw, buf, sizeof(buf), &res);

	if (res == NULL) {
		set_err(err, errlen, "target user '%s': %s", target,
			e == 0 ? "no such user" : strerror(e));
		return e == 0 ? AD_ERR_NOTFOUND : AD_ERR_IO;
	}
	r->runas_uid = pw.pw_uid;
	r->runas_gid = pw.pw_gid;
	*shell = strdup(pw.pw_shell && pw.pw_shell[0] ? pw.pw_shell : "/bin/sh");
	r->runas_user = strdup(target);
	return *shell == NULL || r->runas_user == NULL ? AD_ERR_NOMEM : 0;
}

/* Take ownership of found[] as argv; for su, argv = [shell, "-c", CMD]. */
static int build_command(struct ad_request *r, const struct ad_pam_items *it,
			 char *shell, char *err, size_t errlen)
{
	char **found = NULL;
	size_t n = 0;
	int pkexec = 0;
	int rc = find_command(&found, &n, it->cmdline, it->cmdline_len, &pkexec);

	if (rc < 0) {
		set_err(err, errlen, "command line of the caller: %s",
			ad_strerror(rc));
		return rc;
	}
	if (rc == 0)
		return (r->command = strdup("")) == NULL ? AD_ERR_NOMEM : 0;
	if (!pkexec) {
		char **v = calloc(n + 2, sizeof(*v));
		if (v == NULL || (v[0] = strdup(shell)) == NULL) {
			free(v);
			ad_strv_free(found);
			return AD_ERR_NOMEM;
		}
		memcpy(v + 1, found, n * sizeof(*v));
		free(found);
		found = v;
		n++;
	}
	r->argv.v = found;
	r->argv.n = n;
	return (r->command = strdup(found[0])) == NULL ? AD_ERR_NOMEM : 0;
}

static int build_sponsor(struct ad_request *r, uid_t loginuid,
			 const char *initiator)
{
	char num[16];
	char *name;
	int rc = 0;

	if (loginuid == (uid_t)-1)
		return (r->sponsor = strdup("")) == NULL ? AD_ERR_NOMEM : 0;
	name = uid_name(loginuid, &rc);
	if (name == NULL && rc != AD_ERR_NOTFOUND)
		return rc;
	if (name == NULL) {
		snprintf(num, sizeof(num), "#%u", (unsigned)loginuid);
		name = strdup(num);
		if (name == NULL)
			return AD_ERR_NOMEM;
	}
	if (strcmp(name, initiator) == 0)
		name[0] = '\0';
	r->sponsor = name;
	return 0;
}

static int build_fields(struct ad_request *r, const struct ad_pam_items *it,
			const char *initiator, char *err, size_t errlen)
{
	int rc;

	if ((rc = dup_field(&r->requester, initiator, AD_PAM_NAME_MAX,
			    "requester", err, errlen)) != 0 ||
	    (rc = dup_field(&r->host, it->host, AD_FIELD_MAX, "host", err,
			    errlen)) != 0 ||
	    (rc = dup_field(&r->service, it->service, AD_PAM_NAME_MAX,
			    "service", err, errlen)) != 0 ||
	    (rc = dup_field(&r->cwd, it->cwd, AD_FIELD_MAX, "cwd", err,
			    errlen)) != 0 ||
	    (rc = dup_field(&r->tty, it->tty, AD_FIELD_MAX, "tty", err,
			    errlen)) != 0 ||
	    (rc = dup_field(&r->rhost, it->rhost, AD_FIELD_MAX, "rhost", err,
			    errlen)) != 0)
		return rc;
	if ((rc = dup_context(&r->reason, it->reason)) != 0 ||
	    (rc = dup_context(&r->ticket, it->ticket)) != 0 ||
	    (rc = dup_context(&r->rollback, it->rollback)) != 0 ||
	    (rc = dup_context(&r->agent, it->agent)) != 0)
		return rc;
	return build_sponsor(r, it->loginuid, initiator);
}

int ad_pamreq_build(struct ad_request *r, const struct ad_pam_items *it,
		    const char *initiator, uid_t initiator_uid, char *err,
		    size_t errlen)
{
	char *shell = NULL;
	int rc;

	ad_request_init(r);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (it == NULL || initiator == NULL || initiator[0] == '\0' ||
	    it->user == NULL || it->user[0] == '\0' || it->service == NULL ||
	    it->service[0] == '\0') {
		set_err(err, errlen, "service, target user or initiator missing");
		return AD_ERR_INVALID;
	}
	r->uid = (uint32_t)initiator_uid;
	rc = build_fields(r, it, initiator, err, errlen);
	if (rc == 0)
		rc = build_target(r, it->user, &shell, err, errlen);
	if (rc == 0)
		rc = build_command(r, it, shell, err, errlen);
	if (rc == 0)
		rc = ad_request_complete(r);
	free(shell);
	if (rc != 0) {
		if (err != NULL && errlen > 0 && err[0] == '\0')
			set_err(err, errlen, "building the request: %s",
				ad_strerror(rc));
		ad_request_free(r);
	}
	return rc;
}

/* ---- /proc/self ------------------------------------------------------- */

/* Read at most max bytes of a /proc file; AD_ERR_TOOBIG if there is more. */
static int proc_read(char **out, size_t *len, const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *buf;
	size_t n = 0;
	ssize_t r = 0;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return errno == ENOENT ? AD_ERR_NOTFOUND : AD_ERR_IO;
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		return AD_ERR_NOMEM;
	}
	while (n <= max && (r = read(fd, buf + n, max + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (r < 0 || n > max) {
		free(buf);
		return r < 0 ? AD_ERR_IO : AD_ERR_TOOBIG;
	}
	*out = buf;
	*len = n;
	return 0;
}

int ad_pamreq_read_self(char **cmdline, size_t *len, uid_t *loginuid,
			const char *proc)
{
	char path[256];
	char *lu = NULL;
	size_t lulen = 0;
	int rc;

	*cmdline = NULL;
	*len = 0;
	*loginuid = (uid_t)-1;
	if (proc == NULL)
		proc = "/proc";
	snprintf(path, sizeof(path), "%s/self/loginuid", proc);
	if (proc_read(&lu, &lulen, path, 32) == 0 &&
	    ad_pamreq_parse_loginuid(loginuid, lu, lulen) != 0)
		*loginuid = (uid_t)-1;
	free(lu);
	snprintf(path, sizeof(path), "%s/self/cmdline", proc);
	rc = proc_read(cmdline, len, path, AD_PAM_CMDLINE_MAX);
	return rc == AD_ERR_NOTFOUND ? 0 : rc;
}
