/*
 * subject.c — is a user an AI subject ([subjects] of approverd.conf)?
 *
 * Invariants (DESIGN.md §3, §4.2, §4.3): a user is an AI subject if its uid
 * lies in a listed uid range, if its name is listed, if its primary gid or
 * any supplementary group is a listed group, or if a listed name resolves to
 * the same uid (an alias cannot hide an AI account). The uid ranges are
 * checked first and need no NSS: a user in a range is AI even while NSS is
 * down. Ranges never hold uid 0 or (uid_t)-1 (config.h), so a caller that
 * passes (uid_t)-1 for "no such user" matches none. A process holding a
 * listed group's gid at run time is an AI subject whatever /etc/group says
 * (R7). When NSS fails the answer is an error (is_ai) or 1 (gids_ai), never
 * "human": callers then treat the user as an AI subject (fail closed).
 *
 * One decision resolves each listed group's gid and each listed user's uid
 * at most once, and only when first needed (struct ad_subject_memo), and
 * the user's group list (getgrouplist) at most once per user: the answers
 * and the order in which errors surface are those of looking everything up
 * afresh, without the repeated look-ups. Nothing outlives the decision.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "nss.h"

_Static_assert(sizeof(uid_t) == sizeof(uint32_t), "uid_t is 32 bits");

int ad_subject_uid_listed(const struct ad_config *c, uid_t uid)
{
	const uint32_t u = (uint32_t)uid;

	if (c == NULL || c->subject_uids == NULL)
		return 0;
	for (size_t i = 0; i < c->n_subject_uids; i++)
		if (c->subject_uids[i].lo <= u && u <= c->subject_uids[i].hi)
			return 1;
	return 0;
}

int ad_subject_memo_init(struct ad_subject_memo *m, const struct ad_config *c)
{
	size_t n;

	memset(m, 0, sizeof(*m));
	if (c == NULL)
		return AD_ERR_INVALID;
	n = c->n_subject_groups + c->n_subject_users;
	if (n > 0 && (m->id = calloc(n, sizeof(*m->id))) == NULL)
		return AD_ERR_NOMEM;
	m->cfg = c;
	return 0;
}

void ad_subject_memo_free(struct ad_subject_memo *m)
{
	if (m == NULL)
		return;
	free(m->id);
	memset(m, 0, sizeof(*m));
}

/* Listed group i: 1 and *gid, 0 no such group, <0 NSS error. */
static int group_gid(struct ad_subject_memo *m, size_t i, gid_t *gid)
{
	struct ad_subject_id *e = &m->id[i];
	gid_t g = (gid_t)-1;

	if (!e->done) {
		e->rc = ad_nss_group(m->cfg->subject_groups[i], &g);
		e->id = (uint32_t)g;
		e->done = 1;
	}
	*gid = (gid_t)e->id;
	return e->rc;
}

/* Listed user i: 1 and *uid, 0 no such user, <0 NSS error. */
static int user_uid(struct ad_subject_memo *m, size_t i, uid_t *uid)
{
	struct ad_subject_id *e = &m->id[m->cfg->n_subject_groups + i];
	uid_t u = (uid_t)-1;
	gid_t g;

	if (!e->done) {
		e->rc = ad_nss_user(m->cfg->subject_users[i], &u, &g);
		e->id = (uint32_t)u;
		e->done = 1;
	}
	*uid = (uid_t)e->id;
	return e->rc;
}

static int uid_listed(struct ad_subject_memo *m, uid_t uid)
{
	uid_t u;
	int rc;

	for (size_t i = 0; i < m->cfg->n_subject_users; i++) {
		rc = user_uid(m, i, &u);
		if (rc < 0)
			return rc;
		if (rc == 1 && u == uid)
			return 1;
	}
	return 0;
}

static int gid_in(gid_t g, const gid_t *v, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (v[k] == g)
			return 1;
	return 0;
}

/* 1 if user (primary gid) is in a listed group, 0 if not, <0 NSS error;
 * the group list is fetched once, and only if a primary gid misses. */
static int in_listed_group(struct ad_subject_memo *m, const char *user,
			   gid_t gid)
{
	gid_t g, *groups = NULL;
	int n = 0, rc = 0, fetched = 0;

	for (size_t i = 0; i < m->cfg->n_subject_groups && rc == 0; i++) {
		rc = group_gid(m, i, &g);
		if (rc <= 0)
			continue; /* no such group: skipped; error: returned */
		if (g == gid)
			break;
		if (!fetched) {
			if ((rc = ad_nss_user_groups(&groups, &n, user, gid)) != 0)
				break;
			fetched = 1;
		}
		rc = gid_in(g, groups, (size_t)n);
	}
	free(groups);
	return rc;
}

int ad_subject_memo_is_ai(struct ad_subject_memo *m, const char *user,
			  uid_t uid, gid_t gid)
{
	const struct ad_config *c;
	int rc;

	if (m == NULL || m->cfg == NULL || user == NULL || user[0] == '\0')
		return AD_ERR_INVALID;
	c = m->cfg;
	if (ad_subject_uid_listed(c, uid))
		return 1;
	for (size_t i = 0; i < c->n_subject_users; i++)
		if (strcmp(c->subject_users[i], user) == 0)
			return 1;
	if ((rc = in_listed_group(m, user, gid)) != 0)
		return rc;
	return uid_listed(m, uid);
}

int ad_subject_memo_gids_ai(struct ad_subject_memo *m, const gid_t *gids,
			    size_t n)
{
	gid_t g;
	int rc;

	if (m == NULL || m->cfg == NULL || (gids == NULL && n > 0))
		return 1;
	for (size_t i = 0; i < m->cfg->n_subject_groups; i++) {
		rc = group_gid(m, i, &g);
		if (rc < 0)
			return 1; /* cannot know the gid: fail closed */
		if (rc == 1 && gid_in(g, gids, n))
			return 1;
	}
	return 0;
}

int ad_subject_is_ai(const struct ad_config *c, const char *user, uid_t uid,
		     gid_t gid)
{
	struct ad_subject_memo m;
	int rc;

	if (c == NULL || user == NULL || user[0] == '\0')
		return AD_ERR_INVALID;
	if ((rc = ad_subject_memo_init(&m, c)) != 0)
		return rc;
	rc = ad_subject_memo_is_ai(&m, user, uid, gid);
	ad_subject_memo_free(&m);
	return rc;
}

int ad_subject_gids_ai(const struct ad_config *c, const gid_t *gids, size_t n)
{
	struct ad_subject_memo m;
	int rc;

	if (c == NULL || (gids == NULL && n > 0) ||
	    ad_subject_memo_init(&m, c) != 0)
		return 1;
	rc = ad_subject_memo_gids_ai(&m, gids, n);
	ad_subject_memo_free(&m);
	return rc;
}
