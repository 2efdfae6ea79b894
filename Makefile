# Rounds. `make` or `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

.stamp-install: pyproject.toml $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

.stamp-install-test: pyproject.toml .stamp-install
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json ## Copy front-end libraries (htmx, its SSE extension) from npm into app/static/vendor
	@mkdir -p app/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.min.js app/static/vendor/sse.js

setup: .stamp-install assets i18n-compile ## Install everything Rounds needs to run

migrate: setup ## Apply database migrations
	$(BIN)/rounds migrate

run: setup migrate ## Install, migrate, seed the demo practice, and serve on HOST:PORT (default 127.0.0.1:8000)
	$(BIN)/rounds seed-demo --with-rota
	@echo "Rounds is starting on http://$(HOST):$(PORT)  (Ctrl-C stops it)"
	$(BIN)/rounds serve --host $(HOST) --port $(PORT)

test-setup: setup .stamp-install-test ## Install what the tests need

test: test-setup ## Run the whole suite: unit, integration (SQLite) and browser tests
	$(BIN)/pytest -q tests

test-unit: test-setup ## Unit and integration tests only (no browser)
	$(BIN)/pytest -q tests --ignore=tests/e2e

test-e2e: test-setup ## Browser tests (Playwright in Debian's Chromium)
	$(BIN)/pytest -q tests/e2e

lint: test-setup ## ruff lint and format check
	$(BIN)/ruff check app workers tests
	$(BIN)/ruff format --check app workers tests

i18n-extract: .stamp-install ## Extract translatable strings into app/translations/messages.pot
	$(BIN)/pybabel extract -F babel.cfg -k _ -k ngettext:1,2 -o app/translations/messages.pot .

i18n-init: i18n-extract ## Start a new language: make i18n-init LOCALE=de
	$(BIN)/pybabel init -i app/translations/messages.pot -d app/translations -l $(LOCALE)

i18n-update: i18n-extract ## Merge new strings into every language's catalog
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations

i18n-compile: .stamp-install ## Compile the catalogs (.po to .mo)
	@if ls app/translations/*/LC_MESSAGES/*.po >/dev/null 2>&1; then $(BIN)/pybabel compile -d app/translations; fi

clean: ## Remove installed dependencies and build leftovers (keeps var/, the database)
	rm -rf $(VENV) node_modules app/static/vendor .stamp-* *.egg-info

.PHONY: help assets setup migrate run test-setup test test-unit test-e2e lint i18n-extract i18n-init i18n-update i18n-compile clean
