# Reuse Exchange. `make run` runs the platform, `make test` the tests.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install messages extract setup run test lint imports bench clean

$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed, found " + sys.version)'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(INSTALLED)

install: $(INSTALLED)

# Compile the NL/FR/DE translations (Babel: no system gettext needed).
messages: install
	$(VENV)/bin/pybabel compile --domain django --directory locale >/dev/null
	$(VENV)/bin/pybabel compile --domain django --directory locale/allauth >/dev/null

# Gather new strings of the code and templates into the NL/FR/DE catalogues (needs GNU
# gettext, a developer's tool); translate what is new, then `make messages`.
extract: install
	$(PY) manage.py makemessages -l nl -l fr -l de --no-location --no-obsolete \
		--ignore='.venv/*' --ignore='var/*' --ignore='media/*'

setup: messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

# The demo asks nobody for a second factor unless EXCHANGE_SECOND_FACTOR_REQUIRED=true.
run: setup
	EXCHANGE_SECOND_FACTOR_REQUIRED=$${EXCHANGE_SECOND_FACTOR_REQUIRED:-false} $(PY) manage.py run_platform

# The suite runs on TEST_WORKERS processes (pytest-xdist), each with its own test database
# and broker queue. One test alone: make test PYTEST_ARGS="-n0 tests/api/test_lots.py::test_x"
# Python keeps its bytecode and pytest its rewritten test modules in __pycache__ even where
# the shell says PYTHONDONTWRITEBYTECODE: without them every worker, and every server or
# worker process a test starts, compiles the whole project again (about 7 s of CPU each).
TEST_WORKERS ?= 2
test: messages
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The order of the apps: imports go down it, never up (contracts in pyproject.toml).
imports: install
	$(VENV)/bin/lint-imports

# Load-test figures on PostgreSQL (bench/README.md): 100 000 lots, the lots API through
# gunicorn, photo processing; 200 concurrent claims through gunicorn; matching with 50 000
# wanted requests; statistics and annual reports on 1 000 000 impact records.
# BENCH_DATABASE_URL picks the database (default: the local reuse_exchange_bench),
# BENCH_RESET=1 regenerates everything, BENCH_ARGS="--only claims --only stats" picks parts.
bench: messages
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
