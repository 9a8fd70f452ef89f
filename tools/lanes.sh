#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# lanes.sh GROUP RUNNER LANE...: run jobs in lanes side by side, the jobs of one lane one after another.
# A job is a word of a LANE ("unit e2e"), run as RUNNER JOB (RUNNER "make" runs make targets). Each job's output
# goes to .build/GROUP/JOB.log and is shown whole once the job ends, with its result and time; a lane stops at
# its first failure, the other lanes go on, and the exit status says whether every job passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
group=$1 runner=$2
shift 2
log=.build/$group
rm -rf "$log" && mkdir -p "$log"
start=$SECONDS

lane() {  # the jobs of one lane, in order
  local job began status
  for job in "$@"; do
    began=$SECONDS
    $runner "$job" </dev/null >"$log/$job.log" 2>&1
    status=$?
    {
      flock 9
      cat "$log/$job.log"
      echo "== $group: $job $([ "$status" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - began)) s"
    } 9>"$log/.print.lock"
    if [ "$status" -ne 0 ]; then
      shift
      [ "$#" -eq 0 ] || echo "== $group: not run after $job failed: $*"
      return 1
    fi
    shift
  done
}

pids=()
for jobs in "$@"; do
  # shellcheck disable=SC2086  # a lane is a list of words
  lane $jobs &
  pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
echo "== $group: $([ "$failed" -eq 0 ] && echo "all green" || echo FAILED) in $((SECONDS - start)) s"
exit "$failed"
