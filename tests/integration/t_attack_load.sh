#!/bin/sh
# Load (issue 9 "Load"; DESIGN.md §4.9): concurrent create/approve/consume
# clients with 0 errors and the daemon's RSS sampled; malformed frames from
# several clients while well-formed clients keep being served; many waiting
# clients released by their approvals. Real daemon on a Unix socket in $T;
# everything stops by itself. Quick by default (≈ 20 s); SEC_LONG=1 runs the
# issue's figures (200 clients x 60 s, 100k malformed frames, 1,000 waiters).
# Figures are printed as TAP diagnostics (# lines). Prints TAP.
. "$(dirname "$0")/lib.sh"
ns_reexec "$0" "$@"
. "$(dirname "$0")/daemon_lib.sh"
LOAD=$APPROVERD_BUILD/tests/helpers/attack_load
FLOOD=$APPROVERD_BUILD/tests/helpers/attack_flood
if [ -n "${SEC_LONG:-}" ]; then
	CLIENTS=200 SECS=60 GARBAGE=100000 GCLIENTS=8 WAITERS=1000
else
	CLIENTS=50 SECS=6 GARBAGE=5000 GCLIENTS=4 WAITERS=200
fi
# Under valgrind (make check-valgrind) the daemon is ~20x slower: fewer
# waiters, so that their approvals arrive before the waits time out.
[ "${SAN_MODE:-}" != valgrind ] || WAITERS=20
ulimit -n 8192 2>/dev/null
ns_must "users" ns_users
DL_CONF_EXTRA="max_connections = 1500
max_pending_per_requester = 4000
idle_timeout = 30s"
DL_CKPT=1000
ns_must "config" dl_setup
ns_must "key alice" dl_key alice alice
ns_must "daemon starts" dl_start

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$DL_PID/status"; }

# --- create/approve/consume under concurrency, RSS sampled every second
rss0=$(rss)
( while kill -0 "$DL_PID" 2>/dev/null; do rss >>"$T/rss"; sleep 1; done ) &
sampler=$!
ns_track_pid $sampler
out=$("$LOAD" cycle "$DL_SOCK" "$T/keys/alice.key" "$CLIENTS" "$SECS" "$T/acks" 2>"$T/load.err")
kill "$sampler" 2>/dev/null
tap_diag "cycle: $out; rss_kb start $rss0 samples $(tr '\n' ' ' <"$T/rss")"
cycles=$(printf '%s\n' "$out" | awk '{print $4}')
errors=$(printf '%s\n' "$out" | awk '{print $6}')
tap_ok "$CLIENTS concurrent clients completed cycles for ${SECS}s ($cycles)" [ "${cycles:-0}" -ge "$CLIENTS" ]
tap_is "$errors" 0 "create/approve/consume under load: 0 errors"
tap_is "$(grep -c '^consumed ' "$T/acks")" "$cycles" "every acknowledged cycle ended in an acknowledged consume"
tap_is "$(dl_ev_count '"event":"consume"')" "$cycles" "one consume record per cycle in the evidence"
# Memory: the daemon keeps up to D_KEEP_MAX (10,000) requests and prunes
# finished ones beyond that, so RSS may grow per request until then, by a
# bounded amount (≤ 4 KiB a request), and must be flat past the cap.
rss1=$(tail -n 1 "$T/rss")
per=$(( (rss1 - rss0) * 1024 / (cycles > 0 ? cycles : 1) ))
tap_diag "rss growth: $rss0 -> $rss1 kB over $cycles requests ($per bytes a request)"
if [ -n "${SAN_MODE:-}" ]; then # quarantine, redzones: RSS says nothing
	tap_pass "RSS growth per request is bounded # SKIP RSS not meaningful under $SAN_MODE"
else
	tap_ok "RSS growth per request is bounded ($per bytes ≤ 4096)" [ "$per" -le 4096 ]
fi
if [ -n "${SEC_LONG:-}" ]; then
	# past the 10,000-request cap: 7,000 then 5,000 more allowed requests
	"$LOAD" allow "$DL_SOCK" "$T/keys/alice.key" 20 350 >"$T/allow1" 2>&1
	rss_a=$(rss)
	"$LOAD" allow "$DL_SOCK" "$T/keys/alice.key" 20 250 >"$T/allow2" 2>&1
	rss_b=$(rss)
	tap_diag "plateau: $(cat "$T/allow1") -> rss $rss_a kB; $(cat "$T/allow2") -> rss $rss_b kB"
	tap_ok "RSS flat past the 10,000-request cap ($rss_a -> $rss_b kB, ≤ +5%)" \
		[ "$rss_b" -le $((rss_a + rss_a / 20)) ]
	tap_like "$(cat "$T/allow1") $(cat "$T/allow2")" 'errors 0 .*errors 0$' "12,000 allowed requests: 0 errors"
fi
tap_ok "daemon alive after the load" dl_healthy

# --- malformed frames from several clients; a well-formed client keeps being served
"$FLOOD" garbage "$DL_SOCK" "$GCLIENTS" "$GARBAGE" >"$T/garbage" 2>&1 &
gpid=$!
ns_track_pid $gpid
good=0 bad=0
while kill -0 $gpid 2>/dev/null; do
	if adc create -- /usr/bin/systemctl restart "good-$good-$bad" | grep -q '^pending '; then
		good=$((good + 1))
	else
		bad=$((bad + 1))
	fi
done
wait $gpid
tap_diag "malformed: $(cat "$T/garbage"); well-formed creates during it: $good ok, $bad failed"
sent=$(awk '{print $3}' "$T/garbage")
tap_is "$sent" "$GARBAGE" "$GARBAGE malformed frames sent from $GCLIENTS clients"
tap_is "$(awk '{print $5}' "$T/garbage")" "$GARBAGE" "every malformed frame got an error reply"
tap_ok "well-formed clients served throughout ($good)" [ "$good" -ge 1 ] && [ "$bad" -eq 0 ]
tap_ok "daemon alive after the malformed frames" dl_healthy

# --- many waiting clients, then their approvals
out=$("$LOAD" waiters "$DL_SOCK" "$T/keys/alice.key" "$WAITERS" "$DL_PID" 2>"$T/wait.err")
tap_diag "waiters: $out"
tap_like "$out" "^waiters $WAITERS parked $WAITERS released $WAITERS " "$WAITERS parked waiters all released by their approvals"
tap_ok "daemon alive after the waiters" dl_healthy

dl_stop
tap_is "$DL_RC" 0 "daemon exits cleanly after the load"
tap_ok "verify-log passes after the load" sh -c "\"$DL_CTL\" verify-log --host-key \"$DL_ETC/host.pub\" \"$DL_EVIDENCE\" >/dev/null"
tap_done
