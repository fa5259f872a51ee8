# One command per task: make install | serve | test | check | bench
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: install serve test test-all check lint typecheck webtest bench viewer

install: $(VENV)/.installed $(VENV)/.layout-compiled viewer

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

# The layout engine's numba kernels compiled once into their on-disk cache (20-60 s the first
# time), so neither the first plot of `make serve` nor a test waits for the compiler.
$(VENV)/.layout-compiled: $(VENV)/.installed $(wildcard src/graphport/layout/*.py)
	$(PY) -c "import graphport.layout as layout; layout.warm_up()"
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

# The fast tier (tests/_tiers.py: no reliability suites, the scale stack where it is what is tested,
# a few browser tests): OS packages installed when missing, the scale-out services started for the
# run and stopped after (scripts/test.sh). `make test-all` runs everything, as CI does (.ci/run).
test: install
	GRAPHPORT_TEST_TIER=fast scripts/test.sh

test-all: install
	GRAPHPORT_TEST_TIER=full scripts/test.sh

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The viewer's TypeScript: type check, then its unit tests (web/test; run when package.json has them).
typecheck: install
	@if [ -f web/package.json ]; then \
	  if node -e 'process.exit(require("./web/package.json").scripts?.typecheck ? 0 : 1)'; then \
	    (cd web && npm run --silent typecheck); \
	  else (cd web && npx --no-install tsc --noEmit -p .); fi; \
	fi

webtest: install
	@if [ -f web/package.json ] && node -e 'process.exit(require("./web/package.json").scripts?.test ? 0 : 1)'; then \
	  (cd web && npm test --silent); \
	fi

check: lint typecheck webtest test

bench: install
	$(PY) bench/layout.py
	$(PY) bench/upload.py
	$(PY) bench/client.py
	$(PY) bench/backlog.py
