# tests/integration/daemon_lib.sh — start/stop a real approverd for a test.
#
# Source after lib.sh and ns_reexec (so $T exists and mounts are private):
#   . "$(dirname "$0")/daemon_lib.sh"
#   dl_setup "$policy_text"        # config, policy, dirs under $T
#   dl_key alice alice              # approver key: $T/keys/alice.key (no
#                                   # passphrase) + approvers.d/alice.pub
#   dl_key_pass bob bob FILE        # the same, encrypted with FILE's line
#   dl_start                        # approverd -f, waits until it answers
#   adc create -- /usr/bin/systemctl restart nginx   # test client as root
#   ctl list                        # approverctl with our config/socket
#   dl_stop                         # SIGTERM, waits for the exit
#
# Files: $DL_CONF (approverd.conf), $DL_POLICY, $DL_APPROVERS, $DL_SOCK,
# $DL_EVIDENCE, $DL_LOG (daemon stderr), $DL_PID. `user = root` keeps the
# daemon from dropping privileges (there is no approverd user in tests);
# DL_USER=NAME before dl_setup/dl_write_conf sets another user. DL_TTL,
# DL_HOST, DL_CKPT set request_ttl, host_id, checkpoint_every;
# DL_CONF_EXTRA (text appended to [daemon]) and DL_ENV (env assignments
# for the daemon, e.g. APPROVERD_TEST_CLOCK_OFFSET=100) adjust a run.

DL_BIN=$APPROVERD_BUILD/approverd
DL_CTL=$APPROVERD_BUILD/approverctl
DL_ADC=$APPROVERD_BUILD/tests/helpers/adtest_client

# Preconditions of a test that drives the real sudo against the daemon.
dl_sudo_ready() {
	ns_must "plugin built" test -f "$APPROVERD_BUILD/sudo_approverd.so"
	ns_must "approverd built" test -x "$DL_BIN"
	ns_must "approverctl built" test -x "$DL_CTL"
	ns_must users ns_users
	ns_must devlog ns_devlog
}

dl_setup() { # [policy text]
	DL_ETC=$T/etc/approverd
	DL_APPROVERS=$DL_ETC/approvers.d
	DL_CONF=$DL_ETC/approverd.conf
	DL_POLICY=$DL_ETC/policy.conf
	DL_SOCK=$T/run/approverd/approverd.sock
	DL_EVIDENCE=${DL_EVIDENCE:-$T/var/evidence.log}
	DL_LOG=$T/daemon.log
	mkdir -p "$DL_APPROVERS" "$T/keys" "$(dirname "$DL_EVIDENCE")" || return 1
	chmod 0755 "$DL_ETC" "$DL_APPROVERS"
	chmod 0700 "$T/keys" "$(dirname "$DL_EVIDENCE")"
	dl_write_conf || return 1
	ns_file "$DL_POLICY" 0644 "${1:-"[role sre]
members = alice, bob

[role payments-owner]
members = carol

[rule restart-web]
command = /usr/bin/systemctl restart nginx*
runas = root
require = 1 sre
max_ttl = 30m
affects = nginx, web-frontend

[rule two-sre]
command = /usr/bin/systemctl restart db*
require = 2 sre

[rule payments]
command = /usr/local/bin/payments-migrate *
require = 1 sre + 1 payments-owner

[rule ticketed]
command = /usr/bin/systemctl stop *
require = 1 sre
ticket = ^(CHG|INC)-[0-9]+\$

[rule read-logs]
command = /usr/bin/journalctl *
action = allow

[rule never]
command = /usr/bin/passwd *
action = deny

[default]
require = 1 sre"}"
}

dl_write_conf() {
	ns_file "$DL_CONF" 0644 "[daemon]
socket = $DL_SOCK
evidence = $DL_EVIDENCE
host_key = $DL_ETC/host.key
approvers_dir = $DL_APPROVERS
policy = $DL_POLICY
request_ttl = ${DL_TTL:-30m}
user = ${DL_USER:-root}
host_id = ${DL_HOST:-testhost}
checkpoint_every = ${DL_CKPT:-50}
${DL_CONF_EXTRA:-}

[subjects]
users = ai-deploy
groups = ai-agents

[client]
wait = 0"
}

dl_key() { # name user
	"$DL_CTL" keygen --name "$1" --user "$2" --out-dir "$T/keys" \
		--no-passphrase >/dev/null 2>>"$T/keygen.err" || return 1
	mv "$T/keys/$1.pub" "$DL_APPROVERS/$1.pub" || return 1
	chown 0:0 "$DL_APPROVERS/$1.pub" && chmod 0644 "$DL_APPROVERS/$1.pub"
}

dl_key_pass() { # name user passphrase-file: an encrypted key
	APPROVERD_PASSPHRASE_FILE=$3 "$DL_CTL" keygen --name "$1" --user "$2" \
		--out-dir "$T/keys" >/dev/null 2>>"$T/keygen.err" || return 1
	mv "$T/keys/$1.pub" "$DL_APPROVERS/$1.pub" || return 1
	chown 0:0 "$DL_APPROVERS/$1.pub" && chmod 0644 "$DL_APPROVERS/$1.pub"
}

dl_healthy() {
	"$DL_ADC" -S "$DL_SOCK" health >/dev/null 2>&1
}

dl_start() {
	# shellcheck disable=SC2086
	env ${DL_ENV:-} "$DL_BIN" -f -c "$DL_CONF" </dev/null >>"$DL_LOG" 2>&1 &
	DL_PID=$!
	ns_track_pid "$DL_PID"
	wait_for 10 dl_healthy
}

dl_stop() {
	[ -n "${DL_PID:-}" ] || return 0
	kill -TERM "$DL_PID" 2>/dev/null
	wait "$DL_PID"
	DL_RC=$?
	DL_PID=
	return 0
}

dl_kill9() {
	kill -KILL "$DL_PID" 2>/dev/null
	wait "$DL_PID" 2>/dev/null
	DL_PID=
}

adc() { "$DL_ADC" -S "$DL_SOCK" "$@"; }
ctl() { "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" "$@"; }

# The id ($2) of a decision line "STATE ID ...".
dl_id() { printf '%s\n' "$1" | awk 'NR==1{print $2}'; }
# Number of evidence records matching an ERE.
dl_ev_count() { grep -Ec -- "$1" "$DL_EVIDENCE"; }

# Test programs for sudo: root-owned $B/NAME (B=$T/bin, 0755) that append
# "tool ran: ARGS" to $T/ran.log (emptied, 0666) and exit 0; with --named
# each writes its own name instead ("NAME ran: ARGS").
dl_tools() { # [--named] name...
	_dl_who=tool
	# shellcheck disable=SC2016 # expanded when the tool runs, not here
	[ "$1" = --named ] && { _dl_who='$(basename "$0")'; shift; }
	B=$T/bin
	mkdir -p "$B" && chmod 0755 "$B" || return 1
	for _dl_t in "$@"; do
		ns_file "$B/$_dl_t" 0755 '#!/bin/sh
echo "'"$_dl_who"' ran: $*" >>"'"$T"'/ran.log"
exit 0' || return 1
	done
	: >"$T/ran.log" && chmod 0666 "$T/ran.log"
}

# Each user's dl_key key in ~/.config/approverd/USER.key, owned by the user.
dl_home_keys() { # user...
	for _dl_u in "$@"; do
		mkdir -p "$T/home/$_dl_u/.config/approverd" &&
			cp "$T/keys/$_dl_u.key" "$T/home/$_dl_u/.config/approverd/$_dl_u.key" &&
			chown -R "$_dl_u:$_dl_u" "$T/home/$_dl_u/.config" || return 1
	done
}

# approverctl (our config and socket) run as USER, with --yes appended.
dl_ctl_as() { # user approverctl-args...
	_dl_u=$1; shift
	as_user "$_dl_u" "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" "$@" --yes
}
