/*
 * evidence.c — opening the evidence log for appending (DESIGN.md §4.1,
 * §4.6, §4.7, §6).
 *
 * Invariants: the file is opened O_APPEND|O_NOFOLLOW|O_CLOEXEC, created
 * 0600, must be a regular file owned by root or by us, not group/world-
 * writable, with trusted parents, and is flock'ed so that one writer owns
 * the chain; the whole chain and every checkpoint signature are verified
 * before the first append; only a torn last line is cut off (and reported),
 * any other damage refuses the open; ad_evidence_replay_open hands the
 * daemon only records of the chain open verified (same head, same length,
 * every line checked again), and reports any change as an error.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "evidence_priv.h"
#include "safefile.h"

#define EV_MAX_SIZE ((size_t)1 << 40)

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Same file as a parent-checked ad_safe_open of path? */
static int check_trust(int fd, const char *path, char *err, size_t errlen)
{
	struct ad_trust t = {.extra_uid = geteuid(), .check_parents = 1};
	char why[AD_WHY_MAX];
	struct stat a, b;
	int rfd, r;

	if ((r = ad_safe_check_fd(fd, path, &t, EV_MAX_SIZE, why)) != 0 ||
	    (r = ad_safe_open(&rfd, path, &t, EV_MAX_SIZE, why)) != 0) {
		errf(err, errlen, "%s", why);
		return r;
	}
	r = fstat(fd, &a) == 0 && fstat(rfd, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino;
	close(rfd);
	if (!r) {
		errf(err, errlen, "%s: replaced while being opened", path);
		return AD_ERR_UNTRUSTED;
	}
	return 0;
}

int ad_ev_open_fd(int *fd_out, const char *path, int create, char *err,
                  size_t errlen)
{
	int flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	int fd, r;

	*fd_out = -1;
	fd = open(path, flags | (create ? O_CREAT : 0), 0600);
	if (fd < 0) {
		int e = errno;
		errf(err, errlen, "%s: %s", path,
		     e == ELOOP ? "is a symbolic link" : strerror(e));
		return e == ENOENT  ? AD_ERR_NOTFOUND
		       : e == ELOOP ? AD_ERR_UNTRUSTED
		                    : AD_ERR_IO;
	}
	if ((r = check_trust(fd, path, err, errlen)) != 0) {
		close(fd);
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		errf(err, errlen, "%s: locked by another process (%s)", path,
		     strerror(errno));
		close(fd);
		return AD_ERR_STATE;
	}
	*fd_out = fd;
	return 0;
}

/* Cut the torn tail [good_off, end) after hashing it for the report. */
static int cut_torn(int fd, const struct ad_ev_scan *s,
                    struct ad_evidence_info *info)
{
	uint8_t h[AD_EVIDENCE_HASH_LEN];
	crypto_generichash_state st;
	char buf[4096];
	off_t off = (off_t)s->good_off;
	ssize_t n;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crypto_generichash_update(&st, (const uint8_t *)buf, (size_t)n);
		off += n;
	}
	crypto_generichash_final(&st, h, sizeof(h));
	if (n < 0 || ftruncate(fd, (off_t)s->good_off) != 0 || fsync(fd) != 0)
		return AD_ERR_IO;
	info->recovered = 1;
	info->cut_line = s->rep.bad_line;
	info->cut_offset = s->good_off;
	info->cut_bytes = (uint64_t)(off - (off_t)s->good_off);
	ad_ev_hex(info->cut_hash, h);
	snprintf(info->cut_why, sizeof(info->cut_why), "%s", s->rep.why);
	return 0;
}

/* The damage found, or where the caller's callback stopped the scan. */
static int scan_failed(const struct ad_evidence *ev, const struct ad_ev_scan *s,
                       int r, char *err, size_t errlen)
{
	if (s->cb_rc)
		errf(err, errlen, "%s: line %llu (seq %llu): replay stopped: %s",
		     ev->path, (unsigned long long)s->ch.line,
		     (unsigned long long)s->ch.seq, ad_strerror(r));
	else
		errf(err, errlen, "%s: line %llu (seq %llu): %s", ev->path,
		     (unsigned long long)s->rep.bad_line,
		     (unsigned long long)s->rep.bad_seq,
		     s->rep.why[0] ? s->rep.why : ad_strerror(r));
	return r;
}

/* Verify what is there (handing records to rp, if any), cut a torn tail,
 * and set up the chain state. */
static int load_chain(struct ad_evidence *ev,
                      const struct ad_evidence_replay *rp,
                      struct ad_evidence_info *info, char *err, size_t errlen)
{
	struct ad_ev_scan s;
	int r;

	memset(&s, 0, sizeof(s));
	s.host_pk = ev->pk;
	s.tolerate_torn = 1;
	if (rp) {
		s.cb = rp->cb;
		s.pick = rp->pick;
		s.arg = rp->arg;
	}
	if ((r = ad_ev_scan_fd(ev->fd, &s)) != 0)
		return scan_failed(ev, &s, r, err, errlen);
	if (s.torn && (r = cut_torn(ev->fd, &s, info)) != 0) {
		errf(err, errlen, "%s: cannot cut torn line %llu: %s", ev->path,
		     (unsigned long long)s.rep.bad_line, strerror(errno));
		return r;
	}
	ev->ch = ev->durable = s.ch;
	ev->len = ev->durable_len = s.good_off;
	info->created = s.good_off == 0 && !s.torn;
	info->records = s.ch.seq;
	info->checkpoints = s.ch.checkpoints;
	info->last_checkpoint_seq = s.ch.last_cp_seq;
	ad_ev_hex(info->head, s.ch.head);
	if (s.ch.seq > 0)
		ad_ev_hex(info->first, s.ch.first);
	return 0;
}

static int set_keys(struct ad_evidence *ev, const uint8_t *sk,
                    const uint8_t *pk, char *err, size_t errlen)
{
	if (!sk) {
		errf(err, errlen, "%s: no host secret key given", ev->path);
		return AD_ERR_INVALID;
	}
	if (!(ev->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES)))
		return AD_ERR_NOMEM;
	memcpy(ev->sk, sk, crypto_sign_SECRETKEYBYTES);
	crypto_sign_ed25519_sk_to_pk(ev->pk, ev->sk);
	if (pk && sodium_memcmp(pk, ev->pk, sizeof(ev->pk)) != 0) {
		errf(err, errlen,
		     "%s: host public key does not match the "
		     "host secret key",
		     ev->path);
		return AD_ERR_INVALID;
	}
	return 0;
}

int ad_evidence_open(struct ad_evidence **out, const char *path,
                     const uint8_t *host_sk, const uint8_t *host_pk,
                     struct ad_evidence_info *info, char *err, size_t errlen)
{
	return ad_evidence_open_replay(out, path, host_sk, host_pk, NULL, info,
	                               err, errlen);
}

int ad_evidence_open_replay(struct ad_evidence **out, const char *path,
                            const uint8_t *host_sk, const uint8_t *host_pk,
                            const struct ad_evidence_replay *rp,
                            struct ad_evidence_info *info, char *err,
                            size_t errlen)
{
	struct ad_evidence_info dummy;
	struct ad_evidence *ev;
	int r;

	*out = NULL;
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	errf(err, errlen, "%s", "");
	if (!path || !(ev = calloc(1, sizeof(*ev))))
		return path ? AD_ERR_NOMEM : AD_ERR_INVALID;
	ev->fd = -1;
	ev->datasync = fdatasync;
	if (!(ev->path = strdup(path)))
		r = AD_ERR_NOMEM;
	else if ((r = set_keys(ev, host_sk, host_pk, err, errlen)) == 0 &&
	         (r = ad_ev_open_fd(&ev->fd, path, 1, err, errlen)) == 0)
		r = load_chain(ev, rp, info, err, errlen);
	if (r != 0) {
		if (err && errlen && !err[0])
			errf(err, errlen, "%s: %s", path, ad_strerror(r));
		ad_evidence_close(ev);
		return r;
	}
	*out = ev;
	return 0;
}

void ad_evidence_close(struct ad_evidence *ev)
{
	if (!ev)
		return;
	if (ev->fd >= 0)
		close(ev->fd);
	sodium_free(ev->sk);
	free(ev->path);
	free(ev);
}

uint64_t ad_evidence_seq(const struct ad_evidence *ev)
{
	return ev->durable.seq;
}

void ad_evidence_head(const struct ad_evidence *ev,
                      char out[AD_EVIDENCE_HASH_HEX])
{
	ad_ev_hex(out, ev->durable.head);
}

/* Line 1 is read back once (at most one line) if the open did not see it
 * (the file was empty then). */
int ad_evidence_first(struct ad_evidence *ev, char out[AD_EVIDENCE_HASH_HEX])
{
	static const uint8_t zero[AD_EVIDENCE_HASH_LEN];
	char *buf, *nl;
	ssize_t n;

	out[0] = '\0';
	if (ev->durable.seq == 0)
		return AD_ERR_NOTFOUND;
	if (memcmp(ev->durable.first, zero, sizeof(zero)) == 0) {
		if (!(buf = malloc(AD_EVIDENCE_LINE_MAX)))
			return AD_ERR_NOMEM;
		n = pread(ev->fd, buf, AD_EVIDENCE_LINE_MAX, 0);
		nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
		if (nl)
			ad_ev_hash(ev->durable.first, buf, (size_t)(nl - buf));
		free(buf);
		if (!nl)
			return AD_ERR_IO;
		memcpy(ev->ch.first, ev->durable.first, AD_EVIDENCE_HASH_LEN);
	}
	ad_ev_hex(out, ev->durable.first);
	return 0;
}

uint64_t ad_evidence_uncovered(const struct ad_evidence *ev)
{
	return ev->durable.seq - ev->durable.last_cp_seq;
}

void ad_evidence_set_clock(struct ad_evidence *ev, ad_evidence_clock_fn fn,
                           void *arg)
{
	ev->clock = fn;
	ev->clock_arg = arg;
}

void ad_evidence_set_sync_fn(struct ad_evidence *ev, ad_evidence_sync_fn fn)
{
	ev->datasync = fn ? fn : fdatasync;
}

json_t *ad_evidence_recovery_record(const struct ad_evidence_info *info)
{
	if (!info || !info->recovered)
		return NULL;
	return json_pack(
	    "{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s}", "event", "recovered",
	    "version", APPROVERD_VERSION, "what", "torn last line cut off",
	    "line", (json_int_t)info->cut_line, "offset",
	    (json_int_t)info->cut_offset, "bytes", (json_int_t)info->cut_bytes,
	    "cut_hash", info->cut_hash, "why", info->cut_why);
}

/* The replayed chain must end where ad_evidence_open left it. */
static int same_as_opened(const struct ad_evidence *ev,
                          const struct ad_ev_scan *s,
                          struct ad_verify_report *rep)
{
	struct stat st;

	if (s->ch.seq == ev->durable.seq &&
	    memcmp(s->ch.head, ev->durable.head, AD_EVIDENCE_HASH_LEN) == 0 &&
	    fstat(ev->fd, &st) == 0 && (uint64_t)st.st_size == ev->len)
		return 0;
	rep->status = AD_ERR_CHAIN;
	rep->bad_seq = rep->bad_line = s->ch.seq;
	snprintf(rep->why, sizeof(rep->why),
	         "%s: changed since it was opened (replayed up to seq %llu, "
	         "opened at seq %llu)",
	         ev->path, (unsigned long long)s->ch.seq,
	         (unsigned long long)ev->durable.seq);
	return AD_ERR_CHAIN;
}

int ad_evidence_replay_open(struct ad_evidence *ev, ad_evidence_cb cb,
                            void *arg, struct ad_verify_report *rep)
{
	struct ad_evidence_replay rp = {NULL, cb, arg};

	return ad_evidence_replay_open_rp(ev, &rp, rep);
}

int ad_evidence_replay_open_rp(struct ad_evidence *ev,
                               const struct ad_evidence_replay *rp,
                               struct ad_verify_report *rep)
{
	struct ad_ev_scan s;
	int r = 0;

	memset(rep, 0, sizeof(*rep));
	if (!ev || ev->fd < 0 || !rp)
		return rep->status = AD_ERR_INVALID;
	memset(&s, 0, sizeof(s));
	s.host_pk = ev->pk;
	s.cb = rp->cb;
	s.pick = rp->pick;
	s.arg = rp->arg;
	s.limit = ev->durable.seq;
	if (s.limit > 0)
		r = ad_ev_scan_fd(ev->fd, &s);
	else
		ad_ev_scan_summary(&s);
	*rep = s.rep;
	if (r == 0)
		r = same_as_opened(ev, &s, rep);
	if (r != 0 && rep->status == 0)
		rep->status = r;
	return r;
}
