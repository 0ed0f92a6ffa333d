/* fuzz_json.h — the start shared by the fuzz targets whose input is one
 * JSON document (fuzz_grant, fuzz_request_json). Header only: each target
 * links just its own object and the library (Makefile). */
#ifndef APPROVERD_FUZZ_JSON_H
#define APPROVERD_FUZZ_JSON_H

#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>
#include <sodium.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libsodium ready (abort otherwise), then the input parsed as JSON with
 * duplicate keys refused: NULL when it is not a JSON document. */
static inline json_t *fuzz_json_load(const uint8_t *data, size_t size)
{
	json_error_t je;

	if (sodium_init() < 0)
		abort();
	return json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
}

#endif
