# The README's two commands: `make demo` and `make test`. Both set up the venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# discord.py's forks, each tested in a venv of its own (py-cord and discord.py both
# install `discord`): <venv name>:<extra>. Installed in parallel, again only when
# pyproject.toml changes.
FORKS := pycord:py-cord nextcord:nextcord disnake:disnake
FORK_STAMP := .venv-forks.stamp

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

$(FORK_STAMP): pyproject.toml
	@set -e; pids=""; for spec in $(FORKS); do name=$${spec%%:*}; extra=$${spec#*:}; \
	  ( test -x .venv-$$name/bin/python || $(PYTHON) -m venv .venv-$$name; \
	    .venv-$$name/bin/python -m pip install -q --disable-pip-version-check \
	      -e ".[$$extra]" "pytest>=8" "pytest-timeout>=2.2" ) & pids="$$pids $$!"; \
	done; for pid in $$pids; do wait $$pid; done
	touch $(FORK_STAMP)

# Each fork's realistic bot, offline, with and without the instrumentation, and under
# opentelemetry-instrument (tests/instrumentation/test_fork_*.py, skipped in .venv).
test-fork: $(FORK_STAMP)
	@set -e; for spec in $(FORKS); do name=$${spec%%:*}; \
	  echo "test-fork: $$name"; \
	  .venv-$$name/bin/python -m pytest --noconftest -p no:cacheprovider -q \
	    tests/instrumentation/test_fork_$$name.py; \
	done

test: lint typecheck pytest test-fork

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .venv-pycord .venv-nextcord .venv-disnake $(FORK_STAMP) .mypy_cache .ruff_cache .pytest_cache .hypothesis
