/*
 * notify_daemon.c — approverd's use of the HTTP engine: webhooks for
 * durable records, and the ticket check / precheck of a new request.
 *
 * Invariants (DESIGN.md §4.1, §7; docs/NOTIFY.md):
 *  - A webhook announces only what is durable: dn_record() runs after the
 *    record is in the evidence; webhooks only queue, so a slow or dead
 *    endpoint never delays a decision or a client.
 *  - Each final delivery outcome is recorded (`notify`); so is each check
 *    (`ticket_check`, `precheck`) — before the `request` record it
 *    decided, which carries the outcomes too ("checks").
 *  - A request whose check failed is recorded as denied with the reason
 *    and never announced to approvers; while checks run the request does
 *    not exist (nothing can approve it) and its client is parked.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>

#include "daemon.h"
#include "error.h"
#include "notify.h"
#include "notify_daemon.h"
#include "proto.h"
#include "runtime.h"
#include "ticket.h"

static void on_outcome(void *arg, const struct notify_outcome *o)
{
	struct daemon *d = arg;
	json_t *rec = journal_record("notify", o->id);

	if (rec == NULL || json_object_update_new(rec, json_pack(
		"{s:s, s:s, s:s, s:s, s:i, s:I, s:s}", "target", o->target,
		"message", o->event, "state", o->state, "result", o->result,
		"tries", (int)o->tries, "http_status", (json_int_t)o->status,
		"error", o->error)) != 0 || journal_commit(d, rec) != 0)
		d_log(LOG_ERR, "could not record the notify outcome for %s", o->id);
	json_decref(rec);
}

static uid_t daemon_uid(const struct ad_config *cfg)
{
	struct passwd *pw = getpwnam(cfg->user);

	return pw != NULL ? pw->pw_uid : (uid_t)-1;
}

static int notifier_for(struct daemon *d, const struct ad_config *cfg,
			struct notifier **out)
{
	char err[512] = "";
	int r = notifier_new(out, d->http, cfg, daemon_uid(cfg), on_outcome, d,
			     err, sizeof(err));

	if (r != 0)
		d_log(LOG_ERR, "%s: %s", cfg->path, err[0] ? err : ad_strerror(r));
	return r;
}

int dn_init(struct daemon *d)
{
	const struct ad_config *cfg = rt_config(d->rt);
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &d->http};
	int r;

	if ((r = nh_new(&d->http, cfg->notify_queue)) != 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, nh_fd(d->http), &e) != 0) {
		d_log(LOG_ERR, "HTTP engine set-up failed: %s", ad_strerror(r ? r : AD_ERR_IO));
		return r ? r : AD_ERR_IO;
	}
	return notifier_for(d, cfg, &d->notifier);
}

int dn_reload(struct daemon *d, const struct runtime *rt)
{
	struct notifier *n = NULL;
	int r = notifier_for(d, rt->cfg, &n);

	if (r != 0)
		return r;
	notifier_free(d->notifier);
	d->notifier = n;
	return 0;
}

void dn_free(struct daemon *d)
{
	nh_free(d->http); /* before the notifier: outcomes may still arrive */
	d->http = NULL;
	notifier_free(d->notifier);
	d->notifier = NULL;
}

void dn_run(struct daemon *d)
{
	nh_run(d->http);
}

/* ---- webhooks for durable records ------------------------------------ */

static void approvers_text(char *out, size_t n, const struct dreq *q)
{
	out[0] = '\0';
	for (size_t i = 0; i < q->n_appr; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s",
			 i ? ", " : "", q->appr[i].name);
}

static const char *str_or(const char *s)
{
	return s != NULL ? s : "";
}

static void announce(struct daemon *d, const struct dreq *q, const char *ev,
		     const char *why)
{
	char appr[512];
	const struct ad_request *r = &q->req;
	struct notify_event ne = {
		.event = ev, .state = ad_state_name(q->state), .id = r->id,
		.host = str_or(r->host), .requester = str_or(r->requester),
		.uid = r->uid, .service = str_or(r->service),
		.runas = str_or(r->runas_user), .command = str_or(r->command),
		.argv = (const char *const *)r->argv.v, .argc = r->argv.n,
		.cwd = str_or(r->cwd), .reason = str_or(r->reason),
		.ticket = str_or(r->ticket), .rule = str_or(r->rule),
		.requires = str_or(q->requires), .why = why,
		.approvers = appr, .expires = q->expires, .time = d_now(d),
	};

	approvers_text(appr, sizeof(appr), q);
	notifier_event(d->notifier, &ne);
}

void dn_record(struct daemon *d, const json_t *rec)
{
	const char *ev = json_string_value(json_object_get(rec, "event"));
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *why = json_string_value(json_object_get(rec, "why"));
	struct dreq *q;

	if (d->notifier == NULL || ev == NULL || id == NULL ||
	    (q = store_find(d, id)) == NULL)
		return;
	if (strcmp(ev, "request") == 0 && q->state == AD_STATE_PENDING)
		announce(d, q, "request", "");
	else if (strcmp(ev, "approved") == 0 && q->state == AD_STATE_APPROVED &&
		 q->bg != NULL && json_is_true(json_object_get(rec, "breakglass")))
		announce(d, q, "breakglass", q->bg->justification);
	else if ((strcmp(ev, "approved") == 0 && q->state == AD_STATE_APPROVED) ||
		 (strcmp(ev, "denial") == 0 && q->state == AD_STATE_DENIED))
		announce(d, q, "decision", str_or(q->reason));
	else if ((strcmp(ev, "expire") == 0 && q->state == AD_STATE_EXPIRED) ||
		 (strcmp(ev, "withdraw") == 0 && q->state == AD_STATE_WITHDRAWN))
		announce(d, q, "decision", str_or(why));
}

/* ---- ticket check and precheck at creation --------------------------- */

struct pending_create {
	struct daemon *d;
	json_t *rec;
	char id[AD_ID_MAX];
};

/* `ticket_check` / `precheck` record; also returns its summary object. */
static int record_check(struct daemon *d, const char *id,
			const struct check_outcome *o, json_t *checks)
{
	json_t *sum = json_pack("{s:s, s:s, s:I, s:s, s:s}", "kind", o->kind,
				"url", o->url, "http_status", (json_int_t)o->status,
				"result", o->ok ? "passed" : "failed", "why", o->why);
	json_t *rec = journal_record(o->kind, id);
	int r = AD_ERR_NOMEM;

	if (sum != NULL && rec != NULL && json_object_update(rec, sum) == 0 &&
	    json_object_del(rec, "kind") == 0 &&
	    (r = journal_commit(d, rec)) == 0 &&
	    json_array_append(checks, sum) != 0)
		r = AD_ERR_NOMEM;
	d_log_later(o->ok ? LOG_INFO : LOG_WARNING, "%s for %s: %s (HTTP %ld) %s",
	      o->kind, id, o->ok ? "passed" : "failed", o->status, o->why);
	json_decref(sum);
	json_decref(rec);
	return r;
}

/* Record every outcome, then the request (denied if a check failed). */
static int record_all(struct pending_create *pc, const struct check_outcome *o,
		      size_t n)
{
	json_t *checks = json_array();
	char why[512] = "";
	int r = checks == NULL ? AD_ERR_NOMEM : 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		r = record_check(pc->d, pc->id, &o[i], checks);
		if (r == 0 && !o[i].ok && why[0] == '\0')
			snprintf(why, sizeof(why), "%s failed: %s (%s)", o[i].kind,
				 o[i].why, o[i].url);
	}
	if (r == 0 && (json_object_set_new(pc->rec, "checks", checks) != 0 ||
		       (why[0] && (json_object_set_new(pc->rec, "state",
						       json_string("denied")) ||
				   json_object_set_new(pc->rec, "why", json_string(why)) ||
				   json_object_set_new(pc->rec, "expires",
						       json_integer(0))))))
		r = AD_ERR_NOMEM;
	else if (r != 0)
		json_decref(checks);
	if (r == 0)
		r = journal_commit(pc->d, pc->rec);
	return r;
}

static void checks_done(void *arg, const struct check_outcome *o, size_t n)
{
	struct pending_create *pc = arg;
	struct daemon *d = pc->d;
	int r = n > 0 ? record_all(pc, o, n) : 0;

	for (struct conn *c = d->conns; n > 0 && c != NULL; c = c->next) {
		if (strncmp(c->wait_id, pc->id, AD_ID_MAX) != 0)
			continue;
		c->wait_id[0] = '\0'; /* a denial was answered by loop_notify */
		if (r != 0)
			conn_send_error(d, c, r, "evidence could not be written "
					"(%s); refusing", ad_strerror(r));
		else if (store_find(d, pc->id) != NULL)
			ops_decision_reply(d, c, store_find(d, pc->id));
	}
	json_decref(pc->rec);
	free(pc);
}

int dn_checks_start(struct daemon *d, struct conn *c, json_t *rec,
		    const struct ad_rule *rule, const struct ad_request *req)
{
	const struct ad_config *cfg = rt_config(d->rt);
	struct pending_create *pc = calloc(1, sizeof(*pc));
	int r;

	if (pc == NULL) {
		json_decref(rec);
		return conn_send_error(d, c, AD_ERR_NOMEM, "ticket check");
	}
	pc->d = d;
	pc->rec = rec;
	snprintf(pc->id, sizeof(pc->id), "%s", req->id);
	snprintf(c->wait_id, sizeof(c->wait_id), "%s", req->id);
	r = checks_start(d->http, rule, cfg, req->ticket, cfg->host_id,
			 checks_done, pc);
	if (r != 0) {
		c->wait_id[0] = '\0';
		json_decref(rec);
		free(pc);
		return conn_send_error(d, c, r, "ticket check could not start "
				       "(%s); refusing", ad_strerror(r));
	}
	return 0;
}
