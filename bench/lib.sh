# bench/lib.sh — helpers for the benchmark section scripts (POSIX sh).
#
# Sourced by bench/s_*.sh after tests/integration/lib.sh. Each section
# prints one line per figure on stdout:
#   fig NAME MEDIAN MIN MAX N UNIT
# (N runs; MIN/MAX are the spread over runs) and "# ..." comments.
# A harness that fails makes the section exit non-zero (bench_fail).
#
# BENCH_QUICK=1 shortens every run (rounds, durations, sizes).
# BENCH_BIN is the directory of the compiled harnesses ($O/bench).

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	BENCH_ROUNDS=${BENCH_ROUNDS:-3}
	BENCH_MS=${BENCH_MS:-400}
else
	BENCH_ROUNDS=${BENCH_ROUNDS:-5}
	BENCH_MS=${BENCH_MS:-1500}
fi
BENCH_FAILED=0

bench_fail() { # what
	echo "# FAILED: $*"
	BENCH_FAILED=1
}

# bench_fig NAME UNIT V1 V2 ...: median (nearest rank), min, max, count.
bench_fig() {
	_name=$1; _unit=$2; shift 2
	if [ $# -eq 0 ]; then
		echo "# $_name: no samples"
		BENCH_FAILED=1
		return 1
	fi
	printf '%s\n' "$@" | sort -g | awk -v n="$_name" -v u="$_unit" '
		{ v[NR] = $1 }
		END { m = v[int((NR + 1) / 2)];
		      printf "fig %s %s %s %s %d %s\n", n, m, v[1], v[NR], NR, u }'
}

# Nearest-rank (lower) median of the arguments.
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Value of "name value" line NAME in text $2 (empty if none).
bench_val() { # name text
	printf '%s\n' "$2" | awk -v n="$1" '$1 == n { print $2; exit }'
}

# bench_add WALL CPU TEXT: append the wall and CPU medians that
# bench_spawn printed in TEXT to the space-separated lists named WALL and
# CPU (variable names).
bench_add() {
	_ba_w=$(bench_val spawn_us_median "$3")
	_ba_c=$(bench_val spawn_cpu_us_median "$3")
	eval "$1=\"\$$1 \$_ba_w\""
	eval "$2=\"\$$2 \$_ba_c\""
}

# bench_keep LIST V1 V2 ...: append the median of the values (a round's
# runs) to the space-separated list named LIST.
bench_keep() {
	_bk_l=$1
	shift
	_bk_m=$(bench_median "$@")
	eval "$_bk_l=\"\$$_bk_l \$_bk_m\""
}

# bench_consumes N WHAT: the section's daemon (tests/integration/
# daemon_lib.sh) recorded a consume for each of the N approved WHAT, or
# the section fails; prints the count.
bench_consumes() {
	_bc_n=$(dl_ev_count '"event":"consume"')
	[ "${_bc_n:-0}" -ge "$1" ] ||
		bench_fail "only ${_bc_n:-0} consume records for $1 approved $2"
	echo "# evidence: ${_bc_n:-0} consume records"
}

# Wall time in microseconds of one run of a command (stdout/stderr
# dropped); the command must exit 0 or the section fails.
bench_us() {
	_t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { bench_fail "$*: exit $?"; echo 0; return 1; }
	_t1=$(date +%s%N)
	echo $(( (_t1 - _t0) / 1000 ))
}

bench_done() {
	exit "$BENCH_FAILED"
}
