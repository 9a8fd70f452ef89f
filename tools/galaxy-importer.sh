#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# What Galaxy and Automation Hub run on upload: galaxy-importer on the built tarball, without a container
# (its ansible-test runner always wants one; make sanity runs ansible-test itself). Any warning or error fails.
# Usage: tools/galaxy-importer.sh [TARBALL]  (default: build one from this tree)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
venv="${IMPORTER_VENV:-$root/.venv-importer}"
work="$root/.build/importer"
# One venv, shared by make importer and make release in a test's clone (IMPORTER_VENV): built by one at a time.
mkdir -p "$(dirname "$venv")"
exec 7>"$venv.lock"
flock 7
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import galaxy_importer' 2>/dev/null; then
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet "galaxy-importer==0.4.44"
fi
exec 7>&-  # the venv is ready: release the lock
mkdir -p "$work"
tarball="${1:-}"
if [ -z "$tarball" ]; then
  rm -f "$work"/*.tar.gz
  "$venv/bin/ansible-galaxy" collection build "$root" --output-path "$work" --force >/dev/null
  tarball=$(ls "$work"/tunnels-sessions-*.tar.gz)
fi
printf '[galaxy-importer]\nRUN_ANSIBLE_TEST = False\n' >"$work/galaxy-importer.cfg"
log="$work/galaxy-importer.log"
status=0
(cd "$work" && GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" PATH="$venv/bin:$PATH" \
  "$venv/bin/python" -m galaxy_importer.main "$tarball") >"$log" 2>&1 || status=$?
problems=$(grep -E '^(WARNING|ERROR)|Traceback' "$log" || true)
if [ "$status" -ne 0 ] || [ -n "$problems" ] || ! grep -q "Importer processing completed successfully" "$log"; then
  cat "$log" >&2
  echo "galaxy-importer: $(basename "$tarball") did not import cleanly (exit $status)" >&2
  exit 1
fi
echo "galaxy-importer: $(basename "$tarball") imported with no warning and no error ($(grep -c . "$log") log lines)"
