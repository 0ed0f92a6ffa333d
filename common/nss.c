/*
 * nss.c — user and group look-ups (see nss.h for the invariants).
 */
#include "nss.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define NSS_BUF_MAX (1024 * 1024)
#define GROUPS_MAX 65536

static int nss_rc(int rc, int found)
{
	if (rc != 0 && rc != ENOENT && rc != ESRCH && rc != EBADF &&
	    rc != EPERM)
		return rc == ENOMEM ? AD_ERR_NOMEM : AD_ERR_IO;
	return found;
}

int ad_nss_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	size_t len = 16384;
	char *buf = NULL;
	int rc;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	for (;;) {
		char *nb = realloc(buf, len);
		if (nb == NULL) {
			free(buf);
			return AD_ERR_NOMEM;
		}
		buf = nb;
		rc = getpwnam_r(name, &pw, buf, len, &res);
		if (rc != ERANGE || len >= NSS_BUF_MAX)
			break;
		len *= 2;
	}
	free(buf);
	if (res != NULL) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
	}
	return nss_rc(rc, res != NULL);
}

int ad_nss_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	size_t len = 16384;
	char *buf = NULL;
	int rc;

	*gid = (gid_t)-1;
	for (;;) {
		char *nb = realloc(buf, len);
		if (nb == NULL) {
			free(buf);
			return AD_ERR_NOMEM;
		}
		buf = nb;
		rc = getgrnam_r(name, &gr, buf, len, &res);
		if (rc != ERANGE || len >= NSS_BUF_MAX)
			break;
		len *= 2;
	}
	free(buf);
	if (res != NULL)
		*gid = gr.gr_gid;
	return nss_rc(rc, res != NULL);
}

int ad_nss_user_groups(gid_t **out, int *n, const char *user, gid_t gid)
{
	int cap = 64;

	*out = NULL;
	*n = 0;
	for (;;) {
		gid_t *g = malloc((size_t)cap * sizeof(*g));
		int ng = cap;
		if (g == NULL)
			return AD_ERR_NOMEM;
		if (getgrouplist(user, gid, g, &ng) >= 0) {
			*out = g;
			*n = ng;
			return 0;
		}
		free(g);
		if (ng <= cap || ng > GROUPS_MAX)
			return AD_ERR_IO;
		cap = ng;
	}
}

int ad_nss_in_group(const char *user, gid_t gid, const char *group)
{
	gid_t *groups = NULL, g = 0;
	int n = 0, rc, hit = 0;

	rc = ad_nss_group(group, &g);
	if (rc <= 0)
		return rc;
	if (g == gid)
		return 1;
	if ((rc = ad_nss_user_groups(&groups, &n, user, gid)) != 0)
		return rc;
	for (int i = 0; i < n && !hit; i++)
		hit = (groups[i] == g);
	free(groups);
	return hit;
}
