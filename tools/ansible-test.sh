#!/usr/bin/env bash
# ansible-test needs the tree at ansible_collections/tunnels/sessions and refuses symlinks: copy it there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${TMPDIR:-/tmp}/tunnels-sessions-ansible-test-$(id -u)/ansible_collections/tunnels/sessions"
rm -rf "$dest" && mkdir -p "$dest"
tar -C "$root" --exclude ./.git --exclude ./.venv --exclude './.venv-*' --exclude ./.build --exclude ./tests/output \
  --exclude .pytest_cache --exclude __pycache__ --exclude .hypothesis -cf - . | tar -C "$dest" -xf -
# ansible-test downloads get-pip from a host these machines cannot reach; shared/ has an offline stand-in.
offline="$root/../shared/tools/get_pip_offline.py"
if [ -f "$offline" ]; then
  mkdir -p "$HOME/.ansible/test/cache"
  cp "$offline" "$HOME/.ansible/test/cache/get_pip_24_2.py"
fi
cd "$dest"
ansible-test "$@"
