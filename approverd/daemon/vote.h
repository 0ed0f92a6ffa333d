/*
 * vote.h — what submit.c (approvals, denials) shares with breakglass.c
 * (break-glass and review tokens, docs/formats/governance.md §3).
 * Internal to the daemon.
 */
#ifndef APPROVERD_VOTE_H
#define APPROVERD_VOTE_H

#include "daemon.h"
#include "policy.h"
#include "token.h"

struct vote {
	struct ad_statement st;
	const struct ad_pubkey *signer;
	struct dreq *q;
	int decision;            /* AD_DECISION_*, 0 unknown */
	uint8_t hash[AD_DIGEST_LEN];
	const char *why;         /* why not counted, NULL when counted */
};

/* The evidence record of v (event by decision), counted or not. */
json_t *vote_record(const struct vote *v, const struct conn *c, int counted);
/* Record a refused submission (rate limited) and answer with err, why. */
int vote_refuse(struct daemon *d, struct conn *c, struct vote *v, int err,
		const char *why);
/* The rule the request was judged by, NULL if the policy lost it. */
const struct ad_rule *vote_rule(const struct daemon *d, const struct dreq *q);
/* 1 if two user names are the same human (same uid; errors: 1). */
int vote_same_human(const char *a, const char *b);
/* Separation of duties: AD_ERR_SELF_APPROVAL with why, or 0. */
int vote_sod(const struct vote *v, char *why, size_t wl);

/* breakglass.c: a verified token with decision breakglass / review. */
int bg_submit(struct daemon *d, struct conn *c, struct vote *v);
int bg_review(struct daemon *d, struct conn *c, struct vote *v);

#endif
