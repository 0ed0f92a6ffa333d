/* runtime.h — the loaded config, policy and keyring (see runtime.c). */
#ifndef APPROVERD_RUNTIME_H
#define APPROVERD_RUNTIME_H

#include "config.h"
#include "keys.h"
#include "policy.h"
#include "request.h"

struct runtime {
	struct ad_config *cfg;
	struct ad_policy *pol;
	struct ad_keyring *ring;
	char digest[AD_DIGEST_HEX]; /* of the config and policy texts */
};

#endif
