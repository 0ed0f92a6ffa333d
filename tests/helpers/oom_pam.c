/*
 * oom_pam — one PAM operation for tests/shim/allocfail.so: pam_start()
 * unarmed, then the allocation counter armed around pam_authenticate() or
 * pam_acct_mgmt() only (Linux-PAM's own start-up allocations are not the
 * module's; the module's are all inside the operation). The user is
 * looked up once before pam_start(), as su/sshd/login do.
 *
 *   oom_pam SERVICE USER auth|account
 *
 * Run it with LD_PRELOAD="libpam_wrapper.so .../allocfail.so",
 * PAM_WRAPPER=1 and PAM_WRAPPER_SERVICE_DIR (pam_wrapper(1)). Prints
 *
 *   rc=N name=PAM_NAME allocs=N hit=0|1
 *
 * and exits 0; a failing pam_start() exits 2.
 */
#include <dlfcn.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

typedef void (*arm_fn)(void);
typedef unsigned long (*state_fn)(int *);

/* Prints what the module says; answers nothing (no password prompt). */
static int conv(int n, const struct pam_message **msg,
		struct pam_response **resp, void *data)
{
	(void)data;
	for (int i = 0; i < n; i++)
		fprintf(stderr, "pam: %s\n", msg[i]->msg ? msg[i]->msg : "");
	*resp = NULL;
	return PAM_CONV_ERR;
}

static const char *rc_name(int rc)
{
	switch (rc) {
	case PAM_SUCCESS: return "PAM_SUCCESS";
	case PAM_IGNORE: return "PAM_IGNORE";
	case PAM_AUTH_ERR: return "PAM_AUTH_ERR";
	case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
	case PAM_BUF_ERR: return "PAM_BUF_ERR";
	case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
	case PAM_SERVICE_ERR: return "PAM_SERVICE_ERR";
	case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
	case PAM_ABORT: return "PAM_ABORT";
	case PAM_CONV_ERR: return "PAM_CONV_ERR";
	case PAM_ACCT_EXPIRED: return "PAM_ACCT_EXPIRED";
	case PAM_AUTHINFO_UNAVAIL: return "PAM_AUTHINFO_UNAVAIL";
	default: return "other";
	}
}

int main(int argc, char **argv)
{
	struct pam_conv c = {conv, NULL};
	pam_handle_t *h = NULL;
	arm_fn arm, disarm;
	state_fn state;
	unsigned long n;
	int rc, hit = 0, acct;

	if (argc != 4 || (strcmp(argv[3], "auth") != 0 &&
			  strcmp(argv[3], "account") != 0)) {
		fprintf(stderr, "usage: oom_pam SERVICE USER auth|account\n");
		return 2;
	}
	acct = strcmp(argv[3], "account") == 0;
	/* su, sshd, login have looked the user up before pam_start: so NSS
	 * is initialised before the arm point, as in every real host (glibc
	 * 2.36 crashes when its first NSS lookup cannot allocate its state,
	 * see docs/SECURITY-TESTING.md). */
	(void)getpwnam(argv[2]);
	if ((rc = pam_start(argv[1], argv[2], &c, &h)) != PAM_SUCCESS) {
		fprintf(stderr, "oom_pam: pam_start: %d\n", rc);
		return 2;
	}
	arm = (arm_fn)dlsym(RTLD_DEFAULT, "allocfail_arm");
	disarm = (arm_fn)dlsym(RTLD_DEFAULT, "allocfail_disarm");
	state = (state_fn)dlsym(RTLD_DEFAULT, "allocfail_state");
	if (arm && disarm && state)
		arm();
	rc = acct ? pam_acct_mgmt(h, 0) : pam_authenticate(h, 0);
	if (arm && disarm && state)
		disarm();
	n = state ? state(&hit) : 0;
	pam_end(h, rc);
	printf("rc=%d name=%s allocs=%lu hit=%d\n", rc, rc_name(rc), n, hit);
	return 0;
}
