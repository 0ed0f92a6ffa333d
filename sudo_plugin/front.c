/*
 * front.c — the human fast path of sudo_approverd.so. It needs only libc:
 * approverd.conf is read through the trusted-file rules and nano_conf.h's
 * reader, not libinih; the full approval and audit plugins (libsodium,
 * jansson, inih, the daemon client) live in sudo_approverd_core.so, loaded
 * from the front's own directory (common/coreload.h) for callers that are
 * not shown to be human.
 *
 * Invariants (DESIGN.md §3, §4.2, §4.3):
 *  - open() returns 1, or -1 for an API mismatch or a malformed plugin
 *    option; never 0 (sudo would silently drop the plugin).
 *  - check() returns 1 without the core only when the config loaded and
 *    sudo_who() (the code the core uses too) found no AI subject. Every
 *    other caller (AI subject, NSS error, config unreadable, broken or not
 *    understood whole by ad_nano_parse, incomplete user_info) is handed to
 *    the core's approval plugin, which reads the file with config.c and
 *    decides exactly as it would alone; it gets the arguments sudo gave
 *    this open() (sudo keeps them valid until close()).
 *  - With [subjects] uids alone, sudo_who() makes no name-service look-up.
 *  - Core missing, untrusted, unloadable or of another version: that
 *    caller is refused (0) with the core's path and the reason, on sudo's
 *    stderr, in errstr and in syslog; root still runs when the config
 *    could not be read at all (§4.2), not when it was read but not read
 *    whole (only the core could tell whether it names root).
 *  - The audit close is forwarded only when the core was loaded: only the
 *    core can have let an AI command through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "coreload.h"
#include "error.h"
#include "nano_conf.h"
#include "plugin.h"
#include "text.h"

#define WHY_MAX 512

static struct {
	unsigned int version;
	sudo_conv_t conv;
	sudo_printf_t printf_fn;
	char *const *settings;
	char *const *user_info;
	int submit_optind;
	char *const *submit_argv;
	char *const *submit_envp;
	char *const *plugin_options;
	char config[AD_SUDO_PATH_MAX];
	struct ad_config *cfg;
	int core_open; /* the core's approval open() returned 1 */
	int unreadable; /* the config failed the trusted-file read */
	char errstr[WHY_MAX];
} fs;

/* Loaded once, kept for the life of sudo (the audit close may need it). */
static const struct ad_sudo_core *core;

int front_open(unsigned int version, sudo_conv_t conversation,
               sudo_printf_t sudo_plugin_printf, char *const settings[],
               char *const user_info[], int submit_optind,
               char *const submit_argv[], char *const submit_envp[],
               char *const plugin_options[], const char **errstr)
{
	int rc;

	front_close();
	say_set_printf(sudo_plugin_printf);
	fs.version = version;
	fs.conv = conversation;
	fs.printf_fn = sudo_plugin_printf;
	fs.settings = settings;
	fs.user_info = user_info;
	fs.submit_optind = submit_optind;
	fs.submit_argv = submit_argv;
	fs.submit_envp = submit_envp;
	fs.plugin_options = plugin_options;
	if (sudo_open_args(fs.config, sizeof(fs.config), version,
	                   plugin_options, errstr) != 0)
		return -1;
	/* On failure the core reloads it and reports (root passes, others
	 * are refused); the front only needs to know it is not a human. */
	rc = ad_nano_load(&fs.cfg, fs.config, NULL, 0);
	if (rc != 0)
		fs.cfg = NULL;
	fs.unreadable = rc < 0;
	return 1;
}

void front_close(void)
{
	if (fs.core_open && core != NULL)
		core->approval->close();
	ad_config_free(fs.cfg);
	memset(&fs, 0, sizeof(fs));
}

int front_show_version(int verbose)
{
	say("approverd approval and audit plugin version %s",
	    APPROVERD_VERSION);
	return 1;
}

static int core_get(char *why, size_t whylen)
{
	const struct ad_sudo_core *c;
	void *p;
	int rc;

	if (core != NULL)
		return 0;
	rc = ad_core_load(&p, &fs, AD_SUDO_CORE_FILE, AD_SUDO_CORE_SYM, why,
	                  whylen);
	if (rc != 0)
		return rc;
	c = p; /* ABI and version checked by ad_core_load */
	if (c->approval == NULL || c->audit == NULL) {
		snprintf(why, whylen, "%s: no approval or audit plugin in it",
		         AD_SUDO_CORE_FILE);
		return AD_ERR_INVALID;
	}
	core = c;
	return 0;
}

/* No core: refuse this caller (it may be an AI subject) and say why. */
static int core_missing(const char *why, const char **errstr)
{
	const char *user = NULL;
	uid_t uid;
	gid_t gid;
	char *u;

	if (sudo_invoker(fs.user_info, &user, &uid, &gid) != 0)
		user = NULL;
	u = ad_escape(user != NULL ? user : "?");
	say_log(LOG_ERR, "user=%s: cannot load the approval core: %s; "
	        "refusing", u != NULL ? u : "?", why);
	free(u);
	snprintf(fs.errstr, sizeof(fs.errstr),
	         "approverd: cannot load the approval core (%.400s); refusing",
	         why);
	say("cannot load the approval core (%s); refusing (see "
	    "sudo_approverd(8))", why);
	*errstr = fs.errstr;
	return 0;
}

int front_check(char *const command_info[], char *const run_argv[],
                char *const run_envp[], const char **errstr)
{
	char why[WHY_MAX];
	int rc;

	*errstr = fs.errstr;
	if (sudo_who(fs.cfg, fs.user_info) == 0)
		return 1;
	if (core_get(why, sizeof(why)) != 0) {
		const char *user;
		uid_t uid = (uid_t)-1;
		gid_t gid;

		/* DESIGN §4.2: with the config unreadable root still runs,
		 * even when the core (which says so loudly) cannot be loaded.
		 * A file read but not read whole may be valid and name root:
		 * only the core could tell, so root is refused like anyone. */
		if (fs.unreadable &&
		    sudo_invoker(fs.user_info, &user, &uid, &gid) == 0 &&
		    uid == 0) {
			say("%s is unusable and the approval core cannot be "
			    "loaded (%s); root runs, everyone else is refused",
			    fs.config, why);
			return 1;
		}
		return core_missing(why, errstr);
	}
	if (!fs.core_open) {
		rc = core->approval->open(
		    fs.version, fs.conv, fs.printf_fn, fs.settings,
		    fs.user_info, fs.submit_optind, fs.submit_argv,
		    fs.submit_envp, fs.plugin_options, errstr);
		if (rc != 1)
			return -1;
		fs.core_open = 1;
	}
	return core->approval->check(command_info, run_argv, run_envp,
	                             errstr);
}

int front_audit_open(unsigned int version, sudo_conv_t conversation,
                     sudo_printf_t sudo_plugin_printf, char *const settings[],
                     char *const user_info[], int submit_optind,
                     char *const submit_argv[], char *const submit_envp[],
                     char *const plugin_options[], const char **errstr)
{
	say_set_printf(sudo_plugin_printf);
	return 1;
}

void front_audit_close(int status_type, int status)
{
	if (core != NULL)
		core->audit->close(status_type, status);
}
