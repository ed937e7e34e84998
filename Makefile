# feedpub — `make run` builds the example site and serves it on loopback;
# `make test` installs what the tests need and runs every test.

SHELL   := /bin/bash
GO      ?= go
ADDR    ?= 127.0.0.1:8080
OUT     ?= out/site
TOOLS   := $(CURDIR)/.tools/bin
export PATH := $(TOOLS):$(PATH)

STATICCHECK_VERSION := v0.7.0
VERSITYGW_VERSION   := v1.8.0
RIE_VERSION         := v0.0.0-20261030222936-bef5c4ba774d
LOCAL_SQS_VERSION   := 2.0.2
TOXIPROXY_VERSION   := v2.5.0
# toxiproxy names its binaries server and cli: a folder of their own keeps
# them from shadowing other names on PATH.
TOXIPROXY           := $(CURDIR)/.tools/toxiproxy
NODE_TOOLS          := $(CURDIR)/.tools/node/node_modules
# Counts, not durations: Go 1.26's fuzz coordinator can fail a target with
# "context deadline exceeded" when a duration -fuzztime ends while a worker
# is busy (golang/go#75804, fixed in Go 1.27); a count has no deadline.
# make test runs every target briefly; make fuzz runs each longer
# (FUZZTIME=2000000x for a long night).
FUZZTIME       ?= 200000x
TEST_FUZZTIME  ?= 4000x

.PHONY: run build-site test tools lint unit fuzz bench deps clean build-BuildFunction build-WorkerFunction build-ServeFunction deploy

run: build-site
	@echo
	@echo "feeds of the example site, served on http://$(ADDR)/ (Ctrl-C stops):"
	@echo "  index page     http://$(ADDR)/"
	@echo "  RSS 2.0        http://$(ADDR)/feeds/index.rss"
	@echo "  Atom 1.0       http://$(ADDR)/feeds/index.atom"
	@echo "  JSON Feed 1.1  http://$(ADDR)/feeds/index.json"
	@echo "  every feed     http://$(ADDR)/feeds.opml"
	@echo
	$(GO) run ./functions/serve -feeds $(OUT) -addr $(ADDR)

build-site:
	$(GO) run ./functions/build -articles examples/articles -site examples/site.yaml -out $(OUT) -base http://$(ADDR)

test: tools lint unit
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME)

# One S3-compatible server (versitygw, posix backend) on loopback for every
# package's tests, stopped when they end; tests make their own buckets.
# Its log is shown only when a test fails: the fault tests cut uploads
# short on purpose, and it reports each ("unexpected EOF").
unit: tools
	@set -euo pipefail; \
	  dir=$$(mktemp -d); log=$$(mktemp); port=$$(( 20000 + RANDOM % 20000 )); \
	  versitygw --access feedpubtest --secret feedpubtestsecret --port 127.0.0.1:$$port --quiet posix $$dir >$$log 2>&1 & pid=$$!; \
	  trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; rm -rf $$dir $$log' EXIT; \
	  for i in $$(seq 100); do (echo > /dev/tcp/127.0.0.1/$$port) 2>/dev/null && break; sleep 0.1; done; \
	  echo "versitygw on 127.0.0.1:$$port"; \
	  FEEDPUB_TEST_S3_ENDPOINT=http://127.0.0.1:$$port FEEDPUB_TEST_TOXIPROXY=$(TOXIPROXY) $(GO) test -race -count=1 -timeout 20m ./... || \
	  { rc=$$?; echo "versitygw's log, last 50 lines:"; tail -n 50 $$log; exit $$rc; }

# Every fuzz target in turn (go test -fuzz takes one at a time), FUZZTIME
# inputs each; an input that fails is written under the package's
# testdata/fuzz/ by go test: commit it, and it stays a regression case.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...

# What the tests need, installed on a fresh machine: Go tools into .tools/bin,
# Debian packages with apt-get when run as root.
tools: $(TOOLS)/staticcheck $(TOOLS)/versitygw $(TOOLS)/aws-lambda-rie $(NODE_TOOLS)/local-aws-sqs $(TOXIPROXY)/server
	@missing=""; \
	  command -v xmllint >/dev/null || missing="$$missing libxml2-utils"; \
	  command -v wrk >/dev/null || missing="$$missing wrk"; \
	  [ -x /usr/sbin/varnishd ] || missing="$$missing varnish"; \
	  /usr/bin/python3 -c 'import feedparser' 2>/dev/null || missing="$$missing python3-feedparser"; \
	  [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	  [ -d /usr/share/fonts/opentype/noto ] || missing="$$missing fonts-noto-cjk"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      echo "installing Debian packages:$$missing"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else \
	      echo "missing Debian packages:$$missing (sudo apt-get install$$missing)"; exit 1; \
	    fi; \
	  fi

$(TOOLS)/staticcheck:
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# versitygw: an S3-compatible server (Apache-2.0); takes a few minutes to build once.
$(TOOLS)/versitygw:
	GOBIN=$(TOOLS) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

# local-aws-sqs (MIT): an SQS-compatible server in Node for the fan-out test,
# started by functions/e2e/testdata/local-sqs.cjs.
$(NODE_TOOLS)/local-aws-sqs:
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js (Debian: nodejs npm)"; exit 1; }
	npm install --prefix $(CURDIR)/.tools/node --no-audit --no-fund --silent --save-exact local-aws-sqs@$(LOCAL_SQS_VERSION)

# toxiproxy (MIT): a TCP proxy that injects faults (latency, resets, cut
# transfers) between the functions and versitygw in the fault tests.
$(TOXIPROXY)/server:
	GOBIN=$(TOXIPROXY) $(GO) install github.com/Shopify/toxiproxy/v2/cmd/server@$(TOXIPROXY_VERSION)
	GOBIN=$(TOXIPROXY) $(GO) install github.com/Shopify/toxiproxy/v2/cmd/cli@$(TOXIPROXY_VERSION)

# The AWS Lambda Runtime Interface Emulator, to run the bootstrap binaries.
$(TOOLS)/aws-lambda-rie:
	GOBIN=$(TOOLS) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

# Long (an hour or more at the default sizes): full builds against Hugo at
# 1k/10k/100k articles, incremental builds and their store operations on a
# folder and on versitygw, event-to-feed freshness under the emulator, the
# renderers against gorilla/feeds, cold starts, serving against nginx, what
# the sanitiser and the publish gate cost, what a build cannot avoid (the
# floor). Results: docs/benchmarks.md.
bench: tools deps
	bash bench/build.sh
	bash bench/floor.sh
	bash bench/incremental.sh
	bash bench/renderers.sh
	bash bench/coldstart.sh
	bash bench/serve.sh
	bash bench/gate.sh
	bash bench/fanout.sh

# The Go vulnerability database cannot be reached from every machine, so
# govulncheck may not run: every dependency stays on its newest patch
# release instead. Lists each module go.mod requires directly that has a
# newer version (indirect ones follow the modules that need them).
deps:
	@echo "direct dependencies with a newer version (none listed: all current):"
	@$(GO) list -m -u -f '{{if and .Update (not .Indirect) (not .Main)}}  {{.Path}} {{.Version}} -> {{.Update.Version}}{{end}}' all | grep . || true

# sam build (infra/template.yaml, Metadata BuildMethod: makefile) runs
# build-<LogicalId> at the repository root with ARTIFACTS_DIR set: a static
# linux/arm64 bootstrap for the provided.al2023 runtime. `go test ./infra`
# runs them and checks the binaries.
LAMBDA_BUILD := CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags="-s -w"

build-BuildFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: sam build sets it (see infra/README.md)"; exit 1; }
	$(LAMBDA_BUILD) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/build

# The fan-out worker is the build binary (feed/trigger hands it the batches).
build-WorkerFunction: build-BuildFunction

build-ServeFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: sam build sets it (see infra/README.md)"; exit 1; }
	$(LAMBDA_BUILD) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/serve

# Builds and deploys the stack to the account and region of your AWS
# credentials. Create the rebuild key's SSM SecureString first
# (infra/README.md, Deploy); a custom domain is two parameters:
#   make deploy DEPLOY_FLAGS='--parameter-overrides DomainName=feeds.example.com CertificateArn=arn:aws:acm:us-east-1:...'
deploy:
	@command -v sam >/dev/null || { echo "sam not found: install the AWS SAM CLI (see infra/README.md)"; exit 1; }
	cd infra && sam build && sam deploy $(DEPLOY_FLAGS)

clean:
	rm -rf out .tools
