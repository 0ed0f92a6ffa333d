/*
 * seen.c — the hashes of accepted tokens (replay refusal, DESIGN.md §4.5):
 * a ring of the last D_SEEN_MAX plus an open-addressing index over it, so
 * a lookup is O(1) instead of a scan of 65,536 hashes per submit (17 % of
 * the daemon's CPU under load, docs/BENCHMARKS.md).
 *
 * Invariants: every hash in the ring is in the index and nothing else is
 * (a hash leaving the ring leaves the index, by backward-shift deletion, so
 * no tombstones accumulate); slots are chosen by SipHash under a random
 * per-daemon key, so submitted tokens cannot be ground into one chain.
 * Token hashes are public, so compares need not be constant-time.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"

#define SEEN_SLOTS (2 * D_SEEN_MAX) /* power of two, load <= 1/2 */
#define SEEN_MASK (SEEN_SLOTS - 1)

_Static_assert((SEEN_SLOTS & SEEN_MASK) == 0, "SEEN_SLOTS is a power of 2");

static size_t seen_slot(const struct daemon *d, const uint8_t *h)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(out, h, AD_DIGEST_LEN, d->seen_key);
	memcpy(&v, out, sizeof(v));
	return (size_t)(v & SEEN_MASK);
}

static int seen_alloc(struct daemon *d)
{
	if (d->seen == NULL &&
	    (d->seen = calloc(D_SEEN_MAX, AD_DIGEST_LEN)) == NULL)
		return -1;
	if (d->seen_tab == NULL) {
		if ((d->seen_tab = calloc(SEEN_SLOTS, sizeof(uint32_t))) == NULL)
			return -1;
		randombytes_buf(d->seen_key, sizeof(d->seen_key));
	}
	return 0;
}

static void tab_insert(struct daemon *d, size_t ring)
{
	size_t i = seen_slot(d, d->seen[ring]);

	while (d->seen_tab[i] != 0)
		i = (i + 1) & SEEN_MASK;
	d->seen_tab[i] = (uint32_t)ring + 1;
}

/* Remove ring entry `ring` from the index (it must be there). */
static void tab_delete(struct daemon *d, size_t ring)
{
	size_t p = seen_slot(d, d->seen[ring]), j, k;

	while (d->seen_tab[p] != (uint32_t)ring + 1)
		p = (p + 1) & SEEN_MASK;
	for (j = p;;) {
		j = (j + 1) & SEEN_MASK;
		if (d->seen_tab[j] == 0)
			break;
		k = seen_slot(d, d->seen[d->seen_tab[j] - 1]);
		/* move j back into the hole at p unless its home k lies
		 * cyclically in (p, j] */
		if ((j > p && (k <= p || k > j)) || (j < p && k <= p && k > j)) {
			d->seen_tab[p] = d->seen_tab[j];
			p = j;
		}
	}
	d->seen_tab[p] = 0;
}

int store_seen(const struct daemon *d, const uint8_t h[AD_DIGEST_LEN])
{
	size_t i;

	if (d->seen_tab == NULL)
		return 0;
	for (i = seen_slot(d, h); d->seen_tab[i] != 0; i = (i + 1) & SEEN_MASK)
		if (memcmp(d->seen[d->seen_tab[i] - 1], h, AD_DIGEST_LEN) == 0)
			return 1;
	return 0;
}

/* A bounded ring: the oldest of D_SEEN_MAX accepted tokens is forgotten
 * (a replay of it still meets the request's own state checks). */
void store_remember(struct daemon *d, const uint8_t h[AD_DIGEST_LEN])
{
	if (seen_alloc(d) != 0)
		return;
	if (d->n_seen == D_SEEN_MAX)
		tab_delete(d, d->seen_next);
	memcpy(d->seen[d->seen_next], h, AD_DIGEST_LEN);
	tab_insert(d, d->seen_next);
	d->seen_next = (d->seen_next + 1) % D_SEEN_MAX;
	if (d->n_seen < D_SEEN_MAX)
		d->n_seen++;
}

/* After the ring was filled directly (snapshot.c): index it anew. */
int store_seen_reindex(struct daemon *d)
{
	if (seen_alloc(d) != 0)
		return -1;
	memset(d->seen_tab, 0, SEEN_SLOTS * sizeof(uint32_t));
	for (size_t i = 0; i < d->n_seen; i++)
		tab_insert(d, i);
	return 0;
}

void store_seen_free(struct daemon *d)
{
	free(d->seen);
	free(d->seen_tab);
	d->seen = NULL;
	d->seen_tab = NULL;
	d->n_seen = d->seen_next = 0;
}
