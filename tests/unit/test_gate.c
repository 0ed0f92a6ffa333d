/*
 * test_gate.c — the client-side approval flow (common/gate.c) against a
 * hostile peer (tests/helpers/evil_server) and against the real daemon.
 *
 * Every fault must end in 0 ("refused") with a message naming what failed;
 * only a consumed approval returns 1.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "error.h"
#include "gate.h"
#include "request.h"

#define MAXLINES 64

struct capture {
	char *info[MAXLINES];
	size_t n_info;
	char *error[MAXLINES];
	size_t n_error;
};

static char tmpdir[] = "/tmp/test_gate.XXXXXX";
static char evil_path[PATH_MAX];
static char sock_path[PATH_MAX];
static char log_path[PATH_MAX];
static pid_t evil_pid;

static void cap_add(char **v, size_t *n, const char *msg)
{
	if (*n < MAXLINES)
		v[(*n)++] = strdup(msg);
}

static void cap_info(void *arg, const char *msg)
{
	struct capture *c = arg;
	cap_add(c->info, &c->n_info, msg);
}

static void cap_error(void *arg, const char *msg)
{
	struct capture *c = arg;
	cap_add(c->error, &c->n_error, msg);
}

static void cap_free(struct capture *c)
{
	for (size_t i = 0; i < c->n_info; i++)
		free(c->info[i]);
	for (size_t i = 0; i < c->n_error; i++)
		free(c->error[i]);
	memset(c, 0, sizeof(*c));
}

/* 1 if any captured line of the kind contains needle. */
static int cap_has(char *const *v, size_t n, const char *needle)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] != NULL && strstr(v[i], needle) != NULL)
			return 1;
	return 0;
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void evil_stop(void)
{
	if (evil_pid > 0) {
		kill(evil_pid, SIGTERM);
		waitpid(evil_pid, NULL, 0);
	}
	evil_pid = 0;
	unlink(sock_path);
}

static void evil_start(const char *mode)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	evil_stop();
	unlink(log_path);
	evil_pid = fork();
	assert_true(evil_pid >= 0);
	if (evil_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(evil_path, evil_path, sock_path, mode, log_path, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && access(sock_path, F_OK) != 0; i++)
		nanosleep(&ts, NULL);
	assert_int_equal(access(sock_path, F_OK), 0);
}

static void fill_request(struct ad_request *r)
{
	ad_request_init(r);
	r->requester = strdup("ai-deploy");
	r->uid = 2001;
	r->service = strdup("su");
	r->runas_user = strdup("root");
	assert_int_equal(ad_request_complete(r), 0);
}

/* Run the gate against the evil server in mode; returns ad_gate_run's value. */
static int run_mode(const char *mode, unsigned wait_s, struct capture *cap,
		    char id[AD_ID_MAX], char *why, size_t whylen)
{
	struct ad_request req;
	struct ad_gate_io io = {cap_info, cap_error, cap};
	struct ad_gate_opts o = {.socket = sock_path, .wait_s = wait_s,
				 .progress_s = 1, .timeout_ms = 700};
	int ok;

	evil_start(mode);
	fill_request(&req);
	ok = ad_gate_run(&o, &req, &io, id, why, whylen);
	ad_request_free(&req);
	evil_stop();
	return ok;
}

static void test_effective_wait(void **state)
{
	(void)state;
	assert_int_equal(ad_gate_effective_wait(300, NULL), 300);
	assert_int_equal(ad_gate_effective_wait(300, ""), 300);
	assert_int_equal(ad_gate_effective_wait(300, "0"), 0);
	assert_int_equal(ad_gate_effective_wait(300, "30"), 30);
	assert_int_equal(ad_gate_effective_wait(300, "2m"), 120);
	/* APPROVERD_WAIT can only lower the wait */
	assert_int_equal(ad_gate_effective_wait(300, "600"), 300);
	assert_int_equal(ad_gate_effective_wait(300, "1d"), 300);
	assert_int_equal(ad_gate_effective_wait(0, "60"), 0);
	/* malformed values are ignored */
	assert_int_equal(ad_gate_effective_wait(300, "-5"), 300);
	assert_int_equal(ad_gate_effective_wait(300, "5x"), 300);
	assert_int_equal(ad_gate_effective_wait(300, " 5"), 300);
}

static void test_bad_arguments(void **state)
{
	struct ad_request req;
	char id[AD_ID_MAX] = "junk", why[256] = "junk";
	struct ad_gate_opts o = {.socket = NULL};

	(void)state;
	fill_request(&req);
	assert_int_equal(ad_gate_run(NULL, &req, NULL, id, why, sizeof(why)), 0);
	assert_string_equal(id, "");
	assert_int_equal(ad_gate_run(&o, &req, NULL, id, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "invalid"));
	o.socket = sock_path;
	assert_int_equal(ad_gate_run(&o, NULL, NULL, id, why, sizeof(why)), 0);
	ad_request_free(&req);
}

static void test_daemon_down(void **state)
{
	struct ad_request req;
	struct capture cap = {0};
	struct ad_gate_io io = {cap_info, cap_error, &cap};
	struct ad_gate_opts o = {.socket = sock_path, .wait_s = 300};
	char id[AD_ID_MAX], why[256];

	(void)state;
	unlink(sock_path);
	fill_request(&req);
	assert_int_equal(ad_gate_run(&o, &req, &io, id, why, sizeof(why)), 0);
	assert_true(cap_has(cap.error, cap.n_error, sock_path));
	assert_true(cap_has(cap.error, cap.n_error, "not reachable"));
	assert_non_null(strstr(why, "connect"));
	assert_string_equal(id, "");
	/* a NULL io is allowed: still refused, nothing crashes */
	assert_int_equal(ad_gate_run(&o, &req, NULL, NULL, NULL, 0), 0);
	ad_request_free(&req);
	cap_free(&cap);
}

/* Every malformed reply is refused with a message. */
static void test_malformed_replies(void **state)
{
	static const char *modes[] = {"silent", "close", "garbage", "badjson",
				      "wrongver", "huge", "zero", "truncated",
				      "badstate", "noid"};
	char id[AD_ID_MAX], why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct capture cap = {0};
		int ok = run_mode(modes[i], 5, &cap, id, why, sizeof(why));
		if (ok != 0 || cap.n_error == 0 || why[0] == '\0')
			fail_msg("mode %s: ok=%d errors=%zu why='%s'", modes[i],
				 ok, cap.n_error, why);
		assert_null(strstr(slurp(log_path), "op consume"));
		cap_free(&cap);
	}
}

static void test_denied(void **state)
{
	struct capture cap = {0};
	char id[AD_ID_MAX], why[256];

	(void)state;
	assert_int_equal(run_mode("denied", 300, &cap, id, why, sizeof(why)), 0);
	assert_string_equal(id, "R-EV1L-0001");
	assert_true(cap_has(cap.error, cap.n_error, "denied"));
	assert_non_null(strstr(why, "denied"));
	assert_null(strstr(slurp(log_path), "op wait"));
	cap_free(&cap);
}

static void test_pending_no_wait(void **state)
{
	struct capture cap = {0};
	char id[AD_ID_MAX], why[256];

	(void)state;
	assert_int_equal(run_mode("pending", 0, &cap, id, why, sizeof(why)), 0);
	assert_string_equal(id, "R-EV1L-0001");
	assert_true(cap_has(cap.info, cap.n_info, "request R-EV1L-0001"));
	assert_true(cap_has(cap.info, cap.n_info, "1 approval from role sre"));
	assert_true(cap_has(cap.info, cap.n_info,
			    "approverctl approve R-EV1L-0001"));
	assert_true(cap_has(cap.error, cap.n_error, "re-run the identical"));
	assert_null(strstr(slurp(log_path), "op wait"));
	cap_free(&cap);
}

/* Timeout: refused, progress lines shown, request left pending. */
static void test_pending_timeout(void **state)
{
	struct capture cap = {0};
	char id[AD_ID_MAX], why[256];
	time_t t0 = time(NULL);

	(void)state;
	assert_int_equal(run_mode("pending", 3, &cap, id, why, sizeof(why)), 0);
	assert_true(time(NULL) - t0 >= 2);
	assert_true(cap_has(cap.info, cap.n_info,
			    "still waiting for approval of R-EV1L-0001 ("));
	assert_true(cap_has(cap.info, cap.n_info, "s of 3s)"));
	assert_true(cap_has(cap.error, cap.n_error, "stays pending"));
	assert_non_null(strstr(why, "timed out"));
	assert_non_null(strstr(slurp(log_path), "op wait R-EV1L-0001"));
	assert_null(strstr(slurp(log_path), "op withdraw"));
	cap_free(&cap);
}

static volatile int stop_flag;

static void on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* A signal during the wait: refused and the request withdrawn. */
static void test_signal_withdraws(void **state)
{
	struct ad_request req;
	struct capture cap = {0};
	struct ad_gate_io io = {cap_info, cap_error, &cap};
	struct ad_gate_opts o = {.socket = sock_path, .wait_s = 30,
				 .timeout_ms = 2000, .stop = &stop_flag};
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	char id[AD_ID_MAX], why[256];
	time_t t0 = time(NULL);

	(void)state;
	stop_flag = 0;
	sigaction(SIGALRM, &sa, &old);
	evil_start("pending");
	fill_request(&req);
	alarm(1);
	assert_int_equal(ad_gate_run(&o, &req, &io, id, why, sizeof(why)), 0);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	assert_true(time(NULL) - t0 < 10);
	assert_true(cap_has(cap.error, cap.n_error, "interrupted"));
	assert_true(cap_has(cap.error, cap.n_error, "R-EV1L-0001 withdrawn"));
	assert_non_null(strstr(slurp(log_path), "op withdraw R-EV1L-0001"));
	evil_stop();
	ad_request_free(&req);
	cap_free(&cap);
}

/*
 * The client library itself, without a progress callback: a signal that sets
 * the stop flag must end ad_client_wait at once (AD_ERR_INTERRUPTED), not at
 * the 20 s deadline. (The gate passes a progress tick, which hid this.)
 */
static void test_client_wait_stop_without_progress(void **state)
{
	struct ad_request req;
	struct ad_client *c = NULL;
	struct ad_decision d;
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	char id[AD_ID_MAX];
	time_t t0;
	int r;

	(void)state;
	stop_flag = 0;
	evil_start("pending");
	fill_request(&req);
	assert_int_equal(ad_client_connect(&c, sock_path, 2000), 0);
	assert_int_equal(ad_client_create(c, &req, &d), 0);
	assert_int_equal(d.state, AD_STATE_PENDING);
	memcpy(id, d.id, sizeof(id));
	ad_decision_free(&d);
	sigaction(SIGALRM, &sa, &old);
	t0 = time(NULL);
	alarm(1);
	r = ad_client_wait(c, id, 20000, &stop_flag, NULL, NULL, 0, &d);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	assert_int_equal(r, AD_ERR_INTERRUPTED);
	assert_true(time(NULL) - t0 < 10);
	ad_decision_free(&d);
	ad_client_close(c);
	evil_stop();
	ad_request_free(&req);
}

/* Stop already set: no contact with the daemon at all. */
static void test_stop_before(void **state)
{
	struct ad_request req;
	struct ad_gate_opts o = {.socket = sock_path, .wait_s = 30,
				 .stop = &stop_flag};
	char why[256];

	(void)state;
	stop_flag = 1;
	evil_start("approve");
	fill_request(&req);
	assert_int_equal(ad_gate_run(&o, &req, NULL, NULL, why, sizeof(why)), 0);
	assert_string_equal(slurp(log_path), "");
	evil_stop();
	stop_flag = 0;
	ad_request_free(&req);
}

/* Replies that break the flow after a pending answer. */
static void test_bad_wait_replies(void **state)
{
	static const char *modes[] = {"pending-close", "wrongid", "stillpending"};
	char id[AD_ID_MAX], why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct capture cap = {0};
		int ok = run_mode(modes[i], 5, &cap, id, why, sizeof(why));
		if (ok != 0 || cap.n_error == 0)
			fail_msg("mode %s: ok=%d why='%s'", modes[i], ok, why);
		assert_null(strstr(slurp(log_path), "op consume"));
		cap_free(&cap);
	}
}

/* Approved but the consume is not acknowledged: refused (§4.1). */
static void test_consume_failures(void **state)
{
	static const char *modes[] = {"noconsume", "consumedenied"};
	char id[AD_ID_MAX], why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct capture cap = {0};
		int ok = run_mode(modes[i], 5, &cap, id, why, sizeof(why));
		if (ok != 0 || !cap_has(cap.error, cap.n_error, "could not record"))
			fail_msg("mode %s: ok=%d why='%s'", modes[i], ok, why);
		assert_non_null(strstr(slurp(log_path), "op consume R-EV1L-0001"));
		cap_free(&cap);
	}
}

/* Control: the same harness says yes when the peer approves and consumes. */
static void test_approve_control(void **state)
{
	struct capture cap = {0};
	char id[AD_ID_MAX], why[256];

	(void)state;
	assert_int_equal(run_mode("approve", 10, &cap, id, why, sizeof(why)), 1);
	assert_string_equal(id, "R-EV1L-0001");
	assert_true(cap_has(cap.info, cap.n_info, "approved by alice until "));
	assert_true(cap_has(cap.info, cap.n_info, " UTC"));
	assert_int_equal(cap.n_error, 0);
	assert_non_null(strstr(slurp(log_path), "op consume R-EV1L-0001"));
	cap_free(&cap);
}

/* APPROVERD_WAIT=0 from the caller turns a 300 s wait into none. */
static void test_env_wait_lowers(void **state)
{
	struct ad_request req;
	struct capture cap = {0};
	struct ad_gate_io io = {cap_info, cap_error, &cap};
	struct ad_gate_opts o = {.socket = sock_path, .wait_s = 300,
				 .env_wait = "0", .timeout_ms = 2000};
	char why[256];

	(void)state;
	evil_start("approve");
	fill_request(&req);
	assert_int_equal(ad_gate_run(&o, &req, &io, NULL, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "wait = 0"));
	assert_null(strstr(slurp(log_path), "op wait"));
	evil_stop();
	ad_request_free(&req);
	cap_free(&cap);
}

/* ---- out of memory: the N-th allocation fails ------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
#define NOMEM_INJECTION 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOMEM_INJECTION 0
#endif
#endif
#ifndef NOMEM_INJECTION
#define NOMEM_INJECTION 1
#endif

#if NOMEM_INJECTION
/* glibc lets a program interpose malloc; the library and jansson go
 * through these. Armed only around ad_gate_run(). */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
static volatile long alloc_fail_at, alloc_count;

static int alloc_fails(void)
{
	return alloc_fail_at > 0 && ++alloc_count == alloc_fail_at;
}

void *malloc(size_t n)
{
	return alloc_fails() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	return alloc_fails() ? NULL : __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __libc_realloc(p, n);
}

static int nomem_run(long fail_at, char *why, size_t whylen)
{
	struct ad_request req;
	struct capture cap = {0};
	struct ad_gate_io io = {cap_info, cap_error, &cap};
	struct ad_gate_opts o = {.socket = sock_path, .wait_s = 5,
				 .timeout_ms = 2000};
	int ok;

	fill_request(&req);
	alloc_count = 0;
	alloc_fail_at = fail_at == 0 ? LONG_MAX : fail_at;
	ok = ad_gate_run(&o, &req, &io, NULL, why, whylen);
	alloc_fail_at = 0;
	ad_request_free(&req);
	cap_free(&cap);
	return ok;
}

/* Every single allocation failure ends in 0 or in a 1 that went through
 * the acknowledged consume; none crashes. */
static void test_nomem_every_allocation(void **state)
{
	char why[256];
	long total, refused = 0;

	(void)state;
	evil_start("allowed");
	assert_int_equal(nomem_run(0, why, sizeof(why)), 1);
	total = alloc_count;
	assert_true(total > 5);
	for (long k = 1; k <= total; k++) {
		int ok = nomem_run(k, why, sizeof(why));
		if (ok != 0 && ok != 1)
			fail_msg("allocation %ld failing: returned %d", k, ok);
		if (ok == 1 && strstr(why, "allowed by policy") == NULL)
			fail_msg("allocation %ld failing: 1 without consume (%s)",
				 k, why);
		refused += ok == 0;
	}
	assert_true(refused > 0);
	evil_stop();
}
#endif

/* ---- against the real daemon ---------------------------------------------- */

static char real_dir[PATH_MAX];
static char real_conf[PATH_MAX + 64];
static char real_sock[PATH_MAX + 64];
static char real_ev[PATH_MAX + 64];
static char bin_dir[PATH_MAX];
static pid_t daemon_pid;
static pid_t approver_pid;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int real_files(void)
{
	const char *d = real_dir;

	if (sh("mkdir -p %s/etc/approvers.d %s/keys %s/run %s/var && chmod 0755 "
	       "%s/etc %s/etc/approvers.d %s/run && chmod 0700 %s/var %s/keys",
	       d, d, d, d, d, d, d, d, d) != 0)
		return -1;
	if (sh("%s/approverctl keygen --name alice --user alice --out-dir %s/keys "
	       "--no-passphrase >/dev/null 2>&1 && mv %s/keys/alice.pub "
	       "%s/etc/approvers.d/", bin_dir, d, d, d) != 0)
		return -1;
	if (sh("printf '[role sre]\\nmembers = alice\\n\\n[rule yes]\\ncommand = "
	       "/usr/bin/true *\\naction = allow\\n\\n[rule no]\\ncommand = "
	       "/usr/bin/false *\\naction = deny\\n\\n[default]\\nrequire = 1 sre\\n'"
	       " >%s/etc/policy.conf", d) != 0)
		return -1;
	return sh("printf '[daemon]\\nsocket = %s\\nevidence = %s\\nhost_key = "
		  "%s/etc/host.key\\napprovers_dir = %s/etc/approvers.d\\npolicy = "
		  "%s/etc/policy.conf\\nuser = root\\nhost_id = testhost\\n\\n"
		  "[subjects]\\nusers = ai-deploy\\n\\n[client]\\nwait = 0\\n' >%s",
		  real_sock, real_ev, d, d, d, real_conf);
}

static int real_start(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};
	char prog[PATH_MAX + 32], log[PATH_MAX + 32];

	snprintf(real_dir, sizeof(real_dir), "%s/real", tmpdir);
	snprintf(real_conf, sizeof(real_conf), "%s/etc/approverd.conf", real_dir);
	snprintf(real_sock, sizeof(real_sock), "%s/run/approverd.sock", real_dir);
	snprintf(real_ev, sizeof(real_ev), "%s/var/evidence.log", real_dir);
	snprintf(prog, sizeof(prog), "%s/approverd", bin_dir);
	snprintf(log, sizeof(log), "%s/daemon.log", real_dir);
	if (access(prog, X_OK) != 0 || real_files() != 0)
		return -1;
	if ((daemon_pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (freopen(log, "a", stderr) == NULL)
			_exit(126);
		execl(prog, prog, "-f", "-c", real_conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500 && access(real_sock, F_OK) != 0; i++)
		nanosleep(&ts, NULL);
	return access(real_sock, F_OK);
}

static void real_stop(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
	}
	daemon_pid = 0;
	if (real_dir[0] != '\0')
		sh("rm -rf %s", real_dir);
}

static int real_approve(const char *id)
{
	return sh("%s/approverctl -c %s -S %s approve %s -k %s/keys/alice.key "
		  "--yes >/dev/null 2>&1", bin_dir, real_conf, real_sock, id,
		  real_dir);
}

/* Info callback that, on the "approverctl approve ID" line, lets alice
 * approve from another process while the gate waits. */
static void approve_on_pending(void *arg, const char *msg)
{
	const char *p = strstr(msg, "approverctl approve R-");

	cap_info(arg, msg);
	if (p == NULL || approver_pid != 0)
		return;
	if ((approver_pid = fork()) == 0) {
		sleep(1);
		_exit(real_approve(p + strlen("approverctl approve ")) == 0 ? 0 : 1);
	}
}

static void real_request(struct ad_request *r, const char *cmd)
{
	fill_request(r);
	free(r->service);
	r->service = strdup("sudo");
	free(r->command);
	r->command = strdup(cmd);
	r->argv.v = calloc(2, sizeof(char *));
	r->argv.v[0] = strdup(cmd);
	r->argv.n = 1;
}

static int real_run(const char *cmd, unsigned wait_s, struct capture *cap,
		    void (*info)(void *, const char *), char id[AD_ID_MAX],
		    char *why, size_t whylen)
{
	struct ad_request req;
	struct ad_gate_io io = {info ? info : cap_info, cap_error, cap};
	struct ad_gate_opts o = {.socket = real_sock, .wait_s = wait_s,
				 .progress_s = 1, .stop = &stop_flag};
	int ok;

	real_request(&req, cmd);
	ok = ad_gate_run(&o, &req, &io, id, why, whylen);
	ad_request_free(&req);
	return ok;
}

static int ev_has(const char *id, const char *event)
{
	char line[8192], want_id[64], want_ev[64];
	FILE *f = fopen(real_ev, "r");
	int hit = 0;

	snprintf(want_id, sizeof(want_id), "\"id\":\"%s\"", id);
	snprintf(want_ev, sizeof(want_ev), "\"event\":\"%s\"", event);
	while (f != NULL && !hit && fgets(line, sizeof(line), f) != NULL)
		hit = strstr(line, want_id) && strstr(line, want_ev);
	if (f != NULL)
		fclose(f);
	return hit;
}

static int real_setup(void **state)
{
	(void)state;
	return real_start();
}

static int real_teardown(void **state)
{
	(void)state;
	real_stop();
	return 0;
}

/* Allowed by policy: 1, and the consume is in the evidence first. */
static void test_real_allowed(void **state)
{
	struct capture cap = {0};
	char id[AD_ID_MAX], why[256];

	(void)state;
	assert_int_equal(real_run("/usr/bin/true", 0, &cap, NULL, id, why,
				  sizeof(why)), 1);
	assert_true(strncmp(id, "R-", 2) == 0);
	assert_true(ev_has(id, "consume"));
	assert_non_null(strstr(why, "allowed"));
	cap_free(&cap);
}

static void test_real_denied(void **state)
{
	struct capture cap = {0};
	char id[AD_ID_MAX], why[256];

	(void)state;
	assert_int_equal(real_run("/usr/bin/false", 30, &cap, NULL, id, why,
				  sizeof(why)), 0);
	assert_true(cap_has(cap.error, cap.n_error, "denied"));
	assert_false(ev_has(id, "consume"));
	cap_free(&cap);
}

/* Pending, alice approves from another process during the wait: the
 * daemon pushes the decision, the gate consumes and says who approved. */
static void test_real_approved_while_waiting(void **state)
{
	struct capture cap = {0};
	char id[AD_ID_MAX], why[256];
	int st = -1;

	(void)state;
	approver_pid = 0;
	assert_int_equal(real_run("/usr/bin/id", 20, &cap, approve_on_pending,
				  id, why, sizeof(why)), 1);
	assert_true(approver_pid > 0);
	waitpid(approver_pid, &st, 0);
	approver_pid = 0;
	assert_int_equal(st, 0);
	assert_true(cap_has(cap.info, cap.n_info, "required: 1 approval"));
	assert_true(cap_has(cap.info, cap.n_info, "approved by alice until"));
	assert_true(ev_has(id, "approved"));
	assert_true(ev_has(id, "consume"));
	cap_free(&cap);
}

/* Timeout leaves the request pending; approved later, the identical
 * re-run with wait 0 matches it and is allowed once. */
static void test_real_timeout_then_rerun(void **state)
{
	struct capture cap = {0};
	char id[AD_ID_MAX], id2[AD_ID_MAX], why[256];

	(void)state;
	assert_int_equal(real_run("/usr/bin/uptime", 1, &cap, NULL, id, why,
				  sizeof(why)), 0);
	assert_true(cap_has(cap.error, cap.n_error, "stays pending"));
	assert_false(ev_has(id, "withdraw"));
	assert_int_equal(real_approve(id), 0);
	assert_int_equal(real_run("/usr/bin/uptime", 0, &cap, NULL, id2, why,
				  sizeof(why)), 1);
	assert_string_equal(id2, id);
	assert_true(ev_has(id, "consume"));
	assert_int_equal(real_run("/usr/bin/uptime", 0, &cap, NULL, id2, why,
				  sizeof(why)), 0);
	assert_string_not_equal(id2, id);
	cap_free(&cap);
}

/* A signal during the wait withdraws the request in the evidence. */
static void test_real_signal_withdraws(void **state)
{
	struct capture cap = {0};
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	char id[AD_ID_MAX], why[256];

	(void)state;
	stop_flag = 0;
	sigaction(SIGALRM, &sa, &old);
	alarm(1);
	assert_int_equal(real_run("/usr/bin/w", 30, &cap, NULL, id, why,
				  sizeof(why)), 0);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	stop_flag = 0;
	assert_true(ev_has(id, "withdraw"));
	cap_free(&cap);
}

static int setup(void **state)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	(void)state;
	if (n <= 0)
		return -1;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (strlen(self) + 4 > sizeof(bin_dir))
		return -1;
	memcpy(bin_dir, self, strlen(self));
	strcpy(bin_dir + strlen(self), "/..");
	if (strlen(self) + 32 > sizeof(evil_path))
		return -1;
	memcpy(evil_path, self, strlen(self));
	strcpy(evil_path + strlen(self), "/helpers/evil_server");
	if (access(evil_path, X_OK) != 0) {
		fprintf(stderr, "test_gate: %s missing (make %.*s/tests/helpers/"
			"evil_server)\n", evil_path, (int)(slash - self), self);
		return -1;
	}
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/evil.sock", tmpdir);
	snprintf(log_path, sizeof(log_path), "%s/evil.log", tmpdir);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	evil_stop();
	unlink(log_path);
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_effective_wait),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_daemon_down),
		cmocka_unit_test(test_malformed_replies),
		cmocka_unit_test(test_denied),
		cmocka_unit_test(test_pending_no_wait),
		cmocka_unit_test(test_pending_timeout),
		cmocka_unit_test(test_signal_withdraws),
		cmocka_unit_test(test_client_wait_stop_without_progress),
		cmocka_unit_test(test_stop_before),
		cmocka_unit_test(test_bad_wait_replies),
		cmocka_unit_test(test_consume_failures),
		cmocka_unit_test(test_approve_control),
		cmocka_unit_test(test_env_wait_lowers),
#if NOMEM_INJECTION
		cmocka_unit_test(test_nomem_every_allocation),
#endif
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_real_allowed),
		cmocka_unit_test(test_real_denied),
		cmocka_unit_test(test_real_approved_while_waiting),
		cmocka_unit_test(test_real_timeout_then_rerun),
		cmocka_unit_test(test_real_signal_withdraws),
	};
	int rc = cmocka_run_group_tests_name("evil", tests, setup, NULL);

	rc |= cmocka_run_group_tests_name("real", real, real_setup, real_teardown);
	teardown(NULL);
	return rc;
}
