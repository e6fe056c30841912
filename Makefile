# The Makefile makes .venv on first use; every target works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test run bench lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "newsbot needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)  ## serve the sample news site, poll it into data/demo.db, print the digest
	$(BIN)/newsbot demo

test: $(STAMP)  ## the whole test suite (PostgreSQL too when NEWSBOT_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest -n 2

run: $(STAMP)  ## the service: polling and daily digests (config/newsbot.toml)
	$(BIN)/newsbot run

bench: $(STAMP)  ## benchmarks with their baselines
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/commands.py
	$(BIN)/python bench/delivery.py
	$(BIN)/python bench/index.py
	$(BIN)/python bench/summarize.py

lint: $(STAMP)  ## ruff and hadolint
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
