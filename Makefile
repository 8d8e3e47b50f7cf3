# Build and test entry points. CI runs `make test` on a fresh Debian 12 machine as root, so every
# target sets up what it needs itself: system packages (sysdeps), the virtualenv (venv).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; newer pyproject.toml means reinstall.
VENV_STAMP := $(VENV)/.installed-from-pyproject
BENCH_UNITS ?= 10000

# postgresql: the test suite runs against a real server; fonts-wqy-microhei: CJK glyphs for the
# notices; libharfbuzz-subset0: WeasyPrint's fast font subsetter; poppler-utils: pdftotext for
# checking rendered notices.
SYS_PACKAGES := postgresql fonts-wqy-microhei libharfbuzz-subset0 poppler-utils
# Debian's own python3 cannot make a venv without python3-venv (it carries ensurepip).
SYS_PACKAGES += $(shell $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1 || echo python3-venv)

.PHONY: sysdeps venv demo test lint pytest bench clean distclean

sysdeps:
	@scripts/sysdeps.sh $(SYS_PACKAGES)

venv: $(VENV_STAMP)

# sysdeps first (order-only): it may have to install python3-venv.
$(VENV_STAMP): pyproject.toml | sysdeps
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

demo: sysdeps venv
	rm -rf demo
	$(BIN)/billing demo demo/

define LINT
$(BIN)/ruff check .
$(BIN)/ruff format --check .
$(BIN)/mypy billing
endef

# The suite under a throwaway PostgreSQL server (BILLING_TEST_PG_URL); see scripts/with-postgres.sh.
define PYTEST
scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)
endef

test: sysdeps venv
	$(LINT)
	$(PYTEST)

lint: venv
	$(LINT)

pytest: venv
	$(PYTEST)

bench: sysdeps venv
	BENCH_UNITS=$(BENCH_UNITS) $(BIN)/python -m bench

clean:
	rm -rf demo out build dist bench/work .pg .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# clean, and the virtualenv too.
distclean: clean
	rm -rf $(VENV) *.egg-info
