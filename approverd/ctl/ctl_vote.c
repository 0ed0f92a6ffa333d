/*
 * ctl_vote.c — `approverctl approve`, `deny`, `breakglass` and `review`
 * (docs/formats/governance.md §3): fetch the request's
 * `show --json` object from approverd, sign it with the approver's key
 * (the same code as the offline `sign`, which shows what is signed and
 * asks for confirmation), and submit the token.
 *
 * Invariants (DESIGN.md §3 "approver"): what is signed is exactly what
 * the daemon showed, re-digested by the signer; the secret key never
 * leaves this process; the daemon alone decides whether it counts.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_online.h"
#include "ctl_sign.h"
#include "error.h"
#include "num.h"
#include "token.h"

/* The decision each subcommand signs, and its text option. */
struct vote_kind {
	int decision;
	const char *text_opt;  /* the option carrying the comment */
	int text_required;
	int has_ttl;
};

static const struct vote_kind K_APPROVE = {AD_DECISION_APPROVE, "comment", 0, 1};
static const struct vote_kind K_DENY = {AD_DECISION_DENY, "reason", 1, 0};
static const struct vote_kind K_BREAKGLASS = {AD_DECISION_BREAKGLASS,
					      "justification", 1, 1};
static const struct vote_kind K_REVIEW = {AD_DECISION_REVIEW, "comment", 1, 0};

struct vote_opts {
	const char *key;
	const char *comment;
	uint64_t ttl;
	int yes;
	int json;
	int help;
	char keybuf[4096];
};

/* Default key: ~/.config/approverd/USER.key of the calling user. */
static int default_key(struct vote_opts *o)
{
	struct passwd *pw = getpwuid(getuid());
	const char *home = getenv("HOME");

	if (pw == NULL)
		return -1;
	if (home == NULL || home[0] != '/')
		home = pw->pw_dir;
	snprintf(o->keybuf, sizeof(o->keybuf), "%s/.config/approverd/%s.key",
		 home, pw->pw_name);
	o->key = o->keybuf;
	return 0;
}

static int vote_args(int argc, char **argv, struct vote_opts *o,
		     const struct vote_kind *k)
{
	const struct option lo[] = {
		{"key", required_argument, NULL, 'k'},
		{"ttl", required_argument, NULL, 't'},
		{k->text_opt, required_argument, NULL, 'm'},
		{"yes", no_argument, NULL, 'y'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "k:yh", lo, NULL)) != -1) {
		switch (ch) {
		case 'h': o->help = 1; return -1;
		case 'k': o->key = optarg; break;
		case 'y': o->yes = 1; break;
		case 'j': o->json = 1; break;
		case 'm': o->comment = optarg; break;
		case 't':
			if (!k->has_ttl || ad_parse_duration(&o->ttl, optarg) != 0 ||
			    o->ttl == 0) {
				fprintf(stderr, "approverctl: --ttl '%s': need a "
					"duration such as 10m\n", optarg);
				return -1;
			}
			break;
		default: return -1;
		}
	}
	if (optind + 1 != argc || (k->text_required &&
				   (o->comment == NULL || o->comment[0] == '\0')))
		return -1;
	return o->key == NULL ? default_key(o) : 0;
}

static void vote_usage_gov(FILE *f, int decision)
{
	if (decision == AD_DECISION_BREAKGLASS)
		fprintf(f, "usage: approverctl breakglass ID --justification TEXT "
			   "[-k KEY] [--ttl DUR]\n"
			   "         [--yes] [--json]\n"
			   "  signs and submits a break-glass approval: request ID "
			   "(pending, blocked\n  or not) is approved at once "
			   "without its quorum. Only members of the\n  "
			   "[breakglass] role may; the justification must be at "
			   "least\n  [breakglass] min_justification characters; "
			   "DUR (default 15m) is capped\n  by [breakglass] "
			   "max_ttl and the request's expiry. It is logged at\n"
			   "  LOG_ALERT, sent to every notify target and stays "
			   "unreviewed until a\n  different approver runs "
			   "approverctl review ID.\n");
	else
		fprintf(f, "usage: approverctl review ID --comment TEXT [-k KEY] "
			   "[--yes] [--json]\n"
			   "  signs and submits a review of the break-glass "
			   "approval of request ID.\n  The reviewer is a "
			   "registered approver who is not the human who broke\n"
			   "  the glass, nor the requester or sponsor; one "
			   "review closes it.\n");
}

static void vote_usage(FILE *f, int decision)
{
	int deny = decision == AD_DECISION_DENY;

	if (decision == AD_DECISION_BREAKGLASS || decision == AD_DECISION_REVIEW)
		vote_usage_gov(f, decision);
	else if (deny)
		fprintf(f, "usage: approverctl deny ID [-k KEY] --reason TEXT "
			   "[--yes]\n"
			   "  signs and submits a denial of request ID; any "
			   "eligible approver's\n  denial denies it at once.\n");
	else
		fprintf(f, "usage: approverctl approve ID [-k KEY] [--ttl DUR] "
			   "[--comment TEXT] [--yes]\n"
			   "  signs and submits an approval of request ID, valid "
			   "for DUR (default 15m,\n  capped by the rule's max_ttl "
			   "and the request's expiry).\n");
	fprintf(f, "  -k KEY       secret key (default ~/.config/approverd/"
		   "USER.key)\n"
		   "  --yes        do not ask for confirmation on the terminal\n"
		   "  --json       print approverd's reply as JSON\n"
		   "  The request is fetched and shown first (as approverctl "
		   "show ID); the\n  passphrase is read from the terminal or "
		   "APPROVERD_PASSPHRASE_FILE.\n"
		   "exit status: 0 submitted, 1 refused (reason printed), 2 "
		   "usage or I/O,\n  3 approverd unreachable\n");
}

static int vote(int argc, char **argv, const struct vote_kind *k)
{
	struct vote_opts o;
	json_t *show = NULL;
	char *token = NULL;
	int rc;

	if (vote_args(argc, argv, &o, k) != 0) {
		vote_usage(o.help ? stdout : stderr, k->decision);
		return o.help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	if ((rc = ctl_fetch_show(argv[optind], &show)) != CTL_EXIT_OK)
		return rc;
	rc = ctl_sign_show_json(&token, show, o.key, k->decision, o.ttl,
				o.comment, o.yes);
	json_decref(show);
	if (rc != 0) /* ctl_sign printed why */
		return (rc == AD_ERR_IO || rc == AD_ERR_NOTFOUND ||
			rc == AD_ERR_UNTRUSTED || rc == AD_ERR_INVALID)
			       ? CTL_EXIT_USAGE : CTL_EXIT_REFUSED;
	rc = ctl_submit_token_as(token, argv[optind], o.json);
	free(token);
	return rc;
}

int ctl_approve(int argc, char **argv)
{
	return vote(argc, argv, &K_APPROVE);
}

int ctl_deny(int argc, char **argv)
{
	return vote(argc, argv, &K_DENY);
}

int ctl_breakglass(int argc, char **argv)
{
	return vote(argc, argv, &K_BREAKGLASS);
}

int ctl_review(int argc, char **argv)
{
	return vote(argc, argv, &K_REVIEW);
}
