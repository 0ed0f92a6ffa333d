# approverd — one non-recursive Makefile.
# Parts are found by wildcard so that adding a file needs no edit here:
#   common/*.c            -> $(O)/libapproverd.a  (linked by every part and test)
#   approverd/daemon/*.c  -> $(O)/approverd
#   approverd/ctl/*.c     -> $(O)/approverctl
#   sudo_plugin/*.c       -> $(O)/sudo_approverd.so
#   pam_module/*.c        -> $(O)/pam_approverd.so
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
UNITS    := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
HELPERS  := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,$(HELPER_SRC))
FUZZERS  := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRC))

PROGS := $(LIB) $(if $(DAEMON_SRC),$(DAEMON)) $(if $(CTL_SRC),$(CTL)) \
         $(if $(SUDO_SRC),$(SUDO_SO)) $(if $(PAM_SRC),$(PAM_SO))

.PHONY: all deps check check-unit check-integration check-asan fuzz fuzz-smoke \
        demo install clean bench deb lint-man
.DELETE_ON_ERROR:

all: $(PROGS) $(HELPERS)

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
$(SUDO_SO): $(call obj,$(SUDO_SRC)) $(LIB) sudo_plugin/sudo_approverd.map
	$(CC) $(ALL_CFLAGS) -shared $(ALL_LDFLAGS) -Wl,--version-script=sudo_plugin/sudo_approverd.map \
	  -o $@ $(call obj,$(SUDO_SRC)) $(LIB) $(PKG_LIBS)

$(PAM_SO): $(call obj,$(PAM_SRC)) $(LIB) pam_module/pam_approverd.map
	$(CC) $(ALL_CFLAGS) -shared $(ALL_LDFLAGS) -Wl,--version-script=pam_module/pam_approverd.map \
	  -o $@ $(call obj,$(PAM_SRC)) $(LIB) $(PKG_LIBS) -lpam

$(O)/tests/%: $(O)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lcmocka -lpam -lpamtest

$(O)/tests/helpers/%: $(O)/obj/tests/helpers/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS) -lpam -lpam_misc

# Fuzzers: the library is rebuilt with clang and the sanitizers in $(O)/fuzzobj.
FUZZ_FLAGS := -std=c17 -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=all -D_GNU_SOURCE -DFUZZING -Icommon $(PKG_CFLAGS)
$(O)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -DAPPROVERD_VERSION='"$(VERSION)"' -c -o $@ $<
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

check-asan: deps
	@$(MAKE) --no-print-directory O=$(O)-asan CC=clang OPT="-O1 -g" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  CFLAGS="-Wno-unused-command-line-argument" all $(patsubst $(O)/%,$(O)-asan/%,$(UNITS))
	@O=$(O)-asan ONLY=unit sh tests/run.sh

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
	install -m 0644 $(SUDO_SO) $(DESTDIR)$(SUDOLIBDIR)/sudo_approverd.so
	for m in docs/man/*.[1-8]; do [ -f "$$m" ] || continue; s=$${m##*.}; \
	  install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

clean:
	rm -rf $(O) $(O)-asan

-include $(shell find $(O)/obj $(O)/fuzzobj -name '*.d' 2>/dev/null)

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
