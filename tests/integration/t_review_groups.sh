#!/bin/sh
# Review (docs/REVIEW.md, finding R7): [subjects] groups = ai-agents is
# checked against the group DATABASE (NSS membership of the user name), not
# against the groups the invoking process actually holds, which sudo passes
# to the plugin in user_info "groups=". A service manager commonly grants an
# agent its group at run time (systemd SupplementaryGroups=ai-agents,
# setpriv/capsh wrappers, newgrp): such an agent is treated as a human and
# its sudo is neither held nor recorded. Asserted: a process holding the
# ai-agents group (gid 2000) is an AI subject. Real setuid sudo with the
# plugin, no daemon (an AI subject is refused fail-closed, a human runs). TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"

SO=$APPROVERD_BUILD/sudo_approverd.so
ns_must "plugin built" test -f "$SO"
ns_must users ns_users
ns_must devlog ns_devlog
ns_must sudo ns_sudo "dave ALL=(ALL) NOPASSWD: ALL
ai-ops ALL=(ALL) NOPASSWD: ALL"
ns_must "client config" ns_client_conf 0 "$T/run/no-daemon.sock"
chmod 0777 "$T/home/dave" "$T/home/ai-ops"

run_as() { # user groups(list or "") cmd...: like as_user, with explicit groups
	_u=$1 _g=$2; shift 2
	(
		cd "$T/home/$_u" || exit 1
		id -u "$_u" >/proc/self/loginuid 2>/dev/null
		if [ -n "$_g" ]; then set -- --groups="$_g" "$@"; else set -- --init-groups "$@"; fi
		exec setpriv --reuid="$_u" --regid="$(id -g "$_u")" "$@"
	) </dev/null
}
cmd='env -i PATH=/usr/bin:/bin HOME=/tmp sudo -n id -u'

# controls: ai-ops (NSS member of ai-agents) is refused; dave (human) runs
out=$(run_as ai-ops "" sh -c "$cmd" 2>&1); rc=$?
tap_isnt "$rc" 0 "control: ai-ops (member of ai-agents in /etc/group) is refused with the daemon down"
out=$(run_as dave "" sh -c "$cmd" 2>&1); rc=$?
tap_is "$rc/$out" "0/0" "control: human dave runs sudo"

# R7: dave's process holds gid 2000 (ai-agents) given at run time
tap_is "$(run_as dave 2201,2000 id -G | tr ' ' '\n' | grep -cx 2000)" 1 \
	"setup: the process really holds group 2000"
out=$(run_as dave 2201,2000 sh -c "$cmd" 2>&1); rc=$?
tap_isnt "$rc" 0 "R7: a process holding ai-agents (gid 2000) is an AI subject: sudo refused with the daemon down"
tap_unlike "$out" '^0$' "R7: ...its command did not run as root"
tap_done
