/*
 * test_store_index.c — the daemon's request table (approverd/daemon/store.c)
 * and its hash index (index.c): every lookup must give what the linear
 * scan of d->reqs gives, through growth, pruning and freeing.
 * The real store.c and index.c are compiled into this test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../approverd/daemon/index.c"
#include "../../approverd/daemon/store.c"
#include "../../approverd/daemon/seen.c"

static struct dreq *mk(struct daemon *d, uint32_t uid, uint8_t tag,
		       enum ad_state st)
{
	struct dreq *q = calloc(1, sizeof(*q));

	assert_non_null(q);
	ad_request_init(&q->req);
	assert_int_equal(store_new_id(d, q->req.id), 0);
	q->req.uid = uid;
	memset(q->exec_digest, tag, sizeof(q->exec_digest));
	q->state = st;
	assert_int_equal(store_link(d, q), 0);
	return q;
}

/* The reference answers: the scans store.c used before the index. */
static struct dreq *scan_find(struct daemon *d, const char *id)
{
	for (struct dreq *q = d->reqs; q != NULL; q = q->next)
		if (strncmp(q->req.id, id, AD_ID_MAX) == 0)
			return q;
	return NULL;
}

static struct dreq *scan_exec(struct daemon *d, uint32_t uid,
			      const uint8_t *ex)
{
	for (struct dreq *q = d->reqs; q != NULL; q = q->next)
		if (q->req.uid == uid &&
		    (q->state == AD_STATE_PENDING || q->state == AD_STATE_APPROVED) &&
		    memcmp(q->exec_digest, ex, AD_DIGEST_LEN) == 0)
			return q;
	return NULL;
}

static size_t chained(const struct daemon *d, int by_id)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_buckets; i++)
		for (struct dreq *q = by_id ? d->by_id[i] : d->by_exec[i];
		     q != NULL; q = by_id ? q->id_next : q->ex_next)
			n++;
	return n;
}

static void test_find_by_id_through_growth(void **state)
{
	struct daemon d = {0};
	char other[AD_ID_MAX];

	(void)state;
	for (uint32_t i = 0; i < 5000; i++)
		mk(&d, 1000 + i % 7, (uint8_t)i, AD_STATE_PENDING);
	assert_int_equal(d.n_reqs, 5000);
	assert_true(d.n_buckets >= 5000); /* grew from IDX_MIN_BUCKETS */
	assert_int_equal(chained(&d, 1), 5000);
	assert_int_equal(chained(&d, 0), 5000);
	for (struct dreq *q = d.reqs; q != NULL; q = q->next)
		assert_ptr_equal(store_find(&d, q->req.id), q);
	snprintf(other, sizeof(other), "R-0000-000G"); /* never generated */
	assert_null(store_find(&d, other));
	assert_null(store_find(&d, ""));
	store_free_all(&d);
	assert_null(d.reqs);
	assert_int_equal(d.n_buckets, 0);
	assert_null(store_find(&d, other));
}

static void test_find_exec_newest_live_match(void **state)
{
	struct daemon d = {0};
	uint8_t ex[AD_DIGEST_LEN];
	struct dreq *old, *mid, *young;

	(void)state;
	memset(ex, 0x5a, sizeof(ex));
	old = mk(&d, 42, 0x5a, AD_STATE_PENDING);
	mid = mk(&d, 42, 0x5a, AD_STATE_APPROVED);
	young = mk(&d, 42, 0x5a, AD_STATE_DENIED);
	mk(&d, 43, 0x5a, AD_STATE_PENDING); /* other uid: never matches 42 */
	assert_ptr_equal(store_find_exec(&d, 42, ex), mid);
	assert_ptr_equal(store_find_exec(&d, 42, ex), scan_exec(&d, 42, ex));
	mid->state = AD_STATE_CONSUMED;
	assert_ptr_equal(store_find_exec(&d, 42, ex), old);
	young->state = AD_STATE_PENDING;
	assert_ptr_equal(store_find_exec(&d, 42, ex), young);
	old->state = young->state = AD_STATE_EXPIRED;
	assert_null(store_find_exec(&d, 42, ex));
	ex[AD_DIGEST_LEN - 1] ^= 1; /* one bit off: no match for uid 43 */
	assert_null(store_find_exec(&d, 43, ex));
	ex[AD_DIGEST_LEN - 1] ^= 1;
	assert_non_null(store_find_exec(&d, 43, ex));
	assert_null(store_find_exec(&d, 44, ex));
	store_free_all(&d);
}

/* Pruning unlinks from list and index alike; kept entries stay findable. */
static void test_prune_keeps_index_in_step(void **state)
{
	struct daemon d = {0};
	size_t total = D_KEEP_MAX + 2 * D_PRUNE_BATCH; /* a batch mark */
	char (*ids)[AD_ID_MAX] = calloc(total, AD_ID_MAX);
	size_t gone = 0;

	(void)state;
	assert_non_null(ids);
	for (size_t i = 0; i < total; i++) {
		struct dreq *q = mk(&d, (uint32_t)(i % 3), (uint8_t)(i % 251),
				    i % 5 == 0 ? AD_STATE_PENDING : AD_STATE_DENIED);

		memcpy(ids[i], q->req.id, AD_ID_MAX);
	}
	store_prune(&d);
	assert_int_equal(d.n_reqs, D_KEEP_MAX);
	assert_int_equal(chained(&d, 1), D_KEEP_MAX);
	assert_int_equal(chained(&d, 0), D_KEEP_MAX);
	for (size_t i = 0; i < total; i++) {
		struct dreq *q = store_find(&d, ids[i]);

		assert_ptr_equal(q, scan_find(&d, ids[i]));
		if (q == NULL) {
			gone++;
			assert_true(i % 5 != 0); /* a pending one is never pruned */
		}
	}
	assert_int_equal(gone, 2 * D_PRUNE_BATCH);
	for (uint32_t u = 0; u < 3; u++)
		for (int t = 0; t < 251; t++) {
			uint8_t ex[AD_DIGEST_LEN];

			memset(ex, t, sizeof(ex));
			assert_ptr_equal(store_find_exec(&d, u, ex),
					 scan_exec(&d, u, ex));
		}
	store_free_all(&d);
	free(ids);
}

/* Pruning waits for a full batch, and a consumed request still owed its
 * `result` is kept for D_RESULT_WAIT after creation (finding 4). */
static void test_prune_batch_and_result_wait(void **state)
{
	struct daemon d = {0};
	const uint64_t day = 86400ull * 1000000ull, t0 = 100 * day;
	struct dreq *old_owed, *young_owed, *q;
	char old_id[AD_ID_MAX], young_id[AD_ID_MAX];

	(void)state;
	old_owed = mk(&d, 1, 1, AD_STATE_CONSUMED);
	old_owed->results_owed = 1;
	old_owed->req.created_us = t0;
	memcpy(old_id, old_owed->req.id, AD_ID_MAX);
	young_owed = mk(&d, 1, 2, AD_STATE_CONSUMED);
	young_owed->results_owed = 1;
	young_owed->req.created_us = t0 + 2 * day;
	memcpy(young_id, young_owed->req.id, AD_ID_MAX);
	for (size_t i = 0; i < D_KEEP_MAX + 2 * D_PRUNE_BATCH - 3; i++)
		mk(&d, 2, (uint8_t)i, AD_STATE_DENIED)->req.created_us =
			t0 + 3 * day;
	store_prune(&d); /* one below the next batch mark: not yet */
	assert_int_equal(d.n_reqs, D_KEEP_MAX + 2 * D_PRUNE_BATCH - 1);
	assert_int_equal(d.prune_walks, 0);
	q = mk(&d, 2, 9, AD_STATE_DENIED);
	q->req.created_us = t0 + 8 * day; /* the old one is now 8 days old */
	store_prune(&d);
	assert_int_equal(d.prune_walks, 1);
	assert_int_equal(d.n_reqs, D_KEEP_MAX);
	assert_null(store_find(&d, old_id));     /* waited 7 days: forgotten */
	assert_non_null(store_find(&d, young_id)); /* 6 days: still kept */
	store_free_all(&d);
}

/* Nothing prunable (every consumed request still owed its result, as when
 * a client never reports): the list is walked once per D_PRUNE_BATCH
 * creates, not at every create (that was 30 % of the daemon's CPU under
 * load, docs/BENCHMARKS.md). */
static void test_prune_walks_once_per_batch(void **state)
{
	struct daemon d = {0};
	const size_t total = D_KEEP_MAX + 5 * D_PRUNE_BATCH + 10;

	(void)state;
	for (size_t i = 0; i < total; i++) {
		struct dreq *q = mk(&d, 1, (uint8_t)i, AD_STATE_CONSUMED);

		q->results_owed = 1;
		q->req.created_us = 1000000ull * (1000 + i);
		store_prune(&d);
	}
	assert_int_equal(d.n_reqs, total); /* all still owed: all kept */
	/* marks at KEEP + 2, 3, 4, 5 batches: 4 walks for 15,010 creates */
	assert_int_equal(d.prune_walks, 4);
	store_free_all(&d);
}

static size_t scan_pending(const struct daemon *d, uint32_t uid)
{
	size_t n = 0;

	for (const struct dreq *q = d->reqs; q != NULL; q = q->next)
		n += q->req.uid == uid && q->state == AD_STATE_PENDING;
	return n;
}

/* The per-requester pending count (the create cap) equals a scan through
 * links, every state change made through store_set_state, and pruning. */
static void test_pending_count_in_step(void **state)
{
	static const enum ad_state next[] = {
		AD_STATE_APPROVED, AD_STATE_DENIED, AD_STATE_EXPIRED,
		AD_STATE_WITHDRAWN, AD_STATE_CONSUMED};
	struct daemon d = {0};
	struct dreq *q;
	size_t i = 0;

	(void)state;
	for (i = 0; i < D_KEEP_MAX + 2 * D_PRUNE_BATCH; i++) {
		q = mk(&d, (uint32_t)(i % 7), (uint8_t)i, AD_STATE_PENDING);
		if (i % 3 != 0)
			store_set_state(&d, q, next[i % 5]);
		if (i % 5 == 1)
			store_set_state(&d, q, AD_STATE_CONSUMED);
	}
	store_prune(&d);
	for (uint32_t u = 0; u < 8; u++)
		assert_int_equal(store_pending_of(&d, u), scan_pending(&d, u));
	assert_int_not_equal(store_pending_of(&d, 3), 0);
	store_free_all(&d);
	assert_int_equal(store_pending_of(&d, 3), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_by_id_through_growth),
		cmocka_unit_test(test_find_exec_newest_live_match),
		cmocka_unit_test(test_prune_keeps_index_in_step),
		cmocka_unit_test(test_prune_batch_and_result_wait),
		cmocka_unit_test(test_prune_walks_once_per_batch),
		cmocka_unit_test(test_pending_count_in_step),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
