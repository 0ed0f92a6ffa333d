/*
 * ticket.h — HTTP checks made when a request is created: the ticket check
 * (ticket_check_url/_field/_value) and the dependency check
 * (precheck_url/_field/_value). See docs/NOTIFY.md. Daemon-internal.
 */
#ifndef APPROVERD_TICKET_H
#define APPROVERD_TICKET_H

#include <stddef.h>

#include "config.h"
#include "notify.h"
#include "policy.h"

#define TICKET_ANSWER_MAX (64 * 1024)  /* answer bytes read */
#define TICKET_WHY_MAX 256

struct check_outcome {
	const char *kind;        /* "ticket_check" or "precheck" */
	char *url;               /* as fetched (ticket percent-encoded) */
	long status;             /* HTTP status, 0 if none */
	int ok;                  /* 1 passed, 0 failed */
	char why[TICKET_WHY_MAX];/* "HTTP 200, status = open" / the failure */
};

/* Called once with every check's outcome (n is 1 or 2); n = 0 when the
 * engine was freed first (daemon stopping): only free arg then. */
typedef void (*checks_done_fn)(void *arg, const struct check_outcome *o,
			       size_t n);

/* 1 if the rule has a ticket check or a precheck. */
int checks_wanted(const struct ad_rule *rule);

/*
 * Start the rule's checks, in parallel, each with timeout check_timeout of
 * cfg, no retry. done is called exactly once when all have ended — maybe
 * before this returns (no ticket given, queue full). Returns 0, or an
 * ad_err (done not called) when nothing could be started.
 */
int checks_start(struct nh *h, const struct ad_rule *rule,
		 const struct ad_config *cfg, const char *ticket,
		 const char *host, checks_done_fn done, void *arg)
	__attribute__((warn_unused_result));

/*
 * ticket_eval.c: judge a 2xx answer against check's field/value (none:
 * any answer passes). 1 passed, 0 failed; why says which (e.g. "field
 * status is \"closed\", expected \"open\"").
 */
int check_answer_ok(const struct ad_http_check *check, const char *body,
		    size_t len, char *why, size_t whylen);

#endif
