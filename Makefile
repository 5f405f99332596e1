# CareKey: `make run` serves the portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint format clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP) $@

run: $(STAMP)
	$(BIN)/carekey serve

test: $(TEST_STAMP)
	scripts/install-axe.sh
	$(BIN)/python -m pytest

# Screenshots of the main states at 320 px and 1280 px, into docs/screenshots/.
screenshots: $(TEST_STAMP)
	scripts/install-axe.sh
	CAREKEY_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/test_small_screens.py -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy src tests

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

clean:
	rm -rf $(VENV) var .cache .pytest_cache .mypy_cache .ruff_cache

