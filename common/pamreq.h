/*
 * pamreq.h — turning what a PAM stack knows into a struct ad_request, and
 * the module's arguments (DESIGN.md §3 "AI subject, PAM").
 *
 * Invariants:
 *  - Nothing here calls libpam: the PAM entry file reads the items and
 *    passes them in, so this code is unit-tested and fuzzed directly.
 *  - Initiator: for switch-user services (su, pkexec, runuser, sudo) every
 *    candidate — the real uid, PAM_RUSER and the login uid — is checked, and
 *    the request is gated if ANY of them is an AI subject (the first one
 *    found is the requester); for login services (sshd, login) the
 *    initiator is PAM_USER. A NULL or empty target is an error, never
 *    "not an AI subject" (the caller then fails closed).
 *  - /proc bytes (cmdline, loginuid) are untrusted: parsed with hard caps;
 *    anything unexpected means "no command found", never a crash.
 */
#ifndef APPROVERD_PAMREQ_H
#define APPROVERD_PAMREQ_H

#include <stddef.h>
#include <sys/types.h>

#include "request.h"

#define AD_PAM_REQUIRE_MAX 64      /* (service, target) pairs in require= */
#define AD_PAM_NAME_MAX 256        /* service / user name cap */
#define AD_PAM_CMDLINE_MAX 65536   /* bytes of /proc/self/cmdline read */
#define AD_PAM_DEFAULT_REQUIRE "su:root,su-l:root,pkexec:root,polkit-1:root"
#define AD_PAM_DEFAULT_CONFIG "/etc/approverd/approverd.conf"

enum ad_pam_kind {
	AD_PAM_KIND_AUTO = 0, /* decide from the service name */
	AD_PAM_KIND_SWITCH,   /* su, pkexec, runuser, sudo: caller switches user */
	AD_PAM_KIND_LOGIN,    /* sshd, login, ...: the caller is the service */
};

struct ad_pam_pair {
	char *service; /* "*" matches any */
	char *target;  /* "*" matches any */
};

/* Module arguments: config=PATH debug require=LIST mode=switch|login
 * socket=PATH wait=SECONDS (wait can only lower the config's wait). */
struct ad_pam_args {
	char *config;
	int debug;
	enum ad_pam_kind kind;
	size_t n_require;
	struct ad_pam_pair require[AD_PAM_REQUIRE_MAX];
	char *socket;       /* NULL: from the config */
	int has_wait;
	unsigned wait_s;
};

/* Parse argv; unknown or malformed arguments are AD_ERR_CONFIG with the
 * argument named in err. args is zeroed on entry; free with _free. */
int ad_pam_args_parse(struct ad_pam_args *args, int argc, const char **argv,
		      char *err, size_t errlen) __attribute__((warn_unused_result));
void ad_pam_args_free(struct ad_pam_args *args);

/* Parse "su:root, pkexec:root ,sshd:*" into args->require (replacing it). */
int ad_pam_require_parse(struct ad_pam_args *args, const char *list,
			 char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* Resolve a user name: 0 and *uid, AD_ERR_NOTFOUND for no such user, or
 * another negative ad_err (an NSS failure). */
typedef int (*ad_pam_uid_fn)(void *arg, const char *name, uid_t *uid);

/*
 * 1 if (service, target) needs approval, else 0. Targets match by uid, not
 * name (a passwd alias such as "toor", uid 0, is "root"); "*" matches any.
 * When some pair lists the service, the answer is also 1 if the target is
 * uid 0 (whatever the list says), NULL, empty, unknown or its lookup fails,
 * and if the lookup of a listed target name fails (fail closed). Each name is
 * looked up at most once per call, and none is when a pair of the service
 * names the target as "*" or by its own name (the answer is 1 then). _with takes the resolver (NULL:
 * getpwnam_r); the plain form uses getpwnam_r.
 */
int ad_pam_require_match(const struct ad_pam_args *args, const char *service,
			 const char *target);
int ad_pam_require_match_with(const struct ad_pam_args *args,
			      const char *service, const char *target,
			      ad_pam_uid_fn lookup, void *arg);

/* The service kind: args->kind if set, else SWITCH for su, su-l, runuser,
 * runuser-l, sudo, sudo-i, pkexec, polkit-1, else LOGIN. */
enum ad_pam_kind ad_pam_kind_of(const struct ad_pam_args *args,
				const char *service);

/* What the PAM entry file gathered. Strings may be NULL (item unset). */
struct ad_pam_items {
	const char *service;  /* PAM_SERVICE */
	const char *user;     /* PAM_USER: the target */
	const char *ruser;    /* PAM_RUSER */
	const char *tty;      /* PAM_TTY */
	const char *rhost;    /* PAM_RHOST */
	uid_t ruid;           /* getuid() of the calling process */
	uid_t loginuid;       /* (uid_t)-1 if unset */
	const char *cmdline;  /* /proc/self/cmdline bytes (NUL-separated) */
	size_t cmdline_len;
	const char *cwd;      /* may be NULL */
	const char *host;     /* host name, may be NULL */
	/* APPROVERD_REASON/TICKET/ROLLBACK/AGENT of the invoking user (switch
	 * services only; sanitized and capped here), may be NULL */
	const char *reason, *ticket, *rollback, *agent;
	enum ad_pam_kind kind;/* resolved (SWITCH or LOGIN) */
};

/*
 * Is this candidate an AI subject? 1 yes, 0 no, negative ad_err on failure.
 * user: its name, or NULL for a kernel uid that has no passwd entry (it can
 * still lie in a [subjects] uids range). uid: the kernel uid the candidate
 * came from (real uid, login uid), or (uid_t)-1 for a candidate given by
 * name (PAM_USER, PAM_RUSER).
 */
typedef int (*ad_subject_fn)(void *arg, const char *user, uid_t uid);

/*
 * Find the AI initiator. Returns 1 and a malloc'ed *name (+ *uid) when one
 * of the candidates is an AI subject, 0 when none is (the caller returns
 * PAM_IGNORE), or a negative ad_err (NULL/empty target or service, or an AI
 * uid without a passwd entry, which no request can name: the caller fails
 * closed). *name is zeroed on entry.
 */
int ad_pamreq_initiator(char **name, uid_t *uid, const struct ad_pam_items *it,
			ad_subject_fn is_subject, void *arg)
	__attribute__((warn_unused_result));

/*
 * Build the complete request for "SERVICE as TARGET" by initiator. For
 * su/runuser the command is the target's shell and argv what su hands it
 * ([shell, "-c", CMD, extra...]) when the caller's command line carries a
 * command or shell arguments; for pkexec the program and its arguments as
 * typed; else command "" and no argv (a session). sponsor = the login
 * uid's user when it is another user. r is initialised on entry; on
 * failure it is freed and err names the field.
 */
int ad_pamreq_build(struct ad_request *r, const struct ad_pam_items *it,
		    const char *initiator, uid_t initiator_uid, char *err,
		    size_t errlen) __attribute__((warn_unused_result));

/*
 * Find the command in a su/runuser or pkexec command line (NUL-separated,
 * as in /proc/self/cmdline). su/runuser: getopt_long rules (-c CMD, -cCMD,
 * -lc CMD, --command[=]CMD, unique prefixes such as --comm, -C/--session-
 * command; "--" ends options); *argv_out gets what su hands the shell after
 * its name: ["-c", CMD, extra positional arguments after the user...].
 * pkexec: [program, args...] (first non-option argument on). Vector is
 * malloc'ed and NULL-terminated (free with ad_strv_free). Returns 1 found,
 * 0 none (a session, or another program), negative ad_err (NOMEM, TOOBIG).
 */
int ad_pamreq_find_command(char ***argv_out, size_t *n_out,
			   const char *cmdline, size_t len)
	__attribute__((warn_unused_result));

/*
 * Read /proc/self/cmdline (malloc'ed, *len bytes; AD_ERR_TOOBIG above
 * AD_PAM_CMDLINE_MAX) and /proc/self/loginuid ((uid_t)-1 when unset or
 * unreadable: kernels without audit). proc is the /proc root ("/proc").
 */
int ad_pamreq_read_self(char **cmdline, size_t *len, uid_t *loginuid,
			const char *proc) __attribute__((warn_unused_result));

/* Parse /proc/self/loginuid text ("1000\n"; "4294967295" = unset). */
int ad_pamreq_parse_loginuid(uid_t *out, const char *buf, size_t len)
	__attribute__((warn_unused_result));

#endif
