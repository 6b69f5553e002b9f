# raw2raw: the two commands of the README, plus helpers.
SWIFT ?= swift
RELEASE_TEST = $(SWIFT) test -c release -Xswiftc -enable-testing --scratch-path .build-release-tests

.PHONY: demo test deps build benchmark docs-check
deps:
	@bash scripts/install-deps.sh

demo: deps
	$(SWIFT) run -c release raw2raw demo

test: deps
	$(RELEASE_TEST)

build: deps
	$(SWIFT) build -c release

benchmark: deps
	cd Benchmarks && $(SWIFT) package benchmark

docs-check: deps
	bash scripts/check-docs.sh
