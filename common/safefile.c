/*
 * safefile.c — open trusted files (DESIGN.md §4.7).
 *
 * Invariants kept here:
 * - only absolute paths; "." and ".." components are refused;
 * - with check_parents, the path is walked one component at a time with
 *   openat(O_NOFOLLOW|O_DIRECTORY), so a symlinked parent is refused and the
 *   directories checked are exactly the ones used (no lstat/open race);
 *   each must be owned by root or extra_uid and not group/world-writable
 *   unless sticky;
 * - the final component is checked with fstatat(AT_SYMLINK_NOFOLLOW) before
 *   the open (devices, FIFOs and sockets are never opened) and opened with
 *   O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC; the fd is then checked again with fstat;
 * - the file must be regular, owned by root or extra_uid, not g+w/o+w, and
 *   no larger than max_size; ad_safe_read refuses NUL bytes and growth past
 *   max_size while reading;
 * - every refusal fills why[] with "PATH: reason".
 */
#include "safefile.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct ad_trust ad_trust_root = {
	.extra_uid = (uid_t)-1,
	.check_parents = 1,
	.allow_group_read = 0,
};

__attribute__((format(printf, 3, 4))) static void
why_set(char *why, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (why == NULL)
		return;
	n = snprintf(why, AD_WHY_MAX, "%s: ", path);
	if (n < 0 || n >= AD_WHY_MAX)
		return; /* path alone fills why[]; it is still named */
	va_start(ap, fmt);
	if (vsnprintf(why + n, AD_WHY_MAX - (size_t)n, fmt, ap) < 0)
		why[n] = '\0';
	va_end(ap);
}

static const char *type_name(mode_t m)
{
	if (S_ISDIR(m))
		return "is a directory";
	if (S_ISLNK(m))
		return "is a symbolic link";
	if (S_ISFIFO(m))
		return "is a FIFO";
	if (S_ISSOCK(m))
		return "is a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "is a device";
	return "is not a regular file";
}

static int owner_ok(uid_t uid, const struct ad_trust *t)
{
	return uid == 0 || (t->extra_uid != (uid_t)-1 && uid == t->extra_uid);
}

/* Owner and mode rules shared by files and directories. */
static int check_owner_mode(const struct stat *st, const char *path,
			    const struct ad_trust *t, int is_dir, char *why)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);

	if (!owner_ok(st->st_uid, t)) {
		why_set(why, path, "owned by uid %lu, not root%s",
			(unsigned long)st->st_uid,
			t->extra_uid != (uid_t)-1 ? " or the trusted user" : "");
		return AD_ERR_UNTRUSTED;
	}
	if (is_dir && (st->st_mode & S_ISVTX))
		return AD_OK;
	if (st->st_mode & S_IWOTH) {
		why_set(why, path, "world-writable (mode %04o)", mode);
		return AD_ERR_UNTRUSTED;
	}
	if (st->st_mode & S_IWGRP) {
		why_set(why, path, "group-writable (mode %04o)", mode);
		return AD_ERR_UNTRUSTED;
	}
	return AD_OK;
}

static int check_stat(const struct stat *st, const char *path,
		      const struct ad_trust *t, size_t max_size, char *why)
{
	int r;

	if (!S_ISREG(st->st_mode)) {
		why_set(why, path, "%s", type_name(st->st_mode));
		return AD_ERR_UNTRUSTED;
	}
	if ((r = check_owner_mode(st, path, t, 0, why)) != 0)
		return r;
	if (st->st_size < 0 || (unsigned long long)st->st_size > max_size) {
		why_set(why, path, "too large (%lld bytes, max %zu)",
			(long long)st->st_size, max_size);
		return AD_ERR_TOOBIG;
	}
	return AD_OK;
}

int ad_safe_check_fd(int fd, const char *path, const struct ad_trust *t,
		     size_t max_size, char why[AD_WHY_MAX])
{
	struct stat st;

	if (why != NULL)
		why[0] = '\0';
	if (path == NULL)
		path = "(fd)";
	if (t == NULL)
		t = &ad_trust_root;
	if (fstat(fd, &st) != 0) {
		why_set(why, path, "fstat: %s", strerror(errno));
		return AD_ERR_IO;
	}
	return check_stat(&st, path, t, max_size, why);
}

static int errno_to_err(int e)
{
	if (e == ENOENT || e == ENOTDIR)
		return AD_ERR_NOTFOUND;
	if (e == ENOMEM)
		return AD_ERR_NOMEM;
	if (e == EACCES || e == EPERM)
		return AD_ERR_PERM;
	return AD_ERR_IO;
}

/* Explain why openat(dirfd, name, O_NOFOLLOW...) failed. */
static int open_failed(int dirfd, const char *name, const char *shown,
		       int e, char *why)
{
	struct stat st;

	if (e == ELOOP || e == ENOTDIR) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			why_set(why, shown, "%s",
				S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode)
					? type_name(st.st_mode)
					: "is not a directory");
			return AD_ERR_UNTRUSTED;
		}
	}
	why_set(why, shown, "open: %s", strerror(e));
	return errno_to_err(e);
}

/* Check the path's syntax; copy it into buf (PATH_MAX bytes). */
static int check_path(const char *path, char *buf, char *why)
{
	const char *p;
	size_t n;

	if (path == NULL) {
		why_set(why, "(null)", "no path given");
		return AD_ERR_INVALID;
	}
	if (path[0] != '/') {
		why_set(why, path, "not an absolute path");
		return AD_ERR_INVALID;
	}
	if ((n = strlen(path)) >= PATH_MAX) {
		why_set(why, "(path)", "path longer than %d bytes", PATH_MAX);
		return AD_ERR_TOOBIG;
	}
	if (path[n - 1] == '/') {
		why_set(why, path, "names a directory");
		return AD_ERR_UNTRUSTED;
	}
	for (p = path; (p = strchr(p, '/')) != NULL; p++) {
		if ((p[1] == '.' && (p[2] == '/' || p[2] == '\0')) ||
		    (p[1] == '.' && p[2] == '.' &&
		     (p[3] == '/' || p[3] == '\0'))) {
			why_set(why, path, "has a '.' or '..' component");
			return AD_ERR_INVALID;
		}
	}
	memcpy(buf, path, n + 1);
	return AD_OK;
}

/* fstat an opened directory and apply the parent rules. */
static int check_dir_fd(int dfd, const char *shown, const struct ad_trust *t,
			char *why)
{
	struct stat st;

	if (fstat(dfd, &st) != 0) {
		why_set(why, shown, "fstat: %s", strerror(errno));
		return AD_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		why_set(why, shown, "parent %s", type_name(st.st_mode));
		return AD_ERR_UNTRUSTED;
	}
	return check_owner_mode(&st, shown, t, 1, why);
}

/*
 * Walk buf (a writable copy of the path) from "/" to the last parent,
 * checking each directory; on success *dirfd is the parent and *leaf the
 * final component.
 */
static int walk_parents(int *dirfd, const char **leaf, char *buf,
			const struct ad_trust *t, char *why)
{
	char *comp = buf + 1, *slash;
	int dfd, nfd, r;

	*dirfd = -1;
	if ((dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		why_set(why, "/", "open: %s", strerror(errno));
		return AD_ERR_IO;
	}
	if ((r = check_dir_fd(dfd, "/", t, why)) != 0)
		goto fail;
	while ((slash = strchr(comp, '/')) != NULL) {
		*slash = '\0';
		if (*comp == '\0') { /* "//" */
			*slash = '/';
			comp = slash + 1;
			continue;
		}
		nfd = openat(dfd, comp,
			     O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0)
			r = open_failed(dfd, comp, buf, errno, why);
		else
			r = check_dir_fd(nfd, buf, t, why);
		*slash = '/';
		close(dfd);
		dfd = nfd;
		if (r != 0)
			goto fail;
		comp = slash + 1;
	}
	*dirfd = dfd;
	*leaf = comp;
	return AD_OK;
fail:
	if (dfd >= 0)
		close(dfd);
	return r;
}

/* Refuse non-regular files before opening them, then open and recheck. */
static int open_leaf(int *fd_out, int dirfd, const char *leaf,
		     const char *path, const struct ad_trust *t,
		     size_t max_size, char *why)
{
	struct stat st;
	int fd, r;

	if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		why_set(why, path, "%s", strerror(errno));
		return errno_to_err(errno);
	}
	if ((r = check_stat(&st, path, t, max_size, why)) != 0)
		return r;
	fd = openat(dirfd, leaf,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return open_failed(dirfd, leaf, path, errno, why);
	if ((r = ad_safe_check_fd(fd, path, t, max_size, why)) != 0) {
		close(fd);
		return r;
	}
	*fd_out = fd;
	return AD_OK;
}

int ad_safe_open(int *fd_out, const char *path, const struct ad_trust *t,
		 size_t max_size, char why[AD_WHY_MAX])
{
	char buf[PATH_MAX];
	const char *leaf = buf;
	int dirfd = AT_FDCWD, r;

	*fd_out = -1;
	if (why != NULL)
		why[0] = '\0';
	if (t == NULL)
		t = &ad_trust_root;
	if ((r = check_path(path, buf, why)) != 0)
		return r;
	if (t->check_parents &&
	    (r = walk_parents(&dirfd, &leaf, buf, t, why)) != 0)
		return r;
	r = open_leaf(fd_out, dirfd, leaf, path, t, max_size, why);
	if (dirfd >= 0)
		close(dirfd);
	return r;
}

/* Read fd to EOF into a malloc'ed buffer of at most max_size bytes. */
static int read_all(int fd, char **data_out, size_t *len_out,
		    const char *path, size_t max_size, char *why)
{
	size_t cap = 4096, len = 0;
	char *data = NULL, *nd;
	ssize_t n;

	for (;;) {
		if (len == cap || data == NULL) {
			if (data != NULL)
				cap = cap > max_size / 2 ? max_size + 1 : cap * 2;
			if ((nd = realloc(data, cap + 1)) == NULL) {
				free(data);
				why_set(why, path, "out of memory");
				return AD_ERR_NOMEM;
			}
			data = nd;
		}
		n = read(fd, data + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			why_set(why, path, "read: %s", strerror(errno));
			free(data);
			return AD_ERR_IO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max_size) {
			why_set(why, path, "too large (max %zu bytes)",
				max_size);
			free(data);
			return AD_ERR_TOOBIG;
		}
	}
	data[len] = '\0';
	*data_out = data;
	*len_out = len;
	return AD_OK;
}

int ad_safe_read(char **data_out, size_t *len_out, const char *path,
		 const struct ad_trust *t, size_t max_size,
		 char why[AD_WHY_MAX])
{
	char *data;
	size_t len;
	int fd, r;

	*data_out = NULL;
	*len_out = 0;
	if (max_size >= SIZE_MAX / 2) {
		why_set(why, path != NULL ? path : "(null)",
			"size limit %zu is too large", max_size);
		return AD_ERR_INVALID;
	}
	if ((r = ad_safe_open(&fd, path, t, max_size, why)) != 0)
		return r;
	r = read_all(fd, &data, &len, path, max_size, why);
	close(fd);
	if (r != 0)
		return r;
	if (memchr(data, '\0', len) != NULL) {
		why_set(why, path, "contains a NUL byte");
		free(data);
		return AD_ERR_INVALID;
	}
	*data_out = data;
	*len_out = len;
	return AD_OK;
}
