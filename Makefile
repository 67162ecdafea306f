# Two commands on a fresh machine with only Python 3.11+:
#   make run    set up .venv and run scenarios/minle.toml (63 volunteers, 155 elders)
#   make test   set up .venv and run the tests
#   make serve  set up .venv and start the web console on the bundled Minle data
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test serve lint bench clean

$(BIN)/matching: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/matching
	$(BIN)/matching run scenarios/minle.toml --out out/minle

serve: $(BIN)/matching
	$(BIN)/matching serve --data console-data --programme minle scenarios/minle

test: $(BIN)/matching
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q

bench: $(BIN)/matching
	$(BIN)/python benchmarks/sizes.py

clean:
	rm -rf $(VENV) out console-data .pytest_cache .ruff_cache
