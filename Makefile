PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the bot against its built-in sandbox: no credentials, no network.
demo: $(STAMP)
	$(BIN)/slackbot demo

## Install everything and run the whole test suite.
test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check slackbot tests benchmarks
	$(BIN)/ruff format --check slackbot tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/versions_bench.py
	$(BIN)/python benchmarks/followup_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
