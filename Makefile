# The two commands: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

# Tests run on PostgreSQL and Redis (database 15, so a developer's own
# queue on database 0 is left alone).
TEST_ENV := MECENE_ENV=test \
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mecene} \
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/15} \
	MECENE_VAR_DIR=$(CURDIR)/var/test \
	CACHE_URL=locmem://

.PHONY: demo test lint format install messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# The DejaVu fonts receipts embed (names such as Dvořák or Łukasz); the
	# wheel declares a dependency on a typesetter we do not use.
	$(BIN)/pip install --quiet --no-deps rinoh-typeface-dejavusans==0.1.0
	rm -f $(VENV)/.installed-*
	touch $@

# axe-core, injected into pages by the accessibility tests.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo_data
	$(BIN)/python -m devtools.demo

test: $(STAMP) node_modules/.package-lock.json
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l fr --no-obsolete \
		-i .venv -i var -i devtools -i bench -i "*.egg-info"
	$(BIN)/python manage.py compilemessages -l fr -i .venv

clean:
	rm -rf $(VENV) var .pytest_cache
