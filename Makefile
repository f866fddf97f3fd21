# Quick start: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3.13
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Debian packages the tests need, as "command:package" pairs.
SYSTEM_PACKAGES := /usr/bin/chromium:chromium /usr/lib/postgresql/15/bin/postgres:postgresql /usr/bin/redis-server:redis-server

.PHONY: install run test test-fast bench lint system-packages lock clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is missing. Install Python 3.13 (for example with pyenv) and run make again."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

run: install
	PORT=$(PORT) $(BIN)/python -m config.launcher

test: install system-packages
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not browser"

# Runs the benchmarks on 127.0.0.1 in about 6 minutes and prints their figures (BENCHMARKS.md).
# BENCH_QUICK=1 shortens every step to check the benchmark itself in about 2 minutes.
bench: install
	BENCH_QUICK=$(BENCH_QUICK) $(BIN)/python -m bench.run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Installs missing Debian packages when running as root (as CI does); otherwise prints the command.
system-packages:
	@missing=""; \
	for pair in $(SYSTEM_PACKAGES); do \
	  command="$${pair%%:*}"; package="$${pair##*:}"; \
	  [ -x "$$command" ] || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "Missing Debian packages. Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

# Regenerates requirements.lock from pyproject.toml with exact versions and hashes.
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.13 --generate-hashes --no-header -o requirements.lock

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
