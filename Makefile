# Two commands on a fresh machine with only Python 3.11+:
#   make run    set up .venv and run scenarios/minle.toml (63 volunteers, 155 elders)
#   make test   set up .venv and run the tests
#   make serve  set up .venv and start the web console on the bundled Minle data
#   make test-quick  the tests not marked slow, for the inner loop (under a minute on 2 cores)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test test-quick serve lint bench clean

$(BIN)/matching: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/matching
	$(BIN)/matching run scenarios/minle.toml --out out/minle

serve: $(BIN)/matching
	$(BIN)/matching serve --data console-data --programme minle scenarios/minle

# Two workers; the browser tests share one group so that one Chromium runs at a time.
PYTEST = $(BIN)/python -m pytest -q -n 2 --dist loadgroup

test: $(BIN)/matching
	$(BIN)/ruff check src tests benchmarks docs
	$(PYTEST)

test-quick: $(BIN)/matching
	$(BIN)/ruff check src tests benchmarks docs
	$(PYTEST) -m "not slow"

bench: $(BIN)/matching
	$(BIN)/python benchmarks/sizes.py

clean:
	rm -rf $(VENV) out console-data .pytest_cache .ruff_cache
