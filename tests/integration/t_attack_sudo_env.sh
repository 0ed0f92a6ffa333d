#!/bin/sh
# Hostile environment for the sudo plugin (DESIGN.md §4.2, §4.5; issue 9
# attack matrix): an AI subject sets APPROVERD_WAIT to garbage, huge or
# negative values, stuffs APPROVERD_REASON/TICKET with control characters
# or 100 KB, points APPROVERD_CONFIG / APPROVERD_SOCKET elsewhere, or adds
# variables to the command's environment (sudo VAR=value, SETENV) after an
# approval. Expected: the command never runs without an approval that
# matches exactly; nothing crashes; logs stay escaped. Real setuid sudo with
# sudo_approverd.so against a real approverd, client wait = 0. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "plugin built" test -f "$APPROVERD_BUILD/sudo_approverd.so"
ns_must users ns_users
ns_must devlog ns_devlog
B=$T/bin
mkdir -p "$B" && chmod 0755 "$B"
ns_file "$B/tool" 0755 '#!/bin/sh
echo "tool ran: $* FOO=${FOO:-}" >>"'"$T"'/ran.log"'
: >"$T/ran.log"; chmod 0666 "$T/ran.log"
ns_must sudo ns_sudo "ai-deploy ALL=(ALL) NOPASSWD:SETENV: ALL"
ns_must "config" dl_setup "[role sre]
members = alice

[rule tool]
command = $B/tool *
require = 1 sre

[default]
require = 1 sre"
ns_must "alice's key" dl_key alice alice
ns_must "daemon starts" dl_start
ns_must "client config" ns_client_conf 0 "$DL_SOCK"
# a config an attacker might point the plugin to: nobody is an AI subject
ns_file "$T/evil.conf" 0644 "[subjects]
users = nobody-here

[client]
socket = $T/evil.sock
wait = 0"

ran() { grep -c "tool ran: $1 " "$T/ran.log"; }
ai() { as_user ai-deploy "$@" 2>&1; }
req_id() { printf '%s\n' "$1" | grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' | head -n 1; }

# --- APPROVERD_WAIT garbage (client wait = 2): refused within the bound, never run
ns_client_conf 2 "$DL_SOCK"
for w in abc -1 99999999999999999999 "5$(printf '\033')"; do
	label=$(printf '%s' "$w" | tr -c '[:alnum:]-' '?')
	t0=$(date +%s)
	out=$(ai env APPROVERD_WAIT="$w" sudo -n "$B/tool" "wait$label"); rc=$?
	tap_is "$rc" 1 "APPROVERD_WAIT='$label': sudo refuses (exit 1)"
	tap_ok "...within the configured bound (< 8 s)" [ $(( $(date +%s) - t0 )) -lt 8 ]
	tap_is "$(ran "wait$label")" 0 "...and the command did not run"
done
ns_client_conf 0 "$DL_SOCK"

# --- APPROVERD_CONFIG / APPROVERD_SOCKET pointing elsewhere are not obeyed
out=$(ai env APPROVERD_CONFIG="$T/evil.conf" APPROVERD_SOCKET="$T/evil.sock" sudo -n "$B/tool" cfg)
tap_like "$out" 'R-[0-9A-F]{4}-[0-9A-F]{4}' "APPROVERD_CONFIG/SOCKET set: still held by the real daemon (request id shown)"
tap_is "$(ran cfg)" 0 "...and the command did not run"

# --- control characters and 100 KB in the context variables
inj=$(printf 'x\nseq=1 event=approved\033[2J')
out=$(ai env APPROVERD_REASON="$inj" APPROVERD_TICKET="$inj" APPROVERD_AGENT="$inj" sudo -n "$B/tool" ctx)
id=$(req_id "$out")
tap_ok "control characters in APPROVERD_REASON/TICKET/AGENT: request made ($id)" [ -n "$id" ]
tap_is "$(grep -c "$(printf '\033')" "$DL_EVIDENCE")" 0 "...no raw ESC in the evidence"
sleep 0.3
tap_is "$(grep -c "$(printf '\033')" "$NS_SYSLOG")" 0 "...no raw ESC in syslog"
tap_is "$(grep -Ec ': seq=1 event=approved' "$NS_SYSLOG")" 0 "...no forged syslog record"
huge=$(head -c 100000 /dev/zero | tr '\0' 'Z')
out=$(ai env APPROVERD_REASON="$huge" APPROVERD_TICKET="$huge" sudo -n "$B/tool" huge); rc=$?
tap_is "$rc" 1 "100 KB APPROVERD_REASON/TICKET: sudo refuses (held or refused), no crash"
tap_is "$(ran huge)" 0 "...and the command did not run"
hid=$(req_id "$out")
if [ -n "$hid" ]; then
	len=$(grep -F "\"id\":\"$hid\"" "$DL_EVIDENCE" | head -n 1 | sed -n 's/.*"reason":"\([^"]*\)".*/\1/p' | wc -c)
	tap_ok "...the recorded reason is length-capped ($len bytes ≤ 1025)" [ "$len" -le 1025 ]
else
	tap_pass "...refused without a request (no oversized record)"
fi

# --- an approval does not cover the same command with an added variable
out=$(ai sudo -n "$B/tool" env1); id=$(req_id "$out")
ns_must "env1 held" [ -n "$id" ]
ns_must "alice approves" sh -c "\"$DL_CTL\" -c \"$DL_CONF\" -S \"$DL_SOCK\" approve $id -k \"$T/keys/alice.key\" --yes >/dev/null 2>&1"
out=$(ai sudo -n FOO=injected "$B/tool" env1); rc=$?
tap_is "$rc" 1 "approved 'tool env1', re-run as 'sudo FOO=injected tool env1': refused"
tap_is "$(grep -c 'tool ran: env1 FOO=injected' "$T/ran.log")" 0 "...the command did not run with the injected variable"
out=$(ai sudo -n "$B/tool" env1); rc=$?
tap_is "$rc" 0 "control: the identical re-run runs"
tap_is "$(grep -c 'tool ran: env1 FOO=$' "$T/ran.log")" 1 "control: it ran once, without the variable"
dl_stop
tap_ok "verify-log passes" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
