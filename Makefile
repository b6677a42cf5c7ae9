# tlsredact - one non-recursive GNU Makefile.
#   make              build ./tlsredact
#   make check        install missing deps, build, run every test
#   make check SAN=address,undefined   same under sanitizers (separate build dir)
#   make demo         run the main job on the bundled sample
#   make fuzz         build libFuzzer targets (clang)
#   make install PREFIX=/usr/local DESTDIR=
#   make bench        benchmark figures (not a test)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
DATADIR   ?= $(PREFIX)/share/tlsredact
MANDIR    ?= $(PREFIX)/share/man/man1

CC        ?= cc
CFLAGS    ?= -O2 -g
# Required flags live apart from the user's CFLAGS.
WARN      := -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wvla \
             -Wno-unused-parameter
ifeq ($(CI),true)
WARN      += -Werror
endif
REQ_CPPFLAGS := -Isrc -D_GNU_SOURCE -DTR_VERSION='"$(VERSION)"' \
                -DTR_RULES_DIR='"$(DATADIR)/rules"' -MMD -MP
LIBS      := -lpcap -lmbedtls -lmbedx509 -lmbedcrypto -lpcre2-8 -lnghttp2 -lbrotlidec -lbrotlienc -lzstd -lz

BUILD     := build
ifneq ($(SAN),)
BUILD     := build-san
CFLAGS    := -O1 -g -fno-omit-frame-pointer -fsanitize=$(SAN) -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=$(SAN)
endif

LIB_SRC   := $(sort $(shell find src -name '*.c' ! -path src/main.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libtlsredact.a
BIN       := $(if $(SAN),$(BUILD)/tlsredact,tlsredact)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BIN:= $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/replay/%)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)

# Quiet by default; V=1 shows the commands.
Q := $(if $(V),,@)
say = $(if $(V),,@echo "  $(1)	$(2)";)

.PHONY: all deps test-deps check check-build demo fuzz install clean bench
all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(REQ_CPPFLAGS) $(CPPFLAGS) $(WARN) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BIN): $(BUILD)/src/main.o $(LIB)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(call say,TEST,$@)$(CC) $(REQ_CPPFLAGS) -Itests/unit $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

# Fuzz targets replayed over their corpora by a plain main (tests/fuzz/replay.c).
$(BUILD)/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIB)
	@mkdir -p $(@D)
	$(call say,REPLAY,$@)$(CC) $(REQ_CPPFLAGS) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB) $(LIBS)

build-fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(@D)
	clang $(REQ_CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(LIBS)

fuzz: $(FUZZ_BIN)

# Debian packages the build needs, and those the tests use.
BUILD_PKGS := libpcap-dev libmbedtls-dev libpcre2-dev libnghttp2-dev libbrotli-dev libzstd-dev zlib1g-dev
TEST_PKGS  := tshark tcpdump openssl python3 iproute2
deps:
	@tests/tools/install-deps.sh $(BUILD_PKGS)
test-deps:
	@tests/tools/install-deps.sh $(BUILD_PKGS) $(TEST_PKGS)

check-build: $(BIN) $(UNIT_BIN) $(REPLAY_BIN)

check: test-deps
	@$(MAKE) --no-print-directory check-build
	@TR_BUILD=$(BUILD) TR_BIN=$(BIN) tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	./$(BIN) -r tests/fixtures/demo.pcap -l tests/fixtures/demo.keylog

bench: $(BIN)
	tests/bench/bench.sh ./$(BIN)
	tests/bench/redact_bench.sh

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/rules $(DESTDIR)$(MANDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/tlsredact
	if ls rules/*.rules >/dev/null 2>&1; then install -m 644 rules/*.rules $(DESTDIR)$(DATADIR)/rules/; fi
	install -m 644 docs/tlsredact.1 $(DESTDIR)$(MANDIR)/tlsredact.1

clean:
	rm -rf build build-san build-fuzz tlsredact

-include $(shell find build build-san -name '*.d' 2>/dev/null)
