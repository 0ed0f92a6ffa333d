/*
 * pam_core.c — pam_approverd_core.so: for an AI initiator found by the
 * front (judge.c), build the request and run the approval flow with the
 * daemon. Its one export, approverd_pam_core (pam_approverd_core.map), is
 * read by pam_approverd.c; PAM never loads this file itself.
 *
 * Invariants (DESIGN.md §3 "AI subject, PAM", §4.1, §4.2):
 *  - PAM_SUCCESS only when ad_gate_run() returned 1; every other outcome
 *    (request cannot be built, daemon trouble, denial, signal) is a
 *    failure code, never PAM_IGNORE.
 *  - Signal handlers are installed only around the wait and restored after;
 *    a signal the host ignores stays ignored. The host is never exited.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "coreload.h"
#include "error.h"
#include "gate.h"
#include "pam_int.h"
#include "text.h"

static volatile int stop_flag;
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_STOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void stop_install(struct sigaction old[N_STOP])
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	stop_flag = 0;
	for (size_t i = 0; i < N_STOP; i++) {
		if (sigaction(stop_signals[i], NULL, &old[i]) != 0)
			old[i].sa_handler = SIG_IGN;
		else if (old[i].sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &sa, NULL);
	}
}

static void stop_restore(const struct sigaction old[N_STOP])
{
	for (size_t i = 0; i < N_STOP; i++)
		if (old[i].sa_handler != SIG_IGN)
			sigaction(stop_signals[i], &old[i], NULL);
}

static void conv_info(void *arg, const char *msg)
{
	struct pam_ctx *x = arg;

	/* No or failing conversation: the message is lost, the decision is
	 * not changed (it comes from the daemon alone). */
	if (pam_info(x->pamh, "%s", msg) != PAM_SUCCESS && x->args.debug)
		pam_syslog(x->pamh, LOG_DEBUG, "pam_info failed: %s", msg);
}

static void conv_error(void *arg, const char *msg)
{
	struct pam_ctx *x = arg;

	if (pam_error(x->pamh, "%s", msg) != PAM_SUCCESS && x->args.debug)
		pam_syslog(x->pamh, LOG_DEBUG, "pam_error failed: %s", msg);
}

static int run_gate(struct pam_ctx *x, struct ad_request *req)
{
	struct ad_gate_io io = {.info = conv_info, .error = conv_error,
				.arg = x};
	struct ad_gate_opts o = {0};
	struct sigaction old[N_STOP];
	char id[AD_ID_MAX], why[512];
	int ok;

	o.socket = x->args.socket ? x->args.socket
		 : x->cfg->client_socket ? x->cfg->client_socket
					 : AD_DEFAULT_SOCKET;
	o.wait_s = x->cfg->client_wait > 86400 ? 86400
						: (unsigned)x->cfg->client_wait;
	if (x->args.has_wait && x->args.wait_s < o.wait_s)
		o.wait_s = x->args.wait_s;
	if (x->it.kind == AD_PAM_KIND_SWITCH)
		o.env_wait = getenv("APPROVERD_WAIT");
	o.stop = &stop_flag;
	stop_install(old);
	ok = ad_gate_run(&o, req, &io, id, why, sizeof(why));
	stop_restore(old);
	pam_syslog(x->pamh, ok ? LOG_NOTICE : LOG_WARNING,
		   "%s as %s by %s: %s: %s", x->esvc, x->euser, req->requester,
		   ok ? "allowed" : "refused", why);
	return ok ? PAM_SUCCESS : pam_fail_code(x);
}

static int core_gate(struct pam_ctx *x)
{
	struct ad_request req;
	char err[512];
	int rc;

	rc = ad_pamreq_build(&req, &x->it, x->initiator, x->iuid, err,
			     sizeof(err));
	if (rc != 0) {
		char *e = ad_escape(err);
		pam_syslog(x->pamh, LOG_ERR, "%s as %s: request: %s; refusing",
			   x->esvc, x->euser, e ? e : "?");
		pam_error(x->pamh, "approverd: %s; refusing", e ? e : "?");
		free(e);
		return PAM_SYSTEM_ERR;
	}
	rc = run_gate(x, &req);
	ad_request_free(&req);
	return rc;
}

static int core_config_load(struct ad_config **out, const char *path,
			    char *err, size_t errlen)
{
	return ad_config_load(out, path, AD_CONFIG_CLIENT, err, errlen);
}

const struct ad_pam_core approverd_pam_core;
const struct ad_pam_core approverd_pam_core = {
	.head = {.abi = AD_CORE_ABI, .version = APPROVERD_VERSION},
	.ctx_size = sizeof(struct pam_ctx),
	.gate = core_gate,
	.config_load = core_config_load,
};
