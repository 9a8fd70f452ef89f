#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The HTML docsite, built by antsibull-docs + Sphinx from the collection as installed, offline, with warnings
# as errors. References into Ansible's own docs are resolved to docs.ansible.com by tools/docsite/offline_refs.py
# (intersphinx cannot fetch here); every other broken reference fails the build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
work="$root/.build/docsite"
venv="$root/.venv-docs"
rm -rf "$work" && mkdir -p "$work"
if [ ! -x "$venv/bin/sphinx-build" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet "antsibull-docs>=2.0.0,<3.0.0" ansible-pygments sphinx \
    "sphinx-ansible-theme>=0.9.0" "ansible-core>=2.19,<2.20"
fi
export PATH="$venv/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$work/collections"
ansible-galaxy collection build "$root" --output-path "$work" --force >/dev/null
ansible-galaxy collection install "$work"/tunnels-sessions-*.tar.gz -p "$work/collections" --force >/dev/null
mkdir -p "$work/site" && chmod go-w "$work/site"
antsibull-docs sphinx-init --use-current --squash-hierarchy tunnels.sessions --dest-dir "$work/site" >/dev/null
"$venv/bin/python" -m pip install --quiet -r "$work/site/requirements.txt"
cat >>"$work/site/conf.py" <<PY

# Offline build (tools/docs.sh): no intersphinx fetches; references into Ansible's docs resolved by URL.
import sys
sys.path.insert(0, "$root/tools/docsite")
intersphinx_mapping = {}
extensions.append("offline_refs")
PY
bash "$work/site/build.sh"
echo "docsite: open $work/site/build/html/index.html"
