# Generative Atlas. `make run` serves the site on the embedded default; `make test` runs the whole suite on
# PostgreSQL. Both create .venv and install the pinned requirements first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/atlas
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast lint format install install-dev services chromium citation-tools fashion-mnist migrate load bench clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput

load: migrate
	$(PY) manage.py load_catalog

# The web server and a Celery worker (with the reaper) together, on the SQLite-file broker unless
# CELERY_BROKER_URL names Redis or RabbitMQ.
run: load
	$(PY) manage.py serve_with_worker $(HOST):$(PORT)

# Start the local PostgreSQL, Redis and RabbitMQ if they are installed here and not answering (CI machines
# run them already); the tests use all three.
answers = $(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', $(1)), 2)" 2>/dev/null
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@$(call answers,6379) || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
		--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@$(call answers,5672) || { rabbitmq-server -detached && for i in $$(seq 60); do \
		$(call answers,5672) && break; sleep 1; done; $(call answers,5672); }

# Browser tests drive Debian's Chromium; install it when it is missing and we may.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The 28x28 zoo trains and is evaluated on Fashion-MNIST, which Debian ships whole (the four IDX files under
# /usr/share/datasets/fashion-mnist); the site itself runs from the committed checkpoints without it.
fashion-mnist:
	@test -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null; }

# ruff, and the dependency rules of DESIGN.md (import-linter; the contracts are in pyproject.toml).
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The citation tests compile the exports with the real clients: bibtex (natbib, plainnat), biber (biblatex)
# and pandoc's citeproc. Debian's smallest set that has them all; installed when missing and we may.
CITATION_PACKAGES = texlive-latex-base texlive-latex-recommended texlive-bibtex-extra biber pandoc
citation-tools:
	@{ command -v bibtex && command -v biber && command -v pandoc && kpsewhich plainnat.bst biblatex.sty; } >/dev/null \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$(CITATION_PACKAGES) >/dev/null; }

test: install-dev services chromium citation-tools fashion-mnist lint
	DATABASE_URL=$(PG_URL) $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest

# The fast tier, for the edit-test loop: no worker processes, no browser, no schemathesis run (CI runs them
# all with `make test`). Needs PostgreSQL only.
test-fast: install-dev
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -m "not worker and not browser and not schemathesis" -q

# Benchmarks print figures; they are not tests. Each needs PostgreSQL; generation also needs Redis.
bench: install-dev services
	DATABASE_URL=$(PG_URL) $(PY) bench/bibtex.py
	DATABASE_URL=$(PG_URL) $(PY) bench/web.py
	DATABASE_URL=$(PG_URL) $(PY) bench/api.py
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=redis://127.0.0.1:6379/0 $(PY) bench/generation.py
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=redis://127.0.0.1:6379/0 $(PY) bench/explorer.py
	DATABASE_URL=$(PG_URL) $(PY) bench/recovery.py

# An open data release of the content files (loaded first) into RELEASES_DIR (default data/releases/), named by
# DATE=YYYY-MM-DD (default today, UTC), diffed against the newest earlier release there, then validated.
# FORCE=1 replaces a release of the same date. /data/ lists what is there.
release: install-dev load
	$(PY) manage.py export_release --date $(or $(DATE),$(shell date -u +%F)) $(if $(FORCE),--force)
	$(VENV)/bin/frictionless validate $(or $(RELEASES_DIR),data/releases)/$(or $(DATE),$(shell date -u +%F))/datapackage.json

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .hypothesis
