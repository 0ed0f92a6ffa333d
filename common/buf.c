/*
 * buf.c — the bounded buffer for untrusted bytes (sshbuf-style).
 *
 * Invariants kept here:
 * - len never exceeds max; all length arithmetic is checked before use, so
 *   no size_t addition can wrap;
 * - every get zeroes its output on entry and consumes nothing on failure;
 * - strings handed out as C strings never contain NUL;
 * - memory is wiped before it is freed or abandoned by a grow;
 * - a read-only buffer (ad_buf_from) is never written, grown or freed.
 */
#include "buf.h"
#include "error.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_ALLOC 64

void ad_buf_init(struct ad_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void ad_buf_from(struct ad_buf *b, const void *data, size_t len)
{
	memset(b, 0, sizeof(*b));
	/* Cast away const: readonly buffers are never written. */
	b->data = (uint8_t *)(uintptr_t)data;
	b->len = len;
	b->cap = len;
	b->max = len;
	b->readonly = 1;
}

void ad_buf_free(struct ad_buf *b)
{
	if (b == NULL)
		return;
	if (!b->readonly && b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

void ad_buf_reset(struct ad_buf *b)
{
	if (!b->readonly && b->data != NULL)
		sodium_memzero(b->data, b->len);
	b->len = 0;
	b->off = 0;
}

size_t ad_buf_avail(const struct ad_buf *b)
{
	return b->len - b->off;
}

const uint8_t *ad_buf_ptr(const struct ad_buf *b)
{
	return b->data == NULL ? b->data : b->data + b->off;
}

/* Make room for n more bytes; never past max. */
static int buf_reserve(struct ad_buf *b, size_t n)
{
	size_t need, ncap;
	uint8_t *nd;

	if (b->readonly)
		return AD_ERR_INVALID;
	if (b->len > b->max || n > b->max - b->len)
		return AD_ERR_TOOBIG;
	need = b->len + n;
	if (need <= b->cap)
		return AD_OK;
	ncap = b->cap < BUF_MIN_ALLOC ? BUF_MIN_ALLOC : b->cap;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? SIZE_MAX : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	/* Copy by hand so the old block can be wiped, not left in the heap. */
	if ((nd = malloc(ncap)) == NULL)
		return AD_ERR_NOMEM;
	if (b->data != NULL) {
		memcpy(nd, b->data, b->len);
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = nd;
	b->cap = ncap;
	return AD_OK;
}

int ad_buf_put(struct ad_buf *b, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return b->readonly ? AD_ERR_INVALID : AD_OK;
	if (p == NULL)
		return AD_ERR_INVALID;
	if ((r = buf_reserve(b, n)) != 0)
		return r;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return AD_OK;
}

int ad_buf_put_u8(struct ad_buf *b, uint8_t v)
{
	return ad_buf_put(b, &v, 1);
}

int ad_buf_put_u32(struct ad_buf *b, uint32_t v)
{
	uint8_t w[4];

	w[0] = (uint8_t)(v >> 24);
	w[1] = (uint8_t)(v >> 16);
	w[2] = (uint8_t)(v >> 8);
	w[3] = (uint8_t)v;
	return ad_buf_put(b, w, sizeof(w));
}

int ad_buf_put_u64(struct ad_buf *b, uint64_t v)
{
	uint8_t w[8];
	int i;

	for (i = 0; i < 8; i++)
		w[i] = (uint8_t)(v >> (56 - 8 * i));
	return ad_buf_put(b, w, sizeof(w));
}

int ad_buf_put_string(struct ad_buf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT32_MAX)
		return AD_ERR_TOOBIG;
	if (n > 0 && p == NULL)
		return AD_ERR_INVALID;
	if (b->readonly)
		return AD_ERR_INVALID;
	/* Reserve the whole string first so a failure writes nothing. */
	if (n > SIZE_MAX - 4)
		return AD_ERR_TOOBIG;
	if ((r = buf_reserve(b, 4 + n)) != 0)
		return r;
	if ((r = ad_buf_put_u32(b, (uint32_t)n)) != 0)
		return r;
	return n == 0 ? AD_OK : ad_buf_put(b, p, n);
}

int ad_buf_put_cstring(struct ad_buf *b, const char *s)
{
	if (s == NULL)
		return AD_ERR_INVALID;
	return ad_buf_put_string(b, s, strlen(s));
}

int ad_buf_get(struct ad_buf *b, void *p, size_t n)
{
	if (p != NULL && n > 0)
		memset(p, 0, n);
	if (n > ad_buf_avail(b))
		return AD_ERR_TRUNCATED;
	if (n == 0)
		return AD_OK;
	if (p == NULL)
		return AD_ERR_INVALID;
	memcpy(p, b->data + b->off, n);
	b->off += n;
	return AD_OK;
}

int ad_buf_get_u8(struct ad_buf *b, uint8_t *v)
{
	return ad_buf_get(b, v, 1);
}

int ad_buf_get_u32(struct ad_buf *b, uint32_t *v)
{
	uint8_t w[4];
	int r;

	*v = 0;
	if ((r = ad_buf_get(b, w, sizeof(w))) != 0)
		return r;
	*v = (uint32_t)w[0] << 24 | (uint32_t)w[1] << 16 |
	     (uint32_t)w[2] << 8 | (uint32_t)w[3];
	return AD_OK;
}

int ad_buf_get_u64(struct ad_buf *b, uint64_t *v)
{
	uint8_t w[8];
	uint64_t x = 0;
	int r, i;

	*v = 0;
	if ((r = ad_buf_get(b, w, sizeof(w))) != 0)
		return r;
	for (i = 0; i < 8; i++)
		x = x << 8 | w[i];
	*v = x;
	return AD_OK;
}

/* Peek a u32-prefixed string without consuming it. */
static int buf_peek_string(const struct ad_buf *b, const uint8_t **p,
			   size_t *n, size_t maxlen)
{
	const uint8_t *q = ad_buf_ptr(b);
	size_t avail = ad_buf_avail(b);
	uint32_t len;

	*p = NULL;
	*n = 0;
	if (avail < 4)
		return AD_ERR_TRUNCATED;
	len = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 |
	      (uint32_t)q[2] << 8 | (uint32_t)q[3];
	if (len > maxlen)
		return AD_ERR_TOOBIG;
	if (len > avail - 4)
		return AD_ERR_TRUNCATED;
	*p = q + 4;
	*n = len;
	return AD_OK;
}

int ad_buf_get_string_direct(struct ad_buf *b, const uint8_t **p, size_t *n,
			     size_t maxlen)
{
	const uint8_t *q;
	size_t len;
	int r;

	*p = NULL;
	*n = 0;
	if ((r = buf_peek_string(b, &q, &len, maxlen)) != 0)
		return r;
	b->off += 4 + len;
	*p = q;
	*n = len;
	return AD_OK;
}

int ad_buf_get_cstring(struct ad_buf *b, char **out, size_t maxlen)
{
	const uint8_t *q;
	size_t len;
	char *s;
	int r;

	*out = NULL;
	if ((r = buf_peek_string(b, &q, &len, maxlen)) != 0)
		return r;
	if (len > 0 && memchr(q, '\0', len) != NULL)
		return AD_ERR_INVALID;
	if (len == SIZE_MAX || (s = malloc(len + 1)) == NULL)
		return AD_ERR_NOMEM;
	if (len > 0)
		memcpy(s, q, len);
	s[len] = '\0';
	b->off += 4 + len;
	*out = s;
	return AD_OK;
}
