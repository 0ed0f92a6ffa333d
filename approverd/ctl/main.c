/* main.c — approverctl: dispatch to a subcommand. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "proto.h"

struct ctl_globals ctl_g = {
	.config = "/etc/approverd/approverd.conf",
	.socket = NULL,
};

struct ctl_cmd {
	const char *name;
	ctl_cmd_fn fn;
	const char *summary;
};

/* Keep alphabetical; one line per subcommand. */
static const struct ctl_cmd cmds[] = {
	{"approve", ctl_approve, "sign and submit an approval for a request"},
	{"breakglass", ctl_breakglass, "approve a request at once, with a justification"},
	{"deny", ctl_deny, "sign and submit a denial for a request"},
	{"doctor", ctl_doctor, "check this host's installation"},
	{"grant", ctl_grant, "ask for a standing grant (approved like a request)"},
	{"health", ctl_health, "check that approverd answers"},
	{"keygen", ctl_keygen, "create an approver key pair"},
	{"list", ctl_list, "list pending (or all) requests"},
	{"log", ctl_log, "print an evidence file readably"},
	{"metrics", ctl_metrics, "Prometheus metrics from an evidence file"},
	{"policy", ctl_policy, "check the policy or test a command against it"},
	{"report", ctl_report, "audit report (one row per request) from an evidence file"},
	{"review", ctl_review, "review a break-glass approval"},
	{"revoke", ctl_revoke, "revoke a standing grant"},
	{"show", ctl_show, "show one request in full"},
	{"sign", ctl_sign, "sign a request read from stdin (offline)"},
	{"status", ctl_status, "state of one request"},
	{"submit", ctl_submit, "submit a signed token to approverd"},
	{"verify-log", ctl_verify_log, "verify an evidence file's chain and checkpoints"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: approverctl [-c CONFIG] [-S SOCKET] COMMAND [ARGS...]\n"
		   "       approverctl COMMAND --help\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-11s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nexit status: 0 done, 1 refused (reason printed), "
		   "2 usage or I/O error, 3 approverd unreachable\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	ad_json_guard_install();
	while ((ch = getopt_long(argc, argv, "+c:S:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': ctl_g.config = optarg; break;
		case 'S': ctl_g.socket = optarg; break;
		case 'h': usage(stdout); return CTL_EXIT_OK;
		case 'V': printf("approverctl %s\n", APPROVERD_VERSION); return 0;
		default: usage(stderr); return CTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name) == 0) {
			char **sub = argv + optind;
			int subc = argc - optind;
			optind = 0; /* full getopt reset for the subcommand */
			return cmds[i].fn(subc, sub);
		}
	}
	fprintf(stderr, "approverctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
