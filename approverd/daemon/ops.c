/*
 * ops.c — the table of protocol operations and who may call them.
 *
 * Invariants (DESIGN.md §4.8, OpenSSH monitor style): a fixed table of ops;
 * anything else is refused; the caller is known only by SO_PEERCRED:
 *   create, consume, result        uid 0
 *   wait, withdraw                 uid 0 or the request's own requester
 *   status, show                   uid 0, the requester, or an approver
 *   list                           uid 0 or an approver
 *   submit, health                 anyone (the token's signature decides)
 *   grant                          uid 0 or an approver (grant_ops.c)
 *   revoke                         uid 0 (signed revokes go through submit)
 * An approver is a unix user named by a registered key's `user=`.
 * Replies about a state are sent only after the state is durable: every
 * reply of a loop pass waits for the pass's one fdatasync (daemon.h).
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"
#include "error.h"
#include "evidence.h"
#include "dgrant.h"
#include "proto.h"
#include "runtime.h"
#include "text.h"

enum who { W_ANY, W_ROOT };

struct op {
	const char *name;
	enum who who;
	int (*fn)(struct daemon *d, struct conn *c, json_t *msg);
};

int ops_decision_reply(struct daemon *d, struct conn *c, const struct dreq *q)
{
	struct ad_decision dec;
	json_t *o;
	int r;

	if ((r = store_decision(&dec, q)) != 0)
		return conn_send_error(d, c, r, "building the decision");
	if ((o = ad_msg_ok()) == NULL || ad_decision_to_json(o, &dec) != 0) {
		json_decref(o);
		ad_decision_free(&dec);
		return conn_send_error(d, c, AD_ERR_NOMEM, "building the reply");
	}
	ad_decision_free(&dec);
	return conn_send(d, c, o);
}

static int may_read(const struct daemon *d, struct conn *c,
		    const struct dreq *q)
{
	return c->uid == 0 || c->uid == q->req.uid ||
	       rt_is_approver(d->rt, conn_user(c));
}

/*
 * A caller reading a request it may not see is recorded (event `refused`):
 * an auditor must see who probed whose requests (issue 3). A failed append
 * is already logged by journal_commit; the caller is refused either way.
 */
static void record_refused_read(struct daemon *d, const struct conn *c,
				const json_t *msg, const struct dreq *q)
{
	const char *op = json_string_value(json_object_get(msg, "op"));
	uint64_t suppressed;
	json_t *rec;

	if (!rl_refusal_record(c->uid, &suppressed))
		return;
	rec = journal_record("refused", q->req.id);
	if (rec == NULL ||
	    (suppressed > 0 && json_object_set_new(rec, "suppressed",
			json_integer((json_int_t)suppressed))) ||
	    json_object_set_new(rec, "op", json_string(op ? op : "")) ||
	    json_object_set_new(rec, "uid", json_integer(c->uid)) ||
	    json_object_set_new(rec, "pid", json_integer(c->pid)) ||
	    json_object_set_new(rec, "why", json_string(
		    "not the requester, root or a registered approver")))
		d_log(LOG_ERR, "could not build the 'refused' record");
	else
		(void)journal_commit(d, rec);
	json_decref(rec);
}

/* Find the request named by msg.id, checking the caller may see it. */
static struct dreq *find_for(struct daemon *d, struct conn *c, json_t *msg,
			     int own_only)
{
	const char *id = NULL;
	struct dreq *q;
	int r = ad_json_str(&id, msg, "id", AD_ID_MAX - 1);

	if (r != 0) {
		conn_send_error(d, c, r == AD_ERR_NOTFOUND ? AD_ERR_INVALID : r,
				"field 'id': missing or not a request id");
		return NULL;
	}
	q = store_find(d, id);
	if (q != NULL && (own_only ? (c->uid == 0 || c->uid == q->req.uid)
				   : may_read(d, c, q)))
		return q;
	if (q != NULL) {
		d_log(LOG_WARNING, "uid %u (pid %d) may not read request %s of "
		      "uid %u; refused", (unsigned)c->uid, (int)c->pid,
		      q->req.id, (unsigned)q->req.uid);
		record_refused_read(d, c, msg, q);
		conn_send_error(d, c, AD_ERR_PERM, "uid %u may not access "
				"request %s", (unsigned)c->uid, q->req.id);
		return NULL;
	}
	conn_send_error(d, c, AD_ERR_NOTFOUND, "no request '%s'", id);
	return NULL;
}

/* A grant id in msg.id (show and status of grants live in grant_ops.c). */
static const char *grant_id_of(const json_t *msg)
{
	const char *id = NULL;

	return ad_json_str(&id, msg, "id", AD_ID_MAX - 1) == 0 &&
	       grant_is_id(id) ? id : NULL;
}

static int op_status(struct daemon *d, struct conn *c, json_t *msg)
{
	struct dreq *q;

	if (grant_id_of(msg) != NULL)
		return grant_op_status(d, c, grant_id_of(msg));
	q = find_for(d, c, msg, 0);

	return q ? ops_decision_reply(d, c, q) : 0;
}

static int op_show(struct daemon *d, struct conn *c, json_t *msg)
{
	struct dreq *q;
	json_t *o;

	if (grant_id_of(msg) != NULL)
		return grant_op_show(d, c, grant_id_of(msg));
	q = find_for(d, c, msg, 0);
	if (q == NULL)
		return 0;
	if ((o = ad_msg_ok()) == NULL ||
	    json_object_set_new(o, "show", store_show_json(q)) != 0 ||
	    bg_show_extra(d, json_object_get(o, "show")) != 0) {
		json_decref(o);
		return conn_send_error(d, c, AD_ERR_NOMEM, "building show");
	}
	return conn_send(d, c, o);
}

static int op_wait(struct daemon *d, struct conn *c, json_t *msg)
{
	struct dreq *q = find_for(d, c, msg, 1);

	if (q == NULL)
		return 0;
	if (store_is_final(q->state))
		return ops_decision_reply(d, c, q);
	snprintf(c->wait_id, sizeof(c->wait_id), "%s", q->req.id);
	return 0; /* parked: loop_notify answers once the decision is durable */
}

/* Commit rec (consumed) and answer with q's new decision, or the error. */
static int commit_reply(struct daemon *d, struct conn *c, json_t *rec,
			struct dreq *q)
{
	int r = journal_commit(d, rec);

	json_decref(rec);
	if (r != 0)
		return conn_send_error(d, c, r, "evidence could not be "
				       "written (%s); nothing changed",
				       ad_strerror(r));
	return ops_decision_reply(d, c, q);
}

static int op_withdraw(struct daemon *d, struct conn *c, json_t *msg)
{
	struct dreq *q = find_for(d, c, msg, 1);
	const char *why = NULL;
	json_t *rec;

	if (q == NULL)
		return 0;
	if (q->state != AD_STATE_PENDING && q->state != AD_STATE_APPROVED)
		return conn_send_error(d, c, AD_ERR_STATE, "request %s is %s",
				       q->req.id, ad_state_name(q->state));
	if (ad_json_str(&why, msg, "why", 200) != 0 || ad_has_ctrl(why))
		why = "withdrawn";
	rec = journal_record("withdraw", q->req.id);
	if (rec == NULL || json_object_set_new(rec, "why", json_string(why)) ||
	    json_object_set_new(rec, "by_uid", json_integer(c->uid))) {
		json_decref(rec);
		return conn_send_error(d, c, AD_ERR_NOMEM, "withdraw record");
	}
	return commit_reply(d, c, rec, q);
}

static int op_consume(struct daemon *d, struct conn *c, json_t *msg)
{
	struct dreq *q = find_for(d, c, msg, 1);
	uint64_t pid = 0;
	char why[300];
	json_t *rec;
	int r;

	if (q == NULL)
		return 0;
	if (ad_json_u64(&pid, msg, "pid") != 0 || pid > 0x7fffffff)
		return conn_send_error(d, c, AD_ERR_INVALID, "field 'pid': "
				       "missing or not a process id");
	if (q->state == AD_STATE_APPROVED && d_now(d) >= q->not_after) {
		d->tick_s = 0; /* a scan now, even in the same second */
		journal_tick(d); /* records the expiry first */
	}
	if (q->state != AD_STATE_APPROVED && q->state != AD_STATE_ALLOWED)
		return conn_send_error(d, c, q->state == AD_STATE_EXPIRED ?
				       AD_ERR_EXPIRED : AD_ERR_STATE,
				       "request %s is %s, not approved",
				       q->req.id, ad_state_name(q->state));
	rec = journal_record("consume", q->req.id);
	if (rec == NULL || json_object_set_new(rec, "pid", json_integer((json_int_t)pid))) {
		json_decref(rec);
		return conn_send_error(d, c, AD_ERR_NOMEM, "consume record");
	}
	if (q->grant[0] != '\0' && /* governance.md §4: one use of the grant */
	    (r = grant_consume_fields(d, q, rec, why, sizeof(why))) != 0) {
		json_decref(rec);
		return conn_send_error(d, c, r, "%s", why);
	}
	return commit_reply(d, c, rec, q);
}

static int op_result(struct daemon *d, struct conn *c, json_t *msg)
{
	struct dreq *q = find_for(d, c, msg, 1);
	uint64_t v = 0;
	json_t *rec;
	int sig;

	if (q == NULL)
		return 0;
	if (q->results_owed == 0)
		return conn_send_error(d, c, AD_ERR_STATE, "request %s has no "
				       "use without a result", q->req.id);
	sig = ad_json_u64(&v, msg, "signal") == 0;
	if ((!sig && ad_json_u64(&v, msg, "exit_status") != 0) || v > 255 ||
	    (sig && v == 0))
		return conn_send_error(d, c, AD_ERR_INVALID, "need 'exit_status' "
				       "0..255 or 'signal' 1..255");
	rec = journal_record("result", q->req.id);
	if (rec == NULL || json_object_set_new(rec, sig ? "signal" : "exit_status",
					       json_integer((json_int_t)v))) {
		json_decref(rec);
		return conn_send_error(d, c, AD_ERR_NOMEM, "result record");
	}
	return commit_reply(d, c, rec, q);
}

#define LIST_MAX 1000

static int op_list(struct daemon *d, struct conn *c, json_t *msg)
{
	int all = json_is_true(json_object_get(msg, "all"));
	json_t *o, *a = json_array();
	size_t n = 0;
	int cut = 0;

	if (c->uid != 0 && !rt_is_approver(d->rt, conn_user(c))) {
		json_decref(a);
		return conn_send_error(d, c, AD_ERR_PERM, "uid %u is neither root "
				       "nor a registered approver", (unsigned)c->uid);
	}
	for (struct dreq *q = d->reqs; a != NULL && q != NULL; q = q->next) {
		if (!all && q->state != AD_STATE_PENDING)
			continue;
		if (n++ >= LIST_MAX) {
			cut = 1;
			break;
		}
		json_array_append_new(a, store_summary_json(q, d_now(d)));
	}
	if (a != NULL && grant_list(d, a, all) != 0) {
		json_decref(a);
		a = NULL;
	}
	if ((o = ad_msg_ok()) == NULL || a == NULL ||
	    json_object_set_new(o, "requests", a) != 0 ||
	    json_object_set_new(o, "truncated", json_boolean(cut)) != 0) {
		json_decref(o);
		return conn_send_error(d, c, AD_ERR_NOMEM, "building list");
	}
	return conn_send(d, c, o);
}

static int op_health(struct daemon *d, struct conn *c, json_t *msg)
{
	size_t pending = 0;
	json_t *o = ad_msg_ok();

	for (struct dreq *q = d->reqs; q != NULL; q = q->next)
		pending += q->state == AD_STATE_PENDING;
	if (o == NULL || json_object_update_new(o, json_pack(
		"{s:s, s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:I}",
		"version", APPROVERD_VERSION, "host", rt_config(d->rt)->host_id,
		"uptime", (json_int_t)((d_mono_ms() - d->started_ms) / 1000),
		"requests", (json_int_t)d->n_reqs, "pending", (json_int_t)pending,
		"connections", (json_int_t)d->n_conns,
		"evidence", d->evidence_err ? ad_errname(d->evidence_err) : "ok",
		"evidence_seq", (json_int_t)ad_evidence_seq(d->ev),
		"evidence_records", (json_int_t)d->n_records,
		"evidence_syncs", (json_int_t)d->n_syncs)) != 0) {
		json_decref(o);
		return conn_send_error(d, c, AD_ERR_NOMEM, "building health");
	}
	return conn_send(d, c, o);
}

static const struct op ops[] = {
	{"consume", W_ROOT, op_consume},
	{"create", W_ANY, op_create}, /* checks uid itself to record refusals */
	{"grant", W_ANY, op_grant},   /* checks root-or-approver itself */
	{"health", W_ANY, op_health},
	{"list", W_ANY, op_list},
	{"result", W_ROOT, op_result},
	{"revoke", W_ROOT, op_revoke},
	{"show", W_ANY, op_show},
	{"status", W_ANY, op_status},
	{"submit", W_ANY, op_submit},
	{"wait", W_ANY, op_wait},
	{"withdraw", W_ANY, op_withdraw},
};

void ops_dispatch(struct daemon *d, struct conn *c, json_t *msg)
{
	const char *name = NULL;

	if (c->wait_id[0] != '\0') { /* a new frame cancels a parked wait */
		conn_send_error(d, c, AD_ERR_INTERRUPTED, "wait for %s cancelled "
				"by a new request", c->wait_id);
		c->wait_id[0] = '\0';
	}
	if (ad_json_str(&name, msg, "op", 32) != 0) {
		conn_send_error(d, c, AD_ERR_PROTO, "field 'op': missing");
		c->closing = 1;
		return;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(name, ops[i].name) != 0)
			continue;
		if (ops[i].who == W_ROOT && c->uid != 0) {
			conn_send_error(d, c, AD_ERR_PERM, "op '%s' is for root "
					"only (caller uid %u)", name, (unsigned)c->uid);
			return;
		}
		ops[i].fn(d, c, msg);
		return;
	}
	conn_send_error(d, c, AD_ERR_PROTO, "unknown op");
}
