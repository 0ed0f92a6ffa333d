/*
 * plugin.h — internals shared by the files of sudo_approverd.so (the front:
 * entry.c, front.c, who.c, say.c; libc and libinih only) and of
 * sudo_approverd_core.so (the core: approval.c, audit.c, core_entry.c, who.c,
 * say.c; libsodium, jansson, inih), which the front dlopen()s only for a
 * caller it cannot show to be human (docs/formats/sudo-plugin.md).
 *
 * Invariants (DESIGN.md §4.2, §4.3):
 *  - approval_open() never returns 0 (sudo would silently drop the plugin);
 *    approval_check() returns 1 for an AI subject only when ad_gate_run()
 *    said allowed (durable consume first); every error path returns 0 or -1.
 *  - A human (not in [subjects]) gets 1 without any daemon contact and
 *    without loading the core.
 *  - The front forwards every other caller to the core; if the core cannot
 *    be loaded, that caller is refused (0) with the core's path and reason.
 *  - Nothing here exits, prints to stdout, or changes sudo's openlog() state;
 *    messages go through sudo's plugin printf.
 */
#ifndef APPROVERD_SUDO_PLUGIN_H
#define APPROVERD_SUDO_PLUGIN_H

#include <sudo_plugin.h>

#include <sys/types.h>

#include "config.h"
#include "coreload.h"
#include "request.h"

#define AD_SUDO_DEFAULT_CONFIG "/etc/approverd/approverd.conf"
#define AD_SUDO_MSG_MAX 2048
#define AD_SUDO_PATH_MAX 4096

/* What the approval check leaves for the audit plugin's close(). */
struct ad_sudo_shared {
	char id[AD_ID_MAX];            /* approved AI request, "" if none */
	char socket[AD_SUDO_PATH_MAX]; /* daemon socket to report to */
};
extern struct ad_sudo_shared ad_sudo_shared;

/* The core's one exported symbol (AD_SUDO_CORE_SYM), read by front.c. */
#define AD_SUDO_CORE_FILE "sudo_approverd_core.so"
#define AD_SUDO_CORE_SYM "approverd_sudo_core"
struct ad_sudo_core {
	struct ad_core_head head; /* ABI and version (coreload.h) */
	struct approval_plugin *approval;
	struct audit_plugin *audit;
};

/* who.c: sudo_open_args() the checks both open()s make: config receives
 * the default path or config=PATH; -1 (errstr set, reason said) for
 * another API major version or a malformed option, else 0. The invoker
 * from user_info (-1 if incomplete); sudo_who() 0 only for a caller shown
 * to be human, 1 otherwise (AI, unknown, no config). */
int sudo_open_args(char *config, size_t len, unsigned int version,
                   char *const opts[], const char **errstr);
int sudo_invoker(char *const user_info[], const char **user, uid_t *uid,
                 gid_t *gid);
int sudo_who(const struct ad_config *cfg, char *const user_info[]);

/* front.c: the exported plugins' functions (entry.c) */
int front_open(unsigned int version, sudo_conv_t conversation,
               sudo_printf_t sudo_plugin_printf, char *const settings[],
               char *const user_info[], int submit_optind,
               char *const submit_argv[], char *const submit_envp[],
               char *const plugin_options[], const char **errstr);
void front_close(void);
int front_check(char *const command_info[], char *const run_argv[],
                char *const run_envp[], const char **errstr);
int front_show_version(int verbose);
int front_audit_open(unsigned int version, sudo_conv_t conversation,
                     sudo_printf_t sudo_plugin_printf, char *const settings[],
                     char *const user_info[], int submit_optind,
                     char *const submit_argv[], char *const submit_envp[],
                     char *const plugin_options[], const char **errstr);
void front_audit_close(int status_type, int status);

/* approval.c (core) */
int approval_open(unsigned int version, sudo_conv_t conversation,
                  sudo_printf_t sudo_plugin_printf, char *const settings[],
                  char *const user_info[], int submit_optind,
                  char *const submit_argv[], char *const submit_envp[],
                  char *const plugin_options[], const char **errstr);
void approval_close(void);
int approval_check(char *const command_info[], char *const run_argv[],
                   char *const run_envp[], const char **errstr);
int approval_show_version(int verbose);

/* audit.c (core) */
int audit_open(unsigned int version, sudo_conv_t conversation,
               sudo_printf_t sudo_plugin_printf, char *const settings[],
               char *const user_info[], int submit_optind,
               char *const submit_argv[], char *const submit_envp[],
               char *const plugin_options[], const char **errstr);
void audit_close(int status_type, int status);

/* say.c: "sudo_approverd: MSG" on sudo's stderr via the plugin printf
 * (never stdout: a command's output stays clean), and to syslog
 * (LOG_AUTHPRIV) with every untrusted byte escaped. */
void say_set_printf(sudo_printf_t fn);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line already prefixed by its author (the gate's "approverd: ..."). */
void say_line(const char *msg);
void say_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
