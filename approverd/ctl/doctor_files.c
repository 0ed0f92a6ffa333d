/*
 * doctor_files.c — the config and policy load exactly as the daemon loads
 * them (same parsers, same trust checks, §4.7), and the evidence log
 * verifies (chain, and checkpoint signatures when host.pub is readable).
 * Read-only: the evidence file is verified, never opened for writing.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "error.h"
#include "evidence.h"
#include "nano_conf.h"
#include "safefile.h"

#define CFG_FIX "approverctl policy check, then fix the file:line it names"

static void find_daemon_user(struct doc *d)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(d->cfg->user, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL) {
		d->daemon_uid = pw.pw_uid;
		return;
	}
	doc_report(d, DOC_WARN, "config", "install the approverd package "
		   "(it creates the user) or fix user = in [daemon]",
		   "%s: daemon user %s does not exist", d->config_path,
		   d->cfg->user);
}

/* Whether the sudo and PAM fronts read the file themselves (nano_conf.h):
 * if not, every human's sudo and PAM phase loads the core to read it. */
static void check_fronts(struct doc *d)
{
	char why[AD_WHY_MAX];
	struct ad_nano_conf nc;
	char *text = NULL;
	size_t len = 0;

	if (ad_safe_read(&text, &len, d->config_path, &ad_trust_root,
			 AD_CONFIG_FILE_MAX, why) != 0)
		return; /* the config check above has said why */
	if (!ad_nano_parse(&nc, text, len))
		doc_report(d, DOC_WARN, "fronts", "write that line plainly: no "
			   "comment after a value, no tab, no indented line, "
			   "ASCII only outside comments (approverd.conf(5))",
			   "%s:%u: not read by the sudo and PAM fronts, so every "
			   "human's sudo and PAM check loads the approval core "
			   "to read it (slower, still correct)", d->config_path,
			   nc.line);
	else if (nc.n_users == 0 && nc.n_groups == 0)
		doc_report(d, DOC_OK, "fronts", NULL, "%s: read by the sudo and "
			   "PAM fronts; AI subjects named by uid only, so a "
			   "human needs no name-service look-up", d->config_path);
	else
		doc_report(d, DOC_OK, "fronts", NULL, "%s: read by the sudo and "
			   "PAM fronts", d->config_path);
	free(text);
}

void doc_check_config(struct doc *d)
{
	char err[DOC_DETAIL_MAX] = "";

	if (ad_config_load(&d->cfg, d->config_path, AD_CONFIG_FULL, err,
			   sizeof(err)) != 0) {
		d->cfg = NULL;
		doc_report(d, DOC_FAIL, "config", access(d->config_path, F_OK)
			   != 0 ? "install the approverd package, or name the "
			   "file with -c CONFIG" : CFG_FIX, "%s", err);
		return;
	}
	doc_report(d, DOC_OK, "config", NULL, "%s: valid; %zu AI user(s), %zu "
		   "AI group(s), %zu AI uid range(s)", d->config_path,
		   d->cfg->n_subject_users, d->cfg->n_subject_groups,
		   d->cfg->n_subject_uids);
	check_fronts(d);
	find_daemon_user(d);
	err[0] = '\0';
	if (ad_policy_load(&d->pol, d->cfg->policy, err, sizeof(err)) != 0) {
		d->pol = NULL;
		doc_report(d, DOC_FAIL, "policy", CFG_FIX, "%s", err);
		return;
	}
	doc_report(d, DOC_OK, "policy", NULL, "%s: valid; %zu rule(s), %zu "
		   "role(s)", d->cfg->policy, d->pol->n_rules, d->pol->n_roles);
}

int doc_host_pub_path(char out[DOC_PATH_MAX], const char *host_key)
{
	size_t n = strlen(host_key);

	if (n > 4 && strcmp(host_key + n - 4, ".key") == 0)
		return doc_fmt(out, DOC_PATH_MAX, "%.*s.pub", (int)(n - 4),
			       host_key);
	return doc_fmt(out, DOC_PATH_MAX, "%s.pub", host_key);
}

/* The host public key, for checkpoint signatures; 0 and pk, or < 0. */
static int load_host_pk(struct doc *d, struct ad_pubkey *pk)
{
	struct ad_trust t = {.extra_uid = d->daemon_uid, .check_parents = 1};
	char path[DOC_PATH_MAX], why[AD_WHY_MAX] = "";
	int rc;

	if ((rc = doc_host_pub_path(path, d->cfg->host_key)) != 0)
		return rc;
	if ((rc = ad_pubkey_load(pk, path, &t, 0, why)) != 0)
		doc_report(d, DOC_WARN, "evidence", NULL, "checkpoint signatures "
			   "not checked: %s", why);
	return rc;
}

static void verify(struct doc *d, const char *path)
{
	struct ad_verify_report rep;
	struct ad_pubkey pk;
	int have_pk = load_host_pk(d, &pk) == 0;

	memset(&rep, 0, sizeof(rep));
	if (ad_evidence_verify(path, have_pk ? pk.pk : NULL, &rep) != 0 ||
	    rep.status != 0) {
		doc_report(d, DOC_FAIL, "evidence", "keep the file as evidence; "
			   "approverctl verify-log shows the record", "%s: line "
			   "%llu (seq %llu): %s (%s)", path,
			   (unsigned long long)rep.bad_line,
			   (unsigned long long)rep.bad_seq, rep.why,
			   ad_strerror(rep.status));
		return;
	}
	doc_report(d, DOC_OK, "evidence", NULL, "%s: intact; %llu records, %llu "
		   "checkpoints%s, %llu after the last checkpoint", path,
		   (unsigned long long)rep.records,
		   (unsigned long long)rep.checkpoints,
		   rep.signatures_checked && rep.checkpoints > 0 ?
		   " (signatures verified)" : "",
		   (unsigned long long)rep.uncovered);
}

void doc_check_evidence(struct doc *d)
{
	const char *path;
	struct stat st;

	if (d->cfg == NULL) {
		doc_report(d, DOC_WARN, "evidence", NULL, "not checked: the "
			   "config is invalid");
		return;
	}
	path = d->cfg->evidence;
	if (lstat(path, &st) != 0) {
		doc_report(d, DOC_WARN, "evidence", errno == ENOENT ?
			   "start approverd; it creates the file" : NULL,
			   "%s: %s", path, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode) || !doc_owner_trusted(d, st.st_uid) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		doc_report(d, DOC_FAIL, "evidence", "it must be a regular file "
			   "owned by root or the daemon user, mode 0600",
			   "%s: %s, owner uid %u, mode %04o; the daemon refuses "
			   "it", path, S_ISREG(st.st_mode) ? "regular file" :
			   "not a regular file", (unsigned)st.st_uid,
			   (unsigned)(st.st_mode & 07777));
		return;
	}
	if (access(path, R_OK) != 0) {
		doc_report(d, DOC_WARN, "evidence", "run approverctl doctor as "
			   "root", "%s: not verified: %s", path, strerror(errno));
		return;
	}
	verify(d, path);
}
