/*
 * audit.c — the audit plugin: when an approved AI command ends, record how
 * it ended (`result`: exit status or signal) with the daemon.
 *
 * Invariants (DESIGN.md §3 step 6, §4.2): only commands that the approval
 * plugin let through for an AI subject (ad_sudo_shared.id set) are
 * reported; a failure to report is logged loudly but cannot undo a command
 * that already ran. open() always returns 1: auditing never blocks a human.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>

#include "client.h"
#include "error.h"
#include "gate.h"
#include "plugin.h"

/* How an exec failure is reported: like a shell's "cannot execute". */
#define EXEC_ERROR_STATUS 127

int audit_open(unsigned int version, sudo_conv_t conversation,
               sudo_printf_t sudo_plugin_printf, char *const settings[],
               char *const user_info[], int submit_optind,
               char *const submit_argv[], char *const submit_envp[],
               char *const plugin_options[], const char **errstr)
{
	say_set_printf(sudo_plugin_printf);
	return 1;
}

static void report(int exit_status, int sig)
{
	struct ad_client *c = NULL;
	int rc;

	rc = ad_client_connect(&c, ad_sudo_shared.socket, AD_GATE_CONNECT_MS);
	if (rc == 0)
		rc = ad_client_result(c, ad_sudo_shared.id, exit_status, sig);
	ad_client_close(c);
	if (rc != 0) {
		say_log(LOG_ERR,
		        "id=%s: cannot record the result "
		        "(exit=%d signal=%d) with %s: %s",
		        ad_sudo_shared.id, exit_status, sig,
		        ad_sudo_shared.socket, ad_strerror(rc));
		say("cannot record the result of %s with approverd: %s",
		    ad_sudo_shared.id, ad_strerror(rc));
		return;
	}
	say_log(LOG_INFO, "id=%s result exit=%d signal=%d", ad_sudo_shared.id,
	        exit_status, sig);
}

void audit_close(int status_type, int status)
{
	if (ad_sudo_shared.id[0] == '\0')
		return;
	switch (status_type) {
	case SUDO_PLUGIN_WAIT_STATUS:
		if (WIFSIGNALED(status))
			report(-1, WTERMSIG(status));
		else if (WIFEXITED(status))
			report(WEXITSTATUS(status), 0);
		break;
	case SUDO_PLUGIN_EXEC_ERROR:
		say_log(LOG_WARNING, "id=%s: command could not be run: %s",
		        ad_sudo_shared.id, strerror(status));
		report(EXEC_ERROR_STATUS, 0);
		break;
	default:
		say_log(LOG_WARNING, "id=%s: sudo reported no exit status",
		        ad_sudo_shared.id);
		break;
	}
	memset(&ad_sudo_shared, 0, sizeof(ad_sudo_shared));
}
