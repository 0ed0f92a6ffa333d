#!/bin/sh
# Review (docs/REVIEW.md, finding R9), adapted to the fix: (1) an AI subject's
# sudo of a script it can write is refused up front, naming the file, and no
# request is created, so nothing can be swapped during a wait; (2) belt and
# braces: a trusted (root-owned) file whose content changes during the wait
# (only root can do that) is re-hashed after the approval and refused.
# Real setuid sudo + plugin, real daemon, approval from approverctl.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

ns_must "plugin built" test -f "$APPROVERD_BUILD/sudo_approverd.so"
ns_must users ns_users
ns_must devlog ns_devlog
ns_must sudo ns_sudo "ai-deploy ALL=(ALL) NOPASSWD: ALL"
dl_setup "[role sre]
members = alice, bob

[default]
require = 1 sre"
ns_must "alice's key" dl_key alice alice
ns_must "daemon starts" dl_start
ns_must "client config" ns_client_conf 30 "$DL_SOCK"

: >"$T/ran.log"; chmod 0666 "$T/ran.log"
JOB=$T/home/ai-deploy/job.sh
# shellcheck disable=SC2016 # $(id -u) is for the script
printf '#!/bin/sh\necho "v1 uid=$(id -u)" >>%s\n' "$T/ran.log" >"$JOB"
chown ai-deploy:ai-deploy "$JOB"; chmod 0755 "$JOB"
n0=$(grep -c '"event":"request"' "$DL_EVIDENCE" 2>/dev/null || true)
out=$(as_user ai-deploy sudo -n "$JOB" 2>&1); rc=$?
tap_isnt "$rc" 0 "R9: sudo of a script ai-deploy can write is refused"
tap_like "$out" "refusing: $T/home/ai-deploy: directory owned by uid [0-9]*, not root .an AI subject.s command must be a root-owned file" "R9: the message names the file and why"
tap_unlike "$(cat "$T/ran.log")" 'uid=0' "R9: the agent-writable script did not run as root"
tap_is "$(grep -c '"event":"request"' "$DL_EVIDENCE" 2>/dev/null || true)" "$n0" \
	"R9: no request was created for it"

# belt and braces: a root-owned script changed during the wait
mkdir -p "$T/rbin"; chmod 0755 "$T/rbin"
RJOB=$T/rbin/job.sh
printf '#!/bin/sh\necho "r1 uid=$(id -u)" >>%s\n' "$T/ran.log" >"$RJOB"; chmod 0755 "$RJOB"
v1hash=$(b2sum -l 256 "$RJOB" | cut -d' ' -f1)
as_user ai-deploy sudo -n "$RJOB" >"$T/s.out" 2>"$T/s.err" &
BG=$!
ns_track_pid "$BG"
tap_ok "setup: ai-deploy's sudo of a root-owned script is held" \
	wait_for 10 grep -q 'needs approval: request R-' "$T/s.err"
ID=$(grep -o 'R-[0-9A-F]\{4\}-[0-9A-F]\{4\}' "$T/s.err" | head -n 1)
tap_like "$(ctl show "$ID" --json)" "\"exe_hash\": *\"$v1hash\"" \
	"control: the request binds the BLAKE2b-256 of r1"
printf '#!/bin/sh\necho "r2-CHANGED uid=$(id -u)" >>%s\n' "$T/ran.log" >"$RJOB"
tap_like "$(ctl approve "$ID" -k "$T/keys/alice.key" --yes 2>&1)" "^$ID approved" "alice approves r1"
wait_for 40 sh -c "! kill -0 $BG 2>/dev/null"
wait "$BG"; rc=$?
tap_isnt "$rc" 0 "R9: changed after the approval: sudo refused"
tap_like "$(cat "$T/s.err")" "changed after the approval" "R9: ...and says so"
tap_unlike "$(cat "$T/ran.log")" 'r2-CHANGED uid=0' "R9: the changed content did not run as root"
tap_done
