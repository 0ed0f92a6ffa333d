/*
 * bench_raw — the machine's raw rates, the baselines of docs/BENCHMARKS.md:
 *
 *   bench_raw fsync DIR MS     write a 256-byte line + fdatasync, repeated
 *                              for MS milliseconds in DIR/raw-fsync.dat
 *   bench_raw append DIR MS    ad_evidence_append (durable) of a consume-
 *                              sized record for MS ms in DIR/append.log
 *   bench_raw ed25519 MS       ad_verify_detached of a token-sized message
 *   bench_raw blake2b FILE     BLAKE2b-256 of every line of FILE (read in
 *                              1 MiB blocks): the floor under verify-log
 *
 * Each prints one "name value" line (rates per second). Files it creates
 * are removed again; DIR must exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "error.h"
#include "evidence.h"
#include "keys.h"

#define H "bench_raw"

static double per_s(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0;
}

static int raw_fsync(const char *dir, uint32_t ms)
{
	char path[4096], line[256];
	uint64_t t0, n = 0, limit = (uint64_t)ms * 1000000u;
	int fd;

	snprintf(path, sizeof(path), "%s/raw-fsync.dat", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	          0600);
	if (fd < 0)
		bench_die(H, "%s: %s", path, strerror(errno));
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < limit) {
		if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) ||
		    fdatasync(fd) != 0)
			bench_die(H, "%s: %s", path, strerror(errno));
		n++;
	}
	printf("raw_fdatasync_per_s %.0f\n", per_s(n, bench_now_ns() - t0));
	close(fd);
	unlink(path);
	return 0;
}

static int raw_append(const char *dir, uint32_t ms)
{
	char path[4096], err[512];
	uint64_t t0, n = 0, limit = (uint64_t)ms * 1000000u;
	struct ad_seckey *k = NULL;
	struct ad_evidence *ev = NULL;
	struct ad_evidence_info info;
	json_t *rec;

	snprintf(path, sizeof(path), "%s/append.log", dir);
	unlink(path);
	if (ad_seckey_generate(&k, "host", "root") != 0 ||
	    ad_evidence_open(&ev, path, k->sk, NULL, &info, err, sizeof(err)) !=
	        0)
		bench_die(H, "%s: cannot open: %s", path, err);
	rec = json_pack("{s:s, s:s, s:i}", "event", "consume", "id",
	                "R-0000-0001", "pid", 12345);
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < limit) {
		if (ad_evidence_append(ev, rec, NULL, NULL) != 0)
			bench_die(H, "%s: append failed", path);
		n++;
	}
	printf("evidence_append_per_s %.0f\n", per_s(n, bench_now_ns() - t0));
	json_decref(rec);
	ad_evidence_close(ev);
	ad_seckey_free(k);
	unlink(path);
	return 0;
}

static int raw_ed25519(uint32_t ms)
{
	uint8_t msg[400], sig[AD_SIG_LEN];
	uint64_t t0, n = 0, limit = (uint64_t)ms * 1000000u;
	struct ad_seckey *k = NULL;

	randombytes_buf(msg, sizeof(msg));
	if (ad_seckey_generate(&k, "alice", "alice") != 0 ||
	    ad_sign_detached(sig, msg, sizeof(msg), k) != 0)
		bench_die(H, "ed25519: cannot make a key or sign");
	t0 = bench_now_ns();
	while (bench_now_ns() - t0 < limit) {
		if (ad_verify_detached(sig, msg, sizeof(msg), k->pub.pk) != 0)
			bench_die(H,
			          "ed25519: a good signature did not verify");
		n++;
	}
	printf("ed25519_verify_per_s %.0f\n", per_s(n, bench_now_ns() - t0));
	ad_seckey_free(k);
	return 0;
}

/* Hash each complete line in buf[0..len); returns bytes consumed. */
static size_t hash_lines(const char *buf, size_t len, uint64_t *lines)
{
	uint8_t h[AD_EVIDENCE_HASH_LEN];
	size_t off = 0;
	const char *nl;

	while ((nl = memchr(buf + off, '\n', len - off)) != NULL) {
		size_t l = (size_t)(nl - (buf + off)) + 1;
		crypto_generichash(h, sizeof(h), (const uint8_t *)buf + off, l,
		                   NULL, 0);
		off += l;
		(*lines)++;
	}
	return off;
}

static int raw_blake2b(const char *path)
{
	size_t cap = 2u << 20, have = 0;
	char *buf = malloc(cap);
	uint64_t t0 = bench_now_ns(), lines = 0, bytes = 0, ns;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0 || buf == NULL)
		bench_die(H, "%s: %s", path, strerror(errno));
	while ((got = read(fd, buf + have, cap - have)) > 0) {
		size_t used = hash_lines(buf, have + (size_t)got, &lines);
		bytes += (uint64_t)got;
		have = have + (size_t)got - used;
		memmove(buf, buf + used, have);
		if (have == cap)
			bench_die(H, "%s: a line longer than %zu bytes", path,
			          cap);
	}
	ns = bench_now_ns() - t0;
	if (got < 0)
		bench_die(H, "%s: %s", path, strerror(errno));
	printf("blake2b_lines_per_s %.0f\n", per_s(lines, ns));
	printf("blake2b_mib_per_s %.1f\n", per_s(bytes, ns) / 1048576.0);
	close(fd);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		bench_die(H, "sodium_init failed");
	if (argc == 4 && strcmp(argv[1], "fsync") == 0)
		return raw_fsync(argv[2],
		                 bench_arg_u32(H, "MS", argv[3], 1, 600000));
	if (argc == 4 && strcmp(argv[1], "append") == 0)
		return raw_append(argv[2],
		                  bench_arg_u32(H, "MS", argv[3], 1, 600000));
	if (argc == 3 && strcmp(argv[1], "ed25519") == 0)
		return raw_ed25519(bench_arg_u32(H, "MS", argv[2], 1, 600000));
	if (argc == 3 && strcmp(argv[1], "blake2b") == 0)
		return raw_blake2b(argv[2]);
	fprintf(stderr,
	        "usage: %s fsync DIR MS | append DIR MS | ed25519 MS "
	        "| blake2b FILE\n",
	        H);
	return 2;
}
