# Both entry points build .venv themselves from pyproject.toml: nothing to install by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA ?= daiban-data
ARGS ?=

.PHONY: run test browser screenshots lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m hub.quickstart --data $(DATA) $(ARGS)

test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium (Playwright only speaks to it; it downloads no
# browser) and need a CJK font, or the screenshots show boxes for every Chinese character.
browser:
	@if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif command -v apt-get >/dev/null; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get install -y -q chromium fonts-wqy-microhei >/dev/null \
		|| { $$sudo apt-get update -q && $$sudo apt-get install -y -q chromium fonts-wqy-microhei; }; \
	else echo "The browser tests need Chromium at /usr/bin/chromium and a CJK font." >&2; exit 1; fi

# Refreshes the guides' pictures in docs/img from the browser tests' screenshots: every
# picture a guide names, so the list lives in the guides.
screenshots: $(STAMP) browser
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/browser
	@mkdir -p docs/img
	@for name in $$(grep -oh 'img/[a-z0-9-]*\.png' docs/guide-*.md | sort -u | sed 's|img/||'); do \
		cp artifacts/screenshots/*/[0-9][0-9]-$$name docs/img/$$name || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/bench_protocol.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_sync.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
