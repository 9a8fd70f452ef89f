#!/usr/bin/env bash
# Every module must render with ansible-doc from the installed collection.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/.build/doc"
rm -rf "$work" && mkdir -p "$work"
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
ansible-galaxy collection build "$root" --output-path "$work" --force >/dev/null
ansible-galaxy collection install "$work"/tunnels-sessions-*.tar.gz -p "$work/collections" --force >/dev/null
modules=$(find "$root/plugins/modules" -name '*.py' -exec basename {} .py \; | sort)
for m in $modules; do
  out=$(ansible-doc "tunnels.sessions.$m")
  if ! grep -q "OPTIONS" <<<"$out" || ! grep -q "RETURN VALUES" <<<"$out"; then
    echo "ansible-doc $m rendered badly" >&2
    exit 1
  fi
  echo "ansible-doc tunnels.sessions.$m: ok ($(wc -l <<<"$out") lines)"
done
listed=$(ansible-doc -l tunnels.sessions | wc -l)
[ "$listed" -eq "$(wc -w <<<"$modules")" ] || { echo "ansible-doc -l lists $listed modules" >&2; exit 1; }
