/*
 * oom_sudo — stands in for sudo to drive the approval plugin the way sudo
 * loads it, so that tests/shim/allocfail.so can fail its allocations
 * (the real sudo is setuid and ignores LD_PRELOAD).
 *
 *   oom_sudo PLUGIN.so CONFIG USER UID GID -- COMMAND [ARG...]
 *
 * dlopen()s PLUGIN.so, takes the exported `approverd_approval` struct and
 * calls open(), check() and close() with sudo-like settings/user_info/
 * command_info for USER running COMMAND as root (USER is looked up first,
 * as sudo has done before it loads plugins). If allocfail.so is
 * preloaded, it is armed just before open() and disarmed after close().
 * Prints one line on stdout:
 *
 *   open=R check=C allocs=N hit=0|1
 *
 * (C is "-" when open() did not return 1) and exits 0; usage or load
 * errors exit 2. A crash is the caller's to see (signal exit status).
 */
#include <dlfcn.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sudo_plugin.h>

#define NINFO 16

typedef void (*arm_fn)(void);
typedef unsigned long (*state_fn)(int *);

static int plugin_printf(int type, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int plugin_printf(int type, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)type;
	va_start(ap, fmt);
	n = vfprintf(stderr, fmt, ap);
	va_end(ap);
	return n;
}

static int conversation(int n, const struct sudo_conv_message msgs[],
			struct sudo_conv_reply replies[],
			struct sudo_conv_callback *cb)
{
	(void)cb;
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "%s", msgs[i].msg ? msgs[i].msg : "");
		if (replies != NULL)
			replies[i].reply = NULL;
	}
	return 0;
}

/* "key=value" in a static pool (the arrays live for the whole run). */
static char *kv(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *kv(const char *key, const char *fmt, ...)
{
	static char pool[NINFO * 4][512];
	static size_t used;
	va_list ap;
	int n;

	if (used >= sizeof(pool) / sizeof(pool[0]))
		return NULL;
	n = snprintf(pool[used], sizeof(pool[used]), "%s=", key);
	va_start(ap, fmt);
	vsnprintf(pool[used] + n, sizeof(pool[used]) - (size_t)n, fmt, ap);
	va_end(ap);
	return pool[used++];
}

struct run {
	char *settings[NINFO], *user_info[NINFO], *command_info[NINFO];
	char *options[2], *envp[4], *submit_envp[4];
	char **argv;
};

static void fill(struct run *r, const char *config, const char *user,
		 const char *uid, const char *gid, char **argv)
{
	static char cwd[1024];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "/");
	memset(r, 0, sizeof(*r));
	r->settings[0] = kv("progname", "sudo");
	r->settings[1] = kv("network_addrs", "%s", "");
	r->user_info[0] = kv("user", "%s", user);
	r->user_info[1] = kv("uid", "%s", uid);
	r->user_info[2] = kv("euid", "0");
	r->user_info[3] = kv("gid", "%s", gid);
	r->user_info[4] = kv("egid", "0");
	r->user_info[5] = kv("groups", "%s", gid);
	r->user_info[6] = kv("cwd", "%s", cwd);
	r->user_info[7] = kv("host", "testhost");
	r->user_info[8] = kv("pid", "%d", (int)getpid());
	r->user_info[9] = kv("ppid", "%d", (int)getppid());
	r->command_info[0] = kv("command", "%s", argv[0]);
	r->command_info[1] = kv("runas_uid", "0");
	r->command_info[2] = kv("runas_gid", "0");
	r->command_info[3] = kv("runas_euid", "0");
	r->command_info[4] = kv("runas_egid", "0");
	r->command_info[5] = kv("runas_user", "root");
	r->command_info[6] = kv("cwd", "%s", cwd);
	r->options[0] = kv("config", "%s", config);
	r->envp[0] = kv("PATH", "/usr/bin:/bin");
	r->envp[1] = kv("HOME", "/root");
	r->submit_envp[0] = kv("APPROVERD_REASON", "allocation failure test");
	r->argv = argv;
}

int main(int argc, char **argv)
{
	struct approval_plugin *p;
	arm_fn arm, disarm;
	state_fn state;
	const char *errstr = NULL;
	struct run r;
	void *h;
	int o, c = -2, hit = 0;
	unsigned long n;

	if (argc < 8 || strcmp(argv[6], "--") != 0 || argv[7][0] != '/') {
		fprintf(stderr, "usage: oom_sudo PLUGIN.so CONFIG USER UID GID "
			"-- /COMMAND [ARG...]\n");
		return 2;
	}
	fill(&r, argv[2], argv[3], argv[4], argv[5], argv + 7);
	(void)getpwnam(argv[3]); /* sudo did: NSS is set up before the plugin */
	if ((h = dlopen(argv[1], RTLD_LAZY | RTLD_GLOBAL)) == NULL ||
	    (p = dlsym(h, "approverd_approval")) == NULL) {
		fprintf(stderr, "oom_sudo: %s\n", dlerror());
		return 2;
	}
	arm = (arm_fn)dlsym(RTLD_DEFAULT, "allocfail_arm");
	disarm = (arm_fn)dlsym(RTLD_DEFAULT, "allocfail_disarm");
	state = (state_fn)dlsym(RTLD_DEFAULT, "allocfail_state");
	if (arm && disarm && state)
		arm();
	o = p->open(SUDO_API_VERSION, conversation, plugin_printf, r.settings,
		    r.user_info, 0, r.argv, r.submit_envp, r.options, &errstr);
	if (o == 1)
		c = p->check(r.command_info, r.argv, r.envp, &errstr);
	if (p->close != NULL)
		p->close();
	if (arm && disarm && state)
		disarm();
	n = state ? state(&hit) : 0;
	if (o == 1)
		printf("open=%d check=%d allocs=%lu hit=%d\n", o, c, n, hit);
	else
		printf("open=%d check=- allocs=%lu hit=%d\n", o, n, hit);
	return 0;
}
