/*
 * fuzz_evidence.c — libFuzzer target for the evidence reader: the input is
 * an evidence file, scanned from a memfd (no file is written) with a fixed
 * host key, every accepted record also rendered in syslog form; then the
 * first line alone is checked as a record with ad_ev_check_line, and the
 * fast canonical-form scanner is checked against jansson on it: a fast
 * "canonical" for bytes jansson would not write back identically aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "evidence_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static uint8_t pk[crypto_sign_PUBLICKEYBYTES];

static int kv_cb(void *arg, const json_t *rec)
{
	char *kv = ad_evidence_kv(rec, "00");
	size_t *n = arg;

	if (kv) {
		for (const char *c = kv; *c; c++)
			if ((unsigned char)*c < 0x20 ||
			    (unsigned char)*c >= 0x7f)
				abort(); /* a control byte would reach syslog */
		free(kv);
	}
	++*n;
	return 0;
}

static void init(void)
{
	uint8_t seed[32], sk[crypto_sign_SECRETKEYBYTES];

	if (sodium_init() < 0)
		abort();
	memset(seed, 7, sizeof(seed)); /* the host key of the test fixtures */
	crypto_sign_seed_keypair(pk, sk, seed);
	fd = memfd_create("fuzz_evidence", MFD_CLOEXEC);
	if (fd < 0)
		abort();
}

/* The fast scanner must never accept what load+dump does not. */
/* b (stolen) is NULL (allowed if may_fail) or equal to j and dumps back
 * to the line. */
static void same_tree(const json_t *j, json_t *b, const char *s, size_t n,
                      int may_fail)
{
	char *d;

	if (b == NULL) {
		if (!may_fail)
			abort();
		return;
	}
	d = json_dumps(b, AD_EV_DUMP_FLAGS);
	if (!json_equal(b, j) || !d || strlen(d) != n || memcmp(d, s, n) != 0)
		abort();
	free(d);
	json_decref(b);
}

static void fast_vs_jansson(const char *s, size_t n)
{
	struct ad_ev_fast f;
	json_t *j;
	char *d;

	if (!ad_ev_canon_fast(s, n, &f))
		return;
	j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
	d = j && json_is_object(j) ? json_dumps(j, AD_EV_DUMP_FLAGS) : NULL;
	if (!d || strlen(d) != n || memcmp(d, s, n) != 0)
		abort();
	free(d);
	/* the tree built from the accepted bytes (start-up, replay) is
	 * jansson's, keys in the same order; the builder may give up (NULL)
	 * only where ad_ev_canon_load then falls back to jansson */
	same_tree(j, ad_ev_canon_build(s, n), s, n, 1);
	same_tree(j, ad_ev_canon_load(s, n), s, n, 0);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_ev_scan s;
	struct ad_ev_chain ch;
	char why[AD_EVIDENCE_WHY_MAX];
	const uint8_t *nl;
	size_t n = 0;
	int unparsable;

	if (fd < 0)
		init();
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	memset(&s, 0, sizeof(s));
	s.host_pk = pk;
	s.cb = kv_cb;
	s.arg = &n;
	s.tolerate_torn = size & 1;
	if (ad_ev_scan_fd(fd, &s) == 0 && n != s.ch.seq)
		abort(); /* every accepted record reached the callback */
	memset(&ch, 0, sizeof(ch));
	nl = memchr(data, '\n', size);
	fast_vs_jansson((const char *)data, nl ? (size_t)(nl - data) : size);
	ad_ev_check_line(&ch, (const char *)data,
	                 nl ? (size_t)(nl - data) : size, pk, NULL, &unparsable,
	                 why, sizeof(why));
	return 0;
}
