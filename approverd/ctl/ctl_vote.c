/*
 * ctl_vote.c — `approverctl approve` and `deny`: fetch the request's
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

struct vote_opts {
	const char *key;
	const char *comment;
	uint64_t ttl;
	int yes;
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

static int vote_args(int argc, char **argv, struct vote_opts *o, int deny)
{
	static const struct option lo[] = {
		{"key", required_argument, NULL, 'k'},
		{"ttl", required_argument, NULL, 't'},
		{"comment", required_argument, NULL, 'm'},
		{"reason", required_argument, NULL, 'r'},
		{"yes", no_argument, NULL, 'y'},
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
		case 'm': if (deny) return -1; o->comment = optarg; break;
		case 'r': if (!deny) return -1; o->comment = optarg; break;
		case 't':
			if (deny || ad_parse_duration(&o->ttl, optarg) != 0 ||
			    o->ttl == 0) {
				fprintf(stderr, "approverctl: --ttl '%s': need a "
					"duration such as 10m\n", optarg);
				return -1;
			}
			break;
		default: return -1;
		}
	}
	if (optind + 1 != argc || (deny && o->comment == NULL))
		return -1;
	return o->key == NULL ? default_key(o) : 0;
}

static void vote_usage(FILE *f, int deny)
{
	if (deny)
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
		   "  The request is fetched and shown first (as approverctl "
		   "show ID); the\n  passphrase is read from the terminal or "
		   "APPROVERD_PASSPHRASE_FILE.\n"
		   "exit status: 0 submitted, 1 refused (reason printed), 2 "
		   "usage or I/O,\n  3 approverd unreachable\n");
}

static int vote(int argc, char **argv, int deny)
{
	struct vote_opts o;
	json_t *show = NULL;
	char *token = NULL;
	int rc;

	if (vote_args(argc, argv, &o, deny) != 0) {
		vote_usage(o.help ? stdout : stderr, deny);
		return o.help ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	}
	if ((rc = ctl_fetch_show(argv[optind], &show)) != CTL_EXIT_OK)
		return rc;
	rc = ctl_sign_show_json(&token, show, o.key, deny ? AD_DECISION_DENY :
				AD_DECISION_APPROVE, o.ttl, o.comment, o.yes);
	json_decref(show);
	if (rc != 0) /* ctl_sign printed why */
		return (rc == AD_ERR_IO || rc == AD_ERR_NOTFOUND ||
			rc == AD_ERR_UNTRUSTED || rc == AD_ERR_INVALID)
			       ? CTL_EXIT_USAGE : CTL_EXIT_REFUSED;
	rc = ctl_submit_token(token, argv[optind]);
	free(token);
	return rc;
}

int ctl_approve(int argc, char **argv)
{
	return vote(argc, argv, 0);
}

int ctl_deny(int argc, char **argv)
{
	return vote(argc, argv, 1);
}
