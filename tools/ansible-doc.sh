#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Every module, lookup, inventory and filter plugin must render with ansible-doc from the installed collection.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/.build/doc"
rm -rf "$work" && mkdir -p "$work"
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
ansible-galaxy collection build "$root" --output-path "$work" --force >/dev/null
ansible-galaxy collection install "$work"/tunnels-sessions-*.tar.gz -p "$work/collections" --force >/dev/null
for kind in module lookup inventory filter; do
  folder=$kind
  [ "$kind" = module ] && folder=modules
  plugins=$(find "$root/plugins/$folder" -name '*.py' ! -name '__init__.py' -exec basename {} .py \; | sort)
  for p in $plugins; do
    out=$(ansible-doc -t "$kind" "tunnels.sessions.$p")
    if ! grep -q "OPTIONS" <<<"$out" || { [ "$kind" != inventory ] && ! grep -q "RETURN VALUES" <<<"$out"; }; then
      echo "ansible-doc -t $kind $p rendered badly" >&2
      exit 1
    fi
    echo "ansible-doc -t $kind tunnels.sessions.$p: ok ($(wc -l <<<"$out") lines)"
  done
  listed=$(ansible-doc -t "$kind" -l tunnels.sessions | wc -l)
  [ "$listed" -eq "$(wc -w <<<"$plugins")" ] || { echo "ansible-doc -t $kind -l lists $listed" >&2; exit 1; }
done
