/*
 * canon.h — the canonical, domain-separated encoding behind every digest and
 * signed statement (docs/formats/crypto.md "canonical encoding").
 *
 * Invariants (DESIGN.md §4.5): the domain string comes first; every string
 * field is a u32 big-endian length followed by its bytes; integers are
 * fixed-width big-endian; a list is a u32 count followed by each item
 * length-prefixed. Fields are written in one fixed order chosen by the
 * caller, so two different inputs never share an encoding.
 * The encoder feeds a BLAKE2b-256 state and, optionally, an ad_buf. The first
 * error sticks and is returned by ad_canon_final().
 */
#ifndef APPROVERD_CANON_H
#define APPROVERD_CANON_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "buf.h"

#define AD_DOMAIN_EXEC "approverd-exec-v1"
#define AD_DOMAIN_REQUEST "approverd-request-v1"
#define AD_DOMAIN_TOKEN "approverd-token-v1"
#define AD_DOMAIN_KEYID "approverd-keyid-v1"

struct ad_canon {
	crypto_generichash_state h;
	struct ad_buf *out; /* also append the bytes here (may be NULL) */
	int err;            /* first error, sticky */
};

/* Start an encoding with its domain string; out may be NULL. */
void ad_canon_init(struct ad_canon *c, const char *domain, struct ad_buf *out);
/* u32 length + bytes. */
void ad_canon_bytes(struct ad_canon *c, const void *p, size_t n);
/* A C string as a length-prefixed field; NULL encodes like "" (absent). */
void ad_canon_str(struct ad_canon *c, const char *s);
void ad_canon_u32(struct ad_canon *c, uint32_t v);
void ad_canon_u64(struct ad_canon *c, uint64_t v);
/* u32 count, then each item as ad_canon_str. */
void ad_canon_list(struct ad_canon *c, char *const *v, size_t n);
/* BLAKE2b-256 of everything written; returns the sticky error or 0. */
int ad_canon_final(struct ad_canon *c, uint8_t out[32])
    __attribute__((warn_unused_result));

#endif
