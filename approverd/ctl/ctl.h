/*
 * ctl.h — approverctl subcommands. Each lives in its own ctl_*.c file and
 * has the signature of ctl_cmd_fn. Exit codes (approverctl(1)):
 *   0 done / intact, 1 refused or check failed (with reason), 2 usage or I/O
 *   error, 3 daemon unreachable.
 */
#ifndef APPROVERCTL_CTL_H
#define APPROVERCTL_CTL_H

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_REFUSED = 1,
	CTL_EXIT_USAGE = 2,
	CTL_EXIT_UNREACHABLE = 3,
};

/* Global options parsed before the subcommand (-c CONFIG, -S SOCKET). */
struct ctl_globals {
	const char *config;  /* default /etc/approverd/approverd.conf */
	const char *socket;  /* NULL = from config */
};
extern struct ctl_globals ctl_g;

/* argv[0] is the subcommand name; getopt state is reset before the call. */
typedef int (*ctl_cmd_fn)(int argc, char **argv);

/* One declaration per subcommand (keep alphabetical). */
int ctl_approve(int argc, char **argv);
int ctl_breakglass(int argc, char **argv);
int ctl_deny(int argc, char **argv);
int ctl_doctor(int argc, char **argv);
int ctl_grant(int argc, char **argv);
int ctl_health(int argc, char **argv);
int ctl_keygen(int argc, char **argv);
int ctl_list(int argc, char **argv);
int ctl_log(int argc, char **argv);
int ctl_metrics(int argc, char **argv);
int ctl_policy(int argc, char **argv);
int ctl_report(int argc, char **argv);
int ctl_revoke(int argc, char **argv);
int ctl_review(int argc, char **argv);
int ctl_show(int argc, char **argv);
int ctl_sign(int argc, char **argv);
int ctl_status(int argc, char **argv);
int ctl_submit(int argc, char **argv);
int ctl_verify_log(int argc, char **argv);

#endif
