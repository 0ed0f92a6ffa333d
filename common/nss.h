/*
 * nss.h — user and group look-ups through NSS, failing closed.
 *
 * Invariants: every function distinguishes "no such user/group" (0) from
 * "could not look it up" (negative ad_err), so callers deciding about AI
 * subjects can fail closed; buffers grow on ERANGE up to a cap.
 */
#ifndef APPROVERD_NSS_H
#define APPROVERD_NSS_H

#include <sys/types.h>

/* 1 found (uid, gid set), 0 no such user, <0 error; outputs are -1
 * unless found. */
int ad_nss_user(const char *name, uid_t *uid, gid_t *gid)
	__attribute__((warn_unused_result));
/* 1 found (gid set), 0 no such group, <0 error. */
int ad_nss_group(const char *name, gid_t *gid)
	__attribute__((warn_unused_result));
/* malloc'ed list of user's groups (getgrouplist, gid included). */
int ad_nss_user_groups(gid_t **out, int *n, const char *user, gid_t gid)
	__attribute__((warn_unused_result));
/* 1 if user (primary gid) is in the named group, 0 if not, <0 error. */
int ad_nss_in_group(const char *user, gid_t gid, const char *group)
	__attribute__((warn_unused_result));

#endif
