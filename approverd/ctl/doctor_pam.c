/*
 * doctor_pam.c — do the PAM stacks of the services that matter run
 * pam_approverd.so in the account phase, in a way a denial is not ignored?
 *
 * Services checked: su, sshd, polkit-1 (pkexec), runuser, login, plus every
 * service a policy rule names (sudo is covered by the sudo plugin). Each
 * /etc/pam.d/SERVICE is followed through "@include" and account
 * "include"/"substack" lines (depth and size capped), as Linux-PAM does.
 * "optional" or "sufficient" control lets a denial through (FAIL);
 * bracket controls are reported for a human to judge (WARN).
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor.h"
#include "error.h"

#define PAM_DIR "/etc/pam.d/"
#define PAM_MODULE "pam_approverd.so"
#define PAM_CORE "pam_approverd_core.so"
#define PAM_DEPTH_MAX 8
#define PAM_FILE_MAX (256 * 1024)
#define PAM_LINE_MAX 4096

static const char *const default_services[] = {
	"su", "sshd", "polkit-1", "runuser", "login", NULL,
};

struct pam_hit {
	int found;
	char control[128];
	char where[DOC_PATH_MAX];   /* FILE:LINE of the module line */
	char module[PAM_LINE_MAX];  /* path as written */
	char skipper[256];          /* a "sufficient" module before it */
	int error;                  /* a file could not be read */
	char why[DOC_DETAIL_MAX];
};

static int scan_file(const struct doc *d, const char *name, int depth,
		     struct pam_hit *h);

static const char *base_name(const char *p)
{
	const char *b = strrchr(p, '/');

	return b != NULL ? b + 1 : p;
}

/* Tokens of one line; a "[...]" control is kept as one token. */
static int split_line(char *line, char *tok[4])
{
	char *save = NULL, *w;
	int n = 0;

	memset(tok, 0, 4 * sizeof(*tok));
	line[strcspn(line, "#\r\n")] = '\0';
	while (n < 4 && (w = strtok_r(n == 0 ? line : NULL, " \t", &save))) {
		if (n == 1 && w[0] == '[' && strchr(w, ']') == NULL) {
			char *end = strchr(w + strlen(w) + 1, ']');
			if (end == NULL)
				return n;
			w[strlen(w)] = ' ';
			if (end[1] == '\0') {
				save = end + 1;
			} else {
				end[1] = '\0';
				save = end + 2;
			}
		}
		tok[n++] = w;
	}
	return n;
}

/* One "account CONTROL MODULE" line (type already matched). */
static int account_line(const struct doc *d, char *tok[4], const char *where,
			int depth, struct pam_hit *h)
{
	if (strcmp(tok[1], "include") == 0 || strcmp(tok[1], "substack") == 0)
		return tok[2] ? scan_file(d, tok[2], depth + 1, h) : 0;
	if (tok[2] == NULL || h->found)
		return 0;
	if (strcmp(base_name(tok[2]), PAM_MODULE) == 0) {
		h->found = 1;
		doc_fmt(h->control, sizeof(h->control), "%s", tok[1]);
		doc_fmt(h->where, sizeof(h->where), "%s", where);
		doc_fmt(h->module, sizeof(h->module), "%s", tok[2]);
	} else if (strcmp(tok[1], "sufficient") == 0 && h->skipper[0] == '\0') {
		doc_fmt(h->skipper, sizeof(h->skipper), "%s (%s)",
			 base_name(tok[2]), where);
	}
	return 0;
}

static int scan_lines(const struct doc *d, FILE *f, const char *path,
		      int depth, struct pam_hit *h)
{
	char line[PAM_LINE_MAX], where[DOC_PATH_MAX], *tok[4];
	unsigned lineno = 0;
	size_t total = 0;

	while (!h->found && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		total += strlen(line);
		if (total > PAM_FILE_MAX) {
			doc_fmt(h->why, sizeof(h->why), "%s: larger than %d "
				 "bytes", path, PAM_FILE_MAX);
			return h->error = -1;
		}
		if (split_line(line, tok) < 2)
			continue;
		doc_fmt(where, sizeof(where), "%s:%u", path, lineno);
		if (strcmp(tok[0], "@include") == 0) {
			if (scan_file(d, tok[1], depth + 1, h) != 0)
				return -1;
		} else if (strcmp(tok[0] + (tok[0][0] == '-'), "account") == 0) {
			if (account_line(d, tok, where, depth, h) != 0)
				return -1;
		}
	}
	return 0;
}

static int scan_file(const struct doc *d, const char *name, int depth,
		     struct pam_hit *h)
{
	char rel[DOC_PATH_MAX], path[DOC_PATH_MAX];
	FILE *f;
	int rc;

	/* Linux-PAM: a name is under /etc/pam.d, an absolute path is used
	 * as is; a relative path with '/' ("../x") is refused. */
	if (depth > PAM_DEPTH_MAX || (name[0] != '/' && strchr(name, '/'))) {
		doc_fmt(h->why, sizeof(h->why), "%s%s: include %s", PAM_DIR,
			 name, depth > PAM_DEPTH_MAX ? "nested too deep"
			 : "names a relative path");
		return h->error = -1;
	}
	doc_fmt(rel, sizeof(rel), "%s%s", name[0] == '/' ? "" : PAM_DIR, name);
	if (doc_path(d, path, rel) != 0 || (f = doc_fopen_regular(path)) == NULL) {
		doc_fmt(h->why, sizeof(h->why), "%s: %s", path, errno == EINVAL
			? "not a regular file" : strerror(errno));
		return h->error = -1;
	}
	rc = scan_lines(d, f, path, depth, h);
	fclose(f);
	return rc;
}

/* The module file the line names must exist, or the stack fails for all. */
static int module_present(const struct doc *d, const char *module)
{
	static const char *const dirs[] = {
		"/lib/*/security/", "/usr/lib/*/security/", "/lib/security/",
		"/lib64/security/", "/usr/lib/security/", NULL,
	};
	char pat[DOC_PATH_MAX], rel[DOC_PATH_MAX];
	struct stat st;
	glob_t g;
	int hit = 0;

	if (module[0] == '/')
		return doc_path(d, pat, module) == 0 && stat(pat, &st) == 0 &&
		       S_ISREG(st.st_mode);
	for (size_t i = 0; dirs[i] != NULL && !hit; i++) {
		doc_fmt(rel, sizeof(rel), "%s%s", dirs[i], module);
		if (doc_path(d, pat, rel) != 0)
			continue;
		if (glob(pat, GLOB_NOSORT, NULL, &g) == 0)
			hit = g.gl_pathc > 0;
		globfree(&g);
	}
	return hit;
}

/* The module loads pam_approverd_core.so from its own directory for AI
 * initiators (pam_approverd(8)). */
static int core_present(struct doc *d, const char *module)
{
	char core[DOC_PATH_MAX];
	const char *b = strrchr(module, '/');

	doc_fmt(core, sizeof(core), "%.*s%s",
		b ? (int)(b - module + 1) : 0, module, PAM_CORE);
	return module_present(d, core);
}

static void judge(struct doc *d, const char *svc, const char *check,
		  const struct pam_hit *h)
{
	char fix[512];

	doc_fmt(fix, sizeof(fix), "pam-auth-update --enable approverd, or add "
		 "'account required %s' to %s%s", PAM_MODULE, PAM_DIR, svc);
	if (h->error)
		doc_report(d, DOC_FAIL, check, NULL, "%s", h->why);
	else if (!h->found)
		doc_report(d, DOC_WARN, check, fix, "%s is not in the account "
			   "phase of %s; AI accounts using %s are not held",
			   PAM_MODULE, svc, svc);
	else if (!module_present(d, h->module))
		doc_report(d, DOC_FAIL, check, "install the approverd package",
			   "%s: %s is missing; the %s stack fails for every "
			   "user", h->where, h->module, svc);
	else if (!core_present(d, h->module))
		doc_report(d, DOC_FAIL, check, "install the approverd package",
			   "%s: %s has no %s next to it; AI accounts using %s "
			   "are refused", h->where, h->module, PAM_CORE, svc);
	else if (!strcmp(h->control, "optional") ||
		 !strcmp(h->control, "sufficient"))
		doc_report(d, DOC_FAIL, check, fix, "%s: 'account %s': a "
			   "denial by %s is ignored", h->where, h->control,
			   PAM_MODULE);
	else if (h->control[0] == '[')
		doc_report(d, DOC_WARN, check, NULL, "%s: 'account %s %s': "
			   "check that a denial is not ignored", h->where,
			   h->control, PAM_MODULE);
	else if (h->skipper[0] != '\0')
		doc_report(d, DOC_WARN, check, NULL, "%s runs after 'sufficient"
			   "' %s, which can skip it", PAM_MODULE, h->skipper);
	else
		doc_report(d, DOC_OK, check, NULL, "%s: account %s %s",
			   h->where, h->control, PAM_MODULE);
}

/* explicit: named by the policy, so a missing file is worth a warning. */
static void check_service(struct doc *d, const char *svc, int explicit)
{
	char rel[DOC_PATH_MAX], path[DOC_PATH_MAX], check[128];
	struct pam_hit *h;
	struct stat st;

	doc_fmt(check, sizeof(check), "pam:%s", svc);
	doc_fmt(rel, sizeof(rel), "%s%s", PAM_DIR, svc);
	if (strchr(svc, '/') != NULL || doc_path(d, path, rel) != 0 ||
	    stat(path, &st) != 0) {
		if (explicit)
			doc_report(d, DOC_WARN, check, NULL, "the policy names "
				   "service %s but %s does not exist", svc, path);
		return;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		doc_report(d, DOC_FAIL, check, NULL, "out of memory");
		return;
	}
	scan_file(d, svc, 0, h);
	judge(d, svc, check, h);
	free(h);
}

static int listed(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

void doc_check_pam(struct doc *d)
{
	const char *seen[64];
	size_t n = 0;

	for (size_t i = 0; default_services[i] != NULL; i++) {
		seen[n++] = default_services[i];
		check_service(d, default_services[i], 0);
	}
	for (size_t r = 0; d->pol != NULL && r < d->pol->n_rules; r++) {
		const struct ad_rule *rule = &d->pol->rules[r];
		for (size_t i = 0; i < rule->n_services; i++) {
			const char *s = rule->services[i];
			if (strcmp(s, "sudo") == 0 || listed(seen, n, s) ||
			    n >= sizeof(seen) / sizeof(seen[0]))
				continue;
			seen[n++] = s;
			check_service(d, s, 1);
		}
	}
}
