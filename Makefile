# Every target runs from the repo root. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(PYTHON) -m uv
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .tools/checkov
CRD_TOOLS := tools/crds
STACK ?= dev
OUT ?= build/render/$(STACK)

.PHONY: help install lint typecheck unit test render preview up destroy bench bench-app clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

install: $(VENV)/.installed $(CHECKOV_VENV)/.installed $(CRD_TOOLS)/node_modules/.installed ## Create .venv (project + test tools), .tools/checkov and the CRD validators

$(VENV)/.installed: pyproject.toml uv.lock
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

# checkov pins packaging<24, which the Pulumi SDKs cannot share: it lives in its own locked venv.
$(CHECKOV_VENV)/.installed: tools/checkov.lock.txt
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python --require-hashes -r tools/checkov.lock.txt
	@touch $@

# Gateway API validators (npm, pinned by the committed lock); tests/support/crd_schemas.py runs them with node.
$(CRD_TOOLS)/node_modules/.installed: $(CRD_TOOLS)/package.json $(CRD_TOOLS)/package-lock.json
	npm ci --prefix $(CRD_TOOLS) --ignore-scripts --no-audit --no-fund
	@touch $@

lint: install ## ruff lint + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install ## mypy --strict over infra/, stacks/, app/
	$(VENV)/bin/mypy

unit: install ## pytest (unit tests under mocks, render gates, app over HTTP, promtool)
	PATH="$(CURDIR)/$(VENV)/bin:$(CURDIR)/$(CHECKOV_VENV)/bin:$$PATH" $(PY) -m pytest -n 2

test: lint typecheck unit ## Every offline check (what CI runs)

render: install ## Credential-free render: make render STACK=dev OUT=build/render/dev
	$(PY) -m infra.render --stack $(STACK) --out $(OUT)

preview: install ## pulumi preview of STACK with the policy pack (needs the Pulumi CLI and credentials)
	pulumi preview --stack $(STACK) --diff --policy-pack policy

up: install ## pulumi up of STACK with the policy pack (needs the Pulumi CLI and credentials)
	pulumi up --stack $(STACK) --policy-pack policy

destroy: install ## pulumi destroy of STACK, keeping the protected data volumes (see README)
	pulumi destroy --stack $(STACK) --exclude-protected

bench: install ## Render time of each stack vs import-only time of the same SDK modules
	$(PY) -m bench.render

bench-app: install ## Generator service overhead vs direct backend calls at 1/64/256 concurrency
	$(PY) -m bench.app

clean: ## Remove build output (keeps .venv)
	rm -rf build .pytest_cache .mypy_cache .ruff_cache
