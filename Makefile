# Everything a fresh machine needs, from nothing but Python 3.11 and make.
#   make demo   installs, starts the embedded Admin API emulator and runs the main job against it
#   make test   installs and runs the whole suite (lint, types, tests on Airflow 3.2 and 3.3)
# Installs are reproducible: uv (pinned below) syncs each environment from the committed uv.lock.

PYTHON      ?= python3
UV_VERSION  := 0.13.9
TOOLS       := .tools
UV          := $(TOOLS)/bin/uv
VENV_NEW    := .venv-af33
VENV_OLD    := .venv-af32
VENV_CELERY := .venv-celery
PYTEST_ARGS ?=

export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(shell command -v $(PYTHON))

.PHONY: help install demo test test-newest test-oldest lint typecheck bench bench-exports soak e2e-celery clean

help:
	@echo "make demo    run the main job against the embedded emulator"
	@echo "make test    lint, type-check and run the suite on Airflow 3.3 and 3.2"
	@echo "make bench   run the benchmark and write docs/performance.md"
	@echo "make soak    run the reliability suite with many more randomized repetitions"
	@echo "make e2e-celery  parallel sync on a CeleryExecutor deployment (2 workers, Valkey broker and budget)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV_NEW)/.synced: $(UV) uv.lock pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(VENV_NEW) $(UV) sync --locked --quiet --group dev --group airflow-3-3
	@touch $@

$(VENV_OLD)/.synced: $(UV) uv.lock pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(VENV_OLD) $(UV) sync --locked --quiet --group dev --group airflow-3-2
	@touch $@

$(VENV_CELERY)/.synced: $(UV) uv.lock pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(VENV_CELERY) $(UV) sync --locked --quiet --group dev --group airflow-3-3 --group e2e-celery
	@touch $@

install: $(VENV_NEW)/.synced $(VENV_OLD)/.synced

demo: $(VENV_NEW)/.synced
	$(VENV_NEW)/bin/python scripts/demo.py

lint: $(VENV_NEW)/.synced
	$(VENV_NEW)/bin/ruff check .
	$(VENV_NEW)/bin/ruff format --check .

typecheck: $(VENV_NEW)/.synced
	$(VENV_NEW)/bin/mypy

test-newest: $(VENV_NEW)/.synced
	$(VENV_NEW)/bin/python -m pytest $(PYTEST_ARGS)

test-oldest: $(VENV_OLD)/.synced
	$(VENV_OLD)/bin/python -m pytest -m "not demo" $(PYTEST_ARGS)

test: lint typecheck test-newest test-oldest

bench: $(VENV_NEW)/.synced
	$(VENV_NEW)/bin/python -m benchmarks

bench-exports: $(VENV_NEW)/.synced
	$(VENV_NEW)/bin/python -m benchmarks.exports

soak: $(VENV_NEW)/.synced
	$(VENV_NEW)/bin/python -m pytest tests/reliability --soak

# Not part of make test: starts a whole Celery deployment (a few minutes); writes its figures
# into docs/performance.md.
e2e-celery: $(VENV_CELERY)/.synced
	$(VENV_CELERY)/bin/python -m benchmarks.e2e_celery

clean:
	rm -rf $(TOOLS) $(VENV_NEW) $(VENV_OLD) $(VENV_CELERY) .pytest_cache .mypy_cache .ruff_cache
