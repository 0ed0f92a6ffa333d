/*
 * rule_text.c — what a rule requires, in words; ticket and ttl checks.
 *
 * Invariants: a rule with a ticket regex accepts only a non-empty ticket
 * that matches it (regexec on the regex compiled at load time); a rule with
 * rollback = required accepts only rollback text that is not blank; texts
 * are bounded by the caller's buffer and truncation is reported.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "policy.h"

__attribute__((format(printf, 4, 5)))
static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*used >= len)
		return AD_ERR_TOOBIG;
	va_start(ap, fmt);
	w = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= len - *used) {
		*used = len;
		return AD_ERR_TOOBIG;
	}
	*used += (size_t)w;
	return 0;
}

int ad_rule_requires_text(const struct ad_rule *rule, char *buf, size_t len)
{
	size_t used = 0;
	int rc = 0;

	if (rule == NULL || buf == NULL || len == 0)
		return AD_ERR_INVALID;
	buf[0] = '\0';
	if (rule->action != AD_ACTION_APPROVE)
		return append(buf, len, &used, "%s",
			      rule->action == AD_ACTION_ALLOW
				      ? "nothing (allowed by policy)"
				      : "denied by policy");
	for (size_t t = 0; rc == 0 && t < rule->n_require; t++) {
		const struct ad_quorum_term *q = &rule->require[t];
		const char *label = rule->owner_labels != NULL
					    ? rule->owner_labels[t] : NULL;
		rc = append(buf, len, &used, "%s%u approval%s from role %s",
			    t > 0 ? " and " : "", q->count,
			    q->count == 1 ? "" : "s", q->role_name);
		if (rc == 0 && label != NULL)
			rc = append(buf, len, &used, " (%s owner)", label);
	}
	if (rc == 0 && rule->has_ticket)
		rc = append(buf, len, &used, "; ticket matching %s required",
			    rule->ticket_text);
	if (rc == 0 && rule->rollback_required > 0)
		rc = append(buf, len, &used, "; rollback plan required");
	if (rc == 0 && rule->n_windows > 0)
		rc = append(buf, len, &used, "; change window %s",
			    rule->window_text);
	return rc;
}

int ad_ticket_ok(const struct ad_rule *rule, const char *ticket)
{
	if (rule == NULL)
		return 0;
	if (!rule->has_ticket)
		return 1;
	if (ticket == NULL || ticket[0] == '\0')
		return 0;
	return regexec(&rule->ticket, ticket, 0, NULL, 0) == 0;
}

int ad_rollback_ok(const struct ad_rule *rule, const char *rollback)
{
	if (rule == NULL)
		return 0;
	if (rule->rollback_required <= 0)
		return 1;
	if (rollback == NULL)
		return 0;
	return rollback[strspn(rollback, " \t")] != '\0';
}

uint64_t ad_rule_max_ttl(const struct ad_rule *rule, uint64_t fallback)
{
	return rule != NULL && rule->max_ttl != 0 ? rule->max_ttl : fallback;
}
