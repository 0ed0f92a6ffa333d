#!/bin/sh
# Group commit across clients (issue 10; DESIGN.md §4.1; approverd/daemon/
# daemon.h): the operations of one event-loop pass share ONE fdatasync, and
# no client hears of anything before it. A real approverd on a real socket:
#  (a) 64 clients cycling create -> approve -> consume at once: the daemon
#      asks for fewer fdatasyncs than it writes records (health counters),
#      every acknowledged step is in the evidence, verify-log passes;
#  (b) two consumes of one single-use approval in the same pass: exactly
#      one is allowed, one `consume` record;
#  (c) two identical creates in the same pass: one request, one record;
#  (d) fdatasync fails during a pass of several clients (tests/shim/
#      iofault.so): every client of the pass gets an error, none is allowed,
#      nothing of the pass is in the file, the state after the rebuild and
#      after a restart equals the file, verify-log passes;
#  (e) a submit alone on its connection is checked on the verifier thread
#      and recorded in a later pass: the failed sync of the pass that read
#      it does not lose it;
#  (f) a client that closes while its token is checked: the vote counts.
# tests/helpers/gc_burst.py stops the daemon (SIGSTOP), writes all frames,
# resumes it: its next epoll_wait sees them together. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"

SHIM=$APPROVERD_BUILD/tests/shim/iofault.so
LOAD=$APPROVERD_BUILD/tests/helpers/attack_load
BURST="python3 $APPROVERD_TOP/tests/helpers/gc_burst.py"
ns_must "shim built ($SHIM; make all)" test -f "$SHIM"
ns_must "users" ns_users
ns_must "/dev/log" ns_devlog
DL_CKPT=100000 # no checkpoint sync inside the counted windows
# shellcheck disable=SC3045 # dash and bash both have ulimit -n
ulimit -n 8192 2>/dev/null
DL_CONF_EXTRA="max_connections = 1500
max_pending_per_requester = 4000
idle_timeout = 30s"
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
FCTL=$T/iofault.ctl
FCOUNT=$T/iofault.count
echo off >"$FCTL"
: >"$FCOUNT"
DL_ENV="LD_PRELOAD=$SHIM IOFAULT_PATH=$(realpath -m "$DL_EVIDENCE") IOFAULT_CTL=$FCTL IOFAULT_COUNT=$FCOUNT"
ns_must "daemon starts (iofault shim preloaded, off)" dl_start

KEY=$T/keys/alice.key
hfield() { adc health | grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$'; }
approve() { ctl approve "$1" -k "$KEY" --yes 2>&1; }
verify_log() {
	"$DL_CTL" verify-log --host-key "$DL_ETC/host.pub" "$DL_EVIDENCE" >/dev/null
}
# the `request` object of the evidence's record for id $1, with argv[2]
# set to $2 (a fresh command for the same requester)
req_json() {
	python3 - "$DL_EVIDENCE" "$1" "$2" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event") == "request" and r.get("id") == sys.argv[2]:
        q = r["request"]
        q["argv"][2] = sys.argv[3]
        q["command"] = " ".join(q["argv"])
        print(json.dumps({"v": 1, "op": "create", "request": q}))
        break
EOF
}
list_json() { # the requests as a sorted "ID STATE" list
	ctl list --all --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
rows = d["requests"] if isinstance(d, dict) else d
print("\n".join(sorted("%s %s" % (r["id"], r["state"]) for r in rows)))'
}

# ---- (a) 64 clients at once
s0=$(hfield evidence_syncs); r0=$(hfield evidence_records)
out=$("$LOAD" cycle "$DL_SOCK" "$KEY" 64 5 "$T/ack" 2>&1)
tap_like "$out" 'clients 64 cycles [1-9][0-9]* errors 0$' "64 clients: cycles done, no error ($out)"
s1=$(hfield evidence_syncs); r1=$(hfield evidence_records)
ds=$((s1 - s0)); dr=$((r1 - r0))
fewer() { [ "$ds" -gt 0 ] && [ "$ds" -lt "$dr" ]; }
tap_ok "64 clients: fewer fdatasyncs ($ds) than records ($dr)" fewer
acked=$(grep -c '^consumed ' "$T/ack")
awk '$1 == "consumed" {print $2}' "$T/ack" | sort -u >"$T/acked.ids"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event") == "consume":
        print(r["id"])' "$DL_EVIDENCE" | sort -u >"$T/consumed.ids"
missing=$(comm -23 "$T/acked.ids" "$T/consumed.ids" | wc -l)
tap_is "$missing" 0 "64 clients: each of the $acked acknowledged consumes has its consume record"
ncons=$(grep -c '"event":"consume"' "$DL_EVIDENCE")
enough() { [ "$ncons" -ge "$acked" ]; }
tap_ok "64 clients: consume records ($ncons) >= acknowledged consumes ($acked)" enough
tap_ok "64 clients: verify-log passes with the daemon running" verify_log

# ---- (b) two consumes of one single-use approval in ONE pass
id=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-b)")
tap_like "$(approve "$id")" "^$id approved" "(b) a request is approved (one use)"
s0=$(hfield evidence_syncs); r0=$(hfield evidence_records)
c='{"v":1,"op":"consume","id":"'$id'","pid":4242}'
out=$($BURST "$DL_SOCK" "$DL_PID" "$c" "$c")
s1=$(hfield evidence_syncs); r1=$(hfield evidence_records)
tap_is "$(printf '%s\n' "$out" | grep -c '"state": *"consumed"')" 1 "(b) exactly one consume succeeds"
tap_is "$(printf '%s\n' "$out" | grep -c '"error"')" 1 "(b) the other is refused"
tap_like "$out" 'is consumed, not approved' "(b) ...because the first one in the pass used it"
tap_is "$(dl_ev_count "\"event\":\"consume\".*\"id\":\"$id\"|\"id\":\"$id\".*\"event\":\"consume\"")" 1 \
	"(b) one consume record"
tap_is "$((s1 - s0)) $((r1 - r0))" "1 1" "(b) the pass took one fdatasync for its one record"

# ---- (c) two identical creates in ONE pass
cr=$(req_json "$id" nginx-c)
tap_like "$cr" '"op": "create"' "(c) a create frame was built from a recorded request"
s0=$(hfield evidence_syncs)
out=$($BURST "$DL_SOCK" "$DL_PID" "$cr" "$cr")
s1=$(hfield evidence_syncs)
tap_diag "(c) replies: $(printf '%s\n' "$out" | cut -c1-160 | tr '\n' ' ')"
ids=$(printf '%s\n' "$out" | grep -o '"id": *"R-[^"]*"' | sort -u | wc -l)
tap_is "$(printf '%s\n' "$out" | grep -c '"state": *"pending"')" 2 "(c) both creates answered pending"
tap_is "$ids" 1 "(c) ...with the same request id"
tap_is "$(dl_ev_count '"restart","nginx-c"')" 1 "(c) one request record"
tap_is "$((s1 - s0))" 1 "(c) one fdatasync for the pass"

# ---- (d) fdatasync fails during a pass of several clients
# A restart first, so that a signed snapshot exists (written at stop): the
# rebuild after the failed pass then starts from it, as a start does.
dl_stop
ns_must "daemon restarts before (d)" dl_start
ns_must "snapshot written at stop" test -s "$DL_EVIDENCE.snap"
w1=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-d)")
"$DL_ADC" -S "$DL_SOCK" wait -T 60000 "$w1" >"$T/w" 2>&1 &
wpid=$!
ns_track_pid "$wpid"
wait_for 5 grep -q "^waiting $w1" "$T/w"
# a token approving w1, submitted in the failing pass
tok=$(ctl show "$w1" --json | ctl sign -k "$KEY" --yes 2>/dev/null)
tap_like "$tok" '.' "(d) a token for the parked request was signed"
size=$(stat -c %s "$DL_EVIDENCE")
before=$(list_json)
n=$(wc -l <"$FCOUNT")
set --
for i in 1 2 3 4 5 6; do set -- "$@" "$(req_json "$id" "nginx-d$i")"; done
echo "fsync 1" >"$FCTL" # ONE failed sync: all 8 in that pass
# The submit is pipelined with a status on its connection, so the daemon
# checks it inline, in this pass (alone, it would go to the verifier thread
# and be recorded in a later pass: case (e)).
out=$($BURST "$DL_SOCK" "$DL_PID" "$@" '{"v":1,"op":"submit","token":"'"$tok"'"}
{"v":1,"op":"status","id":"'"$w1"'"}' \
	'{"v":1,"op":"status","id":"'"$id"'"}')
echo off >"$FCTL"
tap_like "$(tail -n "+$((n + 1))" "$FCOUNT")" '^fsync 1 fdatasync' "(d) the shim failed the pass's fdatasync (once)"
tap_is "$(printf '%s\n' "$out" | grep -c '"error": *"io"')" 8 "(d) all 8 clients of the pass get an io error"
tap_unlike "$out" '"state": *"(pending|approved|allowed)"' "(d) none is told of a state"
tap_is "$(stat -c %s "$DL_EVIDENCE")" "$size" "(d) the evidence file is back to its durable size"
tap_is "$(dl_ev_count 'nginx-d[1-6]')" 0 "(d) nothing of the pass is in the file"
tap_is "$(list_json)" "$before" "(d) the daemon's state equals the file again (rebuilt)"
tap_like "$(adc status "$w1")" '"state":"pending"|^pending' "(d) the parked request is still pending"
sleep 0.5
tap_unlike "$(cat "$T/w")" 'approved' "(d) the parked waiter was not released"
tap_ok "(d) the waiter stays parked" kill -0 "$wpid"
tap_like "$(cat "$DL_LOG")" 'state rebuilt from the durable evidence' "(d) the daemon logs the rebuild"
tap_like "$(grep 'state rebuilt' "$DL_LOG")" 'snapshot at seq [1-9]' "(d) the rebuild started from the snapshot"
tap_like "$(approve "$w1")" "^$w1 approved" "(d) after the fault: the approval is taken"
wait_for 10 grep -q "approved $w1" "$T/w"
tap_like "$(cat "$T/w")" "approved $w1" "(d) ...and the parked waiter released"
tap_ok "(d) verify-log passes" verify_log

# ---- (e) a submit alone on its connection goes to the verifier thread: it
# is recorded in a later pass than the one that read it, so the failed sync
# of that pass does not lose it
w2=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-e)")
tok2=$(ctl show "$w2" --json | ctl sign -k "$KEY" --yes 2>/dev/null)
tap_like "$tok2" '.' "(e) a token for a second request was signed"
set --
for i in 1 2 3; do set -- "$@" "$(req_json "$id" "nginx-e$i")"; done
n=$(wc -l <"$FCOUNT")
echo "fsync 1" >"$FCTL"
out=$($BURST "$DL_SOCK" "$DL_PID" "$@" '{"v":1,"op":"submit","token":"'"$tok2"'"}')
echo off >"$FCTL"
tap_like "$(tail -n "+$((n + 1))" "$FCOUNT")" '^fsync 1 fdatasync' "(e) the shim failed the pass's fdatasync"
tap_is "$(printf '%s\n' "$out" | grep -c '"error": *"io"')" 3 "(e) the 3 creates of the failed pass get an io error"
tap_like "$(printf '%s\n' "$out" | grep '^reply 3 ')" '"state": *"approved"' "(e) the submit, checked on the thread, is approved in a later pass"
tap_is "$(grep '"event":"approval"' "$DL_EVIDENCE" | grep -c "\"$w2\"")" 1 "(e) one approval record for it"
tap_ok "(e) verify-log passes" verify_log

# ---- (f) the client goes away while its token is being checked: the vote
# still counts (as it did when checked inline) and nothing is freed twice
w3=$(dl_id "$(adc create -- /usr/bin/systemctl restart nginx-f)")
tok3=$(ctl show "$w3" --json | ctl sign -k "$KEY" --yes 2>/dev/null)
python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
body = ("{\"v\":1,\"op\":\"submit\",\"token\":\"%s\"}" % sys.argv[2]).encode()
s.sendall(struct.pack(">I", len(body)) + body)
s.close()' "$DL_SOCK" "$tok3"
approved3() { adc status "$w3" | grep -q approved; }
wait_for 10 approved3
tap_like "$(adc status "$w3")" 'approved' "(f) the approval of a client that left counted"
tap_like "$(adc health)" '"ok": *true' "(f) the daemon still serves"
after=$(list_json)
dl_stop
tap_is "$DL_RC" 0 "daemon exits 0 on SIGTERM"
ns_must "daemon restarts" dl_start
tap_is "$(list_json)" "$after" "(d) a restart rebuilds the same state"
tap_done
