# tunnels.sessions - every command sets itself up: a fresh machine needs only Python 3.11 and PyPI.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUNTIME := $(VENV)/.runtime
ANSIBLE_CORE ?= ansible-core>=2.19,<2.20
EMULATOR_PORT ?= 8765
# pytest-xdist workers: the unit tests also wait (sleeps, deadlines, a provider's window), so twice the cores;
# the end-to-end tests run ansible commands that keep a core busy each.
CORES := $(shell nproc 2>/dev/null || echo 2)
UNIT_WORKERS ?= $(shell echo $$(( $(CORES) * 2 )))
E2E_WORKERS ?= $(CORES)
# ansible-core 2.19+ with cryptography 46+ prints "CryptographyDeprecationWarning: DSA is deprecated" as every ansible
# command starts: ansible-core's own use of a deprecated algorithm, nothing wrong here. Hidden in all make runs
# (the demo, the examples, every test); the integration targets set it too (their aliases), as ansible-test
# passes them no environment.
export PYTHONWARNINGS := ignore:DSA is deprecated
# What running the collection needs (the demo, make install, make emulator): a user's machine, no test tools.
RUNTIME_REQUIREMENTS := -r requirements.txt "$(ANSIBLE_CORE)" -r tests/demo-requirements.txt
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo install emulator check test venv unit units e2e integration sanity sanity-core2.22 lint docs-lint importer docs release matrix bench soak clean

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
	bash tools/pool.sh check make 2 unit lint docs-lint

## make test: every test and every gate, each suite once, and every supported ansible-core (tools/matrix.sh; 2.20
## and newer need a Python 3.12 or 3.13, else their legs say NOT RUN, which ALL_CORES=required, as CI sets, makes a
## failure). First this venv (mostly downloads) beside the legs that build their own, then the unit tests alone
## under ansible-test units (they assert time bounds), then the rest three at a time, the longest first
## (tools/pool.sh).
MATRIX_LEGS := matrix-core2.16 matrix-core2.22 matrix-newest matrix-core2.21 matrix-core2.20 matrix-core2.18 \
  matrix-core2.17
SETUP_LEGS := matrix-core2.17 matrix-core2.18 sanity-core2.22 matrix-core2.20 matrix-newest
export ALL_CORES
test:
	bash tools/pool.sh test-setup make 3 venv $(SETUP_LEGS)
	bash tools/pool.sh test-unit make 1 units
	bash tools/pool.sh test make 3 matrix-core2.22 e2e sanity matrix-core2.16 integration \
	  $(filter-out $(SETUP_LEGS) matrix-core2.16 matrix-core2.22,$(MATRIX_LEGS)) docs importer docs-lint lint

venv: $(STAMP)

## make unit: the unit tests under pytest (make check's fast loop); make units: the same tests under ansible-test
## units, Ansible's own runner, which make test runs (the newest ansible-core's leg runs it too).
unit: $(STAMP)
	bash tools/test-packages.sh
	$(BIN)/python -m pytest tests/unit -p no:cacheprovider -q -n $(UNIT_WORKERS)

units: $(STAMP)
	bash tools/test-packages.sh
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible-test.sh units --venv --python 3.11 --num-workers $(UNIT_WORKERS)

e2e: $(STAMP)
	bash tools/test-packages.sh
	$(BIN)/python -m pytest tests/e2e -p no:cacheprovider -q -n $(E2E_WORKERS)

## ansible-test integration: one target per module, each against the emulator its setup target starts (in this
## venv, which holds what the targets need: ansible-core and requests).
integration: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible-test.sh integration --local --python 3.11

## ansible-test sanity: 2.19's (every test, pylint included); make sanity-core2.22: 2.22's on Python 3.13, every
## test but pylint (CONTRIBUTING.md says why).
sanity: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible-test.sh sanity --venv --python 3.11

sanity-core2.22:
	bash tools/matrix.sh core2.22 sanity

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

## make bench: ratios against ansible.builtin.uri and ngrok's SDK, the request budget off vs on, gates by name vs by ids (not a test).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet ngrok-api
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/run.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/eda.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/budget.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/agent.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/gate.py

## make soak: the ngrok event source for 10 minutes against a flapping fleet and a failing API (not in CI).
soak: $(STAMP)
	$(BIN)/python bench/soak.py

## make matrix: every ansible-core from 2.16 to the newest, one leg each (tools/matrix.sh says what runs on which,
## on which Python); make test runs them too. make matrix-core2.17 (and so on) runs one leg; matrix-newest asks
## PyPI for the newest release and runs it, or says that a leg of its own runs it.
matrix:
	bash tools/pool.sh matrix make 2 $(MATRIX_LEGS)

matrix-%:
	bash tools/matrix.sh $*

clean:
	rm -rf $(VENV) .venv-* .build tests/output
