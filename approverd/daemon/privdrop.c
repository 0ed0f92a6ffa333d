/*
 * privdrop.c — become the unprivileged daemon user after start-up.
 *
 * Invariants: groups, gid and uid are all replaced (setgroups, setresgid,
 * setresuid, in that order) and the drop is verified: if uid 0 can be
 * regained the daemon refuses to run. `user = root` keeps root (tests and
 * hosts that want it; approverd(8) says so).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "error.h"

int d_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	uid_t ru, eu, su;

	if (geteuid() != 0)
		return 0; /* started unprivileged: nothing to drop */
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user '%s' (config [daemon] user) does not "
			 "exist", user);
		return AD_ERR_CONFIG;
	}
	if (pw->pw_uid == 0)
		return 0;
	if (setgroups(1, &pw->pw_gid) != 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0) {
		snprintf(err, errlen, "dropping to user '%s': %s", user,
			 strerror(errno));
		return AD_ERR_PERM;
	}
	if (setuid(0) == 0 || getresuid(&ru, &eu, &su) != 0 ||
	    ru != pw->pw_uid || eu != pw->pw_uid || su != pw->pw_uid) {
		snprintf(err, errlen, "dropping to user '%s': root could be "
			 "regained", user);
		return AD_ERR_PERM;
	}
	return 0;
}
