# Ilbirs developer commands. `make help` lists them. CI runs `make test` (see .ci/run).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help run test venv install-dev engines lint typecheck pytest check namespace clean bench-sparql

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

run: $(BIN)/python ## Install Ilbirs (non-editable) and serve the knowledge graph on http://127.0.0.1:8000
	$(BIN)/python -m pip install --quiet .
	$(BIN)/ilbirs info
	$(BIN)/ilbirs serve

install-dev: $(BIN)/python ## Install Ilbirs editable, with the test tools
	$(BIN)/python -m pip install --quiet -e '.[test]'

# Oxigraph comes from PyPI with the package; Virtuoso 7 from Debian (the tests start both).
engines: ## Install what the tests start or call from Debian: virtuoso-opensource-7-bin, curl, chromium
	@{ command -v virtuoso-t && command -v curl && command -v chromium; } >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends virtuoso-opensource-7-bin curl chromium; }
	@virtuoso-t --version 2>&1 | head -n 1

test: install-dev engines ## Install (package, test tools, engines), then lint, type-check and run every test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) typecheck
	$(BIN)/pytest

# mypy cannot follow setuptools' editable import hook, so it reads the packages through a
# tree of symlinks laid out as installed (ilbirs/graph -> graph, ilbirs/api -> api).
typecheck: ## mypy --strict on ilbirs.graph and ilbirs.api
	@mkdir -p build/typecheck/ilbirs
	@ln -sfn ../../../graph build/typecheck/ilbirs/graph
	@ln -sfn ../../../api build/typecheck/ilbirs/api
	MYPYPATH=build/typecheck $(BIN)/mypy -p ilbirs.graph -p ilbirs.api

lint: ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

pytest: ## Run the tests only
	$(BIN)/pytest

bench-sparql: install-dev ## Benchmark /sparql against the engine and rdflib-endpoint (100k and 1M triples, ~20 min)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/sparql.py

check: ## Run the ontology quality checks
	$(BIN)/ilbirs check

namespace: ## Regenerate graph/namespace/_kg.py from ontology/
	$(BIN)/python -m ilbirs.graph.namespace.generate

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
