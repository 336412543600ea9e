# wasmchat. The two commands: `make run` and `make test`.

GO        ?= go
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
WASM      := assets/web/app.wasm
WASM_EXEC := assets/web/wasm_exec.js
WASM_SRC  := $(shell find app protocol cmd/wasmchat third_party -name '*.go' -not -name '*_test.go') go.mod go.sum
WASM_MAX  := 1550000
WASM_NAMES := .build/app.names.wasm
ADDR      ?= 127.0.0.1:8080
DATA      ?= ./data
CHROMIUM  ?= $(shell command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)

.PHONY: all build wasm run static test check fmt fmt-check lint staticcheck vet tidy-check size budget bench bench-load fuzz screenshots deps clean

all: build

## build: bin/wasmchat, one binary with the wasm and assets embedded
build: bin/wasmchat

wasm: $(WASM).br $(WASM_EXEC)

# Built with cmd/wasmfix's overlay: it mends a bug of Go's js/wasm runtime
# that froze the page (see cmd/wasmfix). Build the wasm with make, not by hand.
$(WASM): $(WASM_SRC) $(wildcard cmd/wasmfix/*.go)
	overlay=$$($(GO) run ./cmd/wasmfix -goroot "$$($(GO) env GOROOT)") && \
	GOOS=js GOARCH=wasm $(GO) build -trimpath -overlay "$$overlay" -ldflags="-s -w" -o $@ ./cmd/wasmchat

# The JavaScript glue of the Go that built the wasm (it must match that
# Go's runtime), followed by the page's own lines (assets/wasm_exec_tail.js).
$(WASM_EXEC): $(WASM) assets/wasm_exec_tail.js
	cat "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" assets/wasm_exec_tail.js > $@

# Compressed once here, never per request or at start.
$(WASM).br: $(WASM)
	$(GO) run ./cmd/precompress $(WASM)

bin/wasmchat: $(WASM).br $(WASM_EXEC) $(shell find . -name '*.go' -not -name '*_test.go') $(wildcard assets/web/*) $(wildcard server/*.js)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $@ ./cmd/wasmchat

## run: start the app on http://$(ADDR) with the embedded demo backend
## (more flags of serve in FLAGS, e.g. FLAGS="-origin 127.0.0.1:8090")
FLAGS ?=
run: build
	./bin/wasmchat serve -addr $(ADDR) -data $(DATA) $(FLAGS)

## static: the page as a static site in dist/ (any static host, also under
## a sub-path: make static BASE=/repo/ SERVER=https://chat.example.com);
## start the server with -origin for the site's origin
BASE   ?= /
SERVER ?= http://$(ADDR)
static: build
	./bin/wasmchat static -out dist -base $(BASE) -server $(SERVER)

## test: everything CI checks; installs Chromium when missing (as root)
# The checks (gofmt, vet, tidy, staticcheck) run beside the tests: the
# browser tests leave the CPU idle much of the time they wait on Chromium.
test: deps wasm budget
	@mkdir -p .build
	@$(MAKE) --no-print-directory check > .build/check.log 2>&1 & check=$$!; \
	$(GO) test -race -count=1 ./...; tests=$$?; \
	wait $$check; checked=$$?; cat .build/check.log; \
	if [ $$checked != 0 ]; then echo "make check failed"; fi; \
	[ $$tests = 0 ] && [ $$checked = 0 ]

check: fmt-check vet tidy-check staticcheck

fmt:
	gofmt -w $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')

fmt-check:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './dist/*' -not -path './.build/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./app/... ./protocol/... ./cmd/wasmchat/ ./internal/floor/

tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy and commit"; exit 1; }

## lint: gofmt, go vet, go mod tidy and staticcheck, for the host and for
## the page's GOOS=js GOARCH=wasm (make test runs it)
lint: check

# staticcheck at a pinned version, built for this machine (not go run: the
# wasm pass sets GOOS=js, which go run would build it for).
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
.build/staticcheck: Makefile
	@mkdir -p .build
	GOBIN=$(CURDIR)/.build $(GO) install $(STATICCHECK)

staticcheck: .build/staticcheck
	.build/staticcheck ./...
	GOOS=js GOARCH=wasm .build/staticcheck ./app/... ./protocol/... ./cmd/wasmchat/ ./internal/floor/

## budget: the wasm as served must stay within $(WASM_MAX) bytes (brotli)
budget: wasm
	@raw=$$(wc -c < $(WASM)); br=$$(wc -c < $(WASM).br); gz=$$(wc -c < $(WASM).gz); \
	echo "wasm size: raw $$raw bytes, brotli $$br bytes, gzip $$gz bytes (budget $(WASM_MAX) brotli)"; \
	if [ $$br -gt $(WASM_MAX) ]; then echo "wasm over budget"; exit 1; fi

## size: the budget, and where the wasm's bytes go: code size per package,
## from the name section of the same build without -s (cmd/wasmsize)
size: budget $(WASM_NAMES)
	$(GO) run ./cmd/wasmsize -top 30 $(WASM_NAMES)
	$(GO) run ./cmd/wasmsize -depth 3 -top 12 $(WASM_NAMES)

$(WASM_NAMES): $(WASM)
	@mkdir -p .build
	overlay=$$($(GO) run ./cmd/wasmfix -goroot "$$($(GO) env GOROOT)") && \
	GOOS=js GOARCH=wasm $(GO) build -trimpath -overlay "$$overlay" -o $@ ./cmd/wasmchat

## bench: benchmarks (the store on SQLite and PostgreSQL; the page in
## Chromium: its start beside the go-app floor, its typewriter) and the
## wasm size
bench: deps size
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## bench-load: one instance under load beside a bare coder/websocket
## server (cmd/wasmload): idle 1k/5k/10k connections, 100/500/1,000
## answers at once at 150 and 1,000 characters/s, 9k idle + 1k answers.
## SCENARIOS=a,b picks some; a few minutes for all.
bench-load: build
	$(GO) run ./cmd/wasmload -bin bin/wasmchat $(if $(SCENARIOS),-scenarios $(SCENARIOS))

## screenshots: light/dark x desktop/mobile PNGs in screenshots/ (ignored by git)
screenshots: deps wasm
	WASMCHAT_SCREENSHOTS=$(CURDIR)/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' ./cmd/wasmchat

## fuzz: a short run of every fuzz target
fuzz:
	@for t in FuzzDecodeClient FuzzDecodeServer FuzzParseEndpoint FuzzServerURL; do \
		$(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=20s ./protocol || exit 1; done
	@for t in FuzzRender FuzzStream FuzzHighlight FuzzTeXToMathML; do \
		$(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=20s ./app/markdown || exit 1; done
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeImport$$' -fuzztime=20s ./store
	@for t in FuzzAPIBodies FuzzSniff; do \
		$(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=20s ./server || exit 1; done
	$(GO) test -run='^$$' -fuzz='^FuzzAPIAnswers$$' -fuzztime=20s ./app/session

## deps: Chromium for the browser tests, PostgreSQL for the store's and
## nginx for the instances' (Debian's packages, via apt-get as root)
deps:
	@missing=""; \
	if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then missing="chromium"; fi; \
	if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing="$$missing postgresql"; fi; \
	if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then missing="$$missing nginx"; fi; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing$$missing for the tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "the tests need Debian's packages:$$missing (sudo apt-get install$$missing)"; exit 1; \
		fi; \
	fi

clean:
	rm -rf bin .build $(WASM) $(WASM).br $(WASM).gz $(WASM_EXEC)
