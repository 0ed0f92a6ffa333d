#!/bin/sh
# t_sudo_front_conf.sh — sudo_approverd.so (the front) reads approverd.conf
# with its own reader (common/nano_conf.c), not libinih. Real setuid sudo,
# no daemon. The core is removed where the test must show who decided: a
# caller the front decides for runs or is refused without it, a caller the
# front sends on is refused with "cannot load the approval core".
#  1. [subjects] uids alone: dave (2201, outside 2001-2099) runs without the
#     core; ai-deploy (2001) and ai-ops (2002) are sent to the core (refused
#     without it, held fail-closed with it: no daemon).
#  2. users/groups: the front decides for dave alone, sends ai-deploy on;
#     so it does with the shipped packaging/approverd.conf.example.
#  3. text config.c accepts but the front does not read whole (an inline
#     comment, a byte-order mark, a tab before '='): dave is sent to the
#     core, which lets him run; without the core he is refused (the front
#     never guesses "human").
#  4. text config.c refuses: as 3 without the core; with it, the core's
#     message (cannot tell AI accounts from humans) and root still runs.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"

SO=$APPROVERD_BUILD/sudo_approverd.so
CORE_SRC=$APPROVERD_BUILD/sudo_approverd_core.so
ns_must "front built" test -f "$SO"
tap_needed "$SO" "libc.so.6 " "the sudo front needs only libc (no libinih)"
tap_unlike "$(nm -D --undefined-only "$SO")" "ini_parse" "the front imports no inih function"

ns_must users ns_users
ns_must devlog ns_devlog
ns_must "plugin directory" ns_front_dir "$SO" sudo_approverd.so sudo_approverd_core.so
ns_must sudo ns_sudo "dave ALL=(ALL) NOPASSWD: ALL
ai-deploy ALL=(ALL) NOPASSWD: ALL
ai-ops ALL=(ALL) NOPASSWD: ALL" "Plugin sudoers_policy sudoers.so
Plugin sudoers_io sudoers.so
Plugin sudoers_audit sudoers.so
Plugin approverd_approval $L/sudo_approverd.so config=$T/approverd.conf
Plugin approverd_audit $L/sudo_approverd.so
Set disable_coredump true"

CLIENT="[client]
socket = $T/run/no-daemon.sock
wait = 0"
conf() { printf '%s\n%s\n' "$1" "$CLIENT" >"$T/approverd.conf" && chmod 0644 "$T/approverd.conf"; }
runs() { # user desc
	out=$(as_user "$1" sudo -n id -u 2>&1); rc=$?
	tap_is "$rc/$out" "0/0" "$2"
}
refused() { # user ERE desc
	out=$(as_user "$1" sudo -n /bin/true 2>&1); rc=$?
	tap_isnt "$rc" 0 "$3"
	tap_like "$out" "$2" "$3: the message says why"
}
NOCORE="cannot load the approval core"
NODAEMON="cannot reach the approval daemon"

# 1. uid ranges alone
conf "[subjects]
uids = 2001-2099"
rm -f "$CORE_SO"
runs dave "uids only, no core: the front lets dave (2201) run by his uid alone"
refused ai-deploy "$NOCORE" "uids only, no core: ai-deploy (2001) is sent to the core"
refused ai-ops "$NOCORE" "uids only, no core: ai-ops (2002) is sent to the core"
core_install 0644
refused ai-deploy "$NODAEMON" "uids only, core: ai-deploy in the range is held (no daemon: refused)"
runs dave "uids only, core present: dave still runs"
conf "[subjects]
uids = 2001"
refused ai-deploy "$NODAEMON" "a single uid: ai-deploy is held"
runs ai-ops "a single uid: ai-ops (2002, not listed, no group listed) runs"

# 2. users and groups, read by the front
conf "# approverd.conf
[subjects]
users = ai-deploy
groups = ai-agents"
rm -f "$CORE_SO"
runs dave "users/groups, no core: the front lets dave run"
refused ai-deploy "$NOCORE" "users/groups, no core: ai-deploy is sent to the core"
refused ai-ops "$NOCORE" "users/groups, no core: ai-ops (group ai-agents) is sent to the core"

# the shipped example config (UTF-8 in its comments) is read by the front
cp "$APPROVERD_TOP/packaging/approverd.conf.example" "$T/approverd.conf" &&
	chmod 0644 "$T/approverd.conf"
rm -f "$CORE_SO"
runs dave "packaging/approverd.conf.example, no core: the front reads it and lets dave run"

# 3. valid, but not read whole by the front: the core decides
for form in "users = ai-deploy # the agent" "users = ai-deploy ; the agent" \
	"users	= ai-deploy"; do
	conf "[subjects]
$form"
	rm -f "$CORE_SO"
	refused dave "$NOCORE" "'$form', no core: the front does not guess, dave is sent on"
	core_install 0644
	runs dave "'$form', core: the core lets dave run"
	refused ai-deploy "$NODAEMON" "'$form', core: ai-deploy is held"
done
printf '\357\273\277[subjects]\nusers = ai-deploy\n%s\n' "$CLIENT" >"$T/approverd.conf"
rm -f "$CORE_SO"
refused dave "$NOCORE" "byte-order mark, no core: dave is sent on"
core_install 0644
runs dave "byte-order mark, core: the core lets dave run"

# 4. refused by config.c too
conf "[subjects]
users = ai-deploy
uids = 0"
core_install 0644
refused dave "cannot tell AI accounts from humans" "uids = 0: dave is refused by the core"
out=$(sudo -n id -u 2>&1); rc=$?
tap_is "$rc/$out" "0/0" "uids = 0: root still runs (DESIGN 4.2)"
rm -f "$CORE_SO"
refused dave "$NOCORE" "uids = 0, no core: dave is refused"
tap_done
