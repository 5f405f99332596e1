# CareKey: `make run` serves the portal, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint format clean screenshots demo

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

# CareKey (http://localhost:8000) and an example portal that signs in through it
# (http://localhost:8001), side by side; Ctrl-C stops both.
demo: $(STAMP)
	$(BIN)/python -m pip install --quiet -r examples/portal/requirements.txt
	$(BIN)/python examples/portal/demo.py

# Screenshots of the main states at 320 px and 1280 px, into docs/screenshots/.
screenshots: $(TEST_STAMP)
	scripts/install-axe.sh
	CAREKEY_SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/test_small_screens.py -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests reliability bench examples
	$(BIN)/ruff format --check src tests reliability bench examples
	$(BIN)/mypy src tests reliability examples
	MYPYPATH=bench $(BIN)/mypy bench
	PYTHONPATH=src $(BIN)/lint-imports --no-cache

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix src tests reliability bench examples
	$(BIN)/ruff format src tests reliability bench examples

clean:
	rm -rf $(VENV) var .cache .pytest_cache .mypy_cache .ruff_cache

# Benchmarks (issues #9, #18): `carekey serve` on PostgreSQL (127.0.0.1:5432) at 1 000 and
# 1 000 000 patients beside a bare Django floor, django-otp and allauth.mfa (bench/peers/, in
# their own virtualenv .cache/peers-venv), all measured interleaved by wrk; writes
# bench/RESULTS.md. About 25 minutes on 2 cores. BENCH_QUICK=1 is a smoke run of a few
# minutes (results in var/bench/RESULTS.md); `make bench-check` only checks the peers answer.
.PHONY: bench bench-check
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python bench/run.py

bench-check: $(STAMP)
	$(BIN)/python bench/peers/check.py

# Reliability (issue #8): the attack matrix, OpenAPI fuzzing at 200 examples per operation
# and state, two servers over one PostgreSQL, outages, crashes, and 60 s of load from 50
# simulated patients against 4 workers; writes docs/reliability.md. PostgreSQL must answer
# on 127.0.0.1:5432. RELIABILITY_DATABASE_URL= (empty) runs the in-process part on SQLite.
RELIABILITY_OUT := var/reliability
RELIABILITY_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/carekey_reliability

.PHONY: reliability
reliability: $(TEST_STAMP)
	rm -rf $(RELIABILITY_OUT) && mkdir -p $(RELIABILITY_OUT)
	DATABASE_URL=$(RELIABILITY_DATABASE_URL) CAREKEY_RELIABILITY_FULL=1 \
	  CAREKEY_RELIABILITY_OUT=$(RELIABILITY_OUT) $(BIN)/python -m pytest tests/reliability \
	  -p no:cacheprovider -q; echo $$? > $(RELIABILITY_OUT)/pytest.rc
	$(BIN)/python -m reliability.load --patients 50 --seconds 60 --workers 4 \
	  --out $(RELIABILITY_OUT)/load.json; echo $$? > $(RELIABILITY_OUT)/load.rc
	$(BIN)/python -m reliability.report --results $(RELIABILITY_OUT) --out docs/reliability.md
