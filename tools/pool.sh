#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# pool.sh GROUP RUNNER SLOTS JOB...: run the jobs SLOTS at a time, in the order given (the longest first keeps
# the cores busy to the end), the next one starting as soon as one ends. A job runs as RUNNER JOB (RUNNER "make"
# runs make targets); its output goes to .build/GROUP/JOB.log and is shown whole once it ends, with its result
# and time. Every job runs even when one fails; the exit status says whether every job passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
group=$1 runner=$2 slots=$3
shift 3
log=.build/$group
rm -rf "$log" && mkdir -p "$log"
start=$SECONDS

job() {  # one job, then its output, result and time, printed whole under a lock
  local began=$SECONDS status
  $runner "$1" </dev/null >"$log/$1.log" 2>&1
  status=$?
  {
    flock 9
    cat "$log/$1.log"
    echo "== $group: $1 $([ "$status" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - began)) s"
  } 9>"$log/.print.lock"
  return "$status"
}

running=0 failed=0
for name in "$@"; do
  if [ "$running" -ge "$slots" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  job "$name" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
echo "== $group: $([ "$failed" -eq 0 ] && echo "all green" || echo FAILED) in $((SECONDS - start)) s"
exit "$failed"
