#!/bin/sh
# `make demo` must keep working: run tests/demo.sh and check that it completed
# every step (it exits non-zero at the first step that misbehaves).
top=${APPROVERD_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$(O=${APPROVERD_BUILD:-$top/build} sh "$top/tests/demo.sh" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q 'Demo complete: every step behaved as shown'; then
	echo "ok 1 - make demo runs every step (held, approved, quorum, sponsor refused, denial, verify-log)"
else
	echo "not ok 1 - make demo failed (exit $rc)"
	printf '%s\n' "$out" | tail -n 40 | sed 's/^/# /'
fi
steps=$(printf '%s\n' "$out" | grep -c '^== ')
if [ "$steps" -ge 11 ]; then echo "ok 2 - demo shows $steps labelled steps"; else echo "not ok 2 - demo shows only $steps steps"; fi
echo "1..2"
[ "$rc" -eq 0 ] && [ "$steps" -ge 11 ]
