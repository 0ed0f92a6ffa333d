/*
 * fuzz_snapshot.c — libFuzzer target for the state snapshot reader
 * (approverd/daemon/snapshot.c, compiled in here: it is daemon code).
 * The input is used three ways: (1) as the snapshot file itself (a memfd),
 * loaded with a fixed host key: random bytes must never verify; (2) as a
 * snapshot body, parsed directly (the part only a valid signature
 * reaches); (3) signed with the host key into a slot and loaded back: the
 * load must succeed exactly when (2) parsed, with the same seq and ring.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../approverd/daemon/snapshot.c"
#include "../../approverd/daemon/seen.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The daemon functions snapshot.c calls. */
void d_log(int prio, const char *fmt, ...)
{
	(void)prio;
	(void)fmt;
}

int64_t d_mono_ms(void)
{
	return 0;
}

static struct daemon d;
static uint8_t sk[crypto_sign_SECRETKEYBYTES];

static void init(void)
{
	uint8_t seed[32];

	if (sodium_init() < 0)
		abort();
	memset(seed, 7, sizeof(seed));
	crypto_sign_seed_keypair(d.host_pk, sk, seed);
	d.host_sk = sk;
	d.snap_fd = memfd_create("fuzz_snapshot", MFD_CLOEXEC);
	if (d.snap_fd < 0)
		abort();
}

static struct d_snap *load_file(const uint8_t *p, size_t n)
{
	char why[400];

	if (ftruncate(d.snap_fd, 0) != 0 ||
	    (n && pwrite(d.snap_fd, p, n, 0) != (ssize_t)n))
		abort();
	return snap_load(&d, why, sizeof(why));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct d_snap *direct, *back;
	int ok;

	if (d.snap_fd < 0 || d.host_sk == NULL)
		init();
	if (size > 1 << 20)
		return 0;
	/* (1) random bytes as the file: no forged signature verifies */
	if ((back = load_file(data, size)) != NULL)
		abort();
	/* (2) the body parser alone */
	direct = calloc(1, sizeof(*direct));
	if (direct == NULL)
		abort();
	ok = parse_body(direct, (const char *)data, size) == 0;
	/* (3) signed into slot 1 and loaded back */
	if (size == 0 || load_file(NULL, 0) != NULL ||
	    put_slot(&d, 1, (const char *)data, size) != 0) {
		snap_free(direct);
		return 0;
	}
	back = snap_load(&d, (char[400]){0}, 400);
	if ((back != NULL) != ok)
		abort();
	if (back && (back->seq != direct->seq || back->n_seen != direct->n_seen ||
		     back->seen_next != direct->seen_next || back->slot != 1 ||
		     (back->n_seen && memcmp(back->seen, direct->seen,
					     back->n_seen * AD_DIGEST_LEN))))
		abort();
	snap_free(back);
	snap_free(direct);
	return 0;
}
