#!/usr/bin/env bash
# Every module must render with ansible-doc from the installed collection.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/.build/doc"
rm -rf "$work" && mkdir -p "$work"
ansible-galaxy collection build "$root" --output-path "$work" --force >/dev/null
ansible-galaxy collection install "$work"/tunnels-sessions-*.tar.gz -p "$work/collections" --force >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
modules=$(ls "$root"/plugins/modules/*.py | xargs -n1 basename | sed 's/\.py$//')
for m in $modules; do
  out=$(ansible-doc "tunnels.sessions.$m")
  grep -q "OPTIONS" <<<"$out" && grep -q "RETURN VALUES" <<<"$out" || { echo "ansible-doc $m rendered badly" >&2; exit 1; }
  echo "ansible-doc tunnels.sessions.$m: ok ($(wc -l <<<"$out") lines)"
done
listed=$(ansible-doc -l tunnels.sessions | wc -l)
[ "$listed" -eq "$(wc -w <<<"$modules")" ] || { echo "ansible-doc -l lists $listed modules" >&2; exit 1; }
