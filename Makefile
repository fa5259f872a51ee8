# One command per task: make install | serve | test | check | bench
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: install serve test check lint bench viewer

install: $(VENV)/.installed viewer

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

# The viewer bundle (web/ -> src/graphport/viewer/static/); needs Node 20 + npm.
viewer:
	@if [ -f web/package.json ]; then \
	  if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
	    (cd web && npm ci --no-audit --no-fund); fi; \
	  (cd web && npm run build); \
	fi

serve: install
	$(VENV)/bin/graphport serve --sample

# The whole suite as CI runs it: OS packages installed when missing, the scale-out services
# started for the run and stopped after (scripts/test.sh).
test: install
	scripts/test.sh

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

check: lint test

bench: install
	$(PY) bench/layout.py
	$(PY) bench/upload.py
	$(PY) bench/client.py
	$(PY) bench/backlog.py
