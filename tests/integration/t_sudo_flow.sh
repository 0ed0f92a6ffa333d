#!/bin/sh
# t_sudo_flow.sh — the real setuid sudo with sudo_approverd.so against a real
# approverd: held → approved by alice from another process → runs → evidence
# request/approval/approved/consume/result; deny; expiry; wait = 0 re-runs
# (once only; other argv, cwd, runas or executable content do not match);
# the AI account's key and the sponsor's key cannot approve; Ctrl-C
# withdraws; progress lines during a long wait; APPROVERD_WAIT only lowers
# the wait; the APPROVERD_* context reaches the evidence; NOPASSWD is held;
# allowed-by-policy runs; control characters escaped in syslog and evidence;
# sudoers `intercept` holds sub-commands; the audit plugin records exit
# status and signal. Takes about a minute (one 30s progress interval).
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

dl_sudo_ready # plugin, daemon, approverctl built; users; /dev/log

# Test programs: root-owned, in a root-only-writable dir under $T.
B=$T/bin
mkdir -p "$B" && chmod 0755 "$B"
tool_text='#!/bin/sh
# exitN: exit with N; sig: die from SIGTERM
echo "tool ran: $*" >>"'"$T"'/ran.log"
case $1 in
exit*) exit "${1#exit}" ;;
sig) kill -TERM $$ ;;
esac
exit 0'
ns_file "$B/tool" 0755 "$tool_text"
ns_file "$B/other" 0755 "$tool_text"
ns_file "$B/forbidden" 0755 "$tool_text"
: >"$T/ran.log"; chmod 0666 "$T/ran.log"
mkdir -p "$T/work" && chmod 0777 "$T/work"

ns_must sudo ns_sudo "Defaults:ai-deploy intercept
ai-deploy ALL=(ALL) NOPASSWD: ALL
ai-ops ALL=(ALL) NOPASSWD: ALL
dave ALL=(ALL) NOPASSWD: ALL"

dl_setup "[role sre]
members = alice, bob

[rule forbidden]
command = $B/forbidden *
action = deny

[rule shell]
command = /bin/sh *
action = allow

[rule tool]
command = $B/tool *
require = 1 sre
max_ttl = 30m

[default]
require = 1 sre"
ns_must "alice's key" dl_key alice alice
ns_must "bob's key" dl_key bob bob
ns_must "daemon starts" dl_start

# The plugin's own client config: [subjects] + [client] (socket, wait).
client_conf() { # wait
	ns_file "$T/approverd.conf" 0644 "[subjects]
users = ai-deploy
groups = ai-agents

[client]
socket = $DL_SOCK
wait = $1"
}
client_conf 30

# alice approves from her own account, with her key in the default place.
mkdir -p "$T/home/alice/.config/approverd" "$T/home/bob/.config/approverd"
cp "$T/keys/alice.key" "$T/home/alice/.config/approverd/alice.key"
cp "$T/keys/bob.key" "$T/home/bob/.config/approverd/bob.key"
chown -R alice:alice "$T/home/alice/.config"
chown -R bob:bob "$T/home/bob/.config"
vote() { # user approve|deny ID [args]
	_u=$1; shift
	as_user "$_u" "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" "$@" --yes
}
ev() { grep -F "\"id\":\"$1\"" "$DL_EVIDENCE"; }
ev_events() { ev "$1" | sed -n 's/.*"event":"\([a-z_]*\)".*/\1/p' | tr '\n' ' '; }
req_id() { grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' "$1" | head -n 1; }
pending_in() { grep -q 'needs approval: request R-' "$1"; }
# Run sudo as ai-deploy in the background; $BG = pid, output in $1.out/.err
ai_bg() { # name args...
	_n=$1; shift
	as_user ai-deploy "$@" >"$T/$_n.out" 2>"$T/$_n.err" &
	BG=$!
}
bg_wait() { # pid -> its exit status (bounded)
	wait_for 40 sh -c "! kill -0 $1 2>/dev/null"
	wait "$1"
}

# ---- 1. held, alice approves from another process, runs, evidence chain
ai_bg a1 sudo -n "$B/tool" exit7
tap_ok "held: the request is pending (message printed)" wait_for 10 pending_in "$T/a1.err"
ID=$(req_id "$T/a1.err")
tap_nok "held: the command has not run yet" grep -q "tool ran: exit7" "$T/ran.log"
tap_like "$(cat "$T/a1.err")" "an approver runs: approverctl approve $ID" "message shows the exact approve command"
tap_like "$(cat "$T/a1.err")" "required: 1 approval from role sre" "message says what is required"
tap_like "$(cat "$T/a1.out")" "^$" "pending messages are not on stdout"
out=$(vote alice approve "$ID" 2>&1); rc=$?
tap_is "$rc" 0 "alice approves $ID with approverctl (as alice, her key)"
bg_wait "$BG"; rc=$?
tap_is "$rc" 7 "the approved command ran and sudo returned its exit status"
tap_ok "the command ran once" [ "$(grep -c 'tool ran: exit7' "$T/ran.log")" -eq 1 ]
tap_like "$(cat "$T/a1.err")" "approved by alice until [0-9]{2}:[0-9]{2}" "sudo says who approved and until when"
tap_like "$(cat "$T/a1.err")" "waiting up to 30s for a decision" "sudo says it waits (configured wait 30s)"
tap_ok "result recorded" wait_for 5 sh -c "grep -F '\"id\":\"$ID\"' '$DL_EVIDENCE' | grep -q '\"event\":\"result\"'"
tap_is "$(ev_events "$ID")" "request approval approved consume result " \
	"evidence: request → approval → approved → consume → result"
tap_like "$(ev "$ID" | grep '"event":"result"')" '"exit_status":7' "evidence result has exit status 7"
tap_like "$(ev "$ID" | grep '"event":"consume"')" '"pid":[1-9]' "consume records sudo's pid"

# ---- 1b. APPROVERD_WAIT only lowers the wait
ai_bg w1 env APPROVERD_WAIT=600 sudo -n "$B/tool" raise-wait
ns_must "raise-wait: pending" wait_for 10 pending_in "$T/w1.err"
tap_like "$(cat "$T/w1.err")" "waiting up to 30s" "APPROVERD_WAIT=600 cannot raise wait = 30"
pkill -TERM -f "^sudo -n $B/tool raise-wait\$"
bg_wait "$BG"
t0=$(date +%s)
out=$(as_user ai-deploy env APPROVERD_WAIT=1 sudo -n "$B/tool" lower-wait 2>&1); rc=$?
tap_is "$rc" 1 "APPROVERD_WAIT=1: refused after the shorter wait"
tap_like "$out" "waiting up to 1s" "APPROVERD_WAIT=1 lowers the wait"
tap_ok "APPROVERD_WAIT=1: returned within a few seconds" [ $(( $(date +%s) - t0 )) -lt 10 ]
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
tap_like "$(ctl show "$ID" 2>&1)" "pending" "after a wait timeout the request stays pending"

# ---- 1c. the APPROVERD_* context reaches the evidence
client_conf 0
as_user ai-deploy env APPROVERD_REASON="rotate logs" APPROVERD_TICKET=CHG-77 \
	APPROVERD_ROLLBACK="restore backup" APPROVERD_AGENT=agent-x \
	sudo -n "$B/tool" context >/dev/null 2>&1
line=$(grep '"event":"request"' "$DL_EVIDENCE" | grep '"context"\]' | tail -n 1)
tap_like "$line" '"reason":"rotate logs","ticket":"CHG-77","rollback":"restore backup","agent":"agent-x"' \
	"APPROVERD_REASON/TICKET/ROLLBACK/AGENT recorded with the request"
tap_nok "APPROVERD_* not in the command's environment digest" sh -c "printf '%s' '$line' | grep -q 'APPROVERD_'"
client_conf 30

# ---- 2. alice denies: refused with the reason
ai_bg d1 sudo -n "$B/tool" deny-me
ns_must "deny: pending" wait_for 10 pending_in "$T/d1.err"
ID=$(req_id "$T/d1.err")
vote alice deny "$ID" --reason "not during the freeze" >/dev/null 2>&1
tap_is "$?" 0 "alice denies $ID"
bg_wait "$BG"; rc=$?
tap_is "$rc" 1 "denied: sudo refuses (exit 1)"
tap_like "$(cat "$T/d1.err")" "denied.*not during the freeze" "denied: the reason is shown"
tap_nok "denied: the command did not run" grep -q "deny-me" "$T/ran.log"

# ---- 3. policy deny and policy allow
out=$(as_user ai-deploy sudo -n "$B/forbidden" x 2>&1); rc=$?
tap_is "$rc" 1 "policy deny: refused at once"
tap_like "$out" "denied" "policy deny: says denied"
out=$(as_user ai-deploy sudo -n /bin/sh -c 'echo shell-ok' 2>&1); rc=$?
tap_is "$rc/$out" "0/shell-ok" "policy allow: runs without an approval"

# ---- 4. NOPASSWD still held; human not
client_conf 0
out=$(as_user ai-deploy sudo -n "$B/tool" nopasswd 2>&1); rc=$?
tap_is "$rc" 1 "NOPASSWD entry: AI subject still held"
tap_nok "NOPASSWD: command did not run" grep -q "tool ran: nopasswd" "$T/ran.log"
out=$(as_user dave sudo -n "$B/tool" human 2>&1); rc=$?
tap_is "$rc" 0 "human dave runs the same command without approval"

# ---- 5. wait = 0: refuse with the id, approve, re-run once
out=$(as_user ai-deploy sudo -n "$B/tool" w0 2>&1); rc=$?
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
tap_is "$rc" 1 "wait=0: first run refused"
tap_like "$out" "re-run the identical command after $ID" "wait=0: tells the agent to re-run after approval"
vote alice approve "$ID" >/dev/null 2>&1
tap_is "$?" 0 "wait=0: alice approves $ID"
AS_CWD=$T/work; export AS_CWD
out=$(as_user ai-deploy sudo -n "$B/tool" w0 2>&1); rc=$?
tap_is "$rc" 1 "approval does not apply in another cwd"
unset AS_CWD
out=$(as_user ai-deploy sudo -n "$B/tool" w0 extra 2>&1); rc=$?
tap_is "$rc" 1 "approval does not apply with other argv"
out=$(as_user ai-deploy sudo -n -u bob "$B/tool" w0 2>&1); rc=$?
tap_is "$rc" 1 "approval does not apply with another runas user"
tap_nok "none of the variants ran" grep -q "tool ran: w0" "$T/ran.log"
out=$(as_user ai-deploy env APPROVERD_REASON=other sudo -n "$B/tool" w0 2>&1); rc=$?
tap_is "$rc" 0 "identical re-run (context vars may differ) runs after approval"
tap_like "$out" "approved by alice" "re-run says who approved"
tap_ok "ran exactly once" [ "$(grep -c 'tool ran: w0$' "$T/ran.log")" -eq 1 ]
out=$(as_user ai-deploy sudo -n "$B/tool" w0 2>&1); rc=$?
ID2=$(printf '%s\n' "$out" | req_id /dev/stdin)
tap_is "$rc" 1 "second re-run needs a new approval"
tap_isnt "$ID2" "$ID" "second re-run is a new request"

# ---- 6. executable replaced after approval: approval does not apply
out=$(as_user ai-deploy sudo -n "$B/other" swap 2>&1)
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
vote alice approve "$ID" >/dev/null 2>&1
tap_is "$?" 0 "approve $ID for $B/other"
ns_file "$B/other" 0755 "$tool_text
# replaced"
out=$(as_user ai-deploy sudo -n "$B/other" swap 2>&1); rc=$?
tap_is "$rc" 1 "replaced executable (same path, other content): refused"
tap_nok "replaced executable did not run" grep -q "tool ran: swap" "$T/ran.log"
tap_like "$out" "needs approval: request R-" "replaced executable makes a new request"
tap_isnt "$(printf '%s\n' "$out" | req_id /dev/stdin)" "$ID" "…with a different id"
ns_file "$B/other" 0755 "$tool_text"
out=$(as_user ai-deploy sudo -n "$B/other" swap 2>&1); rc=$?
tap_is "$rc" 0 "original content restored: the approval applies again"

# ---- 7. the sponsor's key cannot approve (login uid = alice's)
tap_is "$(AS_LOGINUID=2101 as_user ai-deploy cat /proc/self/loginuid)" 2101 \
	"login uid of the AI session can be set here (sponsor = alice, uid 2101)"
out=$(AS_LOGINUID=2101 as_user ai-deploy sudo -n "$B/tool" sponsored 2>&1)
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
tap_like "$(ev "$ID" | grep '"event":"request"')" '"sponsor":"alice"' "request records sponsor alice (login uid 2101)"
out=$(vote alice approve "$ID" 2>&1); rc=$?
tap_isnt "$rc" 0 "the sponsor's key (alice) cannot approve"
tap_like "$out" "sponsor" "refusal says alice is the sponsor"
out=$(AS_LOGINUID=2101 as_user ai-deploy sudo -n "$B/tool" sponsored 2>&1); rc=$?
tap_is "$rc" 1 "still refused after the sponsor's attempt"
vote bob approve "$ID" >/dev/null 2>&1
tap_is "$?" 0 "bob (another human) approves"
out=$(AS_LOGINUID=2101 as_user ai-deploy sudo -n "$B/tool" sponsored 2>&1); rc=$?
tap_is "$rc" 0 "runs after bob's approval"

# ---- 8. the AI account's own key is refused by the daemon
"$DL_CTL" keygen --name aikey --user ai-deploy --out-dir "$T/keys" --no-passphrase >/dev/null 2>&1
cp "$T/keys/aikey.pub" "$DL_APPROVERS/aikey.pub" && chmod 0644 "$DL_APPROVERS/aikey.pub"
out=$("$DL_BIN" --check -c "$DL_CONF" 2>&1); rc=$?
tap_isnt "$rc" 0 "approverd refuses a key whose user is an AI subject"
tap_like "$out" "aikey.pub: user 'ai-deploy' is an AI subject" "message names the key file"
rm -f "$DL_APPROVERS/aikey.pub"
out=$(as_user ai-deploy sudo -n "$B/tool" aikey 2>&1)
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
out=$("$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" approve "$ID" -k "$T/keys/aikey.key" --yes 2>&1); rc=$?
tap_isnt "$rc" 0 "a token signed with the AI account's key is not accepted"
out=$(as_user ai-deploy sudo -n "$B/tool" aikey 2>&1); rc=$?
tap_is "$rc" 1 "…and the AI subject stays refused"

# ---- 9. Ctrl-C (SIGINT) and SIGTERM during the wait: withdrawn, refused
client_conf 60
for sig in INT TERM; do
	ai_bg "s$sig" sudo -n "$B/tool" "sig$sig" "$T"
	ns_must "pending before SIG$sig" wait_for 10 pending_in "$T/s$sig.err"
	ID=$(req_id "$T/s$sig.err")
	if [ "$sig" = INT ]; then
		tap_ok "progress: 'still waiting' shown during a long wait (~30s)" \
			wait_for 45 grep -q "still waiting for approval of $ID" "$T/s$sig.err"
	fi
	pkill "-$sig" -f "^sudo -n $B/tool sig$sig $T\$"
	bg_wait "$BG"; rc=$?
	tap_is "$rc" 1 "SIG$sig during the wait: refused"
	tap_like "$(cat "$T/s$sig.err")" "interrupted; request $ID withdrawn" "SIG$sig: says withdrawn"
	tap_like "$(ev_events "$ID")" "withdraw" "SIG$sig: evidence records withdraw"
	tap_nok "SIG$sig: command did not run" grep -q "sig$sig" "$T/ran.log"
done
tap_like "$(ctl show "$ID" 2>&1)" "withdrawn" "approverctl show says withdrawn"

# ---- 10. control characters in argv and APPROVERD_REASON are escaped
client_conf 0
esc=$(printf '\033')
as_user ai-deploy env "APPROVERD_REASON=line1
FORGED-REASON ${esc}[2J" sudo -n "$B/tool" "a
FORGED-ARG" "x${esc}[31my" >/dev/null 2>&1
tap_ok "escape: plugin logged the refusal" syslog_wait "decision=refuse command=$B/tool argv=\"$B/tool a\\\\nFORGED-ARG"
tap_nok "escape: no forged line in syslog" grep -q '^FORGED' "$NS_SYSLOG"
tap_nok "escape: no raw ESC in syslog" grep -q "$esc" "$NS_SYSLOG"
tap_nok "escape: no forged line in evidence" grep -q '^FORGED' "$DL_EVIDENCE"
tap_nok "escape: no raw ESC in evidence" grep -q "$esc" "$DL_EVIDENCE"
tap_ok "escape: every evidence line is one JSON object" python3 -c '
import json, sys
for l in open(sys.argv[1]): json.loads(l)
' "$DL_EVIDENCE"
tap_ok "escape: argv newline kept (escaped) in evidence" grep -qF '"a\nFORGED-ARG"' "$DL_EVIDENCE"

# ---- 11. intercept: a shell's sub-commands are held too
client_conf 0
out=$(as_user ai-deploy sudo -n /bin/sh -c "$B/tool intercepted; echo after=\$?" 2>&1); rc=$?
tap_like "$out" "needs approval: request R-" "intercept: the shell's sub-command is held"
tap_nok "intercept: the sub-command did not run" grep -q "tool ran: intercepted" "$T/ran.log"
tap_ok "intercept: evidence has a request for the sub-command" \
	grep -q "\"event\":\"request\".*\"argv\":\[\"$B/tool\",\"intercepted\"\]" "$DL_EVIDENCE"

# ---- 12. audit: a command killed by a signal is recorded as such
out=$(as_user ai-deploy sudo -n "$B/tool" sig 2>&1)
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
vote alice approve "$ID" >/dev/null 2>&1
as_user ai-deploy sudo -n "$B/tool" sig >/dev/null 2>&1
tap_ok "signal result recorded" wait_for 5 sh -c "grep -F '\"id\":\"$ID\"' '$DL_EVIDENCE' | grep -q '\"event\":\"result\"'"
tap_like "$(ev "$ID" | grep '"event":"result"')" '"signal":15' "evidence result has signal 15"

# ---- 13. expiry: a pending request expires while sudo waits
dl_stop
DL_TTL=2s; dl_write_conf
ns_must "daemon restarts with request_ttl 2s" dl_start
client_conf 30
t0=$(date +%s)
out=$(as_user ai-deploy sudo -n "$B/tool" expiring 2>&1); rc=$?
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
tap_is "$rc" 1 "expired while waiting: refused"
tap_like "$out" "expired" "expired: the reason is shown"
tap_ok "expired: released by the daemon, not by the 30s wait" [ $(( $(date +%s) - t0 )) -lt 20 ]
tap_like "$(ev_events "$ID")" "expire" "evidence records expire"

# ---- 14. human fine with the daemon stopped; AI refused
dl_stop
out=$(as_user dave sudo -n "$B/tool" human-down 2>&1); rc=$?
tap_is "$rc" 0 "human runs with the daemon stopped"
out=$(as_user ai-deploy sudo -n "$B/tool" ai-down 2>&1); rc=$?
tap_is "$rc" 1 "AI subject refused with the daemon stopped"
tap_like "$out" "cannot reach the approval daemon" "…saying the daemon is not reachable"

tap_done
