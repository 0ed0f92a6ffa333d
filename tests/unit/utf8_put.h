/*
 * utf8_put.h — the UTF-8 bytes of one code point, for the unit tests that
 * build random JSON strings (test_evidence_enc, test_snapstart_build).
 * Header-only: each test is its own program.
 */
#ifndef APPROVERD_TEST_UTF8_PUT_H
#define APPROVERD_TEST_UTF8_PUT_H

#include <stddef.h>
#include <stdint.h>

/* c (U+0000..U+10FFFF, not a surrogate) at o (room for 4); its length. */
static size_t utf8_put(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

#endif
