/*
 * index.c — O(1) lookup of the daemon's requests: by id, and by (uid,
 * execution digest) for re-run matching (§3 step 3).
 *
 * Invariants:
 *  - the two tables hold exactly the entries of d->reqs (store_link and
 *    store_prune/store_free_all keep them in step), so a lookup here gives
 *    the same answer as the linear scan of the list it replaces;
 *  - bucket positions come from SipHash (crypto_shorthash) under a random
 *    per-daemon key, so no request content can force long chains;
 *  - ids compare like strncmp(.., AD_ID_MAX) (hash over strnlen(AD_ID_MAX)),
 *    digests in constant time; among several (uid, exec) matches the newest
 *    (highest ord, i.e. first in d->reqs) wins, as the scan did;
 *  - a table that cannot grow (ENOMEM) keeps working with longer chains.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "daemon.h"
#include "error.h"

#define IDX_MIN_BUCKETS 1024

_Static_assert(sizeof(((struct daemon *)0)->idx_key) ==
		       crypto_shorthash_KEYBYTES, "idx_key is a SipHash key");

static size_t id_slot(const struct daemon *d, const char *id, size_t nb)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const uint8_t *)id, strnlen(id, AD_ID_MAX),
			 d->idx_key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (nb - 1));
}

static size_t exec_slot(const struct daemon *d, uint32_t uid,
			const uint8_t exec_digest[AD_DIGEST_LEN], size_t nb)
{
	uint8_t in[4 + AD_DIGEST_LEN], h[crypto_shorthash_BYTES];
	uint64_t v;

	memcpy(in, &uid, 4);
	memcpy(in + 4, exec_digest, AD_DIGEST_LEN);
	crypto_shorthash(h, in, sizeof(in), d->idx_key);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (nb - 1));
}

static void put(struct daemon *d, struct dreq **by_id, struct dreq **by_exec,
		size_t nb, struct dreq *q)
{
	size_t i = id_slot(d, q->req.id, nb);
	size_t e = exec_slot(d, q->req.uid, q->exec_digest, nb);

	q->id_next = by_id[i];
	by_id[i] = q;
	q->ex_next = by_exec[e];
	by_exec[e] = q;
}

/* Double the tables once they hold as many entries as buckets. Every
 * indexed entry is on d->reqs, so the list is walked to re-bucket them. */
static int grow(struct daemon *d)
{
	size_t nb = d->n_buckets ? d->n_buckets * 2 : IDX_MIN_BUCKETS;
	struct dreq **bi = calloc(nb, sizeof(*bi));
	struct dreq **be = calloc(nb, sizeof(*be));

	if (bi == NULL || be == NULL || nb < d->n_buckets) {
		free(bi);
		free(be);
		return AD_ERR_NOMEM;
	}
	if (d->n_buckets == 0)
		randombytes_buf(d->idx_key, sizeof(d->idx_key));
	for (struct dreq *q = d->reqs; q != NULL; q = q->next)
		put(d, bi, be, nb, q);
	free(d->by_id);
	free(d->by_exec);
	d->by_id = bi;
	d->by_exec = be;
	d->n_buckets = nb;
	return 0;
}

/* Call before q goes on d->reqs; q->req.id and q->exec_digest are final. */
int idx_add(struct daemon *d, struct dreq *q)
{
	if (d->n_reqs + 1 > d->n_buckets && grow(d) != 0 && d->n_buckets == 0)
		return AD_ERR_NOMEM; /* no table at all yet */
	q->ord = ++d->next_ord;
	put(d, d->by_id, d->by_exec, d->n_buckets, q);
	return 0;
}

static void unchain(struct dreq **pp, struct dreq *q, int by_id)
{
	for (; *pp != NULL;
	     pp = by_id ? &(*pp)->id_next : &(*pp)->ex_next) {
		if (*pp == q) {
			*pp = by_id ? q->id_next : q->ex_next;
			return;
		}
	}
}

void idx_del(struct daemon *d, struct dreq *q)
{
	if (d->n_buckets == 0)
		return;
	unchain(&d->by_id[id_slot(d, q->req.id, d->n_buckets)], q, 1);
	unchain(&d->by_exec[exec_slot(d, q->req.uid, q->exec_digest,
				      d->n_buckets)], q, 0);
	q->id_next = q->ex_next = NULL;
}

struct dreq *idx_find(const struct daemon *d, const char *id)
{
	if (d->n_buckets == 0)
		return NULL;
	for (struct dreq *q = d->by_id[id_slot(d, id, d->n_buckets)];
	     q != NULL; q = q->id_next)
		if (strncmp(q->req.id, id, AD_ID_MAX) == 0)
			return q;
	return NULL;
}

/* sponsor NULL: any sponsor; else only requests with exactly that sponsor
 * ("" = none), so a re-run never reuses an approval across sessions of
 * different humans (review R8). */
static int sponsor_is(const struct dreq *q, const char *sponsor)
{
	const char *qs = q->req.sponsor ? q->req.sponsor : "";

	return sponsor == NULL || strcmp(qs, sponsor) == 0;
}

struct dreq *idx_find_exec(const struct daemon *d, uint32_t uid,
			   const uint8_t exec_digest[AD_DIGEST_LEN],
			   const char *sponsor)
{
	struct dreq *best = NULL;

	if (d->n_buckets == 0)
		return NULL;
	for (struct dreq *q = d->by_exec[exec_slot(d, uid, exec_digest,
						  d->n_buckets)];
	     q != NULL; q = q->ex_next)
		if (q->req.uid == uid &&
		    (q->state == AD_STATE_PENDING ||
		     q->state == AD_STATE_APPROVED) &&
		    sodium_memcmp(q->exec_digest, exec_digest,
				  AD_DIGEST_LEN) == 0 && sponsor_is(q, sponsor) &&
		    (best == NULL || q->ord > best->ord))
			best = q;
	return best;
}

void idx_free(struct daemon *d)
{
	free(d->by_id);
	free(d->by_exec);
	d->by_id = d->by_exec = NULL;
	d->n_buckets = 0;
}
