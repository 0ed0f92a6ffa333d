/*
 * grant.h — standing grants (docs/formats/governance.md §4): the object,
 * its JSON form and its canonical digest, shared by approverd and
 * approverctl (which recomputes the digest from the fields it displays).
 *
 * Invariants (DESIGN.md §4.5, §4.9): the digest binds version 1, host, id,
 * requester, uid, rule, match, uses, created, expires and comment under the
 * domain "approverd-grant-v1", each field in one fixed order; the JSON
 * parser checks every type and cap, refuses unknown keys, control
 * characters and embedded NULs, and names the offending field.
 */
#ifndef APPROVERD_GRANT_H
#define APPROVERD_GRANT_H

#include <stdint.h>

#include <jansson.h>

#include "request.h"

#define AD_DOMAIN_GRANT "approverd-grant-v1"
#define AD_GRANT_VERSION 1
#define AD_GRANT_NAME_MAX 64      /* requester, rule, created_by */
#define AD_GRANT_HOST_MAX 256
#define AD_GRANT_MATCH_MAX 1024   /* command pattern text */
#define AD_GRANT_COMMENT_MAX 256  /* 0..255 printable bytes */
#define AD_GRANT_USES_MAX 1000

struct ad_grant {
	char id[AD_ID_MAX];                  /* G-XXXX-XXXX */
	char host[AD_GRANT_HOST_MAX];
	char requester[AD_GRANT_NAME_MAX];   /* user name */
	uint32_t uid;
	char rule[AD_GRANT_NAME_MAX];
	char match[AD_GRANT_MATCH_MAX];      /* "" = anything the rule matches */
	uint32_t uses;                       /* 1..AD_GRANT_USES_MAX */
	uint64_t created, expires;           /* unix seconds, created < expires */
	char comment[AD_GRANT_COMMENT_MAX];
	uint32_t created_by_uid;             /* not in the digest */
	char created_by[AD_GRANT_NAME_MAX];  /* not in the digest */
};

/* 1 if s is "G-" followed by 4 upper hex digits, '-', 4 upper hex digits. */
int ad_grant_id_valid(const char *s);

/* BLAKE2b-256 of the canonical encoding (see the invariants above). */
int ad_grant_digest(uint8_t out[AD_DIGEST_LEN], const struct ad_grant *g)
	__attribute__((warn_unused_result));

/* {"id", "host", "requester", "uid", "rule", "match", "uses", "created",
 * "expires", "comment", "created_by_uid", "created_by"}; NULL on ENOMEM. */
json_t *ad_grant_to_json(const struct ad_grant *g);

/* The inverse; every key required, no other key allowed; err names the
 * field on failure (AD_ERR_INVALID, AD_ERR_TOOBIG or AD_ERR_RANGE). */
int ad_grant_from_json(struct ad_grant *g, const json_t *j, char *err,
		       size_t errlen) __attribute__((warn_unused_result));

#endif
