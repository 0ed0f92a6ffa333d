/*
 * test_seen.c — the accepted-token index (approverd/daemon/seen.c): after
 * any number of insertions and evictions, exactly the hashes in the ring
 * are found. The real seen.c is compiled into this test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../approverd/daemon/seen.c"

static void hash_of(uint8_t h[AD_DIGEST_LEN], uint32_t i)
{
	crypto_generichash(h, AD_DIGEST_LEN, (const uint8_t *)&i, sizeof(i),
			   NULL, 0);
}

/* Hashes i in [lo, hi) are seen; a sample of older ones is not. */
static void check_window(const struct daemon *d, uint32_t lo, uint32_t hi)
{
	uint8_t h[AD_DIGEST_LEN];

	for (uint32_t i = lo; i < hi; i++) {
		hash_of(h, i);
		assert_true(store_seen(d, h));
	}
	for (uint32_t i = lo > 5000 ? lo - 5000 : 0; i < lo; i++) {
		hash_of(h, i);
		assert_false(store_seen(d, h));
	}
}

static void test_ring_wraps_index_follows(void **state)
{
	struct daemon d = {0};
	const uint32_t total = 2 * D_SEEN_MAX + 12345;
	uint8_t h[AD_DIGEST_LEN];

	(void)state;
	hash_of(h, 0);
	assert_false(store_seen(&d, h)); /* empty, nothing allocated */
	for (uint32_t i = 0; i < total; i++) {
		hash_of(h, i);
		store_remember(&d, h);
		assert_true(store_seen(&d, h));
		if (i >= D_SEEN_MAX) { /* the one that just fell out */
			hash_of(h, i - D_SEEN_MAX);
			assert_false(store_seen(&d, h));
		}
		if (i % 40000 == 39999)
			check_window(&d, i + 1 > D_SEEN_MAX ? i + 1 - D_SEEN_MAX : 0,
				     i + 1);
	}
	check_window(&d, total - D_SEEN_MAX, total);
	/* the snapshot path fills the ring directly, then reindexes */
	memset(d.seen_tab, 0, SEEN_SLOTS * sizeof(uint32_t));
	hash_of(h, total - 1);
	assert_false(store_seen(&d, h));
	assert_int_equal(store_seen_reindex(&d), 0);
	check_window(&d, total - D_SEEN_MAX, total);
	store_seen_free(&d);
	assert_null(d.seen_tab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_wraps_index_follows),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
