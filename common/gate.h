/*
 * gate.h — the one client-side approval flow, shared by the PAM module and
 * the sudo approval plugin (DESIGN.md §3 steps 3-6, §4.1, §4.2).
 *
 * Invariants:
 *  - ad_gate_run() returns 1 ("allowed") only after the daemon answered
 *    `allowed`/`approved` AND, for an approved request, acknowledged the
 *    durable `consume` record. Every other outcome — denial, pending with
 *    wait 0, timeout, signal, daemon down, malformed reply, out of memory,
 *    bad arguments — returns 0. It never returns anything else.
 *  - Messages go only through io->info / io->error (never stdout/stderr);
 *    a NULL io or NULL callbacks are allowed (nothing is shown).
 *  - APPROVERD_WAIT (the caller passes the invoking user's value) can only
 *    lower the configured wait, never raise it; a malformed value is
 *    ignored (the configured wait stays).
 *  - On a wait timeout the request is left pending so that re-running the
 *    identical command matches it (same execution digest) and succeeds
 *    once approved; on a stop signal it is withdrawn (`withdraw`).
 */
#ifndef APPROVERD_GATE_H
#define APPROVERD_GATE_H

#include <stddef.h>
#include <sys/types.h>

#include "request.h"

/* How to talk to the human/agent. sudo: plugin_printf(SUDO_CONV_INFO_MSG /
 * SUDO_CONV_ERROR_MSG); PAM: pam_info / pam_error. Each msg is one line
 * without a trailing newline. Callbacks must not block for long. */
struct ad_gate_io {
	void (*info)(void *arg, const char *msg);
	void (*error)(void *arg, const char *msg);
	void *arg;
};

#define AD_GATE_CONNECT_MS 5000   /* default bound on connect + each call */
#define AD_GATE_PROGRESS_S 30     /* default progress interval */

struct ad_gate_opts {
	const char *socket;        /* daemon socket path (required) */
	unsigned wait_s;           /* [client] wait; 0 = do not wait */
	const char *env_wait;      /* APPROVERD_WAIT of the invoking user, or NULL */
	int progress_s;            /* progress line interval; <= 0: default */
	int timeout_ms;            /* connect/call bound; <= 0: default */
	volatile const int *stop;  /* set non-zero by a signal handler, or NULL */
	pid_t pid;                 /* recorded with `consume`; 0: getpid() */
};

/*
 * Run the approval flow for req (a complete request built by the caller;
 * req->id is filled when the daemon assigns one). Returns 1 allowed,
 * 0 refused. id_out (AD_ID_MAX, may be NULL) receives the request id or "".
 * why (may be NULL) receives a one-line reason for the caller's log, e.g.
 * "approved by alice until 09:41 UTC", "denied: rule never",
 * "approverd is not reachable (connect /run/approverd/approverd.sock)".
 */
int ad_gate_run(const struct ad_gate_opts *o, struct ad_request *req,
		const struct ad_gate_io *io, char id_out[AD_ID_MAX], char *why,
		size_t whylen) __attribute__((warn_unused_result));

/* The effective wait: min(cfg_wait_s, APPROVERD_WAIT) when env_wait is a
 * valid number of seconds or duration ("0", "90", "2m"), else cfg_wait_s. */
unsigned ad_gate_effective_wait(unsigned cfg_wait_s, const char *env_wait);

#endif
