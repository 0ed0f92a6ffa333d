#!/bin/sh
# bench/s_daemon.sh — a real approverd on a real socket (in a private mount
# namespace, via tests/integration/lib.sh + daemon_lib.sh): durable cycles/s
# at 1..64 clients side by side with the raw fdatasync and Ed25519 verify
# rates of the same disk and CPU (interleaved per round), and how many
# records each evidence fdatasync carried (health counters: group commit
# across the clients of one loop pass); approval ->
# waiting client release latency; 1,000 parked waiters (RSS, release).
# Per cycle, also the CPU time of the daemon (/proc/PID/stat: every thread)
# and of the harness's client threads (getrusage), so that what bounds the
# rate on this machine is measured, not inferred. Beside each cycles run,
# the floor of the cycle's shape on the same disk and CPUs (bench_raw
# floor: one epoll loop on a real socket doing only the four round trips,
# the signature and its check, and four chained records per cycle with
# syslog lines and group-committed fdatasync, nothing else); and once a
# round that floor at the most clients with its records on a tmpfs (an
# fdatasync that costs nothing: the ceiling of any pipelining of the sync).
. "$APPROVERD_TOP/tests/integration/lib.sh"
ns_reexec "$0" "$@"
. "$APPROVERD_TOP/tests/integration/daemon_lib.sh"
. "$APPROVERD_TOP/bench/lib.sh"
BD=$BENCH_BIN/bench_daemon
BR=$BENCH_BIN/bench_raw

ns_users >/dev/null 2>&1 || { bench_fail "ns_users"; bench_done; }
# syslog goes to a real /dev/log sink, as on a host (without one, glibc
# tries socket+connect for every line, which is not what a host pays)
ns_devlog >/dev/null 2>&1 || { bench_fail "ns_devlog"; bench_done; }
DL_CKPT=1000
DL_CONF_EXTRA="max_connections = 4096
idle_timeout = 600"
# shellcheck disable=SC2119
dl_setup >/dev/null || { bench_fail "dl_setup"; bench_done; }
dl_key alice alice || { bench_fail "dl_key"; bench_done; }
# shellcheck disable=SC3045 # dash and bash both have ulimit -n
ulimit -n 8192
dl_start || { bench_fail "daemon start: $(tail -n 5 "$DL_LOG")"; bench_done; }
KEY=$T/keys/alice.key
EVDIR=$(dirname "$DL_EVIDENCE")
echo "# evidence on $(df -P "$EVDIR" | awk 'NR==2{print $1" ("$6")"}'), $(nproc) CPUs"

CLIENTS=${BENCH_CLIENTS:-"1 4 16 64"}
fs=; fsms=; ed=; ap=; fln=
# a tmpfs for the floor without a disk (private to the namespace)
NOSYNC=$T/floor-tmpfs
{ mkdir -p "$NOSYNC" && mount -t tmpfs -o size=64m,mode=0700 tmpfs "$NOSYNC"; } ||
	bench_fail "tmpfs for the floor"
for c in $CLIENTS; do
	eval "cy_$c="; eval "p50_$c="; eval "rps_$c="; eval "dc_$c="; eval "cc_$c="
	eval "fl_$c="; eval "flc_$c="; eval "fls_$c="; eval "tc_$c="
done
# the daemon's CPU time so far (user + system, every thread), clock ticks
HZ=$(getconf CLK_TCK)
dcpu() { awk '{ print $14 + $15 }' "/proc/$DL_PID/stat"; }
# a field of the daemon's health reply
hnum() { adc health 2>/dev/null | grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$'; }
# the most clients: the tmpfs floor's one run a round
cmax=$(echo "$CLIENTS" | tr ' ' '\n' | sort -n | tail -n 1)
r=0
while [ "$r" -lt "$BENCH_ROUNDS" ]; do
	out=$("$BR" fsync "$EVDIR" "$BENCH_MS") || bench_fail "bench_raw fsync"
	fs="$fs $(bench_val raw_fdatasync_per_s "$out")"
	fsms="$fsms $(bench_val raw_fdatasync_per_s "$out" |
		awk '{ printf "%.3f", ($1 > 0 ? 1000 / $1 : 0) }')"
	out=$("$BR" ed25519 "$BENCH_MS") || bench_fail "bench_raw ed25519"
	ed="$ed $(bench_val ed25519_verify_per_s "$out")"
	out=$("$BR" append "$EVDIR" "$BENCH_MS") || bench_fail "bench_raw append"
	ap="$ap $(bench_val evidence_append_per_s "$out")"
	for c in $CLIENTS; do
		s0=$(hnum evidence_syncs); n0=$(hnum evidence_records)
		t0=$(dcpu)
		out=$("$BD" cycles "$DL_SOCK" "$KEY" "$c" "$BENCH_MS" 2>&1) ||
			bench_fail "bench_daemon cycles $c: $out"
		t1=$(dcpu)
		s1=$(hnum evidence_syncs); n1=$(hnum evidence_records)
		cyc=$(bench_val cycles "$out")
		dcy=$(awk -v t=$((t1 - t0)) -v n="${cyc:-0}" -v hz="$HZ" \
			'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }')
		ccy=$(bench_val client_cpu_us_per_cycle "$out")
		eval "dc_$c=\"\$dc_$c $dcy\""
		eval "cc_$c=\"\$cc_$c $ccy\""
		# daemon + clients: the figure the floor's whole process compares to
		eval "tc_$c=\"\$tc_$c $(awk -v d="$dcy" -v cc="${ccy:-0}" \
			'BEGIN { printf "%.1f", d + cc }')\""
		eval "rps_$c=\"\$rps_$c $(awk -v s=$((${s1:-0} - ${s0:-0})) \
			-v n=$((${n1:-0} - ${n0:-0})) 'BEGIN { printf "%.1f", s ? n / s : 0 }')\""
		eval "cy_$c=\"\$cy_$c $(bench_val cycles_per_s "$out")\""
		eval "p50_$c=\"\$p50_$c $(bench_val cycle_ms_p50 "$out")\""
		out=$("$BR" floor "$EVDIR" "$c" "$BENCH_MS") ||
			bench_fail "bench_raw floor $c"
		eval "fl_$c=\"\$fl_$c $(bench_val floor_cycles_per_s "$out")\""
		eval "flc_$c=\"\$flc_$c $(bench_val floor_cpu_us_per_cycle "$out")\""
		eval "fls_$c=\"\$fls_$c $(bench_val floor_server_cpu_us_per_cycle "$out")\""
	done
	out=$("$BR" floor "$NOSYNC" "$cmax" "$BENCH_MS") ||
		bench_fail "bench_raw floor $cmax on tmpfs"
	fln="$fln $(bench_val floor_cycles_per_s "$out")"
	r=$((r + 1))
done
# shellcheck disable=SC2086
{
bench_fig raw_fdatasync_per_s ops/s $fs
bench_fig raw_fdatasync_ms ms $fsms
bench_fig ed25519_verify_per_s ops/s $ed
bench_fig evidence_append_per_s records/s $ap
for c in $CLIENTS; do
	eval "bench_fig cycles_per_s_c$c cycles/s \$cy_$c"
	eval "bench_fig cycle_ms_p50_c$c ms \$p50_$c"
	eval "bench_fig records_per_sync_c$c records \$rps_$c"
	eval "bench_fig daemon_cpu_us_per_cycle_c$c us \$dc_$c"
	eval "bench_fig client_cpu_us_per_cycle_c$c us \$cc_$c"
	eval "bench_fig cpu_us_per_cycle_c$c us \$tc_$c"
	eval "bench_fig floor_cycles_per_s_c$c cycles/s \$fl_$c"
	eval "bench_fig floor_cpu_us_per_cycle_c$c us \$flc_$c"
	eval "bench_fig floor_server_cpu_us_per_cycle_c$c us \$fls_$c"
done
bench_fig floor_tmpfs_cycles_per_s_c"$cmax" cycles/s $fln
}

# approval -> waiting client released
n=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 50 || echo 200)
l50=; l99=; lmax=
r=0
while [ "$r" -lt "$BENCH_ROUNDS" ]; do
	out=$("$BD" latency "$DL_SOCK" "$KEY" "$n" 2>&1) ||
		bench_fail "bench_daemon latency: $out"
	l50="$l50 $(bench_val release_ms_p50 "$out")"
	l99="$l99 $(bench_val release_ms_p99 "$out")"
	lmax="$lmax $(bench_val release_ms_max "$out")"
	r=$((r + 1))
done
echo "# latency: $n approvals per round"
# shellcheck disable=SC2086
{
bench_fig release_ms_p50 ms $l50
bench_fig release_ms_p99 ms $l99
bench_fig release_ms_max ms $lmax
}

# 1,000 waiting clients, a fresh daemon each round (RSS from a clean start)
W=${BENCH_WAITERS:-1000}
rb=; rp=; rh=; w50=; w99=; wall=
r=0
rounds=$([ "${BENCH_QUICK:-0}" = 1 ] && echo 1 || echo 3)
while [ "$r" -lt "$rounds" ]; do
	dl_stop
	rm -f "$DL_EVIDENCE"
	dl_start || { bench_fail "daemon restart"; break; }
	out=$("$BD" waiters "$DL_SOCK" "$KEY" "$W" "$DL_PID" 2>&1) ||
		bench_fail "bench_daemon waiters: $out"
	rb="$rb $(bench_val daemon_rss_kib_before "$out")"
	rp="$rp $(bench_val daemon_rss_kib_parked "$out")"
	rh="$rh $(bench_val daemon_rss_kib_peak "$out")"
	w50="$w50 $(bench_val waiters_release_ms_p50 "$out")"
	w99="$w99 $(bench_val waiters_release_ms_p99 "$out")"
	wall="$wall $(bench_val waiters_all_released_ms "$out")"
	r=$((r + 1))
done
echo "# waiters: $W parked connections per round"
# shellcheck disable=SC2086
{
bench_fig daemon_rss_kib_idle KiB $rb
bench_fig daemon_rss_kib_${W}_parked KiB $rp
bench_fig daemon_rss_kib_peak KiB $rh
bench_fig waiters_release_after_own_approval_ms_p50 ms $w50
bench_fig waiters_release_after_own_approval_ms_p99 ms $w99
bench_fig waiters_all_released_after_first_approval_ms ms $wall
}
dl_stop
bench_done
