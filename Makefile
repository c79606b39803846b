# Binaries go to bin/ and benchmark output to bench/out/; both are ignored
# by git.

GO ?= go
BIN := bin
# Extra flags for the benchmark, e.g. make bench BENCHFLAGS="-reuse" or
# BENCHFLAGS="-seed 100000 -duration 3s".
BENCHFLAGS ?=

.PHONY: build test bench bench-webhooks

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/openboards ./cmd/openboards
	CGO_ENABLED=0 $(GO) build -o $(BIN)/openboards-bench ./cmd/openboards-bench

test:
	$(GO) test ./...

# bench runs the load benchmark of docs/benchmarks.md against the freshly
# built server: about three minutes, plus a minute to seed the 1M-ticket
# database unless BENCHFLAGS has -reuse and an earlier run left it in /tmp.
bench: build
	$(BIN)/openboards-bench -server $(BIN)/openboards -out bench/out $(BENCHFLAGS)

# bench-webhooks runs only the webhook phases against the freshly built
# server: about five minutes with the default 60 s window, e.g.
# make bench-webhooks BENCHFLAGS="-webhook-duration 10s" for a quick run.
bench-webhooks: build
	$(BIN)/openboards-bench -server $(BIN)/openboards -out bench/out -phases webhook-throughput,webhook-latency,webhook-slow $(BENCHFLAGS)
