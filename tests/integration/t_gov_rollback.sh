#!/bin/sh
# t_gov_rollback.sh — rollback = required, owner sugar and missing tickets
# (docs/formats/governance.md §1, §2) with the real setuid sudo and a real
# approverd: without APPROVERD_ROLLBACK (or with only blanks) the request is
# denied at once with the message; with it the request is pending,
# `approverctl show` displays the rollback text, the evidence request holds
# it, and the approved command runs. `owner = business:payments-owner,
# technical:sre` needs one approval from each role and shows the labels;
# owner + require and an unknown owner role are policy errors naming
# FILE:LINE. A missing ticket makes the request pending and blocked; the
# re-run with a ticket supersedes it.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

dl_sudo_ready # plugin, daemon, approverctl built; users; /dev/log

ns_must "test programs" dl_tools rbtool paytool tickettool

ns_must sudo ns_sudo "ai-deploy ALL=(ALL) NOPASSWD: ALL"

DL_ENV="TZ=UTC"
dl_setup "[role sre]
members = alice, bob

[role payments-owner]
members = carol

[rule rb]
command = $B/rbtool *
rollback = required
require = 1 sre

[rule pay]
command = $B/paytool *
owner = business:payments-owner, technical:sre

[rule tick]
command = $B/tickettool *
ticket = ^CHG-[0-9]+\$
require = 1 sre

[default]
require = 1 sre"
ns_must "alice's key" dl_key alice alice
ns_must "carol's key" dl_key carol carol
ns_must "daemon starts" dl_start
ns_client_conf 0 "$DL_SOCK"

ns_must "keys in the approvers' homes" dl_home_keys alice carol
req_id() { grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' | head -n 1; }
ev() { grep -F "\"id\":\"$1\"" "$DL_EVIDENCE"; }

# ---- 1. rollback = required
out=$(as_user ai-deploy sudo -n "$B/rbtool" x 2>&1); rc=$?
ID=$(printf '%s\n' "$out" | req_id)
tap_is "$rc" 1 "no rollback plan: refused"
tap_like "$out" "denied: rule rb requires a rollback plan \(APPROVERD_ROLLBACK\)" \
	"no rollback plan: denied with the message"
tap_like "$(ev "$ID" | grep '"event":"request"')" '"state":"denied"' "evidence: denied"
out=$(as_user ai-deploy env APPROVERD_ROLLBACK="   " sudo -n "$B/rbtool" x 2>&1); rc=$?
tap_like "$rc/$out" "^1/.*requires a rollback plan" "blank rollback plan: denied too"
out=$(as_user ai-deploy env "APPROVERD_ROLLBACK=git revert HEAD && deploy" \
	sudo -n "$B/rbtool" x 2>&1); rc=$?
ID=$(printf '%s\n' "$out" | req_id)
tap_is "$rc" 1 "with a rollback plan: held (wait = 0)"
tap_like "$out" "needs approval: request $ID" "with a rollback plan: pending"
tap_like "$out" "rollback plan required" "the requirement text names the rollback plan"
tap_like "$(ctl show "$ID" 2>&1)" "rollback +git revert HEAD && deploy" \
	"approverctl show displays the rollback text"
tap_like "$(ev "$ID" | grep '"event":"request"')" '"rollback":"git revert HEAD && deploy"' \
	"evidence request.rollback holds it"
dl_ctl_as alice approve "$ID" >/dev/null 2>&1
tap_is "$?" 0 "alice approves $ID"
out=$(as_user ai-deploy sudo -n "$B/rbtool" x 2>&1); rc=$?
tap_is "$rc" 0 "approved: the identical re-run runs (without the variable)"

# ---- 2. owner sugar: one approval from each role, labels shown
out=$(as_user ai-deploy sudo -n "$B/paytool" migrate 2>&1)
ID=$(printf '%s\n' "$out" | req_id)
tap_like "$out" "required: 1 approval from role payments-owner \(business owner\) and 1 approval from role sre \(technical owner\)" \
	"owner: the requirement shows roles and labels"
dl_ctl_as alice approve "$ID" >/dev/null 2>&1
tap_like "$(ctl show "$ID" 2>&1)" "state +pending" "owner: sre alone is not enough"
out=$(as_user ai-deploy sudo -n "$B/paytool" migrate 2>&1); rc=$?
tap_is "$rc" 1 "owner: still refused after one approval"
dl_ctl_as carol approve "$ID" >/dev/null 2>&1
tap_is "$?" 0 "owner: carol (payments-owner) approves"
out=$(as_user ai-deploy sudo -n "$B/paytool" migrate 2>&1); rc=$?
tap_is "$rc" 0 "owner: both owners approved: runs"
tap_ok "owner: it ran" grep -q "tool ran: migrate" "$T/ran.log"

# ---- 3. owner errors name FILE:LINE
cp "$DL_POLICY" "$T/policy.good"
printf '[role sre]\nmembers = alice\n[rule r]\ncommand = /bin/true\nrequire = 1 sre\nowner = biz:sre\n[default]\nrequire = 1 sre\n' >"$DL_POLICY"
out=$(ctl policy check 2>&1); rc=$?
tap_is "$rc" 1 "owner + require: policy check fails"
tap_like "$out" "policy.conf:6: 'owner' and 'require' in the same section \(line 5\)" \
	"owner + require: FILE:LINE message"
printf '[role sre]\nmembers = alice\n[rule r]\ncommand = /bin/true\nowner = biz:nosuch\n[default]\nrequire = 1 sre\n' >"$DL_POLICY"
out=$(ctl policy check 2>&1); rc=$?
tap_like "$rc/$out" "^1/.*policy.conf:5: unknown role 'nosuch' in 'owner'" \
	"owner with an unknown role: FILE:LINE message"
cp "$T/policy.good" "$DL_POLICY"

# ---- 4. a missing ticket blocks; a re-run with a ticket supersedes
out=$(as_user ai-deploy sudo -n "$B/tickettool" t 2>&1); rc=$?
OLD=$(printf '%s\n' "$out" | req_id)
tap_is "$rc" 1 "no ticket: refused"
tap_like "$out" "request $OLD is blocked: rule tick requires a ticket matching \^CHG-\[0-9\]\+\\\$ \(APPROVERD_TICKET\)" \
	"no ticket: pending but blocked, with the reason"
tap_like "$(ev "$OLD" | grep '"event":"request"')" '"state":"pending".*"blocked":"rule tick requires a ticket' \
	"evidence: pending with the block text"
tap_like "$(ctl show "$OLD" 2>&1)" "blocked +rule tick requires a ticket" "approverctl show displays the block"
out=$(as_user ai-deploy env APPROVERD_TICKET=CHG-7 sudo -n "$B/tickettool" t 2>&1); rc=$?
NEW=$(printf '%s\n' "$out" | req_id)
tap_isnt "$NEW" "$OLD" "with a ticket: a new request"
tap_like "$out" "needs approval: request $NEW" "with a ticket: pending, not blocked"
tap_like "$(ev "$OLD" | grep '"event":"withdraw"')" "\"why\":\"superseded by $NEW\"" \
	"the blocked request is withdrawn, superseded by $NEW"
dl_stop
tap_done
