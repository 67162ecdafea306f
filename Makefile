# Two commands on a fresh machine with only Python 3.11+:
#   make run    set up .venv and plan the bundled Minle community (63 volunteers, 155 elders)
#   make test   set up .venv and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/matching: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/matching
	$(BIN)/matching pair --volunteers scenarios/minle/volunteers.csv \
		--elders scenarios/minle/elders.csv --relations scenarios/minle/relations.csv \
		--out out/minle
	$(BIN)/matching schedule --volunteers scenarios/minle/volunteers.csv \
		--elders scenarios/minle/elders.csv --relations scenarios/minle/relations.csv \
		--assignments out/minle/assignments.csv --start 2026-01-05 --weeks 13 \
		--out out/minle/schedule

test: $(BIN)/matching
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

bench: $(BIN)/matching
	$(BIN)/python benchmarks/sizes.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
