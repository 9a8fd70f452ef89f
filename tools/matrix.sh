#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Every supported ansible-core, 2.16 to the newest, one leg each; make test runs the legs beside its own suites on
# 2.19 / Python 3.11 (every unit and end-to-end test, ansible-test sanity and integration). A leg runs what can
# differ by release:
# - every leg: ansible-test integration (every module run by ansible-playbook as a user writes it), in a venv
#   holding that ansible-core and requests;
# - 2.16 (what AWX / Automation Platform 2.5 ship): the end-to-end tests of the plugins that run inside
#   ansible-core on the controller too: the inventory and the lookups (export, templating, caching, SSH through
#   the tunnels) and AWX's ansible-runner. Modules run the same way on every release, which the integration
#   targets show; the playbook examples, rulebooks, upgrades and README blocks run on 2.19 in make test.
# Usage: tools/matrix.sh LEG (one of: core2.16 core2.17 core2.18 core2.20 newest); make matrix runs them all.
# Without a Python 3.12, the legs that need it (2.20, newest) say NOT RUN and end, or fail under ALL_CORES=required.
set -euo pipefail
cd "$(dirname "$0")/.."

py311="$(command -v python3.11 || command -v python3)"
py312=""
if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.12.1/bin/python3" ]; then
  py312="$(pyenv root)/versions/3.12.1/bin/python3"
elif command -v python3.12 >/dev/null 2>&1; then
  py312="$(command -v python3.12)"
fi

venv_for() {  # venv python core [requirements...]: that venv, with that ansible-core and what the leg runs
  local venv=$1 python=$2 core=$3
  shift 3
  if [ -z "$python" ]; then
    # make test needs only Python 3.11; CI, which has 3.12, sets ALL_CORES=required so that this leg must run.
    echo "matrix: NOT RUN: $core needs Python 3.12, and this machine has none (pyenv or python3.12 on PATH)" >&2
    [ "${ALL_CORES:-}" = required ] && exit 1
    exit 0
  fi
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$core" -r requirements.txt "$@"
  "$venv/bin/python" -m pip list 2>/dev/null | grep -i '^ansible-core'
}

pyver() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

leg() {  # name python core what...: one leg; what is any of: integration e2e
  local name=$1 python=$2 core=$3 venv=".venv-$1" extra=()
  shift 3
  [[ " $* " == *" e2e "* ]] && extra+=(-r tests/requirements.txt)
  echo "== matrix: $name ($core): $*"
  venv_for "$venv" "$python" "$core" "${extra[@]}"
  for what in "$@"; do
    case $what in
      integration)
        PATH="$PWD/$venv/bin:$PATH" bash tools/ansible-test.sh integration --local --python "$(pyver "$python")" ;;
      e2e)
        bash tools/test-packages.sh
        "$venv/bin/python" -m pytest -p no:cacheprovider -q -n "$(nproc)" -m "not newcomer" tests/e2e/test_fleet.py \
          tests/e2e/test_awx.py ;;
    esac
  done
}

case "${1:-}" in
  core2.16) leg core2.16 "$py311" "ansible-core>=2.16,<2.17" e2e integration ;;
  core2.17) leg core2.17 "$py311" "ansible-core>=2.17,<2.18" integration ;;
  core2.18) leg core2.18 "$py311" "ansible-core>=2.18,<2.19" integration ;;
  core2.20) leg core2.20 "$py312" "ansible-core>=2.20,<2.21" integration ;;
  newest) leg newest "$py312" "ansible-core" integration ;;
  *) echo "usage: tools/matrix.sh core2.16|core2.17|core2.18|core2.20|newest" >&2; exit 2 ;;
esac
