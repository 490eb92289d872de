# codefer: `make` builds into $(BUILD); `make test` installs what it needs, builds, tests.
BUILD ?= build
PREFIX ?= /usr/local
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc

PKGS := libbpf libelf libdw
CFLAGS ?= -g -O2
CFLAGS += -Wall -Wextra -fPIC -I$(BUILD) -Ibpf -Iuser $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Header dependencies, so that touching a header rebuilds what includes it.
DEPFLAGS = -MMD -MP
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcapstone -lz
# codefer-top's own: the live view and the metrics endpoint (not in libcodefer.so).
TOP_PKGS := ncursesw libmicrohttpd
TOP_SRC := user/view.c user/metrics.c
TOP_LDLIBS := $(shell pkg-config --libs $(TOP_PKGS) 2>/dev/null) -lpthread

BPF_SRC := bpf/codefer.bpf.c
LIB_SRC := $(filter-out user/codefer-top.c user/codefer-dump.c $(TOP_SRC),$(wildcard user/*.c user/runtimes/*.c))
LIB_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC))
TOOLS := $(BUILD)/codefer-top $(BUILD)/codefer-dump
FIXTURES := $(patsubst tests/native/%.c,$(BUILD)/tests/native/%,$(filter-out tests/native/ucoro.c,$(wildcard tests/native/*.c))) \
	$(BUILD)/tests/native/leaky-cet
UNIT := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))

.PHONY: all deps check test bench demo install deb clean
# Keep the tools' objects (make would delete them as intermediates and relink every time).
.SECONDARY: $(LIB_OBJ) $(BUILD)/user/codefer-top.o $(BUILD)/user/codefer-dump.o
all: $(TOOLS) $(BUILD)/libcodefer.so $(FIXTURES)

deps:
	@scripts/install-deps.sh

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/codefer.bpf.o: $(BPF_SRC) $(BUILD)/codefer.bpf.d $(BUILD)/vmlinux.h
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 $(DEPFLAGS) -I$(BUILD) -Ibpf -c $< -o $@
	@touch $@	# clang writes the .d after the object

$(BUILD)/codefer.skel.h: $(BUILD)/codefer.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

$(BUILD)/user/%.o: user/%.c $(BUILD)/user/%.d $(BUILD)/codefer.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/codefer-top: $(BUILD)/user/codefer-top.o $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(TOP_SRC))) $(LIB_OBJ)
	$(CC) $(CFLAGS) $^ $(TOP_LDLIBS) $(LDLIBS) -o $@

$(BUILD)/codefer-dump: $(BUILD)/user/codefer-dump.o $(LIB_OBJ)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/libcodefer.so: $(LIB_OBJ)
	$(CC) $(CFLAGS) -shared $^ $(LDLIBS) -o $@

FIXTURE_CC = @mkdir -p $(@D) && $(CC) -g -O1 -Wall -Wextra -Itests/native $(FIXTURE_CFLAGS) \
	$< tests/native/ucoro.c -o $@
$(BUILD)/tests/native/%: tests/native/%.c tests/native/ucoro.c tests/native/ucoro.h
	$(FIXTURE_CC)

# As distributions build: every function starts with endbr64.
$(BUILD)/tests/native/leaky-cet: FIXTURE_CFLAGS = -fcf-protection=full
$(BUILD)/tests/native/leaky-cet: tests/native/leaky.c tests/native/ucoro.c tests/native/ucoro.h
	$(FIXTURE_CC)

# Unit tests link the library objects (and the fixture library, for its symbols); -O1
# like the fixtures, so that the static functions the specs name stay.
$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/unit.h tests/native/ucoro.c tests/native/ucoro.h $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 -Itests/native $< tests/native/ucoro.c $(LIB_OBJ) $(LDLIBS) -o $@

# The tier that needs no root: unit tests.
check: $(UNIT)
	@echo "== make check: unit tests (no root)"
	@BUILD=$(abspath $(BUILD)) tests/run.sh $(abspath $(UNIT))

test: deps
	@$(MAKE) --no-print-directory all check
	@echo "== tests against real targets (root)"
	@BUILD=$(abspath $(BUILD)) tests/run.sh

# make bench's floor: what each step of a handler costs on this machine.
$(BUILD)/bench/floor.bpf.o: scripts/bench/floor.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -c $< -o $@

$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/bench/floor: scripts/bench/floor.c $(BUILD)/bench/floor.skel.h
	$(CC) $(CFLAGS) -O1 -I$(BUILD)/bench $< $(LDLIBS) -o $@

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/floor
	@BUILD=$(abspath $(BUILD)) scripts/bench.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(abspath $(BUILD)) scripts/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/codefer $(DESTDIR)$(PREFIX)/share/codefer/gdb
	install -m 755 $(TOOLS) scripts/codefer-gdb $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/libcodefer.so $(DESTDIR)$(PREFIX)/lib/codefer/
	install -m 644 gdb/codefer.py $(DESTDIR)$(PREFIX)/share/codefer/gdb/

# A Debian package of what `make install` installs, with man pages and the Depends the
# binaries need (scripts/deb/); offline. DEB_VERSION: 0.1.0+N, N the commit count.
DEB_VERSION ?= 0.1.0+$(shell git rev-list --count HEAD 2>/dev/null || echo 0)
deb: all
	@scripts/deb/build.sh $(abspath $(BUILD)) $(DEB_VERSION)

clean:
	rm -rf $(BUILD)

# An object without its .d (built before, or the .d lost) is rebuilt to make one.
DEPS := $(patsubst %.c,$(BUILD)/%.d,$(wildcard user/*.c user/runtimes/*.c)) $(BUILD)/codefer.bpf.d
$(DEPS):
-include $(wildcard $(DEPS))
