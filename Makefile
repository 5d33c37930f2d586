# wiredesk: `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
FUZZTIME ?= 2m
PKGS := ./...

.PHONY: help run check fmt-check vet test fuzz bench soak clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## run the demo: the site on http://localhost:8080 with the demo agency
	$(GO) run ./cmd/wiredesk demo

check: fmt-check vet test ## every check: gofmt, go vet, all tests with -race (PostgreSQL required when CI=true)

fmt-check: ## fail when a file is not gofmt-formatted
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet $(PKGS)

test: ## all tests with the race detector; PostgreSQL tests skip unless reachable, and fail when CI=true and it is not
	@if [ "$$CI" = "true" ]; then scripts/ensure-postgres; fi
	@scripts/ensure-chromium
	$(GO) test -race -count=1 -timeout 30m $(PKGS)

fuzz: ## run every fuzz target for FUZZTIME each (default 2m; about half an hour in all)
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=10s $$pkg; \
	  done; \
	done

# BENCH_FLAGS go to `wiredesk bench`; add --database-url postgres://... for
# PostgreSQL and --out FILE for a fragment to paste into BENCHMARKS.md.
BENCH_FLAGS ?= --only decode,ingest,latency --items 100000

bench: ## wiredesk bench (decode, ingest, push latency; BENCH_FLAGS), then the Go benchmarks
	$(GO) run ./cmd/wiredesk bench $(BENCH_FLAGS)
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

soak: ## the long reliability runs (about an hour and a half; each asserts nothing lost, nothing doubled)
	$(GO) test -count=1 -run '^TestIngestSurvivesSIGKILL$$' -timeout 60m ./cmd/wiredesk/ -args -crash-items=50000
	$(GO) test -count=1 -run '^TestAnyOrderReachesInOrderState$$' -timeout 60m ./internal/apply/ -args -permutations=10000
	$(GO) test -count=1 -run '^TestIngestSurvivesPostgresRestart$$' -timeout 60m ./cmd/wiredesk/ -args -soak-pg-duration=10m
	$(GO) test -count=1 -run '^TestHostileUpstreams$$' -timeout 60m ./cmd/wiredesk/ -args -soak-upstream-duration=30m -soak-big-items=15000
	$(GO) test -count=1 -run '^TestConcurrentEditors$$' -timeout 60m ./cmd/wiredesk/ -args -soak-editor-rounds=1000
	$(GO) test -count=1 -run '^TestFlatUnderLoad$$' -timeout 60m ./cmd/wiredesk/ -args -soak-duration=30m -soak-csv=$(CURDIR)/soak-flat.csv

clean: ## remove the demo's data directory
	rm -rf ./wiredesk-data
