/*
 * submit.c — the `submit` op: a signed approval or denial token.
 *
 * Invariants (DESIGN.md §4.4, §4.5):
 *  - The token is checked (ad_token_prepare/check_sig/bind: the signature
 *    on verify.c's thread when it can) against the request's own host, id
 *    and request digest before any of its fields is trusted; whatever
 *    decides runs on the loop thread after the check, on the state of
 *    that moment (the request and key are looked up again).
 *  - Separation of duties: the key's human (`user=`, compared by uid, so a
 *    passwd alias is the same human) is neither the requester nor the
 *    sponsor (AD_ERR_SELF_APPROVAL); the key's name must be a member of a
 *    role the rule requires; one human (uid) counts once.
 *  - not_after never exceeds the request's expiry nor now + the rule's
 *    max_ttl (AD_ERR_TTL).
 *  - A token counts at most once: the hash of its key id and nonce is
 *    remembered (and replayed from the evidence after a restart).
 *  - Every submission, counted or refused, is recorded with the
 *    submitter's uid and why; a counted denial denies at once.
 *  - An approval of a blocked request (window, ticket) is refused with the
 *    block text as why; only break-glass releases it.
 *  - Break-glass and review tokens pass the same signature, binding and
 *    replay checks here, then go to breakglass.c for their own rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"
#include "error.h"
#include "dgrant.h"
#include "keys.h"
#include "nss.h"
#include "policy.h"
#include "proto.h"
#include "runtime.h"
#include "token.h"
#include "verify.h"
#include "vote.h"

static const char *vote_event(int decision)
{
	return decision == AD_DECISION_DENY     ? "denial"
	       : decision == AD_DECISION_REVIEW ? "review"
						: "approval";
}

/* The fields of every vote record, in the order approvals always had;
 * a review names its "reviewer" and carries no lifetime nor uses. */
static int vote_fields(json_t *rec, const struct vote *v, const char *kid,
		       const struct conn *c, int counted)
{
	int review = v->decision == AD_DECISION_REVIEW;

	return json_object_set_new(rec, review ? "reviewer" : "approver",
				   json_string(v->signer ? v->signer->name : "")) ||
	       json_object_set_new(rec, "user", json_string(
					   v->signer ? v->signer->user : "")) ||
	       json_object_set_new(rec, "key_id", json_string(kid)) ||
	       (!review && json_object_set_new(rec, "not_after", json_integer(
					(json_int_t)v->st.not_after))) ||
	       json_object_update_new(rec, json_pack("{s:s, s:I, s:b, s:s}",
			"comment", v->st.comment, "submitter_uid",
			(json_int_t)c->uid, "counted", counted,
			"why", counted ? "" : v->why)) ||
	       (!review && json_object_set_new(rec, "uses", json_integer(
					(json_int_t)v->st.uses)));
}

/* A break-glass approval also carries its justification. */
static int breakglass_fields(json_t *rec, const struct vote *v)
{
	if (v->decision != AD_DECISION_BREAKGLASS)
		return 0;
	return json_object_set_new(rec, "breakglass", json_true()) ||
	       json_object_set_new(rec, "justification",
				   json_string(v->st.comment));
}

json_t *vote_record(const struct vote *v, const struct conn *c, int counted)
{
	char kid[AD_KEYID_HEX] = "", th[AD_DIGEST_HEX], denied[400];
	json_t *rec = journal_record(vote_event(v->decision),
				     v->q ? v->q->req.id : v->st.request_id);

	if (v->signer)
		ad_key_id_hex(kid, v->signer->key_id);
	if (rec == NULL || vote_fields(rec, v, kid, c, counted) != 0 ||
	    breakglass_fields(rec, v) != 0) {
		json_decref(rec);
		return NULL;
	}
	ad_digest_hex(th, v->hash);
	snprintf(denied, sizeof(denied), "denied by %s%s%s",
		 v->signer ? v->signer->name : "?", v->st.comment[0] ? ": " : "",
		 v->st.comment);
	if (counted && (json_object_set_new(rec, "token_hash", json_string(th)) ||
			(v->decision == AD_DECISION_DENY &&
			 json_object_set_new(rec, "why_denied", json_string(
				 denied))))) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

int vote_refuse(struct daemon *d, struct conn *c, struct vote *v, int err,
		const char *why)
{
	uint64_t suppressed;
	json_t *rec;
	int r;

	v->why = why;
	if (!rl_refusal_record(c->uid, &suppressed))
		return conn_send_error(d, c, err, "%s", why);
	rec = vote_record(v, c, 0);
	if (rec != NULL && suppressed > 0 &&
	    json_object_set_new(rec, "suppressed", json_integer(
					(json_int_t)suppressed)) != 0) {
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

const struct ad_rule *vote_rule(const struct daemon *d, const struct dreq *q)
{
	const struct ad_policy *p = d->rt->pol;

	for (size_t i = 0; i < p->n_rules; i++)
		if (strcmp(p->rules[i].name, q->req.rule) == 0)
			return &p->rules[i];
	return strcmp(p->def.name, q->req.rule) == 0 ? &p->def : NULL;
}

static int in_required_role(const struct daemon *d, const struct ad_rule *rule,
			    const char *name)
{
	for (size_t i = 0; i < rule->n_require; i++) {
		const struct ad_role *role = &d->rt->pol->roles[rule->require[i].role];

		for (size_t m = 0; m < role->n_members; m++)
			if (strcmp(role->members[m], name) == 0)
				return 1;
	}
	return 0;
}

/* Separation of duties, eligibility, state and lifetime; why on refusal. */
/*
 * Humans are unix accounts (uids), not spellings of names: a passwd alias
 * (aliceadm with alice's uid) is the same human (review R1-R3). A user with
 * no account here cannot alias one, so names decide for it; an NSS error
 * counts as "the same human" (fail closed).
 * human_uid: 1 and *uid when the user exists, 0 when it does not, <0 error.
 */
static int human_uid(const char *name, uid_t *uid)
{
	gid_t g;

	return ad_nss_user(name, uid, &g);
}

int vote_same_human(const char *a, const char *b)
{
	uid_t ua, ub;
	int ra, rb;

	if (strcmp(a, b) == 0)
		return 1;
	ra = human_uid(a, &ua);
	rb = human_uid(b, &ub);
	if (ra < 0 || rb < 0)
		return 1;
	return ra == 1 && rb == 1 && ua == ub;
}

/* The signer's human is neither the requester (by uid) nor the sponsor. */
int vote_sod(const struct vote *v, char *why, size_t wl)
{
	const struct ad_request *r = &v->q->req;
	const char *who = NULL;
	uid_t signer;
	int rs = human_uid(v->signer->user, &signer);

	if (rs < 0 || strcmp(v->signer->user, r->requester) == 0 ||
	    (rs == 1 && signer == (uid_t)r->uid))
		who = "requester";
	else if (r->sponsor[0] != '\0' && vote_same_human(v->signer->user,
						       r->sponsor))
		who = "sponsor";
	if (who == NULL)
		return 0;
	if (rs < 0)
		snprintf(why, wl, "key %s: user %s cannot be looked up; not "
			 "counted", v->signer->name, v->signer->user);
	else
		snprintf(why, wl, "key %s belongs to %s, the %s of %s",
			 v->signer->name, v->signer->user, who, r->id);
	return AD_ERR_SELF_APPROVAL;
}

/* An approval: not of a blocked request (governance.md §2: only
 * break-glass releases it; denials still count), not_after within caps. */
static int approval_check(const struct vote *v, uint64_t now, char *why,
			  size_t wl)
{
	if (v->q->blocked != NULL && v->q->blocked[0] != '\0') {
		snprintf(why, wl, "%s", v->q->blocked);
		return AD_ERR_STATE;
	}
	if (v->st.not_after > v->q->expires ||
	    v->st.not_after > now + v->q->max_ttl) {
		snprintf(why, wl, "not_after %llu is past the request expiry "
			 "%llu or now + max_ttl %llus", (unsigned long long)
			 v->st.not_after, (unsigned long long)v->q->expires,
			 (unsigned long long)v->q->max_ttl);
		return AD_ERR_TTL;
	}
	return 0;
}

static int vote_check(struct daemon *d, struct vote *v, char *why, size_t wl)
{
	const struct ad_request *r = &v->q->req;
	const struct ad_rule *rule = vote_rule(d, v->q);
	uint64_t now = d_now(d);

	int rc;

	if ((rc = vote_sod(v, why, wl)) != 0)
		return rc;
	if (rule == NULL || !in_required_role(d, rule, v->signer->name)) {
		snprintf(why, wl, "approver %s is not in a role required by "
			 "rule %s", v->signer->name, r->rule);
		return AD_ERR_PERM;
	}
	if (v->q->state != AD_STATE_PENDING) {
		snprintf(why, wl, "request %s is %s, not pending", r->id,
			 ad_state_name(v->q->state));
		return AD_ERR_STATE;
	}
	if (v->decision == AD_DECISION_APPROVE &&
	    (rc = approval_check(v, now, why, wl)) != 0)
		return rc;
	for (size_t i = 0; i < v->q->n_appr; i++)
		if (vote_same_human(v->q->appr[i].user, v->signer->user)) {
			snprintf(why, wl, "%s (key %s) already approved %s as "
				 "%s; one human counts once", v->signer->user,
				 v->signer->name, r->id, v->q->appr[i].user);
			return AD_ERR_STATE;
		}
	return 0;
}

/* The `approved` record due if v's approval, counted on top of those
 * already applied, meets the quorum: *out gets it (NULL if not met). */
static int approved_record(struct daemon *d, const struct vote *v,
			   json_t **out, char *missing, size_t ml)
{
	const struct dreq *q = v->q;
	const char *names[64];
	uint64_t na = v->st.not_after;
	uint64_t uses = v->st.uses < AD_USES_MAX ? v->st.uses : AD_USES_MAX;
	size_t n = q->n_appr < 63 ? q->n_appr : 63;
	json_t *a = json_array();
	int met;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		names[i] = q->appr[i].name;
		na = q->appr[i].not_after < na ? q->appr[i].not_after : na;
		uses = q->appr[i].uses < uses ? q->appr[i].uses : uses;
	}
	names[n++] = v->signer->name;
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	met = ad_quorum_eval(vote_rule(d, q), d->rt->pol, names, n, missing, ml);
	if (met != 1 || a == NULL) {
		json_decref(a);
		return met < 0 ? met : a == NULL ? AD_ERR_NOMEM : 0;
	}
	*out = journal_record("approved", q->req.id);
	if (*out == NULL || json_object_set_new(*out, "approvers", a) ||
	    json_object_set_new(*out, "not_after", json_integer((json_int_t)na)) ||
	    json_object_set_new(*out, "uses",
				json_integer((json_int_t)(uses ? uses : 1)))) {
		json_decref(*out);
		*out = NULL;
		return AD_ERR_NOMEM;
	}
	return 0;
}

static void vote_hash(struct vote *v)
{
	crypto_generichash_state s;

	crypto_generichash_init(&s, (const uint8_t *)"approverd-token-seen", 20,
				sizeof(v->hash));
	crypto_generichash_update(&s, v->st.key_id, sizeof(v->st.key_id));
	crypto_generichash_update(&s, v->st.nonce, sizeof(v->st.nonce));
	crypto_generichash_final(&s, v->hash, sizeof(v->hash));
}

/* Syntax, target request and key, before the signature check (one decode
 * of the token); why on refusal. */
static int vote_prepare(struct daemon *d, json_t *msg, const char *token,
			struct vjob *j, char *why, size_t wl)
{
	struct vote *v = &j->v;
	const struct ad_pubkey *k = NULL;
	const char *id = NULL;
	int r = ad_token_prepare(&j->p, token, d->rt->ring, &k);

	if (r != 0 && r != AD_ERR_UNKNOWN_KEY) {
		snprintf(why, wl, "token is malformed (%s)", ad_strerror(r));
		return r;
	}
	v->st = j->p.st; /* not trusted yet: what the refusals record */
	v->decision = (int)v->st.decision;
	if (v->decision < AD_DECISION_APPROVE ||
	    v->decision > AD_DECISION_REVIEW) {
		snprintf(why, wl, "decision %d is not accepted here",
			 v->decision);
		v->decision = 0;
		return AD_ERR_WRONG_DECISION;
	}
	/* The submitter may name the request it means; else the token's. */
	if (ad_json_str(&id, msg, "id", AD_ID_MAX - 1) != 0)
		id = v->st.request_id;
	snprintf(j->id, sizeof(j->id), "%s", id);
	if ((v->q = store_find(d, j->id)) == NULL) {
		snprintf(why, wl, "no request '%s'", v->st.request_id);
		return AD_ERR_NOTFOUND;
	}
	if (r != 0) {
		memset(&v->st, 0, sizeof(v->st)); /* as before any signature */
		snprintf(why, wl, "token refused: %s", ad_strerror(r));
	}
	return r;
}

/* After the signature check (verify.c or inline): the request and key as
 * they are NOW (a SIGHUP may have dropped the key, a prune the request),
 * the binding, and replay; why on refusal. */
static int vote_checked(struct daemon *d, struct vjob *j, char *why, size_t wl)
{
	struct vote *v = &j->v;
	const struct ad_pubkey *k = ad_keyring_find_id(d->rt->ring,
						       j->p.st.key_id);
	int r;

	if ((v->q = store_find(d, j->id)) == NULL) {
		snprintf(why, wl, "no request '%s'", v->st.request_id);
		return AD_ERR_NOTFOUND;
	}
	memset(&v->st, 0, sizeof(v->st));
	if (k == NULL || sodium_memcmp(k->pk, j->p.pk, AD_PK_LEN) != 0)
		r = AD_ERR_UNKNOWN_KEY;
	else
		r = j->p.sig_rc;
	if (r == 0) {
		v->st = j->p.st;
		v->signer = k;
		r = ad_token_bind(&j->p, v->q->req.host, v->q->req.id,
				  v->q->digest, AD_DECISION_ANY, d_now(d));
	}
	if (r != 0) {
		snprintf(why, wl, "token refused: %s", ad_strerror(r));
		return r;
	}
	vote_hash(v);
	if (store_seen(d, v->hash)) {
		snprintf(why, wl, "token already used (replay)");
		return AD_ERR_STATE;
	}
	return 0;
}

/* The vote and, when it completes the quorum, `approved`: one batch, one
 * fdatasync, applied only once both are durable (§4.1). */
static int vote_count(struct daemon *d, struct conn *c, struct vote *v)
{
	char missing[256] = "";
	json_t *recs[2] = {vote_record(v, c, 1), NULL};
	int r = recs[0] ? 0 : AD_ERR_NOMEM;

	if (r == 0 && v->decision == AD_DECISION_APPROVE &&
	    (r = approved_record(d, v, &recs[1], missing, sizeof(missing))) != 0) {
		json_decref(recs[0]);
		return conn_send_error(d, c, r, "rule %s: quorum could not be "
				       "evaluated; token not counted",
				       v->q->req.rule);
	}
	if (r == 0)
		r = journal_commit_n(d, recs, recs[1] ? 2 : 1);
	json_decref(recs[0]);
	json_decref(recs[1]);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be written; "
				       "token not counted");
	return ops_decision_reply(d, c, v->q);
}

static int vote_decide(struct daemon *d, struct conn *c, struct vote *v)
{
	char why[400];
	int r;

	if (v->decision == AD_DECISION_BREAKGLASS)
		return bg_submit(d, c, v);
	if (v->decision == AD_DECISION_REVIEW)
		return bg_review(d, c, v);
	if ((r = vote_check(d, v, why, sizeof(why))) != 0)
		return vote_refuse(d, c, v, r, why);
	return vote_count(d, c, v);
}

int submit_finish(struct daemon *d, struct vjob *j)
{
	char why[400];
	int r = vote_checked(d, j, why, sizeof(why));

	r = r != 0 ? vote_refuse(d, j->c, &j->v, r, why)
		   : vote_decide(d, j->c, &j->v);
	free(j);
	return r;
}

int op_submit(struct daemon *d, struct conn *c, json_t *msg)
{
	struct vjob *j;
	const char *token = NULL, *id = NULL;
	char why[400];
	int r;

	if ((r = ad_json_str(&token, msg, "token", AD_TOKEN_MAX)) != 0)
		return conn_send_error(d, c, r == AD_ERR_NOTFOUND ? AD_ERR_INVALID
				       : r, "field 'token': missing or too long");
	if (ad_json_str(&id, msg, "id", AD_ID_MAX - 1) == 0 && grant_is_id(id))
		return grant_submit(d, c, msg, token); /* grant_vote.c */
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return conn_send_error(d, c, AD_ERR_NOMEM, "out of memory");
	j->c = c;
	r = vote_prepare(d, msg, token, j, why, sizeof(why));
	if (id == NULL && grant_is_id(j->p.st.request_id)) {
		free(j); /* the token names a grant (grant_wants, decoded once) */
		return grant_submit(d, c, msg, token);
	}
	if (r != 0) {
		r = vote_refuse(d, c, &j->v, r, why);
		free(j);
		return r;
	}
	/* Alone on its connection: checked on the verifier thread, answered
	 * from verify_drain(). Else (input follows, or no thread) inline. */
	if (!c->more_input && verify_queue(d, j) == 0)
		return 0;
	(void)ad_token_check_sig(&j->p);
	return submit_finish(d, j);
}
