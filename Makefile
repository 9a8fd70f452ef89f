# tunnels.sessions - every command sets itself up: a fresh machine needs only Python 3.11 and PyPI.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime
ANSIBLE_CORE ?= ansible-core>=2.19,<2.20
EMULATOR_PORT ?= 8765
# pytest-xdist workers: the unit tests wait on sockets and sleeps as much as they compute, so twice the cores;
# the end-to-end tests run ansible commands that keep a core busy each.
CORES := $(shell nproc 2>/dev/null || echo 2)
UNIT_WORKERS ?= $(shell echo $$(( $(CORES) * 2 )))
E2E_WORKERS ?= $(CORES)
# What running the collection needs (the demo, make install, make emulator): a user's machine, no test tools.
RUNTIME_REQUIREMENTS := -r requirements.txt "$(ANSIBLE_CORE)" -r tests/demo-requirements.txt
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo install emulator check test unit e2e integration sanity lint docs-lint importer docs release matrix bench soak clean

$(RUNTIME): requirements.txt tests/demo-requirements.txt Makefile
	$(PYTHON) -m venv $(VENV)
	$(PIP) $(RUNTIME_REQUIREMENTS)
	touch $(RUNTIME)

$(STAMP): $(RUNTIME) tests/requirements.txt tests/lint-requirements.txt
	$(PIP) $(RUNTIME_REQUIREMENTS) -r tests/requirements.txt -r tests/lint-requirements.txt
	touch $(STAMP)

## make demo: the collection as a user installs it, against the local emulator: gate, refuse, heal, watch.
demo: $(RUNTIME)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/demo.sh

## make install: build the collection and install it where ansible, ansible-doc and ansible-playbook find it.
install: $(RUNTIME)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/install.sh

## make emulator: the local API emulator on 127.0.0.1:8765 (EMULATOR_PORT=...), in the foreground.
emulator: $(RUNTIME)
	exec $(BIN)/python tests/emulator/emulator.py --port $(EMULATOR_PORT) --seed demo

## make check: the fast loop: the unit tests (over every core) beside the linters.
check: $(STAMP)
	bash tools/lanes.sh check make unit "lint docs-lint"

## make test: every test and every gate, each suite once: the unit tests alone (they assert time bounds), then
## the end-to-end tests beside the ansible-test runs and the linters, which use a core each.
test: $(STAMP)
	bash tools/lanes.sh test make unit
	bash tools/lanes.sh test-gates make e2e "sanity integration lint docs-lint importer docs"

unit: $(STAMP)
	bash tools/test-packages.sh
	$(BIN)/python -m pytest tests/unit -p no:cacheprovider -q -n $(UNIT_WORKERS)

e2e: $(STAMP)
	bash tools/test-packages.sh
	$(BIN)/python -m pytest tests/e2e -p no:cacheprovider -q -n $(E2E_WORKERS)

## ansible-test integration: one target per module, each against the emulator its setup target starts (in this
## venv, which holds what the targets need: ansible-core and requests).
integration: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible-test.sh integration --local --python 3.11

## ansible-test sanity (the unit tests run once, in make unit, not again under ansible-test units).
sanity: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible-test.sh sanity --venv --python 3.11

lint: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" ansible-lint --profile production
	PATH="$(CURDIR)/$(BIN):$$PATH" antsibull-changelog lint

docs-lint: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" antsibull-docs lint-collection-docs --plugin-docs .
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible-doc.sh

## galaxy-importer (what Galaxy and Automation Hub run on upload) on the built tarball: any warning fails.
importer: $(STAMP)
	bash tools/galaxy-importer.sh

## make docs: the HTML docsite (antsibull-docs + Sphinx, offline, warnings as errors) in .build/docsite.
docs:
	bash tools/docs.sh

## make release VERSION=x.y.z: bump, changelog, build, galaxy-importer, commit and tag; prints what to upload.
release: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/release.sh "$(VERSION)"

## make bench: ratios against ansible.builtin.uri and ngrok's SDK, the request budget off vs on (not a test).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet ngrok-api
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/run.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/eda.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/budget.py

## make soak: the ngrok event source for 10 minutes against a flapping fleet and a failing API (not in CI).
soak: $(STAMP)
	$(BIN)/python bench/soak.py

## make matrix: every ansible-core from 2.16 to the newest (tools/matrix.sh says what runs on which), in two lanes.
matrix:
	bash tools/lanes.sh matrix "bash tools/matrix.sh" "newest core2.17" "core2.16 core2.18 core2.20"

clean:
	rm -rf $(VENV) .venv-* .build tests/output
