/*
 * null_pam.c — two floors for bench/s_pam.sh, one PAM module:
 *   - no argument (stack "bench-null"): the floor of any PAM module.
 *     Every function returns PAM_IGNORE and does nothing else: what a
 *     PAM stack pays to load and call one more module at all.
 *   - argument "nss" (stack "bench-nssfloor"): the floor of a module that
 *     judges the login user by uid (one passwd look-up). pam_sm_acct_mgmt
 *     and pam_sm_authenticate also take the user (pam_get_user) and do one
 *     getpwnam_r() of it into a stack buffer, as pam_approverd.so does
 *     (pam_module/judge.c), then return PAM_IGNORE whatever it found.
 * No library but libpam and libc, no config, no log.
 * Built by bench/run.sh as $O/bench/null_pam.so; never installed.
 */
#include <pwd.h>
#include <string.h>

#include <security/pam_modules.h>

/* With the argument "nss": one getpwnam_r() of the PAM user. */
static int null_judge(pam_handle_t *pamh, int argc, const char **argv)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	const char *user = NULL;
	int nss = 0;

	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "nss") == 0)
			nss = 1;
	if (!nss)
		return PAM_IGNORE;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    user[0] == '\0')
		return PAM_IGNORE;
	(void)getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc,
				const char **argv)
{
	(void)flags;
	return null_judge(pamh, argc, argv);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	(void)flags;
	return null_judge(pamh, argc, argv);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
			      const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_IGNORE;
}
