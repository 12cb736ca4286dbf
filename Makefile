# Every target creates the virtual environment first when it is missing (or pyproject.toml changed).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready

.PHONY: demo test lint bench bundle clean

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(READY)

demo: $(READY)  ## the sample school's evening: make demo ARGS="--headless --lang en"
	$(BIN)/rollcall demo $(ARGS)

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint  ## lint, then the whole suite
	$(BIN)/pytest

bench: $(READY)  ## benchmarks, each beside its reference measured in the same run
	$(BIN)/python -m tests.bench $(ARGS)

bundle: $(READY)  ## wheels for an offline install (needs PyPI): make bundle ARGS="--arch aarch64"
	$(BIN)/python systemd/bundle.py --out dist/bundle $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
