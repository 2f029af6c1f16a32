# GuitarOnline — `make run` for the whole site with demo data, `make test` for the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help:
	@echo "make run       - set up and start the site with demo data (SQLite, no external service)"
	@echo "make test      - set up and run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)"
	@echo "make lint      - ruff, mypy, migrations check"
	@echo "make bench     - the performance benchmark on PostgreSQL and Redis (BENCHMARKS.md)"
	@echo "make lock      - write requirements.txt and requirements-dev.txt (whole tree, hashes) from the .in files"
	@echo "make messages  - compile the translations"
	@echo "make site-venv - .venv with what the site needs (requirements.txt)"
	@echo "make venv      - .venv with that plus the tools (requirements-dev.txt)"

# Two installs from the locked trees (hashes checked): what the site needs
# (`make run`), and that plus the tools (`make test`, `make lint`, `make bench`).
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BIN)/.installed-site: $(BIN)/python requirements.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	@touch $@

$(BIN)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	@touch $@ $(BIN)/.installed-site

site-venv: $(BIN)/.installed-site

venv: $(BIN)/.installed

messages: site-venv
	@$(BIN)/pybabel compile --domain django --directory locale --statistics 2>&1 | grep -v "^$$" || true

# The lock files from the .in files (the direct dependencies); then `make test`.
lock: venv
	$(BIN)/uv pip compile requirements.in --generate-hashes --python-version 3.11 --universal --quiet \
		--custom-compile-command "make lock" -o requirements.txt
	$(BIN)/uv pip compile requirements-dev.in --generate-hashes --python-version 3.11 --universal --quiet \
		--custom-compile-command "make lock" -o requirements-dev.txt

run: site-venv messages
	rm -rf var/cache  # the processes' shared cache: nothing from an earlier run's data
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "GuitarOnline is starting at http://$(HOST):$(PORT)/"
	@echo "Demo logins (password demo-pass-2026): student@demo.guitaronline.local, teacher@demo.guitaronline.local, admin@demo.guitaronline.local"
	@echo "Web server, Celery worker and beat start together; Ctrl-C stops all of them."
	@echo ""
	HOST=$(HOST) PORT=$(PORT) SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(PY) -m guitaronline.devrun -f Procfile.dev start

test: venv messages
	APP_ENV=test $(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	APP_ENV=test $(BIN)/mypy
	$(PY) manage.py makemigrations --check --dry-run

.PHONY: help site-venv venv messages lock run test lint

# make bench: the performance benchmark against PostgreSQL and Redis on 127.0.0.1
# (BENCHMARKS.md). BENCH_ARGS e.g. "--profile all" or "--rebuild"; GUNICORN_WORKERS=3 make bench.
BENCH_ARGS ?=

bench: venv messages
	@[ -n "$$BENCH_DATABASE_URL" ] || bash .ci/services  # local PostgreSQL/Redis running, the role created
	$(PY) -m benchmarks.run $(BENCH_ARGS)

.PHONY: bench
