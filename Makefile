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

# Most tests run on two processes (pytest-xdist); those that start workers, manage.py or a
# browser (marked "serial" in tests/conftest.py) run after them, one at a time.
test: lint
	status=0; \
	$(BIN)/python -m pytest -n 2 -m "not serial" $(PYTEST_ARGS) || status=1; \
	$(BIN)/python -m pytest -p no:xdist -m serial $(PYTEST_ARGS) || status=1; \
	exit $$status

bench: $(STAMP)
	$(BIN)/python -m bench; status=$$?; $(BIN)/python -m bench.throughput || status=1; exit $$status

clean:
	rm -rf var .pytest_cache .ruff_cache
