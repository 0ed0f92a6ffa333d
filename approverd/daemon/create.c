/*
 * create.c — the `create` op: a new request from the sudo plugin or the
 * PAM module, judged by the policy and recorded before it is answered.
 *
 * Invariants (DESIGN.md §3 step 3, §4.1, §4.8, §4.9):
 *  - Only uid 0 may create; any other caller is refused AND the attempt is
 *    recorded (a `request` record with state "refused").
 *  - The daemon, not the client, sets host (config host_id), id, rule and
 *    created_us; a client-sent value for them is overwritten.
 *  - An identical request (same requester uid and execution digest) that
 *    is pending or approved-unconsumed is returned, never duplicated.
 *  - Pending requests per requester are capped (max_pending_per_requester).
 *  - The reply is sent only after the `request` record is durable.
 *  - A pending request whose rule has HTTP checks is recorded only after
 *    they ran, denied if one failed (notify_daemon.c, docs/NOTIFY.md).
 *  - Judgement order (docs/formats/governance.md §2): deny rule, missing
 *    rollback plan (denied), allow rule, then a closed change window or a
 *    missing/mismatched ticket makes the request pending AND blocked; a
 *    blocked request is never released by ordinary approvals or grants.
 *    Window checks use d_now() (the daemon clock, test offset included).
 *  - A re-run of a blocked request is judged again; when it is no longer
 *    blocked the old request is withdrawn ("superseded by R-NEW") before
 *    the new one is recorded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"
#include "error.h"
#include "dgrant.h"
#include "notify_daemon.h"
#include "policy.h"
#include "proto.h"
#include "runtime.h"
#include "ticket.h"
#include "window.h"

static int refuse_non_root(struct daemon *d, struct conn *c)
{
	uint64_t suppressed;
	json_t *rec;
	char why[128];
	int r;

	snprintf(why, sizeof(why), "uid %u (pid %d) may not create requests",
		 (unsigned)c->uid, (int)c->pid);
	d_log(LOG_WARNING, "%s; refused", why);
	if (!rl_refusal_record(c->uid, &suppressed))
		return conn_send_error(d, c, AD_ERR_PERM, "%s", why);
	rec = journal_record("request", "");
	if (rec == NULL || json_object_set_new(rec, "state", json_string("refused")) ||
	    (suppressed > 0 && json_object_set_new(rec, "suppressed",
			json_integer((json_int_t)suppressed))) ||
	    json_object_set_new(rec, "why", json_string(why)) ||
	    json_object_set_new(rec, "caller_uid", json_integer(c->uid)) ||
	    json_object_set_new(rec, "caller_pid", json_integer(c->pid)))
		r = AD_ERR_NOMEM;
	else
		r = journal_commit(d, rec);
	json_decref(rec);
	if (r != 0)
		d_log(LOG_ERR, "could not record the refused create: %s",
		      ad_strerror(r));
	return conn_send_error(d, c, AD_ERR_PERM, "%s", why);
}

static json_t *strv_json(const struct ad_strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < v->n; i++)
		if (json_array_append_new(a, json_string(v->v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *affects_json(const struct ad_rule *rule)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < rule->n_affects; i++)
		if (json_array_append_new(a, json_string(rule->affects[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* What the policy says; fills the judged parts of the record. */
struct verdict {
	enum ad_state state;
	char requires[512];
	char why[512];
	char blocked[1024];    /* pending but blocked: why; "" otherwise */
	uint64_t max_ttl, expires;
};

/* The blocks of a pending approve request (governance.md §2): a closed
 * change window and/or a missing ticket, joined by "; ". */
static void judge_blocks(struct daemon *d, const struct ad_rule *rule,
			 const struct ad_request *req, struct verdict *v)
{
	char win[512] = "", tick[400] = "";

	ad_window_block_text(rule, (time_t)d_now(d), win, sizeof(win));
	if (!ad_ticket_ok(rule, req->ticket))
		snprintf(tick, sizeof(tick), "rule %s requires a ticket "
			 "matching %s (APPROVERD_TICKET)", rule->name,
			 rule->ticket_text);
	snprintf(v->blocked, sizeof(v->blocked), "%s%s%s", win,
		 win[0] && tick[0] ? "; " : "", tick);
}

/* deny rule > rollback required > allow rule > pending (maybe blocked);
 * a pending request may still face its HTTP checks (notify_daemon.c). */
static void judge(struct daemon *d, const struct ad_rule *rule,
		  const struct ad_request *req, struct verdict *v)
{
	const struct ad_config *cfg = rt_config(d->rt);

	memset(v, 0, sizeof(*v));
	ad_rule_requires_text(rule, v->requires, sizeof(v->requires));
	v->max_ttl = ad_rule_max_ttl(rule, cfg->max_approval_ttl);
	v->state = AD_STATE_DENIED;
	if (rule->action == AD_ACTION_DENY) {
		snprintf(v->why, sizeof(v->why), "denied by policy rule %s",
			 rule->name);
	} else if (!ad_rollback_ok(rule, req->rollback)) {
		snprintf(v->why, sizeof(v->why), "rule %s requires a rollback "
			 "plan (APPROVERD_ROLLBACK)", rule->name);
	} else if (rule->action == AD_ACTION_ALLOW) {
		v->state = AD_STATE_ALLOWED;
		snprintf(v->why, sizeof(v->why), "allowed by policy rule %s",
			 rule->name);
	} else {
		v->state = AD_STATE_PENDING;
		v->expires = d_now(d) + cfg->request_ttl;
		judge_blocks(d, rule, req, v);
	}
}

static json_t *request_record(const struct ad_request *r,
			      const struct verdict *v, const uint8_t *digest,
			      const uint8_t *exec, const struct ad_rule *rule)
{
	char dh[AD_DIGEST_HEX], eh[AD_DIGEST_HEX];

	ad_digest_hex(dh, digest);
	ad_digest_hex(eh, exec);
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:o?,"
		" s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o?, s:s, s:I, s:I, s:s,"
		" s:s, s:s, s:o?}",
		"event", "request", "id", r->id, "digest", dh, "exec_digest", eh,
		"requester", r->requester, "uid", (json_int_t)r->uid,
		"sponsor", r->sponsor, "host", r->host, "service", r->service,
		"runas", r->runas_user, "command", r->command,
		"argv", strv_json(&r->argv), "exe_hash", r->exe_hash,
		"cwd", r->cwd, "reason", r->reason, "ticket", r->ticket,
		"rollback", r->rollback, "agent", r->agent, "rule", r->rule,
		"affects", affects_json(rule), "requires", v->requires,
		"max_ttl", (json_int_t)v->max_ttl,
		"expires", (json_int_t)v->expires,
		"state", ad_state_name(v->state), "why", v->why,
		"blocked", v->blocked, "request", ad_request_to_json(r));
}

static int replace(char **dst, const char *s)
{
	char *n = strdup(s);

	if (n == NULL)
		return AD_ERR_NOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

/* Daemon-owned fields; the id is assigned later (after the re-run check). */
static int stamp(struct daemon *d, struct ad_request *r,
		 const struct ad_rule *rule)
{
	int rc;

	if ((rc = replace(&r->host, rt_config(d->rt)->host_id)) != 0 ||
	    (rc = replace(&r->rule, rule->name)) != 0)
		return rc;
	r->created_us = d_now_us(d);
	return store_new_id(d, r->id);
}

/* Withdraw a blocked request that a re-run replaces (governance.md §2). */
static int supersede(struct daemon *d, struct dreq *old, const char *new_id)
{
	char why[64];
	json_t *rec = journal_record("withdraw", old->req.id);
	int r;

	snprintf(why, sizeof(why), "superseded by %s", new_id);
	if (rec == NULL || json_object_set_new(rec, "why", json_string(why)) ||
	    json_object_set_new(rec, "by_uid", json_integer(0)))
		r = AD_ERR_NOMEM;
	else
		r = journal_commit(d, rec);
	json_decref(rec);
	if (r == 0)
		d_log_later(LOG_NOTICE, "request %s %s", old->req.id, why);
	return r;
}

/* Judge, record, answer. req is complete and stamped except for the id.
 * old: a blocked request this one supersedes, or NULL. */
static int create_new(struct daemon *d, struct conn *c, struct ad_request *req,
		      const uint8_t exec[AD_DIGEST_LEN], struct dreq *old)
{
	const struct ad_rule *rule = ad_policy_match(d->rt->pol, req);
	uint8_t digest[AD_DIGEST_LEN];
	const char *gid = NULL;
	struct verdict v;
	json_t *rec;
	int r;

	if ((r = stamp(d, req, rule)) != 0 ||
	    (r = ad_request_digest(digest, req)) != 0)
		return conn_send_error(d, c, r, "stamping the request");
	judge(d, rule, req, &v);
	/* grants (governance.md §4): a pending, not blocked request */
	if (v.state == AD_STATE_PENDING && v.blocked[0] == '\0' &&
	    (gid = grant_cover(d, rule, req)) != NULL) {
		v.state = AD_STATE_ALLOWED;
		v.expires = 0;
		snprintf(v.why, sizeof(v.why), "covered by standing grant %s", gid);
	}
	if (old != NULL && (r = supersede(d, old, req->id)) != 0)
		return conn_send_error(d, c, r, "evidence could not be written "
				       "(%s); refusing", ad_strerror(r));
	rec = request_record(req, &v, digest, exec, rule);
	if (rec != NULL && json_object_set_new(rec, "grant",
					       json_string(gid ? gid : "")) != 0) {
		json_decref(rec);
		rec = NULL;
	}
	if (rec == NULL)
		return conn_send_error(d, c, AD_ERR_NOMEM, "request record");
	/* a blocked request skips its HTTP checks: a re-run once unblocked
	 * is judged (and checked) afresh; break-glass is the override */
	if (v.state == AD_STATE_PENDING && v.blocked[0] == '\0' &&
	    checks_wanted(rule))
		return dn_checks_start(d, c, rec, rule, req); /* replies later */
	r = journal_commit(d, rec);
	json_decref(rec);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be written "
				       "(%s); refusing", ad_strerror(r));
	if (store_find(d, req->id) == NULL) /* durable, but not applied (ENOMEM) */
		return conn_send_error(d, c, AD_ERR_NOMEM, "request %s recorded "
				       "but not loaded; restart approverd", req->id);
	return ops_decision_reply(d, c, store_find(d, req->id));
}

/* 1 unless same is a blocked pending request whose re-run req would now
 * be judged differently (not blocked: ticket added, window open; or no
 * longer pending under a reloaded policy). */
static int still_blocked(struct daemon *d, const struct dreq *same,
			 const struct ad_request *req)
{
	const struct ad_rule *rule;
	struct verdict v;

	/* governance.md §4: a grant that now covers the re-run supersedes
	 * the pending request (G3) */
	if (same->state == AD_STATE_PENDING &&
	    (same->blocked == NULL || same->blocked[0] == '\0'))
		return grant_cover(d, ad_policy_match(d->rt->pol, req), req) == NULL;
	if (same->state != AD_STATE_PENDING || same->blocked == NULL ||
	    same->blocked[0] == '\0')
		return 1;
	rule = ad_policy_match(d->rt->pol, req);
	judge(d, rule, req, &v);
	return v.state == AD_STATE_PENDING && v.blocked[0] != '\0';
}

int op_create(struct daemon *d, struct conn *c, json_t *msg)
{
	uint8_t exec[AD_DIGEST_LEN];
	struct ad_request req;
	struct dreq *same;
	char err[160];
	int r;

	if (c->uid != 0)
		return refuse_non_root(d, c);
	ad_request_init(&req);
	if ((r = ad_request_from_json(&req, json_object_get(msg, "request"),
				      err, sizeof(err))) != 0) {
		conn_send_error(d, c, r, "field 'request': %s", err);
		goto out;
	}
	req.id[0] = '\0';
	if ((r = replace(&req.host, rt_config(d->rt)->host_id)) != 0 ||
	    (r = ad_exec_digest(exec, &req)) != 0) {
		conn_send_error(d, c, r, "execution digest");
		goto out;
	}
	/* a re-run reuses a request only within the same sponsor: the
	 * sponsor is not in the execution digest, but an approval by alice
	 * must not serve a run in alice's own session (review R8) */
	if ((same = store_find_rerun(d, req.uid, exec, req.sponsor)) != NULL &&
	    !still_blocked(d, same, &req)) {
		create_new(d, c, &req, exec, same);
		goto out;
	}
	if (same != NULL) {
		ops_decision_reply(d, c, same);
		goto out;
	}
	if (store_pending_of(d, req.uid) >=
	    rt_config(d->rt)->max_pending_per_requester) {
		conn_send_error(d, c, AD_ERR_LIMIT, "uid %u already has %u pending "
				"requests", (unsigned)req.uid,
				rt_config(d->rt)->max_pending_per_requester);
		goto out;
	}
	create_new(d, c, &req, exec, NULL);
out:
	ad_request_free(&req);
	return 0;
}
