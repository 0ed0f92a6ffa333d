/*
 * ctl_policy.c — approverctl policy check | test.
 *
 * `check` loads approverd.conf and policy.conf exactly as the daemon does
 * (same trust checks, same parser) and reports FILE:LINE errors; it also
 * warns about role members without approvers_dir/NAME.pub and about rules
 * that can block requests (window, ticket) while break-glass is off. `test`
 * shows which rule a given request would match, what it requires, its
 * change window state, rollback, grant and break-glass settings
 * (docs/formats/governance.md §1). Both only read; exit 0 OK, 1 the files
 * are broken, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "ctl.h"
#include "error.h"
#include "num.h"
#include "nss.h"
#include "policy.h"
#include "text.h"
#include "window.h"

#define ERR_MAX 1024

/* Same search list as sudo's default secure_path. */
static const char *const secure_path[] = {
	"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
	"/sbin", "/bin", NULL,
};

struct ptest {
	const char *user;
	const char *runas;
	const char *service;
	int json;
	char **cmd;     /* CMD ARGS..., may be empty */
	int ncmd;
};

static void policy_usage(FILE *f)
{
	fprintf(f,
		"usage: approverctl policy check [-c CONFIG]\n"
		"       approverctl policy test [-c CONFIG] [--json] --user USER "
		"[--runas USER]\n"
		"                               [--service NAME] [-- CMD "
		"ARGS...]\n"
		"\n"
		"check  load approverd.conf and its policy as approverd does; "
		"print every\n"
		"       problem as FILE:LINE; warn about role members without a "
		"key file\n"
		"test   show the rule that a request would match and what it "
		"requires\n"
		"       (defaults: --service sudo, --runas root; CMD without '/' "
		"is looked up\n"
		"       in %s:...)\n"
		"\nexit status: 0 valid, 1 invalid files, 2 usage error\n",
		secure_path[0]);
}

/* Load config and policy; print the error and return 1 on failure. */
static int load_both(const char *config, struct ad_config **c,
		     struct ad_policy **p)
{
	char err[ERR_MAX];

	*c = NULL;
	*p = NULL;
	if (ad_config_load(c, config, AD_CONFIG_FULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "approverctl: %s\n", err);
		return CTL_EXIT_REFUSED;
	}
	if (ad_policy_load(p, (*c)->policy, err, sizeof(err)) != 0) {
		fprintf(stderr, "approverctl: %s\n", err);
		ad_config_free(*c);
		*c = NULL;
		return CTL_EXIT_REFUSED;
	}
	return CTL_EXIT_OK;
}

static size_t warn_missing_keys(const struct ad_config *c,
				const struct ad_policy *p)
{
	char path[4096];
	struct stat st;
	size_t warned = 0;

	for (size_t r = 0; r < p->n_roles; r++) {
		const struct ad_role *role = &p->roles[r];
		for (size_t m = 0; m < role->n_members; m++) {
			snprintf(path, sizeof(path), "%s/%s.pub",
				 c->approvers_dir, role->members[m]);
			if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
				continue;
			fprintf(stderr, "approverctl: warning: %s:%u: approver "
					"'%s' of role %s has no key file %s\n",
				p->path, role->line, role->members[m],
				role->name, path);
			warned++;
		}
	}
	return warned;
}

/* A blocked request can only wait or be superseded without break-glass. */
static size_t warn_blocking_rules(const struct ad_policy *p)
{
	size_t warned = 0;

	if (p->breakglass_role != SIZE_MAX)
		return 0;
	for (size_t i = 0; i <= p->n_rules; i++) {
		const struct ad_rule *r = i < p->n_rules ? &p->rules[i] : &p->def;
		if (r->action != AD_ACTION_APPROVE ||
		    (r->n_windows == 0 && !r->has_ticket))
			continue;
		fprintf(stderr, "approverctl: warning: %s:%u: [%s%s] can "
				"block requests (%s) and break-glass is off "
				"(no [breakglass] role, no role 'breakglass')\n",
			p->path, r->line, r == &p->def ? "" : "rule ",
			r == &p->def ? "default" : r->name,
			r->n_windows ? "change window" : "ticket");
		warned++;
	}
	return warned;
}

static int policy_check(const char *config)
{
	struct ad_config *c;
	struct ad_policy *p;
	size_t warned;
	int rc = load_both(config, &c, &p);

	if (rc != CTL_EXIT_OK)
		return rc;
	warned = warn_missing_keys(c, p);
	warned += warn_blocking_rules(p);
	if (c->n_subject_users == 0 && c->n_subject_groups == 0 &&
	    c->n_subject_uids == 0) {
		fprintf(stderr, "approverctl: warning: %s: [subjects] names no "
				"users, groups or uids: approverd holds "
				"nothing\n", c->path);
		warned++;
	}
	printf("%s: ok\n%s: ok (%zu role(s), %zu rule(s) and [default])%s\n",
	       c->path, p->path, p->n_roles, p->n_rules,
	       warned ? ", with warnings" : "");
	ad_policy_free(p);
	ad_config_free(c);
	return CTL_EXIT_OK;
}

/* Absolute path for CMD: as given when it contains '/', else searched. */
static int resolve_cmd(char *out, size_t outlen, const char *cmd)
{
	if (strchr(cmd, '/') != NULL) {
		if (cmd[0] != '/')
			return -1;
		snprintf(out, outlen, "%s", cmd);
		return 0;
	}
	for (size_t i = 0; secure_path[i] != NULL; i++) {
		snprintf(out, outlen, "%s/%s", secure_path[i], cmd);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -1;
}

static int ai_status(const struct ad_config *c, const char *user)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int rc = ad_nss_user(user, &uid, &gid);

	if (rc < 0)
		return rc;
	return ad_subject_is_ai(c, user, uid, gid);
}

static json_t *strv_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *quorum_json(const struct ad_rule *rule)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < rule->n_require; i++)
		json_array_append_new(
			a, json_pack("{s:s, s:I}", "role",
				     rule->require[i].role_name, "count",
				     (json_int_t)rule->require[i].count));
	return a;
}

struct verdict {
	const struct ad_rule *rule;
	int ai;
	char requires[1024];
	uint64_t max_ttl;
	char ttl[32];
	int window_open;       /* 1 open (or no window) now */
	time_t window_next;    /* next opening, 0 if none */
	char window_next_text[64];
	char grant_ttl[32];
	char bg_ttl[32];
	const char *bg_role;   /* NULL = break-glass off */
	unsigned bg_min;
	uint64_t bg_ttl_s;
};

/* Window, grant and break-glass facts (docs/formats/governance.md §1). */
static void gov_facts(struct verdict *v, const struct ad_policy *p)
{
	time_t now = time(NULL);

	v->window_open = ad_window_open(v->rule, now);
	if (!v->window_open &&
	    ad_window_next_open(v->rule, now, &v->window_next) == 0)
		ad_window_time_text(v->window_next, v->window_next_text,
				    sizeof(v->window_next_text));
	ad_format_duration(v->grant_ttl, sizeof(v->grant_ttl),
			   v->rule->grant_max_ttl);
	ad_format_duration(v->bg_ttl, sizeof(v->bg_ttl), p->breakglass_max_ttl);
	v->bg_role = p->breakglass_role != SIZE_MAX
			     ? p->roles[p->breakglass_role].name : NULL;
	v->bg_min = p->breakglass_min_justification;
	v->bg_ttl_s = p->breakglass_max_ttl;
}

static json_t *gov_json(const struct verdict *v)
{
	const struct ad_rule *r = v->rule;

	return json_pack(
		"{s:o, s:b, s:o, s:s, s:s, s:b, s:I, s:I, s:o, s:I, s:I}",
		"window", r->n_windows ? json_string(r->window_text)
				       : json_null(),
		"window_open", v->window_open,
		"window_next", v->window_next ? json_integer(
			(json_int_t)v->window_next) : json_null(),
		"window_next_text", v->window_next_text,
		"rollback", r->rollback_required > 0 ? "required" : "optional",
		"grants", r->grants_allowed > 0,
		"grant_max_ttl", (json_int_t)r->grant_max_ttl,
		"grant_max_uses", (json_int_t)r->grant_max_uses,
		"breakglass_role", v->bg_role ? json_string(v->bg_role)
					      : json_null(),
		"breakglass_max_ttl", (json_int_t)v->bg_ttl_s,
		"breakglass_min_justification", (json_int_t)v->bg_min);
}

static int print_json(const struct ptest *t, const struct ad_request *r,
		      const struct verdict *v)
{
	json_t *o = json_pack(
		"{s:s, s:o, s:s, s:s, s:s, s:o, s:s, s:I, s:s, s:s, s:o, "
		"s:I, s:s, s:o, s:o}",
		"user", t->user, "ai_subject",
		v->ai < 0 ? json_null() : json_boolean(v->ai), "service",
		r->service, "runas", r->runas_user, "command", r->command,
		"argv", strv_json(r->argv.v, r->argv.n), "rule",
		v->rule->name, "line", (json_int_t)v->rule->line, "action",
		ad_action_name(v->rule->action), "requires", v->requires,
		"quorum", quorum_json(v->rule), "max_ttl",
		(json_int_t)v->max_ttl, "max_ttl_text", v->ttl, "ticket",
		v->rule->has_ticket ? json_string(v->rule->ticket_text)
				    : json_null(),
		"affects", strv_json(v->rule->affects, v->rule->n_affects));
	json_t *g = gov_json(v);
	char *s = o != NULL && g != NULL && json_object_update(o, g) == 0
			  ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(g);
	json_decref(o);
	if (s == NULL) {
		fprintf(stderr, "approverctl: policy test: out of memory\n");
		return CTL_EXIT_USAGE;
	}
	printf("%s\n", s);
	free(s);
	return CTL_EXIT_OK;
}

static void print_escaped(const char *label, const char *s)
{
	char *e = ad_escape(s);

	printf("%-9s %s\n", label, e != NULL ? e : "?");
	free(e);
}

/* window / rollback / grants / break-glass lines (approverctl(1)). */
static void print_gov(const struct verdict *v)
{
	const struct ad_rule *r = v->rule;

	if (r->action == AD_ACTION_APPROVE && r->n_windows == 0)
		printf("%-9s none (always open)\n", "window:");
	else if (r->action == AD_ACTION_APPROVE)
		printf("%-9s %s: %s%s%s\n", "window:", r->window_text,
		       v->window_open ? "open now" : "closed",
		       v->window_next_text[0] ? ", next opens " : "",
		       v->window_next_text);
	if (r->action != AD_ACTION_DENY)
		printf("%-9s %s\n", "rollback:", r->rollback_required > 0
		       ? "required (APPROVERD_ROLLBACK)" : "optional");
	if (r->action == AD_ACTION_APPROVE && r->grants_allowed > 0)
		printf("%-9s yes (at most %s, %u uses)\n", "grants:",
		       v->grant_ttl, r->grant_max_uses);
	else if (r->action == AD_ACTION_APPROVE)
		printf("%-9s no\n", "grants:");
	if (v->bg_role != NULL)
		printf("break-glass: role %s (at most %s, justification of at "
		       "least %u characters)\n", v->bg_role, v->bg_ttl,
		       v->bg_min);
	else
		printf("break-glass: off\n");
}

static int print_text(const struct ptest *t, const struct ad_request *r,
		      const struct verdict *v, const struct ad_policy *p)
{
	print_escaped("user:", t->user);
	printf("%-9s %s\n", "subject:", v->ai == 1 ? "AI subject (approverd "
			    "decides)" : v->ai == 0 ? "not an AI subject "
			    "(approverd is not consulted)"
			    : "unknown (look-up failed: treated as AI)");
	printf("%-9s %s as %s\n", "service:", r->service, r->runas_user);
	if (r->command[0] != '\0') {
		printf("%-9s", "command:");
		for (size_t i = 0; i < r->argv.n; i++) {
			char *e = ad_escape(i == 0 ? r->command : r->argv.v[i]);
			printf(" %s", e != NULL ? e : "?");
			free(e);
		}
		printf("\n");
	}
	if (v->rule->line != 0)
		printf("%-9s %s (%s:%u)\n", "rule:", v->rule->name, p->path,
		       v->rule->line);
	else
		printf("%-9s %s (built in)\n", "rule:", v->rule->name);
	printf("%-9s %s\n", "action:", ad_action_name(v->rule->action));
	printf("%-9s %s\n", "requires:", v->requires);
	if (v->rule->action == AD_ACTION_APPROVE)
		printf("%-9s %s\n", "max_ttl:", v->ttl);
	printf("%-9s", "affects:");
	for (size_t i = 0; i < v->rule->n_affects; i++)
		printf("%s %s", i ? "," : "", v->rule->affects[i]);
	printf("%s\n", v->rule->n_affects ? "" : " -");
	print_gov(v);
	return CTL_EXIT_OK;
}

static int run_test(const struct ptest *t, const struct ad_config *c,
		    const struct ad_policy *p)
{
	char path[4096] = "";
	struct ad_request r;
	struct verdict v;

	memset(&r, 0, sizeof(r));
	memset(&v, 0, sizeof(v));
	if (t->ncmd > 0 && resolve_cmd(path, sizeof(path), t->cmd[0]) != 0) {
		fprintf(stderr, "approverctl: policy test: command '%s' not "
				"found (give an absolute path)\n", t->cmd[0]);
		return CTL_EXIT_USAGE;
	}
	r.requester = (char *)t->user;
	r.service = (char *)t->service;
	r.runas_user = (char *)t->runas;
	r.command = path;
	r.argv.n = (size_t)t->ncmd;
	r.argv.v = t->cmd;
	v.rule = ad_policy_match(p, &r);
	v.ai = ai_status(c, t->user);
	ad_rule_requires_text(v.rule, v.requires, sizeof(v.requires));
	v.max_ttl = ad_rule_max_ttl(v.rule, c->max_approval_ttl);
	ad_format_duration(v.ttl, sizeof(v.ttl), v.max_ttl);
	gov_facts(&v, p);
	if (t->json)
		return print_json(t, &r, &v);
	return print_text(t, &r, &v, p);
}

static int policy_test(const char *config, const struct ptest *t)
{
	struct ad_config *c;
	struct ad_policy *p;
	int rc;

	if (t->user == NULL || t->user[0] == '\0') {
		fprintf(stderr, "approverctl: policy test: --user is "
				"required\n");
		return CTL_EXIT_USAGE;
	}
	if (t->ncmd == 0 && strcmp(t->service, "sudo") == 0) {
		fprintf(stderr, "approverctl: policy test: service sudo needs "
				"a command after --\n");
		return CTL_EXIT_USAGE;
	}
	if ((rc = load_both(config, &c, &p)) != CTL_EXIT_OK)
		return rc;
	rc = run_test(t, c, p);
	ad_policy_free(p);
	ad_config_free(c);
	return rc;
}

/* Parse the options of check/test (argv[0] is "check" or "test"). */
static int parse_opts(int argc, char **argv, const char **config,
		      struct ptest *t)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, 'j'},
		{"user", required_argument, NULL, 'u'},
		{"runas", required_argument, NULL, 'r'},
		{"service", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+c:ju:r:s:h", longopts,
				 NULL)) != -1) {
		switch (ch) {
		case 'c': *config = optarg; break;
		case 'j': t->json = 1; break;
		case 'u': t->user = optarg; break;
		case 'r': t->runas = optarg; break;
		case 's': t->service = optarg; break;
		case 'h': policy_usage(stdout); return 1;
		default: policy_usage(stderr); return -1;
		}
	}
	t->cmd = argv + optind;
	t->ncmd = argc - optind;
	return 0;
}

int ctl_policy(int argc, char **argv)
{
	struct ptest t = {NULL, "root", "sudo", 0, NULL, 0};
	const char *config = ctl_g.config;
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		policy_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CTL_EXIT_USAGE : CTL_EXIT_OK;
	}
	if (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "test") != 0) {
		fprintf(stderr, "approverctl: policy: unknown action '%s'\n",
			argv[1]);
		policy_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	rc = parse_opts(argc - 1, argv + 1, &config, &t);
	if (rc != 0)
		return rc > 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	if (strcmp(argv[1], "check") == 0) {
		if (t.ncmd != 0 || t.user != NULL || t.json) {
			fprintf(stderr, "approverctl: policy check takes only "
					"-c CONFIG\n");
			return CTL_EXIT_USAGE;
		}
		return policy_check(config);
	}
	return policy_test(config, &t);
}
