# tunnels.sessions - every command sets itself up: a fresh machine needs only Python 3.11 and PyPI.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ANSIBLE_CORE ?= ansible-core>=2.19,<2.20

.PHONY: demo install emulator test unit e2e integration sanity lint docs-lint importer docs release matrix bench soak clean

$(STAMP): requirements.txt tests/requirements.txt tests/lint-requirements.txt Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r tests/requirements.txt -r tests/lint-requirements.txt "$(ANSIBLE_CORE)"
	touch $(STAMP)

## make demo: build and install the collection, start the local emulator, run the preflight gate twice.
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/demo.sh

## make test: every test and every gate.
test: unit e2e integration sanity lint docs-lint importer docs

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit -p no:cacheprovider -q

e2e: $(STAMP)
	bash tools/sshd-setup.sh
	$(BIN)/python -m pytest tests/e2e -p no:cacheprovider -q

## ansible-test integration: one target per module, each against the emulator its setup target starts.
integration: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible-test.sh integration --venv --python 3.11 --requirements

sanity: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible-test.sh sanity --venv --python 3.11
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible-test.sh units --venv --python 3.11

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

## make matrix: every ansible-core from 2.16 to the newest (tools/matrix.sh says what runs on which).
matrix:
	bash tools/matrix.sh

clean:
	rm -rf $(VENV) .venv-* .build tests/output
