/*
 * verify.c — Ed25519 checks of submitted tokens on a thread of their own,
 * so that the event loop goes on reading, writing and syncing while the
 * CPU's other core verifies (a third of the loop's instructions per
 * approval, docs/BENCHMARKS.md).
 *
 * Invariants:
 *  - The thread touches only the bytes of each job (signed statement,
 *    signature, public key: struct ad_token_pending) and the two queues
 *    under the mutex; never the daemon's state, jansson, syslog or a
 *    connection. Everything that decides (request, key still in the ring,
 *    binding, replay, separation of duties, quorum) runs on the loop
 *    thread in submit_finish(), after the check, against the state of
 *    that moment.
 *  - A connection with a job out is held: the loop reads nothing more from
 *    it (replies stay in order, docs/PROTOCOL.md) and a close is deferred
 *    until the job is back.
 *  - Jobs come back in the order they were queued; a batch queued in one
 *    loop pass is usually answered in one later pass (one fdatasync).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "error.h"
#include "verify.h"

struct verifier {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct vjob *queue, **queue_tail;
	struct vjob *done, **done_tail;
	int stop;
	int efd; /* eventfd: done is not empty */
};

static void append(struct vjob ***tail, struct vjob *list)
{
	**tail = list;
	while (**tail != NULL)
		*tail = &(**tail)->next;
}

static void *worker(void *arg)
{
	struct verifier *w = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		struct vjob *batch = w->queue;

		if (batch == NULL) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		w->queue = NULL;
		w->queue_tail = &w->queue;
		pthread_mutex_unlock(&w->mu);
		for (struct vjob *j = batch; j != NULL; j = j->next)
			(void)ad_token_check_sig(&j->p);
		pthread_mutex_lock(&w->mu);
		append(&w->done_tail, batch);
		/* wake the loop (EAGAIN: the counter is full, still readable) */
		while (write(w->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int verify_start(struct daemon *d)
{
	struct verifier *w = calloc(1, sizeof(*w));
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = &d->vfd};

	if (w == NULL)
		return AD_ERR_NOMEM;
	w->queue_tail = &w->queue;
	w->done_tail = &w->done;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0 || pthread_mutex_init(&w->mu, NULL) != 0) {
		if (w->efd >= 0)
			close(w->efd);
		free(w);
		return AD_ERR_IO;
	}
	if (pthread_cond_init(&w->cv, NULL) != 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, w->efd, &e) != 0 ||
	    pthread_create(&w->th, NULL, worker, w) != 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->efd, NULL);
		close(w->efd);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return AD_ERR_IO;
	}
	d->vfd = w->efd;
	d->verifier = w;
	return 0;
}

int verify_queue(struct daemon *d, struct vjob *j)
{
	struct verifier *w = d->verifier;

	if (w == NULL)
		return AD_ERR_IO;
	j->next = NULL;
	conn_hold(d, j->c);
	pthread_mutex_lock(&w->mu);
	*w->queue_tail = j;
	w->queue_tail = &j->next;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void verify_drain(struct daemon *d)
{
	struct verifier *w = d->verifier;
	struct vjob *list, *next;
	uint64_t n;

	if (w == NULL)
		return;
	while (read(w->efd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&w->mu);
	list = w->done;
	w->done = NULL;
	w->done_tail = &w->done;
	pthread_mutex_unlock(&w->mu);
	for (; list != NULL; list = next) {
		struct conn *c = list->c;

		next = list->next;
		(void)submit_finish(d, list); /* answers c, frees the job */
		conn_release(d, c);
	}
}

static void drop(struct daemon *d, struct vjob *list)
{
	for (struct vjob *next; list != NULL; list = next) {
		next = list->next;
		conn_release(d, list->c);
		free(list);
	}
}

void verify_stop(struct daemon *d)
{
	struct verifier *w = d->verifier;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->th, NULL);
	drop(d, w->queue);
	drop(d, w->done);
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, w->efd, NULL);
	close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	d->verifier = NULL;
	d->vfd = -1;
}
