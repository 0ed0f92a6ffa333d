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

/* Replace *field by a copy of v (policy.c). */
int ad_policy_set_str(char **field, const char *v)
	__attribute__((warn_unused_result));

/* policy_gov.c: the governance keys (docs/formats/governance.md §1). */
struct ad_breakglass_parse {
	char role[AD_NAME_MAX + 1];
	unsigned seen[3];      /* role, max_ttl, min_justification: line */
};
/* window, rollback, owner, grants, grant_max_ttl, grant_max_uses. */
int ad_policy_gov_key(struct ad_rule *r, const char *key, const char *v,
		      char *msg, size_t msglen)
	__attribute__((warn_unused_result));
/* A key of [breakglass]. */
int ad_policy_bg_key(struct ad_policy *p, struct ad_breakglass_parse *bg,
		     const char *key, const char *v, unsigned line, char *msg,
		     size_t msglen) __attribute__((warn_unused_result));
/* After all roles are known: the break-glass role and the defaults. */
int ad_policy_bg_resolve(struct ad_policy *p,
			 const struct ad_breakglass_parse *bg, char *msg,
			 size_t msglen, unsigned *line)
	__attribute__((warn_unused_result));
/* At the end of a rule section: set[0..5] are the lines of window,
 * rollback, owner, grants, grant_max_ttl, grant_max_uses (0 = not set);
 * *line gets the offending key's line. */
int ad_policy_gov_check(const struct ad_rule *r, const unsigned *set,
			char *msg, size_t msglen, unsigned *line)
	__attribute__((warn_unused_result));
/* Fill r's unset governance values from d (the [default] rule), then the
 * built-in defaults; take_quorum: r uses d's quorum, so it takes d's owner
 * labels too. A window is inherited by approve rules only. */
int ad_policy_gov_inherit(struct ad_rule *r, const struct ad_rule *d,
			  int take_quorum) __attribute__((warn_unused_result));

#endif
