/*
 * coreload.c — find, check and dlopen a client core .so (see coreload.h).
 *
 * Invariants: the path comes only from dladdr() of the front; the file is
 * opened and checked with ad_safe_open (O_NOFOLLOW, owner, mode, parents);
 * after dlopen() the path must still name the inode that was checked, else
 * the load counts as failed. Nothing is printed; why[] says what failed.
 */
#include "coreload.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "safefile.h"

#define CORE_SIZE_MAX (64u * 1024 * 1024)

/* "<directory of the object holding anchor>/name" into path; the directory
 * is resolved (realpath) so that a module named "dir/../x.so" in a PAM
 * stack still passes the trusted-file checks of its real parents. */
static int core_path(char *path, size_t pathlen, const void *anchor,
		     const char *name, char *why, size_t whylen)
{
	char dir[PATH_MAX], real[PATH_MAX];
	Dl_info info;
	const char *slash = NULL;
	size_t len;
	int n;

	/* the last '/', by hand: one libc import less for every front
	 * (each costs its host a symbol look-up at load time) */
	if (dladdr(anchor, &info) != 0 && info.dli_fname != NULL)
		for (const char *p = info.dli_fname; *p != '\0'; p++)
			if (*p == '/')
				slash = p;
	if (slash == NULL || info.dli_fname[0] != '/') {
		snprintf(why, whylen, "%s: cannot find the directory of the "
			 "loaded module (dladdr)", name);
		return AD_ERR_NOTFOUND;
	}
	len = (size_t)(slash - info.dli_fname);
	if (len >= sizeof(dir)) {
		snprintf(why, whylen, "%s: path too long", name);
		return AD_ERR_TOOBIG;
	}
	memcpy(dir, info.dli_fname, len);
	dir[len > 0 ? len : 1] = '\0'; /* "/x.so": the root directory */
	if (realpath(dir, real) == NULL) {
		snprintf(why, whylen, "%.300s: cannot resolve the module's "
			 "directory", dir);
		return AD_ERR_NOTFOUND;
	}
	n = snprintf(path, pathlen, "%s/%s", strcmp(real, "/") ? real : "",
		     name);
	if (n < 0 || (size_t)n >= pathlen) {
		snprintf(why, whylen, "%s: path too long", name);
		return AD_ERR_TOOBIG;
	}
	return 0;
}

/* The path still names the inode we checked through fd. */
static int same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && fstatat(AT_FDCWD, path, &b, 0) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int core_open(void **h, const char *path, char *why, size_t whylen)
{
	char swhy[AD_WHY_MAX];
	const char *e;
	int fd = -1, rc;

	rc = ad_safe_open(&fd, path, &ad_trust_root, CORE_SIZE_MAX, swhy);
	if (rc != 0) {
		snprintf(why, whylen, "%s", swhy);
		return rc;
	}
	*h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (*h == NULL) {
		e = dlerror();
		snprintf(why, whylen, "%s: dlopen failed: %s", path,
			 e != NULL ? e : "unknown error");
		close(fd);
		return AD_ERR_IO;
	}
	if (!same_file(fd, path)) {
		snprintf(why, whylen, "%s: replaced while being loaded", path);
		close(fd);
		return AD_ERR_UNTRUSTED; /* handle kept: unloading is unsafe */
	}
	close(fd);
	return 0;
}

int ad_core_load(void **out, const void *anchor, const char *name,
		 const char *sym, char *why, size_t whylen)
{
	const struct ad_core_head *hd;
	char path[PATH_MAX];
	void *h = NULL, *p;
	int rc;

	*out = NULL;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, "..") == 0 || strcmp(name, ".") == 0) {
		snprintf(why, whylen, "core name '%.64s' is not a file name",
			 name != NULL ? name : "");
		return AD_ERR_INVALID;
	}
	rc = core_path(path, sizeof(path), anchor, name, why, whylen);
	if (rc == 0)
		rc = core_open(&h, path, why, whylen);
	if (rc != 0)
		return rc;
	dlerror();
	p = dlsym(h, sym);
	if (p == NULL) {
		snprintf(why, whylen, "%s: no symbol %s (not an approverd "
			 "core module?)", path, sym);
		return AD_ERR_NOTFOUND;
	}
	hd = p;
	if (hd->abi != AD_CORE_ABI || hd->version == NULL ||
	    strcmp(hd->version, APPROVERD_VERSION) != 0) {
		snprintf(why, whylen, "%s is version %.32s (ABI %u), this module "
			 "is %s (ABI %u)", path, hd->version ? hd->version : "?",
			 hd->abi, APPROVERD_VERSION, AD_CORE_ABI);
		return AD_ERR_INVALID;
	}
	*out = p;
	return 0;
}
