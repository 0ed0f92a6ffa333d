/*
 * approval.c — the approval plugin of sudo_approverd_core.so (the front,
 * front.c, forwards every caller it cannot show to be human): humans pass
 * at once, AI subjects go through the shared client flow (common/gate.h).
 *
 * Invariants (DESIGN.md §3, §4.1-§4.3):
 *  - open() returns 1, or -1 for an API mismatch or a malformed plugin
 *    option (sudo then refuses everything, as with a broken sudoers); it
 *    never returns 0, which would silently unload the plugin.
 *  - check() returns 1 for a human without contacting the daemon; for an AI
 *    subject only when ad_gate_run() returned 1 (allowed/approved and the
 *    consume durably recorded). A config that cannot be read or parsed
 *    refuses every non-root caller with the file named; root still runs.
 *    An ambiguous subject answer (lookup error) counts as AI. A process
 *    holding a [subjects] group's gid (user_info gid=/groups=, e.g. granted
 *    by the service manager) is AI whatever /etc/group says (R7).
 *  - The executable is hashed only when trusted (ad_sudoreq_exe_hash) and,
 *    after an approval, re-hashed: a different content refuses (R9).
 *  - SIGINT/SIGTERM/SIGHUP during the wait stop it; the gate withdraws the
 *    request and we refuse. The previous handlers and mask are restored.
 */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "error.h"
#include "gate.h"
#include "num.h"
#include "plugin.h"
#include "sudoreq.h"
#include "text.h"

#define WHY_MAX 512
#define ARGV_LOG_MAX 1024

struct ad_sudo_shared ad_sudo_shared;

static struct {
	char *const *user_info;
	char *const *submit_envp;
	char config[AD_SUDO_PATH_MAX];
	struct ad_config *cfg;
	int cfg_rc;
	char cfg_err[WHY_MAX];
	char errstr[WHY_MAX];
} st;

static volatile sig_atomic_t stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int approval_open(unsigned int version, sudo_conv_t conversation,
                  sudo_printf_t sudo_plugin_printf, char *const settings[],
                  char *const user_info[], int submit_optind,
                  char *const submit_argv[], char *const submit_envp[],
                  char *const plugin_options[], const char **errstr)
{
	approval_close();
	say_set_printf(sudo_plugin_printf);
	st.user_info = user_info;
	st.submit_envp = submit_envp;
	if (sudo_open_args(st.config, sizeof(st.config), version,
	                   plugin_options, errstr) != 0)
		return -1;
	if (sodium_init() < 0) {
		st.cfg_rc = AD_ERR_CRYPTO;
		snprintf(st.cfg_err, sizeof(st.cfg_err), "libsodium: %s",
		         ad_strerror(AD_ERR_CRYPTO));
		return 1;
	}
	st.cfg_rc = ad_config_load(&st.cfg, st.config, AD_CONFIG_CLIENT,
	                           st.cfg_err, sizeof(st.cfg_err));
	return 1;
}

void approval_close(void)
{
	ad_config_free(st.cfg);
	memset(&st, 0, sizeof(st));
}

int approval_show_version(int verbose)
{
	say("approverd approval and audit plugin version %s",
	    APPROVERD_VERSION);
	return 1;
}

static int refuse(int rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Say why, keep it for sudo's own log (errstr) and return rc (0 or -1). */
static int refuse(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st.errstr, sizeof(st.errstr), fmt, ap);
	va_end(ap);
	say("%s", st.errstr);
	return rc;
}

static int config_broken(const char *user, uid_t uid, const char **errstr)
{
	char *u = ad_escape(user);

	say_log(LOG_ERR, "user=%s: cannot read client config: %s",
	        u != NULL ? u : "?", st.cfg_err);
	free(u);
	if (uid == 0)
		return 1;
	*errstr = st.errstr;
	return refuse(0,
	              "cannot tell AI accounts from humans, refusing: %s "
	              "(%s)",
	              st.cfg_err, ad_strerror(st.cfg_rc));
}

static void io_line(void *arg, const char *msg)
{
	(void)arg;
	say_line(msg);
}

static const struct ad_gate_io gate_io = {io_line, io_line, NULL};

/* "argv[0] argv[1] ..." with every argument escaped, cut at the cap. */
static void argv_text(char *out, size_t outlen, const struct ad_request *r)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->argv.n && used + 1 < outlen; i++) {
		char *e = ad_escape(r->argv.v[i]);
		int n = snprintf(out + used, outlen - used, "%s%s",
		                 i > 0 ? " " : "", e != NULL ? e : "?");

		free(e);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void log_decision(const struct ad_request *r, int ok, const char *id,
                         const char *why)
{
	char args[ARGV_LOG_MAX];
	char *user = ad_escape(r->requester), *cmd = ad_escape(r->command);
	char *reason = ad_escape(r->reason), *w = ad_escape(why);

	argv_text(args, sizeof(args), r);
	say_log(
	    ok ? LOG_NOTICE : LOG_WARNING,
	    "user=%s id=%s decision=%s command=%s argv=\"%s\" reason=\"%s\" "
	    "why=\"%s\"",
	    user ? user : "?", id[0] ? id : "-", ok ? "allow" : "refuse",
	    cmd ? cmd : "?", args, reason ? reason : "?", w ? w : "?");
	free(user);
	free(cmd);
	free(reason);
	free(w);
}

static void signals_catch(struct sigaction old[3], sigset_t *oldmask)
{
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: waits get EINTR */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	stop_flag = 0;
	for (int i = 0; i < 3; i++) {
		sigaction(sigs[i], &sa, &old[i]);
		sigaddset(&set, sigs[i]);
	}
	sigprocmask(SIG_UNBLOCK, &set, oldmask);
}

static void signals_restore(const struct sigaction old[3],
                            const sigset_t *oldmask)
{
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};

	sigprocmask(SIG_SETMASK, oldmask, NULL);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
}

static int run_gate(struct ad_request *r, char id[AD_ID_MAX], char *why,
                    size_t whylen)
{
	struct ad_gate_opts o;
	struct sigaction old[3];
	sigset_t oldmask;
	int ok;

	memset(&o, 0, sizeof(o));
	o.socket = st.cfg->client_socket;
	o.wait_s = (unsigned)st.cfg->client_wait;
	o.env_wait = ad_sudo_get(st.submit_envp, "APPROVERD_WAIT");
	o.stop = (volatile const int *)&stop_flag;
	o.pid = getpid();
	signals_catch(old, &oldmask);
	ok = ad_gate_run(&o, r, &gate_io, id, why, whylen);
	signals_restore(old, &oldmask);
	return ok == 1 ? 1 : 0;
}

/* Build the request; on failure say why (the caller refuses). */
static int describe(struct ad_request *r, const struct ad_sudo_arrays *a)
{
	char err[WHY_MAX];
	int rc;

	rc = ad_sudoreq_build(r, a, err, sizeof(err));
	if (rc == 0) {
		rc = ad_sudoreq_collect(r, "/proc", getpid(), err, sizeof(err));
		if (rc != 0)
			ad_request_free(r);
	}
	if (rc == AD_ERR_UNTRUSTED)
		return refuse(-1,
		              "refusing: %s (an AI subject's command must be a "
		              "root-owned file, not group/world-writable, in "
		              "root-owned directories; see sudo_approverd(8))",
		              err);
	if (rc != 0)
		return refuse(-1,
		              "cannot describe the command (%s: %s), refusing",
		              err, ad_strerror(rc));
	return 0;
}

/* The audit plugin's close() reports the result of this request. */
static void remember_for_audit(const char id[AD_ID_MAX])
{
	if (ad_sudo_shared.id[0] != '\0')
		return; /* intercept: keep the command sudo itself started */
	memcpy(ad_sudo_shared.id, id, sizeof(ad_sudo_shared.id));
	snprintf(ad_sudo_shared.socket, sizeof(ad_sudo_shared.socket), "%s",
	         st.cfg->client_socket);
}

/* After the approval: the executable must still hash to the approved
 * exe_hash (belt and braces; the trust rules make a change by anyone but
 * root impossible). 0 same, -1 changed or unreadable (why says so). */
static int still_same(const struct ad_request *r, char *why, size_t whylen)
{
	char hex[AD_DIGEST_HEX], err[WHY_MAX];

	if (ad_sudoreq_exe_hash(hex, r->command, r->chroot, err,
	                        sizeof(err)) != 0) {
		snprintf(why, whylen, "approved, but re-checking %s after the "
		         "approval failed (%.300s), refusing", r->command, err);
		return -1;
	}
	if (r->exe_hash == NULL || strlen(hex) != strlen(r->exe_hash) ||
	    sodium_memcmp(hex, r->exe_hash, strlen(hex)) != 0) {
		snprintf(why, whylen, "approved, but the content of %s changed "
		         "after the approval (re-hash differs from the approved "
		         "exe_hash), refusing", r->command);
		return -1;
	}
	return 0;
}

static int ai_check(char *const command_info[], char *const run_argv[],
                    char *const run_envp[], const char **errstr)
{
	struct ad_sudo_arrays a = {st.user_info, command_info, run_argv,
	                           run_envp, st.submit_envp};
	struct ad_request r;
	char why[WHY_MAX] = "", id[AD_ID_MAX] = "";
	int ok;

	*errstr = st.errstr;
	if (describe(&r, &a) != 0)
		return -1;
	ok = run_gate(&r, id, why, sizeof(why));
	if (ok == 1 && still_same(&r, why, sizeof(why)) != 0) {
		ok = 0;
		say("%s", why);
	}
	log_decision(&r, ok, id, why);
	ad_request_free(&r);
	if (ok == 1) {
		remember_for_audit(id);
		return 1;
	}
	snprintf(st.errstr, sizeof(st.errstr), "approverd: %s",
	         why[0] ? why : "not approved");
	return 0;
}

int approval_check(char *const command_info[], char *const run_argv[],
                   char *const run_envp[], const char **errstr)
{
	const char *user;
	uid_t uid;
	gid_t gid;

	*errstr = st.errstr;
	if (sudo_invoker(st.user_info, &user, &uid, &gid) != 0)
		return refuse(-1, "sudo did not say who is running it "
		                  "(user_info user/uid/gid), refusing");
	if (st.cfg == NULL)
		return config_broken(user, uid, errstr);
	if (sudo_who(st.cfg, st.user_info) == 0)
		return 1; /* the front's very test: shown to be human */
	return ai_check(command_info, run_argv, run_envp, errstr);
}
