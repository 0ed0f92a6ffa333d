#!/bin/sh
# t_pam_sshd.sh — a real OpenSSH server (Debian's /usr/sbin/sshd) on
# 127.0.0.1 and a free high port, with its own config, host key and
# authorized_keys under $T, and pam_approverd.so in the account stack of a
# bind-mounted /etc/pam.d/sshd: ai-deploy's public-key login is held in the
# account phase until alice approves, then runs its command; a denial
# refuses the login; the human dave logs in at once with no request.
#
# sshd buffers PAM_TEXT_INFO from the account phase (it shows it only with
# an interactive session), so the test finds the request id in the
# evidence file, as an approver would with `approverctl list`.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

SO=$APPROVERD_BUILD/pam_approverd.so
ns_must "module built" test -f "$SO"
ns_must "approverd built" test -x "$DL_BIN"
ns_must "sshd installed" test -x /usr/sbin/sshd
ns_must "ssh installed" test -x /usr/bin/ssh
ns_must users ns_users
ns_must devlog ns_devlog
dl_setup
ns_must "alice's key" dl_key alice alice
ns_must "daemon starts" dl_start
ns_must "client config" ns_client_conf 30 "$DL_SOCK"

# the server's files (lib.sh): /run private to us, keys, a free port
ns_must "sshd files and config" ns_sshd_files "LoginGraceTime 90
LogLevel VERBOSE
Subsystem sftp internal-sftp"
PORT=$NS_SSHD_PORT

mkdir -p "$T/pam.d" && cp -a /etc/pam.d/. "$T/pam.d/"
ns_file "$T/pam.d/sshd" 0644 "auth     required pam_deny.so
account  required $SO config=$T/approverd.conf require=sshd:*
account  required pam_permit.so
session  required pam_permit.so"
ns_must "bind /etc/pam.d" ns_bind "$T/pam.d" /etc/pam.d

ns_must "sshd listens on 127.0.0.1:$PORT" ns_sshd_start

mkdir -p "$T/home/alice/.config/approverd"
cp "$T/keys/alice.key" "$T/home/alice/.config/approverd/alice.key"
chown -R alice:alice "$T/home/alice/.config"
vote() { # user approve|deny ID [args]
	_u=$1; shift
	as_user "$_u" "$DL_CTL" -c "$DL_CONF" -S "$DL_SOCK" "$@" --yes
}
ev() { grep -F "\"id\":\"$1\"" "$DL_EVIDENCE"; }
requests() { grep -c '"event":"request"' "$DL_EVIDENCE"; }
# Id of the newest pending sshd request of ai-deploy (after $1 requests).
new_sshd_id() { # count-before
	grep '"event":"request"' "$DL_EVIDENCE" | tail -n +"$(( $1 + 1 ))" |
		grep '"service":"sshd"' | grep -o '"id":"R-[0-9A-F-]*"' |
		head -n 1 | cut -d'"' -f4
}
has_new_request() { [ -n "$(new_sshd_id "$1")" ]; }
ssh_as() { # user command...
	_u=$1; shift
	as_user "$_u" ssh -i "$T/home/$_u/id" -p "$PORT" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout=60 "$_u@127.0.0.1" "$@"
}
bg_wait() {
	wait_for 60 sh -c "! kill -0 $1 2>/dev/null"
	wait "$1"
}

# ---- 1. the human dave: logs in at once, no request
n0=$(requests)
out=$(ssh_as dave id -un 2>&1); rc=$?
tap_is "$rc/$out" "0/dave" "human dave: public-key login runs at once"
tap_is "$(requests)" "$n0" "human dave: no request"

# ---- 2. ai-deploy: held in the account phase, approved, runs
n0=$(requests)
ssh_as ai-deploy id -un >"$T/a.out" 2>&1 &
BG=$!
tap_ok "ai-deploy: login held (pending request in the evidence)" wait_for 15 has_new_request "$n0"
ID=$(new_sshd_id "$n0")
tap_ok "ai-deploy: still held while pending" kill -0 "$BG"
tap_like "$(ev "$ID" | grep '"event":"request"')" '"requester":"ai-deploy".*"runas":"ai-deploy"' \
	"evidence: requester and target ai-deploy"
tap_like "$(ev "$ID" | grep '"event":"request"')" '"rhost":"127.0.0.1"' "evidence: rhost 127.0.0.1"
vote alice approve "$ID" >/dev/null 2>&1
tap_is "$?" 0 "alice approves $ID"
bg_wait "$BG"; rc=$?
tap_is "$rc" 0 "ai-deploy: ssh exits 0 after the approval"
tap_like "$(cat "$T/a.out")" "^ai-deploy$" "ai-deploy: the command ran"

# ---- 3. denied: the login is refused
n0=$(requests)
ssh_as ai-deploy echo should-not-run >"$T/d.out" 2>&1 &
BG=$!
ns_must "deny: pending" wait_for 15 has_new_request "$n0"
ID=$(new_sshd_id "$n0")
vote alice deny "$ID" --reason "no ssh now" >/dev/null 2>&1
tap_is "$?" 0 "alice denies $ID"
bg_wait "$BG"; rc=$?
tap_isnt "$rc" 0 "denied: ssh fails"
tap_unlike "$(cat "$T/d.out")" "should-not-run" "denied: the command did not run"
tap_ok "sshd logged the account refusal" grep -q "Access denied for user ai-deploy by PAM account configuration" "$T/sshd.log"

# ---- 4. wait = 0: refused at once; the identical re-login after approval
ns_client_conf 0 "$DL_SOCK"
n0=$(requests)
out=$(ssh_as ai-deploy id -un 2>&1); rc=$?
tap_isnt "$rc" 0 "wait=0: login refused at once"
ID=$(new_sshd_id "$n0")
tap_isnt "$ID" "" "wait=0: a request was recorded"
vote alice approve "$ID" >/dev/null 2>&1
tap_is "$?" 0 "wait=0: alice approves $ID"
out=$(ssh_as ai-deploy id -un 2>&1); rc=$?
tap_is "$rc/$out" "0/ai-deploy" "wait=0: the re-login after approval works"

# ---- 5. daemon down: the AI login is refused, the human's is not
dl_stop
out=$(ssh_as ai-deploy id -un 2>&1); rc=$?
tap_isnt "$rc" 0 "daemon down: ai-deploy refused"
out=$(ssh_as dave id -un 2>&1); rc=$?
tap_is "$rc/$out" "0/dave" "daemon down: dave still logs in"

tap_done
