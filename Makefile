# idpgen: the two commands a newcomer needs are `make render` and `make test`.
GO ?= go

.PHONY: build render check test vet lint bench golden

## build: build the idpgen binary into bin/idpgen (use it rather than go run,
## which turns every exit code into 1)
build:
	$(GO) build -o bin/idpgen ./cmd/idpgen

## render: render the example platform into generated/
render:
	$(GO) run ./cmd/idpgen render

## check: fail if generated/ is not exactly what render would write (CI)
check:
	$(GO) run ./cmd/idpgen render --check

## test: static checks, the stock cue CLI on the example, and every Go test
test: lint
	$(GO) tool cue vet -c ./platforms/example
	$(GO) test ./...

## lint: go vet and gofmt
lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## vet: validate the example platform and cross-check its output
vet:
	$(GO) run ./cmd/idpgen vet

## golden: rewrite golden files after an intended output change
golden:
	IDPGEN_UPDATE=1 $(GO) test ./...

## bench: render synthetic platforms (up to 1000 services x 4 environments), where the time goes, and 10,000 errors
bench:
	$(GO) run ./cmd/idpgen-bench
