#!/bin/sh
# tests/fuzz/long.sh — the long fuzzing campaign of issue 9 (not part of
# make check). Each given libFuzzer binary runs for FUZZ_LONG_SECONDS
# (default 600) on a copy of its committed corpus, at nice 19, one at a
# time. Prints one Markdown table row per target:
#   | target | runs | exec/s | cov | ft | corpus | crashes |
# and exits non-zero if any target crashed, leaked or timed out (the
# artifacts are kept under $FUZZ_LONG_OUT, default /tmp/approverd-fuzz-long).
set -u
secs=${FUZZ_LONG_SECONDS:-600}
out=${FUZZ_LONG_OUT:-/tmp/approverd-fuzz-long}
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
bad=0
echo "| target | runs | exec/s (avg) | cov (edges) | ft | corpus | crashes |"
echo "|---|---|---|---|---|---|---|"
for f in "$@"; do
	name=$(basename "$f")
	work=$out/$name
	rm -rf "$work"; mkdir -p "$work/corpus" "$work/tmp" "$work/art"
	seeds=$top/tests/fuzz/corpus/$name
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work/corpus"/ 2>/dev/null
	TMPDIR="$work/tmp" nice -n 19 "$f" -max_total_time="$secs" \
		-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$work/art/" "$work/corpus" >"$work/log" 2>&1
	rc=$?
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$')
	eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/log" | grep -o '[0-9]*$')
	last=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1)
	cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')
	ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*')
	corp=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*')
	crashes=$(ls "$work/art" | wc -l)
	[ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ] || bad=$((bad + 1))
	echo "| $name | ${runs:-?} | ${eps:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $crashes$( [ "$rc" -eq 0 ] || echo " (exit $rc)") |"
done
[ "$bad" -eq 0 ]
