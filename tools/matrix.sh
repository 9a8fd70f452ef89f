#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Every supported ansible-core, 2.16 to the newest, one leg each; make test runs the legs beside its own suites on
# 2.19 / Python 3.11 (every end-to-end test, ansible-test units, sanity and integration). A leg runs what can
# differ by release, each on the controller Python that release needs (2.16 to 2.18: 3.11 here; 2.20 and 2.21:
# 3.12; 2.22: 3.13):
# - every leg: ansible-test integration (modules run by ansible-playbook as a user writes them; every target on
#   2.16 and the newest, MIDDLE_TARGETS between them), in a venv holding that ansible-core and requests;
# - 2.16 (what AWX / Automation Platform 2.5 ship) and the newest release: the end-to-end tests of the plugins
#   that run inside ansible-core on the controller too: the inventory and the lookups (export, templating,
#   caching, SSH through the tunnels), AWX's ansible-runner, and a printed secret (masked by 2.22+);
# - the newest release: ansible-test units (the unit tests, as Ansible's own runner runs them; 2.19's in make
#   test); make sanity-core2.22 runs 2.22's ansible-test sanity in its venv.
# The playbook examples, rulebooks, upgrades and README blocks run on 2.19 in make test.
# The leg `newest` asks PyPI which ansible-core is the newest, picks the Python it needs from this machine's and
# runs it as core2.22 runs 2.22; while 2.22 is the newest it says so and ends (core2.22 runs it).
# Usage: tools/matrix.sh LEG [WHAT...] (LEG one of: core2.16 core2.17 core2.18 core2.20 core2.21 core2.22 newest;
# WHAT any of integration e2e units sanity, instead of all the leg runs); make matrix runs them all. A leg whose
# Python this machine lacks says NOT RUN and ends, or fails under ALL_CORES=required; a leg never tests another
# release than its own.
set -euo pipefail
cd "$(dirname "$0")/.."

NEWEST_RUNS="e2e integration units"  # what the newest release gets (core2.22 while 2.22 is the newest)
LEGS="2.16 2.17 2.18 2.20 2.21 2.22"  # the releases with a leg of their own (2.19 is make test's)
# The releases between the oldest (2.16), make test's own (2.19) and the newest run the targets of two modules that
# stand for the rest: the modules share one front end (module_utils/_module.py), and these two take every way
# through ansible-core there is (both APIs, reading and waiting, creating and acting, check mode, a module's
# credentials); the others run every target.
MIDDLE_TARGETS="ngrok_tunnel_session_info ping_session"

pythons() {  # every Python 3 of this machine (pyenv's and python3.N on PATH), one per line
  local root n
  if command -v pyenv >/dev/null 2>&1 && root=$(pyenv root 2>/dev/null) && [ -d "$root/versions" ]; then
    ls -d "$root"/versions/3.*/bin/python3 2>/dev/null || true
  fi
  for n in $(seq 8 30); do command -v "python3.$n" 2>/dev/null || true; done
}

pyver() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }

python_for() {  # requirement: the oldest Python of this machine that satisfies it (">=3.13", "3.12"), or nothing
  local spec=$1 p v
  [[ $spec == [0-9]* ]] && spec="==$spec.*"
  for p in $(pythons); do
    v=$("$p" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null) && printf '%s %s\n' "$v" "$p"
  done | sort -V | while read -r version p; do
    if "$py311" - "$spec" "$version" <<'PY'
import sys
from pip._vendor.packaging.specifiers import SpecifierSet
sys.exit(0 if SpecifierSet(sys.argv[1]).contains(sys.argv[2]) else 1)
PY
    then echo "$p"; break; fi
  done
}

py311="$(command -v python3.11 || command -v python3)"

not_run() {  # why: a leg this machine cannot run
  # make test needs only Python 3.11; CI, which has the others, sets ALL_CORES=required so that every leg runs.
  echo "matrix: NOT RUN: $1" >&2
  [ "${ALL_CORES:-}" = required ] && exit 1
  exit 0
}

leg() {  # name python core what...: one leg; python may be empty (NOT RUN); what: integration e2e units sanity
  local name=$1 python=$2 core=$3 venv=".venv-$1" extra=() want got began
  shift 3
  echo "== matrix: $name ($core): $*"
  [ -n "$python" ] || not_run "$core needs Python ${NEEDS:-?}, and this machine has none (pyenv or python3.N on PATH)"
  [[ " $* " == *" e2e "* ]] && extra+=(-r tests/matrix-requirements.txt)
  # One venv per leg, which its jobs share (make test runs the leg and its sanity side by side): they take turns.
  exec 7>"$venv.lock"
  flock 7
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$core" -r requirements.txt "${extra[@]}"
  flock -u 7
  # The release this leg is for, or a failure: pip resolves an older one where the wanted one needs another Python.
  got=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')
  want=${core#ansible-core==}
  want=${want#ansible-core>=}
  want=${want%%,*}
  case $got in
    "$want"|"$want".*) echo "matrix: $name runs ansible-core $got on Python $(pyver "$venv/bin/python")" ;;
    *) echo "matrix: $name wants $core and pip installed ansible-core $got" >&2; exit 1 ;;
  esac
  for what in "$@"; do
    began=$SECONDS
    case $what in
      integration)
        # shellcheck disable=SC2086  # TARGETS is a list of words (empty: every target)
        PATH="$PWD/$venv/bin:$PATH" bash tools/ansible-test.sh integration --local --python "$(pyver "$python")" \
          ${TARGETS:-} ;;
      e2e)
        bash tools/test-packages.sh
        "$venv/bin/python" -m pytest -p no:cacheprovider -q -n "$(nproc)" -m "not newcomer" tests/e2e/test_fleet.py \
          tests/e2e/test_awx.py tests/e2e/test_ping_sessions.py::test_a_printed_link_is_masked_where_ansible_core_masks_secrets ;;
      sanity)  # every test but pylint, whose requirements (2.22) pin dill to an archive off PyPI (CONTRIBUTING.md)
        PATH="$PWD/$venv/bin:$PATH" bash tools/ansible-test.sh sanity --venv --python "$(pyver "$python")" \
          --skip-test pylint ;;
      units)
        bash tools/test-packages.sh
        # Twice the cores, as make units: the unit tests also wait (sleeps, deadlines, a provider's window).
        PATH="$PWD/$venv/bin:$PATH" bash tools/ansible-test.sh units --venv --python "$(pyver "$python")" \
          --num-workers "$(( $(nproc) * 2 ))" ;;
      *) echo "matrix: $name has nothing called $what (integration, e2e, units or sanity)" >&2; exit 2 ;;
    esac
    echo "matrix: $name: $what passed in $((SECONDS - began)) s"
  done
}

newest() {  # the newest ansible-core on PyPI, whatever Python it needs: "version requires-python"
  local dir
  dir=$(mktemp -d)
  # A Python version no release excludes yet: pip then offers the newest wheel there is.
  "$py311" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: --python-version 3.99 \
    --dest "$dir" ansible-core >/dev/null
  "$py311" - "$dir" <<'PY'
import email.parser, pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("ansible_core-*.whl"))
with zipfile.ZipFile(wheel) as archive:
    meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    headers = email.parser.Parser().parsestr(archive.read(meta).decode())
print(headers["Version"], headers.get("Requires-Python") or ">=3")
PY
  rm -rf "$dir"
}

name=${1:-}
[ "$#" -gt 0 ] && shift
only="$*"  # what to run of the leg (say, sanity), instead of all it runs
# shellcheck disable=SC2086  # the lists of what a leg runs are words
case "$name" in
  core2.16) NEEDS=3.11 leg core2.16 "$py311" "ansible-core>=2.16,<2.17" ${only:-e2e integration} ;;
  core2.17) TARGETS=$MIDDLE_TARGETS NEEDS=3.11 leg core2.17 "$py311" "ansible-core>=2.17,<2.18" ${only:-integration} ;;
  core2.18) TARGETS=$MIDDLE_TARGETS NEEDS=3.11 leg core2.18 "$py311" "ansible-core>=2.18,<2.19" ${only:-integration} ;;
  core2.20) TARGETS=$MIDDLE_TARGETS NEEDS=3.12 leg core2.20 "$(python_for 3.12)" "ansible-core>=2.20,<2.21" ${only:-integration} ;;
  core2.21) TARGETS=$MIDDLE_TARGETS NEEDS=3.12 leg core2.21 "$(python_for 3.12)" "ansible-core>=2.21,<2.22" ${only:-integration} ;;
  core2.22) NEEDS=3.13 leg core2.22 "$(python_for 3.13)" "ansible-core>=2.22,<2.23" ${only:-$NEWEST_RUNS} ;;
  newest)
    read -r version requires <<<"$(newest)" || true
    [ -n "${version:-}" ] || { echo "matrix: newest: PyPI did not say which ansible-core is the newest" >&2; exit 1; }
    echo "== matrix: newest: PyPI's newest ansible-core is $version (Python $requires)"
    if [[ " $LEGS " == *" ${version%.*} "* ]]; then
      echo "matrix: newest is ${version%.*}, which leg core${version%.*} runs; nothing more to run"
      exit 0
    fi
    NEEDS=$requires leg newest "$(python_for "$requires")" "ansible-core==$version" ${only:-$NEWEST_RUNS} ;;
  *) echo "usage: tools/matrix.sh core2.16|core2.17|core2.18|core2.20|core2.21|core2.22|newest [WHAT...]" >&2
     exit 2 ;;
esac
