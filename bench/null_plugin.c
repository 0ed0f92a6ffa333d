/*
 * null_plugin.c — the floor of any sudo approval plugin (bench/s_sudo.sh,
 * variant "null"): a version, an open() returning 1 and a check()
 * returning 1, nothing else. No library but libc, no config, no look-up:
 * what sudo pays to load and call an approval plugin at all.
 * Built by bench/run.sh as $O/bench/null_plugin.so; never installed.
 */
#include <sudo_plugin.h>

extern struct approval_plugin null_approval;

static int null_open(unsigned int version, sudo_conv_t conversation,
                     sudo_printf_t sudo_plugin_printf, char *const settings[],
                     char *const user_info[], int submit_optind,
                     char *const submit_argv[], char *const submit_envp[],
                     char *const plugin_options[], const char **errstr)
{
	return 1;
}

static int null_check(char *const command_info[], char *const run_argv[],
                      char *const run_envp[], const char **errstr)
{
	return 1;
}

struct approval_plugin null_approval = {
    .type = SUDO_APPROVAL_PLUGIN,
    .version = SUDO_API_VERSION,
    .open = null_open,
    .check = null_check,
};
