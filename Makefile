# The two commands a newcomer needs: `make run` and `make test`.  Both set up .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run demo test check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, pinned: pip takes the local CPU build; anything unpinned pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: one monitoring cycle on the configured sources (reewatch.toml) → data/
run: install
	$(BIN)/reewatch run

## demo: the same pipeline against a bundled loopback site, fully offline
demo: install
	$(BIN)/reewatch demo

## test: the test suite (the same command CI runs); installs Debian's chromium for the
## rendering test when it is missing
test: install
	bash scripts/install-chromium.sh
	$(BIN)/python -m pytest

## check: lint, types and the import contracts (pyproject.toml [tool.importlinter])
check: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/reewatch schema --check --out docs/schema.md

## bench: the benchmark suite (docs/benchmarks.md); needs ../shared/data for the real pages
bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache *.egg-info
