# xedgesim — the two commands a newcomer needs:
#   make demo   builds the binary and runs an example scenario (no Docker needed)
#   make test   brings up the real test bed and runs every test
SHELL := /bin/bash
GO ?= go
BIN := bin/xedgesim
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/xedgesim/simulate/internal/version.Version=$(VERSION) -X github.com/xedgesim/simulate/internal/version.Commit=$(COMMIT)
TESTBED_ENV ?= /var/lib/xedgesim-testbed/testbed.env

.PHONY: all build demo test unit testbed-up testbed-down lint bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/xedgesim

demo: build
	$(BIN) simulate --out results/demo scenarios/m0_baseline.yaml

# unit runs what needs no test bed; bed tests skip with the part they miss.
unit:
	$(GO) test -count=1 ./...

# test brings the bed up (idempotent: fast when it is already up), then runs
# every test with XEDGESIM_TESTBED=1, under which a missing part fails.
# -v lists each test, so the bed's tests are counted one by one.
test: build
	XEDGESIM_TESTBED_ENV=$(TESTBED_ENV) bash scripts/testbed up
	XEDGESIM_TESTBED=1 XEDGESIM_TESTBED_ENV=$(TESTBED_ENV) $(GO) test -count=1 -timeout 30m -v ./...

testbed-up:
	XEDGESIM_TESTBED_ENV=$(TESTBED_ENV) bash scripts/testbed up

testbed-down:
	XEDGESIM_TESTBED_ENV=$(TESTBED_ENV) bash scripts/testbed down

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# bench measures against what users would use instead and writes
# bench/results.md, bench/results.json and bench/*.svg (about 20 minutes
# on the 2-core test machine, with the test bed up: run make test first).
bench: build
	$(GO) run ./bench

clean:
	rm -rf bin results
