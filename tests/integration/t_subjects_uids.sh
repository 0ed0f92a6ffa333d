#!/bin/sh
# t_subjects_uids.sh — [subjects] uids = RANGES as the only way to name AI
# subjects (approverd.conf(5)): the range 1990-2001 and uid 2050 cover
# ai-deploy (2001, the last uid of the range) and a nameless uid, not ai-ops
# (2002, one past it; its group ai-agents is not listed here), alice or
# dave. Real setuid sudo and real Linux-PAM (pamtester) against a real
# approverd: ai-deploy's sudo and PAM account phase are held (a request is
# made) and run after alice approves, humans pass without a request, a
# caller whose uid is in a range but has no passwd entry is refused (never
# ignored), as is one holding a [subjects] group's gid (R7); the daemon
# refuses an approver key whose user's uid is in a range; approverctl
# policy test/check see the ranges; a bad `uids` value refuses sudo and PAM
# callers naming file, line and key. TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

dl_sudo_ready # plugin, daemon, approverctl built; users; /dev/log
PAM_SO=$APPROVERD_BUILD/pam_approverd.so
ns_must "PAM module built" test -f "$PAM_SO"
ns_must "pamtester installed" test -x /usr/bin/pamtester
ns_must sudo ns_sudo "ai-deploy ALL=(ALL) NOPASSWD: ALL
ai-ops ALL=(ALL) NOPASSWD: ALL
dave ALL=(ALL) NOPASSWD: ALL"
ns_must tools dl_tools tool
RANGES="1990-2001, 2050"
NAMELESS_AI=2050   # in a range, no passwd entry
NAMELESS_HUMAN=2060

dl_setup "[role sre]
members = alice

[rule tool]
command = $B/tool *
require = 1 sre

[default]
require = 1 sre"
# the daemon's config: [subjects] holds only the uid ranges
ns_must "daemon config with uids only" sed -i -e '/^users = /d' \
	-e "s/^groups = .*/uids = $RANGES/" "$DL_CONF"
tap_is "$(sed -n '/^\[subjects\]/,/^\[/p' "$DL_CONF" | grep -c '=')" 1 \
	"setup: the daemon's [subjects] has one key"
tap_like "$(cat "$DL_CONF")" "^uids = $RANGES\$" "setup: ...uids = $RANGES"
tap_nok "setup: uid $NAMELESS_AI has no passwd entry" getent passwd "$NAMELESS_AI"
tap_nok "setup: uid $NAMELESS_HUMAN has no passwd entry" getent passwd "$NAMELESS_HUMAN"
ns_must "alice's key" dl_key alice alice
ns_must "alice's key at home" dl_home_keys alice
ns_must "daemon starts" dl_start

client_conf() { # uids-value [wait] [more [subjects] lines]
	ns_file "$T/approverd.conf" 0644 "[subjects]
uids = $1
${3:-}
[client]
socket = $DL_SOCK
wait = ${2:-0}"
}
ns_must "client config" client_conf "$RANGES"
chmod 0777 "$T/home/dave" "$T/home/ai-deploy" "$T/home/ai-ops"
requests() { dl_ev_count '"event":"request"'; }
req_id() { printf '%s\n' "$1" | grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' | head -n 1; }
ran() { grep -c "^tool ran: $1\$" "$T/ran.log"; }
# $out/$rc of an attempt that must be held: refused with the pending
# message, one request more than $n0, its record matching ERE; sets ID
held() { # what ERE
	tap_isnt "$rc" 0 "$1 is held"
	tap_like "$out" "needs approval: request R-" "$1: ...with the pending message"
	ID=$(req_id "$out")
	tap_is "$(requests)" "$((n0 + 1))" "$1: ...the daemon made one request"
	tap_like "$(grep -F "\"id\":\"$ID\"" "$DL_EVIDENCE" | grep '"event":"request"')" \
		"$2" "$1: ...its request record"
}

# ---- 1. sudo: ai-deploy (uid 2001, the range's end) is held
n0=$(requests)
out=$(as_user ai-deploy sudo -n "$B/tool" held 2>&1); rc=$?
held "sudo: ai-deploy (uid 2001, in 1990-2001)" '"requester":"ai-deploy","uid":2001'
tap_is "$(ran held)" 0 "sudo: ...the command did not run"
out=$(dl_ctl_as alice approve "$ID" 2>&1)
tap_like "$out" "approved" "sudo: alice approves $ID"
out=$(as_user ai-deploy sudo -n "$B/tool" held 2>&1); rc=$?
tap_is "$rc" 0 "sudo: ai-deploy's re-run after the approval succeeds"
tap_is "$(ran held)" 1 "sudo: ...and the command ran once"

# ---- 2. sudo: humans, including the uid just past the range
n0=$(requests)
out=$(as_user dave sudo -n "$B/tool" dave 2>&1); rc=$?
tap_is "$rc" 0 "sudo: dave (uid 2201) runs at once"
tap_is "$(ran dave)" 1 "sudo: ...his command ran"
out=$(as_user ai-ops sudo -n "$B/tool" ai-ops 2>&1); rc=$?
tap_is "$rc" 0 "sudo: ai-ops (uid 2002, one past the range; ai-agents not listed) runs at once"
tap_is "$(requests)" "$n0" "sudo: ...no request for either"

# ---- 3. PAM, account phase (pamtester)
mkdir -p "$T/pam.d" && cp -a /etc/pam.d/. "$T/pam.d/"
args="config=$T/approverd.conf"
ns_file "$T/pam.d/ad-login" 0644 "account  required $PAM_SO $args mode=login require=ad-login:*
account  required pam_permit.so"
ns_file "$T/pam.d/ad-any" 0644 "account  required $PAM_SO $args mode=switch require=ad-any:*
account  required pam_permit.so"
ns_must "bind /etc/pam.d" ns_bind "$T/pam.d" /etc/pam.d
# a caller by uid only (no passwd entry needed), its login uid its own;
# supplementary groups $AS_GROUPS (default: none)
as_uid() { # uid cmd...
	_uid=$1; shift
	set -- env -i PATH=/usr/bin:/bin "$@"
	(
		cd /tmp || exit 1
		echo "$_uid" >/proc/self/loginuid 2>/dev/null
		if [ -n "${AS_GROUPS:-}" ]; then set -- --groups="$AS_GROUPS" "$@"
		else set -- --clear-groups "$@"; fi
		exec setpriv --reuid="$_uid" --regid="$_uid" "$@"
	) </dev/null
}

n0=$(requests)
out=$(pamtester -v ad-login ai-deploy acct_mgmt 2>&1); rc=$?
held "PAM: ai-deploy's login (account phase)" '"requester":"ai-deploy","uid":2001.*"service":"ad-login"'
dl_ctl_as alice approve "$ID" >/dev/null 2>&1
out=$(pamtester -v ad-login ai-deploy acct_mgmt 2>&1); rc=$?
tap_is "$rc" 0 "PAM: after alice's approval the account phase succeeds"
n0=$(requests)
out=$(pamtester -v ad-login dave acct_mgmt 2>&1); rc=$?
tap_is "$rc" 0 "PAM: dave's account phase passes at once (PAM_IGNORE, then pam_permit)"
out=$(pamtester -v ad-login ai-ops acct_mgmt 2>&1); rc=$?
tap_is "$rc" 0 "PAM: ai-ops (uid 2002) passes at once"
tap_is "$(requests)" "$n0" "PAM: ...no request for either"
# a switch service judges the caller by its kernel uid
out=$(as_user ai-deploy pamtester ad-any root acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "PAM switch: ai-deploy as the caller (real uid 2001) is not let through"
out=$(as_user dave pamtester ad-any root acct_mgmt 2>&1); rc=$?
tap_is "$rc" 0 "PAM switch: dave as the caller passes"
out=$(as_uid "$NAMELESS_HUMAN" pamtester ad-any root acct_mgmt 2>&1); rc=$?
tap_is "$rc" 0 "PAM switch: nameless uid $NAMELESS_HUMAN (in no range) passes"
out=$(as_uid "$NAMELESS_AI" pamtester ad-any root acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "PAM switch: nameless uid $NAMELESS_AI (in a range) is refused, not ignored"
tap_like "$out" "cannot tell who is asking" "PAM switch: ...saying why"
# R7 for a nameless caller: holding a [subjects] group's gid makes it AI
ns_must "client config + groups" client_conf "$RANGES" 0 "groups = ai-agents"
out=$(AS_GROUPS=2000 as_uid "$NAMELESS_HUMAN" pamtester ad-any root acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "PAM switch: nameless uid $NAMELESS_HUMAN holding ai-agents (gid 2000) is refused"
out=$(as_uid "$NAMELESS_HUMAN" pamtester ad-any root acct_mgmt 2>&1); rc=$?
tap_is "$rc" 0 "PAM switch: ...and passes without that group"
ns_must "client config" client_conf "$RANGES"

# ---- 4. approverctl sees the ranges
out=$(ctl policy test --user ai-deploy -- "$B/tool" x 2>&1)
tap_like "$out" "subject: +AI subject" "policy test: ai-deploy is an AI subject by uid"
out=$(ctl policy test --user dave -- "$B/tool" x 2>&1)
tap_like "$out" "subject: +not an AI subject" "policy test: dave is not"
out=$(ctl policy check 2>&1)
tap_unlike "$out" "holds nothing" "policy check: a [subjects] with only uids is not empty"

# ---- 5. the daemon refuses an approver key whose user's uid is in a range
ns_must "key for ai-deploy" dl_key aikey ai-deploy
out=$("$DL_BIN" --check -c "$DL_CONF" 2>&1); rc=$?
tap_is "$rc" 1 "--check with a key of ai-deploy (uid 2001, listed by uid only) exits 1"
tap_like "$out" "approvers.d/aikey.pub: user 'ai-deploy' is an AI subject" "...naming the key file and the user"
kill -HUP "$DL_PID"
tap_ok "SIGHUP with that key: reload refused" wait_for 5 grep -q "reload refused, keeping the old config: .*aikey.pub" "$DL_LOG"
tap_ok "...the daemon still serves" dl_healthy
rm -f "$DL_APPROVERS/aikey.pub"
ns_must "key for ai-ops" dl_key opskey ai-ops
out=$("$DL_BIN" --check -c "$DL_CONF" 2>&1); rc=$?
tap_is "$rc" 0 "control: a key of ai-ops (uid 2002, outside) loads"
rm -f "$DL_APPROVERS/opskey.pub"

# ---- 6. a bad uids value: sudo and PAM refuse, naming file, line and key
client_conf "2001-1990"
out=$(as_user ai-deploy sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "bad uids: ai-deploy's sudo refused"
tap_like "$out" "$T/approverd.conf:2: bad uid range '2001-1990' in 'uids'" \
	"bad uids: ...message names file, line, item and key"
out=$(as_user dave sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "bad uids: dave's sudo refused too (nobody can tell who is AI)"
tap_like "$out" "$T/approverd.conf:2: bad uid range" "bad uids: ...with the same message"
out=$(sudo -n id -u 2>&1); rc=$?
tap_is "$rc/$out" "0/0" "bad uids: root still runs"
client_conf "0"
out=$(as_user dave sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "uids = 0: refused"
tap_like "$out" "approverd.conf:2: bad uid range '0' in 'uids'" "uids = 0: ...uid 0 cannot be listed"
client_conf "$(seq -s, 1 65)"
out=$(as_user dave sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "65 uid items: refused"
tap_like "$out" "approverd.conf:2: too many uid ranges in 'uids' \\(at most 64; '65'" \
	"65 uid items: ...naming the 65th"
client_conf "2001-1990"
out=$(pamtester -v ad-login dave acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "bad uids: PAM refuses dave's login"
tap_like "$out" "approverd.conf:2: bad uid range '2001-1990' in 'uids'" "bad uids: ...PAM's message names file, line, item and key"
client_conf "$RANGES"
out=$(as_user dave sudo -n true 2>&1); rc=$?
tap_is "$rc" 0 "fixed config: dave runs again"

dl_stop
tap_done
