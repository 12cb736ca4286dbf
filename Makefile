# Every target creates the virtual environment first when it is missing (or pyproject.toml changed).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready

.PHONY: demo test test-dates lint bench bundle screenshots clean

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,server]'
	touch $(READY)

demo: $(READY)  ## the sample school's whole day: make demo ARGS="--headless --lang en"
	$(BIN)/rollcall demo $(ARGS)

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint  ## lint, then the whole suite
	$(BIN)/pytest

# The tests that run in one process, again a year ahead under libfaketime (Debian's faketime): no test
# may depend on today's date. Not the whole suite: libfaketime's clock_nanosleep breaks time.sleep in
# subprocess waits and hangs asyncio's loop in the tests that need one.
DATED_TESTS := tests/test_rules.py tests/test_report.py tests/test_timetable.py tests/test_projection.py \
	tests/test_store.py tests/test_whole_day.py tests/test_day_properties.py tests/test_cli.py \
	tests/sync/test_clock.py tests/office/test_rota.py tests/office/test_attendance.py tests/office/test_pay.py \
	tests/office/test_fees.py tests/office/test_activities.py tests/office/test_formation.py
test-dates: $(READY)
	faketime -f '+365d' $(BIN)/pytest -p no:cacheprovider $(DATED_TESTS)

bench: $(READY)  ## benchmarks, each beside its reference measured in the same run
	$(BIN)/python -m tests.bench $(ARGS)
	$(BIN)/python -m tests.bench_district $(ARGS)
	$(BIN)/python -m tests.bench_pgstore $(ARGS)

bundle: $(READY)  ## wheels for an offline install (needs PyPI): make bundle ARGS="--arch aarch64"
	$(BIN)/python systemd/bundle.py --out dist/bundle $(ARGS)

screenshots: $(READY)  ## the README's PNGs in docs/screens/ from real runs in tmux (about 35 s; tmux, fonts-noto-cjk)
	$(BIN)/python -m tests.screens.shoot $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
