/*
 * policy_match.c — find the rule for a request (first match wins).
 *
 * Invariants (DESIGN.md §5, docs/formats/policy.md): rules are tried in file
 * order and [default] last, so the result is never NULL; a rule with a
 * command matches only requests whose command path and every argument match
 * (cmdpat.h) and, without 'service', only the sudo service; a rule whose
 * '%group' cannot be resolved does not match.
 */
#include <string.h>

#include "nss.h"
#include "policy.h"

static const char *str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static int in_list(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int service_ok(const struct ad_rule *rule, const char *service)
{
	if (rule->services != NULL)
		return in_list(rule->services, rule->n_services, service);
	return !rule->has_command || strcmp(service, "sudo") == 0;
}

static int command_ok(const struct ad_rule *rule, const struct ad_request *r)
{
	size_t nargs = r->argv.n > 0 ? r->argv.n - 1 : 0;

	if (!rule->has_command)
		return 1;
	if (r->command == NULL || r->command[0] == '\0' ||
	    (nargs > 0 && r->argv.v == NULL))
		return 0;
	return ad_cmdpat_match(&rule->command, r->command,
			       nargs > 0 ? r->argv.v + 1 : NULL, nargs);
}

/* 1 listed, 0 not, <0 a group look-up failed. */
static int users_ok(const struct ad_rule *rule, const char *requester)
{
	uid_t uid;
	gid_t gid;
	int have_user = 2, rc; /* 2: not looked up yet */

	if (rule->users == NULL)
		return 1;
	for (size_t i = 0; i < rule->n_users; i++) {
		const char *u = rule->users[i];
		if (u[0] != '%') {
			if (strcmp(u, requester) == 0)
				return 1;
			continue;
		}
		if (have_user == 2)
			have_user = ad_nss_user(requester, &uid, &gid);
		if (have_user < 0)
			return have_user;
		if (have_user == 1 &&
		    (rc = ad_nss_in_group(requester, gid, u + 1)) != 0)
			return rc;
	}
	return 0;
}

/* 1 match, 0 no match, <0 look-up failed. */
static int rule_matches(const struct ad_rule *rule, const struct ad_request *r)
{
	if (!service_ok(rule, str_or_empty(r->service)) ||
	    !command_ok(rule, r) ||
	    !ad_word_match(&rule->runas, str_or_empty(r->runas_user)))
		return 0;
	return users_ok(rule, str_or_empty(r->requester));
}

const struct ad_rule *ad_policy_match(const struct ad_policy *p,
				      const struct ad_request *r)
{
	if (p == NULL)
		return NULL;
	for (size_t i = 0; r != NULL && i < p->n_rules; i++) {
		int m = rule_matches(&p->rules[i], r);
		if (m < 0)
			return &p->lookup_failed;
		if (m > 0)
			return &p->rules[i];
	}
	return &p->def;
}
