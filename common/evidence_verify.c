/*
 * evidence_verify.c — verifying a whole evidence file and replaying it
 * (DESIGN.md §4.6, §6).
 *
 * Invariants: every line is checked with ad_ev_check_line (chain, seq,
 * canonical form, checkpoint count/head/signature); the first problem is
 * reported with its line, seq and why; records after the last checkpoint
 * are counted as not covered by a signature; an anchor (seq and hash from
 * syslog) detects truncation of the tail; replay hands records to the
 * daemon only after the whole file verified.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "evidence_int.h"
#include "safefile.h"

#define EV_MAX_SIZE ((size_t)1 << 40)

struct anchor_ctx {
	uint64_t seq;
	char hash[AD_EVIDENCE_HASH_HEX];
};

/* The prev of record anchor+1 is the hash of record anchor. */
static int anchor_cb(void *arg, const json_t *rec)
{
	struct anchor_ctx *a = arg;
	json_int_t seq = json_integer_value(json_object_get(rec, "seq"));
	const char *prev = json_string_value(json_object_get(rec, "prev"));

	if ((uint64_t)seq == a->seq + 1 && prev)
		snprintf(a->hash, sizeof(a->hash), "%s", prev);
	return 0;
}

static void bad(struct ad_verify_report *rep, int rc, uint64_t seq,
                const char *why)
{
	rep->status = rc;
	rep->bad_seq = seq;
	rep->bad_line = seq; /* one record per line */
	snprintf(rep->why, sizeof(rep->why), "%s", why);
}

static void check_anchor(struct ad_verify_report *rep,
                         const struct ad_verify_opts *o, struct anchor_ctx *a)
{
	char why[AD_EVIDENCE_WHY_MAX];

	if (rep->records == o->anchor_seq)
		snprintf(a->hash, sizeof(a->hash), "%s", rep->head);
	if (rep->records < o->anchor_seq) {
		snprintf(why, sizeof(why),
		         "file ends at seq %llu but seq %llu "
		         "was logged: tail truncated",
		         (unsigned long long)rep->records,
		         (unsigned long long)o->anchor_seq);
		bad(rep, AD_ERR_TRUNCATED, rep->records + 1, why);
	} else if (o->anchor_hash[0] && strcmp(a->hash, o->anchor_hash) != 0) {
		snprintf(why, sizeof(why),
		         "hash of seq %llu differs from the "
		         "anchor (record replaced)",
		         (unsigned long long)o->anchor_seq);
		bad(rep, AD_ERR_CHAIN, o->anchor_seq, why);
	}
}

static void check_covered(struct ad_verify_report *rep)
{
	char why[AD_EVIDENCE_WHY_MAX];

	if (rep->uncovered == 0)
		return;
	snprintf(why, sizeof(why),
	         "%llu record(s) after seq %llu are not "
	         "covered by a signed checkpoint",
	         (unsigned long long)rep->uncovered,
	         (unsigned long long)rep->last_checkpoint_seq);
	bad(rep, AD_ERR_CHECKPOINT, rep->last_checkpoint_seq + 1, why);
}

static int open_plain(int *fd_out, const char *path,
                      struct ad_verify_report *rep)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	int e = errno;

	*fd_out = -1;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		*fd_out = fd;
		return 0;
	}
	if (fd >= 0) {
		close(fd);
		e = EINVAL;
	}
	rep->status = e == ENOENT ? AD_ERR_NOTFOUND : AD_ERR_IO;
	snprintf(rep->why, sizeof(rep->why), "%s: %s", path,
	         e == ELOOP    ? "is a symbolic link"
	         : e == EINVAL ? "not a regular file"
	                       : strerror(e));
	return rep->status;
}

int ad_evidence_verify_ex(const char *path, const struct ad_verify_opts *opts,
                          struct ad_verify_report *rep)
{
	static const struct ad_verify_opts none;
	struct anchor_ctx a = {0};
	struct ad_ev_scan s;
	int fd, r;

	memset(rep, 0, sizeof(*rep));
	if (!opts)
		opts = &none;
	if ((r = open_plain(&fd, path, rep)) != 0)
		return r;
	memset(&s, 0, sizeof(s));
	s.host_pk = opts->host_pk;
	a.seq = opts->anchor_seq;
	if (opts->anchor_seq) {
		s.cb = anchor_cb;
		s.arg = &a;
	}
	r = ad_ev_scan_fd(fd, &s);
	close(fd);
	*rep = s.rep;
	if (r != 0 && rep->status == 0) { /* read error, not damage */
		rep->status = r;
		snprintf(rep->why, sizeof(rep->why), "%s: read failed", path);
	}
	if (rep->status == 0 && opts->anchor_seq)
		check_anchor(rep, opts, &a);
	if (rep->status == 0 && opts->require_covered)
		check_covered(rep);
	return rep->status;
}

int ad_evidence_verify(const char *path, const uint8_t *host_pk,
                       struct ad_verify_report *rep)
{
	struct ad_verify_opts o;

	memset(&o, 0, sizeof(o));
	o.host_pk = host_pk;
	return ad_evidence_verify_ex(path, &o, rep);
}

int ad_evidence_replay(const char *path, ad_evidence_cb cb, void *arg,
                       const uint8_t *host_pk, struct ad_verify_report *rep)
{
	struct ad_trust t = {.extra_uid = geteuid(), .check_parents = 1};
	char why[AD_WHY_MAX];
	struct ad_ev_scan s;
	int fd, r;

	memset(rep, 0, sizeof(*rep));
	if ((r = ad_safe_open(&fd, path, &t, EV_MAX_SIZE, why)) != 0) {
		rep->status = r;
		snprintf(rep->why, sizeof(rep->why), "%.250s", why);
		return r;
	}
	memset(&s, 0, sizeof(s));
	s.host_pk = host_pk;
	if ((r = ad_ev_scan_fd(fd, &s)) == 0) {
		s.limit = s.ch.seq;
		s.cb = cb;
		s.arg = arg;
		if (s.limit > 0)
			r = ad_ev_scan_fd(fd, &s);
	}
	close(fd);
	*rep = s.rep;
	if (r != 0 && rep->status == 0)
		rep->status = r;
	return r;
}
