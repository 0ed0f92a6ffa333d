#!/bin/sh
# t_sudo_faults.sh — the real setuid sudo with sudo_approverd.so against a
# hostile daemon (tests/helpers/evil_server): every malformed, truncated,
# oversized, inconsistent or silent answer refuses the AI subject's command
# (DESIGN.md §4.2), a human never contacts the socket, and the control mode
# "approve" shows the same harness can let a command through.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"

EVIL=$APPROVERD_BUILD/tests/helpers/evil_server
ns_must "evil_server built ($EVIL)" test -x "$EVIL"
ns_must "plugin built" test -f "$APPROVERD_BUILD/sudo_approverd.so"
ns_must users ns_users
ns_must devlog ns_devlog
ns_must sudo ns_sudo "ai-deploy ALL=(ALL) NOPASSWD: ALL
dave ALL=(ALL) NOPASSWD: ALL"
SOCK=$T/run/evil.sock
ns_client_conf 3 "$SOCK"
: >"$T/ran.log"; chmod 0666 "$T/ran.log"

evil_start() { # mode
	rm -f "$SOCK" "$T/evil.log"
	"$EVIL" "$SOCK" "$1" "$T/evil.log" 2>>"$T/evil.err" &
	EVIL_PID=$!
	ns_track_pid "$EVIL_PID"
	wait_for 5 test -S "$SOCK"
}
evil_stop() {
	kill "$EVIL_PID" 2>/dev/null
	wait "$EVIL_PID" 2>/dev/null
}

for mode in silent close garbage badjson wrongver huge zero truncated \
	badstate noid denied pending pending-close wrongid stillpending \
	noconsume consumedenied; do
	ns_must "evil_server $mode listening" evil_start "$mode"
	t0=$(date +%s)
	out=$(as_user ai-deploy sudo -n /bin/sh -c 'echo "$0" >>"$1"' "$mode" "$T/ran.log" 2>&1)
	rc=$?
	tap_isnt "$rc" 0 "$mode: AI subject refused"
	tap_nok "$mode: command did not run" grep -qx "$mode" "$T/ran.log"
	tap_like "$out" "approverd: " "$mode: refusal explained"
	tap_ok "$mode: refused within the bounds (< 15s)" [ $(( $(date +%s) - t0 )) -lt 15 ]
	evil_stop
done

# Control: the same harness can say yes, so the refusals above mean something.
ns_must "evil_server approve listening" evil_start approve
out=$(as_user ai-deploy sudo -n /bin/sh -c 'echo "$0" >>"$1"' control "$T/ran.log" 2>&1)
tap_is "$?" 0 "control (approve): the command runs"
tap_ok "control: command ran" grep -qx control "$T/ran.log"
tap_like "$(cat "$T/evil.log")" "op consume" "control: the plugin consumed the approval"
evil_stop

# A human never talks to the daemon, whatever is listening.
ns_must "evil_server silent listening" evil_start silent
out=$(as_user dave sudo -n /bin/sh -c 'echo "$0" >>"$1"' human "$T/ran.log" 2>&1)
tap_is "$?" 0 "human runs while a silent daemon listens"
tap_is "$(cat "$T/evil.log" 2>/dev/null)" "" "human's sudo sent nothing to the socket"
evil_stop

# SIGINT during a wait withdraws the request (the op reaches the daemon).
ns_client_conf 30 "$SOCK"
ns_must "evil_server pending listening" evil_start pending
as_user ai-deploy sudo -n /bin/sh -c 'echo "$0" >>"$1"' sigint "$T/ran.log" >"$T/sig.out" 2>&1 &
bg=$!
ns_must "sudo waiting" wait_for 10 grep -q "waiting up to" "$T/sig.out"
pkill -INT -f "^sudo -n /bin/sh -c .* sigint $T/ran.log\$"
wait_for 10 sh -c "! kill -0 $bg 2>/dev/null"
wait "$bg"
tap_is "$?" 1 "SIGINT while waiting: refused"
tap_ok "SIGINT: the plugin sent withdraw" wait_for 5 grep -q "op withdraw" "$T/evil.log"
tap_nok "SIGINT: command did not run" grep -qx sigint "$T/ran.log"
evil_stop

tap_done
