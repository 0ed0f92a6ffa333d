/*
 * quorum.c — evaluate a rule's quorum; describe what a rule requires.
 *
 * Invariants (DESIGN.md §4.4): one human counts once toward the whole quorum
 * (a person in two roles fills one slot; the same name twice counts once);
 * the assignment of humans to slots is a maximum bipartite matching, so the
 * quorum is met exactly when some assignment satisfies every role; names
 * that are in no required role count for nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "policy.h"

#define APPROVERS_MAX 4096

const char *ad_action_name(enum ad_action a)
{
	switch (a) {
	case AD_ACTION_ALLOW: return "allow";
	case AD_ACTION_DENY: return "deny";
	default: return "approve";
	}
}

const struct ad_role *ad_policy_role(const struct ad_policy *p,
				     const char *name)
{
	for (size_t i = 0; p != NULL && i < p->n_roles; i++)
		if (strcmp(p->roles[i].name, name) == 0)
			return &p->roles[i];
	return NULL;
}

static int role_has(const struct ad_role *r, const char *name)
{
	for (size_t i = 0; i < r->n_members; i++)
		if (strcmp(r->members[i], name) == 0)
			return 1;
	return 0;
}

int ad_policy_is_approver(const struct ad_policy *p, const char *name)
{
	for (size_t i = 0; p != NULL && name != NULL && i < p->n_roles; i++)
		if (role_has(&p->roles[i], name))
			return 1;
	return 0;
}

struct match {
	size_t n_slots;
	size_t slot_term[AD_QUORUM_MAX];
	int slot_of[AD_QUORUM_MAX];  /* approver index filling it, -1 none */
	uint32_t *elig;              /* per approver: bit s = may fill slot s */
};

static int augment(struct match *m, size_t a, uint32_t *visited)
{
	for (size_t s = 0; s < m->n_slots; s++) {
		uint32_t bit = (uint32_t)1 << s;
		if (!(m->elig[a] & bit) || (*visited & bit))
			continue;
		*visited |= bit;
		if (m->slot_of[s] < 0 ||
		    augment(m, (size_t)m->slot_of[s], visited)) {
			m->slot_of[s] = (int)a;
			return 1;
		}
	}
	return 0;
}

/* Eligibility of approvers[a] for each slot; 0 for repeats of a name. */
static uint32_t eligible(const struct ad_rule *rule, const struct ad_policy *p,
			 const struct match *m, const char *const *approvers,
			 size_t a)
{
	uint32_t mask = 0;

	if (approvers[a] == NULL)
		return 0;
	for (size_t b = 0; b < a; b++)
		if (approvers[b] != NULL && strcmp(approvers[b], approvers[a]) == 0)
			return 0;
	for (size_t s = 0; s < m->n_slots; s++)
		if (role_has(&p->roles[rule->require[m->slot_term[s]].role],
			     approvers[a]))
			mask |= (uint32_t)1 << s;
	return mask;
}

static int missing_text(const struct ad_rule *rule, const struct match *m,
			char *missing, size_t len)
{
	size_t used = 0;
	int met = 1;

	for (size_t t = 0; t < rule->n_require; t++) {
		uint32_t filled = 0;
		for (size_t s = 0; s < m->n_slots; s++)
			filled += (m->slot_term[s] == t && m->slot_of[s] >= 0);
		if (filled >= rule->require[t].count)
			continue;
		met = 0;
		if (missing != NULL && used < len)
			used += (size_t)snprintf(missing + used, len - used,
						 "%s%u more from role %s",
						 used ? " and " : "",
						 rule->require[t].count - filled,
						 rule->require[t].role_name);
	}
	return met;
}

static int quorum_check_rule(const struct ad_rule *rule,
			     const struct ad_policy *p, struct match *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t t = 0; t < rule->n_require; t++) {
		if (rule->require[t].role >= p->n_roles)
			return AD_ERR_INVALID;
		for (uint32_t c = 0; c < rule->require[t].count; c++) {
			if (m->n_slots >= AD_QUORUM_MAX)
				return AD_ERR_INVALID;
			m->slot_of[m->n_slots] = -1;
			m->slot_term[m->n_slots++] = t;
		}
	}
	return m->n_slots == 0 ? AD_ERR_INVALID : 0;
}

int ad_quorum_eval(const struct ad_rule *rule, const struct ad_policy *p,
		   const char *const *approvers, size_t n, char *missing,
		   size_t missing_len)
{
	struct match m;
	int rc;

	if (missing != NULL && missing_len > 0)
		missing[0] = '\0';
	if (rule == NULL || p == NULL || (n > 0 && approvers == NULL))
		return AD_ERR_INVALID;
	if (rule->action != AD_ACTION_APPROVE) {
		if (rule->action == AD_ACTION_DENY && missing != NULL)
			snprintf(missing, missing_len, "denied by policy");
		return rule->action == AD_ACTION_ALLOW;
	}
	if (n > APPROVERS_MAX)
		return AD_ERR_TOOBIG;
	if ((rc = quorum_check_rule(rule, p, &m)) != 0)
		return rc;
	if ((m.elig = calloc(n + 1, sizeof(*m.elig))) == NULL)
		return AD_ERR_NOMEM;
	for (size_t a = 0; a < n; a++) {
		uint32_t visited = 0;
		m.elig[a] = eligible(rule, p, &m, approvers, a);
		if (m.elig[a] != 0)
			augment(&m, a, &visited);
	}
	rc = missing_text(rule, &m, missing, missing_len);
	free(m.elig);
	return rc;
}
