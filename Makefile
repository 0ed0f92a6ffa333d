# approverd — one non-recursive Makefile.
# Parts are found by wildcard so that adding a file needs no edit here:
#   common/*.c            -> $(O)/libapproverd.a  (linked by every part and test)
#   approverd/daemon/*.c  -> $(O)/approverd
#   approverd/ctl/*.c     -> $(O)/approverctl
#   sudo_plugin/*.c       -> $(O)/sudo_approverd.so + sudo_approverd_core.so
#   pam_module/*.c        -> $(O)/pam_approverd.so + pam_approverd_core.so
#                            (front/core split: see SUDO_FRONT_SRC below)
#   tests/unit/test_*.c   -> $(O)/tests/test_*      (cmocka, one binary per file)
#   tests/helpers/*.c     -> $(O)/tests/helpers/*   (small real programs the tests use)
#   tests/fuzz/fuzz_*.c   -> $(O)/fuzz/fuzz_*       (clang libFuzzer + ASan/UBSan)
# O= selects the build directory, so that several builds can share one tree.

O        ?= build
CC       ?= cc
FUZZ_CC  ?= clang
PREFIX   ?= /usr
DESTDIR  ?=
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
PAMDIR   ?= /lib/$(MULTIARCH)/security
SUDOLIBDIR ?= $(PREFIX)/libexec/sudo
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
VERSION  := 0.1.0

PKGS     := libsodium jansson inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsodium -ljansson -linih)

WARN     := -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
            -Wvla -Wno-unused-parameter
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=3 -fstack-clash-protection \
            -fcf-protection -fPIC
OPT      ?= -O2 -g
SAN      ?=
CPPFLAGS += -D_GNU_SOURCE -DAPPROVERD_VERSION='"$(VERSION)"' -Icommon
CFLAGS   ?=
ALL_CFLAGS = -std=c17 $(OPT) $(WARN) $(HARDEN) $(SAN) $(PKG_CFLAGS) $(CFLAGS)
LDHARDEN := -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed
ALL_LDFLAGS = $(LDHARDEN) $(SAN) $(LDFLAGS)

COMMON_SRC := $(sort $(wildcard common/*.c))
DAEMON_SRC := $(sort $(wildcard approverd/daemon/*.c))
CTL_SRC    := $(sort $(wildcard approverd/ctl/*.c))
SUDO_SRC   := $(sort $(wildcard sudo_plugin/*.c))
PAM_SRC    := $(sort $(wildcard pam_module/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB      := $(O)/libapproverd.a
DAEMON   := $(O)/approverd
CTL      := $(O)/approverctl
SUDO_SO  := $(O)/sudo_approverd.so
PAM_SO   := $(O)/pam_approverd.so
# Each client .so is a front (human fast path: libc (+ libpam); it reads
# its config with common/nano_conf.c, not libinih) and a core
# (everything else), dlopen()ed from the front's directory for callers not
# shown to be human (common/coreload.h). Front objects get one section per
# function so that --gc-sections keeps libsodium and jansson out of it.
SUDO_CORE_SO := $(O)/sudo_approverd_core.so
PAM_CORE_SO  := $(O)/pam_approverd_core.so
SUDO_FRONT_SRC := sudo_plugin/entry.c sudo_plugin/front.c sudo_plugin/who.c \
                  sudo_plugin/say.c
SUDO_CORE_SRC  := $(filter-out sudo_plugin/entry.c sudo_plugin/front.c,$(SUDO_SRC))
PAM_FRONT_SRC  := pam_module/pam_approverd.c pam_module/judge.c
PAM_CORE_SRC   := $(filter-out $(PAM_FRONT_SRC),$(PAM_SRC))
FRONT_LIB := $(O)/libapproverd_front.a
fobj = $(patsubst %.c,$(O)/fobj/%.o,$(1))
FRONT_LDFLAGS = -Wl,--gc-sections -Wl,-z,defs
UNITS    := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
HELPERS  := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,$(HELPER_SRC))
SHIMS    := $(patsubst tests/shim/%.c,$(O)/tests/shim/%.so,$(sort $(wildcard tests/shim/*.c)))
FUZZERS  := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRC))

PROGS := $(LIB) $(if $(DAEMON_SRC),$(DAEMON)) $(if $(CTL_SRC),$(CTL)) \
         $(if $(SUDO_SRC),$(SUDO_SO) $(SUDO_CORE_SO)) \
         $(if $(PAM_SRC),$(PAM_SO) $(PAM_CORE_SO))

.PHONY: all deps check check-unit check-integration check-asan check-valgrind fuzz fuzz-smoke \
        demo install clean bench deb lint-man
.DELETE_ON_ERROR:

all: $(PROGS) $(HELPERS) $(SHIMS)

deps:
	@sh packaging/install-deps.sh

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DAEMON): $(call obj,$(DAEMON_SRC)) $(LIB)
	$(CC) $(ALL_CFLAGS) -pie $(ALL_LDFLAGS) -o $@ $(call obj,$(DAEMON_SRC)) $(LIB) $(PKG_LIBS) -lcurl

$(CTL): $(call obj,$(CTL_SRC)) $(LIB)
	$(CC) $(ALL_CFLAGS) -pie $(ALL_LDFLAGS) -o $@ $(call obj,$(CTL_SRC)) $(LIB) $(PKG_LIBS)

# Shared objects export only their entry symbols (version scripts).
# Fronts link only libc (and libpam); -z defs proves it.
$(O)/fobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -ffunction-sections -fdata-sections -MMD -MP -c -o $@ $<

$(FRONT_LIB): $(call fobj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SUDO_SO): $(call fobj,$(SUDO_FRONT_SRC)) $(FRONT_LIB) sudo_plugin/sudo_approverd.map
	$(CC) $(ALL_CFLAGS) -shared $(ALL_LDFLAGS) $(FRONT_LDFLAGS) \
	  -Wl,--version-script=sudo_plugin/sudo_approverd.map \
	  -o $@ $(call fobj,$(SUDO_FRONT_SRC)) $(FRONT_LIB)

$(SUDO_CORE_SO): $(call obj,$(SUDO_CORE_SRC)) $(LIB) sudo_plugin/sudo_approverd_core.map
	$(CC) $(ALL_CFLAGS) -shared $(ALL_LDFLAGS) -Wl,--version-script=sudo_plugin/sudo_approverd_core.map \
	  -o $@ $(call obj,$(SUDO_CORE_SRC)) $(LIB) $(PKG_LIBS)

$(PAM_SO): $(call fobj,$(PAM_FRONT_SRC)) $(FRONT_LIB) pam_module/pam_approverd.map
	$(CC) $(ALL_CFLAGS) -shared $(ALL_LDFLAGS) $(FRONT_LDFLAGS) \
	  -Wl,--version-script=pam_module/pam_approverd.map \
	  -o $@ $(call fobj,$(PAM_FRONT_SRC)) $(FRONT_LIB) -lpam

$(PAM_CORE_SO): $(call obj,$(PAM_CORE_SRC)) $(LIB) pam_module/pam_approverd_core.map
	$(CC) $(ALL_CFLAGS) -shared $(ALL_LDFLAGS) -Wl,--version-script=pam_module/pam_approverd_core.map \
	  -o $@ $(call obj,$(PAM_CORE_SRC)) $(LIB) $(PKG_LIBS) -lpam

$(O)/tests/%: $(O)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lcmocka -lpam -lpamtest

$(O)/tests/helpers/%: $(O)/obj/tests/helpers/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lpam -lpam_misc

# LD_PRELOAD fault-injection shims (tests/shim/*.c), built without $(SAN).
$(O)/tests/shim/%.so: tests/shim/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 $(OPT) $(WARN) $(HARDEN) $(CFLAGS) -shared $(LDHARDEN) $(LDFLAGS) -o $@ $< -ldl

# Fuzzers: the library is rebuilt with clang and the sanitizers in $(O)/fuzzobj.
FUZZ_FLAGS := -std=c17 -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=all -D_GNU_SOURCE -DFUZZING -Icommon $(PKG_CFLAGS)
$(O)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -MMD -MP -DAPPROVERD_VERSION='"$(VERSION)"' -c -o $@ $<
$(O)/fuzz/%: $(O)/fuzzobj/tests/fuzz/%.o $(patsubst %.c,$(O)/fuzzobj/%.o,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)

fuzz: $(FUZZERS)

fuzz-smoke: $(FUZZERS)
	@O=$(O) sh tests/fuzz/smoke.sh $(FUZZERS)

check: deps
	@$(MAKE) --no-print-directory all $(UNITS) $(FUZZERS)
	@O=$(O) sh tests/run.sh

check-unit: all $(UNITS)
	@O=$(O) ONLY=unit sh tests/run.sh

check-integration: all
	@O=$(O) ONLY=integration sh tests/run.sh

# check-asan: the unit and integration tests with approverd, approverctl,
# the test helpers and the unit tests built with clang, ASan and UBSan in
# $(ASAN_O). The setuid sudo, su and sshd cannot load an ASan .so, so the
# integration tests use $(ASAN_O)/mixed: those ASan programs plus the
# normal sudo and PAM .so files from $(O), copied (a core .so is opened
# with O_NOFOLLOW); the unit tests cover that code under ASan. The fronts
# drop -z defs here: the ASan runtime is in the executable, so a .so has
# undefined ASan symbols at link time. Every sanitizer report
# goes to $(ASAN_O)/san-logs (tests/sanitizer/san_options.c) and fails the
# test after which it appears. t_package builds its own normal tree;
# t_fault_oom_clients preloads tests/shim/allocfail.so, which replaces the
# malloc that ASan owns (both run in `make check`).
ASAN_O    ?= $(O)-asan
ASAN_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_LOGS  = $(abspath $(ASAN_O))/san-logs
ASAN_SKIP ?= t_package t_fault_oom_clients
SAN_LOGS  ?=
ifneq ($(SAN_LOGS),)
SAN_OPT_O := $(O)/obj/tests/sanitizer/san_options.o
$(SAN_OPT_O): CPPFLAGS += -DSAN_LOG_DIR='"$(SAN_LOGS)"'
$(DAEMON) $(CTL) $(UNITS) $(HELPERS): $(SAN_OPT_O)
$(DAEMON) $(CTL) $(UNITS) $(HELPERS): LDFLAGS += $(SAN_OPT_O)
endif

check-asan: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory O=$(ASAN_O) CC=clang OPT="-O1 -g" SAN="$(ASAN_SAN)" \
	  SAN_LOGS=$(ASAN_LOGS) CFLAGS="-Wno-unused-command-line-argument" \
	  FRONT_LDFLAGS="-Wl,--gc-sections" \
	  all $(patsubst $(O)/%,$(ASAN_O)/%,$(UNITS))
	@rm -rf $(ASAN_O)/mixed $(ASAN_LOGS) && mkdir -p $(ASAN_O)/mixed \
	  && mkdir -m 1777 $(ASAN_LOGS)
	@for f in approverd approverctl tests; do ln -s ../$$f $(ASAN_O)/mixed/$$f; done
	@cp -p $(O)/*.so $(ASAN_O)/mixed/
	@O=$(ASAN_O) IT_BUILD=$(ASAN_O)/mixed ONLY="unit integration" IT_SKIP="$(ASAN_SKIP)" \
	  SAN_LOG_DIR=$(ASAN_LOGS) SAN_MODE=asan DL_SLOW=3 sh tests/run.sh

# check-valgrind (not in check: slow): the daemon integration tests with
# approverd from $(O) under valgrind memcheck (tests/sanitizer/valgrind-dir.sh);
# an error or a definite/indirect leak in any daemon fails the test.
VG_TESTS ?= t_daemon_* t_attack_*
VG_SKIP  ?=
VG_SLOW  ?= 10
check-valgrind: all
	@sh tests/sanitizer/valgrind-dir.sh $(O) $(O)/valgrind
	@O=$(O)/valgrind ONLY=integration IT_ONLY="$(VG_TESTS)" IT_SKIP="$(VG_SKIP)" \
	  SAN_LOG_DIR=$(abspath $(O))/valgrind/logs SAN_MODE=valgrind DL_SLOW=$(VG_SLOW) \
	  sh tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@O=$(O) sh tests/demo.sh

bench: all
	@O=$(O) sh bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PAMDIR) \
	  $(DESTDIR)$(SUDOLIBDIR) $(DESTDIR)$(SYSCONFDIR)/approverd/approvers.d
	install -m 0755 $(DAEMON) $(DESTDIR)$(PREFIX)/sbin/approverd
	install -m 0755 $(CTL) $(DESTDIR)$(PREFIX)/bin/approverctl
	install -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_approverd.so
	install -m 0644 $(PAM_CORE_SO) $(DESTDIR)$(PAMDIR)/pam_approverd_core.so
	install -m 0644 $(SUDO_SO) $(DESTDIR)$(SUDOLIBDIR)/sudo_approverd.so
	install -m 0644 $(SUDO_CORE_SO) $(DESTDIR)$(SUDOLIBDIR)/sudo_approverd_core.so
	for m in docs/man/*.[1-8]; do [ -f "$$m" ] || continue; s=$${m##*.}; \
	  install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

clean:
	rm -rf $(O) $(ASAN_O)

-include $(shell find $(O)/obj $(O)/fobj $(O)/fuzzobj -name '*.d' 2>/dev/null)

# deb: Debian packages built by dpkg-buildpackage from a copy of the tree
# (packaging/debian becomes debian/); the .deb files end up in $(O)/deb.
DEBSRC = $(O)/deb/src/approverd-$(VERSION)
deb:
	rm -rf $(O)/deb && mkdir -p $(DEBSRC)
	tar -cf - --exclude=.git --exclude='./build' --exclude='./build-*' \
	  --exclude='./$(O)' . | tar -xf - -C $(DEBSRC)
	cp -R packaging/debian $(DEBSRC)/debian
	cd $(DEBSRC) && dpkg-buildpackage -us -uc -b
	mv $(O)/deb/src/*.deb $(O)/deb/src/*.buildinfo $(O)/deb/src/*.changes $(O)/deb/
	@ls $(O)/deb/*.deb
