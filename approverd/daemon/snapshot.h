/*
 * snapshot.h — the signed state snapshot that lets approverd start without
 * parsing every evidence record (docs/formats/evidence.md "Snapshot",
 * approverd-evidence(5)). Internal to the daemon.
 *
 * A snapshot names a point of the chain (seq, the hash of that line, the
 * hash of line 1) and the objects still in memory there (request and grant
 * ids, the seen-token ring). At start the full chain is still verified;
 * records up to the point are parsed and applied only if they touch a kept
 * object, the ring is restored, and every record after the point is
 * applied as usual. A snapshot that does not verify is ignored (logged).
 */
#ifndef APPROVERD_DAEMON_SNAPSHOT_H
#define APPROVERD_DAEMON_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "evidence.h"

#define D_SNAP_DOMAIN "approverd-snapshot-v1"
#define D_SNAP_SUFFIX ".snap"
#define D_SNAP_SLOT ((uint64_t)8 << 20) /* bytes per slot; two slots */
#define D_SNAP_EVERY 10000 /* records between snapshots at checkpoints */

struct d_snap; /* a verified snapshot, as loaded */

/* Open (create 0600) PATH.snap next to the evidence file, trust-checked,
 * into d->snap_fd; call before the privilege drop. Failure is logged and
 * leaves d->snap_fd = -1 (no snapshots: a full replay at each start). */
void snap_open(struct daemon *d, const char *evidence_path);

/* The newest slot of d->snap_fd that verifies with d->host_pk, or NULL
 * (why says why: "no snapshot", "bad signature", ...). */
struct d_snap *snap_load(struct daemon *d, char *why, size_t wl);
void snap_free(struct d_snap *s);

uint64_t snap_seq(const struct d_snap *s);
int snap_head_is(const struct d_snap *s, const uint8_t h[AD_EVIDENCE_HASH_LEN]);
int snap_first_is(const struct d_snap *s,
		  const uint8_t h[AD_EVIDENCE_HASH_LEN]);
/* 1 if a record before the point must be applied (it touches a kept
 * request or grant), 0 if not, negative ad_err on failure. */
int snap_wants(const struct d_snap *s, const struct ad_evidence_line *l);
/* Invalidate both slots (a snapshot of another file must not win over
 * the next one written); logged on failure. */
void snap_forget(struct daemon *d);
/* Put the snapshot's seen-token ring into d (after the point's records). */
int snap_restore_seen(struct daemon *d, const struct d_snap *s);

/* Write a snapshot of d's state at the evidence head (after a checkpoint
 * or at stop); with force = 0 only if D_SNAP_EVERY records have passed
 * since the last one. Failures are logged, never fatal. */
void snap_write(struct daemon *d, int force);

#endif
