# Closeloop — the two commands a newcomer needs are `make run` and `make test`.
# Every tool is built from the Go module proxy into bin/ (git-ignored) and reused.

SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
GO           ?= go
BIN          := $(CURDIR)/bin
export GOFLAGS := -buildvcs=false

TEMPORAL_CLI_VERSION := v1.5.1
SERVICES     := customer sales service marketing
MODULES      := platform proto workflows $(addprefix services/,$(SERVICES))
PKGS         := $(foreach m,$(MODULES),./$(m)/...)
TEST_FLAGS   ?= -count=1 -timeout 25m

.PHONY: help run test build tools proto proto-check vet fmt fmt-check bench clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

run: tools build ## start the whole stack (Temporal dev server, every service, worker) on SQLite
	@$(BIN)/devstack

test: tools proto-check fmt-check vet ## run every unit and integration test (PostgreSQL and Temporal included)
	$(GO) test $(TEST_FLAGS) $(PKGS)

build: ## build every binary into bin/
	@mkdir -p $(BIN)
	@for s in $(SERVICES); do $(GO) build -o $(BIN)/$$s ./services/$$s/cmd/$$s; done
	$(GO) build -o $(BIN)/worker ./workflows/cmd/worker
	$(GO) build -o $(BIN)/devstack ./platform/cmd/devstack

tools: $(BIN)/.temporal-$(TEMPORAL_CLI_VERSION) ## build the Temporal CLI (dev server) into bin/

$(BIN)/.temporal-$(TEMPORAL_CLI_VERSION):
	@mkdir -p $(BIN)
	@echo "building the Temporal CLI $(TEMPORAL_CLI_VERSION) from the Go module proxy (a few minutes the first time) …"
	cd /tmp && GOBIN=$(BIN) GOWORK=off $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)
	@touch $@

proto: ## regenerate Go code from proto/ (buf and protoc-gen-go, built into bin/)
	./proto/generate.sh

proto-check: ## fail if the committed generated code is stale
	./proto/check.sh

vet: ## go vet every module
	$(GO) vet $(PKGS)

fmt: ## gofmt every module
	gofmt -w $(MODULES)

fmt-check: ## fail if any Go file is not gofmt-formatted
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "not gofmt-formatted (run make fmt):"; echo "$$out"; exit 1; fi

bench: tools ## run the benchmarks (figures in docs/performance.md)
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m -v ./services/customer/ | grep -vE '^\{"time"'
	$(GO) test -run '^$$' -bench . -benchmem ./workflows/calendar/

clean: ## remove built binaries and local data
	rm -rf $(BIN) .data
