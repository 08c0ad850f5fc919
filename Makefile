# HBF developer entry points. `make test` is what CI runs (see .ci/run).
CARGO ?= cargo
# Extra arguments for `make run`, e.g. make run ARGS='--port 8080'
ARGS ?=

.PHONY: deps build run test bench fmt clippy

## Install missing system packages (idempotent; no-op when all present).
deps:
	scripts/install-deps.sh

## Release build of everything (binary + examples).
build:
	$(CARGO) build --release

## Run the server in release mode.
run: deps
	$(CARGO) run --release -- serve $(ARGS)

## Format check, clippy with warnings as errors, tests.
test: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) test

## Loopback /health benchmark vs examples/ceiling.rs (needs wrk; see stress/README.md).
## Always rebuilds so numbers never come from stale binaries.
bench:
	scripts/install-deps.sh wrk
	BUILD=always stress/bench_health.sh

## Reformat all sources.
fmt:
	$(CARGO) fmt --all

## Lint all targets, warnings as errors.
clippy:
	$(CARGO) clippy --all-targets -- -D warnings
