/*
 * notify.h — webhooks and the HTTP engine under them (DESIGN.md §7,
 * docs/NOTIFY.md). Daemon-internal, not installed.
 *
 *   nh_*        notify_http.c     libcurl multi driven by the daemon's epoll
 *   notify_*    notify_payload.c  json / slack bodies (pure, unit-tested)
 *   notifier_*  notify.c          targets, secret headers, outcomes
 *
 * The engine never blocks: the daemon adds nh_fd() to its epoll set and
 * calls nh_run() when it is readable; every transfer, DNS lookup, retry
 * wait and timeout lives inside the engine, so a slow, hanging or failing
 * endpoint never delays a decision or a client.
 */
#ifndef APPROVERD_NOTIFY_H
#define APPROVERD_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"

/* ---- notify_http.c: the HTTP engine ---------------------------------- */

#define NH_ERR_MAX 256

struct nh;

struct nh_result {
	int ok;                  /* 1: a 2xx answer (final outcome) */
	int permanent;           /* 1: not retried (3xx, 4xx, bad answer) */
	int cancelled;           /* 1: nh_free() ended it; free arg only */
	long status;             /* HTTP status of the last try, 0 if none */
	unsigned tries;          /* attempts made */
	char error[NH_ERR_MAX];  /* why the last try failed, "" when ok */
	const char *body;        /* answer (NUL-terminated, "" if not kept) */
	size_t body_len;
};

typedef void (*nh_done_fn)(void *arg, const struct nh_result *res);

struct nh_req {
	const char *label;       /* for log lines, e.g. "notify chat R-7F3A-9C21" */
	const char *url;         /* http:// or https:// only */
	const char *body;        /* NULL: GET; else POST application/json */
	const char *const *headers; /* "Name: value" lines (may be secrets) */
	size_t n_headers;
	const char *ca_file;     /* NULL: the system CA bundle */
	const char *proxy;       /* NULL: no proxy (environment ignored) */
	uint64_t timeout_ms;     /* per attempt, connect included */
	uint32_t retries;        /* attempts after the first */
	uint64_t backoff_ms;     /* before retry 1; doubled, capped at 1h */
	size_t body_max;         /* answer bytes kept; more fails the try */
	nh_done_fn done;         /* called once with the final outcome */
	void *arg;
};

/* queue_max bounds the jobs held (running + waiting to retry). */
int nh_new(struct nh **out, size_t queue_max)
	__attribute__((warn_unused_result));
/* Ends every job; each done callback is called with cancelled = 1. */
void nh_free(struct nh *h);
/* An epoll fd: readable when nh_run() has work. */
int nh_fd(const struct nh *h);
/* Drive transfers, timeouts and retries; never blocks. */
void nh_run(struct nh *h);
size_t nh_queued(const struct nh *h);
/* Copies everything in rq. AD_ERR_LIMIT when the queue is full. */
int nh_submit(struct nh *h, const struct nh_req *rq)
	__attribute__((warn_unused_result));

/* ---- notify_payload.c: what is sent ---------------------------------- */

/* One event as the payload builders see it (strings never NULL). */
struct notify_event {
	const char *event;       /* "request" or "decision" */
	const char *state;       /* pending, approved, denied, expired, withdrawn */
	const char *id;
	const char *host;
	const char *requester;
	uint32_t uid;
	const char *service;
	const char *runas;
	const char *command;     /* resolved path */
	const char *const *argv;
	size_t argc;
	const char *cwd;
	const char *reason;
	const char *ticket;
	const char *rule;
	const char *requires;    /* "1 approval from role sre" */
	const char *why;         /* decision: why denied/expired/withdrawn */
	const char *approvers;   /* decision: "alice, bob" or "" */
	uint64_t expires;        /* unix s, 0 = none */
	uint64_t time;           /* unix s of the event */
};

/* The body for format; malloc'ed NUL-terminated JSON text, NULL on ENOMEM. */
char *notify_payload(enum ad_notify_format format,
		     const struct notify_event *ev);
/* "2026-11-29T08:31:02Z" into out (21 bytes). */
void notify_time_text(char out[32], uint64_t unix_s);

/* ---- notify.c: targets and outcomes ---------------------------------- */

struct notifier;

struct notify_outcome {
	const char *target;      /* [notify NAME] */
	const char *event;       /* request | decision */
	const char *id;          /* request id */
	const char *state;       /* the state the message announced */
	const char *result;      /* sent | failed | dropped */
	unsigned tries;
	long status;             /* last HTTP status, 0 if none */
	const char *error;       /* "" when sent */
};

/* Called with each final delivery outcome (the daemon records it). */
typedef void (*notify_outcome_fn)(void *arg, const struct notify_outcome *o);

/*
 * Targets from cfg; header_file of each is read now (trust-checked: owned
 * by root or trusted_uid, mode without group/other bits, no symlink) into
 * sodium_malloc'ed memory; ca_file and [daemon] check_ca_file must pass the
 * trusted-file checks. err names the file or target on failure.
 */
int notifier_new(struct notifier **out, struct nh *http,
		 const struct ad_config *cfg, uid_t trusted_uid,
		 notify_outcome_fn outcome, void *arg, char *err,
		 size_t errlen) __attribute__((warn_unused_result));
/* Wipes the secrets. Deliveries already queued in http keep running. */
void notifier_free(struct notifier *n);
/* Queue one message per target subscribed to ev->event. */
void notifier_event(struct notifier *n, const struct notify_event *ev);

#endif
