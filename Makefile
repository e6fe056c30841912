# The Makefile makes .venv on first use; every target works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# Locks: requirements.lock pins the runtime, dev and eval extras (make, CI); requirements-runtime.lock
# the same versions of the runtime alone (the Dockerfile). Both carry hashes; `make lock` makes them.
LOCK := requirements.lock
RUNTIME_LOCK := requirements-runtime.lock
# Dependencies other branches are adding to pyproject.toml, pinned ahead of their merge; drop a
# line once pyproject.toml names it.
UV_COMPILE := pip compile --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --no-header --quiet

.PHONY: demo test run bench bench-scale bench-curves lint lock clean pictures

# Installs exactly the locked versions (pip's hash-checking mode) and nothing else: --no-deps, as
# the lock lists every dependency, so pip resolves nothing against the index (it once fetched a
# newer lxml for justext's `lxml[html_clean]` and refused it, unpinned); `pip check` then says
# if the lock misses one. Then newsbot itself; works with the pip a fresh venv comes with.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "newsbot needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip check
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)  ## serve the sample news site, poll it into data/demo.db, print the digest
	$(BIN)/newsbot demo

# Debian's chromium, for the status page's browser test and the README's pictures (playwright
# drives this browser; it downloads none of its own).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get install -y --no-install-recommends chromium \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium; }

# Chinese, Japanese and Korean letters for the trend charts (bot/digest/chart.py CJK_FONTS).
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
$(CJK_FONT):
	$(SUDO) apt-get install -y --no-install-recommends fonts-wqy-microhei \
		|| { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends fonts-wqy-microhei; }

test: $(STAMP) $(CHROMIUM) $(CJK_FONT)  ## the whole test suite (PostgreSQL too when NEWSBOT_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest -n 2

pictures: $(STAMP) $(CHROMIUM) $(CJK_FONT)  ## docs/trend.png and docs/status.png, the README's pictures
	$(BIN)/python -m bot.demo.pictures docs

run: $(STAMP)  ## the service: polling and daily digests (config/newsbot.toml)
	$(BIN)/newsbot run

bench: $(STAMP)  ## benchmarks with their baselines
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/commands.py
	$(BIN)/python bench/delivery.py
	$(BIN)/python bench/index.py
	$(BIN)/python bench/summarize.py

bench-scale: $(STAMP)  ## ingest, a 304 poll round and a SIGKILL with 1 and 2 workers; delivery with 2, one killed, and replies meanwhile; indexing at 1k-100k stored (needs PostgreSQL)
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/scale_delivery.py
	$(BIN)/python bench/scale_replies.py
	$(BIN)/python bench/index_stored.py

bench-curves: $(STAMP)  ## /company and /ask at 10k, 100k and 1M articles on PostgreSQL (~20 min)
	$(BIN)/python bench/cost_curves.py --sizes 10000,100000,1000000

lint: $(STAMP)  ## ruff, the import contract (pyproject.toml [tool.importlinter]) and hadolint
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/hadolint Dockerfile

lock:  ## re-pin requirements*.lock from pyproject.toml (newest versions within its bounds)
	test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet 'uv>=0.9,<1'; }
	$(BIN)/uv $(UV_COMPILE) pyproject.toml --extra dev --extra eval -o $(LOCK)
	$(BIN)/uv $(UV_COMPILE) pyproject.toml -c $(LOCK) -o $(RUNTIME_LOCK)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .import_linter_cache
