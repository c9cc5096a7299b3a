# The two entry points of the README. Both set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MJML_NODE_DIR := tests/fidelity
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test setup test-setup bench

$(BIN)/hub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/hub

setup: $(BIN)/hub

demo: setup
	$(BIN)/hub demo

# Debian's chromium for the browser tests, the official MJML (npm, pinned) for the fidelity test.
test-setup: setup
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }
	@[ -x $(MJML_NODE_DIR)/node_modules/.bin/mjml ] || \
		npm ci --silent --no-audit --no-fund --prefix $(MJML_NODE_DIR) >/dev/null

# Lint, then the type check (mypy --strict, files and options in pyproject's [tool.mypy]), then
# the tests, whatever the first two say, so one run reports all three; it fails if any failed.
test: test-setup
	@lint=0; types=0; tests=0; \
	$(BIN)/ruff check . && $(BIN)/ruff format --check . || lint=$$?; \
	$(BIN)/mypy || types=$$?; \
	$(BIN)/pytest || tests=$$?; \
	for code in $$lint $$types $$tests; do [ $$code = 0 ] || exit $$code; done

bench: test-setup
	$(BIN)/python bench/render.py
	$(BIN)/python bench/feeds.py
	$(BIN)/python bench/send.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/registrations.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/discord.py
