/*
 * policy.h — policy.conf: roles, rules, [default] (DESIGN.md §5,
 * docs/formats/policy.md, approverd.conf(5)).
 *
 * Invariants: the policy is read with ad_safe_read (§4.7); any error (unknown
 * section or key, duplicate, bad pattern, bad quorum, unknown role, bad
 * regex, bad duration) fails the whole load with "FILE:LINE: what is wrong";
 * rules are matched in file order, first match wins, [default] last; one
 * human counts once toward a quorum (§4.4). The governance keys (window,
 * rollback, owner, grants, grant_max_*, [breakglass]; docs/formats/
 * governance.md §1) are resolved at load time: no rule of a loaded policy
 * holds an unset value.
 */
#ifndef APPROVERD_POLICY_H
#define APPROVERD_POLICY_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdpat.h"
#include "request.h"

#define AD_POLICY_FILE_MAX (1024 * 1024)
#define AD_NAME_MAX 64        /* role, rule and approver names */
#define AD_QUORUM_MAX 32      /* largest total count in one require */
#define AD_POLICY_RULES_MAX 4096
#define AD_POLICY_ROLES_MAX 1024

enum ad_action {
	AD_ACTION_APPROVE = 0, /* needs the quorum in require */
	AD_ACTION_ALLOW,       /* allowed without approval */
	AD_ACTION_DENY,        /* refused, never approvable */
};

/* "allow", "deny", "approve". */
const char *ad_action_name(enum ad_action a);

struct ad_role {
	char *name;
	char **members;        /* NULL-terminated approver names */
	size_t n_members;
	unsigned line;
};

struct ad_quorum_term {
	uint32_t count;        /* >= 1 */
	size_t role;           /* index into ad_policy.roles */
	char *role_name;
};

/* An HTTP check done when a request is created (docs/NOTIFY.md):
 * ticket_check_url/_field/_value and precheck_url/_field/_value. */
struct ad_http_check {
	char *url;             /* NULL: no check; may hold {ticket}, {rule}, {host} */
	char *field;           /* NULL: HTTP 2xx suffices; else a dotted JSON path */
	char *value;           /* the text field must equal (with field) */
	unsigned line;         /* of the url key */
};

struct ad_rule {
	char *name;            /* "default" for [default] */
	unsigned line;         /* line of the section header, 0 if implicit */
	enum ad_action action;
	int has_command;
	struct ad_cmdpat command;
	char *command_text;    /* as written, "" if none */
	struct ad_word runas;  /* default "*" */
	char *runas_text;
	char **services;       /* NULL-terminated; NULL = default (see doc) */
	size_t n_services;
	char **users;          /* NULL-terminated; NULL = anyone; "%g" = group */
	size_t n_users;
	struct ad_quorum_term *require;
	size_t n_require;
	char *require_text;    /* as written, "" if none */
	unsigned require_line; /* line of 'require' (or of [default]'s) */
	int has_ticket;
	regex_t ticket;
	char *ticket_text;     /* "" if none */
	uint64_t max_ttl;      /* seconds, 0 = config max_approval_ttl */
	char **affects;        /* NULL-terminated, may be empty */
	size_t n_affects;
	struct ad_http_check ticket_check; /* no inheritance from [default] */
	struct ad_http_check precheck;
	/* docs/formats/governance.md §1 */
	struct ad_window *windows;  /* none = always open */
	size_t n_windows;
	char *window_text;     /* as written, "" if none */
	int rollback_required; /* rollback = required */
	char **owner_labels;   /* owner = LABEL:ROLE; parallel to require[];
				* NULL-terminated, NULL without owner */
	int grants_allowed;    /* grants = yes (default) / no */
	uint64_t grant_max_ttl;  /* seconds, default 7d */
	uint32_t grant_max_uses; /* default 100 */
};

/* One change window: days (bit 0 = Sunday .. bit 6 = Saturday, as
 * struct tm's tm_wday) and minutes after midnight; end may be below start
 * (runs past midnight) and up to 1440. */
struct ad_window {
	uint8_t days;
	uint16_t start_min, end_min;
};

struct ad_policy {
	char *path;
	struct ad_role *roles;
	size_t n_roles;
	struct ad_rule *rules; /* file order, [default] not included */
	size_t n_rules;
	struct ad_rule def;    /* [default] */
	struct ad_rule lookup_failed; /* deny rule "lookup-failed" (see below) */
	/* [breakglass] (docs/formats/governance.md §1); role SIZE_MAX = off */
	size_t breakglass_role;
	uint64_t breakglass_max_ttl;      /* default 1h, at most 24h */
	uint32_t breakglass_min_justification; /* default 10 */
};

/* Load path (absolute); err gets "FILE:LINE: what" or "FILE: reason". */
int ad_policy_load(struct ad_policy **out, const char *path, char *err,
		   size_t errlen) __attribute__((warn_unused_result));
/* The same from text in memory (tests, fuzzer). */
int ad_policy_parse(struct ad_policy **out, const char *file,
		    const char *text, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void ad_policy_free(struct ad_policy *p);

/*
 * The first rule matching r (service, command path + argv[1..], runas_user,
 * requester), else &p->def. Never NULL for a loaded policy. Group members in
 * "users = %group" are resolved through NSS at match time; an NSS failure
 * makes that rule not match (so a later, usually stricter rule applies).
 */
const struct ad_rule *ad_policy_match(const struct ad_policy *p,
				      const struct ad_request *r);

/* Role by name, NULL if none. */
const struct ad_role *ad_policy_role(const struct ad_policy *p,
				     const char *name);
/* 1 if name is a member of any role. */
int ad_policy_is_approver(const struct ad_policy *p, const char *name);

/*
 * Is the rule's quorum met by these approvers (names; duplicates and
 * non-members ignored)? Each distinct human fills at most one slot of the
 * whole quorum; the best assignment is searched (bipartite matching).
 * Returns 1 met, 0 not met (missing gets "1 more from role sre"), or a
 * negative ad_err. allow rules are always met; deny rules never
 * (missing = "denied by policy").
 */
int ad_quorum_eval(const struct ad_rule *rule, const struct ad_policy *p,
		   const char *const *approvers, size_t n, char *missing,
		   size_t missing_len) __attribute__((warn_unused_result));

/* "1 approval from role sre; ticket matching RE required". Returns 0 or
 * AD_ERR_TOOBIG when cut short. */
int ad_rule_requires_text(const struct ad_rule *rule, char *buf, size_t len);

/* 1 if the rule needs no ticket or ticket matches its regex, else 0. */
int ad_ticket_ok(const struct ad_rule *rule, const char *ticket);
/* 1 if the rule does not require a rollback plan or rollback holds text
 * other than blanks, else 0. */
int ad_rollback_ok(const struct ad_rule *rule, const char *rollback);

/*
 * url of check with {ticket}, {rule} and {host} replaced by the values,
 * each percent-encoded (RFC 3986: everything but A-Z a-z 0-9 - . _ ~).
 * *out is malloc'ed. AD_ERR_TOOBIG past 4096 bytes.
 */
int ad_http_check_url(char **out, const struct ad_http_check *check,
		      const char *ticket, const char *rule, const char *host)
	__attribute__((warn_unused_result));

/* The rule's max_ttl, or fallback (config max_approval_ttl) if unset. */
uint64_t ad_rule_max_ttl(const struct ad_rule *rule, uint64_t fallback);

#endif
