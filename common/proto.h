/*
 * proto.h — the framing of the approverd socket protocol (docs/PROTOCOL.md).
 *
 * Invariants (DESIGN.md §4.9):
 *  - A frame is a 4-byte big-endian length followed by exactly that many
 *    bytes of one JSON object. A length of zero, with the top bit set, or
 *    above the cap is a protocol error: the peer gets an error reply and the
 *    connection is closed.
 *  - Every message carries "v": AD_PROTO_VERSION; anything else is refused.
 *  - JSON text with an embedded NUL, duplicate keys, or a non-object top
 *    level is refused (jansson's JSON_REJECT_DUPLICATES, no JSON_ALLOW_NUL).
 */
#ifndef APPROVERD_PROTO_H
#define APPROVERD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "client.h"
#include "request.h"

#define AD_PROTO_VERSION 1
#define AD_FRAME_HDR 4
/* Client -> daemon frames (a create carries a whole request). */
#define AD_FRAME_MAX AD_REQUEST_JSON_MAX
/* Daemon -> client frames: a show reply is a request plus its approvals. */
#define AD_REPLY_MAX (2 * AD_REQUEST_JSON_MAX)

/*
 * Check a frame header. *len_out gets the payload length. Returns
 * AD_ERR_PROTO for a zero length or one with the top bit set, and
 * AD_ERR_TOOBIG above max.
 */
int ad_frame_len(uint32_t *len_out, const uint8_t hdr[AD_FRAME_HDR],
		 size_t max) __attribute__((warn_unused_result));

/* Append header + compact JSON of msg to out (AD_ERR_TOOBIG above max). */
int ad_frame_encode(struct ad_buf *out, const json_t *msg, size_t max)
	__attribute__((warn_unused_result));

/*
 * Parse one payload into a JSON object and check its "v". err gets a short
 * reason naming the problem (e.g. "frame: 'v' is 2, want 1").
 */
int ad_frame_decode(json_t **out, const uint8_t *p, size_t n, char *err,
		    size_t errlen) __attribute__((warn_unused_result));

/* How many payloads ad_frame_decode has built straight from their bytes
 * (canonical frames, proto.c) rather than through json_loadb, in this
 * process: for the tests that check which path a frame takes. */
unsigned long ad_frame_built_count(void);

/*
 * Executables (approverd, approverctl) call this once at start: jansson's
 * allocations are then watched, and ad_frame_decode refuses (AD_ERR_NOMEM)
 * a parse during which one failed instead of trusting it.
 */
void ad_json_guard_install(void);

/* {"v":1,"op":op} — the start of a request message. */
json_t *ad_msg_new(const char *op);
/* {"v":1,"ok":true} */
json_t *ad_msg_ok(void);
/* {"v":1,"ok":false,"error":ad_errname(err),"message":message} */
json_t *ad_msg_error(int err, const char *message);

/*
 * Read a reply: 0 if "ok" is true; otherwise the ad_err named by "error"
 * (AD_ERR_PROTO if "ok" is missing or "error" unknown). msg (may be NULL)
 * gets the daemon's message.
 */
int ad_msg_status(const json_t *reply, char *msg, size_t msglen);

/* Map an error name back to its code (AD_ERR_PROTO if unknown). */
int ad_errcode(const char *name);

/*
 * Typed getters over untrusted JSON: 0 and the value, AD_ERR_NOTFOUND if
 * the key is absent, AD_ERR_PROTO on a wrong type, AD_ERR_TOOBIG above max.
 * Strings may not contain control characters unless noted.
 */
int ad_json_str(const char **out, const json_t *o, const char *key,
		size_t max) __attribute__((warn_unused_result));
int ad_json_u64(uint64_t *out, const json_t *o, const char *key)
	__attribute__((warn_unused_result));

/*
 * Decision fields of a reply (docs/PROTOCOL.md "decision"): id, state,
 * rule, requires, approvers (array of names), reason, not_after, expires.
 */
int ad_decision_to_json(json_t *o, const struct ad_decision *d)
	__attribute__((warn_unused_result));
int ad_decision_from_json(struct ad_decision *d, const json_t *o)
	__attribute__((warn_unused_result));

#endif
