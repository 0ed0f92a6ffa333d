#!/bin/sh
# Bounded input (DESIGN.md §4.9): malformed, oversized and truncated frames
# get an error reply (or are dropped) and are closed; idle connections are
# closed; connection and per-requester caps hold; the daemon keeps serving
# other clients throughout. Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
ns_must "users" ns_users
DL_CONF_EXTRA="idle_timeout = 1s
max_connections = 8
max_pending_per_requester = 3"
ns_must "config" dl_setup
ns_must "daemon starts" dl_start

# a client that stays connected throughout, asking every 0.2s (so it is
# never idle); it must be answered every time while the faults happen
python3 -u -c '
import json, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
ok = bad = 0
end = time.time() + float(sys.argv[2])
while time.time() < end:
    body = json.dumps({"v": 1, "op": "health"}).encode()
    try:
        s.sendall(struct.pack(">I", len(body)) + body)
        n = struct.unpack(">I", s.recv(4))[0]
        r = json.loads(s.recv(n))
        ok, bad = (ok + 1, bad) if r.get("ok") else (ok, bad + 1)
        if ok == 1: print("ready", flush=True)
    except Exception as e:
        bad += 1; print("error", e); break
    time.sleep(0.2)
print("answered", ok, "failed", bad)
' "$DL_SOCK" 12 >"$T/keep.out" 2>&1 &
keep=$!
ns_track_pid $keep
ns_must "long-lived client connected" wait_for 20 grep -q '^ready' "$T/keep.out"

still() { # desc
	tap_ok "$1: daemon still serves new clients" dl_healthy
}

out=$(adc rawlen 0)
tap_like "$out" '"error":"proto".*frame length' "zero-length frame: proto error reply"
tap_like "$out" 'closed' "...and the connection is closed"
still "zero length"
out=$(adc rawlen 80000010)
tap_like "$out" '"error":"proto"' "length with the top bit set: proto error"
out=$(adc rawlen 40001)
tap_like "$out" '"error":"toobig"' "frame over 256 KiB: toobig error"
tap_like "$out" '^closed' "...and closed"
still "oversized"
out=$(adc rawlen 5 '{"v":')
tap_like "$out" '"error":"proto".*bad JSON' "malformed JSON: proto error naming the problem"
out=$(adc rawlen 2 '[]')
tap_like "$out" '"error":"proto".*not an object' "non-object frame: proto error"
out=$(adc rawlen 11 '{"v":1,"v":1,"x"}')
tap_like "$out" '"error":"proto"' "duplicate keys / bad JSON: proto error"
out=$(adc call '{"v":2,"op":"health"}')
tap_like "$out" "^error proto: .*'v'" "wrong protocol version: proto error"
out=$(adc call '{"v":1,"op":"no-such-op"}')
tap_like "$out" '^error proto: unknown op' "unknown op: proto error"
out=$(adc call '{"v":1,"op":"status"}')
tap_like "$out" "^error invalid: field 'id'" "missing field: invalid, naming the field"
out=$(adc call '{"v":1,"op":"create","request":{"requester":5}}')
tap_like "$out" "^error invalid: field 'request'" "bad request object: invalid, naming the field"
out=$(adc trunc)
tap_is "$out" "closed" "truncated frame then EOF: connection dropped without a reply"
still "truncated"

# idle connections (idle_timeout = 1s) get an error and are closed
out=$(adc idle 4000)
tap_like "$out" '"error":"timeout".*idle' "idle connection: timeout error"
tap_like "$out" 'closed' "...then closed"

# pending requests per requester are capped (3 here)
for n in 1 2 3; do adc create -- /usr/bin/systemctl restart "x$n" >/dev/null; done
out=$(adc create -- /usr/bin/systemctl restart x4)
tap_like "$out" '^error limit' "4th pending request of one requester: limit"
tap_like "$(adc create -u ai-ops -i 2002 -- /usr/bin/systemctl restart x4)" '^pending ' "another requester is not affected"

wait "$keep"
tap_like "$(tail -n 1 "$T/keep.out")" '^answered [1-9][0-9]+ failed 0$' "a long-lived client was answered every time during the faults"
# the caps, on a daemon whose idle timeout does not interfere (30s)
dl_stop
tap_is "$DL_RC" 0 "daemon exits cleanly after all faults"
DL_CONF_EXTRA="idle_timeout = 30s
max_connections = 8"
ns_must "config for the cap tests" dl_write_conf
ns_must "daemon restarts" dl_start
# connection cap: 8 connections; extra ones are refused, served again later
i=0 idlers=
# The idlers hold their slots for 20 s (times DL_SLOW), so that all 8 are
# connected at once even when starting them is slow on a loaded machine; the
# cap being full is an explicit precondition (two health checks in a row are
# turned away).
# Start them only once no other connection is open (a health probe still
# counted would take a slot, and the 8th idler would be turned away).
conns() { adc health | sed -n 's/.*"connections":\([0-9]*\).*/\1/p'; }
settled() { [ "$(conns)" = 1 ]; }
ns_must "no connection but the probe's own before the cap test" wait_for 20 settled
# An idler turned away all the same (a close not yet processed) exits at
# once; cap_full starts a new one for each that is gone.
idle_more() {
	i=0
	for p in $idlers; do kill -0 "$p" 2>/dev/null && i=$((i + 1)); done
	while [ $i -lt 8 ]; do
		adc idle $((20000 * ${DL_SLOW:-1})) >/dev/null & idlers="$idlers $!"
		i=$((i + 1))
	done
}
idle_more
cap_full() { idle_more; ! dl_healthy && ! dl_healthy; }
ns_must "all 8 connection slots are taken" wait_for 30 cap_full
out=$(adc idle 3000)
tap_like "$out" '^closed' "connection over max_connections is closed at once"
kill $idlers 2>/dev/null # done: their connections close now
wait_for 30 dl_healthy
tap_ok "served again once connections close" dl_healthy

# one non-root uid may hold at most max_connections/4 (= 2) connections
wait $idlers
wait_for 20 dl_healthy
# The count is taken once the idlers' closes are processed (only the probe's
# own connection left): a count taken while some still lingered made the
# wait below expire, and dave's idlers with it (seen failing in CI).
ns_must "only the probe's own connection is open" wait_for 20 settled
base=1
as_user dave "$DL_ADC" -S "$DL_SOCK" idle $((8000 * ${DL_SLOW:-1})) >/dev/null &
as_user dave "$DL_ADC" -S "$DL_SOCK" idle $((8000 * ${DL_SLOW:-1})) >/dev/null &
two_more() { [ "$(conns)" -ge $((base + 2)) ]; }
ns_must "dave holds two connections" wait_for 20 two_more
tap_like "$(as_user dave "$DL_ADC" -S "$DL_SOCK" idle 3000)" '^closed' "a third connection of one non-root uid is closed at once"
tap_ok "root is still served meanwhile" dl_healthy
dave_health() { as_user dave "$DL_ADC" -S "$DL_SOCK" health >/dev/null 2>&1; }
wait_for 20 dave_health
tap_ok "dave is served again once his connections close" dave_health

dl_stop
tap_is "$DL_RC" 0 "daemon exits cleanly after the cap tests"
tap_done
