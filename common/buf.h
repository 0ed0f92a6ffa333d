/*
 * buf.h — one bounded buffer for all untrusted bytes (sshbuf-style).
 *
 * Invariants: a buffer never grows past its max; every get checks the
 * remaining length first and zeroes its output on entry; strings read from a
 * buffer may not contain NUL. Calls return 0 or a negative ad_err, so they
 * chain as `if ((r = ad_buf_get_u32(b, &x)) != 0) goto out;`.
 * Integers are big-endian on the wire.
 */
#ifndef APPROVERD_BUF_H
#define APPROVERD_BUF_H

#include <stddef.h>
#include <stdint.h>

struct ad_buf {
	uint8_t *data;
	size_t len;  /* bytes written */
	size_t off;  /* read offset */
	size_t cap;  /* allocated */
	size_t max;  /* hard cap */
	int readonly;/* wraps caller memory; never freed or grown */
};

void ad_buf_init(struct ad_buf *b, size_t max);
/* Wrap existing bytes for reading only. */
void ad_buf_from(struct ad_buf *b, const void *data, size_t len);
void ad_buf_free(struct ad_buf *b);      /* wipes before free */
void ad_buf_reset(struct ad_buf *b);     /* len = off = 0, keeps memory */
size_t ad_buf_avail(const struct ad_buf *b); /* len - off */
const uint8_t *ad_buf_ptr(const struct ad_buf *b); /* data + off */

int ad_buf_put(struct ad_buf *b, const void *p, size_t n);
int ad_buf_put_u8(struct ad_buf *b, uint8_t v);
int ad_buf_put_u32(struct ad_buf *b, uint32_t v);
int ad_buf_put_u64(struct ad_buf *b, uint64_t v);
/* u32 length then bytes */
int ad_buf_put_string(struct ad_buf *b, const void *p, size_t n);
int ad_buf_put_cstring(struct ad_buf *b, const char *s);

int ad_buf_get(struct ad_buf *b, void *p, size_t n);
int ad_buf_get_u8(struct ad_buf *b, uint8_t *v);
int ad_buf_get_u32(struct ad_buf *b, uint32_t *v);
int ad_buf_get_u64(struct ad_buf *b, uint64_t *v);
/* malloc'ed, NUL-terminated; rejects embedded NUL and length > maxlen */
int ad_buf_get_cstring(struct ad_buf *b, char **out, size_t maxlen);
/* points into the buffer (no copy) */
int ad_buf_get_string_direct(struct ad_buf *b, const uint8_t **p, size_t *n,
			     size_t maxlen);

#endif
