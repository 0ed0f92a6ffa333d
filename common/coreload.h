/*
 * coreload.h — load the full implementation ("core") of a client .so that
 * keeps only the human fast path itself (sudo_approverd.so, pam_approverd.so).
 *
 * Invariants (DESIGN.md §4.2, §4.7):
 *  - The core is found next to the front (dladdr of an address inside the
 *    front), never through LD_LIBRARY_PATH, the environment or a config key.
 *  - It is loaded only when it passes the trusted-file rules of safefile.h:
 *    regular file, root-owned, not group/world-writable, every parent
 *    directory root-owned and not group/world-writable (unless sticky); the
 *    object dlopen()ed is the very inode that was checked.
 *  - RTLD_NOW | RTLD_LOCAL: every symbol resolves at load time, nothing of
 *    the core leaks into the host's global namespace.
 *  - On any failure the caller gets an error and why[] names the core's path
 *    and the reason; callers refuse AI subjects (fail closed).
 *  - Library code: no exit, no output.
 */
#ifndef APPROVERD_CORELOAD_H
#define APPROVERD_CORELOAD_H

#include <stddef.h>

/* ABI between a front and its core: bumped when a core struct changes. */
#define AD_CORE_ABI 1

/* Every core's exported struct begins with these two fields. */
struct ad_core_head {
	unsigned abi;        /* AD_CORE_ABI */
	const char *version; /* APPROVERD_VERSION: front and core must match */
};

/*
 * Load the core file `name` (a bare file name) from the directory of the
 * object containing `anchor`, and look up its one exported symbol `sym`.
 * Its struct must start with a struct ad_core_head of this ABI and version
 * (else AD_ERR_INVALID). Returns 0 and *out (never NULL on success), or an
 * AD_ERR_* code with why filled ("PATH: reason"). The library stays loaded for the life of the
 * process (the core may still run at exit, e.g. sudo's audit close).
 */
int ad_core_load(void **out, const void *anchor, const char *name,
		 const char *sym, char *why, size_t whylen)
	__attribute__((warn_unused_result));

#endif
