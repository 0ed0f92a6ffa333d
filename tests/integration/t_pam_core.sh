#!/bin/sh
# t_pam_core.sh — pam_approverd.so is a front (libc, libinih, libpam) that
# loads pam_approverd_core.so from its own directory only once it has found
# an AI initiator: exports and libraries of both; a human passes with the
# core missing or untrusted; an AI subject is refused with a clear message
# (missing, world-/group-writable, not root-owned, symlink, untrusted
# directory, not a core); a module path with ".." still finds its core.
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
tap_needed "$SO" "libc.so.6 libinih.so.1 libpam.so.0 " "front needs only libc, libinih, libpam"
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
tap_done
