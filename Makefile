# Every target sets itself up: a fresh clone needs only `make demo` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The Lambda runtime is Python 3.12; fall back to python3 (3.11 is supported too).
PYTHON ?= $(shell PYENV_VERSION=3.12.1 python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
# The AWS CLI the tests run against the embedded AWS (tests/e2e/test_aws_cli.py looks for it here).
AWSCLI_VENV := .venv-awscli
AWSCLI := $(AWSCLI_VENV)/bin/aws

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv with the project and its tools

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check src functions tests bench
	$(BIN)/ruff format --check src functions tests bench

# Each handler is checked on its own: they are all modules named `app`.
typecheck: $(STAMP) ## mypy on the library code and every Lambda handler
	$(BIN)/mypy
	for handler in functions/*/app.py; do MYPYPATH=src $(BIN)/mypy --strict "$$handler" || exit 1; done

cfn-lint: $(STAMP) ## cfn-lint on template.yaml
	$(BIN)/cfn-lint template.yaml

# The console's browser tests (tests/browser) drive Debian's Chromium through its ChromeDriver at these paths, never
# a browser Selenium Manager downloads. Installing needs root and apt-get; without them, or when apt fails, the tests
# skip with the reason and `make test` goes on. BROWSER_UID: whose rights to assume (`make browser BROWSER_UID=1000`
# shows what a user without root sees).
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
BROWSER_UID ?= $(shell id -u)
BROWSER_SKIPPED := the console's browser tests (tests/browser) will be skipped

browser: ## Debian's Chromium and ChromeDriver for the console's browser tests
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then exit 0; fi; \
	  if [ "$(BROWSER_UID)" != 0 ]; then echo "make browser: not root, so no chromium and chromium-driver from apt-get: $(BROWSER_SKIPPED)"; exit 0; fi; \
	  if ! command -v apt-get >/dev/null; then echo "make browser: no apt-get to install chromium and chromium-driver with: $(BROWSER_SKIPPED)"; exit 0; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
	    || echo "make browser: apt-get could not install chromium and chromium-driver: $(BROWSER_SKIPPED)"

# The console draws execution graphs with mermaid's browser bundle, served from the package: no CDN, works offline.
# Only the npm tarball (the bundle is self-contained, no dependencies), checked against the integrity pinned here
# with the version (`npm view mermaid@VERSION dist.integrity`). A new version has a stamp of its own, so bumping
# MERMAID_VERSION fetches the bundle again.
MERMAID_VERSION := 12.3.0
MERMAID_INTEGRITY := sha512-4113TdXeLAsMruJ79OpFL5O8+LTFXhQqZ260rF3tgUmiNAtRm4Uume04I+65PRN6yZ69J4f8rVYWW8zRk65UYw==
CONSOLE_VENDOR := src/orders_etl_console/static/vendor
MERMAID_JS := $(CONSOLE_VENDOR)/mermaid.min.js
MERMAID_STAMP := $(CONSOLE_VENDOR)/.mermaid-$(MERMAID_VERSION)

$(MERMAID_STAMP):
	mkdir -p $(@D)
	rm -f $(@D)/.mermaid-*
	touch $@

# Hashed with node, which npm comes with; written to a temporary name first, so a failure leaves no partial file.
# Without npm the console still works (the page lists the states instead of drawing them): say so and go on.
$(MERMAID_JS): $(MERMAID_STAMP)
	@if ! command -v npm >/dev/null; then echo "make: no npm to fetch mermaid $(MERMAID_VERSION) with: the console lists states without drawing the graph, and its browser tests are skipped (install Node.js and npm)"; exit 0; fi; \
	  tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp" $@.tmp' EXIT && \
	  npm pack mermaid@$(MERMAID_VERSION) --pack-destination "$$tmp" --ignore-scripts --silent >/dev/null && \
	  tarball="$$tmp/mermaid-$(MERMAID_VERSION).tgz" && \
	  integrity=$$(node -e 'const data = require("fs").readFileSync(process.argv[1]); process.stdout.write("sha512-" + require("crypto").createHash("sha512").update(data).digest("base64"))' "$$tarball") && \
	  if [ "$$integrity" != "$(MERMAID_INTEGRITY)" ]; then echo "make: mermaid $(MERMAID_VERSION) from npm is $$integrity, not the pinned $(MERMAID_INTEGRITY)"; exit 1; fi && \
	  tar -xzOf "$$tarball" package/dist/mermaid.min.js > $@.tmp && mv $@.tmp $@ && \
	  echo "mermaid $(MERMAID_VERSION) -> $@ ($$(wc -c < $@) bytes, $(MERMAID_INTEGRITY) checked)"

console-assets: $(MERMAID_JS) ## The console's front-end files from the npm registry (mermaid)

# pytest-xdist workers, each with an embedded AWS of its own. Twice the cores: a test spends about half its time
# waiting (time-scaled retries and polls), so 4 workers on 2 cores measured 176 s against 209 s (2) and 261 s (1).
TEST_WORKERS ?= 4

test: lint typecheck cfn-lint $(AWSCLI) browser $(MERMAID_JS) ## Lint, type-check, cfn-lint and every test but the slow ones
	$(BIN)/pytest -m "not slow" --numprocesses $(TEST_WORKERS)

# One at a time: the burst and backfill tests report their wall time, which other tests' load would distort.
test-slow: $(STAMP) ## The tests marked slow (a 200-file burst, a 1,000-file backfill); .ci/run runs them after make test
	$(BIN)/pytest -m slow

# checkov has many dependencies of its own: it gets its own environment, like sam.
$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet "checkov>=3.2,<4"

checkov: $(CHECKOV_VENV)/bin/checkov ## checkov on template.yaml (every skipped check has its reason in the template)
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact

# The AWS CLI (v1, a Python package) gets its own environment too: its botocore pin is not the project's.
$(AWSCLI):
	$(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/python -m pip install --quiet "awscli>=1.36,<2"

awscli: $(AWSCLI) ## The AWS CLI in .venv-awscli, which the tests run against the embedded AWS

# Needs docker. The fixture waits for the endpoint; the container is removed whatever the outcome.
SFN_LOCAL_COMPOSE := docker compose -f statemachine/test/docker-compose.yml
SFN_LOCAL_PORT ?= 8083
sfn-local-test: $(STAMP) ## The state machine tests on Step Functions Local as well (needs docker)
	SFN_LOCAL_PORT=$(SFN_LOCAL_PORT) $(SFN_LOCAL_COMPOSE) up -d
	SFN_LOCAL_ENDPOINT=http://localhost:$(SFN_LOCAL_PORT) $(BIN)/pytest tests/state_machine; \
	  status=$$?; $(SFN_LOCAL_COMPOSE) down; exit $$status

statemachine-mutants: $(STAMP) ## Show that the state machine tests catch deleted or weakened Retry/Catch/Choice rules
	$(BIN)/python tests/state_machine/mutants.py

bench: $(STAMP) ## Validate + flatten against the original approach: small files warm in process, then 10/100/500 MB files in fresh processes
	$(BIN)/python -m bench.small_files
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.pipeline

# tests/unit/test_contract_docs.py fails until the table matches the shipped contract.
contract-docs: $(STAMP) ## Rewrite the README's table of the shipped contract's fields
	$(BIN)/orders-etl contract show --into README.md

demo: $(STAMP) $(MERMAID_JS) ## Run the pipeline on the embedded AWS with the files in events/
	$(BIN)/orders-etl demo

local: $(STAMP) ## Start the embedded AWS on :4566 (outputs in .local/outputs.json)
	$(BIN)/orders-etl local start --port 4566 --outputs .local/outputs.json

# The console acts with the caller's rights on the stack of .local/outputs.json: it listens on 127.0.0.1 only.
CONSOLE_PORT ?= 8080
console: $(STAMP) $(MERMAID_JS) ## Serve the console on 127.0.0.1:8080 against the embedded AWS of `make local`
	$(BIN)/orders-etl console --port $(CONSOLE_PORT)

$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet "aws-sam-cli>=1.130,<2"

# sam looks for python3.12 on PATH; with pyenv that shim needs the version named.
build: $(SAM_VENV)/bin/sam ## sam validate --lint and sam build (no container)
	$(SAM_VENV)/bin/sam validate --lint
	PYENV_VERSION=3.12.1 $(SAM_VENV)/bin/sam build
	@du -sh .aws-sam/build/*/ | sort -h

# The contract a deploy checks files against (src/orders_etl/contracts/$(CONTRACT).yaml), and the stack it checks it
# with first: a change the deployed table cannot take (a type change, a removal, a rename) stops the deploy, unless
# ALLOW_INCOMPATIBLE=1 (then backfill every file); without a stack or credentials yet, the deploy goes on.
CONTRACT ?= orders
STACK_NAME ?= orders-etl

deploy: build ## sam deploy --guided to your AWS account, after `orders-etl contract check` of CONTRACT
	@$(BIN)/orders-etl contract check --contract $(CONTRACT) --stack-name $(STACK_NAME); status=$$?; \
	  if [ $$status -eq 3 ] && [ -z "$(ALLOW_INCOMPATIBLE)" ]; then exit 3; fi
	$(SAM_VENV)/bin/sam deploy --guided --stack-name $(STACK_NAME) --parameter-overrides Contract=$(CONTRACT)

clean: ## Remove the virtual environments, build output and the console's fetched front-end files
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(AWSCLI_VENV) .aws-sam .local .bench-data
	rm -f $(MERMAID_JS) $(MERMAID_JS).tmp $(CONSOLE_VENDOR)/.mermaid-*

.PHONY: help install lint typecheck cfn-lint test test-slow browser console-assets awscli checkov sfn-local-test statemachine-mutants bench contract-docs demo local console build deploy clean
