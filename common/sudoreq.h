/*
 * sudoreq.h — turning what sudo hands an approval plugin into a struct
 * ad_request (DESIGN.md §3 "AI subject, sudo", step 2).
 *
 * Invariants:
 *  - Nothing here calls sudo: the plugin entry file passes sudo's arrays
 *    (user_info, command_info, run_argv, run_envp, submit_envp) in, so this
 *    code is unit-tested and fuzzed directly. Every array entry is untrusted:
 *    "key=value" split at the first '=', hard caps (AD_FIELD_MAX per field,
 *    AD_ARGV_MAX / AD_ENV_MAX entries); anything over a cap is an error,
 *    never a silent cut (the caller then refuses).
 *  - The environment kept for the execution digest is run_envp minus the
 *    benign list below and minus APPROVERD_*; it is sorted, so the same
 *    environment always gives the same digest.
 *  - APPROVERD_REASON/TICKET/ROLLBACK/AGENT come only from submit_envp (the
 *    invoking user's environment) and pass through ad_sanitize with
 *    AD_CONTEXT_MAX; they never enter the execution digest.
 *  - A required key missing (user, uid, command, runas uid) is an error with
 *    the key named in err.
 */
#ifndef APPROVERD_SUDOREQ_H
#define APPROVERD_SUDOREQ_H

#include <stddef.h>
#include <sys/types.h>

#include "request.h"

#define AD_SUDO_SERVICE "sudo"
#define AD_SUDO_PROC_MAX 64 /* bytes read from /proc/PID/loginuid */

/* What sudo passed; any array may be NULL (treated as empty). */
struct ad_sudo_arrays {
	char *const *user_info;
	char *const *command_info;
	char *const *run_argv;
	char *const *run_envp;
	char *const *submit_envp;
};

/*
 * Value of key in a sudo "key=value" array, or NULL. The first match wins
 * (sudo never repeats a key); entries without '=' are skipped.
 */
const char *ad_sudo_get(char *const *kv, const char *key);
/* The value of one "key=value" entry if its key is key, else NULL. */
const char *ad_sudo_value(const char *entry, const char *key);

/* 1 if the run_envp entry "NAME=VALUE" (or a bare NAME) is left out of the
 * execution digest: the benign list (TERM, COLORTERM, COLUMNS, LINES,
 * COLORS, LS_COLORS, LANG, LANGUAGE, LC_*, TZ, MAIL, HOSTNAME) or APPROVERD_*.
 */
int ad_sudo_env_benign(const char *entry);

/*
 * Build the request from the arrays alone (no I/O): requester (user, uid),
 * host, service "sudo", runas (runas_user, runas_euid or runas_uid,
 * runas_egid or runas_gid, runas_groups), command, argv (run_argv), cwd
 * (command_info cwd, else user_info cwd), chroot, env (filtered, sorted),
 * tty, and the APPROVERD_* context. exe_hash and sponsor are left "" (see
 * ad_sudoreq_collect). r is initialised on entry; on failure it is freed,
 * err ("FIELD: what") names the field and a negative ad_err is returned.
 */
int ad_sudoreq_build(struct ad_request *r, const struct ad_sudo_arrays *a,
                     char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * The I/O half: exe_hash = ad_sudoreq_exe_hash(r->command, r->chroot)
 * (trusted executables only, see below), and sponsor = the user name of PROC/PID/loginuid when that
 * uid is set and differs from r->uid ("" otherwise; a login uid without a
 * passwd entry becomes "#UID"). proc_root is "/proc" outside tests.
 * Failure to hash is an error (the caller refuses); an unreadable loginuid
 * leaves sponsor "". err names the file.
 */
int ad_sudoreq_collect(struct ad_request *r, const char *proc_root, pid_t pid,
                       char *err, size_t errlen)
    __attribute__((warn_unused_result));

/*
 * exe_hash of command (under chroot when set and not "/"): BLAKE2b-256 hex
 * of the content, read from the fd that passed the trust checks. Refused
 * (AD_ERR_UNTRUSTED, err "PATH: reason") unless the file is a regular file
 * owned by root and not group/world-writable, every directory of its real
 * path is root's and not group/world-writable (sticky allowed), and every
 * component of the path as given lives in such a directory (in a sticky
 * one the entry itself must be root's). A missing file is AD_ERR_IO.
 * Used for the request and again after the approval (re-hash).
 */
int ad_sudoreq_exe_hash(char hex[AD_DIGEST_HEX], const char *command,
                        const char *chroot, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Parse loginuid text ("1000\n"; "4294967295" means unset -> (uid_t)-1). */
int ad_sudoreq_parse_loginuid(uid_t *out, const char *buf, size_t len)
    __attribute__((warn_unused_result));

#endif
