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
 * [subjects] uids holds at most AD_SUBJECT_UIDS_MAX ranges, each with
 * 1 <= lo <= hi <= 4294967294: uid 0 (root) and (uid_t)-1 (the "unknown"
 * uid callers pass) are never in a range.
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
#define AD_NOTIFY_TARGETS_MAX 16
#define AD_URL_MAX 190 /* fits one config line (ini_lines.h) */
#define AD_SUBJECT_UIDS_MAX 64 /* ranges in [subjects] uids */
#define AD_CLIENT_WAIT_DEFAULT 300 /* [client] wait, seconds */
#define AD_CLIENT_WAIT_MAX 86400
#define AD_SUBJECT_UID_MAX 4294967294u /* (uid_t)-1 is never listed */

/* [notify NAME] (docs/NOTIFY.md, approverd.conf(5)). */
enum ad_notify_format { AD_NOTIFY_JSON = 0, AD_NOTIFY_SLACK = 1 };
enum ad_notify_events { AD_NOTIFY_EV_REQUEST = 1, AD_NOTIFY_EV_DECISION = 2 };

struct ad_notify_target {
	char *name;
	char *url;               /* http:// or https:// */
	enum ad_notify_format format;   /* json */
	unsigned events;         /* AD_NOTIFY_EV_* bits (request, decision) */
	char *header_file;       /* NULL: none; else "Name: value" lines */
	char *ca_file;           /* NULL: the system CA bundle */
	char *proxy;             /* NULL: no proxy, environment ignored */
	uint64_t timeout;        /* seconds per attempt (5) */
	uint32_t retries;        /* attempts after the first (3) */
	uint64_t backoff;        /* seconds before retry 1, doubled (2) */
	unsigned line;           /* of the [notify NAME] header */
	unsigned seen;           /* keys given (parser bookkeeping) */
};

/* [subjects] uids: "N" (lo == hi) or "N-M", 1 <= lo <= hi. */
struct ad_uid_range {
	uint32_t lo, hi;
};

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
	uint32_t notify_queue;     /* deliveries queued at most (256) */
	uint64_t check_timeout;    /* ticket/precheck HTTP timeout, s (3; <= 4
				    * so a client hears back within 5s) */
	char *check_ca_file;       /* NULL: the system CA bundle */
	char *check_proxy;         /* NULL: no proxy, environment ignored */
	/* [subjects] */
	char **subject_users;    /* NULL-terminated, may be empty */
	size_t n_subject_users;
	char **subject_groups;
	size_t n_subject_groups;
	struct ad_uid_range *subject_uids; /* file order; NULL when none */
	size_t n_subject_uids;   /* <= AD_SUBJECT_UIDS_MAX */
	/* [client] */
	uint64_t client_wait;    /* seconds to wait for a decision (300) */
	char *client_socket;     /* default: [daemon] socket */
	/* [notify NAME] sections, file order (none in AD_CONFIG_CLIENT) */
	struct ad_notify_target *notify;
	size_t n_notify;
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
 * 0 if url is an absolute http:// or https:// URL with a host, at most
 * AD_URL_MAX bytes, without spaces, control bytes, quotes, backslashes or
 * a fragment; else AD_ERR_CONFIG with why saying what is wrong.
 */
int ad_url_check(const char *url, char *why, size_t whylen)
	__attribute__((warn_unused_result));

/*
 * 1 if uid lies in a [subjects] uids range, 0 if not (c NULL, no ranges,
 * uid 0 or (uid_t)-1). Pure: no name-service look-up.
 */
int ad_subject_uid_listed(const struct ad_config *c, uid_t uid)
	__attribute__((warn_unused_result));

/*
 * 1 if user (uid, primary gid) is an AI subject: its uid is in a [subjects]
 * uids range (decided first, without NSS), its name (or a listed name's
 * uid) is in [subjects] users, or it is a member of a group in [subjects]
 * groups (primary gid or getgrouplist). 0 if not. A negative ad_err if the
 * answer cannot be known (callers treat that as "AI subject"). uid must be
 * the user's real uid (kernel or NSS), or (uid_t)-1 when it has none.
 */
int ad_subject_is_ai(const struct ad_config *c, const char *user, uid_t uid,
		     gid_t gid) __attribute__((warn_unused_result));

/*
 * 1 if any of the n gids a process holds (its primary gid and supplementary
 * groups at run time, e.g. sudo's user_info groups=, getgroups()) is the gid
 * of a [subjects] group, 0 if none is. A configured group whose name NSS
 * cannot look up (error, not "no such group") counts as a hit: 1 (fail
 * closed). Membership granted by a service manager therefore counts.
 */
int ad_subject_gids_ai(const struct ad_config *c, const gid_t *gids,
		       size_t n) __attribute__((warn_unused_result));

/*
 * The same two answers for one decision that asks both (sudo: the user and
 * its held gids; PAM: each initiator candidate), each NSS look-up made at
 * most once and only when first needed: a listed group's gid serves the
 * membership test and the held-gid test, a listed user's uid serves every
 * alias test. Answers, errors and fail-closed results are those of the
 * functions above. Not a cache across decisions (NSS may change): init at
 * the start of one, free at its end. init: 0, or AD_ERR_INVALID (c NULL) /
 * AD_ERR_NOMEM, and then the memo answers "AI" (is_ai: AD_ERR_INVALID,
 * gids_ai: 1).
 */
struct ad_subject_id {
	int done;                /* looked up */
	int rc;                  /* 1 found, 0 no such name, <0 ad_err */
	uint32_t id;             /* gid or uid when rc == 1 */
};
struct ad_subject_memo {
	const struct ad_config *cfg;
	struct ad_subject_id *id; /* n_subject_groups, then n_subject_users */
};
int ad_subject_memo_init(struct ad_subject_memo *m, const struct ad_config *c)
	__attribute__((warn_unused_result));
void ad_subject_memo_free(struct ad_subject_memo *m);
int ad_subject_memo_is_ai(struct ad_subject_memo *m, const char *user,
			  uid_t uid, gid_t gid)
	__attribute__((warn_unused_result));
int ad_subject_memo_gids_ai(struct ad_subject_memo *m, const gid_t *gids,
			    size_t n) __attribute__((warn_unused_result));

#endif
