/*
 * doctor_sys.c — is the daemon answering (and able to write evidence), and
 * is the clock synchronised? Approvals are time-bound (not_before,
 * not_after, request expiry), so an unsynchronised clock weakens them; the
 * kernel's own view (adjtimex(2) with no change requested) is used, which
 * needs no daemon and no extra dependency.
 */
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>

#include "client.h"
#include "ctl.h"
#include "doctor.h"
#include "error.h"
#include "proto.h"

#define DOCTOR_TIMEOUT_MS 3000

static const char *socket_path(const struct doc *d)
{
	if (ctl_g.socket != NULL)
		return ctl_g.socket;
	if (d->cfg != NULL && d->cfg->socket != NULL)
		return d->cfg->socket;
	return AD_DEFAULT_SOCKET;
}

static void judge_health(struct doc *d, const char *path, const json_t *r)
{
	const char *ev = NULL, *ver = NULL;
	uint64_t pending = 0, seq = 0;

	if (ad_json_str(&ev, r, "evidence", 64) != 0 ||
	    ad_json_str(&ver, r, "version", 64) != 0) {
		doc_report(d, DOC_FAIL, "daemon", NULL, "%s: health reply "
			   "without evidence/version fields", path);
		return;
	}
	if (ad_json_u64(&pending, r, "pending") != 0)
		pending = 0;
	if (ad_json_u64(&seq, r, "evidence_seq") != 0)
		seq = 0;
	if (strcmp(ev, "ok") != 0) {
		doc_report(d, DOC_FAIL, "daemon", "free space or fix the "
			   "evidence file; see journalctl -u approverd",
			   "%s: approverd %s answers but cannot write evidence "
			   "(%s); AI subjects are refused", path, ver, ev);
		return;
	}
	doc_report(d, DOC_OK, "daemon", NULL, "%s: approverd %s answers; %llu "
		   "pending, evidence at seq %llu", path, ver,
		   (unsigned long long)pending, (unsigned long long)seq);
}

void doc_check_daemon(struct doc *d)
{
	const char *path = socket_path(d);
	struct ad_client *c = NULL;
	json_t *reply = NULL;
	int rc;

	rc = ad_client_connect(&c, path, DOCTOR_TIMEOUT_MS);
	if (rc == 0)
		rc = ad_client_health(c, &reply);
	if (rc != 0)
		doc_report(d, DOC_FAIL, "daemon", "systemctl start approverd; "
			   "journalctl -u approverd", "%s: %s; AI subjects are "
			   "refused while approverd is down", path,
			   ad_strerror(rc));
	else
		judge_health(d, path, reply);
	json_decref(reply);
	ad_client_close(c);
}

void doc_check_clock(struct doc *d)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx)); /* modes = 0: read only */
	state = adjtimex(&tx);
	if (state < 0) {
		doc_report(d, DOC_WARN, "clock", NULL, "adjtimex: cannot read "
			   "the kernel clock state");
		return;
	}
	if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0) {
		doc_report(d, DOC_WARN, "clock", "enable NTP: systemctl enable "
			   "--now systemd-timesyncd (or chrony)", "the kernel "
			   "clock is not synchronised (adjtimex status 0x%x); "
			   "approval time limits depend on it",
			   (unsigned)tx.status);
		return;
	}
	doc_report(d, DOC_OK, "clock", NULL, "synchronised (estimated error "
		   "%ld us)", (long)tx.esterror);
}
