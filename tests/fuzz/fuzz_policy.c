/* fuzz_policy.c — policy.conf text through ad_policy_parse; whatever loads
 * is matched against a few requests, its quorum evaluated and its text
 * rendered. Writes no files. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "window.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *argv_sudo[] = {"/usr/bin/systemctl", "restart", "nginx.service",
			    "x*y", ""};
static const char *const names[] = {"alice", "bob", "alice", "carol",
				    "dave"};

/* Open/next/text at a few fixed instants (TZ as set by the environment). */
static void exercise_window(const struct ad_rule *rule)
{
	static const time_t when[] = {0, 1796601600, 1796601600 + 86399,
				      1806145200, 2147483647};
	char buf[600];
	time_t t;

	for (size_t i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		int open = ad_window_open(rule, when[i]);
		int rc = ad_window_next_open(rule, when[i], &t);
		if (rule->n_windows == 0 && (!open || rc == 0))
			abort();
		if (rc == 0 && t <= when[i])
			abort();
		(void)ad_window_block_text(rule, when[i], buf, sizeof(buf));
		(void)ad_window_block_text(rule, when[i], buf, 4);
	}
}

static void exercise(const struct ad_policy *p, const char *service,
		     size_t argc)
{
	struct ad_request r;
	const struct ad_rule *rule;
	char buf[512];

	memset(&r, 0, sizeof(r));
	r.requester = "ai-deploy";
	r.service = (char *)service;
	r.runas_user = "root";
	r.command = argc > 0 ? argv_sudo[0] : "";
	r.argv.n = argc;
	r.argv.v = argv_sudo;
	rule = ad_policy_match(p, &r);
	if (rule == NULL)
		abort();
	(void)ad_rule_requires_text(rule, buf, sizeof(buf));
	(void)ad_rule_requires_text(rule, buf, 8);
	if (ad_quorum_eval(rule, p, names, 5, buf, sizeof(buf)) < 0 &&
	    rule->action == AD_ACTION_APPROVE)
		abort();
	(void)ad_ticket_ok(rule, "CHG-1");
	(void)ad_rollback_ok(rule, " ");
	(void)ad_rollback_ok(rule, "git revert HEAD");
	exercise_window(rule);
	if (rule->owner_labels != NULL &&
	    rule->owner_labels[rule->n_require] != NULL)
		abort(); /* labels are parallel to the quorum terms */
	if (rule->rollback_required < 0 || rule->grants_allowed < 0 ||
	    rule->grant_max_ttl == 0 || rule->grant_max_uses == 0)
		abort(); /* resolve leaves no value unset */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_policy *p = NULL;
	char err[512];
	char *text;

	if (size > 64 * 1024)
		return 0;
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (ad_policy_parse(&p, "fuzz.conf", text, err, sizeof(err)) == 0) {
		/* no NSS group look-ups from '%group' entries in the fuzzer */
		for (size_t i = 0; i < p->n_rules; i++)
			if (p->rules[i].users != NULL)
				p->rules[i].n_users = 0;
		for (size_t n = 0; n <= 5; n++)
			exercise(p, n % 2 ? "sudo" : "su", n);
		if (p->breakglass_role != SIZE_MAX &&
		    p->breakglass_role >= p->n_roles)
			abort();
		ad_policy_free(p);
	} else if (strlen(err) == 0) {
		abort();
	}
	free(text);
	return 0;
}
