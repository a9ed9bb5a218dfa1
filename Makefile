# wardle-apiserver. `make help` lists the targets.

GO        ?= go
BIN       := $(CURDIR)/bin
# Every test runs with the race detector; -count=1 keeps results honest.
TESTFLAGS ?= -race -count=1 -timeout 20m
GO_FILES   = $(shell find . -name '*.go' -not -path './_output/*' -not -path './.git/*')
# /version reports the commit a binary was built from (none before the first commit).
VERSION_PKG = github.com/wardle-example/wardle-apiserver/pkg/version
LDFLAGS    ?= -X $(VERSION_PKG).gitCommit=$(shell git rev-parse --verify -q HEAD 2>/dev/null) \
              -X $(VERSION_PKG).gitTreeState=$(shell [ -z "$$(git status --porcelain 2>/dev/null)" ] && echo clean || echo dirty) \
              -X $(VERSION_PKG).buildDate=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)
# The Go modules nested in this one, which ./... at the root does not reach:
# the modules others import (the API types, the generated clients, and the
# launcher the consumers' tests start the server binary with), whose tests
# need no server binary, and two consumers of them, whose tests do.
API_MODULES      := apis pkg/generated test/launcher
CONSUMER_MODULES := examples/client test/controllerruntime
# The benchmark (wardle-bench and its suite), a module of its own so that its
# plotting dependencies stay out of the server's; it depends on the server
# module (test/localcluster), so it is no consumer.
BENCH_MODULE     := test/bench

.PHONY: help build run test test-unit test-integration test-e2e test-aggregation test-faults test-controller-runtime fuzz \
        test-examples bench bench-quick verify fmt-check vet verify-boilerplate verify-gomod verify-golangci-lint verify-consumers \
        update-codegen verify-codegen verify-adding-a-kind verify-new-project clean

help: ## Show this help.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

build: ## Build bin/wardle-apiserver and bin/wardle-controller.
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/wardle-apiserver ./cmd/wardle-controller

run: ## Run the server standalone (data in ./.wardle, HTTPS on 127.0.0.1:8443).
	$(GO) run ./cmd/wardle-apiserver

test: verify build test-controller-runtime test-examples ## make verify, then run every test (unit, integration, e2e with kubectl, controller-runtime, the example client) with -race.
	WARDLE_APISERVER_BINARY=$(BIN)/wardle-apiserver $(GO) test $(TESTFLAGS) ./...
	$(GO) test -C $(BENCH_MODULE) $(TESTFLAGS) ./...
	@set -e; for m in $(API_MODULES); do echo "$(GO) test -C $$m $(TESTFLAGS) ./..."; $(GO) test -C $$m $(TESTFLAGS) ./...; done

test-unit: ## Unit tests only (the server's packages, the apis, pkg/generated and test/launcher modules, and the benchmark's).
	$(GO) test $(TESTFLAGS) ./pkg/...
	$(GO) test -C $(BENCH_MODULE) $(TESTFLAGS) ./...
	@set -e; for m in $(API_MODULES); do echo "$(GO) test -C $$m $(TESTFLAGS) ./..."; $(GO) test -C $$m $(TESTFLAGS) ./...; done

test-integration: ## Integration tests: the real server on an embedded etcd.
	$(GO) test $(TESTFLAGS) ./test/integration/...

FUZZTIME ?= 60s
# How long make test-faults fuzzes each target.
FAULTS_FUZZTIME ?= 10s
FUZZ_TARGETS := FuzzCreateJSON FuzzUpdateJSON FuzzMergePatch FuzzJSONPatch FuzzStrategicMergePatch FuzzApplyPatch FuzzCreateProtobuf
# The fuzz test binary is built once, with the coverage instrumentation
# go test -fuzz adds, and run once per target from the package's directory
# (its testdata corpus) with go test's corpus cache: linking it for each
# target would cost more than fuzzing it for 10 s.
FUZZ_PKG   := github.com/wardle-example/wardle-apiserver/test/fuzz
FUZZ_TEST  := $(CURDIR)/_output/fuzz/fuzz.test
fuzz: ## Fuzz the REST handlers (test/fuzz): each target for FUZZTIME (default 60s), one worker; FUZZ=FuzzMergePatch runs one.
	@set -e; targets="$(or $(FUZZ),$(FUZZ_TARGETS))"; \
		$(GO) test -c -o $(FUZZ_TEST) -fuzz "^$${targets%% *}\$$" ./test/fuzz; \
		cache="$$($(GO) env GOCACHE)/fuzz/$(FUZZ_PKG)"; \
		for f in $$targets; do echo "--- fuzzing $$f for $(FUZZTIME)"; \
			(cd test/fuzz && $(FUZZ_TEST) -test.run '^$$' -test.fuzz "^$$f\$$" -test.fuzztime $(FUZZTIME) \
				-test.parallel 1 -test.timeout 10m -test.fuzzcachedir "$$cache"); done

test-e2e: build ## End-to-end tests: the wardle-apiserver binary driven by the real kubectl.
	WARDLE_APISERVER_BINARY=$(BIN)/wardle-apiserver $(GO) test $(TESTFLAGS) ./test/e2e/...

test-controller-runtime: build ## controller-runtime's client and cache against the server binary (test/controllerruntime, its own Go module).
	WARDLE_APISERVER_BINARY=$(BIN)/wardle-apiserver $(GO) test -C test/controllerruntime $(TESTFLAGS) ./...

test-examples: build ## The example client against the server binary (examples/client, its own Go module).
	WARDLE_APISERVER_BINARY=$(BIN)/wardle-apiserver $(GO) test -C examples/client $(TESTFLAGS) ./...

test-aggregation: build ## wardle-apiserver and wardle-controller behind a real kube-apiserver (built from the Go module proxy on first use, 10-15 min; KUBE_APISERVER_BINARY=<path> uses a built one).
	KUBE_APISERVER_BINARY="$${KUBE_APISERVER_BINARY:-$$(hack/build-kube-apiserver.sh)}" \
		WARDLE_APISERVER_BINARY=$(BIN)/wardle-apiserver WARDLE_CONTROLLER_BINARY=$(BIN)/wardle-controller \
		$(GO) test -tags aggregation $(TESTFLAGS) ./test/aggregation/...

test-faults: build ## The fault suite: the server and a real etcd (built from the Go module proxy) killed, paused and out of space under load (test/faults), then every fuzz target for FAULTS_FUZZTIME (10s; make fuzz fuzzes longer); about 5 min.
	ETCD_BINARY="$$(hack/build-etcd.sh)" WARDLE_APISERVER_BINARY=$(BIN)/wardle-apiserver \
		$(GO) test -tags faults -count=1 -timeout 15m -v ./test/faults/...
	$(MAKE) fuzz FUZZTIME=$(FAULTS_FUZZTIME)

bench: build ## The side-by-side benchmark of test/bench, a Go module of its own (raw etcd, standalone, CRD, aggregated; about 15 min): writes docs/performance.{md,json,png}. BASELINE=<performance.json> [BASELINE_LABEL=...] compares with an earlier run.
	$(GO) build -C $(BENCH_MODULE) -o $(BIN)/wardle-bench ./cmd/wardle-bench
	$(BIN)/wardle-bench suite --wardle-apiserver $(BIN)/wardle-apiserver --kube-apiserver "$$(hack/build-kube-apiserver.sh)" --repo . --out docs \
		$(if $(BASELINE),--baseline "$(BASELINE)" --baseline-label "$(or $(BASELINE_LABEL),$(BASELINE))")

bench-quick: build ## A short run of the benchmark, to check it works; writes _output/bench-quick.
	$(GO) build -C $(BENCH_MODULE) -o $(BIN)/wardle-bench ./cmd/wardle-bench
	$(BIN)/wardle-bench suite --quick --wardle-apiserver $(BIN)/wardle-apiserver --kube-apiserver "$$(hack/build-kube-apiserver.sh)" --repo . --out _output/bench-quick

verify: fmt-check vet verify-boilerplate verify-gomod verify-consumers verify-golangci-lint verify-codegen ## Every static check: gofmt, go vet, license headers, go mod tidy, the consumer modules, golangci-lint, generated code (every module).

fmt-check:
	@out="$$(gofmt -l $(GO_FILES))"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags aggregation ./test/aggregation/...
	$(GO) vet -tags faults ./test/faults/...
	$(GO) vet -tags addingakind ./test/addingakind/...
	@set -e; for m in $(API_MODULES) $(CONSUMER_MODULES) $(BENCH_MODULE); do echo "$(GO) vet -C $$m ./..."; $(GO) vet -C $$m ./...; done

verify-boilerplate: ## The license header on every Go file and script.
	hack/verify-boilerplate.sh

verify-gomod: ## go mod tidy would change no module.
	hack/verify-gomod.sh

verify-golangci-lint: ## golangci-lint (.golangci.yaml; the pinned version is built into _output/tools) over every module.
	hack/verify-golangci-lint.sh

verify-consumers: ## The apis, pkg/generated, test/launcher and consumer modules: tidy, build, vet, no k8s.io/kubernetes, local replaces only.
	hack/verify-consumers.sh

verify-adding-a-kind: ## Follow docs/adding-a-kind.md on a scratch copy (add the kind Wug, codegen, build, its tests, kubectl against the server); fails when page and code drift.
	hack/verify-adding-a-kind.sh

update-codegen: ## Regenerate deepcopy, conversion, defaults, openapi, clientset, listers, informers.
	hack/update-codegen.sh

verify-codegen: ## Fail if the generated code is stale.
	hack/verify-codegen.sh

verify-new-project: ## hack/new-project.sh end to end: a renamed copy in a temp dir builds, serves its group, passes its unit and integration tests (about 5 min; KEEP=1 keeps it).
	hack/verify-new-project.sh

clean: ## Remove build output and the default data dir.
	rm -rf $(BIN) _output .wardle
