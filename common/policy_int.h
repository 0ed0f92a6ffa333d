/* policy_int.h — helpers shared by policy.c, policy_resolve.c and quorum.c
 * (not part of the public policy API). */
#ifndef APPROVERD_POLICY_INT_H
#define APPROVERD_POLICY_INT_H

#include <stddef.h>

#include "policy.h"

/* Role, rule and approver names: [A-Za-z0-9._-], 1..AD_NAME_MAX, not
 * starting with '-' or '.'. */
int ad_policy_name_ok(const char *s);
/* After parsing: resolve every require (with [default] fallback) and check
 * rule consistency. On AD_ERR_CONFIG, msg and *line say what and where. */
int ad_policy_resolve(struct ad_policy *p, char *msg, size_t msglen,
		      unsigned *line) __attribute__((warn_unused_result));
void ad_policy_rule_free(struct ad_rule *r);
/* policy_check.c: which = 0 url, 1 field, 2 value of check. */
int ad_policy_http_key(struct ad_http_check *check, const char *key,
		       int which, const char *v, unsigned line, char *msg,
		       size_t msglen) __attribute__((warn_unused_result));
/* field and value together, both only with url, none on allow/deny. */
int ad_policy_http_consistent(const struct ad_rule *r, char *msg,
			      size_t msglen, unsigned *line)
	__attribute__((warn_unused_result));
void ad_http_check_free(struct ad_http_check *check);

#endif
