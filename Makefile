# Syncdeck — `make run` starts the embedded demo, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench migrate seed clean

# The settings default to production (DEBUG off, no sandbox, secrets required); these
# targets run the local demo, so they ask for it explicitly (and so do their prerequisites:
# `make run` migrates and seeds in demo mode too). See README, "Configuration".
run seed test bench: export SYNCDECK_DEMO = true

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

run: seed
	$(BIN)/python manage.py runall

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench; status=$$?; $(BIN)/python -m bench.throughput || status=1; exit $$status

clean:
	rm -rf var .pytest_cache .ruff_cache
