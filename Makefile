# One-command set-up: `make demo` runs the main job, `make test` the tests. Both install what
# they need first (a virtualenv in .venv, the pinned npm tools in node_modules).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?= -n 2

.PHONY: setup demo test lint check bench clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(VENV)/bin/ipledger demo

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

check: setup
	$(PY) scripts/compile_contracts.py --check

bench: setup
	$(PY) -m benchmarks

clean:
	rm -rf .ipledger .ipledger-anvil reports
