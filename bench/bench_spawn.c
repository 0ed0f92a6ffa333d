/*
 * bench_spawn — run a command N times as a given user and time each run
 * (fork, set ids, exec with a fixed clean environment in "/", wait):
 *
 *   bench_spawn [-u USER] [-n N] [-a] [-q] -- PROGRAM [ARG...]
 *
 * Prints "spawn_us_median X", "spawn_us_min X", "spawn_us_max X" over the
 * N runs (wall clock, CLOCK_MONOTONIC) and "spawn_cpu_us_median X": the
 * user+system CPU time of the run (wait4 rusage: the child and every
 * descendant it waited for), which other load on a shared machine
 * disturbs far less than wall time. A run exiting non-zero is an error
 * (exit 1) unless -a is given. -q sends the child's stdout/stderr to
 * /dev/null; otherwise they are inherited. The environment is always
 * HOME, USER, LOGNAME, SHELL=/bin/sh, PATH=/usr/bin:/bin, LANG=C.UTF-8,
 * TERM=dumb, so that identical runs build identical requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define H "bench_spawn"

struct opts {
	const struct passwd *pw;
	uint32_t n;
	int allow_fail, quiet;
	char **argv;
};

static void child(const struct opts *o)
{
	static char env[5][512];
	char *envp[9];
	const char *home = o->pw ? o->pw->pw_dir : "/root";
	const char *user = o->pw ? o->pw->pw_name : "root";
	int fd;

	snprintf(env[0], sizeof(env[0]), "HOME=%s", home);
	snprintf(env[1], sizeof(env[1]), "USER=%s", user);
	snprintf(env[2], sizeof(env[2]), "LOGNAME=%s", user);
	envp[0] = env[0], envp[1] = env[1], envp[2] = env[2];
	envp[3] = "SHELL=/bin/sh", envp[4] = "PATH=/usr/bin:/bin";
	envp[5] = "LANG=C.UTF-8", envp[6] = "TERM=dumb", envp[7] = NULL;
	if (o->quiet && (fd = open("/dev/null", O_WRONLY)) >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (chdir("/") != 0 ||
	    (o->pw && (initgroups(o->pw->pw_name, o->pw->pw_gid) != 0 ||
	               setresgid(o->pw->pw_gid, o->pw->pw_gid, o->pw->pw_gid) ||
	               setresuid(o->pw->pw_uid, o->pw->pw_uid, o->pw->pw_uid))))
		_exit(126);
	execve(o->argv[0], o->argv, envp);
	_exit(127);
}

static double tv_us(const struct timeval *tv)
{
	return (double)tv->tv_sec * 1e6 + (double)tv->tv_usec;
}

static double run_once(const struct opts *o, double *cpu_us)
{
	uint64_t t0 = bench_now_ns();
	struct rusage ru;
	int st = 0;
	pid_t p = fork();

	if (p < 0)
		bench_die(H, "fork: %s", strerror(errno));
	if (p == 0)
		child(o);
	if (wait4(p, &st, 0, &ru) != p)
		bench_die(H, "wait4: %s", strerror(errno));
	*cpu_us = tv_us(&ru.ru_utime) + tv_us(&ru.ru_stime);
	if (!o->allow_fail && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		bench_die(H, "%s exited with status %d", o->argv[0],
		          WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return (double)(bench_now_ns() - t0) / 1e3;
}

int main(int argc, char **argv)
{
	struct opts o = {.n = 1};
	double *us, *cpu;
	int ch;

	while ((ch = getopt(argc, argv, "+u:n:aq")) != -1) {
		switch (ch) {
		case 'u':
			if ((o.pw = getpwnam(optarg)) == NULL)
				bench_die(H, "-u %s: no such user", optarg);
			break;
		case 'n':
			o.n = bench_arg_u32(H, "-n", optarg, 1, 1000000);
			break;
		case 'a':
			o.allow_fail = 1;
			break;
		case 'q':
			o.quiet = 1;
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc || argv[optind][0] != '/') {
		fprintf(stderr,
		        "usage: %s [-u USER] [-n N] [-a] [-q] -- "
		        "/ABS/PROGRAM [ARG...]\n",
		        H);
		return 2;
	}
	o.argv = argv + optind;
	us = calloc(o.n, sizeof(double));
	cpu = calloc(o.n, sizeof(double));
	if (us == NULL || cpu == NULL)
		bench_die(H, "out of memory");
	for (uint32_t i = 0; i < o.n; i++)
		us[i] = run_once(&o, &cpu[i]);
	printf("spawn_us_median %.0f\n", bench_quantile(us, o.n, 0.5));
	printf("spawn_us_min %.0f\n", bench_quantile(us, o.n, 0.0));
	printf("spawn_us_max %.0f\n", bench_quantile(us, o.n, 1.0));
	printf("spawn_cpu_us_median %.0f\n", bench_quantile(cpu, o.n, 0.5));
	free(us);
	free(cpu);
	return 0;
}
