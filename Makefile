# The README's two commands: `make demo` and `make test`. Both set up the venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

FORK_VENV := .venv-fork

.PHONY: demo test lint typecheck pytest test-fork bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/otel-discord demo $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check otel_discord tests examples benchmarks docs
	$(BIN)/ruff format --check otel_discord tests examples benchmarks docs

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The dispatch/handler hooks on a discord.py fork (disnake), in a venv of its own:
# forks install a `discord`-free package but must not meet discord.py in one env.
test-fork:
	test -x $(FORK_VENV)/bin/python || $(PYTHON) -m venv $(FORK_VENV)
	$(FORK_VENV)/bin/python -m pip install -q --disable-pip-version-check disnake \
		opentelemetry-sdk opentelemetry-instrumentation opentelemetry-instrumentation-system-metrics \
		httpx psutil pytest pytest-timeout
	PYTHONPATH=. $(FORK_VENV)/bin/python -m pytest --noconftest -p no:cacheprovider -q \
		tests/instrumentation/test_fork_disnake.py

test: lint typecheck pytest test-fork

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(FORK_VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
