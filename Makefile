# meshd developer entry points. On a fresh Debian 12 machine `make run` and `make test` do
# everything: install missing packages (scripts/bootstrap.sh), configure, build, then run.
#
#   make run       build, start the demo services and meshd with config/local.yaml (foreground)
#   make test      build, run unit and integration tests (ctest)
#   make build     Release build in build/          make debug   Debug build in build-debug/
#   make pgo       profile-guided Release build in build-pgo/ (scripts/pgo.sh: build, train, build)
#   make asan      ASan+UBSan build in build-asan/, run the unit tests there
#   make validate  meshd -validate on every config file in config/
#   make bench     side-by-side benchmark (bench/run.sh), appends to docs/benchmarks.md
#   make bench-lb  load balancers side by side (bench/balancers.sh), appends there too
#   make bench-h2  HTTP/2 proxies and TLS handshakes side by side (bench/h2.sh), appends there too
#   make bench-h2-cost  instructions and cache misses per h2 request, meshd and nghttpx under
#                  callgrind (bench/h2-cost.sh): counted, not timed; appends there too
#   make clean     remove the build directories
#
# Variables: BUILD_TYPE (Release), JOBS (nproc), CTEST_JOBS (2), CMAKE_ARGS (extra -D options,
# applied on every configure), MESHD_LOG_LEVEL (log level for `make run`).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_JOBS ?= 2
CMAKE_ARGS ?=
MESHD_LOG_LEVEL ?=

BUILD_DIR := build
DEBUG_DIR := build-debug
ASAN_DIR := build-asan
PGO_DIR := build-pgo
CONFIGS := $(wildcard config/*.yaml config/*.yml config/*.json)

# $(call cmake_build,DIR,BUILD_TYPE,EXTRA_ARGS): configure, then build. Configuring again is
# cheap and applies CMAKE_ARGS; once the cache exists only warnings and errors are printed
# (CMake writes those to stderr).
# The sub-make that CMake runs gets a clean environment: it is not a child of this Makefile
# (no "Entering directory" lines, no jobserver warnings); -j$(JOBS) sets its parallelism.
define cmake_build
cmake -S . -B $(1) -DCMAKE_BUILD_TYPE=$(2) $(3) $(CMAKE_ARGS) $(if $(wildcard $(1)/CMakeCache.txt),--log-level=WARNING >/dev/null)
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL cmake --build $(1) -j$(JOBS)
endef

.PHONY: all bootstrap bootstrap-bench build debug asan pgo run test unit integration validate \
        bench bench-lb bench-h2 bench-h2-cost clean help

all: build

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

bootstrap:
	@bash scripts/bootstrap.sh

bootstrap-bench:
	@bash scripts/bootstrap.sh --bench

build: bootstrap
	$(call cmake_build,$(BUILD_DIR),$(BUILD_TYPE),)

debug: bootstrap
	$(call cmake_build,$(DEBUG_DIR),Debug,)

asan: bootstrap
	$(call cmake_build,$(ASAN_DIR),Debug,-DMESHD_SANITIZE=ON)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir $(ASAN_DIR) -L unit --output-on-failure -j$(CTEST_JOBS)

# The training load needs nginx from the bench tools (installed here, as for the benchmarks).
pgo: bootstrap
	@bash scripts/bootstrap.sh --bench
	JOBS=$(JOBS) CMAKE_ARGS="$(CMAKE_ARGS)" bash scripts/pgo.sh $(PGO_DIR)

run: build
	bash scripts/run-local.sh $(BUILD_DIR)/meshd config/local.yaml $(if $(MESHD_LOG_LEVEL),--log-level $(MESHD_LOG_LEVEL))

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(CTEST_JOBS)

unit: build
	ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure -j$(CTEST_JOBS)

integration: build
	ctest --test-dir $(BUILD_DIR) -L integration --output-on-failure -j$(CTEST_JOBS)

# meshd prints `FILE: ok` or every error of FILE; all files are checked before failing.
validate: build
	@status=0; \
	for f in $(CONFIGS); do $(BUILD_DIR)/meshd -validate "$$f" || status=1; done; \
	exit $$status

# The bench tools are installed here rather than as a prerequisite so `make -j` never runs two
# apt-get at once.
bench: build
	@bash scripts/bootstrap.sh --bench
	MESHD=$(BUILD_DIR)/meshd bash bench/run.sh

bench-lb: build
	MESHD=$(BUILD_DIR)/meshd bash bench/balancers.sh

bench-h2: build
	@bash scripts/bootstrap.sh --bench
	MESHD=$(BUILD_DIR)/meshd bash bench/h2.sh

bench-h2-cost: build
	@bash scripts/bootstrap.sh --bench
	MESHD=$(BUILD_DIR)/meshd bash bench/h2-cost.sh

clean:
	rm -rf $(BUILD_DIR) $(DEBUG_DIR) $(ASAN_DIR) $(PGO_DIR)
