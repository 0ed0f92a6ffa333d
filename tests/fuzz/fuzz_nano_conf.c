/* fuzz_nano_conf.c — the sudo front's config reader (common/nano_conf.c)
 * against the full one (config.c, client mode). Aborts when ad_nano_parse
 * accepts text that ad_config_parse refuses, or when the two disagree on
 * [subjects] users, groups or uids, or on what a client reads besides
 * (wait, socket, client_socket, host_id), or when ad_nano_config builds
 * anything else. ad_nano_parse may refuse what config.c accepts (the caller then
 * asks the core): that direction is allowed, the other is a fail-open. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "nano_conf.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_names(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		abort();
	for (size_t i = 0; i < na; i++)
		if (a[i] == NULL || b[i] == NULL || strcmp(a[i], b[i]) != 0)
			abort();
	if (a[na] != NULL || b[nb] != NULL)
		abort();
}

static void same_subjects(const struct ad_config *a, const struct ad_config *b)
{
	same_names(a->subject_users, a->n_subject_users, b->subject_users,
		   b->n_subject_users);
	same_names(a->subject_groups, a->n_subject_groups, b->subject_groups,
		   b->n_subject_groups);
	if (a->n_subject_uids != b->n_subject_uids ||
	    a->client_wait != b->client_wait ||
	    strcmp(a->socket, b->socket) != 0 ||
	    strcmp(a->client_socket, b->client_socket) != 0 ||
	    strcmp(a->host_id, b->host_id) != 0 ||
	    strcmp(a->path, b->path) != 0)
		abort();
	for (size_t i = 0; i < a->n_subject_uids; i++)
		if (a->subject_uids[i].lo != b->subject_uids[i].lo ||
		    a->subject_uids[i].hi != b->subject_uids[i].hi)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ad_config *full = NULL, *mine = NULL;
	struct ad_nano_conf *nc;
	char err[512], host[256] = "";
	char *text;
	int ok;

	if (size > 64 * 1024 || (text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((nc = malloc(sizeof(*nc))) == NULL) {
		free(text);
		return 0;
	}
	ok = ad_nano_parse(nc, text, size);
	if (ok) {
		/* nano never reads past a NUL: it refuses control bytes */
		if (strlen(text) != size)
			abort();
		if (ad_config_parse(&full, "fuzz.conf", text, AD_CONFIG_CLIENT,
				    err, sizeof(err)) != 0)
			abort(); /* nano said "understood", config.c refuses */
		if (gethostname(host, sizeof(host) - 1) != 0 ||
		    !ad_host_name_ok(host))
			abort(); /* config.c accepted: the host name is fine */
		if (ad_nano_config(&mine, nc, text, "fuzz.conf", host) == 0) {
			same_subjects(mine, full);
			ad_config_free(mine);
		}
		ad_config_free(full);
	}
	(void)ad_host_name_ok(text);
	free(nc);
	free(text);
	return 0;
}
