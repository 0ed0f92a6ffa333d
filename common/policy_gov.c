/*
 * policy_gov.c — the governance keys of policy.conf (docs/formats/
 * governance.md §1): window, rollback, owner, grants, grant_max_ttl,
 * grant_max_uses, and the [breakglass] section.
 *
 * Invariants: every value is checked at load time and an error names the
 * key and the bad part (the caller adds FILE:LINE); after
 * ad_policy_gov_resolve() every rule holds concrete values (inherited from
 * [default] where the rule did not set the key, then the built-in
 * defaults), so no caller ever sees an "unset" value; keys that could never
 * take effect on a rule's action are errors, not silently ignored; the
 * break-glass role, when set, exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "ini_lines.h"
#include "num.h"
#include "policy_int.h"
#include "text.h"
#include "window.h"

#define GRANT_TTL_DEFAULT (7ULL * 24 * 3600)
#define GRANT_USES_DEFAULT 100
#define GRANT_USES_MAX 1000
#define BG_TTL_DEFAULT 3600ULL
#define BG_TTL_MAX (24ULL * 3600)
#define BG_JUST_DEFAULT 10
#define BG_JUST_MAX 255

static int set_window(struct ad_rule *r, const char *v, char *msg,
		      size_t msglen)
{
	struct ad_window *w;
	size_t n;
	char *t;
	int rc = ad_window_parse(&w, &n, v, msg, msglen);

	if (rc != 0)
		return rc;
	if ((t = strdup(v)) == NULL) {
		free(w);
		return AD_ERR_NOMEM;
	}
	free(r->windows);
	free(r->window_text);
	r->windows = w;
	r->n_windows = n;
	r->window_text = t;
	return 0;
}

static int set_word(int *out, const char *v, const char *key, const char *yes,
		    const char *no, char *msg, size_t msglen)
{
	if (strcmp(v, yes) == 0 || strcmp(v, no) == 0) {
		*out = strcmp(v, yes) == 0;
		return 0;
	}
	snprintf(msg, msglen, "bad value '%.64s' for '%s' (%s or %s)", v, key,
		 yes, no);
	return AD_ERR_CONFIG;
}

static int set_duration(uint64_t *out, const char *v, const char *key,
			uint64_t max, char *msg, size_t msglen)
{
	uint64_t d;
	int rc = ad_parse_duration(&d, v);

	if (rc == 0 && (d == 0 || d > max))
		rc = AD_ERR_RANGE;
	if (rc != 0) {
		char maxt[32];
		ad_format_duration(maxt, sizeof(maxt), max);
		snprintf(msg, msglen, "bad duration '%.64s' for '%s' (%s; 1s.."
			 "%s, e.g. 30m, 2h, 7d)", v, key, ad_strerror(rc), maxt);
		return AD_ERR_CONFIG;
	}
	*out = d;
	return 0;
}

static int set_u32(uint32_t *out, const char *v, const char *key,
		   uint32_t max, char *msg, size_t msglen)
{
	if (ad_parse_u32(out, v, 1, max) != 0) {
		snprintf(msg, msglen, "bad value '%.64s' for '%s' (1..%u)", v,
			 key, max);
		return AD_ERR_CONFIG;
	}
	return 0;
}

/* "LABEL:ROLE" checked; appends "1 ROLE" to the quorum text. */
static int owner_term(char *req, size_t reqlen, char **label, const char *t,
		      char *msg, size_t msglen)
{
	const char *colon = strchr(t, ':');
	size_t used = strlen(req);
	int w;

	if (colon == NULL || colon == t || !ad_policy_name_ok(colon + 1)) {
		snprintf(msg, msglen, "'owner': bad entry '%.64s' (expected "
			 "LABEL:ROLE, e.g. business:payments-owner)", t);
		return AD_ERR_CONFIG;
	}
	if ((*label = strndup(t, (size_t)(colon - t))) == NULL)
		return AD_ERR_NOMEM;
	if (!ad_policy_name_ok(*label)) {
		snprintf(msg, msglen, "'owner': bad label '%.64s' (letters, "
			 "digits, '.', '_', '-')", *label);
		return AD_ERR_CONFIG;
	}
	w = snprintf(req + used, reqlen - used, "%s1 %s", used ? " + " : "",
		     colon + 1);
	if (w < 0 || (size_t)w >= reqlen - used) {
		snprintf(msg, msglen, "'owner' is too long");
		return AD_ERR_CONFIG;
	}
	return 0;
}

/* owner = LABEL:ROLE, ... becomes require_text "1 ROLE + 1 ROLE" plus the
 * labels, parallel to the terms require_parse() will build. */
static int set_owner(struct ad_rule *r, const char *v, char *msg,
		     size_t msglen)
{
	char req[AD_INI_LINE_MAX * 2 + 8] = "";
	char **list = NULL, **labels = NULL;
	size_t n = 0;
	int rc = ad_split_list(&list, &n, v);

	if (rc != 0 || n == 0) {
		snprintf(msg, msglen, "'owner' is empty or not a list");
		rc = rc == AD_ERR_NOMEM ? rc : AD_ERR_CONFIG;
		goto out;
	}
	if ((labels = calloc(n + 1, sizeof(char *))) == NULL) {
		rc = AD_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = owner_term(req, sizeof(req), &labels[i], list[i], msg,
				msglen);
	if (rc == 0 && (rc = ad_policy_set_str(&r->require_text, req)) == 0) {
		if (r->owner_labels != NULL)
			ad_strv_free(r->owner_labels);
		r->owner_labels = labels;
		labels = NULL;
	}
out:
	if (labels != NULL)
		ad_strv_free(labels);
	if (list != NULL)
		ad_strv_free(list);
	return rc;
}

int ad_policy_gov_key(struct ad_rule *r, const char *key, const char *v,
		      char *msg, size_t msglen)
{
	if (strcmp(key, "window") == 0)
		return set_window(r, v, msg, msglen);
	if (strcmp(key, "rollback") == 0)
		return set_word(&r->rollback_required, v, key, "required",
				"optional", msg, msglen);
	if (strcmp(key, "owner") == 0)
		return set_owner(r, v, msg, msglen);
	if (strcmp(key, "grants") == 0)
		return set_word(&r->grants_allowed, v, key, "yes", "no", msg,
				msglen);
	if (strcmp(key, "grant_max_ttl") == 0)
		return set_duration(&r->grant_max_ttl, v, key, AD_DURATION_MAX,
				    msg, msglen);
	if (strcmp(key, "grant_max_uses") == 0)
		return set_u32(&r->grant_max_uses, v, key, GRANT_USES_MAX, msg,
			       msglen);
	snprintf(msg, msglen, "unknown key '%.64s'", key);
	return AD_ERR_CONFIG;
}

int ad_policy_bg_key(struct ad_policy *p, struct ad_breakglass_parse *bg,
		     const char *key, const char *v, unsigned line, char *msg,
		     size_t msglen)
{
	static const char *const keys[3] = {"role", "max_ttl",
					    "min_justification"};
	int k;

	for (k = 0; k < 3 && strcmp(key, keys[k]) != 0; k++)
		;
	if (k == 3) {
		snprintf(msg, msglen, "unknown key '%.64s' in [breakglass] "
			 "(role, max_ttl, min_justification)", key);
		return AD_ERR_CONFIG;
	}
	if (bg->seen[k] != 0) {
		snprintf(msg, msglen, "duplicate key '%s' in [breakglass] "
			 "(first at line %u)", key, bg->seen[k]);
		return AD_ERR_CONFIG;
	}
	bg->seen[k] = line;
	if (k == 1)
		return set_duration(&p->breakglass_max_ttl, v, "max_ttl",
				    BG_TTL_MAX, msg, msglen);
	if (k == 2)
		return set_u32(&p->breakglass_min_justification, v,
			       "min_justification", BG_JUST_MAX, msg, msglen);
	if (!ad_policy_name_ok(v)) {
		snprintf(msg, msglen, "bad role name '%.64s' for 'role'", v);
		return AD_ERR_CONFIG;
	}
	snprintf(bg->role, sizeof(bg->role), "%s", v);
	return 0;
}

int ad_policy_bg_resolve(struct ad_policy *p,
			 const struct ad_breakglass_parse *bg, char *msg,
			 size_t msglen, unsigned *line)
{
	const char *name = bg->seen[0] ? bg->role : "breakglass";
	const struct ad_role *role = ad_policy_role(p, name);

	if (p->breakglass_max_ttl == 0)
		p->breakglass_max_ttl = BG_TTL_DEFAULT;
	if (p->breakglass_min_justification == 0)
		p->breakglass_min_justification = BG_JUST_DEFAULT;
	if (role == NULL && bg->seen[0]) {
		*line = bg->seen[0];
		snprintf(msg, msglen, "[breakglass]: unknown role '%s' in "
			 "'role'", name);
		return AD_ERR_CONFIG;
	}
	p->breakglass_role = role ? (size_t)(role - p->roles) : SIZE_MAX;
	return 0;
}

static int labels_copy(struct ad_rule *r, char *const *labels)
{
	size_t n = 0;

	while (labels[n] != NULL)
		n++;
	if ((r->owner_labels = calloc(n + 1, sizeof(char *))) == NULL)
		return AD_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		if ((r->owner_labels[i] = strdup(labels[i])) == NULL)
			return AD_ERR_NOMEM;
	return 0;
}

int ad_policy_gov_inherit(struct ad_rule *r, const struct ad_rule *d,
			  int take_quorum)
{
	if (r->rollback_required < 0)
		r->rollback_required = d->rollback_required > 0;
	if (r->grants_allowed < 0)
		r->grants_allowed = d->grants_allowed != 0;
	if (r->grant_max_ttl == 0)
		r->grant_max_ttl = d->grant_max_ttl ? d->grant_max_ttl
						    : GRANT_TTL_DEFAULT;
	if (r->grant_max_uses == 0)
		r->grant_max_uses = d->grant_max_uses ? d->grant_max_uses
						      : GRANT_USES_DEFAULT;
	if (take_quorum && r->owner_labels == NULL && d->owner_labels != NULL &&
	    labels_copy(r, d->owner_labels) != 0)
		return AD_ERR_NOMEM;
	if (r->action != AD_ACTION_APPROVE || r->n_windows > 0 ||
	    d->n_windows == 0 || r == d)
		return 0;
	if ((r->windows = calloc(d->n_windows, sizeof(*d->windows))) == NULL)
		return AD_ERR_NOMEM;
	memcpy(r->windows, d->windows, d->n_windows * sizeof(*d->windows));
	r->n_windows = d->n_windows;
	return ad_policy_set_str(&r->window_text, d->window_text);
}

int ad_policy_gov_check(const struct ad_rule *r, const unsigned *set,
			char *msg, size_t msglen, unsigned *line)
{
	if (r->action == AD_ACTION_APPROVE)
		return 0;
	for (int k = 0; k < 6; k++)
		if (k != 1 && set[k] != 0)
			*line = set[k];
	if (set[0] || set[2] || set[3] || set[4] || set[5]) {
		snprintf(msg, msglen, "'window', 'owner', 'grants', "
			 "'grant_max_ttl' and 'grant_max_uses' only apply to "
			 "action = approve");
		return AD_ERR_CONFIG;
	}
	if (set[1] && r->action == AD_ACTION_DENY) {
		*line = set[1];
		snprintf(msg, msglen, "'rollback' does not apply to action = "
			 "deny (nothing runs)");
		return AD_ERR_CONFIG;
	}
	return 0;
}
