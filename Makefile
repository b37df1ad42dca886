# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck bench clean core pure

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# The trading core compiled in place with mypyc (scripts/build_core.py; a no-op when it matches the source).
# PERPBOT_PURE_PYTHON=1 or `make pure` runs it interpreted instead: same source, same results.
core: $(BIN)/.installed
	$(BIN)/python scripts/build_core.py

pure: $(BIN)/.installed
	$(BIN)/python scripts/build_core.py --clean

demo: core
	$(BIN)/perpbot backtest --config examples/config.json

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: $(BIN)/.installed
	$(BIN)/mypy

test: lint typecheck core
	$(BIN)/pytest -q

bench: core
	$(BIN)/python benchmarks/bench_backtest.py

clean:
	-$(BIN)/python scripts/build_core.py --clean
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build
