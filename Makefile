# bts-infra: the two commands of the Quickstart are `make demo` and `make test`.
# Every target installs what it needs first (scripts/install-deps.sh, idempotent).
SHELL := /bin/bash
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps test-deps layering configure build test test-realnode fuzz bench bench-realnode demo clean format

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

# Includes follow the module graph of docs/architecture.md (also a ctest test).
layering:
	@scripts/check-layering.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)
	@echo "built $(BUILD)/bin/bts-infra"

# Everything: install, build, unit and integration tests (ctest), the bitsharesjs oracle
# (npm, installed into $(BUILD)/oracle, never committed), and a bounded fuzz run.
# ctest runs last so that its summary line closes the output.
test: test-deps layering build
	@scripts/prepare-oracle.sh $(BUILD)
	@fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# The real-node suite (tests/realnode/run.sh): bts-infra against bitshares-core's own
# witness_node on a private testnet, in a network namespace that has only loopback. Needs
# ../shared/real-node/witness_node.xz (or BTS_WITNESS_NODE) and root or user namespaces for
# `unshare --net`; about 4 minutes, bounded at 12. Not part of `make test`.
test-realnode: build
	@scripts/install-deps.sh realnode
	@tests/realnode/run.sh $(BUILD)/bin/bts-infra

FUZZ_SECONDS ?= 60
fuzz: test-deps
	@fuzz/run.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

bench: test-deps build
	@scripts/prepare-oracle.sh $(BUILD)
	@bench/run.sh $(BUILD)

# One beacon against one real witness_node (bench/realnode_bench.sh, loopback-only network
# namespace as test-realnode): node and beacon CPU per transaction per offered rate, their ratio,
# the node's highest sustainable rate. Needs ../shared/real-node; 3-5 minutes. Not in `make bench`.
bench-realnode: configure
	@scripts/install-deps.sh realnode
	@cmake --build $(BUILD) -j $(JOBS) --target bts-infra
	@bench/realnode_bench.sh $(BUILD)

# The demo builds only what it runs (the bts-infra program), not the tests and benchmarks.
demo: configure
	@echo "demo: building bts-infra (first time: several minutes on 2 cores)"
	@cmake --build $(BUILD) -j $(JOBS) --target bts-infra
	@scripts/demo.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
