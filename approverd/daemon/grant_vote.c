/*
 * grant_vote.c — signed tokens on a grant id (docs/formats/governance.md
 * §4): an approval counts toward the grant's rule quorum; a denial by any
 * registered approver revokes it.
 *
 * Invariants (DESIGN.md §4.4, §4.5):
 *  - the token is verified by ad_token_verify() against the grant's own
 *    host, id and grant digest before any of its fields is trusted;
 *  - separation of duties: the signer's human (by name and uid) is not the
 *    grant's requester; an NSS error counts as "the same human";
 *  - an approval counts only from a member of a role the rule requires,
 *    for a pending grant, with not_after <= the grant's expiry, and one
 *    human counts once; quorum is ad_quorum_eval() on the rule;
 *  - a token counts at most once (the seen-token store submit.c uses,
 *    replayed from the evidence);
 *  - every submission is recorded, counted or refused (refusals rate
 *    limited per uid), with the submitter's uid and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "error.h"
#include "dgrant.h"
#include "keys.h"
#include "nss.h"
#include "proto.h"
#include "runtime.h"
#include "token.h"

struct gvote {
	struct ad_statement st;
	const struct ad_pubkey *signer;
	struct dgrant *g;
	uint8_t hash[AD_DIGEST_LEN];
};

static json_t *gvote_record(const struct gvote *v, const struct conn *c,
			    int counted, const char *why)
{
	char kid[AD_KEYID_HEX] = "", th[AD_DIGEST_HEX];
	json_t *rec = journal_record(v->st.decision == AD_DECISION_DENY ?
				     "denial" : "approval", v->g ? v->g->g.id :
				     v->st.request_id);

	if (v->signer)
		ad_key_id_hex(kid, v->signer->key_id);
	ad_digest_hex(th, v->hash);
	if (rec == NULL || json_object_update_new(rec, json_pack(
		"{s:s, s:s, s:s, s:I, s:s, s:I, s:b, s:s, s:I}",
		"approver", v->signer ? v->signer->name : "",
		"user", v->signer ? v->signer->user : "", "key_id", kid,
		"not_after", (json_int_t)v->st.not_after,
		"comment", v->st.comment, "submitter_uid", (json_int_t)c->uid,
		"counted", counted, "why", counted ? "" : why,
		"uses", (json_int_t)v->st.uses)) != 0 ||
	    (counted && json_object_set_new(rec, "token_hash",
					    json_string(th)) != 0)) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

static int gvote_refuse(struct daemon *d, struct conn *c,
			const struct gvote *v, int err, const char *why)
{
	uint64_t suppressed;
	json_t *rec;
	int r;

	if (!rl_refusal_record(c->uid, &suppressed))
		return conn_send_error(d, c, err, "%s", why);
	rec = gvote_record(v, c, 0, why);
	if (rec != NULL && suppressed > 0 &&
	    json_object_set_new(rec, "suppressed",
				json_integer((json_int_t)suppressed)) != 0) {
		json_decref(rec);
		rec = NULL;
	}
	r = rec ? journal_commit(d, rec) : AD_ERR_NOMEM;
	json_decref(rec);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be written; "
				       "token not considered");
	return conn_send_error(d, c, err, "%s", why);
}

static int in_required_role(const struct daemon *d, const struct ad_rule *rule,
			    const char *name)
{
	for (size_t i = 0; i < rule->n_require; i++) {
		const struct ad_role *role =
			&d->rt->pol->roles[rule->require[i].role];

		for (size_t m = 0; m < role->n_members; m++)
			if (strcmp(role->members[m], name) == 0)
				return 1;
	}
	return 0;
}

/* Syntax, target grant, signature and binding, replay. */
static int gvote_verify(struct daemon *d, const json_t *msg, const char *token,
			struct gvote *v, char *why, size_t wl)
{
	uint8_t sig[AD_SIG_LEN];
	crypto_generichash_state s;
	const char *id = NULL;
	int r;

	if ((r = ad_token_parse(&v->st, sig, token)) != 0) {
		snprintf(why, wl, "token is malformed (%s)", ad_strerror(r));
		return r;
	}
	if (ad_json_str(&id, msg, "id", AD_ID_MAX - 1) != 0)
		id = v->st.request_id;
	if ((v->g = grant_find(d, id)) == NULL) {
		snprintf(why, wl, "no grant '%s'", id);
		return AD_ERR_NOTFOUND;
	}
	r = ad_token_verify(&v->st, token, d->rt->ring, v->g->g.host,
			    v->g->g.id, v->g->digest, AD_DECISION_ANY, d_now(d),
			    &v->signer);
	if (r != 0) {
		snprintf(why, wl, "token refused: %s", ad_strerror(r));
		return r;
	}
	crypto_generichash_init(&s, (const uint8_t *)"approverd-token-seen", 20,
				sizeof(v->hash));
	crypto_generichash_update(&s, v->st.key_id, sizeof(v->st.key_id));
	crypto_generichash_update(&s, v->st.nonce, sizeof(v->st.nonce));
	crypto_generichash_final(&s, v->hash, sizeof(v->hash));
	if (store_seen(d, v->hash)) {
		snprintf(why, wl, "token already used (replay)");
		return AD_ERR_STATE;
	}
	return 0;
}

/* Not the requester: by name, by uid; a lookup error refuses. */
static int gvote_sod(const struct gvote *v, char *why, size_t wl)
{
	uid_t u;
	gid_t gid;
	int r = ad_nss_user(v->signer->user, &u, &gid);

	if (r < 0) {
		snprintf(why, wl, "key %s: user %s cannot be looked up; not "
			 "counted", v->signer->name, v->signer->user);
		return AD_ERR_SELF_APPROVAL;
	}
	if (strcmp(v->signer->user, v->g->g.requester) == 0 ||
	    (r == 1 && (uint32_t)u == v->g->g.uid)) {
		snprintf(why, wl, "key %s belongs to %s, the requester of %s",
			 v->signer->name, v->signer->user, v->g->g.id);
		return AD_ERR_SELF_APPROVAL;
	}
	return 0;
}

static int gvote_check(struct daemon *d, const struct gvote *v,
		       const struct ad_rule *rule, char *why, size_t wl)
{
	const struct dgrant *g = v->g;
	int r;

	if ((r = gvote_sod(v, why, wl)) != 0)
		return r;
	if (rule == NULL || !in_required_role(d, rule, v->signer->name)) {
		snprintf(why, wl, "approver %s is not in a role required by "
			 "rule %s", v->signer->name, g->g.rule);
		return AD_ERR_PERM;
	}
	if (g->state != DG_PENDING) {
		snprintf(why, wl, "grant %s is %s, not pending", g->g.id,
			 grant_state_name(g));
		return AD_ERR_STATE;
	}
	if (v->st.not_after > g->g.expires) {
		snprintf(why, wl, "not_after %llu is past the grant expiry %llu",
			 (unsigned long long)v->st.not_after,
			 (unsigned long long)g->g.expires);
		return AD_ERR_TTL;
	}
	for (size_t i = 0; i < g->n_appr; i++)
		if (grant_same_human(g->appr[i].user, v->signer->user)) {
			snprintf(why, wl, "%s (key %s) already approved %s as "
				 "%s; one human counts once", v->signer->user,
				 v->signer->name, g->g.id, g->appr[i].user);
			return AD_ERR_STATE;
		}
	return 0;
}

/* `approved` if this approval completes the quorum (*out NULL if not). */
static int gvote_approved(struct daemon *d, const struct gvote *v,
			  const struct ad_rule *rule, json_t **out)
{
	const struct dgrant *g = v->g;
	const char *names[64];
	char missing[256];
	size_t n = g->n_appr < 63 ? g->n_appr : 63;
	json_t *a = json_array();
	int met;

	*out = NULL;
	for (size_t i = 0; i < n; i++)
		names[i] = g->appr[i].name;
	names[n++] = v->signer->name;
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	met = ad_quorum_eval(rule, d->rt->pol, names, n, missing,
			     sizeof(missing));
	if (met != 1 || a == NULL) {
		json_decref(a);
		return met < 0 ? met : a == NULL ? AD_ERR_NOMEM : 0;
	}
	*out = journal_record("approved", g->g.id);
	if (*out == NULL || json_object_set_new(*out, "approvers", a) ||
	    json_object_set_new(*out, "not_after",
				json_integer((json_int_t)g->g.expires)) ||
	    json_object_set_new(*out, "uses",
				json_integer((json_int_t)g->g.uses))) {
		json_decref(*out);
		*out = NULL;
		return AD_ERR_NOMEM;
	}
	return 0;
}

static int gvote_approve(struct daemon *d, struct conn *c, struct gvote *v)
{
	const struct ad_rule *rule = grant_rule(d, v->g->g.rule);
	json_t *recs[2] = {NULL, NULL};
	char why[400];
	int r;

	if ((r = gvote_check(d, v, rule, why, sizeof(why))) != 0)
		return gvote_refuse(d, c, v, r, why);
	if ((recs[0] = gvote_record(v, c, 1, "")) == NULL)
		return conn_send_error(d, c, AD_ERR_NOMEM, "approval record");
	if ((r = gvote_approved(d, v, rule, &recs[1])) == 0)
		r = journal_commit_n(d, recs, recs[1] ? 2 : 1);
	json_decref(recs[0]);
	json_decref(recs[1]);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be written "
				       "or quorum not evaluated (%s); token not "
				       "counted", ad_strerror(r));
	return grant_decision_reply(d, c, v->g);
}

/* A signed denial from any registered approver revokes the grant. */
static int gvote_revoke(struct daemon *d, struct conn *c, struct gvote *v)
{
	char kid[AD_KEYID_HEX], th[AD_DIGEST_HEX], why[200];
	json_t *rec;
	int r;

	if (!ad_policy_is_approver(d->rt->pol, v->signer->name)) {
		snprintf(why, sizeof(why), "key %s is not a member of any role",
			 v->signer->name);
		return gvote_refuse(d, c, v, AD_ERR_PERM, why);
	}
	if (v->g->state != DG_PENDING && v->g->state != DG_ACTIVE) {
		snprintf(why, sizeof(why), "grant %s is %s", v->g->g.id,
			 grant_state_name(v->g));
		return gvote_refuse(d, c, v, AD_ERR_STATE, why);
	}
	ad_key_id_hex(kid, v->signer->key_id);
	ad_digest_hex(th, v->hash);
	rec = journal_record("revoke", v->g->g.id);
	if (rec == NULL || json_object_update_new(rec, json_pack(
		"{s:s, s:s, s:I, s:s, s:s, s:s}", "by", v->signer->name,
		"user", v->signer->user, "uid", (json_int_t)c->uid,
		"key_id", kid, "comment", v->st.comment, "token_hash", th)) != 0) {
		json_decref(rec);
		return conn_send_error(d, c, AD_ERR_NOMEM, "revoke record");
	}
	r = journal_commit(d, rec);
	json_decref(rec);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be written; "
				       "grant not revoked");
	return grant_decision_reply(d, c, v->g);
}

int grant_submit(struct daemon *d, struct conn *c, json_t *msg,
		 const char *token)
{
	struct gvote v;
	char why[400];
	int r;

	memset(&v, 0, sizeof(v));
	if ((r = gvote_verify(d, msg, token, &v, why, sizeof(why))) != 0)
		return gvote_refuse(d, c, &v, r, why);
	if (v.st.decision == AD_DECISION_APPROVE)
		return gvote_approve(d, c, &v);
	if (v.st.decision == AD_DECISION_DENY)
		return gvote_revoke(d, c, &v);
	snprintf(why, sizeof(why), "decision '%s' is not accepted for a grant",
		 ad_decision_name((int)v.st.decision));
	return gvote_refuse(d, c, &v, AD_ERR_WRONG_DECISION, why);
}
