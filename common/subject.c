/*
 * subject.c — is a user an AI subject ([subjects] of approverd.conf)?
 *
 * Invariants (DESIGN.md §3, §4.2, §4.3): a user is an AI subject if its name
 * is listed, if its primary gid or any supplementary group is a listed group,
 * or if a listed name resolves to the same uid (an alias cannot hide an AI
 * account). ad_subject_gids_ai: a process holding a listed group's gid at
 * run time is an AI subject whatever /etc/group says. When NSS fails the answer is an error, never "human": callers
 * then treat the user as an AI subject (fail closed).
 */
#include <string.h>

#include "config.h"
#include "error.h"
#include "nss.h"

static int uid_listed(const struct ad_config *c, uid_t uid)
{
	uid_t u;
	gid_t g;
	int rc;

	for (size_t i = 0; i < c->n_subject_users; i++) {
		rc = ad_nss_user(c->subject_users[i], &u, &g);
		if (rc < 0)
			return rc;
		if (rc == 1 && u == uid)
			return 1;
	}
	return 0;
}

int ad_subject_is_ai(const struct ad_config *c, const char *user, uid_t uid,
		     gid_t gid)
{
	int rc;

	if (c == NULL || user == NULL || user[0] == '\0')
		return AD_ERR_INVALID;
	for (size_t i = 0; i < c->n_subject_users; i++)
		if (strcmp(c->subject_users[i], user) == 0)
			return 1;
	for (size_t i = 0; i < c->n_subject_groups; i++)
		if ((rc = ad_nss_in_group(user, gid, c->subject_groups[i])) != 0)
			return rc;
	return uid_listed(c, uid);
}

int ad_subject_gids_ai(const struct ad_config *c, const gid_t *gids, size_t n)
{
	gid_t g;
	int rc;

	if (c == NULL || (gids == NULL && n > 0))
		return 1;
	for (size_t i = 0; i < c->n_subject_groups; i++) {
		rc = ad_nss_group(c->subject_groups[i], &g);
		if (rc < 0)
			return 1; /* cannot know the gid: fail closed */
		if (rc == 0)
			continue;
		for (size_t k = 0; k < n; k++)
			if (gids[k] == g)
				return 1;
	}
	return 0;
}
