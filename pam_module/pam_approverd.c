/*
 * pam_approverd.c — the PAM entry points of pam_approverd.so (pam_approverd(8)),
 * the front: it needs only libc and libpam (the config is read with
 * nano_conf.h; a file it does not read whole goes to the core's config.c).
 * What needs no daemon is decided here (judge.c); an AI initiator is
 * handed to
 * pam_approverd_core.so, loaded from this module's own directory
 * (common/coreload.h).
 *
 * Invariants (DESIGN.md §3 "AI subject, PAM", §4.2, §4.3):
 *  - PAM_SUCCESS from the auth/account phases only when the core's gate
 *    returned it (ad_gate_run() said allowed).
 *  - PAM_IGNORE only from pam_judge(): no AI subject, or the (service,
 *    target) pair needs no approval — decided before any daemon contact
 *    and without loading the core.
 *  - Core missing, untrusted, unloadable or of another build: the AI
 *    initiator is refused (failure code) and the reason logged and shown.
 *  - Only the pam_sm_* symbols are exported (pam_approverd.map).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "coreload.h"
#include "error.h"
#include "pam_int.h"

/* Loaded once per process, kept (unloading code that ran is unsafe). */
static const struct ad_pam_core *core;

static int core_get(char *why, size_t whylen)
{
	const struct ad_pam_core *c;
	void *p;
	int rc;

	if (core != NULL)
		return 0;
	rc = ad_core_load(&p, &core, AD_PAM_CORE_FILE, AD_PAM_CORE_SYM, why,
			  whylen);
	if (rc != 0)
		return rc;
	c = p; /* ABI and version checked by ad_core_load */
	if (c->ctx_size != sizeof(struct pam_ctx) || c->gate == NULL ||
	    c->config_load == NULL) {
		snprintf(why, whylen, "%s: its context size or entry does not "
			 "match this module", AD_PAM_CORE_FILE);
		return -1;
	}
	core = c;
	return 0;
}

int pam_core_config(struct ad_config **out, const char *path, char *err,
		    size_t errlen, int *no_core)
{
	char why[600];

	*out = NULL;
	*no_core = 0;
	if (core_get(why, sizeof(why)) != 0) {
		*no_core = 1;
		snprintf(err, errlen, "not read whole by the module, and the "
			 "approval core (which reads it in full) cannot be "
			 "loaded: %s", why);
		return AD_ERR_NOTFOUND;
	}
	return core->config_load(out, path, err, errlen);
}

static int gate(struct pam_ctx *x)
{
	char why[600];

	if (core_get(why, sizeof(why)) == 0)
		return core->gate(x);
	pam_syslog(x->pamh, LOG_ERR, "%s as %s: cannot load the approval "
		   "core: %s; refusing", x->esvc, x->euser, why);
	pam_error(x->pamh, "approverd: cannot load the approval core (%s); "
		  "refusing", why);
	return pam_fail_code(x);
}

static int check(pam_handle_t *pamh, enum phase phase, int argc,
		 const char **argv)
{
	struct pam_ctx *x = calloc(1, sizeof(*x));
	int rc;

	if (x == NULL)
		return PAM_BUF_ERR;
	x->pamh = pamh;
	x->phase = phase;
	rc = pam_judge(x, argc, argv);
	if (rc == AD_PAM_GATE)
		rc = gate(x);
	pam_ctx_free(x);
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
