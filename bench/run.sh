#!/bin/sh
# bench/run.sh — `make bench` (O=BUILD_DIR): build the harnesses in
# $O/bench with the top Makefile's flags, run the sections, print every
# figure and the ratios of docs/BENCHMARKS.md, and keep the raw output in
# $O/bench/results.txt.
#
#   BENCH_QUICK=1     short runs (about a minute in all)
#   BENCH_ONLY="daemon sudo"   run only these sections (daemon evlog sudo pam sshd)
#   BENCH_ROUNDS=N    rounds per figure (default 5, quick 3)
#
# Needs root (private mount namespaces, real setuid sudo, pamtester).
# Exit status: 0 when every harness ran, 1 when one failed to run or
# produced no figure. Targets missed are reported, never an error: these
# are benchmarks, not tests.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
O=${O:-build}
case $O in /*) B=$O ;; *) B=$TOP/$O ;; esac
BIN=$B/bench
CC=${CC:-cc}
PKGS="libsodium jansson inih"
CFLAGS_B="-std=c17 -O2 -g -Wall -Wextra -Werror -Wformat=2 -Wformat-security
 -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla
 -Wno-unused-parameter -fstack-protector-strong -D_FORTIFY_SOURCE=3
 -fstack-clash-protection -fcf-protection -fPIC -D_GNU_SOURCE
 -I$TOP/common -I$TOP/bench"

if [ "$(id -u)" -ne 0 ]; then
	echo "bench/run.sh: must run as root (mount namespaces, setuid sudo)" >&2
	exit 1
fi
for f in libapproverd.a approverd approverctl sudo_approverd.so \
	pam_approverd.so tests/helpers/adtest_client; do
	[ -e "$B/$f" ] || { echo "bench/run.sh: $B/$f missing (make O=$O all)" >&2; exit 1; }
done
mkdir -p "$BIN/fixtures" && chmod 0700 "$BIN/fixtures" || exit 1
# shellcheck disable=SC2086,SC2046
for h in bench_raw bench_evgen bench_daemon bench_spawn; do
	$CC $CFLAGS_B $(pkg-config --cflags $PKGS) -pie -Wl,-z,relro,-z,now \
		-o "$BIN/$h" "$TOP/bench/$h.c" "$TOP/bench/bench_util.c" \
		"$B/libapproverd.a" $(pkg-config --libs $PKGS) -lpthread || {
		echo "bench/run.sh: cannot build $h" >&2; exit 1; }
done
# the floor of any sudo approval plugin (s_sudo.sh variant "null"): libc only
# shellcheck disable=SC2086
$CC $CFLAGS_B -shared -Wl,-z,relro,-z,now -o "$BIN/null_plugin.so" \
	"$TOP/bench/null_plugin.c" || {
	echo "bench/run.sh: cannot build null_plugin.so" >&2; exit 1; }
# the floor of any approval plugin that judges [subjects] users and groups
# (s_sudo.sh variant "nssfloor"): the same file with its look-ups
# shellcheck disable=SC2086
$CC $CFLAGS_B -DNSS_FLOOR -shared -Wl,-z,relro,-z,now \
	-o "$BIN/nssfloor_plugin.so" "$TOP/bench/null_plugin.c" || {
	echo "bench/run.sh: cannot build nssfloor_plugin.so" >&2; exit 1; }
# the floors of a PAM module (s_pam.sh stacks "bench-null", "bench-nssfloor")
# shellcheck disable=SC2086
$CC $CFLAGS_B -shared -Wl,-z,relro,-z,now -o "$BIN/null_pam.so" \
	"$TOP/bench/null_pam.c" -lpam || {
	echo "bench/run.sh: cannot build null_pam.so" >&2; exit 1; }

export APPROVERD_TOP="$TOP" APPROVERD_BUILD="$B" BENCH_BIN="$BIN"
export BENCH_FIXTURES="$BIN/fixtures"
export BENCH_QUICK="${BENCH_QUICK:-0}"
RES=$BIN/results.txt
{
	echo "# approverd benchmarks $(date -u +%Y-%m-%dT%H:%M:%SZ) quick=$BENCH_QUICK"
	echo "# host: $(uname -srm), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# cpu: $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
	echo "# sudo: $(sudo -V | head -n 1)"
} >"$RES"
cat "$RES"
failed=0
for s in ${BENCH_ONLY:-daemon evlog sudo pam sshd}; do
	echo "## section $s"
	t0=$(date +%s)
	out=$(sh "$TOP/bench/s_$s.sh" 2>&1); rc=$?
	printf '## section %s\n%s\n# section %s: %ss, exit %s\n' "$s" "$out" \
		"$s" "$(( $(date +%s) - t0 ))" "$rc" >>"$RES"
	printf '%s\n# section %s: %ss, exit %s\n' "$out" "$s" \
		"$(( $(date +%s) - t0 ))" "$rc"
	[ "$rc" -eq 0 ] || failed=1
done

# Ratios of medians (docs/BENCHMARKS.md explains each one).
ratio() { # label numerator-fig denominator-fig
	awk -v l="$1" -v a="$2" -v b="$3" '
		$1 == "fig" && $2 == a { x = $3 } $1 == "fig" && $2 == b { y = $3 }
		END { if (x != "" && y != "" && y + 0 > 0)
			printf "ratio %-44s %.3f  (%s / %s)\n", l, x / y, a, b }' "$RES"
}
{
echo "## ratios (of medians)"
ratio human_sudo_plugin_vs_none sudo_human_plugin_us sudo_human_none_us
ratio human_sudo_auditjson_vs_none sudo_human_auditjson_us sudo_human_none_us
ratio human_sudo_plugin_vs_auditjson sudo_human_plugin_us sudo_human_auditjson_us
ratio human_sudo_uids_vs_none sudo_human_uids_us sudo_human_none_us
ratio ai_sudo_approved_vs_none sudo_ai_approved_plugin_us sudo_ai_none_us
ratio ai_sudo_grant_vs_none sudo_ai_grant_plugin_us sudo_ai_none_us
ratio pam_acct_human_approverd_vs_permit pam_acct_human_approverd_us pam_acct_human_permit_only_us
ratio pam_auth_human_approverd_vs_permit pam_auth_human_approverd_us pam_auth_human_permit_only_us
ratio su_human_approverd_vs_plain su_human_approverd_us su_human_plain_us
ratio ai_su_approved_vs_plain su_ai_approved_us su_ai_plain_us
ratio sshd_human_approverd_vs_plain sshd_human_approverd_us sshd_human_plain_us
ratio sshd_ai_approved_vs_plain sshd_ai_approved_us sshd_ai_plain_us
ratio cpu_human_sudo_plugin_vs_none sudo_human_plugin_cpu_us sudo_human_none_cpu_us
ratio cpu_human_sudo_auditjson_vs_none sudo_human_auditjson_cpu_us sudo_human_none_cpu_us
ratio cpu_human_sudo_uids_vs_none sudo_human_uids_cpu_us sudo_human_none_cpu_us
ratio cpu_ai_sudo_approved_vs_none sudo_ai_approved_plugin_cpu_us sudo_ai_none_cpu_us
ratio cpu_ai_sudo_grant_vs_none sudo_ai_grant_plugin_cpu_us sudo_ai_none_cpu_us
ratio cpu_pam_acct_human_approverd_vs_permit pam_acct_human_approverd_cpu_us pam_acct_human_permit_only_cpu_us
ratio cpu_pam_auth_human_approverd_vs_permit pam_auth_human_approverd_cpu_us pam_auth_human_permit_only_cpu_us
ratio cpu_su_human_approverd_vs_plain su_human_approverd_cpu_us su_human_plain_cpu_us
ratio cpu_ai_su_approved_vs_plain su_ai_approved_cpu_us su_ai_plain_cpu_us
ratio cpu_sshd_human_approverd_vs_plain sshd_human_approverd_cpu_us sshd_human_plain_cpu_us
ratio cpu_sshd_ai_approved_vs_plain sshd_ai_approved_cpu_us sshd_ai_plain_cpu_us
for c in 1 4 16 64; do
	ratio "cycles_c${c}_vs_raw_fdatasync" "cycles_per_s_c$c" raw_fdatasync_per_s
	ratio "cycles_c${c}_vs_floor" "cycles_per_s_c$c" "floor_cycles_per_s_c$c"
	ratio "cpu_cycle_c${c}_approverd_vs_floor" "cpu_us_per_cycle_c$c" "floor_cpu_us_per_cycle_c$c"
done
ratio evidence_append_vs_raw_fdatasync evidence_append_per_s raw_fdatasync_per_s
for n in 100000 1000000; do
	ratio "verify_log_${n}_vs_blake2b" "verify_log_records_per_s_$n" blake2b_lines_per_s_same_file
done
} >"$BIN/ratios.txt"
tee -a "$RES" <"$BIN/ratios.txt"
echo "# results in $RES"
exit "$failed"
