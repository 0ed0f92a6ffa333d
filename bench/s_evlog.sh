#!/bin/sh
# bench/s_evlog.sh — `approverctl verify-log` on a large evidence file vs
# the raw BLAKE2b line-hash rate of the same file (interleaved per round),
# and approverd start-up replaying that file (spawn -> first `health`
# answer), in a private mount namespace: first without a snapshot (the
# full one-pass replay), then again from the snapshot the stop wrote;
# while that daemon runs, ONE failed fdatasync (tests/shim/iofault.so)
# makes it rebuild its state from the file: the time it logs for that.
# The fixture ($BENCH_FIXTURES/ev-N.log + host.key, N records shaped like
# the daemon's, see bench_evgen.c) is generated once and reused.
. "$APPROVERD_TOP/tests/integration/lib.sh"
ns_reexec "$0" "$@"
. "$APPROVERD_TOP/tests/integration/daemon_lib.sh"
. "$APPROVERD_TOP/bench/lib.sh"

N=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 100000 || echo 1000000)
N=${BENCH_EVLOG_N:-$N}
fixture() { # N: make $BENCH_FIXTURES/ev-N once
	_fx=$BENCH_FIXTURES/ev-$1
	[ -s "$_fx/evidence.log" ] && return 0
	rm -rf "$_fx" && mkdir -p "$_fx" && chmod 0700 "$_fx" || {
		bench_fail "mkdir $_fx"; return 1; }
	"$BENCH_BIN/bench_evgen" "$_fx/evidence.log.tmp" "$_fx/host.key" "$1" \
		>/dev/null || { bench_fail "bench_evgen $1"; return 1; }
	mv "$_fx/evidence.log.tmp" "$_fx/evidence.log"
}
fixture "$N" || bench_done
FX=$BENCH_FIXTURES/ev-$N
sz=$(stat -c %s "$FX/evidence.log")
echo "# fixture: $N records, $((sz / 1048576)) MiB ($FX)"

vl=; bl=; r=0
rounds=$([ "${BENCH_QUICK:-0}" = 1 ] && echo "$BENCH_ROUNDS" || echo 3)
cat "$FX/evidence.log" >/dev/null # same page-cache state for both
while [ "$r" -lt "$rounds" ]; do
	us=$(bench_us "$APPROVERD_BUILD/approverctl" verify-log \
		--host-key "$FX/host.pub" "$FX/evidence.log")
	[ "$us" -gt 0 ] && vl="$vl $((N * 1000000 / us))"
	out=$("$BENCH_BIN/bench_raw" blake2b "$FX/evidence.log") ||
		bench_fail "bench_raw blake2b"
	bl="$bl $(bench_val blake2b_lines_per_s "$out")"
	r=$((r + 1))
done
# shellcheck disable=SC2086
{
bench_fig verify_log_records_per_s_${N} records/s $vl
bench_fig blake2b_lines_per_s_same_file lines/s $bl
}

# daemon start replaying a fixture: spawn -> first `health` answer, polled
# every ~10 ms (a tighter loop would steal one of the two CPUs from the
# daemon); a start that takes longer than BENCH_REPLAY_MAX s is killed and
# reported as such.
REPLAY_MAX=${BENCH_REPLAY_MAX:-60}
dl_start_timed() { # sets START_MS (empty on timeout); 1 if it exited
	# shellcheck disable=SC2086
	env ${DL_ENV:-} "$DL_BIN" -f -c "$DL_CONF" </dev/null >>"$DL_LOG" 2>&1 &
	DL_PID=$!
	ns_track_pid "$DL_PID"
	START_MS=
	_t0=$(date +%s%N)
	_end=$((_t0 / 1000000000 + REPLAY_MAX))
	while [ "$(date +%s)" -lt "$_end" ]; do
		if "$DL_ADC" -S "$DL_SOCK" health >/dev/null 2>&1; then
			START_MS=$(( ($(date +%s%N) - _t0) / 1000000 ))
			return 0
		fi
		kill -0 "$DL_PID" 2>/dev/null || return 1
		sleep 0.01
	done
	return 0
}
snap_state() { # ids kept, grants, token ring of the newest snapshot slot
	python3 - "$DL_EVIDENCE.snap" <<'EOF'
import json, sys
f = open(sys.argv[1], "rb").read()
best = None
for s in (0, 1):
    h = f[s * 8388608:s * 8388608 + 162]
    if h.startswith(b"approverd-snapshot-v1 "):
        b = json.loads(f[s * 8388608 + 162:s * 8388608 + 162 + int(h[22:32])])
        if best is None or b["seq"] > best["seq"]:
            best = b
print(len(best["requests"]), "requests,", len(best["seen"]), "tokens:",
      json.dumps([best[k] for k in ("requests", "grants", "seen_next", "seen")]))
EOF
}
# The state rebuild after a failed group-commit pass (journal.c
# pass_rebuild), in the daemon started from the snapshot: the I/O fault
# shim (preloaded, off) fails ONE fdatasync while a client creates a
# request; the figure is the "state rebuilt ... in N ms" the daemon logs.
# The client must get an io error, the daemon must still answer `health`
# with the requests, pending and evidence seq it had before (its state
# equals the file again), and the rebuild must have used the snapshot.
SHIM=$APPROVERD_BUILD/tests/shim/iofault.so
FCTL=$T/iofault.ctl
FCOUNT=$T/iofault.count
echo off >"$FCTL" && : >"$FCOUNT" || { bench_fail "iofault control files"; bench_done; }
hstate() { # requests, pending and evidence_seq of `health`
	"$DL_ADC" -S "$DL_SOCK" health 2>/dev/null |
		grep -o '"\(requests\|pending\|evidence_seq\)": *[0-9]*' | tr -d ' ' |
		tr '\n' ' '
}
rebuilt() { [ "$(grep -c 'state rebuilt from the durable' "$DL_LOG")" -gt "$1" ]; }
rebuild_fig() { # n
	_before=$(hstate)
	_seen=$(grep -c 'state rebuilt from the durable' "$DL_LOG")
	_faults=$(wc -l <"$FCOUNT")
	echo "fsync 1" >"$FCTL"
	_out=$("$DL_ADC" -S "$DL_SOCK" create -- /usr/bin/systemctl restart \
		nginx-rebuild 2>&1)
	echo off >"$FCTL"
	wait_for "$REPLAY_MAX" rebuilt "$_seen" || {
		bench_fail "rebuild $1: no 'state rebuilt from the durable' line: $(tail -n 2 "$DL_LOG")"
		return 1; }
	_line=$(grep 'state rebuilt from the durable' "$DL_LOG" | tail -n 1)
	[ "$(wc -l <"$FCOUNT")" -eq $((_faults + 1)) ] ||
		bench_fail "rebuild $1: the shim did not fail exactly one sync"
	case $_out in *"error io"*) ;; *)
		bench_fail "rebuild $1: the client was not told io ($_out)" ;; esac
	_after=$(hstate)
	if [ -n "$_after" ] && [ "$_after" = "$_before" ]; then
		echo "# rebuild $1: the daemon serves, health as before ($_after)"
	else
		bench_fail "rebuild $1: health before '$_before', after '$_after'"
	fi
	case $_line in *"snapshot at seq "[1-9]*) ;; *)
		echo "# rebuild $1: the snapshot was NOT used ($_line)" ;; esac
	_ms=$(printf '%s\n' "$_line" | sed -n 's/.* in \([0-9]*\) ms$/\1/p')
	[ -n "$_ms" ] || { bench_fail "rebuild $1: no time in: $_line"; return 1; }
	bench_fig "daemon_rebuild_ms_$1" ms "$_ms"
}
ns_users >/dev/null 2>&1 || { bench_fail "ns_users"; bench_done; }
DL_CKPT=1000
# shellcheck disable=SC2119
dl_setup >/dev/null || { bench_fail "dl_setup"; bench_done; }
SIZES=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 25000 || echo "25000 50000 100000 1000000")
for n in ${BENCH_REPLAY_SIZES:-$SIZES}; do
	DL_ENV= # the shim only in the start from the snapshot
	fixture "$n" || continue
	FX=$BENCH_FIXTURES/ev-$n
	cp "$FX/evidence.log" "$DL_EVIDENCE" && chmod 0600 "$DL_EVIDENCE" &&
		cp "$FX/host.key" "$DL_ETC/host.key" &&
		cp "$FX/host.pub" "$DL_ETC/host.pub" || { bench_fail "copy fixture"; continue; }
	rm -f "$DL_EVIDENCE.snap"
	cat "$DL_EVIDENCE" >/dev/null
	dl_start_timed || { bench_fail "daemon start: $(tail -n 3 "$DL_LOG")"; continue; }
	ms=$START_MS
	if [ -n "$ms" ]; then
		rss=$(awk '/^VmHWM/{print $2}' "/proc/$DL_PID/status")
		bench_fig "daemon_start_replay_ms_$n" ms "$ms"
		bench_fig "daemon_start_replay_peak_rss_kib_$n" KiB "$rss"
		dl_stop # writes the snapshot: the next start uses it
		snap_state >"$T/state.full"
		cat "$DL_EVIDENCE" "$DL_EVIDENCE.snap" >/dev/null
		: >"$DL_LOG"
		# the shim only looks at writes and syncs of the evidence file
		DL_ENV="LD_PRELOAD=$SHIM IOFAULT_PATH=$(realpath -m "$DL_EVIDENCE") IOFAULT_CTL=$FCTL IOFAULT_COUNT=$FCOUNT"
		[ -f "$SHIM" ] || DL_ENV=
		dl_start_timed || { bench_fail "daemon start (snapshot): $(tail -n 3 "$DL_LOG")"; continue; }
		if [ -n "$START_MS" ]; then
			grep -q "snapshot at seq .* used" "$DL_LOG" ||
				echo "# start $n: the snapshot was NOT used"
			bench_fig "daemon_start_snapshot_ms_$n" ms "$START_MS"
			if [ -n "$DL_ENV" ]; then
				rebuild_fig "$n"
			else
				bench_fail "rebuild $n: $SHIM missing (make all)"
			fi
			dl_stop
			snap_state >"$T/state.snap"
			if cmp -s "$T/state.full" "$T/state.snap"; then
				echo "# start $n: state from the snapshot = state from the full replay ($(cut -c1-40 "$T/state.full"))"
			else
				bench_fail "start $n: the state from the snapshot differs from the full replay's"
			fi
		else
			dl_kill9
		fi
	else
		echo "fig daemon_start_replay_ms_$n >$((REPLAY_MAX * 1000)) - - 1 ms"
		echo "# start replaying $n records did not finish within ${REPLAY_MAX}s; killed"
		dl_kill9
	fi
done
bench_done
