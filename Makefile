# aloft — see README.md. `make demo` runs the example; `make test` the tests.
GO       ?= go
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)

.PHONY: all build runners functions deps peers tools demo test test-short test-cdk synth deploy destroy localstack-up localstack-test localstack-down bench lint fuzz clean

all: build

# The CLI with both runner binaries embedded (Decision 14: images get the
# runner as a layer; --runner PATH overrides).
build: runners
	mkdir -p internal/runnerbin/embed
	cp $(BIN)/aloft-runner-linux-amd64 $(BIN)/aloft-runner-linux-arm64 internal/runnerbin/embed/
	$(GO) build -tags aloft_embed_runners -ldflags '$(LDFLAGS)' -o $(BIN)/aloft ./cmd/aloft

# Static runner binaries for task containers (Decision 14).
runners:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/aloft-runner-linux-amd64 ./cmd/aloft-runner
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/aloft-runner-linux-arm64 ./cmd/aloft-runner

demo: build
	scripts/demo.sh

# The example's Python libraries (installed from Debian when root on
# Debian; otherwise it says what to install).
deps:
	examples/diabetes/check_deps.sh

# Test peers (versitygw, fauxqs on Node 22, aws-lambda-rie) into .tools/,
# skipping what is there.
peers:
	scripts/install-peers.sh
	scripts/install-lambda-rie.sh

# Linters and checkers, pinned, into .tools/bin.
STATICCHECK_VERSION := v0.8.2
tools:
	scripts/install-go-tool.sh staticcheck honnef.co/go/tools honnef.co/go/tools/cmd/staticcheck $(STATICCHECK_VERSION)

# The Lambda functions as provided.al2023 arm64 bootstrap binaries.
functions:
	@for f in advance trigger registrar; do \
		CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -ldflags '$(LDFLAGS)' -o $(BIN)/lambda/$$f/bootstrap ./functions/$$f || exit 1; \
	done

# The CDK app (cdk/, its own Go module): synth offline, deploy and destroy
# with AWS credentials. The CDK CLI comes from npm, installed by cdk/Makefile.
# Settings: make deploy CONTEXT='-c key=value ...' (the same variable as in
# cdk/; settings to keep belong in cdk/cdk.json).
STACK ?= aloft
CONTEXT ?=
ifneq ($(CDK_CONTEXT),)
$(error CDK_CONTEXT is now CONTEXT: make deploy CONTEXT='$(CDK_CONTEXT)')
endif
CDK_ARGS = FUNCTIONS_DIR=$(abspath $(BIN)/lambda) STACK=$(STACK) CONTEXT='$(CONTEXT)'
synth: functions
	$(MAKE) -C cdk synth $(CDK_ARGS)
deploy: functions
	$(MAKE) -C cdk deploy $(CDK_ARGS)
destroy:
	$(MAKE) -C cdk destroy $(CDK_ARGS)

# The CDK module's assertion tests (node needed; the first build takes minutes).
test-cdk:
	$(MAKE) -C cdk test

# LocalStack (needs a Docker engine and LOCALSTACK_AUTH_TOKEN) and the
# end-to-end suite against it; `make test` runs the same suite against
# local peers (versitygw, fauxqs, a Batch double).
localstack-up:
	docker compose -f localstack/docker-compose.yml up -d --wait
localstack-test: deps peers
	ALOFT_E2E_ENDPOINT=http://localhost:4566 PATH=/usr/bin:$$PATH $(GO) test -count=1 -v ./localstack/
localstack-down:
	docker compose -f localstack/docker-compose.yml down -v

# The whole suite, as CI runs it. The packages with goroutines around I/O
# (engine, functions, store, batchrunner) run under the race detector; the
# rest run plainly (once each: -race slows the slow suites fourfold). Then
# the runner package again as `make build` compiles it, with the runners
# embedded, and the CDK module.
RACE_PKGS := ./engine/... ./functions/... ./store/... ./batchrunner/...
test: lint deps peers build
	PATH=/usr/bin:$$PATH $(GO) test -race -count=1 $(RACE_PKGS)
	PATH=/usr/bin:$$PATH $(GO) test -count=1 $$($(GO) list ./... | grep -Ev '/aloft/(engine|functions|store|batchrunner)(/|$$)')
	$(GO) test -count=1 -tags aloft_embed_runners ./internal/runnerbin/
	$(MAKE) test-cdk

test-short:
	$(GO) test -short ./...

# Benchmarks: the engine core, the store, the runner, and aloft against
# make -j2 on the same shapes (figures go in the closing notes).
# The comparison with make runs first: the Go benchmarks remove thousands of
# temporary files, which slows file creation for a while afterwards on some
# file systems (see scripts/bench-vs-make.sh).
bench: build
	scripts/bench-vs-make.sh
	$(GO) test -run '^$$' -bench . -benchmem ./orchestrator/ ./catalog/ ./store/dirstore/ ./batchrunner/

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	.tools/bin/staticcheck ./...

fuzz:
	$(GO) test ./orchestrator/ -run '^$$' -fuzz FuzzParse -fuzztime 30s
	$(GO) test ./orchestrator/ -run '^$$' -fuzz FuzzStep -fuzztime 30s
	$(GO) test ./orchestrator/schedule/ -run '^$$' -fuzz FuzzParse -fuzztime 30s

clean:
	rm -rf $(BIN) internal/runnerbin/embed/aloft-runner-linux-*
