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

static char *make_frame(char *want, size_t n)
{
	json_t *o;
	char *s;

	for (size_t i = 0; i + 1 < n; i++)
		want[i] = (char)('a' + (char)(i % 26));
	want[n - 1] = '\0';
	o = json_pack("{s:i, s:s, s:{s:s, s:s}}", "v", AD_PROTO_VERSION, "op",
		      "create", "request", "reason", want, "ticket", "CHG-1");
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
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

int main(int argc, char **argv)
{
	arm_fn arm = (arm_fn)dlsym(RTLD_DEFAULT, "allocfail_arm");
	arm_fn disarm = (arm_fn)dlsym(RTLD_DEFAULT, "allocfail_disarm");
	state_fn state = (state_fn)dlsym(RTLD_DEFAULT, "allocfail_state");
	int guard = !(argc > 1 && strcmp(argv[1], "--no-guard") == 0);
	static char want[LONG_LEN];
	unsigned long failing = 0, refused = 0, altered = 0, n;
	char *frame = make_frame(want, sizeof(want)), err[128];

	if (!arm || !disarm || !state || !frame) {
		printf("not ok 1 - allocfail.so is not preloaded (or no memory)\n");
		return 1;
	}
	if (guard)
		ad_json_guard_install();
	for (n = 1; n < 100000; n++) {
		json_t *o = NULL;
		int hit = 0, r;
		char name[16];

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
		failing++;
		if (r != 0)
			refused++;
		else if (!same(o, want))
			altered++;
		json_decref(o);
	}
	printf("# %s: %lu failing indices, %lu refused, %lu altered parses "
	       "accepted\n", guard ? "guard" : "no guard", failing, refused,
	       altered);
	if (!guard) {
		printf("ok 1 - sweep without the guard ran (%lu altered)\n",
		       altered);
		return 0;
	}
	printf("%s 1 - the sweep failed some allocations (%lu)\n",
	       failing > 0 ? "ok" : "not ok", failing);
	printf("%s 2 - with the guard no altered parse is accepted (%lu)\n",
	       altered == 0 ? "ok" : "not ok", altered);
	free(frame);
	return failing > 0 && altered == 0 ? 0 : 1;
}
