#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ansible-test needs the tree at ansible_collections/tunnels/sessions and refuses symlinks: copy it there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# One copy per checkout, ansible-test release, Python and command (sanity and integration run side by side in
# make test), outside this git checkout (ansible-test lists files with git): its own venvs under tests/output are
# kept between runs. Two checkouts never share a copy, and two runs of one take turns (a lock), since each run
# replaces the copy.
flavour=$( (ansible-test --version; python3 --version) 2>/dev/null | tr -c 'A-Za-z0-9.' '_')
checkout=$(printf '%s' "$root" | sha256sum | cut -c1-12)
top="${TMPDIR:-/tmp}/tunnels-sessions-ansible-test-$(id -u)-$checkout-$flavour-${1:-none}"
dest="$top/ansible_collections/tunnels/sessions"
mkdir -p "$dest/tests"
exec 9>"$top.lock"
flock 9
if [ "${1:-}" = sanity ]; then
  # Sanity builds its test venvs in ~/.ansible/test/venv, shared by every checkout (make sanity, make release in a
  # test's clone): two runs of one ansible-test release take turns, so neither sees the other's half-built venv.
  mkdir -p "$HOME/.ansible/test"
  exec 8>"$HOME/.ansible/test/tunnels-sessions-sanity-$flavour.lock"
  flock 8
fi
find "$dest" -mindepth 1 -maxdepth 1 ! -name tests -exec rm -rf {} +
find "$dest/tests" -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} +
tar -C "$root" --exclude ./.git --exclude ./.ansible --exclude ./.venv --exclude './.venv-*' --exclude ./.build \
  --exclude ./tests/output --exclude .pytest_cache --exclude __pycache__ --exclude .hypothesis -cf - . \
  | tar -C "$dest" -xf -
# ansible-test downloads get-pip from a host these machines cannot reach; shared/ has an offline stand-in.
offline="${GET_PIP_OFFLINE:-$root/../shared/tools/get_pip_offline.py}"
if [ -f "$offline" ]; then
  # The file name carries the pip version this ansible-test pins (2.16: 23.1.2, 2.19: 24.2).
  pip_version=$("$(dirname "$(command -v ansible-test)")/python" - <<'PY'
import pathlib, re, ansible_test
text = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", text).group(1))
PY
)
  mkdir -p "$HOME/.ansible/test/cache"
  # Shared by every checkout: written whole, then renamed, so a concurrent run never reads half a file.
  cp "$offline" "$HOME/.ansible/test/cache/.get_pip.$$"
  mv -f "$HOME/.ansible/test/cache/.get_pip.$$" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
fi
# The providers' API documents the emulator's conformance tests read, beside the copy as beside the checkout.
if [ -d "$root/../shared" ]; then
  ln -sfn "$(cd "$root/../shared" && pwd)" "$top/ansible_collections/tunnels/shared"
fi
cd "$dest"
ansible-test "$@"
