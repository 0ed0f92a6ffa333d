/*
 * dgrant.h — standing grants inside approverd (docs/formats/governance.md
 * §4): the table (grant.c), the ops grant/revoke/show/status/list
 * (grant_ops.c) and the signed approvals and revocations (grant_vote.c).
 * Internal to the daemon.
 *
 * Like requests, grants change only through journal_commit(): every
 * change is a durable evidence record first, applied by grant_apply(),
 * which is also what replays them at start.
 */
#ifndef APPROVERD_DAEMON_DGRANT_H
#define APPROVERD_DAEMON_DGRANT_H

#include <stdint.h>

#include <jansson.h>

#include "cmdpat.h"
#include "daemon.h"
#include "grant.h"
#include "policy.h"

#define D_GRANTS_MAX 1000 /* grants kept in memory (finished ones pruned) */

enum dg_state {
	DG_PENDING = 0, /* waiting for its rule's quorum */
	DG_ACTIVE,      /* approved; covers runs while uses_left > 0 */
	DG_REVOKED,
	DG_EXPIRED,
};

struct dgrant {
	struct ad_grant g;
	uint8_t digest[AD_DIGEST_LEN];
	enum dg_state state;
	uint32_t uses_left;
	int has_pat;              /* g.match compiled into pat */
	struct ad_cmdpat pat;
	struct d_approval *appr;  /* counted approvals */
	size_t n_appr;
	char reason[320];         /* why revoked/expired, "" otherwise */
	struct dgrant *next;      /* newest first */
};

/* grant.c */
int grant_is_id(const char *id);            /* starts with "G-" */
struct dgrant *grant_find(struct daemon *d, const char *id);
/* "pending", "active", "used-up", "revoked", "expired" */
const char *grant_state_name(const struct dgrant *g);
/* Does g cover runs now (active, uses left, not expired)? */
int grant_live(const struct dgrant *g, uint64_t now);
/* The rule named by the grant in the current policy, NULL if none. */
const struct ad_rule *grant_rule(const struct daemon *d, const char *name);
/* Apply a durable record whose id is a grant id (or replay it). */
int grant_apply(struct daemon *d, const json_t *rec);
/* A durable `consume` record: the grant it names loses one use. */
int grant_apply_use(struct daemon *d, const json_t *rec);
/* 1 if the two user names are the same human (uid); NSS error: 1. */
int grant_same_human(const char *a, const char *b);
/* The id of an active grant covering req under rule, or NULL: same host,
 * requester uid and rule, matching pattern, and no approver of the grant
 * is req's sponsor. */
const char *grant_cover(struct daemon *d, const struct ad_rule *rule,
			const struct ad_request *req);
/* Before a `consume` of q: refuse (err, why) if q's grant no longer
 * covers it, else add `grant` and `grant_uses_left` to rec. */
int grant_consume_fields(struct daemon *d, const struct dreq *q, json_t *rec,
			 char *why, size_t wl);
void grant_tick(struct daemon *d, uint64_t now); /* records expiry */
void grant_free_all(struct daemon *d);
json_t *grant_show_json(const struct daemon *d, const struct dgrant *g);
json_t *grant_summary_json(const struct dgrant *g, uint64_t now);

/* grant_ops.c */
int op_grant(struct daemon *d, struct conn *c, json_t *msg);
int op_revoke(struct daemon *d, struct conn *c, json_t *msg);
/* show / status of a grant id (msg.id starts with "G-"). */
int grant_op_show(struct daemon *d, struct conn *c, const char *id);
int grant_op_status(struct daemon *d, struct conn *c, const char *id);
int grant_decision_reply(struct daemon *d, struct conn *c,
			 const struct dgrant *g);
/* Append grant summaries to a (pending only unless all). */
int grant_list(struct daemon *d, json_t *a, int all);

/* grant_vote.c: a submission whose msg.id, else whose token's request id,
 * is a grant id (op_submit decides that from its one decode). */
int grant_submit(struct daemon *d, struct conn *c, json_t *msg,
		 const char *token);

#endif
