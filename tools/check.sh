#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make check: the fast loop. The unit tests, spread over every core, and the linters (ansible-lint, the
# changelog, the collection docs) side by side; each one's output is shown whole once it ends.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
log=.build/check
rm -rf "$log" && mkdir -p "$log"
start=$SECONDS
python -m pytest tests/unit -p no:cacheprovider -q -n auto >"$log/unit.log" 2>&1 &
unit=$!
(ansible-lint --profile production && antsibull-changelog lint \
  && antsibull-docs lint-collection-docs --plugin-docs .) >"$log/lint.log" 2>&1 &
lint=$!
status=0
report() {  # name pid: wait for that job, then show its whole output
  if wait "$2"; then result=passed; else result=FAILED; status=1; fi
  echo "== check: $1 $result"
  cat "$log/$1.log"
}
report unit "$unit"
report lint "$lint"
echo "== check: $([ "$status" -eq 0 ] && echo "all green" || echo "FAILED") in $((SECONDS - start)) s"
exit "$status"
