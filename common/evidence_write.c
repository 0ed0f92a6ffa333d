/*
 * evidence_write.c — appending records durably (DESIGN.md §4.1, §4.6).
 *
 * Invariants: a line is built by us (seq, time, event, prev first) and
 * checked with the verifier's own ad_ev_check_line before it is written, so
 * the writer never produces a line verify-log rejects; success is reported
 * only after fdatasync; on a failed write or sync the file is cut back to
 * the last durable length and the failure is reported (also by the next
 * ad_evidence_sync of a batch); after a failed fdatasync the fd is never
 * trusted again: the file is reopened and its tail re-verified first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "evidence_priv.h"

static int map_errno(int e)
{
	return (e == ENOSPC || e == EDQUOT) ? AD_ERR_NOSPACE : AD_ERR_IO;
}

static void now_string(struct ad_evidence *ev, char out[AD_EV_TIME_LEN + 1])
{
	struct timespec ts = {0, 0};

	if (ev->clock)
		ev->clock(ev->clock_arg, &ts);
	else
		clock_gettime(CLOCK_REALTIME, &ts);
	ad_ev_time_format(out, &ts);
}

/* Caller's fields must not collide with the header keys. */
static int check_fields(json_t *rec, int allow_checkpoint)
{
	const char *event = json_string_value(json_object_get(rec, "event"));

	if (!json_is_object(rec) || !event || !ad_evidence_event_known(event))
		return AD_ERR_INVALID;
	if (!allow_checkpoint && strcmp(event, "checkpoint") == 0)
		return AD_ERR_INVALID;
	if (json_object_get(rec, "seq") || json_object_get(rec, "time") ||
	    json_object_get(rec, "prev") || json_object_get(rec, "hash"))
		return AD_ERR_INVALID;
	return 0;
}

/* The full line (with newline) for rec as the next record. */
static int build_line(struct ad_evidence *ev, json_t *rec, const char *time,
                      int allow_checkpoint, char **line_out, size_t *len_out)
{
	char prev[AD_EVIDENCE_HASH_HEX], now[AD_EV_TIME_LEN + 1];
	int r;

	*line_out = NULL;
	*len_out = 0;
	if ((r = check_fields(rec, allow_checkpoint)) != 0)
		return r;
	if (!time) {
		now_string(ev, now);
		time = now;
	}
	ad_ev_hex(prev, ev->ch.head);
	return ad_ev_encode_line(line_out, len_out, rec, ev->ch.seq + 1, time,
	                         prev);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Does the file end, at durable_len, with the line whose hash is head? */
static int tail_matches(int fd, uint64_t durable_len,
                        const uint8_t head[AD_EVIDENCE_HASH_LEN])
{
	uint8_t h[AD_EVIDENCE_HASH_LEN];
	size_t n = durable_len < AD_EVIDENCE_LINE_MAX ? durable_len
	                                              : AD_EVIDENCE_LINE_MAX;
	char *buf, *nl;
	int ok = 0;

	if (durable_len == 0)
		return 1;
	if (!(buf = malloc(n)))
		return 0;
	if (pread(fd, buf, n, (off_t)(durable_len - n)) == (ssize_t)n &&
	    buf[n - 1] == '\n') {
		nl = memrchr(buf, '\n', n - 1);
		if (nl || n == durable_len) {
			char *start = nl ? nl + 1 : buf;
			ad_ev_hash(h, start, (size_t)(buf + n - 1 - start));
			ok = sodium_memcmp(h, head, sizeof(h)) == 0;
		}
	}
	free(buf);
	return ok;
}

/* After a failed fdatasync: new fd, cut unsynced bytes, re-verify tail. */
static int reopen(struct ad_evidence *ev)
{
	char err[512];
	struct stat st;
	int r;

	if (ev->fd >= 0)
		close(ev->fd);
	ev->fd = -1;
	if ((r = ad_ev_open_fd(&ev->fd, ev->path, 0, err, sizeof(err))) != 0)
		return r == AD_ERR_NOMEM ? r : AD_ERR_IO;
	if (fstat(ev->fd, &st) != 0)
		return AD_ERR_IO;
	if ((uint64_t)st.st_size < ev->durable_len)
		return AD_ERR_CHAIN; /* durable records vanished */
	if ((uint64_t)st.st_size > ev->durable_len &&
	    ftruncate(ev->fd, (off_t)ev->durable_len) != 0)
		return map_errno(errno);
	if (fsync(ev->fd) != 0)
		return map_errno(errno);
	if (!tail_matches(ev->fd, ev->durable_len, ev->durable.head))
		return AD_ERR_CHAIN;
	ev->must_reopen = 0;
	return 0;
}

static void discard(struct ad_evidence *ev, int rc);

static int write_record(struct ad_evidence *ev, json_t *rec, const char *time,
                        int allow_cp, uint64_t *seq_out, char *hash_out)
{
	struct ad_ev_chain next = ev->ch;
	char why[AD_EVIDENCE_WHY_MAX], *line, *nline;
	size_t len;
	int r, unparsable, e;

	if (ev->must_reopen && (r = reopen(ev)) != 0)
		return r;
	if ((r = build_line(ev, rec, time, allow_cp, &line, &len)) != 0)
		return r;
	r = ad_ev_check_line(&next, line, len, ev->pk, NULL, &unparsable, why,
	                     sizeof(why));
	if (r != 0 || !(nline = realloc(line, len + 2))) {
		free(line);
		return r == AD_ERR_TOOBIG ? r
		       : r                ? AD_ERR_INVALID
		                          : AD_ERR_NOMEM;
	}
	line = nline;
	memcpy(line + len, "\n", 2);
	e = write_all(ev->fd, line, len + 1);
	free(line);
	if (e) {
		discard(ev, map_errno(e));
		return map_errno(e);
	}
	ev->ch = next;
	ev->len += len + 1;
	if (seq_out)
		*seq_out = next.seq;
	if (hash_out)
		ad_ev_hex(hash_out, next.head);
	return 0;
}

/* Cut back to the last durable state; the fd may be unusable after this. */
static void discard(struct ad_evidence *ev, int rc)
{
	if (ftruncate(ev->fd, (off_t)ev->durable_len) != 0 ||
	    fsync(ev->fd) != 0)
		ev->must_reopen = 1;
	if (ev->len != ev->durable_len)
		ev->batch_err = rc; /* earlier records of this batch are lost */
	ev->ch = ev->durable;
	ev->len = ev->durable_len;
}

int ad_evidence_write(struct ad_evidence *ev, json_t *rec, uint64_t *seq_out,
                      char *hash_hex_out)
{
	if (seq_out)
		*seq_out = 0;
	if (hash_hex_out)
		hash_hex_out[0] = '\0';
	return write_record(ev, rec, NULL, 0, seq_out, hash_hex_out);
}

/* fdatasync what was written; on failure nothing since the last sync
 * stays in the file. */
static int sync_now(struct ad_evidence *ev)
{
	int r;

	if (ev->must_reopen && (r = reopen(ev)) != 0)
		return r;
	if (ev->len == ev->durable_len)
		return 0;
	if (ev->datasync(ev->fd) != 0) {
		r = map_errno(errno);
		ev->must_reopen = 1; /* never trust this fd's state again */
		discard(ev, r);
		ev->batch_err = 0; /* reported right here */
		return r;
	}
	ev->durable = ev->ch;
	ev->durable_len = ev->len;
	return 0;
}

int ad_evidence_sync(struct ad_evidence *ev)
{
	int r = ev->batch_err;

	if (r) {
		ev->batch_err = 0;
		return r;
	}
	return sync_now(ev);
}

int ad_evidence_append(struct ad_evidence *ev, json_t *rec, uint64_t *seq_out,
                       char *hash_hex_out)
{
	uint64_t seq = 0;
	char hash[AD_EVIDENCE_HASH_HEX];
	int r;

	if (seq_out)
		*seq_out = 0;
	if (hash_hex_out)
		hash_hex_out[0] = '\0';
	if ((r = write_record(ev, rec, NULL, 0, &seq, hash)) != 0 ||
	    (r = sync_now(ev)) != 0)
		return r;
	if (seq_out)
		*seq_out = seq;
	if (hash_hex_out)
		memcpy(hash_hex_out, hash, AD_EVIDENCE_HASH_HEX);
	return 0;
}

int ad_evidence_checkpoint(struct ad_evidence *ev, uint64_t *seq_out)
{
	uint8_t msg[AD_EV_SIGMSG_MAX], sig[crypto_sign_BYTES];
	char time[AD_EV_TIME_LEN + 1], head[AD_EVIDENCE_HASH_HEX];
	char sig_hex[AD_EV_SIG_HEX];
	uint64_t seq = 0;
	json_t *rec;
	size_t n;
	int r;

	if (seq_out)
		*seq_out = 0;
	if (ev->must_reopen && (r = reopen(ev)) != 0)
		return r;
	now_string(ev, time);
	n = ad_ev_sigmsg(msg, ev->ch.seq, ev->ch.head, time, ev->pk);
	if (crypto_sign_detached(sig, NULL, msg, n, ev->sk) != 0)
		return AD_ERR_CRYPTO;
	sodium_bin2hex(sig_hex, sizeof(sig_hex), sig, sizeof(sig));
	ad_ev_hex(head, ev->ch.head);
	rec = json_pack("{s:s, s:I, s:s, s:s}", "event", "checkpoint", "count",
	                (json_int_t)ev->ch.seq, "head", head, "signature",
	                sig_hex);
	if (!rec)
		return AD_ERR_NOMEM;
	r = write_record(ev, rec, time, 1, &seq, NULL);
	json_decref(rec);
	if (r == 0 && (r = sync_now(ev)) == 0 && seq_out)
		*seq_out = seq;
	return r;
}
