#!/bin/sh
# Run each given libFuzzer binary for a few seconds on its committed corpus
# (tests/fuzz/corpus/NAME/), replaying every seed first. Prints TAP.
set -u
secs=${FUZZ_SECONDS:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0; bad=0
for f in "$@"; do
	name=$(basename "$f")
	n=$((n + 1))
	seeds=$top/tests/fuzz/corpus/$name
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
	mkdir -p "$work.tmp"
	if TMPDIR="$work.tmp" "$f" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
		execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$')
		[ -n "$execs" ] || execs=$(tail -n 5 "$work.log" | grep -o 'Done [0-9]* runs' | grep -o '[0-9]*')
		echo "ok $n - $name ${execs:-?} runs in ${secs}s, 0 crashes"
	else
		bad=$((bad + 1))
		echo "not ok $n - $name crashed"
		tail -n 40 "$work.log"
	fi
	rm -rf "$work" "$work.log" "$work.tmp"
done
[ "$bad" -eq 0 ]
