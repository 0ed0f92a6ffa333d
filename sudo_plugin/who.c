/*
 * who.c — who runs sudo and whether [subjects] makes it an AI subject;
 * shared by the front (entry.c/front.c) and the core (approval.c), so that
 * both decide with the very same code.
 *
 * Invariants (DESIGN.md §3, §4.2, §4.3): sudo_who() says "human" (0)
 * only when sudo named the user, uid and gid, the name, uid, primary and
 * supplementary groups (NSS) and every gid the process holds (user_info
 * gid= and groups=, R7) miss [subjects]; an NSS error or a malformed or
 * oversized gid list counts as AI (fail closed) when [subjects] lists
 * groups (without groups no held gid can make anyone AI). Each [subjects] look-up
 * is made at most once per decision (struct ad_subject_memo): the group's
 * gid serves both the NSS-membership and the held-gid test.
 * sudo_open_args() holds the checks both open()s make (API major version,
 * config= option), so that the front and the core refuse alike.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "num.h"
#include "plugin.h"
#include "sudoreq.h"

#define GIDS_MAX 65537 /* NGROUPS_MAX + the primary gid */
#define GID_TEXT_MAX 16

/* config=PATH: the only plugin option; -1 and a message if malformed. */
static int sudo_options(char *config, size_t len, char *const opts[])
{
	for (; opts != NULL && *opts != NULL; opts++) {
		const char *o = *opts, *v = ad_sudo_value(o, "config");

		if (v != NULL && v[0] == '/' && strlen(v) < len) {
			memcpy(config, v, strlen(v) + 1);
			continue;
		}
		say("sudo.conf: bad option '%.200s' for approverd_approval "
		    "(expected config=/ABSOLUTE/PATH)",
		    o);
		return -1;
	}
	return 0;
}

int sudo_open_args(char *config, size_t len, unsigned int version,
                   char *const opts[], const char **errstr)
{
	if (len < sizeof(AD_SUDO_DEFAULT_CONFIG)) {
		*errstr = "approverd: internal error (config path buffer)";
		return -1;
	}
	memcpy(config, AD_SUDO_DEFAULT_CONFIG, sizeof(AD_SUDO_DEFAULT_CONFIG));
	if (SUDO_API_VERSION_GET_MAJOR(version) != SUDO_API_VERSION_MAJOR) {
		*errstr = "approverd: incompatible sudo plugin API version";
		say("incompatible sudo plugin API %u.%u",
		    SUDO_API_VERSION_GET_MAJOR(version),
		    SUDO_API_VERSION_GET_MINOR(version));
		return -1;
	}
	if (sudo_options(config, len, opts) != 0) {
		*errstr = "approverd: bad plugin option in sudo.conf";
		return -1;
	}
	return 0;
}

int sudo_invoker(char *const user_info[], const char **user, uid_t *uid,
                 gid_t *gid)
{
	uint32_t u, g;

	*user = ad_sudo_get(user_info, "user");
	if (*user == NULL || **user == '\0' ||
	    ad_parse_u32(&u, ad_sudo_get(user_info, "uid"), 0,
	                 UINT32_MAX - 1) != 0 ||
	    ad_parse_u32(&g, ad_sudo_get(user_info, "gid"), 0,
	                 UINT32_MAX - 1) != 0)
		return -1;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* Parse "g1,g2,..." into v (room for n), after v[0]; k receives the count. */
static int gids_parse(gid_t *v, size_t n, size_t *k, const char *p)
{
	char tok[GID_TEXT_MAX];
	size_t len;
	uint32_t g;

	while (p != NULL && *p != '\0') {
		for (len = 0; p[len] != '\0' && p[len] != ',';)
			len++;
		if (len == 0 || len >= sizeof(tok) || *k >= n)
			return -1;
		memcpy(tok, p, len);
		tok[len] = '\0';
		if (ad_parse_u32(&g, tok, 0, UINT32_MAX - 1) != 0)
			return -1;
		v[(*k)++] = (gid_t)g;
		p += len + (p[len] == ',');
	}
	return 0;
}

/* The gids the process holds (user_info gid= and groups=) against the
 * [subjects] groups: 1 AI or unknown (malformed, oversized), 0 not (also
 * when no group is listed: then the list is not even read). */
static int sudo_gids_ai(struct ad_subject_memo *m, char *const user_info[],
                        gid_t gid)
{
	const char *p = ad_sudo_get(user_info, "groups");
	gid_t *v;
	size_t n = 1, k = 0;
	int rc = 1;

	/* no [subjects] groups: no held gid can match, whatever the list */
	if (m->cfg->n_subject_groups == 0)
		return 0;
	for (const char *q = p; q != NULL && *q != '\0'; q++)
		n += *q == ',';
	if (n > GIDS_MAX || (v = calloc(n + 1, sizeof(*v))) == NULL)
		return 1;
	v[k++] = gid;
	if (gids_parse(v, n + 1, &k, p) == 0)
		rc = ad_subject_memo_gids_ai(m, v, k);
	free(v);
	return rc;
}

int sudo_who(const struct ad_config *cfg, char *const user_info[])
{
	struct ad_subject_memo m;
	const char *user;
	uid_t uid;
	gid_t gid;
	int ai;

	if (cfg == NULL || sudo_invoker(user_info, &user, &uid, &gid) != 0)
		return 1;
	if (ad_subject_memo_init(&m, cfg) != 0)
		return 1;
	ai = ad_subject_memo_is_ai(&m, user, uid, gid);
	if (ai == 0)
		ai = sudo_gids_ai(&m, user_info, gid);
	ad_subject_memo_free(&m);
	return ai == 0 ? 0 : 1;
}
