/*
 * pam_approverd.c — the PAM entry points of pam_approverd.so (pam_approverd(8)).
 *
 * Invariants (DESIGN.md §3 "AI subject, PAM", §4.2, §4.3):
 *  - PAM_SUCCESS only when ad_gate_run() returned 1 for an AI initiator.
 *  - PAM_IGNORE only when the (service, target) pair needs no approval or
 *    no initiator candidate is an AI subject — decided locally, before any
 *    contact with the daemon.
 *  - Every error for a possible AI subject (bad arguments, unreadable
 *    config, NULL/empty user, NSS failure, NOMEM, daemon trouble, signal)
 *    returns a failure code, never PAM_SUCCESS or PAM_IGNORE.
 *  - Signal handlers are installed only around the wait and restored after;
 *    a signal the host ignores stays ignored. The host is never exited.
 *  - Switch-user services: the caller (real uid) is also an AI subject when
 *    the process holds a [subjects] group's gid (getgroups() + getgid()),
 *    whatever /etc/group says (R7).
 *  - Only the pam_sm_* symbols are exported (pam_approverd.map).
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "config.h"
#include "error.h"
#include "gate.h"
#include "pamreq.h"
#include "text.h"

enum phase { PHASE_AUTH, PHASE_ACCOUNT };

struct pam_ctx {
	pam_handle_t *pamh;
	enum phase phase;
	struct ad_pam_args args;
	struct ad_config *cfg;
	struct ad_pam_items it;
	char *cmdline;
	char *esvc, *euser; /* escaped PAM_SERVICE / PAM_USER for logs (§4.9) */
	char cwd[PATH_MAX];
	char host[256];
};

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

/* Refusal code for the phase: callers treat all of them as "deny". */
static int fail_code(const struct pam_ctx *x)
{
	return x->phase == PHASE_AUTH ? PAM_AUTH_ERR : PAM_PERM_DENIED;
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

/* R7: a switch-user caller holding a [subjects] group at run time (service
 * manager, setpriv, newgrp) is AI whatever /etc/group says; fail closed. */
static int caller_gids_ai(const struct pam_ctx *x)
{
	gid_t *v;
	int n = getgroups(0, NULL), rc;

	if (n < 0 || (v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		return 1;
	if ((n = getgroups(n, v)) < 0) {
		free(v);
		return 1;
	}
	v[n] = getgid();
	rc = ad_subject_gids_ai(x->cfg, v, (size_t)n + 1);
	free(v);
	return rc;
}

static int is_subject(void *arg, const char *user)
{
	const struct pam_ctx *x = arg;
	struct passwd pw, *res = NULL;
	char buf[16384];
	int e = getpwnam_r(user, &pw, buf, sizeof(buf), &res);

	if (res == NULL && e != 0)
		return AD_ERR_IO;
	if (res == NULL)
		return ad_subject_is_ai(x->cfg, user, (uid_t)-1, (gid_t)-1);
	e = ad_subject_is_ai(x->cfg, user, pw.pw_uid, pw.pw_gid);
	if (e == 0 && x->it.kind == AD_PAM_KIND_SWITCH &&
	    pw.pw_uid == getuid())
		e = caller_gids_ai(x);
	return e;
}

static const char *pam_str(pam_handle_t *pamh, int item)
{
	const void *v = NULL;

	if (pam_get_item(pamh, item, &v) != PAM_SUCCESS)
		return NULL;
	return v;
}

/* The client cannot tell who is an AI subject: refuse every non-root
 * caller, naming the cause (DESIGN.md §4.2). */
static int refuse_unknown(struct pam_ctx *x, const char *what)
{
	int root = x->it.kind == AD_PAM_KIND_LOGIN
			   ? (x->it.user != NULL && strcmp(x->it.user, "root") == 0)
			   : getuid() == 0;

	pam_syslog(x->pamh, LOG_ERR, "%s; %s", what,
		   root ? "root caller passes" : "refusing non-root callers");
	if (root)
		return PAM_IGNORE;
	pam_error(x->pamh, "approverd: %s; refusing (ask an administrator)",
		  what);
	return PAM_SYSTEM_ERR;
}

static int load_config(struct pam_ctx *x)
{
	char err[512], what[640];
	int rc = ad_config_load(&x->cfg, x->args.config, AD_CONFIG_CLIENT, err,
				sizeof(err));

	if (rc == 0)
		return PAM_SUCCESS;
	snprintf(what, sizeof(what), "config %s: %s", x->args.config, err);
	return refuse_unknown(x, what);
}

static void gather_items(struct pam_ctx *x, int *self_rc)
{
	size_t len = 0;
	const int sw = x->it.kind == AD_PAM_KIND_SWITCH;

	x->it.ruser = pam_str(x->pamh, PAM_RUSER);
	x->it.tty = pam_str(x->pamh, PAM_TTY);
	x->it.rhost = pam_str(x->pamh, PAM_RHOST);
	x->it.ruid = getuid();
	*self_rc = ad_pamreq_read_self(&x->cmdline, &len, &x->it.loginuid, NULL);
	x->it.cmdline = x->cmdline;
	x->it.cmdline_len = len;
	x->it.cwd = getcwd(x->cwd, sizeof(x->cwd)) != NULL ? x->cwd : "";
	if (gethostname(x->host, sizeof(x->host)) == 0)
		x->host[sizeof(x->host) - 1] = '\0';
	x->it.host = x->host;
	/* Context from the invoking user's environment: only a switch-user
	 * caller has one (sshd's environment is the server's). */
	x->it.reason = sw ? getenv("APPROVERD_REASON") : NULL;
	x->it.ticket = sw ? getenv("APPROVERD_TICKET") : NULL;
	x->it.rollback = sw ? getenv("APPROVERD_ROLLBACK") : NULL;
	x->it.agent = sw ? getenv("APPROVERD_AGENT") : NULL;
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
	return ok ? PAM_SUCCESS : fail_code(x);
}

static int gate_ai(struct pam_ctx *x, int self_rc)
{
	struct ad_request req;
	char *initiator = NULL;
	uid_t iuid = (uid_t)-1;
	char err[512];
	int rc = ad_pamreq_initiator(&initiator, &iuid, &x->it, is_subject, x);

	if (rc == 0) {
		if (x->args.debug)
			pam_syslog(x->pamh, LOG_DEBUG, "%s as %s: no AI subject",
				   x->esvc, x->euser);
		return PAM_IGNORE;
	}
	if (rc < 0 || self_rc != 0) {
		pam_syslog(x->pamh, LOG_ERR, "%s as %s: %s: %s; refusing",
			   x->esvc, x->euser,
			   rc < 0 ? "finding the initiator" : "reading /proc/self",
			   ad_strerror(rc < 0 ? rc : self_rc));
		pam_error(x->pamh, "approverd: cannot tell who is asking; "
			  "refusing");
		free(initiator);
		return rc < 0 ? PAM_SYSTEM_ERR : fail_code(x);
	}
	rc = ad_pamreq_build(&req, &x->it, initiator, iuid, err, sizeof(err));
	free(initiator);
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

static int get_target(struct pam_ctx *x)
{
	const char *user = NULL;

	if (x->phase == PHASE_AUTH) {
		if (pam_get_user(x->pamh, &user, NULL) != PAM_SUCCESS)
			user = NULL;
	} else {
		user = pam_str(x->pamh, PAM_USER);
	}
	x->it.user = user;
	if (user == NULL || user[0] == '\0') {
		pam_syslog(x->pamh, LOG_ERR, "%s: no user name (PAM_USER); "
			   "refusing", x->esvc);
		return fail_code(x);
	}
	if ((x->euser = ad_escape(user)) == NULL)
		return PAM_BUF_ERR;
	return PAM_SUCCESS;
}

static int check(pam_handle_t *pamh, enum phase phase, int argc,
		 const char **argv)
{
	struct pam_ctx *x = calloc(1, sizeof(*x));
	char err[512], what[600];
	int rc, self_rc = 0;

	if (x == NULL)
		return PAM_BUF_ERR;
	x->pamh = pamh;
	x->phase = phase;
	x->it.service = pam_str(pamh, PAM_SERVICE);
	if (x->it.service == NULL || x->it.service[0] == '\0' ||
	    (x->esvc = ad_escape(x->it.service)) == NULL) {
		pam_syslog(pamh, LOG_ERR, "no PAM_SERVICE; refusing");
		rc = PAM_SYSTEM_ERR;
	} else if ((rc = get_target(x)) != PAM_SUCCESS) {
		; /* refused, logged */
	} else if (ad_pam_args_parse(&x->args, argc, argv, err, sizeof(err))) {
		x->it.kind = ad_pam_kind_of(NULL, x->it.service);
		snprintf(what, sizeof(what), "module arguments: %s", err);
		rc = refuse_unknown(x, what);
	} else {
		x->it.kind = ad_pam_kind_of(&x->args, x->it.service);
		if (!ad_pam_require_match(&x->args, x->it.service, x->it.user))
			rc = PAM_IGNORE;
		else if ((rc = load_config(x)) == PAM_SUCCESS) {
			gather_items(x, &self_rc);
			rc = gate_ai(x, self_rc);
		}
	}
	ad_pam_args_free(&x->args);
	ad_config_free(x->cfg);
	free(x->cmdline);
	free(x->esvc);
	free(x->euser);
	free(x);
	return rc;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	(void)flags;
	return check(pamh, PHASE_AUTH, argc, argv);
}

/* No credentials are set; success lets [success=N] jumps in the auth stack
 * replay for setcred exactly as they did for authenticate. */
PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
			      const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc,
				const char **argv)
{
	(void)flags;
	return check(pamh, PHASE_ACCOUNT, argc, argv);
}

/* Listed in a session or password stack, the module would gate nothing:
 * say so loudly instead of passing silently (pam_approverd(8)). */
static int wrong_stack(pam_handle_t *pamh, const char *stack)
{
	pam_syslog(pamh, LOG_ERR, "pam_approverd listed in the %s stack; it "
		   "only works in the auth and account stacks", stack);
	return PAM_SERVICE_ERR;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	(void)flags;
	(void)argc;
	(void)argv;
	return wrong_stack(pamh, "session");
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
				    const char **argv)
{
	(void)flags;
	(void)argc;
	(void)argv;
	return wrong_stack(pamh, "session");
}

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc,
				const char **argv)
{
	(void)flags;
	(void)argc;
	(void)argv;
	return wrong_stack(pamh, "password");
}
