# Thin wrapper over Meson/Ninja. Real logic lives in meson.build and scripts/.
#   make          build (gcc, optimised with debug info) into build/normal; CC=clang: build/clang
#   make check    install missing packages, build normal + sanitizer (+ fuzz, tsan)
#                 configurations, run every test in each, print "N passed, N failed"
#   make demo     install, build, run the demo against Linux peers in a namespace
#   make fuzz     run every fuzz target for longer (FUZZ_SECONDS, default 600)
#   make bench    run the benchmarks under bench/
# `make CC=clang` builds into build/clang, so it never reuses a directory set up for gcc.
ifeq ($(origin CC),default)
BUILD ?= build/normal
CC := cc
else
BUILD ?= build/$(notdir $(CC))
endif

.PHONY: all deps check demo fuzz bench clean

all:
	@test -f $(BUILD)/build.ninja || CC=$(CC) meson setup $(BUILD) --buildtype=debugoptimized
	ninja -C $(BUILD)

deps:
	@scripts/install-deps.sh

check: deps
	@scripts/check.sh

demo: deps all
	@scripts/demo.sh $(BUILD)

fuzz: deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-600} scripts/fuzz.sh

bench: deps all
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf build
