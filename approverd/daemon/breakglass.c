/*
 * breakglass.c — break-glass approvals and their after-the-fact review
 * (docs/formats/governance.md §3).
 *
 * Invariants:
 *  - Only tokens submit.c has verified arrive here (signature, host,
 *    request id and digest, validity, replay).
 *  - A break-glass counts only if, in this order: [breakglass] is
 *    configured; the request is pending (blocked or not); its rule is not a
 *    deny rule; the key is a member of the break-glass role; separation of
 *    duties holds as for approvals (not the requester, not the sponsor, by
 *    uid); the justification is long enough; not_after is within
 *    [breakglass] max_ttl and the request's expiry. Every refusal is
 *    recorded (approval, counted false, breakglass true, why).
 *  - An accepted break-glass is one batch (approval + approved), logged at
 *    LOG_ALERT after it is durable, and announced to every notify target.
 *  - A review counts only for a request approved by break-glass, from a
 *    registered approver who is not the human who broke the glass, nor the
 *    requester nor the sponsor, with a comment; one counted review closes
 *    it and later ones are refused.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"
#include "error.h"
#include "policy.h"
#include "runtime.h"
#include "token.h"
#include "vote.h"

static int role_has(const struct ad_role *role, const char *name)
{
	for (size_t m = 0; m < role->n_members; m++)
		if (strcmp(role->members[m], name) == 0)
			return 1;
	return 0;
}

/* Steps 1-4 of governance.md §3; why on refusal. */
static int bg_eligible(const struct daemon *d, const struct vote *v,
		       char *why, size_t wl)
{
	const struct ad_policy *p = d->rt->pol;
	const struct ad_rule *rule = vote_rule(d, v->q);
	const char *id = v->q->req.id;

	if (p->breakglass_role == SIZE_MAX || p->breakglass_role >= p->n_roles) {
		snprintf(why, wl, "break-glass is not configured");
		return AD_ERR_PERM;
	}
	if (v->q->state != AD_STATE_PENDING) {
		snprintf(why, wl, "request %s is %s, not pending", id,
			 ad_state_name(v->q->state));
		return AD_ERR_STATE;
	}
	if (rule == NULL || rule->action == AD_ACTION_DENY) {
		snprintf(why, wl, "request %s falls under deny rule %s; a denied "
			 "request is never approvable", id, v->q->req.rule);
		return AD_ERR_PERM;
	}
	if (!role_has(&p->roles[p->breakglass_role], v->signer->name)) {
		snprintf(why, wl, "key %s is not a member of the break-glass "
			 "role %s", v->signer->name,
			 p->roles[p->breakglass_role].name);
		return AD_ERR_PERM;
	}
	return 0;
}

/* Steps 5-7: separation of duties, justification, lifetime. */
static int bg_check(const struct daemon *d, const struct vote *v, char *why,
		    size_t wl)
{
	const struct ad_policy *p = d->rt->pol;
	uint64_t cap = d_now(d) + p->breakglass_max_ttl;
	size_t jl = strlen(v->st.comment);
	int r;

	if ((r = bg_eligible(d, v, why, wl)) != 0 ||
	    (r = vote_sod(v, why, wl)) != 0)
		return r;
	if (jl < p->breakglass_min_justification) {
		snprintf(why, wl, "justification is %zu characters; [breakglass] "
			 "min_justification is %u", jl,
			 (unsigned)p->breakglass_min_justification);
		return AD_ERR_INVALID;
	}
	if (v->st.not_after > cap || v->st.not_after > v->q->expires) {
		snprintf(why, wl, "not_after %llu is past the request expiry "
			 "%llu or now + [breakglass] max_ttl %llus",
			 (unsigned long long)v->st.not_after,
			 (unsigned long long)v->q->expires,
			 (unsigned long long)p->breakglass_max_ttl);
		return AD_ERR_TTL;
	}
	return 0;
}

/* `approved` by break-glass: the approvers so far plus the signer. */
static json_t *bg_approved(const struct vote *v)
{
	const struct dreq *q = v->q;
	json_t *a = json_array(), *rec = journal_record("approved", q->req.id);

	for (size_t i = 0; a != NULL && i < q->n_appr; i++)
		if (json_array_append_new(a, json_string(q->appr[i].name)) != 0)
			goto fail;
	if (a == NULL || rec == NULL ||
	    json_array_append_new(a, json_string(v->signer->name)) != 0)
		goto fail;
	if (json_object_update_new(rec, json_pack("{s:o, s:I, s:I, s:b, s:s}",
		"approvers", a, "not_after", (json_int_t)v->st.not_after,
		"uses", (json_int_t)1, /* break-glass releases one run */
		"breakglass", 1, "breakglass_by", v->signer->name)) != 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
fail:
	json_decref(a);
	json_decref(rec);
	return NULL;
}

int bg_submit(struct daemon *d, struct conn *c, struct vote *v)
{
	char why[400];
	json_t *recs[2];
	int r = bg_check(d, v, why, sizeof(why));

	if (r != 0)
		return vote_refuse(d, c, v, r, why);
	recs[0] = vote_record(v, c, 1);
	recs[1] = bg_approved(v);
	r = recs[0] && recs[1] ? journal_commit_n(d, recs, 2) : AD_ERR_NOMEM;
	json_decref(recs[0]);
	json_decref(recs[1]);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be written; "
				       "break-glass not counted");
	d_log_later(LOG_ALERT, "BREAK-GLASS: %s released %s (requester %s, rule %s): "
	      "%s", v->signer->name, v->q->req.id, v->q->req.requester,
	      v->q->req.rule, v->st.comment);
	return ops_decision_reply(d, c, v->q);
}

/* governance.md §3 "Review"; why on refusal. */
static int review_check(const struct daemon *d, const struct vote *v,
			char *why, size_t wl)
{
	const struct d_breakglass *b = v->q->bg;
	const char *id = v->q->req.id;
	int r;

	if (b == NULL) {
		snprintf(why, wl, "request %s was not approved by break-glass; "
			 "there is nothing to review", id);
		return AD_ERR_STATE;
	}
	if (b->reviewed) {
		snprintf(why, wl, "already reviewed by %s", b->reviewed_by);
		return AD_ERR_STATE;
	}
	if (!ad_policy_is_approver(d->rt->pol, v->signer->name)) {
		snprintf(why, wl, "key %s is not a member of any role",
			 v->signer->name);
		return AD_ERR_PERM;
	}
	if (vote_same_human(v->signer->user, b->user)) {
		snprintf(why, wl, "key %s belongs to %s, who broke the glass on "
			 "%s", v->signer->name, v->signer->user, id);
		return AD_ERR_SELF_APPROVAL;
	}
	if ((r = vote_sod(v, why, wl)) != 0)
		return r;
	if (v->st.comment[0] == '\0') {
		snprintf(why, wl, "a review needs a comment");
		return AD_ERR_INVALID;
	}
	return 0;
}

int bg_review(struct daemon *d, struct conn *c, struct vote *v)
{
	char why[400];
	json_t *rec;
	int r = review_check(d, v, why, sizeof(why));

	if (r != 0)
		return vote_refuse(d, c, v, r, why);
	rec = vote_record(v, c, 1);
	r = rec ? journal_commit(d, rec) : AD_ERR_NOMEM;
	json_decref(rec);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be written; "
				       "review not counted");
	d_log_later(LOG_NOTICE, "break-glass of %s reviewed by %s: %s",
	      v->q->req.id, v->signer->name, v->st.comment);
	return ops_decision_reply(d, c, v->q);
}

/* approverctl breakglass caps its token's lifetime by this by itself. */
int bg_show_extra(const struct daemon *d, json_t *show)
{
	const struct ad_policy *p = d->rt->pol;

	if (p->breakglass_role == SIZE_MAX || p->breakglass_role >= p->n_roles)
		return 0;
	return json_object_set_new(show, "breakglass_max_ttl", json_integer(
					   (json_int_t)p->breakglass_max_ttl));
}
