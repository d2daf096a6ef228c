# Makefile: installs what friday needs, builds build/friday with every BPF
# object embedded as a libbpf skeleton, and runs the tests.
#
#   make          set up (apt-get what is missing) and build build/friday
#   make run      set up, build, diagnose this host (RUN_SECONDS, default 20)
#   make test     set up, build, run every test (unit, integration, scenarios)
#   make install  PREFIX=/usr/local DESTDIR=
#   make fuzz     fuzz the playbook parser with libFuzzer (FUZZ_SECONDS, default 600)

PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build
RUN_SECONDS ?= 20
VERSION    := 0.1.0

CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# Debian packages the build and the tests need; `make deps` installs the
# missing ones (root only), so two commands work on a fresh machine.
DEB_PKGS := libbpf-dev bpftool clang llvm libelf-dev libdw-dev libjansson-dev \
	libarchive-dev libcmocka-dev zlib1g-dev pkg-config make gcc
TEST_PKGS := e2fsprogs util-linux procps jq binutils tmux python3-jsonschema golang-go nftables iproute2 \
	valgrind cppcheck \
	libclang-rt-dev chromium nodejs ansible

PKGS       := libbpf libelf libdw jansson libarchive zlib
CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	-D_GNU_SOURCE -DFRIDAY_VERSION='"$(VERSION)"' \
	-I. -I$(BUILD) -I$(BUILD)/bpf $(EXTRA_CFLAGS)
LDLIBS     += $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lelf -ldw -ljansson -larchive -lz) -lpthread -lm
LDFLAGS    += $(EXTRA_LDFLAGS)

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS      := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.skel.h,$(BPF_SRCS))

LIB_SRCS   := $(wildcard lib/*.c checks/*.c bpf/*.c playbooks/*.c reports/*.c cli/*.c)
LIB_SRCS   := $(filter-out bpf/%.bpf.c cli/main.c,$(LIB_SRCS))
LIB_OBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(BUILD)/obj/playbooks_embed.o \
	$(BUILD)/obj/report_assets.o
REPORT_ASSETS := $(sort $(wildcard reports/assets/*))
PLAYBOOKS  := $(sort $(wildcard playbooks/*.json))

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
WORKLOAD_SRCS := $(wildcard tests/workloads/*.c)
WORKLOADS  := $(patsubst tests/workloads/%.c,$(BUILD)/workloads/%,$(WORKLOAD_SRCS))

.PHONY: all deps run test unit check-scripts install clean fuzz
.DELETE_ON_ERROR:
# Objects and skeletons are kept, so a second `make` rebuilds nothing.
.SECONDARY: $(BPF_OBJS) $(SKELS)

all: $(BUILD)/.deps $(BUILD)/friday

deps: $(BUILD)/.deps
$(BUILD)/.deps: Makefile
	@mkdir -p $(BUILD)
	@missing=""; for p in $(DEB_PKGS) $(TEST_PKGS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "friday: missing Debian packages:$$missing (run make as root, or apt-get install them)" >&2; exit 1; fi; \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
	@touch $@

$(BUILD)/vmlinux.h: | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Ibpf -c $< -o $@
	llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(SKELS) $(wildcard */*.h) | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# Syscall names for syscount, from the C library's headers for this arch,
# generated at build time (no dependency on audit's ausyscall).
$(BUILD)/syscall_names.h: | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	echo '#include <sys/syscall.h>' | $(CC) -dM -E - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/\t[\2] = "\1",/p' > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/bpf/syscount.o $(BUILD)/obj/bpf/waste.o: $(BUILD)/syscall_names.h

# Playbooks are data, embedded in the binary: one generated C table.
$(BUILD)/playbooks_embed.c: $(PLAYBOOKS) playbooks/embed.sh | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	sh playbooks/embed.sh $(PLAYBOOKS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/playbooks_embed.o: $(BUILD)/playbooks_embed.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# report.html's script and style, inlined into the page from the binary.
$(BUILD)/report_assets.c: $(REPORT_ASSETS) reports/embed_assets.sh | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	sh reports/embed_assets.sh $(REPORT_ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/report_assets.o: $(BUILD)/report_assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libfriday.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/friday: $(BUILD)/obj/cli/main.o $(BUILD)/libfriday.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libfriday.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DFIXTURES='"$(CURDIR)/tests/fixtures"' -o $@ $< $(BUILD)/libfriday.a $(LDLIBS) -lcmocka

# Known-workload programs: -O2 -g, PIE, no frame pointers (as real hosts are).
$(BUILD)/workloads/%: tests/workloads/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -fPIE -pie -fomit-frame-pointer -pthread -o $@ $< -lm

# The playbook parser under libFuzzer with ASan and UBSan: the parser's own
# files are built instrumented, the rest comes from libfriday.a.
FUZZ_SECONDS ?= 600
FUZZ_SRCS  := playbooks/validate.c playbooks/jsonpos.c playbooks/engine.c
$(BUILD)/fuzz/fuzz_playbook: tests/fuzz/fuzz_playbook.c $(FUZZ_SRCS) $(BUILD)/libfriday.a
	@mkdir -p $(dir $@)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -I. -I$(BUILD) -I$(BUILD)/bpf -o $@ $< $(FUZZ_SRCS) \
		$(BUILD)/libfriday.a $(LDLIBS)

fuzz: all $(BUILD)/fuzz/fuzz_playbook
	@mkdir -p $(BUILD)/fuzz/corpus
	cp playbooks/*.json tests/fixtures/playbooks/*.json $(BUILD)/fuzz/corpus/
	$(BUILD)/fuzz/fuzz_playbook -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=$(BUILD)/fuzz/ -dict=tests/fuzz/playbook.dict $(BUILD)/fuzz/corpus

run: all
	@mkdir -p $(BUILD)/runs
	$(BUILD)/friday run -d $(RUN_SECONDS) -o $(BUILD)/runs/friday-$$(hostname)-$$(date +%Y%m%dT%H%M%S).tar.gz

unit: $(UNIT_BINS)

test: all $(UNIT_BINS) $(WORKLOADS)
	@BUILD=$(BUILD) sh tests/run.sh

install: all
	install -D -m 0755 $(BUILD)/friday $(DESTDIR)$(PREFIX)/bin/friday
	install -D -m 0644 docs/findings.md $(DESTDIR)$(PREFIX)/share/doc/friday/findings.md
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/friday/README.md
	install -D -m 0644 docs/report-schema.md $(DESTDIR)$(PREFIX)/share/doc/friday/report-schema.md

clean:
	rm -rf $(BUILD)
