/*
 * ctl_log.c — `approverctl log` and `approverctl verify-log` (auditors).
 *
 * Invariants: every byte that comes from the evidence file is printed only
 * after ad_escape (or as ASCII-escaped JSON), so a record can never drive
 * the terminal; verify-log exits 0 only when the whole file verified, 1 when
 * anything is wrong (naming the first bad record's seq, line and why), 2 on
 * a usage or I/O error. Neither command writes anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"
#include "evidence.h"
#include "keys.h"
#include "num.h"
#include "text.h"

static void verify_usage(FILE *f)
{
	fprintf(f,
	        "usage: approverctl verify-log [--host-key HOST.pub] [--json]\n"
	        "                              [--require-signed] [--anchor "
	        "SEQ:HASH] FILE\n"
	        "  --host-key HOST.pub  also verify checkpoint signatures\n"
	        "  --require-signed     fail if records follow the last "
	        "checkpoint\n"
	        "  --anchor SEQ:HASH    record SEQ must exist with this hash "
	        "(from syslog),\n"
	        "                       detecting a truncated tail\n"
	        "  --json               print the report as JSON\n"
	        "exit status: 0 intact, 1 damaged (first bad record named), "
	        "2 usage or I/O error\n");
}

static int parse_anchor(struct ad_verify_opts *o, const char *arg)
{
	const char *colon = strchr(arg, ':');
	char seq[32];
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);

	if (n == 0 || n >= sizeof(seq))
		return AD_ERR_INVALID;
	memcpy(seq, arg, n);
	seq[n] = '\0';
	if (ad_parse_u64(&o->anchor_seq, seq, 1, UINT64_MAX / 2) != 0)
		return AD_ERR_INVALID;
	if (!colon)
		return 0;
	if (strlen(colon + 1) != AD_EVIDENCE_HASH_HEX - 1)
		return AD_ERR_INVALID;
	snprintf(o->anchor_hash, sizeof(o->anchor_hash), "%s", colon + 1);
	for (const char *p = o->anchor_hash; *p; p++)
		if (!strchr("0123456789abcdef", *p))
			return AD_ERR_INVALID;
	return 0;
}

/* safefile wants an absolute path; prefix the cwd (no symlink resolved). */
static char *absolute(const char *path)
{
	char *cwd, *abs = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (!(cwd = getcwd(NULL, 0)))
		return NULL;
	if (asprintf(&abs, "%s/%s", cwd, path) < 0)
		abs = NULL;
	free(cwd);
	return abs;
}

static int load_host_key(struct ad_pubkey *pub, const char *arg)
{
	struct ad_trust t = {.extra_uid = getuid(), .check_parents = 1};
	char why[AD_WHY_MAX] = "", *esc, *path = absolute(arg);
	int r = path ? ad_pubkey_load(pub, path, &t, 0, why) : AD_ERR_NOMEM;

	if (r != 0) {
		esc = ad_escape(why[0] ? why : arg);
		fprintf(stderr, "approverctl verify-log: --host-key %s: %s\n",
		        esc ? esc : "?", ad_strerror(r));
		free(esc);
	}
	free(path);
	return r;
}

static int is_io_error(const struct ad_verify_report *rep)
{
	return rep->bad_line == 0 && rep->status != 0;
}

static const char *verdict(const struct ad_verify_report *rep)
{
	return rep->status == 0   ? "intact"
	       : is_io_error(rep) ? "error"
	                          : "damaged";
}

static void print_json(const char *file, const struct ad_verify_report *rep)
{
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:b, s:s, s:I, s:I, s:s}",
	    "file", file, "status", verdict(rep), "error",
	    ad_errname(rep->status), "records", (json_int_t)rep->records,
	    "checkpoints", (json_int_t)rep->checkpoints, "last_checkpoint_seq",
	    (json_int_t)rep->last_checkpoint_seq, "uncovered",
	    (json_int_t)rep->uncovered, "signatures_checked",
	    rep->signatures_checked, "head", rep->head, "bad_seq",
	    (json_int_t)rep->bad_seq, "bad_line", (json_int_t)rep->bad_line,
	    "why", rep->why);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII |
	                                JSON_PRESERVE_ORDER)
	            : NULL;

	printf("%s\n",
	       s ? s : "{\"status\":\"error\",\"why\":\"out of memory\"}");
	free(s);
	json_decref(o);
}

static void print_text(const char *file, const struct ad_verify_report *rep)
{
	char *f = ad_escape(file), *why = ad_escape(rep->why);

	if (rep->status == 0) {
		printf("%s: intact: %llu records, %llu checkpoints, head %s\n",
		       f ? f : "?", (unsigned long long)rep->records,
		       (unsigned long long)rep->checkpoints, rep->head);
		if (!rep->signatures_checked)
			printf("note: checkpoint signatures not checked "
			       "(no --host-key)\n");
		if (rep->uncovered)
			printf("note: %llu record(s) after seq %llu are not "
			       "covered by a signed checkpoint\n",
			       (unsigned long long)rep->uncovered,
			       (unsigned long long)rep->last_checkpoint_seq);
	} else if (is_io_error(rep)) {
		fprintf(stderr, "approverctl verify-log: %s: %s\n",
		        why && *why ? why
		        : f         ? f
		                    : "?",
		        ad_strerror(rep->status));
	} else {
		printf("%s: damaged at seq %llu (line %llu): %s [%s]\n",
		       f ? f : "?", (unsigned long long)rep->bad_seq,
		       (unsigned long long)rep->bad_line, why ? why : "?",
		       ad_errname(rep->status));
		printf("%llu record(s) before it verified\n",
		       (unsigned long long)rep->records);
	}
	free(f);
	free(why);
}

struct verify_args {
	struct ad_verify_opts o;
	const char *keyfile;
	int json;
};

/* -1 to go on, else the exit status. */
static int verify_parse(int argc, char **argv, struct verify_args *a)
{
	static const struct option lo[] = {
	    {"host-key", required_argument, NULL, 'k'},
	    {"json", no_argument, NULL, 'j'},
	    {"require-signed", no_argument, NULL, 's'},
	    {"anchor", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "k:jsa:h", lo, NULL)) != -1) {
		if (ch == 'k') {
			a->keyfile = optarg;
		} else if (ch == 'j') {
			a->json = 1;
		} else if (ch == 's') {
			a->o.require_covered = 1;
		} else if (ch == 'a' && parse_anchor(&a->o, optarg) != 0) {
			fprintf(stderr, "approverctl verify-log: --anchor: "
			                "want SEQ or SEQ:64-hex-digit-hash\n");
			return CTL_EXIT_USAGE;
		} else if (ch == 'h') {
			verify_usage(stdout);
			return CTL_EXIT_OK;
		} else if (ch != 'a') {
			verify_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		verify_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	return -1;
}

int ctl_verify_log(int argc, char **argv)
{
	struct verify_args a;
	struct ad_verify_report rep;
	struct ad_pubkey pub;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = verify_parse(argc, argv, &a)) >= 0)
		return rc;
	if (a.keyfile && load_host_key(&pub, a.keyfile) != 0)
		return CTL_EXIT_USAGE;
	a.o.host_pk = a.keyfile ? pub.pk : NULL;
	ad_evidence_verify_ex(argv[optind], &a.o, &rep);
	if (a.json)
		print_json(argv[optind], &rep);
	else
		print_text(argv[optind], &rep);
	if (rep.status == 0)
		return CTL_EXIT_OK;
	return is_io_error(&rep) ? CTL_EXIT_USAGE : CTL_EXIT_REFUSED;
}

static void log_usage(FILE *f)
{
	fprintf(
	    f, "usage: approverctl log [--json] [--follow] FILE\n"
	       "  prints one evidence record per line, control characters "
	       "escaped:\n"
	       "  TIME seq=N event=NAME field=value ...\n"
	       "  --json    one escaped compact JSON object per line\n"
	       "  --follow  keep printing records as they are appended\n"
	       "  (log does not verify the chain: use approverctl verify-log)\n"
	       "exit status: 0 done, 1 a line was not a JSON record, "
	       "2 usage or I/O error\n");
}

/* Print one line; returns 0, or 1 if it is not a JSON object. */
static int print_record(const char *line, size_t len, unsigned long long n,
                        int json)
{
	json_t *rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	char *s = NULL, *esc;
	const char *t;

	if (!json_is_object(rec)) {
		esc = ad_escape_n(line, len > 200 ? 200 : len);
		printf("line %llu: not a JSON record: %s%s\n", n,
		       esc ? esc : "?", len > 200 ? "..." : "");
		free(esc);
		json_decref(rec);
		return 1;
	}
	if (json) {
		s = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII |
		                        JSON_PRESERVE_ORDER);
	} else {
		s = ad_evidence_kv(rec, NULL);
		t = json_string_value(json_object_get(rec, "time"));
		esc = ad_escape(t ? t : "-");
		printf("%s ", esc ? esc : "-");
		free(esc);
	}
	printf("%s\n", s ? s : "(out of memory)");
	free(s);
	json_decref(rec);
	return 0;
}

struct log_reader {
	int fd;
	char *buf;
	size_t len;
	unsigned long long line;
	int bad;
};

/* Print every complete line in the buffer; keep a partial one. */
static void drain(struct log_reader *r, int json)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(r->buf + start, '\n', r->len - start))) {
		size_t n = (size_t)(nl - (r->buf + start));
		r->bad |= print_record(r->buf + start, n, ++r->line, json);
		start += n + 1;
	}
	if (start == 0 && r->len >= AD_EVIDENCE_LINE_MAX) {
		printf("line %llu: longer than %d bytes, skipped\n", ++r->line,
		       AD_EVIDENCE_LINE_MAX);
		r->bad = 1;
		start = r->len;
	}
	memmove(r->buf, r->buf + start, r->len - start);
	r->len -= start;
	fflush(stdout);
}

static int follow_file(struct log_reader *r, int json, int follow)
{
	const struct timespec pause = {0, 250 * 1000 * 1000};
	ssize_t n;

	for (;;) {
		n = read(r->fd, r->buf + r->len, AD_EVIDENCE_LINE_MAX - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n > 0) {
			r->len += (size_t)n;
			drain(r, json);
		} else if (follow) {
			nanosleep(&pause, NULL);
		} else {
			break;
		}
	}
	if (r->len > 0) /* no final newline: torn or truncated */
		r->bad |= print_record(r->buf, r->len, ++r->line, json);
	return 0;
}

static int log_open(struct log_reader *r, const char *path)
{
	char *esc;

	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (r->fd >= 0 && (r->buf = malloc(AD_EVIDENCE_LINE_MAX)))
		return 0;
	esc = ad_escape(path);
	fprintf(stderr, "approverctl log: %s: %s\n", esc ? esc : "?",
	        r->fd < 0 ? strerror(errno) : "out of memory");
	free(esc);
	if (r->fd >= 0)
		close(r->fd);
	return -1;
}

int ctl_log(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"follow", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct log_reader r = {.fd = -1};
	int ch, json = 0, follow = 0, rc;

	while ((ch = getopt_long(argc, argv, "jfh", lo, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'f':
			follow = 1;
			break;
		case 'h':
			log_usage(stdout);
			return CTL_EXIT_OK;
		default:
			log_usage(stderr);
			return CTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		log_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (log_open(&r, argv[optind]) != 0)
		return CTL_EXIT_USAGE;
	rc = follow_file(&r, json, follow);
	if (rc != 0)
		fprintf(stderr, "approverctl log: read failed: %s\n",
		        strerror(errno));
	close(r.fd);
	free(r.buf);
	return rc ? CTL_EXIT_USAGE : r.bad ? CTL_EXIT_REFUSED : CTL_EXIT_OK;
}
