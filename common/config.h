/*
 * config.h — approverd.conf (DESIGN.md §2, §5; approverd.conf(5)).
 *
 * Invariants: the file is read with ad_safe_read (root-owned, not writable by
 * others, no symlink: §4.7); any unknown section or key, bad value, relative
 * path or duplicate key is an error "FILE:LINE: what is wrong" and nothing is
 * returned (no partial config). AD_CONFIG_CLIENT parses only [subjects] and
 * [client] (the sudo plugin and PAM module, §2) and skips the keys of
 * [daemon] without looking at them; an unknown section name is an error in
 * both modes (a misspelt [subjects] must not turn AI accounts into humans).
 */
#ifndef APPROVERD_CONFIG_H
#define APPROVERD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AD_CONFIG_PATH "/etc/approverd/approverd.conf"
#define AD_DEFAULT_SOCKET "/run/approverd/approverd.sock"
#define AD_DEFAULT_EVIDENCE "/var/lib/approverd/evidence.log"
#define AD_DEFAULT_HOST_KEY "/etc/approverd/host.key"
#define AD_DEFAULT_APPROVERS_DIR "/etc/approverd/approvers.d"
#define AD_DEFAULT_POLICY "/etc/approverd/policy.conf"
#define AD_DEFAULT_USER "approverd"
#define AD_CONFIG_FILE_MAX (1024 * 1024)

enum ad_config_flags {
	AD_CONFIG_FULL = 0,      /* daemon, approverctl: every section */
	AD_CONFIG_CLIENT = 1,    /* sudo plugin, PAM: [subjects], [client] */
};

struct ad_config {
	char *path;              /* file it was loaded from */
	int flags;
	/* [daemon] */
	char *socket;
	char *evidence;
	char *host_key;
	char *approvers_dir;
	char *policy;
	char *user;              /* daemon drops to this user */
	char *host_id;           /* default: gethostname() */
	uint64_t request_ttl;    /* seconds a pending request lives (30m) */
	uint64_t max_approval_ttl; /* rule without max_ttl (1h) */
	uint32_t checkpoint_every; /* records between checkpoints (1000) */
	uint64_t checkpoint_interval; /* seconds between checkpoints (5m) */
	uint32_t max_pending_per_requester; /* 16 */
	uint32_t max_connections;  /* 256 */
	uint64_t idle_timeout;     /* seconds (60) */
	/* [subjects] */
	char **subject_users;    /* NULL-terminated, may be empty */
	size_t n_subject_users;
	char **subject_groups;
	size_t n_subject_groups;
	/* [client] */
	uint64_t client_wait;    /* seconds to wait for a decision (300) */
	char *client_socket;     /* default: [daemon] socket */
};

/*
 * Load path (absolute) into *out (NULL on error). flags: AD_CONFIG_FULL or
 * AD_CONFIG_CLIENT. On error err holds "FILE:LINE: what is wrong" or
 * "FILE: reason" and the return is AD_ERR_CONFIG, AD_ERR_UNTRUSTED,
 * AD_ERR_NOTFOUND, AD_ERR_IO, AD_ERR_TOOBIG or AD_ERR_NOMEM.
 */
int ad_config_load(struct ad_config **out, const char *path, int flags,
		   char *err, size_t errlen) __attribute__((warn_unused_result));

/* The same from text already in memory (file names the text in messages;
 * used by the loader, the tests and the fuzzer). */
int ad_config_parse(struct ad_config **out, const char *file,
		    const char *text, int flags, char *err, size_t errlen)
	__attribute__((warn_unused_result));

void ad_config_free(struct ad_config *c);

/*
 * 1 if user (uid, primary gid) is an AI subject: its name (or a listed
 * name's uid) is in [subjects] users, or it is a member of a group in
 * [subjects] groups (primary gid or getgrouplist). 0 if not. A negative
 * ad_err if the answer cannot be known (callers treat that as "AI subject").
 */
int ad_subject_is_ai(const struct ad_config *c, const char *user, uid_t uid,
		     gid_t gid) __attribute__((warn_unused_result));

#endif
