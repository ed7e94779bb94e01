# Both entry points build .venv themselves from the locks in requirements/: nothing to
# install by hand, and every install gets exactly the versions (and files, by hash) tested.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
TEST_STAMP := $(VENV)/.test-stamp
LOCK_TOOLS := .lock-tools
DATA ?= daiban-data
ARGS ?=
# One universal resolution for every platform and Python from 3.11 on, with hashes and no
# index addresses: `pip install --require-hashes` then refuses anything the lock did not name.
COMPILE = $(LOCK_TOOLS)/bin/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock"

NODE_MODULES := runner/node_modules/.package-lock.json

.PHONY: run test browser screenshots lint format bench clean lock upgrade runner-app runner-check

# A changed lock rebuilds .venv from nothing, so no package of an older lock stays behind.
$(RUN_STAMP): requirements/run.txt requirements/test.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/run.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(TEST_STAMP): requirements/test.txt $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/test.txt
	touch $@

run: $(RUN_STAMP)
	$(BIN)/python -m hub.demo.quickstart --data $(DATA) $(ARGS)

test: lint browser runner-check
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not serial"
	$(BIN)/python -m pytest -m serial

# The browser tests drive Debian's Chromium (Playwright only speaks to it; it downloads no
# browser) and need a CJK font, or the screenshots show boxes for every Chinese character.
browser:
	@if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif command -v apt-get >/dev/null; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get install -y -q chromium fonts-wqy-microhei >/dev/null \
		|| { $$sudo apt-get update -q && $$sudo apt-get install -y -q chromium fonts-wqy-microhei; }; \
	else echo "The browser tests need Chromium at /usr/bin/chromium and a CJK font." >&2; exit 1; fi

# The runner's phone app: JavaScript in runner/, bundled by esbuild into hub/web/runner_dist/,
# which is committed so that `make run` needs no Node. `npm ci` installs exactly
# runner/package-lock.json; the JavaScript tests (tests/runner) and the bundle check need it.
$(NODE_MODULES): runner/package.json runner/package-lock.json
	@command -v npm >/dev/null || { echo "The runner app's build and tests need Node.js 20 or newer with npm." >&2; exit 1; }
	cd runner && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# After editing runner/src or runner/static: rebuild the bundle, then commit it with the sources.
runner-app: $(NODE_MODULES)
	cd runner && node build.mjs

# The committed bundle is byte for byte what the sources build.
runner-check: $(NODE_MODULES)
	cd runner && node build.mjs --check

# Refreshes the guides' pictures in docs/img from the browser tests' screenshots: every
# picture a guide names, so the list lives in the guides.
screenshots: $(TEST_STAMP) browser
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser
	@mkdir -p docs/img
	@for name in $$(grep -oh 'img/[a-z0-9-]*\.png' docs/guide-*.md docs/runner.md | sort -u | sed 's|img/||'); do \
		cp artifacts/screenshots/*/[0-9][0-9]-$$name docs/img/$$name || exit 1; \
	done

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(TEST_STAMP) browser
	$(BIN)/python bench/bench_protocol.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_sync.py
	$(BIN)/python bench/bench_lists.py
	$(BIN)/python bench/bench_runner.py

# `make lock` after editing pyproject.toml: keeps every pin it can. `make upgrade`: the newest
# versions pyproject.toml admits. Both write requirements/*.txt; commit them with the change.
# The run lock is resolved inside the test lock, so the two never disagree on a version.
$(LOCK_TOOLS)/bin/uv: requirements/uv.txt
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet --require-hashes -r requirements/uv.txt

lock: $(LOCK_TOOLS)/bin/uv
	$(COMPILE) $(UPGRADE) pyproject.toml requirements/installer.in --extra test -o requirements/test.txt
	$(COMPILE) pyproject.toml requirements/installer.in -c requirements/test.txt -o requirements/run.txt

upgrade:
	$(MAKE) lock UPGRADE=--upgrade

clean:
	rm -rf $(VENV) $(LOCK_TOOLS) .pytest_cache .ruff_cache .mypy_cache runner/node_modules
