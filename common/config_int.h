/* config_int.h — the [notify NAME] part of the config parser, shared by
 * config.c and config_notify.c (not part of the public config API). */
#ifndef APPROVERD_CONFIG_INT_H
#define APPROVERD_CONFIG_INT_H

#include <stddef.h>

#include "config.h"

/* A "[notify NAME]" header: a new target (name checked, no duplicates). */
int ad_cfg_notify_begin(struct ad_config *c, const char *name,
			unsigned line, char *msg, size_t msglen)
	__attribute__((warn_unused_result));
/* A key of the current (last) target. */
int ad_cfg_notify_key(struct ad_config *c, const char *key, const char *v,
		      char *msg, size_t msglen)
	__attribute__((warn_unused_result));
/* After the whole file: every target has a url. err gets FILE:LINE. */
int ad_cfg_notify_finish(const struct ad_config *c, char *err,
			 size_t errlen) __attribute__((warn_unused_result));
void ad_cfg_notify_free(struct ad_config *c);

#endif
