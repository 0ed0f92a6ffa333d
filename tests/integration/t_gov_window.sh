#!/bin/sh
# t_gov_window.sh — change windows (docs/formats/governance.md §1, §2) with
# the real setuid sudo and a real approverd (TZ=UTC): inside an open window
# a request is pending, approvable, and the command runs; outside, the
# reply is pending AND blocked, sudo refuses at once with the block text
# ("next opens ...") and the id, an ordinary approval is refused and
# recorded (counted false), the evidence carries `blocked`; after a daemon
# restart (replay keeps the block) with the clock moved into the window
# (APPROVERD_TEST_CLOCK_OFFSET), the identical re-run withdraws the blocked
# request ("superseded by R-NEW") and creates a new, unblocked one.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

dl_sudo_ready # plugin, daemon, approverctl built; users; /dev/log

ns_must "test programs" dl_tools opentool closedtool

ns_must sudo ns_sudo "ai-deploy ALL=(ALL) NOPASSWD: ALL"

# A window closed now: daily, starting 2 hours after the current UTC hour.
now=$(date -u +%s)
H=$(( $(date -u -d "@$now" +%-H) ))
S=$(( (H + 2) % 24 )); E=$(( (H + 3) % 24 ))
WIN=$(printf 'daily %02d:00-%02d:00' "$S" "$E")
next=$(( now - now % 86400 + S * 3600 ))
[ "$next" -gt "$now" ] || next=$(( next + 86400 ))
NEXT_TEXT=$(date -u -d "@$next" '+%a %Y-%m-%d %H:%M UTC')

DL_TTL=1d
DL_ENV="TZ=UTC"
dl_setup "[role sre]
members = alice, bob

[rule open]
command = $B/opentool *
window = Mon-Sun 00:00-24:00
require = 1 sre

[rule closed]
command = $B/closedtool *
window = $WIN
require = 1 sre

[default]
require = 1 sre"
ns_must "alice's key" dl_key alice alice
ns_must "bob's key" dl_key bob bob
ns_must "daemon starts (TZ=UTC)" dl_start
ns_client_conf 0 "$DL_SOCK"

ns_must "alice's key in her home" dl_home_keys alice
req_id() { grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' | head -n 1; }
ev() { grep -F "\"id\":\"$1\"" "$DL_EVIDENCE"; }

# ---- 0. approverctl policy test / check show the windows
out=$(TZ=UTC ctl policy test --user ai-deploy -- "$B/closedtool" x 2>&1)
tap_like "$out" "window: +$WIN: closed, next opens $NEXT_TEXT" \
	"policy test: closed window and its next opening"
tap_like "$out" "break-glass: off" "policy test: break-glass off (no role)"
tap_like "$(TZ=UTC ctl policy test --user ai-deploy -- "$B/opentool" x 2>&1)" \
	"window: +Mon-Sun 00:00-24:00: open now" "policy test: open window"
out=$(TZ=UTC ctl policy test --json --user ai-deploy -- "$B/closedtool" x 2>&1)
tap_is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["window_open"], d["window_next"], d["rollback"], d["grants"], d["breakglass_role"])')" \
	"False $next optional True None" "policy test --json: window_open, window_next, rollback, grants, breakglass_role"
tap_like "$(ctl policy check 2>&1)" "\[rule closed\] can block requests \(change window\) and break-glass is off" \
	"policy check warns: a window rule while break-glass is off"

# ---- 1. inside the window: pending, approvable, runs
out=$(as_user ai-deploy sudo -n "$B/opentool" go 2>&1); rc=$?
ID=$(printf '%s\n' "$out" | req_id)
tap_is "$rc" 1 "open window: first run held (wait = 0)"
tap_like "$out" "needs approval: request $ID" "open window: an ordinary pending request"
tap_unlike "$out" "blocked" "open window: not blocked"
tap_like "$(ev "$ID" | grep '"event":"request"')" '"state":"pending".*"blocked":""' \
	"open window: evidence request has blocked \"\""
dl_ctl_as alice approve "$ID" >/dev/null 2>&1
tap_is "$?" 0 "open window: alice approves $ID"
out=$(as_user ai-deploy sudo -n "$B/opentool" go 2>&1); rc=$?
tap_is "$rc" 0 "open window: the approved command runs"
tap_ok "open window: it ran" grep -q "tool ran: go" "$T/ran.log"

# ---- 2. outside the window: pending + blocked, refused at once
t0=$(date +%s)
out=$(as_user ai-deploy sudo -n "$B/closedtool" late 2>&1); rc=$?
OLD=$(printf '%s\n' "$out" | req_id)
tap_is "$rc" 1 "closed window: sudo refuses"
tap_ok "closed window: refused at once" [ $(( $(date +%s) - t0 )) -lt 5 ]
tap_like "$out" "request $OLD is blocked: outside change window $WIN; next opens $NEXT_TEXT" \
	"closed window: message names the window, the next opening and the id"
tap_like "$out" "approverctl breakglass $OLD --justification" "closed window: break-glass hint"
tap_nok "closed window: did not run" grep -q "tool ran: late" "$T/ran.log"
line=$(ev "$OLD" | grep '"event":"request"')
tap_like "$line" '"state":"pending"' "evidence: request state pending"
tap_like "$line" "\"blocked\":\"outside change window $WIN; next opens $NEXT_TEXT\"" \
	"evidence: request carries the block text"
tap_like "$(ctl show "$OLD" --json 2>&1)" "\"blocked\": *\"outside change window" \
	"approverctl show --json carries blocked"
# client-config wait is irrelevant: a blocked request is never waited on
ns_client_conf 30 "$DL_SOCK"
t0=$(date +%s)
out=$(as_user ai-deploy sudo -n "$B/closedtool" late 2>&1); rc=$?
tap_is "$rc/$(printf '%s\n' "$out" | req_id)" "1/$OLD" "re-run while closed: the same blocked request"
tap_ok "re-run with wait = 30: still refused at once" [ $(( $(date +%s) - t0 )) -lt 5 ]
tap_unlike "$out" "waiting up to" "blocked: sudo does not wait"
ns_client_conf 0 "$DL_SOCK"

# ---- 3. an ordinary approval of a blocked request is refused, recorded
out=$(dl_ctl_as alice approve "$OLD" 2>&1); rc=$?
tap_isnt "$rc" 0 "ordinary approval of a blocked request is refused"
tap_like "$(ev "$OLD" | grep '"event":"approval"')" '"counted":false' \
	"…recorded as an approval with counted false"
out=$(as_user ai-deploy sudo -n "$B/closedtool" late 2>&1); rc=$?
tap_is "$rc" 1 "…and the command stays refused"

# ---- 4. replay keeps the block; clock moved into the window: superseded
dl_stop
DL_ENV="TZ=UTC APPROVERD_TEST_CLOCK_OFFSET=$(( next - $(date -u +%s) + 300 ))"
ns_must "daemon restarts with the clock inside the window" dl_start
tap_like "$(ctl show "$OLD" --json 2>&1)" "\"blocked\": *\"outside change window" \
	"after restart (replay) the request is still blocked"
out=$(as_user ai-deploy sudo -n "$B/closedtool" late 2>&1); rc=$?
NEW=$(printf '%s\n' "$out" | req_id)
tap_is "$rc" 1 "window open: re-run held for approval (wait = 0)"
tap_isnt "$NEW" "$OLD" "window open: a new request"
tap_like "$out" "needs approval: request $NEW" "window open: the new request is not blocked"
tap_like "$(ev "$OLD" | grep '"event":"withdraw"')" "\"why\":\"superseded by $NEW\"" \
	"the blocked request is withdrawn, superseded by $NEW"
tap_like "$(ev "$NEW" | grep '"event":"request"')" '"state":"pending".*"blocked":""' \
	"evidence: the new request is pending and not blocked"
tap_like "$(ctl show "$OLD" 2>&1)" "withdrawn" "approverctl show: the old one is withdrawn"
out=$(as_user ai-deploy sudo -n "$B/closedtool" late 2>&1)
tap_is "$(printf '%s\n' "$out" | req_id)" "$NEW" "a further re-run returns the new request"
dl_stop
tap_done
