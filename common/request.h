/*
 * request.h — the operation an AI subject asks to run, as every part sees it.
 *
 * Invariants kept here (DESIGN.md §3 step 3, §4.5):
 *  - The execution digest covers exactly what would run: requester, uid,
 *    host, service, runas (user, uid, gid, groups), command path, exe_hash,
 *    argv, cwd, chroot, env. Re-runs are matched on it alone.
 *  - The request digest covers the execution digest plus the context:
 *    id, reason, ticket, rollback, agent, sponsor, tty, rhost, rule,
 *    created_us. Approvers sign the request digest.
 *  - Both use the canonical, length-prefixed, domain-separated encoding of
 *    docs/FORMATS.md, so no two different requests encode to the same bytes.
 * All strings are NUL-terminated UTF-8 or bytes without NUL; "" means absent
 * (never NULL once a request is complete: ad_request_from_json fills "").
 */
#ifndef APPROVERD_REQUEST_H
#define APPROVERD_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define AD_DIGEST_LEN 32       /* BLAKE2b-256 (crypto_generichash) */
#define AD_DIGEST_HEX (AD_DIGEST_LEN * 2 + 1)
#define AD_ID_MAX 24           /* "R-7F3A-9C21" plus room */
#define AD_FIELD_MAX 4096      /* cap for any single string field */
#define AD_CONTEXT_MAX 1024    /* cap for reason/ticket/rollback/agent */
#define AD_ARGV_MAX 1024       /* cap on argv entries */
#define AD_ENV_MAX 256         /* cap on env entries */
#define AD_REQUEST_JSON_MAX (256 * 1024) /* cap on a whole encoded request */

enum ad_state {
	AD_STATE_NONE = 0,
	AD_STATE_ALLOWED,   /* policy allows (or a grant covers it) */
	AD_STATE_DENIED,    /* policy forbids or an approver denied */
	AD_STATE_PENDING,   /* waiting for approvals */
	AD_STATE_APPROVED,  /* quorum met, not yet consumed */
	AD_STATE_EXPIRED,   /* request_ttl or approval not_after passed */
	AD_STATE_WITHDRAWN, /* requester gave up (Ctrl-C, SIGTERM) */
	AD_STATE_CONSUMED,  /* approval used */
};

/* "pending", "approved", ...; and back (-1 if unknown). */
const char *ad_state_name(enum ad_state s);
int ad_state_parse(const char *name);

struct ad_strv {
	size_t n;
	char **v;
};

struct ad_request {
	/* execution part */
	char *requester;
	uint32_t uid;
	char *host;
	char *service;
	char *runas_user;
	uint32_t runas_uid;
	uint32_t runas_gid;
	char *runas_groups;   /* comma-separated gids, "" if none */
	char *command;        /* resolved absolute path, "" for a login */
	char *exe_hash;       /* lowercase hex BLAKE2b-256 of the file, or "" */
	struct ad_strv argv;
	char *cwd;
	char *chroot;
	struct ad_strv env;   /* NAME=VALUE, benign names removed, sorted */
	/* context part */
	char id[AD_ID_MAX];   /* "" until the daemon assigns one */
	char *reason;
	char *ticket;
	char *rollback;
	char *agent;
	char *sponsor;        /* user name of the login uid, "" if none/same */
	char *tty;
	char *rhost;
	char *rule;           /* policy rule that matched (daemon fills) */
	uint64_t created_us;  /* microseconds since the epoch (daemon fills) */
};

/* Zero all fields (so ad_request_free is safe). */
void ad_request_init(struct ad_request *r);
/* Free every field and re-init. Safe on an init'ed request. */
void ad_request_free(struct ad_request *r);
/* Replace NULL strings by "" so that the request is complete. */
int ad_request_complete(struct ad_request *r);

int ad_exec_digest(uint8_t out[AD_DIGEST_LEN], const struct ad_request *r)
	__attribute__((warn_unused_result));
int ad_request_digest(uint8_t out[AD_DIGEST_LEN], const struct ad_request *r)
	__attribute__((warn_unused_result));
/* Lowercase hex of a digest into out[AD_DIGEST_HEX]. */
void ad_digest_hex(char out[AD_DIGEST_HEX], const uint8_t d[AD_DIGEST_LEN]);

/*
 * JSON form (docs/FORMATS.md "request"): one object whose keys are the field
 * names above, argv/env as arrays of strings. from_json checks every type and
 * cap, rejects unknown keys and embedded NULs, and writes the offending field
 * into err on failure.
 */
json_t *ad_request_to_json(const struct ad_request *r);
int ad_request_from_json(struct ad_request *r, const json_t *j,
			 char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Hash an already-open regular file's content (BLAKE2b-256, lowercase hex). */
int ad_file_hash_fd(char out[AD_DIGEST_HEX], int fd)
	__attribute__((warn_unused_result));

#endif
