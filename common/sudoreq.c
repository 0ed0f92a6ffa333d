/*
 * sudoreq.c — struct ad_request from sudo's plugin arrays (see sudoreq.h).
 *
 * Invariants kept here (DESIGN.md §3 step 2, §4.2, §4.9):
 *  - Every string taken from sudo is length-checked against its cap before it
 *    is copied; over a cap is AD_ERR_TOOBIG with the field named, never a cut.
 *  - Numbers only through ad_parse_u32.
 *  - The execution-digest environment excludes only the documented benign
 *    names and APPROVERD_*; everything else sudo would pass stays in.
 *  - On any failure the request is freed (no half-built request escapes).
 *  - The executable is hashed only if it is trusted (R9): every component of
 *    the path as given lives in a root-owned, not group/world-writable
 *    directory (sticky allowed, then the entry itself is root's), and the
 *    real path (realpath) passes ad_safe_open with ad_trust_root; the hash
 *    is taken from that same fd. Under a chroot no symlink is accepted.
 */
#include "sudoreq.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "num.h"
#include "safefile.h"
#include "text.h"

#define PW_BUF_MAX 16384

static int fail(char *err, size_t errlen, int rc, const char *field,
                const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", field, what);
	return rc;
}

/* By hand, not strncmp: the sudo front imports one libc symbol less (each
 * import is a symbol look-up for every sudo run). */
const char *ad_sudo_value(const char *entry, const char *key)
{
	if (entry == NULL || key == NULL)
		return NULL;
	while (*key != '\0' && *entry == *key) {
		entry++;
		key++;
	}
	return *key == '\0' && *entry == '=' ? entry + 1 : NULL;
}

const char *ad_sudo_get(char *const *kv, const char *key)
{
	const char *v;

	if (kv == NULL || key == NULL)
		return NULL;
	for (; *kv != NULL; kv++)
		if ((v = ad_sudo_value(*kv, key)) != NULL)
			return v;
	return NULL;
}

int ad_sudo_env_benign(const char *entry)
{
	static const char *const benign[] = {
	    "TERM", "COLORTERM", "COLUMNS", "LINES", "COLORS",   "LS_COLORS",
	    "LANG", "LANGUAGE",  "TZ",      "MAIL",  "HOSTNAME",
	};
	size_t n;

	if (entry == NULL)
		return 0;
	n = strcspn(entry, "=");
	if (n > 3 && strncmp(entry, "LC_", 3) == 0)
		return 1;
	if (strncmp(entry, "APPROVERD_", 10) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
		if (strlen(benign[i]) == n && strncmp(entry, benign[i], n) == 0)
			return 1;
	}
	return 0;
}

/* *dst = copy of src ("" when NULL), refusing anything over cap. */
static int dup_capped(char **dst, const char *src, size_t cap,
                      const char *field, char *err, size_t errlen)
{
	if (src == NULL)
		src = "";
	if (strnlen(src, cap + 1) > cap)
		return fail(err, errlen, AD_ERR_TOOBIG, field,
		            "value too long");
	free(*dst);
	if ((*dst = strdup(src)) == NULL)
		return fail(err, errlen, AD_ERR_NOMEM, field, "out of memory");
	return 0;
}

static int get_required(const char **out, char *const *kv, const char *key,
                        const char *array, char *err, size_t errlen)
{
	char what[96];

	*out = ad_sudo_get(kv, key);
	if (*out != NULL && **out != '\0')
		return 0;
	snprintf(what, sizeof(what), "missing from sudo's %s", array);
	return fail(err, errlen, AD_ERR_INVALID, key, what);
}

static int get_id(uint32_t *out, const char *s, const char *field, char *err,
                  size_t errlen)
{
	if (ad_parse_u32(out, s, 0, UINT32_MAX - 1) != 0)
		return fail(err, errlen, AD_ERR_INVALID, field,
		            "not a valid numeric id");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Copy the entries of v (skipping benign ones when filter) into out. */
static int copy_vec(struct ad_strv *out, char *const *v, size_t max, int filter,
                    const char *field, char *err, size_t errlen)
{
	size_t n = 0, k = 0;
	int rc;

	for (; v != NULL && v[n] != NULL; n++) {
		if (n >= max * 4 + 64)
			return fail(err, errlen, AD_ERR_TOOBIG, field,
			            "too many entries");
	}
	if ((out->v = calloc(n + 1, sizeof(char *))) == NULL)
		return fail(err, errlen, AD_ERR_NOMEM, field, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (filter && ad_sudo_env_benign(v[i]))
			continue;
		if (k >= max)
			return fail(err, errlen, AD_ERR_TOOBIG, field,
			            "too many entries");
		out->n = k + 1;
		if ((rc = dup_capped(&out->v[k], v[i], AD_FIELD_MAX, field, err,
		                     errlen)) != 0)
			return rc;
		k++;
	}
	if (filter)
		qsort(out->v, k, sizeof(char *), cmp_str);
	return 0;
}

static int build_requester(struct ad_request *r, char *const *ui, char *err,
                           size_t errlen)
{
	const char *user, *uid;
	int rc;

	if ((rc = get_required(&user, ui, "user", "user_info", err, errlen)) ||
	    (rc = get_required(&uid, ui, "uid", "user_info", err, errlen)) ||
	    (rc = get_id(&r->uid, uid, "uid", err, errlen)) ||
	    (rc = dup_capped(&r->requester, user, AD_FIELD_MAX, "user", err,
	                     errlen)) ||
	    (rc = dup_capped(&r->host, ad_sudo_get(ui, "host"), AD_FIELD_MAX,
	                     "host", err, errlen)) ||
	    (rc = dup_capped(&r->tty, ad_sudo_get(ui, "tty"), AD_FIELD_MAX,
	                     "tty", err, errlen)))
		return rc;
	return dup_capped(&r->service, AD_SUDO_SERVICE, AD_FIELD_MAX, "service",
	                  err, errlen);
}

/* The effective ids are the privileged ones; fall back to the real ones. */
static const char *runas_id(char *const *ci, const char *eff, const char *real)
{
	const char *v = ad_sudo_get(ci, eff);

	return v != NULL ? v : ad_sudo_get(ci, real);
}

static int build_runas(struct ad_request *r, char *const *ci, char *err,
                       size_t errlen)
{
	const char *uid = runas_id(ci, "runas_euid", "runas_uid");
	const char *gid = runas_id(ci, "runas_egid", "runas_gid");
	int rc;

	if (uid == NULL)
		return fail(err, errlen, AD_ERR_INVALID, "runas_uid",
		            "missing from sudo's command_info");
	if (gid == NULL)
		return fail(err, errlen, AD_ERR_INVALID, "runas_gid",
		            "missing from sudo's command_info");
	if ((rc = get_id(&r->runas_uid, uid, "runas_uid", err, errlen)) ||
	    (rc = get_id(&r->runas_gid, gid, "runas_gid", err, errlen)) ||
	    (rc = dup_capped(&r->runas_user, ad_sudo_get(ci, "runas_user"),
	                     AD_FIELD_MAX, "runas_user", err, errlen)))
		return rc;
	return dup_capped(&r->runas_groups, ad_sudo_get(ci, "runas_groups"),
	                  AD_FIELD_MAX, "runas_groups", err, errlen);
}

static int build_command(struct ad_request *r, const struct ad_sudo_arrays *a,
                         char *err, size_t errlen)
{
	const char *cmd, *cwd = ad_sudo_get(a->command_info, "cwd");
	int rc;

	if (cwd == NULL || *cwd == '\0')
		cwd = ad_sudo_get(a->user_info, "cwd");
	if ((rc = get_required(&cmd, a->command_info, "command", "command_info",
	                       err, errlen)) ||
	    (rc = dup_capped(&r->command, cmd, AD_FIELD_MAX, "command", err,
	                     errlen)) ||
	    (rc = dup_capped(&r->cwd, cwd, AD_FIELD_MAX, "cwd", err, errlen)) ||
	    (rc = dup_capped(&r->chroot, ad_sudo_get(a->command_info, "chroot"),
	                     AD_FIELD_MAX, "chroot", err, errlen)) ||
	    (rc = copy_vec(&r->argv, a->run_argv, AD_ARGV_MAX, 0, "argv", err,
	                   errlen)))
		return rc;
	return copy_vec(&r->env, a->run_envp, AD_ENV_MAX, 1, "env", err,
	                errlen);
}

static int context_one(char **dst, char *const *envp, const char *name,
                       char *err, size_t errlen)
{
	const char *v = ad_sudo_get(envp, name);

	free(*dst);
	*dst = ad_sanitize(v != NULL ? v : "", AD_CONTEXT_MAX);
	if (*dst == NULL)
		return fail(err, errlen, AD_ERR_NOMEM, name, "out of memory");
	return 0;
}

static int build_context(struct ad_request *r, char *const *envp, char *err,
                         size_t errlen)
{
	int rc;

	if ((rc = context_one(&r->reason, envp, "APPROVERD_REASON", err,
	                      errlen)) ||
	    (rc = context_one(&r->ticket, envp, "APPROVERD_TICKET", err,
	                      errlen)) ||
	    (rc = context_one(&r->rollback, envp, "APPROVERD_ROLLBACK", err,
	                      errlen)))
		return rc;
	return context_one(&r->agent, envp, "APPROVERD_AGENT", err, errlen);
}

int ad_sudoreq_build(struct ad_request *r, const struct ad_sudo_arrays *a,
                     char *err, size_t errlen)
{
	int rc;

	ad_request_init(r);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (a == NULL)
		return fail(err, errlen, AD_ERR_INVALID, "sudo", "no arrays");
	if ((rc = build_requester(r, a->user_info, err, errlen)) ||
	    (rc = build_runas(r, a->command_info, err, errlen)) ||
	    (rc = build_command(r, a, err, errlen)) ||
	    (rc = build_context(r, a->submit_envp, err, errlen)))
		goto out;
	if ((rc = ad_request_complete(r)) != 0)
		fail(err, errlen, rc, "request", "out of memory");
out:
	if (rc != 0)
		ad_request_free(r);
	return rc;
}

int ad_sudoreq_parse_loginuid(uid_t *out, const char *buf, size_t len)
{
	char tmp[AD_SUDO_PROC_MAX];
	uint32_t v;

	*out = (uid_t)-1;
	if (buf == NULL || len == 0 || len >= sizeof(tmp))
		return AD_ERR_INVALID;
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	if (tmp[len - 1] == '\n')
		tmp[len - 1] = '\0';
	if (ad_parse_u32(&v, tmp, 0, UINT32_MAX) != 0)
		return AD_ERR_INVALID;
	*out = (uid_t)v;
	return 0;
}

/* Name of uid from the passwd database, or "#UID" if it has none. */
static int uid_name(char **out, uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[PW_BUF_MAX], num[24];

	free(*out);
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		*out = strdup(pw.pw_name);
	else {
		snprintf(num, sizeof(num), "#%u", (unsigned)uid);
		*out = strdup(num);
	}
	return *out != NULL ? 0 : AD_ERR_NOMEM;
}

static int read_loginuid(uid_t *out, const char *proc_root, pid_t pid)
{
	char path[PATH_MAX], buf[AD_SUDO_PROC_MAX];
	ssize_t n;
	int fd;

	*out = (uid_t)-1;
	if (snprintf(path, sizeof(path), "%s/%ld/loginuid", proc_root,
	             (long)pid) >= (int)sizeof(path))
		return AD_ERR_TOOBIG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return AD_ERR_IO;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return AD_ERR_IO;
	return ad_sudoreq_parse_loginuid(out, buf, (size_t)n);
}

static int collect_sponsor(struct ad_request *r, const char *proc_root,
                           pid_t pid)
{
	uid_t lu;

	if (read_loginuid(&lu, proc_root, pid) != 0 || lu == (uid_t)-1 ||
	    lu == (uid_t)r->uid)
		return 0;
	return uid_name(&r->sponsor, lu);
}

/* Directory rule of safefile.c: root's, not group/world-writable unless
 * sticky. *sticky says whether it is. */
static int dir_trusted(const char *dir, int *sticky, char *err, size_t errlen)
{
	struct stat st;
	char what[96];

	if (stat(dir, &st) != 0)
		return fail(err, errlen, AD_ERR_IO, dir, strerror(errno));
	*sticky = (st.st_mode & S_ISVTX) != 0;
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, AD_ERR_UNTRUSTED, dir,
		            "not a directory");
	if (st.st_uid != 0) {
		snprintf(what, sizeof(what), "directory owned by uid %lu, "
		         "not root", (unsigned long)st.st_uid);
		return fail(err, errlen, AD_ERR_UNTRUSTED, dir, what);
	}
	if (!*sticky && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(what, sizeof(what), "directory group- or "
		         "world-writable (mode %04o)",
		         (unsigned)(st.st_mode & 07777));
		return fail(err, errlen, AD_ERR_UNTRUSTED, dir, what);
	}
	return 0;
}

/* Every directory from "/" down to rp (a realpath() result). */
static int real_dir_chain(char *rp, int *sticky, char *err, size_t errlen)
{
	size_t n = strlen(rp);
	char c;
	int rc;

	if ((rc = dir_trusted("/", sticky, err, errlen)) != 0)
		return rc;
	for (size_t i = 1; i <= n; i++) {
		if ((c = rp[i]) != '/' && c != '\0')
			continue;
		rp[i] = '\0';
		rc = dir_trusted(rp, sticky, err, errlen);
		rp[i] = c;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Component entry (path up to its end) lives in directory dir (as given):
 * the real directory and its parents are trusted, and in a sticky one the
 * entry is root's (only its owner could replace or re-point it). */
static int component_trusted(const char *dir, const char *entry, char *err,
                             size_t errlen)
{
	char rp[PATH_MAX];
	struct stat st;
	int sticky, rc;

	if (realpath(dir, rp) == NULL)
		return fail(err, errlen, AD_ERR_IO, dir, strerror(errno));
	if ((rc = real_dir_chain(rp, &sticky, err, errlen)) != 0)
		return rc;
	if (!sticky)
		return 0;
	if (lstat(entry, &st) != 0)
		return fail(err, errlen, AD_ERR_IO, entry, strerror(errno));
	if (st.st_uid != 0)
		return fail(err, errlen, AD_ERR_UNTRUSTED, entry,
		            "not owned by root in a sticky directory");
	return 0;
}

/* The path as given: no component can be re-pointed by a non-root user. */
static int given_path_trusted(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], entry[PATH_MAX];
	size_t n = strlen(path), j;
	int rc;

	if (n >= PATH_MAX)
		return fail(err, errlen, AD_ERR_TOOBIG, "command",
		            "path too long");
	for (size_t i = 0; i < n; i++) {
		if (path[i] != '/' || path[i + 1] == '/' || path[i + 1] == '\0')
			continue;
		for (j = i + 1; j < n && path[j] != '/'; j++)
			;
		snprintf(dir, sizeof(dir), "%.*s", (int)(i > 0 ? i : 1), path);
		snprintf(entry, sizeof(entry), "%.*s", (int)j, path);
		if ((rc = component_trusted(dir, entry, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

/* Open the executable for hashing: under a chroot no symlink at all, else
 * its real path; either way through the safefile rules (root's file,
 * root's directories, not group/world-writable). */
static int open_exe(int *fd, const char *path, int chrooted, char *err,
                    size_t errlen)
{
	char rp[PATH_MAX], why[AD_WHY_MAX];
	int rc;

	*fd = -1;
	if (!chrooted) {
		if (realpath(path, rp) == NULL)
			return fail(err, errlen, AD_ERR_IO, path,
			            strerror(errno));
		if ((rc = given_path_trusted(path, err, errlen)) != 0)
			return rc;
		path = rp;
	}
	rc = ad_safe_open(fd, path, &ad_trust_root, (size_t)SSIZE_MAX, why);
	if (rc != 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", why);
	return rc;
}

int ad_sudoreq_exe_hash(char hex[AD_DIGEST_HEX], const char *command,
                        const char *chroot, char *err, size_t errlen)
{
	char path[PATH_MAX + 1];
	int fd, rc, chrooted;

	hex[0] = '\0';
	if (command == NULL || command[0] != '/')
		return fail(err, errlen, AD_ERR_INVALID, "command",
		            "not an absolute path");
	chrooted = chroot != NULL && chroot[0] != '\0' &&
	           strcmp(chroot, "/") != 0;
	if (snprintf(path, sizeof(path), "%s%s", chrooted ? chroot : "",
	             command) >= (int)sizeof(path))
		return fail(err, errlen, AD_ERR_TOOBIG, "command",
		            "path too long");
	if ((rc = open_exe(&fd, path, chrooted, err, errlen)) != 0)
		return rc;
	rc = ad_file_hash_fd(hex, fd);
	close(fd);
	if (rc != 0)
		return fail(err, errlen, rc, path,
		            rc == AD_ERR_INVALID ? "not a regular file"
		                                 : ad_strerror(rc));
	return 0;
}

static int collect_hash(struct ad_request *r, char *err, size_t errlen)
{
	char hex[AD_DIGEST_HEX];
	int rc;

	if ((rc = ad_sudoreq_exe_hash(hex, r->command, r->chroot, err,
	                              errlen)) != 0)
		return rc;
	return dup_capped(&r->exe_hash, hex, AD_DIGEST_HEX, "exe_hash", err,
	                  errlen);
}

int ad_sudoreq_collect(struct ad_request *r, const char *proc_root, pid_t pid,
                       char *err, size_t errlen)
{
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((rc = collect_hash(r, err, errlen)) != 0)
		return rc;
	if (r->runas_user == NULL || r->runas_user[0] == '\0') {
		if ((rc = uid_name(&r->runas_user, (uid_t)r->runas_uid)) != 0)
			return fail(err, errlen, rc, "runas_user",
			            "out of memory");
	}
	if ((rc = collect_sponsor(r, proc_root != NULL ? proc_root : "/proc",
	                          pid)) != 0)
		return fail(err, errlen, rc, "sponsor", "out of memory");
	return 0;
}
