/*
 * fuzz_buf.c — a chain of buffer gets over arbitrary bytes, the way a frame
 * parser uses them. The first byte picks the sequence of gets. Checks: the
 * read offset never passes len, strings from get_cstring have no embedded
 * NUL and respect maxlen, and their escaped form is printable ASCII.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t n)
{
	char *c = strndup(s, n); /* direct strings are not terminated */
	char *e = ad_escape_n(s, n), *z = c ? ad_sanitize(c, 16) : NULL;
	size_t i;

	if (e != NULL)
		for (i = 0; e[i] != '\0'; i++)
			if ((unsigned char)e[i] < 0x20 ||
			    (unsigned char)e[i] >= 0x7f)
				abort();
	if (z != NULL && strlen(z) > 16)
		abort();
	free(c);
	free(e);
	free(z);
}

static int get_one(struct ad_buf *b, unsigned op)
{
	uint8_t u8, raw[5];
	uint32_t u32;
	uint64_t u64;
	const uint8_t *p;
	size_t n;
	char *s;
	int r;

	switch (op & 7) {
	case 0: return ad_buf_get_u8(b, &u8);
	case 1: return ad_buf_get_u32(b, &u32);
	case 2: return ad_buf_get_u64(b, &u64);
	case 3: return ad_buf_get(b, raw, sizeof(raw));
	case 4:
		if ((r = ad_buf_get_string_direct(b, &p, &n, 64)) == 0) {
			if (n > 64 || p < b->data || p + n > b->data + b->len)
				abort();
			check_text((const char *)p, n);
		}
		return r;
	default:
		if ((r = ad_buf_get_cstring(b, &s, 32)) == 0) {
			if (strlen(s) > 32)
				abort();
			check_text(s, strlen(s));
			free(s);
		} else if (s != NULL) {
			abort();
		}
		return r;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_buf b, w;
	unsigned ops, i;

	if (size < 2)
		return 0;
	ops = (unsigned)data[0] << 8 | data[1];
	ad_buf_from(&b, data + 2, size - 2);
	for (i = 0; i < 16; i++) {
		if (get_one(&b, ops >> (i % 14)) != 0)
			break;
		if (b.off > b.len)
			abort();
	}
	/* copying what is left into a capped writable buffer */
	ad_buf_init(&w, 100);
	if (ad_buf_put(&w, ad_buf_ptr(&b), ad_buf_avail(&b)) == 0 &&
	    ad_buf_avail(&b) > 100)
		abort();
	ad_buf_free(&w);
	return 0;
}
