# The cashback API. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13, what Lambda runs (template.yaml): on PATH, else pyenv's versions folder. A pyenv shim
# that refuses to run (version not selected) does not count.
PYTHON ?= $(firstword $(foreach candidate,$(shell command -v python3.13) \
	$(wildcard $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)/versions/3.13*/bin/python3.13),\
	$(shell $(candidate) -c 'import sys; print("$(candidate)" if sys.version_info[:2] == (3, 13) else "")' 2>/dev/null)))
# sam build (BuildMethod python3.13) looks for python3.13 on PATH.
export PATH := $(if $(PYTHON),$(dir $(PYTHON)):)$(PATH)
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
PORT ?= 3000
DYNAMODB_PORT ?= 8000
DATA_DIR ?= .local/dynamodb
# DynamoDB Local, AWS's own engine, under make dev and the HTTP tests: the jar ships inside the npm
# package amplify-dynamodb-simulator (published by AWS, Apache-2.0). The tarball is fetched once from
# the npm registry and must match this sha256 (npm pack amplify-dynamodb-simulator@2.9.30 gives the
# same bytes); only its emulator/ folder (DynamoDBLocal.jar 1.25.1 and DynamoDBLocal_lib) is kept.
DYNAMODB_LOCAL_PACKAGE := amplify-dynamodb-simulator
DYNAMODB_LOCAL_VERSION := 2.9.30
DYNAMODB_LOCAL_SHA256 := 3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9
DYNAMODB_LOCAL_DIR := .local/dynamodb-local
DYNAMODB_LOCAL := $(DYNAMODB_LOCAL_DIR)/.$(DYNAMODB_LOCAL_PACKAGE)-$(DYNAMODB_LOCAL_VERSION)
JAVA_PACKAGES := openjdk-17-jre-headless (or default-jre-headless)
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# A virtual environment on another Python (one made before the move to 3.13) is made anew.
venv_on_313 = $(1)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null || $(PYTHON) -m venv --clear $(1)

.PHONY: python
python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Python 3.13 is needed (Lambda's python3.13 runtime) and none was found: install it (e.g. 'pyenv install 3.13', or Debian 13's python3), or run make PYTHON=/path/to/python3.13 ..." >&2; exit 1; fi

$(VENV)/.installed: requirements-dev.txt constraints.txt layers/common/requirements.txt functions/mcp/requirements.txt \
		clients/python/pyproject.toml | python
	$(call venv_on_313,$(VENV))
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

# The dashboard's charting library, vendored from npm (functions/dashboard/Makefile; sam build does the same).
DASHBOARD_LIBRARY := functions/dashboard/vendor/chart.umd.min.js
$(DASHBOARD_LIBRARY): functions/dashboard/package.json functions/dashboard/package-lock.json
	$(MAKE) -C functions/dashboard vendor

$(DYNAMODB_LOCAL):
	@set -euo pipefail; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	tarball=$(DYNAMODB_LOCAL_PACKAGE)-$(DYNAMODB_LOCAL_VERSION).tgz; \
	echo "fetching DynamoDB Local from npm ($(DYNAMODB_LOCAL_PACKAGE)@$(DYNAMODB_LOCAL_VERSION), ~56 MB, once)"; \
	if command -v curl >/dev/null; then \
		curl -fsSL --retry 3 -o "$$tmp/$$tarball" https://registry.npmjs.org/$(DYNAMODB_LOCAL_PACKAGE)/-/$$tarball; \
	else (cd "$$tmp" && npm pack -q $(DYNAMODB_LOCAL_PACKAGE)@$(DYNAMODB_LOCAL_VERSION) >/dev/null); fi; \
	if ! echo "$(DYNAMODB_LOCAL_SHA256)  $$tmp/$$tarball" | sha256sum -c --status -; then \
		echo "$$tarball does not match the sha256 pinned in the Makefile; nothing installed" >&2; exit 1; fi; \
	tar xzf "$$tmp/$$tarball" -C "$$tmp" package/emulator; \
	rm -rf $(DYNAMODB_LOCAL_DIR); mkdir -p $(dir $(DYNAMODB_LOCAL_DIR)); \
	mv "$$tmp/package/emulator" $(DYNAMODB_LOCAL_DIR); touch $@

$(SAM_VENV)/.installed: requirements-sam.txt | python
	$(call venv_on_313,$(SAM_VENV))
	$(SAM_VENV)/bin/pip install -q -r requirements-sam.txt
	touch $@

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

.PHONY: install
install: $(VENV)/.installed $(SAM_VENV)/.installed ## Create both virtual environments

.PHONY: dev
dev: $(VENV)/.installed $(SAM_VENV)/.installed $(DASHBOARD_LIBRARY) $(if $(shell command -v java),$(DYNAMODB_LOCAL)) ## Run the API on 127.0.0.1:$(PORT) with DynamoDB Local on :$(DYNAMODB_PORT) (moto's server without Java)
	$(PY) -m localrun dev --port $(PORT) --dynamodb-port $(DYNAMODB_PORT) --data-dir $(DATA_DIR) --on-start scripts.seed_catalog:seed

.PHONY: invoke
invoke: $(VENV)/.installed $(SAM_VENV)/.installed $(DASHBOARD_LIBRARY) ## Run one function with an event: make invoke FUNCTION=HealthFunction EVENT=events/health/get.json
	$(PY) -m localrun invoke $(FUNCTION) $(EVENT)

.PHONY: wipe
wipe: $(VENV)/.installed ## Delete the local DynamoDB data (make dev starts empty again)
	$(PY) -m localrun wipe --data-dir $(DATA_DIR)

.PHONY: admin-key
admin-key: $(VENV)/.installed ## Create an admin key: make admin-key SCOPES=catalog:write,agents:read [NAME=ops] [STACK=name for AWS]
	$(PY) -m scripts.admin_key --scopes "$(SCOPES)" --name "$(or $(NAME),admin)" $(if $(STACK),--stack $(STACK),--dynamodb-port $(DYNAMODB_PORT))

.PHONY: test
test: java $(VENV)/.installed $(SAM_VENV)/.installed $(DASHBOARD_LIBRARY) $(DYNAMODB_LOCAL) browser ## Run every test (unit, handlers, local API over HTTP, events, template)
	$(PY) -m pytest -n 2 --dist loadgroup

.PHONY: dynamodb-local
dynamodb-local: $(DYNAMODB_LOCAL) ## Fetch DynamoDB Local (pinned npm package, sha256 checked) into .local/dynamodb-local (dev and test do it)

# The HTTP tests run on DynamoDB Local only (README, "Local run"): without Java, make test stops here.
.PHONY: java
java:
	@command -v java >/dev/null || { echo "make test runs the HTTP tests on DynamoDB Local, which needs Java: apt-get install $(JAVA_PACKAGES)" >&2; exit 1; }

.PHONY: test-fast
test-fast: $(VENV)/.installed $(SAM_VENV)/.installed ## The edit loop: unit and handler tests with in-process moto (under two minutes, no server)
	$(PY) -m pytest -n 2 tests/unit tests/handlers

.PHONY: vendor
vendor: $(DASHBOARD_LIBRARY) ## Vendor the dashboard's Chart.js from npm into functions/dashboard/vendor (dev and test do it)

# The dashboard's browser test drives Debian's chromium through chromedriver. Installed when
# missing and apt-get can (root); otherwise that test skips and says which packages it needs.
BROWSER_PACKAGES := chromium chromium-driver
.PHONY: browser
browser: ## Install Debian's chromium and chromium-driver for the dashboard's browser test, when missing
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(BROWSER_PACKAGES) for the dashboard's browser test"; \
		export DEBIAN_FRONTEND=noninteractive; \
		log=$$(mktemp); \
		if (apt-get update -q && apt-get install -y -q $(BROWSER_PACKAGES)) >"$$log" 2>&1; then rm -f "$$log"; \
		else tail -n 20 "$$log"; rm -f "$$log"; echo "could not install $(BROWSER_PACKAGES); the browser test will skip"; fi; \
	else \
		echo "the dashboard's browser test needs Debian's $(BROWSER_PACKAGES) (apt-get install $(BROWSER_PACKAGES)); it will skip"; \
	fi

.PHONY: lint
lint: $(VENV)/.installed ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

.PHONY: format
format: $(VENV)/.installed ## Format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: validate
validate: $(SAM_VENV)/.installed ## sam validate --lint
	$(SAM) validate --lint --region us-east-1

.PHONY: build
build: $(SAM_VENV)/.installed ## sam build (the layer lands as python/cashback plus its dependencies)
	$(SAM) build --cached --parallel

.PHONY: rehearse
rehearse: $(VENV)/.installed $(SAM_VENV)/.installed $(DASHBOARD_LIBRARY) ## Deploy rehearsal, no AWS: sam build, SAM transform + cfn-lint (dev, prod), IAM table, smoke suite with IAM enforced
	$(PY) -m scripts.rehearse

.PHONY: iam-table
iam-table: $(VENV)/.installed $(SAM_VENV)/.installed ## Regenerate the README's table of what each function may do, from the template
	$(PY) -m scripts.iam_table

.PHONY: openapi
openapi: $(VENV)/.installed ## Regenerate the OpenAPI document (layers/common/cashback/openapi.json) from the code
	$(PY) -m scripts.openapi

.PHONY: client
client: $(VENV)/.installed ## Regenerate the Python client's models (clients/python) from the OpenAPI document
	$(PY) -m scripts.client_models

.PHONY: bench
bench: $(VENV)/.installed $(if $(shell command -v java),$(DYNAMODB_LOCAL)) ## Figures, not assertions: cold starts, requests, latency, search 5k vs 100k, rollup cost, directory and reputation reads, local load on both engines (QUICK=1, ONLY=load)
	$(PY) -m bench $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))

.PHONY: deploy
deploy: build ## Deploy the dev stack (make deploy CONFIG_ENV=prod for prod)
	$(SAM) deploy --config-env $(or $(CONFIG_ENV),default)

.PHONY: clean
clean: ## Remove build output and caches (keeps local data; see make wipe)
	rm -rf .aws-sam .pytest_cache .ruff_cache .mypy_cache test-output functions/dashboard/node_modules functions/dashboard/vendor
