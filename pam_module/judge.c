/*
 * judge.c — the part of pam_approverd that needs no daemon (front): the
 * module arguments, the target, the config, the initiator candidates, and
 * whether any of them is an AI subject (pam_int.h).
 *
 * Invariants (DESIGN.md §3 "AI subject, PAM", §4.2, §4.3):
 *  - PAM_IGNORE only when the (service, target) pair needs no approval, no
 *    initiator candidate is an AI subject, or (root only) the config cannot
 *    be read; every error for a possible AI subject (bad arguments,
 *    unreadable config, NULL/empty user, NSS failure, NOMEM, /proc/self
 *    unreadable) returns a failure code.
 *  - Switch-user services: the caller (real uid) is also an AI subject when
 *    the process holds a [subjects] group's gid (getgroups() + getgid()),
 *    whatever /etc/group says (R7), or when its kernel uid lies in a
 *    [subjects] uids range; a caller without a passwd entry that is AI by
 *    either test is refused (no request can name it), never ignored.
 *  - One decision looks each [subjects] name up at most once (struct
 *    ad_subject_memo) and judges each candidate name once; errors are
 *    remembered with the answer, so they still refuse.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "error.h"
#include "nano_conf.h"
#include "pam_int.h"
#include "text.h"

/* R7: a switch-user caller holding a [subjects] group at run time (service
 * manager, setpriv, newgrp) is AI whatever /etc/group says; fail closed. */
static int caller_gids_ai(struct pam_ctx *x)
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
	rc = ad_subject_memo_gids_ai(&x->subj, v, (size_t)n + 1);
	free(v);
	return rc;
}

static int judge_user(struct pam_ctx *x, const char *user)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int e = getpwnam_r(user, &pw, buf, sizeof(buf), &res);

	if (res == NULL && e != 0)
		return AD_ERR_IO;
	if (x->subj.cfg == NULL &&
	    (e = ad_subject_memo_init(&x->subj, x->cfg)) != 0)
		return e;
	if (res == NULL)
		return ad_subject_memo_is_ai(&x->subj, user, (uid_t)-1,
					     (gid_t)-1);
	e = ad_subject_memo_is_ai(&x->subj, user, pw.pw_uid, pw.pw_gid);
	if (e == 0 && x->it.kind == AD_PAM_KIND_SWITCH &&
	    pw.pw_uid == getuid())
		e = caller_gids_ai(x);
	return e;
}

/* A kernel uid without a passwd entry: AI only by the gids the caller
 * holds (R7; a switch-user caller's own uid), as a named one would be. */
static int judge_nameless(struct pam_ctx *x, uid_t uid)
{
	int e;

	if (x->it.kind != AD_PAM_KIND_SWITCH || uid != getuid())
		return 0;
	if (x->subj.cfg == NULL &&
	    (e = ad_subject_memo_init(&x->subj, x->cfg)) != 0)
		return e;
	return caller_gids_ai(x);
}

/* A kernel uid in a [subjects] uids range is AI whatever its name says
 * (and when it has none). Otherwise the answer depends on the name only, so
 * a candidate named again (su: PAM_RUSER and the login uid are usually the
 * real uid's user) reuses it. */
static int is_subject(void *arg, const char *user, uid_t uid)
{
	struct pam_ctx *x = arg;
	int rc;

	if (ad_subject_uid_listed(x->cfg, uid))
		return 1;
	if (user == NULL)
		return judge_nameless(x, uid);
	if (x->subj_user != NULL && strcmp(x->subj_user, user) == 0)
		return x->subj_rc;
	rc = judge_user(x, user);
	free(x->subj_user);
	x->subj_user = strdup(user); /* NULL: just not remembered */
	x->subj_rc = rc;
	return rc;
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

/* The front's own reader first (nano_conf.h: no libinih mapped); a file it
 * does not read whole goes to config.c in the core, which decides and
 * explains exactly as before. */
static int load_config(struct pam_ctx *x)
{
	char err[700], what[800];
	int no_core = 0;
	int rc = ad_nano_load(&x->cfg, x->args.config, err, sizeof(err));

	if (rc == 1)
		rc = pam_core_config(&x->cfg, x->args.config, err, sizeof(err),
				     &no_core);
	if (rc == 0)
		return PAM_SUCCESS;
	if (no_core) {
		/* the file may be valid and name root: nobody passes */
		pam_syslog(x->pamh, LOG_ERR, "config %s: %s; refusing",
			   x->args.config, err);
		pam_error(x->pamh, "approverd: config %s: %s; refusing",
			  x->args.config, err);
		return pam_fail_code(x);
	}
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

/* Who initiates: PAM_IGNORE (no AI subject), AD_PAM_GATE, or a refusal. */
static int find_initiator(struct pam_ctx *x, int self_rc)
{
	int rc = ad_pamreq_initiator(&x->initiator, &x->iuid, &x->it,
				     is_subject, x);

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
		return rc < 0 ? PAM_SYSTEM_ERR : pam_fail_code(x);
	}
	return AD_PAM_GATE;
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
		return pam_fail_code(x);
	}
	if ((x->euser = ad_escape(user)) == NULL)
		return PAM_BUF_ERR;
	return PAM_SUCCESS;
}

int pam_judge(struct pam_ctx *x, int argc, const char **argv)
{
	char err[512], what[600];
	int rc, self_rc = 0;

	x->it.service = pam_str(x->pamh, PAM_SERVICE);
	if (x->it.service == NULL || x->it.service[0] == '\0' ||
	    (x->esvc = ad_escape(x->it.service)) == NULL) {
		pam_syslog(x->pamh, LOG_ERR, "no PAM_SERVICE; refusing");
		return PAM_SYSTEM_ERR;
	}
	if ((rc = get_target(x)) != PAM_SUCCESS)
		return rc; /* refused, logged */
	if (ad_pam_args_parse(&x->args, argc, argv, err, sizeof(err))) {
		x->it.kind = ad_pam_kind_of(NULL, x->it.service);
		snprintf(what, sizeof(what), "module arguments: %s", err);
		return refuse_unknown(x, what);
	}
	x->it.kind = ad_pam_kind_of(&x->args, x->it.service);
	if (!ad_pam_require_match(&x->args, x->it.service, x->it.user))
		return PAM_IGNORE;
	if ((rc = load_config(x)) != PAM_SUCCESS)
		return rc;
	gather_items(x, &self_rc);
	return find_initiator(x, self_rc);
}

void pam_ctx_free(struct pam_ctx *x)
{
	ad_pam_args_free(&x->args);
	ad_subject_memo_free(&x->subj);
	free(x->subj_user);
	ad_config_free(x->cfg);
	free(x->cmdline);
	free(x->esvc);
	free(x->euser);
	free(x->initiator);
}
