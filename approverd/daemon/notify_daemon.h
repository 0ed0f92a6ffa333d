/*
 * notify_daemon.h — how approverd uses notify.h and ticket.h (see
 * notify_daemon.c, docs/NOTIFY.md). Daemon-internal.
 */
#ifndef APPROVERD_NOTIFY_DAEMON_H
#define APPROVERD_NOTIFY_DAEMON_H

#include <jansson.h>

#include "policy.h"
#include "request.h"

struct daemon;
struct conn;
struct runtime;

/* The HTTP engine (in d->epfd) and the webhook targets; after setup_fds,
 * before the privilege drop (header files are read). Logs why on error. */
int dn_init(struct daemon *d);
/* New targets from a reloaded config; on error (logged) keep the old. */
int dn_reload(struct daemon *d, const struct runtime *rt);
void dn_free(struct daemon *d);
/* The daemon's epoll said nh_fd is readable. */
void dn_run(struct daemon *d);
/* A record just became durable: queue the webhooks it calls for. */
void dn_record(struct daemon *d, const json_t *rec);
/*
 * The request in rec (a pending `request` record) needs the rule's ticket
 * check / precheck first: c is parked on the id, the checks run, then their
 * outcomes and rec (denied with the reason if one failed) are committed and
 * c gets its reply. Takes rec. Returns 0.
 */
int dn_checks_start(struct daemon *d, struct conn *c, json_t *rec,
		    const struct ad_rule *rule, const struct ad_request *req);

#endif
