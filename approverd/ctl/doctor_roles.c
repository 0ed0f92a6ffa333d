/*
 * doctor_roles.c — separation of duties in the policy (DESIGN.md §4.4):
 * no AI subject is a member of an approver role (by approver name or by the
 * user= of the member's key), and every quorum a rule asks for can be met
 * by distinct members that have a registered key.
 */
#include <stdio.h>
#include <string.h>

#include "doctor.h"
#include "error.h"

/* 1 if member (approver name) or its key's human is an AI subject. */
static int member_is_ai(const struct doc *d, const char *member,
			const char **who)
{
	const struct ad_pubkey *k = NULL;

	*who = member;
	if (doc_user_is_ai(d, member) != 0)
		return 1;
	if (d->ring != NULL)
		k = ad_keyring_find_name(d->ring, member);
	if (k != NULL && doc_user_is_ai(d, k->user) != 0) {
		*who = k->user;
		return 1;
	}
	return 0;
}

static unsigned check_role_members(struct doc *d, const struct ad_role *r)
{
	unsigned bad = 0;
	const char *who;

	for (size_t i = 0; i < r->n_members; i++) {
		if (!member_is_ai(d, r->members[i], &who))
			continue;
		bad++;
		doc_report(d, DOC_FAIL, "ai-role", "remove the member from the "
			   "role", "%s:%u: role %s: member %s is AI subject %s; "
			   "an AI account must never approve", d->pol->path,
			   r->line, r->name, r->members[i], who);
	}
	return bad;
}

/* Members of role ri that have a key (each human counts once). */
static size_t keyed_members(const struct doc *d, size_t ri)
{
	const struct ad_role *r = &d->pol->roles[ri];
	size_t n = 0;

	for (size_t i = 0; i < r->n_members; i++)
		if (d->ring != NULL &&
		    ad_keyring_find_name(d->ring, r->members[i]) != NULL)
			n++;
	return n;
}

static void check_quorum(struct doc *d, const struct ad_rule *rule)
{
	if (rule->action != AD_ACTION_APPROVE)
		return;
	for (size_t t = 0; t < rule->n_require; t++) {
		const struct ad_quorum_term *q = &rule->require[t];
		size_t have = keyed_members(d, q->role);
		if (have >= q->count)
			continue;
		doc_report(d, DOC_WARN, "quorum", "register more approvers in "
			   "the role (approverctl keygen)", "%s:%u: rule %s "
			   "requires %u from role %s but only %zu member(s) "
			   "have a key; it can never be approved",
			   d->pol->path, rule->line, rule->name,
			   (unsigned)q->count, q->role_name, have);
	}
}

void doc_check_roles(struct doc *d)
{
	unsigned bad = 0;

	if (d->pol == NULL || d->cfg == NULL) {
		doc_report(d, DOC_WARN, "ai-role", NULL, "not checked: the "
			   "config or policy is invalid");
		return;
	}
	for (size_t i = 0; i < d->pol->n_roles; i++)
		bad += check_role_members(d, &d->pol->roles[i]);
	if (bad == 0)
		doc_report(d, DOC_OK, "ai-role", NULL, "%s: no AI subject in "
			   "any of %zu role(s)", d->pol->path, d->pol->n_roles);
	for (size_t i = 0; i < d->pol->n_rules; i++)
		check_quorum(d, &d->pol->rules[i]);
	check_quorum(d, &d->pol->def);
}
