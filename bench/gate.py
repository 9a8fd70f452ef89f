# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: a 200-host deploy gate in an account of 10,000 online agents, three ways side by side in one run.

    make bench            (or: .venv/bin/python bench/gate.py)

(k) the same gate, as a play over 200 hosts, each host's agent among 10,000 online ones (every 50th):
    - by name: one ``run_once`` task with ``expect_metadata: "{{ ansible_play_hosts }}"``;
    - by ids: one ``run_once`` task with ``ids`` (each host's session id from its host vars);
    - per host: one ``ngrok_tunnel_session_info`` task per host with ``id`` (default forks).
Each with the emulator's rate limit on at ngrok's numbers (120 requests per rolling 60 s), the request budget on
(as users have it; each playbook its own window) and a fresh account: the API requests the emulator received, the
429s it sent, the wall time of the whole ``ansible-playbook`` and of the gate task. Not a test.
"""

import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "emulator"))

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error
from run import BIN, install, play  # noqa: E402  pylint: disable=wrong-import-position,import-error

N_ACCOUNT = 10000
N_HOSTS = 200
STEP = N_ACCOUNT // N_HOSTS

GATES = {
    "by name": """
- name: gate
  tunnels.sessions.ngrok_tunnel_session_info:
    expect_metadata: "{{ ansible_play_hosts }}"
  run_once: true
  delegate_to: localhost
  register: fleet
- name: check
  ansible.builtin.assert:
    that: fleet.missing | length == 0
  run_once: true
""",
    "by ids": """
- name: gate
  tunnels.sessions.ngrok_tunnel_session_info:
    ids: "{{ ansible_play_hosts | map('extract', hostvars, 'ngrok_session_id') | list }}"
  run_once: true
  delegate_to: localhost
  register: fleet
- name: check
  ansible.builtin.assert:
    that: fleet.tunnel_sessions | rejectattr('found') | list | length == 0
  run_once: true
""",
    "per host": """
- name: gate
  tunnels.sessions.ngrok_tunnel_session_info:
    id: "{{ ngrok_session_id }}"
  register: agent
- name: check
  ansible.builtin.assert:
    that: agent.found
""",
}


def account(emu):
    """A fresh account (and rate-limit window) of 10,000 online agents named web-00000 ... web-09999."""
    emu.reset("empty")
    emu.bulk_ngrok(N_ACCOUNT, prefix="ts_fleet_", metadata="web-{n:05d}")
    emu.quiesce()


def inventory(tmp):
    """200 hosts, each named as its agent's metadata and carrying its session id (for the two gates by id)."""
    path = tmp / "gate_hosts.yml"
    path.write_text("all:\n  vars: {ansible_connection: local}\n  hosts:\n" + "".join(
        "    web-%05d: {ngrok_session_id: ts_fleet_%06d}\n" % (n, n) for n in range(0, N_ACCOUNT, STEP)))
    return path


def bench_gate(tmp, collections, emu, hosts):
    rows = {}
    for name, tasks in GATES.items():
        account(emu)
        start = time.monotonic()
        times = play(tmp, collections, tasks, "gate_" + name.replace(" ", "_"), inventory=str(hosts), hosts="all",
                     env={"NGROK_API_KEY": harness.NGROK_KEY, "NGROK_API_URL": emu.url})
        wall = time.monotonic() - start
        sent = emu.requests()
        assert all(q["path"].startswith("/tunnel_sessions") for q in sent)
        rows[name] = {"requests": len(sent), "refused": emu.rate_limited(), "wall": wall, "task": times["gate"]}
    return rows


def main():
    emu = harness.start_emulator()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = pathlib.Path(tmp_name)
        collections = install(tmp)
        core = subprocess.run([str(BIN / "ansible"), "--version"], capture_output=True, text=True, check=True)
        print("machine: %s, %d cores, Python %s, %s"
              % (platform.machine(), os.cpu_count(), platform.python_version(), core.stdout.splitlines()[0]))
        rows = bench_gate(tmp, collections, emu, inventory(tmp))
        for name, row in rows.items():
            print("(k) %d-host gate %-8s in an account of %d agents: %3d API requests, %d refused (429); "
                  "ansible-playbook %.3f s wall, gate task %.3f s"
                  % (N_HOSTS, name, N_ACCOUNT, row["requests"], row["refused"], row["wall"], row["task"]))
    harness.stop_emulator(emu)


if __name__ == "__main__":
    main()
