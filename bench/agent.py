# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark (j): the check each host makes of its own ngrok agent, side by side in one run.

    make bench            (or: .venv/bin/python bench/agent.py)

Over N_HOSTS hosts (local connection, default forks), each with its own emulated agent (its local API on its own
loopback port, one endpoint whose upstream is a real listener): ``tunnels.sessions.ngrok_agent_info`` (reads
``/api/status`` and ``/api/endpoints`` and connects to the upstream) vs an ``ansible.builtin.uri`` task reading
``/api/status`` only. REPEAT rounds, the two tasks interleaved in one play; each task's wall time divided by the
hosts, median over the rounds. Also counted: the requests the agents' APIs served and the requests the cloud API
received (none). Not a test: nothing asserts a timing.
"""

import platform
import socket
import statistics
import sys
import tempfile
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "emulator"))

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error
from run import install, play  # noqa: E402  pylint: disable=wrong-import-position,import-error

N_HOSTS = 20
REPEAT = 5


def bench_agents(tmp, collections, emu, upstream_port):
    emu.reset("empty")
    inventory = tmp / "agent_hosts.yml"
    lines = ["all:", "  hosts:"]
    for n in range(N_HOSTS):
        url = emu.start_agent("host-%02d" % n, endpoints=[{
            "name": "web", "url": "https://host-%02d.example.test" % n,
            "upstream": {"url": "http://127.0.0.1:%d" % upstream_port, "protocol": "http1"}}])["url"]
        lines.append("    host-%02d: {ngrok_agent_url: \"%s\"}" % (n, url))
    inventory.write_text("\n".join(lines) + "\n")
    tasks = ""
    for n in range(REPEAT):
        tasks += f"""
- name: module {n}
  tunnels.sessions.ngrok_agent_info: {{agent_url: "{{{{ ngrok_agent_url }}}}"}}
- name: uri {n}
  ansible.builtin.uri: {{url: "{{{{ ngrok_agent_url }}}}/api/status"}}
"""
    times = play(tmp, collections, tasks, "agents", inventory=str(inventory), hosts="all")
    served = sum(len(emu.agent_requests("host-%02d" % n)) for n in range(N_HOSTS))
    ours = statistics.median(times["module %d" % n] for n in range(REPEAT)) / N_HOSTS
    uri = statistics.median(times["uri %d" % n] for n in range(REPEAT)) / N_HOSTS
    return ours, uri, served, len(emu.requests())


def main():
    upstream = socket.socket()
    upstream.bind(("127.0.0.1", 0))
    upstream.listen(64)
    emu = harness.start_emulator(seed="empty")
    try:
        with tempfile.TemporaryDirectory() as folder:
            tmp = pathlib.Path(folder)
            collections = install(tmp)
            ours, uri, served, cloud = bench_agents(tmp, collections, emu, upstream.getsockname()[1])
    finally:
        harness.stop_emulator(emu)
        upstream.close()
    print("machine: %s, Python %s" % (platform.machine(), platform.python_version()))
    print("(j) the agent on each of %d hosts (forks 5), median of %d rounds, per host: ngrok_agent_info %.3f s "
          "(status, endpoints, an upstream connect), uri /api/status %.3f s; ratio %.2fx; the agents' APIs served "
          "%d requests, the cloud API %d" % (N_HOSTS, REPEAT, ours, uri, ours / uri, served, cloud))


if __name__ == "__main__":
    main()
