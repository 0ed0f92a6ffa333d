/*
 * test_pam_wrapper.c — pam_approverd.so driven through real Linux-PAM stacks
 * by cwrap's pam_wrapper + libpamtest (no /etc/pam.d change, no root login).
 *
 * The binary re-runs itself with LD_PRELOAD=libpam_wrapper.so, PAM_WRAPPER=1
 * and PAM_WRAPPER_SERVICE_DIR pointing at service files it wrote into a
 * mkdtemp directory. "nobody" plays the AI subject and "daemon" the human
 * (both exist on every Debian system); services run in mode=login so the
 * initiator is PAM_USER. The daemon side is tests/helpers/evil_server: a
 * hostile peer for the faults, and its "approve" mode as the control that
 * proves a stack can succeed at all.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
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
#include <libpamtest.h>
#include <security/pam_appl.h>

#include "pamreq.h"
#include "request.h"
#include "text.h"

#define AI "nobody"
#define HUMAN "daemon"
#define NMSG 64
#define PAM_WRAPPER_LIB "libpam_wrapper.so"

static char dir[PATH_MAX];
static char bindir[PATH_MAX];
static char sock_path[PATH_MAX + 32];
static char log_path[PATH_MAX + 32];
static pid_t evil_pid;

/* The four controls; each service file has the same auth + account lines. */
static const char *const stacks[] = {"required", "requisite", "sufficient",
				     "jump"};
#define NSTACKS (sizeof(stacks) / sizeof(stacks[0]))

/* ---- files written before pam_wrapper starts --------------------------- */

static int write_file(const char *name, mode_t mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int write_file(const char *name, mode_t mode, const char *fmt, ...)
{
	char path[PATH_MAX + 64];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0)
		return -1;
	return chmod(path, mode);
}

/* Lines for one control: the module, then what decides for the rest. */
static void stack_lines(char *out, size_t n, const char *stack,
			const char *phase, const char *mod)
{
	if (strcmp(stack, "sufficient") == 0)
		snprintf(out, n, "%s sufficient %s\n%s required pam_deny.so\n",
			 phase, mod, phase);
	else if (strcmp(stack, "jump") == 0)
		snprintf(out, n, "%s [success=1 default=ignore] %s\n"
			 "%s requisite pam_deny.so\n%s required pam_permit.so\n",
			 phase, mod, phase, phase);
	else
		snprintf(out, n, "%s %s %s\n%s required pam_permit.so\n", phase,
			 stack, mod, phase);
}

static int write_service(const char *name, const char *stack, const char *args)
{
	char mod[3 * PATH_MAX], auth[4 * PATH_MAX], acct[4 * PATH_MAX];

	snprintf(mod, sizeof(mod), "%s/../pam_approverd.so %s", bindir, args);
	stack_lines(auth, sizeof(auth), stack, "auth", mod);
	stack_lines(acct, sizeof(acct), stack, "account", mod);
	return write_file(name, 0644, "%s%s"
			  "session required %s/../pam_approverd.so\n",
			  auth, acct, bindir);
}

static int write_services(void)
{
	char args[3 * PATH_MAX], name[64];
	int rc = 0;

	for (size_t i = 0; i < NSTACKS; i++) {
		const char *s = stacks[i];
		snprintf(args, sizeof(args), "config=%s/good.conf mode=login "
			 "require=*:* socket=%s/evil.sock", dir, dir);
		snprintf(name, sizeof(name), "%s-evil", s);
		rc |= write_service(name, s, args);
		snprintf(args, sizeof(args), "config=%s/good.conf mode=login "
			 "require=*:* socket=%s/evil.sock wait=1", dir, dir);
		snprintf(name, sizeof(name), "%s-short", s);
		rc |= write_service(name, s, args);
		snprintf(args, sizeof(args), "config=%s/good.conf mode=login "
			 "require=*:* socket=%s/none.sock", dir, dir);
		snprintf(name, sizeof(name), "%s-down", s);
		rc |= write_service(name, s, args);
	}
	snprintf(args, sizeof(args), "config=%s/bad.conf mode=login require=*:*",
		 dir);
	rc |= write_service("badconf", "required", args);
	snprintf(args, sizeof(args), "config=%s/missing.conf mode=login "
		 "require=*:*", dir);
	rc |= write_service("missingconf", "required", args);
	snprintf(args, sizeof(args), "config=%s/syntax.conf mode=login "
		 "require=*:*", dir);
	rc |= write_service("syntaxconf", "required", args);
	snprintf(args, sizeof(args), "config=%s/good.conf mode=login "
		 "require=*:* socket=%s/evil.sock bogus=1", dir, dir);
	rc |= write_service("badarg", "required", args);
	snprintf(args, sizeof(args), "config=%s/good.conf mode=login "
		 "require=su:root socket=%s/evil.sock", dir, dir);
	rc |= write_service("notrequired", "required", args);
	return rc;
}

static int write_fixtures(void)
{
	int rc = 0;

	rc |= write_file("good.conf", 0644, "[subjects]\nusers = " AI "\n\n"
			 "[client]\nwait = 3\nsocket = %s/evil.sock\n", dir);
	rc |= write_file("bad.conf", 0666, "[subjects]\nusers = " AI "\n");
	rc |= write_file("syntax.conf", 0644, "[subjects\nusers = = ,\n");
	return rc | write_services();
}

/* Parent: write the fixtures, run ourselves under pam_wrapper, clean up. */
static int reexec_under_pam_wrapper(char **argv)
{
	char tmpl[] = "/tmp/test_pam_wrapper.XXXXXX";
	char cmd[PATH_MAX + 64];
	pid_t pid;
	int st = 0;

	if (mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	if (write_fixtures() != 0) {
		fprintf(stderr, "test_pam_wrapper: cannot write %s\n", dir);
		return 1;
	}
	setenv("LD_PRELOAD", PAM_WRAPPER_LIB, 1);
	setenv("PAM_WRAPPER", "1", 1);
	setenv("PAM_WRAPPER_SERVICE_DIR", dir, 1);
	setenv("TEST_PAMW_DIR", dir, 1);
	/* under ASan (make check-asan) the preload comes before the runtime,
	 * and RTLD_DEEPBIND modules would bypass its interceptors */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
	setenv("PAM_WRAPPER_DISABLE_DEEPBIND", "1", 1);
	setenv("UID_WRAPPER_DISABLE_DEEPBIND", "1", 1); /* what 1.1.5 reads */
	if ((pid = fork()) == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		st = 1 << 8;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_pam_wrapper: could not remove %s\n", dir);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* ---- the hostile peer ---------------------------------------------------- */

static char *slurp_log(void)
{
	static char buf[8192];
	FILE *f = fopen(log_path, "r");
	size_t n = 0;

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
	char evil[PATH_MAX + 32];

	evil_stop();
	unlink(log_path);
	snprintf(evil, sizeof(evil), "%s/helpers/evil_server", bindir);
	if ((evil_pid = fork()) == 0) {
		unsetenv("LD_PRELOAD");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(evil, evil, sock_path, mode, log_path, (char *)NULL);
		_exit(127);
	}
	assert_true(evil_pid > 0);
	for (int i = 0; i < 500 && access(sock_path, F_OK) != 0; i++)
		nanosleep(&ts, NULL);
	assert_int_equal(access(sock_path, F_OK), 0);
}

/* ---- running a PAM operation -------------------------------------------- */

enum conv_kind { CONV_DEFAULT, CONV_FAILING, CONV_NONE };

struct msgs {
	char *info[NMSG];
	char *err[NMSG];
};

static void msgs_init(struct msgs *m)
{
	for (size_t i = 0; i < NMSG; i++) {
		m->info[i] = calloc(1, PAM_MAX_MSG_SIZE + 1);
		m->err[i] = calloc(1, PAM_MAX_MSG_SIZE + 1);
	}
}

static void msgs_free(struct msgs *m)
{
	for (size_t i = 0; i < NMSG; i++) {
		free(m->info[i]);
		free(m->err[i]);
	}
}

static int msgs_has(char *const *v, const char *needle)
{
	for (size_t i = 0; i < NMSG; i++)
		if (v[i] != NULL && strstr(v[i], needle) != NULL)
			return 1;
	return 0;
}

static int failing_conv(int n, const struct pam_message **msg,
			struct pam_response **resp, void *arg)
{
	(void)n;
	(void)msg;
	(void)arg;
	*resp = NULL;
	return PAM_CONV_ERR;
}

/* The stack's answer for one operation (or -1 if PAM could not start). */
static int pam_op(const char *service, const char *user, enum pamtest_ops op,
		  enum conv_kind ck, struct msgs *m)
{
	struct pam_testcase tc[] = {pam_test(op, PAM_SUCCESS)};
	/* pam_get_user() with no user prompts; libpamtest's conversation
	 * crashes without an answer array, so answer "" (refused). */
	static const char *user_answers[] = {"", "", "", NULL};
	struct pamtest_conv_data cd = {.in_echo_on = user_answers};
	enum pamtest_err e;

	tc[0].op_rv = -1;
	if (m != NULL) {
		cd.out_info = m->info;
		cd.out_err = m->err;
	}
	if (ck == CONV_DEFAULT)
		e = run_pamtest(service, user, &cd, tc, NULL);
	else
		/* the run_pamtest_conv() macro of libpamtest 1.1.5 does not
		 * compile (misplaced parenthesis): call what it wraps */
		e = _pamtest_conv(service, user,
				  ck == CONV_FAILING ? failing_conv : NULL, NULL,
				  tc, 1, NULL);
	if (e != PAMTEST_ERR_OK && e != PAMTEST_ERR_CASE)
		return -1;
	return tc[0].op_rv;
}

static const enum pamtest_ops phases[] = {PAMTEST_AUTHENTICATE,
					  PAMTEST_ACCOUNT};

static const char *phase_name(enum pamtest_ops op)
{
	return op == PAMTEST_AUTHENTICATE ? "auth" : "account";
}

/* For the AI subject, service variant var of every stack and phase: never
 * PAM_SUCCESS, and what our own module returns in required/requisite. */
static void expect_all_denied(const char *var, const char *mode)
{
	char svc[64];

	for (size_t s = 0; s < NSTACKS; s++) {
		for (size_t p = 0; p < 2; p++) {
			int rv;
			if (mode != NULL)
				evil_start(mode);
			snprintf(svc, sizeof(svc), "%s-%s", stacks[s], var);
			rv = pam_op(svc, AI, phases[p], CONV_DEFAULT, NULL);
			if (rv == PAM_SUCCESS || rv == PAM_IGNORE || rv < 0)
				fail_msg("%s %s (evil %s): stack returned %d",
					 svc, phase_name(phases[p]),
					 mode ? mode : "-", rv);
			if (s < 2 && rv != (p == 0 ? PAM_AUTH_ERR
						   : PAM_PERM_DENIED))
				fail_msg("%s %s: %d is not the module's refusal",
					 svc, phase_name(phases[p]), rv);
		}
	}
	evil_stop();
}

/* ---- tests ------------------------------------------------------------------ */

static void test_only_pam_sm_exported(void **state)
{
	char cmd[PATH_MAX + 64], line[512];
	int n = 0;
	FILE *p;

	(void)state;
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only %s/../pam_approverd.so",
		 bindir);
	assert_non_null(p = popen(cmd, "r"));
	while (fgets(line, sizeof(line), p) != NULL) {
		char *name = strrchr(line, ' ');
		assert_non_null(name);
		name[strcspn(name, "\n")] = '\0';
		if (strncmp(name + 1, "pam_sm_", 7) != 0)
			fail_msg("exported symbol %s is not a pam_sm_* entry",
				 name + 1);
		n++;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, 6);
}

static void test_ai_daemon_down(void **state)
{
	(void)state;
	expect_all_denied("down", NULL);
}

/* The daemon takes the request but never decides: wait=1 runs out. */
static void test_ai_timeout(void **state)
{
	(void)state;
	expect_all_denied("short", "pending");
}

/* The daemon accepts the connection and never answers at all. */
static void test_ai_no_answer(void **state)
{
	(void)state;
	evil_start("silent");
	assert_int_equal(pam_op("required-evil", AI, PAMTEST_ACCOUNT,
				CONV_DEFAULT, NULL), PAM_PERM_DENIED);
	assert_int_not_equal(pam_op("jump-evil", AI, PAMTEST_AUTHENTICATE,
				    CONV_DEFAULT, NULL), PAM_SUCCESS);
	evil_stop();
}

static void test_ai_malformed_reply(void **state)
{
	(void)state;
	expect_all_denied("evil", "badjson");
	expect_all_denied("evil", "garbage");
	expect_all_denied("evil", "truncated");
	expect_all_denied("evil", "noconsume");
}

static void test_ai_denied(void **state)
{
	(void)state;
	expect_all_denied("evil", "denied");
}

/* Control: the same stacks succeed once the peer approves and consumes. */
static void test_ai_approved_control(void **state)
{
	char svc[64];

	(void)state;
	for (size_t s = 0; s < NSTACKS; s++) {
		for (size_t p = 0; p < 2; p++) {
			struct msgs m;
			int rv;
			msgs_init(&m);
			evil_start("approve");
			snprintf(svc, sizeof(svc), "%s-evil", stacks[s]);
			rv = pam_op(svc, AI, phases[p], CONV_DEFAULT, &m);
			if (rv != PAM_SUCCESS)
				fail_msg("%s %s: %d", svc, phase_name(phases[p]), rv);
			assert_true(msgs_has(m.info, "approved by alice"));
			assert_non_null(strstr(slurp_log(), "op consume R-EV1L-0001"));
			msgs_free(&m);
		}
	}
	evil_stop();
}

static void test_ai_pending_messages(void **state)
{
	struct msgs m;

	(void)state;
	msgs_init(&m);
	evil_start("pending");
	assert_int_equal(pam_op("required-short", AI, PAMTEST_ACCOUNT,
				CONV_DEFAULT, &m), PAM_PERM_DENIED);
	assert_true(msgs_has(m.info, "needs approval: request R-EV1L-0001"));
	assert_true(msgs_has(m.info, "required: 1 approval from role sre"));
	assert_true(msgs_has(m.info, "approverctl approve R-EV1L-0001"));
	assert_true(msgs_has(m.err, "stays pending"));
	evil_stop();
	msgs_free(&m);
}

/* Humans: PAM_IGNORE without contacting the daemon, even when it is down. */
static void test_human_passes(void **state)
{
	(void)state;
	for (size_t p = 0; p < 2; p++) {
		assert_int_equal(pam_op("required-down", HUMAN, phases[p],
					CONV_DEFAULT, NULL), PAM_SUCCESS);
		assert_int_equal(pam_op("requisite-down", HUMAN, phases[p],
					CONV_DEFAULT, NULL), PAM_SUCCESS);
		evil_start("approve");
		assert_int_equal(pam_op("required-evil", HUMAN, phases[p],
					CONV_DEFAULT, NULL), PAM_SUCCESS);
		/* IGNORE, not SUCCESS: the sufficient line grants nothing */
		assert_int_not_equal(pam_op("sufficient-evil", HUMAN, phases[p],
					    CONV_DEFAULT, NULL), PAM_SUCCESS);
		assert_string_equal(slurp_log(), "");
		evil_stop();
	}
}

/* A pair not in require= is not the module's business, AI or not. */
static void test_not_required(void **state)
{
	(void)state;
	evil_start("denied");
	assert_int_equal(pam_op("notrequired", AI, PAMTEST_ACCOUNT,
				CONV_DEFAULT, NULL), PAM_SUCCESS);
	assert_string_equal(slurp_log(), "");
	evil_stop();
}

/* Unreadable / untrusted / broken config: every non-root caller refused
 * with a message naming the file; root passes (DESIGN.md §4.2). */
static void test_bad_config(void **state)
{
	static const char *const svcs[][2] = {{"badconf", "bad.conf"},
					      {"missingconf", "missing.conf"},
					      {"syntaxconf", "syntax.conf"}};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		for (size_t p = 0; p < 2; p++) {
			struct msgs m;
			msgs_init(&m);
			assert_int_not_equal(pam_op(svcs[i][0], AI, phases[p],
						    CONV_DEFAULT, &m), PAM_SUCCESS);
			if (!msgs_has(m.err, svcs[i][1]))
				fail_msg("%s: no message naming %s", svcs[i][0],
					 svcs[i][1]);
			assert_int_not_equal(pam_op(svcs[i][0], HUMAN, phases[p],
						    CONV_DEFAULT, NULL), PAM_SUCCESS);
			assert_int_equal(pam_op(svcs[i][0], "root", phases[p],
						CONV_DEFAULT, NULL), PAM_SUCCESS);
			msgs_free(&m);
		}
	}
}

static void test_bad_module_argument(void **state)
{
	struct msgs m;

	(void)state;
	msgs_init(&m);
	evil_start("approve");
	assert_int_not_equal(pam_op("badarg", AI, PAMTEST_ACCOUNT, CONV_DEFAULT,
				    &m), PAM_SUCCESS);
	assert_true(msgs_has(m.err, "bogus=1"));
	assert_int_not_equal(pam_op("badarg", HUMAN, PAMTEST_AUTHENTICATE,
				    CONV_DEFAULT, NULL), PAM_SUCCESS);
	assert_int_equal(pam_op("badarg", "root", PAMTEST_ACCOUNT, CONV_DEFAULT,
				NULL), PAM_SUCCESS);
	assert_string_equal(slurp_log(), "");
	evil_stop();
	msgs_free(&m);
}

/* Conversation failing or absent: the messages are lost, the decision is
 * still the daemon's: no decision means denied, an approval still works. */
static void test_conversation_trouble(void **state)
{
	(void)state;
	for (size_t p = 0; p < 2; p++) {
		int deny = p == 0 ? PAM_AUTH_ERR : PAM_PERM_DENIED;
		evil_start("pending");
		assert_int_equal(pam_op("required-short", AI, phases[p],
					CONV_FAILING, NULL), deny);
		assert_int_equal(pam_op("required-short", AI, phases[p],
					CONV_NONE, NULL), deny);
		assert_int_not_equal(pam_op("jump-down", AI, phases[p],
					    CONV_NONE, NULL), PAM_SUCCESS);
		evil_start("approve");
		assert_int_equal(pam_op("required-evil", AI, phases[p],
					CONV_NONE, NULL), PAM_SUCCESS);
	}
	evil_stop();
}

static void test_null_or_empty_user(void **state)
{
	(void)state;
	evil_start("approve");
	for (size_t p = 0; p < 2; p++) {
		assert_int_not_equal(pam_op("required-evil", NULL, phases[p],
					    CONV_DEFAULT, NULL), PAM_SUCCESS);
		assert_int_not_equal(pam_op("required-evil", "", phases[p],
					    CONV_DEFAULT, NULL), PAM_SUCCESS);
		assert_int_not_equal(pam_op("jump-evil", "", phases[p],
					    CONV_DEFAULT, NULL), PAM_SUCCESS);
	}
	evil_stop();
}

/* SIGTERM during the wait: denied, request withdrawn, handler restored. */
static void test_signal_during_wait(void **state)
{
	struct sigaction now;
	pid_t parent = getpid(), killer;
	time_t t0 = time(NULL);

	(void)state;
	evil_start("pending");
	if ((killer = fork()) == 0) {
		sleep(1);
		kill(parent, SIGTERM);
		_exit(0);
	}
	assert_int_equal(pam_op("required-evil", AI, PAMTEST_ACCOUNT,
				CONV_DEFAULT, NULL), PAM_PERM_DENIED);
	waitpid(killer, NULL, 0);
	assert_true(time(NULL) - t0 < 3);
	assert_non_null(strstr(slurp_log(), "op withdraw R-EV1L-0001"));
	assert_int_equal(sigaction(SIGTERM, NULL, &now), 0);
	assert_true(now.sa_handler == SIG_DFL);
	evil_stop();
}

static void test_other_entry_points(void **state)
{
	(void)state;
	assert_int_equal(pam_op("required-evil", AI, PAMTEST_OPEN_SESSION,
				CONV_DEFAULT, NULL), PAM_SERVICE_ERR);
	assert_int_equal(pam_op("required-evil", AI, PAMTEST_SETCRED,
				CONV_DEFAULT, NULL), PAM_SUCCESS);
}

/* HOME, XDG_*, TMPDIR and proxy variables change nothing. */
static void test_hostile_environment(void **state)
{
	(void)state;
	setenv("HOME", "/nonexistent", 1);
	setenv("TMPDIR", "/dev/null", 1);
	setenv("XDG_CONFIG_HOME", "/proc/self", 1);
	setenv("XDG_RUNTIME_DIR", "/nonexistent", 1);
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	setenv("https_proxy", "http://127.0.0.1:1", 1);
	setenv("APPROVERD_SOCKET", "/nonexistent", 1);
	expect_all_denied("down", NULL);
	evil_start("approve");
	assert_int_equal(pam_op("required-evil", AI, PAMTEST_ACCOUNT,
				CONV_DEFAULT, NULL), PAM_SUCCESS);
	assert_int_equal(pam_op("required-down", HUMAN, PAMTEST_ACCOUNT,
				CONV_DEFAULT, NULL), PAM_SUCCESS);
	evil_stop();
}

/* ---- common/pamreq.c directly ---------------------------------------------- */

/* The argv found in a NUL-separated command line, joined by '|'. */
static const char *found(const char *cmdline, size_t len)
{
	static char out[512];
	char **v = NULL;
	size_t n = 0;
	int rc = ad_pamreq_find_command(&v, &n, cmdline, len);

	out[0] = '\0';
	if (rc < 0)
		snprintf(out, sizeof(out), "error %d", rc);
	for (size_t i = 0; rc == 1 && i < n; i++) {
		strncat(out, v[i], sizeof(out) - strlen(out) - 2);
		strcat(out, "|");
	}
	ad_strv_free(v);
	return out;
}
#define FOUND(lit) found(lit, sizeof(lit) - 1)

static void test_pamreq_su_command(void **state)
{
	(void)state;
	assert_string_equal(FOUND("su\0-c\0id\0root\0"), "-c|id|");
	assert_string_equal(FOUND("/bin/su\0-lcwhoami\0-\0"), "-c|whoami|");
	assert_string_equal(FOUND("su\0-l\0-c\0echo a b\0"), "-c|echo a b|");
	assert_string_equal(FOUND("su\0--command=ls -l\0"), "-c|ls -l|");
	assert_string_equal(FOUND("su\0--comm\0date\0root\0"), "-c|date|");
	assert_string_equal(FOUND("su\0-s\0/bin/sh\0-C\0x\0"), "-c|x|");
	assert_string_equal(FOUND("su\0-g\0-c\0root\0"), ""); /* -c is -g's arg */
	assert_string_equal(FOUND("su\0root\0-c\0id\0"), "-c|id|"); /* permuted */
	assert_string_equal(FOUND("su\0-c\0a\0-c\0b\0"), "-c|b|"); /* last wins */
	/* after "--" su hands everything to the shell itself */
	assert_string_equal(FOUND("su\0root\0--\0-c\0id\0"), "-c|id|");
	assert_string_equal(FOUND("su\0--\0root\0x\0"), "x|");
	assert_string_equal(FOUND("su\0-\0"), "");
	assert_string_equal(FOUND("su\0root\0"), "");
	/* runuser -u USER runs its positionals directly, without a shell */
	assert_string_equal(FOUND("runuser\0-u\0bob\0--\0ls\0-l\0"), "ls|-l|");
	assert_string_equal(FOUND("su\0-c\0"), ""); /* no argument: su fails */
	/* no trailing NUL (truncated read) */
	assert_string_equal(FOUND("su\0-c\0id"), "-c|id|");
}

static void test_pamreq_other_programs(void **state)
{
	(void)state;
	assert_string_equal(FOUND("pkexec\0--user\0root\0/usr/bin/id\0-u\0"),
			    "/usr/bin/id|-u|");
	assert_string_equal(FOUND("pkexec\0--keep-cwd\0vi\0"), "vi|");
	assert_string_equal(FOUND("pkexec\0"), "");
	assert_string_equal(FOUND("sshd: ai-deploy [priv]\0"), "");
	assert_string_equal(FOUND("/usr/bin/pamtester\0-v\0su\0root\0"), "");
	assert_string_equal(found("", 0), "");
}

static void test_pamreq_loginuid(void **state)
{
	uid_t u;

	(void)state;
	assert_int_equal(ad_pamreq_parse_loginuid(&u, "1000\n", 5), 0);
	assert_int_equal(u, 1000);
	assert_int_equal(ad_pamreq_parse_loginuid(&u, "4294967295", 10), 0);
	assert_true(u == (uid_t)-1);
	assert_int_not_equal(ad_pamreq_parse_loginuid(&u, "", 0), 0);
	assert_int_not_equal(ad_pamreq_parse_loginuid(&u, "-1", 2), 0);
	assert_int_not_equal(ad_pamreq_parse_loginuid(&u, "12a", 3), 0);
	assert_int_not_equal(ad_pamreq_parse_loginuid(&u, "99999999999", 11), 0);
	assert_true(u == (uid_t)-1);
}

static void test_pamreq_args(void **state)
{
	struct ad_pam_args a;
	char err[256];
	const char *good[] = {"debug", "config=/x/y.conf", "require=sshd:*,su:bob",
			      "mode=switch", "wait=90", "socket=/run/s.sock"};
	const char *bad[][1] = {{"config=relative"}, {"require=su"},
				{"require=:root"}, {"mode=other"}, {"wait=2d"},
				{"wait=-1"}, {"frobnicate"}, {"require="}};

	(void)state;
	assert_int_equal(ad_pam_args_parse(&a, 0, NULL, err, sizeof(err)), 0);
	assert_string_equal(a.config, "/etc/approverd/approverd.conf");
	assert_true(ad_pam_require_match(&a, "su", "root"));
	assert_true(ad_pam_require_match(&a, "pkexec", "root"));
	assert_false(ad_pam_require_match(&a, "su", "nobody"));
	assert_false(ad_pam_require_match(&a, "sshd", "root"));
	assert_int_equal(ad_pam_kind_of(&a, "su"), AD_PAM_KIND_SWITCH);
	assert_int_equal(ad_pam_kind_of(&a, "sshd"), AD_PAM_KIND_LOGIN);
	ad_pam_args_free(&a);
	assert_int_equal(ad_pam_args_parse(&a, 6, good, err, sizeof(err)), 0);
	assert_true(a.debug && a.has_wait && a.wait_s == 90);
	assert_true(ad_pam_require_match(&a, "sshd", "anyone"));
	assert_true(ad_pam_require_match(&a, "su", "bob"));
	/* su is listed: a uid-0 target needs approval whatever the list says */
	assert_true(ad_pam_require_match(&a, "su", "root"));
	assert_false(ad_pam_require_match(&a, "su", "nobody"));
	assert_int_equal(ad_pam_kind_of(&a, "sshd"), AD_PAM_KIND_SWITCH);
	ad_pam_args_free(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ad_pam_args_parse(&a, 1, bad[i], err, sizeof(err)) == 0)
			fail_msg("argument '%s' accepted", bad[i][0]);
		assert_true(err[0] != '\0');
	}
}

/* A passwd for require= matching: toor and bobby are aliases (same uid)
 * of root and bob; "broken" is an NSS failure; arg counts the lookups. */
static int fake_uid(void *arg, const char *name, uid_t *uid)
{
	static const struct {
		const char *name;
		uid_t uid;
	} pw[] = {{"root", 0}, {"toor", 0}, {"bob", 1001}, {"bobby", 1001},
		  {"carol", 1002}};

	(*(int *)arg)++;
	if (strcmp(name, "broken") == 0)
		return -4; /* AD_ERR_IO */
	for (size_t i = 0; i < sizeof(pw) / sizeof(pw[0]); i++)
		if (strcmp(pw[i].name, name) == 0) {
			*uid = pw[i].uid;
			return 0;
		}
	return -6; /* AD_ERR_NOTFOUND */
}

static int yes_uid(void *arg, const char *name, uid_t *uid)
{
	(void)arg;
	(void)name;
	*uid = 1001;
	return 1; /* a resolver that says neither 0 nor an error */
}

static int match(const char *list, const char *svc, const char *target,
		 int *calls)
{
	struct ad_pam_args a;
	char err[256];
	const char *argv[1];
	char arg[300];
	int rc;

	snprintf(arg, sizeof(arg), "require=%s", list);
	argv[0] = arg;
	assert_int_equal(ad_pam_args_parse(&a, 1, argv, err, sizeof(err)), 0);
	*calls = 0;
	rc = ad_pam_require_match_with(&a, svc, target, fake_uid, calls);
	ad_pam_args_free(&a);
	return rc;
}

/* Review R6: require= targets match by uid; fail closed on lookups. */
static void test_pamreq_require_uid(void **state)
{
	const char *def = AD_PAM_DEFAULT_REQUIRE;
	struct ad_pam_args a;
	char err[256];
	int n = 0;

	(void)state;
	assert_int_equal(match(def, "su", "root", &n), 1);
	assert_int_equal(match(def, "su", "toor", &n), 1); /* uid-0 alias */
	assert_int_equal(match(def, "pkexec", "toor", &n), 1);
	assert_int_equal(match(def, "su", "bob", &n), 0);
	assert_int_equal(match(def, "sshd", "toor", &n), 0);
	assert_int_equal(n, 0); /* unlisted service: no lookup at all */
	assert_int_equal(match(def, "su", "ghost", &n), 1); /* unknown target */
	assert_int_equal(match(def, "su", "broken", &n), 1); /* NSS error */
	assert_int_equal(match(def, "su", "", &n), 1);
	assert_int_equal(match(def, "su", NULL, &n), 1);
	assert_int_equal(match(def, "sshd", NULL, &n), 0);
	/* a non-root target: its aliases match, other users do not */
	assert_int_equal(match("su:bob", "su", "bobby", &n), 1);
	assert_int_equal(match("su:bobby", "su", "bob", &n), 1);
	assert_int_equal(match("su:bob", "su", "carol", &n), 0);
	/* any uid-0 target of a listed service, whatever the list says */
	assert_int_equal(match("su:bob", "su", "root", &n), 1);
	assert_int_equal(match("su:bob", "su", "toor", &n), 1);
	assert_int_equal(match("su:bob", "pkexec", "root", &n), 0);
	assert_int_equal(match("*:bob", "sshd", "toor", &n), 1);
	/* a listed name that cannot be looked up: fail closed */
	assert_int_equal(match("su:broken", "su", "carol", &n), 1);
	/* a listed name that does not exist names nobody */
	assert_int_equal(match("su:ghost,su:bob", "su", "carol", &n), 0);
	assert_int_equal(match("su:ghost,su:bob", "su", "bobby", &n), 1);
	assert_int_equal(match("su:*", "su", "ghost", &n), 1);
	/* each name is looked up once per call */
	assert_int_equal(match("su:bob,su-l:carol,su:bob,su:bobby,su:ghost",
			       "su", "carol", &n), 0);
	assert_int_equal(n, 4); /* carol, bob, bobby, ghost */
	/* a resolver that answers neither 0 nor an error: fail closed */
	assert_int_equal(ad_pam_args_parse(&a, 0, NULL, err, sizeof(err)), 0);
	assert_int_equal(ad_pam_require_match_with(&a, "su", "carol", yes_uid,
						   NULL), 1);
	assert_int_equal(ad_pam_require_match_with(&a, "sshd", "carol", yes_uid,
						   NULL), 0);
	/* the real getpwnam_r: root and a non-root system user */
	assert_int_equal(ad_pam_require_match(&a, "su", "root"), 1);
	assert_int_equal(ad_pam_require_match(&a, "su", "nobody"), 0);
	assert_int_equal(ad_pam_require_match(&a, "su", "no-such-user-x"), 1);
	ad_pam_args_free(&a);
}

static int only_daemon_is_ai(void *arg, const char *user, uid_t uid)
{
	(void)arg;
	(void)uid;
	if (user == NULL)
		return 0;
	if (strcmp(user, "broken") == 0)
		return -4; /* NSS failure */
	return strcmp(user, HUMAN) == 0;
}

static int counting_none_ai(void *arg, const char *user, uid_t uid)
{
	(void)user;
	(void)uid;
	++*(int *)arg;
	return 0;
}

/* A uid with no passwd entry on any test system. */
#define NAMELESS ((uid_t)3999999937u)

/* AI by the kernel uid alone, as a [subjects] uids range makes it; records
 * what the candidates handed over. */
struct seen_uids {
	int n, nameless;
	uid_t uid[4];
};
static int uid_is_ai(void *arg, const char *user, uid_t uid)
{
	struct seen_uids *s = arg;

	if (s->n < 4)
		s->uid[s->n++] = uid;
	s->nameless += user == NULL;
	return uid == NAMELESS || uid == 1;
}

/* The kernel uid reaches the judge; a nameless uid is judged by it and,
 * when AI, refused (no request can name it), never ignored. */
static void test_pamreq_initiator_uids(void **state)
{
	struct ad_pam_items it = {.service = "su", .user = "root",
				  .kind = AD_PAM_KIND_SWITCH, .ruid = NAMELESS,
				  .loginuid = (uid_t)-1};
	struct seen_uids s = {0};
	char *name = NULL;
	uid_t uid;
	int calls = 0;

	(void)state;
	assert_null(getpwuid(NAMELESS));
	assert_true(ad_pamreq_initiator(&name, &uid, &it, uid_is_ai, &s) < 0);
	assert_null(name);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.nameless, 1);
	assert_int_equal(s.uid[0], NAMELESS);
	/* the same nameless caller, judged human: ignored as before */
	assert_int_equal(ad_pamreq_initiator(&name, &uid, &it,
					     counting_none_ai, &calls), 0);
	assert_int_equal(calls, 1);
	/* a named real uid: its name and its kernel uid */
	memset(&s, 0, sizeof(s));
	it.ruid = 1;
	assert_int_equal(ad_pamreq_initiator(&name, &uid, &it, uid_is_ai, &s),
			 1);
	assert_string_equal(name, HUMAN);
	assert_int_equal(uid, 1);
	assert_int_equal(s.uid[0], 1);
	assert_int_equal(s.nameless, 0);
	free(name);
	/* a candidate given by name (login: PAM_USER) has no kernel uid */
	memset(&s, 0, sizeof(s));
	it.kind = AD_PAM_KIND_LOGIN;
	it.user = HUMAN;
	assert_int_equal(ad_pamreq_initiator(&name, &uid, &it, uid_is_ai, &s),
			 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.uid[0], (uid_t)-1);
}

static void test_pamreq_initiator(void **state)
{
	struct ad_pam_items it = {.service = "su", .user = "root",
				  .kind = AD_PAM_KIND_SWITCH, .ruid = 0,
				  .loginuid = (uid_t)-1};
	char *name = NULL;
	uid_t uid;

	(void)state;
	/* real uid root, no RUSER, no login uid: nobody to gate */
	assert_int_equal(ad_pamreq_initiator(&name, &uid, &it, only_daemon_is_ai,
					     NULL), 0);
	it.ruser = HUMAN; /* PAM_RUSER names the AI subject */
	assert_int_equal(ad_pamreq_initiator(&name, &uid, &it, only_daemon_is_ai,
					     NULL), 1);
	assert_string_equal(name, HUMAN);
	assert_int_equal(uid, 1);
	free(name);
	it.ruser = NULL;
	it.loginuid = 1; /* the session's login uid is the AI subject's */
	assert_int_equal(ad_pamreq_initiator(&name, &uid, &it, only_daemon_is_ai,
					     NULL), 1);
	free(name);
	it.ruser = "broken"; /* lookup failure: an error, never "human" */
	it.loginuid = (uid_t)-1;
	assert_true(ad_pamreq_initiator(&name, &uid, &it, only_daemon_is_ai,
					NULL) < 0);
	assert_null(name);
	it.ruser = NULL;
	it.user = ""; /* empty target */
	assert_true(ad_pamreq_initiator(&name, &uid, &it, only_daemon_is_ai,
					NULL) < 0);
	it.user = NULL;
	assert_true(ad_pamreq_initiator(&name, &uid, &it, only_daemon_is_ai,
					NULL) < 0);
	/* su in a login session of the same user: the real uid and the
	 * login uid are one user, judged once */
	{
		struct ad_pam_items su = {.service = "su", .user = "root",
					  .kind = AD_PAM_KIND_SWITCH, .ruid = 0,
					  .loginuid = 0};
		int calls = 0;

		assert_int_equal(ad_pamreq_initiator(&name, &uid, &su,
						     counting_none_ai, &calls), 0);
		assert_int_equal(calls, 1);
		su.loginuid = 1; /* another login uid: judged too */
		calls = 0;
		assert_int_equal(ad_pamreq_initiator(&name, &uid, &su,
						     counting_none_ai, &calls), 0);
		assert_int_equal(calls, 2);
	}
	it.user = HUMAN; /* login service: the initiator is PAM_USER */
	it.kind = AD_PAM_KIND_LOGIN;
	it.ruser = "root";
	assert_int_equal(ad_pamreq_initiator(&name, &uid, &it, only_daemon_is_ai,
					     NULL), 1);
	free(name);
}

static void test_pamreq_build(void **state)
{
	static const char cmd[] = "su\0-c\0id -u\0root\0";
	struct ad_pam_items it = {.service = "su", .user = "root",
				  .kind = AD_PAM_KIND_SWITCH, .ruid = 1,
				  .loginuid = 65534, .tty = "pts/3",
				  .rhost = "", .cwd = "/tmp", .cmdline = cmd,
				  .cmdline_len = sizeof(cmd) - 1,
				  .reason = "fix\x1b[31m it", .ticket = "CHG-1"};
	struct ad_request r;
	char err[256];

	(void)state;
	assert_int_equal(ad_pamreq_build(&r, &it, HUMAN, 1, err, sizeof(err)), 0);
	assert_string_equal(r.requester, HUMAN);
	assert_int_equal(r.uid, 1);
	assert_string_equal(r.service, "su");
	assert_string_equal(r.runas_user, "root");
	assert_int_equal(r.runas_uid, 0);
	assert_int_equal(r.argv.n, 3);
	assert_string_equal(r.command, r.argv.v[0]);
	assert_string_equal(r.argv.v[1], "-c");
	assert_string_equal(r.argv.v[2], "id -u");
	assert_string_equal(r.sponsor, "nobody");
	assert_string_equal(r.tty, "pts/3");
	assert_string_equal(r.ticket, "CHG-1");
	assert_null(strchr(r.reason, '\x1b')); /* sanitized */
	ad_request_free(&r);
	it.cmdline_len = 0; /* a session: no command */
	it.loginuid = 1;    /* sponsor = requester: none */
	assert_int_equal(ad_pamreq_build(&r, &it, HUMAN, 1, err, sizeof(err)), 0);
	assert_string_equal(r.command, "");
	assert_int_equal(r.argv.n, 0);
	assert_string_equal(r.sponsor, "");
	ad_request_free(&r);
	it.user = "no-such-user-approverd";
	assert_int_not_equal(ad_pamreq_build(&r, &it, HUMAN, 1, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "no-such-user-approverd"));
}

/* Out of memory in request building: the N-th allocation fails. */
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

static int nomem_build(long fail_at)
{
	static const char cmd[] = "su\0-c\0id\0root\0";
	struct ad_pam_items it = {.service = "su", .user = "root",
				  .kind = AD_PAM_KIND_SWITCH, .ruid = 1,
				  .loginuid = 65534, .cmdline = cmd,
				  .cmdline_len = sizeof(cmd) - 1, .reason = "r"};
	struct ad_request r;
	char err[256];
	int rc;

	alloc_count = 0;
	alloc_fail_at = fail_at == 0 ? LONG_MAX : fail_at;
	rc = ad_pamreq_build(&r, &it, HUMAN, 1, err, sizeof(err));
	alloc_fail_at = 0;
	if (rc == 0 && (r.command == NULL || r.argv.n != 3 || r.sponsor == NULL))
		rc = 1;
	if (rc <= 0)
		ad_request_free(&r);
	return rc;
}

static void test_pamreq_nomem(void **state)
{
	long total, failed = 0;

	(void)state;
	assert_int_equal(nomem_build(0), 0);
	total = alloc_count;
	assert_true(total > 5);
	for (long k = 1; k <= total; k++) {
		int rc = nomem_build(k);
		if (rc > 0)
			fail_msg("allocation %ld failing: incomplete request", k);
		failed += rc < 0;
	}
	assert_true(failed > 0);
}
#endif

static int find_bindir(void)
{
	ssize_t n = readlink("/proc/self/exe", bindir, sizeof(bindir) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	bindir[n] = '\0';
	if ((slash = strrchr(bindir, '/')) == NULL)
		return -1;
	*slash = '\0';
	return 0;
}

static int setup(void **state)
{
	char so[PATH_MAX + 32], evil[PATH_MAX + 32];

	(void)state;
	snprintf(so, sizeof(so), "%s/../pam_approverd.so", bindir);
	snprintf(evil, sizeof(evil), "%s/helpers/evil_server", bindir);
	if (access(so, R_OK) != 0 || access(evil, X_OK) != 0) {
		fprintf(stderr, "test_pam_wrapper: build %s and %s first\n", so,
			evil);
		return -1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/evil.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/evil.log", dir);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	evil_stop();
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pamreq_su_command),
		cmocka_unit_test(test_pamreq_other_programs),
		cmocka_unit_test(test_pamreq_loginuid),
		cmocka_unit_test(test_pamreq_args),
		cmocka_unit_test(test_pamreq_require_uid),
		cmocka_unit_test(test_pamreq_initiator),
		cmocka_unit_test(test_pamreq_initiator_uids),
		cmocka_unit_test(test_pamreq_build),
#if NOMEM_INJECTION
		cmocka_unit_test(test_pamreq_nomem),
#endif
		cmocka_unit_test(test_only_pam_sm_exported),
		cmocka_unit_test(test_ai_daemon_down),
		cmocka_unit_test(test_ai_timeout),
		cmocka_unit_test(test_ai_no_answer),
		cmocka_unit_test(test_ai_malformed_reply),
		cmocka_unit_test(test_ai_denied),
		cmocka_unit_test(test_ai_approved_control),
		cmocka_unit_test(test_ai_pending_messages),
		cmocka_unit_test(test_human_passes),
		cmocka_unit_test(test_not_required),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_bad_module_argument),
		cmocka_unit_test(test_conversation_trouble),
		cmocka_unit_test(test_null_or_empty_user),
		cmocka_unit_test(test_signal_during_wait),
		cmocka_unit_test(test_other_entry_points),
		cmocka_unit_test(test_hostile_environment),
	};
	const char *d = getenv("TEST_PAMW_DIR");

	(void)argc;
	if (find_bindir() != 0)
		return 1;
	if (d == NULL || getenv("PAM_WRAPPER") == NULL)
		return reexec_under_pam_wrapper(argv);
	snprintf(dir, sizeof(dir), "%s", d);
	return cmocka_run_group_tests(tests, setup, teardown);
}
