/*
 * client.h — the thin client the sudo plugin, the PAM module and approverctl
 * use to talk to approverd over its Unix socket (docs/PROTOCOL.md).
 *
 * Invariants (DESIGN.md §4.2): every failure is a negative ad_err; callers
 * acting for an AI subject must treat any non-zero return as "deny". Nothing
 * here exits, prints, or raises signals; every blocking call has a deadline.
 */
#ifndef APPROVERD_CLIENT_H
#define APPROVERD_CLIENT_H

#include <stdint.h>
#include <sys/types.h>

#include "request.h"

struct ad_client;

/* What the daemon answered about one request. Strings owned by the struct. */
struct ad_decision {
	enum ad_state state;
	char id[AD_ID_MAX];
	char *rule;        /* matched rule, "" if none */
	char *requires;    /* human text: "1 approval from role sre; ticket required" */
	char *approvers;   /* comma list of approver names, "" if none */
	char *reason;      /* why denied/expired/withdrawn, "" otherwise */
	uint64_t not_after;/* approval valid until (unix seconds), 0 if none */
	uint64_t expires;  /* pending request expiry (unix seconds), 0 if none */
	char *blocked;     /* why a pending request is blocked (window, ticket;
			    * docs/formats/governance.md §2), "" if not */
};
void ad_decision_free(struct ad_decision *d);

/* Connect to the socket; timeout_ms bounds connect and every later call. */
int ad_client_connect(struct ad_client **out, const char *socket_path,
		      int timeout_ms) __attribute__((warn_unused_result));
void ad_client_close(struct ad_client *c);

/* Create (or find the identical pending/approved) request. */
int ad_client_create(struct ad_client *c, const struct ad_request *req,
		     struct ad_decision *out) __attribute__((warn_unused_result));

/*
 * Block until the daemon pushes a decision for id, or wait_ms passes
 * (AD_ERR_TIMEOUT), or *stop becomes non-zero (AD_ERR_INTERRUPTED).
 * progress (may be NULL) is called about every progress_ms with the
 * seconds waited so far; it must not block.
 */
typedef void (*ad_progress_fn)(void *arg, unsigned waited_s);
int ad_client_wait(struct ad_client *c, const char *id, int wait_ms,
		   volatile const int *stop, ad_progress_fn progress,
		   void *arg, int progress_ms, struct ad_decision *out)
	__attribute__((warn_unused_result));

int ad_client_withdraw(struct ad_client *c, const char *id, const char *why)
	__attribute__((warn_unused_result));
/* Mark an approved request used; the daemon records `consume` durably first. */
int ad_client_consume(struct ad_client *c, const char *id, pid_t pid,
		      struct ad_decision *out) __attribute__((warn_unused_result));
/* Record how the command ended: exit status >= 0, or signal via sig > 0. */
int ad_client_result(struct ad_client *c, const char *id, int exit_status,
		     int sig) __attribute__((warn_unused_result));

/*
 * Added by the daemon engineer (additive; existing signatures unchanged):
 * health check and a raw call for approverctl and doctor. reply is the
 * daemon's JSON object (caller json_decref's it) when 0 is returned; on an
 * error reply, why gets the daemon's message. docs/PROTOCOL.md lists ops.
 */
int ad_client_health(struct ad_client *c, json_t **reply)
	__attribute__((warn_unused_result));
int ad_client_call(struct ad_client *c, const json_t *msg, json_t **reply,
		   char *why, size_t whylen) __attribute__((warn_unused_result));

#endif
