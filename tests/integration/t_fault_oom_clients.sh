#!/bin/sh
# Allocation failures in the clients (issue 9): the sudo plugin and the PAM
# module, each asked for an AI subject's operation that a real approverd
# holds as pending, with the Nth heap allocation failing, for every N = 1,
# 2, ... until a run completes without reaching N. Every run must end in a
# refusal (sudo: open() 1 or -1, never 0, which would unload the plugin;
# check() 0 or -1, never 1. PAM: never PAM_SUCCESS nor PAM_IGNORE) and must
# not crash. Two passes each: only the Nth allocation fails ("single"), and
# the Nth and all later ones fail ("sticky").
#
# The real sudo is setuid and ignores LD_PRELOAD, so tests/helpers/oom_sudo
# stands in for it: it dlopen()s sudo_approverd.so and calls the exported
# approverd_approval's open/check/close as sudo does. PAM runs the real
# Linux-PAM through cwrap's pam_wrapper (tests/helpers/oom_pam). The failing
# allocation comes from tests/shim/allocfail.so. Prints TAP.
#
# OOM_MAX caps N (default 20000; a run that still reaches it fails).
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

SHIM=$APPROVERD_BUILD/tests/shim/allocfail.so
OOM_SUDO=$APPROVERD_BUILD/tests/helpers/oom_sudo
OOM_PAM=$APPROVERD_BUILD/tests/helpers/oom_pam
PAMW=$(for d in /usr/lib/*-linux-gnu /usr/lib64 /usr/lib; do
	[ -f "$d/libpam_wrapper.so" ] && echo "$d/libpam_wrapper.so" && break; done)
OOM_MAX=${OOM_MAX:-20000}
ns_must "shim built ($SHIM; make all)" test -f "$SHIM"
ns_must "oom_sudo built" test -x "$OOM_SUDO"
ns_must "oom_pam built" test -x "$OOM_PAM"
ns_must "pam_wrapper installed (libpam-wrapper)" test -n "$PAMW"
ns_must "users" ns_users
ns_must "/dev/log" ns_devlog
ns_must "config" dl_setup "[role sre]
members = alice

[rule allow-true]
command = /usr/bin/true allowed
action = allow

[default]
require = 1 sre"
ns_must "daemon starts" dl_start
ns_must "client config" ns_client_conf 0 "$DL_SOCK"
AI_UID=$(id -u ai-deploy)
AI_GID=$(id -g ai-deploy)

mkdir -p "$T/pamw"
MOD="$APPROVERD_BUILD/pam_approverd.so config=$T/approverd.conf mode=login require=*:*"
ns_must "PAM service file" ns_file "$T/pamw/oomtest" 0644 "auth required $MOD
auth required pam_permit.so
account required $MOD
account required pam_permit.so"

run_sudo() { # N sticky
	env LD_PRELOAD="$SHIM" ALLOCFAIL_N="$1" ALLOCFAIL_STICKY="$2" \
		"$OOM_SUDO" "$APPROVERD_BUILD/sudo_approverd.so" \
		"$T/approverd.conf" ai-deploy "$AI_UID" "$AI_GID" -- \
		/usr/bin/true oom 2>>"$T/sudo.err"
}
run_sudoallow() { # N sticky: a command the policy allows outright
	env LD_PRELOAD="$SHIM" ALLOCFAIL_N="$1" ALLOCFAIL_STICKY="$2" \
		"$OOM_SUDO" "$APPROVERD_BUILD/sudo_approverd.so" \
		"$T/approverd.conf" ai-deploy "$AI_UID" "$AI_GID" -- \
		/usr/bin/true allowed 2>>"$T/sudo.err"
}
run_pam() { # N sticky phase
	env LD_PRELOAD="$PAMW $SHIM" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pamw" PAM_WRAPPER_DISABLE_DEEPBIND=1 \
		ALLOCFAIL_N="$1" ALLOCFAIL_STICKY="$2" \
		"$OOM_PAM" oomtest ai-deploy "$3" 2>>"$T/pam.err"
}

# A line of the harness is a refusal? (sudo: open=1|-1 and check=0|-1|-)
sudo_refused() {
	case $1 in
	"open=1 check=0 "* | "open=1 check=-1 "* | "open=-1 check=- "*) return 0 ;;
	esac
	return 1
}
# allowed is fine here when the consume was recorded (counted below)
sudoallow_refused() {
	case $1 in
	"open=1 check=1 "*) SW_ALLOWED=$((SW_ALLOWED + 1)); return 0 ;;
	esac
	sudo_refused "$1"
}
pam_refused() {
	case $1 in
	*name=PAM_SUCCESS* | *name=PAM_IGNORE* | "") return 1 ;;
	esac
	return 0
}

# sweep KIND STICKY [PHASE]: N = 1.. until hit=0. Sets SW_HITS (failing
# indices run), SW_BAD (allowed), SW_CRASH, SW_LAST (the final line),
# SW_ALLOWED (allowed runs, for sudoallow).
sweep() {
	SW_HITS=0 SW_BAD=0 SW_CRASH=0 SW_LAST='' SW_ALLOWED=0
	_n=1
	while [ "$_n" -le "$OOM_MAX" ]; do
		_line=$(run_"$1" "$_n" "$2" ${3:+"$3"}); _rc=$?
		if [ "$_rc" -ne 0 ]; then
			SW_CRASH=$((SW_CRASH + 1))
			tap_diag "$1 N=$_n sticky=$2 ${3:-}: exit status $_rc ($_line)"
		fi
		case $_rc/$_line in
		0/*hit=1) ;;
		0/*) SW_LAST=$_line; return 0 ;;
		*) _n=$((_n + 1)); continue ;; # a crash: go on with N+1
		esac
		SW_HITS=$((SW_HITS + 1))
		if ! "$1"_refused "$_line"; then
			SW_BAD=$((SW_BAD + 1))
			tap_diag "$1 N=$_n sticky=$2 ${3:-}: NOT refused: $_line"
		fi
		_n=$((_n + 1))
	done
	SW_LAST="reached OOM_MAX=$OOM_MAX"
}

report() { # what
	tap_diag "$1: $SW_HITS failing allocation indices run, $SW_BAD not refused, $SW_CRASH crashed; last run: $SW_LAST"
	tap_ok "$1: failures were injected ($SW_HITS indices)" test "$SW_HITS" -gt 0
	tap_is "$SW_BAD" 0 "$1: every failing index ends in a refusal"
	tap_is "$SW_CRASH" 0 "$1: no crash, no abnormal exit"
	case $SW_LAST in *hit=0) tap_pass "$1: the sweep reached a run with no failure" ;;
	*) tap_fail "$1: the sweep did not finish ($SW_LAST)" ;; esac
}

# ---- baselines: without a failure the request reaches the daemon (pending)
line=$(run_sudo 0 0)
tap_like "$line" '^open=1 check=0 allocs=[1-9][0-9]* hit=0$' "sudo baseline: refused as pending, allocations counted ($line)"
tap_like "$(cat "$T/sudo.err")" 'this operation needs approval: request R-' \
	"sudo baseline: the daemon holds the request"
line=$(run_pam 0 0 account)
tap_like "$line" '^rc=[0-9]+ .*allocs=[1-9][0-9]* hit=0$' "PAM baseline: allocations counted ($line)"
tap_ok "PAM baseline: refused (pending)" pam_refused "$line"
tap_like "$(cat "$T/pam.err")" 'this operation needs approval: request R-' \
	"PAM baseline: the daemon holds the request"
: >"$T/sudo.err"; : >"$T/pam.err"

t0=$(date +%s)
sweep sudo 0;         report "sudo plugin, single failure"
sweep sudo 1;         report "sudo plugin, sticky failure"
sweep pam 0 auth;     report "PAM auth, single failure"
sweep pam 1 auth;     report "PAM auth, sticky failure"
sweep pam 0 account;  report "PAM account, single failure"
sweep pam 1 account;  report "PAM account, sticky failure"

# ---- a command the policy allows: under a failure the plugin may still
# allow it, but only with its own durable consume record (the gate consumes
# before it says yes); so consumes recorded >= runs allowed.
line=$(run_sudoallow 0 0)
tap_like "$line" '^open=1 check=1 allocs=[1-9][0-9]* hit=0$' "allow rule baseline: allowed ($line)"
for sticky in 0 1; do
	c0=$(dl_ev_count '"event":"consume"')
	sweep sudoallow "$sticky"
	report "sudo plugin, allow rule, sticky=$sticky"
	c1=$(dl_ev_count '"event":"consume"')
	tap_diag "allow rule, sticky=$sticky: $SW_ALLOWED runs allowed (+1 clean), $((c1 - c0)) consume records"
	tap_ok "allow rule, sticky=$sticky: every allowed run has its consume record ($SW_ALLOWED allowed, $((c1 - c0)) consumes)" \
		test "$((c1 - c0))" -ge "$((SW_ALLOWED + 1))"
done
tap_diag "sweeps took $(($(date +%s) - t0)) s"
tap_ok "the daemon is still healthy" dl_healthy

# ---- the daemon's frame decoder (finding A2): jansson may drop a byte and
# still succeed when an allocation fails; with the guard that approverd and
# approverctl install, such a parse is refused, never trusted.
out=$(env LD_PRELOAD="$SHIM" "$APPROVERD_BUILD/tests/helpers/oom_frame" 2>&1)
tap_diag "$(printf '%s\n' "$out" | grep '^#')"
tap_like "$out" '^ok [0-9]+ - with the guard no altered parse' \
	"frame decode under every failing allocation: refused or exact, never altered"
tap_like "$out" '^ok [0-9]+ - canonical frame \(built\): the sweep failed some' \
	"...allocations failed while a canonical frame was built from its bytes"
tap_like "$out" '^ok [0-9]+ - spaced frame \(json_loadb\): the sweep failed some' \
	"...and while jansson's lexer parsed a non-canonical one (finding A2's path)"
tap_unlike "$out" '^not ok' "...and the sweep did fail allocations"
tap_diag "without the guard: $(env LD_PRELOAD="$SHIM" "$APPROVERD_BUILD/tests/helpers/oom_frame" --no-guard 2>&1 | grep '^#')"
tap_done
