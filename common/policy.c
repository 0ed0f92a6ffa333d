/*
 * policy.c — load policy.conf into struct ad_policy.
 *
 * Invariants (DESIGN.md §4.7, §5; policy.h): read only through ad_safe_read;
 * the first error stops the load and is reported as FILE:LINE; no partial
 * policy is ever returned, so a broken policy means no (new) policy; every
 * approve rule ends up with a resolved, satisfiable quorum; ticket regexes
 * are compiled at load time, and one that regcomp would blow up (nested
 * intervals: ere_size.h) is refused before it is compiled.
 */
#include "policy.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ere_size.h"
#include "error.h"
#include "ini_lines.h"
#include "num.h"
#include "policy_int.h"
#include "safefile.h"
#include "text.h"

enum psec { PS_NONE, PS_ROLE, PS_RULE, PS_DEFAULT, PS_BREAKGLASS };
enum rkey { RK_COMMAND, RK_RUNAS, RK_SERVICE, RK_USERS, RK_REQUIRE,
	    RK_TICKET, RK_MAX_TTL, RK_AFFECTS, RK_ACTION, RK_TICKET_CHECK_URL,
	    RK_TICKET_CHECK_FIELD, RK_TICKET_CHECK_VALUE, RK_PRECHECK_URL,
	    RK_PRECHECK_FIELD, RK_PRECHECK_VALUE, RK_WINDOW, RK_ROLLBACK,
	    RK_OWNER, RK_GRANTS, RK_GRANT_MAX_TTL, RK_GRANT_MAX_USES, RK_N };

static const char *const rkey_names[RK_N] = {
	"command", "runas", "service", "users", "require",
	"ticket", "max_ttl", "affects", "action",
	"ticket_check_url", "ticket_check_field", "ticket_check_value",
	"precheck_url", "precheck_field", "precheck_value",
	"window", "rollback", "owner", "grants", "grant_max_ttl",
	"grant_max_uses",
};

struct pol_parse {
	struct ad_policy *p;
	enum psec sec;
	size_t idx;            /* current role or rule index */
	unsigned sec_line;
	unsigned seen[RK_N];   /* rule keys: line of first use */
	unsigned members_line; /* role: line of 'members' */
	unsigned default_line; /* 0 = no [default] yet */
	struct ad_breakglass_parse bg; /* [breakglass] */
	unsigned bg_line;      /* 0 = no [breakglass] yet */
};

/* Role, rule and approver names: portable characters, not starting '-'. */
int ad_policy_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > AD_NAME_MAX || s[0] == '-' || s[0] == '.')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static struct ad_rule *cur_rule(struct pol_parse *pp)
{
	return pp->sec == PS_DEFAULT ? &pp->p->def : &pp->p->rules[pp->idx];
}

static int rule_init(struct ad_rule *r, const char *name, unsigned line)
{
	char msg[8];

	memset(r, 0, sizeof(*r));
	r->line = line;
	r->name = strdup(name);
	r->command_text = strdup("");
	r->runas_text = strdup("*");
	r->require_text = strdup("");
	r->ticket_text = strdup("");
	r->affects = calloc(1, sizeof(char *));
	r->window_text = strdup("");
	r->rollback_required = -1; /* unset until resolved */
	r->grants_allowed = -1;
	if (r->window_text == NULL || r->name == NULL || r->command_text == NULL ||
	    r->runas_text == NULL || r->require_text == NULL ||
	    r->ticket_text == NULL || r->affects == NULL)
		return AD_ERR_NOMEM;
	return ad_word_compile_one(&r->runas, "*", msg, sizeof(msg));
}

static int role_add(struct pol_parse *pp, const char *name, unsigned line,
		    char *msg, size_t msglen)
{
	struct ad_policy *p = pp->p;
	struct ad_role *nr;

	if (ad_policy_role(p, name) != NULL) {
		snprintf(msg, msglen, "duplicate [role %s] (first at line %u)",
			 name, ad_policy_role(p, name)->line);
		return AD_ERR_CONFIG;
	}
	if (p->n_roles >= AD_POLICY_ROLES_MAX) {
		snprintf(msg, msglen, "more than %d roles", AD_POLICY_ROLES_MAX);
		return AD_ERR_CONFIG;
	}
	nr = realloc(p->roles, (p->n_roles + 1) * sizeof(*nr));
	if (nr == NULL)
		return AD_ERR_NOMEM;
	p->roles = nr;
	memset(&nr[p->n_roles], 0, sizeof(*nr));
	nr[p->n_roles].line = line;
	if ((nr[p->n_roles].name = strdup(name)) == NULL)
		return AD_ERR_NOMEM;
	pp->idx = p->n_roles++;
	pp->sec = PS_ROLE;
	pp->members_line = 0;
	return 0;
}

static int rule_add(struct pol_parse *pp, const char *name, unsigned line,
		    char *msg, size_t msglen)
{
	struct ad_policy *p = pp->p;
	struct ad_rule *nr;

	for (size_t i = 0; i < p->n_rules; i++) {
		if (strcmp(p->rules[i].name, name) == 0) {
			snprintf(msg, msglen, "duplicate [rule %s] (first at "
					      "line %u)", name, p->rules[i].line);
			return AD_ERR_CONFIG;
		}
	}
	if (strcmp(name, "default") == 0 || p->n_rules >= AD_POLICY_RULES_MAX) {
		snprintf(msg, msglen, strcmp(name, "default") == 0
			 ? "a rule may not be named 'default' (use [default])"
			 : "too many rules");
		return AD_ERR_CONFIG;
	}
	nr = realloc(p->rules, (p->n_rules + 1) * sizeof(*nr));
	if (nr == NULL)
		return AD_ERR_NOMEM;
	p->rules = nr;
	pp->idx = p->n_rules++;
	pp->sec = PS_RULE;
	return rule_init(&nr[pp->idx], name, line);
}

/* Checks that need the whole section: called at the next header and at EOF;
 * *line is the section header's line unless a key is at fault. */
static int section_end(struct pol_parse *pp, char *msg, size_t msglen,
		       unsigned *line)
{
	int any = 0;

	*line = pp->sec_line;
	if ((pp->sec == PS_RULE || pp->sec == PS_DEFAULT) &&
	    ad_policy_gov_check(cur_rule(pp), &pp->seen[RK_WINDOW], msg,
				msglen, line) != 0)
		return AD_ERR_CONFIG;

	if (pp->sec == PS_ROLE && pp->members_line == 0) {
		snprintf(msg, msglen, "[role %s] has no 'members'",
			 pp->p->roles[pp->idx].name);
		return AD_ERR_CONFIG;
	}
	for (int k = 0; k < RK_N; k++)
		any |= pp->seen[k] != 0;
	if (pp->sec == PS_RULE && !any) {
		snprintf(msg, msglen, "[rule %s] is empty",
			 cur_rule(pp)->name);
		return AD_ERR_CONFIG;
	}
	return 0;
}

static int split_header(const char *name, const char *kind, const char **rest)
{
	size_t n = strlen(kind);

	if (strncmp(name, kind, n) != 0 || (name[n] != ' ' && name[n] != '\t'))
		return 0;
	for (*rest = name + n; **rest == ' ' || **rest == '\t';)
		(*rest)++;
	return 1;
}

static int pol_section(void *user, const char *name, unsigned *linep,
		       char *msg, size_t msglen)
{
	struct pol_parse *pp = user;
	const char *rest = NULL;
	unsigned line = *linep;
	int rc;

	if ((rc = section_end(pp, msg, msglen, &line)) != 0) {
		*linep = line;
		return rc;
	}
	line = *linep;
	memset(pp->seen, 0, sizeof(pp->seen));
	pp->sec_line = line;
	if (strcmp(name, "breakglass") == 0) {
		if (pp->bg_line != 0) {
			snprintf(msg, msglen, "duplicate [breakglass] (first "
					      "at line %u)", pp->bg_line);
			return AD_ERR_CONFIG;
		}
		pp->bg_line = line;
		pp->sec = PS_BREAKGLASS;
		return 0;
	}
	if (strcmp(name, "default") == 0) {
		if (pp->default_line != 0) {
			snprintf(msg, msglen, "duplicate [default] (first at "
					      "line %u)", pp->default_line);
			return AD_ERR_CONFIG;
		}
		pp->default_line = line;
		pp->sec = PS_DEFAULT;
		pp->p->def.line = line;
		return 0;
	}
	if (!split_header(name, "role", &rest) &&
	    !split_header(name, "rule", &rest)) {
		snprintf(msg, msglen, "unknown section [%.64s] (expected [role "
				      "NAME], [rule NAME], [default] or "
				      "[breakglass])", name);
		return AD_ERR_CONFIG;
	}
	if (!ad_policy_name_ok(rest)) {
		snprintf(msg, msglen, "bad name in [%.80s] (letters, digits, "
				      "'.', '_', '-'; at most %d)", name,
			 AD_NAME_MAX);
		return AD_ERR_CONFIG;
	}
	if (name[1] == 'o')
		return role_add(pp, rest, line, msg, msglen);
	return rule_add(pp, rest, line, msg, msglen);
}

static int list_value(char ***out, size_t *n, const char *key, const char *v,
		      int names, char *msg, size_t msglen)
{
	char **list = NULL;
	size_t cnt = 0;
	int rc = ad_split_list(&list, &cnt, v);

	if (rc != 0) {
		snprintf(msg, msglen, "bad list in '%s': %s", key,
			 ad_strerror(rc));
		return rc == AD_ERR_NOMEM ? rc : AD_ERR_CONFIG;
	}
	for (size_t i = 0; names && i < cnt; i++) {
		const char *s = list[i] + (names == 2 && list[i][0] == '%');
		if (!ad_policy_name_ok(s)) {
			snprintf(msg, msglen, "bad name '%.64s' in '%s'",
				 list[i], key);
			ad_strv_free(list);
			return AD_ERR_CONFIG;
		}
	}
	if (cnt == 0 && names) {
		snprintf(msg, msglen, "'%s' is empty", key);
		ad_strv_free(list);
		return AD_ERR_CONFIG;
	}
	if (*out != NULL)
		ad_strv_free(*out);
	*out = list;
	*n = cnt;
	return 0;
}

int ad_policy_set_str(char **field, const char *v)
{
	char *d = strdup(v);

	if (d == NULL)
		return AD_ERR_NOMEM;
	free(*field);
	*field = d;
	return 0;
}

static int set_action(struct ad_rule *r, const char *v, char *msg,
		      size_t msglen)
{
	for (int a = AD_ACTION_APPROVE; a <= AD_ACTION_DENY; a++) {
		if (strcmp(v, ad_action_name((enum ad_action)a)) == 0) {
			r->action = (enum ad_action)a;
			return 0;
		}
	}
	snprintf(msg, msglen, "bad action '%.64s' (allow, deny or approve)", v);
	return AD_ERR_CONFIG;
}

static int set_ticket(struct ad_rule *r, const char *v, char *msg,
		      size_t msglen)
{
	char why[128];
	size_t size;
	int rc;

	if (v[0] == '\0') {
		snprintf(msg, msglen, "empty 'ticket' regex");
		return AD_ERR_CONFIG;
	}
	if (ad_ere_size(v, &size) != 0 || size > AD_ERE_SIZE_MAX) {
		snprintf(msg, msglen, "bad 'ticket' regex '%.64s': too complex "
			 "(groups nested more than 6 deep, a repetition of a "
			 "repetition, or more than %d atoms once {m,n} are "
			 "expanded)", v, AD_ERE_SIZE_MAX);
		return AD_ERR_CONFIG;
	}
	rc = regcomp(&r->ticket, v, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &r->ticket, why, sizeof(why));
		snprintf(msg, msglen, "bad 'ticket' regex '%.64s': %s", v, why);
		return AD_ERR_CONFIG;
	}
	r->has_ticket = 1;
	return ad_policy_set_str(&r->ticket_text, v);
}

static int set_max_ttl(struct ad_rule *r, const char *v, char *msg,
		       size_t msglen)
{
	uint64_t d;
	int rc = ad_parse_duration(&d, v);

	if (rc == 0 && d == 0)
		rc = AD_ERR_RANGE;
	if (rc != 0) {
		snprintf(msg, msglen, "bad duration '%.64s' for 'max_ttl' (%s; "
				      "use e.g. 30s, 15m, 2h, 1d)", v,
			 ad_strerror(rc));
		return AD_ERR_CONFIG;
	}
	r->max_ttl = d;
	return 0;
}

static int set_command(struct ad_rule *r, const char *v, char *msg,
		       size_t msglen)
{
	char why[160];
	int rc = ad_cmdpat_compile(&r->command, v, why, sizeof(why));

	if (rc == AD_ERR_CONFIG)
		snprintf(msg, msglen, "bad 'command': %s", why);
	if (rc != 0)
		return rc;
	r->has_command = 1;
	return ad_policy_set_str(&r->command_text, v);
}

static int set_runas(struct ad_rule *r, const char *v, char *msg,
		     size_t msglen)
{
	char why[160];
	int rc;

	ad_word_free(&r->runas);
	rc = ad_word_compile_one(&r->runas, v, why, sizeof(why));
	if (rc == AD_ERR_CONFIG)
		snprintf(msg, msglen, "bad 'runas': %s", why);
	if (rc != 0)
		return rc;
	return ad_policy_set_str(&r->runas_text, v);
}

static int rule_key(struct pol_parse *pp, int k, const char *v,
		    unsigned line, char *msg, size_t msglen)
{
	struct ad_rule *r = cur_rule(pp);

	switch (k) {
	case RK_COMMAND: return set_command(r, v, msg, msglen);
	case RK_RUNAS: return set_runas(r, v, msg, msglen);
	case RK_SERVICE:
		return list_value(&r->services, &r->n_services, "service", v,
				  1, msg, msglen);
	case RK_USERS:
		return list_value(&r->users, &r->n_users, "users", v, 2, msg,
				  msglen);
	case RK_REQUIRE:
		r->require_line = line;
		return ad_policy_set_str(&r->require_text, v);
	case RK_TICKET: return set_ticket(r, v, msg, msglen);
	case RK_MAX_TTL: return set_max_ttl(r, v, msg, msglen);
	case RK_AFFECTS:
		return list_value(&r->affects, &r->n_affects, "affects", v, 0,
				  msg, msglen);
	case RK_ACTION: return set_action(r, v, msg, msglen);
	case RK_OWNER:
		r->require_line = line;
		/* fall through */
	case RK_WINDOW: case RK_ROLLBACK: case RK_GRANTS:
	case RK_GRANT_MAX_TTL: case RK_GRANT_MAX_USES:
		return ad_policy_gov_key(r, rkey_names[k], v, msg, msglen);
	case RK_PRECHECK_URL: case RK_PRECHECK_FIELD: case RK_PRECHECK_VALUE:
		return ad_policy_http_key(&r->precheck, rkey_names[k],
					  k - RK_PRECHECK_URL, v, line, msg,
					  msglen);
	case RK_TICKET_CHECK_URL:
	case RK_TICKET_CHECK_FIELD:
	case RK_TICKET_CHECK_VALUE:
		return ad_policy_http_key(&r->ticket_check, rkey_names[k],
					  k - RK_TICKET_CHECK_URL, v, line, msg,
					  msglen);
	default:
		return AD_ERR_CONFIG;
	}
}

static int default_key_ok(int k)
{
	return k == RK_REQUIRE || k == RK_TICKET || k == RK_MAX_TTL ||
	       k == RK_AFFECTS || k == RK_ACTION || k >= RK_TICKET_CHECK_URL;
}

static int role_key(struct pol_parse *pp, const char *key, const char *v,
		    unsigned line, char *msg, size_t msglen)
{
	struct ad_role *role = &pp->p->roles[pp->idx];

	if (strcmp(key, "members") != 0) {
		snprintf(msg, msglen, "unknown key '%.64s' in [role %s]", key,
			 role->name);
		return AD_ERR_CONFIG;
	}
	if (pp->members_line != 0) {
		snprintf(msg, msglen, "duplicate key 'members' in [role %s] "
				      "(first at line %u)", role->name,
			 pp->members_line);
		return AD_ERR_CONFIG;
	}
	pp->members_line = line;
	return list_value(&role->members, &role->n_members, "members", v, 1,
			  msg, msglen);
}

static int pol_key(void *user, const char *key, const char *v, unsigned line,
		   char *msg, size_t msglen)
{
	struct pol_parse *pp = user;
	int k;

	if (ad_has_ctrl(v)) {
		snprintf(msg, msglen, "control character in the value of "
				      "'%.64s'", key);
		return AD_ERR_CONFIG;
	}
	if (pp->sec == PS_ROLE)
		return role_key(pp, key, v, line, msg, msglen);
	if (pp->sec == PS_BREAKGLASS)
		return ad_policy_bg_key(pp->p, &pp->bg, key, v, line, msg,
					msglen);
	for (k = 0; k < RK_N && strcmp(rkey_names[k], key) != 0; k++)
		;
	if (k == RK_N || (pp->sec == PS_DEFAULT && !default_key_ok(k))) {
		snprintf(msg, msglen, "unknown key '%.64s' in [%s%s]", key,
			 pp->sec == PS_DEFAULT ? "" : "rule ",
			 cur_rule(pp)->name);
		return AD_ERR_CONFIG;
	}
	if (pp->seen[k] != 0) {
		snprintf(msg, msglen, "duplicate key '%s' in [%s%s] (first at "
				      "line %u)", key,
			 pp->sec == PS_DEFAULT ? "" : "rule ",
			 cur_rule(pp)->name, pp->seen[k]);
		return AD_ERR_CONFIG;
	}
	if ((k == RK_OWNER && pp->seen[RK_REQUIRE]) ||
	    (k == RK_REQUIRE && pp->seen[RK_OWNER])) {
		snprintf(msg, msglen, "'owner' and 'require' in the same "
				      "section (line %u): use one",
			 pp->seen[k == RK_OWNER ? RK_REQUIRE : RK_OWNER]);
		return AD_ERR_CONFIG;
	}
	pp->seen[k] = line;
	return rule_key(pp, k, v, line, msg, msglen);
}

static int policy_finish(struct pol_parse *pp, const char *file, char *err,
			 size_t errlen)
{
	char msg[AD_INI_MSG_MAX];
	unsigned line = 0;
	int rc;

	msg[0] = '\0';
	if ((rc = section_end(pp, msg, sizeof(msg), &line)) != 0) {
		snprintf(err, errlen, "%s:%u: %s", file, line, msg);
		return rc;
	}
	if (pp->default_line == 0) {
		snprintf(err, errlen, "%s: no [default] section (it says what "
				      "happens when no rule matches)", file);
		return AD_ERR_CONFIG;
	}
	rc = ad_policy_resolve(pp->p, msg, sizeof(msg), &line);
	if (rc == 0)
		rc = ad_policy_bg_resolve(pp->p, &pp->bg, msg, sizeof(msg),
					  &line);
	if (rc == AD_ERR_CONFIG)
		snprintf(err, errlen, "%s:%u: %s", file, line, msg);
	return rc;
}

int ad_policy_parse(struct ad_policy **out, const char *file,
		    const char *text, char *err, size_t errlen)
{
	struct pol_parse pp;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&pp, 0, sizeof(pp));
	if ((pp.p = calloc(1, sizeof(*pp.p))) == NULL)
		return AD_ERR_NOMEM;
	rc = ad_policy_set_str(&pp.p->path, file);
	if (rc == 0)
		rc = rule_init(&pp.p->def, "default", 0);
	if (rc == 0)
		rc = rule_init(&pp.p->lookup_failed, "lookup-failed", 0);
	pp.p->lookup_failed.action = AD_ACTION_DENY;
	pp.p->breakglass_role = SIZE_MAX; /* off until [breakglass] or role */
	if (rc == 0)
		rc = ad_ini_parse(file, text, pol_section, pol_key, &pp, err,
				  errlen);
	if (rc == 0)
		rc = policy_finish(&pp, file, err, errlen);
	if (rc != 0) {
		if (rc == AD_ERR_NOMEM && err != NULL && err[0] == '\0')
			snprintf(err, errlen, "%s: out of memory", file);
		ad_policy_free(pp.p);
		return rc;
	}
	*out = pp.p;
	return 0;
}

int ad_policy_load(struct ad_policy **out, const char *path, char *err,
		   size_t errlen)
{
	char why[AD_WHY_MAX];
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || path[0] != '/') {
		snprintf(err, errlen, "%s: policy path must be absolute",
			 path != NULL ? path : "(null)");
		return AD_ERR_CONFIG;
	}
	rc = ad_safe_read(&text, &len, path, &ad_trust_root,
			  AD_POLICY_FILE_MAX, why);
	if (rc != 0) {
		snprintf(err, errlen, "%s", why);
		return rc;
	}
	rc = ad_policy_parse(out, path, text, err, errlen);
	free(text);
	return rc;
}

void ad_policy_rule_free(struct ad_rule *r)
{
	free(r->name);
	ad_cmdpat_free(&r->command);
	free(r->command_text);
	ad_word_free(&r->runas);
	free(r->runas_text);
	if (r->services != NULL)
		ad_strv_free(r->services);
	if (r->users != NULL)
		ad_strv_free(r->users);
	for (size_t i = 0; i < r->n_require; i++)
		free(r->require[i].role_name);
	free(r->require);
	free(r->require_text);
	if (r->has_ticket)
		regfree(&r->ticket);
	free(r->ticket_text);
	if (r->affects != NULL)
		ad_strv_free(r->affects);
	ad_http_check_free(&r->ticket_check);
	ad_http_check_free(&r->precheck);
	free(r->windows);
	free(r->window_text);
	if (r->owner_labels != NULL)
		ad_strv_free(r->owner_labels);
	memset(r, 0, sizeof(*r));
}

void ad_policy_free(struct ad_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_roles; i++) {
		free(p->roles[i].name);
		if (p->roles[i].members != NULL)
			ad_strv_free(p->roles[i].members);
	}
	free(p->roles);
	for (size_t i = 0; i < p->n_rules; i++)
		ad_policy_rule_free(&p->rules[i]);
	free(p->rules);
	ad_policy_rule_free(&p->def);
	ad_policy_rule_free(&p->lookup_failed);
	free(p->path);
	free(p);
}
