/*
 * iofault.c — an LD_PRELOAD shim that injects I/O faults into the writes and
 * syncs of ONE file, switched on and off at run time (tests only; see
 * docs/SECURITY-TESTING.md, "Fault injection: I/O").
 *
 *   IOFAULT_PATH   absolute path of the file to hurt (as /proc/self/fd shows it)
 *   IOFAULT_CTL    control file, re-read on every write/sync: "MODE [N]"
 *   IOFAULT_COUNT  counter file: one line "MODE OP LEN" per injected fault
 *
 * MODE: off (or missing/empty file) | eio | short | torn | fsync.
 *   eio    write/pwrite/writev/pwritev fail with EIO, nothing is written
 *   short  half of the bytes are written and their count returned (a legal
 *          short write: the caller must finish the rest; 1 byte passes)
 *   torn   half of the bytes are written, then -1/EIO is returned (a record
 *          partly on disk and an error: the caller must cut it back)
 *   fsync  fdatasync/fsync fail with EIO (the data stays in the file, as in
 *          Linux's page cache after a failed writeback)
 * N: inject at most N faults while the control text stays the same (the
 * first call that reads a different text starts a new count).
 *
 * Invariants: only fds whose /proc/self/fd link equals IOFAULT_PATH are
 * touched; errno is preserved on every path that does not inject; every
 * injected fault is counted before the call returns, so a test can prove
 * that a fault really happened; no allocation (safe inside any program).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define CTL_MAX 64
#define IOV_MAX_SHIM 64

enum mode { M_OFF, M_EIO, M_SHORT, M_TORN, M_FSYNC };

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef int (*sync_fn)(int);

static write_fn real_write;
static pwrite_fn real_pwrite;
static writev_fn real_writev;
static pwritev_fn real_pwritev;
static sync_fn real_fsync, real_fdatasync;

static char last_ctl[CTL_MAX];
static unsigned long injected_here; /* faults under the current text */

static void *next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		abort(); /* a shim that cannot pass calls through must not run */
	return p;
}

__attribute__((constructor)) static void iofault_init(void)
{
	real_write = (write_fn)next_sym("write");
	real_pwrite = (pwrite_fn)next_sym("pwrite");
	real_writev = (writev_fn)next_sym("writev");
	real_pwritev = (pwritev_fn)next_sym("pwritev");
	real_fsync = (sync_fn)next_sym("fsync");
	real_fdatasync = (sync_fn)next_sym("fdatasync");
}

static int fd_is_target(int fd)
{
	const char *want = getenv("IOFAULT_PATH");
	char link[64], got[4096];
	ssize_t n;

	if (want == NULL || want[0] != '/')
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, got, sizeof(got) - 1);
	if (n <= 0)
		return 0;
	got[n] = '\0';
	return strcmp(got, want) == 0;
}

/* The control text, NUL-terminated and cut at the first newline. */
static void read_ctl(char out[CTL_MAX])
{
	const char *path = getenv("IOFAULT_CTL");
	ssize_t n = 0;
	int fd;

	out[0] = '\0';
	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, out, CTL_MAX - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static enum mode parse_mode(const char *ctl, unsigned long *limit)
{
	static const struct {
		const char *name;
		enum mode m;
	} names[] = {{"eio", M_EIO},
		     {"short", M_SHORT},
		     {"torn", M_TORN},
		     {"fsync", M_FSYNC}};
	size_t len = strcspn(ctl, " ");
	char *end;

	*limit = (unsigned long)-1;
	if (ctl[len] == ' ') {
		unsigned long v = strtoul(ctl + len + 1, &end, 10);
		if (end != ctl + len + 1 && *end == '\0')
			*limit = v;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len &&
		    strncmp(ctl, names[i].name, len) == 0)
			return names[i].m;
	return M_OFF;
}

static void count(const char *op, size_t len)
{
	const char *path = getenv("IOFAULT_COUNT");
	char line[128];
	int fd, n, saved = errno;

	injected_here++;
	if (path == NULL)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		n = snprintf(line, sizeof(line), "%s %s %zu\n", last_ctl, op,
			     len);
		if (n > 0)
			(void)real_write(fd, line, (size_t)n);
		close(fd);
	}
	errno = saved; /* the caller sees the errno of the faulted call */
}

/*
 * The fault to inject for this call on fd (M_OFF: none). is_sync: the kind
 * of call: a write accepts eio/short/torn, a sync accepts fsync.
 */
static enum mode fault_for(int fd, int is_sync)
{
	char ctl[CTL_MAX];
	unsigned long limit;
	enum mode m;
	int saved = errno;

	if (real_fdatasync == NULL)
		iofault_init(); /* called before our constructor ran */
	read_ctl(ctl);
	if (strcmp(ctl, last_ctl) != 0) {
		memcpy(last_ctl, ctl, sizeof(last_ctl));
		injected_here = 0;
	}
	m = parse_mode(ctl, &limit);
	if (m == M_OFF || (m == M_FSYNC) != is_sync ||
	    injected_here >= limit || !fd_is_target(fd))
		m = M_OFF;
	errno = saved;
	return m;
}

static ssize_t eio(const char *op, size_t len)
{
	count(op, len);
	errno = EIO;
	return -1;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	enum mode m = fault_for(fd, 0);
	ssize_t w;

	if (m == M_OFF || (m == M_SHORT && n < 2))
		return real_write(fd, buf, n); /* one byte cannot be cut shorter */
	if (m == M_EIO || n < 2)
		return eio("write", n);
	w = real_write(fd, buf, n / 2);
	count(m == M_SHORT ? "write-short" : "write-torn", n);
	if (m == M_SHORT || w < 0)
		return w;
	errno = EIO;
	return -1;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	enum mode m = fault_for(fd, 0);
	ssize_t w;

	if (m == M_OFF || (m == M_SHORT && n < 2))
		return real_pwrite(fd, buf, n, off); /* one byte cannot be cut shorter */
	if (m == M_EIO || n < 2)
		return eio("pwrite", n);
	w = real_pwrite(fd, buf, n / 2, off);
	count(m == M_SHORT ? "pwrite-short" : "pwrite-torn", n);
	if (m == M_SHORT || w < 0)
		return w;
	errno = EIO;
	return -1;
}

/* The first half (in bytes) of iov as a new vector in out; its count. */
static int half_iov(struct iovec out[IOV_MAX_SHIM], const struct iovec *iov,
		    int cnt, size_t *total)
{
	size_t want, sum = 0;
	int k = 0;

	*total = 0;
	for (int i = 0; i < cnt; i++)
		*total += iov[i].iov_len;
	want = *total / 2;
	for (int i = 0; i < cnt && k < IOV_MAX_SHIM && sum < want; i++) {
		out[k] = iov[i];
		if (sum + out[k].iov_len > want)
			out[k].iov_len = want - sum;
		sum += out[k++].iov_len;
	}
	return k;
}

static ssize_t vfault(enum mode m, int fd, const struct iovec *iov, int cnt,
		      off_t off, int positioned)
{
	struct iovec h[IOV_MAX_SHIM];
	size_t total;
	int k = half_iov(h, iov, cnt, &total);
	ssize_t w;

	if (m == M_SHORT && total < 2) /* nothing to cut */
		return positioned ? real_pwritev(fd, iov, cnt, off)
				  : real_writev(fd, iov, cnt);
	if (m == M_EIO || total < 2)
		return eio(positioned ? "pwritev" : "writev", total);
	w = positioned ? real_pwritev(fd, h, k, off) : real_writev(fd, h, k);
	count(m == M_SHORT ? "writev-short" : "writev-torn", total);
	if (m == M_SHORT || w < 0)
		return w;
	errno = EIO;
	return -1;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	enum mode m = fault_for(fd, 0);

	if (m == M_OFF || cnt <= 0)
		return real_writev(fd, iov, cnt);
	return vfault(m, fd, iov, cnt, 0, 0);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	enum mode m = fault_for(fd, 0);

	if (m == M_OFF || cnt <= 0)
		return real_pwritev(fd, iov, cnt, off);
	return vfault(m, fd, iov, cnt, off, 1);
}

int fsync(int fd)
{
	if (fault_for(fd, 1) == M_OFF)
		return real_fsync(fd);
	return (int)eio("fsync", 0);
}

int fdatasync(int fd)
{
	if (fault_for(fd, 1) == M_OFF)
		return real_fdatasync(fd);
	return (int)eio("fdatasync", 0);
}
