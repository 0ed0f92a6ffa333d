/*
 * ere_size.h — how big glibc's regcomp(3) makes a POSIX extended regular
 * expression, before compiling it (policy.conf `ticket`).
 */
#ifndef APPROVERD_ERE_SIZE_H
#define APPROVERD_ERE_SIZE_H

#include <stddef.h>

/* The most atoms a `ticket` regex may expand to (see ad_ere_size). */
#define AD_ERE_SIZE_MAX 1000

/*
 * An upper estimate of the atoms regcomp builds for re: every atom counts
 * 1, a group counts what its branches count, and a repetition copies what
 * it repeats as often as regcomp does ({m,n}: n times, {m,}: m + 1, +: 2),
 * so nested intervals multiply. Saturates just above AD_ERE_SIZE_MAX.
 * Malformed input (unbalanced brackets, bad intervals) gets an estimate
 * too; regcomp is left to reject it. Returns -1, too complex, when groups
 * nest more than 6 deep or a repetition follows a repetition ("a??",
 * "a+{2}": regcomp's time grows exponentially with such stacks).
 */
int ad_ere_size(const char *re, size_t *size);

#endif
