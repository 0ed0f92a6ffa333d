/*
 * doctor_keys.c — approver keys, roles and the host key (DESIGN.md §4.4,
 * §4.7).
 *
 * Checks: every approvers.d/NAME.pub is a regular root-owned file not
 * writable by group or others and parses (as the daemon's keyring does);
 * no key's human (user=) is an AI subject; no AI subject is a role member;
 * every quorum can be met by members that have keys; host.key exists, is
 * owned by root (the daemon loads it before dropping privileges) and has
 * no group/other bits. Keys are parsed with keys.c; nothing is changed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor.h"
#include "error.h"
#include "nss.h"

#define KEY_FIX "make it a regular file: chown root:root, chmod 0644"

/* As the daemon judges a key's human (runtime.c): by name and NSS uid; an
 * NSS error is "unknown" (<0), never "no such user". */
int doc_user_is_ai(const struct doc *d, const char *user)
{
	uid_t uid;
	gid_t gid;
	int rc = ad_nss_user(user, &uid, &gid);

	if (rc < 0)
		return rc;
	return ad_subject_is_ai(d->cfg, user, uid, gid);
}

/* Owner/mode of one NAME.pub as lstat sees it; 0 if acceptable. */
static int key_file_ok(struct doc *d, const char *check, const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		doc_report(d, DOC_FAIL, check, NULL, "%s: %s", path,
			   strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		doc_report(d, DOC_FAIL, check, KEY_FIX, "%s: %s, owner uid %u, "
			   "mode %04o; the daemon refuses the whole key "
			   "directory until it is fixed", path,
			   S_ISLNK(st.st_mode) ? "symbolic link" : S_ISREG(
			   st.st_mode) ? "regular file" : "not a regular file",
			   (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Returns 1 if the key belongs to an AI subject, else 0. */
static int check_one_key(struct doc *d, const char *dir, const char *name)
{
	char path[DOC_PATH_MAX], check[128], why[AD_WHY_MAX] = "";
	char idhex[AD_KEYID_HEX];
	struct ad_pubkey pk;
	int ai;

	doc_fmt(check, sizeof(check), "key:%.*s", (int)strlen(name) - 4, name);
	doc_fmt(path, sizeof(path), "%s/%s", dir, name);
	if (key_file_ok(d, check, path) != 0)
		return 0;
	if (ad_pubkey_load(&pk, path, &ad_trust_root, 1, why) != 0) {
		doc_report(d, DOC_FAIL, check, "re-export it with approverctl "
			   "keygen, or remove it", "%s", why);
		return 0;
	}
	ai = doc_user_is_ai(d, pk.user);
	if (ai != 0) {
		doc_report(d, DOC_FAIL, "ai-key", "remove the file: an AI "
			   "account must never hold an approver key", "%s: "
			   "user %s is %s; the daemon refuses to load it", path,
			   pk.user, ai > 0 ? "an AI subject" : "possibly an AI "
			   "subject (user lookup failed)");
		return 1;
	}
	ad_key_id_hex(idhex, pk.key_id);
	doc_report(d, DOC_OK, check, NULL, "%s: user %s, key id %s", path,
		   pk.user, idhex);
	if (d->ring != NULL && ad_keyring_add(d->ring, &pk) != 0)
		doc_report(d, DOC_FAIL, check, "remove one of the two files",
			   "%s: same name or key id as another key", path);
	return 0;
}

/* The directory itself: root-owned, not writable by group or others. */
static int approvers_dir_ok(struct doc *d, const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) != 0) {
		doc_report(d, DOC_WARN, "approvers.d", "register approvers: "
			   "approverctl keygen, then copy NAME.pub here",
			   "%s: %s; nothing can be approved", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		doc_report(d, DOC_FAIL, "approvers.d", "chown root:root DIR && "
			   "chmod 0755 DIR", "%s: %s, owner uid %u, mode %04o; "
			   "anyone who can write here can approve", dir,
			   S_ISDIR(st.st_mode) ? "directory" : "not a directory",
			   (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static int is_pub_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && len > 4 && strcmp(n + len - 4, ".pub") == 0;
}

void doc_check_keys(struct doc *d)
{
	const char *dir;
	struct dirent *de;
	unsigned ai = 0;
	DIR *dp;

	if (d->cfg == NULL) {
		doc_report(d, DOC_WARN, "approvers.d", NULL, "not checked: the "
			   "config is invalid");
		return;
	}
	dir = d->cfg->approvers_dir;
	if (approvers_dir_ok(d, dir) != 0 || (dp = opendir(dir)) == NULL)
		return;
	if (ad_keyring_new(&d->ring) != 0)
		d->ring = NULL;
	while ((de = readdir(dp)) != NULL)
		if (is_pub_name(de->d_name))
			ai += (unsigned)check_one_key(d, dir, de->d_name);
	closedir(dp);
	if (ai == 0)
		doc_report(d, DOC_OK, "ai-key", NULL, "%s: no approver key "
			   "belongs to an AI subject", dir);
	if (d->ring != NULL && ad_keyring_count(d->ring) == 0)
		doc_report(d, DOC_WARN, "approvers.d", "register approvers: "
			   "approverctl keygen, then copy NAME.pub here",
			   "%s: no usable approver key; nothing can be approved",
			   dir);
}

/* host.key missing: fatal once evidence exists (its checkpoints were signed
 * by the lost key), otherwise the daemon creates it at first start. */
static void host_key_missing(struct doc *d, const char *path)
{
	struct stat st;

	if (lstat(d->cfg->evidence, &st) == 0)
		doc_report(d, DOC_FAIL, "host-key", "restore host.key from "
			   "backup; a new key cannot sign on for the old one",
			   "%s: missing but %s exists; its checkpoints cannot "
			   "be continued", path, d->cfg->evidence);
	else
		doc_report(d, DOC_WARN, "host-key", "systemctl start approverd "
			   "(it creates the key)", "%s: missing; created at "
			   "the daemon's first start", path);
}

void doc_check_host_key(struct doc *d)
{
	char pub[DOC_PATH_MAX];
	struct stat st;
	const char *path;
	unsigned mode;

	if (d->cfg == NULL) {
		doc_report(d, DOC_WARN, "host-key", NULL, "not checked: the "
			   "config is invalid");
		return;
	}
	path = d->cfg->host_key;
	if (lstat(path, &st) != 0) {
		host_key_missing(d, path);
		return;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0) {
		doc_report(d, DOC_FAIL, "host-key", "chown root:root and chmod "
			   "0600 the key", "%s: %s, owner "
			   "uid %u, mode %04o; want a regular file, mode 0600",
			   path, S_ISREG(st.st_mode) ? "regular file" :
			   "not a regular file", (unsigned)st.st_uid,
			   (unsigned)(st.st_mode & 07777));
		return;
	}
	mode = (unsigned)(st.st_mode & 07777);
	if (doc_host_pub_path(pub, path) != 0 || lstat(pub, &st) != 0) {
		doc_report(d, DOC_WARN, "host-key", "restart approverd (it "
			   "writes host.pub)", "%s: present, but %s is missing; "
			   "auditors need it to verify checkpoints", path, pub);
		return;
	}
	doc_report(d, DOC_OK, "host-key", NULL, "%s: present, mode %04o; %s "
		   "present", path, mode, pub);
}
