# Grantflow. `make run` and `make test` are the two commands a newcomer needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

BIN        := $(CURDIR)/bin
GOMODCACHE := $(shell go env GOMODCACHE)
# Every module of the go.work workspace (go test ./... does not work at a go.work root).
MODULES    := $(shell go list -m -f '{{.Dir}}')
PKGS       := $(addsuffix /...,$(MODULES))

BUF_VERSION               := v1.75.0
PROTOC_GEN_GO_VERSION     := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION:= v1.6.2
GRPC_GATEWAY_VERSION      := v2.32.0
STATICCHECK_VERSION       := v0.8.2
# Import-only protos (never generated, never committed): taken from the module cache.
GOOGLEAPIS_MOD            := github.com/grpc-ecosystem/grpc-gateway/v2@v2.2.0
PROTOVALIDATE_MOD         := github.com/bufbuild/protovalidate@v1.2.2

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: run
run: ## all-in-one: every service and the gateway in one process, memory engine, demo organization
	go run ./cmd/grantflow serve

.PHONY: test
test: ## every test tier (unit, integration on PostgreSQL and Redis, end-to-end), race detector on
	go test -race -count=1 -timeout 25m $(PKGS)

.PHONY: test-unit
test-unit: ## unit tests only (no PostgreSQL, no Redis)
	go test -race -count=1 -short $(PKGS)

.PHONY: tools
tools: ## install the pinned code generation and lint tools into ./bin
	GOBIN=$(BIN) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	GOBIN=$(BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(BIN) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	GOBIN=$(BIN) go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@$(GRPC_GATEWAY_VERSION)
	GOBIN=$(BIN) go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY_VERSION)
	GOBIN=$(BIN) go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: third_party
third_party: ## copy the import-only protos from the Go module cache (offline after the first download)
	@cd /tmp && GOFLAGS=-mod=mod go mod download $(GOOGLEAPIS_MOD) $(PROTOVALIDATE_MOD)
	@rm -rf third_party/proto && mkdir -p third_party/proto/google/api third_party/proto/buf/validate
	@cp $(GOMODCACHE)/$(GOOGLEAPIS_MOD)/third_party/googleapis/google/api/{annotations,http,httpbody,field_behavior}.proto third_party/proto/google/api/
	@cp $(GOMODCACHE)/$(PROTOVALIDATE_MOD)/proto/protovalidate/buf/validate/validate.proto third_party/proto/buf/validate/
	@chmod -R u+w third_party

.PHONY: generate
generate: third_party ## lint the protos and regenerate Go, gateway and OpenAPI code (buf, local plugins, offline)
	$(BIN)/buf lint proto
	rm -rf gen/go/grantflow gen/openapi
	PATH=$(BIN):$$PATH $(BIN)/buf generate

.PHONY: check-generate
check-generate: generate ## fail if the committed generated code is not what make generate writes
	@git diff --exit-code --stat -- gen || (echo "generated code is stale: run make generate and commit" && exit 1)
	@test -z "$$(git status --porcelain -- gen)" || (git status --porcelain -- gen; echo "untracked generated files: run make generate and commit" && exit 1)

# --- the web console (web/, docs/CONSOLE.md) ----------------------------------------------------

.PHONY: web
web: ## rebuild the web console into gateway/console (embedded, committed) and its typed client from the served OpenAPI document (needs Node and npm)
	go run ./gateway/cmd/openapi3 -o web/openapi.json
	cd web && npm ci --prefer-offline --no-audit --no-fund && npm run build

.PHONY: check-web
check-web: web ## fail if the committed console build, OpenAPI document or client types are not what make web writes; lint the console (accessibility) and the OpenAPI document (Redocly)
	cd web && npm run lint
	@git diff --exit-code --stat -- web gateway/console || (echo "the console build is stale: run make web and commit" && exit 1)
	@test -z "$$(git status --porcelain -- web gateway/console)" || (git status --porcelain -- web gateway/console; echo "untracked console files: run make web and commit" && exit 1)

.PHONY: screenshots
screenshots: ## run the browser tests and save the console's screenshots into docs/screenshots
	GRANTFLOW_SCREENSHOTS=$(CURDIR)/docs/screenshots go test -count=1 -run TestConsole -v ./gateway/browsertest/

.PHONY: breaking
breaking: third_party ## buf breaking against the previous commit's protos
	scripts/buf-breaking.sh $(BIN)/buf

.PHONY: lint
lint: ## go vet and staticcheck in every module, gofmt everywhere
	@test -z "$$(gofmt -l $(MODULES))" || (gofmt -l $(MODULES); echo "gofmt needed" && exit 1)
	go vet $(PKGS)
	$(BIN)/staticcheck $(PKGS)

.PHONY: tidy
tidy: ## go mod tidy in every module
	@for m in $(MODULES); do (cd $$m && GOWORK=off go mod tidy) || exit 1; done

# --- distributed mode on one machine (docs/DEPLOY.md) -----------------------------------------

.PHONY: up
up: ## every service as its own process (GRANTFLOW_REPLICAS=2: two of request, task, audit), then the gateway; waits until ready (state, logs: .run/)
	go run ./deploy/cmd/gfops up

.PHONY: down
down: ## stop everything make up started (SIGTERM, then SIGKILL after a deadline)
	go run ./deploy/cmd/gfops down

RUN_LOGS := $(or $(GRANTFLOW_RUN_DIR),.run)/logs

.PHONY: logs
logs: ## follow the logs of make up (one process: make logs SVC=identity, SVC=request-2)
	@ls $(RUN_LOGS)/*.log >/dev/null 2>&1 || (echo "no logs in $(RUN_LOGS) yet: make up first" && exit 1)
	tail -n 20 -F $(if $(SVC),$(RUN_LOGS)/$(SVC).log,$(RUN_LOGS)/*.log)

.PHONY: jaeger
jaeger: ## a local Jaeger v2 (built from its Go module once), OTLP on 127.0.0.1:4317, API on :16686
	scripts/jaeger.sh up

.PHONY: jaeger-down
jaeger-down: ## stop the local Jaeger
	scripts/jaeger.sh down

# --- performance (docs/PERFORMANCE.md) ----------------------------------------------------------

.PHONY: bench
bench: ## every performance figure beside its target: hot-path Go benchmarks, pgbench ceiling, lifecycles over REST and gRPC against make up (BENCH_FULL=1: 1,000,000-row queries)
	bench/scripts/bench.sh

# --- fuzzing (docs/SECURITY-TESTS.md) ------------------------------------------------------------

FUZZTIME ?= 5s

# Every fuzz target (func FuzzXxx(f *testing.F)) in the workspace's modules, found afresh on
# each run, fuzzed one after the other: go test -fuzz takes one target of one package at a time.
.PHONY: fuzz
fuzz: ## run every Go fuzz target for FUZZTIME each (default 5s); a failing input fails the target and is saved under the package's testdata/fuzz
	@set -euo pipefail; \
	files=$$(grep -rlE --include='*_test.go' --exclude-dir=testdata --exclude-dir=vendor '^func Fuzz[A-Z0-9_][A-Za-z0-9_]*\([A-Za-z_]+ \*testing\.F\)' $(patsubst $(CURDIR)/%,./%,$(MODULES)) | sort -u); \
	test -n "$$files" || { echo "fuzz: no fuzz target found"; exit 1; }; \
	n=0; \
	for file in $$files; do \
	  dir=$$(dirname "$$file"); \
	  for name in $$(sed -nE 's/^func (Fuzz[A-Z0-9_][A-Za-z0-9_]*)\([A-Za-z_]+ \*testing\.F\).*/\1/p' "$$file"); do \
	    echo "=== fuzz $$name ($$dir, $(FUZZTIME))"; \
	    ./scripts/fuzz-target.sh "$$dir" "$$name" "$(FUZZTIME)"; \
	    n=$$((n + 1)); \
	  done; \
	done; \
	echo "=== fuzz: $$n targets passed, $(FUZZTIME) each"
