# kamtools: `make demo` and `make test` are all a fresh machine needs (Python 3.11+ and make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The benchmark's peer library needs pandas < 3: it gets an environment of its own.
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

.DEFAULT_GOAL := help

## help: list the targets
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,test]"
	$(BIN)/python -m kamtools.kernel
	@touch $(STAMP)

## install: create .venv, install kamtools with its dependencies and its Jupyter kernel
install: $(STAMP)

## demo: write the demo client and render its report pack into reports/demo/
demo: $(STAMP)
	$(BIN)/kam demo
	$(BIN)/kam validate demo
	$(BIN)/kam run demo

## test: lint, then run the whole test suite (creates the environment if needed)
test: $(STAMP)
	$(BIN)/ruff check kamtools tests benchmarks setup.py
	$(BIN)/ruff format --check kamtools tests benchmarks setup.py
	$(BIN)/python -m pytest -q

## test-browser: workshop mode in a real JupyterLab driven by Chromium (/usr/bin/chromium)
test-browser: $(STAMP)
	$(BIN)/python -m pytest -q -m browser tests/test_lab_browser.py

## workshop-screenshots: run the browser test and keep its screenshots for the README (docs/workshop/)
workshop-screenshots: $(STAMP)
	KAM_WORKSHOP_SCREENSHOTS=docs/workshop $(BIN)/python -m pytest -q -m browser tests/test_lab_browser.py

## hooks: refuse commits of notebooks with outputs in this checkout (.githooks/pre-commit)
hooks:
	git config core.hooksPath .githooks

## lint: ruff check and format check
lint: $(STAMP)
	$(BIN)/ruff check kamtools tests benchmarks setup.py
	$(BIN)/ruff format --check kamtools tests benchmarks setup.py

$(BENCH_STAMP): pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e ".[bench]"
	@touch $(BENCH_STAMP)

## bench: the performance benchmark (1M, 3M, 10M lines vs DuckDB and openretailscience) -> benchmarks/RESULTS.md
bench: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py --peer-python $(BENCH_VENV)/bin/python --results benchmarks/RESULTS.md

## bench-run: time a full demo run against the papermill + nbconvert floor, with its breakdown
bench-run: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py

## lab: workshop mode: JupyterLab on the client's own copies of the stage notebooks (CLIENT=demo)
lab: $(STAMP)
	$(BIN)/kam lab $(or $(CLIENT),demo)

## clean: remove the environment (reports and client workspaces are kept)
clean:
	rm -rf $(VENV) $(BENCH_VENV)

.PHONY: help install demo test test-browser workshop-screenshots hooks lint bench bench-run lab clean
