/*
 * ratelimit.c — how many evidence records the refused calls of one local
 * user may add (review R4).
 *
 * Invariants (DESIGN.md §4.1, §4.9):
 *  - Any local user may call submit/status/show (§4.8), and each refusal is
 *    evidence; but one uid must not be able to grow the evidence file, at
 *    fsync speed, until the disk is full and every AI subject is refused.
 *    Each non-root uid may add RL_BURST records of refusals, refilled at one
 *    per RL_REFILL_MS; beyond that the call is still refused and logged, and
 *    the number not recorded is written into that uid's next recorded
 *    refusal (`suppressed`), so the evidence still accounts for every call.
 *  - Root (the PAM module, the sudo plugin, an admin) is never limited.
 *  - The table is bounded (RL_SLOTS); when it is full the least recently
 *    used uid is forgotten, and its pending count goes to syslog.
 */
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"

#define RL_SLOTS 128
#define RL_BURST 10
#define RL_REFILL_MS 6000 /* 10 records a minute */

struct rl_slot {
	int used;
	uid_t uid;
	uint32_t tokens;
	int64_t last_ms;
	uint64_t suppressed;
};

static struct rl_slot rl_table[RL_SLOTS];

static struct rl_slot *rl_slot_of(uid_t uid, int64_t now)
{
	struct rl_slot *free_slot = NULL, *oldest = &rl_table[0];

	for (size_t i = 0; i < RL_SLOTS; i++) {
		struct rl_slot *s = &rl_table[i];

		if (s->used && s->uid == uid)
			return s;
		if (!s->used && free_slot == NULL)
			free_slot = s;
		if (s->used && s->last_ms < oldest->last_ms)
			oldest = s;
	}
	if (free_slot == NULL) {
		free_slot = oldest;
		if (oldest->suppressed > 0)
			d_log(LOG_WARNING, "uid %u: %llu refused calls were not "
			      "recorded in the evidence (rate limit)",
			      (unsigned)oldest->uid,
			      (unsigned long long)oldest->suppressed);
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = 1;
	free_slot->uid = uid;
	free_slot->tokens = RL_BURST;
	free_slot->last_ms = now;
	return free_slot;
}

int rl_refusal_record(uid_t uid, uint64_t *suppressed)
{
	int64_t now = d_mono_ms();
	struct rl_slot *s;
	int64_t refill;

	*suppressed = 0;
	if (uid == 0)
		return 1;
	s = rl_slot_of(uid, now);
	refill = (now - s->last_ms) / RL_REFILL_MS;
	if (refill > 0) {
		uint64_t t = s->tokens + (uint64_t)refill;

		s->tokens = t > RL_BURST ? RL_BURST : (uint32_t)t;
		s->last_ms += refill * RL_REFILL_MS;
	}
	if (s->tokens == 0) {
		s->suppressed++;
		if (s->suppressed == 1 || s->suppressed % 100 == 0)
			d_log(LOG_NOTICE, "uid %u: refused calls no longer "
			      "recorded in the evidence for now (%llu so far; "
			      "rate limit)", (unsigned)uid,
			      (unsigned long long)s->suppressed);
		return 0;
	}
	s->tokens--;
	*suppressed = s->suppressed;
	s->suppressed = 0;
	return 1;
}
