# Two commands for a newcomer: `make run` (install, migrate, serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-sqlite test-postgresql install openapi lint

$(BIN)/jifen: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "jifen needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(BIN)/jifen

## Install, migrate the database (SQLite ./jifen.db unless JIFEN_DATABASE_URL), load policies, serve.
run: install
	$(BIN)/jifen serve

## Lint, layer contracts and types, then the whole suite on SQLite and on PostgreSQL. The two
## runs share nothing (each has its own database), so they run side by side, TEST_JOBS at a
## time (TEST_JOBS=1: one after the other); each run's output is shown whole when it ends.
TEST_JOBS ?= 2

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target test-sqlite test-postgresql

test-sqlite: install
	@echo "=== test run 1/2: SQLite ==="
	JIFEN_TEST_DATABASE=sqlite $(BIN)/python -m pytest

test-postgresql: install
	@echo "=== test run 2/2: PostgreSQL ==="
	JIFEN_TEST_DATABASE=postgresql $(BIN)/python -m pytest

## Regenerate openapi/openapi.json from the live application.
openapi: install
	$(BIN)/jifen openapi
