/*
 * ticket.c — run a rule's ticket check and precheck through the HTTP
 * engine and report every outcome once.
 *
 * Invariants (DESIGN.md §7; docs/NOTIFY.md):
 *  - Fail closed: no ticket, a full queue, a network error, a timeout, a
 *    non-2xx status (redirects are not followed), an answer over
 *    TICKET_ANSWER_MAX or a field that does not equal the value is a
 *    failed check; only an explicit match passes.
 *  - The ticket reaches the URL percent-encoded only (ad_http_check_url).
 *  - The caller is never blocked: checks run in the engine; each is bounded
 *    by check_timeout and is not retried (the client is waiting).
 *  - What the outcome needs from the rule is copied, so a reload while a
 *    check runs changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ticket.h"

struct checks {
	struct check_outcome o[2];
	char *field[2], *value[2];
	size_t n, pending;
	checks_done_fn done;
	void *arg;
};

struct one {
	struct checks *set;
	size_t idx;
};

int checks_wanted(const struct ad_rule *rule)
{
	return rule->ticket_check.url != NULL || rule->precheck.url != NULL;
}

static void checks_free(struct checks *cs)
{
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->o[i].url);
		free(cs->field[i]);
		free(cs->value[i]);
	}
	free(cs);
}

static void one_ended(struct checks *cs)
{
	if (--cs->pending > 0)
		return;
	cs->done(cs->arg, cs->o, cs->n);
	checks_free(cs);
}

static void check_done(void *arg, const struct nh_result *res)
{
	struct one *one = arg;
	struct checks *cs = one->set;
	struct check_outcome *o = &cs->o[one->idx];
	struct ad_http_check c = {NULL, cs->field[one->idx],
				  cs->value[one->idx], 0};

	free(one);
	o->status = res->status;
	if (res->cancelled) { /* daemon stopping: n = 0 lets arg be freed */
		if (--cs->pending == 0) {
			cs->done(cs->arg, cs->o, 0);
			checks_free(cs);
		}
		return;
	}
	if (!res->ok)
		snprintf(o->why, sizeof(o->why), "%s", res->error);
	else
		o->ok = check_answer_ok(&c, res->body, res->body_len, o->why,
					sizeof(o->why));
	one_ended(cs);
}

static int add_one(struct checks *cs, const struct ad_http_check *chk,
		   const char *kind, const char *ticket, const char *rule,
		   const char *host)
{
	struct check_outcome *o = &cs->o[cs->n];
	int r;

	o->kind = kind;
	if ((r = ad_http_check_url(&o->url, chk, ticket, rule, host)) != 0)
		return r;
	cs->n++;
	if ((chk->field != NULL && (cs->field[cs->n - 1] = strdup(chk->field)) == NULL) ||
	    (chk->value != NULL && (cs->value[cs->n - 1] = strdup(chk->value)) == NULL))
		return AD_ERR_NOMEM;
	return 0;
}

static void start_one(struct nh *h, struct checks *cs, size_t i,
		      const struct ad_config *cfg, const char *ticket)
{
	struct check_outcome *o = &cs->o[i];
	struct one *one = calloc(1, sizeof(*one));
	char label[96];
	struct nh_req rq = {
		.label = label, .url = o->url, .ca_file = cfg->check_ca_file,
		.proxy = cfg->check_proxy, .timeout_ms = cfg->check_timeout * 1000,
		.retries = 0, .body_max = TICKET_ANSWER_MAX, .done = check_done,
		.arg = one,
	};
	int r;

	snprintf(label, sizeof(label), "%s", o->kind);
	if (one != NULL) {
		one->set = cs;
		one->idx = i;
	}
	if (strcmp(o->kind, "ticket_check") == 0 && ticket[0] == '\0')
		r = AD_ERR_INVALID;
	else
		r = one == NULL ? AD_ERR_NOMEM : nh_submit(h, &rq);
	if (r == 0)
		return;
	free(one);
	snprintf(o->why, sizeof(o->why), "%s", r == AD_ERR_INVALID
		 ? "no ticket given (APPROVERD_TICKET)" : r == AD_ERR_LIMIT
		 ? "not checked: HTTP queue full (notify_queue)" : ad_strerror(r));
	one_ended(cs);
}

int checks_start(struct nh *h, const struct ad_rule *rule,
		 const struct ad_config *cfg, const char *ticket,
		 const char *host, checks_done_fn done, void *arg)
{
	struct checks *cs = calloc(1, sizeof(*cs));
	int r = 0;

	if (cs == NULL)
		return AD_ERR_NOMEM;
	cs->done = done;
	cs->arg = arg;
	ticket = ticket != NULL ? ticket : "";
	if (rule->ticket_check.url != NULL)
		r = add_one(cs, &rule->ticket_check, "ticket_check", ticket,
			    rule->name, host);
	if (r == 0 && rule->precheck.url != NULL)
		r = add_one(cs, &rule->precheck, "precheck", ticket, rule->name,
			    host);
	if (r == 0 && cs->n == 0)
		r = AD_ERR_NOTFOUND;
	if (r != 0) {
		checks_free(cs);
		return r;
	}
	cs->pending = cs->n + 1; /* held until every check is started */
	for (size_t i = 0; i < cs->n; i++)
		start_one(h, cs, i, cfg, ticket);
	one_ended(cs);
	return 0;
}
