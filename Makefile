# Two entry points: `make run` serves the demo, `make test` runs every check. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check

.PHONY: run test test-timeshift lint typecheck pytest openapi bench soak fuzz-api audit clean

$(BIN)/python:
	@echo "== creating $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

# `make run` shows pip's progress (the first install takes a minute); `make test` keeps it to one line.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "== installing Voltway and its dependencies into $(VENV)"
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	@echo "== installing Voltway with its test tools into $(VENV) (a minute or two the first time)"
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed

# Serves the API and the OCPP bridge, connects the demo's simulated chargers, and prints where everything is.
run: $(VENV)/.installed
	@$(BIN)/voltway db upgrade
	@$(BIN)/voltway seed demo --if-empty
	@$(BIN)/voltway chat train --if-stale
	@$(BIN)/voltway serve --simulate

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

# The tests with the machine's clock a year ahead and a year back (libfaketime; PostgreSQL keeps real time).
# Monotonic clocks stay real, so timeouts keep their length; tests/timeshift/real_sleep.c keeps sleeps working.
FAKETIME_LIB ?= $(firstword $(wildcard /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1))
TIMESHIFTS ?= +365d -365d

$(VENV)/real_sleep.so: tests/timeshift/real_sleep.c | $(BIN)/python
	$(CC) -shared -fPIC -O2 -o $@ $<

test-timeshift: $(VENV)/.installed-test $(VENV)/real_sleep.so
	@test -n "$(FAKETIME_LIB)" || { echo "make test-timeshift needs libfaketime: apt-get install libfaketime"; exit 2; }
	@for shift in $(TIMESHIFTS); do \
		echo "== tests with the clock shifted $$shift"; \
		LD_PRELOAD="$(CURDIR)/$(VENV)/real_sleep.so $(FAKETIME_LIB)" FAKETIME="$$shift" FAKETIME_DONT_FAKE_MONOTONIC=1 \
			$(BIN)/pytest -q $(PYTEST_ARGS) || exit 1; \
	done

openapi: $(VENV)/.installed
	$(BIN)/voltway openapi

# Schemathesis on every operation of the served API, on SQLite and PostgreSQL, with many more examples than
# `make test` runs (FUZZ_EXAMPLES per operation, caller and mode).
FUZZ_EXAMPLES ?= 100
fuzz-api: $(VENV)/.installed-test
	VOLTWAY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider tests/contract/test_api_fuzzing.py

# Known vulnerabilities in the installed dependencies (needs the network; the README records the last result).
audit: $(VENV)/.installed-test
	$(BIN)/pip-audit --progress-spinner off --skip-editable

bench: $(VENV)/.installed-test
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Two serving processes on a fresh PostgreSQL database with 20,000 chargers and 1,000 app users for 20 minutes;
# SOAK_ARGS changes that (e.g. SOAK_ARGS="--minutes 2 --chargers 2000 --users 100"). Report in bench/results/.
soak: $(VENV)/.installed-test
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
