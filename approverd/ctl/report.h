/*
 * report.h — the audit view of an evidence file shared by `approverctl
 * report` and `approverctl metrics` (docs/formats/report.md).
 *
 * Invariants: the evidence file is verified first and only the records
 * before the first damaged line are read; nothing is written; every string
 * kept comes from a JSON record and is escaped by the printer.
 */
#ifndef APPROVERCTL_REPORT_H
#define APPROVERCTL_REPORT_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "evidence.h"

struct report_data {
	struct ad_verify_report vr; /* verification outcome */
	int damaged;                /* chain/checkpoint damage (not I/O) */
	json_t *rows;               /* array of request rows, file order */
	json_t *byid;               /* id -> row (borrowed from rows) */
	json_t *grants;             /* array of grant rows, file order */
	json_t *gbyid;              /* grant id -> grant row (borrowed) */
	uint64_t records;           /* records read (before any damage) */
	uint64_t bytes;             /* their bytes, newlines included */
	char last_ckpt_time[40];    /* "" if no checkpoint */
};

/* "approverctl CMD: WHAT: WHY" on stderr, both escaped. */
void report_complain(const char *cmd, const char *what, const char *why);

/* Load a --host-key HOST.pub into pk (32 bytes); message names the file. */
int report_host_key(uint8_t *pk, const char *arg, const char *cmd);

/* Verify path (host_pk may be NULL) and build the rows. 0, or an ad_err on
 * an I/O or memory error (message printed naming cmd and the file). */
int report_load(struct report_data *d, const char *path, const uint8_t *host_pk,
                const char *cmd);
void report_free(struct report_data *d);

/* report_grants.c: standing grants (governance.md §4, §5). A `grant`
 * record starts a grant row; report_grant_event() applies a record whose
 * id is a known grant (1) or returns 0; a `consume` of a request that used
 * a grant counts a use of it. */
void report_grant_new(struct report_data *d, const json_t *rec);
int report_grant_event(struct report_data *d, const char *ev, const char *id,
                       const json_t *rec);
void report_grant_consume(struct report_data *d, const json_t *rec);

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" -> seconds since the epoch. */
int report_parse_time(double *out, const char *s);
/* DATE or date-time for --since/--until; a date alone is that day's
 * 00:00:00Z, and with end set the first second after that day. */
int report_parse_date(double *out, const char *s, int end);

#endif
