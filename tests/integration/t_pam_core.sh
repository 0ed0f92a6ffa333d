#!/bin/sh
# t_pam_core.sh — pam_approverd.so is a front (libc, libpam) that loads
# pam_approverd_core.so from its own directory only once it has found an
# AI initiator: exports and libraries of both; a human passes with the
# core missing or untrusted; an AI subject is refused with a clear message
# (missing, world-/group-writable, not root-owned, symlink, untrusted
# directory, not a core); a module path with ".." still finds its core.
# The front reads its config with common/nano_conf.c: a file it does not
# read whole (an inline comment) is read by the core's config.c instead,
# and with no core nobody passes, root included (the file may name root).
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"

SO=$APPROVERD_BUILD/pam_approverd.so
CORE_SRC=$APPROVERD_BUILD/pam_approverd_core.so
PT=/usr/bin/pamtester
ns_must "front built" test -f "$SO"
ns_must "core built" test -f "$CORE_SRC"
ns_must "pamtester installed" test -x "$PT"

# 1. exports and libraries
tap_exports "$SO" "pam_sm_acct_mgmt pam_sm_authenticate pam_sm_chauthtok pam_sm_close_session pam_sm_open_session pam_sm_setcred " \
	"front exports only the pam_sm_* entry points"
tap_exports "$CORE_SRC" "approverd_pam_core " "core exports only approverd_pam_core"
tap_needed "$SO" "libc.so.6 libpam.so.0 " "front needs only libc, libpam (no libinih)"
tap_like "$(readelf -d "$CORE_SRC")" "libsodium" "core links libsodium"

ns_must users ns_users
ns_must devlog ns_devlog
L=$T/lib
mkdir -p "$L/sub" && chmod 0755 "$L" "$L/sub"
cp "$SO" "$L/pam_approverd.so" && chmod 0644 "$L/pam_approverd.so"
CORE_SO=$L/pam_approverd_core.so
ns_must "client config" ns_client_conf 0 "$T/run/none.sock"
mkdir -p "$T/pam.d" && cp -a /etc/pam.d/. "$T/pam.d/"
ns_file "$T/pam.d/ad-core" 0644 "account required $L/pam_approverd.so config=$T/approverd.conf mode=login require=ad-core:*
account required pam_permit.so"
ns_file "$T/pam.d/ad-dotdot" 0644 "account required $L/sub/../pam_approverd.so config=$T/approverd.conf mode=login require=ad-dotdot:*
account required pam_permit.so"
ns_must "bind /etc/pam.d" ns_bind "$T/pam.d" /etc/pam.d

human_ok() { # desc
	out=$("$PT" ad-core alice acct_mgmt 2>&1); rc=$?
	tap_is "$rc" 0 "$1: human alice passes the account phase"
}
ai_refused() { # desc ERE
	out=$("$PT" ad-core ai-deploy acct_mgmt 2>&1); rc=$?
	tap_isnt "$rc" 0 "$1: ai-deploy is refused"
	tap_like "$out" "$2" "$1: the message says why"
}

# 2. core in place: the AI subject reaches the core (no daemon listens)
core_install 0644
human_ok "core present"
ai_refused "core present" "cannot reach the approval daemon"
out=$("$PT" ad-dotdot ai-deploy acct_mgmt 2>&1)
tap_like "$out" "cannot reach the approval daemon" \
	"module named dir/../pam_approverd.so still loads its core"

# 3.-6. core missing, world-/group-writable, not root-owned, a symlink, in
# a world-writable directory, not a core
core_refusals alice "ad-core as ai-deploy: cannot load the approval core" approverd_pam_core

# 7. a config the front does not read whole: the core's config.c reads it
ns_client_conf 0 "$T/run/none.sock"
sed -i 's/^users = ai-deploy$/users = ai-deploy # the agent/' "$T/approverd.conf"
ns_must "inline comment written" grep -q '# the agent' "$T/approverd.conf"
core_install 0644
human_ok "inline comment, core present (config.c reads it)"
ai_refused "inline comment, core present" "cannot reach the approval daemon"
rm -f "$CORE_SO"
out=$("$PT" ad-core alice acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "inline comment, no core: alice is refused (nobody can tell)"
tap_like "$out" "not read whole by the module.*cannot be loaded" "…the message says why"
out=$("$PT" ad-core root acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "inline comment, no core: root is refused too (the file may name root)"
# a config that cannot be read at all: root still passes (DESIGN 4.2)
chmod 0666 "$T/approverd.conf"
out=$("$PT" ad-core root acct_mgmt 2>&1); rc=$?
tap_is "$rc" 0 "untrusted config, no core: root passes (DESIGN 4.2)"
out=$("$PT" ad-core alice acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "untrusted config, no core: alice is refused"
tap_like "$out" "world-writable|group-writable" "…naming why the file is refused"
chmod 0644 "$T/approverd.conf"
tap_done
