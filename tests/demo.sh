#!/bin/sh
# tests/demo.sh — `make demo`: the whole story, end to end, with the real
# setuid sudo, the real daemon and real signatures, inside a private mount
# namespace (nothing on the host changes; users exist only in the namespace).
#
#   an AI account's sudo is held → a human approves → the command runs,
#   policy allow and deny, a two-role quorum, the sponsor's self-approval
#   refused, a denial, and finally the evidence log printed and verified.
#
# Exits non-zero as soon as a step does not behave as shown.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${O:=build}"
case $O in /*) ;; *) O=$top/$O ;; esac
APPROVERD_TOP=$top APPROVERD_BUILD=$O
export APPROVERD_TOP APPROVERD_BUILD
. "$top/tests/integration/lib.sh"
ns_reexec "$0" "$@"
. "$top/tests/integration/daemon_lib.sh"

STEP=0
if [ -t 1 ]; then B1=$(printf '\033[1m'); B0=$(printf '\033[0m'); else B1=; B0=; fi
step() { STEP=$((STEP + 1)); printf '\n%s== %d. %s%s\n' "$B1" "$STEP" "$*" "$B0"; }
say() { printf '   %s\n' "$*"; }
show() { sed 's/^/   | /' "$@"; }
die() { printf '\nDEMO FAILED at step %d: %s\n' "$STEP" "$*"; exit 1; }
quiet() { "$@" >/dev/null 2>&1; }
expect() { # description, then a command that must succeed
	_d=$1; shift
	if "$@"; then say "✔ $_d"; else die "$_d"; fi
}

step "Set up a private namespace: users, sudo with the plugin, approverd"
for f in approverd approverctl sudo_approverd.so; do
	[ -e "$O/$f" ] || die "$O/$f is not built (run make)"
done
ns_users || die "namespace users"
ns_devlog || die "private /dev with a syslog sink"
BIN=$T/bin
mkdir -p "$BIN" && chmod 0755 "$BIN"
for tool in restart-web payments-migrate show-logs; do
	ns_file "$BIN/$tool" 0755 "#!/bin/sh
echo \"$tool: running as \$(id -un) with args: \$*\"" || die "demo tools"
done
ns_sudo "ai-deploy ALL=(ALL) NOPASSWD: ALL
alice ALL=(ALL) ALL" || die "sudoers"
dl_setup "[role sre]
members = alice, bob

[role owner]
members = carol

[rule restart-web]
command = $BIN/restart-web *
runas = root
require = 1 sre
max_ttl = 30m
affects = nginx, web-frontend

[rule payments]
command = $BIN/payments-migrate *
require = 1 sre + 1 owner
affects = payments-db

[rule read-logs]
command = $BIN/show-logs *
action = allow

[rule never]
command = /usr/bin/passwd *
action = deny

[default]
require = 1 sre" || die "config and policy"
for who in alice bob carol; do
	dl_key "$who" "$who" || die "key for $who"
	mkdir -p "$T/home/$who/.config/approverd"
	cp "$T/keys/$who.key" "$T/home/$who/.config/approverd/"
	chown -R "$who:$who" "$T/home/$who/.config"
done
ns_client_conf 60 "$DL_SOCK" || die "client config"
dl_start || die "approverd did not start (see $DL_LOG)"
say "AI account: ai-deploy    approvers: alice, bob (role sre), carol (role owner)"
say "policy:     $DL_POLICY"
show "$DL_POLICY"
expect "approverctl policy check passes" quiet ctl policy check

vote() { # user approve|deny ID [args] — as that user, with their own key
	_u=$1; shift
	as_user "$_u" "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" "$@" --yes
}
req_id() { grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' "$1" | head -n 1; }
# The agent (ai-deploy) runs sudo in the background; its session was
# started by bob (login uid), so bob is its sponsor.
agent() { # name cmd...
	_n=$1; shift
	AS_LOGINUID=$(id -u bob) as_user ai-deploy env \
		APPROVERD_REASON="nginx workers leak memory after the config push" \
		APPROVERD_TICKET=INC-4711 APPROVERD_AGENT="deploy-bot/1.0" \
		"$@" >"$T/$_n.out" 2>"$T/$_n.err" &
	AGENT_PID=$!
}
agent_wait() { wait_for 60 sh -c "! kill -0 $AGENT_PID 2>/dev/null"; wait "$AGENT_PID"; }
pending() { grep -q 'needs approval' "$1"; }

step "Policy allows: the agent reads logs, no human needed"
out=$(as_user ai-deploy sudo -n "$BIN/show-logs" -u nginx 2>&1) || die "allowed command failed: $out"
say "\$ sudo $BIN/show-logs -u nginx"; printf '%s\n' "$out" | show

step "Policy denies: the agent tries to change root's password"
out=$(as_user ai-deploy sudo -n /usr/bin/passwd root 2>&1) && die "passwd was allowed"
say "\$ sudo /usr/bin/passwd root"; printf '%s\n' "$out" | show
expect "refused without running" true

step "Held: the agent restarts the web server; sudo waits for a human"
agent a1 sudo -n "$BIN/restart-web" --graceful
wait_for 10 pending "$T/a1.err" || die "sudo did not report a pending request"
ID=$(req_id "$T/a1.err")
say "what the agent sees on its terminal:"
show "$T/a1.err"
kill -0 "$AGENT_PID" 2>/dev/null || die "sudo did not wait"
say "what an approver sees (approverctl show $ID):"
ctl show "$ID" 2>&1 | show

step "Self-approval refused: bob started the agent's session (sponsor)"
out=$(vote bob approve "$ID" 2>&1) && die "the sponsor's approval was accepted"
printf '%s\n' "$out" | tail -n 2 | show
kill -0 "$AGENT_PID" 2>/dev/null || die "sudo stopped waiting after a refused approval"
expect "bob's approval did not count; sudo still waits" true

step "A different human approves: alice"
vote alice approve "$ID" --comment "INC-4711 approved" 2>&1 | show
agent_wait || die "approved command failed"
say "the agent's terminal now shows:"
show "$T/a1.err" "$T/a1.out"
grep -q 'restart-web: running as root' "$T/a1.out" || die "the command did not run as root"
expect "the command ran as root, once" true

step "Two roles: a payments migration needs 1 sre + 1 owner"
agent a2 sudo -n "$BIN/payments-migrate" --step 3
wait_for 10 pending "$T/a2.err" || die "not held"
ID2=$(req_id "$T/a2.err")
show "$T/a2.err"
vote alice approve "$ID2" 2>&1 | tail -n 1 | show
sleep 1
kill -0 "$AGENT_PID" 2>/dev/null || die "one approval was enough for a two-role quorum"
say "after alice (sre): still waiting for an owner"
ctl status "$ID2" 2>&1 | show
vote carol approve "$ID2" 2>&1 | tail -n 1 | show
agent_wait || die "payments migration failed after both approvals"
show "$T/a2.out"
expect "ran after sre and owner both approved" grep -q 'payments-migrate: running as root' "$T/a2.out"

step "Denied: alice refuses a second restart"
agent a3 sudo -n "$BIN/restart-web" --force
wait_for 10 pending "$T/a3.err" || die "not held"
ID3=$(req_id "$T/a3.err")
vote alice deny "$ID3" --reason "not during the sale; use --graceful" 2>&1 | tail -n 1 | show
agent_wait && die "a denied command ran"
show "$T/a3.err"
expect "refused with alice's reason" grep -q 'not during the sale' "$T/a3.err"

step "Re-running the approved command needs a new approval (single use)"
out=$(AS_LOGINUID=$(id -u bob) as_user ai-deploy env APPROVERD_WAIT=0 sudo -n "$BIN/restart-web" --graceful 2>&1) &&
	die "a consumed approval was used twice"
printf '%s\n' "$out" | show
expect "held again" true

step "The evidence: what happened, who approved, under which rule"
dl_stop
say "(approverctl log, each record cut to 150 characters here)"
"$DL_CTL" log "$DL_EVIDENCE" | cut -c1-150 | show
say ""
say "syslog (a remote log host sees every record's seq and chain hash):"
grep 'approverd\[' "$NS_SYSLOG" | tail -n 3 | cut -c1-150 | show
step "The evidence verifies: hash chain and host-signed checkpoints"
"$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" "$DL_EVIDENCE" | show ||
	die "verify-log failed"
expect "approverctl verify-log: intact" quiet "$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" "$DL_EVIDENCE"
printf '\n%sDemo complete: every step behaved as shown.%s\n' "$B1" "$B0"
