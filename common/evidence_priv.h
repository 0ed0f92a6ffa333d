/*
 * evidence_priv.h — the writer's handle, shared by evidence.c and
 * evidence_write.c only.
 */
#ifndef APPROVERD_EVIDENCE_PRIV_H
#define APPROVERD_EVIDENCE_PRIV_H

#include "evidence_int.h"

struct ad_evidence {
	int fd;
	char *path;
	uint8_t *sk; /* sodium_malloc'ed host secret key */
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	struct ad_ev_chain ch;      /* written, maybe not yet synced */
	struct ad_ev_chain durable; /* as of the last successful sync */
	uint64_t len, durable_len;  /* file length for each */
	int batch_err;              /* failure the next sync must report */
	int must_reopen;            /* an fdatasync failed: fd state unknown */
	ad_evidence_clock_fn clock;
	void *clock_arg;
	ad_evidence_sync_fn datasync; /* fdatasync, or a test's fault */
};

/* Open path for appending, trust-check it and its parents, take the lock. */
int ad_ev_open_fd(int *fd_out, const char *path, int create, char *err,
                  size_t errlen);

#endif
