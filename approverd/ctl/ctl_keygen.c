/*
 * ctl_keygen.c — approverctl keygen: create an approver key pair.
 *
 * Invariants: never overwrites (both files are created O_EXCL); the secret
 * key is written mode 0600 and encrypted unless --no-passphrase is given;
 * the passphrase is asked twice on the terminal (or read from
 * APPROVERD_PASSPHRASE_FILE) and wiped after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl.h"
#include "ctl_pass.h"
#include "error.h"
#include "keys.h"

struct keygen_opts {
	const char *name, *user, *dir;
	int no_pass;
};

static void keygen_usage(FILE *f)
{
	fprintf(f,
	        "usage: approverctl keygen --name NAME [--user USER] "
	        "[--out-dir DIR] [--no-passphrase]\n"
	        "  writes DIR/NAME.key (mode 0600, passphrase-encrypted) and "
	        "DIR/NAME.pub,\n"
	        "  and prints NAME.pub; install that file as "
	        "/etc/approverd/approvers.d/NAME.pub.\n"
	        "  USER (default NAME) is the approver's unix user; DIR "
	        "defaults to ~/.config/approverd.\n"
	        "  The passphrase is read twice from the terminal, or from the "
	        "file named by\n  APPROVERD_PASSPHRASE_FILE.\n");
}

static int keygen_args(struct keygen_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"name", required_argument, NULL, 'n'},
	    {"user", required_argument, NULL, 'u'},
	    {"out-dir", required_argument, NULL, 'o'},
	    {"no-passphrase", no_argument, NULL, 'N'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "n:u:o:h", longopts, NULL)) !=
	       -1) {
		switch (ch) {
		case 'n':
			o->name = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'o':
			o->dir = optarg;
			break;
		case 'N':
			o->no_pass = 1;
			break;
		case 'h':
			keygen_usage(stdout);
			return 1;
		default:
			keygen_usage(stderr);
			return -1;
		}
	}
	if (optind != argc || o->name == NULL) {
		keygen_usage(stderr);
		return -1;
	}
	if (o->user == NULL)
		o->user = o->name;
	return 0;
}

/* ~/.config/approverd, created 0700 when missing. */
static char *default_dir(void)
{
	const char *home = getenv("HOME");
	char *cfg = NULL, *dir = NULL;

	if (home == NULL || home[0] != '/') {
		fprintf(stderr,
		        "approverctl keygen: HOME is not set; use --out-dir\n");
		return NULL;
	}
	if (asprintf(&cfg, "%s/.config", home) < 0)
		return NULL;
	if (mkdir(cfg, 0700) != 0 && errno != EEXIST)
		fprintf(stderr, "approverctl keygen: %s: %s\n", cfg,
		        strerror(errno));
	free(cfg);
	if (asprintf(&dir, "%s/.config/approverd", home) < 0)
		return NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "approverctl keygen: %s: %s\n", dir,
		        strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

static int write_pub(const char *path, const char *text)
{
	int fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	size_t n = strlen(text);

	if (fd < 0 || write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
		fprintf(stderr, "approverctl keygen: %s: %s\n", path,
		        strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return AD_ERR_IO;
	}
	close(fd);
	return 0;
}

/* Both paths must be free before anything is written. */
static int paths_free(const char *key, const char *pub)
{
	struct stat st;

	if (lstat(key, &st) == 0 || lstat(pub, &st) == 0) {
		fprintf(stderr,
		        "approverctl keygen: %s exists; refusing to "
		        "overwrite\n",
		        lstat(key, &st) == 0 ? key : pub);
		return 0;
	}
	return 1;
}

static int keygen_write(const struct keygen_opts *o, const char *dir)
{
	char *key = NULL, *pub = NULL, *text = NULL, *pass = NULL;
	char why[AD_WHY_MAX] = "";
	struct ad_seckey *k = NULL;
	int rc = CTL_EXIT_USAGE;

	if (asprintf(&key, "%s/%s.key", dir, o->name) < 0 ||
	    asprintf(&pub, "%s/%s.pub", dir, o->name) < 0)
		goto out;
	if (!paths_free(key, pub)) {
		rc = CTL_EXIT_REFUSED;
		goto out;
	}
	if (ad_seckey_generate(&k, o->name, o->user) != 0 ||
	    ad_pubkey_format(&text, &k->pub) != 0) {
		fprintf(stderr, "approverctl keygen: cannot create the key\n");
		goto out;
	}
	if (!o->no_pass && ctl_pass_read(&pass, "New passphrase: ", 1) != 0)
		goto out;
	if (ad_seckey_save(k, key, pass, AD_KDF_OPSLIMIT, AD_KDF_MEMLIMIT,
	                   why) != 0) {
		fprintf(stderr, "approverctl keygen: %s\n", why);
		goto out;
	}
	if (write_pub(pub, text) != 0) {
		unlink(key);
		goto out;
	}
	fputs(text, stdout);
	fprintf(stderr, "approverctl keygen: wrote %s and %s\n", key, pub);
	rc = CTL_EXIT_OK;
out:
	if (pass != NULL)
		ctl_pass_free(pass);
	ad_seckey_free(k);
	free(text);
	free(key);
	free(pub);
	return rc;
}

int ctl_keygen(int argc, char **argv)
{
	struct keygen_opts o;
	char *dir = NULL;
	int rc = keygen_args(&o, argc, argv);

	if (rc != 0)
		return rc > 0 ? CTL_EXIT_OK : CTL_EXIT_USAGE;
	if (!ad_key_name_valid(o.name) || !ad_key_name_valid(o.user)) {
		fprintf(stderr,
		        "approverctl keygen: --name/--user: use 1-63 of "
		        "[A-Za-z0-9._-], not starting with '.' or '-'\n");
		return CTL_EXIT_USAGE;
	}
	if (sodium_init() < 0)
		return CTL_EXIT_USAGE;
	if (o.dir == NULL && (dir = default_dir()) == NULL)
		return CTL_EXIT_USAGE;
	rc = keygen_write(&o, o.dir ? o.dir : dir);
	free(dir);
	return rc;
}
