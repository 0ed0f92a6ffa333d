/*
 * nano_conf.h — the client fronts' own reader of approverd.conf, so that
 * sudo_approverd.so and pam_approverd.so need not map libinih
 * (sudo_plugin/front.c, pam_module/judge.c): a strict subset of what
 * config.c reads in client mode, giving what a client reads of it:
 * [subjects] (users, groups, uids), the wait, the sockets, the host id.
 *
 * Invariants (DESIGN.md §3, §4.2):
 *  - ad_nano_parse() returns 1 only for text that ad_config_parse(...,
 *    AD_CONFIG_CLIENT, ...) also accepts, with exactly the same [subjects]
 *    users, groups and uids (tests/fuzz/fuzz_nano_conf.c checks this
 *    against the full reader). Anything it does not understand whole (a
 *    comment after a value, an indented line, a byte outside printable
 *    ASCII, an unknown key, a duplicate, a line too long, ...) gives 0: the
 *    caller then has no config and must send the caller to the core, which
 *    reads the file with config.c; it never decides "human" itself.
 *  - ad_nano_parse() allocates nothing and calls no library function: a
 *    front imports as few symbols as it can (each import costs sudo a
 *    symbol look-up at load time).
 */
#ifndef APPROVERD_NANO_CONF_H
#define APPROVERD_NANO_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define AD_NANO_RANGES_MAX 64 /* as config.c's limit on `uids` items */
#define AD_NANO_NAMES_MAX 100 /* more than one line can hold */

struct ad_nano_name {
	uint32_t off, len; /* in the parsed text */
};

struct ad_nano_conf {
	size_t n; /* uids ranges */
	struct ad_uid_range r[AD_NANO_RANGES_MAX];
	size_t n_users, n_groups;
	struct ad_nano_name users[AD_NANO_NAMES_MAX];
	struct ad_nano_name groups[AD_NANO_NAMES_MAX];
	struct ad_nano_name csock, dsock; /* [client], [daemon] socket; len 0:
					     not given */
	uint64_t wait;                    /* [client] wait, seconds */
	int has_wait;
	unsigned line; /* ad_nano_parse gave 0: the line it stopped at */
};

/* 1: understood whole (into *c); 0: ask the full reader. */
int ad_nano_parse(struct ad_nano_conf *c, const char *text, size_t len);

/* A client-mode struct ad_config as config.c fills it: [subjects],
 * client_wait, socket, client_socket, host_id (host) and path (strings
 * copied out of text); free with ad_config_free. 0 or AD_ERR_NOMEM. */
int ad_nano_config(struct ad_config **out, const struct ad_nano_conf *c,
		   const char *text, const char *path, const char *host);

/*
 * The client config at path, read with the trusted-file rules of
 * safefile.h (ad_trust_root) and this reader: 0 and *out (free with
 * ad_config_free); 1 when the file was read but not understood whole (or
 * the host name is not usable as host_id): the caller must ask config.c
 * (the core) and must not decide "human"; a negative AD_ERR_* with why
 * ("PATH: reason") when it cannot be read or trusted, or memory ran out.
 */
int ad_nano_load(struct ad_config **out, const char *path, char *why,
		 size_t whylen);

#endif
