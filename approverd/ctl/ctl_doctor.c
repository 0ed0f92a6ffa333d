/*
 * ctl_doctor.c — `approverctl doctor`: check this host's installation.
 *
 * Prints one line per check, "OK|WARN|FAIL  CHECK: DETAIL  [fix: ...]", or
 * with --json an array of {check, status, detail, fix}. Exit status 0 only
 * when no check FAILed, 1 when one did, 2 on a usage error. Doctor only
 * reads: it changes no file and no state on the host (the daemon is asked
 * its "health" op only). Every detail is escaped (ad_escape) because file
 * names and file contents reach it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "doctor.h"
#include "error.h"
#include "text.h"

static const char *const status_name[] = {"OK", "WARN", "FAIL"};

static void emit_json(struct doc *d, const char *st, const char *check,
		      const char *detail, const char *fix)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "check", check,
			      "status", st, "detail", detail, "fix",
			      fix != NULL ? fix : "");

	if (o == NULL || json_array_append_new(d->results, o) != 0)
		fprintf(stderr, "approverctl doctor: out of memory\n");
}

void doc_report(struct doc *d, enum doc_status st, const char *check,
		const char *fix, const char *fmt, ...)
{
	char raw[DOC_DETAIL_MAX];
	char *detail, *efix = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	detail = ad_escape(raw);
	if (fix != NULL && (efix = ad_escape(fix)) != NULL)
		fix = efix;
	if (st == DOC_FAIL)
		d->n_fail++;
	else if (st == DOC_WARN)
		d->n_warn++;
	else
		d->n_ok++;
	if (d->json)
		emit_json(d, status_name[st], check, detail ? detail : raw, fix);
	else if (fix != NULL)
		printf("%-4s  %s: %s  [fix: %s]\n", status_name[st], check,
		       detail ? detail : raw, fix);
	else
		printf("%-4s  %s: %s\n", status_name[st], check,
		       detail ? detail : raw);
	free(detail);
	free(efix);
}

int doc_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= len) ? AD_ERR_TOOBIG : 0;
}

FILE *doc_fopen_regular(const char *path)
{
	struct stat st;
	FILE *f;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	if ((f = fdopen(fd, "r")) == NULL)
		close(fd);
	return f;
}

int doc_path(const struct doc *d, char out[DOC_PATH_MAX], const char *abs)
{
	int n = snprintf(out, DOC_PATH_MAX, "%s%s", d->root, abs);

	if (n < 0 || n >= DOC_PATH_MAX) {
		out[0] = '\0';
		return AD_ERR_TOOBIG;
	}
	return 0;
}

int doc_owner_trusted(const struct doc *d, uid_t uid)
{
	return uid == 0 || (d->daemon_uid != (uid_t)-1 && uid == d->daemon_uid);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: approverctl [-c CONFIG] doctor [--root DIR] [--json]\n"
		   "  Checks sudo.conf, PAM stacks, config, policy, keys, the\n"
		   "  evidence log, the daemon and the clock; one line per check.\n"
		   "  --root DIR  read /etc/sudo.conf, /etc/pam.d, the plugin and\n"
		   "              module files and the default config under DIR\n"
		   "  --json      print a JSON array of {check,status,detail,fix}\n"
		   "exit status: 0 no check failed, 1 a check failed, 2 usage\n");
}

/* Parse options into d; returns -1 to go on, else an exit code. */
static int parse_args(struct doc *d, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"root", required_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': d->root = optarg; break;
		case 'j': d->json = 1; break;
		case 'c': ctl_g.config = optarg; break;
		case 'h': usage(stdout); return CTL_EXIT_OK;
		default: usage(stderr); return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "approverctl doctor: unexpected argument '%s'\n",
			argv[optind]);
		return CTL_EXIT_USAGE;
	}
	if (d->root[0] != '\0' && d->root[0] != '/') {
		fprintf(stderr, "approverctl doctor: --root %s: must be an "
				"absolute path\n", d->root);
		return CTL_EXIT_USAGE;
	}
	return -1;
}

/* The config file: -c as given; else the default, under --root. */
static int pick_config(struct doc *d, char buf[DOC_PATH_MAX])
{
	size_t n = strlen(d->root);

	if (n > 0 && d->root[n - 1] == '/') {
		fprintf(stderr, "approverctl doctor: --root %s: drop the "
				"trailing '/'\n", d->root);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(ctl_g.config, AD_CONFIG_PATH) != 0) {
		d->config_path = ctl_g.config;
		return -1;
	}
	if (doc_path(d, buf, AD_CONFIG_PATH) != 0) {
		fprintf(stderr, "approverctl doctor: --root %s: too long\n",
			d->root);
		return CTL_EXIT_USAGE;
	}
	d->config_path = buf;
	return -1;
}

static void run_checks(struct doc *d)
{
	doc_check_sudo(d);
	doc_check_config(d);
	doc_check_pam(d);
	doc_check_keys(d);
	doc_check_roles(d);
	doc_check_host_key(d);
	doc_check_evidence(d);
	doc_check_daemon(d);
	doc_check_clock(d);
}

static void finish(struct doc *d)
{
	if (d->json) {
		char *s = json_dumps(d->results, JSON_INDENT(2));
		if (s != NULL)
			printf("%s\n", s);
		else
			fprintf(stderr, "approverctl doctor: out of memory\n");
		free(s);
	} else {
		printf("%u ok, %u warnings, %u failed\n", d->n_ok, d->n_warn,
		       d->n_fail);
	}
	json_decref(d->results);
	ad_keyring_free(d->ring);
	ad_policy_free(d->pol);
	ad_config_free(d->cfg);
}

int ctl_doctor(int argc, char **argv)
{
	char cfgbuf[DOC_PATH_MAX];
	struct doc d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.root = "";
	d.daemon_uid = (uid_t)-1;
	if ((rc = parse_args(&d, argc, argv)) >= 0)
		return rc;
	if ((rc = pick_config(&d, cfgbuf)) >= 0)
		return rc;
	if (d.json && (d.results = json_array()) == NULL) {
		fprintf(stderr, "approverctl doctor: out of memory\n");
		return CTL_EXIT_USAGE;
	}
	run_checks(&d);
	rc = d.n_fail > 0 ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
	finish(&d);
	fflush(stdout);
	return rc;
}
