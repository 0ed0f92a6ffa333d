/*
 * notify_http.c — the HTTP engine: one libcurl multi handle whose sockets
 * and timers live in a private epoll set that the daemon's loop watches as
 * a single fd (nh_fd), so no transfer can ever block the daemon.
 *
 * Invariants (DESIGN.md §7, docs/NOTIFY.md):
 *  - Never blocks: curl is driven with curl_multi_socket_action only;
 *    retries wait on a timerfd, not in a sleep.
 *  - CURLOPT_NOSIGNAL; only http and https; redirects are not followed
 *    (a 3xx answer is a permanent failure naming the Location).
 *  - Proxies only from the config: CURLOPT_PROXY is always set, to "" when
 *    none is configured, so http_proxy / HTTPS_PROXY / ALL_PROXY in the
 *    environment change nothing; SSLKEYLOGFILE is removed from the
 *    environment before libcurl starts (it would leak TLS secrets).
 *  - TLS peer and host name verification always on; trust anchors are the
 *    configured ca_file or libcurl's built-in system bundle, never a path
 *    from the environment (libcurl does not read CURL_CA_BUNDLE).
 *  - Bounded: jobs held (queue_max), attempts (1 + retries), time per
 *    attempt, answer bytes kept; header lines (secrets) are wiped before
 *    they are freed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "daemon.h"
#include "error.h"
#include "notify.h"

#define BACKOFF_CAP_MS (3600ULL * 1000)
#define LABEL_MAX 160

struct job {
	struct nh *h;
	CURL *easy;
	struct curl_slist *hdrs;
	char label[LABEL_MAX];
	char *url, *body, *ca_file, *proxy;
	uint64_t timeout_ms, backoff_ms;
	uint32_t retries, tries;
	int64_t due_ms;          /* > 0: waiting to retry at this time */
	char *resp;
	size_t resp_len, resp_max;
	int resp_over;
	char err[CURL_ERROR_SIZE];
	nh_done_fn done;
	void *arg;
	struct job *next;
};

struct nh {
	CURLM *multi;
	int epfd, curl_tfd, retry_tfd;
	struct job *jobs;
	size_t n_jobs, max_jobs;
};

static int curl_ready;

int nh_fd(const struct nh *h)
{
	return h->epfd;
}

size_t nh_queued(const struct nh *h)
{
	return h->n_jobs;
}

static void arm(int tfd, int64_t ms, int absolute)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (ms >= 0) {
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (ms % 1000) * 1000000;
		if (ms == 0)
			its.it_value.tv_nsec = 1; /* zero would disarm */
	}
	timerfd_settime(tfd, absolute ? TFD_TIMER_ABSTIME : 0, &its, NULL);
}

static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
	struct nh *h = userp;

	(void)m;
	arm(h->curl_tfd, timeout_ms < 0 ? -1 : timeout_ms, 0);
	return 0;
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp,
		     void *socketp)
{
	struct nh *h = userp;
	struct epoll_event ev = {.data.fd = s};

	(void)e;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) |
		    ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT)
		epoll_ctl(h->epfd, EPOLL_CTL_ADD, s, &ev);
	return 0;
}

static int engine_fds(struct nh *h)
{
	struct epoll_event ev = {.events = EPOLLIN};

	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->curl_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	h->retry_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->epfd < 0 || h->curl_tfd < 0 || h->retry_tfd < 0)
		return AD_ERR_IO;
	ev.data.fd = h->curl_tfd;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->curl_tfd, &ev) != 0)
		return AD_ERR_IO;
	ev.data.fd = h->retry_tfd;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->retry_tfd, &ev) != 0)
		return AD_ERR_IO;
	return 0;
}

int nh_new(struct nh **out, size_t queue_max)
{
	struct nh *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (h == NULL)
		return AD_ERR_NOMEM;
	h->epfd = h->curl_tfd = h->retry_tfd = -1;
	h->max_jobs = queue_max;
	if (!curl_ready) {
		unsetenv("SSLKEYLOGFILE");
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			free(h);
			return AD_ERR_NOMEM;
		}
		curl_ready = 1;
	}
	if (engine_fds(h) != 0 || (h->multi = curl_multi_init()) == NULL) {
		nh_free(h);
		return AD_ERR_IO;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 16L);
	*out = h;
	return 0;
}

static void job_free(struct job *j)
{
	for (struct curl_slist *s = j->hdrs; s != NULL; s = s->next)
		sodium_memzero(s->data, strlen(s->data));
	curl_slist_free_all(j->hdrs);
	free(j->url);
	free(j->body);
	free(j->ca_file);
	free(j->proxy);
	free(j->resp);
	free(j);
}

static void easy_end(struct job *j)
{
	if (j->easy == NULL)
		return;
	curl_multi_remove_handle(j->h->multi, j->easy);
	curl_easy_cleanup(j->easy);
	j->easy = NULL;
}

static void unlink_job(struct nh *h, struct job *j)
{
	for (struct job **pp = &h->jobs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			h->n_jobs--;
			return;
		}
	}
}

/* Final: call done (unless told not to) and free the job. */
static void job_finish(struct job *j, struct nh_result *res)
{
	easy_end(j);
	unlink_job(j->h, j);
	res->tries = j->tries;
	res->body = j->resp != NULL ? j->resp : "";
	res->body_len = j->resp_len;
	j->done(j->arg, res);
	job_free(j);
}

void nh_free(struct nh *h)
{
	struct nh_result res;

	if (h == NULL)
		return;
	while (h->jobs != NULL) {
		memset(&res, 0, sizeof(res));
		res.cancelled = 1;
		snprintf(res.error, sizeof(res.error), "cancelled: daemon stopping");
		job_finish(h->jobs, &res);
	}
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->curl_tfd >= 0)
		close(h->curl_tfd);
	if (h->retry_tfd >= 0)
		close(h->retry_tfd);
	free(h);
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *userp)
{
	struct job *j = userp;
	size_t n = size * nmemb;

	if (j->resp_max == 0)
		return n; /* not kept; the timeout bounds the transfer */
	if (n > j->resp_max - j->resp_len) {
		j->resp_over = 1;
		return 0; /* aborts the transfer */
	}
	memcpy(j->resp + j->resp_len, p, n);
	j->resp_len += n;
	j->resp[j->resp_len] = '\0';
	return n;
}

static void easy_options(struct job *j, CURL *e)
{
	long tmo = (long)j->timeout_ms;

	curl_easy_setopt(e, CURLOPT_URL, j->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROXY, j->proxy != NULL ? j->proxy : "");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (j->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, j->ca_file);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "approverd/" APPROVERD_VERSION);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->err);
	if (j->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(j->body));
	}
}

static int job_start(struct job *j)
{
	CURL *e = curl_easy_init();

	j->due_ms = 0;
	j->err[0] = '\0';
	j->resp_len = 0;
	j->resp_over = 0;
	if (j->resp != NULL)
		j->resp[0] = '\0';
	if (e == NULL)
		return AD_ERR_NOMEM;
	easy_options(j, e);
	if (curl_multi_add_handle(j->h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return AD_ERR_NOMEM;
	}
	j->easy = e;
	j->tries++;
	return 0;
}

static int job_headers(struct job *j, const struct nh_req *rq)
{
	static const char *const fixed[] = {"Accept: application/json",
					    "Expect:"};
	struct curl_slist *s;

	for (size_t i = 0; i < 2 + (rq->body != NULL) + rq->n_headers; i++) {
		const char *line = i < 2 ? fixed[i]
				   : (i == 2 && rq->body != NULL)
				   ? "Content-Type: application/json"
				   : rq->headers[i - 2 - (rq->body != NULL)];
		if ((s = curl_slist_append(j->hdrs, line)) == NULL)
			return AD_ERR_NOMEM;
		j->hdrs = s;
	}
	return 0;
}

static int dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	return s != NULL && (*dst = strdup(s)) == NULL ? AD_ERR_NOMEM : 0;
}

static int job_fill(struct job *j, const struct nh_req *rq)
{
	snprintf(j->label, sizeof(j->label), "%s", rq->label ? rq->label : "http");
	j->timeout_ms = rq->timeout_ms > 0 ? rq->timeout_ms : 5000;
	j->backoff_ms = rq->backoff_ms;
	j->retries = rq->retries;
	j->done = rq->done;
	j->arg = rq->arg;
	j->resp_max = rq->body_max;
	if (rq->body_max > 0 && (j->resp = malloc(rq->body_max + 1)) == NULL)
		return AD_ERR_NOMEM;
	if (dup_opt(&j->url, rq->url) != 0 || dup_opt(&j->body, rq->body) != 0 ||
	    dup_opt(&j->ca_file, rq->ca_file) != 0 ||
	    dup_opt(&j->proxy, rq->proxy) != 0)
		return AD_ERR_NOMEM;
	return job_headers(j, rq);
}

int nh_submit(struct nh *h, const struct nh_req *rq)
{
	struct job *j;
	int r;

	if (rq->url == NULL || rq->done == NULL)
		return AD_ERR_INVALID;
	if (h->n_jobs >= h->max_jobs)
		return AD_ERR_LIMIT;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return AD_ERR_NOMEM;
	j->h = h;
	if ((r = job_fill(j, rq)) != 0 || (r = job_start(j)) != 0) {
		job_free(j);
		return r;
	}
	j->next = h->jobs;
	h->jobs = j;
	h->n_jobs++;
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The retry timer fires at the earliest due job. */
static void retry_rearm(struct nh *h)
{
	int64_t first = 0;

	for (struct job *j = h->jobs; j != NULL; j = j->next)
		if (j->due_ms > 0 && (first == 0 || j->due_ms < first))
			first = j->due_ms;
	arm(h->retry_tfd, first > 0 ? first : -1, 1);
}

/* HTTP status -> result; 408, 429 and 5xx are worth a retry. */
static void judge_status(struct job *j, CURL *e, long st, struct nh_result *res)
{
	char *loc = NULL;

	res->status = st;
	if (st >= 200 && st <= 299) {
		res->ok = 1;
		return;
	}
	res->permanent = !(st == 408 || st == 429 || st >= 500);
	if (st >= 300 && st <= 399) {
		curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &loc);
		snprintf(res->error, sizeof(res->error), "HTTP %ld redirect to "
			 "%.160s not followed", st, loc ? loc : "(no Location)");
		return;
	}
	snprintf(res->error, sizeof(res->error), "HTTP %ld", st);
}

static void judge_try(struct job *j, CURLcode rc, struct nh_result *res)
{
	long st = 0;

	memset(res, 0, sizeof(*res));
	if (rc == CURLE_OK) {
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &st);
		judge_status(j, j->easy, st, res);
		return;
	}
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &st);
	res->status = st;
	if (j->resp_over) {
		res->permanent = 1;
		snprintf(res->error, sizeof(res->error), "answer longer than %zu "
			 "bytes", j->resp_max);
		return;
	}
	snprintf(res->error, sizeof(res->error), "%s%s%.200s",
		 curl_easy_strerror(rc), j->err[0] ? ": " : "", j->err);
}

static uint64_t backoff_for(const struct job *j)
{
	uint64_t b = j->backoff_ms;

	for (uint32_t i = 1; i < j->tries && b < BACKOFF_CAP_MS; i++)
		b *= 2;
	return b < BACKOFF_CAP_MS ? b : BACKOFF_CAP_MS;
}

/* One attempt ended: 1 if it was the last (res holds the outcome). */
static int try_end(struct job *j, CURLcode rc, struct nh_result *res)
{
	uint64_t wait;

	judge_try(j, rc, res);
	if (res->ok || res->permanent || j->tries > j->retries)
		return 1;
	wait = backoff_for(j);
	d_log(LOG_WARNING, "%s: try %u of %u failed (%s); retry in %llums",
	      j->label, j->tries, j->retries + 1, res->error,
	      (unsigned long long)wait);
	easy_end(j);
	j->due_ms = mono_ms() + (int64_t)wait;
	if (j->due_ms <= 0)
		j->due_ms = 1;
	return 0;
}

static void collect_done(struct nh *h)
{
	struct nh_result res;
	CURLMsg *m;
	int left = 0;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct job *j = NULL;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		if (j == NULL)
			continue;
		if (try_end(j, m->data.result, &res))
			job_finish(j, &res); /* done() may submit: we re-read */
	}
	retry_rearm(h);
}

static void start_due(struct nh *h)
{
	int64_t now = mono_ms();
	struct nh_result res;
	struct job *j, *next;

	for (j = h->jobs; j != NULL; j = next) {
		next = j->next;
		if (j->due_ms == 0 || j->due_ms > now || job_start(j) == 0)
			continue;
		memset(&res, 0, sizeof(res));
		snprintf(res.error, sizeof(res.error), "out of memory");
		job_finish(j, &res);
	}
	retry_rearm(h);
}

static void drain(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		;
}

void nh_run(struct nh *h)
{
	struct epoll_event evs[32];
	int running = 0;

	for (int round = 0; round < 8; round++) {
		int n = epoll_wait(h->epfd, evs, 32, 0);

		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			int fl = ((evs[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
				 ((evs[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
				 ((evs[i].events & (EPOLLERR | EPOLLHUP))
					  ? CURL_CSELECT_ERR : 0);
			if (fd == h->curl_tfd) {
				drain(fd);
				curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT,
							 0, &running);
			} else if (fd == h->retry_tfd) {
				drain(fd);
				start_due(h);
			} else {
				curl_multi_socket_action(h->multi, fd, fl, &running);
			}
		}
		collect_done(h);
	}
}
