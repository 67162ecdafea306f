# Two commands on a fresh machine with only Python 3.11+:
#   make run    set up .venv and run scenarios/minle.toml (63 volunteers, 155 elders)
#   make test   set up .venv and run the tests
#   make serve  set up .venv and start the web console on the bundled Minle data
#   make test-quick  the tests not marked slow, for the inner loop (under a minute on 2 cores)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
# every install takes the versions CI tested (constraints.txt); the plain install is the
# engine, `test` adds every extra, the test tools and the type checker
PIP = $(BIN)/python -m pip install --quiet -c constraints.txt

.PHONY: run test test-quick serve lint types bench constraints clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# what the default run needs: the engine alone
$(VENV)/.engine: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	touch $@

$(VENV)/.console: $(VENV)/.engine
	$(PIP) -e '.[console]'
	touch $@

$(VENV)/.test: $(VENV)/.engine
	$(PIP) -e '.[test]'
	touch $(VENV)/.console $@

run: $(VENV)/.engine
	$(BIN)/matching run scenarios/minle.toml --out out/minle

serve: $(VENV)/.console
	$(BIN)/matching serve --data console-data --programme minle scenarios/minle

# Two workers, each taking whole test files: a file's module fixtures (a console that
# lived through a sequence of re-plans, a toured site) are built once, on one worker.
# (xdist's loadgroup does not group under pytest 9: its group suffix no longer reaches the
# test ids.) The files go out in the order tests/helpers/quick.py sets, longest first; by
# default xdist would reorder them by their number of tests.
PYTEST = $(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

test: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/mypy
	$(PYTEST)

test-quick: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks docs
	$(PYTEST) -m "not slow"

types: $(VENV)/.test
	$(BIN)/mypy

# the lock: a fresh environment with every extra, frozen (then run make test on it)
constraints:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet -e '.[test]'
	(head -2 constraints.txt; .venv-lock/bin/python -m pip freeze --exclude-editable) \
		> constraints.new && mv constraints.new constraints.txt && rm -rf .venv-lock

bench: $(VENV)/.test
	$(BIN)/python benchmarks/sizes.py

clean:
	rm -rf $(VENV) out console-data .pytest_cache .ruff_cache
