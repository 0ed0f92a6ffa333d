/*
 * gate.c — the client-side approval flow (see gate.h).
 *
 * Invariants kept here (DESIGN.md §4.1, §4.2):
 *  - The only path that returns 1 goes through gate_accept(), which requires
 *    a daemon answer of `allowed` or `approved` and a successful consume
 *    (the daemon writes `consume` durably before it answers).
 *  - Every error (connect, protocol, timeout, signal, NOMEM, unexpected
 *    state) ends in 0 with a message naming what failed.
 *  - Text that came from the daemon is escaped before it is shown, so a
 *    reply can never smuggle terminal escapes or forge extra lines.
 *  - A blocked pending request (docs/formats/governance.md §2) is refused
 *    at once, never waited on.
 */
#include "gate.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "error.h"
#include "num.h"
#include "text.h"

#define GATE_MSG_MAX 1024
#define GATE_WAIT_MAX_S (INT_MAX / 1000)
#define GATE_TICK_MS 200

struct gate {
	const struct ad_gate_opts *o;
	const struct ad_gate_io *io;
	struct ad_client *c;
	char id[AD_ID_MAX];
	unsigned wait_s;
	unsigned progress_s;
	unsigned next_progress;
	char *why;
	size_t whylen;
};

static void gate_say(const struct gate *g, int is_error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void gate_why(struct gate *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void gate_say(const struct gate *g, int is_error, const char *fmt, ...)
{
	char msg[GATE_MSG_MAX];
	va_list ap;
	void (*fn)(void *, const char *);

	if (g->io == NULL)
		return;
	fn = is_error ? g->io->error : g->io->info;
	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(g->io->arg, msg);
}

static void gate_why(struct gate *g, const char *fmt, ...)
{
	va_list ap;

	if (g->why == NULL || g->whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(g->why, g->whylen, fmt, ap);
	va_end(ap);
}

/* Escaped, malloc'ed copy of daemon text for display (NULL on ENOMEM). */
static char *gate_esc(const char *s)
{
	return ad_escape(s != NULL ? s : "");
}

/* What to show when gate_esc() failed. */
static const char *gate_str(const char *e)
{
	return e != NULL ? e : "?";
}

unsigned ad_gate_effective_wait(unsigned cfg_wait_s, const char *env_wait)
{
	uint64_t env = 0;

	if (env_wait == NULL || *env_wait == '\0')
		return cfg_wait_s;
	if (ad_parse_duration(&env, env_wait) != 0)
		return cfg_wait_s;
	return env < cfg_wait_s ? (unsigned)env : cfg_wait_s;
}

/* "09:41 UTC" today, "2026-11-30 09:41 UTC" further away, "" for 0. */
static void gate_format_until(char *out, size_t outlen, uint64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	time_t now = time(NULL);
	size_t n;

	out[0] = '\0';
	if (t == 0 || t > INT64_MAX || gmtime_r(&tt, &tm) == NULL)
		return;
	if (tt - now > 20 * 3600 || now - tt > 3600)
		n = strftime(out, outlen, "%Y-%m-%d %H:%M UTC", &tm);
	else
		n = strftime(out, outlen, "%H:%M UTC", &tm);
	if (n == 0)
		out[0] = '\0';
}

static void gate_set_id(struct gate *g, const char *id)
{
	if (id == NULL || id[0] == '\0' || g->id[0] != '\0')
		return;
	if (strnlen(id, AD_ID_MAX) < AD_ID_MAX)
		memcpy(g->id, id, strlen(id) + 1);
}

/* Consume an allowed/approved request; 1 only if the daemon acknowledged. */
static int gate_accept(struct gate *g, const struct ad_decision *d)
{
	struct ad_decision u = {0};
	char until[64];
	char *who;
	int rc;

	if (g->id[0] == '\0') {
		gate_say(g, 1, "approverd: the daemon allowed the request "
			 "without a request id; refusing");
		gate_why(g, "protocol error: allowed without a request id");
		return 0;
	}
	pid_t pid = g->o->pid > 0 ? g->o->pid : getpid();
	rc = ad_client_consume(g->c, g->id, pid, &u);
	/* the answer must say the use was recorded (or uses remain) */
	if (rc == 0 && u.state != AD_STATE_CONSUMED &&
	    u.state != AD_STATE_APPROVED && u.state != AD_STATE_ALLOWED)
		rc = AD_ERR_STATE;
	ad_decision_free(&u);
	if (rc != 0) {
		gate_say(g, 1, "approverd: could not record the use of %s: %s; "
			 "refusing", g->id, ad_strerror(rc));
		gate_why(g, "consume %s failed: %s", g->id, ad_strerror(rc));
		return 0;
	}
	if (d->state == AD_STATE_ALLOWED && d->reason != NULL &&
	    strstr(d->reason, "standing grant") != NULL) {
		/* tell the agent which grant let it through (governance.md §4) */
		who = gate_esc(d->reason);
		gate_say(g, 0, "approverd: %s: %s", g->id, gate_str(who));
		gate_why(g, "%s (request %s)", gate_str(who), g->id);
		free(who);
		return 1;
	}
	if (d->state == AD_STATE_ALLOWED) {
		gate_why(g, "allowed by policy (request %s)", g->id);
		return 1;
	}
	who = gate_esc(d->approvers);
	gate_format_until(until, sizeof(until), d->not_after);
	gate_say(g, 0, "approverd: %s approved%s%s%s%s", g->id,
		 gate_str(who)[0] ? " by " : "", gate_str(who),
		 until[0] ? " until " : "", until);
	gate_why(g, "approved%s%s%s%s (request %s)", gate_str(who)[0] ? " by " : "",
		 gate_str(who), until[0] ? " until " : "", until, g->id);
	free(who);
	return 1;
}

/* Final answers other than allowed/approved: tell why, return 0. */
static int gate_refuse(struct gate *g, const struct ad_decision *d)
{
	char *reason = gate_esc(d->reason);
	char *rule = gate_esc(d->rule);
	const char *st = ad_state_name(d->state);
	const char *r = gate_str(reason);

	if (d->state == AD_STATE_DENIED)
		gate_say(g, 1, "approverd: request %s denied%s%s%s%s",
			 g->id[0] ? g->id : "(no id)", r[0] ? ": " : "", r,
			 rule && rule[0] ? "; rule " : "", rule ? rule : "");
	else
		gate_say(g, 1, "approverd: request %s is %s%s%s; refusing",
			 g->id[0] ? g->id : "(no id)", st ? st : "in an unknown state",
			 r[0] ? ": " : "", r);
	gate_why(g, "%s%s%s (request %s)", st ? st : "unknown state",
		 r[0] ? ": " : "", r, g->id[0] ? g->id : "-");
	free(reason);
	free(rule);
	return 0;
}

/* Called every GATE_TICK_MS (so that the stop flag is seen promptly even if
 * a signal lands between two polls); prints every progress_s seconds. */
static void gate_progress(void *arg, unsigned waited_s)
{
	struct gate *g = arg;

	if (waited_s < g->next_progress)
		return;
	while (g->next_progress <= waited_s)
		g->next_progress += g->progress_s;
	gate_say(g, 0, "approverd: still waiting for approval of %s (%us of %us)",
		 g->id, waited_s, g->wait_s);
}

static void gate_tell_pending(const struct gate *g, const struct ad_decision *d)
{
	char *req = gate_esc(d->requires);

	gate_say(g, 0, "approverd: this operation needs approval: request %s",
		 g->id);
	if (req != NULL && req[0] != '\0')
		gate_say(g, 0, "approverd: required: %s", req);
	gate_say(g, 0, "approverd: an approver runs: approverctl approve %s",
		 g->id);
	free(req);
}

static int gate_wait_failed(struct gate *g, int rc)
{
	int wr;

	if (rc == AD_ERR_TIMEOUT) {
		/* Left pending on purpose: a re-run of the identical command
		 * matches this request and succeeds once it is approved. */
		gate_say(g, 1, "approverd: no decision on %s within %us; it stays "
			 "pending: re-run the identical command after approval",
			 g->id, g->wait_s);
		gate_why(g, "timed out after %us waiting for %s", g->wait_s, g->id);
		return 0;
	}
	if (rc == AD_ERR_INTERRUPTED) {
		wr = ad_client_withdraw(g->c, g->id, "interrupted by a signal");
		gate_say(g, 1, "approverd: interrupted; request %s %s", g->id,
			 wr == 0 ? "withdrawn" : "could not be withdrawn");
		gate_why(g, "interrupted while waiting for %s (withdraw: %s)",
			 g->id, ad_strerror(wr));
		return 0;
	}
	gate_say(g, 1, "approverd: waiting for %s failed: %s; refusing", g->id,
		 ad_strerror(rc));
	gate_why(g, "wait for %s failed: %s", g->id, ad_strerror(rc));
	return 0;
}

/* A blocked request (window closed, ticket missing; governance.md §2):
 * ordinary approvals cannot release it, so waiting is pointless. */
static int gate_blocked(struct gate *g, const struct ad_decision *d)
{
	char *why = gate_esc(d->blocked);

	gate_say(g, 1, "approverd: request %s is blocked: %s", g->id,
		 gate_str(why));
	gate_say(g, 1, "approverd: only a break-glass approval can release "
		 "it: approverctl breakglass %s --justification TEXT", g->id);
	gate_say(g, 1, "approverd: or re-run the identical command once the "
		 "block is lifted (window open, ticket set); refusing");
	gate_why(g, "pending %s blocked: %s", g->id, gate_str(why));
	free(why);
	return 0;
}

static int gate_pending(struct gate *g, const struct ad_decision *d)
{
	struct ad_decision w = {0};
	int rc, ok;

	if (d->blocked != NULL && d->blocked[0] != '\0')
		return gate_blocked(g, d);
	gate_tell_pending(g, d);
	if (g->wait_s == 0) {
		gate_say(g, 1, "approverd: not waiting (wait = 0): re-run the "
			 "identical command after %s is approved", g->id);
		gate_why(g, "pending %s, not waiting (wait = 0)", g->id);
		return 0;
	}
	gate_say(g, 0, "approverd: waiting up to %us for a decision "
		 "(interrupt to withdraw the request)", g->wait_s);
	g->progress_s = g->o->progress_s > 0 ? (unsigned)g->o->progress_s
					      : AD_GATE_PROGRESS_S;
	g->next_progress = g->progress_s;
	rc = ad_client_wait(g->c, g->id, (int)g->wait_s * 1000, g->o->stop,
			    gate_progress, g, GATE_TICK_MS, &w);
	if (rc != 0)
		ok = gate_wait_failed(g, rc);
	else if (w.state == AD_STATE_APPROVED)
		ok = gate_accept(g, &w);
	else if (w.state == AD_STATE_PENDING)
		ok = gate_wait_failed(g, AD_ERR_PROTO);
	else
		ok = gate_refuse(g, &w);
	ad_decision_free(&w);
	return ok;
}

static int gate_decide(struct gate *g, const struct ad_decision *d)
{
	switch (d->state) {
	case AD_STATE_ALLOWED:
	case AD_STATE_APPROVED:
		return gate_accept(g, d);
	case AD_STATE_PENDING:
		if (g->id[0] == '\0') {
			gate_say(g, 1, "approverd: pending reply without a "
				 "request id; refusing");
			gate_why(g, "protocol error: pending without an id");
			return 0;
		}
		return gate_pending(g, d);
	default:
		return gate_refuse(g, d);
	}
}

static int gate_start(struct gate *g, struct ad_request *req,
		      struct ad_decision *d)
{
	int tmo = g->o->timeout_ms > 0 ? g->o->timeout_ms : AD_GATE_CONNECT_MS;
	int rc;

	rc = ad_client_connect(&g->c, g->o->socket, tmo);
	if (rc != 0) {
		gate_say(g, 1, "approverd: cannot reach the approval daemon at "
			 "%s: %s; refusing", g->o->socket, ad_strerror(rc));
		gate_why(g, "connect %s: %s", g->o->socket, ad_strerror(rc));
		return rc;
	}
	rc = ad_client_create(g->c, req, d);
	if (rc != 0) {
		gate_say(g, 1, "approverd: creating the request failed: %s; "
			 "refusing", ad_strerror(rc));
		gate_why(g, "create request: %s", ad_strerror(rc));
		return rc;
	}
	gate_set_id(g, d->id);
	if (g->id[0] != '\0')
		memcpy(req->id, g->id, sizeof(req->id));
	return 0;
}

int ad_gate_run(const struct ad_gate_opts *o, struct ad_request *req,
		const struct ad_gate_io *io, char id_out[AD_ID_MAX], char *why,
		size_t whylen)
{
	struct gate g = {.o = o, .io = io, .why = why, .whylen = whylen};
	struct ad_decision d = {0};
	int ok = 0;

	if (id_out != NULL)
		id_out[0] = '\0';
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (o == NULL || o->socket == NULL || req == NULL) {
		gate_say(&g, 1, "approverd: internal error: no socket or request");
		gate_why(&g, "ad_gate_run: invalid arguments");
		return 0;
	}
	g.wait_s = ad_gate_effective_wait(o->wait_s, o->env_wait);
	if (g.wait_s > GATE_WAIT_MAX_S)
		g.wait_s = GATE_WAIT_MAX_S;
	if (o->stop != NULL && *o->stop) {
		gate_why(&g, "interrupted before contacting approverd");
		return 0;
	}
	if (gate_start(&g, req, &d) == 0)
		ok = gate_decide(&g, &d) == 1;
	ad_decision_free(&d);
	if (g.c != NULL)
		ad_client_close(g.c);
	if (id_out != NULL)
		memcpy(id_out, g.id, AD_ID_MAX);
	return ok;
}
