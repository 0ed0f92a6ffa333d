#!/bin/sh
# t_pam_pamtester.sh — pam_approverd.so in real Linux-PAM stacks driven by
# pamtester(1), account and auth phases, against a real approverd: a login
# service (initiator = PAM_USER) held until alice approves, then granted;
# denial; humans pass at once; a switch service gated through PAM_RUSER and
# through the login uid; `wait=` lowers the wait; a non-root caller cannot
# create requests (the daemon's SO_PEERCRED rule) and is refused.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

SO=$APPROVERD_BUILD/pam_approverd.so
ns_must "module built" test -f "$SO"
ns_must "approverd built" test -x "$DL_BIN"
ns_must "pamtester installed" test -x /usr/bin/pamtester
ns_must users ns_users
ns_must devlog ns_devlog
pty_setup() {
	umount /dev/ptmx 2>/dev/null; rm -f /dev/ptmx
	umount /dev/pts 2>/dev/null
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts &&
		ln -s pts/ptmx /dev/ptmx
}
ns_must "private devpts" pty_setup

dl_setup
ns_must "alice's key" dl_key alice alice
ns_must "daemon starts" dl_start
ns_must "client config" ns_client_conf 30 "$DL_SOCK"

mkdir -p "$T/pam.d" && cp -a /etc/pam.d/. "$T/pam.d/"
args="config=$T/approverd.conf"
ns_file "$T/pam.d/ad-login" 0644 "auth     required $SO $args mode=login require=ad-login:*
auth     required pam_permit.so
account  required $SO $args mode=login require=ad-login:*
account  required pam_permit.so"
ns_file "$T/pam.d/ad-switch" 0644 "auth     required $SO $args mode=switch require=ad-switch:root
account  [success=1 ignore=1 default=ignore] $SO $args mode=switch require=ad-switch:root
account  requisite pam_deny.so
account  required pam_permit.so"
ns_file "$T/pam.d/ad-any" 0644 "account  required $SO $args mode=switch require=ad-any:*
account  required pam_permit.so"
ns_file "$T/pam.d/ad-short" 0644 "account  required $SO $args mode=login require=*:* wait=1
account  required pam_permit.so"
ns_must "bind /etc/pam.d" ns_bind "$T/pam.d" /etc/pam.d

mkdir -p "$T/home/alice/.config/approverd"
cp "$T/keys/alice.key" "$T/home/alice/.config/approverd/alice.key"
chown -R alice:alice "$T/home/alice/.config"
vote() { # user approve|deny ID [args]
	_u=$1; shift
	as_user "$_u" "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" "$@" --yes
}
ev() { grep -F "\"id\":\"$1\"" "$DL_EVIDENCE"; }
req_id() { grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' "$1" | head -n 1; }
pending_in() { grep -q 'needs approval: request R-' "$1"; }
requests() { grep -c '"event":"request"' "$DL_EVIDENCE"; }
bg() { # name command-string (run as root on a pty)
	script -qefc "$2" /dev/null >"$T/$1.out" 2>&1 &
	BG=$!
}
bg_wait() {
	wait_for 40 sh -c "! kill -0 $1 2>/dev/null"
	wait "$1"
}

# ---- 1. both phases of a login service: held, approved, granted
for phase in acct_mgmt authenticate; do
	bg "$phase" "pamtester -v ad-login ai-deploy $phase"
	tap_ok "$phase: ai-deploy held (pending message)" wait_for 10 pending_in "$T/$phase.out"
	ID=$(req_id "$T/$phase.out")
	tap_nok "$phase: not granted while pending" grep -q "successfully" "$T/$phase.out"
	tap_like "$(ev "$ID" | grep '"event":"request"')" '"service":"ad-login".*"runas":"ai-deploy"' \
		"$phase: evidence names service and target"
	vote alice approve "$ID" >/dev/null 2>&1
	tap_is "$?" 0 "$phase: alice approves $ID"
	bg_wait "$BG"; rc=$?
	tap_is "$rc" 0 "$phase: pamtester succeeds after the approval"
	tap_like "$(cat "$T/$phase.out")" "approved by alice" "$phase: message says who approved"
done

# ---- 2. denial ends in failure of the phase
bg deny "pamtester -v ad-login ai-deploy acct_mgmt"
ns_must "deny: pending" wait_for 10 pending_in "$T/deny.out"
ID=$(req_id "$T/deny.out")
vote alice deny "$ID" --reason "no logins today" >/dev/null 2>&1
bg_wait "$BG"; rc=$?
tap_isnt "$rc" 0 "denied: acct_mgmt fails"
tap_like "$(cat "$T/deny.out")" "denied.*no logins today" "denied: reason shown"

# ---- 3. humans: immediate, no request
n0=$(requests)
out=$(pamtester ad-login dave acct_mgmt authenticate 2>&1); rc=$?
tap_is "$rc" 0 "human dave: account and auth pass at once"
tap_is "$(requests)" "$n0" "human dave: no request made"

# ---- 4. switch service: PAM_RUSER and the login uid name the initiator
ns_client_conf 0 "$DL_SOCK"
out=$(pamtester -I ruser=ai-deploy ad-switch root acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "switch: PAM_RUSER=ai-deploy to root is gated ([success=1 ignore=1] + pam_deny)"
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
tap_like "$(ev "$ID" | grep '"event":"request"')" '"requester":"ai-deploy"' "switch: requester from PAM_RUSER"
out=$(pamtester -I ruser=dave ad-switch root acct_mgmt 2>&1); rc=$?
tap_is "$rc" 0 "switch: PAM_RUSER=dave passes (ignore=1 skips pam_deny)"
out=$(AS_LOGINUID=2001 as_user root pamtester ad-switch root authenticate 2>&1); rc=$?
tap_isnt "$rc" 0 "switch: root inside ai-deploy's login session is gated (login uid)"
out=$(pamtester -I ruser=ai-deploy ad-switch dave acct_mgmt 2>&1); rc=$?
tap_is "$rc" 0 "switch: target dave is not in require=: passes"

# ---- 5. wait= lowers the wait; no decision means refusal
ns_client_conf 300 "$DL_SOCK"
t0=$(date +%s)
out=$(pamtester ad-short ai-deploy acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "wait=1 module argument: refused when nobody decides"
tap_ok "wait=1 lowered the configured 300s" [ $(( $(date +%s) - t0 )) -lt 20 ]
tap_like "$out" "within 1s; it stays pending" "timeout message"

# ---- 6. a non-root caller cannot create requests: refused, not bypassed
out=$(as_user ai-deploy pamtester ad-short ai-deploy acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "pamtester run by ai-deploy itself (uid != 0): refused"
tap_like "$out" "refusing" "…with a message"

# ---- 7. control characters in a target name are escaped in syslog
esc=$(printf 'no\033[31mbody\tx')
out=$(pamtester -I ruser=ai-deploy ad-any "$esc" acct_mgmt 2>&1); rc=$?
tap_isnt "$rc" 0 "target with control characters (no such user): refused"
tap_ok "syslog: the name is escaped" syslog_wait 'ad-any as no\\x1b\[31mbody\\tx'
tap_nok "syslog: no raw ESC byte" grep -q "$(printf '\033')" "$NS_SYSLOG"
tap_unlike "$out" "$(printf '\033')" "the conversation message has no raw ESC byte"

tap_done
