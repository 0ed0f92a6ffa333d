/*
 * doctor_sudo.c — is the sudo approval plugin really loaded?
 *
 * sudo ignores the whole of /etc/sudo.conf (and so drops every plugin line,
 * silently) when the file is not owned by root or is writable by group or
 * others; it refuses to run at all when a listed plugin file is missing.
 * Both are checked the way sudo checks them (stat, following symlinks).
 * The file is read with a size cap and a line cap; nothing is changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "doctor.h"
#include "error.h"

#define SUDO_CONF "/etc/sudo.conf"
#define SUDO_PLUGIN_DIR "/usr/libexec/sudo/"
#define SUDO_PLUGIN_FILE "sudo_approverd.so"
#define SUDO_CORE_FILE "sudo_approverd_core.so"
#define SUDO_CONF_MAX (256 * 1024)
#define SUDO_LINE_MAX 4096
#define SYM_APPROVAL "approverd_approval"
#define SYM_AUDIT "approverd_audit"
#define SUDO_FIX_LINE "add 'Plugin " SYM_APPROVAL " " SUDO_PLUGIN_FILE \
	"' and 'Plugin " SYM_AUDIT " " SUDO_PLUGIN_FILE "' to " SUDO_CONF

/* Owner and mode as sudo_secure_file() wants them; 0 if sudo reads it. */
static int sudo_conf_trusted(struct doc *d, const char *path,
			     const struct stat *st)
{
	const char *fix = "chown root:root " SUDO_CONF " && chmod 0644 " SUDO_CONF;

	if (!S_ISREG(st->st_mode)) {
		doc_report(d, DOC_FAIL, "sudo.conf", fix, "%s: not a regular "
			   "file; sudo ignores it", path);
		return -1;
	}
	if (st->st_uid != 0) {
		doc_report(d, DOC_FAIL, "sudo.conf", fix, "%s: owned by uid %u, "
			   "not root; sudo ignores it and the plugin is not "
			   "loaded", path, (unsigned)st->st_uid);
		return -1;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		doc_report(d, DOC_FAIL, "sudo.conf", fix, "%s: %s-writable "
			   "(mode %04o); sudo ignores it and the plugin is not "
			   "loaded", path, (st->st_mode & S_IWOTH) ? "world"
			   : "group", (unsigned)(st->st_mode & 07777));
		return -1;
	}
	doc_report(d, DOC_OK, "sudo.conf", NULL, "%s: owned by root, mode %04o",
		   path, (unsigned)(st->st_mode & 07777));
	return 0;
}

/* Split "Plugin SYMBOL PATH [ARGS]"; 1 if it is such a line, 0 if not.
 * *config gets the value of a config= argument, NULL if none. */
static int plugin_line(char *line, char **sym, char **path, char **config)
{
	char *save = NULL, *w;

	*sym = *path = *config = NULL;
	w = strtok_r(line, " \t\r\n", &save);
	if (w == NULL || w[0] == '#' || strcasecmp(w, "Plugin") != 0)
		return 0;
	*sym = strtok_r(NULL, " \t\r\n", &save);
	*path = strtok_r(NULL, " \t\r\n", &save);
	while ((w = strtok_r(NULL, " \t\r\n", &save)) != NULL)
		if (strncmp(w, "config=", 7) == 0)
			*config = w + 7;
	return *sym != NULL && *path != NULL;
}

/* The approval plugin should read the config doctor checks. */
static void check_plugin_config(struct doc *d, const char *conf,
				const char *config)
{
	char full[DOC_PATH_MAX];
	const char *want = config != NULL ? config : AD_CONFIG_PATH;

	if (doc_path(d, full, want) == 0 && strcmp(full, d->config_path) == 0)
		return;
	doc_report(d, DOC_WARN, "sudo-plugin", "check that file too: "
		   "approverctl -c FILE doctor", "%s: the approval plugin reads "
		   "%s, but doctor checks %s", conf, want, d->config_path);
}

static int is_our_plugin(const char *path)
{
	const char *b = strrchr(path, '/');

	return strcmp(b != NULL ? b + 1 : path, SUDO_PLUGIN_FILE) == 0;
}

/* The approval plugin loads its core from its own directory for AI
 * subjects (sudo_approverd(8)); without a trusted core they are refused. */
static int check_core(struct doc *d, const char *rel)
{
	char core[DOC_PATH_MAX], full[DOC_PATH_MAX];
	const char *b = strrchr(rel, '/');
	struct stat st;

	doc_fmt(core, sizeof(core), "%.*s%s", b ? (int)(b - rel + 1) : 0, rel,
		SUDO_CORE_FILE);
	if (doc_path(d, full, core) == 0 && lstat(full, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	doc_report(d, DOC_FAIL, "sudo-plugin", "install the approverd package "
		   "(root:root, 0644)", "%s: missing, or not a root-owned "
		   "regular file that only root can write; every AI account's "
		   "sudo is refused", core);
	return -1;
}

/* The plugin file named by a Plugin line must exist, or sudo stops. */
static void check_plugin_file(struct doc *d, const char *conf,
			      const char *sym, const char *p)
{
	char rel[DOC_PATH_MAX], full[DOC_PATH_MAX];
	struct stat st;

	doc_fmt(rel, sizeof(rel), "%s%s", p[0] == '/' ? "" : SUDO_PLUGIN_DIR, p);
	if (doc_path(d, full, rel) != 0 || stat(full, &st) != 0 ||
	    !S_ISREG(st.st_mode)) {
		doc_report(d, DOC_FAIL, "sudo-plugin", "install the approverd "
			   "package, or remove the line", "%s: Plugin %s %s: "
			   "%s is missing; sudo refuses to run at all", conf,
			   sym, p, rel);
		return;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		doc_report(d, DOC_FAIL, "sudo-plugin", "chown root:root and "
			   "chmod 0644 the plugin", "%s: owned by uid %u, mode "
			   "%04o; sudo refuses to load it", rel,
			   (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return;
	}
	if (strcmp(sym, SYM_APPROVAL) == 0 && check_core(d, rel) != 0)
		return;
	doc_report(d, DOC_OK, "sudo-plugin", NULL, "%s: Plugin %s %s", conf,
		   sym, rel);
}

static void report_symbols(struct doc *d, const char *path, unsigned found,
			   int approval, int audit)
{
	if (found == 0 || !approval)
		doc_report(d, DOC_FAIL, "sudo-plugin", SUDO_FIX_LINE, "%s: no "
			   "'Plugin %s %s' line; sudo does not ask approverd "
			   "and AI accounts' sudo is not held", path,
			   SYM_APPROVAL, SUDO_PLUGIN_FILE);
	else if (!audit)
		doc_report(d, DOC_WARN, "sudo-plugin", SUDO_FIX_LINE, "%s: no "
			   "'Plugin %s %s' line; exit statuses of approved "
			   "commands are not recorded", path, SYM_AUDIT,
			   SUDO_PLUGIN_FILE);
}

/* Read the lines; report every Plugin line that loads sudo_approverd.so. */
static void check_plugin_lines(struct doc *d, FILE *f, const char *path)
{
	char line[SUDO_LINE_MAX], *sym, *p, *config;
	unsigned found = 0, lineno = 0;
	int approval = 0, audit = 0;
	size_t total = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		lineno++;
		total += n;
		if (total > SUDO_CONF_MAX || (n == sizeof(line) - 1 &&
					      line[n - 1] != '\n')) {
			doc_report(d, DOC_FAIL, "sudo-plugin", NULL, "%s:%u: "
				   "file or line too long to check", path,
				   lineno);
			return;
		}
		if (!plugin_line(line, &sym, &p, &config) || !is_our_plugin(p))
			continue;
		found++;
		audit |= strcmp(sym, SYM_AUDIT) == 0;
		check_plugin_file(d, path, sym, p);
		if (strcmp(sym, SYM_APPROVAL) == 0) {
			approval = 1;
			check_plugin_config(d, path, config);
		}
	}
	report_symbols(d, path, found, approval, audit);
}

void doc_check_sudo(struct doc *d)
{
	char path[DOC_PATH_MAX];
	struct stat st;
	FILE *f;

	if (doc_path(d, path, SUDO_CONF) != 0)
		return;
	if (stat(path, &st) != 0) {
		doc_report(d, DOC_FAIL, "sudo.conf", SUDO_FIX_LINE, "%s: %s; "
			   "sudo loads only sudoers, not the approval plugin",
			   path, strerror(errno));
		return;
	}
	if (sudo_conf_trusted(d, path, &st) != 0)
		return;
	if ((f = doc_fopen_regular(path)) == NULL) {
		doc_report(d, DOC_FAIL, "sudo-plugin", NULL, "%s: %s", path,
			   strerror(errno));
		return;
	}
	check_plugin_lines(d, f, path);
	fclose(f);
}
