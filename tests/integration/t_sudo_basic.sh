#!/bin/sh
# t_sudo_basic.sh — sudo_approverd.so in the real setuid sudo, without a
# daemon: exported symbols, the human fast path (no daemon contact, -l/-v/-k
# untouched), fail-closed refusals for AI subjects (socket missing, daemon
# down, broken config), NOPASSWD still held, bad plugin options, escaping.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"

SO=$APPROVERD_BUILD/sudo_approverd.so
ns_must "plugin built ($SO)" test -f "$SO"

# 1. only the two plugin structs are exported
syms=$(nm -D --defined-only "$SO" | awk '{print $3}' | sort | tr '\n' ' ')
tap_is "$syms" "approverd_approval approverd_audit " \
	"nm -D --defined-only shows only the two plugin symbols"

ns_must users ns_users
ns_must devlog ns_devlog
ns_must sudo ns_sudo "dave ALL=(ALL) NOPASSWD: ALL
alice ALL=(ALL) ALL
ai-deploy ALL=(ALL) NOPASSWD: ALL
ai-ops ALL=(ALL) NOPASSWD: ALL"
SOCK=$T/run/approverd.sock
write_conf() {
	ns_file "$T/approverd.conf" 0644 "[subjects]
users = ai-deploy
groups = ai-agents

[client]
socket = $SOCK
wait = 0"
}
write_conf
chmod 0777 "$T/home/dave" "$T/home/ai-deploy" "$T/home/ai-ops"

# 2. human, daemon absent: runs, quickly, nothing on stderr
t0=$(date +%s)
out=$(as_user dave sudo -n sh -c 'id -u; touch "$0"' "$T/home/dave/ran" 2>"$T/err"); rc=$?
tap_is "$rc/$out" "0/0" "human dave runs sudo with the daemon absent"
tap_ok "human's command really ran" test -f "$T/home/dave/ran"
tap_is "$(cat "$T/err")" "" "human gets no approverd message"
tap_ok "human is not slowed down (< 3s)" [ $(( $(date +%s) - t0 )) -lt 3 ]

# 3. -l / -v / -k untouched for humans and AI subjects alike
out=$(as_user dave sudo -n -l 2>&1); rc=$?
tap_is "$rc" 0 "sudo -l exits 0 for a human"
tap_like "$out" "NOPASSWD: ALL" "sudo -l lists the human's rules"
out=$(as_user ai-deploy sudo -n -l 2>&1); rc=$?
tap_is "$rc" 0 "sudo -l exits 0 for an AI subject (no approval needed)"
tap_like "$out" "NOPASSWD: ALL" "sudo -l lists the AI subject's rules"
as_user ai-deploy sudo -n -v >/dev/null 2>&1
tap_is "$?" 0 "sudo -v works for an AI subject"
as_user ai-deploy sudo -k >/dev/null 2>&1
tap_is "$?" 0 "sudo -k works for an AI subject"

# 4. a human never contacts the daemon: a listener that records connects
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept()
    open(sys.argv[2], "a").write("connect\n")
    conns = [c]
' "$SOCK" "$T/connects" &
ns_track_pid $!
ns_must "recording listener" wait_for 5 test -S "$SOCK"
: >"$T/connects"
out=$(as_user dave sudo -n true 2>&1); rc=$?
tap_is "$rc" 0 "human runs while a (silent) daemon socket exists"
tap_is "$(wc -l <"$T/connects" | tr -d ' ')" 0 "human's sudo made no connection to the daemon socket"
out=$(as_user ai-deploy env APPROVERD_WAIT=0 sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "AI subject against a silent daemon is refused (timeout)"
tap_ok "AI subject's sudo did connect" [ "$(wc -l <"$T/connects")" -ge 1 ]
kill "$(tail -n 1 "$T/.pids")" 2>/dev/null
rm -f "$SOCK"

# 5. AI subject, socket missing: refused, says why, command not run
out=$(as_user ai-deploy sudo -n sh -c 'touch "$0"' "$T/home/ai-deploy/ran" 2>"$T/err"); rc=$?
err=$(cat "$T/err")
tap_isnt "$rc" 0 "AI subject refused when the socket is missing"
tap_nok "AI subject's command did not run" test -e "$T/home/ai-deploy/ran"
tap_like "$err" "cannot reach the approval daemon at $SOCK" "refusal names the socket"
tap_is "$out" "" "refusal message goes to stderr, stdout stays clean"

# 6. group member (ai-agents) is an AI subject too; NOPASSWD does not help
out=$(as_user ai-ops sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "ai-ops (group ai-agents, NOPASSWD) is held"
tap_like "$out" "approverd" "ai-ops gets the approverd message"

# 7. daemon down: a stale socket file with no listener
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
tap_ok "stale socket file present" test -S "$SOCK"
out=$(as_user ai-deploy sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "AI subject refused when the daemon is down (stale socket)"
tap_like "$out" "not reachable|cannot reach" "refusal says the daemon is not reachable"
out=$(as_user dave sudo -n id -u 2>&1); rc=$?
tap_is "$rc/$out" "0/0" "human fine while the daemon is down"
rm -f "$SOCK"

# 8. broken client config: every non-root caller refused naming the file;
#    root still runs (DESIGN.md §4.2)
chmod 0666 "$T/approverd.conf"
out=$(as_user ai-deploy sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "AI subject refused with a world-writable config"
tap_like "$out" "$T/approverd.conf: world-writable" "message names the config file and the problem"
out=$(as_user dave sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "non-root human refused too: the plugin cannot tell who is an AI"
tap_like "$out" "$T/approverd.conf" "human's message names the config file"
out=$(sudo -n id -u 2>&1); rc=$?
tap_is "$rc/$out" "0/0" "root still runs with a broken config"
tap_ok "broken config logged to syslog" syslog_wait "sudo_approverd: user=dave: cannot read client config: $T/approverd.conf"
rm -f "$T/approverd.conf"
out=$(as_user ai-deploy sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "AI subject refused with a missing config"
tap_like "$out" "$T/approverd.conf" "missing config named"
ln -s /etc/hostname "$T/approverd.conf"
out=$(as_user ai-deploy sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "AI subject refused with a symlinked config"
rm -f "$T/approverd.conf"
write_conf
printf '[subjects]\nusers = ai-deploy\nbogus = 1\n' >"$T/approverd.conf"
out=$(as_user ai-deploy sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "AI subject refused with an unparsable config"
tap_like "$out" "approverd.conf:3" "parse error names file and line"
write_conf

# 9. a bad plugin option: sudo refuses everything (open() returns -1, never 0)
ns_file "$T/etc/sudo.conf" 0644 "Plugin sudoers_policy sudoers.so
Plugin sudoers_io sudoers.so
Plugin sudoers_audit sudoers.so
Plugin approverd_approval $SO config=relative/path
Plugin approverd_audit $SO"
out=$(as_user dave sudo -n true 2>&1); rc=$?
tap_isnt "$rc" 0 "bad plugin option: sudo refuses instead of dropping the plugin"
tap_like "$out" "bad option 'config=relative/path'" "message names the bad option"
ns_file "$T/etc/sudo.conf" 0644 "Plugin sudoers_policy sudoers.so
Plugin sudoers_io sudoers.so
Plugin sudoers_audit sudoers.so
Plugin approverd_approval $SO config=$T/approverd.conf
Plugin approverd_audit $SO"

# 10. sudo -V shows the plugin's version (open/show_version/close path)
out=$(sudo -V 2>&1); rc=$?
tap_is "$rc" 0 "sudo -V works with the plugin loaded"
tap_like "$out" "approverd approval and audit plugin version [0-9]" "sudo -V shows the plugin version"

# 11. control characters in argv and APPROVERD_REASON are escaped in syslog
as_user ai-deploy env "APPROVERD_REASON=why
FORGED: line" sudo -n /bin/echo "a
b" "$(printf 'c\033[2Jd')" >/dev/null 2>&1
tap_ok "refusal with control characters logged" syslog_wait 'sudo_approverd: user=ai-deploy id=- decision=refuse command=/bin/echo'
line=$(grep 'decision=refuse command=/bin/echo' "$NS_SYSLOG")
tap_like "$line" 'argv="/bin/echo a\\nb c\\x1b\[2Jd"' "argv escaped in the plugin's syslog line"
tap_like "$line" 'reason="why\?FORGED: line"' "APPROVERD_REASON sanitized in syslog"
tap_nok "no forged syslog line" grep -q '^FORGED' "$NS_SYSLOG"
tap_nok "no raw escape byte in syslog" grep -q "$(printf '\033')" "$NS_SYSLOG"

tap_done
