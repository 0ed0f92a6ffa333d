/*
 * listen.c — the daemon's Unix socket.
 *
 * Invariants (DESIGN.md §4.8, issue 3): a filesystem socket only (never the
 * abstract namespace); a stale socket left by a dead daemon is replaced, but
 * a live daemon's socket or any non-socket file at the path is never
 * removed; the socket is mode 0666 because every caller is identified by
 * SO_PEERCRED, not by file permissions; its directory is created 0755.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "error.h"

static int make_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: mkdir: %s", dir, strerror(errno));
		return AD_ERR_IO;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", dir);
		return AD_ERR_UNTRUSTED;
	}
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		snprintf(err, errlen, "%s: world-writable directory (mode %04o)",
			 dir, (unsigned)(st.st_mode & 07777));
		return AD_ERR_UNTRUSTED;
	}
	return 0;
}

/* 0 if the path is free (or was a stale socket, now removed). */
static int clear_stale(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	int fd, live;

	if (lstat(sa->sun_path, &st) != 0)
		return errno == ENOENT ? 0 : AD_ERR_IO;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: exists and is not a socket; "
			 "refusing to remove it", sa->sun_path);
		return AD_ERR_UNTRUSTED;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return AD_ERR_IO;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
	       errno != ECONNREFUSED;
	close(fd);
	if (live) {
		snprintf(err, errlen, "%s: another approverd answers on this "
			 "socket", sa->sun_path);
		return AD_ERR_STATE;
	}
	if (unlink(sa->sun_path) != 0) {
		snprintf(err, errlen, "%s: cannot remove stale socket: %s",
			 sa->sun_path, strerror(errno));
		return AD_ERR_IO;
	}
	return 0;
}

int d_listen(int *fd_out, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, r;

	*fd_out = -1;
	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path '%s': must be absolute and "
			 "shorter than %zu bytes", path ? path : "",
			 sizeof(sa.sun_path));
		return AD_ERR_INVALID;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((r = make_parent(path, err, errlen)) != 0 ||
	    (r = clear_stale(&sa, err, errlen)) != 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return AD_ERR_IO;
	}
	old = umask(0111);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0 || listen(fd, 128) != 0) {
		snprintf(err, errlen, "%s: bind/listen: %s", path, strerror(errno));
		close(fd);
		return AD_ERR_IO;
	}
	*fd_out = fd;
	return 0;
}
