# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: K processes at once that need more than ngrok's window, the shared request budget off vs on.

    .venv/bin/python bench/budget.py [--processes 3] [--listings 2] [--sessions 2500] [--window 60] [--limit 120]

(i) K ``ansible-playbook`` runs start at once on one machine (one TMPDIR, so one window), each reading the
listing of an account with N online sessions L times (N / 100 requests a listing), against the emulator's ngrok
rate limit (by default ngrok's own numbers: 120 requests per rolling 60 s). Side by side in one run:
``request_budget: 0`` (off) and the default ``request_budget`` (on, equal to the limit), ``retries`` at its
default. Printed for each: the 429s the emulator sent, the requests it received, the wall time of the slowest
playbook, and the floor: the least time a rolling window allows for that many requests
(``(ceil(requests / limit) - 1) x window``), beside ``requests / (limit per window)``.
``--window 2 --limit 25`` makes the same contention take seconds: the tests' knob
(``_TUNNELS_SESSIONS_BUDGET_WINDOW``) shortens the budget's window to match the emulator's. Not a test.
"""

import argparse
import concurrent.futures
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import BIN, harness, install  # noqa: E402  pylint: disable=wrong-import-position,import-error

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Read the whole listing
      tunnels.sessions.ngrok_tunnel_session_info:
        request_budget: "{{ budget }}"
      loop: "{{ range(%d) | list }}"
"""


def leg(emu, collections, tmp, options, budget):
    """K playbooks at once with this request_budget; returns (429s, requests, wall of the slowest)."""
    emu.reset("empty")
    emu.bulk_ngrok(options.sessions)
    emu.config(ngrok_rate_limit={"requests": options.limit, "window": options.window})
    play = tmp / "read.yml"
    play.write_text(PLAY % options.listings)
    machine = tempfile.mkdtemp(prefix="machine-", dir=str(tmp))  # one machine: the processes share its window
    env = dict(os.environ, TMPDIR=machine, ANSIBLE_COLLECTIONS_PATH=str(collections),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false", NGROK_API_KEY=harness.NGROK_KEY, NGROK_API_URL=emu.url)
    if options.window != 60:
        env["_TUNNELS_SESSIONS_BUDGET_WINDOW"] = str(options.window)

    def one(dummy):
        proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(play),
                               "-e", "budget=%d" % budget], env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit("benchmark playbook failed:\n%s" % proc.stdout[-3000:])
        return time.monotonic()

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(options.processes) as pool:
        ends = list(pool.map(one, range(options.processes)))
    return emu.rate_limited(), len(emu.requests()), max(ends) - started


def main():
    harness.loopback_only()  # the emulator on loopback: a proxy set for the machine must not route to it
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--listings", type=int, default=2, help="listings each playbook reads")
    parser.add_argument("--sessions", type=int, default=2500, help="online sessions of the account")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--limit", type=int, default=120)
    options = parser.parse_args()
    emu = harness.start_emulator()
    pages = math.ceil(options.sessions / 100.0)
    need = options.processes * options.listings * pages
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = pathlib.Path(tmp_name)
            collections = install(tmp)
            print("(i) %d playbooks at once, each reading %d listings of %d pages: %d requests where the window "
                  "allows %d per %g s" % (options.processes, options.listings, pages, need, options.limit,
                                          options.window))
            legs = (("off (request_budget: 0)", 0), ("on  (request_budget: %d)" % options.limit, options.limit))
            for name, budget in legs:
                refused, sent, wall = leg(emu, collections, tmp, options, budget)
                floor = (math.ceil(sent / float(options.limit)) - 1) * options.window
                rate = sent * options.window / options.limit
                print("(i) budget %s: %3d x 429, %4d requests, wall %6.1f s; floor %5.1f s (requests / rate "
                      "%5.1f s) -> wall/floor %s" % (name, refused, sent, wall, floor, rate,
                                                     "%.2fx" % (wall / floor) if floor else "-"))
    finally:
        harness.stop_emulator(emu)


if __name__ == "__main__":
    main()
