# Two commands: `make run` and `make test`. Both create .venv and install into it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint schema migration test-sqlite test-postgres clean

$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/storekeeper serve --migrate --demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

schema: install
	$(BIN)/storekeeper export-schema --output schema/schema.graphql

# While an issue is being built its tables are one unreleased migration, rewritten from the models
# (so several people can change models at once); it is frozen when it lands, and the next issue
# names its own here.
MIGRATION_NUMBER := 0014
MIGRATION_NAME := next
migration: install
	rm -f server/migrations/$(MIGRATION_NUMBER)_$(MIGRATION_NAME).py
	$(BIN)/tortoise makemigrations --name $(MIGRATION_NAME)

# The suite runs once per database, each in its own process (Tortoise keeps a model's SQL
# dialect for the life of the process). PostgreSQL runs when STOREKEEPER_TEST_DATABASE_URL is set.
test-sqlite: install
	$(BIN)/pytest -m "not postgres" -q

test-postgres: install
	$(BIN)/pytest tests/server tests/schema -m "not sqlite" -q --backend=postgres

test: lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
