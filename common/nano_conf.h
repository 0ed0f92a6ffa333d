/*
 * nano_conf.h — the client fronts' own reader of approverd.conf, so that
 * sudo_approverd.so need not map libinih (sudo_plugin/front.c): a strict
 * subset of what config.c reads in client mode, giving [subjects] (users,
 * groups, uids) and nothing else.
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

#define AD_NANO_RANGES_MAX 64 /* as config.c's limit on `uids` items */
#define AD_NANO_NAMES_MAX 100 /* more than one line can hold */

struct ad_nano_name {
	uint32_t off, len; /* in the parsed text */
};

struct ad_nano_conf {
	size_t n; /* uids ranges */
	struct {
		uint32_t lo, hi;
	} r[AD_NANO_RANGES_MAX];
	size_t n_users, n_groups;
	struct ad_nano_name users[AD_NANO_NAMES_MAX];
	struct ad_nano_name groups[AD_NANO_NAMES_MAX];
};

/* 1: understood whole (into *c); 0: ask the full reader. */
int ad_nano_parse(struct ad_nano_conf *c, const char *text, size_t len);

struct ad_config;
/* A client-mode struct ad_config holding c's [subjects] (names copied out
 * of text); free with ad_config_free. 0 or AD_ERR_NOMEM. */
int ad_nano_config(struct ad_config **out, const struct ad_nano_conf *c,
		   const char *text);

/* 1 if name is usable as the host id (config.c's rule), else 0. */
int ad_nano_host_ok(const char *name);

#endif
