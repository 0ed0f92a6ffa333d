/*
 * oom_frame.c — allocation failures while the daemon decodes a frame
 * (docs/SECURITY-TESTING.md finding A2). Run with tests/shim/allocfail.so
 * preloaded; prints TAP.
 *
 * jansson 2.14 can drop a byte of a string and still succeed when its
 * lexer cannot grow its buffer. With ad_json_guard_install() (what approverd
 * and approverctl do) ad_frame_decode must either fail or return exactly
 * what was sent, at every failing allocation index. With --no-guard the
 * same sweep shows whether this jansson alters a parse (a diagnostic: the
 * hazard the guard exists for).
 *
 * Two frames are swept: the canonical one approverd's own clients send
 * (ad_frame_decode builds it from its bytes, evidence_canon.c) and the
 * same object with json_dumps' default ", " and ": " separators, which is
 * not canonical and goes through json_loadb: the path of finding A2.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "proto.h"

typedef void (*arm_fn)(void);
typedef unsigned long (*state_fn)(int *);

#define LONG_LEN 3000

static char *make_frame(char *want, size_t n, size_t flags)
{
	json_t *o;
	char *s;

	for (size_t i = 0; i + 1 < n; i++)
		want[i] = (char)('a' + (char)(i % 26));
	want[n - 1] = '\0';
	o = json_pack("{s:i, s:s, s:{s:s, s:s}}", "v", AD_PROTO_VERSION, "op",
		      "create", "request", "reason", want, "ticket", "CHG-1");
	s = o ? json_dumps(o, flags) : NULL;
	json_decref(o);
	return s;
}

/* 1 if the decoded object holds exactly what was sent. */
static int same(const json_t *o, const char *want)
{
	const json_t *r = json_object_get(o, "request");
	const char *reason = json_string_value(json_object_get(r, "reason"));
	const char *ticket = json_string_value(json_object_get(r, "ticket"));
	const char *op = json_string_value(json_object_get(o, "op"));

	return reason && ticket && op && strcmp(reason, want) == 0 &&
	       strcmp(ticket, "CHG-1") == 0 && strcmp(op, "create") == 0;
}

struct sweep {
	unsigned long failing, refused, altered;
};

/* Every failing allocation index of one decode of frame, in turn. */
static void sweep(struct sweep *sw, const char *frame, const char *want,
		  arm_fn arm, arm_fn disarm, state_fn state)
{
	char err[128];

	for (unsigned long n = 1; n < 100000; n++) {
		json_t *o = NULL;
		int hit = 0, r;
		char name[24];

		snprintf(name, sizeof(name), "%lu", n);
		setenv("ALLOCFAIL_N", name, 1);
		arm();
		r = ad_frame_decode(&o, (const uint8_t *)frame, strlen(frame),
				    err, sizeof(err));
		disarm();
		state(&hit);
		if (!hit) { /* every index of this parse was tried */
			json_decref(o);
			break;
		}
		sw->failing++;
		if (r != 0)
			sw->refused++;
		else if (!same(o, want))
			sw->altered++;
		json_decref(o);
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		size_t flags;
	} kinds[] = {{"canonical frame (built)", JSON_COMPACT},
		     {"spaced frame (json_loadb)", 0}};
	arm_fn arm = (arm_fn)dlsym(RTLD_DEFAULT, "allocfail_arm");
	arm_fn disarm = (arm_fn)dlsym(RTLD_DEFAULT, "allocfail_disarm");
	state_fn state = (state_fn)dlsym(RTLD_DEFAULT, "allocfail_state");
	int guard = !(argc > 1 && strcmp(argv[1], "--no-guard") == 0);
	static char want[LONG_LEN];
	unsigned long altered = 0;
	int t = 0, bad = 0;

	if (!arm || !disarm || !state) {
		printf("not ok 1 - allocfail.so is not preloaded\n");
		return 1;
	}
	if (guard)
		ad_json_guard_install();
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct sweep sw = {0, 0, 0};
		char *frame = make_frame(want, sizeof(want), kinds[k].flags);

		if (frame == NULL) {
			printf("not ok %d - no memory for the %s\n", ++t,
			       kinds[k].name);
			return 1;
		}
		sweep(&sw, frame, want, arm, disarm, state);
		free(frame);
		printf("# %s, %s: %lu failing indices, %lu refused, %lu "
		       "altered parses accepted\n", kinds[k].name,
		       guard ? "guard" : "no guard", sw.failing, sw.refused,
		       sw.altered);
		altered += sw.altered;
		if (guard) {
			printf("%s %d - %s: the sweep failed some allocations "
			       "(%lu)\n", sw.failing > 0 ? "ok" : "not ok", ++t,
			       kinds[k].name, sw.failing);
			bad |= sw.failing == 0;
		}
	}
	if (!guard) {
		printf("ok 1 - sweep without the guard ran (%lu altered)\n",
		       altered);
		return 0;
	}
	printf("%s %d - with the guard no altered parse is accepted (%lu)\n",
	       altered == 0 ? "ok" : "not ok", ++t, altered);
	return !bad && altered == 0 ? 0 : 1;
}
