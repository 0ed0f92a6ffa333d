#!/bin/sh
# t_gov_breakglass.sh — break-glass (docs/formats/governance.md §3) with the
# real setuid sudo, sudo_approverd.so and a real approverd: refusals (key
# not in the break-glass role, the requester's own key, the sponsor's key,
# a short justification, not_after past [breakglass] max_ttl, a denied
# request, break-glass not configured), each recorded; approverctl
# breakglass caps --ttl by itself; an accepted break-glass approves at once
# despite an unmet 2-person quorum and sudo runs the command; a request
# blocked by a closed change window refuses ordinary approvals and is
# released by break-glass; LOG_ALERT in syslog; a notify target whose
# events filter excludes decisions still gets event `breakglass`; the state
# survives a restart; verify-log passes. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
STUB=$APPROVERD_TOP/tests/helpers/http_stub.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

dl_sudo_ready # plugin, daemon, approverctl built; users; /dev/log

ns_must "test programs" dl_tools tool closed forbidden
ns_must sudo ns_sudo "ai-deploy ALL=(ALL) NOPASSWD: ALL"

# A window that is closed all day today (TZ=UTC for the daemon).
today=$(date -u +%a)
other=Mon; [ "$today" = Mon ] && other=Wed

"$PY" "$STUB" --port-file "$T/web.port" --log "$T/web.log" >>"$T/web.err" 2>&1 &
ns_track_pid $!
ns_must "http stub" wait_for 10 test -s "$T/web.port"
P=$(cat "$T/web.port")
DL_ENV="TZ=UTC"
DL_TTL=3h # the request expiry must not be what caps a 2h token
DL_CONF_EXTRA="
[notify siem]
url = http://127.0.0.1:$P/siem
format = json
events = request"
policy_bg="[role sre]
members = alice, bob

[role oncall]
members = carol, dave

[rule tool]
command = $B/tool *
require = 2 sre
max_ttl = 30m

[rule closed]
command = $B/closed *
require = 1 sre
window = $other 00:00-24:00

[rule forbidden]
command = $B/forbidden *
action = deny

[breakglass]
role = oncall
max_ttl = 30m
min_justification = 12

[default]
require = 1 sre"
ns_must "config" dl_setup "$policy_bg"
for k in alice bob carol dave; do ns_must "key $k" dl_key "$k" "$k"; done
ns_must "daemon starts" dl_start

ns_client_conf 30 "$DL_SOCK"
req_id() { grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' "$1" | head -n 1; }
pending_in() { grep -q 'needs approval: request R-' "$1"; }
ev() { grep -F "\"id\":\"$1\"" "$DL_EVIDENCE"; }
bgv() { # key ID justification [args]
	_k=$1; _id=$2; _j=$3; shift 3
	ctl breakglass "$_id" --justification "$_j" -k "$T/keys/$_k.key" --yes "$@"
}
J="database down, INC-4711 paged"

# ---- help
out=$(ctl breakglass --help); rc=$?
tap_is "$rc" 0 "breakglass --help exits 0"
tap_like "$out" "--justification TEXT" "breakglass --help names --justification"
out=$(ctl breakglass R-0000-0000 -k "$T/keys/carol.key" 2>&1); rc=$?
tap_is "$rc" 2 "breakglass without --justification is a usage error"

# ---- refusals on a request by carol, sponsored by dave (both in oncall)
ID=$(dl_id "$(adc create -u carol -i 2103 -s dave -- "$B/tool" own)")
tap_like "$ID" '^R-' "a pending request by carol, sponsor dave ($ID)"
out=$(bgv carol "$ID" "$J" 2>&1); rc=$?
tap_is "$rc" 1 "the requester's own key cannot break the glass"
tap_like "$out" "self_approval.*carol, the requester" "…refusal names the requester"
out=$(bgv dave "$ID" "$J" 2>&1); rc=$?
tap_is "$rc" 1 "the sponsor's key cannot break the glass"
tap_like "$out" "dave, the sponsor" "…refusal names the sponsor"
tap_is "$(ev "$ID" | grep '"event":"approval"' | grep '"breakglass":true' |
	grep -c '"counted":false')" 2 "both refusals recorded (approval, breakglass, counted false)"

# ---- refusals on an AI request (quorum 2 sre)
ID=$(dl_id "$(adc create -- "$B/tool" ai)")
tap_like "$(ctl show "$ID" --json)" '"breakglass_max_ttl": 1800' "show --json carries breakglass_max_ttl"
out=$(bgv alice "$ID" "$J" 2>&1); rc=$?
tap_is "$rc" 1 "a key outside the break-glass role is refused"
tap_like "$out" "key alice is not a member of the break-glass role oncall" "…saying so"
out=$(bgv carol "$ID" "too short" 2>&1); rc=$?
tap_is "$rc" 1 "a justification below min_justification is refused"
tap_like "$out" "justification is 9 characters.*min_justification is 12" "…saying how long it must be"
ctl show "$ID" --json | "$PY" -c 'import json,sys
o=json.load(sys.stdin); o.pop("breakglass_max_ttl", None); print(json.dumps(o))' >"$T/nocap.json"
tok=$(ctl sign -k "$T/keys/carol.key" --breakglass --comment "$J" --ttl 2h \
	--yes <"$T/nocap.json" 2>/dev/null)
tap_like "$tok" '^approverd-ed25519-v1:' "sign --breakglass signs (no cap known: 2h)"
out=$(ctl submit --id "$ID" "$tok" 2>&1); rc=$?
tap_is "$rc" 1 "not_after past [breakglass] max_ttl is refused by the daemon"
tap_like "$out" "refused \(ttl\).*\[breakglass\] max_ttl 1800s" "…naming the cap"
tap_is "$(ev "$ID" | grep '"event":"approval"' | grep '"breakglass":true' |
	grep -c '"counted":false')" 3 "the three refusals are recorded"
tap_like "$(ctl show "$ID" 2>&1)" "state +pending" "the request is still pending"

# ---- accepted: real sudo runs despite the unmet quorum
ai_bg() { as_user ai-deploy "$@" >"$T/a.out" 2>"$T/a.err" & BG=$!; }
ai_bg sudo -n "$B/tool" bg1
ns_must "sudo waits" wait_for 10 pending_in "$T/a.err"
ID=$(req_id "$T/a.err")
out=$(bgv carol "$ID" "$J" --ttl 2h 2>&1); rc=$?
tap_is "$rc" 0 "carol (oncall) breaks the glass on $ID"
tap_like "$out" "ttl 2h capped to 30m \(\[breakglass\] max_ttl\)" "approverctl breakglass caps --ttl by itself"
tap_like "$out" "$ID approved by carol" "…and reports the approval"
wait_for 40 sh -c "! kill -0 $BG 2>/dev/null"; wait "$BG"; rc=$?
tap_is "$rc" 0 "sudo ran the command (quorum 2 sre unmet)"
tap_ok "the command ran once" [ "$(grep -c 'tool ran: bg1' "$T/ran.log")" -eq 1 ]
a=$(ev "$ID" | grep '"event":"approval"')
tap_like "$a" '"breakglass":true' "evidence approval: breakglass true"
tap_like "$a" '"counted":true' "evidence approval: counted"
tap_like "$a" "\"justification\":\"$J\"" "evidence approval: the justification"
a=$(ev "$ID" | grep '"event":"approved"')
tap_like "$a" '"breakglass":true' "evidence approved: breakglass true"
tap_like "$a" '"breakglass_by":"carol"' "evidence approved: breakglass_by carol"
tap_like "$a" '"uses":1[,}]' "evidence approved: uses 1 (a break-glass releases one run)"
out=$(as_user ai-deploy env APPROVERD_WAIT=0 sudo -n "$B/tool" bg1 2>&1); rc=$?
tap_isnt "$rc" 0 "re-running the released command is held again (refused with wait 0)"
tap_ok "…and did not run a second time" [ "$(grep -c 'tool ran: bg1' "$T/ran.log")" -eq 1 ]
tap_ok "syslog: LOG_ALERT (authpriv.alert = <81>) BREAK-GLASS line" \
	syslog_wait "^<81>.*BREAK-GLASS: carol released $ID \(requester ai-deploy, rule tool\): $J"
tap_ok "notify: the target with events = request got event breakglass" \
	wait_for 10 sh -c "grep -F '$ID' '$T/web.log' | grep -q '\"event\": \"breakglass\"'"
tap_like "$(grep -F "$ID" "$T/web.log" | grep breakglass)" "\"why\": \"$J\"" "…with the justification"
tap_is "$(grep -F "$ID" "$T/web.log" | grep -c '"event": "decision"')" 0 \
	"…and no ordinary decision message (its filter excludes decisions)"
out=$(ctl show "$ID" 2>&1)
tap_like "$out" "breakglass +by carol \(user carol\): $J" "show: break-glass line"
tap_like "$out" "reviewed +no" "show: not reviewed yet"
out=$(bgv dave "$ID" "$J again" 2>&1); rc=$?
tap_is "$rc" 1 "a second break-glass on a released request is refused"
tap_like "$out" "not pending" "…it is no longer pending"

# ---- a denied request is never released
ID=$(dl_id "$(adc create -- "$B/forbidden" x)")
out=$(bgv carol "$ID" "$J" 2>&1); rc=$?
tap_is "$rc" 1 "break-glass on a request denied by a deny rule is refused"
tap_like "$out" "is denied, not pending" "…saying it is denied"

# ---- a request blocked by a closed change window
ns_client_conf 0 "$DL_SOCK"
out=$(as_user ai-deploy sudo -n "$B/closed" run 2>&1); rc=$?
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
tap_is "$rc" 1 "blocked: sudo refuses at once"
tap_like "$out" "outside change window" "blocked: the block text is shown"
tap_like "$out" "approverctl breakglass $ID --justification" "blocked: names the break-glass command"
out=$(ctl approve "$ID" -k "$T/keys/alice.key" --yes 2>&1); rc=$?
tap_is "$rc" 1 "blocked: an ordinary approval is refused"
tap_like "$out" "outside change window" "…with the block text as the reason"
tap_like "$(ev "$ID" | grep '"event":"approval"')" '"counted":false,"why":"outside change window' \
	"…recorded, counted false, why = the block text"
out=$(bgv dave "$ID" "window closed; hotfix INC-4712" 2>&1); rc=$?
tap_is "$rc" 0 "dave (oncall) breaks the glass on the blocked request"
out=$(as_user ai-deploy sudo -n "$B/closed" run 2>&1); rc=$?
tap_is "$rc" 0 "the re-run runs after the break-glass"
tap_ok "the blocked command ran once" [ "$(grep -c 'tool ran: run' "$T/ran.log")" -eq 1 ]

# ---- restart: the state is rebuilt from the evidence
BGID=$(grep '"event":"approved"' "$DL_EVIDENCE" | grep '"breakglass_by":"carol"' |
	sed -n 's/.*"id":"\(R-[0-9A-F-]*\)".*/\1/p' | head -n 1)
dl_stop
ns_must "daemon restarts" dl_start
s=$(ctl show "$BGID" --json)
tap_like "$s" '"by": "carol"' "after a restart: show still says carol broke the glass"
tap_like "$s" '"reviewed": false' "after a restart: still unreviewed"
tap_like "$s" "\"justification\": \"$J\"" "after a restart: the justification"

# ---- break-glass not configured (policy reloaded without [breakglass])
ns_file "$DL_POLICY" 0644 "$(printf '%s\n' "$policy_bg" | sed '/^\[breakglass\]/,/^$/d')"
kill -HUP "$DL_PID"
wait_for 10 grep -q '"event":"reload"' "$DL_EVIDENCE"
ID=$(dl_id "$(adc create -- "$B/tool" off)")
out=$(bgv carol "$ID" "$J" 2>&1); rc=$?
tap_is "$rc" 1 "without [breakglass] (and no role breakglass) it is refused"
tap_like "$out" "break-glass is not configured" "…saying it is not configured"

tap_ok "verify-log passes" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
