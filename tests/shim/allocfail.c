/*
 * allocfail.c — an LD_PRELOAD shim that makes the Nth heap allocation after
 * an arm point fail (tests only; see docs/SECURITY-TESTING.md, "Fault
 * injection: allocation").
 *
 *   ALLOCFAIL_N       the allocation (1-based, counted from allocfail_arm())
 *                     that fails; unset or 0: none fails, only counting
 *   ALLOCFAIL_STICKY  "1": the Nth and every later allocation fail
 *
 * The program under test arms and reads the shim through three exported
 * functions it finds with dlsym(RTLD_DEFAULT, ...), so it runs unchanged
 * without the shim:
 *   void allocfail_arm(void);       start counting at 0
 *   void allocfail_disarm(void);    stop counting and failing
 *   unsigned long allocfail_state(int *hit);  allocations seen since arm;
 *                                   *hit = 1 when a failure was injected
 *
 * Covered: malloc, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc. glibc routes its own internal
 * allocations (strdup, asprintf, fopen, getpwnam, dlopen, ...) through the
 * interposed malloc, so those fail too. Not covered: mmap, sbrk, and
 * libsodium's sodium_malloc (mmap based).
 *
 * Invariants: the real work is done by glibc's __libc_* entry points (no
 * dlsym, so no allocation inside the shim and no bootstrap recursion);
 * free() is glibc's own, which frees what __libc_* returned; a failed call
 * returns NULL (or ENOMEM) with errno = ENOMEM, like a real shortage;
 * realloc(p, n) that fails leaves p valid.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <malloc.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

void allocfail_arm(void);
void allocfail_disarm(void);
unsigned long allocfail_state(int *hit);

static int armed;
static int hit;
static unsigned long seen;
static unsigned long fail_at;
static int sticky;

static unsigned long env_ulong(const char *name)
{
	const char *s = getenv(name);
	unsigned long v = 0;

	for (; s != NULL && *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	return v;
}

void allocfail_arm(void)
{
	fail_at = env_ulong("ALLOCFAIL_N");
	sticky = env_ulong("ALLOCFAIL_STICKY") == 1;
	seen = 0;
	hit = 0;
	armed = 1;
}

void allocfail_disarm(void)
{
	armed = 0;
}

unsigned long allocfail_state(int *hit_out)
{
	if (hit_out != NULL)
		*hit_out = hit;
	return seen;
}

/* 1 when this allocation must fail. */
static int should_fail(void)
{
	if (!armed)
		return 0;
	seen++;
	if (fail_at == 0 || seen < fail_at || (seen > fail_at && !sticky))
		return 0;
	hit = 1;
	errno = ENOMEM;
	return 1;
}

void *malloc(size_t n)
{
	return should_fail() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __libc_realloc(p, n);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * size);
}

void *memalign(size_t align, size_t n)
{
	return should_fail() ? NULL : __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

void *valloc(size_t n)
{
	return memalign(4096, n);
}

void *pvalloc(size_t n)
{
	return memalign(4096, (n + 4095) & ~(size_t)4095);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	if ((p = memalign(align, n)) == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}
