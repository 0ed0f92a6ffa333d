/*
 * main.c — approverd: start-up, reload, shutdown.
 *
 * Invariants (DESIGN.md §4.1, §4.2, §4.6, §4.7; approverd(8)):
 *  - Any config, policy or key error refuses to start (exit 1); a broken
 *    new config on SIGHUP is logged and the old one kept.
 *  - The evidence file is opened, verified and replayed (one pass, every
 *    line checked; only records of objects kept by a verified snapshot
 *    are parsed up to its point) before the socket exists, so no client
 *    is served from a state the file does not hold; damage other than a
 *    torn last line refuses to start (exit 3), as does a file holding
 *    less than its signed snapshot vouches for.
 *  - SIGTERM/SIGINT: a `stop` record and a final signed checkpoint.
 */
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "proto.h"
#include "dgrant.h"
#include "error.h"
#include "evidence.h"
#include "keys.h"
#include "notify_daemon.h"
#include "num.h"
#include "runtime.h"
#include "verify.h"
#include "snapshot.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: approverd [-f] [-c CONFIG] [--check]\n"
		"  -f, --foreground  stay in the foreground, log to stderr too\n"
		"  -c, --config FILE config file (default %s)\n"
		"      --check       load config, policy and keys, then exit\n"
		"  -h, --help        this text;  -V, --version  the version\n"
		"exit status: 0 clean stop or check passed, 1 config/policy/key\n"
		"error, 2 usage, 3 evidence file damaged or unusable, 4 runtime\n"
		"error (socket, privileges, event loop)\n", AD_CONFIG_PATH);
}

static int parse_args(struct daemon *d, int *check, int argc, char **argv)
{
	static const struct option lo[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'C'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "fc:hV", lo, NULL)) != -1) {
		switch (ch) {
		case 'f': d->foreground = 1; break;
		case 'c': d->config_path = optarg; break;
		case 'C': *check = 1; break;
		case 'h': usage(stdout); exit(D_EXIT_OK);
		case 'V': printf("approverd %s\n", APPROVERD_VERSION); exit(0);
		default: usage(stderr); return D_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return D_EXIT_USAGE;
	}
	return 0;
}

/* TEST ONLY: APPROVERD_TEST_CLOCK_OFFSET=SECONDS shifts the daemon's clock
 * forward so that expiry tests need not sleep. Never set it in production. */
static void test_clock(struct daemon *d)
{
	const char *s = getenv("APPROVERD_TEST_CLOCK_OFFSET");
	uint64_t v = 0;

	if (s != NULL && ad_parse_u64(&v, s, 0, AD_DURATION_MAX) == 0) {
		d->clock_offset = (int64_t)v;
		d_log(LOG_WARNING, "TEST ONLY clock offset +%llus in effect",
		      (unsigned long long)v);
	}
}

void d_reload(struct daemon *d)
{
	struct runtime *rt = NULL;
	char err[1024];
	int r = rt_load(&rt, d->config_path, err, sizeof(err));

	if (r != 0) {
		d_log(LOG_ERR, "reload refused, keeping the old config: %s", err);
		return;
	}
	if (strcmp(rt->cfg->socket, d->rt->cfg->socket) != 0 ||
	    strcmp(rt->cfg->evidence, d->rt->cfg->evidence) != 0 ||
	    strcmp(rt->cfg->host_id, d->rt->cfg->host_id) != 0 ||
	    strcmp(rt->cfg->host_key, d->rt->cfg->host_key) != 0) {
		d_log(LOG_ERR, "reload refused, keeping the old config: socket, "
		      "evidence, host_key and host_id change only on a restart");
		rt_free(rt);
		return;
	}
	if (dn_reload(d, rt) != 0) { /* e.g. a header_file refused */
		d_log(LOG_ERR, "reload refused, keeping the old config");
		rt_free(rt);
		return;
	}
	rt_free(d->rt);
	d->rt = rt;
	d_log(LOG_NOTICE, "reloaded %s", d->config_path);
	journal_lifecycle(d, "reload", "config, policy and approver keys");
}

static int open_host_key(struct daemon *d)
{
	struct ad_seckey *hk = NULL;
	char why[AD_WHY_MAX];
	int r = ad_hostkey_load_or_create(&hk, rt_config(d->rt)->host_key,
					  &ad_trust_root, why);

	if (r != 0) {
		d_log(LOG_ERR, "host key: %s", why);
		return r;
	}
	if ((d->host_sk = sodium_malloc(AD_SK_LEN)) == NULL) {
		ad_seckey_free(hk);
		return AD_ERR_NOMEM;
	}
	memcpy(d->host_sk, hk->sk, AD_SK_LEN);
	memcpy(d->host_pk, hk->pub.pk, AD_PK_LEN);
	ad_seckey_free(hk);
	return 0;
}

static int64_t cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Open + verify, rebuild state (one pass; from the snapshot if one
 * verifies), record what was recovered and the start. */
static int open_evidence(struct daemon *d)
{
	const char *path = rt_config(d->rt)->evidence;
	struct ad_evidence_info info;
	char err[1024];
	json_t *rec;
	int r;

	int64_t t0 = d_mono_ms(), c0 = cpu_ms();

	snap_open(d, path); /* before the privilege drop */
	r = journal_open_replay(d, path, &info, err, sizeof(err));
	if (r == 0)
		d_log(LOG_INFO, "evidence: %llu records verified, state rebuilt "
		      "in %lld ms (CPU %lld ms)", (unsigned long long)info.records,
		      (long long)(d_mono_ms() - t0), (long long)(cpu_ms() - c0));
	if (r != 0) {
		d_log(LOG_ERR, "evidence: %s", err);
		return r;
	}
	if (info.recovered && (rec = ad_evidence_recovery_record(&info)) != NULL) {
		d_log(LOG_WARNING, "evidence: cut a torn last line (%llu bytes at "
		      "line %llu): %s", (unsigned long long)info.cut_bytes,
		      (unsigned long long)info.cut_line, info.cut_why);
		if ((r = journal_commit(d, rec)) != 0)
			d_log(LOG_ERR, "could not record the recovery: %s",
			      ad_strerror(r));
		json_decref(rec);
		if (r != 0)
			return r;
	}
	journal_lifecycle(d, "start", NULL);
	return 0;
}

static int setup_fds(struct daemon *d)
{
	struct epoll_event el = {.events = EPOLLIN, .data.ptr = &d->lfd};
	struct epoll_event es = {.events = EPOLLIN, .data.ptr = &d->sigfd};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (d->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->lfd, &el) != 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sigfd, &es) != 0) {
		d_log(LOG_ERR, "event loop set-up failed");
		return AD_ERR_IO;
	}
	return 0;
}

/*
 * Drop to [daemon] user. The evidence fd, the listening socket and the host
 * key stay open; the files stay root-owned (0600), so an unprivileged daemon
 * can never rewrite history by path. Runs as `user` from the start (e.g.
 * systemd User=) also work when the files are owned by that user.
 */
static int hand_over(struct daemon *d)
{
	char err[512];
	int r = d_drop_privileges(rt_config(d->rt)->user, err, sizeof(err));

	if (r != 0)
		d_log(LOG_ERR, "%s", err);
	return r;
}

static void shutdown_daemon(struct daemon *d)
{
	verify_stop(d); /* tokens still being checked: dropped, not recorded */
	if (d->ev != NULL) {
		journal_lifecycle(d, "stop", NULL);
		journal_checkpoint(d);
		snap_write(d, 1); /* the next start replays nothing */
		ad_evidence_close(d->ev);
	}
	dn_free(d);
	loop_close_all(d);
	if (d->lfd >= 0) {
		close(d->lfd);
		if (d->rt != NULL)
			unlink(rt_config(d->rt)->socket); /* may fail after the drop */
	}
	store_free_all(d);
	grant_free_all(d);
	if (d->snap_fd >= 0)
		close(d->snap_fd);
	if (d->host_sk != NULL)
		sodium_free(d->host_sk);
	rt_free(d->rt);
}

static int start(struct daemon *d, int check)
{
	char err[1024];
	int r;

	if (sodium_init() < 0)
		return D_EXIT_RUNTIME;
	if ((r = rt_load(&d->rt, d->config_path, err, sizeof(err))) != 0) {
		d_log(LOG_ERR, "%s", err);
		return D_EXIT_CONFIG;
	}
	if (check) {
		printf("approverd: %s, policy %s and %zu approver key(s) OK\n",
		       d->config_path, d->rt->cfg->policy,
		       ad_keyring_count(d->rt->ring));
		return -1;
	}
	test_clock(d);
	if (open_host_key(d) != 0)
		return D_EXIT_CONFIG;
	if (open_evidence(d) != 0)
		return D_EXIT_EVIDENCE;
	if (d_listen(&d->lfd, rt_config(d->rt)->socket, err, sizeof(err)) != 0) {
		d_log(LOG_ERR, "%s", err);
		return D_EXIT_RUNTIME;
	}
	if (setup_fds(d) != 0)
		return D_EXIT_RUNTIME;
	if (dn_init(d) != 0)
		return D_EXIT_CONFIG; /* e.g. a [notify] header_file refused */
	if (hand_over(d) != 0)
		return D_EXIT_RUNTIME;
	if (verify_start(d) != 0) /* after the drop: the thread never had root */
		d_log(LOG_WARNING, "signature-check thread could not start; "
		      "tokens are checked in the event loop");
	return 0;
}

int main(int argc, char **argv)
{
	static struct daemon d = {.config_path = AD_CONFIG_PATH, .lfd = -1,
				  .epfd = -1, .sigfd = -1, .snap_fd = -1,
				  .snap_slot = -1, .vfd = -1};
	int check = 0, rc;

	ad_json_guard_install();
	if ((rc = parse_args(&d, &check, argc, argv)) != 0)
		return rc;
	d_log_init(d.foreground || check);
	d.started_ms = d.last_checkpoint_ms = d_mono_ms();
	rc = start(&d, check);
	if (rc == 0) {
		d_log(LOG_NOTICE, "serving on %s (host %s, %zu requests replayed)",
		      rt_config(d.rt)->socket, rt_config(d.rt)->host_id, d.n_reqs);
		rc = loop_run(&d) == 0 ? D_EXIT_OK : D_EXIT_RUNTIME;
		d_log(LOG_NOTICE, "stopping");
	} else if (rc < 0) {
		rc = D_EXIT_OK; /* --check passed */
	}
	shutdown_daemon(&d);
	return rc;
}
