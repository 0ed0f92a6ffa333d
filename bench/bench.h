/*
 * bench.h — small helpers shared by the benchmark harnesses in bench/.
 * Harnesses are programs: they may print to stdout (one "name value" line
 * per figure, see docs/BENCHMARKS.md) and exit non-zero when they cannot
 * run. They are not tests and assert nothing about speed.
 */
#ifndef APPROVERD_BENCH_H
#define APPROVERD_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);
/* Print "harness: msg" to stderr and exit 1. */
void bench_die(const char *harness, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Parse a decimal unsigned argument in [lo, hi] or die naming it. */
uint32_t bench_arg_u32(const char *harness, const char *name, const char *s,
                       uint32_t lo, uint32_t hi);
/* Sort v[0..n) ascending and return the q-quantile (0..1, nearest rank). */
double bench_quantile(double *v, size_t n, double q);
/* Raise RLIMIT_NOFILE to at least want (best effort). */
void bench_nofile(unsigned want);

#endif
