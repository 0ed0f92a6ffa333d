/*
 * runtime.c — config, policy and approver keys as one unit, so that a
 * SIGHUP reload swaps all three or none.
 *
 * Invariants (DESIGN.md §4.4, §4.7): every file is trust-checked by its
 * loader; any error fails the whole load; a key whose human (`user=`) is an
 * AI subject — or whose status cannot be determined — is refused with a
 * message naming the key file, so an AI account can never approve. The
 * human is judged with its NSS uid (so [subjects] uids ranges apply); an
 * NSS error is "unknown status", never "no such user".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"
#include "error.h"
#include "keys.h"
#include "nss.h"
#include "policy.h"
#include "runtime.h"
#include "safefile.h"

void rt_free(struct runtime *rt)
{
	if (rt == NULL)
		return;
	ad_config_free(rt->cfg);
	ad_policy_free(rt->pol);
	ad_keyring_free(rt->ring);
	free(rt);
}

const struct ad_config *rt_config(const struct runtime *rt)
{
	return rt->cfg;
}

const char *rt_config_digest(const struct runtime *rt)
{
	return rt->digest;
}

static int check_key_users(struct runtime *rt, char *err, size_t errlen)
{
	for (size_t i = 0; i < ad_keyring_count(rt->ring); i++) {
		const struct ad_pubkey *k = ad_keyring_get(rt->ring, i);
		uid_t uid;
		gid_t gid;
		/* no such user: uid and gid stay -1 (in no range) */
		int ai = ad_nss_user(k->user, &uid, &gid);

		if (ai >= 0)
			ai = ad_subject_is_ai(rt->cfg, k->user, uid, gid);
		if (ai != 0) {
			snprintf(err, errlen, "%s/%s.pub: user '%s' is %s; an AI "
				 "account may never approve (remove the key or "
				 "the user from [subjects])", rt->cfg->approvers_dir,
				 k->name, k->user, ai > 0 ? "an AI subject" :
				 "of unknown status");
			return AD_ERR_CONFIG;
		}
	}
	return 0;
}

/* BLAKE2b-256 of the config and policy texts, for start/reload records. */
static int digest_files(struct runtime *rt, char *err, size_t errlen)
{
	const char *paths[2] = {rt->cfg->path, rt->cfg->policy};
	crypto_generichash_state st;
	uint8_t h[AD_DIGEST_LEN];
	char why[AD_WHY_MAX];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	for (int i = 0; i < 2; i++) {
		char *text = NULL;
		size_t len = 0;
		int r = ad_safe_read(&text, &len, paths[i], &ad_trust_root,
				     AD_POLICY_FILE_MAX, why);
		if (r != 0) {
			snprintf(err, errlen, "%s", why);
			return r;
		}
		crypto_generichash_update(&st, (const uint8_t *)text, len);
		free(text);
	}
	crypto_generichash_final(&st, h, sizeof(h));
	ad_digest_hex(rt->digest, h);
	return 0;
}

int rt_load(struct runtime **out, const char *config_path, char *err,
	    size_t errlen)
{
	struct runtime *rt = calloc(1, sizeof(*rt));
	char why[AD_WHY_MAX];
	int r;

	*out = NULL;
	if (rt == NULL)
		return AD_ERR_NOMEM;
	if ((r = ad_config_load(&rt->cfg, config_path, AD_CONFIG_FULL, err,
				errlen)) != 0 ||
	    (r = ad_policy_load(&rt->pol, rt->cfg->policy, err, errlen)) != 0)
		goto fail;
	if ((r = ad_keyring_load_dir(&rt->ring, rt->cfg->approvers_dir,
				     &ad_trust_root, why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	if ((r = check_key_users(rt, err, errlen)) != 0 ||
	    (r = digest_files(rt, err, errlen)) != 0)
		goto fail;
	*out = rt;
	return 0;
fail:
	rt_free(rt);
	return r;
}

int rt_is_approver(const struct runtime *rt, const char *user)
{
	if (user == NULL || user[0] == '\0')
		return 0;
	for (size_t i = 0; i < ad_keyring_count(rt->ring); i++)
		if (strcmp(ad_keyring_get(rt->ring, i)->user, user) == 0)
			return 1;
	return 0;
}
