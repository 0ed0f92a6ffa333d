/*
 * pam_int.h — internals shared by pam_approverd.so (the front:
 * pam_approverd.c, judge.c; libc, libinih, libpam) and
 * pam_approverd_core.so (pam_core.c; libsodium, jansson, the daemon
 * client), which the front dlopen()s only once it has found an AI
 * initiator (docs/formats/pam.md).
 *
 * Invariants (DESIGN.md §4.2, §4.3): the front returns PAM_IGNORE only
 * when no AI subject is involved or the (service, target) pair needs no
 * approval; every error path for a possible AI subject is a failure code;
 * the core returns PAM_SUCCESS only when ad_gate_run() said allowed.
 */
#ifndef APPROVERD_PAM_INT_H
#define APPROVERD_PAM_INT_H

#include <limits.h>
#include <sys/types.h>

#include <security/pam_modules.h>

#include "config.h"
#include "coreload.h"
#include "pamreq.h"

#define AD_PAM_CORE_FILE "pam_approverd_core.so"
#define AD_PAM_CORE_SYM "approverd_pam_core"
/* pam_judge(): an AI initiator was found; the core must decide. */
#define AD_PAM_GATE (-1000)

enum phase { PHASE_AUTH, PHASE_ACCOUNT };

struct pam_ctx {
	pam_handle_t *pamh;
	enum phase phase;
	struct ad_pam_args args;
	struct ad_config *cfg;
	struct ad_pam_items it;
	char *cmdline;
	char *esvc, *euser; /* escaped PAM_SERVICE / PAM_USER for logs (§4.9) */
	char *initiator;    /* set with AD_PAM_GATE */
	uid_t iuid;
	/* [subjects] look-ups of this decision, shared by every initiator
	 * candidate, and the last candidate name judged with its answer
	 * (su: the real uid, PAM_RUSER and the login uid are one user) */
	struct ad_subject_memo subj;
	char *subj_user;
	int subj_rc;
	char cwd[PATH_MAX];
	char host[256];
};

/* The core's one exported symbol (AD_PAM_CORE_SYM). */
struct ad_pam_core {
	struct ad_core_head head; /* ABI and version (coreload.h) */
	size_t ctx_size;     /* sizeof(struct pam_ctx) of the build */
	/* Build the request for x->initiator and run the approval flow:
	 * PAM_SUCCESS only if allowed; a failure code otherwise. */
	int (*gate)(struct pam_ctx *x);
	/* config.c (libinih) in client mode, for a file the front's reader
	 * (nano_conf.h) did not read whole: ad_config_load's answer. */
	int (*config_load)(struct ad_config **out, const char *path,
			   char *err, size_t errlen);
};

/* Refusal code for the phase: callers treat all of them as "deny". */
static inline int pam_fail_code(const struct pam_ctx *x)
{
	return x->phase == PHASE_AUTH ? PAM_AUTH_ERR : PAM_PERM_DENIED;
}

/* judge.c: fill x for (pamh, phase, argv) and decide what can be decided
 * without the daemon: a PAM return code, or AD_PAM_GATE with x->initiator
 * and x->iuid set. pam_ctx_free() frees everything x owns (not x). */
int pam_judge(struct pam_ctx *x, int argc, const char **argv);
/* pam_approverd.c: the config through the core's config.c: 0 and *out,
 * or an AD_ERR_* with err filled; *no_core is 1 when the core cannot be
 * loaded (then nobody can tell who is an AI subject). */
int pam_core_config(struct ad_config **out, const char *path, char *err,
		    size_t errlen, int *no_core);
void pam_ctx_free(struct pam_ctx *x);

#endif
