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

# Tools are pinned in tools/<name>/go.mod and built once into the cache that
# scripts/testbed and the bench share. The pinned version is in the path, so
# a bump rebuilds and nothing else does (no prerequisites: a fresh clone's
# go.mod is newer than any cached binary). staticcheck's path also names the
# Go release that built it: a staticcheck built by an older Go refuses code
# for a newer one. Root (the bed, make test) uses the bed's cache; anyone
# else (make lint on a hosted runner) one of their own.
TOOL_CACHE ?= $(or $(XEDGESIM_TOOL_CACHE),$(if $(filter 0,$(shell id -u)),/var/cache/xedgesim/tools,$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/xedgesim/tools))
tool_version = $(shell awk -v m='$(2)' '$$1 == m { print $$2; exit }' tools/$(1))
STATICCHECK_VERSION := $(call tool_version,staticcheck/go.mod,honnef.co/go/tools)
STATICCHECK := $(TOOL_CACHE)/staticcheck-$(STATICCHECK_VERSION)-$(shell $(GO) env GOVERSION)/staticcheck
ACTIONLINT_VERSION := $(call tool_version,actionlint/go.mod,github.com/rhysd/actionlint)
ACTIONLINT := $(TOOL_CACHE)/actionlint-$(ACTIONLINT_VERSION)/actionlint
GOSEC_VERSION := $(call tool_version,gosec/go.mod,github.com/securego/gosec/v2)
GOSEC := $(TOOL_CACHE)/gosec-$(GOSEC_VERSION)/gosec
# The workflows actionlint checks: the project's own and the examples users
# copy. Its configuration (the example's self-hosted runner labels) is
# .github/actionlint.yaml.
WORKFLOWS := $(wildcard .github/workflows/*.yml workflows/*.yml)
# The shell scripts shellcheck checks; actionlint runs it on every run:
# script of the workflows too.
SHELL_SCRIPTS := actions/lib/build.sh actions/lib/prepare.sh scripts/testbed scripts/release

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
# -json (which lists each test, as -v does) goes through testsummary, which
# prints the text -v prints and then what failed, with each failure's last
# lines: a CI log read from its tail names the failure even when its
# package finished twenty minutes earlier. pkg/deploy's bed tests run one
# after another for about 13 minutes, hence a package timeout of 45
# minutes. lint runs
# first (about 10 s warm; building staticcheck and its first pass over the
# dependencies take a few minutes once), and gosec after it (about a
# minute), so no finding lands through CI.
test: build lint gosec
	XEDGESIM_TESTBED_ENV=$(TESTBED_ENV) bash scripts/testbed up
	$(GO) build -o bin/testsummary ./internal/testsummary
	set -o pipefail; XEDGESIM_TESTBED=1 XEDGESIM_TESTBED_ENV=$(TESTBED_ENV) $(GO) test -count=1 -timeout 45m -json ./... 2>&1 | bin/testsummary

testbed-up:
	XEDGESIM_TESTBED_ENV=$(TESTBED_ENV) bash scripts/testbed up

testbed-down:
	XEDGESIM_TESTBED_ENV=$(TESTBED_ENV) bash scripts/testbed down

# lint fails on any gofmt difference, go vet finding or staticcheck finding
# (its default checks) in the main module, on any actionlint finding in the
# workflows (with shellcheck on their run: scripts) and on any shellcheck
# finding in the shell scripts.
lint: $(STATICCHECK) $(ACTIONLINT) shellcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(ACTIONLINT) -shellcheck=$$(command -v shellcheck) $(WORKFLOWS)
	shellcheck $(SHELL_SCRIPTS)

# actionlint checks run: scripts only when shellcheck is installed, and
# skips them silently when it is not: lint requires it, so a finding cannot
# pass on a machine that lacks it. As root on Debian or Ubuntu (the test
# bed, CI) it is installed from the distribution; anyone else is told to.
.PHONY: shellcheck
shellcheck:
	@command -v shellcheck >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing shellcheck (apt-get), which make lint runs"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }; \
	else echo "make lint needs shellcheck: install it (apt-get install shellcheck, brew install shellcheck)"; exit 1; fi

# The binary goes into place by a directory rename, as in scripts/testbed, so
# a reader never sees half a file. Its own temp prefix: testbed's up clears
# .build-* in the same cache.
$(STATICCHECK):
	@echo "building staticcheck $(STATICCHECK_VERSION) from tools/staticcheck into $@ (once)"
	@mkdir -p $(TOOL_CACHE) && rm -rf $(TOOL_CACHE)/.staticcheck-* && \
	tmp=$$(mktemp -d $(TOOL_CACHE)/.staticcheck-XXXXXX) && \
	if (cd tools/staticcheck && CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly \
		$(GO) build -trimpath -buildvcs=false -ldflags '-s -w' -o $$tmp/ honnef.co/go/tools/cmd/staticcheck); then \
		chmod 755 $$tmp && rm -rf $(@D) && mv $$tmp $(@D); \
	else rm -rf $$tmp; exit 1; fi

# gosec skips internal/third_party: upstream's code as upstream wrote it
# (its README lists the few lines we changed). gosec is built like
# staticcheck: once per pinned version. It takes about a minute on the
# 2-core test machine, so it is a target of its own, which make test runs,
# rather than part of lint.
.PHONY: gosec
gosec: $(GOSEC)
	$(GOSEC) -quiet -exclude-dir=tools -exclude-dir=bench -exclude-dir=internal/third_party ./...

$(GOSEC):
	@echo "building gosec $(GOSEC_VERSION) from tools/gosec into $@ (once)"
	@mkdir -p $(TOOL_CACHE) && rm -rf $(TOOL_CACHE)/.gosec-* && \
	tmp=$$(mktemp -d $(TOOL_CACHE)/.gosec-XXXXXX) && \
	if (cd tools/gosec && CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly \
		$(GO) build -trimpath -buildvcs=false -ldflags '-s -w' -o $$tmp/ github.com/securego/gosec/v2/cmd/gosec); then \
		chmod 755 $$tmp && rm -rf $(@D) && mv $$tmp $(@D); \
	else rm -rf $$tmp; exit 1; fi

# actionlint is built like staticcheck: once per pinned version.
$(ACTIONLINT):
	@echo "building actionlint $(ACTIONLINT_VERSION) from tools/actionlint into $@ (once)"
	@mkdir -p $(TOOL_CACHE) && rm -rf $(TOOL_CACHE)/.actionlint-* && \
	tmp=$$(mktemp -d $(TOOL_CACHE)/.actionlint-XXXXXX) && \
	if (cd tools/actionlint && CGO_ENABLED=0 GOWORK=off GOFLAGS=-mod=readonly \
		$(GO) build -trimpath -buildvcs=false -ldflags '-s -w' -o $$tmp/ github.com/rhysd/actionlint/cmd/actionlint); then \
		chmod 755 $$tmp && rm -rf $(@D) && mv $$tmp $(@D); \
	else rm -rf $$tmp; exit 1; fi

# bench measures against what users would use instead and writes
# bench/results.md, bench/results.json and bench/*.svg (about 20 minutes
# on the 2-core test machine, with the test bed up: run make test first).
bench: build
	$(GO) run ./bench

clean:
	rm -rf bin results
