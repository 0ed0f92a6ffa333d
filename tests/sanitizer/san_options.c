/*
 * san_options.c — default sanitizer options compiled into every program
 * of the `make check-asan` build (never into a normal build).
 *
 * Why compiled in and not only ASAN_OPTIONS: the integration tests start
 * programs with a cleared environment (as_user uses env -i, sudo resets
 * it), so an environment variable would not reach them. These defaults
 * reach every process; ASAN_OPTIONS etc. still override them.
 *
 * Every report goes to SAN_LOG_DIR/san.PID (log_path), a directory that
 * the test runner checks after each test: a report fails the test that
 * caused it, even when the test expected the program to fail anyway.
 */
#ifndef SAN_LOG_DIR
#error "SAN_LOG_DIR must be defined (the directory for sanitizer reports)"
#endif

#define SAN_COMMON "log_path=" SAN_LOG_DIR "/san:print_stacktrace=1:"

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void);

const char *__asan_default_options(void)
{
	return SAN_COMMON "detect_leaks=1:abort_on_error=1:halt_on_error=1:"
	    "detect_stack_use_after_return=1:"
	    "check_initialization_order=1";
}

const char *__ubsan_default_options(void)
{
	return SAN_COMMON "halt_on_error=1:abort_on_error=1";
}

const char *__lsan_default_options(void)
{
	return SAN_COMMON "exitcode=23";
}
