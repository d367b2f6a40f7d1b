# mcbadge — the two commands a newcomer needs:
#   make run    install what is missing, then serve on http://127.0.0.1:8000 (MCBADGE_HOST / MCBADGE_PORT)
#   make test   install what is missing, then run the whole test suite
# Installs happen only when their inputs changed (stamp files), so repeated runs start at once.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PY_STAMP   := $(VENV)/.installed
NODE_STAMP := interop/node_modules/.installed
PYTEST_ARGS ?=
# make test runs the tests on every core (pytest-xdist); PYTEST_WORKERS=0 runs them in this one process.
PYTEST_WORKERS ?= auto

.DEFAULT_GOAL := help
.PHONY: help run test fuzz bench clean deps deps-python deps-node deps-system

help:
	@echo "make run     start the service (SQLite under var/, dev keys under keys/, 127.0.0.1:8000)"
	@echo "make test    type-check (mypy), then run the whole test suite (Python + pinned Node reference in interop/)"
	@echo "make fuzz    schemathesis against the served app with each role (longer than the suite's run); prints the counts"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make clean   remove the virtualenv, node_modules and caches (never keys/ or var/)"

run: deps-python
	@mkdir -p var
	$(VENV)/bin/mcbadge serve --demo

# The type checker (configuration in pyproject.toml: strict for vc/, every function body elsewhere) runs beside
# the tests, not before them, at the lowest priority (nice 19): it needs ~25 s of one core from cold, which it
# takes from the time the tests' own waits (browsers, servers, subprocesses) leave free rather than from the
# tests; its output is printed when the tests end, and either failing fails the run.
# pytest exits 5 when it collects no test; make fails on any non-zero exit, so an empty run fails too.
# worksteal: each worker starts on a contiguous share of the tests (so a module's browser or server is
# set up about once per worker) and takes over half of another's remaining share when it runs out.
# Then the tests marked slow, alone: the hostile-load test measures latency, which other tests running beside
# it on the same cores would distort (exit 5 there only means PYTEST_ARGS selected none of them). They live in
# tests/hardening/ (tests/conftest.py refuses a slow test elsewhere), so only that folder is collected.
test: deps-python deps-node
	@# Bytecode written once: where PYTHONDONTWRITEBYTECODE is set (CI's machines), every pytest worker and every
	@# command a test starts would otherwise compile mcbadge again (~0.4 s each).
	@$(PY) -m compileall -q src tests >/dev/null
	@mkdir -p var; nice -n 19 $(PY) -m mypy >var/mypy.out 2>&1 & typing=$$!; \
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal -m "not slow" $(PYTEST_ARGS); tests=$$?; \
	wait $$typing; typed=$$?; echo "mypy:"; cat var/mypy.out; \
	[ $$typed -eq 0 ] && [ $$tests -eq 0 ]
	$(PY) -m pytest -m slow -s tests/hardening $(PYTEST_ARGS) || [ $$? -eq 5 ]

# The suite's schemathesis test (tests/api/test_fuzz.py) sends a few cases per operation; this sends more
# (FUZZ_ARGS: --max-examples N, --seed S, --roles admin,educator, --database-url URL, --verbose).
FUZZ_ARGS ?=
fuzz: deps-python
	PYTHONPATH=. $(PY) -m tests.fuzzing $(FUZZ_ARGS)

# By hand, on an otherwise idle machine: each prints its figures (and the Node reference's, same run).
bench: deps-python deps-node
	$(PY) bench/bench_sign_verify.py
	$(PY) bench/bench_verify_http.py
	$(PY) bench/bench_awards.py
	$(PY) bench/bench_bulk_awards.py
	$(PY) bench/bench_designation_http.py
	$(PY) bench/bench_workers_http.py

deps: deps-python deps-node

deps-python: $(PY_STAMP)

# The machine's Python 3.11: $(PYTHON) if it is 3.11, else python3.11 if installed.
$(PY):
	@py="$(PYTHON)"; \
	if ! "$$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
		if command -v python3.11 >/dev/null 2>&1; then py=python3.11; \
		else echo "error: mcbadge needs Python 3.11 (tried '$(PYTHON)' and python3.11); run 'make PYTHON=/path/to/python3.11'" >&2; exit 1; fi; \
	fi; \
	echo "creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

deps-node: $(NODE_STAMP) | deps-system

$(NODE_STAMP): interop/package-lock.json interop/package.json | deps-system
	cd interop && npm ci --no-audit --no-fund
	@touch $@

# ---- system packages ------------------------------------------------------------------------------
# Tools that come from the OS package manager, not from pip or npm. Each is checked here with a one-line
# message saying how to get it; PostgreSQL is installed with apt-get when we are root (as on CI).
# Chromium (Debian's, driven by Playwright for the page tests) the same way: Playwright never downloads one.
deps-system:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing PostgreSQL (apt-get install postgresql) for the PostgreSQL tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
		elif [ "$${CI:-}" = true ]; then \
			echo "error: PostgreSQL server binaries (initdb, pg_ctl) are needed for the tests: install them, e.g. 'apt-get install postgresql'" >&2; exit 1; \
		else \
			echo "note: no PostgreSQL server binaries (initdb, pg_ctl): the PostgreSQL tests will skip ('apt-get install postgresql')"; \
		fi; \
	fi
	@if ! [ -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Chromium (apt-get install chromium) for the page tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
		elif [ "$${CI:-}" = true ]; then \
			echo "error: Debian's chromium (/usr/bin/chromium) is needed for the page tests: install it, e.g. 'apt-get install chromium'" >&2; exit 1; \
		else \
			echo "note: no /usr/bin/chromium: the page tests (tests/web/test_web_pages.py) will skip ('apt-get install chromium')"; \
		fi; \
	fi
	@if ! [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing DejaVu fonts (apt-get install fonts-dejavu-core) for the printable certificate"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core >/dev/null; \
		else \
			echo "note: no DejaVu fonts: certificates print non-Latin-1 names as '?' ('apt-get install fonts-dejavu-core')"; \
		fi; \
	fi
	@if [ "$${CI:-}" = true ] && ! [ -x /usr/bin/chromium ]; then \
		echo "error: /usr/bin/chromium is still missing after installing it: the page tests cannot run" >&2; exit 1; \
	fi
	@command -v node >/dev/null 2>&1 || { echo "error: Node.js >= 20 is needed for the interop tests (interop/): install it, e.g. 'apt-get install nodejs npm'" >&2; exit 1; }
	@command -v npm >/dev/null 2>&1 || { echo "error: npm is needed to install the Node reference (interop/): install it, e.g. 'apt-get install npm'" >&2; exit 1; }

clean:
	rm -rf $(VENV) interop/node_modules .pytest_cache .mypy_cache build dist test-artifacts
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -not -path './.git/*' -exec rm -rf {} +
