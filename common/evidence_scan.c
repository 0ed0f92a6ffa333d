/*
 * evidence_scan.c — read an evidence file line by line and check each line
 * as the next link of the chain (shared by open, verify and replay).
 *
 * Invariants: at most AD_EVIDENCE_LINE_MAX bytes are buffered per line; the
 * first problem stops the scan and is reported with its line, expected seq
 * and why; only the LAST line may count as torn (no newline, or not JSON at
 * all), and only if the caller tolerates it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "evidence_int.h"

#define SCAN_BUF (2 * AD_EVIDENCE_LINE_MAX)

struct reader {
	int fd;
	char *buf;
	size_t start, end;
	int eof;
};

/* Make sure more bytes are buffered; 0, or AD_ERR_IO. */
static int fill(struct reader *r)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	do
		n = read(r->fd, r->buf + r->end, SCAN_BUF - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return AD_ERR_IO;
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return 0;
}

/* Next line: line and len without the newline; *nl = 0 when the file ended
 * without one. Returns 1 for a line, 0 at EOF, negative on error. */
static int next_line(struct reader *r, const char **line, size_t *len, int *nl)
{
	char *p;
	int rc;

	for (;;) {
		p = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (p || r->end - r->start >= AD_EVIDENCE_LINE_MAX || r->eof)
			break;
		if ((rc = fill(r)) != 0)
			return rc;
	}
	if (!p && r->end == r->start)
		return 0;
	*line = r->buf + r->start;
	*len = p ? (size_t)(p - *line) : r->end - r->start;
	*nl = p != NULL;
	if (!p && r->end - r->start >= AD_EVIDENCE_LINE_MAX)
		*nl = -1; /* overlong, not torn */
	r->start += *len + (p ? 1 : 0);
	return 1;
}

/* Is the line just returned the last one in the file? */
static int at_end(struct reader *r)
{
	while (r->start == r->end && !r->eof)
		if (fill(r) != 0)
			return 0;
	return r->start == r->end;
}

static void copy_why(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void set_bad(struct ad_ev_scan *s, int rc, const char *why)
{
	s->rep.status = rc;
	s->rep.bad_seq = s->ch.seq + 1;
	s->rep.bad_line = s->ch.line + 1;
	copy_why(s->rep.why, sizeof(s->rep.why), why);
}

void ad_ev_scan_summary(struct ad_ev_scan *s)
{
	s->rep.records = s->ch.seq;
	s->rep.checkpoints = s->ch.checkpoints;
	s->rep.last_checkpoint_seq = s->ch.last_cp_seq;
	s->rep.uncovered = s->ch.seq - s->ch.last_cp_seq;
	s->rep.signatures_checked = s->host_pk != NULL;
	ad_ev_hex(s->rep.head, s->ch.head);
}

static int torn(struct ad_ev_scan *s, size_t len, const char *why)
{
	if (!s->tolerate_torn) {
		set_bad(s, AD_ERR_TRUNCATED, why);
		return 1;
	}
	s->torn = 1;
	s->torn_len = len;
	s->rep.bad_seq = s->ch.seq + 1;
	s->rep.bad_line = s->ch.line + 1;
	copy_why(s->rep.why, sizeof(s->rep.why), why);
	return 1;
}

/* A checked line to s->cb (if s->pick wants it); 1 to stop the scan. */
static int hand_out(struct ad_ev_scan *s, const char *line, size_t len,
                    struct ad_ev_checked *ck)
{
	struct ad_evidence_line l = {.seq = s->ch.seq, .line = line,
	                             .len = len, .rec = ck->rec};
	int p = 1;

	if (!s->cb)
		return 0;
	if (s->pick) {
		l.fast = ck->fast ? ck->f : NULL;
		memcpy(l.hash, s->ch.head, sizeof(l.hash));
		if ((p = s->pick(s->arg, &l)) < 0) {
			s->cb_rc = p; /* an ad_err */
			return 1;
		}
	}
	if (p == 0)
		return 0;
	if (!ck->rec && /* the full check always leaves its tree */
	    !(ck->rec = ck->fast ? ad_ev_canon_load(line, len)
	                         : json_loadb(line, len, JSON_REJECT_DUPLICATES,
	                                      NULL))) {
		s->cb_rc = AD_ERR_NOMEM; /* it was just verified: memory */
		return 1;
	}
	return (s->cb_rc = s->cb(s->arg, ck->rec)) != 0;
}

/* One line; returns 1 to stop the scan, 0 to go on. */
static int scan_line(struct ad_ev_scan *s, struct reader *r, const char *line,
                     size_t len, int nl)
{
	char why[AD_EVIDENCE_WHY_MAX];
	struct ad_ev_fast f;
	struct ad_ev_checked ck = {.want_rec = s->cb && !s->pick, .f = &f};
	int unparsable = 0, rc;

	if (nl < 0) {
		set_bad(s, AD_ERR_TOOBIG, "line longer than the 64 KiB limit");
		return 1;
	}
	if (nl == 0)
		return torn(s, len,
		            "last line has no newline (torn write or "
		            "truncated file)");
	rc = ad_ev_check_line_ex(&s->ch, line, len, s->host_pk, &ck,
	                         &unparsable, why, sizeof(why));
	if (rc != 0) {
		if (unparsable && at_end(r)) {
			char w[AD_EVIDENCE_WHY_MAX + 32];
			snprintf(w, sizeof(w), "last line is torn: %s", why);
			if (s->tolerate_torn)
				return torn(s, len + 1, w);
			set_bad(s, rc, w);
			return 1;
		}
		set_bad(s, rc, why);
		return 1;
	}
	s->good_off += len + 1;
	rc = hand_out(s, line, len, &ck);
	json_decref(ck.rec);
	return rc || (s->limit && s->ch.seq >= s->limit);
}

int ad_ev_scan_fd(int fd, struct ad_ev_scan *s)
{
	struct reader r = {.fd = fd};
	const char *line = NULL;
	size_t len = 0;
	int nl = 0, rc = 0;

	memset(&s->ch, 0, sizeof(s->ch));
	memset(&s->rep, 0, sizeof(s->rep));
	s->good_off = 0;
	s->torn = 0;
	s->torn_len = 0;
	s->cb_rc = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return AD_ERR_IO;
	if (!(r.buf = malloc(SCAN_BUF)))
		return AD_ERR_NOMEM;
	while ((rc = next_line(&r, &line, &len, &nl)) == 1)
		if (scan_line(s, &r, line, len, nl))
			break;
	free(r.buf);
	ad_ev_scan_summary(s);
	if (rc < 0)
		return rc;
	if (s->cb_rc)
		return s->cb_rc;
	return s->rep.status;
}
