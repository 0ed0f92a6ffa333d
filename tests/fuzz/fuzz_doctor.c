/*
 * fuzz_doctor.c — the parsers of `approverctl doctor`: /etc/sudo.conf
 * (Plugin lines, options) and /etc/pam.d service files (control fields,
 * @include and include/substack chains), run through the real checks
 * doc_check_sudo and doc_check_pam against a private --root directory.
 *
 * Input: the sudo.conf text, then a NUL byte, then the text of the pam.d
 * files `su` (which may @include `common-account`, given the same text, so
 * include chains and loops are reached). The doctor sources live in
 * approverd/ctl, outside libapproverd.a, so they are included here.
 * Writes only under a mkdtemp directory in $TMPDIR (default /tmp), removed
 * at exit; tests/fuzz/smoke.sh points TMPDIR at its own work directory,
 * because libFuzzer may end the process without running atexit handlers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../approverd/ctl/ctl_doctor.c"
#include "../../approverd/ctl/doctor_files.c"
#include "../../approverd/ctl/doctor_keys.c"
#include "../../approverd/ctl/doctor_pam.c"
#include "../../approverd/ctl/doctor_roles.c"
#include "../../approverd/ctl/doctor_sudo.c"
#include "../../approverd/ctl/doctor_sys.c"

struct ctl_globals ctl_g = {.config = AD_CONFIG_PATH, .socket = NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[200];
static int ready;

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return;
}

static int put(const char *rel, const uint8_t *p, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (n > 0 && fwrite(p, 1, n, f) != n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return chmod(path, 0644);
}

static int setup(void)
{
	char dir[256];
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 150)
		tmp = "/tmp";
	snprintf(root, sizeof(root), "%s/fuzz_doctor.XXXXXX", tmp);
	if (mkdtemp(root) == NULL)
		return -1;
	atexit(cleanup);
	snprintf(dir, sizeof(dir), "%s/etc", root);
	if (mkdir(dir, 0755) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/etc/pam.d", root);
	return mkdir(dir, 0755);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	const uint8_t *pam = nul ? nul + 1 : data + size;
	size_t n2 = nul ? size - n1 - 1 : 0;
	static char config_path[256];
	struct doc d;

	if (size > 64 * 1024)
		return 0;
	if (!ready) {
		if (setup() != 0)
			abort();
		ready = 1;
	}
	if (put("/etc/sudo.conf", data, n1) != 0 ||
	    put("/etc/pam.d/su", pam, n2) != 0 ||
	    put("/etc/pam.d/common-account", pam, n2) != 0)
		abort();
	memset(&d, 0, sizeof(d));
	/* as ctl_doctor's pick_config: the default config under --root */
	snprintf(config_path, sizeof(config_path), "%s%s", root, AD_CONFIG_PATH);
	d.root = root;
	d.config_path = config_path;
	d.json = 1;
	d.results = json_array();
	d.daemon_uid = (uid_t)-1;
	doc_check_sudo(&d);
	doc_check_pam(&d);
	/* every check reported something, and nothing was lost */
	if (json_array_size(d.results) == 0)
		abort();
	json_decref(d.results);
	return 0;
}
