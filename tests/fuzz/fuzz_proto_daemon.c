/*
 * fuzz_proto_daemon.c — the daemon's side of the protocol, as far as it
 * lives in libapproverd: the input is a byte stream from a client, fed in
 * chunks of fuzzer-chosen sizes through the same reassembly the daemon does
 * (4-byte header, ad_frame_len with AD_FRAME_MAX, payload), each frame then
 * decoded (ad_frame_decode) and its op fields read with the getters and caps
 * approverd/daemon/ops.c and submit.c use: id, why, pid, exit_status,
 * signal, token (ad_token_parse), and for create the request object
 * (ad_request_from_json, both digests, ad_request_to_json round trip).
 * The dispatcher itself (approverd/daemon/loop.c, ops.c) is not in the
 * library and is not linked here.
 *
 * Invariants checked (DESIGN.md §4.9):
 *  - an accepted request re-encodes and re-parses to the same digests;
 *  - every error reply the daemon would send (ad_msg_error with the decoder's
 *    message) encodes to a frame within AD_REPLY_MAX whose payload is
 *    printable ASCII only (no control byte reaches a client's terminal).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "error.h"
#include "proto.h"
#include "request.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(int err, const char *message)
{
	struct ad_buf out;
	json_t *m = ad_msg_error(err, message);

	if (m == NULL)
		return;
	ad_buf_init(&out, AD_REPLY_MAX + AD_FRAME_HDR);
	if (ad_frame_encode(&out, m, AD_REPLY_MAX) != 0)
		abort(); /* an error reply must always fit */
	for (size_t i = AD_FRAME_HDR; i < ad_buf_avail(&out); i++)
		if (ad_buf_ptr(&out)[i] < 0x20 || ad_buf_ptr(&out)[i] > 0x7e)
			abort();
	ad_buf_free(&out);
	json_decref(m);
}

static void check_request(const json_t *j)
{
	struct ad_request a, b;
	uint8_t e1[AD_DIGEST_LEN], r1[AD_DIGEST_LEN];
	uint8_t e2[AD_DIGEST_LEN], r2[AD_DIGEST_LEN];
	char err[256];
	json_t *back;

	if (ad_request_from_json(&a, j, err, sizeof(err)) != 0) {
		check_reply(AD_ERR_INVALID, err);
		return;
	}
	if (ad_exec_digest(e1, &a) != 0 || ad_request_digest(r1, &a) != 0)
		abort();
	back = ad_request_to_json(&a);
	if (back == NULL || ad_request_from_json(&b, back, err, sizeof(err)))
		abort(); /* what we accepted must round-trip */
	if (ad_exec_digest(e2, &b) != 0 || ad_request_digest(r2, &b) != 0 ||
	    memcmp(e1, e2, sizeof(e1)) != 0 || memcmp(r1, r2, sizeof(r1)) != 0)
		abort();
	json_decref(back);
	ad_request_free(&b);
	ad_request_free(&a);
}

/* The field getters of each op, with the daemon's caps. */
static void check_fields(const json_t *msg)
{
	struct ad_statement st;
	uint8_t sig[AD_SIG_LEN];
	const char *s;
	uint64_t v;

	(void)ad_json_str(&s, msg, "op", 32);
	(void)ad_json_str(&s, msg, "id", AD_ID_MAX - 1);
	(void)ad_json_str(&s, msg, "why", 200);
	(void)ad_json_u64(&v, msg, "pid");
	(void)ad_json_u64(&v, msg, "exit_status");
	(void)ad_json_u64(&v, msg, "signal");
	if (ad_json_str(&s, msg, "token", AD_TOKEN_MAX) == 0) {
		if (strlen(s) > AD_TOKEN_MAX)
			abort(); /* the cap must hold */
		(void)ad_token_parse(&st, sig, s);
	}
	if (json_object_get(msg, "request") != NULL)
		check_request(json_object_get(msg, "request"));
}

static void frame(const uint8_t *p, size_t n)
{
	char err[256];
	json_t *msg = NULL;
	int r = ad_frame_decode(&msg, p, n, err, sizeof(err));

	if (r != 0) {
		check_reply(r, err);
		return;
	}
	if (!json_is_object(msg))
		abort(); /* decode promises an object */
	check_fields(msg);
	json_decref(msg);
}

/* The daemon's conn_feed: header, then exactly in_len payload bytes. */
struct asm_state {
	uint8_t hdr[AD_FRAME_HDR];
	size_t hdr_got, in_got;
	uint32_t in_len;
	uint8_t *in;
};

static int feed(struct asm_state *a, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k;

		if (a->hdr_got < AD_FRAME_HDR) {
			k = AD_FRAME_HDR - a->hdr_got;
			k = k < n ? k : n;
			memcpy(a->hdr + a->hdr_got, p, k);
			a->hdr_got += k, p += k, n -= k;
			if (a->hdr_got < AD_FRAME_HDR)
				break;
			if (ad_frame_len(&a->in_len, a->hdr, AD_FRAME_MAX) != 0)
				return -1; /* error reply, connection closed */
			if (a->in_len == 0 || a->in_len > AD_FRAME_MAX)
				abort(); /* ad_frame_len accepted a bad length */
			if ((a->in = malloc(a->in_len)) == NULL)
				abort();
			continue;
		}
		k = a->in_len - a->in_got;
		k = k < n ? k : n;
		memcpy(a->in + a->in_got, p, k);
		a->in_got += k, p += k, n -= k;
		if (a->in_got == a->in_len) {
			frame(a->in, a->in_len);
			free(a->in);
			a->in = NULL;
			a->hdr_got = a->in_got = 0;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct asm_state a;
	size_t off = 1, chunk;

	if (sodium_init() < 0)
		abort();
	if (size < 1)
		return 0;
	memset(&a, 0, sizeof(a));
	chunk = (size_t)data[0] % 64 + 1; /* read() sizes the daemon sees */
	while (off < size) {
		size_t k = size - off < chunk ? size - off : chunk;

		if (feed(&a, data + off, k) != 0)
			break;
		off += k;
	}
	free(a.in); /* a frame cut short by EOF is dropped */
	return 0;
}
