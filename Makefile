# Two commands for a newcomer: `make run` and `make test`. Each sets up .venv when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-quick lint format migrate emulator bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m webhook_server

MYPY_TARGETS := api bot core storage scheduler emulator *.py
# Extra pytest options, e.g. make test PYTEST_ARGS="--durations=30"
PYTEST_ARGS ?=
# Test processes (pytest-xdist); every worker gets its own databases and Redis keys.
# make test PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(MYPY_TARGETS)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# A development loop: everything but the tests marked slow (real processes, long sweeps).
test-quick: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(MYPY_TARGETS)

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrate: $(STAMP)
	$(PY) -m webhook_server migrate

emulator: $(STAMP)
	$(PY) -m emulator --port 8081

bench: $(STAMP)
	$(PY) bench/api_list.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache

# The long schemathesis run (≥ 20,000 cases; prints its counts as one JSON line).
.PHONY: fuzz
fuzz: $(STAMP)
	$(PY) bench/fuzz.py
