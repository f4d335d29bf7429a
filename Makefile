# Anemone: GNU make, no autotools.  See README.md.
#
#   make            release build of every tool into build/rel/bin
#   make check      deps, then an ASan+UBSan build, unit tests, fuzz corpora,
#                   man lint and the shell suite, all under prove
#   make install    PREFIX (/usr/local) and DESTDIR honoured
#   make deps       install the Debian packages in scripts/packages.txt
#   make bench      run bench/*.sh, one summary table into docs/BENCHMARKS.md
#   make fuzz       libFuzzer targets with clang into build/fuzz
#   make demo       the two-node demo (scripts/demo.sh)
#
# Everything is discovered: a tool is a folder anemone-NAME/ with .c files,
# shared code is lib/*.c and lib/*/*.c, unit tests tests/unit/*.c, fuzz targets fuzz/fuzz-*.c,
# benchmark helpers bench/*.c (into $(O)/bench).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
O       ?= build/rel
JOBS    ?= 2

PKGS    := libmnl libsodium yaml-0.1 libssh libzstd libarchive libxxhash
TOOLS   := $(sort $(patsubst %/,%,$(dir $(wildcard anemone-*/*.c))))
LIBSRC  := $(wildcard lib/*.c lib/*/*.c)
UNITSRC := $(wildcard tests/unit/*.c)
FUZZSRC := $(wildcard fuzz/fuzz-*.c)
BENCHSRC:= $(wildcard bench/*.c)
MANS    := $(wildcard man/*.[1-8])

ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=all
LDOPT   := -fsanitize=address,undefined
else ifeq ($(FUZZ),1)
OPT     := -O1 -g -fno-omit-frame-pointer -DFUZZING \
           -fsanitize=fuzzer-no-link,address,undefined
LDOPT   := -fsanitize=address,undefined
else
OPT     := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
LDOPT   :=
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
CPPFLAGS += -D_GNU_SOURCE -Ilib
CFLAGS   += -std=c17 -Wall -Wextra -Werror $(OPT) -fPIE -MMD -MP
LDFLAGS  += $(LDOPT) -pie -Wl,-z,relro,-z,now -Wl,--as-needed
LDLIBS   += -lpthread -lm

LIBA     := $(O)/libanemone.a
LIBOBJ   := $(LIBSRC:%.c=$(O)/obj/%.o)
BINS     := $(TOOLS:%=$(O)/bin/%)
UNITS    := $(UNITSRC:tests/unit/%.c=$(O)/unit/%)
FUZZDRV  := $(FUZZSRC:fuzz/fuzz-%.c=$(O)/fuzzdrv/%)
BENCHBIN := $(BENCHSRC:bench/%.c=$(O)/bench/%)

.PHONY: all check install deps bench fuzz demo clean unit fuzzdrv build-check
.DELETE_ON_ERROR:
# keep the objects of unit tests and fuzz drivers (pattern-rule intermediates)
.SECONDARY:

all: $(BINS) $(BENCHBIN)

$(O)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIBOBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

# One rule per tool: its own objects plus the shared library.
define tool_rule
$(O)/bin/$(1): $$(patsubst %.c,$(O)/obj/%.o,$$(wildcard $(1)/*.c)) $(LIBA)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) $$(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

$(O)/unit/%: $(O)/obj/tests/unit/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# Benchmark helpers (bench/*.c): the latency relay, repository generators.
$(O)/bench/%: $(O)/obj/bench/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

# Fuzz targets linked with a plain main() that replays files: the corpora
# run in make check without clang's runtime.
$(O)/fuzzdrv/%: $(O)/obj/fuzz/fuzz-%.o $(O)/obj/fuzz/standalone.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

unit: $(UNITS)
fuzzdrv: $(FUZZDRV)

deps:
	@sh scripts/deps.sh

build-check:
	$(MAKE) O=build/asan SAN=1 all unit fuzzdrv

check: deps
	$(MAKE) build-check
	ANEMONE_BUILD=$(CURDIR)/build/asan prove -e '' -j$(JOBS) tests/*.t

bench: all
	ANEMONE_BUILD=$(CURDIR)/build/rel bash scripts/bench.sh

fuzz:
	$(MAKE) O=build/fuzz CC=clang FUZZ=1 $(FUZZSRC:fuzz/fuzz-%.c=build/fuzz/fuzzer/%)

build/fuzz/fuzzer/%: build/fuzz/obj/fuzz/fuzz-%.o build/fuzz/libanemone.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(LDLIBS)

demo: deps all
	bash scripts/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)
	@set -e; for m in $(MANS); do s=$${m##*.}; \
		install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
