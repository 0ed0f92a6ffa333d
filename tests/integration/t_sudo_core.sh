#!/bin/sh
# t_sudo_core.sh — sudo_approverd.so is a front (human fast path, libc +
# nano_conf.c) that loads sudo_approverd_core.so from its own directory only
# for callers it cannot show to be human: exported symbols and libraries of
# both; a human never needs the core; an AI subject is refused with a clear
# message when the core is missing, world-writable, group-writable, not
# root-owned, a symbolic link, in an untrusted directory or not a core.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"

SO=$APPROVERD_BUILD/sudo_approverd.so
CORE_SRC=$APPROVERD_BUILD/sudo_approverd_core.so
ns_must "front built" test -f "$SO"
ns_must "core built" test -f "$CORE_SRC"

# 1. exports and libraries
tap_exports "$SO" "approverd_approval approverd_audit " \
	"front exports only the two plugin structs"
tap_exports "$CORE_SRC" "approverd_sudo_core " "core exports only approverd_sudo_core"
tap_needed "$SO" "libc.so.6 " "front needs only libc"
tap_like "$(readelf -d "$CORE_SRC")" "libsodium" "core links libsodium"

ns_must users ns_users
ns_must devlog ns_devlog
ns_must "plugin directory" ns_front_dir "$SO" sudo_approverd.so sudo_approverd_core.so
ns_must "client config" ns_client_conf 0 "$T/run/none.sock"
ns_must sudo ns_sudo "dave ALL=(ALL) NOPASSWD: ALL
ai-deploy ALL=(ALL) NOPASSWD: ALL" "Plugin sudoers_policy sudoers.so
Plugin sudoers_io sudoers.so
Plugin sudoers_audit sudoers.so
Plugin approverd_approval $L/sudo_approverd.so config=$T/approverd.conf
Plugin approverd_audit $L/sudo_approverd.so
Set disable_coredump true"

human_ok() { # desc
	out=$(as_user dave sudo -n id -u 2>&1); rc=$?
	tap_is "$rc/$out" "0/0" "$1: human dave still runs sudo"
}
ai_refused() { # desc ERE
	out=$(as_user ai-deploy sudo -n /bin/true 2>&1); rc=$?
	tap_isnt "$rc" 0 "$1: ai-deploy is refused"
	tap_like "$out" "$2" "$1: the message says why"
}

# 2. core in place: the AI subject reaches the core (which finds no daemon)
core_install 0644
human_ok "core present"
ai_refused "core present" "cannot reach the approval daemon"

# 3.-6. core missing, world-/group-writable, not root-owned, a symlink, in
# a world-writable directory, not a core
core_refusals dave "user=ai-deploy: cannot load the approval core" approverd_sudo_core

# 7. broken config: the front cannot tell, the core decides as before
core_install 0644
printf '[subjects\n' >"$T/approverd.conf"
out=$(as_user dave sudo -n /bin/true 2>&1); rc=$?
tap_isnt "$rc" 0 "broken config: human refused (core: cannot tell)"
tap_like "$out" "cannot tell AI accounts from humans" "broken config: message"
out=$(sudo -n id -u 2>&1); rc=$?
tap_is "$rc/$out" "0/0" "broken config: root still runs sudo"
rm -f "$CORE_SO"
out=$(as_user dave sudo -n /bin/true 2>&1); rc=$?
tap_isnt "$rc" 0 "broken config and no core: human refused"
tap_like "$out" "cannot load the approval core" "broken config and no core: message"
# read but not read whole by the front: it may be valid and name root,
# and only the core could tell; root is refused like everyone
out=$(sudo -n id -u 2>&1); rc=$?
tap_isnt "$rc" 0 "config not read whole and no core: root is refused too"
tap_like "$out" "cannot load the approval core" "…with the reason"
# a config that cannot be read at all: root still runs (DESIGN 4.2)
printf '[subjects]\nusers = ai-deploy\n' >"$T/approverd.conf"
chmod 0666 "$T/approverd.conf"
out=$(sudo -n id -u 2>&1); rc=$?
tap_is "$rc" 0 "untrusted config and no core: root still runs sudo (DESIGN 4.2)"
tap_like "$out" "unusable and the approval core cannot be loaded" "…with a loud message naming the cause"
chmod 0644 "$T/approverd.conf"
tap_done
