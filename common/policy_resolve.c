/*
 * policy_resolve.c — turn 'require' text into quorum terms, check rules.
 *
 * Invariants (DESIGN.md §4.4, §5): every approve rule has a quorum whose
 * roles exist, whose counts are 1..AD_QUORUM_MAX in total and no larger than
 * the role (an unsatisfiable quorum is a load error, not a silent deny);
 * allow/deny rules carry no quorum, ticket or max_ttl.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ini_lines.h"
#include "num.h"
#include "policy_int.h"

static size_t trim(const char **s, size_t n)
{
	while (n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		n--;
	}
	while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
		n--;
	return n;
}

/* One "COUNT ROLE" term of t[0..n). */
static int term_parse(const struct ad_policy *p, const char *t, size_t n,
		      struct ad_quorum_term *out, const char *key, char *msg,
		      size_t msglen)
{
	char buf[AD_INI_LINE_MAX + 1];
	char *role;
	const struct ad_role *r;

	n = trim(&t, n);
	if (n == 0 || n > AD_INI_LINE_MAX) {
		snprintf(msg, msglen, "empty term in 'require' (expected "
				      "'COUNT ROLE [+ COUNT ROLE...]')");
		return AD_ERR_CONFIG;
	}
	memcpy(buf, t, n);
	buf[n] = '\0';
	role = buf + strcspn(buf, " \t");
	if (*role == '\0') {
		snprintf(msg, msglen, "expected 'COUNT ROLE' in 'require', got "
				      "'%.64s'", buf);
		return AD_ERR_CONFIG;
	}
	*role++ = '\0';
	role += strspn(role, " \t");
	if (ad_parse_u32(&out->count, buf, 1, AD_QUORUM_MAX) != 0) {
		snprintf(msg, msglen, "bad count '%.32s' in 'require' (1..%d)",
			 buf, AD_QUORUM_MAX);
		return AD_ERR_CONFIG;
	}
	if ((r = ad_policy_role(p, role)) == NULL) {
		snprintf(msg, msglen, "unknown role '%.64s' in '%s'", role, key);
		return AD_ERR_CONFIG;
	}
	if (out->count > r->n_members) {
		snprintf(msg, msglen, "'%s' asks for %u from role '%s', "
				      "which has %zu member(s)", key, out->count,
			 r->name, r->n_members);
		return AD_ERR_CONFIG;
	}
	out->role = (size_t)(r - p->roles);
	out->role_name = strdup(r->name);
	return out->role_name == NULL ? AD_ERR_NOMEM : 0;
}

static int term_add(const struct ad_policy *p, struct ad_rule *r,
		    const char *t, size_t n, uint32_t *total, char *msg,
		    size_t msglen)
{
	struct ad_quorum_term *nt, term;
	int rc;

	memset(&term, 0, sizeof(term));
	if ((rc = term_parse(p, t, n, &term,
			     r->owner_labels != NULL ? "owner" : "require", msg,
			     msglen)) != 0)
		return rc;
	for (size_t i = 0; i < r->n_require; i++) {
		if (r->require[i].role == term.role) {
			snprintf(msg, msglen, "role '%s' appears twice in "
					      "'%s'", term.role_name,
				 r->owner_labels != NULL ? "owner" : "require");
			free(term.role_name);
			return AD_ERR_CONFIG;
		}
	}
	*total += term.count;
	if (*total > AD_QUORUM_MAX) {
		snprintf(msg, msglen, "'require' asks for more than %d "
				      "approvals in total", AD_QUORUM_MAX);
		free(term.role_name);
		return AD_ERR_CONFIG;
	}
	nt = realloc(r->require, (r->n_require + 1) * sizeof(*nt));
	if (nt == NULL) {
		free(term.role_name);
		return AD_ERR_NOMEM;
	}
	r->require = nt;
	nt[r->n_require++] = term;
	return 0;
}

static int require_parse(const struct ad_policy *p, struct ad_rule *r,
			 const char *text, char *msg, size_t msglen)
{
	uint32_t total = 0;
	const char *t = text, *plus;
	int rc;

	for (;;) {
		plus = strchr(t, '+');
		rc = term_add(p, r, t, plus ? (size_t)(plus - t) : strlen(t),
			      &total, msg, msglen);
		if (rc != 0 || plus == NULL)
			return rc;
		t = plus + 1;
	}
}

static int rule_check(struct ad_policy *p, struct ad_rule *r, char *msg,
		      size_t msglen, unsigned *line)
{
	const struct ad_rule *d = &p->def;
	const char *sec = r == d ? "[default]" : "[rule ";
	const char *end = r == d ? "" : "]";
	const char *name = r == d ? "" : r->name;

	*line = r->line;
	if (ad_policy_http_consistent(r, msg, msglen, line) != 0)
		return AD_ERR_CONFIG;
	*line = r->line;
	if (ad_policy_gov_inherit(r, d, 0) != 0)
		return AD_ERR_NOMEM;
	if (r->action != AD_ACTION_APPROVE) {
		if (r->require_text[0] || r->has_ticket || r->max_ttl) {
			snprintf(msg, msglen, "%s%s%s: 'require', 'ticket' and "
					      "'max_ttl' only apply to action = "
					      "approve", sec, name, end);
			return AD_ERR_CONFIG;
		}
		return 0;
	}
	if (r->require_text[0] != '\0') {
		*line = r->require_line;
		return require_parse(p, r, r->require_text, msg, msglen);
	}
	if (r != d && d->action == AD_ACTION_APPROVE && d->require_text[0]) {
		*line = d->require_line;
		if (ad_policy_gov_inherit(r, d, 1) != 0)
			return AD_ERR_NOMEM;
		return require_parse(p, r, d->require_text, msg, msglen);
	}
	snprintf(msg, msglen, "%s%s%s: action approve needs 'require'%s", sec,
		 name, end, r == d ? "" : " (and [default] has none)");
	return AD_ERR_CONFIG;
}

int ad_policy_resolve(struct ad_policy *p, char *msg, size_t msglen,
		      unsigned *line)
{
	int rc;

	*line = 0;
	if (ad_policy_gov_inherit(&p->lookup_failed, &p->lookup_failed, 0))
		return AD_ERR_NOMEM;
	if ((rc = rule_check(p, &p->def, msg, msglen, line)) != 0)
		return rc;
	for (size_t i = 0; i < p->n_rules; i++)
		if ((rc = rule_check(p, &p->rules[i], msg, msglen, line)) != 0)
			return rc;
	return 0;
}
