#!/bin/sh
# t_pam_su.sh — the real setuid su (util-linux) with pam_approverd.so in the
# account stack of a bind-mounted /etc/pam.d/su, against a real approverd:
# ai-deploy's `su -c id root` is held, approved by alice from another
# process, then runs id as root; denial; wait = 0 and the identical re-run;
# the human dave untouched (no request, daemon down or not); targets outside
# require= untouched; group members gated; daemon down refuses the AI
# account; a hostile environment changes nothing; syslog (LOG_AUTHPRIV).
#
# The test stack authenticates with pam_permit (no passwords exist in the
# namespace): approverd's account-phase gate is what is under test.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

SO=$APPROVERD_BUILD/pam_approverd.so
ns_must "module built" test -f "$SO"
ns_must "approverd built" test -x "$DL_BIN"
ns_must "approverctl built" test -x "$DL_CTL"
ns_must "su exists" test -x /bin/su
ns_must users ns_users
ns_must devlog ns_devlog
# A private devpts instance, so that unprivileged users get a pty (script(1))
# inside the namespace: the bind-mounted host /dev/ptmx cannot find its pts.
pty_setup() {
	umount /dev/ptmx 2>/dev/null; rm -f /dev/ptmx
	umount /dev/pts 2>/dev/null
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts &&
		ln -s pts/ptmx /dev/ptmx
}
ns_must "private devpts" pty_setup

dl_setup
ns_must "alice's key" dl_key alice alice
ns_must "bob's key" dl_key bob bob
ns_must "daemon starts" dl_start
ns_must "client config" ns_client_conf 30 "$DL_SOCK"

# /etc/pam.d/su (and su-l) inside the namespace only.
mkdir -p "$T/pam.d" && cp -a /etc/pam.d/. "$T/pam.d/"
su_stack="auth     sufficient pam_rootok.so
auth     required   pam_permit.so
account  required   $SO config=$T/approverd.conf
account  required   pam_permit.so
session  required   pam_permit.so"
ns_file "$T/pam.d/su" 0644 "$su_stack"
ns_file "$T/pam.d/su-l" 0644 "$su_stack"
ns_must "bind /etc/pam.d" ns_bind "$T/pam.d" /etc/pam.d

for u in alice bob; do
	mkdir -p "$T/home/$u/.config/approverd"
	cp "$T/keys/$u.key" "$T/home/$u/.config/approverd/$u.key"
	chown -R "$u:$u" "$T/home/$u/.config"
done
vote() { # user approve|deny ID [args]
	_u=$1; shift
	as_user "$_u" "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" "$@" --yes
}
ev() { grep -F "\"id\":\"$1\"" "$DL_EVIDENCE"; }
ev_events() { ev "$1" | sed -n 's/.*"event":"\([a-z_]*\)".*/\1/p' | tr '\n' ' '; }
req_id() { grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' "$1" | head -n 1; }
pending_in() { grep -q 'needs approval: request R-' "$1"; }
requests() { grep -c '"event":"request"' "$DL_EVIDENCE"; }
# su's conversation prints PAM_TEXT_INFO through stdio on stdout: on a file
# that is flushed only at exit, so background runs get a pty from script(1),
# as an agent's terminal would.
ai_bg() { # name user command-string
	as_user "$2" script -qefc "$3" /dev/null >"$T/$1.out" 2>&1 &
	BG=$!
}
bg_wait() {
	wait_for 40 sh -c "! kill -0 $1 2>/dev/null"
	wait "$1"
}

# ---- 1. held in the account phase, approved by alice, then runs id as root
ai_bg s1 ai-deploy 'su -c "id -u; id -un" root'
tap_ok "ai-deploy su -c: held (pending message)" wait_for 10 pending_in "$T/s1.out"
ID=$(req_id "$T/s1.out")
tap_unlike "$(cat "$T/s1.out")" "^0$" "held: id has not run yet"
tap_like "$(cat "$T/s1.out")" "an approver runs: approverctl approve $ID" "message has the approve command"
tap_like "$(cat "$T/s1.out")" "required: " "message says what is required"
tap_like "$(ev "$ID" | grep '"event":"request"')" '"service":"su"' "evidence: service su"
tap_like "$(ev "$ID" | grep '"event":"request"')" '"requester":"ai-deploy"' "evidence: requester ai-deploy"
tap_like "$(ev "$ID" | grep '"event":"request"')" '"runas":"root"|"runas_user":"root"' "evidence: target root"
tap_like "$(ev "$ID" | grep '"event":"request"')" '"-c","id -u; id -un"' "evidence: the su -c command"
out=$(vote alice approve "$ID" 2>&1); rc=$?
tap_is "$rc" 0 "alice approves $ID from another process"
bg_wait "$BG"; rc=$?
tap_is "$rc" 0 "su exits 0 after the approval"
tap_like "$(tr -d '\r' <"$T/s1.out")" "^0$" "id ran as uid 0"
tap_like "$(tr -d '\r' <"$T/s1.out")" "^root$" "id ran as root"
tap_like "$(cat "$T/s1.out")" "approved by alice" "su shows who approved"
tap_is "$(ev_events "$ID")" "request approval approved consume " \
	"evidence: request → approval → approved → consume"

# ---- 2. the human dave: untouched, no request
n0=$(requests)
out=$(as_user dave su -c "id -un" root 2>&1); rc=$?
tap_is "$rc/$(printf '%s\n' "$out" | tail -n 1)" "0/root" "human dave su -c: runs at once"
tap_unlike "$out" "approverd" "dave sees no approverd message"
tap_is "$(requests)" "$n0" "dave's su made no request"

# ---- 3. denied by alice
ai_bg s3 ai-deploy 'su -c "echo should-not-run" root'
ns_must "deny: pending" wait_for 10 pending_in "$T/s3.out"
ID=$(req_id "$T/s3.out")
vote alice deny "$ID" --reason "not now" >/dev/null 2>&1
tap_is "$?" 0 "alice denies $ID"
bg_wait "$BG"; rc=$?
tap_isnt "$rc" 0 "denied: su fails"
tap_unlike "$(cat "$T/s3.out")" "^should-not-run" "denied: the command did not run"
tap_like "$(cat "$T/s3.out")" "denied.*not now" "denied: the reason is shown"

# ---- 4. wait = 0: refused with the id; identical re-run after approval
ns_client_conf 0 "$DL_SOCK"
out=$(as_user ai-deploy su -c "echo w0-ran" root 2>&1); rc=$?
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
tap_isnt "$rc" 0 "wait=0: refused at once"
tap_like "$out" "re-run the identical command after $ID" "wait=0: says to re-run after approval"
vote alice approve "$ID" >/dev/null 2>&1
tap_is "$?" 0 "wait=0: alice approves $ID"
out=$(as_user ai-deploy su -c "echo other" root 2>&1); rc=$?
tap_isnt "$rc" 0 "approval does not cover another su -c command"
out=$(as_user ai-deploy su -c "echo w0-ran" root 2>&1); rc=$?
tap_is "$rc" 0 "identical re-run after the approval: allowed"
tap_like "$out" "^w0-ran$" "identical re-run: the command ran"
out=$(as_user ai-deploy su -c "echo w0-ran" root 2>&1); rc=$?
tap_isnt "$rc" 0 "the approval was single-use"

# ---- 5. targets outside require= (default su:root, pkexec:root) and groups
n0=$(requests)
out=$(as_user ai-deploy su -c "id -un" dave 2>&1); rc=$?
tap_is "$rc/$(printf '%s\n' "$out" | tail -n 1)" "0/dave" "su to dave is not in require=: untouched"
tap_is "$(requests)" "$n0" "…and made no request"
out=$(as_user ai-ops su -c "id -un" root 2>&1); rc=$?
tap_isnt "$rc" 0 "ai-ops (group ai-agents) is gated too"
tap_like "$out" "needs approval" "ai-ops gets the pending message"

# ---- 6. login uid: a human's su from an AI session is gated (sponsor)
out=$(AS_LOGINUID=2001 as_user dave su -c "id -un" root 2>&1); rc=$?
tap_isnt "$rc" 0 "dave's su inside ai-deploy's login session is gated"
ID=$(printf '%s\n' "$out" | req_id /dev/stdin)
tap_like "$(ev "$ID" | grep '"event":"request"')" '"requester":"ai-deploy"' "…requester is the AI login uid"

# ---- 7. hostile environment changes nothing
ns_client_conf 30 "$DL_SOCK"
ai_bg s7 ai-deploy 'env HOME=/nonexistent XDG_CONFIG_HOME=/tmp XDG_RUNTIME_DIR=/tmp \
	TMPDIR=/nonexistent LD_PRELOAD=/nonexistent.so LD_LIBRARY_PATH=/tmp \
	http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
	APPROVERD_WAIT=5 su -c "echo hostile-ran" root'
tap_ok "hostile env: still held" wait_for 10 pending_in "$T/s7.out"
bg_wait "$BG"; rc=$?
tap_isnt "$rc" 0 "hostile env: refused when nobody approves (APPROVERD_WAIT=5 lowered the wait)"
tap_unlike "$(cat "$T/s7.out")" "^hostile-ran" "hostile env: nothing ran"

# ---- 8. a signal during the wait withdraws the request. SIGTERM: a
# background job of a non-interactive shell starts with SIGINT ignored, and
# the module keeps a signal the host ignores ignored (on a terminal, Ctrl-C
# is caught the same way).
ai_bg s8 ai-deploy 'su -c "echo int-ran" root'
ns_must "int: pending" wait_for 10 pending_in "$T/s8.out"
ID=$(req_id "$T/s8.out")
kill -TERM "$(pgrep -n -x su)"
bg_wait "$BG"; rc=$?
tap_isnt "$rc" 0 "SIGTERM during the wait: su fails"
tap_ok "SIGTERM: request withdrawn (evidence)" wait_for 5 sh -c "grep -F '\"id\":\"$ID\"' '$DL_EVIDENCE' | grep -q '\"event\":\"withdraw\"'"

# ---- 9. syslog: LOG_AUTHPRIV lines from the module
tap_ok "syslog: authpriv line for the approved su" syslog_wait '^<8[0-7]>.*su as root by ai-deploy: allowed'
tap_ok "syslog: authpriv line for a refusal" syslog_wait '^<8[0-7]>.*su as root by ai-deploy: refused'

# ---- 10. daemon down: AI refused, human unaffected
dl_stop
out=$(as_user ai-deploy su -c "echo down-ran" root 2>&1); rc=$?
tap_isnt "$rc" 0 "daemon down: ai-deploy refused"
tap_like "$out" "not reachable" "daemon down: the message says so"
tap_unlike "$out" "^down-ran" "daemon down: nothing ran"
out=$(as_user dave su -c "id -un" root 2>&1); rc=$?
tap_is "$rc/$(printf '%s\n' "$out" | tail -n 1)" "0/root" "daemon down: dave's su still works"

# ---- 11. unreadable config: every non-root caller refused, naming the file
chmod 0666 "$T/approverd.conf"
out=$(as_user dave su -c "id -un" root 2>&1); rc=$?
tap_isnt "$rc" 0 "world-writable config: dave refused too"
tap_like "$out" "$T/approverd.conf" "…the message names the file"
out=$(su -c "id -un" dave 2>&1); rc=$?
tap_is "$rc" 0 "…root still passes"
chmod 0644 "$T/approverd.conf"

tap_done
