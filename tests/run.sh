#!/bin/sh
# tests/run.sh — runs every test and ends with one line "N passed, N failed".
#
# Each test program prints TAP lines ("ok N - name" / "not ok N - name"):
#   unit:        $O/tests/test_*            (cmocka, CMOCKA_MESSAGE_OUTPUT=TAP)
#   integration: tests/integration/*.sh      (run as root; each sets up its own
#                                            mount namespace and temp dirs)
#   fuzz:        tests/fuzz/smoke.sh         (each fuzzer briefly + its corpus)
#   man:         tests/man-lint.sh
# A program that exits non-zero without printing a "not ok" line counts as one
# failure, so a crash can never pass. ONLY=unit|integration|fuzz|man narrows
# (several kinds: ONLY="unit integration").
#
# Used by make check-asan / check-valgrind:
#   IT_BUILD=DIR    build dir the integration tests use (default $O)
#   IT_ONLY=PATS    only integration scripts whose name (no .sh) matches one
#                   of these shell patterns, e.g. "t_daemon_* t_attack_*"
#   IT_SKIP=PATS    skip the integration scripts matching these patterns
#   SAN_LOG_DIR=DIR after each test, tests/sanitizer/check-logs.sh looks for
#                   sanitizer or valgrind reports in DIR; any report fails
#                   the test that was running (the report goes to its log).
#   SAN_MODE=asan|valgrind, DL_SLOW=N  passed on to the tests (lib.sh,
#                   t_attack_load.sh): scaled waits, no RSS bound.
set -u
O=${O:-build}
ONLY=${ONLY:-}
IT_BUILD=${IT_BUILD:-$O}
SAN_LOG_DIR=${SAN_LOG_DIR:-}
top=$(cd "$(dirname "$0")/.." && pwd)
logdir=$O/test-logs
mkdir -p "$logdir"
pass=0
fail=0

run_one() { # name, command...
	name=$1; shift
	log=$logdir/$(echo "$name" | tr '/ ' '__').log
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	[ -z "$SAN_LOG_DIR" ] || san_check "$name" "$log"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited $rc without reporting a failure" >>"$log"
	fi
	if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name ran no test" >>"$log"
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -gt 0 ]; then
		printf 'FAIL %-40s %d passed, %d failed (log: %s)\n' "$name" "$p" "$f" "$log"
		grep '^not ok' "$log" | head -20 | sed 's/^/     /'
		tail -n 30 "$log" | sed 's/^/     | /'
	else
		printf 'ok   %-40s %d passed\n' "$name" "$p"
	fi
}

# A sanitizer/valgrind report (or one printed to the output) fails the test.
san_check() { # name, log
	if grep -Eq ': runtime error: |ERROR: (AddressSanitizer|LeakSanitizer)' "$2"; then
		echo "not ok - $1: sanitizer report in the test output" >>"$2"
	fi
	if ! sh "$top/tests/sanitizer/check-logs.sh" "$SAN_LOG_DIR" "$1" >>"$2" 2>&1; then
		echo "not ok - $1: sanitizer or valgrind report (see above)" >>"$2"
	fi
}

want() { case " $ONLY " in "  " | *" $1 "*) return 0 ;; esac; return 1; }

matches() { # name, patterns: true when the name matches one of them
	_m=$1; shift
	for _pat in "$@"; do
		# shellcheck disable=SC2254
		case $_m in $_pat) return 0 ;; esac
	done
	return 1
}

it_wanted() { # script name without .sh
	set -f # the patterns are split into words, never globbed here
	_ok=0
	# shellcheck disable=SC2086
	if [ -n "${IT_ONLY:-}" ] && ! matches "$1" $IT_ONLY; then _ok=1; fi
	# shellcheck disable=SC2086
	if [ -n "${IT_SKIP:-}" ] && matches "$1" $IT_SKIP; then _ok=1; fi
	set +f
	return $_ok
}

if want unit; then
	for t in "$O"/tests/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP \
			APPROVERD_TOP="$top" APPROVERD_BUILD="$O" "$t"
	done
fi
if want integration; then
	for t in "$top"/tests/integration/t_*.sh; do
		[ -f "$t" ] || continue
		it_wanted "$(basename "$t" .sh)" || continue
		run_one "integration/$(basename "$t" .sh)" env APPROVERD_TOP="$top" \
			APPROVERD_BUILD="$(cd "$IT_BUILD" && pwd)" sh "$t"
	done
fi
if want fuzz; then
	for f in "$O"/fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		run_one "fuzz/$(basename "$f")" sh "$top/tests/fuzz/smoke.sh" "$f"
	done
fi
if want man && [ -f "$top/tests/man-lint.sh" ]; then
	run_one "man/lint" sh "$top/tests/man-lint.sh"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
