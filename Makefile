# Usina: two commands on a fresh machine.
#   make run   - virtualenv, install, migrate, seed the demo municipality, serve GraphQL on :8000
#   make test  - virtualenv, install, lint and type-check, run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint lock schema bench bench-http clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The versions come from the lock (requirements-dev.lock, made by `make lock` from
# pyproject.toml); the project itself is installed editable on top, without resolving again.
$(STAMP): $(BIN)/python pyproject.toml requirements-dev.lock
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e '.[dev]'
	touch $(STAMP)

lock:
	bash .ci/lock

run: $(STAMP)
	$(BIN)/usina migrate
	$(BIN)/usina demo seed
	-$(BIN)/usina ide install  # GraphiQL's assets from the npm registry; the CDN if it fails
	USINA_LOG_FORMAT=$${USINA_LOG_FORMAT:-text} $(BIN)/usina serve --host 127.0.0.1 --port 8000

NODE_TOOLS := tests/node/node_modules/.installed

# Test-only npm tools (the GraphQL-over-HTTP audit); versions pinned in its package.json.
$(NODE_TOOLS): tests/node/package.json
	cd tests/node && npm install --silent --no-audit --no-fund --no-package-lock
	touch $(NODE_TOOLS)

HELM := .tools/helm/helm

# A pinned, checksummed helm binary (helm/fetch-helm.sh), for the chart's lint and render tests.
$(HELM): helm/fetch-helm.sh
	bash helm/fetch-helm.sh

test: $(STAMP) $(NODE_TOOLS) $(HELM)
	bash tests/install_chromium.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	# PostgreSQL and Redis: the machine's, or throwaway ones started (and stopped) for the run.
	$(BIN)/python tests/services.py -- $(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

schema: $(STAMP)
	$(BIN)/usina schema export

bench: $(STAMP)
	$(BIN)/python benchmarks/portal_query.py

# The portal query over real HTTP (uvicorn), loaded by wrk (Debian's package).
bench-http: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python benchmarks/http_load.py

clean:
	rm -rf $(VENV) usina.db .usina .pytest_cache
