/*
 * canon.c — canonical encoding and BLAKE2b-256 (see canon.h).
 *
 * Invariants: every field is self-delimiting (length or fixed width), the
 * domain is the first field, and a field longer than UINT32_MAX is an error,
 * never silently truncated.
 */
#include "canon.h"

#include <string.h>

#include "error.h"

static void canon_raw(struct ad_canon *c, const void *p, size_t n)
{
	if (c->err != 0 || n == 0)
		return;
	if (crypto_generichash_update(&c->h, p, n) != 0) {
		c->err = AD_ERR_CRYPTO;
		return;
	}
	if (c->out != NULL && ad_buf_put(c->out, p, n) != 0)
		c->err = AD_ERR_TOOBIG;
}

void ad_canon_u32(struct ad_canon *c, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
	                (uint8_t)(v >> 8), (uint8_t)v};
	canon_raw(c, b, sizeof(b));
}

void ad_canon_u64(struct ad_canon *c, uint64_t v)
{
	ad_canon_u32(c, (uint32_t)(v >> 32));
	ad_canon_u32(c, (uint32_t)v);
}

void ad_canon_bytes(struct ad_canon *c, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		if (c->err == 0)
			c->err = AD_ERR_TOOBIG;
		return;
	}
	ad_canon_u32(c, (uint32_t)n);
	canon_raw(c, p, n);
}

void ad_canon_str(struct ad_canon *c, const char *s)
{
	if (s == NULL)
		s = "";
	ad_canon_bytes(c, s, strlen(s));
}

void ad_canon_list(struct ad_canon *c, char *const *v, size_t n)
{
	if (n > UINT32_MAX || (n > 0 && v == NULL)) {
		if (c->err == 0)
			c->err = AD_ERR_INVALID;
		return;
	}
	ad_canon_u32(c, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		ad_canon_str(c, v[i]);
}

void ad_canon_init(struct ad_canon *c, const char *domain, struct ad_buf *out)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	if (crypto_generichash_init(&c->h, NULL, 0, 32) != 0)
		c->err = AD_ERR_CRYPTO;
	ad_canon_str(c, domain);
}

int ad_canon_final(struct ad_canon *c, uint8_t out[32])
{
	int err = c->err;

	memset(out, 0, 32);
	if (err == 0 && crypto_generichash_final(&c->h, out, 32) != 0)
		err = AD_ERR_CRYPTO;
	if (err != 0)
		memset(out, 0, 32);
	sodium_memzero(&c->h, sizeof(c->h));
	c->err = err != 0 ? err : AD_ERR_STATE; /* final only once */
	return err;
}
