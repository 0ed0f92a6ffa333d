/*
 * verify.h — the daemon's signature-check thread (verify.c) and the
 * submissions it carries (submit.c). Internal to the daemon.
 */
#ifndef APPROVERD_VERIFY_H
#define APPROVERD_VERIFY_H

#include "daemon.h"
#include "token.h"
#include "vote.h"

/* A submitted token between its syntax checks and its signature check. */
struct vjob {
	struct vjob *next;
	struct conn *c;            /* held (conn_hold) while the job is out */
	struct vote v;             /* parsed statement; q and signer re-found */
	char id[AD_ID_MAX];        /* the request the submission names */
	struct ad_token_pending p; /* what the thread checks */
};

/* Start the thread and its eventfd (in d->epfd, data.ptr = &d->vfd).
 * Without it (an error here, logged) every token is checked inline. */
int verify_start(struct daemon *d);
/* Stop and join the thread; jobs not finished are dropped unanswered
 * (nothing of them was recorded), their connections released. */
void verify_stop(struct daemon *d);
/* Hand j to the thread: 0 when queued (the connection is held and
 * answered by submit_finish() from verify_drain()), else the caller
 * checks inline. */
int verify_queue(struct daemon *d, struct vjob *j);
/* Loop: the jobs checked since the last call, in order of submission. */
void verify_drain(struct daemon *d);

/* submit.c: everything after the signature check; frees j. */
int submit_finish(struct daemon *d, struct vjob *j);

#endif
