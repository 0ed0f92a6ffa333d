/*
 * ctl_grant.c — `approverctl grant` and `approverctl revoke` (standing
 * grants, docs/formats/governance.md §4, approverctl(1)).
 *
 * Invariants: arguments are checked here only for syntax (durations,
 * counts); the daemon decides who may ask for a grant (root or an
 * approver) and whether the rule allows it, and records it. With -k the
 * first approval (grant) or the revocation (revoke) is signed through
 * ctl_grant_sign(), which shows what is signed first.
 * Exit codes as ctl.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_grant.h"
#include "ctl_online.h"
#include "error.h"
#include "num.h"
#include "proto.h"
#include "token.h"

struct grant_opts {
	const char *requester, *rule, *match, *comment, *key;
	uint64_t ttl;
	uint32_t uses;
	int json, yes, help;
};

static void grant_usage(FILE *f)
{
	fprintf(f, "usage: approverctl grant --requester USER --rule RULE "
		   "[--match PATTERN]\n"
		   "         --ttl DUR --uses N [--comment TEXT] [-k KEY] "
		   "[--yes] [--json]\n"
		   "  asks approverd for a standing grant: USER's runs that RULE "
		   "matches (and,\n  with --match, that PATTERN matches too) are "
		   "allowed without a new approval,\n  at most N times, for DUR "
		   "(30m, 8h, 7d), once approvers meet RULE's quorum.\n"
		   "  RULE must be an approve rule with grants = yes; DUR and N "
		   "are capped by its\n  grant_max_ttl and grant_max_uses. "
		   "Callers: root or a registered approver.\n"
		   "  -k KEY    also sign and submit the first approval with KEY\n"
		   "  --yes     do not ask for confirmation before signing\n"
		   "  --json    print the grant as JSON\n"
		   "exit status: 0 done, 1 refused (reason printed), 2 usage or "
		   "I/O, 3 approverd\n  unreachable\n");
}

static int grant_opt(struct grant_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 'r': o->requester = arg; return 0;
	case 'R': o->rule = arg; return 0;
	case 'm': o->match = arg; return 0;
	case 'c': o->comment = arg; return 0;
	case 'k': o->key = arg; return 0;
	case 'j': o->json = 1; return 0;
	case 'y': o->yes = 1; return 0;
	case 'h': o->help = 1; return -1;
	case 't':
		if (ad_parse_duration(&o->ttl, arg) == 0 && o->ttl > 0)
			return 0;
		fprintf(stderr, "approverctl grant: --ttl '%s': need a duration "
			"such as 8h or 7d\n", arg);
		return -1;
	case 'u':
		if (ad_parse_u32(&o->uses, arg, 1, 1000) == 0)
			return 0;
		fprintf(stderr, "approverctl grant: --uses '%s': need a number "
			"1..1000\n", arg);
		return -1;
	}
	return -1;
}

/* grant's options; revoke takes only those from --comment on (REVOKE_LO),
 * so getopt itself refuses --ttl and the other grant-only ones there. */
static const struct option grant_lo[] = {
	{"requester", required_argument, NULL, 'r'},
	{"rule", required_argument, NULL, 'R'},
	{"match", required_argument, NULL, 'm'},
	{"ttl", required_argument, NULL, 't'},
	{"uses", required_argument, NULL, 'u'},
	/* REVOKE_LO starts here */
	{"comment", required_argument, NULL, 'c'},
	{"key", required_argument, NULL, 'k'},
	{"json", no_argument, NULL, 'j'},
	{"yes", no_argument, NULL, 'y'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};
#define REVOKE_LO (grant_lo + 5) /* from "comment" on */

/* Options of grant or revoke (lo) into *o; -1 on a bad one or --help. */
static int opts_parse(int argc, char **argv, struct grant_opts *o,
		      const struct option *lo)
{
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "k:yh", lo, NULL)) != -1)
		if (grant_opt(o, ch, optarg) != 0)
			return -1;
	return 0;
}

static int grant_args(int argc, char **argv, struct grant_opts *o)
{
	if (opts_parse(argc, argv, o, grant_lo) != 0)
		return -1;
	if (optind != argc || !o->requester || !o->rule || !o->ttl || !o->uses) {
		fprintf(stderr, "approverctl grant: --requester, --rule, --ttl and "
			"--uses are required\n");
		return -1;
	}
	return 0;
}

static json_t *grant_msg(const struct grant_opts *o)
{
	json_t *m = ad_msg_new("grant");

	if (m == NULL || json_object_update_new(m, json_pack(
		"{s:s, s:s, s:s, s:I, s:I, s:s}", "requester", o->requester,
		"rule", o->rule, "match", o->match ? o->match : "",
		"ttl", (json_int_t)o->ttl, "uses", (json_int_t)o->uses,
		"comment", o->comment ? o->comment : "")) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static void print_json(const json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

/* Sign (approve or revoke) the grant shown and submit the token. */
static int sign_submit(const json_t *show, const char *id, const char *key,
		       int decision, const char *comment, int yes)
{
	char *token = NULL;
	int rc = ctl_grant_sign(&token, show, key, decision, 0, comment, yes);

	if (rc != 0)
		return rc == AD_ERR_IO || rc == AD_ERR_NOTFOUND ||
		       rc == AD_ERR_UNTRUSTED || rc == AD_ERR_INVALID
		       ? CTL_EXIT_USAGE : CTL_EXIT_REFUSED;
	rc = ctl_submit_token(token, id);
	free(token);
	return rc;
}

int ctl_grant(int argc, char **argv)
{
	struct grant_opts o;
	json_t *reply = NULL, *show;
	const char *id;
	int rc;

	if (grant_args(argc, argv, &o) != 0) {
		grant_usage(o.help ? stdout : stderr);
		return o.help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	if ((rc = ctl_call(grant_msg(&o), &reply)) != CTL_EXIT_OK)
		return rc;
	show = json_object_get(reply, "show");
	id = json_string_value(json_object_get(json_object_get(show, "grant"),
					       "id"));
	if (id == NULL) {
		fprintf(stderr, "approverctl grant: malformed reply\n");
		json_decref(reply);
		return CTL_EXIT_UNREACHABLE;
	}
	if (o.json)
		print_json(show);
	else
		ctl_grant_show_human(show);
	rc = o.key ? sign_submit(show, id, o.key, AD_DECISION_APPROVE,
				 o.comment, o.yes) : CTL_EXIT_OK;
	json_decref(reply);
	return rc;
}

static void revoke_usage(FILE *f)
{
	fprintf(f, "usage: approverctl revoke G-ID [--comment TEXT] [-k KEY] "
		   "[--yes] [--json]\n"
		   "  revokes a standing grant: it covers nothing from now on.\n"
		   "  Without -k: an unsigned revocation, for root only.\n"
		   "  -k KEY    sign the revocation (a denial token) with an "
		   "approver's key\n"
		   "  --yes     do not ask for confirmation before signing\n"
		   "exit status: 0 done, 1 refused (reason printed), 2 usage or "
		   "I/O, 3 approverd\n  unreachable\n");
}

static int revoke_args(int argc, char **argv, struct grant_opts *o)
{
	if (opts_parse(argc, argv, o, REVOKE_LO) != 0)
		return -1;
	return optind + 1 == argc ? 0 : -1;
}

static int revoke_unsigned(const char *id, const char *comment, int json)
{
	json_t *m = ctl_msg_id("revoke", id), *reply = NULL;
	int rc;

	if (m == NULL || json_object_set_new(m, "comment", json_string(
		    comment ? comment : "")) != 0) {
		json_decref(m);
		return CTL_EXIT_USAGE;
	}
	if ((rc = ctl_call(m, &reply)) != CTL_EXIT_OK)
		return rc;
	if (json)
		print_json(reply);
	else
		printf("%s %s\n", id, json_string_value(json_object_get(reply,
			"state")) ? json_string_value(json_object_get(reply,
			"state")) : "?");
	json_decref(reply);
	return CTL_EXIT_OK;
}

int ctl_revoke(int argc, char **argv)
{
	struct grant_opts o;
	json_t *show = NULL;
	const char *id;
	int rc;

	if (revoke_args(argc, argv, &o) != 0) {
		revoke_usage(o.help ? stdout : stderr);
		return o.help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	id = argv[optind];
	if (strncmp(id, "G-", 2) != 0) {
		fprintf(stderr, "approverctl revoke: '%s' is not a grant id "
			"(G-XXXX-XXXX); to refuse a request use approverctl "
			"deny\n", id);
		return CTL_EXIT_USAGE;
	}
	if (o.key == NULL)
		return revoke_unsigned(id, o.comment, o.json);
	if ((rc = ctl_fetch_show(id, &show)) != CTL_EXIT_OK)
		return rc;
	rc = sign_submit(show, id, o.key, AD_DECISION_DENY, o.comment, o.yes);
	json_decref(show);
	return rc;
}
