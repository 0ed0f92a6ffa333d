/*
 * doctor.h — internals of `approverctl doctor` (ctl_doctor.c, doctor_*.c).
 *
 * Each check reports one or more lines through doc_report(); doctor reads
 * files and asks the daemon, it never changes anything on the host. Paths
 * of the system (/etc/sudo.conf, /etc/pam.d, the sudo plugin and PAM module
 * files, the default config) are taken under --root; paths named inside
 * approverd.conf are used as written.
 */
#ifndef APPROVERCTL_DOCTOR_H
#define APPROVERCTL_DOCTOR_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"
#include "keys.h"
#include "policy.h"

enum doc_status { DOC_OK = 0, DOC_WARN, DOC_FAIL };

#define DOC_PATH_MAX 4096
#define DOC_DETAIL_MAX 1024

struct doc {
	const char *root;          /* "" or --root DIR (no trailing slash) */
	const char *config_path;   /* the config file actually read */
	int json;                  /* --json */
	json_t *results;           /* --json: the array being built */
	unsigned n_ok, n_warn, n_fail;
	struct ad_config *cfg;     /* NULL when the config is invalid */
	struct ad_policy *pol;     /* NULL when the policy is invalid */
	struct ad_keyring *ring;   /* approver keys that loaded, may be NULL */
	uid_t daemon_uid;          /* uid of cfg->user, (uid_t)-1 if unknown */
};

/* Record one result line. detail is printf-style; fix may be NULL. */
void doc_report(struct doc *d, enum doc_status st, const char *check,
		const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* snprintf that says whether it fit: 0, or AD_ERR_TOOBIG (out cut). */
int doc_fmt(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fopen(path, "r") that never blocks on a FIFO or device: NULL with errno
 * EINVAL when path is not a regular file (symlinks are followed, as sudo
 * and PAM follow them). */
FILE *doc_fopen_regular(const char *path);

/* out = root + abs (abs must start with '/'); AD_ERR_TOOBIG if too long. */
int doc_path(const struct doc *d, char out[DOC_PATH_MAX], const char *abs);

/* 1 if the (lstat'ed) file is owned by root or the daemon user. */
int doc_owner_trusted(const struct doc *d, uid_t uid);

/* Is user (a unix user name) an AI subject of the config? 1 yes, 0 no,
 * negative when NSS cannot tell (treated as yes by the callers). */
int doc_user_is_ai(const struct doc *d, const char *user);

/* host.pub next to host.key: "X.key" -> "X.pub", else "X" -> "X.pub". */
int doc_host_pub_path(char out[DOC_PATH_MAX], const char *host_key);

/* The checks, in the order they are printed. */
void doc_check_sudo(struct doc *d);       /* doctor_sudo.c */
void doc_check_pam(struct doc *d);        /* doctor_pam.c */
void doc_check_config(struct doc *d);     /* doctor_files.c */
void doc_check_keys(struct doc *d);       /* doctor_keys.c */
void doc_check_roles(struct doc *d);      /* doctor_roles.c */
void doc_check_host_key(struct doc *d);   /* doctor_keys.c */
void doc_check_evidence(struct doc *d);   /* doctor_files.c */
void doc_check_daemon(struct doc *d);     /* doctor_sys.c */
void doc_check_clock(struct doc *d);      /* doctor_sys.c */

#endif
