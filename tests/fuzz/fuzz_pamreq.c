/*
 * fuzz_pamreq.c — the untrusted-input parsers of common/pamreq.c:
 * /proc/self/cmdline (su, runuser, pkexec options), /proc/self/loginuid,
 * the require= list and the module arguments, and building a request from
 * a fuzzed command line. The first byte picks the parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "pamreq.h"
#include "request.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_command(const char *p, size_t n)
{
	char **v = NULL;
	size_t nv = 0;
	int rc = ad_pamreq_find_command(&v, &nv, p, n);

	if (rc == 1) {
		if (v == NULL || nv == 0 || v[nv] != NULL)
			abort();
		for (size_t i = 0; i < nv; i++)
			if (v[i] == NULL || strlen(v[i]) > n)
				abort();
		ad_strv_free(v);
	} else if (v != NULL || nv != 0) {
		abort();
	}
}

/* Module arguments: one per line. */
static void fuzz_args(char *s)
{
	const char *argv[32];
	int argc = 0;
	struct ad_pam_args a;
	char err[256];

	for (char *tok = strtok(s, "\n"); tok && argc < 32; tok = strtok(NULL, "\n"))
		argv[argc++] = tok;
	if (ad_pam_args_parse(&a, argc, argv, err, sizeof(err)) == 0) {
		if (a.config == NULL || a.config[0] != '/' || a.n_require == 0)
			abort();
		(void)ad_pam_require_match(&a, "su", "root");
		(void)ad_pam_kind_of(&a, "sshd");
		ad_pam_args_free(&a);
	} else if (err[0] == '\0') {
		abort(); /* every refusal names its cause */
	}
}

static void fuzz_build(const char *p, size_t n)
{
	struct ad_pam_items it = {.service = "su", .user = "root",
				  .ruid = 0, .loginuid = 0,
				  .cmdline = p, .cmdline_len = n,
				  .kind = AD_PAM_KIND_SWITCH,
				  .reason = p, .tty = "pts/0"};
	struct ad_request r;
	char err[256];
	char *nul = memchr(p, '\0', n);

	if (nul == NULL)
		it.reason = NULL; /* context strings must be NUL-terminated */
	if (ad_pamreq_build(&r, &it, "root", 0, err, sizeof(err)) == 0) {
		if (r.command == NULL || r.requester == NULL || r.argv.n > n)
			abort();
		ad_request_free(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	uid_t u;

	if (size < 1)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		fuzz_command((const char *)data + 1, size - 1);
		break;
	case 1:
		(void)ad_pamreq_parse_loginuid(&u, (const char *)data + 1,
					       size - 1);
		break;
	case 2: {
		struct ad_pam_args a;
		char err[256];
		memset(&a, 0, sizeof(a));
		(void)ad_pam_require_parse(&a, s, err, sizeof(err));
		ad_pam_args_free(&a);
		break;
	}
	case 3:
		fuzz_args(s);
		break;
	default:
		fuzz_build((const char *)data + 1, size - 1);
	}
	free(s);
	return 0;
}
