/*
 * safefile.h — open trusted files (DESIGN.md §4.7).
 *
 * Invariants: absolute path; final component opened with O_NOFOLLOW and
 * O_NONBLOCK (a FIFO can never block us); the opened fd must be a regular
 * file owned by root or by trust->extra_uid, not group- or world-writable,
 * not larger than max_size. Every parent directory must also be owned by root
 * (or extra_uid) and not group/world-writable unless sticky. On failure,
 * why[] holds "PATH: reason" (e.g. "/etc/approverd/policy.conf: is a symbolic
 * link", "...: group-writable (mode 0664)").
 */
#ifndef APPROVERD_SAFEFILE_H
#define APPROVERD_SAFEFILE_H

#include <stddef.h>
#include <sys/types.h>

#define AD_WHY_MAX 512

struct ad_trust {
	uid_t extra_uid;      /* also trusted as owner; (uid_t)-1 for none */
	int check_parents;    /* also check every parent directory */
	int allow_group_read; /* reserved; reads are always allowed */
};

/* Trust root only, check parents. */
extern const struct ad_trust ad_trust_root;

/* Open for reading; *fd_out is an O_CLOEXEC fd on success, -1 on error. */
int ad_safe_open(int *fd_out, const char *path, const struct ad_trust *t,
		 size_t max_size, char why[AD_WHY_MAX])
	__attribute__((warn_unused_result));

/* Read the whole file into a NUL-terminated malloc'ed buffer. Files with an
 * embedded NUL are refused. */
int ad_safe_read(char **data_out, size_t *len_out, const char *path,
		 const struct ad_trust *t, size_t max_size,
		 char why[AD_WHY_MAX]) __attribute__((warn_unused_result));

/* Check an already-open fd against the same rules (owner, mode, type, size). */
int ad_safe_check_fd(int fd, const char *path, const struct ad_trust *t,
		     size_t max_size, char why[AD_WHY_MAX])
	__attribute__((warn_unused_result));

#endif
