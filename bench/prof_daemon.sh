#!/bin/sh
# bench/prof_daemon.sh — where the daemon's instructions go per durable
# cycle (create -> show -> signed approval -> consume): a real approverd
# under valgrind --tool=callgrind on a real socket, in a private mount
# namespace like the benchmark sections, driven by `bench_daemon cycles`.
# Not part of `make bench` (slow); for profiling by hand:
#
#   BENCH_QUICK=1 BENCH_ONLY=daemon make O=build bench   # builds the harnesses
#   APPROVERD_TOP=$PWD APPROVERD_BUILD=$PWD/build BENCH_BIN=$PWD/build/bench \
#     sh bench/prof_daemon.sh [CLIENTS] [MS] [OUT]
#
# Prints instructions per cycle for each thread (its Ir / the evidence
# `consume` records: thread 01 is the event loop, 02 the signature
# verifier) and the loop's top functions inclusive; OUT-NN (default OUT
# $APPROVERD_BUILD/bench/callgrind.daemon) keep the full profiles for
# callgrind_annotate.
. "$APPROVERD_TOP/tests/integration/lib.sh"
ns_reexec "$0" "$@"
. "$APPROVERD_TOP/tests/integration/daemon_lib.sh"
CLIENTS=${1:-4}
MS=${2:-20000}
OUT=${3:-$APPROVERD_BUILD/bench/callgrind.daemon}
command -v valgrind >/dev/null || { echo "prof_daemon: valgrind not installed" >&2; exit 1; }
ns_users >/dev/null 2>&1 || { echo "prof_daemon: ns_users failed" >&2; exit 1; }
ns_devlog >/dev/null 2>&1 || { echo "prof_daemon: ns_devlog failed" >&2; exit 1; }
DL_CKPT=1000
DL_CONF_EXTRA="max_connections = 4096
idle_timeout = 600"
# shellcheck disable=SC2119
dl_setup >/dev/null || { echo "prof_daemon: dl_setup failed" >&2; exit 1; }
dl_key alice alice || exit 1
# The daemon under callgrind: a wrapper in the place of DL_BIN.
cat >"$T/approverd.cg" <<EOF
#!/bin/sh
exec env ${PROF_ENV:-} valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=$OUT "$DL_BIN" "\$@"
EOF
chmod 0755 "$T/approverd.cg"
DL_BIN=$T/approverd.cg
DL_SLOW=6 # callgrind: start-up waits and the exit grace x6 (lib.sh)
dl_start || { echo "prof_daemon: daemon did not start: $(tail -n 5 "$DL_LOG")" >&2; exit 1; }
"$BENCH_BIN/bench_daemon" cycles "$DL_SOCK" "$T/keys/alice.key" "$CLIENTS" "$MS" ||
	{ echo "prof_daemon: bench_daemon failed" >&2; exit 1; }
n=$(dl_ev_count '"event":"consume"')
dl_stop
echo "cycles (consume records): $n"
# one profile per thread: OUT-01 the event loop, OUT-02 the verifier
for f in "$OUT"-*; do
	ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f")
	echo "thread ${f##*-}: $ir instructions"
	[ "${n:-0}" -gt 0 ] && awk -v a="$ir" -v b="$n" 'BEGIN { printf "  per cycle: %.0f\n", a / b }'
done
callgrind_annotate --inclusive=yes "$OUT-01" 2>/dev/null | grep 'approverd\]' | sed -n '1,45p' | cut -c1-120
